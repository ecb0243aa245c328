"""The palette: what can be placed on the canvas, dragged or double-clicked.

Each entry is a spec {"kind", "size", "activation", "label"}: the payload of the
vendor MIME type a drag carries (gui.core.mime reads and writes it) and what the
canvas's ``add_node_at`` takes. Double-click or Enter asks for the entry at the view's
centre through ``place_requested``.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine.nn.activations import FORMULA
from gui.shell.icons import icon
from gui.core.mime import palette_mime_data

PRESETS = ("tanh", "relu", "sigmoid", "leaky_relu", "elu", "softplus", "swish", "linear")
_SPEC_ROLE = Qt.UserRole + 1
ICON_PX = 16        # compact rows: every entry fits in the dock at the default window size


def spec(kind: str, size: int, activation: str, label: str) -> dict:
    return {"kind": kind, "size": size, "activation": activation, "label": label}


def _activation_tip(act: str) -> str:
    f, df = FORMULA[act]
    return f"{act}: f(z) = {f},  f′(z) = {df}"


# (group title, [(entry text, icon, spec, tooltip)])
def palette_groups() -> list[tuple[str, list[tuple[str, str, dict, str]]]]:
    """Every entry of the palette, grouped as shown."""
    io_entries = [
        ("Input", "input", spec("input", 2, "linear", "Input"),
         "Input: the features of one example (size 2). A design has exactly one input."),
        ("Output", "output", spec("output", 1, "sigmoid", "Output"),
         "Output: one sigmoid neuron, for a yes/no answer (use the bce loss)."),
        ("Softmax output", "softmax", spec("output", 10, "softmax", "Softmax output"),
         "Softmax output: 10 neurons giving class probabilities (use the softmax_ce loss)."),
    ]
    dense = [(f"Dense layer · {a}", "dense", spec("hidden", 4, a, "Dense layer"),
              f"Dense layer of 4 neurons, every neuron connected to every neuron of its inputs.\n"
              f"{_activation_tip(a)}") for a in PRESETS]
    neurons = [(f"Neuron · {a}", "neuron", spec("hidden", 1, a, "Neuron"),
                f"A single neuron: wire neurons one by one to build any shape.\n{_activation_tip(a)}")
               for a in PRESETS]
    return [("Inputs and outputs", io_entries), ("Dense layers", dense), ("Single neurons", neurons)]


class _PaletteTree(QTreeWidget):
    """A tree whose leaf entries drag as PALETTE_MIME (groups do not drag); Enter places."""

    enter_pressed = Signal(QTreeWidgetItem)

    def keyPressEvent(self, event):
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentItem() is not None:
            self.enter_pressed.emit(self.currentItem())
            return
        super().keyPressEvent(event)

    def startDrag(self, supported_actions):
        item = self.currentItem()
        entry = item.data(0, _SPEC_ROLE) if item is not None else None
        if entry is None:
            return
        drag = QDrag(self)
        drag.setMimeData(palette_mime_data(entry))
        drag.setPixmap(item.icon(0).pixmap(QSize(32, 32)))
        drag.exec(Qt.CopyAction)


class Palette(QWidget):
    """The list of placeable entries: Input, Output, Dense layers, Neurons, Softmax output."""

    place_requested = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = _PaletteTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(ICON_PX, ICON_PX))
        self.tree.setUniformRowHeights(True)
        self.tree.setStyleSheet("QTreeWidget::item { padding: 1px 0px; }")
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        for title, entries in palette_groups():
            group = QTreeWidgetItem(self.tree, [title])
            group.setFlags(Qt.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for text, icon_name, entry, tip in entries:
                item = QTreeWidgetItem(group, [text])
                item.setIcon(0, icon(icon_name))
                item.setToolTip(0, tip)
                item.setStatusTip(0, tip.splitlines()[0])
                item.setData(0, _SPEC_ROLE, entry)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
        self.tree.expandAll()
        self.tree.itemDoubleClicked.connect(self._on_double_clicked)
        self.tree.enter_pressed.connect(self._on_double_clicked)

        self._hint = QLabel("Drag onto the canvas, or double-click to place at the centre.")
        self._hint.setWordWrap(True)
        self._hint.setStyleSheet("color: palette(mid); font-size: 11px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.tree)
        layout.addWidget(self._hint)

    def sizeHint(self) -> QSize:
        """Tall enough for every entry, so the dock asks for room to show them all."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.rows_height() + self._hint.sizeHint().height() + 16)

    def rows_height(self) -> int:
        """Pixels the tree needs to show every group and entry without scrolling."""
        rows = self.tree.topLevelItemCount() + len(self.entries())
        first = self.tree.topLevelItem(0)
        row = self.tree.sizeHintForRow(0) if first is not None else 0
        return rows * max(row, ICON_PX + 2) + 2 * self.tree.frameWidth()

    def entries(self) -> list[tuple[str, dict]]:
        """(shown text, spec) of every placeable entry, in order."""
        out = []
        for g in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(g)
            for k in range(group.childCount()):
                item = group.child(k)
                out.append((item.text(0), dict(item.data(0, _SPEC_ROLE))))
        return out

    def item_for(self, text: str) -> QTreeWidgetItem | None:
        found = self.tree.findItems(text, Qt.MatchExactly | Qt.MatchRecursive)
        return found[0] if found else None

    def _on_double_clicked(self, item: QTreeWidgetItem, column: int = 0):
        entry = item.data(0, _SPEC_ROLE)
        if entry is not None:
            self.place_requested.emit(dict(entry))
