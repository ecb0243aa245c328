"""The decision boundary: the network's output over the 2-D input plane, with the data on it.

Binary classification uses TensorFlow Playground's diverging colours (orange for
class 0, blue for class 1, pale at 0.5 where the boundary lies), lightened so
the points stay visible on top; regression uses viridis on the targets' range.
Training points are filled, validation points outlined; ``set_highlight`` rings one
point (the example the replay traces). The canvas draws one
hidden neuron's output over the plane with ``gui.canvas.thumbnail.neuron_thumbnail``.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.canvas.thumbnail import neuron_thumbnail
from gui.core.colormap import LUT_SIZE, NEGATIVE, POSITIVE, diverging_lut, sequential_lut
from gui.plots.gradient_flow import PALETTE
from gui.plots.parts import AXIS_COLOR, style_plot

TASKS = ("classification", "regression")
LIGHTEN = 0.45          # share of white mixed into the heat map under the points
POINT_SIZE = 7
HIGHLIGHT_SIZE = 20


def _colormap(lut: np.ndarray) -> pg.ColorMap:
    return pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), lut)


def class_colors(n_classes: int) -> list[tuple[int, int, int]]:
    """Point colours per class: orange/blue for two classes, Tableau 10 beyond."""
    if n_classes <= 2:
        return [NEGATIVE.getRgb()[:3], POSITIVE.getRgb()[:3]]
    return [PALETTE[i % len(PALETTE)] for i in range(n_classes)]


def smooth(values: np.ndarray, pixels: int = 256) -> np.ndarray:
    """Bilinear resampling of grid samples (corners on the extent's corners) onto the
    centres of about ``pixels`` image pixels per side, so a coarse grid draws without blocks."""
    ny, nx = values.shape
    out = values
    for axis, n in ((0, ny), (1, nx)):
        m = max(n, pixels)
        if n == 1 or m == n:
            continue
        u = (np.arange(m) + 0.5) / m * (n - 1)      # pixel centres in sample coordinates
        i0 = np.minimum(u.astype(np.intp), n - 2)
        f = u - i0
        a, b = np.take(out, i0, axis=axis), np.take(out, i0 + 1, axis=axis)
        shape = (-1, 1) if axis == 0 else (1, -1)
        out = a + (b - a) * f.reshape(shape)
    return out


def _as_labels(labels, n: int, task: str) -> np.ndarray:
    labels = np.asarray(labels, dtype=np.float64)
    if labels.ndim == 2 and labels.shape[0] == n:
        labels = labels.argmax(axis=1) if labels.shape[1] > 1 else labels[:, 0]
    if labels.shape != (n,):
        raise ValueError(f"{n} points but labels of shape {labels.shape}")
    if task == "classification":
        if not np.all(np.isfinite(labels)) or np.any(labels < 0):
            raise ValueError("class labels must be class indices 0, 1, ...")
        return labels.astype(np.intp)
    return labels


def _as_points(points) -> np.ndarray:
    if points is None:
        return np.empty((0, 2))
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be an (n, 2) array, not shape {points.shape}")
    return points


class DecisionBoundaryView(QWidget):
    """Heat map of the output over the input plane, the data points on top, a colour bar."""

    neuron_thumbnail = staticmethod(neuron_thumbnail)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.task = "classification"
        self.n_classes = 2
        self.levels: tuple[float, float] = (0.0, 1.0)
        self.extent: tuple[float, float, float, float] | None = None
        self.values: np.ndarray | None = None
        self._targets: np.ndarray | None = None     # regression targets, for the levels

        self.widget = pg.PlotWidget()
        style_plot(self.widget)
        self.plot = self.widget.getPlotItem()
        self.plot.setLabel("bottom", "x₁")
        self.plot.setLabel("left", "x₂")
        self.plot.setMenuEnabled(False)
        self.plot.setContentsMargins(2, 8, 2, 2)     # room for the edge tick labels
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.train_scatter = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True)
        self.val_scatter = pg.ScatterPlotItem(size=POINT_SIZE, pxMode=True)
        self.plot.addItem(self.train_scatter)
        self.plot.addItem(self.val_scatter)
        self.highlight_ring = pg.ScatterPlotItem(pxMode=True, brush=None)
        self.highlight_ring.setZValue(10)
        self.plot.addItem(self.highlight_ring, ignoreBounds=True)
        self._highlight: tuple[float, float] | None = None
        self.color_bar = pg.ColorBarItem(values=(0.0, 1.0), width=14, interactive=False,
                                         colorMapMenu=False)
        self.color_bar.setImageItem(self.image, insert_in=self.plot)
        bar_axis = self.color_bar.getAxis("right")
        bar_axis.setPen(pg.mkPen(AXIS_COLOR))
        bar_axis.setTextPen(pg.mkPen(AXIS_COLOR))
        self._apply_colormap()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.widget)

    # ----- data -----------------------------------------------------------
    def set_points(self, points_train, labels_train, points_val=None, labels_val=None,
                   task: str = "classification") -> None:
        """The data on the plane: training points filled, validation points outlined.

        Labels are class indices (or one-hot rows) for "classification", target
        values for "regression" (whose colour scale then spans the targets).
        """
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (use {' or '.join(TASKS)})")
        pt, pv = _as_points(points_train), _as_points(points_val)
        lt = _as_labels(labels_train if labels_train is not None else [], len(pt), task)
        lv = _as_labels(labels_val if labels_val is not None else [], len(pv), task)
        self.task = task
        if task == "classification":
            self._targets = None
            both = np.concatenate([lt, lv])
            self.n_classes = max(2, int(both.max()) + 1 if both.size else 2)
            self.levels = (0.0, 1.0)
        else:
            self._targets = np.concatenate([lt, lv])
            self.levels = self._regression_levels(self.values)
        self._apply_colormap()
        self.train_scatter.setData(pos=pt, brush=self._brushes(lt), pen=pg.mkPen(255, 255, 255, 220, width=1))
        self.val_scatter.setData(pos=pv, brush=pg.mkBrush(255, 255, 255, 150), pen=self._pens(lv))
        if self.extent is None and len(pt) + len(pv):
            both = np.vstack([pt, pv])
            self.plot.setRange(xRange=(both[:, 0].min(), both[:, 0].max()),
                               yRange=(both[:, 1].min(), both[:, 1].max()))

    def set_grid(self, extent, values: np.ndarray) -> None:
        """The output over the plane, sampled as ``np.meshgrid`` of two ``np.linspace``s.

        ``values[i, j]`` is the output at x_j = linspace(xmin, xmax, nx)[j],
        y_i = linspace(ymin, ymax, ny)[i]: row 0 at ``ymin``, corners on the extent's corners.
        """
        xmin, xmax, ymin, ymax = (float(e) for e in extent)
        if not (np.isfinite([xmin, xmax, ymin, ymax]).all() and xmax > xmin and ymax > ymin):
            raise ValueError(f"the extent (xmin, xmax, ymin, ymax) must be finite and increasing: {extent}")
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or 0 in values.shape:
            raise ValueError(f"grid values must be a 2-D array, not shape {values.shape}")
        lo, hi = self.levels if self.task == "classification" else self._regression_levels(values)
        # A diverged network's NaN and inf: the middle and the ends of the scale.
        values = np.nan_to_num(values, nan=(lo + hi) / 2, posinf=hi, neginf=lo)
        self.values = values
        if self.task == "regression" and (lo, hi) != self.levels:
            self.levels = (lo, hi)
            self._apply_colormap()
        self.image.setImage(smooth(values), autoLevels=False, levels=self.levels)
        self.image.setRect(QRectF(xmin, ymin, xmax - xmin, ymax - ymin))
        if self.extent != (xmin, xmax, ymin, ymax):
            self.extent = (xmin, xmax, ymin, ymax)
            self.plot.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)

    def clear(self) -> None:
        """No heat map, no points."""
        self.image.clear()
        self.train_scatter.clear()
        self.val_scatter.clear()
        self.set_highlight(None)
        self.values = self.extent = self._targets = None

    def set_highlight(self, point) -> None:
        """Ring the point (x1, x2) on the plane, or take the ring away (None)."""
        self._highlight = None if point is None else tuple(float(v) for v in point)
        if not shiboken6.isValid(self.highlight_ring):
            return   # the window is being taken down: the replay stops after the plot is gone
        if point is None:
            self.highlight_ring.clear()
            return
        x, y = self._highlight
        # A wide white ring under a dark one: visible on either colour of the map.
        self.highlight_ring.setData(
            pos=[(x, y), (x, y)], size=HIGHLIGHT_SIZE, brush=None,
            pen=[pg.mkPen(255, 255, 255, 230, width=5), pg.mkPen(20, 20, 20, 255, width=2)])

    def highlight(self) -> tuple[float, float] | None:
        """The ringed point, or None."""
        return self._highlight

    def point_counts(self) -> tuple[int, int]:
        """(training points, validation points) on the plane."""
        return len(self.train_scatter.data), len(self.val_scatter.data)

    # ----- colours --------------------------------------------------------
    def _regression_levels(self, values) -> tuple[float, float]:
        """The targets' range once they are known (so colours keep their meaning), else the grid's."""
        source = self._targets if self._targets is not None and self._targets.size else values
        if source is None:
            return (0.0, 1.0)
        finite = np.asarray(source)[np.isfinite(source)]
        if not finite.size:
            return (0.0, 1.0)
        lo, hi = float(finite.min()), float(finite.max())
        return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)

    def _apply_colormap(self) -> None:
        lut = diverging_lut(LIGHTEN) if self.task == "classification" else sequential_lut(LIGHTEN)
        self.color_bar.setColorMap(_colormap(lut))
        self.color_bar.setLevels(self.levels)
        self.color_bar.getAxis("right").setLabel(
            "output (P of blue class)" if self.task == "classification" else "output")

    def _point_rgb(self, labels: np.ndarray) -> np.ndarray:
        if self.task == "classification":
            return np.array(class_colors(self.n_classes))[labels % max(self.n_classes, 1)]
        lo, hi = self.levels
        index = np.clip(np.round((labels - lo) / (hi - lo) * (LUT_SIZE - 1)), 0, LUT_SIZE - 1)
        return sequential_lut()[np.nan_to_num(index).astype(np.intp)]

    def _brushes(self, labels: np.ndarray) -> list:
        cache = {}
        return [cache.setdefault(c, pg.mkBrush(*c)) for c in map(tuple, self._point_rgb(labels).tolist())]

    def _pens(self, labels: np.ndarray) -> list:
        cache = {}
        return [cache.setdefault(c, pg.mkPen(*c, width=2)) for c in map(tuple, self._point_rgb(labels).tolist())]
