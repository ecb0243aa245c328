"""Live training curves: loss and accuracy (or R²) against steps or epochs.

Samples live in ``Series``: preallocated numpy arrays that grow by doubling
(amortised O(1) appends) up to a hard cap; at the cap every other point is
dropped in place and from then on only every other incoming point is kept, so
memory stays bounded and the spacing stays uniform however long a run lasts.
Each curve is a ``plot_parts.LiveCurve``, clipped to the view and peak-downsampled
(ARCHITECTURE.md: 100k points in 5.8 ms), and redrawn at most ~30 times a second
however often data arrive.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.plots.parts import AXIS_COLOR, LEGEND_BRUSH, LEGEND_PEN, PlotHint, make_curve, make_plot_widget
from gui.core.redraw_queue import Coalescer
from gui.plots.run_overlay import MetricsOverlay

# Points kept per curve. A small design trains ~5,000 steps and ~100 epochs a second, so
# the caps are reached within minutes; beyond them a curve thins itself (every other
# point) and memory stays flat. The plots are ~1,000 pixels wide: 100k points still
# show every wiggle, and redrawing them stays a few milliseconds.
STEP_CAP = 100_000             # per-step losses (1.6 MB for x and y)
EPOCH_CAP = 20_000             # per-epoch values, per curve
TRAIN_COLOR = (8, 119, 189)    # TF Playground blue
VAL_COLOR = (245, 147, 34)     # TF Playground orange
STEP_COLOR = (8, 119, 189, 70)
EPOCH_KEYS = ("train_loss", "val_loss", "train_metric", "val_metric")
METRIC_TITLES = {"r2": "R²", "accuracy": "accuracy"}    # the engine's names, as a person writes them
MIN_PLOT_HEIGHT = 120
LOSS_HINT = "the loss of each step and epoch\nonce you press Play or Step"     # below the legend: 1/4 up


class Series:
    """(x, y) samples in growing, bounded numpy arrays.

    ``xs``/``ys`` are views of the first ``n`` samples. Beyond ``cap`` samples
    the series halves itself in place (keeps every other sample) and doubles
    ``stride``: only every ``stride``-th point offered from then on is stored.
    """

    def __init__(self, cap: int = STEP_CAP, initial: int = 1024):
        if cap < 2:
            raise ValueError(f"a series needs a cap of at least 2 points, not {cap}")
        self.cap = cap - cap % 2
        size = max(1, min(initial, self.cap))
        self.x = np.empty(size)
        self.y = np.empty(size)
        self.n = 0
        self.stride = 1
        self.offered = 0           # points ever offered (kept or not)

    @property
    def xs(self) -> np.ndarray:
        return self.x[:self.n]

    @property
    def ys(self) -> np.ndarray:
        return self.y[:self.n]

    @property
    def nbytes(self) -> int:
        """Bytes allocated for the samples (not just used)."""
        return self.x.nbytes + self.y.nbytes

    def __len__(self) -> int:
        return self.n

    def append(self, x: float, y: float) -> None:
        """Offer one point."""
        if self.offered % self.stride == 0:
            if self.n == self.cap:
                self._decimate()
                if self.offered % self.stride:
                    self.offered += 1
                    return
            if self.n == len(self.x):
                self._grow(self.n + 1)
            self.x[self.n] = x
            self.y[self.n] = y
            self.n += 1
        self.offered += 1

    def extend(self, xs, ys) -> None:
        """Offer a chunk of points (equal-length 1-D arrays)."""
        xs = np.asarray(xs, dtype=float).ravel()
        ys = np.asarray(ys, dtype=float).ravel()
        if xs.shape != ys.shape:
            raise ValueError(f"x and y differ in length ({xs.size} and {ys.size})")
        while xs.size:
            if self.n == self.cap:
                self._decimate()
            first = (-self.offered) % self.stride
            wanted = max(0, -(-(xs.size - first) // self.stride))   # ceil division
            room = self.cap - self.n
            if wanted <= room:
                self._put(xs[first::self.stride], ys[first::self.stride])
                self.offered += xs.size
                return
            used = first + (room - 1) * self.stride + 1                # raw points consumed
            self._put(xs[first:used:self.stride], ys[first:used:self.stride])
            self.offered += used
            xs, ys = xs[used:], ys[used:]

    def clear(self) -> None:
        """Forget every sample (the allocation is kept)."""
        self.n = 0
        self.stride = 1
        self.offered = 0

    def _put(self, xs: np.ndarray, ys: np.ndarray) -> None:
        k = xs.size
        if self.n + k > len(self.x):
            self._grow(self.n + k)
        self.x[self.n:self.n + k] = xs
        self.y[self.n:self.n + k] = ys
        self.n += k

    def _grow(self, needed: int) -> None:
        size = len(self.x)
        while size < needed:
            size *= 2
        size = min(size, self.cap)
        for name in ("x", "y"):
            old = getattr(self, name)
            new = np.empty(size)
            new[:self.n] = old[:self.n]
            setattr(self, name, new)

    def _decimate(self) -> None:
        keep = (self.n + 1) // 2
        self.x[:keep] = self.x[:self.n:2]      # numpy buffers the overlapping copy
        self.y[:keep] = self.y[:self.n:2]
        self.n = keep
        self.stride *= 2


class MetricsPlot(QWidget):
    """Training and validation loss (left) and accuracy or R² (right), live.

    ``add_steps`` takes per-step training losses in chunks; ``add_epoch`` one
    epoch's summary. The x axis shows steps or epochs (combo box); the loss
    axis can be logarithmic. Data are stored at once and drawn on a timer.
    """

    def __init__(self, parent=None, step_cap: int = STEP_CAP, epoch_cap: int = EPOCH_CAP):
        super().__init__(parent)
        self.steps = Series(step_cap)
        # Per-epoch values at x = step, and beside them (same decimation) the epoch numbers.
        self.epoch_values = {k: Series(epoch_cap, 64) for k in EPOCH_KEYS}
        self._epoch_numbers = {k: Series(epoch_cap, 64) for k in EPOCH_KEYS}
        self.steps_per_epoch: float | None = None
        self.metric_name = "accuracy"
        self._redraw = Coalescer(self, self._draw)

        self.x_axis = QComboBox()
        self.x_axis.addItems(["steps", "epochs"])
        self.x_axis.setToolTip("Plot against training steps (mini-batches) or epochs")
        self.x_axis.currentTextChanged.connect(self._on_axis_changed)
        self.log_loss = QCheckBox("log loss")
        self.log_loss.setToolTip("Logarithmic loss axis")
        self.log_loss.toggled.connect(self._on_log_toggled)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 3, 6, 1)
        bar.setSpacing(6)
        bar.addWidget(QLabel("x axis"))
        bar.addWidget(self.x_axis)
        bar.addSpacing(12)
        bar.addWidget(self.log_loss)
        bar.addStretch(1)

        self.loss_widget = make_plot_widget()
        self.metric_widget = make_plot_widget()
        plots = QHBoxLayout()       # side by side: stacked in the short dock they were ~60 px each
        for w in (self.loss_widget, self.metric_widget):
            w.setMinimumHeight(MIN_PLOT_HEIGHT)
            plots.addWidget(w, 1)
        self.loss_plot = self.loss_widget.getPlotItem()
        self.metric_plot = self.metric_widget.getPlotItem()
        self.metric_plot.setXLink(self.loss_plot)
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.getAxis("left").setWidth(52)
        self.metric_plot.getAxis("left").setWidth(52)
        self.loss_plot.addLegend(offset=(-6, 6), labelTextColor=AXIS_COLOR, brush=LEGEND_BRUSH, pen=LEGEND_PEN,
                                 labelTextSize="8pt", verSpacing=-6)     # one, compact: the plots share colours
        self.loss_hint, self.metric_hint = PlotHint(self.loss_plot, LOSS_HINT, 0.25), PlotHint(self.metric_plot, "")

        self.step_curve = make_curve(self.loss_plot, STEP_COLOR, "train (per step)", 1.0)
        self.curves = {
            "train_loss": make_curve(self.loss_plot, TRAIN_COLOR, "train", 2.0),
            "val_loss": make_curve(self.loss_plot, VAL_COLOR, "validation", 2.0),
            "train_metric": make_curve(self.metric_plot, TRAIN_COLOR, "train", 2.0),
            "val_metric": make_curve(self.metric_plot, VAL_COLOR, "validation", 2.0),
        }

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addLayout(plots, 1)

        self.set_metric_name(self.metric_name)
        self._update_axis_label()
        self.overlay = MetricsOverlay(self)      # earlier runs, compared

    def show_runs(self, runs: list, current_label: str | None = None) -> None:
        """Overlay earlier runs, (label, RunRecord) pairs, on the live curves; [] removes them.
        ``current_label`` names the live curves while others are shown."""
        self.overlay.set_runs(runs, current_label)

    # ----- data -----------------------------------------------------------
    def add_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        """Append per-step training losses (step indices and values, same length)."""
        steps = np.asarray(steps, dtype=float).ravel()
        losses = np.asarray(losses, dtype=float).ravel()
        if steps.size != losses.size:
            raise ValueError(f"{steps.size} steps but {losses.size} losses")
        if steps.size:
            stride = self.steps.stride
            self.steps.extend(steps, losses)
            self._schedule()
            if self.steps.stride != stride:
                # Halved in place: redraw before anything repaints from the curve's stale view.
                self.flush()

    def add_epoch(self, epoch, step, train_loss, val_loss, train_metric, val_metric,
                  metric_name: str | None = None) -> None:
        """Append one epoch's summary; a None or non-finite value leaves a curve out.

        ``epoch`` counts finished epochs (1 after the first) and ``step`` the steps
        taken so far, as in engine.train.trainer.EpochReport; their ratio places the
        per-step losses on the epoch axis.
        """
        if metric_name and metric_name != self.metric_name:
            self.set_metric_name(metric_name)
        if epoch and epoch > 0 and step:
            self.steps_per_epoch = float(step) / float(epoch)
        values = (train_loss, val_loss, train_metric, val_metric)
        halved = False
        for key, value in zip(EPOCH_KEYS, values):
            if value is not None and math.isfinite(float(value)):
                stride = self.epoch_values[key].stride
                self.epoch_values[key].append(float(step), float(value))
                self._epoch_numbers[key].append(float(step), float(epoch))
                halved |= self.epoch_values[key].stride != stride
        self._schedule()
        if halved:
            self.flush()

    def add_report(self, report) -> None:
        """``add_epoch`` from an engine.train.trainer.EpochReport or its ``vars()`` dict."""
        r = report if isinstance(report, dict) else vars(report)
        self.add_epoch(r["epoch"], r["step"], r.get("train_loss"), r.get("val_loss"),
                       r.get("train_metric"), r.get("val_metric"), r.get("metric_name"))

    def set_metric_name(self, name: str) -> None:
        """Label of the right plot, e.g. "accuracy" or "R²" (the engine's "r2" reads "R²")."""
        self.metric_name = METRIC_TITLES.get(name, name) or "metric"
        self.metric_plot.setLabel("left", self.metric_name)
        self.metric_hint.set_text(f"{self.metric_name} on the training and\nvalidation data, after each epoch")

    def clear(self) -> None:
        """Forget every curve (a new run)."""
        for key in EPOCH_KEYS:
            self.epoch_values[key].clear()
            self._epoch_numbers[key].clear()
        self.steps.clear()
        self.steps_per_epoch = None
        self._redraw.schedule()
        self.flush()
        self.loss_plot.enableAutoRange()
        self.metric_plot.enableAutoRange()

    # ----- drawing --------------------------------------------------------
    @property
    def x_mode(self) -> str:
        return self.x_axis.currentText()

    def set_x_mode(self, mode: str) -> None:
        """Plot against "steps" or "epochs"."""
        if mode not in ("steps", "epochs"):
            raise ValueError(f'x axis must be "steps" or "epochs", not {mode!r}')
        self.x_axis.setCurrentText(mode)

    def flush(self) -> None:
        """Redraw now if anything changed since the last redraw (the timer calls this)."""
        self._redraw.flush()

    def _draw(self) -> None:
        epochs = self.x_mode == "epochs"
        if not epochs:
            self.step_curve.setData(self.steps.xs, self.steps.ys)
        elif self.steps_per_epoch:
            self.step_curve.setData(self.steps.xs / self.steps_per_epoch, self.steps.ys)
        else:
            self.step_curve.setData([], [])
        for key, curve in self.curves.items():
            series = self.epoch_values[key]
            x = self._epoch_numbers[key].ys if epochs else series.xs
            curve.setData(x, series.ys)
        self.loss_hint.set_shown(not len(self.steps) and not len(self.epoch_values["train_loss"]))
        self.metric_hint.set_shown(not len(self.epoch_values["train_metric"]))
        for widget in (self.loss_widget, self.metric_widget):
            widget.scene().prepareForPaint()     # the new ranges now, not in the paint that follows

    def _schedule(self) -> None:
        self._redraw.schedule()

    def _on_axis_changed(self, _text: str) -> None:
        self._update_axis_label()
        self._redraw.schedule()
        self.flush()
        self.loss_plot.enableAutoRange(x=True)

    def _on_log_toggled(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)

    def _update_axis_label(self) -> None:
        for plot in (self.loss_plot, self.metric_plot):
            plot.setLabel("bottom", "epoch" if self.x_mode == "epochs" else "step")
