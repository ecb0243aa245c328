"""The parts the live plots share: their look and their curves.

``make_curve`` gives a ``LiveCurve``: one persistent ``PlotDataItem`` updated with
``setData``, clipped to the view and peak-downsampled to about two points per pixel
column, whose auto-range bounds are those of all its data. (Redraws wait their turn in
``gui.core.redraw_queue``.)
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from gui.plots.color_bar import short_label
from gui.core.redraw_queue import painted

DOWNSAMPLE_FACTOR = 1.0        # samples per pixel column kept when a curve has more
AXIS_COLOR = (90, 94, 100)
LEGEND_BRUSH = (255, 255, 255, 230)
LEGEND_PEN = (215, 218, 222)


def labelled_mantissas(px_per_decade: float) -> tuple[int, ...]:
    """Which ticks of a log decade get a label at this many pixels per decade."""
    if px_per_decade < 60:
        return (1,)
    return (1, 2, 5) if px_per_decade < 200 else tuple(range(1, 10))


class DecadeAxis(pg.AxisItem):
    """An axis whose log-mode ticks read like the colour bar's: "1e-3", "1", "5e-4".

    Within a decade pyqtgraph ticks 2, 3, ..., 9 times the decade, and on a short axis their
    labels ran into each other; they are labelled as room allows: the decades only, then
    also 2 and 5, then all.
    """

    def logTickStrings(self, values, scale, spacing):
        length = self.geometry().height() if self.orientation in ("left", "right") else self.geometry().width()
        decades = abs(self.range[1] - self.range[0]) or 1.0
        shown = labelled_mantissas(length / decades)
        labels = []
        for v in values:
            x = 10.0 ** float(v) * scale
            mantissa = round(x / 10.0 ** math.floor(math.log10(x) + 1e-9)) if x > 0 else 1
            labels.append(short_label(x) if mantissa in shown else "")
        return labels


class LivePlotWidget(pg.PlotWidget):
    """A PlotWidget that says when it has painted (``redraw_queue.painted``)."""

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        painted()


def make_plot_widget() -> pg.PlotWidget:
    """A PlotWidget in the house look, its left axis labelled by decades in log mode."""
    widget = LivePlotWidget(axisItems={"left": DecadeAxis("left")})
    style_plot(widget)
    return widget


def style_plot(widget: pg.PlotWidget) -> None:
    """The house look of a plot: white background, grey axes, no grid.

    No grid on purpose: pyqtgraph draws grid lines translucent across the whole
    plot, which took ~15 ms of each repaint here (offscreen, 800×500).
    """
    widget.setBackground("w")
    item = widget.getPlotItem()
    item.setContentsMargins(2, 8, 10, 2)     # room for the labels of the top and right ticks
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(AXIS_COLOR))
        axis.setTextPen(pg.mkPen(AXIS_COLOR))
        axis.enableAutoSIPrefix(False)     # "accuracy (x0.001)" reads badly


class LiveCurve(pg.PlotDataItem):
    """A PlotDataItem whose auto-range bounds are those of all its data, not of what it draws.

    pyqtgraph measures a curve by its downsampled points, and "peak" downsampling drops the
    last ``len % ds`` of them, where ``ds`` follows the view's width. Auto-range then moves the
    view, which changes ``ds``, which changes the bounds: the view can flip between two ranges
    for ever, repainting without end and starving the event loop (an hour-long run froze after
    a few minutes). Bounds from the full data do not depend on the view.
    """

    def __init__(self, *args, **kwargs):
        self._bounds: dict = {}
        super().__init__(*args, **kwargs)

    def setData(self, *args, **kwargs) -> None:
        self._bounds = {}
        super().setData(*args, **kwargs)

    def setLogMode(self, xState: bool, yState: bool) -> None:
        self._bounds = {}
        super().setLogMode(xState, yState)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        if not self.isVisible() or frac < 1.0 or orthoRange is not None:
            return super().dataBounds(ax, frac, orthoRange)
        if ax not in self._bounds:
            self._bounds[ax] = self._full_bounds(ax)
        return self._bounds[ax]

    def _full_bounds(self, ax: int):
        x, y = self.getOriginalDataset()
        values = (x, y)[ax] if x is not None else None
        if values is None or len(values) == 0:
            return None, None
        values = np.asarray(values, dtype=float)
        if self.opts["logMode"][ax]:
            values = values[values > 0]
            if values.size == 0:
                return None, None
            values = np.log10(values)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return None, None
        return coarse_bounds(float(values.min()), float(values.max()), x_axis=ax == 0)


X_STEPS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def coarse_bounds(lo: float, hi: float, x_axis: bool) -> tuple[float, float]:
    """Bounds around [lo, hi] that change only now and then while a run adds data, so that a
    live plot's range (and its axes, the costliest part of a repaint) stays put between.

    x (steps or epochs, growing): the upper end goes up to the next of 1, 1.25, 1.5, 2, 2.5,
    3, 4, 5, 6, 8 × 10^k (at most a third more). y: both ends go out to a multiple of a
    twentieth of the span, rounded to 1, 2 or 5 × 10^k.
    """
    if x_axis:
        if hi > 0 and lo >= 0:
            decade = 10.0 ** np.floor(np.log10(hi))
            hi = next(decade * s for s in X_STEPS if decade * s >= hi)
        return lo, hi
    span = hi - lo
    if span <= 0 or not np.isfinite(span):
        return lo, hi
    raw = span / 20
    decade = 10.0 ** np.floor(np.log10(raw))
    step = next(decade * s for s in (1.0, 2.0, 5.0, 10.0) if decade * s >= raw)
    # (the 1e-9: 2.0 / 0.05 is 40.000000000000004 in floating point, not past a step)
    return (min(lo, float(np.floor(lo / step + 1e-9) * step)),
            max(hi, float(np.ceil(hi / step - 1e-9) * step)))


def make_curve(plot: pg.PlotItem, color, name: str, width: float = 1.5) -> LiveCurve:
    """A persistent curve that stays fast on long runs (clip to view, peak downsampling)."""
    # pyqtgraph's default auto-downsampling keeps ~5 samples per pixel, and "peak" keeps two per
    # sample: ten segments per pixel, each stroked on its own with a pen this wide. A factor of 1
    # keeps a min and a max per pixel column, which draws the same envelope (~10x less stroking).
    curve = LiveCurve([], [], pen=pg.mkPen(color, width=width), name=name,
                      autoDownsampleFactor=DOWNSAMPLE_FACTOR)
    plot.addItem(curve)     # first: addItem applies the plot's own (off) downsampling settings
    curve.setClipToView(True)
    curve.setDownsampling(auto=True, method="peak")
    return curve


class PlotHint:
    """Grey text in the middle of a plot that has no data yet, saying what it will show."""

    def __init__(self, plot: pg.PlotItem, text: str, height: float = 0.5):
        self._height = height       # where it sits, as a share of the plot's height from the bottom
        self.item = pg.TextItem(text, color=AXIS_COLOR, anchor=(0.5, 0.5))
        self.item.setZValue(-5)
        plot.addItem(self.item, ignoreBounds=True)
        self._view = plot.getViewBox()
        self._view.sigRangeChanged.connect(self._centre)
        self._centre()

    def text(self) -> str:
        """The hint, or "" while it is hidden."""
        return self.item.textItem.toPlainText() if self.item.isVisible() else ""

    def set_text(self, text: str) -> None:
        self.item.setText(text)

    def set_shown(self, shown: bool) -> None:
        self.item.setVisible(shown)

    def _centre(self, *_args) -> None:
        (x0, x1), (y0, y1) = self._view.viewRange()
        self.item.setPos((x0 + x1) / 2, y0 + (y1 - y0) * self._height)
