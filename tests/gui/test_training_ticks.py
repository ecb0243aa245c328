"""What spreading the live views' updates across ticks must keep: every view ends on the
newest snapshot, a hidden view catches up when shown, and no step is lost at the end of a run."""
import time

import numpy as np
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.core.redraw_queue import Coalescer, RedrawQueue
from gui.training.tick_schedule import SnapshotViews

TIMEOUT = 30_000    # ms: the worker process is spawned and the machine may be busy


def shown_pair(qtbot):
    window = QWidget()
    layout = QVBoxLayout(window)
    a, b = QWidget(), QWidget()
    layout.addWidget(a)
    layout.addWidget(b)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window, a, b


def last_x(curve):
    x = curve.getOriginalDataset()[0]
    return None if x is None or not len(x) else x[-1]


def test_the_queue_runs_one_redraw_per_tick_in_turn(qtbot):
    window, a, b = shown_pair(qtbot)
    queue = RedrawQueue()
    drawn = []
    jobs = [Coalescer(w, lambda n=n: drawn.append(n), 0, queue) for n, w in (("a", a), ("b", b))]
    for _ in range(3):                  # asked again and again: still one redraw each
        for job in jobs:
            job.schedule()
    assert queue.run_next() and drawn == ["a"]
    assert queue.run_next() and drawn == ["a", "b"]
    assert not queue.run_next() and drawn == ["a", "b"]


def test_a_turn_queue_waiting_for_a_due_job_looks_again_without_spinning(qtbot):
    window, a, b = shown_pair(qtbot)
    queue = RedrawQueue(interval_ms=0)          # a job every event-loop turn, as the canvas's
    drawn = []
    job = Coalescer(a, lambda: drawn.append("a"), 60_000, queue)    # drawn a moment ago
    job.last = time.perf_counter()
    job.schedule()
    assert not queue.run_next() and drawn == []
    assert queue._timer.isActive() and queue._timer.interval() == 1    # not 0: the loop may sleep
    job.last = 0.0
    assert queue.run_next() and drawn == ["a"]
    assert not queue._timer.isActive()


def test_a_hidden_view_waits_and_catches_up_with_the_newest_data_when_shown(qtbot):
    _, a, b = shown_pair(qtbot)
    b.hide()
    queue = RedrawQueue()
    data, drawn = [0], []
    job = Coalescer(b, lambda: drawn.append(data[0]), 0, queue)
    for value in (1, 2, 3):
        data[0] = value
        job.schedule()
        queue.run_next()
    assert drawn == []                  # nobody could see it: nothing drawn
    b.show()
    qtbot.waitUntil(lambda: drawn == [3], timeout=3000)


def test_snapshot_views_update_now_when_visible_and_later_when_hidden(qtbot):
    _, a, b = shown_pair(qtbot)
    views, seen = SnapshotViews(), {"a": [], "b": []}
    views.add("a", a, lambda: seen["a"].append(views.carried("validation")), needs="validation")
    views.add("b", b, lambda: seen["b"].append(views.carried("validation")), needs="validation")
    b.hide()
    views.take({"validation": "v1"})
    views.take({})                      # carries no validation: "a" is not redrawn for nothing
    views.take({"validation": "v2"})
    assert seen == {"a": ["v1", "v2"], "b": []} and views.pending("b")
    b.show()
    qtbot.waitUntil(lambda: seen["b"] == ["v2"], timeout=3000)
    assert not views.pending("b")


def test_a_costly_view_takes_snapshots_at_most_at_its_interval_and_ends_on_the_newest(qtbot):
    _, a, b = shown_pair(qtbot)
    views, seen = SnapshotViews(), []
    views.add("a", a, lambda: seen.append(views.carried("validation")), needs="validation",
              min_interval_ms=300)
    for k in range(5):                  # five snapshots in a burst
        views.take({"validation": f"v{k}"})
    assert seen == ["v0"] and views.pending("a")
    qtbot.waitUntil(lambda: seen[-1] == "v4", timeout=3000)
    assert seen == ["v0", "v4"] and not views.pending("a")


def test_after_a_run_the_plots_show_the_final_snapshots_steps(qtbot, main_window):
    main_window.show()
    qtbot.waitExposed(main_window)
    main_window.graph.settings["epochs"] = 0
    training = main_window.training
    qtbot.waitUntil(lambda: training.net is not None, timeout=TIMEOUT)
    training.panel.play_button.click()
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 200, timeout=TIMEOUT)
    training.panel.play_button.click()
    # Snapshots sent before the worker read "pause" still arrive: wait for the stream to end.
    settled = [None]

    def stopped():
        step, settled[0] = settled[0], training.latest["step"]
        return step == settled[0]
    while not stopped():
        qtbot.wait(300)
    final = training.latest["step"]
    # The pause's snapshot is the last: every step's loss arrived, the curves end on it.
    assert training.metrics.steps.xs[-1] == final
    assert next(iter(training.flow.series.values())).xs[-1] == final
    # The two plots share a dock area: the one behind catches up when brought to the front.
    training.docks["Loss and accuracy"].raise_()
    qtbot.waitUntil(training.metrics.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: last_x(training.metrics.step_curve) == final, timeout=3000)
    training.docks["Gradient flow"].raise_()
    qtbot.waitUntil(training.flow.isVisible, timeout=3000)
    qtbot.waitUntil(lambda: last_x(next(iter(training.flow.curves.values()))) == final, timeout=3000)


def test_a_boundary_dock_shown_after_training_shows_the_newest_boundary(qtbot, main_window):
    main_window.show()
    qtbot.waitExposed(main_window)
    training = main_window.training
    qtbot.waitUntil(lambda: training.net is not None, timeout=TIMEOUT)
    dock = training.docks["Decision boundary"]
    training.panel.step_button.click()
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 1, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: dock.isVisible(), timeout=TIMEOUT)     # the example's data are 2-D
    dock.hide()
    before = np.array(training.boundary.values, copy=True)
    for step in (2, 3, 4):
        training.panel.step_button.click()
        qtbot.waitUntil(lambda s=step: training.latest["step"] >= s, timeout=TIMEOUT)
    assert np.array_equal(training.boundary.values, before)        # hidden: not redrawn
    dock.show()
    newest = training.latest["boundary"]
    qtbot.waitUntil(lambda: np.allclose(training.boundary.values, newest), timeout=3000)

