"""Canvas benchmark: a 784-128-10 design (~100k edges) in a 1600×1000 view.

Prints scene build time, the first full picture, pan, zoom and node-drag frame
times (mean, p95), the full redraw once a zoom or a drag settles (drawn on worker threads:
the wall time until it is shown, the event-loop turns meanwhile and the longest of them, and
how late a timer fires while it runs), and recolouring with random gradient values
(re-binning alone, and the wall time until the new colours are on screen, with the longest
event-loop turn on the way). The
reference, measured in the same process, is one ``drawLines`` of all edges into a 1600×1000
image with a clip rect and no antialiasing, at the fitted zoom (and again at the zoom the
settled redraw happens at): the ratios say how far each frame is from raw line drawing.

    python bench/canvas.py [--frames N]
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
from PySide6.QtCore import QEventLoop, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage, QPainter, QPen, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import Graph  # noqa: E402
from gui.canvas import CanvasScene, CanvasView  # noqa: E402
from gui.canvas.connection_item import draw_line_buffer  # noqa: E402
from gui.core.colormap import GREY  # noqa: E402
from gui.canvas.scene import REFINE_MS  # noqa: E402
from gui.canvas.device_picture import DevicePicture  # noqa: E402
from gui.core.redraw_queue import shared_queue  # noqa: E402


def design() -> Graph:
    g = Graph("softmax_ce")
    g.add_node("input", 784, position=(0, 0))
    g.add_node("hidden", 128, "relu", position=(320, 0))
    g.add_node("output", 10, "softmax", position=(640, 0))
    g.connect("x1", "h1")
    g.connect("h1", "y1")
    return g


def stats(times: list[float]) -> tuple[float, float]:
    a = np.asarray(times) * 1000
    return float(a.mean()), float(np.percentile(a, 95))


def reference(scene: CanvasScene, view: CanvasView) -> float:
    """Seconds to draw every edge once, as the view maps them, straight into an image."""
    image = QImage(1600, 1000, QImage.Format_ARGB32_Premultiplied)
    best = np.inf
    pen = QPen(GREY, 1)
    pen.setCosmetic(True)
    for _ in range(3):
        image.fill(0)
        t = time.perf_counter()
        p = QPainter(image)
        p.setTransform(view.viewportTransform())
        for item in scene.connection_items.values():
            p.setClipRect(item.boundingRect())
            p.setPen(pen)
            draw_line_buffer(p, item.lines, 0, len(item.lines))
        p.end()
        best = min(best, time.perf_counter() - t)
    return best


def frame(app: QApplication) -> float:
    """Process the pending repaint (what the user waits for after a change)."""
    t = time.perf_counter()
    app.processEvents()
    return time.perf_counter() - t


def shown(app: QApplication) -> float:
    """Wall time until new colours are on screen: their pictures are drawn a slice a turn
    (DevicePicture, never in the turn of a paint), then repainted together."""
    start = time.perf_counter()
    turns = [frame(app)]
    while shared_queue(0).has_pending(DevicePicture):
        turns.append(frame(app))
    time.sleep(0.0015)
    turns.append(frame(app))
    SHOWN_TURNS.append((len(turns), max(turns)))
    return time.perf_counter() - start


SHOWN_TURNS: list[tuple[int, float]] = []      # (turns, longest) of each recolour until shown


def settle(app: QApplication, scene: CanvasScene) -> tuple[float, float, int]:
    """Run the event loop until the full pictures are shown: (wall s, longest turn s, turns).
    Between turns the loop sleeps as an idle event loop does: the pictures are drawn on worker
    threads, which a spinning loop would starve of a core."""
    start = time.perf_counter()
    turns = [frame(app)]
    while scene.edges_refining():
        time.sleep(0.0005)
        turns.append(frame(app))
    turns.append(frame(app))  # the repaint that shows the finished picture
    return time.perf_counter() - start, max(turns), len(turns)


def latency_while_refining(app: QApplication, scene: CanvasScene, period_ms: int = 5) -> list[float]:
    """How late (seconds) each tick of a ``period_ms`` timer fires while refinement runs: a
    click or a key press waits about as long."""
    late: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        late.append(max(0.0, now - last[0] - period_ms / 1000))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    timer.timeout.connect(tick)
    timer.start(period_ms)
    while scene.edges_refining():
        app.processEvents(QEventLoop.WaitForMoreEvents)   # sleeps until an event, as exec() does
    timer.stop()
    return late


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40, help="frames per measurement")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    graph = design()

    t = time.perf_counter()
    scene = CanvasScene(graph, QUndoStack())
    build = time.perf_counter() - t
    view = CanvasView(scene)
    view.resize(1600, 1000)
    view.show()
    view.fit_to_view()
    app.processEvents()  # the first paint happens here
    scene.invalidate()
    for item in scene.connection_items.values():
        item.update_geometry()  # drop the device caches: the next paint is cold
    t = time.perf_counter()
    first = view.viewport().grab()
    first_paint = time.perf_counter() - t
    assert not first.isNull()
    view.viewport().update()
    first_full = settle(app, scene)
    ref = reference(scene, view)
    edges = graph.edge_count()

    scale = view.scale_factor()
    pans = []
    for k in range(args.frames):
        view.pan_by(-23 if (k // 10) % 2 == 0 else 23, 7 if k % 2 else -7)
        pans.append(frame(app))

    scene.refine_edges()
    frame(app)
    zooms = []
    centre = QPointF(800, 500)
    for k in range(args.frames):
        view.zoom_by(1.06 if (k // 8) % 2 == 0 else 1 / 1.06, centre)
        zooms.append(frame(app))
    ref_zoomed = reference(scene, view)
    t = time.perf_counter()
    scene.refine_edges()  # what the timer does once the zoom settles
    call = time.perf_counter() - t
    total, longest, turns = settle(app, scene)
    zoom_settle = (call + total, max(call, longest), turns)
    view.zoom_by(1.06, centre)            # once more, to measure input latency while refining
    scene.refine_edges()
    frame(app)
    latency = latency_while_refining(app, scene)
    settle(app, scene)

    h1 = scene.node_items["h1"]
    drags = []
    for k in range(args.frames):
        t = time.perf_counter()
        h1.setPos(h1.pos() + QPointF(3 if (k // 10) % 2 == 0 else -3, 2))  # as a mouse drag does
        drags.append(frame(app) + time.perf_counter() - t)
    t = time.perf_counter()
    scene.commit_moves()  # the mouse is released
    call = time.perf_counter() - t
    total, longest, turns = settle(app, scene)
    drag_settle = (call + total, max(call, longest), turns)

    rng = np.random.default_rng(0)
    shapes = {k: c.shape_ij for k, c in scene.connection_items.items()}
    scene.set_edge_values({k: np.ones(s) for k, s in shapes.items()})  # warm up (imports)
    frame(app)
    recolour, recolour_frames = [], []
    for _ in range(args.frames):
        values = {k: rng.standard_normal(s) * 10.0 ** rng.uniform(-6, 0, s) for k, s in shapes.items()}
        t = time.perf_counter()
        scene.set_edge_values(values)
        recolour.append(time.perf_counter() - t)
        recolour_frames.append(recolour[-1] + shown(app))

    print(f"canvas benchmark: 784-128-10, {edges:,} edges, view 1600×1000, "
          f"scale {scale:.2f}, {args.frames} frames each")
    print(f"  reference: all edges in one drawLines into an image: {ref * 1000:7.1f} ms")
    print(f"  scene build                 {build * 1000:7.1f} ms   "
          f"({'under' if build < 1 else 'OVER'} the 1 s budget)")
    print(f"  first paint (stand-in)      {first_paint * 1000:7.1f} ms   "
          f"{first_paint / ref:5.2f}× reference")
    print(f"  first full picture          {first_full[0] * 1000:7.1f} ms   "
          f"{first_full[0] / ref:5.2f}× reference, longest turn {first_full[1] * 1000:.1f} ms")
    for name, times in (("pan frame", pans), ("zoom frame", zooms),
                        ("drag h1 frame", drags),
                        ("recolour (re-bin only)", recolour),
                        ("recolour until shown (wall)", recolour_frames)):
        mean, p95 = stats(times)
        print(f"  {name:<27} {mean:7.1f} ms mean, {p95:7.1f} ms p95   "
              f"{mean / 1000 / ref:5.2f}× reference (mean)")
    counts, longest = np.array(SHOWN_TURNS).T
    print(f"  (recolour until shown: {np.median(counts):.0f} event-loop turns, the longest "
          f"{np.median(longest) * 1000:.1f} ms median, {longest.max() * 1000:.1f} ms worst)")
    print(f"  reference at the zoomed scale ({view.scale_factor():.2f}): {ref_zoomed * 1000:.1f} ms")
    for name, (total, longest, turns) in (("zoom", zoom_settle), ("drag", drag_settle)):
        print(f"  full redraw once a {name} settles: {total * 1000:7.1f} ms in {turns} turns, "
              f"{total / ref:4.2f}× reference ({total / ref_zoomed:4.2f}× at its zoom); "
              f"longest GUI turn {longest * 1000:.1f} ms")
    late = np.asarray(latency) * 1000 if latency else np.zeros(1)
    print(f"  timer lateness while refining (5 ms timer): p50 {np.percentile(late, 50):.1f} ms, "
          f"p95 {np.percentile(late, 95):.1f} ms, max {late.max():.1f} ms over {len(latency)} ticks "
          f"(the zoom refines {REFINE_MS} ms after its last step; a drag on release)")
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
