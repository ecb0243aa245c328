"""A selected connection's whole gradient matrix |dL/dW| as a heat map (rows: destination neurons)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


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
        mag = np.abs(np.asarray(gradient, dtype=np.float64))
        logs = np.log10(np.maximum(mag, 1e-12))
        nonzero = mag[mag > 0]
        lo = float(np.log10(nonzero.min())) if nonzero.size else -12.0
        hi = float(logs.max()) if logs.size else 0.0
        if hi - lo < 1e-6:
            lo = hi - 1.0
        self.values = logs
        self.image.setImage(logs, levels=(lo, hi), autoLevels=False)
        rows, cols = mag.shape
        self.caption.setText(f"|∂L/∂W| of {title}: {rows} × {cols}, "
                             f"from {10 ** lo:.2g} (dark) to {10 ** hi:.2g} (bright)")

    def clear(self) -> None:
        self.values = None
        self.image.clear()
        self.caption.setText("Select a connection to see its gradient matrix")
