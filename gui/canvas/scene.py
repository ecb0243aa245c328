"""The canvas scene: mirrors a Graph with node and connection items.

The scene subscribes to the Graph's events and adds, changes, moves or removes
items accordingly; that is the only way items change. User gestures become
named edits pushed on the undo stack (``SceneEdits`` in edits.py, copy and paste in
clipboard.py's ``ClipboardCommands``, the mouse in interactions.py); a refused edit
changes nothing and its reason is sent through ``message``.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene

from engine import Graph, GraphError
from gui.canvas.clipboard import ClipboardCommands
from gui.canvas.connection_item import ConnectionItem
from gui.canvas.device_picture import finish_queued
from gui.canvas.edge_refiner import EdgeRefiner
from gui.canvas.edits import SceneEdits
from gui.canvas.interactions import ConnectInteraction, SceneInteractions
from gui.canvas.node_item import NodeItem
from gui.core import colormap

SCENE_MARGIN = 2000.0  # room to pan around the design
REFINE_MS = 250        # after the last zoom step, large connections draw every edge again
EVENTS = ("node_added", "node_removed", "node_changed", "node_moved", "connection_added",
          "connection_removed", "mask_changed")


class CanvasScene(SceneEdits, ClipboardCommands, SceneInteractions, QGraphicsScene):
    """Items for every node and connection of ``graph``; edits go to ``undo_stack``."""

    message = Signal(str)
    selection_changed = Signal()
    operations_requested = Signal(str, int)   # (node id, neuron): show its graph of operations

    def __init__(self, graph: Graph, undo_stack, parent=None):
        super().__init__(parent)
        self.setItemIndexMethod(QGraphicsScene.NoIndex)
        self.setBackgroundBrush(colormap.BACKGROUND)
        self.graph, self.undo_stack = graph, undo_stack
        self.node_items: dict[str, NodeItem] = {}
        self.connection_items: dict[tuple[str, str], ConnectionItem] = {}
        self.edge_tooltip = None
        self._edge_values = None
        self._edge_mode = "gradient"
        self._scale: tuple[float, float] | None = None
        self._neuron_values = None
        self._neuron_images: dict = {}
        self._edge: tuple[str, str, int, int] | None = None
        self._interaction: ConnectInteraction | None = None
        self._quiet = False
        self._paste_count = 0
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_MS)
        self._refine_timer.timeout.connect(self.refine_edges)
        self.edge_refiner = EdgeRefiner(self)   # redraws large connections on worker threads
        for name in EVENTS:
            getattr(graph.events, name).connect(getattr(self, f"_on_{name}"))
        self.selectionChanged.connect(self._on_qt_selection)
        self._mirror_graph()

    def close(self) -> None:
        """Stop following the Graph (before dropping the scene)."""
        for name in EVENTS:
            getattr(self.graph.events, name).disconnect(getattr(self, f"_on_{name}"))

    # ----- following the Graph ----------------------------------------------
    def _mirror_graph(self) -> None:
        """Add an item for each node and connection the Graph already has (at construction)."""
        for node in self.graph.nodes.values():
            self._on_node_added(node)
        for conn in self.graph.connections.values():
            self._on_connection_added(conn)

    def _on_node_added(self, node) -> None:
        item = NodeItem(node)
        self.node_items[node.id] = item
        self.addItem(item)
        if self._neuron_values is not None:
            self.set_neuron_values(self._neuron_values)
        self._grow_scene_rect(item)

    def _on_node_removed(self, node) -> None:
        item = self.node_items.pop(node.id)
        for conn in list(item.connections):
            self._on_connection_removed(conn)
        self.removeItem(item)

    def _on_node_changed(self, node) -> None:
        item = self.node_items[node.id]
        resized = item.node.size != node.size
        item.set_node(node)
        item.set_images(self._neuron_images.get(node.id))
        self._grow_scene_rect(item)
        if not resized:     # a new name, kind or activation: the edges stay as they are
            return
        for conn_item in item.connections:
            conn_item.set_mask(self.graph.connections[conn_item.key].mask)
        self._check_edge()
        if self._neuron_values is not None:
            self.set_neuron_values(self._neuron_values)

    def _on_node_moved(self, node) -> None:
        item = self.node_items[node.id]
        item.node = node
        if (item.pos().x(), item.pos().y()) != node.position:
            item.setPos(*node.position)
            for conn_item in item.connections:
                conn_item.refine()
        self._grow_scene_rect(item)

    def _on_connection_added(self, conn) -> None:
        item = ConnectionItem(self.node_items[conn.src], self.node_items[conn.dst], conn.mask)
        self.connection_items[conn.pair] = item
        self.addItem(item)
        if self._edge_values is not None:
            item.set_values(self._edge_values.get(conn.pair), self._edge_mode, self._scale)

    def _on_connection_removed(self, conn) -> None:
        item = self.connection_items.pop(conn.pair, None)
        if item is None:
            return
        item.detach()
        self.removeItem(item)
        self._check_edge()

    def _on_mask_changed(self, conn) -> None:
        self.connection_items[conn.pair].set_mask(conn.mask)
        self._check_edge()

    def _grow_scene_rect(self, item) -> None:
        """Take in a node where it now is (its edges lie between nodes); one node, not the
        whole scene, so that adding a thousand nodes stays linear."""
        rect = item.sceneBoundingRect().adjusted(-SCENE_MARGIN, -SCENE_MARGIN,
                                                 SCENE_MARGIN, SCENE_MARGIN)
        self.setSceneRect(self.sceneRect().united(rect))

    # ----- selection ---------------------------------------------------------------
    def _on_qt_selection(self) -> None:
        if self._quiet:
            return
        if self._edge is not None and self.selectedItems():
            self._set_edge(None)
        self.selection_changed.emit()

    def _set_edge(self, edge) -> None:
        if self._edge is not None and self._edge[:2] in self.connection_items:
            self.connection_items[self._edge[:2]].select_edge(None)
        self._edge = edge
        if edge is not None:
            self.connection_items[edge[:2]].select_edge((edge[2], edge[3]))

    def _check_edge(self) -> None:
        """Drop the selected edge if its connection or the edge itself is gone."""
        if self._edge is not None:
            item = self.connection_items.get(self._edge[:2])
            if item is None or not item.has_edge(self._edge[2], self._edge[3]):
                self._set_edge(None)
                self.selection_changed.emit()

    def select_edge(self, edge: tuple[str, str, int, int] | None) -> None:
        """Select one edge (src, dst, dst_index, src_index), deselecting everything else."""
        if edge is not None:
            item = self.connection_items.get(tuple(edge[:2]))
            if item is None or not item.has_edge(edge[2], edge[3]):
                raise GraphError(f"there is no edge {edge!r}")
            edge = (edge[0], edge[1], int(edge[2]), int(edge[3]))
        self._quiet = True
        self.clearSelection()
        self._quiet = False
        self._set_edge(edge)
        self.selection_changed.emit()

    def selected_node_ids(self) -> list[str]:
        return [n for n in self.graph.nodes if self.node_items[n].isSelected()]

    def selected_connection_keys(self) -> list[tuple[str, str]]:
        return [k for k in self.graph.connections if self.connection_items[k].isSelected()]

    def selected_edge(self) -> tuple[str, str, int, int] | None:
        return self._edge

    def select_all(self) -> None:
        self._quiet = True
        for item in list(self.node_items.values()) + list(self.connection_items.values()):
            item.setSelected(True)
        self._quiet = False
        self._on_qt_selection()

    def coarse_edges(self) -> None:
        """While zooming: large connections redraw a subsample until the zoom settles.

        Their grey layer is cached in device pixels, so every zoom step re-renders
        it; with 48-fold overdraw a subsample looks the same and costs a tenth.
        """
        for item in self.connection_items.values():
            item.set_coarse()
        self._refine_timer.start()

    def refine_edges(self) -> None:
        """The zoom or drag has settled: large connections draw every edge again, on worker
        threads (``edges_refining`` until the pictures are shown)."""
        for item in self.connection_items.values():
            item.refine()

    def settle_edges(self) -> bool:
        """Draw now what the edges wait to show (a full redraw in progress, new colours queued
        for their pictures), for a screenshot; True if anything waited."""
        refining = self.edge_refiner.pending()
        if refining:
            self.edge_refiner.finish()
        return finish_queued() or refining

    def edges_refining(self) -> bool:
        """True while a large connection's full picture is still being drawn."""
        return self.edge_refiner.pending()

    # ----- values shown on the canvas -------------------------------------------
    def set_edge_values(self, values: dict | None, mode: str = "gradient") -> None:
        """Colour edges by one value per weight (see module docs of colormap); None: grey."""
        if mode not in ("gradient", "weight"):
            raise ValueError(f"unknown edge colouring {mode!r} (use 'gradient' or 'weight')")
        fitting = {}
        for key, v in (values or {}).items():
            item = self.connection_items.get(tuple(key))
            if item is not None and np.shape(v) == item.shape_ij:
                fitting[tuple(key)] = np.asarray(v, dtype=np.float64)
        self._edge_values = None if values is None else fitting
        self._edge_mode = mode
        mags = [np.abs(v[np.isfinite(v)]) for v in fitting.values()]
        if values is None:
            self._scale = None
        elif mode == "gradient":
            self._scale = colormap.log_scale(mags)
        else:
            wmax = max((float(m.max()) for m in mags if m.size), default=0.0)
            self._scale = (-wmax, wmax)
        for key, item in self.connection_items.items():
            item.set_values(fitting.get(key), mode, self._scale)

    def color_scale(self) -> tuple[float, float] | None:
        """(vmin, vmax): log10 |gradient| in "gradient" mode, (-max|w|, max|w|) in "weight"."""
        return self._scale

    def set_neuron_values(self, values: dict | None) -> None:
        """Tint neurons by one number each (per node id); None clears."""
        self._neuron_values = values
        arrays = {k: np.asarray(v, dtype=np.float64).ravel() for k, v in (values or {}).items()}
        finite = [np.abs(a[np.isfinite(a)]) for a in arrays.values()]
        vmax = max((float(a.max()) for a in finite if a.size), default=0.0)
        for nid, item in self.node_items.items():
            item.set_values(arrays.get(nid), vmax)

    def set_neuron_images(self, images: dict | None) -> None:
        """Thumbnails of each neuron's output over the input plane: node id -> (size, ny, nx).

        Nodes missing from ``images`` (or None, or {}) show plain neurons again.
        """
        self._neuron_images = dict(images or {})
        for nid, item in self.node_items.items():
            item.set_images(self._neuron_images.get(nid))

    def edge_text(self, item: ConnectionItem, i: int, j: int) -> str:
        if callable(self.edge_tooltip):
            try:
                return str(self.edge_tooltip(item.key[0], item.key[1], i, j))
            except Exception:  # a failing tooltip must not break hovering
                pass
        return item.edge_label(i, j)

    # ----- checks ---------------------------------------------------------------
    def items_match_graph(self) -> str | None:
        """None if the items mirror the Graph exactly, else the first difference."""
        g = self.graph
        if self.node_items.keys() != g.nodes.keys():
            return f"node items {sorted(self.node_items)} but graph nodes {sorted(g.nodes)}"
        if self.connection_items.keys() != g.connections.keys():
            return (f"connection items {sorted(self.connection_items)} "
                    f"but graph connections {sorted(g.connections)}")
        for nid, node in g.nodes.items():
            problem = self.node_items[nid].difference(node)
            if problem:
                return problem
        for key, conn in g.connections.items():
            problem = self.connection_items[key].difference(
                conn, self.node_items[key[0]], self.node_items[key[1]])
            if problem:
                return problem
        drawn = [i for i in self.items() if isinstance(i, (NodeItem, ConnectionItem))]
        if len(drawn) != len(g.nodes) + len(g.connections):
            return f"{len(drawn)} items in the scene for {len(g.nodes) + len(g.connections)} nodes and connections"
        if self._edge is not None and not self.connection_items[self._edge[:2]].has_edge(*self._edge[2:]):
            return f"the selected edge {self._edge} does not exist"
        return None
