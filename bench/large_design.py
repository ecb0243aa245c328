"""Opening a large design in the app: 784-1024-1024-10 (1.86 M edges), time and peak memory.

    .venv/bin/python bench/large_design.py [--runs 3] [--sizes 784,1024,1024,10]

Each run is a fresh process (offscreen, 1600×1000, settings and data folders of its own) that
opens the app on its default example, then opens the large design through File ▸ Open's path
(``Document.load``: read, check, replace the app's design, the canvas and panels follow) and
waits for the window's first paint of it. It prints each phase, the whole open, and the peak
resident memory of the process (ru_maxrss) and its growth over the window before the open.
Then the whole process the issue measures: ``main.py --screenshot out.png large.json``, from
launch to exit (wall and CPU time, peak resident memory).

Ratios against references measured in the same process: the time of the floor an open cannot
avoid (reading and parsing the file, and drawing one float64 weight matrix per connection with
numpy), and memory against one float64 copy of every weight (8 bytes per edge).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_design(path: Path, sizes: list[int]) -> int:
    """A dense chain design of ``sizes`` at ``path``; returns its edge count."""
    from engine import Graph
    g = Graph("softmax_ce")
    ids = []
    for k, size in enumerate(sizes):
        kind = "input" if k == 0 else "output" if k == len(sizes) - 1 else "hidden"
        act = None if kind != "output" else "softmax"
        ids.append(g.add_node(kind, size, act, position=(250.0 * k, 0.0)).id)
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    g.save(path)
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def reference_seconds(path: Path, sizes: list[int]) -> float:
    """Read and parse the file, and draw each weight matrix once (float64): an open's floor."""
    import numpy as np
    start = time.perf_counter()
    json.loads(path.read_text())
    rng = np.random.default_rng(0)
    for a, b in zip(sizes, sizes[1:]):
        rng.standard_normal((b, a))
    return time.perf_counter() - start


def child(path: Path, sizes: list[int]) -> dict:
    """Open the app, then ``path``; the figures as a dict."""
    from PySide6.QtWidgets import QApplication

    from gui.shell.main_window import MainWindow
    app = QApplication.instance() or QApplication([])
    window = MainWindow(restore_settings=False)
    window.resize(1600, 1000)
    window.show()
    for _ in range(5):
        app.processEvents()
    before = rss_mb()
    start = time.perf_counter()
    ok = window.document.load(path)
    loaded = time.perf_counter()
    app.processEvents()
    window.grab()                        # the first paint of the new design
    painted = time.perf_counter()
    if not ok or len(window.graph.connections) != len(sizes) - 1:
        raise SystemExit("the design did not open")
    edges = sum(a * b for a, b in zip(sizes, sizes[1:]))
    figures = {"load": loaded - start, "paint": painted - loaded, "open": painted - start,
               "peak_mb": peak_mb(), "before_mb": before, "after_mb": rss_mb(),
               "reference_s": reference_seconds(path, sizes), "weights_mb": edges * 8 / 2**20}
    window.autosave.close()
    window.document.undo_stack.setClean()
    window.close()
    return figures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3, help="fresh processes (default 3)")
    p.add_argument("--sizes", default="784,1024,1024,10", help="layer sizes (default 784,1024,1024,10)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(Path(args.child), sizes)))
        return 0
    with tempfile.TemporaryDirectory(prefix="backprop-large-") as folder:
        folder = Path(folder)
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OPENBLAS_NUM_THREADS="1",
                   BACKPROP_STUDIO_SETTINGS=str(folder / "settings.ini"),
                   BACKPROP_STUDIO_DATA=str(folder / "data"), PYTHONPATH=str(ROOT),
                   PYTHONPYCACHEPREFIX=str(folder / "pycache"))    # compiled once, as installed
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        path = folder / "large.json"
        sys.path.insert(0, str(ROOT))
        edges = write_design(path, sizes)
        whole_process(path, folder / "shot.png", env)      # warm: bytecode, font cache
        runs, shots = [], []
        for _ in range(args.runs):
            shots.append(whole_process(path, folder / "shot.png", env))
            done = subprocess.run([sys.executable, __file__, "--sizes", args.sizes, "--child", str(path)],
                                  env=env, capture_output=True, text=True)
            if done.returncode != 0:
                print(done.stderr.strip()[-800:], file=sys.stderr)
                return 1
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    shot = [statistics.median(s[k] for s in shots) for k in range(3)]
    print(f"open {'-'.join(map(str, sizes))} ({edges:,} edges), median of {args.runs} fresh processes")
    print(f"  read, build, canvas and panels   {med['load']:6.3f} s")
    print(f"  first paint                      {med['paint']:6.3f} s")
    print(f"  whole open                       {med['open']:6.3f} s   "
          f"(runs {min(r['open'] for r in runs):.3f}-{max(r['open'] for r in runs):.3f})")
    print(f"  reference (parse + one float64 draw of the weights) {med['reference_s']:6.3f} s"
          f"   ratio {med['open'] / med['reference_s']:5.1f}x")
    grown = med["peak_mb"] - med["before_mb"]
    print(f"  peak RSS {med['peak_mb']:6.0f} MB   window before the open {med['before_mb']:5.0f} MB   "
          f"growth {grown:5.0f} MB = {grown / med['weights_mb']:4.1f}x one float64 copy "
          f"of the weights ({med['weights_mb']:.0f} MB)")
    print(f"  whole process main.py --screenshot of it: wall {shot[0]:.3f} s, CPU {shot[1]:.3f} s, "
          f"peak RSS {shot[2]:.0f} MB")
    return 0


def whole_process(path: Path, out: Path, env: dict) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of ``main.py --screenshot out path``, start to exit."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), str(path)],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0 or not out.is_file():
        raise SystemExit("main.py --screenshot of the large design failed")
    out.unlink()
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
