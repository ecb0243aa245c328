"""The confusion matrix of the validation examples: rows the actual class, columns the predicted one.

A classification's picture when its data is not a plane to draw a boundary on (iris,
digits, a CSV with a text target). Each cell holds a count; its colour is the share of
its row, blue on the diagonal (right) and orange off it (mistakes), so a good model is
a blue diagonal on white. The title gives the accuracy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from gui.core.colormap import NEGATIVE, POSITIVE

MARGIN = 8
GAP = 6                 # between the class names and the cells
MAX_LABEL = 110         # pixels a row's class name may take before it is elided
TEXT = QColor(60, 64, 70)
GRID = QColor(225, 228, 232)
EMPTY_TEXT = "Train to see how the validation examples are classified"


def confusion_counts(predicted, actual, n_classes: int) -> np.ndarray:
    """(n_classes, n_classes) counts: row = actual class, column = predicted class."""
    predicted = np.asarray(predicted, dtype=np.intp).reshape(-1)
    actual = np.asarray(actual, dtype=np.intp).reshape(-1)
    if predicted.shape != actual.shape:
        raise ValueError(f"{len(predicted)} predictions for {len(actual)} targets")
    if len(actual) and (min(predicted.min(), actual.min()) < 0
                        or max(predicted.max(), actual.max()) >= n_classes):
        raise ValueError(f"class indices must lie in 0..{n_classes - 1}")
    return np.bincount(actual * n_classes + predicted, minlength=n_classes * n_classes
                       ).reshape(n_classes, n_classes)


@dataclass
class Layout:
    """The matrix's top-left corner, its cell size, the width of the class names, whether the
    column names are turned, and the font's metrics."""
    left: float
    top: float
    cell: float
    label: float
    turned: bool
    fm: QFontMetrics


def _mix(color: QColor, share: float) -> QColor:
    """``share`` of ``color`` over white."""
    s = min(max(share, 0.0), 1.0)
    return QColor(*(round(255 + (c - 255) * s) for c in color.getRgb()[:3]))


class ConfusionMatrixView(QWidget):
    """Counts of (actual, predicted) class pairs, with the class names on both axes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.classes: list[str] = []
        self.counts = np.zeros((0, 0), dtype=np.int64)
        self.setAttribute(Qt.WA_OpaquePaintEvent)

    def set_classes(self, classes) -> None:
        """The class names in output order; clears the counts."""
        self.classes = [str(c) for c in classes]
        self.clear()

    def set_validation(self, predicted, actual) -> None:
        """The validation examples' predicted and actual class indices."""
        self.counts = confusion_counts(predicted, actual, len(self.classes))
        self.update()

    def clear(self) -> None:
        self.counts = np.zeros((0, 0), dtype=np.int64)
        self.update()

    def accuracy(self) -> float | None:
        total = int(self.counts.sum())
        return float(np.trace(self.counts)) / total if total else None

    def title(self) -> str:
        accuracy = self.accuracy()
        if accuracy is None:
            return EMPTY_TEXT
        total = int(self.counts.sum())
        return f"accuracy {100 * accuracy:.1f}%: {int(np.trace(self.counts))} of {total} validation examples"

    # ----- geometry ---------------------------------------------------------------------
    def matrix_layout(self) -> Layout:
        """Where the matrix goes: room for the title, the names (turned under the columns when
        they do not fit across a cell) and the axis titles."""
        fm = QFontMetrics(self.font())
        k = max(len(self.classes), 1)
        label = min(MAX_LABEL, max((fm.horizontalAdvance(c) for c in self.classes), default=0) + 2)
        left = MARGIN + fm.height() + GAP + label + GAP       # "actual" (turned), names, gap
        top = MARGIN + fm.height() + 2 * GAP                  # the title
        turned = False
        for names in (fm.height(), label):                    # across, else turned
            bottom = GAP + names + GAP + fm.height() + MARGIN   # names, "predicted"
            cell = max(min((self.width() - left - MARGIN) / k, (self.height() - top - bottom) / k), 4.0)
            if turned or label <= cell:
                break
            turned = True
        left += max((self.width() - left - MARGIN - k * cell) / 2, 0)   # centred across
        return Layout(left, top, cell, label, turned, fm)

    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(actual, predicted) of the cell under widget point (x, y), or None."""
        k = len(self.counts)
        if not k:
            return None
        g = self.matrix_layout()
        i, j = int((y - g.top) // g.cell), int((x - g.left) // g.cell)
        return (i, j) if 0 <= i < k and 0 <= j < k and x >= g.left and y >= g.top else None

    # ----- drawing ------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.white)
        p.setRenderHint(QPainter.Antialiasing, False)
        p.setPen(TEXT)
        fm = QFontMetrics(self.font())
        title = QRectF(MARGIN, MARGIN, self.width() - 2 * MARGIN, fm.height())
        p.drawText(title, Qt.AlignCenter, fm.elidedText(self.title(), Qt.ElideRight, int(title.width())))
        if len(self.counts):
            self._draw_matrix(p)
        p.end()

    def _draw_matrix(self, p: QPainter) -> None:
        g = self.matrix_layout()
        k, cell = len(self.counts), g.cell
        rows = np.maximum(self.counts.sum(axis=1), 1)
        number_font = QFont(self.font())
        number_font.setPixelSize(int(min(max(cell * 0.45, 8), 18)))
        p.setFont(number_font)
        for i in range(k):
            for j in range(k):
                n = int(self.counts[i, j])
                shade = 0.12 + 0.8 * n / rows[i] if n else 0.0     # a single mistake shows
                rect = QRectF(g.left + j * cell, g.top + i * cell, cell, cell)
                p.fillRect(rect, _mix(POSITIVE if i == j else NEGATIVE, shade))
                p.setPen(GRID)
                p.drawRect(rect)
                if cell >= 14:
                    p.setPen(Qt.white if shade > 0.5 else TEXT if n else GRID.darker(130))
                    p.drawText(rect, Qt.AlignCenter, str(n))
        p.setFont(self.font())
        p.setPen(TEXT)
        self._draw_names(p, g)

    def _draw_names(self, p: QPainter, g: Layout) -> None:
        k, cell, fm = len(self.counts), g.cell, g.fm
        step = max(1, int(np.ceil(fm.height() / cell)))     # every name while they fit, else some
        for i in range(0, k, step):
            rect = QRectF(g.left - GAP - g.label, g.top + i * cell, g.label, cell)
            p.drawText(rect, Qt.AlignRight | Qt.AlignVCenter,
                       fm.elidedText(self.classes[i], Qt.ElideRight, int(g.label)))
        below = g.top + k * cell + GAP
        names_height = g.label if g.turned else fm.height()
        for j in range(0, k, step):
            text = fm.elidedText(self.classes[j], Qt.ElideRight, int(g.label if g.turned else cell * step))
            if g.turned:            # read bottom to top, ending under the column
                p.save()
                p.translate(g.left + (j + 0.5) * cell - fm.height() / 2, below)
                p.rotate(-90)
                p.drawText(QRectF(-g.label, 0, g.label, fm.height()), Qt.AlignRight | Qt.AlignVCenter, text)
                p.restore()
            else:
                p.drawText(QRectF(g.left + (j + 0.5 - step / 2) * cell, below, cell * step, fm.height()),
                           Qt.AlignCenter, text)
        p.drawText(QRectF(g.left, below + names_height + GAP, k * cell, fm.height()), Qt.AlignCenter, "predicted")
        p.save()
        p.translate(MARGIN, g.top + k * cell / 2)
        p.rotate(-90)
        p.drawText(QRectF(-k * cell / 2, 0, k * cell, fm.height()), Qt.AlignCenter, "actual")
        p.restore()

    def event(self, e) -> bool:
        if e.type() == QEvent.ToolTip:
            at = self.cell_at(e.pos().x(), e.pos().y())
            if at is None:
                QToolTip.hideText()
            else:
                i, j = at
                n = int(self.counts[i, j])
                QToolTip.showText(e.globalPos(), f"actual {self.classes[i]}, predicted {self.classes[j]}: "
                                  f"{n} example{'s' * (n != 1)}", self)
            return True
        return super().event(e)
