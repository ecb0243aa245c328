"""Predicted against actual, in the target's units: the validation points, y = x, R² and RMSE.

A regression's picture of how good it is, whatever the number of inputs: each validation
example is a point at (actual, predicted), so a perfect model puts every point on the
diagonal. The caption gives R² (the engine's ``R2``, as the metrics plot shows) and the
RMSE in the target's own units ("RMSE 21,759 price").
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.train.metrics import R2
from gui.core.colormap import POSITIVE
from gui.core.formatting import fmt_units
from gui.plots.parts import AXIS_COLOR, style_plot

POINT_SIZE = 6
EMPTY_TEXT = "Train to see the validation examples' predictions against their targets"


def regression_scores(predicted, actual) -> tuple[float | None, float | None]:
    """(R², RMSE) of predictions against targets, on the scale they are given in."""
    predicted = np.asarray(predicted, dtype=np.float64).reshape(-1, 1)
    actual = np.asarray(actual, dtype=np.float64).reshape(-1, 1)
    if not len(actual):
        return None, None
    r2 = R2()
    r2.add(predicted, actual)
    return r2.value(), float(np.sqrt(np.mean((predicted - actual) ** 2)))


def score_text(r2: float | None, rmse: float | None, target: str) -> str:
    """"R² 0.946 · RMSE 21,759 price"."""
    r2_text = "n/a" if r2 is None or not np.isfinite(r2) else f"{r2:.3f}".replace("-", "−")
    rmse_text = "n/a" if rmse is None else fmt_units(rmse)
    return f"R² {r2_text} · RMSE {rmse_text} {target}".rstrip()


class UnitsAxis(pg.AxisItem):
    """Tick labels as values in their own units: 326,000 rather than 3.26e+05."""

    def tickStrings(self, values, scale, spacing):
        return [fmt_units(v * scale) for v in values]


class PredictedActualView(QWidget):
    """Scatter of the validation predictions against their targets, with the diagonal."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.target = ""
        self.predicted = np.empty(0)
        self.actual = np.empty(0)
        self.scores: tuple[float | None, float | None] = (None, None)
        self.caption = QLabel(EMPTY_TEXT)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignCenter)
        self.widget = pg.PlotWidget(axisItems={"left": UnitsAxis("left"), "bottom": UnitsAxis("bottom")})
        style_plot(self.widget)
        self.plot = self.widget.getPlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.setContentsMargins(2, 8, 12, 2)       # room for the edge tick labels
        self.diagonal = pg.PlotDataItem([], [], pen=pg.mkPen(*AXIS_COLOR, width=1, style=Qt.DashLine))
        self.plot.addItem(self.diagonal)
        color = POSITIVE.getRgb()[:3]
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True, brush=pg.mkBrush(*color, 150),
                                          pen=pg.mkPen(255, 255, 255, 200, width=1))
        self.plot.addItem(self.scatter)
        self.set_target("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.widget, 1)

    def set_target(self, target: str) -> None:
        """Name the axes after the target ("actual price", "predicted price") and clear the points.

        A target named by its formula ("t = sin(x1) + 0.5·sin(x2)") goes by its left-hand side."""
        target = target or ""
        self.target = target.split("=")[0].strip() if "=" in target else target
        self.widget.setToolTip(f"Each validation example at (actual, predicted) {target}".rstrip())
        name = f" {self.target}" if self.target else ""
        self.plot.setLabel("bottom", f"actual{name}")
        self.plot.setLabel("left", f"predicted{name}")
        self.clear()

    def set_validation(self, predicted, actual) -> None:
        """The validation examples' predictions and targets, both in the target's units."""
        predicted = np.asarray(predicted, dtype=np.float64).reshape(-1)
        actual = np.asarray(actual, dtype=np.float64).reshape(-1)
        if predicted.shape != actual.shape:
            raise ValueError(f"{len(predicted)} predictions for {len(actual)} targets")
        self.predicted, self.actual = predicted, actual
        if not len(actual):
            self.clear()
            return
        self.scores = regression_scores(predicted, actual)
        self.caption.setText(f"{score_text(*self.scores, self.target)}\n"
                             f"{len(actual)} validation examples; dashed: predicted = actual")
        shown = np.isfinite(predicted)      # a diverged network's NaN and inf are not drawn
        self.scatter.setData(actual[shown], predicted[shown])
        both = np.concatenate([actual, predicted[shown]])
        lo, hi = float(both.min()), float(both.max())
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.diagonal.setData([lo, hi], [lo, hi])
        self.plot.setRange(xRange=(lo, hi), yRange=(lo, hi))

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(actual, predicted) of the points drawn."""
        x, y = self.scatter.getData()
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def clear(self) -> None:
        self.predicted = self.actual = np.empty(0)
        self.scores = (None, None)
        self.scatter.clear()
        self.diagonal.setData([], [])
        self.caption.setText(EMPTY_TEXT)
