"""A selected connection's whole gradient matrix |dL/dW| as a heat map (rows: destination neurons).

Until there is one to show, the panel says what to do instead of showing empty axes.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

FLOOR = 1e-12       # magnitudes below this are drawn as this (the darkest colour)
SELECT_HINT = ("Select a connection on the canvas to see its gradient matrix: "
               "|∂L/∂W| for every weight, one row per destination neuron.")


def waiting_hint(title: str) -> str:
    """What the panel says while the selected connection has no gradient yet."""
    return f"Press Play or Step: the gradient matrix of {title} appears after the first training step."


class GradientMatrixView(QWidget):
    """Heat map of log10 |dL/dW| for one connection, with its scale in the caption."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.caption = QLabel(SELECT_HINT)
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.hint = QLabel(SELECT_HINT)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setStyleSheet("color: palette(mid); padding: 12px;")
        layout.addWidget(self.hint, 1)
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
        self.clear()

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
        self._show_plot(True)
        self.image.setImage(logs, levels=(lo, hi), autoLevels=False)
        rows, cols = mag.shape
        scale = (f"from {10 ** lo:.2g} (dark) to {10 ** hi:.2g} (bright)" if shown.size
                 else f"all below {FLOOR:.0e}")
        problems = f"; {int(bad.sum())} not finite" if bad.any() else ""
        self.caption.setText(f"|∂L/∂W| of {title}: {rows} × {cols}, {scale}{problems}")

    def clear(self, selected: str | None = None) -> None:
        """No matrix: ask to select a connection, or (``selected`` names one) to train first."""
        self.values = None
        self.image.clear()
        text = SELECT_HINT if selected is None else waiting_hint(selected)
        self.caption.setText(text)
        self.hint.setText(text)
        self._show_plot(False)

    def hint_text(self) -> str:
        """What the panel says when it has no matrix to show ("" when it shows one)."""
        return "" if self.values is not None else self.hint.text()

    def _show_plot(self, shown: bool) -> None:
        self.caption.setVisible(shown)
        self.plot.setVisible(shown)
        self.hint.setVisible(not shown)
