"""The replay widgets: bar keys and signals, explain panel, canvas overlay, controller."""
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage, QPainter, QUndoStack
from PySide6.QtWidgets import QMainWindow

from engine import Graph, Network
from engine.nn.trace import trace_gradients
from gui.canvas.replay_overlay import ReplayOverlay
from gui.canvas.scene import CanvasScene
from gui.canvas.view import CanvasView
from gui.replay.explain_panel import ExplainPanel
from gui.replay.slope_limit import digits
from gui.replay.bar import ReplayBar
from gui.replay.controller import ReplayController
from gui.core.formatting import fmt
from gui.replay.timeline import ReplayTimeline
from tests.gui.test_replay_timeline import example, skip_design

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples").glob("*.json"))


def skip_timeline(lr=0.1):
    g = skip_design()
    net = Network(g, dtype="float64")
    X, T = np.array([[0.5, -1.0]]), np.array([[1.0]])
    steps = net.trace(X, T, lr=lr)
    return g, net, X, T, steps, ReplayTimeline(steps, g)


# ----- the bar -----------------------------------------------------------------------------
def test_bar_keys_step_and_play(qtbot):
    bar = ReplayBar()
    qtbot.addWidget(bar)
    *_, tl = skip_timeline()
    bar.set_timeline(tl)
    frames = []
    bar.frame_changed.connect(frames.append)
    assert bar.current_frame() == 0 and tl.frame(0).caption == bar.caption.text()
    qtbot.keyClick(bar, Qt.Key_Right)
    qtbot.keyClick(bar, Qt.Key_Right)
    assert frames == [1, 2] and bar.current_frame() == 2
    assert bar.caption.text() == tl.frame(2).caption and bar.timeline_slider.value() == 2
    qtbot.keyClick(bar, Qt.Key_Left)
    assert bar.current_frame() == 1
    bar.set_frame(0)
    qtbot.keyClick(bar, Qt.Key_Left)          # nothing before the first frame
    assert bar.current_frame() == 0
    bar.speed_slider.setValue(bar.speed_slider.maximum())
    qtbot.keyClick(bar, Qt.Key_Space)
    assert bar.is_playing()
    qtbot.waitUntil(lambda: bar.current_frame() == len(tl) - 1, timeout=5000)
    qtbot.waitUntil(lambda: not bar.is_playing(), timeout=1000)   # stops at the end
    assert frames[-1] == len(tl) - 1
    qtbot.keyClick(bar, Qt.Key_Space)         # playing again starts from the beginning
    assert bar.is_playing() and bar.current_frame() <= 1
    qtbot.keyClick(bar, Qt.Key_Space)
    assert not bar.is_playing()
    bar.timeline_slider.setValue(5)           # scrubbing
    assert bar.current_frame() == 5 and frames[-1] == 5
    bar.step_forward()
    assert bar.current_frame() == 6


def test_bar_examples_and_typed_point(qtbot):
    bar = ReplayBar()
    qtbot.addWidget(bar)
    bar.show()
    examples, points = [], []
    bar.example_changed.connect(examples.append)
    bar.point_chosen.connect(lambda x, y: points.append((x, y)))
    assert not bar.next_button.isEnabled()
    bar.set_example_count(3)
    qtbot.mouseClick(bar.next_button, Qt.LeftButton)
    qtbot.mouseClick(bar.next_button, Qt.LeftButton)
    qtbot.mouseClick(bar.next_button, Qt.LeftButton)     # wraps around
    qtbot.mouseClick(bar.prev_button, Qt.LeftButton)
    assert examples == [1, 2, 0, 2] and "example 3 of 3" in bar.example_label.text()
    qtbot.mouseClick(bar.random_button, Qt.LeftButton)
    assert len(examples) == 5 and 0 <= examples[-1] < 3
    assert not bar.point_button.isVisible()
    bar.set_is_2d(True)
    assert bar.point_button.isVisible() and bar.x1_box.isVisible()
    bar.x1_box.setValue(1.5)
    bar.x2_box.setValue(-2.0)
    qtbot.mouseClick(bar.point_button, Qt.LeftButton)
    assert points == [(1.5, -2.0)]
    bar.set_timeline(None)
    assert not bar.play_button.isEnabled()
    bar.play()
    assert not bar.is_playing()


# ----- the explain panel ---------------------------------------------------------------------
def test_explain_panel_shows_the_chain_and_checks_it(qtbot):
    g, net, X, T, steps, _ = skip_timeline()
    g.set_edges("x", "h2", [(0, 1)], False)
    net = Network(g, dtype="float64")
    steps = net.trace(X, T)
    panel = ExplainPanel()
    qtbot.addWidget(panel)
    assert "Select a neuron" in panel.text.toPlainText() and not panel.check_button.isEnabled()
    panel.set_trace(steps, net, X, T)
    panel.show_edge("h1", "h2", 1, 2)
    grad = trace_gradients(steps)["W:h1->h2"][1, 2]
    _, reference = net.loss_and_gradients(X, T)
    assert grad == pytest.approx(reference["W:h1->h2"][1, 2], rel=1e-12)
    assert fmt(grad) in panel.text.toPlainText()
    assert panel.check_button.isEnabled()
    panel.h_box.setValue(1e-5)
    qtbot.mouseClick(panel.check_button, Qt.LeftButton)
    text = panel.result.text()
    assert "relative difference" in text and "agree" in text and digits(grad) in text
    rel = float(text.split("relative difference = ")[1].split()[0])
    assert rel < 1e-6
    panel.show_neuron("h2", 0)                 # a neuron's check nudges its bias
    assert panel.parameter() == ("b:h2", (0,))
    panel.check()
    assert "agree" in panel.result.text()
    panel.show_neuron("x", 1)                  # an input has nothing to check
    assert not panel.check_button.isEnabled()
    panel.show_edge("x", "h2", 0, 1)           # a removed edge
    assert "removed" in panel.text.toPlainText()
    panel.check()
    assert "removed" in panel.result.text()
    panel.show_neuron("h1", 9)                 # bad input: a message, no traceback
    assert "no neuron 9" in panel.text.toPlainText()
    panel.clear()
    assert "Select a neuron" in panel.text.toPlainText()


# ----- the overlay -------------------------------------------------------------------------------
def render(scene) -> QImage:
    image = QImage(800, 500, QImage.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    scene.render(painter)
    painter.end()
    return image


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_overlay_builds_for_every_example_design(qtbot, path):
    graph = Graph.load(path)
    scene = CanvasScene(graph, QUndoStack())
    net = Network(graph, dtype="float64")
    X, T = example(net, 1, 0)
    steps = net.trace(X, T, lr=0.1)
    tl = ReplayTimeline(steps, graph)
    overlay = ReplayOverlay(scene)
    fwd = {s.node: s for s in steps if s.phase == "forward"}
    for k in range(len(tl)):
        f = tl.frame(k)
        overlay.set_frame(f, tl, 0, net.parameters())
        shown = {n for n, _, _ in overlay.labels()}
        small = {n for n, node in graph.nodes.items() if node.size <= 32}
        assert shown <= small                     # numbers only for nodes drawn neuron by neuron
        if f.phase == "forward":
            assert shown == {n for n in f.values} & small
            for n, i, text in overlay.labels():
                assert fmt(fwd[n].values["a"][0, i]) in text
            for key, item in scene.connection_items.items():
                assert (item.magnitudes() is not None) == (key in f.active_connections)
        if f.phase == "backward":
            for key, item in scene.connection_items.items():
                assert (item.magnitudes() is not None) == (key in f.gradients)
                if key in f.gradients:
                    g = f.gradients[key]
                    assert np.array_equal(item.magnitudes(), np.abs(g[item.i, item.j]))
    assert not render(scene).isNull()
    overlay.clear()
    assert overlay.labels() == [] and all(i.magnitudes() is None for i in scene.connection_items.values())
    overlay.detach()
    assert overlay.scene() is None
    scene.close()


def test_overlay_numbers_follow_the_frame_and_take_clicks(qtbot):
    g, net, X, T, steps, tl = skip_timeline()
    scene = CanvasScene(g, QUndoStack())
    overlay = ReplayOverlay(scene)
    back = {s.node: s for s in steps if s.phase == "backward"}
    gather = tl.first_frame("gather")
    overlay.set_frame(tl.frame(gather), tl, 0, net.parameters())
    texts = {(n, k): t for n, k, t in overlay.labels()}
    part = back["h1"].contributions["h2"][0, 2]
    assert "h2:" in texts[("h1", 2)] and fmt(part).lstrip("−") in texts[("h1", 2)]
    assert texts[("h2", 0)] == f"δ {fmt(back['h2'].values['delta'][0, 0])}"
    loss = tl.first_frame("loss")
    overlay.set_frame(tl.frame(loss), tl, 0, net.parameters())
    y = steps[loss].values["y"][0, 0]
    assert {(n, k): t for n, k, t in overlay.labels()}[("y", 0)] == f"y {fmt(y)}  t 1"
    # the number under a point, for a view to explain; the mouse itself passes through
    node, k, _ = overlay.labels()[0]
    rect = overlay.label_rect(node, k)
    assert overlay.label_at(rect.center()) == (node, k)
    assert overlay.label_at(rect.topLeft() - QPointF(50, 50)) is None
    assert overlay.shape().isEmpty() and overlay.acceptedMouseButtons() == Qt.NoButton
    # moving a node moves its numbers
    g.move_node(node, (-300.0, -200.0))
    qtbot.waitUntil(lambda: (moved := overlay.label_rect(node, k)) is not None and moved != rect,
                    timeout=2000)
    scene.close()


# ----- the controller ------------------------------------------------------------------------------
def _replay(window, network_source=None) -> ReplayController:
    """A ReplayController on ``window``'s design, its dock placed as the main window does."""
    rc = ReplayController(window.graph, window.scene, window.view, network_source=network_source,
                          parent=window)
    window.addDockWidget(Qt.BottomDockWidgetArea, rc.dock)
    rc.dock.hide()
    return rc


class Window(QMainWindow):
    """The parts of the main window the controller uses."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph
        self.scene = CanvasScene(graph, QUndoStack(self), self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)


def test_controller_replays_and_explains_in_a_window(qtbot):
    graph = Graph.load(EXAMPLES[[p.stem for p in EXAMPLES].index("skip_connection")])
    window = Window(graph)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    weights = Network(graph, seed=7)                  # "trained" float32 weights to replay
    rc = _replay(window, network_source=lambda: weights)
    assert not rc.active and rc.overlay is None
    rc.dock.show()
    qtbot.waitUntil(lambda: rc.timeline is not None, timeout=5000)
    assert rc.data is not None and rc.bar.example_label.text() == f"example 1 of {len(rc.data.X_train)}"
    assert rc.bar.point_button.isVisibleTo(rc.bar)     # circle data is 2-D
    for k, p in weights.parameters().items():           # the replay runs on a float64 copy
        assert rc.net.dtype == np.float64 and np.array_equal(rc.net.parameters()[k], p)
    qtbot.keyClick(rc.bar, Qt.Key_Right)
    qtbot.waitUntil(lambda: rc.overlay.frame.index == 1, timeout=3000)   # after the motion
    rc.bar.set_example(4)
    np.testing.assert_array_equal(rc.X, rc.data.X_train[4:5])
    assert rc.bar.current_frame() == 1                  # the same moment of the new example
    window.scene.select_edge(("h1", "y", 0, 2))
    _, grads = rc.net.loss_and_gradients(rc.X, rc.T)
    assert "shown when the replay reaches the backward pass" in rc.panel.text.toPlainText()
    assert fmt(grads["W:h1->y"][0, 2]) not in rc.panel.text.toPlainText()   # still forward
    rc.bar.set_frame(tl_index := rc.timeline.first_frame("backward"))
    qtbot.waitUntil(lambda: fmt(grads["W:h1->y"][0, 2]) in rc.panel.text.toPlainText(), timeout=3000)
    node, k, _ = next(lab for lab in rc.overlay.labels() if lab[0] == "h2")
    rect = rc.overlay.label_rect(node, k)
    window.view.centerOn(rect.center())
    qtbot.mouseClick(window.view.viewport(), Qt.LeftButton,
                     pos=window.view.mapFromScene(rect.center()))
    assert rc.panel.subject() == ("neuron", "h2", k)     # a click on a number explains it
    assert window.scene.selected_edge() == ("h1", "y", 0, 2)  # and changes nothing else
    assert rc.bar.current_frame() == tl_index
    rc.bar.point_chosen.emit(1.0, -2.0)
    np.testing.assert_allclose(rc.X, rc.data.transform(np.array([[1.0, -2.0]])))
    window.graph.update_node("h2", size=3)               # an edit: the replay follows
    qtbot.waitUntil(lambda: rc.net.sizes["h2"] == 3, timeout=3000)
    assert rc.timeline.order("forward") == graph.topological_order()
    rc.dock.hide()
    assert not rc.active and rc.overlay is None
    assert all(i.magnitudes() is None for i in window.scene.connection_items.values())


def test_controller_without_fitting_data_uses_random_inputs(qtbot):
    graph = skip_design()
    graph.settings["data"] = "no_such_data"
    window = Window(graph)
    qtbot.addWidget(window)
    rc = _replay(window)
    rc.activate()
    assert rc.timeline is not None and rc.data is None and "random inputs" in rc.problem
    graph.add_node("hidden", 2, id="lonely")              # incomplete design: a message, no replay
    rc.refresh()
    assert rc.timeline is None and "Nothing to replay yet" in rc.bar.caption.text()
    rc.deactivate()
