"""Earlier training runs drawn over the live curves, each labelled by what differs.

``MetricsOverlay`` adds to the loss and accuracy plots one colour per compared run:
its training curve solid (named in the legend by the run's label), its validation
curve dashed. ``FlowOverlay`` adds to the gradient-flow plot each compared run's
per-connection norms in the connection's own colour, one dash pattern per run, and
one grey legend entry per run showing its pattern. The runs are
engine.train.run_record.RunRecord objects; nothing here changes them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from gui.plots.parts import AXIS_COLOR, make_curve

# Colours of compared runs: Tableau 10 without the live curves' blue and orange.
RUN_COLORS = ((44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194),
              (127, 127, 127), (188, 189, 34), (23, 190, 207), (31, 60, 120), (150, 80, 0))
RUN_DASHES = (Qt.DashLine, Qt.DotLine, Qt.DashDotLine, Qt.DashDotDotLine)
CURRENT_SUFFIX = " (now)"


def run_color(index: int):
    return RUN_COLORS[index % len(RUN_COLORS)]


class MetricsOverlay:
    """Compared runs on a MetricsPlot (``metrics``): loss above, accuracy or R² below."""

    def __init__(self, metrics):
        self.metrics = metrics
        self.runs: list = []           # (label, RunRecord)
        self.current_label: str | None = None
        self.items: list = []
        metrics.x_axis.currentTextChanged.connect(lambda _t: self.draw())

    def set_runs(self, runs: list, current_label: str | None = None) -> None:
        """Draw these (label, RunRecord) pairs; name the live curves ``current_label``."""
        self.runs, self.current_label = list(runs), current_label
        self.draw()

    def draw(self) -> None:
        m = self.metrics
        for plot, item in self.items:
            plot.removeItem(item)
        self.items = []
        epochs = m.x_mode == "epochs"
        for index, (label, run) in enumerate(self.runs):
            color = run_color(index)
            for plot, field, dashed in ((m.loss_plot, "train_loss", False), (m.loss_plot, "val_loss", True),
                                        (m.metric_plot, "train_metric", False),
                                        (m.metric_plot, "val_metric", True)):
                steps, numbers, values = run.series(field)
                if not values and field == "train_loss":        # too short for an epoch: its steps
                    steps = [s for s, v in run.steps.rows if v is not None]
                    values = [v for s, v in run.steps.rows if v is not None]
                    per_epoch = m.steps_per_epoch or 1.0
                    numbers = [s / per_epoch for s in steps]
                if values:
                    self._curve(plot, numbers if epochs else steps, values, color, dashed,
                                None if dashed or plot is m.metric_plot else label)
        self._name_current()

    def _curve(self, plot, xs, ys, color, dashed: bool, name: str | None) -> None:
        curve = make_curve(plot, color, name, 2.0)
        if dashed:
            curve.setPen(pg.mkPen(color, width=1.5, style=Qt.DashLine))
        curve.setData(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        curve.setZValue(-1)             # under the live curves
        self.items.append((plot, curve))

    def _name_current(self) -> None:
        m = self.metrics
        legend = m.loss_plot.legend
        comparing = bool(self.runs) and self.current_label
        names = {"train_loss": "train", "val_loss": "validation"}
        for key, plain in names.items():
            label = legend.getLabel(m.curves[key]) if legend is not None else None
            if label is not None:
                text = (f"{self.current_label}{CURRENT_SUFFIX}" + ("" if key == "train_loss" else ", validation")
                        if comparing else plain)
                label.setText(text, color=AXIS_COLOR)
        title = "compared: dashed = validation" if self.runs else None
        m.loss_plot.setTitle(title, size="8pt", color=AXIS_COLOR)


class FlowOverlay:
    """Compared runs on a GradientFlowPlot (``flow``): the connections it shows, dashed."""

    def __init__(self, flow):
        self.flow = flow
        self.runs: list = []
        self.items: list = []

    def set_runs(self, runs: list) -> None:
        self.runs = list(runs)
        self.draw()

    def draw(self) -> None:
        flow = self.flow
        for item in self.items:
            flow.plot.removeItem(item)
        self.items = []
        for index, (label, run) in enumerate(self.runs):
            style = RUN_DASHES[index % len(RUN_DASHES)]
            key_sample = make_curve(flow.plot, AXIS_COLOR, label, 1.5)     # the legend's entry
            key_sample.setPen(pg.mkPen(AXIS_COLOR, width=1.5, style=style))
            self.items.append(key_sample)
            for key in flow.curves:
                xs, ys = run.flow_series(key)
                if not xs or not np.isfinite(ys).any():
                    continue
                curve = make_curve(flow.plot, flow.curve_color(key), None, 1.0)
                curve.setPen(pg.mkPen(flow.curve_color(key), width=1.2, style=style))
                curve.setData(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
                curve.setZValue(-1)
                self.items.append(curve)
