"""The GUI while training: frames per second, timer lateness, and in-app against headless steps/s.

    .venv/bin/python bench/gui_training.py [--seconds 10] [--design resources/examples/digits.json]

Runs the app offscreen, opens the design, presses Play and, for a fixed time, asks the
canvas for a frame every 16 ms and counts its paint events, measures how late a 16 ms timer fires, and reads the
training step counter from the snapshots. Then trains the same design headless (the
engine's Trainer in this process, one BLAS thread like the worker) and prints the
ratio. Targets (issue 5): ≥ 30 fps, p95 lateness < 20 ms, in-app ≥ 0.5 × headless.
"""
import argparse
import sys
import time
from pathlib import Path

from app_env import ROOT  # first: offscreen, one BLAS thread, a data folder of its own



def measure_gui(design: Path, seconds: float) -> dict:
    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(restore_settings=False)
    window.resize(1600, 1000)
    window.show()
    window.document.open_example(design)
    training = window.training
    training.panel.epochs.setValue(0)        # train until paused, whatever the example says
    training.panel._on_config()

    class PaintCounter(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                self.count += 1
            return False

    counter = PaintCounter()
    window.view.viewport().installEventFilter(counter)
    late: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(16)
    last = [0.0]

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last[0]:
            late.append(max(0.0, now - last[0] - 16.0))
        last[0] = now
    ticker.timeout.connect(tick)
    # Ask for a frame every 16 ms, as an animation would: the paints that happen are the
    # frame rate the GUI sustains while the worker trains and snapshots arrive.
    ticker.timeout.connect(window.view.viewport().update)

    end = time.perf_counter() + 1.0          # let the opened design settle (debounced reload)
    while time.perf_counter() < end:
        app.processEvents()
    training.panel.play_button.click()
    end = time.perf_counter() + 60
    while (training.latest is None or training.latest["step"] < 50) and time.perf_counter() < end:
        app.processEvents()          # the worker has started and loaded the data
    start_step = training.latest["step"]
    counter.count = 0
    clock.start()
    ticker.start()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.perf_counter() - t0
    steps = training.latest["step"] - start_step
    ticker.stop()
    training.panel.play_button.click()
    training.shutdown()
    window.deleteLater()   # not close(): that would ask about the changed settings
    lat = np.array(late) if late else np.zeros(1)
    return {"fps": counter.count / elapsed, "late_p50": float(np.percentile(lat, 50)),
            "late_p95": float(np.percentile(lat, 95)), "late_max": float(lat.max()),
            "steps_per_s": steps / elapsed}


def measure_headless(design: Path, seconds: float) -> float:
    from engine import Graph, Network
    from engine.data.datasets import from_settings
    from engine.train.trainer import Trainer, TrainingConfig

    graph = Graph.load(design)
    config = TrainingConfig.from_settings(graph.settings)
    trainer = Trainer(Network(graph, seed=config.seed), from_settings(graph.settings, graph.loss),
                      config)
    for _ in range(200):
        trainer.step()
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(50):
            trainer.step()
        count += 50
    return count / (time.perf_counter() - t0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--design", type=Path, default=ROOT / "resources/examples/digits.json")
    args = parser.parse_args()
    gui = measure_gui(args.design, args.seconds)
    headless = measure_headless(args.design, min(args.seconds, 5.0))
    ratio = gui["steps_per_s"] / headless
    print(f"design: {args.design.name}, {args.seconds:g} s of training in the app (offscreen)")
    print(f"canvas frames per second   {gui['fps']:8.1f}")
    print(f"timer lateness p50/p95/max {gui['late_p50']:6.1f} / {gui['late_p95']:.1f} / "
          f"{gui['late_max']:.1f} ms")
    print(f"steps/s in the app         {gui['steps_per_s']:8.0f}")
    print(f"steps/s headless           {headless:8.0f}   (ratio {ratio:.2f})")
    checks = [("frames per second ≥ 30", gui["fps"] >= 30),
              ("timer lateness p95 < 20 ms", gui["late_p95"] < 20),
              ("in-app throughput ≥ 0.5 × headless", ratio >= 0.5)]
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
