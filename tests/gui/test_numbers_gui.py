"""Big designs and bad numbers in the window: a chain of 1,000 neurons, a layer of 4,096,
and a learning rate of 1e6 while training live. The window must keep ticking: a timer
keeps firing while training plays (how regularly is measured by bench/numbers_gui.py,
not asserted here)."""
import time

import numpy as np
from PySide6.QtCore import QTimer

from engine import Graph
from gui.plots.gradient_flow import MAX_CURVES
from gui.training.worker import MAX_POLL_MS, POLL_MS
from gui.training.worker_process import THUMB_BUDGET

TIMEOUT = 60_000        # ms: a busy machine, a spawned worker, a thousand nodes to compile


class GapRecorder:
    """A 10 ms timer that records the longest time between its ticks: a stalled event loop."""

    def __init__(self):
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.ticks, self.longest, self._last = 0, 0.0, None

    def _tick(self):
        now = time.perf_counter()
        if self._last is not None:
            self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1

    def __enter__(self):
        self._last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.stop()


def chain_design(n: int, data: str = "circle") -> Graph:
    g = Graph("bce")
    g.add_node("input", 2, id="x")
    prev = "x"
    for i in range(n):
        g.add_node("hidden", 1, "tanh", id=f"h{i}", position=(200.0 * (i + 1), 0.0))
        g.connect(prev, f"h{i}")
        prev = f"h{i}"
    g.add_node("output", 1, "sigmoid", id="y", position=(200.0 * (n + 1), 0.0))
    g.connect(prev, "y")
    g.settings.update({"data": data, "optimizer": "adam", "lr": 0.01, "batch_size": 16})
    return g


def wide_design(width: int = 4096) -> Graph:
    g = Graph("softmax_ce")
    g.add_node("input", 64, id="x")
    g.add_node("hidden", width, "tanh", id="h", position=(300.0, 0.0))
    g.add_node("output", 10, "softmax", id="y", position=(600.0, 0.0))
    g.connect("x", "h")
    g.connect("h", "y")
    g.settings.update({"data": "digits", "optimizer": "adam", "lr": 0.001, "batch_size": 32})
    return g


def open_design(qtbot, window, design: Graph) -> None:
    """Open ``design`` and wait until the canvas mirrors it and the network is compiled
    (how long that takes is measured by bench/numbers_gui.py)."""
    window.document.replace_design(design, None, "big")
    training = window.training
    qtbot.waitUntil(lambda: training.net is not None
                    and len(training.net.order) == len(design.nodes), timeout=TIMEOUT)
    assert window.scene.items_match_graph() is None


def train_briefly(qtbot, training, steps: int, seconds: float = 1.5) -> GapRecorder:
    """Step once (starting the worker), then play for ``seconds`` and at least ``steps`` more
    steps; the event loop's gaps while playing."""
    training.panel.step_button.click()
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 1,
                    timeout=TIMEOUT)
    start = training.latest["step"]
    with GapRecorder() as gaps:
        training.panel.play_button.click()
        qtbot.wait(int(seconds * 1000))
        qtbot.waitUntil(lambda: training.latest["step"] >= start + steps, timeout=TIMEOUT)
        training.panel.play_button.click()
    assert training.worker.state == "paused"
    return gaps


def test_a_chain_of_1000_neurons_loads_trains_and_the_window_keeps_ticking(qtbot, main_window):
    open_design(qtbot, main_window, chain_design(1000))
    training = main_window.training
    gaps = train_briefly(qtbot, training, 10)
    print(f"chain: {gaps.ticks} ticks, longest gap {gaps.longest * 1000:.0f} ms")
    assert gaps.ticks > 10
    snap = training.latest
    assert len(snap["grad_norms"]) == 1001
    assert all(np.isfinite(w).all() for w in snap["weights"].values())
    assert 0 < len(snap["thumbnails"]) <= THUMB_BUDGET       # not a thousand images a frame
    # The gradient flow draws a readable few of the thousand connections, first and last among them.
    assert len(training.flow.curves) == MAX_CURVES
    assert {"x->h0", "h999->y"} <= set(training.flow.curves)
    assert training.flow.connection_count == 1001
    assert main_window.scene.items_match_graph() is None


def test_the_automatic_layout_of_a_1000_neuron_chain_is_one_undoable_edit(qtbot, main_window):
    design = chain_design(1000)
    for i, node in enumerate(list(design.nodes)):     # scrambled, so that the layout moves them
        design.move_node(node, (float((i * 37) % 500), float((i * 91) % 700)))
    open_design(qtbot, main_window, design)
    before = {n: node.position for n, node in main_window.graph.nodes.items()}
    assert main_window.scene.auto_layout()
    xs = [main_window.graph.nodes[f"h{i}"].position[0] for i in range(1000)]
    assert xs == sorted(xs) and len(set(xs)) == 1000          # one column per depth
    assert main_window.scene.items_match_graph() is None
    main_window.undo_stack.undo()
    assert {n: node.position for n, node in main_window.graph.nodes.items()} == before
    assert main_window.scene.items_match_graph() is None


def test_a_layer_of_4096_neurons_trains_and_the_window_keeps_ticking(qtbot, main_window):
    open_design(qtbot, main_window, wide_design())
    training = main_window.training
    gaps = train_briefly(qtbot, training, 30)
    print(f"wide: {gaps.ticks} ticks, longest gap {gaps.longest * 1000:.0f} ms")
    assert gaps.ticks > 10
    grads = training.latest["gradients"]
    assert grads["W:x->h"].shape == (4096, 64) and grads["W:h->y"].shape == (10, 4096)
    assert all(np.isfinite(g).all() for g in grads.values())
    item = main_window.scene.connection_items[("x", "h")]
    assert item.is_lod() and len(item.drawn) > 0              # the strongest edges on top, coloured
    assert main_window.scene.color_scale() is not None


def test_a_learning_rate_of_a_million_while_playing_pauses_with_the_reason(qtbot, main_window):
    g = Graph("mse")
    g.add_node("input", 2, id="x")
    g.add_node("hidden", 8, "relu", id="h", position=(300.0, 0.0))
    g.add_node("output", 1, "linear", id="y", position=(600.0, 0.0))
    g.connect("x", "h")
    g.connect("h", "y")
    g.settings.update({"data": "sine", "optimizer": "sgd", "lr": 0.01, "batch_size": 16,
                       "epochs": None})     # until paused, not a new design's default
    open_design(qtbot, main_window, g)
    training, panel = main_window.training, main_window.training.panel
    training.panel.play_button.click()
    qtbot.waitUntil(lambda: training.latest is not None and training.latest["step"] >= 30,
                    timeout=TIMEOUT)
    assert training.worker.state == "playing"
    panel.lr.setCurrentText("1000000")
    panel.lr.lineEdit().editingFinished.emit()                # what pressing Enter does
    qtbot.waitUntil(lambda: "diverged" in panel.status.text(), timeout=TIMEOUT)
    assert "learning rate" in panel.status.text() and "restored" in panel.status.text()
    assert not panel.play_button.isChecked() and training.worker.state == "paused"
    # The snapshot after the divergence: the restored weights, and no inf or NaN anywhere on screen.
    qtbot.wait(200)
    training.worker.poll()                                    # the snapshot sent with the reason
    snap = training.latest
    for part in ("weights", "gradients"):
        assert all(np.isfinite(v).all() for v in snap[part].values()), part
    assert all(np.isfinite(v) for v in snap["grad_norms"].values())
    assert np.isfinite(snap["boundary"]).all()
    assert all(np.isfinite(p).all() for p in training.net.parameters().values())
    scale = main_window.scene.color_scale()
    assert scale is None or np.isfinite(scale).all()
    for item in main_window.scene.connection_items.values():
        values = item.magnitudes()
        assert values is None or np.isfinite(values).all()
    # Training resumes from the restored weights at a sane rate.
    panel.lr.setCurrentText("0.01")
    panel.lr.lineEdit().editingFinished.emit()
    step = snap["step"]
    panel.play_button.click()
    qtbot.waitUntil(lambda: training.latest["step"] >= step + 20, timeout=TIMEOUT)
    panel.play_button.click()
    assert "diverged" not in panel.status.text()


class Clock:
    """A perf_counter that moves only when told: what a snapshot costs, without sleeping."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def test_the_poll_interval_follows_the_cost_of_painting_snapshots(qtbot, monkeypatch):
    import multiprocessing as mp
    import gui.training.worker
    from gui.training.worker import TrainingWorker
    clock = Clock()
    monkeypatch.setattr(gui.training.worker, "time", clock)
    worker = TrainingWorker()
    ours, theirs = mp.Pipe()
    worker._conn = ours             # the reply pipe, without spawning a training process
    snap = {"reset": False, "steps": np.zeros(0, np.int64), "losses": np.zeros(0), "epochs": []}

    def poll_with(cost: float) -> int:
        def paint(_snap):           # a canvas this slow
            clock.now += cost
        worker.snapshot.connect(paint)
        theirs.send(("snapshot", snap))
        assert worker.poll() == 1
        worker.snapshot.disconnect(paint)
        return worker.poll_interval

    assert poll_with(0.125) == POLL_MS          # one slow paint (the first one) changes nothing
    poll_with(0.125)
    assert poll_with(0.125) == 250              # slow every time: half of the GUI's time stays free
    assert poll_with(0.0) == POLL_MS            # and back to ~30 Hz as soon as it is cheap
    for _ in range(3):
        interval = poll_with(0.625)
    assert interval == MAX_POLL_MS
    worker._conn = None
    ours.close()
    theirs.close()


def test_the_gradient_matrix_draws_inf_and_nan_and_says_how_many(qtbot):
    from gui.plots.gradient_matrix import GradientMatrixView
    view = GradientMatrixView()
    qtbot.addWidget(view)
    view.set_matrix("a → b", np.array([[np.nan, 1.0], [np.inf, 1e-3]], np.float32))
    view.grab()                                 # an infinite level broke pyqtgraph's paint
    assert np.isfinite(view.values).all() and np.isfinite(view.image.levels).all()
    assert view.values[1, 0] == view.image.levels[1]          # infinite: the brightest
    assert "from 0.001 (dark) to 1 (bright); 2 not finite" in view.caption.text()
    view.set_matrix("a → b", np.full((2, 2), 1e-320))         # below the floor: no "1e-320"
    assert "all below" in view.caption.text() and np.isfinite(view.image.levels).all()


def test_the_gradient_flow_of_a_thousand_connections_draws_a_few_evenly_spaced(qtbot):
    from gui.plots.gradient_flow import GradientFlowPlot, shown_connections
    flow = GradientFlowPlot()
    qtbot.addWidget(flow)
    keys = [f"h{i}->h{i + 1}" for i in range(1000)]
    flow.set_connections(keys)
    flow.add(1, {k: 1.0 for k in keys})
    flow.flush()
    flow.grab()                               # a legend of a thousand entries took ~30 s
    assert len(flow.legend.items) == MAX_CURVES
    assert list(flow.curves) == shown_connections(keys)
    assert len(flow.curves) == MAX_CURVES and keys[0] in flow.curves and keys[-1] in flow.curves
    assert f"{MAX_CURVES} of 1000 connections" in flow.plot.titleLabel.text
    # A chain's early gradients underflow to exactly 0: not drawable on a log axis, so said.
    flow.add(2, {k: 0.0 if i < 500 else 1.0 for i, k in enumerate(keys)})
    shown_zero = sum(1 for k in flow.curves if keys.index(k) < 500)
    assert f"{shown_zero} with a gradient of exactly 0" in flow.plot.titleLabel.text
    flow.add(3, {k: 1.0 for k in keys})
    assert "exactly 0" not in flow.plot.titleLabel.text
    flow.set_connections(keys[:3])
    assert list(flow.curves) == keys[:3] and len(flow.series[keys[0]]) == 3   # history kept
    assert shown_connections(list("abcdefg"), 3) == ["a", "d", "g"]


def test_the_plot_histories_stay_bounded_however_long_the_run(qtbot):
    from gui.plots.metrics import STEP_CAP, MetricsPlot
    metrics = MetricsPlot()
    qtbot.addWidget(metrics)
    chunk = 50_000
    for k in range(2_000_000 // chunk):                       # ~7 minutes of digits
        steps = np.arange(k * chunk, (k + 1) * chunk)
        metrics.add_steps(steps, np.exp(-steps / 1e6))
    assert len(metrics.steps) <= STEP_CAP
    assert metrics.steps.nbytes <= 2 * 8 * STEP_CAP
    assert metrics.steps.xs[-1] >= 2_000_000 - metrics.steps.stride   # the newest still shown
