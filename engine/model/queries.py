"""Questions about a design that change nothing: lookups, counts, order and reachability."""
from __future__ import annotations

import itertools

from engine.model.elements import Connection, Node
from engine.model.errors import GraphError


def path_exists(edges, start: str, goal: str) -> bool:
    """Whether the (src, dst) pairs of ``edges`` lead from ``start`` to ``goal``."""
    successors: dict[str, list[str]] = {}
    for src, dst in edges:
        successors.setdefault(src, []).append(dst)
    seen, stack = set(), [start]
    while stack:
        n = stack.pop()
        if n == goal:
            return True
        if n not in seen:
            seen.add(n)
            stack.extend(successors.get(n, ()))
    return False


class GraphQueries:
    """The read-only half of Graph, over its ``nodes`` and ``connections`` dicts."""

    nodes: dict[str, Node]
    connections: dict[tuple[str, str], Connection]

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node {node_id!r}") from None

    def connection(self, src: str, dst: str) -> Connection:
        try:
            return self.connections[(src, dst)]
        except KeyError:
            raise GraphError(f"there is no connection {src!r} -> {dst!r}") from None

    def input_node(self) -> Node | None:
        return next((n for n in self.nodes.values() if n.kind == "input"), None)

    def output_node(self) -> Node | None:
        return next((n for n in self.nodes.values() if n.kind == "output"), None)

    def incoming(self, node_id: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.dst == node_id]

    def outgoing(self, node_id: str) -> list[Connection]:
        return [c for c in self.connections.values() if c.src == node_id]

    def new_id(self, prefix: str = "n") -> str:
        for i in itertools.count(1):
            if f"{prefix}{i}" not in self.nodes:
                return f"{prefix}{i}"

    def edge_count(self) -> int:
        total = 0
        for c in self.connections.values():
            n = self.nodes[c.dst].size * self.nodes[c.src].size
            total += n - c.masked_count()
        return total

    def parameter_count(self, sizes: dict[str, int] | None = None,
                        extra: tuple[str, str] | None = None) -> int:
        """Weights and biases of the compiled network: dst × src per connection, a bias per fed node.

        ``sizes`` overrides node sizes and ``extra`` adds a connection: the count an edit would give.
        """
        size = {n: node.size for n, node in self.nodes.items()} | (sizes or {})
        pairs = list(self.connections) + ([extra] if extra else [])
        return sum(size[d] * size[s] for s, d in pairs) + sum(size[d] for d in {d for _, d in pairs})

    def topological_order(self) -> list[str]:
        """Node ids, every node after all of its sources (Kahn's algorithm, stable)."""
        indegree = {n: 0 for n in self.nodes}
        for c in self.connections.values():
            indegree[c.dst] += 1
        ready = [n for n in self.nodes if indegree[n] == 0]
        order, successors = [], self._successors()
        while ready:
            n = ready.pop(0)
            order.append(n)
            for dst in successors[n]:
                indegree[dst] -= 1
                if indegree[dst] == 0:
                    ready.append(dst)
        if len(order) != len(self.nodes):
            placed = set(order)
            stuck = [n for n in self.nodes if n not in placed]
            raise GraphError(f"the design has a cycle through {', '.join(stuck)}")
        return order

    def depths(self) -> dict[str, int]:
        """Longest path from a source to each node: the column of the automatic layout."""
        sources = {n: [] for n in self.nodes}
        for src, dst in self.connections:
            sources[dst].append(src)
        depth = {}
        for n in self.topological_order():
            depth[n] = max((depth[s] + 1 for s in sources[n]), default=0)
        return depth

    def _successors(self) -> dict[str, list[str]]:
        """Each node's destinations, in connection order (one pass: outgoing() per node is quadratic)."""
        successors = {n: [] for n in self.nodes}
        for src, dst in self.connections:
            successors[src].append(dst)
        return successors

    def reaches(self, start: str, goal: str) -> bool:
        """Whether a path of connections leads from ``start`` to ``goal``."""
        return path_exists(self.connections, start, goal)
