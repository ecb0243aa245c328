"""The Graph of Operations window and what opens it.

``OpGraphController(graph, replay, scene)`` opens the window for one neuron
(``show_neuron(node, k)``, from the canvas's context menu) or for the whole network
(``show_network()``, from View ▸ Graph of Operations…). It draws the example the replay
traces, with the replay's float64 copy of the weights, starting the replay when it is not
running; stepping the replay lights up the operations of the current step, and a new example
or new weights redraw the graph. Beside the graph: the paths of the selected weight and the
count of multiplications, enumeration against backpropagation.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QPainter, QTransform
from PySide6.QtWidgets import (QGraphicsView, QLabel, QSplitter, QTextBrowser, QVBoxLayout,
                               QWidget)

from engine import GraphError
from engine.nn import op_graph, path_count
from gui.replay.op_graph_scene import OpGraphScene
from gui.replay.op_graph_text import counts_html, lit_scalars, paths_html

READABLE_SCALE = 0.85  # the first view keeps the numbers legible; double-click fits all
COUNT_LIMIT = 20_000   # the network's counts are computed on graphs up to this many operations


class OpGraphView(QGraphicsView):
    """Pans by dragging, zooms with the wheel (or Ctrl++ / Ctrl+−), fits on double-click."""

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)

    def wheelEvent(self, event) -> None:
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        self.scale(factor, factor)

    def fit(self) -> None:
        self.fitInView(self.scene().sceneRect(), Qt.KeepAspectRatio)

    def fit_readable(self, focus) -> None:
        """Fit, but no smaller than READABLE_SCALE: then centre on ``focus`` (an item)."""
        self.fit()
        if self.transform().m11() < READABLE_SCALE and focus is not None:
            self.setTransform(QTransform.fromScale(READABLE_SCALE, READABLE_SCALE))
            self.centerOn(focus)

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit()


class OpGraphWindow(QWidget):
    """The graph on the left; the paths of a weight and the counts on the right."""

    def __init__(self, parent=None):
        super().__init__(parent, Qt.Window)
        self.setWindowTitle("Graph of Operations")
        self.scene = OpGraphScene(self)
        self.view = OpGraphView(self.scene)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.side = QTextBrowser()
        self.side.setOpenLinks(False)
        left = QWidget()
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.heading)
        box.addWidget(self.view, 1)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)
        for keys, how in ((QKeySequence.ZoomIn, lambda: self.view.scale(1.25, 1.25)),
                          (QKeySequence.ZoomOut, lambda: self.view.scale(0.8, 0.8)),
                          (QKeySequence("Ctrl+0"), self.view.fit)):
            action = QAction(self)
            action.setShortcut(keys)
            action.triggered.connect(how)
            self.addAction(action)
        self.resize(1280, 800)
        self.graph: op_graph.OpGraph | None = None
        self.network_counts: path_count.Counts | None = None
        self.network_problem = ""
        self.weight: int | None = None
        self.scene.weight_clicked.connect(self.select_weight)

    def show_graph(self, g: op_graph.OpGraph, counts, problem: str = "") -> None:
        """Draw ``g``; ``counts`` are the whole network's (None with ``problem`` saying why)."""
        self.graph, self.network_counts, self.network_problem = g, counts, problem
        self.scene.set_graph(g)
        self.heading.setText(f"<b>{g.title}</b>: {g.operations()} scalar operations, value and "
                             f"gradient ∂L/∂· in each box, local derivatives on the edges (1 into every +). "
                             f"Click a weight to list its paths; wheel to zoom, "
                             f"double-click to fit.")
        self.weight = None
        self.select_weight(_most_paths(g))
        self.view.fit_readable(self.scene.records.get(self.weight))

    def show_problem(self, text: str) -> None:
        self.graph = None
        self.scene.clear()
        self.heading.setText(text)
        self.side.setHtml("")

    def select_weight(self, sid: int | None) -> None:
        """List the paths of weight ``sid`` (a scalar id of the graph) to the loss."""
        if self.graph is None:
            return
        self.weight = sid
        self.scene.select_weight(sid)
        parts = [paths_html(self.graph, sid)] if sid is not None else []
        parts.append(counts_html(self.graph, sid, self.network_counts, self.network_problem))
        self.side.setHtml("".join(parts))

    def side_text(self) -> str:
        return self.side.toPlainText()


def _most_paths(g: op_graph.OpGraph) -> int | None:
    """The weight reaching the loss by the most paths (the first such)."""
    weights = g.weights()
    if not weights:
        return None
    return max(weights, key=lambda w: (path_count.counts(g, [w.id]).paths, -w.id)).id


class OpGraphController(QObject):
    """Opens the window on the replay's example and keeps it in step with the replay."""

    def __init__(self, graph, replay, scene=None, parent=None):
        super().__init__(parent)
        self.graph, self.replay = graph, replay
        if scene is not None:   # the canvas's "Show graph of operations…" on a neuron
            scene.operations_requested.connect(self.show_neuron)
        self.window: OpGraphWindow | None = None
        self.target: tuple[str, int] | None = None    # a neuron, or None for the network
        self._steps = None
        self.action = QAction("Graph of &Operations…", parent)
        self.action.setObjectName("graph_of_operations")
        self.action.setShortcut(QKeySequence("Shift+F7"))
        tip = "Draw the whole network's pass as scalar operations (small networks)"
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.triggered.connect(self.show_network)
        replay.bar.frame_changed.connect(self._on_frame)

    def show_network(self) -> None:
        self._open(None)

    def show_neuron(self, node: str, k: int) -> None:
        self._open((node, k))

    def _open(self, target) -> None:
        self.target = target
        if self.window is None:
            self.window = OpGraphWindow(self.parent())
        self.replay.dock.show()
        self.replay.activate()
        self._rebuild()
        self.window.show()
        self.window.raise_()

    def _rebuild(self) -> None:
        w, r = self.window, self.replay
        self._steps = r.steps
        if r.steps is None or r.net is None:
            w.show_problem(r.bar.caption.text() or "Nothing to replay yet.")
            return
        x, t = r.X[0], r.T[0]
        try:
            if self.target is None:
                g = op_graph.network_graph(r.net, x, t)
            else:
                g = op_graph.neuron_graph(r.net, x, t, *self.target)
        except GraphError as e:
            w.show_problem(str(e))
            return
        counts, problem = None, ""
        try:
            whole = g if self.target is None else op_graph.network_graph(r.net, x, t, COUNT_LIMIT)
            counts = path_count.counts(whole, path_count.parameters(whole))
        except op_graph.TooManyOperations as e:
            problem = f"The whole network is not counted: it has {e.count} operations."
        w.show_graph(g, counts, problem)
        self._light(r.bar.current_frame())

    def _on_frame(self, k: int) -> None:
        if self.window is None or not self.window.isVisible():
            return
        if self.replay.steps is not self._steps:   # a new example or new weights
            self._rebuild()
            return
        self._light(k)

    def _light(self, k: int) -> None:
        timeline, g = self.replay.timeline, self.window.graph
        if timeline is None or g is None:
            return
        f = timeline.frame(k)
        self.window.scene.light(lit_scalars(g, f.phase, f.node, f.path))
