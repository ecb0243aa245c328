"""The signal seen moving between two replay frames: activations forward, gradients backward.

One item draws the whole motion, never an item per edge. A connection with few edges gets a
short streak travelling along each edge; a bundle (more than ``PER_EDGE_MAX`` edges, or a
node drawn as a compact column at either end) gets one band sweeping across it. Brightness is
each edge's share of the signal relative to the largest one in the motion: forward |w·a|
(what the edge adds to z, the colour the edge then takes), backward |∂L/∂w| (the gradient
formed on the edge, the colour it already has); a band is as bright as its strongest edge.
A QVariantAnimation drives ``progress`` from 0 to 1; ``skip`` jumps to the end. Either way
``finished`` is emitted once per motion.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEasingCurve, QPointF, QRectF, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsObject

from engine.model.param_names import weight_name
from gui.canvas.connection_item import draw_line_buffer

PER_EDGE_MAX = 64          # a connection with more edges moves as one band
TAIL = 0.14                # length of a streak, as a share of its edge
LEVELS = 8                 # brightness steps (one pen each)
FORWARD = QColor(250, 250, 245)     # activations: white
BACKWARD = QColor(255, 72, 170)     # gradients: pink, apart from the orange/blue of weights
MIN_ALPHA, MAX_ALPHA = 70, 255


@dataclass(frozen=True)
class Stream:
    """The signal on one connection: ``magnitudes`` (dst × src) size each edge's share."""
    key: tuple[str, str]
    forward: bool
    magnitudes: np.ndarray


def transition_streams(previous, following, weights: dict | None, example: int = 0) -> list[Stream]:
    """What moves between frame ``previous`` and the frame after it, ``following``.

    Into a forward frame: the activations of the sources along the edges into its node.
    Out of a backward frame: the gradient, from the node just computed back along each edge
    into it. Nothing moves otherwise (the input, the loss, gathering paths, the update).
    """
    if following.phase == "forward" and weights is not None:
        streams = []
        for s, d in following.active_connections:
            w, a = weights.get(weight_name(s, d)), following.values.get(s, {}).get("a")
            if w is not None and a is not None:
                streams.append(Stream((s, d), True, np.abs(w * a[example][None, :])))
        return streams
    if previous is not None and previous.phase == "backward":
        return [Stream(key, False, np.abs(previous.gradients[key]))
                for key in previous.active_connections if key in previous.gradients]
    return []


class SignalPulse(QGraphicsObject):
    """Animates a list of Streams over ``scene`` (a CanvasScene); one item whatever the size."""

    Z = 45.0   # over the edges and nodes, under the replay's numbers
    finished = Signal()

    def __init__(self, scene):
        super().__init__()
        self.setZValue(self.Z)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.canvas = scene
        self._edges = np.empty((0, 4))        # per-edge streaks: from x, y, to x, y
        self._edge_levels = np.empty(0, np.intp)
        self._bands: list[tuple[tuple, int, bool]] = []   # (from span, to span), level, forward
        self._forward = True
        self._progress = 0.0
        self._rect = QRectF()
        self._dirty = QRectF()
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setEasingCurve(QEasingCurve.InOutSine)
        self._animation.valueChanged.connect(self.set_progress)
        self._animation.finished.connect(self._end)
        scene.addItem(self)
        self.hide()

    # ----- API ------------------------------------------------------------------------
    def start(self, streams: list[Stream], duration_ms: int) -> bool:
        """Move ``streams`` over ``duration_ms``; False (and nothing shown) if nothing moves."""
        self.skip()
        self._build(streams)
        if not len(self._edges) and not self._bands:
            return False
        self._progress = 0.0
        self.show()
        self._animation.setDuration(max(int(duration_ms), 1))
        self._animation.start()
        return True

    def is_running(self) -> bool:
        return self._animation.state() == QVariantAnimation.Running

    def progress(self) -> float:
        return self._progress

    def set_progress(self, t) -> None:
        """Show the motion at ``t`` (0: leaving, 1: arrived)."""
        self._progress = float(min(max(float(t), 0.0), 1.0))
        now = self._motion_rect()
        self.update(now.united(self._dirty))   # only where the streaks were and are
        self._dirty = now

    def skip(self) -> None:
        """Jump to the end of a running motion (emits ``finished``); nothing if none runs."""
        if self.is_running():
            self._animation.stop()
            self._end()

    def stop(self) -> None:
        """Drop a running motion without announcing its end (the replay is closing)."""
        self._animation.stop()
        self._clear()

    def pieces(self) -> int:
        """How many things move: one per streaked edge, one per band."""
        return len(self._edges) + len(self._bands)

    def detach(self) -> None:
        self.stop()
        if self.scene() is not None:
            self.scene().removeItem(self)

    # ----- building ---------------------------------------------------------------------
    def _build(self, streams: list[Stream]) -> None:
        self.prepareGeometryChange()
        edges, levels, bands = [], [], []
        peak = max((float(s.magnitudes.max()) for s in streams if s.magnitudes.size), default=0.0)
        for s in streams:
            item = self.canvas.connection_items.get(s.key)
            if item is None or s.magnitudes.shape != item.shape_ij or not item.edge_count():
                continue
            if _is_bundle(item):
                level = _levels(np.array([s.magnitudes.max()]), peak)[0]
                bands.append((_spans(item, s.forward), int(level), s.forward))
            else:
                lines = item.lines if s.forward else item.lines[:, [2, 3, 0, 1]]
                edges.append(lines)
                levels.append(_levels(s.magnitudes[item.i, item.j], peak))
        self._forward = all(s.forward for s in streams)
        order = np.argsort(np.concatenate(levels), kind="stable") if levels else np.empty(0, np.intp)
        self._edges = np.concatenate(edges)[order] if edges else np.empty((0, 4))
        self._edge_levels = np.concatenate(levels)[order] if levels else np.empty(0, np.intp)
        self._bands = bands
        rect = QRectF()
        if len(self._edges):
            xs, ys = self._edges[:, [0, 2]], self._edges[:, [1, 3]]
            rect = QRectF(QPointF(xs.min(), ys.min()), QPointF(xs.max(), ys.max()))
        for spans, _, _ in bands:
            rect = rect.united(QPolygonF([QPointF(x, y) for x, top, bottom in spans
                                          for y in (top, bottom)]).boundingRect())
        self._rect = rect.adjusted(-8, -8, 8, 8)
        self._dirty = QRectF()

    def _end(self) -> None:
        self._progress = 1.0
        self._clear()
        self.finished.emit()

    def _clear(self) -> None:
        self.prepareGeometryChange()
        self._edges = np.empty((0, 4))
        self._edge_levels = np.empty(0, np.intp)
        self._bands = []
        self._rect = self._dirty = QRectF()
        self.hide()

    # ----- geometry at the current progress ---------------------------------------------
    def _streaks(self, head: float, tail: float) -> np.ndarray:
        e = self._edges
        d = e[:, 2:] - e[:, :2]
        return np.ascontiguousarray(np.hstack([e[:, :2] + tail * d, e[:, :2] + head * d]))

    def _band(self, spans, t: float) -> tuple[float, float, float]:
        (x0, top0, bot0), (x1, top1, bot1) = spans
        return x0 + t * (x1 - x0), top0 + t * (top1 - top0), bot0 + t * (bot1 - bot0)

    def _motion_rect(self) -> QRectF:
        t, rect = self._progress, QRectF()
        tail = max(t - TAIL, 0.0)
        if len(self._edges):
            s = self._streaks(t, tail)
            rect = QRectF(QPointF(s[:, [0, 2]].min(), s[:, [1, 3]].min()),
                          QPointF(s[:, [0, 2]].max(), s[:, [1, 3]].max()))
        for spans, _, _ in self._bands:
            for u in (t, tail):
                x, top, bottom = self._band(spans, u)
                rect = rect.united(QRectF(x - 1, top, 2, bottom - top))
        return rect.adjusted(-8, -8, 8, 8)

    # ----- QGraphicsItem ----------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        return QPainterPath()   # clicks go through to the canvas

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = self._progress
        if t <= 0.0 or t >= 1.0:
            return
        painter.setRenderHint(QPainter.Antialiasing, True)
        if len(self._edges):
            self._paint_streaks(painter, t)
        for spans, level, forward in self._bands:
            self._paint_band(painter, spans, level, forward, t)

    def _paint_streaks(self, painter: QPainter, t: float) -> None:
        tails = self._streaks(t, max(t - TAIL, 0.0))
        heads = self._streaks(t, max(t - 0.01, 0.0))
        counts = np.bincount(self._edge_levels, minlength=LEVELS)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        color = FORWARD if self._forward else BACKWARD
        for level in np.flatnonzero(counts):
            start, count = int(starts[level]), int(counts[level])
            painter.setPen(_pen(color, level, 2.5))
            draw_line_buffer(painter, tails, start, count)
            painter.setPen(_pen(color, level, 6.0))
            draw_line_buffer(painter, heads, start, count)

    def _paint_band(self, painter: QPainter, spans, level: int, forward: bool, t: float) -> None:
        x, top, bottom = self._band(spans, t)
        tx, ttop, tbottom = self._band(spans, max(t - 2 * TAIL, 0.0))
        color = FORWARD if forward else BACKWARD
        wake = QLinearGradient(QPointF(tx, (ttop + tbottom) / 2), QPointF(x, (top + bottom) / 2))
        faint = QColor(color)
        faint.setAlpha(0)
        strong = QColor(color)
        strong.setAlpha(_alpha(level) // 2)
        wake.setColorAt(0.0, faint)
        wake.setColorAt(1.0, strong)
        painter.setPen(Qt.NoPen)
        painter.setBrush(wake)
        painter.drawPolygon(QPolygonF([QPointF(tx, ttop), QPointF(x, top), QPointF(x, bottom),
                                       QPointF(tx, tbottom)]))
        painter.setPen(_pen(color, level, 5.0))
        painter.drawLine(QPointF(x, top), QPointF(x, bottom))


def _is_bundle(item) -> bool:
    return item.edge_count() > PER_EDGE_MAX or not (item.src.drawn and item.dst.drawn)


def _spans(item, forward: bool) -> tuple:
    """(x, top, bottom) where a band leaves and where it arrives."""
    sp, dp = item.src.pos(), item.dst.pos()
    src = (sp.x() + item.src.edge_dx, sp.y() + item.src.offsets[0], sp.y() + item.src.offsets[-1])
    dst = (dp.x() - item.dst.edge_dx, dp.y() + item.dst.offsets[0], dp.y() + item.dst.offsets[-1])
    return (src, dst) if forward else (dst, src)


def _levels(magnitudes: np.ndarray, peak: float) -> np.ndarray:
    """Brightness step 0..LEVELS-1 of each magnitude, relative to ``peak``."""
    if not peak > 0:
        return np.zeros(magnitudes.shape, np.intp)
    m = np.nan_to_num(magnitudes, nan=0.0, posinf=peak) / peak
    return np.clip((m * LEVELS).astype(np.intp), 0, LEVELS - 1)


def _alpha(level: int) -> int:
    return MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * int(level) // (LEVELS - 1)


def _pen(color: QColor, level: int, width: float) -> QPen:
    c = QColor(color)
    c.setAlpha(_alpha(level))
    pen = QPen(c, width)
    pen.setCosmetic(True)
    pen.setCapStyle(Qt.RoundCap)
    return pen
