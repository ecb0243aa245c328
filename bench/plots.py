"""Update time of the live plots, offscreen.

One "update" is what happens per GUI tick while training: a chunk of new step
losses arrives, the plot redraws (``flush``) and Qt repaints the shown window
(``processEvents``: the real paint path of the plot views, software rendering). Printed: mean and 95th-percentile ms per
update of ``MetricsPlot`` holding 1e3..1e6 points (also with a log loss axis and
on the epoch axis), beside a reference plain ``PlotDataItem`` (no clipping, no
downsampling) at the same size in the same process; then full histories (the
four epoch curves at their cap, the gradient-flow plot's ten curves at theirs:
what an hour-long run shows); then the decision boundary at a 100×100 grid
with 200 points.

    python bench/plots.py [--reps 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.plots.boundary import DecisionBoundaryView  # noqa: E402
from gui.plots.gradient_flow import FLOW_CAP, MAX_CURVES, GradientFlowPlot  # noqa: E402
from gui.plots.metrics import EPOCH_CAP, STEP_CAP, MetricsPlot, Series  # noqa: E402

CHUNK = 33        # step losses per tick at ~1,000 steps/s and 30 Hz
SIZE = (800, 500)


def fake_losses(start: int, n: int, rng) -> np.ndarray:
    s = np.arange(start, start + n)
    return (0.7 * np.exp(-s / 2e5) + 0.05) * (1 + 0.3 * rng.standard_normal(n)).clip(0.1)


def timed(app, widget, update, reps: int) -> tuple[float, float]:
    for _ in range(3):            # warm up: caches, first paint
        update()
        app.processEvents()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        update()
        app.processEvents()
        times.append(time.perf_counter() - t0)
    ms = np.array(times) * 1e3
    return float(ms.mean()), float(np.percentile(ms, 95))


def bench_metrics(app, n: int, reps: int, log: bool = False, epochs: bool = False):
    rng = np.random.default_rng(0)
    w = MetricsPlot()
    w.resize(*SIZE)
    w.show()
    w.add_steps(np.arange(n), fake_losses(0, n, rng))
    for e in range(1, 51):
        w.add_epoch(e, e * n // 50, 0.5 / e, 0.6 / e, 1 - 0.5 / e, 1 - 0.6 / e, "accuracy")
    w.log_loss.setChecked(log)
    w.set_x_mode("epochs" if epochs else "steps")
    w.flush()
    state = {"next": n}

    def update():
        k = state["next"]
        w.add_steps(np.arange(k, k + CHUNK), fake_losses(k, CHUNK, rng))
        state["next"] = k + CHUNK
        w.flush()

    result = timed(app, w, update, reps)
    w.close()
    w.deleteLater()
    return result


def bench_reference(app, n: int, reps: int):
    """The same growing data in one plain PlotWidget curve: no clipping, no downsampling."""
    rng = np.random.default_rng(0)
    w = pg.PlotWidget()
    w.resize(*SIZE)
    w.show()
    series = Series()
    series.extend(np.arange(n), fake_losses(0, n, rng))
    curve = w.plot(series.xs, series.ys)
    state = {"next": n}

    def update():
        k = state["next"]
        series.extend(np.arange(k, k + CHUNK), fake_losses(k, CHUNK, rng))
        state["next"] = k + CHUNK
        curve.setData(series.xs, series.ys)

    result = timed(app, w, update, reps)
    w.close()
    w.deleteLater()
    return result


def bench_full_histories(app, reps: int):
    """Every curve at its cap: MetricsPlot (steps and the 4 epoch curves) and GradientFlowPlot."""
    rng = np.random.default_rng(0)
    m = MetricsPlot()
    m.add_steps(np.arange(STEP_CAP), fake_losses(0, STEP_CAP, rng))
    for e in range(1, EPOCH_CAP + 1):
        m.add_epoch(e, e * 45, 0.5 / e, 0.6 / e, 1 - 0.5 / e, 1 - 0.6 / e, "accuracy")
    g = GradientFlowPlot()
    keys = [f"h{i}->h{i + 1}" for i in range(MAX_CURVES)]
    g.set_connections(keys)
    for s in range(1, FLOW_CAP + 1):
        g.add(s * 10, {k: float(np.exp(rng.normal() - i)) for i, k in enumerate(keys)})
    results = []
    for w in (m, g):
        w.resize(*SIZE)
        w.show()
        w.flush()
        state = {"step": (FLOW_CAP + 1) * 10}

        def update(w=w, state=state):
            state["step"] += 10
            if w is m:
                m.add_steps(np.arange(state["step"], state["step"] + CHUNK), fake_losses(0, CHUNK, rng))
            else:
                g.add(state["step"], {k: float(np.exp(rng.normal())) for k in keys})
            w.flush()

        results.append(timed(app, w, update, reps))
        w.close()
        w.deleteLater()
    return results


def bench_boundary(app, reps: int):
    rng = np.random.default_rng(0)
    v = DecisionBoundaryView()
    v.resize(520, 460)
    v.show()
    pts = rng.uniform(-5, 5, (200, 2))
    v.set_points(pts[:160], (np.hypot(*pts[:160].T) < 3).astype(int),
                 pts[160:], (np.hypot(*pts[160:].T) < 3).astype(int), "classification")
    xs = np.linspace(-6, 6, 100)
    gx, gy = np.meshgrid(xs, xs)
    state = {"t": 0.0}

    def update():
        state["t"] += 0.05
        v.set_grid((-6, 6, -6, 6), 1 / (1 + np.exp(2 * (np.hypot(gx, gy) - 3 - np.sin(state["t"])))))

    result = timed(app, v, update, reps)
    v.close()
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    print(f"MetricsPlot update = {CHUNK} new steps + redraw + repaint, {SIZE[0]}×{SIZE[1]}, offscreen")
    print(f"{'points':>9} {'mean ms':>8} {'p95 ms':>7} {'plain curve ms':>15} {'plain/ours':>10}")
    for n in (1_000, 10_000, 100_000, 1_000_000):
        mean, p95 = bench_metrics(app, n, args.reps)
        ref, _ = bench_reference(app, n, max(3, args.reps // 4))
        print(f"{n:>9,} {mean:>8.1f} {p95:>7.1f} {ref:>15.1f} {ref / mean:>9.1f}x")
    for label, kw in (("log loss", {"log": True}), ("epoch axis", {"epochs": True})):
        mean, p95 = bench_metrics(app, 1_000_000, args.reps, **kw)
        print(f"{'1,000,000':>9} {mean:>8.1f} {p95:>7.1f}   ({label})")
    (m_mean, m_p95), (g_mean, g_p95) = bench_full_histories(app, args.reps)
    print(f"full histories: MetricsPlot ({STEP_CAP:,} steps, 4 × {EPOCH_CAP:,} epochs) "
          f"{m_mean:.1f} ms mean, {m_p95:.1f} ms p95; GradientFlowPlot ({MAX_CURVES} × {FLOW_CAP:,}) "
          f"{g_mean:.1f} ms mean, {g_p95:.1f} ms p95 per update")
    mean, p95 = bench_boundary(app, args.reps)
    print(f"DecisionBoundaryView, 100×100 grid + 200 points: {mean:.1f} ms mean, {p95:.1f} ms p95 per update")


if __name__ == "__main__":
    main()
