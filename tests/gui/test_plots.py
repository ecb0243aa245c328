"""Live training curves: bounded storage, curves per series, step/epoch axis, gradient flow."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gui.plots.gradient_flow import GradientFlowPlot, connection_label
from gui.plots.parts import coarse_bounds, labelled_mantissas
from gui.plots.metrics import MetricsPlot, Series


def original(curve):
    x, y = curve.getOriginalDataset()
    return (np.array([]), np.array([])) if x is None else (x, y)


# ----- Series ---------------------------------------------------------------
def test_series_grows_by_doubling_and_keeps_values():
    s = Series(cap=1_000_000, initial=16)
    for i in range(100):
        s.append(i, 2 * i)
    assert len(s) == 100
    assert len(s.x) == 128                     # 16 → 32 → 64 → 128
    np.testing.assert_array_equal(s.xs, np.arange(100))
    np.testing.assert_array_equal(s.ys, 2 * np.arange(100))


@settings(max_examples=60, deadline=None)
@given(cap=st.integers(2, 64), chunks=st.lists(st.integers(0, 150), max_size=12),
       singles=st.booleans())
def test_series_keeps_every_stride_th_point_within_the_cap(cap, chunks, singles):
    s = Series(cap=cap, initial=2)
    total = 0
    for size in chunks:
        xs = np.arange(total, total + size, dtype=float)
        if singles:
            for x in xs:
                s.append(x, -x)
        else:
            s.extend(xs, -xs)
        total += size
    assert len(s.x) <= s.cap and len(s) <= s.cap
    # Exactly the offered points whose index is a multiple of the stride survive.
    expected = np.arange(0, total, s.stride, dtype=float)
    np.testing.assert_array_equal(s.xs, expected)
    np.testing.assert_array_equal(s.ys, -expected)


def test_series_memory_stays_bounded_over_a_long_run():
    s = Series(cap=10_000)
    for start in range(0, 1_000_000, 5_000):
        s.extend(np.arange(start, start + 5_000), np.ones(5_000))
    assert s.nbytes <= 2 * 8 * 10_000
    assert 5_000 <= len(s) <= 10_000
    assert s.stride == 128
    assert s.xs[-1] >= 1_000_000 - s.stride     # the newest data are still there
    assert np.all(np.diff(s.xs) == s.stride)    # uniform spacing after halving


def test_series_rejects_mismatched_chunks():
    with pytest.raises(ValueError, match="differ"):
        Series().extend([1, 2, 3], [1, 2])


# ----- MetricsPlot -------------------------------------------------------------
@pytest.fixture
def metrics(qtbot):
    w = MetricsPlot()
    qtbot.addWidget(w)
    w.resize(600, 400)
    return w


def test_step_losses_arrive_in_chunks_and_draw_on_the_timer(metrics, qtbot):
    metrics.add_steps(np.arange(0, 50), np.linspace(1, 0.5, 50))
    metrics.add_steps(np.arange(50, 80), np.linspace(0.5, 0.4, 30))
    assert len(original(metrics.step_curve)[0]) == 0          # coalesced: not drawn yet
    qtbot.waitUntil(lambda: len(original(metrics.step_curve)[0]) == 80, timeout=1000)
    x, y = original(metrics.step_curve)
    np.testing.assert_array_equal(x, np.arange(80))
    assert y[0] == 1.0 and y[-1] == pytest.approx(0.4)


def test_epoch_curves_and_axis_switch(metrics):
    for e in range(1, 6):
        metrics.add_steps(np.arange((e - 1) * 10, e * 10), np.full(10, 1.0 / e))
        metrics.add_epoch(e, e * 10, 1.0 / e, 1.2 / e, 0.5 + e / 20, 0.45 + e / 20, "accuracy")
    metrics.flush()
    assert metrics.x_mode == "steps"
    x, y = original(metrics.curves["val_loss"])
    np.testing.assert_array_equal(x, [10, 20, 30, 40, 50])
    np.testing.assert_allclose(y, [1.2 / e for e in range(1, 6)])
    assert len(original(metrics.curves["train_metric"])[0]) == 5
    assert metrics.metric_plot.getAxis("bottom").labelText == "step"

    metrics.set_x_mode("epochs")
    np.testing.assert_array_equal(original(metrics.curves["val_loss"])[0], [1, 2, 3, 4, 5])
    steps_x = original(metrics.step_curve)[0]
    assert len(steps_x) == 50 and steps_x[-1] == pytest.approx(4.9)   # 10 steps per epoch
    assert metrics.metric_plot.getAxis("bottom").labelText == "epoch"
    metrics.set_x_mode("steps")
    assert original(metrics.step_curve)[0][-1] == 49


def test_missing_validation_leaves_its_curve_empty(metrics):
    metrics.add_epoch(1, 10, 0.5, None, 0.8, float("nan"), "accuracy")
    metrics.flush()
    assert len(original(metrics.curves["train_loss"])[0]) == 1
    assert len(original(metrics.curves["val_loss"])[0]) == 0
    assert len(original(metrics.curves["val_metric"])[0]) == 0


def test_metric_name_labels_the_lower_plot(metrics):
    metrics.add_epoch(1, 10, 0.5, 0.6, 0.7, 0.6, "R²")
    assert metrics.metric_plot.getAxis("left").labelText == "R²"
    metrics.set_metric_name("accuracy")
    assert metrics.metric_plot.getAxis("left").labelText == "accuracy"


def test_clear_empties_every_curve(metrics):
    metrics.add_steps(np.arange(20), np.ones(20))
    metrics.add_epoch(1, 20, 1.0, 1.0, 0.5, 0.5, "accuracy")
    metrics.flush()
    metrics.clear()
    assert len(original(metrics.step_curve)[0]) == 0
    assert all(len(original(c)[0]) == 0 for c in metrics.curves.values())
    assert metrics.steps_per_epoch is None


def test_log_toggle_sets_log_loss_axis(metrics):
    metrics.log_loss.setChecked(True)
    assert metrics.loss_plot.getAxis("left").logMode
    assert not metrics.metric_plot.getAxis("left").logMode


def test_capped_plot_decimates_and_stays_bounded(qtbot):
    w = MetricsPlot(step_cap=1000)
    qtbot.addWidget(w)
    for start in range(0, 20_000, 500):
        w.add_steps(np.arange(start, start + 500), np.exp(-np.arange(start, start + 500) / 5000))
    w.flush()
    x, _ = original(w.step_curve)
    assert len(w.steps.x) <= 1000 and 500 <= len(x) <= 1000
    assert x[-1] >= 19_000 and np.all(np.diff(x) > 0)


def test_bad_chunk_raises_clear_error(metrics):
    with pytest.raises(ValueError, match="3 steps but 2 losses"):
        metrics.add_steps(np.arange(3), np.ones(2))


# ----- GradientFlowPlot --------------------------------------------------------
@pytest.fixture
def flow(qtbot):
    w = GradientFlowPlot()
    qtbot.addWidget(w)
    return w


def legend_labels(flow):
    return [label.text for _, label in flow.legend.items]


def test_one_curve_per_connection_with_distinct_colours(flow):
    keys = ["x1->h1", "h1->h2", "h2->y1"]
    flow.set_connections(keys)
    for step in range(10):
        flow.add(step, {k: 10.0 ** -(i + step / 10) for i, k in enumerate(keys)})
    flow.flush()
    for i, k in enumerate(keys):
        x, y = original(flow.curves[k])
        assert len(x) == 10
        assert y[0] == pytest.approx(10.0 ** -i)
    colours = {flow.curves[k].opts["pen"].color().name() for k in keys}
    assert len(colours) == 3
    assert legend_labels(flow) == ["x1 → h1", "h1 → h2", "h2 → y1"]
    assert flow.plot.getAxis("left").logMode


def test_design_change_adds_and_removes_curves(flow):
    flow.set_connections(["x1->h1", "h1->y1"])
    flow.add(0, {"x1->h1": 1.0, "h1->y1": 2.0})
    flow.set_connections(["h1->y1", "h1->h2"])
    assert set(flow.curves) == {"h1->y1", "h1->h2"}
    assert sorted(legend_labels(flow)) == ["h1 → h2", "h1 → y1"]
    assert len(flow.series["h1->y1"]) == 1          # history of a kept connection stays
    assert flow.curves["h1->h2"].opts["pen"].color() != flow.curves["h1->y1"].opts["pen"].color()


def test_zero_or_infinite_norm_leaves_a_gap_and_unknown_keys_get_a_curve(flow):
    flow.add(0, {"a->b": 0.0})
    flow.add(1, {"a->b": math.inf})
    flow.add(2, {"a->b": 0.5})
    assert "a->b" in flow.curves
    assert np.isnan(flow.series["a->b"].ys[:2]).all() and flow.series["a->b"].ys[2] == 0.5
    flow.clear()
    assert len(original(flow.curves["a->b"])[0]) == 0


def test_connection_label():
    assert connection_label("h1->h2") == "h1 → h2"


def test_add_report_takes_an_engine_epoch_report(metrics):
    from engine.train.trainer import EpochReport
    metrics.add_report(EpochReport(2, 40, 0.3, 0.4, 0.9, 0.85, "accuracy", 0.01))
    metrics.add_report({"epoch": 3, "step": 60, "train_loss": 0.2, "val_loss": None,
                        "train_metric": 0.95, "val_metric": None, "metric_name": "R²", "seconds": 0.0})
    metrics.flush()
    np.testing.assert_array_equal(original(metrics.curves["train_loss"])[0], [40, 60])
    assert len(original(metrics.curves["val_loss"])[0]) == 1
    assert metrics.steps_per_epoch == 20 and metrics.metric_name == "R²"


def test_halving_redraws_at_once(qtbot):
    w = MetricsPlot(step_cap=100)
    qtbot.addWidget(w)
    w.add_steps(np.arange(60), np.ones(60))
    assert len(original(w.step_curve)[0]) == 0            # coalesced
    w.add_steps(np.arange(60, 120), np.ones(60))          # passes the cap: halved in place
    x = original(w.step_curve)[0]
    assert len(x) == len(w.steps) and np.all(np.diff(x) == 2)


def drawn(curve):
    """The points the curve item strokes after clipping and downsampling."""
    return curve.curve.xData, curve.curve.yData


def test_long_curves_draw_about_two_points_per_pixel_column_and_keep_their_peaks(qtbot):
    # Ten points per pixel column (pyqtgraph's default) made each repaint of a full gradient-flow
    # plot stroke 80,000 segments: ~110 ms, so that an hour-long run spent most of its time painting.
    rng = np.random.default_rng(0)
    metrics, flow = MetricsPlot(), GradientFlowPlot(cap=20_000)
    keys = [f"a{i}->b{i}" for i in range(3)]
    flow.set_connections(keys)
    n = 20_000
    steps = np.arange(1, n + 1, dtype=float)
    losses = np.abs(rng.normal(size=n)) + 0.1
    losses[12_345] = 50.0                                   # one spike must still show
    metrics.add_steps(steps, losses)
    for s, value in zip(steps, losses):
        flow.add(int(s), {k: float(value) for k in keys})
    for w in (metrics, flow):
        qtbot.addWidget(w)
        w.resize(600, 400)
        w.show()
        w.flush()
    qtbot.waitExposed(flow)
    qtbot.wait(50)
    for curve, plot in ((metrics.step_curve, metrics.loss_plot),
                        *((c, flow.plot) for c in flow.curves.values())):
        x, y = drawn(curve)
        pixels = plot.getViewBox().width()
        assert 0 < pixels < 600
        assert len(x) <= 2 * pixels + 4, f"{len(x)} points drawn in {pixels:.0f} pixel columns"
        assert np.nanmax(y) == pytest.approx(50.0 if plot is metrics.loss_plot else math.log10(50.0))


@pytest.mark.parametrize("log", [False, True])
def test_auto_range_bounds_are_the_whole_data_whatever_the_view(qtbot, log):
    # Bounds of the downsampled points changed with the view's width (peak downsampling drops
    # the last len % ds points); auto-range then flipped the view between two ranges for ever.
    w = MetricsPlot()
    qtbot.addWidget(w)
    w.resize(777, 300)
    w.show()
    qtbot.waitExposed(w)
    n = 123_457
    w.add_steps(np.arange(n), np.linspace(1.0, 2.0, n))
    w.log_loss.setChecked(log)
    w.flush()
    view = w.loss_plot.getViewBox()
    expected_y = coarse_bounds(0.0, math.log10(2.0), False) if log else (1.0, 2.0)
    for right in (n * 0.31, n * 0.77, n * 1.0, n * 1.13):
        view.setXRange(0, right, padding=0)           # a different downsampling factor each time
        w.step_curve.dataBounds(0)                     # (what the view asks when auto-ranging)
        assert w.step_curve.dataBounds(0) == (0.0, 125_000.0)    # the data's (0, n - 1), coarse
        assert w.step_curve.dataBounds(1) == pytest.approx(expected_y)


def test_live_bounds_hold_still_while_a_run_adds_data():
    # A range that moved with every redraw made both plots regenerate their axes each time.
    changes, last = 0, None
    for n in range(1000, 60_001, 600):                # ten redraws a second of a fast run
        x = coarse_bounds(0.0, n - 1.0, True)
        y = coarse_bounds(0.05 + 0.3 / (1 + n / 5000), 2.3, False)   # a falling loss
        assert x[0] == 0.0 and n - 1 <= x[1] <= 4 / 3 * (n - 1)
        assert y[0] <= 0.05 + 0.3 / (1 + n / 5000) and y[1] >= 2.3 and y[1] - y[0] < 2.3 * 1.2
        changes += (x, y) != last
        last = (x, y)
    assert changes <= 20                              # of 99 redraws (each one, before)
    assert coarse_bounds(1.0, 2.0, False) == (1.0, 2.0)
    assert coarse_bounds(3.0, 3.0, False) == (3.0, 3.0) and coarse_bounds(-5.0, 0.0, True) == (-5.0, 0.0)


def test_log_axis_labels_minor_ticks_only_where_they_fit(qtbot):
    flow = GradientFlowPlot()
    qtbot.addWidget(flow)
    flow.show()
    qtbot.waitExposed(flow)
    flow.plot.setYRange(-2, 0, padding=0)            # two decades, log10 units
    axis = flow.plot.getAxis("left")
    values = [math.log10(m * 0.01) for m in range(1, 10)] + [-1.0]
    seen = set()
    for height in (130, 400, 1000):
        flow.resize(400, height)
        qtbot.waitUntil(lambda: axis.range[0] == pytest.approx(-2) and axis.geometry().height() > 0)
        per_decade = axis.geometry().height() / 2
        shown = labelled_mantissas(per_decade)
        seen.add(shown)
        labels = axis.logTickStrings(values, 1.0, 1.0)
        assert labels == [f"{m}e-2" if m in shown else "" for m in range(1, 10)] + ["1e-1"], height
        # labels never sit closer than ~20 px
        assert min(per_decade * (math.log10(b) - math.log10(a)) for a, b in zip(shown, shown[1:] + (10,))) >= 20
    assert len(seen) == 3                             # the three sizes showed three different sets
