"""The colour scale of the canvas's edges, drawn small over a corner of the canvas.

Gradient mode: the canvas's viridis bins (``gui.core.colormap.sequential``)
from 10^vmin to 10^vmax of |∂L/∂w|, labelled at whole decades ("1e-3"). Weight
mode: the diverging bins (orange negative, blue positive) from −|w|max to +|w|max.
The bar shows the same ``N_BINS`` colours the edges are binned into.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.core import colormap
from gui.core.colormap import N_BINS, diverging, sequential

TITLES = {"gradient": "|∂L/∂w|", "weight": "weight"}
BAR = 12           # thickness of the colour strip, pixels
PAD = 6
TICK = 4
# The canvas is dark: the bar sits on it as a dark, slightly translucent card.
CARD = QColor(getattr(colormap, "BACKGROUND", QColor(35, 39, 46)))
CARD.setAlpha(225)
TEXT = QColor(214, 218, 224)
FRAME = QColor(120, 126, 136)


def decade_label(k: int) -> str:
    """10^k as a short label: "1" for k = 0, otherwise "1e-3", "1e2"..."""
    return "1" if k == 0 else f"1e{k}"


def short_label(x: float, digits: int = 1) -> str:
    """A positive number in the decade style, ``digits`` significant: "2e-5", "3", "7.9e-4"."""
    if x <= 0 or not math.isfinite(x):
        return f"{x:g}"
    k = math.floor(math.log10(x))
    mantissa = float(f"{x / 10 ** k:.{digits - 1}f}")
    if mantissa >= 10:
        mantissa, k = mantissa / 10, k + 1
    if mantissa == 1:
        return decade_label(k)
    m = f"{mantissa:g}"
    return m if k == 0 else f"{m}e{k}"


def number_label(v: float) -> str:
    """A signed value in a few characters: "+0.84", "−12.5", "0"."""
    if v == 0:
        return "0"
    text = f"{abs(v):.3g}"
    return ("+" if v > 0 else "−") + text


def log_ticks(vmin: float, vmax: float, max_ticks: int) -> list[tuple[float, str]]:
    """(position 0..1 along the bar, label) at whole decades, thinned to at most ``max_ticks``.

    A range that holds no whole decade gets its two ends labelled instead.
    """
    span = vmax - vmin
    decades = list(range(math.ceil(vmin - 1e-9), math.floor(vmax + 1e-9) + 1))
    if not decades:
        return [(0.0, short_label(10 ** vmin, 2)), (1.0, short_label(10 ** vmax, 2))]
    step = max(1, math.ceil(len(decades) / max(1, max_ticks)))
    if step > 1:   # keep the top decade, thin below it
        decades = decades[::-1][::step][::-1]
    return [((k - vmin) / span, decade_label(k)) for k in decades]


class ColorBar(QWidget):
    """A small colour bar with numbers: gradient magnitudes (log) or signed weights."""

    def __init__(self, parent=None, orientation: Qt.Orientation = Qt.Orientation.Vertical):
        super().__init__(parent)
        self.orientation = orientation
        self.mode = "gradient"
        self.scale: tuple[float, float] | None = None    # log10 range, or (−wmax, +wmax)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        self.setFont(font)
        self._picture = None        # (what it shows, QPixmap)
        self.resize(self.sizeHint())

    # ----- API ------------------------------------------------------------
    def set_scale(self, vmin_log10: float | None, vmax_log10: float | None, mode: str = "gradient") -> None:
        """Show a log10 scale from 10^vmin to 10^vmax (None: nothing to show yet)."""
        if vmin_log10 is None or vmax_log10 is None:
            self.scale = None
        else:
            lo, hi = float(vmin_log10), float(vmax_log10)
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"a colour scale needs finite ends, not {lo}..{hi}")
            if hi <= lo:
                lo = hi - 1.0
            self.scale = (lo, hi)
        self.mode = mode
        self.update()

    def set_weight_scale(self, wmax: float | None) -> None:
        """Show the diverging weight colours from −wmax to +wmax."""
        self.mode = "weight"
        self.scale = None if wmax is None or not math.isfinite(wmax) or wmax <= 0 else (-float(wmax), float(wmax))
        self.update()

    def clear(self) -> None:
        """No numbers to show (e.g. before the first training step)."""
        self.scale = None
        self.update()

    def labels(self) -> list[str]:
        """The tick labels as drawn, from the low end to the high end."""
        return [text for _, text in self._ticks()]

    def title(self) -> str:
        return TITLES.get(self.mode, self.mode)

    # ----- layout and painting -------------------------------------------
    def vertical(self) -> bool:
        return self.orientation == Qt.Orientation.Vertical

    def sizeHint(self) -> QSize:
        fm = QFontMetrics(self.font())
        if self.vertical():
            return QSize(PAD * 3 + BAR + TICK + fm.horizontalAdvance("−0.000"), 170)
        return QSize(220, PAD * 2 + fm.height() * 2 + BAR + TICK)

    def colors(self) -> tuple[QColor, ...]:
        return diverging(N_BINS) if self.mode == "weight" else sequential(N_BINS)

    def _bar_rect(self) -> QRectF:
        fm = QFontMetrics(self.font())
        h = fm.height()
        if self.vertical():
            return QRectF(PAD, PAD + h + h / 2, BAR, self.height() - 2 * PAD - h * 2)
        return QRectF(PAD + h, PAD + h + 2, self.width() - 2 * PAD - 2 * h, BAR)

    def _ticks(self) -> list[tuple[float, str]]:
        if self.scale is None:
            return []
        lo, hi = self.scale
        if self.mode == "weight":
            return [(0.0, number_label(lo)), (0.5, "0"), (1.0, number_label(hi))]
        fm = QFontMetrics(self.font())
        bar = self._bar_rect()
        if self.vertical():
            room = int(bar.height() // (fm.height() * 1.2)) + 1
        else:
            room = int(bar.width() // (fm.horizontalAdvance("1e-10") + 8)) + 1
        return log_ticks(lo, hi, max(2, room))

    def paintEvent(self, event) -> None:
        # Drawn once per change into a kept picture: the bar lies over the canvas, which
        # repaints it with every frame of its own (~0.7 ms of text and fills each time).
        ratio = self.devicePixelRatioF()
        key = (self.size().toTuple(), self.mode, self.scale, self.orientation, ratio, self.font().key())
        if self._picture is None or self._picture[0] != key:
            picture = QPixmap(self.size() * ratio)
            picture.setDevicePixelRatio(ratio)
            picture.fill(Qt.GlobalColor.transparent)
            painter = QPainter(picture)
            self._draw(painter)
            painter.end()
            self._picture = (key, picture)
        p = QPainter(self)
        p.drawPixmap(0, 0, self._picture[1])
        p.end()

    def _draw(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        p.setPen(QPen(FRAME.darker(160), 1))
        p.setBrush(CARD)
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)

        bar = self._bar_rect()
        colors = self.colors()
        n = len(colors)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for i, c in enumerate(colors):
            if self.vertical():   # low values at the bottom
                r = QRectF(bar.left(), bar.bottom() - bar.height() * (i + 1) / n, bar.width(), bar.height() / n + 0.6)
            else:
                r = QRectF(bar.left() + bar.width() * i / n, bar.top(), bar.width() / n + 0.6, bar.height())
            p.fillRect(r, c)
        p.setPen(QPen(FRAME, 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(bar)

        p.setPen(TEXT)
        title = self.title()
        if self.vertical():
            p.drawText(QRectF(PAD / 2, PAD / 2, self.width() - PAD, fm.height()),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        else:
            p.drawText(QRectF(0, PAD / 2, self.width(), fm.height()), Qt.AlignmentFlag.AlignCenter, title)
        ticks = self._ticks()
        if not ticks:
            self._draw_label(p, fm, bar, 0.5, "—")
        for t, text in ticks:
            if self.vertical():
                y = bar.bottom() - t * bar.height()
                p.drawLine(int(bar.right()), round(y), int(bar.right() + TICK), round(y))
            else:
                x = bar.left() + t * bar.width()
                p.drawLine(round(x), int(bar.bottom()), round(x), int(bar.bottom() + TICK))
            self._draw_label(p, fm, bar, t, text)

    def _draw_label(self, p: QPainter, fm: QFontMetrics, bar: QRectF, t: float, text: str) -> None:
        h = fm.height()
        if self.vertical():
            y = bar.bottom() - t * bar.height()
            r = QRectF(bar.right() + TICK + 3, y - h / 2, self.width() - bar.right() - TICK - 3, h)
            p.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        else:
            w = fm.horizontalAdvance(text) + 4
            x = bar.left() + t * bar.width()
            x = min(max(x - w / 2, 0.0), self.width() - w)
            p.drawText(QRectF(x, bar.bottom() + TICK, w, h), Qt.AlignmentFlag.AlignCenter, text)
