"""The signal seen moving between replay frames: forward activations, backward gradients."""
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter, QUndoStack

from engine import Graph, Network
from engine.model.param_names import weight_name
from gui.canvas.scene import CanvasScene
from gui.canvas.signal_pulse import SignalPulse, transition_streams
from gui.replay.timeline import ReplayTimeline
from tests.gui.test_replay_timeline import skip_design
from tests.gui.test_replay_widgets import Window, _replay

DIGITS = Path(__file__).resolve().parents[2] / "resources" / "examples" / "digits.json"


def replay_window(qtbot, speed=0):
    graph = skip_design()
    graph.settings["data"] = "no_such_data"        # random inputs: no data set to load
    window = Window(graph)
    qtbot.addWidget(window)
    window.resize(1000, 600)
    window.show()
    rc = _replay(window)
    rc.activate()
    rc.bar.speed_slider.setValue(speed)            # 0, the slowest: a motion outlasts a test's steps
    return window, rc


def render(scene, rect: QRectF) -> QImage:
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    return image


def test_the_signal_moves_between_frames_and_ends_at_the_next_frame(qtbot):
    window, rc = replay_window(qtbot, speed=8)   # Qt's events alone move it: none run until waitUntil
    assert rc.overlay.frame.index == 0 and not rc.pulse.is_running()
    rc.bar.step_forward()                                     # input x → h1
    assert rc.pulse.is_running() and rc.overlay.frame.index == 0   # still the frame before
    assert rc.pulse.pieces() == window.scene.connection_items[("x", "h1")].edge_count()
    area = rc.pulse.boundingRect()
    rc.pulse.set_progress(0.0)
    before = render(window.scene, area)
    rc.pulse.set_progress(0.5)                                # mid-way: streaks on the edges
    assert render(window.scene, area) != before
    qtbot.waitUntil(lambda: not rc.pulse.is_running(), timeout=5000)
    assert rc.overlay.frame.index == 1 and rc.pulse.progress() == 1.0
    assert not rc.pulse.isVisible()
    assert rc.overlay.frame == rc.timeline.frame(1)
    rc.deactivate()


def test_a_step_a_seek_or_a_click_skips_to_the_end(qtbot):
    window, rc = replay_window(qtbot)
    rc.bar.step_forward()
    assert rc.pulse.is_running()
    rc.bar.step_forward()                # the first motion ends at once, the next one starts
    assert rc.overlay.frame.index == 1 and rc.pulse.is_running()
    qtbot.mouseClick(window.view.viewport(), Qt.LeftButton)   # a click ends it
    assert not rc.pulse.is_running() and rc.overlay.frame.index == 2
    rc.bar.set_frame(6)                  # a seek shows the frame without motion
    assert not rc.pulse.is_running() and rc.overlay.frame.index == 6
    rc.bar.step_back()                   # and so does a step back
    assert not rc.pulse.is_running() and rc.overlay.frame.index == 5
    rc.bar.motion_box.setChecked(False)  # motion off: frames at once
    rc.bar.set_frame(0)
    rc.bar.step_forward()
    assert not rc.pulse.is_running() and rc.overlay.frame.index == 1
    rc.deactivate()
    assert rc.pulse is None


def test_the_brightness_is_each_edges_share():
    g = skip_design()
    net = Network(g, dtype="float64")
    X, T = np.array([[0.5, -1.0]]), np.array([[1.0]])
    tl = ReplayTimeline(net.trace(X, T, lr=0.1), g)
    p = net.parameters()
    forward = transition_streams(tl.frame(0), tl.frame(1), p)     # into h1: |w·a| along x → h1
    assert [(s.key, s.forward) for s in forward] == [(("x", "h1"), True)]
    np.testing.assert_allclose(forward[0].magnitudes, np.abs(p[weight_name("x", "h1")] * X[0]))
    first_back = tl.first_frame("backward")                       # δ(y) known: back along h2 → y, h1 → y
    backward = transition_streams(tl.frame(first_back), tl.frame(first_back + 1), p)
    _, grads = net.loss_and_gradients(X, T)
    assert {s.key for s in backward} == {("h2", "y"), ("h1", "y")}
    for s in backward:
        assert not s.forward
        np.testing.assert_allclose(s.magnitudes, np.abs(grads[weight_name(*s.key)]))
    loss = tl.first_frame("loss")                                 # nothing moves into the loss
    assert transition_streams(tl.frame(loss - 1), tl.frame(loss), p) == []


def test_a_bundle_moves_as_one_band(qtbot):
    graph = Graph.load(DIGITS)
    scene = CanvasScene(graph, QUndoStack())
    net = Network(graph, dtype="float64")
    n_in, n_out = graph.input_node().size, graph.output_node().size
    rng = np.random.default_rng(0)
    tl = ReplayTimeline(net.trace(rng.normal(size=(1, n_in)), np.eye(n_out)[[3]], lr=0.1), graph)
    pulse = SignalPulse(scene)
    items = len(scene.items())
    streams = transition_streams(tl.frame(0), tl.frame(1), net.parameters())
    edges = sum(scene.connection_items[s.key].edge_count() for s in streams)
    assert edges > 5000
    assert pulse.start(streams, 60_000) and pulse.pieces() == len(streams) == 1
    assert len(scene.items()) == items                            # no item per edge
    area = pulse.boundingRect()
    pulse.set_progress(0.0)
    before = render(scene, area)
    pulse.set_progress(0.5)
    assert render(scene, area) != before                          # the band is drawn
    done = []
    pulse.finished.connect(lambda: done.append(True))
    pulse.skip()
    assert done == [True] and pulse.progress() == 1.0 and not pulse.is_running()
    pulse.detach()
    scene.close()
