"""Drawing many lines at once: a cosmetic pen and one ``drawLines`` from a numpy buffer."""
from __future__ import annotations

import ctypes
import os
from functools import lru_cache

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

LINE_BYTES = 32       # one QLineF: four float64
# Connections keep their endpoints in float32: half the memory of QLineF's float64 (28 MB less
# for 1.86 M edges), and exact to a hundredth of a pixel below 10^5 scene units. They are
# widened to float64 a block at a time as they are drawn.
LINE_DTYPE = np.float32
BLOCK = 16384         # lines widened at a time (512 kB)


def cosmetic_pen(color: QColor, width: float = 1.0) -> QPen:
    pen = QPen(color, width)
    pen.setCosmetic(True)  # width in device pixels: zooming in does not thicken edges
    pen.setCapStyle(Qt.FlatCap)
    return pen


def draw_line_buffer(painter: QPainter, lines: np.ndarray, start: int, count: int) -> None:
    """Draw ``count`` lines of an (n, 4) array of endpoints from row ``start`` (a contiguous
    float64 array is drawn in place, any other a block at a time). Other threads run while
    Qt draws (see ``native_draw_lines``)."""
    if count <= 0:
        return
    if lines.dtype == np.float64 and lines.flags.c_contiguous:
        _draw_lines(painter, lines.ctypes.data + start * LINE_BYTES, count)
        return
    for first in range(start, start + count, BLOCK):
        block = np.ascontiguousarray(lines[first:min(first + BLOCK, start + count)], dtype=np.float64)
        _draw_lines(painter, block.ctypes.data, len(block))


def _draw_lines(painter: QPainter, address: int, count: int) -> None:
    native = native_draw_lines()
    if native is None:
        painter.drawLines(shiboken6.wrapInstance(address, QLineF), count)
    else:
        native(shiboken6.getCppPointer(painter)[0], address, count)


@lru_cache(maxsize=1)
def native_draw_lines():
    """``QPainter::drawLines(const QLineF *, int)`` called through ctypes, or None where it
    cannot be found (other platforms' symbol names: the binding is used then).

    The PySide6 binding keeps the GIL while Qt draws; a ctypes call lets go of it, so the
    threads that draw large pictures (``edge_refiner``) draw at the same time. It is the
    same Qt function, so the pixels are the same.
    """
    symbol = "_ZN8QPainter9drawLinesEPK6QLineFi"      # the Itanium C++ ABI's name (Linux)
    import PySide6
    names = ("libQt6Gui.so.6",                          # already loaded by PySide6.QtGui
             os.path.join(os.path.dirname(PySide6.__file__), "Qt", "lib", "libQt6Gui.so.6"))
    for name in names:
        try:
            function = getattr(ctypes.CDLL(name), symbol)
        except (OSError, AttributeError):
            continue
        function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        function.restype = None
        return function
    return None


class DrawRate:
    """How many lines fit in a slice of time, learnt from the slices drawn so far (lines per
    second, smoothed): drawing in slices takes as many lines as the time left allows."""

    def __init__(self):
        self.rate = 0.0

    def lines_for(self, seconds: float, first: int) -> int:
        """Lines to draw in ``seconds`` (``first`` before anything was measured)."""
        if self.rate <= 0:
            return first
        return max(64, int(self.rate * seconds))

    def measured(self, count: int, seconds: float) -> None:
        """``count`` lines took ``seconds``."""
        if count >= 64 and seconds > 0:
            rate = count / seconds
            self.rate = rate if self.rate <= 0 else 0.7 * self.rate + 0.3 * rate
