"""The long monkey test: thousands of random user actions on a real main window (offscreen).

    .venv/bin/python bench/monkey.py                      # 10,000 actions, seeds 1..10
    .venv/bin/python bench/monkey.py --actions 2000 --seed 7

After every action: the canvas matches the Graph, undo/redo return to the exact earlier
design, the title's unsaved mark follows the undo stack, nothing raised (tests/gui/monkey.py).
Each seed runs in a fresh window; a failure prints the seed, the action and the whole
sequence, and that seed stops. Exit status 1 if anything failed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--actions", type=int, default=10000, help="actions in all (default 10,000)")
    p.add_argument("--seeds", type=int, default=10, help="windows, one seed each (default 10)")
    p.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    args = p.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="backprop-monkey-"))
    os.environ["BACKPROP_STUDIO_DATA"] = str(folder / "data")
    os.environ["BACKPROP_STUDIO_SETTINGS"] = str(folder / "settings.ini")
    from PySide6.QtWidgets import QMessageBox

    from gui.shell.app import make_application
    from gui.shell.main_window import MainWindow
    from tests.gui.monkey import Failure, Monkey

    # Nothing may block: unsaved-changes questions are answered Discard, warnings dismissed.
    QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.Discard)
    QMessageBox.warning = staticmethod(lambda *a, **k: QMessageBox.Ok)
    QMessageBox.information = staticmethod(lambda *a, **k: QMessageBox.Ok)
    make_application()
    total, failures, start = Counter(), [], time.perf_counter()
    per_seed = max(1, args.actions // args.seeds)
    for seed in range(args.seed, args.seed + args.seeds):
        window = MainWindow(restore_settings=False)
        monkey = Monkey(window, seed, folder)
        try:
            monkey.run(per_seed)
        except Failure as e:
            failures.append(str(e))
        total.update(monkey.counts)
        window.autosave.close()
        window.training.shutdown()
        window.undo_stack.setClean()
        window.close()
        window.deleteLater()
        print(f"seed {seed}: {sum(monkey.counts.values()):,} actions"
              f"{'  FAILED' if failures and failures[-1].startswith(f'seed {seed},') else ''}",
              flush=True)
    elapsed = time.perf_counter() - start
    print(f"\n{sum(total.values()):,} actions in {elapsed:.0f} s:")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in total.most_common()))
    print(f"{len(failures)} failure(s)")
    for f in failures:
        print("\n" + f)
    if failures:
        print(f"\nthe monkey's files are in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
