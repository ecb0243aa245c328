"""Defaults that help a beginner, through the real widgets: the loss follows the output, a
mismatch is explained with a one-click fix, the gradient is "—" until computed, status lines
say "Ready to train." once training stops, a new design stops after a set number of epochs."""
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from engine.model.param_names import weight_name
from engine.nn.trace import trace_gradients
from gui.core.formatting import fmt
from gui.shell.edge_gradient import NOT_YET, NOT_YET_TIP
from gui.training.panel import DEFAULT_EPOCHS
from gui.training.status_text import READY

TIMEOUT = 30_000    # ms: the worker process is spawned


@pytest.fixture
def window(qtbot, main_window):
    main_window.show()
    qtbot.waitUntil(lambda: main_window.training.net is not None, timeout=TIMEOUT)
    return main_window


def select_node(window, node_id):
    window.scene.clearSelection()
    window.scene.node_items[node_id].setSelected(True)
    return window.inspector


def choose(combo, data):
    combo.setCurrentIndex(combo.findData(data))
    combo.activated.emit(combo.currentIndex())


def test_changing_the_output_activation_makes_the_loss_follow(window):
    g = window.graph
    assert (g.output_node().activation, g.loss) == ("sigmoid", "bce")
    ins = select_node(window, "y")
    choose(ins.activation_combo, "linear")
    assert g.loss == "mse" and "follows" in ins.message_label.text()
    assert window.actions_by_name["loss_mse"].isChecked()
    window.scene.clearSelection()
    assert ins.loss_combo.currentData() == "mse" and not ins.loss_note.isVisible()
    window.undo_stack.undo()           # one step takes back both
    assert (g.output_node().activation, g.loss) == ("sigmoid", "bce")
    assert ins.loss_combo.currentData() == "bce"


def test_a_mismatch_shows_a_note_whose_button_fixes_it(window):
    g = window.graph
    ins = window.inspector
    window.scene.clearSelection()
    choose(ins.loss_combo, "mse")      # the user's own choice: sigmoid with mse
    note = ins.loss_note
    assert note.isVisible() and "sigmoid" in note.text.text() and "mse" in note.text.text()
    assert note.fix_button.text() == "Use bce"
    # A chosen loss stays when the output changes; the note follows the pair.
    select_node(window, "y")
    choose(ins.activation_combo, "softmax")
    assert g.loss == "mse" and note.isVisible() and note.fix_button.text() == "Use softmax_ce"
    QTest.mouseClick(note.fix_button, Qt.LeftButton)
    assert g.loss == "softmax_ce" and not note.isVisible()
    assert window.undo_stack.undoText() == "Set loss to softmax_ce"


def test_a_new_design_follows_its_first_output_and_stops_after_default_epochs(window):
    window.document.new()
    panel = window.training.panel
    assert panel.epochs.value() == DEFAULT_EPOCHS and window.graph.settings["epochs"] == DEFAULT_EPOCHS
    window.scene.add_node_at({"kind": "output", "size": 10, "activation": "softmax"}, QPointF(0, 0))
    assert window.graph.loss == "softmax_ce" and not window.inspector.loss_note.isVisible()


def test_the_gradient_is_a_dash_until_a_step_computes_it(qtbot, window):
    training, ins = window.training, window.inspector
    window.graph.settings["epochs"] = 0
    window.scene.select_edge(("h2", "y", 0, 0))
    assert ins.current_page() == "edge"
    assert ins.gradient_label.text() == NOT_YET and ins.gradient_label.toolTip() == NOT_YET_TIP
    training.panel.step_button.click()
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: ins.gradient_label.text() != NOT_YET, timeout=TIMEOUT)
    g = training.latest["gradients"][weight_name("h2", "y")][0, 0]
    assert ins.gradient_label.text().startswith(f"{g:.4g}".replace("-", "−"))
    assert "last step" in ins.gradient_label.text()
    assert training.panel.status.text().endswith(READY)
    training.panel.reset_button.click()
    qtbot.waitUntil(lambda: ins.gradient_label.text() == NOT_YET, timeout=TIMEOUT)


def test_status_reads_ready_after_pause_reset_and_the_last_epoch(qtbot, window):
    training, panel = window.training, window.training.panel
    window.graph.settings["epochs"] = 0
    panel.play_button.click()
    assert panel.status.text().startswith("Training…")
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 5, timeout=TIMEOUT)
    panel.play_button.click()
    assert panel.status.text() == f"Paused.\n{READY}"
    panel.reset_button.click()
    assert panel.status.text().endswith(READY) and "New weights" in panel.status.text()
    panel.epochs.setValue(1)
    panel.epochs.editingFinished.emit()
    panel.play_button.click()
    assert "stops after 1 epoch)" in panel.status.text()
    qtbot.waitUntil(lambda: panel.play_button.text() == "Play", timeout=TIMEOUT)
    assert panel.status.text().endswith(READY) and "Finished 1 epoch." in panel.status.text()
    assert "Training" not in panel.status.text()


def test_while_the_replay_is_shown_the_inspector_shows_its_value(qtbot, window):
    replay, ins = window.replay, window.inspector
    window.scene.select_edge(("h2", "y", 0, 1))
    replay.toggle_action.trigger()
    qtbot.waitUntil(lambda: replay.active and replay.steps is not None, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "replay" in ins.gradient_label.text(), timeout=TIMEOUT)
    g = trace_gradients(replay.steps)[weight_name("h2", "y")][0, 1]
    assert ins.gradient_label.text() == f"{fmt(g)}  (replay)"
    replay.dock.hide()
    qtbot.waitUntil(lambda: ins.gradient_label.text() == NOT_YET, timeout=TIMEOUT)


def test_layout_spreads_unconnected_nodes_in_a_grid_without_overlaps(window):
    window.document.new()
    scene = window.scene
    for k in range(6):
        scene.add_node_at({"kind": "hidden", "size": 3 + k, "activation": "tanh"}, QPointF(0, 0))
    assert scene.auto_layout()
    items = list(scene.node_items.values())
    assert len({round(i.pos().x()) for i in items}) > 1 and len({round(i.pos().y()) for i in items}) > 1
    rects = [i.sceneBoundingRect() for i in items]
    assert not any(a.intersects(b) for k, a in enumerate(rects) for b in rects[k + 1:])
    assert not scene.auto_layout()       # a second layout changes nothing
