"""Memory over a long training session in the app: does anything grow without bound?

    .venv/bin/python bench/memory.py [--minutes 2] [--example digits|circle] [--bound-mb 20]
    .venv/bin/python bench/memory.py --minutes 60          # the real check (issue 8)

Opens the app offscreen (1600×1000, the loss and the gradient-flow plots side by side,
so both draw), opens an example with no epoch limit and presses Play. Every
``--interval`` seconds it prints the resident memory (VmRSS from /proc) of the GUI
process and of the training worker, the bytes the plots' history buffers hold
(``plots.Series.nbytes``), the step counter, the most replies one poll of the worker's
pipe found waiting (the snapshot queue: the GUI keeps up when it stays small) and the
worst gap of a 10 ms timer in the interval (the event loop keeps ticking).

At the end it prints each process's growth per minute after the warm-up (a least-squares
slope) and its growth since the warm-up ended, and exits 1 when either process grew by more
than ``--bound-mb`` after the warm-up (the first minute, or a third of a shorter run).

A watchdog thread exits 3 with every thread's stack when no line has come for three
intervals: the event loop has stopped turning (as it once did, repainting for ever).
"""
import argparse
import faulthandler
import json
import os
import sys
import threading
import time
from pathlib import Path

from app_env import ROOT  # first: offscreen, one BLAS thread, a data folder of its own

EXAMPLES = {"digits": ROOT / "resources" / "examples" / "digits.json",
            "circle": ROOT / "resources" / "examples" / "circle.json"}


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB, from /proc/<pid>/status (NaN if it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def slope_per_minute(times: list[float], values: list[float]) -> float:
    """Least-squares slope of values against times (seconds), per minute."""
    n = len(times)
    if n < 2:
        return 0.0
    mt, mv = sum(times) / n, sum(values) / n
    den = sum((t - mt) ** 2 for t in times)
    return 0.0 if den == 0 else 60 * sum((t - mt) * (v - mv) for t, v in zip(times, values)) / den


def history_bytes(training) -> dict:
    """Bytes held by the plots' bounded history buffers."""
    m = training.metrics
    return {"steps": m.steps.nbytes,
            "epochs": sum(s.nbytes for s in m.epoch_values.values())
            + sum(s.nbytes for s in m._epoch_numbers.values()),
            "flow": sum(s.nbytes for s in training.flow.series.values())}


def start_watchdog(last_line: dict, limit: float) -> None:
    """Exit 3 with every thread's stack once ``last_line["t"]`` is older than ``limit`` seconds."""
    def watch():
        while True:
            time.sleep(1.0)
            if time.perf_counter() - last_line["t"] > limit:
                print(f"no line for {limit:.0f} s: the window's event loop is stuck", flush=True)
                faulthandler.dump_traceback(all_threads=True)
                os._exit(3)
    threading.Thread(target=watch, daemon=True, name="memory-watchdog").start()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=2.0)
    p.add_argument("--example", choices=sorted(EXAMPLES), default="digits")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between lines")
    p.add_argument("--bound-mb", type=float, default=20.0, help="allowed growth after the warm-up")
    p.add_argument("--json", help="also write every sample to this file")
    p.add_argument("--screenshot", help="save the window as a PNG at the end of the run")
    args = p.parse_args(argv)

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from engine import Graph
    from gui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])  # noqa: F841  (kept alive for the run)
    QMessageBox.warning = staticmethod(lambda *a, **k: QMessageBox.Ok)   # nobody to answer
    window = MainWindow(restore_settings=False)
    window.resize(1600, 1000)
    window.show()
    design = Graph.load(EXAMPLES[args.example])
    design.settings["epochs"] = None          # train until the run ends
    window.document.replace_design(design, None, EXAMPLES[args.example].name)
    training = window.training
    docks = training.docks
    # The two docks start as tabs, one hidden behind the other: put them side by side.
    window.removeDockWidget(docks["Gradient flow"])
    window.addDockWidget(Qt.BottomDockWidgetArea, docks["Gradient flow"], Qt.Horizontal)
    for name in ("Loss and accuracy", "Gradient flow"):
        docks[name].show()

    worker = training.worker
    backlog = {"max": 0}
    poll = worker.poll

    def counting_poll():
        count = poll()
        backlog["max"] = max(backlog["max"], count)
        return count
    worker._timer.timeout.disconnect()
    worker._timer.timeout.connect(counting_poll)
    worker.poll = counting_poll

    gap = {"last": time.perf_counter(), "max": 0.0}

    def tick():
        now = time.perf_counter()
        gap["max"] = max(gap["max"], now - gap["last"])
        gap["last"] = now
    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(tick)

    loop = QEventLoop()

    def run_for(seconds: float) -> None:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    run_for(1.0)                                # the debounced first load
    hidden = [n for n in ("Loss and accuracy", "Gradient flow") if docks[n].visibleRegion().isEmpty()]
    if hidden:
        print(f"not on screen: {', '.join(hidden)}")
        return 2
    training.set_playing(True)
    deadline = time.perf_counter() + 120
    while (training.latest is None or not training.latest["step"]) and time.perf_counter() < deadline:
        run_for(0.2)
    if not training.latest or not training.latest["step"]:
        print(f"training did not start: {training.panel.status.text()}")
        return 2
    worker_pid = worker._process.pid
    start = time.perf_counter()
    total = args.minutes * 60
    warmup = min(60.0, total / 3)
    samples = []
    gap["last"] = time.perf_counter()
    ticker.start()
    last_line = {"t": time.perf_counter()}
    start_watchdog(last_line, 3 * args.interval + 30)
    print(f"{args.example}: GUI pid {os.getpid()}, worker pid {worker_pid}; "
          f"{args.minutes:g} min, a line every {args.interval:g} s, warm-up {warmup:.0f} s")
    print(f"{'t/s':>6} {'GUI MB':>8} {'worker MB':>9} {'step':>9} {'epoch':>7} "
          f"{'steps KB':>9} {'epochs KB':>9} {'flow KB':>8} {'queue':>5} {'max gap ms':>10}")
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= total - 0.5:
            break
        backlog["max"], gap["max"] = 0, 0.0
        run_for(min(args.interval, total - elapsed))
        if worker.state != "playing":        # a finished or failed run would measure nothing
            print(f"training stopped: {training.panel.status.text()}")
            return 2
        t = time.perf_counter() - start
        sizes = history_bytes(training)
        s = {"t": t, "gui": rss_mb(), "worker": rss_mb(worker_pid),
             "step": training.latest["step"], "epoch": training.latest["epoch"],
             "queue": backlog["max"], "gap_ms": gap["max"] * 1000, **sizes}
        samples.append(s)
        print(f"{t:6.0f} {s['gui']:8.1f} {s['worker']:9.1f} {s['step']:9d} {s['epoch']:7d} "
              f"{sizes['steps'] / 1024:9.0f} {sizes['epochs'] / 1024:9.0f} {sizes['flow'] / 1024:8.0f} "
              f"{s['queue']:5d} {s['gap_ms']:10.0f}", flush=True)
        last_line["t"] = time.perf_counter()
    if args.screenshot:
        window.grab().save(args.screenshot)
    training.set_playing(False)
    window.autosave.close()
    training.shutdown()

    after = [s for s in samples if s["t"] >= warmup]
    if len(after) < 2:
        print("too short a run to measure growth after the warm-up")
        return 2
    failed = False
    print(f"\nafter the warm-up ({warmup:.0f} s), {len(after)} samples, "
          f"{after[-1]['step'] - after[0]['step']} steps:")
    for proc in ("gui", "worker"):
        values = [s[proc] for s in after]
        growth = max(values) - values[0]
        rate = slope_per_minute([s["t"] for s in after], values)
        ok = growth <= args.bound_mb
        failed |= not ok
        print(f"  {proc:6s}: {values[0]:.1f} -> {values[-1]:.1f} MB (max {max(values):.1f}), "
              f"growth {growth:+.1f} MB, {rate:+.2f} MB/min  {'ok' if ok else 'TOO MUCH'}")
    print(f"  worst timer gap {max(s['gap_ms'] for s in samples):.0f} ms, "
          f"largest pipe backlog {max(s['queue'] for s in samples)} replies")
    if args.json:
        Path(args.json).write_text(json.dumps(samples, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
