"""Cold start: the whole ``main.py --screenshot out.png xor_neurons`` process, against a bare Qt window.

    .venv/bin/python bench/startup.py [--runs 7] [--design xor_neurons] [--xvfb] [--no-bytecode-cache]

Each round launches two fresh processes, one after the other: the reference (Python, PySide6, a
QApplication and a QMainWindow with one label, shown and grabbed to a PNG: the floor any Qt app
pays) and the app taking its screenshot of the design. It prints the median wall time of each, the
app's time as a ratio to the reference, and the app's own figure with the reference taken away,
for the wall time and for the CPU time (user + system) of each process. The ratios, and the CPU
times, are what to compare between runs: the machine is shared and wall times wander.

Both run offscreen (``--xvfb``: on a virtual X display, as ``main.py`` does itself when there is
none), with settings and data folders of their own. Compiled bytecode is kept in a temporary
folder and warmed by one untimed round, as an installed app has it; ``--no-bytecode-cache``
compiles every module at every start instead (PYTHONDONTWRITEBYTECODE).
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"]

REFERENCE = """
import sys
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow(); w.setCentralWidget(QLabel("reference")); w.resize(1600, 1000); w.show()
app.processEvents()
w.grab().save(sys.argv[1], "PNG")
"""


def environment(folder: Path, bytecode_cache: bool, xvfb: bool) -> dict:
    env = dict(os.environ, BACKPROP_STUDIO_SETTINGS=str(folder / "settings.ini"),
               BACKPROP_STUDIO_DATA=str(folder / "data"))
    if not xvfb:
        env["QT_QPA_PLATFORM"] = "offscreen"
    else:
        env.pop("QT_QPA_PLATFORM", None)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")   # never litters the checkout
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def timed(cmd: list[str], env: dict, out: Path) -> tuple[float, float]:
    """(wall time, CPU time: user + system) of one process; raises if it fails or writes no picture.

    The CPU time counts the process and every child it waited for; it moves far less than the
    wall time when other work competes for the cores.
    """
    out.unlink(missing_ok=True)
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = child.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or not out.is_file():
        raise SystemExit(f"{' '.join(cmd[-4:])} failed ({child.returncode}): {stderr.strip()[-400:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7, help="timed rounds (default 7)")
    p.add_argument("--design", default="xor_neurons", help="design file or example (default xor_neurons)")
    p.add_argument("--xvfb", action="store_true", help="run on a virtual X display rather than offscreen")
    p.add_argument("--no-bytecode-cache", action="store_true", help="compile every module at every start")
    args = p.parse_args(argv)
    if args.xvfb and not shutil.which("xvfb-run"):
        print("--xvfb needs xvfb-run", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="backprop-startup-"))
    try:
        env = environment(folder, not args.no_bytecode_cache, args.xvfb)
        prefix = XVFB if args.xvfb else []
        out = folder / "out.png"
        reference = prefix + [sys.executable, "-c", REFERENCE, str(out)]
        app = prefix + [sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), args.design]
        timed(reference, env, out), timed(app, env, out)          # warm: bytecode, font cache
        refs, apps = [], []
        for _ in range(args.runs):
            refs.append(timed(reference, env, out))
            apps.append(timed(app, env, out))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    where = "xvfb" if args.xvfb else "offscreen"
    cache = "no bytecode cache" if args.no_bytecode_cache else "bytecode cached"
    print(f"startup, {where}, {cache}, median of {args.runs}")
    for k, what in ((0, "wall"), (1, "CPU ")):
        ref = statistics.median(r[k] for r in refs)
        own = statistics.median(a[k] for a in apps)
        print(f"  {what} reference (bare Qt window + grab)   {ref:6.3f} s   (runs {_spread(refs, k)})")
        print(f"  {what} main.py --screenshot {args.design:<13} {own:6.3f} s   (runs {_spread(apps, k)})")
        print(f"  {what} ratio app / reference               {own / ref:6.2f}x   "
              f"app beyond the reference {own - ref:6.3f} s")
    return 0


def _spread(runs: list[tuple[float, float]], k: int) -> str:
    values = [r[k] for r in runs]
    return f"{min(values):.3f}-{max(values):.3f}"


if __name__ == "__main__":
    sys.exit(main())
