"""The inspector: pages per selection, undoable edits, refusals, weights of a network."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from engine import Network
from engine.nn.activations import HIDDEN_ACTIVATIONS
from gui.files.document import SETTINGS_ENV
from gui.shell.inspector import parameter_count
from gui.shell.main_window import MainWindow


@pytest.fixture(autouse=True)
def settings_file(tmp_path, monkeypatch):
    monkeypatch.setenv(SETTINGS_ENV, str(tmp_path / "settings.ini"))


@pytest.fixture
def window(qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitActive(w)  # focus and key events as in use
    return w


def select(window, nodes=(), conns=(), edge=None):
    """Make the scene report this selection (its public interface) and announce it."""
    scene = window.scene
    scene.selected_node_ids = lambda: list(nodes)
    scene.selected_connection_keys = lambda: list(conns)
    scene.selected_edge = lambda: edge
    scene.selection_changed.emit()
    return window.inspector


def test_nothing_selected_shows_the_design_summary(window):
    ins = select(window)
    assert ins.current_page() == "summary"
    g = window.graph
    assert ins.nodes_label.text() == "4" and ins.edges_label.text() == "18"
    assert ins.params_label.text() == str(18 + 4 + 2 + 1) == str(parameter_count(g))
    assert ins.loss_combo.currentData() == "bce" and ins.status_label.text() == "Ready to train."
    ins.loss_combo.setCurrentIndex(ins.loss_combo.findData("mse"))
    ins.loss_combo.activated.emit(ins.loss_combo.currentIndex())
    assert g.loss == "mse" and window.undo_stack.undoText() == "Set loss to mse"
    assert ins.edges_label.text() == "18"
    window.undo_stack.undo()
    assert g.loss == "bce" and ins.loss_combo.currentData() == "bce"
    # A mismatched loss is allowed (the user may change the output next) but explained.
    ins.set_loss("softmax_ce")
    note = ins.loss_note
    assert note.isVisible() and "softmax" in note.text.text() and note.fix_button.text() == "Use bce"
    assert ins.status_label.text() != "Ready to train."


def test_a_design_without_data_names_the_data_play_trains_on(window):
    window.graph.settings.pop("data", None)
    window.training.panel.load_settings()
    ins = select(window)
    assert ins.data_label.text() == "circle (default)"
    assert window.training.panel.data_combo.currentData() == "circle"


def test_node_page_shows_the_node(window):
    ins = select(window, nodes=["h1"])
    assert ins.current_page() == "node"
    assert ins.node_title.text() == "Node h1" and ins.size_spin.value() == 4
    assert ins.activation_combo.currentData() == "tanh"
    choices = [ins.activation_combo.itemData(k) for k in range(ins.activation_combo.count())]
    assert choices == list(HIDDEN_ACTIVATIONS) and "softmax" not in choices
    assert "tanh" in ins.formula_label.text() and "x (2)" in ins.links_label.text()
    ins = select(window, nodes=["y"])
    assert "softmax" in [ins.activation_combo.itemData(k) for k in range(ins.activation_combo.count())]
    ins = select(window, nodes=["x"])
    assert not ins.activation_combo.isEnabled()
    ins = select(window, nodes=["x", "y"])
    assert ins.current_page() == "summary" and "2 nodes selected" in ins.selection_label.text()


def test_typing_a_size_resizes_the_node_and_undo_restores_it(window):
    ins = select(window, nodes=["h1"])
    before = window.graph.copy()
    spin = ins.size_spin
    spin.setFocus()
    spin.clear()
    QTest.keyClicks(spin, "8")
    assert spin.text() == "8"
    assert window.graph.nodes["h1"].size == 4  # nothing until Enter
    QTest.keyClick(spin, Qt.Key_Return)
    g = window.graph
    assert g.nodes["h1"].size == 8 and g.edge_count() == 2 * 8 + 8 * 2 + 2
    assert window.undo_stack.undoText() == "Resize h1 to 8"
    assert window.scene.items_match_graph() is None
    window.actions_by_name["undo"].trigger()
    assert g.same_design(before) and spin.value() == 4


def test_activation_and_name_edits_are_undoable(window):
    ins = select(window, nodes=["h1"])
    combo = ins.activation_combo
    combo.setCurrentIndex(combo.findData("relu"))
    combo.activated.emit(combo.currentIndex())
    assert window.graph.nodes["h1"].activation == "relu"
    assert window.undo_stack.undoText() == "Set activation of h1 to relu"
    edit = ins.name_edit
    edit.setFocus()
    QTest.keyClicks(edit, "hidden one")
    assert edit.text() == "hidden one"
    QTest.keyClick(edit, Qt.Key_Return)
    assert window.graph.nodes["h1"].name == "hidden one"
    assert window.undo_stack.undoText() == "Rename h1"
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.graph.nodes["h1"].name == "" and window.graph.nodes["h1"].activation == "tanh"
    assert combo.currentData() == "tanh" and edit.text() == ""


def test_refused_edits_change_nothing_and_say_why(window):
    ins = select(window, nodes=["h1"])
    before = window.graph.copy()
    count = window.undo_stack.count()
    refusal = ins.set_activation("h1", "softmax")
    assert refusal and "softmax" in refusal
    assert window.graph.same_design(before) and window.undo_stack.count() == count
    assert ins.message_label.isVisible() and ins.message_label.text() == refusal
    assert window.statusBar().currentMessage() == refusal
    refusal = ins.resize_node("h1", 0)
    assert refusal and "at least 1" in refusal
    assert window.graph.same_design(before) and ins.size_spin.value() == 4
    # Choosing another node clears the message.
    select(window, nodes=["h2"])
    assert not ins.message_label.isVisible()


def test_connection_page_counts_edges_and_restores_them(window):
    g = window.graph
    window.push_edit("Remove edges", lambda gr: gr.set_edges("x", "h1", [(0, 1), (3, 0)], False))
    ins = select(window, conns=[("x", "h1")])
    assert ins.current_page() == "connection"
    assert ins.conn_title.text() == "Connection x → h1"
    assert ins.shape_label.text().startswith("4 × 2")
    assert ins.present_label.text() == "6" and ins.masked_label.text() == "2"
    assert ins.restore_button.isEnabled()
    QTest.mouseClick(ins.restore_button, Qt.LeftButton)
    assert g.connections[("x", "h1")].mask is None
    assert ins.masked_label.text() == "0" and not ins.restore_button.isEnabled()
    window.undo_stack.undo()
    assert g.connections[("x", "h1")].masked_count() == 2


def test_edge_page_without_and_with_a_network(qtbot, window):
    ins = select(window, edge=("h1", "h2", 1, 3))
    assert ins.current_page() == "edge"
    assert ins.edge_title.text() == "Edge h1[3] → h2[1]"
    ins.set_network(None)
    assert ins.no_weights_label.isVisibleTo(ins) and not ins.weight_spin.isVisibleTo(ins)
    net = Network(window.graph, seed=3)
    ins.set_network(net)
    W = net.parameters()["W:h1->h2"]
    assert ins.weight_spin.isVisibleTo(ins) and ins.weight_spin.value() == pytest.approx(W[1, 3], abs=1e-6)
    with qtbot.waitSignal(ins.weight_changed) as blocker:
        ins.weight_spin.setValue(0.625)
    assert W[1, 3] == np.float32(0.625) and blocker.args == ["h1", "h2", 1, 3, 0.625]
    # A design change that alters the shape makes the weights stale: none are shown.
    window.push_edit("Resize h2 to 3", lambda g: g.update_node("h2", size=3))
    assert ins.no_weights_label.isVisibleTo(ins)
    assert ins.set_weight("h1", "h2", 1, 3, 1.0) is not None and W[1, 3] == np.float32(0.625)


def test_a_removed_edge_cannot_be_given_a_weight(window):
    window.push_edit("Remove edge", lambda g: g.set_edges("x", "h1", [(2, 0)], False))
    net = Network(window.graph)
    ins = select(window, edge=("x", "h1", 2, 0))
    ins.set_network(net)
    assert "removed" in ins.edge_state_label.text() and not ins.weight_spin.isEnabled()
    assert ins.set_weight("x", "h1", 2, 0, 5.0) and net.parameters()["W:x->h1"][2, 0] == 0


def test_a_removed_node_falls_back_to_the_summary(window):
    ins = select(window, nodes=["h2"])
    window.push_edit("Delete h2", lambda g: g.remove_node("h2"))
    assert ins.current_page() == "summary" and ins.nodes_label.text() == "3"
    assert "receives no connection" in ins.status_label.text()


def test_follows_the_canvas_selection(window):
    ins = window.inspector
    window.scene.node_items["h2"].setSelected(True)
    assert ins.current_page() == "node" and ins.node_title.text() == "Node h2"
    window.scene.clearSelection()
    assert ins.current_page() == "summary"
    window.scene.select_edge(("x", "h1", 3, 1))
    assert ins.current_page() == "edge" and ins.edge_title.text() == "Edge x[1] → h1[3]"
    window.scene.connection_items[("h1", "h2")].setSelected(True)
    assert ins.current_page() == "connection" and ins.conn_title.text() == "Connection h1 → h2"
    window.scene.select_all()
    assert ins.current_page() == "summary" and "4 nodes and 3 connections" in ins.selection_label.text()


def test_keys_typed_in_the_inspector_stay_there(window):
    window.scene.node_items["h1"].setSelected(True)
    edit = window.inspector.name_edit
    edit.setFocus()
    QTest.keyClicks(edit, "ab")
    QTest.keyClick(edit, Qt.Key_Backspace)
    QTest.keyClick(edit, Qt.Key_Delete)
    assert edit.text() == "a" and "h1" in window.graph.nodes
    # On the canvas the same key deletes the selection (the Edit menu's shortcut).
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key_Backspace)
    assert "h1" not in window.graph.nodes
    QTest.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    assert "h1" in window.graph.nodes


def test_opening_or_undoing_a_big_design_refreshes_the_inspector_and_summary_once(window, monkeypatch):
    from engine import Graph
    big = Graph("mse")
    big.add_node("input", 2, id="x")
    prev = "x"
    for i in range(300):
        big.add_node("hidden", 1, "tanh", id=f"h{i}")
        big.connect(prev, f"h{i}")
        prev = f"h{i}"
    big.add_node("output", 1, "linear", id="y")
    big.connect(prev, "y")
    ins = select(window)
    import gui.shell.main_window
    refreshes, summaries = [], []
    fill, summary = ins._fill_summary, gui.shell.main_window.design_summary    # what each refresh does
    monkeypatch.setattr(ins, "_fill_summary", lambda: (refreshes.append(1), fill()))
    monkeypatch.setattr(gui.shell.main_window, "design_summary", lambda g: (summaries.append(1), summary(g))[1])
    window.document.replace_design(big, None, "chain")      # ~600 changes
    # A few (the old design goes, the new one comes, the selection clears), not one per change.
    assert len(refreshes) <= 5 and len(summaries) <= 3
    assert ins.nodes_label.text() == "302" and "302 nodes" in window.summary_label.text()
    refreshes.clear()
    window.push_edit("Delete h5", lambda g: g.remove_node("h5"))
    window.undo_stack.undo()
    assert len(refreshes) == 2 and ins.nodes_label.text() == "302"


def test_a_name_holding_the_arrow_is_only_shown_never_part_of_a_weight_name(window, qtbot):
    # The inspector renames a node's shown name, never its id: weight names are built from ids
    # (engine/param_names.py), so "->" in a name cannot make two of them collide.
    qtbot.waitUntil(lambda: window.training.net is not None)
    names = set(window.training.net.parameters())
    ins = select(window, nodes=["h1"])
    assert ins.rename_node("h1", "x->h2") is None
    assert window.graph.nodes["h1"].label == "x->h2" and "h1" in window.graph.nodes
    window.training.reload()
    assert set(window.training.net.parameters()) == names


def test_a_narrow_inspector_shows_the_edge_page_whole(window, qtbot):
    # The design page's loss box, hidden behind the edge page, set the width of the whole
    # stack: in a narrow dock (1280×800 with the replay open) the edge page was cut on the right.
    dock = window.inspector.parentWidget()
    while dock is not None and type(dock).__name__ != "QDockWidget":
        dock = dock.parentWidget()
    window.resizeDocks([dock], [170], Qt.Horizontal)
    ins = select(window, edge=("h1", "h2", 1, 3))
    ins.set_gradients({k: np.full(v.shape, -0.3292) for k, v in window.training.net.parameters().items()})
    ins.refresh()
    qtbot.waitUntil(lambda: dock.width() <= 200, timeout=3000)
    QTest.qWait(50)
    viewport = ins.scroll.viewport()
    assert ins.scroll.widget().width() <= viewport.width()          # nothing beyond the right edge
    for label in (ins.edge_state_label, ins.gradient_label, ins.weight_spin):
        right = label.mapTo(viewport, label.rect().topRight()).x()
        assert right <= viewport.width(), f"{label.objectName() or type(label).__name__} is cut"
