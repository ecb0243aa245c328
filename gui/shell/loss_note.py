"""The note under the inspector when the design's loss does not pair with its output activation.

It explains the mismatch in one or two sentences (engine.model.loss_pairing says what) and
offers the matching loss as one button; it is hidden while the pair matches.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from engine.model.loss_pairing import loss_mismatch

STYLE = ("#loss_note { background: #fff8e1; border: 1px solid #f0c36d; border-radius: 4px; }"
         "#loss_note QLabel { color: #5d4037; }")


class LossNote(QFrame):
    """A visible, non-modal note naming a loss/output mismatch, with a button that fixes it."""

    fix_requested = Signal(str)     # the loss to use

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("loss_note")
        self.setStyleSheet(STYLE)
        self.suggested: str | None = None
        self.title = QLabel("<b>Loss and output do not match</b>")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.fix_button = QPushButton()
        self.fix_button.clicked.connect(lambda: self.suggested and self.fix_requested.emit(self.suggested))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.fix_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.hide()

    def show_for(self, graph) -> None:
        """Show the note for ``graph``'s mismatch, or hide it when loss and output pair."""
        mismatch = loss_mismatch(graph)
        self.suggested = mismatch.suggested if mismatch else None
        if mismatch is None:
            self.hide()
            return
        self.text.setText(mismatch.note)
        self.fix_button.setText(f"Use {mismatch.suggested}")
        self.fix_button.setToolTip(f"Set the loss to {mismatch.suggested}, which pairs with a "
                                   f"{mismatch.activation} output (undoable)")
        self.show()
