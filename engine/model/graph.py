"""The design: nodes (groups of neurons), connections between them, and edge masks.

The Graph validates every edit and refuses a bad one with a GraphError that names
the nodes involved. Every change is announced through ``graph.events`` so that
views can mirror it. ``snapshot`` and ``restore`` give exact undo: restore diffs
the current design against the snapshot and emits only the events that differ.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np

from engine.nn import activations, losses
from engine.model.events import GraphEvents
from engine.nn.param_names import ARROW, collisions, weight_name

KINDS = ("input", "hidden", "output")
MAX_SIZE = 1_000_000
# Weights and biases of a whole design: 200 MB of float32. A file claiming more (two connected
# nodes of a million neurons claim a trillion) is refused before anything is allocated.
MAX_PARAMETERS = 50_000_000


class GraphError(ValueError):
    """An edit or a file the Graph refuses; the message says why and names the nodes."""


@dataclass(frozen=True)
class Node:
    """A group of ``size`` neurons with one activation."""
    id: str
    kind: str
    size: int
    activation: str = "linear"
    name: str = ""
    position: tuple[float, float] = (0.0, 0.0)

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass
class Connection:
    """Dense weights from ``src`` to ``dst``; ``mask`` (dst × src, 0/1) removes single edges."""
    src: str
    dst: str
    mask: np.ndarray | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return f"{self.src}{ARROW}{self.dst}"

    @property
    def pair(self) -> tuple[str, str]:
        return (self.src, self.dst)

    def masked_count(self) -> int:
        return 0 if self.mask is None else int(self.mask.size - np.count_nonzero(self.mask))

    def copy(self) -> "Connection":
        return Connection(self.src, self.dst, None if self.mask is None else self.mask.copy())


def _check_size(size, node_id):
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise GraphError(f"node {node_id!r}: size must be a whole number, not {size!r}")
    if size < 1:
        raise GraphError(f"node {node_id!r}: size must be at least 1 (got {size})")
    if size > MAX_SIZE:
        raise GraphError(f"node {node_id!r}: size {size} is larger than {MAX_SIZE:,}")


class Graph:
    """A directed acyclic graph of nodes and connections, with a loss.

    ``settings`` holds extra design-level fields (training settings) that are
    saved with the design and otherwise left alone.
    """

    def __init__(self, loss: str = "mse"):
        self.events = GraphEvents()
        self.nodes: dict[str, Node] = {}
        self.connections: dict[tuple[str, str], Connection] = {}
        self.loss = "mse"
        self.settings: dict = {}
        self.set_loss(loss)

    # ----- queries -------------------------------------------------------
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

    def _check_parameters(self, count: int, edit: str) -> None:
        if count > MAX_PARAMETERS:
            raise GraphError(f"{edit} would give the design {count:,} weights and biases, more than "
                             f"{MAX_PARAMETERS:,}: use smaller layers")

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

    def _reaches(self, start: str, goal: str) -> bool:
        successors = self._successors()
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(successors[n])
        return False

    def check_complete(self) -> None:
        """Raise GraphError unless the design can be compiled into a network."""
        inp, out = self.input_node(), self.output_node()
        if inp is None:
            raise GraphError("the design has no input node: add one")
        if out is None:
            raise GraphError("the design has no output node: add one")
        self.topological_order()
        count = self.parameter_count()
        if count > MAX_PARAMETERS:
            raise GraphError(f"the design has {count:,} weights and biases, more than {MAX_PARAMETERS:,}: "
                             "use smaller layers")
        fed = {dst for _, dst in self.connections}
        for n in self.nodes.values():
            if n.kind != "input" and n.id not in fed:
                raise GraphError(f"node {n.label!r} receives no connection: connect it or delete it")
        if not self._reaches(inp.id, out.id):
            raise GraphError(f"the output {out.label!r} is not reachable from the input {inp.label!r}")

    # ----- edits ---------------------------------------------------------
    def _validate_node(self, node: Node, replacing: str | None = None) -> None:
        if not isinstance(node.id, str) or not node.id:
            raise GraphError("a node needs a non-empty id")
        if node.kind not in KINDS:
            raise GraphError(f"node {node.id!r}: unknown kind {node.kind!r} (use {', '.join(KINDS)})")
        _check_size(node.size, node.id)
        if node.activation not in activations.ACTIVATIONS:
            raise GraphError(f"node {node.id!r}: unknown activation {node.activation!r} "
                             f"(use {', '.join(activations.ACTIVATIONS)})")
        if node.activation == "softmax" and node.kind != "output":
            raise GraphError(f"node {node.id!r}: softmax is only for the output node")
        if node.kind in ("input", "output"):
            other = next((n for n in self.nodes.values()
                          if n.kind == node.kind and n.id not in (node.id, replacing)), None)
            if other is not None:
                raise GraphError(f"the design already has an {node.kind} node ({other.label!r}); "
                                 f"{node.id!r} cannot be a second one")
        if node.kind == "input" and self.incoming(node.id):
            raise GraphError(f"node {node.id!r} has incoming connections and cannot be an input")
        if node.kind == "output" and self.outgoing(node.id):
            raise GraphError(f"node {node.id!r} feeds other nodes and cannot be the output")

    def add_node(self, kind: str, size: int = 1, activation: str | None = None, *,
                 id: str | None = None, name: str = "",
                 position: tuple[float, float] = (0.0, 0.0)) -> Node:
        if activation is None:
            activation = "linear" if kind == "input" else ("sigmoid" if kind == "output" else "tanh")
        node_id = id if id is not None else self.new_id({"input": "x", "output": "y"}.get(kind, "h"))
        if node_id in self.nodes:
            raise GraphError(f"there is already a node {node_id!r}")
        node = Node(node_id, kind, size, activation, name,
                    (float(position[0]), float(position[1])))
        self._validate_node(node)
        self.nodes[node_id] = node
        self._emit("node_added", node)
        return node

    def remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        for c in self.incoming(node_id) + self.outgoing(node_id):
            self.disconnect(c.src, c.dst)
        del self.nodes[node_id]
        self._emit("node_removed", node)
        return node

    def update_node(self, node_id: str, **changes) -> Node:
        """Change kind, size, activation or name; masks are resized with the node."""
        old = self.node(node_id)
        unknown = set(changes) - {"kind", "size", "activation", "name"}
        if unknown:
            raise GraphError(f"node {node_id!r}: cannot change {', '.join(sorted(unknown))}")
        new = replace(old, **changes)
        self._validate_node(new, replacing=node_id)
        if new.size != old.size:
            self._check_parameters(self.parameter_count(sizes={node_id: new.size}),
                                   f"node {node_id!r} of size {new.size:,}")
        self.nodes[node_id] = new
        if new.size != old.size:
            for c in self.incoming(node_id) + self.outgoing(node_id):
                if c.mask is not None:
                    c.mask = self._resized_mask(c)
        self._emit("node_changed", new)
        return new

    def _resized_mask(self, c: Connection) -> np.ndarray | None:
        shape = (self.nodes[c.dst].size, self.nodes[c.src].size)
        mask = np.ones(shape, dtype=np.uint8)
        r, k = min(shape[0], c.mask.shape[0]), min(shape[1], c.mask.shape[1])
        mask[:r, :k] = c.mask[:r, :k]
        return None if mask.all() else mask

    def move_node(self, node_id: str, position: tuple[float, float]) -> Node:
        new = replace(self.node(node_id), position=(float(position[0]), float(position[1])))
        self.nodes[node_id] = new
        self._emit("node_moved", new)
        return new

    def connect(self, src: str, dst: str, mask=None) -> Connection:
        if src not in self.nodes:
            raise GraphError(f"cannot connect from {src!r}: there is no such node")
        if dst not in self.nodes:
            raise GraphError(f"cannot connect to {dst!r}: there is no such node")
        if src == dst:
            raise GraphError(f"cannot connect {src!r} to itself: that would be a cycle")
        if (src, dst) in self.connections:
            raise GraphError(f"{src!r} is already connected to {dst!r}")
        if self.nodes[dst].kind == "input":
            raise GraphError(f"cannot connect into the input node {dst!r}")
        if self.nodes[src].kind == "output":
            raise GraphError(f"cannot connect out of the output node {src!r}")
        if self._reaches(dst, src):
            raise GraphError(f"connecting {src!r} to {dst!r} would make a cycle "
                             f"({dst!r} already leads to {src!r})")
        self._check_parameters(self.parameter_count(extra=(src, dst)), f"connecting {src!r} to {dst!r}")
        self._check_weight_name(src, dst)
        conn = Connection(src, dst, self._checked_mask(src, dst, mask))
        self.connections[(src, dst)] = conn
        self._emit("connection_added", conn)
        return conn

    def _check_weight_name(self, src: str, dst: str) -> None:
        """Refuse a connection whose weights would share their name with another's."""
        if ARROW not in src and ARROW not in dst:   # one arrow in the name: one way to split it
            return
        clashes = collisions([*self.connections, (src, dst)])
        if clashes:
            (a, b), _new = clashes[0]
            raise GraphError(f"the connections {a!r} -> {b!r} and {src!r} -> {dst!r} would both have "
                             f"weights named {weight_name(src, dst)!r}, ambiguous because node ids "
                             f"contain {ARROW!r}: change those ids in the design file")

    def disconnect(self, src: str, dst: str) -> Connection:
        conn = self.connection(src, dst)
        del self.connections[(src, dst)]
        self._emit("connection_removed", conn)
        return conn

    def _checked_mask(self, src: str, dst: str, mask) -> np.ndarray | None:
        if mask is None:
            return None
        shape = (self.nodes[dst].size, self.nodes[src].size)
        try:
            m = np.asarray(mask)
            if m.dtype.kind not in "biuf":     # text ("1") and null are not 0s and 1s
                raise TypeError
            m = m.astype(float)
        except (TypeError, ValueError):
            raise GraphError(f"mask of {src!r} -> {dst!r} is not a table of 0s and 1s") from None
        if m.shape != shape:
            raise GraphError(f"mask of {src!r} -> {dst!r} has shape {m.shape}, "
                             f"expected {shape} ({dst!r} size × {src!r} size)")
        if not np.isin(m, (0, 1)).all():
            raise GraphError(f"mask of {src!r} -> {dst!r} may hold only 0 and 1")
        return None if m.all() else m.astype(np.uint8)

    def set_mask(self, src: str, dst: str, mask) -> Connection:
        conn = self.connection(src, dst)
        conn.mask = self._checked_mask(src, dst, mask)
        self._emit("mask_changed", conn)
        return conn

    def set_edges(self, src: str, dst: str, edges, enabled: bool) -> Connection:
        """Mask (enabled=False) or restore single edges given as (dst_index, src_index) pairs."""
        conn = self.connection(src, dst)
        shape = (self.nodes[dst].size, self.nodes[src].size)
        mask = np.ones(shape, np.uint8) if conn.mask is None else conn.mask.copy()
        for i, j in edges:
            if not (0 <= i < shape[0] and 0 <= j < shape[1]):
                raise GraphError(f"edge ({i}, {j}) is outside {src!r} -> {dst!r} of shape {shape}")
            mask[i, j] = 1 if enabled else 0
        return self.set_mask(src, dst, mask)

    def set_loss(self, loss: str) -> None:
        if loss not in losses.LOSSES:
            raise GraphError(f"unknown loss {loss!r} (use {', '.join(losses.LOSSES)})")
        self.loss = loss
        self._emit("loss_changed", loss)

    def check_loss(self) -> None:
        """Raise GraphError if the loss does not fit the output activation."""
        out = self.output_node()
        need = losses.REQUIRED_OUTPUT.get(self.loss)
        if out is not None and need and out.activation != need:
            raise GraphError(f"loss {self.loss!r} needs a {need} output, but {out.label!r} "
                             f"is {out.activation}: change one of them")
        if out is not None and out.activation == "softmax" and self.loss == "bce":
            raise GraphError("loss 'bce' needs a sigmoid output, not softmax")

    def _emit(self, name: str, *args) -> None:
        getattr(self.events, name).emit(*args)
        self.events.changed.emit(name, *args)

    # ----- snapshots for undo -------------------------------------------
    def snapshot(self) -> dict:
        """An independent copy of the whole design, for ``restore``."""
        return {"loss": self.loss, "settings": dict(self.settings),
                "nodes": dict(self.nodes),
                "connections": {k: c.copy() for k, c in self.connections.items()}}

    def restore(self, snap: dict) -> None:
        """Make the design equal to ``snap``, emitting only the changes (as one batch)."""
        with self.events.batch():
            self._restore(snap)

    def _restore(self, snap: dict) -> None:
        target_nodes, target_conns = snap["nodes"], snap["connections"]
        for key in [k for k in self.connections if k not in target_conns]:
            self.disconnect(*key)
        for nid in [n for n in self.nodes if n not in target_nodes]:
            self._emit("node_removed", self.nodes.pop(nid))
        for nid, node in target_nodes.items():
            old = self.nodes.get(nid)
            self.nodes[nid] = node
            if old is None:
                self._emit("node_added", node)
            elif old != node:
                if replace(old, position=node.position) != node:
                    self._emit("node_changed", node)
                if old.position != node.position:
                    self._emit("node_moved", node)
        for key, conn in target_conns.items():
            cur = self.connections.get(key)
            if cur is None:
                self.connections[key] = conn.copy()
                self._emit("connection_added", self.connections[key])
            elif not _same_mask(cur.mask, conn.mask):
                cur.mask = None if conn.mask is None else conn.mask.copy()
                self._emit("mask_changed", cur)
        # Keep the snapshot's order, so that files and layouts come out the same.
        self.nodes = {nid: self.nodes[nid] for nid in target_nodes}
        self.connections = {k: self.connections[k] for k in target_conns}
        self.settings = dict(snap["settings"])
        if self.loss != snap["loss"]:
            self.set_loss(snap["loss"])

    def same_design(self, other: "Graph") -> bool:
        """Equal nodes (with positions), connections, masks and loss."""
        return (self.loss == other.loss and self.nodes == other.nodes
                and self.connections.keys() == other.connections.keys()
                and all(_same_mask(c.mask, other.connections[k].mask)
                        for k, c in self.connections.items()))

    # ----- files ---------------------------------------------------------
    def to_dict(self) -> dict:
        from engine.model.design_format import graph_to_dict
        return graph_to_dict(self)

    @classmethod
    def from_dict(cls, data) -> "Graph":
        from engine.model.design_format import graph_from_dict
        return graph_from_dict(data)

    def save(self, path) -> None:
        from engine.model.design_format import save_design
        save_design(self, path)

    @classmethod
    def load(cls, path) -> "Graph":
        from engine.model.design_format import load_design
        return load_design(path)

    def copy(self) -> "Graph":
        """An independent copy, settings (nested too) included."""
        from copy import deepcopy
        copied = Graph.from_dict(self.to_dict())
        copied.settings = deepcopy(self.settings)
        return copied


def _same_mask(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))
