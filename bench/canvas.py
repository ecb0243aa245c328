"""Canvas benchmark: a 784-128-10 design (~100k edges) in a 1600×1000 view.

Prints scene build time, the first full paint, pan, zoom and node-drag frame
times (mean, p95), and recolouring with random gradient values (re-binning alone, and with
the repaint that follows). The reference, measured in the same process, is one
``drawLines`` of all edges into a 1600×1000 image with a clip rect and no
antialiasing: the ratios say how far each frame is from raw line drawing.

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
from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QImage, QPainter, QPen, QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import Graph  # noqa: E402
from gui.canvas import CanvasScene, CanvasView  # noqa: E402
from gui.canvas.connection_item import draw_line_buffer  # noqa: E402
from gui.core.colormap import GREY  # noqa: E402
from gui.canvas.scene import REFINE_MS  # noqa: E402


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
    t = time.perf_counter()
    scene.refine_edges()  # what the timer does once the zoom settles
    settle = frame(app) + time.perf_counter() - t

    h1 = scene.node_items["h1"]
    drags = []
    for k in range(args.frames):
        t = time.perf_counter()
        h1.setPos(h1.pos() + QPointF(3 if (k // 10) % 2 == 0 else -3, 2))  # as a mouse drag does
        drags.append(frame(app) + time.perf_counter() - t)
    scene.commit_moves()
    frame(app)

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
        recolour_frames.append(frame(app) + recolour[-1])

    print(f"canvas benchmark: 784-128-10, {edges:,} edges, view 1600×1000, "
          f"scale {scale:.2f}, {args.frames} frames each")
    print(f"  reference: all edges in one drawLines into an image: {ref * 1000:7.1f} ms")
    print(f"  scene build                 {build * 1000:7.1f} ms   "
          f"({'under' if build < 1 else 'OVER'} the 1 s budget)")
    print(f"  first full paint            {first_paint * 1000:7.1f} ms   "
          f"{first_paint / ref:5.2f}× reference")
    for name, times in (("pan frame", pans), ("zoom frame", zooms),
                        ("drag h1 frame", drags),
                        ("recolour (re-bin only)", recolour),
                        ("recolour + repaint", recolour_frames)):
        mean, p95 = stats(times)
        print(f"  {name:<27} {mean:7.1f} ms mean, {p95:7.1f} ms p95   "
              f"{mean / 1000 / ref:5.2f}× reference (mean)")
    print(f"  full redraw once a zoom or drag settles: {settle * 1000:.1f} ms "
          f"({REFINE_MS} ms after the last zoom step; on release after a drag)")
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
