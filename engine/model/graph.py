"""The design: nodes (groups of neurons), connections between them, and edge masks.

The Graph validates every edit (engine.model.rules) and refuses a bad one with a
GraphError that names the nodes involved. Every change is announced through
``graph.events`` so that views can mirror it. ``snapshot`` and ``restore`` give exact
undo: restore diffs the current design against the snapshot and emits only the
events that differ. The file format is engine.model.design_format's, as plain data.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import replace

import numpy as np

from engine.model import design_format, rules
from engine.model.elements import Connection, Node
from engine.model.errors import GraphError
from engine.model.events import GraphEvents
from engine.model.preprocessing import Preprocessing
from engine.model.queries import GraphQueries
from engine.model.rules import KINDS, MAX_PARAMETERS, MAX_SIZE

__all__ = ["Graph", "GraphError", "Node", "Connection", "KINDS", "MAX_SIZE", "MAX_PARAMETERS"]


class Graph(GraphQueries):
    """A directed acyclic graph of nodes and connections, with a loss.

    ``settings`` holds extra design-level fields (training settings) that are
    saved with the design and otherwise left alone; ``preprocessing`` the transform
    fitted on the data (engine.model.preprocessing), saved with it too. The queries (lookups, counts,
    topological order) come from GraphQueries.
    """

    def __init__(self, loss: str = "mse"):
        self.events = GraphEvents()
        self.nodes: dict[str, Node] = {}
        self.connections: dict[tuple[str, str], Connection] = {}
        self.loss = "mse"
        self.settings: dict = {}
        # The fitted input and target transforms (None until trained on data); not part of undo.
        self.preprocessing: Preprocessing | None = None
        self.set_loss(loss)

    # ----- checks --------------------------------------------------------
    def check_complete(self) -> None:
        """Raise GraphError unless the design can be compiled into a network."""
        rules.check_complete(self)

    def check_loss(self) -> None:
        """Raise GraphError if the loss does not fit the output activation."""
        rules.check_loss(self)

    # ----- edits ---------------------------------------------------------
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
        rules.check_node(self, node)
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
        rules.check_node(self, new, replacing=node_id)
        if new.size != old.size:
            rules.check_parameters(self.parameter_count(sizes={node_id: new.size}),
                                   f"node {node_id!r} of size {new.size:,}")
        self.nodes[node_id] = new
        if new.size != old.size:
            for c in self.incoming(node_id) + self.outgoing(node_id):
                if c.mask is not None:
                    c.mask = self._resized_mask(c)
        self._emit("node_changed", new)
        return new

    def _resized_mask(self, c: Connection) -> np.ndarray | None:
        shape = self._shape(c.src, c.dst)
        mask = np.ones(shape, dtype=np.uint8)
        r, k = min(shape[0], c.mask.shape[0]), min(shape[1], c.mask.shape[1])
        mask[:r, :k] = c.mask[:r, :k]
        return None if mask.all() else mask

    def _shape(self, src: str, dst: str) -> tuple[int, int]:
        """The weight matrix's shape of ``src`` -> ``dst``: dst size × src size."""
        return (self.nodes[dst].size, self.nodes[src].size)

    def move_node(self, node_id: str, position: tuple[float, float]) -> Node:
        new = replace(self.node(node_id), position=(float(position[0]), float(position[1])))
        self.nodes[node_id] = new
        self._emit("node_moved", new)
        return new

    def connect(self, src: str, dst: str, mask=None) -> Connection:
        rules.check_connection(self, src, dst)
        conn = Connection(src, dst, rules.checked_mask(mask, self._shape(src, dst), src, dst))
        self.connections[(src, dst)] = conn
        self._emit("connection_added", conn)
        return conn

    def disconnect(self, src: str, dst: str) -> Connection:
        conn = self.connection(src, dst)
        del self.connections[(src, dst)]
        self._emit("connection_removed", conn)
        return conn

    def set_mask(self, src: str, dst: str, mask) -> Connection:
        conn = self.connection(src, dst)
        conn.mask = rules.checked_mask(mask, self._shape(src, dst), src, dst)
        self._emit("mask_changed", conn)
        return conn

    def set_edges(self, src: str, dst: str, edges, enabled: bool) -> Connection:
        """Mask (enabled=False) or restore single edges given as (dst_index, src_index) pairs."""
        conn = self.connection(src, dst)
        shape = self._shape(src, dst)
        mask = np.ones(shape, np.uint8) if conn.mask is None else conn.mask.copy()
        for i, j in edges:
            if not (0 <= i < shape[0] and 0 <= j < shape[1]):
                raise GraphError(f"edge ({i}, {j}) is outside {src!r} -> {dst!r} of shape {shape}")
            mask[i, j] = 1 if enabled else 0
        return self.set_mask(src, dst, mask)

    def set_loss(self, loss: str) -> None:
        rules.check_loss_name(loss)
        self.loss = loss
        self._emit("loss_changed", loss)

    def set_preprocessing(self, preprocessing: Preprocessing | None) -> bool:
        """Adopt a (re)fitted transform; False when it equals the one the design has."""
        if preprocessing is None and self.preprocessing is None or \
                preprocessing is not None and preprocessing.same_as(self.preprocessing):
            return False
        self.preprocessing = preprocessing
        self._emit("preprocessing_changed", preprocessing)
        return True

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

    def same_design(self, other: Graph) -> bool:
        """Equal nodes (with positions), connections, masks and loss."""
        return (self.loss == other.loss and self.nodes == other.nodes
                and self.connections.keys() == other.connections.keys()
                and all(_same_mask(c.mask, other.connections[k].mask)
                        for k, c in self.connections.items()))

    # ----- files ---------------------------------------------------------
    def to_dict(self) -> dict:
        """The design file's dict (engine.model.design_format)."""
        nodes = [{"id": n.id, "kind": n.kind, "size": n.size, "activation": n.activation,
                  "name": n.name, "position": n.position} for n in self.nodes.values()]
        conns = [{"src": c.src, "dst": c.dst,
                  "mask": None if c.mask is None else c.mask.astype(int).tolist()}
                 for c in self.connections.values()]
        return design_format.design_document(self.loss, nodes, conns, self.settings, self.preprocessing)

    @classmethod
    def from_dict(cls, data) -> Graph:
        """The design in a design file's dict; GraphError naming the field or node if it is bad."""
        return cls._from_design(design_format.parse_design(data))

    @classmethod
    def _from_design(cls, design: dict) -> Graph:
        graph = cls(loss=design["loss"])
        for n in design["nodes"]:
            graph.add_node(n["kind"], n["size"], n["activation"], id=n["id"], name=n["name"],
                           position=n["position"])
        for c in design["connections"]:
            graph.connect(c["src"], c["dst"], c["mask"])
        graph.settings = design["settings"]
        graph.preprocessing = design["preprocessing"]
        # A loss that does not fit the output yet is a design in progress, like an unconnected
        # node: it loads (the app saved it), and training says what to change.
        return graph

    def save(self, path) -> None:
        design_format.write_design(path, self.to_dict())

    @classmethod
    def load(cls, path) -> Graph:
        design = design_format.read_design(path)
        with design_format.named_for(path):
            return cls._from_design(design)

    def copy(self) -> Graph:
        """An independent copy, settings (nested too) included."""
        copied = Graph.from_dict(self.to_dict())
        copied.settings = deepcopy(self.settings)
        return copied


def _same_mask(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.shape == b.shape and bool(np.array_equal(a, b))
