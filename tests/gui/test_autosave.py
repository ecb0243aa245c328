"""Autosave of the open design and weights, recovery after a crash, atomic explicit saves."""
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from engine import Graph
from engine.io.weights import load_weights
from gui.files import autosave
from gui.files.autosave import DESIGN, LOCK, WEIGHTS, Autosave, autosave_root, pending_recoveries

ROOT = Path(__file__).resolve().parents[2]


def add_branch(g, node_id: str, size: int) -> None:
    """A layer from the input to the output: the design stays trainable."""
    g.add_node("hidden", size, "tanh", id=node_id, position=(40, 300))
    g.connect(g.input_node().id, node_id)
    g.connect(node_id, g.output_node().id)


def _edit(window, size=3):
    return window.push_edit("Add a layer", lambda g: add_branch(g, f"branch{size}", size))


def _wait_for_network(qtbot, window):
    qtbot.waitUntil(lambda: window.training.net is not None, timeout=5000)


def test_a_change_is_autosaved_within_seconds_and_reads_back(main_window, qtbot):
    w = main_window
    _wait_for_network(qtbot, w)
    w.autosave.timer.setInterval(50)
    with qtbot.waitSignal(w.autosave.saved, timeout=3000):
        _edit(w)
    slot = w.autosave.slot
    assert Graph.load(slot / DESIGN).same_design(w.graph)
    w.training.reload(keep_weights=True)
    assert w.autosave.save_now()
    saved = load_weights(slot / WEIGHTS)
    params = w.training.net.parameters()
    assert saved.keys() == params.keys()
    for k, v in params.items():
        np.testing.assert_array_equal(saved[k], v)
    assert pending_recoveries() == []          # this app is running: not a crash


def test_a_clean_save_and_a_clean_exit_remove_the_autosave(main_window, tmp_path, boxes):
    w = main_window
    _edit(w)
    assert w.autosave.save_now() and (w.autosave.slot / DESIGN).is_file()
    assert w.document.save_as(tmp_path / "mine.json")
    w.autosave.save_now()
    assert not w.autosave.slot.exists()
    _edit(w, 4)
    w.autosave.save_now()
    assert w.autosave.slot.exists()
    boxes["answer"] = QMessageBox.Discard
    assert w.close()
    assert not w.autosave.slot.exists()
    assert pending_recoveries() == []



def test_training_since_the_last_save_is_autosaved_with_its_weights(main_window, qtbot):
    w = main_window
    _wait_for_network(qtbot, w)
    assert not w.document.is_dirty() and not w.autosave.needed()
    w.training.step()                          # one step in the worker: new weights, design clean
    qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest["step"] >= 1,
                    timeout=20000)
    assert w.autosave.needed()
    with qtbot.waitSignal(w.autosave.saved, timeout=10000):     # written in the background
        w.autosave.training_timer.timeout.emit()   # the half-minute timer fires
    saved = load_weights(w.autosave.slot / WEIGHTS)
    for k, v in w.training.net.parameters().items():
        np.testing.assert_array_equal(saved[k], v)


def test_imported_weights_count_as_unsaved_until_a_clean_save(main_window, qtbot, tmp_path):
    w = main_window
    _wait_for_network(qtbot, w)
    params = {k: np.full_like(v, 0.125) for k, v in w.training.net.parameters().items()}
    w.training.apply_parameters(params)
    w.autosave.note_weights_changed()          # what File > Import Weights calls after loading
    assert w.autosave.needed() and w.autosave.save_now()
    saved = load_weights(w.autosave.slot / WEIGHTS)
    assert all(np.all(saved[k] == 0.125) for k in params)
    assert w.document.save_as(tmp_path / "clean.json")
    assert not w.autosave.needed()
    w.autosave.save_now()
    assert not w.autosave.slot.exists()

CRASHING_APP = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from PySide6.QtWidgets import QApplication
    from engine.io.weights import save_weights
    from gui.shell.main_window import MainWindow

    if __name__ == "__main__":
        app = QApplication([])
        window = MainWindow(restore_settings=False)
        while window.training.net is None:
            app.processEvents()
        def add_branch(g):
            g.add_node("hidden", 5, "relu", id="extra")
            g.connect(g.input_node().id, "extra")
            g.connect("extra", g.output_node().id)
        window.push_edit("Add a layer", add_branch)
        window.training.reload(keep_weights=True)
        window.training.net.parameters()["b:extra"][...] = 0.25   # weights of this session
        assert window.autosave.save_now()
        window.graph.save({expected!r})
        save_weights(window.training.net.parameters(), {weights!r})
        os._exit(3)                      # killed: no clean exit, the autosave stays
""")


def _crash_an_app(tmp_path):
    expected, weights = tmp_path / "expected.json", tmp_path / "expected.npz"
    script = tmp_path / "crash.py"
    script.write_text(CRASHING_APP.format(root=str(ROOT), expected=str(expected),
                                          weights=str(weights)))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 3, run.stderr
    return Graph.load(expected), load_weights(weights)


def _answer(monkeypatch, text):
    """The recovery question is answered with the button labelled ``text``."""
    monkeypatch.setattr(QMessageBox, "exec", lambda self: 0)
    monkeypatch.setattr(QMessageBox, "clickedButton",
                        lambda self: next(b for b in self.buttons() if b.text() == text))


def test_after_a_crash_the_next_start_restores_design_and_weights(main_window, qtbot, tmp_path,
                                                                  monkeypatch):
    expected, weights = _crash_an_app(tmp_path)
    recoveries = pending_recoveries()
    assert len(recoveries) == 1 and recoveries[0].has_weights
    w = main_window
    _wait_for_network(qtbot, w)
    assert not w.graph.same_design(expected)
    _answer(monkeypatch, "Restore")
    assert w.autosave.offer_recovery()
    assert w.graph.same_design(expected)
    assert "(recovered)" in w.document.name and w.document.is_dirty()
    assert w.windowTitle().startswith(w.document.name + "*")
    qtbot.waitUntil(lambda: w.training.net is not None and "b:extra" in w.training.net.parameters()
                    and w.training.net.parameters()["b:extra"][0] == 0.25, timeout=5000)
    for k, v in weights.items():
        np.testing.assert_array_equal(w.training.net.parameters()[k], v)
    assert pending_recoveries() == []          # restored: the slot is this running app's now


def test_a_restored_autosave_stays_until_the_next_autosave_replaces_it(main_window, tmp_path,
                                                                        monkeypatch, boxes):
    expected, _ = _crash_an_app(tmp_path)
    w = main_window
    slot = pending_recoveries()[0].slot
    _answer(monkeypatch, "Restore")
    assert w.autosave.offer_recovery()
    # A crash now, before the next autosave, must not lose the restored work: it is still on
    # disk, and a start after this app died would offer it again.
    assert w.autosave.slot == slot and Graph.load(slot / DESIGN).same_design(expected)
    assert json.loads((slot / LOCK).read_text())["pid"] == os.getpid()
    assert pending_recoveries() == []          # not while this app runs
    with monkeypatch.context() as m:
        m.setattr(autosave, "_running", lambda lock: False)       # as if this app had died
        offered = pending_recoveries()
        assert [r.slot for r in offered] == [slot] and offered[0].load()[0].same_design(expected)
    # The next autosave replaces it: one current copy, no stale slot besides it.
    _edit(w, 6)
    assert w.autosave.save_now()
    assert [p for p in autosave_root().iterdir()] == [slot]
    assert Graph.load(slot / DESIGN).same_design(w.graph)
    assert w.document.save_as(tmp_path / "kept.json") and w.autosave.save_now()
    assert list(autosave_root().iterdir()) == []


RESTORING_APP = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from PySide6.QtWidgets import QApplication
    from gui.files.autosave import pending_recoveries
    from gui.shell.main_window import MainWindow

    if __name__ == "__main__":
        app = QApplication([])
        window = MainWindow(restore_settings=False)
        assert window.autosave.restore(pending_recoveries()[0])
        os._exit(3)                      # killed right after restoring, before any autosave
""")


def test_an_app_killed_right_after_restoring_loses_nothing(tmp_path):
    expected, _ = _crash_an_app(tmp_path)
    script = tmp_path / "restore.py"
    script.write_text(RESTORING_APP.format(root=str(ROOT)))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 3, run.stderr
    recoveries = pending_recoveries()
    assert len(recoveries) == 1 and recoveries[0].load()[0].same_design(expected)


def test_discard_removes_the_autosave_and_keeps_the_design(main_window, tmp_path, monkeypatch):
    _crash_an_app(tmp_path)
    w = main_window
    before = w.graph.copy()
    _answer(monkeypatch, "Discard")
    assert not w.autosave.offer_recovery()
    assert w.graph.same_design(before)
    assert pending_recoveries() == []


def test_not_now_keeps_it_for_next_time(main_window, tmp_path, monkeypatch):
    _crash_an_app(tmp_path)
    _answer(monkeypatch, "Not now")
    assert not main_window.autosave.offer_recovery()
    assert len(pending_recoveries()) == 1


def test_a_corrupt_autosave_is_refused_with_a_message(main_window, tmp_path, monkeypatch, boxes):
    _crash_an_app(tmp_path)
    (pending_recoveries()[0].slot / DESIGN).write_text("{ not json")
    before = main_window.graph.copy()
    _answer(monkeypatch, "Restore")
    assert not main_window.autosave.offer_recovery()
    assert boxes["warning"] and "could not be read" in boxes["warning"][0][2]
    assert main_window.graph.same_design(before)


def test_an_empty_slot_is_removed_only_once_it_is_old(main_window):
    young, old = autosave_root() / "1-young", autosave_root() / "2-old"
    for slot in (young, old):
        slot.mkdir(parents=True)       # made, and its lock not yet written (or killed then)
    then = time.time() - autosave.EMPTY_SLOT_GRACE_S - 60
    os.utime(old, (then, then))
    assert pending_recoveries() == []
    assert young.is_dir() and not old.exists()


def test_a_slot_of_a_running_app_is_never_offered(main_window, qtbot):
    w = main_window                             # a second "instance" in this live process:
    other = Autosave(w.graph, w.undo_stack, w.document, w.training, w.show_message, w)
    _edit(main_window)
    assert other.save_now() and main_window.autosave.save_now()
    assert pending_recoveries() == []
    other.close()



LIVE_APP = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from PySide6.QtWidgets import QApplication
    from gui.shell.main_window import MainWindow

    if __name__ == "__main__":
        app = QApplication([])
        window = MainWindow(restore_settings=False)
        window.push_edit("Add", lambda g: g.add_node("hidden", 2, "relu", id="live"))
        assert window.autosave.save_now()
        print("saved", flush=True)
        sys.stdin.readline()             # runs until killed
""")


def test_another_running_instance_is_not_offered_until_it_is_killed(tmp_path):
    import signal
    script = tmp_path / "live.py"
    script.write_text(LIVE_APP.format(root=str(ROOT)))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saved"
        assert pending_recoveries() == []      # its owner runs: not a crash
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    recoveries = pending_recoveries()
    assert len(recoveries) == 1 and "live" in recoveries[0].load()[0].nodes

# ----- explicit saves are atomic ------------------------------------------------------------
@pytest.mark.parametrize("failing", ["os.replace", "os.fsync"])
def test_a_save_that_fails_midway_leaves_the_previous_file_intact(main_window, tmp_path, boxes,
                                                                  monkeypatch, failing):
    w = main_window
    path = tmp_path / "design.json"
    assert w.document.save_as(path)
    before = path.read_bytes()
    _edit(w)

    def fail(*_a, **_k):
        raise OSError(28, "No space left on device")
    import engine.files.atomic as atomic
    with monkeypatch.context() as m:
        m.setattr(atomic.os, failing.split(".")[1], fail)
        assert not w.document.save()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert boxes["warning"] and "No space left" in boxes["warning"][-1][2]
    assert w.document.is_dirty()
