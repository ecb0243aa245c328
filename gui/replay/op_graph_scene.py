"""The graph of operations drawn left to right, in the manner of micrograd's draw_dot.

Each scalar is a rounded record "label │ data 0.7494 │ grad −0.31"; a scalar made by an
operation is preceded by a small circle with the operation ("×", "+", "tanh", "σ", ...),
and each edge into an operation is labelled with its local derivative ∂out/∂in (except
into "+", where every local derivative is 1). Columns
follow the depth of each scalar; a leaf (weight, bias, input) sits just left of its first
use. Clicking a weight's record emits ``weight_clicked``; ``light`` highlights the
scalars of the replay's current step.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import (QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsRectItem,
                               QGraphicsScene, QGraphicsSimpleTextItem)

from engine.nn.op_graph import OpGraph
from gui.core.formatting import fmt

RECORD_H = 24
COLUMN_GAP = 70          # room for the edges and their local derivatives
OP_R = 16
ROW_GAP = 10
ENTRY_GAP = 14           # between the points where a circle's inputs enter it
LABEL_SPOTS = tuple(k / 20 for k in range(18, 1, -1))   # where on its edge a derivative may go
LABEL_ROOM = 60          # more room before a column for each derivative beyond two per operation
FILL = {"weight": "#e8f0fe", "bias": "#eef7e8", "input": "#f3f3f3", "source": "#f3f3f3",
        "rest": "#f6f0e6", "loss": "#fde8e8"}
LIT = QColor("#f5b301")
SELECTED = QColor("#1a73e8")


class RecordItem(QGraphicsRectItem):
    """One scalar: "label │ data … │ grad …" in a rounded box."""

    def __init__(self, scalar, font: QFont):
        super().__init__()
        self.scalar = scalar
        numbers = f"data {fmt(scalar.value)}  │  grad {fmt(scalar.grad)}"
        self.text = QGraphicsSimpleTextItem(
            f"{scalar.label}\n{numbers}" if scalar.label else numbers, self)
        self.text.setFont(font)
        r = self.text.boundingRect()
        self.setRect(0, 0, r.width() + 16, max(RECORD_H, r.height() + 6))
        self.text.setPos(8, (self.rect().height() - r.height()) / 2)
        self.setBrush(QBrush(QColor(FILL.get(scalar.kind, "#ffffff"))))
        self.set_state(False, False)
        tip = {"weight": "A weight: click to list its paths to the loss",
               "rest": "Everything else that feeds this sum (the other inputs and the bias)",
               "source": "An activation feeding the neuron; its grad counts every path"}
        self.setToolTip(f"{scalar.label or scalar.op}: value {scalar.value:.6g}, "
                        f"∂L/∂· = {scalar.grad:.6g}" + ("\n" + tip[scalar.kind]
                                                       if scalar.kind in tip else ""))
        if scalar.kind == "weight":
            self.setCursor(Qt.PointingHandCursor)

    def set_state(self, lit: bool, selected: bool) -> None:
        color = SELECTED if selected else (LIT if lit else QColor("#555555"))
        self.setPen(QPen(color, 3 if (lit or selected) else 1))

    def paint(self, painter, option, widget=None) -> None:
        painter.setPen(self.pen())
        painter.setBrush(self.brush())
        painter.drawRoundedRect(self.rect(), 6, 6)


class DerivativeLabel(QGraphicsSimpleTextItem):
    """A local derivative on its edge, on a white ground so that the lines under it do not
    run through the digits."""

    def paint(self, painter, option, widget=None) -> None:
        painter.fillRect(self.boundingRect(), QColor(255, 255, 255, 235))
        super().paint(painter, option, widget)


class OpGraphScene(QGraphicsScene):
    """A graph of operations (engine.nn.op_graph.OpGraph) as items."""

    weight_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setItemIndexMethod(QGraphicsScene.NoIndex)
        self.setBackgroundBrush(QColor("#ffffff"))
        self.font = QFont()
        self.font.setPointSizeF(9)
        self.op_font = QFont()
        self.op_font.setPointSizeF(7.5)
        self.records: dict[int, RecordItem] = {}
        self.ops: dict[int, QGraphicsEllipseItem] = {}
        self.edge_labels: list[DerivativeLabel] = []
        self._pending_labels: list[tuple[QPainterPath, float]] = []
        self._lit: set[int] = set()
        self._selected: int | None = None
        self.graph: OpGraph | None = None

    def set_graph(self, g: OpGraph) -> None:
        self.clear()
        self.records, self.ops, self.edge_labels = {}, {}, []
        self._lit, self._selected = set(), None
        self.graph = g
        columns = _columns(g)
        widths: dict[int, float] = {}
        for s in g.scalars:
            rec = RecordItem(s, self.font)
            widths[columns[s.id]] = max(widths.get(columns[s.id], 0.0), rec.rect().width())
            rec.setZValue(2)
            self.addItem(rec)
            self.records[s.id] = rec
        # Edges into an operation carry one derivative each (but into "+"): two fit beside
        # its circle, more need room along their edges, before the column.
        labelled = {}
        for s in g.scalars:
            if s.op and s.op != "+":
                labelled[columns[s.id]] = max(labelled.get(columns[s.id], 0), len(s.inputs))
        left, x = {}, 0.0
        for col in sorted(widths):   # each column as wide as its widest record
            left[col] = x + 3 * OP_R + LABEL_ROOM * max(labelled.get(col, 0) - 2, 0)
            x = left[col] + widths[col] + COLUMN_GAP
        for sid, rec in self.records.items():
            rec.setX(left[columns[sid]])
        self._place_rows(g, columns)
        self._pending_labels = []
        for s in g.scalars:
            if s.op:
                self._add_op(s)
        self._place_labels()
        self.setSceneRect(self.itemsBoundingRect().adjusted(-20, -20, 20, 20))

    def _place_rows(self, g: OpGraph, columns: dict) -> None:
        """From the loss leftwards, each scalar level with the mean of its consumers,
        then pushed apart so that no two records of a column overlap."""
        consumers = g.consumers()
        centre: dict[int, float] = {}
        for col in sorted(set(columns.values()), reverse=True):
            ids = [sid for sid in columns if columns[sid] == col]
            want = {sid: (sum(centre[c] for c in consumers[sid]) / len(consumers[sid])
                          if consumers[sid] else 0.0) for sid in ids}
            ids.sort(key=lambda sid: (want[sid], sid))
            bottom, placed = -float("inf"), {}
            for sid in ids:
                h = self.records[sid].rect().height()
                top = max(want[sid] - h / 2, bottom + ROW_GAP)
                placed[sid], bottom = top + h / 2, top + h
            shift = sum(want[sid] - placed[sid] for sid in ids) / len(ids)
            for sid in ids:
                centre[sid] = placed[sid] + shift
                rec = self.records[sid]
                rec.setY(centre[sid] - rec.rect().height() / 2)

    def _add_op(self, s) -> None:
        rec = self.records[s.id]
        centre = rec.pos() + QPointF(-1.8 * OP_R, rec.rect().height() / 2)
        circle = QGraphicsEllipseItem(QRectF(-OP_R, -OP_R, 2 * OP_R, 2 * OP_R))
        circle.setPos(centre)
        circle.setBrush(QBrush(QColor("#ffffff")))
        circle.setPen(QPen(QColor("#555555"), 1))
        circle.setZValue(2)
        circle.setToolTip(f"operation {s.op}")
        label = QGraphicsSimpleTextItem(s.op if len(s.op) <= 4 else s.op[:4], circle)
        label.setFont(self.op_font)
        r = label.boundingRect()
        label.setPos(-r.width() / 2, -r.height() / 2)
        self.addItem(circle)
        self.ops[s.id] = circle
        self._line(centre + QPointF(OP_R, 0), rec.pos() + QPointF(0, rec.rect().height() / 2), None)
        # Each input enters the circle at a height of its own, in the order of its record, so
        # that edges and their derivatives do not meet at one point.
        inputs = sorted(zip(s.inputs, s.local), key=lambda p: self.records[p[0]].y())
        gap = min(ENTRY_GAP, 1.6 * OP_R / max(len(inputs) - 1, 1))
        for k, (i, d) in enumerate(inputs):
            src = self.records[i]
            start = src.pos() + QPointF(src.rect().width(), src.rect().height() / 2)
            dy = (k - (len(inputs) - 1) / 2) * gap
            entry = centre + QPointF(-math.sqrt(max(OP_R ** 2 - dy ** 2, 0.0)), dy)
            # A sum's local derivatives are all 1: the heading says so, the edges stay clear.
            self._line(start, entry, None if s.op == "+" else d)

    def _line(self, a: QPointF, b: QPointF, local: float | None) -> None:
        path = QPainterPath(a)
        dx = max((b.x() - a.x()) / 2, 20)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
        item = QGraphicsPathItem(path)
        item.setPen(QPen(QColor("#9a9a9a"), 1))
        item.setZValue(0)
        self.addItem(item)
        if local is not None:
            item.setToolTip(f"local derivative {local:.6g}")
            self._pending_labels.append((path, local))

    def _place_labels(self) -> None:
        """Each local derivative on its own edge, as near its operation as it fits without
        covering a record, an operation or another derivative."""
        taken = [item.sceneBoundingRect() for item in (*self.records.values(), *self.ops.values())]
        for path, local in sorted(self._pending_labels,
                                  key=lambda p: (round(p[0].currentPosition().x()), p[0].currentPosition().y())):
            text = DerivativeLabel(fmt(local))
            text.setFont(self.font)
            text.setBrush(QBrush(QColor("#7a4b00")))
            text.setToolTip(f"local derivative {local:.6g}")
            text.setZValue(1)
            size = text.boundingRect().size()
            end = path.currentPosition()      # where the edge enters its operation
            rects = [QRectF(end.x() - size.width() - 4, end.y() - size.height() / 2, size.width(), size.height())]
            rects += [QRectF(p.x() - size.width() / 2, p.y() - size.height() / 2, size.width(), size.height())
                      for p in map(path.pointAtPercent, LABEL_SPOTS)]
            # Text boxes include a little leading: a pixel or two of overlap covers no digits.
            rect = min(rects, key=lambda r: _overlap(r.adjusted(0, 2, 0, -2), taken))
            text.setPos(rect.topLeft())
            taken.append(rect)
            self.addItem(text)
            self.edge_labels.append(text)

    # ----- state ------------------------------------------------------------------------
    def light(self, ids) -> None:
        """Highlight the scalars ``ids`` (and their operations); the rest go back to normal."""
        self._lit = set(ids)
        self._restyle()

    def lit(self) -> set[int]:
        return set(self._lit)

    def select_weight(self, sid: int | None) -> None:
        self._selected = sid
        self._restyle()

    def _restyle(self) -> None:
        for sid, rec in self.records.items():
            rec.set_state(sid in self._lit, sid == self._selected)
        for sid, circle in self.ops.items():
            on = sid in self._lit
            circle.setBrush(QBrush(LIT if on else QColor("#ffffff")))

    def mousePressEvent(self, event) -> None:
        for item in self.items(event.scenePos()):
            rec = item if isinstance(item, RecordItem) else item.parentItem()
            if isinstance(rec, RecordItem) and rec.scalar.kind == "weight":
                self.weight_clicked.emit(rec.scalar.id)
                event.accept()
                return
        super().mousePressEvent(event)


def _overlap(rect: QRectF, others) -> float:
    """The area of ``rect`` that ``others`` cover (counted once per other)."""
    total = 0.0
    for other in others:
        common = rect & other
        if not common.isEmpty():
            total += common.width() * common.height()
    return total


def _columns(g: OpGraph) -> dict[int, int]:
    """Column of each scalar: results by depth, each leaf just left of its first use."""
    depth: dict[int, int] = {}
    for s in g.scalars:
        depth[s.id] = 1 + max((depth[i] for i in s.inputs if g.scalars[i].op), default=0) \
            if s.op else 0
    consumers = g.consumers()
    for s in g.scalars:
        if not s.op and consumers[s.id]:
            depth[s.id] = min(depth[c] for c in consumers[s.id]) - 1
    return depth
