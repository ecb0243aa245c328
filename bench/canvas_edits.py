"""Canvas edits benchmark: what a user waits for after each edit of a big design, in the app.

The app's main window (offscreen, its canvas view 1600×1000) shows a 784-128-10 design
(~100k edges). Each measure runs one edit the way the GUI does it, then processes events
until the view has painted:

- place: drop a 784-neuron hidden layer from the palette (``scene.add_node_at``, the drop's call);
- resize: the inspector's size box sets h1 to 784 (``inspector.resize_node``);
- connect: a port drag from x1 to a placed 784-neuron node (``scene.connect_nodes``; 615k edges);
- layout + fit: Layout ▸ Automatic layout of a scattered design, then View ▸ Fit.

Each edit is undone between repetitions; the figure is the median of ``--runs``. The reference,
measured in the same process, is one raw ``drawLines`` of every edge into a 1600×1000 image (as
in bench/canvas.py): the ratios say how many such full redraws each edit costs.

    python bench/canvas_edits.py [--runs 5] [--profile place|resize|connect|layout]
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
_TMP = tempfile.mkdtemp(prefix="canvas_edits_")
os.environ.setdefault("BACKPROP_STUDIO_SETTINGS", os.path.join(_TMP, "settings.ini"))
os.environ.setdefault("BACKPROP_STUDIO_DATA", os.path.join(_TMP, "data"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui.canvas.scene import REFINE_MS  # noqa: E402
from bench.canvas import design  # noqa: E402
from bench.canvas import reference as canvas_reference  # noqa: E402

VIEW_W, VIEW_H = 1600, 1000
BIG = {"kind": "hidden", "size": 784, "activation": "relu", "label": "Hidden"}


def reference(window) -> float:
    """Seconds to draw every edge once, as the view maps them, straight into an image."""
    return canvas_reference(window.scene, window.view)


def settle(app: QApplication) -> None:
    """Deliver what the edit posted (timers at 0 ms, the repaint) until nothing is left."""
    for _ in range(3):
        app.processEvents()


def open_window(app: QApplication):
    from gui.shell.main_window import MainWindow
    window = MainWindow(design(), restore_settings=False)
    window.show()
    settle(app)
    view = window.view.viewport()
    window.resize(window.width() + VIEW_W - view.width(), window.height() + VIEW_H - view.height())
    window.view.fit_to_view()
    settle(app)
    window.scene.refine_edges()
    settle(app)
    return window


def scatter(window) -> None:
    """Move the nodes out of line (not timed): what the layout then tidies."""
    for k, nid in enumerate(list(window.graph.nodes)):
        window.graph.move_node(nid, (97.0 * k + 13 * (k % 3), 211.0 * ((k * 7) % 5) - 300))


def edits(window):
    """name -> (prepare, edit): prepare runs untimed before the edit; every run is undone after."""
    scene, stack = window.scene, window.undo_stack
    centre = QPointF(320, 600)

    def place_big():
        scene.add_node_at(dict(BIG), centre)

    def connect():
        scene.connect_nodes("x1", max(window.graph.nodes, key=lambda n: (n[0] == "h", n)))

    def layout_fit():
        scene.auto_layout()
        window.view.fit_to_view()

    return {
        "place a 784-neuron node": (None, place_big),
        "resize h1 to 784": (None, lambda: window.inspector.resize_node("h1", 784)),
        "connect x1 → a 784 node": (place_big, connect),
        "auto-layout + fit": (lambda: (place_big(), scatter(window)), layout_fit),
    }, stack


def until_settled(app: QApplication, scene) -> float:
    """Run the event loop until the full picture is in (no refine timer, no slices left);
    return the longest single turn of the loop meanwhile (what input would wait for)."""
    longest, quiet_since = 0.0, None
    start = time.perf_counter()
    while time.perf_counter() - start < 10:
        t = time.perf_counter()
        app.processEvents()
        longest = max(longest, time.perf_counter() - t)
        busy = scene.edges_refining() if hasattr(scene, "edges_refining") else False
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.perf_counter()
        elif time.perf_counter() - quiet_since > (REFINE_MS + 60) / 1000:
            break       # the settle timer (REFINE_MS after a fit or drag) has had its chance
        time.sleep(0.001)
    return longest


def measure(app, window, prepare, edit, runs: int, profiler=None) -> dict[str, list[float]]:
    """Per run: the edit until the view has painted ("first"), until the full picture of every
    edge is in ("settled", wall clock, idle waits included), and the longest loop turn."""
    stack = window.undo_stack
    out = {"first": [], "settled": [], "turn": []}
    for _ in range(runs):
        base = stack.index()
        if prepare is not None:
            prepare()
            until_settled(app, window.scene)
        mark = stack.index()
        if profiler is not None:
            profiler.enable()
        t = time.perf_counter()
        edit()
        settle(app)
        out["first"].append(time.perf_counter() - t)
        if profiler is not None:
            profiler.disable()
        turn = until_settled(app, window.scene)
        out["settled"].append(time.perf_counter() - t - (REFINE_MS + 60) / 1000)
        out["turn"].append(max(turn, out["first"][-1] if profiler is None else 0.0))
        assert stack.index() > mark, "the edit was refused"
        stack.setIndex(base)
        until_settled(app, window.scene)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each edit (median)")
    parser.add_argument("--profile", choices=("place", "resize", "connect", "layout"),
                        help="print a cProfile of that edit instead of the table")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    window = open_window(app)
    ref = reference(window)
    table, _ = edits(window)
    names = list(table)
    if args.profile:
        name = names[("place", "resize", "connect", "layout").index(args.profile)]
        profiler = cProfile.Profile()
        measure(app, window, *table[name], args.runs, profiler)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        return 0
    results = {name: measure(app, window, *table[name], args.runs) for name in names}
    vp = window.view.viewport()
    print(f"canvas edits benchmark: 784-128-10 ({window.graph.edge_count():,} edges) in the app, "
          f"view {vp.width()}×{vp.height()}, median of {args.runs}")
    print(f"  reference: all edges in one drawLines into an image: {ref * 1000:7.1f} ms")
    print(f"  {'edit':<26} {'until painted':>24}   {'until every edge is in':>22}   longest turn")
    for name, r in results.items():
        first, full, turn = (statistics.median(r[k]) for k in ("first", "settled", "turn"))
        print(f"  {name:<26} {first * 1000:7.1f} ms {first / ref:5.2f}× ref "
              f"{'ok ' if first <= 0.2 else 'OVER'}   {full * 1000:7.1f} ms {full / ref:5.2f}× ref"
              f"   {turn * 1000:6.1f} ms")
    print(f"  (target: until painted ≤ 200 ms; 'every edge' waits {REFINE_MS} ms after a fit "
          "before refining, not counted; a turn is one pass of the event loop)")
    window.autosave.close()
    window.training.shutdown()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
