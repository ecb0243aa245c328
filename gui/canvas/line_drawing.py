"""Drawing many lines at once: a cosmetic pen and one ``drawLines`` from a numpy buffer."""
from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

LINE_BYTES = 32       # one QLineF: four float64


def cosmetic_pen(color: QColor, width: float = 1.0) -> QPen:
    pen = QPen(color, width)
    pen.setCosmetic(True)  # width in device pixels: zooming in does not thicken edges
    pen.setCapStyle(Qt.FlatCap)
    return pen


def draw_line_buffer(painter: QPainter, lines: np.ndarray, start: int, count: int) -> None:
    """Draw ``count`` lines of a contiguous (n, 4) float64 array from row ``start``."""
    if count > 0:
        painter.drawLines(shiboken6.wrapInstance(lines.ctypes.data + start * LINE_BYTES, QLineF),
                          count)
