"""The replay's legend: what the edge colours and the moving pulses mean, over the canvas.

While the replay runs, the training colour bar is hidden (its scale is training's), so this
card takes its corner: the quantity the edges are coloured by in the frame shown (w·a going
forward, |∂L/∂w| going back, Δw at the update), its scale (the same bins as the edges), how to
read it ("orange: w decreases · blue: w increases") and the colour of the moving signal.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPen

from gui.plots.color_bar import BAR, CARD, FRAME, PAD, TEXT, TICK, ColorBar

PULSES = "moving: white = activations, pink = gradients"
UNCOLOURED = "Edges are not coloured in this frame"
CORNER_GAP = 12


class ReplayLegend(ColorBar):
    """A horizontal colour bar with a title, a line on how to read it and one on the pulses."""

    def __init__(self, view):
        self._title = UNCOLOURED
        self._notes: list[str] = [PULSES]
        super().__init__(view, Qt.Orientation.Horizontal)
        self.setObjectName("replay_legend")
        self._view = view
        self._follower = _ResizeFollower(self)
        view.viewport().installEventFilter(self._follower)   # resized after the view
        self.hide()

    # ----- API --------------------------------------------------------------------------
    def show_meaning(self, meaning: tuple[str, str, str] | None, scale) -> None:
        """Show ``meaning`` (mode, title, how to read it; None: edges uncoloured) with ``scale``,
        the canvas's colour scale (log10 range of |∂L/∂w|, or (−max, +max) in "weight" mode)."""
        if meaning is None:
            self._title, self._notes = UNCOLOURED, [PULSES]
            self.mode, self.scale = "none", None
        else:
            mode, self._title, how = meaning
            self._notes = [how, PULSES]
            if mode == "weight":
                self.set_weight_scale(abs(scale[1]) if scale else None)
            else:
                self.set_scale(*(scale or (None, None)), mode="gradient")
        self.resize(self.sizeHint())
        self.place()
        self.show()
        self.raise_()
        self.update()

    def text(self) -> str:
        """Everything the legend says, line by line (title, tick labels, notes)."""
        ticks = "  ".join(self.labels()) if self.mode != "none" else ""
        return "\n".join(line for line in (self._title, ticks, *self._notes) if line)

    def title(self) -> str:
        return self._title

    def place(self) -> None:
        """Bottom right of the canvas, where training's colour bar sits."""
        area = self._view.viewport().geometry()   # inside the scroll bars
        self.move(area.right() - self.width() - CORNER_GAP, area.bottom() - self.height() - CORNER_GAP)

    def detach(self) -> None:
        self._view.viewport().removeEventFilter(self._follower)
        self.hide()

    # ----- layout and painting ------------------------------------------------------------
    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        widest = max(fm.horizontalAdvance(line) for line in (self._title, *self._notes))
        lines = len(self._notes) + (1 if self.mode == "none" else 2)
        bar = 0 if self.mode == "none" else BAR + TICK + 2
        return QSize(max(220, widest + 2 * PAD + 8), PAD * 2 + fm.height() * lines + bar + 6)

    def paintEvent(self, event) -> None:
        if self.mode == "none":
            self._paint_card()
        else:
            super().paintEvent(event)
        p = QPainter(self)
        fm = QFontMetrics(self.font())
        p.setPen(QPen(TEXT))
        y = self.height() - PAD - 2 - fm.height() * len(self._notes)
        if self.mode == "none":
            p.drawText(QRectF(0, PAD / 2, self.width(), fm.height()), Qt.AlignmentFlag.AlignCenter,
                       self._title)
        for line in self._notes:
            p.drawText(QRectF(PAD, y, self.width() - 2 * PAD, fm.height()),
                       Qt.AlignmentFlag.AlignCenter, line)
            y += fm.height()
        p.end()

    def _paint_card(self) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(FRAME.darker(160), 1))
        p.setBrush(CARD)
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        p.end()

    def colors(self):
        return super().colors() if self.mode != "none" else ()


class _ResizeFollower(QObject):
    """Keeps the legend in its corner when the canvas's viewport is resized."""

    def __init__(self, legend: ReplayLegend):
        super().__init__(legend)
        self._legend = legend

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Resize and self._legend.isVisible():
            self._legend.place()
        return False
