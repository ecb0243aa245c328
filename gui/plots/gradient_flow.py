"""Gradient flow: the norm of each connection's weight gradient over training steps.

On a log axis, vanishing gradients (a deep sigmoid stack: the early connections
sink decade after decade) and exploding ones show at a glance. One persistent
curve per connection, stored in the same bounded ``Series`` as the loss plot.
A design with more than ``MAX_CURVES`` connections (a chain of 1,000 neurons) shows
that many, evenly spaced through its connection order, first and last included: a
legend of a thousand entries took pyqtgraph half a minute to lay out, and a
thousand curves are unreadable anyway.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.plots.parts import AXIS_COLOR, LEGEND_BRUSH, LEGEND_PEN, PlotHint, make_curve, make_plot_widget
from gui.core.redraw_queue import Coalescer
from gui.plots.metrics import Series
from gui.plots.run_overlay import FlowOverlay

FLOW_CAP = 20_000      # points per connection (one per snapshot: ~11 min at 30 Hz before halving)
MAX_CURVES = 10        # connections drawn at most: one colour of the palette each
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
        self._labels: dict[str, str] = {}
        self.connection_count = 0      # connections of the design, shown or not
        self.vanished = 0              # shown connections whose latest gradient is 0
        self.widget = make_plot_widget()
        self.plot = self.widget.getPlotItem()
        self.plot.setLogMode(y=True)
        self.plot.setLabel("left", "‖∂L/∂W‖")
        self.plot.setLabel("bottom", "step")
        self.plot.getAxis("left").setWidth(52)
        self.legend = self.plot.addLegend(offset=(-8, 8), labelTextColor=AXIS_COLOR,
                                          brush=LEGEND_BRUSH, pen=LEGEND_PEN,
                                          labelTextSize="8pt", verSpacing=-6)
        self.hint = PlotHint(self.plot, "the size of each connection's gradient, step by step,\n"
                                        "once you press Play or Step: vanishing and exploding show here")
        self._redraw = Coalescer(self, self._draw)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)
        self.overlay = FlowOverlay(self)        # earlier runs, compared

    def show_runs(self, runs: list) -> None:
        """Overlay earlier runs, (label, RunRecord) pairs, dashed, on the shown connections."""
        self.overlay.set_runs(runs)

    def curve_color(self, key: str):
        """The colour of a shown connection's curve."""
        return connection_color(self._colors[key])

    def set_connections(self, keys: list[str], labels: dict[str, str] | None = None) -> None:
        """Show these connections ("src->dst"), at most MAX_CURVES of them evenly spaced;
        others' curves and history go. ``labels`` names them in the legend when the key
        cannot (node ids containing "->")."""
        self._labels.update(labels or {})
        keep = shown_connections(list(dict.fromkeys(keys)))
        self.connection_count = len(dict.fromkeys(keys))
        for key in [k for k in self.curves if k not in keep]:
            self.plot.removeItem(self.curves.pop(key))
            del self.series[key], self._colors[key]
        for key in keep:
            if key not in self.curves:
                self._add_curve(key)
        self._fit_legend()
        self.overlay.draw()         # the compared runs' curves follow the shown connections

    def add(self, step: int, norms: dict[str, float]) -> None:
        """One snapshot's gradient norms; an unknown connection gets a curve of its own
        while fewer than MAX_CURVES are shown (else it is left out)."""
        added = halved = False
        for key, value in norms.items():
            if key not in self.series:
                if len(self.series) >= MAX_CURVES:
                    continue
                self._add_curve(key)
                added = True
            value = float(value)
            series = self.series[key]
            stride = series.stride
            # Zero or non-finite cannot sit on a log axis: a gap in the curve.
            series.append(float(step), value if value > 0 and math.isfinite(value) else math.nan)
            halved |= series.stride != stride
        vanished = sum(1 for key in self.series if norms.get(key, 1.0) == 0)
        if added or vanished != self.vanished:
            self.vanished = vanished
            self._fit_legend()
        self._redraw.schedule()
        if halved:      # halved in place: redraw before a repaint reads the curves' stale views
            self.flush()

    def clear(self) -> None:
        """Forget the history (curves stay, empty)."""
        for s in self.series.values():
            s.clear()
        self.vanished = 0
        self._fit_legend()
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
        self.hint.set_shown(not any(len(s) for s in self.series.values()))

    def _add_curve(self, key: str) -> None:
        used = set(self._colors.values())
        index = next(i for i in range(len(used) + 1) if i not in used)
        self._colors[key] = index
        self.series[key] = Series(self.cap, 256)
        self.curves[key] = make_curve(self.plot, connection_color(index),
                                       self._labels.get(key) or connection_label(key), 1.0)

    def _fit_legend(self) -> None:
        self.legend.setColumnCount(max(1, math.ceil(len(self.curves) / 3)))   # three rows at most
        parts = []
        if self.connection_count > len(self.curves):
            parts.append(f"{len(self.curves)} of {self.connection_count} connections, evenly spaced")
        if self.vanished:
            parts.append(f"{self.vanished} with a gradient of exactly 0 (vanished: "
                         "a log axis cannot draw it)")
        self.plot.setTitle("; ".join(parts) or None, size="8pt", color=AXIS_COLOR)


def shown_connections(keys: list[str], limit: int = MAX_CURVES) -> list[str]:
    """All of ``keys`` if there are at most ``limit``, else ``limit`` of them evenly spaced
    (the first and the last included), in their order."""
    n = len(keys)
    if n <= limit:
        return list(keys)
    if limit == 1:
        return [keys[0]]
    return [keys[round(i * (n - 1) / (limit - 1))] for i in range(limit)]
