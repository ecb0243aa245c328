"""The timers' autosaves write in a background thread: the same files, never a half-written slot."""
import json
import threading

import numpy as np

from engine import Graph
from engine.io.onnx_export import expected_shapes
from engine.io.weights import load_weights
from gui.files.autosave_writer import DESIGN, INFO, LOCK, WEIGHTS, write_slot


def _edit(window):
    def add(g):
        g.add_node("hidden", 3, "tanh", id="branch", position=(40, 300))
        g.connect(g.input_node().id, "branch")
        g.connect("branch", g.output_node().id)
    window.push_edit("Add a layer", add)


def _wait_for_rebuilt_network(qtbot, window):
    qtbot.waitUntil(lambda: window.training.net is not None
                    and window.training.net.parameter_shapes() == expected_shapes(window.graph),
                    timeout=5000)


class SlowWriter:
    """The real write, held until ``release``: the GUI thread must not wait for it."""

    def __init__(self):
        self.started, self.go = threading.Event(), threading.Event()
        self.finished = threading.Event()

    def __call__(self, contents):
        self.started.set()
        assert self.go.wait(10)
        write_slot(contents)
        self.finished.set()


def _slot_files(slot):
    info = json.loads((slot / INFO).read_text())
    return (Graph.load(slot / DESIGN).to_dict(), load_weights(slot / WEIGHTS),
            {k: info[k] for k in ("name", "path")}, (slot / LOCK).is_file())


def test_a_timer_save_returns_at_once_and_writes_what_save_now_writes(main_window, qtbot):
    w = main_window
    qtbot.waitUntil(lambda: w.training.net is not None, timeout=5000)
    _edit(w)
    _wait_for_rebuilt_network(qtbot, w)
    slow = SlowWriter()
    w.autosave.writer.write = slow
    w.autosave.timer.timeout.emit()              # the few-seconds timer after the edit fires
    assert slow.started.wait(5)
    assert not slow.finished.is_set() and not (w.autosave.slot / DESIGN).exists()
    _edit_after = w.graph.to_dict()              # the GUI answers while the write waits
    with qtbot.waitSignal(w.autosave.saved, timeout=10000):
        slow.go.set()
    background = _slot_files(w.autosave.slot)
    assert w.autosave.save_now()                 # the synchronous save, for comparison
    direct = _slot_files(w.autosave.slot)
    assert background[0] == direct[0] == _edit_after
    assert background[1].keys() == direct[1].keys() == w.training.net.parameters().keys()
    for k, v in w.training.net.parameters().items():
        np.testing.assert_array_equal(background[1][k], v)
        np.testing.assert_array_equal(direct[1][k], v)
    assert background[2] == direct[2] and background[3] and direct[3]


def test_the_written_weights_are_those_of_the_moment_the_timer_fired(main_window, qtbot):
    w = main_window
    qtbot.waitUntil(lambda: w.training.net is not None, timeout=5000)
    _edit(w)
    _wait_for_rebuilt_network(qtbot, w)
    before = {k: v.copy() for k, v in w.training.net.parameters().items()}
    slow = SlowWriter()
    w.autosave.writer.write = slow
    w.autosave.save_later()
    assert slow.started.wait(5)
    for v in w.training.net.parameters().values():
        v += 1.0                                 # training moves the weights meanwhile
    with qtbot.waitSignal(w.autosave.saved, timeout=10000):
        slow.go.set()
    saved = load_weights(w.autosave.slot / WEIGHTS)
    for k, v in before.items():
        np.testing.assert_array_equal(saved[k], v)


def test_close_waits_for_the_write_and_leaves_no_slot(main_window, qtbot):
    w = main_window
    qtbot.waitUntil(lambda: w.training.net is not None, timeout=5000)
    _edit(w)
    slow = SlowWriter()
    w.autosave.writer.write = slow
    w.autosave.save_later()
    assert slow.started.wait(5)
    w.autosave.save_later()                      # a second one waits its turn: it is dropped
    threading.Timer(0.2, slow.go.set).start()
    w.autosave.close()                           # blocks until the write has landed, then removes
    assert slow.finished.is_set()
    assert not w.autosave.writer.busy()
    assert not w.autosave.slot.exists()


def test_a_failed_background_write_is_reported(main_window, qtbot, monkeypatch):
    w = main_window
    messages = []
    monkeypatch.setattr(w.autosave, "show_message", messages.append)
    _edit(w)

    def failing(contents):
        raise OSError("disk full")
    w.autosave.writer.write = failing
    w.autosave.save_later()
    qtbot.waitUntil(lambda: bool(messages), timeout=5000)
    assert messages == ["Autosave failed: disk full"]
