"""The replay drawn on the canvas: lit nodes, numbers beside neurons, edge colours.

One item on top of the scene shows a ReplayTimeline frame: the active node
glows, the nodes computed so far in this phase are lit, each neuron of a known
node gets its z and a (forward), y and t (loss) or δ (backward) beside it, the
loss is marked at the output and the path being gathered is drawn. Edges take
their colours through the scene's own ``set_edge_values``: w·a of the edges
into the node being computed (forward), dL/dW as soon as it is formed
(backward), the change −lr·dL/dW (update). Numbers are shown only for nodes
the canvas draws neuron by neuron (≤ 32 neurons); when at most ``MAX_EDGE_LABELS`` edges
are coloured, each edge's value is written on it. ``edge_meaning`` says what the colours
stand for (the replay's legend). The item lets the mouse through to the canvas;
``label_at`` tells a view which neuron's number lies under a click.
An edge's value goes where it overlaps no other number, or is left out.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.model.param_names import bias_name, by_connection, weight_name
from gui.canvas.node_item import COLUMN_W, SELECTED
from gui.core.formatting import fmt, fmt_units

ACTIVE = QColor(SELECTED)
LIT = QColor(SELECTED.red(), SELECTED.green(), SELECTED.blue(), 70)
PATH = QColor(SELECTED.red(), SELECTED.green(), SELECTED.blue(), 110)
TEXT = QColor(236, 239, 242)
DIM_TEXT = QColor(150, 156, 166)
LOSS = QColor(239, 83, 80)
LABEL_BG = QColor(22, 24, 29, 215)
EDGE_LABEL_FRAME = QColor(104, 112, 124)
TEXT_GAP = 5.0
MARGIN = 60.0
MAX_TEXT_W = 190.0
MAX_EDGE_LABELS = 12
EDGE_LABEL_AT = (0.62, 0.45, 0.78, 0.3, 0.88, 0.18)   # where along an edge its value may sit, in order
MEANINGS = {   # (phase, colour mode): (what an edge's colour is, how to read it)
    ("forward", "weight"): ("w·a: what each edge adds to z", "orange: negative · blue: positive"),
    ("update", "weight"): ("Δw = −lr·∂L/∂w", "orange: w decreases · blue: w increases"),
}
GRADIENT_MEANING = ("|∂L/∂w| (log scale)", "dark: small · bright: large gradient")


class ReplayOverlay(QGraphicsItem):
    """Shows one replay frame on top of ``scene`` (a CanvasScene); ``clear`` hides it."""

    Z = 50.0

    def __init__(self, scene):
        super().__init__()
        self.setZValue(self.Z)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setAcceptHoverEvents(False)
        self.canvas = scene
        self.frame = None
        self.timeline = None
        self.example = 0
        self.weights: dict | None = None
        self.preprocessing = None
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._metrics = QFontMetricsF(self._font)
        self._labels: list[tuple[QRectF, str, QColor, str, int]] = []  # rect, text, colour, node, k
        self._edge_values: dict = {}
        self._edge_mode = "gradient"
        self._edge_labels: list[tuple[QRectF, str, tuple]] = []   # rect, text, (src, dst, i, j)
        self._rect = QRectF()
        self._placed: tuple = ()
        scene.addItem(self)
        scene.changed.connect(self._on_scene_changed)

    # ----- API ------------------------------------------------------------------------
    def set_frame(self, frame, timeline, example: int = 0, weights: dict | None = None,
                  preprocessing=None) -> None:
        """Show ``frame`` of ``timeline`` for one example of the traced batch.

        ``weights`` (the network's parameters, "W:src->dst" arrays) lets forward
        frames colour each edge by its contribution w·a; ``preprocessing`` (the
        data's Preprocessing) adds a regression output's value in the target's units.
        """
        self.frame, self.timeline, self.weights = frame, timeline, weights
        self.preprocessing = preprocessing
        self.example = int(min(max(example, 0), timeline.batch - 1)) if timeline else 0
        self._paint_edges()
        self._layout()

    def clear(self) -> None:
        """Hide the replay and give the edges back their plain look."""
        self.frame = self.timeline = None
        self.canvas.set_edge_values(None)
        self._layout()

    def labels(self) -> list[tuple[str, int, str]]:
        """(node, neuron, text) of every number shown (for tests and accessibility)."""
        return [(node, k, text) for _, text, _, node, k in self._labels]

    def edge_labels(self) -> list[tuple[tuple[str, str, int, int], str]]:
        """((src, dst, i, j), text) of every value written on an edge."""
        return [(edge, text) for _, text, edge in self._edge_labels]

    def edge_meaning(self) -> tuple[str, str, str] | None:
        """(colour mode, title, how to read it) of the edge colours shown; None if uncoloured."""
        f = self.frame
        if f is None or not self._edge_values:
            return None
        return (self._edge_mode, *MEANINGS.get((f.phase, self._edge_mode), GRADIENT_MEANING))

    def label_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """(node, neuron) of the number under ``scene_pos``, if any."""
        for rect, _, _, node, k in reversed(self._labels):
            if rect.contains(scene_pos):
                return node, k
        return None

    def label_rect(self, node: str, k: int) -> QRectF | None:
        """Where the number of neuron ``k`` of ``node`` is drawn (scene coordinates), if shown."""
        return next((rect for rect, _, _, n, i in self._labels if (n, i) == (node, k)), None)

    def detach(self) -> None:
        """Leave the scene (before the overlay is dropped)."""
        try:
            self.canvas.changed.disconnect(self._on_scene_changed)
        except (RuntimeError, TypeError):
            pass
        if self.scene() is not None:
            self.scene().removeItem(self)

    # ----- edge colours -------------------------------------------------------------------
    def _paint_edges(self) -> None:
        f, values, mode = self.frame, None, "gradient"
        if f is None or f.phase == "loss":
            pass
        elif f.phase == "forward":
            values = {}
            if self.weights is not None:
                for (s, d) in f.active_connections:
                    w = self.weights.get(weight_name(s, d))
                    a = f.values.get(s, {}).get("a")
                    if w is not None and a is not None:
                        values[(s, d)] = w * a[self.example][None, :]   # each edge's w·a
            mode = "weight"
        elif f.phase == "update" and f.changes:
            values, mode = by_connection(f.changes, self.timeline.graph.connections), "weight"
        else:
            values = dict(f.gradients)
        self.canvas.set_edge_values(values, mode)
        items = self.canvas.connection_items
        self._edge_mode = mode
        self._edge_values = {k: v for k, v in (values or {}).items()
                             if k in items and np.shape(v) == items[k].shape_ij}

    # ----- layout of the labels -----------------------------------------------------------
    def _on_scene_changed(self, _regions) -> None:
        # Nodes dragged or resized: the labels follow (cheap to check, rare to redo).
        if self.frame is not None and self._signature() != self._placed:
            self._layout()

    def _signature(self) -> tuple:
        return tuple((n, it.pos().x(), it.pos().y(), it.node.size)
                     for n, it in self.canvas.node_items.items())

    def _bounds(self) -> QRectF:
        rect = QRectF()
        for item in self.canvas.node_items.values():
            rect = rect.united(item.sceneBoundingRect())
        return rect.adjusted(-MARGIN, -MARGIN, MAX_TEXT_W + MARGIN, MARGIN)

    def _layout(self) -> None:
        self.prepareGeometryChange()
        self._labels = []
        self._edge_labels = []
        if self.frame is None:
            self._rect = QRectF()
            self.update()
            return
        self._rect = self._bounds()
        self._placed = self._signature()
        for node_id, item in self.canvas.node_items.items():
            if not item.drawn:
                continue  # the canvas's compact mode: no per-neuron numbers
            for k, (text, color) in enumerate(self._neuron_texts(node_id, item.node.size)):
                if not text:
                    continue
                x = item.pos().x() + item.edge_dx + TEXT_GAP
                y = item.pos().y() + item.offsets[k]
                w = min(self._metrics.horizontalAdvance(text) + 6, MAX_TEXT_W)
                h = self._metrics.height() + 2
                rect = QRectF(x, y - h / 2, w, h)
                self._labels.append((rect, text, color, node_id, k))
        self._place_edge_labels()
        self.update()

    def _place_edge_labels(self) -> None:
        """Each coloured edge's value on the edge itself, when there are few of them."""
        items = self.canvas.connection_items
        if sum(items[k].edge_count() for k in self._edge_values) > MAX_EDGE_LABELS:
            return
        taken = [rect for rect, *_ in self._labels]
        h = self._metrics.height() + 2
        for key, values in self._edge_values.items():
            item = items[key]
            for (x1, y1, x2, y2), i, j in zip(item.lines, item.i, item.j):
                text = fmt(values[i, j])
                w = self._metrics.horizontalAdvance(text) + 6
                for t in EDGE_LABEL_AT:   # the first free place along the edge; none: no label
                    rect = QRectF(x1 + t * (x2 - x1) - w / 2, y1 + t * (y2 - y1) - h / 2, w, h)
                    if not any(rect.intersects(r) for r in taken):
                        taken.append(rect)
                        self._edge_labels.append((rect, text, (*key, int(i), int(j))))
                        break

    def _neuron_texts(self, node: str, size: int) -> list[tuple[str, QColor]]:
        """The text beside each neuron of ``node`` at the current frame."""
        f, e = self.frame, self.example
        vals = f.values.get(node)
        if vals is None or vals["a"].shape[1] != size:  # unknown, or resized since the trace
            return []
        backward = f.phase in ("gather", "backward", "update")
        if f.phase == "update" and f.changes and bias_name(node) in f.changes:
            db = f.changes[bias_name(node)]
            return [(f"Δb {fmt(db[k])}", TEXT) for k in range(size)]
        if backward and "delta" in vals:
            return [(f"δ {fmt(vals['delta'][e, k])}", TEXT) for k in range(size)]
        if backward and f.phase == "gather" and node == f.node:
            parts = [(d, p) for (s, d), p in f.paths.items() if s == node]
            return [("  ".join(f"{self.timeline.label(d)}: {_signed(p[e, k])}" for d, p in parts),
                     ACTIVE) for k in range(size)]
        units = self._in_units(node)
        if f.phase == "loss" and node == f.node and f.loss is not None:
            y, t = f.loss["y"], f.loss["t"]
            return [(f"y {fmt(y[e, k])}  t {fmt(t[e, k])}" + units(y[e, k]), TEXT) for k in range(size)]
        color = DIM_TEXT if backward else TEXT
        if "z" not in vals:
            return [(fmt(vals["a"][e, k]), color) for k in range(size)]
        if backward:
            return [(f"a {fmt(vals['a'][e, k])}", color) for k in range(size)]
        return [(f"z {fmt(vals['z'][e, k])}  a {fmt(vals['a'][e, k])}" + units(vals["a"][e, k]), color)
                for k in range(size)]

    def _in_units(self, node: str):
        """For a regression's output node: the text giving an output in the target's units."""
        p, out = self.preprocessing, self.canvas.graph.output_node()
        if p is None or p.task != "regression" or out is None or out.id != node or out.size != 1:
            return lambda value: ""
        return lambda value: f"  → {fmt_units(value * p.target_std + p.target_mean)} {p.target}"

    # ----- QGraphicsItem ------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()   # the mouse passes through to the canvas (see label_at)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        f = self.frame
        if f is None:
            return
        painter.setRenderHint(QPainter.Antialiasing, True)
        items = self.canvas.node_items
        if f.phase == "gather" and f.path in items and f.node in items:
            painter.setPen(QPen(PATH, 7.0, Qt.SolidLine, Qt.RoundCap))
            painter.drawLine(items[f.path].port_scene_pos("in"), items[f.node].port_scene_pos("out"))
        for node_id in f.lit:
            item = items.get(node_id)
            if item is None:
                continue
            active = node_id == f.node
            r = QRectF(item.pos().x() - COLUMN_W / 2 - 6, item.pos().y() - item.half_height - 10,
                       COLUMN_W + 12, 2 * item.half_height + 20)
            painter.setPen(QPen(ACTIVE if active else LIT, 3.0 if active else 2.0))
            painter.setBrush(QBrush(LIT) if active else Qt.NoBrush)
            painter.drawRoundedRect(r, 10, 10)
        painter.setFont(self._font)
        for rect, text, color, _, _ in self._labels:
            painter.setPen(Qt.NoPen)
            painter.setBrush(LABEL_BG)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(color)
            painter.drawText(rect.adjusted(3, 0, -3, 0), Qt.AlignVCenter | Qt.AlignLeft, text)
        for rect, text, _ in self._edge_labels:
            painter.setPen(QPen(EDGE_LABEL_FRAME, 1.0))
            painter.setBrush(LABEL_BG)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(TEXT)
            painter.drawText(rect, Qt.AlignCenter, text)
        if f.loss is not None and self.timeline is not None and f.phase in ("loss", "gather",
                                                                             "backward", "update"):
            self._paint_loss(painter, f)

    def _paint_loss(self, painter: QPainter, f) -> None:
        out = next((n for n, it in self.canvas.node_items.items() if it.node.kind == "output"), None)
        if out is None:
            return
        item = self.canvas.node_items[out]
        per = f.loss["losses"]
        text = f"L = {fmt(per[self.example])}"
        if len(per) > 1:
            text += f"  (mean {fmt(f.loss['L'])})"
        w = self._metrics.horizontalAdvance(text) + 10
        rect = QRectF(item.pos().x() - w / 2, item.pos().y() + item.half_height + 12, w, 18)
        painter.setPen(QPen(LOSS, 1.5))
        painter.setBrush(LABEL_BG)
        painter.drawRoundedRect(rect, 5, 5)
        painter.setPen(TEXT)
        painter.drawText(rect, Qt.AlignCenter, text)


def _signed(value) -> str:
    """A path's share with its sign always shown (+0.1, −0.2): the parts being added up."""
    text = fmt(value)
    return text if text.startswith("−") else f"+{text}"
