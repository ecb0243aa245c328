"""The palette: its entries, their drag payload, and placing by double-click, Enter and drop."""
import json

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.files.document import SETTINGS_ENV
from gui.shell.main_window import MainWindow
from gui.core.mime import PALETTE_MIME, palette_mime_data, spec_from_mime_data
from gui.shell.palette import PRESETS, Palette


@pytest.fixture(autouse=True)
def settings_file(tmp_path, monkeypatch):
    monkeypatch.setenv(SETTINGS_ENV, str(tmp_path / "settings.ini"))


@pytest.fixture
def palette(qtbot):
    p = Palette()
    qtbot.addWidget(p)
    p.resize(260, 700)
    p.show()
    return p


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_entries_cover_what_can_be_placed(palette):
    entries = dict(palette.entries())
    assert entries["Input"] == {"kind": "input", "size": 2, "activation": "linear", "label": "Input"}
    assert entries["Output"] == {"kind": "output", "size": 1, "activation": "sigmoid", "label": "Output"}
    assert entries["Softmax output"] == {"kind": "output", "size": 10, "activation": "softmax",
                                         "label": "Softmax output"}
    for act in PRESETS:
        assert entries[f"Dense layer · {act}"] == {"kind": "hidden", "size": 4, "activation": act,
                                                   "label": "Dense layer"}
        assert entries[f"Neuron · {act}"] == {"kind": "hidden", "size": 1, "activation": act,
                                              "label": "Neuron"}
    for text, _ in palette.entries():
        item = palette.item_for(text)
        assert item.toolTip(0) and not item.icon(0).isNull(), text
        assert item.flags() & Qt.ItemIsDragEnabled


def test_mime_data_round_trips(palette):
    for _, entry in palette.entries():
        mime = palette_mime_data(entry)
        assert mime.formats() == [PALETTE_MIME]
        assert json.loads(bytes(mime.data(PALETTE_MIME)).decode()) == entry
        assert spec_from_mime_data(mime) == entry


def test_foreign_or_broken_mime_data_gives_no_spec():
    assert spec_from_mime_data(QMimeData()) is None
    broken = QMimeData()
    broken.setData(PALETTE_MIME, b"{not json")
    assert spec_from_mime_data(broken) is None
    partial = QMimeData()
    partial.setData(PALETTE_MIME, b'{"kind": "hidden"}')
    assert spec_from_mime_data(partial) is None


def _double_click(palette, text):
    item = palette.item_for(text)
    palette.tree.scrollToItem(item)
    centre = palette.tree.visualItemRect(item).center()
    QTest.mouseClick(palette.tree.viewport(), Qt.LeftButton, Qt.NoModifier, centre)
    QTest.mouseDClick(palette.tree.viewport(), Qt.LeftButton, Qt.NoModifier, centre)


def test_double_click_and_enter_ask_to_place(qtbot, palette):
    with qtbot.waitSignal(palette.place_requested) as blocker:
        _double_click(palette, "Neuron · relu")
    assert blocker.args[0] == {"kind": "hidden", "size": 1, "activation": "relu", "label": "Neuron"}
    palette.tree.setCurrentItem(palette.item_for("Softmax output"))
    palette.tree.setFocus()
    with qtbot.waitSignal(palette.place_requested) as blocker:
        QTest.keyClick(palette.tree, Qt.Key_Return)
    assert blocker.args[0]["activation"] == "softmax"
    # Group headings place nothing.
    with qtbot.assertNotEmitted(palette.place_requested):
        palette.tree.itemDoubleClicked.emit(palette.tree.topLevelItem(0), 0)


def test_double_click_places_a_dense_layer_at_the_centre_undoably(window):
    before = window.graph.copy()
    _double_click(window.palette, "Dense layer · tanh")
    new = [n for n in window.graph.nodes.values() if n.id not in before.nodes]
    assert len(new) == 1 and (new[0].kind, new[0].size, new[0].activation) == ("hidden", 4, "tanh")
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert abs(new[0].position[0] - centre.x()) < 150 and abs(new[0].position[1] - centre.y()) < 150
    assert window.actions_by_name["undo"].text() == "&Undo Add Dense layer"
    assert window.scene.items_match_graph() is None
    window.undo_stack.undo()
    assert window.graph.same_design(before)
    assert window.scene.items_match_graph() is None


def test_repeated_placements_do_not_stack_exactly(window):
    for _ in range(3):
        window.place_at_centre({"kind": "hidden", "size": 1, "activation": "tanh", "label": "Neuron"})
    added = [n.position for n in window.graph.nodes.values() if n.id not in ("x", "h1", "h2", "y")]
    assert len(added) == 3 and len(set(added)) == 3


def test_palette_payload_dropped_on_the_view_creates_the_node(window):
    viewport = window.view.viewport()
    mime = palette_mime_data({"kind": "hidden", "size": 3, "activation": "elu", "label": "Dense layer"})
    pos = QPointF(viewport.width() * 0.5, viewport.height() * 0.8)
    for cls in (QDragEnterEvent, QDragMoveEvent):
        event = cls(pos.toPoint(), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    QApplication.sendEvent(viewport, QDropEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
    added = [n for n in window.graph.nodes.values() if n.activation == "elu"]
    assert len(added) == 1 and added[0].size == 3
    assert window.undo_stack.undoText() == "Add Dense layer"
    assert window.scene.items_match_graph() is None
