"""A selected connection's whole gradient matrix |dL/dW| as a heat map (rows: destination neurons)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

FLOOR = 1e-12       # magnitudes below this are drawn as this (the darkest colour)


class GradientMatrixView(QWidget):
    """Heat map of log10 |dL/dW| for one connection, with its scale in the caption."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel("Select a connection to see its gradient matrix")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.invertY(True)
        self.plot.setLabel("left", "destination neuron")
        self.plot.setLabel("bottom", "source neuron")
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        layout.addWidget(self.plot, 1)
        self.values: np.ndarray | None = None

    def set_matrix(self, title: str, gradient: np.ndarray) -> None:
        """Show |gradient| on a log scale from its smallest to its largest finite magnitude
        (at least FLOOR); an infinite entry is drawn brightest and NaN darkest, and counted."""
        mag = np.abs(np.asarray(gradient, dtype=np.float64))
        bad = ~np.isfinite(mag)
        logs = np.log10(np.maximum(np.where(bad, FLOOR, mag), FLOOR))
        shown = mag[~bad & (mag >= FLOOR)]
        if shown.size:
            lo, hi = float(np.log10(shown.min())), float(np.log10(shown.max()))
        else:
            lo = hi = float(np.log10(FLOOR))
        if hi - lo < 1e-6:
            lo = hi - 1.0
        logs[np.isposinf(mag)] = hi
        logs[np.isnan(mag)] = lo
        self.values = logs
        self.image.setImage(logs, levels=(lo, hi), autoLevels=False)
        rows, cols = mag.shape
        scale = (f"from {10 ** lo:.2g} (dark) to {10 ** hi:.2g} (bright)" if shown.size
                 else f"all below {FLOOR:.0e}")
        problems = f"; {int(bad.sum())} not finite" if bad.any() else ""
        self.caption.setText(f"|∂L/∂W| of {title}: {rows} × {cols}, {scale}{problems}")

    def clear(self) -> None:
        self.values = None
        self.image.clear()
        self.caption.setText("Select a connection to see its gradient matrix")
