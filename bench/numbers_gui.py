"""The window under the hard cases of issue 8: a chain of 1,000 neurons, a layer of 4,096.

    .venv/bin/python bench/numbers_gui.py [--seconds 5] [--cases chain,wide]

For each case, in a shown 1600×1000 window offscreen: how long opening the design and the
automatic layout take, then while playing for ``--seconds``: training steps per second,
snapshots painted per second and the mean cost of painting one (TrainingController's
``_on_snapshot``), and how a 10 ms timer fared (ticks per second, 95th percentile and
longest gap). The window is responsive when the longest gap stays well under 500 ms.
"""
import argparse
import sys
import time

from app_env import ROOT  # first: offscreen, one BLAS thread, a data folder of its own

sys.path.insert(0, str(ROOT / "tests" / "gui"))


def run_case(app, name: str, design, seconds: float) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer

    from gui.shell.main_window import MainWindow

    loop = QEventLoop()

    def run_for(s: float) -> None:
        QTimer.singleShot(int(s * 1000), loop.quit)
        loop.exec()

    window = MainWindow(restore_settings=False)
    window.resize(1600, 1000)
    window.show()
    run_for(0.3)
    t0 = time.perf_counter()
    window.document.replace_design(design, None, name)
    opened = time.perf_counter() - t0
    run_for(0.5)
    t0 = time.perf_counter()
    window.scene.auto_layout()
    layout = time.perf_counter() - t0
    training = window.training
    costs = []
    paint = training._on_snapshot

    def timed(snap):
        start = time.perf_counter()
        paint(snap)
        costs.append(time.perf_counter() - start)
    training.worker.snapshot.disconnect(paint)
    training.worker.snapshot.connect(timed)

    training.step()
    deadline = time.perf_counter() + 120
    while (training.latest is None or not training.latest["step"]) and time.perf_counter() < deadline:
        run_for(0.1)
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(tick)
    first_step, costs[:] = training.latest["step"], []
    training.set_playing(True)
    last[0] = time.perf_counter()
    ticker.start()
    run_for(seconds)
    ticker.stop()
    training.set_playing(False)
    steps = training.latest["step"] - first_step
    window.autosave.close()
    training.shutdown()
    window.undo_stack.setClean()            # nobody to answer "Save changes?"
    window.close()
    gaps.sort()
    return {"open s": opened, "layout s": layout, "steps/s": steps / seconds,
            "snapshots/s": len(costs) / seconds,
            "ms/snapshot": 1000 * sum(costs) / max(1, len(costs)),
            "ticks/s": len(gaps) / seconds,
            "p95 gap ms": 1000 * gaps[int(0.95 * (len(gaps) - 1))] if gaps else float("nan"),
            "max gap ms": 1000 * gaps[-1] if gaps else float("nan")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--cases", default="chain,wide")
    args = p.parse_args(argv)
    from PySide6.QtWidgets import QApplication, QMessageBox

    from test_numbers_gui import chain_design, wide_design

    app = QApplication.instance() or QApplication([])
    QMessageBox.warning = staticmethod(lambda *a, **k: QMessageBox.Ok)
    cases = {"chain": lambda: chain_design(1000), "wide": lambda: wide_design(4096)}
    results = {}
    for name in args.cases.split(","):
        results[name] = run_case(app, name, cases[name](), args.seconds)
        print(name, "  ".join(f"{k} {v:.3g}" for k, v in results[name].items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
