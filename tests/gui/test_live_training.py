"""Live training in the window: a real worker process driven through the training panel."""
import numpy as np
import pytest
from PySide6.QtWidgets import QTabBar

from engine import Network
from engine.data.datasets import from_settings
from engine.model.param_names import connection_named
from engine.train.trainer import Trainer, TrainingConfig
from gui.core import colormap

TIMEOUT = 30_000    # ms: the machine may be busy; the worker process is spawned


def ready(qtbot, window):
    # No epoch limit: the engine trains the example's 100 epochs within a few snapshots, and a
    # run that finished on its own would turn the tests' Pause click into Play, or pause itself.
    window.graph.settings["epochs"] = 0
    qtbot.waitUntil(lambda: window.training.net is not None, timeout=TIMEOUT)
    return window.training


def wait_for_step(qtbot, training, step):
    """Until a snapshot of ``step`` (or later) has come, and is on the canvas (a turn later)."""
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= step
                    and not training.colours.pending(), timeout=TIMEOUT)


def copies(params):
    return {k: v.copy() for k, v in params.items()}


def test_play_then_pause_changes_the_weights_and_the_loss_curve(qtbot, main_window):
    training = ready(qtbot, main_window)
    before = copies(training.net.parameters())
    training.panel.play_button.click()
    assert training.worker.state == "playing"
    wait_for_step(qtbot, training, 60)
    training.panel.play_button.click()
    assert training.worker.state == "paused" and training.panel.play_button.text() == "Play"
    qtbot.waitUntil(lambda: len(training.metrics.steps) >= 60, timeout=TIMEOUT)
    length = len(training.metrics.steps)
    after = training.net.parameters()
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    assert "epoch" in training.panel.counter.text()
    # Paused means paused: once the slice in flight has arrived, no more steps come.
    qtbot.wait(300)
    length = len(training.metrics.steps)
    qtbot.wait(300)
    assert len(training.metrics.steps) == length


def test_step_is_exactly_one_mini_batch_of_the_headless_trainer(qtbot, main_window):
    training = ready(qtbot, main_window)
    graph = main_window.graph
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    assert training.latest["step"] == 1 and training.panel.counter.text().endswith("step 1")
    config = TrainingConfig.from_settings(graph.settings)
    net = Network(graph, seed=config.seed)
    trainer = Trainer(net, from_settings(graph.settings, graph.loss), config)
    trainer.step()
    for k, p in net.parameters().items():
        np.testing.assert_allclose(training.net.parameters()[k], p, rtol=1e-6, atol=1e-7)


def test_reset_restores_the_seeded_weights(qtbot, main_window):
    training = ready(qtbot, main_window)
    seeded = copies(Network(main_window.graph, seed=int(main_window.graph.settings.get("seed", 0)))
                    .parameters())
    training.panel.play_button.click()
    wait_for_step(qtbot, training, 20)
    training.panel.play_button.click()
    training.panel.reset_button.click()
    qtbot.waitUntil(lambda: training.latest["step"] == 0, timeout=TIMEOUT)
    for k, p in seeded.items():
        np.testing.assert_array_equal(training.net.parameters()[k], p)
    assert len(training.metrics.steps) == 0


def test_edge_colours_follow_the_gradient_snapshot(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    grads = training.latest["gradients"]
    strongest = max(grads, key=lambda k: np.abs(grads[k]).max())
    item = main_window.scene.connection_items[connection_named(strongest, main_window.graph.connections)]
    g = np.abs(grads[strongest])[item.i[item.drawn], item.j[item.drawn]]
    top = int(np.argmax(g))
    assert item.drawn_bins[top] == colormap.N_BINS - 1          # the brightest colour
    lo, hi = main_window.scene.color_scale()
    assert hi == pytest.approx(np.log10(max(np.abs(v).max() for v in grads.values())))
    assert not training.color_bar.isHidden()
    # The weight view colours by sign instead; plain drops the colours.
    training.panel.edge_mode.setCurrentIndex(training.panel.edge_mode.findData("none"))
    assert main_window.scene.color_scale() is None


def test_a_diverging_run_pauses_with_a_reason(qtbot, main_window):
    main_window.document.open_example("resources/examples/house_prices.json")
    training = ready(qtbot, main_window)
    panel = training.panel
    panel.optimizer.setCurrentText("sgd")
    panel.lr.setCurrentText("1000000")
    panel.lr.lineEdit().editingFinished.emit()
    panel.optimizer.activated.emit(panel.optimizer.currentIndex())     # as when the user picks it
    panel.play_button.click()
    qtbot.waitUntil(lambda: "diverged" in panel.status.text(), timeout=TIMEOUT)
    assert not panel.play_button.isChecked() and training.worker.state == "paused"
    assert all(np.isfinite(p).all() for p in training.net.parameters().values())


def test_a_csv_with_a_bad_cell_keeps_the_previous_data(qtbot, main_window, tmp_path):
    training = ready(qtbot, main_window)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,target\n1,2,0\n3,oops,1\n")
    before = dict(main_window.graph.settings)
    training.panel.use_csv(str(bad))
    assert training.panel.status.styleSheet() and "oops" in training.panel.status.text()
    assert main_window.graph.settings == before
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)        # still trains on the previous data


def test_editing_while_playing_pauses_and_keeps_unchanged_weights(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.panel.play_button.click()
    wait_for_step(qtbot, training, 30)
    main_window.inspector.resize_node("h2", 3)
    assert training.worker.state == "paused" and "design changed" in training.panel.status.text()
    qtbot.waitUntil(lambda: training.net is not None
                    and training.net.parameters()["W:h1->h2"].shape == (3, 4), timeout=TIMEOUT)
    kept = training.latest["weights"]["W:x->h1"].copy()
    seeded = Network(main_window.graph, seed=0).parameters()["W:x->h1"]
    assert not np.array_equal(kept, seeded)                  # trained weights survived the edit


def test_gradient_matrix_shows_the_selected_connection(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    main_window.scene.select_edge(("h1", "h2", 0, 0))
    g = training.latest["gradients"]["W:h1->h2"]
    assert training.matrix.values.shape == g.shape
    assert "h1 → h2" in training.matrix.caption.text()


def front_tab(window, title):
    """The title of the dock in front of the tab group holding ``title``."""
    for bar in window.findChildren(QTabBar):
        if bar.isVisible() and title in [bar.tabText(i) for i in range(bar.count())]:
            return bar.tabText(bar.currentIndex())
    return None


def test_a_new_user_sees_the_decision_boundary_in_front_of_the_gradient_matrix(qtbot, main_window):
    main_window.show()
    qtbot.waitExposed(main_window)
    qtbot.waitUntil(lambda: front_tab(main_window, "Gradient matrix") == "Decision boundary")
    training = ready(qtbot, main_window)
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    assert training.boundary.isVisible() and front_tab(main_window, "Decision boundary") == "Decision boundary"
