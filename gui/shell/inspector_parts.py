"""Building blocks of the inspector's pages: selectable labels and a titled form."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget


def text_label(text: str = "", *, title: bool = False, wrap: bool = False) -> QLabel:
    """A label whose text can be selected and copied; ``title`` makes it bold and larger."""
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    if title:
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        label.setFont(font)
    return label


def form_page(title: QLabel, rows: tuple) -> QWidget:
    """``title`` over a form of rows, each a (label, field) pair or one widget spanning both."""
    page = QWidget()
    outer = QVBoxLayout(page)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(title)
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
    outer.addLayout(form)
    outer.addStretch(1)
    for row in rows:
        form.addRow(*(row if isinstance(row, tuple) else (row,)))
    return page


def scrolled(widgets: tuple, parent: QWidget, above: QWidget) -> QScrollArea:
    """Lay ``above`` (always in view, at its full height) over ``widgets`` in ``parent``; these
    scroll vertically when the dock is too short (a low window must not squeeze the rows)."""
    content = QWidget()
    column = QVBoxLayout(content)
    column.setContentsMargins(0, 4, 0, 8)
    for w in widgets:
        column.addWidget(w)
    scroll = QScrollArea()
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    above.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
    layout = QVBoxLayout(parent)
    layout.setContentsMargins(8, 6, 8, 0)
    layout.addWidget(above)
    layout.addWidget(scroll, 1)
    return scroll
