"""Live training, part two: learning rate while playing, crafted snapshots, neuron thumbnails.

The window opens the circle example (x·2 → h1·4 tanh → h2·2 tanh → y·1 sigmoid, 2-D data).
"""
import numpy as np
import pytest

from engine.data.datasets import from_settings
from engine.model.param_names import weight_name
from engine.train.update_story import sgd_story
from gui.canvas.thumbnail import thumbnail_range
from gui.core import colormap
from gui.core.colormap import diverging_lut
from gui.training.worker_process import THUMB, _plane

from tests.gui.test_live_training import TIMEOUT, ready, wait_for_step  # noqa: F401


def set_lr(panel, lr):
    panel.lr.setCurrentText(f"{lr:g}")
    panel.lr.lineEdit().editingFinished.emit()


def crafted_snapshot(graph, weights, gradients, step=7):
    return {"step": step, "epoch": 0, "reset": False, "steps": np.zeros(0, np.int64),
            "losses": np.zeros(0), "epochs": [], "weights": weights, "gradients": gradients,
            "grad_norms": {c.key: float(np.linalg.norm(gradients[weight_name(*c.pair)]))
                           for c in graph.connections.values() if weight_name(*c.pair) in gradients},
            "lr": graph.settings.get("lr", 0.01)}


def test_changing_the_learning_rate_while_playing_takes_effect_without_reset(qtbot, main_window):
    # No epoch limit: the engine trains the example's 100 epochs within a few snapshots.
    main_window.graph.settings["epochs"] = 0
    training = ready(qtbot, main_window)
    training.panel.play_button.click()
    wait_for_step(qtbot, training, 30)
    first = training.latest["lr"]
    set_lr(training.panel, first * 0.5)
    qtbot.waitUntil(lambda: training.latest["lr"] == pytest.approx(first * 0.5), timeout=TIMEOUT)
    step = training.latest["step"]
    assert step >= 30 and training.worker.state == "playing"      # not reset, still training
    wait_for_step(qtbot, training, step + 30)
    training.panel.play_button.click()
    assert main_window.graph.settings["lr"] == pytest.approx(first * 0.5)


def test_a_learning_rate_set_before_the_first_play_is_used(qtbot, main_window):
    training = ready(qtbot, main_window)
    set_lr(training.panel, 0.123)
    assert not training.worker.is_running()     # no process without a design to train
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    assert training.latest["lr"] == pytest.approx(0.123)


def test_a_pause_before_any_training_starts_nothing(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.set_playing(False)
    assert not training.worker.is_running()
    training.panel.play_button.click()
    wait_for_step(qtbot, training, 5)          # the first Play still trains
    training.panel.play_button.click()


def test_a_crafted_gradient_snapshot_colours_its_largest_edge_brightest(qtbot, main_window):
    training = ready(qtbot, main_window)
    params = training.net.parameters()
    weights = {k: v.copy() for k, v in params.items()}
    gradients = {k: np.full(v.shape, 1e-4, np.float32) for k, v in params.items() if k.startswith("W:")}
    gradients["W:h1->h2"][1, 2] = 0.5
    gradients["W:x->h1"][0, 0] = 1e-6
    training.worker.snapshot.emit(crafted_snapshot(main_window.graph, weights, gradients))   # as from the worker
    scene = main_window.scene
    # On the canvas in the next event-loop turn (gui/training/canvas_colours.py).
    qtbot.waitUntil(lambda: scene.color_scale() is not None, timeout=3000)
    assert scene.color_scale()[1] == pytest.approx(np.log10(0.5))
    brightest = [(key, int(item.i[e]), int(item.j[e])) for key, item in scene.connection_items.items()
                 for e in item.drawn[item.drawn_bins == colormap.N_BINS - 1]]
    assert brightest == [(("h1", "h2"), 1, 2)]
    low = scene.connection_items[("x", "h1")]
    edge = int(np.flatnonzero((low.i == 0) & (low.j == 0))[0])     # drawn weakest, darkest
    assert low.drawn[0] == edge and low.drawn_bins[0] == 0
    assert "0.5" in training.edge_tooltip("h1", "h2", 1, 2)
    assert training.panel.counter.text().endswith("step 7")


def test_thumbnails_of_hidden_neurons_appear_after_a_step(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    thumbs = training.latest["thumbnails"]
    assert set(thumbs) == {"h1", "h2"} and thumbs["h1"].shape[0] == 4
    items = main_window.scene.node_items
    assert items["x"].images() is None and items["y"].images() is None
    assert len(items["h1"].images()) == 4 and len(items["h2"].images()) == 2
    # They are the network's own hidden activations over the data's plane.
    plane = from_settings(main_window.graph.settings, main_window.graph.loss).transform(
        _plane(training.info["extent"], THUMB))
    net = training.net
    net.forward(plane.astype(net.dtype))
    np.testing.assert_allclose(thumbs["h1"], net.a["h1"].T.reshape(4, THUMB, THUMB), atol=1e-5)
    # Image row 0 is the top of the plane: the values' last row.
    values, image = thumbs["h1"][2], items["h1"].images()[2]
    lo, hi = thumbnail_range("tanh", values)
    idx = int(np.clip(np.round((values[-1, 0] - lo) / (hi - lo) * 255), 0, 255))
    assert image.pixelColor(0, 0).getRgb()[:3] == tuple(int(c) for c in diverging_lut()[idx])


def test_crafted_thumbnails_colour_by_sign_and_clear(qtbot, main_window):
    ready(qtbot, main_window)
    scene = main_window.scene
    images = np.zeros((4, 8, 8), np.float32)
    images[0], images[1] = 1.0, -1.0
    scene.set_neuron_images({"h1": images, "h2": np.zeros((3, 8, 8))})   # h2 has 2 neurons
    h1 = scene.node_items["h1"].images()
    assert h1 is not None and scene.node_items["h2"].images() is None
    blue, orange = h1[0].pixelColor(4, 4), h1[1].pixelColor(4, 4)
    assert blue.blue() > blue.red() and orange.red() > orange.blue()
    assert tuple(diverging_lut()[-1]) == blue.getRgb()[:3]
    scene.set_neuron_images(None)
    assert scene.node_items["h1"].images() is None
    # A resized node drops thumbnails that no longer fit.
    scene.set_neuron_images({"h1": images})
    main_window.inspector.resize_node("h1", 3)
    assert scene.node_items["h1"].images() is None


def test_thumbnails_clear_when_the_design_cannot_train(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    assert main_window.scene.node_items["h1"].images() is not None
    main_window.graph.disconnect("h1", "h2")
    qtbot.waitUntil(lambda: "Cannot train" in training.panel.status.text(), timeout=TIMEOUT)
    assert main_window.scene.node_items["h1"].images() is None


def test_thumbnail_colour_range_follows_the_activation():
    assert thumbnail_range("tanh", np.array([5.0])) == (-1.0, 1.0)
    assert thumbnail_range("sigmoid", np.array([5.0])) == (0.0, 1.0)
    assert thumbnail_range("relu", np.array([0.0, 2.5, np.nan])) == (-2.5, 2.5)
    assert thumbnail_range("relu", np.zeros(3)) == (-1.0, 1.0)


def test_an_edited_weight_reaches_the_worker(qtbot, main_window):
    training = ready(qtbot, main_window)
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    main_window.inspector.weight_changed.emit("h1", "h2", 1, 3, 0.75)
    qtbot.waitUntil(lambda: training.latest["weights"]["W:h1->h2"][1, 3] == pytest.approx(0.75),
                    timeout=TIMEOUT)
    assert training.net.parameters()["W:h1->h2"][1, 3] == pytest.approx(0.75)


def test_the_worker_keeps_its_data_and_trainer_when_a_design_does_not_fit():
    from engine import Graph
    from gui.training.worker_process import Session
    sent = []
    session = Session(sent.append)
    graph = Graph.load("resources/examples/circle.json")
    session.design(graph.to_dict(), False)
    trainer, dataset = session.trainer, session.dataset
    assert sent[0][0] == "ready" and sent[1][1]["thumbnails"]["h1"].shape == (4, THUMB, THUMB)
    graph.settings["data"] = "iris"                 # 4 inputs for a design with 2
    with pytest.raises(ValueError):
        session.design(graph.to_dict(), True)
    assert session.trainer is trainer and session.dataset is dataset
    session.step()
    assert sent[-1][0] == "snapshot" and sent[-1][1]["step"] == 1


def test_the_worker_trains_on_while_the_window_has_not_taken_the_last_snapshot():
    from engine import Graph
    from gui.training.worker_process import Session
    sent, gone = [], [True]
    session = Session(sent.append, lambda: gone[0])
    graph = Graph("mse")                             # unbounded: a huge rate must blow it up
    graph.add_node("input", 2, id="x")
    graph.add_node("hidden", 8, "relu", id="h")
    graph.add_node("output", 1, "linear", id="y")
    graph.connect("x", "h")
    graph.connect("h", "y")
    graph.settings.update({"data": "sine", "optimizer": "sgd", "lr": 0.01, "batch_size": 16})
    session.design(graph.to_dict(), False)
    session.play()
    session.train_slice()
    assert sent[-1][0] == "snapshot"
    first = sent[-1][1]["step"]
    gone[0] = False                                  # the last snapshot is still in the pipe
    count = len(sent)
    for _ in range(3):
        session.train_slice()
    assert len(sent) == count and session.trainer.step_count > first
    gone[0] = True
    session.train_slice()
    snap = sent[-1][1]
    # Nothing was lost while holding back: every step since the last snapshot, in order.
    assert snap["step"] == session.trainer.step_count
    np.testing.assert_array_equal(snap["steps"], np.arange(first + 1, snap["step"] + 1))
    # Stopped (diverged here) while the pipe is still busy: the restored state still goes.
    gone[0] = False
    session.trainer.lr = 1e9
    for _ in range(100):
        if not session.playing:
            break
        session.train_slice()
    assert sent[-1][0] == "snapshot" and sent[-2][0] == "diverged"
    assert sent[-1][1]["step"] == session.trainer.step_count == session.trainer.checkpoint_step


def test_a_steps_snapshot_of_the_design_before_an_edit_is_set_aside(qtbot, main_window):
    # Step, then an edit before the worker's answer: its snapshot (and the story of the update)
    # is of connections the design no longer has. It must change nothing and raise nothing.
    training = ready(qtbot, main_window)
    weights = {k: v.copy() for k, v in training.net.parameters().items()}
    gradients = {k: np.zeros_like(v) for k, v in weights.items() if k.startswith("W:")}
    story = sgd_story(training.net, np.zeros((1, 2), training.net.dtype), np.zeros((1, 1)), lr=0.1)
    stale = dict(crafted_snapshot(main_window.graph, weights, gradients), update=story)
    main_window.graph.disconnect("h2", "y")
    main_window.graph.connect("h1", "y")
    qtbot.waitUntil(lambda: training.net is not None and "W:h1->y" in training.net.parameters(),
                    timeout=TIMEOUT)
    before = {k: v.copy() for k, v in training.net.parameters().items()}
    training.worker.snapshot.emit(stale)           # as if it had crossed the edit in the pipe
    assert training.update_view.story is None
    after = training.net.parameters()
    assert set(after) == set(before) and all(np.array_equal(after[k], before[k]) for k in before)
    assert not training.colours.pending()          # nor is it put on the canvas
