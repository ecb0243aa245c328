"""Gradient flow: the norm of each connection's weight gradient over training steps.

On a log axis, vanishing gradients (a deep sigmoid stack: the early connections
sink decade after decade) and exploding ones show at a glance. One persistent
curve per connection, stored in the same bounded ``Series`` as the loss plot.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from .plots import AXIS_COLOR, LEGEND_BRUSH, LEGEND_PEN, Coalescer, Series, make_curve, make_plot_widget

FLOW_CAP = 200_000     # points per connection (one per snapshot: ~1.8 h at 30 Hz before halving)
# Tableau 10: distinct hues that stay readable on white.
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def connection_label(key: str) -> str:
    """ "h1->h2" as shown to the user: "h1 → h2"."""
    return key.replace("->", " → ")


def connection_color(index: int):
    """The index-th distinct colour (Tableau 10, then evenly spaced hues)."""
    if index < len(PALETTE):
        return PALETTE[index]
    return pg.intColor(index - len(PALETTE), hues=13, values=1, maxValue=200)


class GradientFlowPlot(QWidget):
    """‖∂L/∂W‖ per connection against steps, log y, one coloured curve each."""

    def __init__(self, parent=None, cap: int = FLOW_CAP):
        super().__init__(parent)
        self.cap = cap
        self.series: dict[str, Series] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._colors: dict[str, int] = {}
        self.widget = make_plot_widget()
        self.plot = self.widget.getPlotItem()
        self.plot.setLogMode(y=True)
        self.plot.setLabel("left", "‖∂L/∂W‖")
        self.plot.setLabel("bottom", "step")
        self.plot.getAxis("left").setWidth(52)
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextColor=AXIS_COLOR,
                                          brush=LEGEND_BRUSH, pen=LEGEND_PEN,
                                          labelTextSize="8pt", verSpacing=-6)
        self._redraw = Coalescer(self, self._draw)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)

    def set_connections(self, keys: list[str]) -> None:
        """Show exactly these connections ("src->dst"); others' curves and history go."""
        keep = list(dict.fromkeys(keys))
        for key in [k for k in self.curves if k not in keep]:
            self.plot.removeItem(self.curves.pop(key))
            del self.series[key], self._colors[key]
        for key in keep:
            if key not in self.curves:
                self._add_curve(key)
        self._fit_legend()

    def add(self, step: int, norms: dict[str, float]) -> None:
        """One snapshot's gradient norms; an unknown connection gets a curve of its own."""
        added = halved = False
        for key, value in norms.items():
            if key not in self.series:
                self._add_curve(key)
                added = True
            value = float(value)
            series = self.series[key]
            stride = series.stride
            # Zero or non-finite cannot sit on a log axis: a gap in the curve.
            series.append(float(step), value if value > 0 and math.isfinite(value) else math.nan)
            halved |= series.stride != stride
        if added:
            self._fit_legend()
        self._redraw.schedule()
        if halved:      # halved in place: redraw before a repaint reads the curves' stale views
            self.flush()

    def clear(self) -> None:
        """Forget the history (curves stay, empty)."""
        for s in self.series.values():
            s.clear()
        self._redraw.schedule()
        self.flush()
        self.plot.enableAutoRange()

    def flush(self) -> None:
        """Redraw now if anything changed (the timer calls this at most ~30 times a second)."""
        self._redraw.flush()

    def _draw(self) -> None:
        for key, curve in self.curves.items():
            s = self.series[key]
            curve.setData(s.xs, s.ys)

    def _add_curve(self, key: str) -> None:
        used = set(self._colors.values())
        index = next(i for i in range(len(used) + 1) if i not in used)
        self._colors[key] = index
        self.series[key] = Series(self.cap, 256)
        self.curves[key] = make_curve(self.plot, connection_color(index), connection_label(key), 1.8)

    def _fit_legend(self) -> None:
        self.legend.setColumnCount(1 if len(self.curves) <= 6 else 2 if len(self.curves) <= 14 else 3)
