"""One update in one place: the replay's update frame and a real Step tell the selected weight's
update with the engine's numbers."""
import numpy as np

from engine import Graph, Network
from engine.model.param_names import weight_name
from engine.train.update_story import OPTIMIZER_SENTENCES, sgd_story
from gui.plots.update_view import UpdateView, most_moved, num
from tests.engine.test_update_story import xor_graph
from tests.gui.test_live_training import ready, wait_for_step
from tests.gui.test_replay_widgets import EXAMPLES, Window, _replay


def test_view_shows_before_step_after_and_the_losses(qtbot):
    net = Network(xor_graph(), seed=2, dtype="float64")
    X, T = np.array([[0.3, -0.7], [1.0, 0.2]]), np.array([[1.0], [0.0]])
    story = sgd_story(net, X, T, lr=0.5)
    view = UpdateView()
    qtbot.addWidget(view)
    assert "Press <b>Step</b>" in view.text()
    view.set_story(story, list(net.masks), "(step 1)")
    name, index = most_moved(story)                         # nothing selected: the largest move
    change = np.abs(story.after[name] - story.before[name])
    assert name.startswith("W:") and change[index] == max(
        np.abs(story.after[k] - story.before[k]).max() for k in story.before if k.startswith("W:"))
    view.select_edge(("x", "h", 3, 1))
    e = story.entry("W:x->h", (3, 1))
    text = view.text()
    for value in (e.before, e.gradient, e.plain, e.after, story.loss_before, story.loss_after):
        assert num(value) in text
    assert e.after == e.before - 0.5 * e.gradient
    assert "w(x[1] → h[3])" in text and "batch of 2" in text
    assert OPTIMIZER_SENTENCES["sgd"] in text and "sgd's step" not in text
    view.select_bias("y", 0)
    assert "b(y[0])" in view.text() and num(story.entry("b:y", 0).after) in view.text()
    view.set_story(None, [])
    assert "Press <b>Step</b>" in view.text()


def test_a_story_of_a_design_since_edited_is_not_told(qtbot):
    # A Step's snapshot can come after an edit the worker had not seen yet: its story names a
    # connection the design no longer has, and telling it raised (the monkey test found it).
    graph = xor_graph()
    net = Network(graph, seed=2, dtype="float64")
    story = sgd_story(net, np.array([[0.3, -0.7]]), np.array([[1.0]]), lr=0.5)
    view = UpdateView()
    qtbot.addWidget(view)
    view.take_snapshot({"step": 1, "update": story}, graph)
    assert "w(" in view.text()
    src, dst = next(iter(graph.connections))
    graph.disconnect(src, dst)
    view.take_snapshot({"step": 2, "update": story}, graph)      # no exception
    assert view.story is story and "(step 1;" in view.text()     # the earlier one, said to be past


def test_the_replays_last_frame_tells_the_selected_weights_update(qtbot):
    graph = Graph.load(EXAMPLES[[p.stem for p in EXAMPLES].index("skip_connection")])
    graph.settings["optimizer"] = "adam"
    window = Window(graph)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    rc = _replay(window)
    rc.dock.show()
    qtbot.waitUntil(lambda: rc.timeline is not None, timeout=5000)
    pane = rc.update_pane.view
    assert not pane.isVisible()
    window.scene.select_edge(("h1", "y", 0, 2))
    last = len(rc.timeline) - 1
    rc.bar.set_frame(last)
    qtbot.waitUntil(pane.isVisible, timeout=3000)
    update = rc.steps[-1]
    assert update.phase == "update"
    w = rc.net.parameters()["W:h1->y"][0, 2]
    change = update.values["changes"]["W:h1->y"][0, 2]
    text = pane.text()
    assert "h1[2] → y[0]" in text
    assert num(w) in text and num(change) in text and num(w + change) in text
    # loss after: the same example with every parameter moved by the trace's change
    moved = rc.net.rebuild()
    for k, q in moved.parameters().items():
        q += update.values["changes"][k]
    assert num(rc.net.loss_value(rc.X, rc.T)) in text
    assert num(moved.loss_value(rc.X, rc.T)) in text
    assert "Training uses adam" in text and "running RMS" in text
    rc.bar.set_frame(0)
    qtbot.waitUntil(lambda: not pane.isVisible(), timeout=3000)


def test_a_real_step_tells_the_selected_weights_update(qtbot, main_window):
    training = ready(qtbot, main_window)
    view = training.update_view
    assert "Press <b>Step</b>" in view.text()
    before = {k: v.copy() for k, v in training.net.parameters().items()}
    src, dst = next(iter(main_window.graph.connections.values())).pair
    main_window.scene.select_edge((src, dst, 0, 0))
    training.panel.step_button.click()
    wait_for_step(qtbot, training, 1)
    qtbot.waitUntil(lambda: "step 1" in view.text(), timeout=10_000)
    story = view.story
    key = weight_name(src, dst)
    after = training.net.parameters()[key][0, 0]
    assert np.array_equal(story.before[key], before[key])
    assert story.after[key][0, 0] == after
    text = view.text()
    assert num(before[key][0, 0]) in text and num(after) in text
    assert num(story.loss_before) in text and num(story.loss_after) in text
    assert training.latest["losses"][-1] == story.loss_before
    assert story.sentence() in text
    assert view.isVisibleTo(training.docks["Training"])
    training.panel.reset_button.click()
    qtbot.waitUntil(lambda: "Press <b>Step</b>" in view.text(), timeout=10_000)
