"""Full pictures drawn on worker threads: Qt's drawLines called without the GIL draws the same
pixels as the binding, images drawn by several workers add up to one drawing of all lines,
and a cancelled or replaced job never reports."""
import sys
import threading

import numpy as np
import pytest
from PySide6.QtCore import QLineF, QObject, QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QTransform
from shiboken6 import wrapInstance

from gui.canvas import line_drawing
from gui.canvas.edge_refiner import EdgeRefiner, RefineJob
from gui.canvas.line_drawing import DrawRate, cosmetic_pen, draw_line_buffer

SIZE = QSize(300, 200)


def random_lines(n=4000, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    lines = np.empty((n, 4))
    lines[:, [0, 2]] = rng.uniform(-80, 380, (n, 2))      # some start or end off the image
    lines[:, [1, 3]] = rng.uniform(-60, 260, (n, 2))
    return lines.astype(dtype)


def drawn(draw) -> QImage:
    image = QImage(SIZE, QImage.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setTransform(QTransform.fromScale(0.9, 1.1))
    painter.setClipRect(QRectF(-10, -10, 320, 200))
    painter.setPen(cosmetic_pen(QColor(104, 112, 124)))
    draw(painter)
    painter.end()
    return image


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the symbol name is the Itanium ABI's")
def test_drawlines_is_called_without_the_binding_on_linux():
    assert line_drawing.native_draw_lines() is not None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_native_drawing_draws_the_binding_s_pixels(qapp, dtype):
    lines = random_lines(dtype=dtype)
    wide = np.ascontiguousarray(lines, dtype=np.float64)
    binding = drawn(lambda p: p.drawLines(wrapInstance(wide.ctypes.data, QLineF), len(wide)))
    ours = drawn(lambda p: draw_line_buffer(p, lines, 0, len(lines)))
    assert ours == binding
    assert ours != drawn(lambda p: None)                  # lines were drawn at all


class TakeTurns(DrawRate):
    """Small chunks, and no worker asks for a second before each has taken its first: both
    draw some of the lines."""

    def __init__(self, workers):
        super().__init__()
        self.barrier = threading.Barrier(workers)
        self.asked = {}

    def lines_for(self, seconds, first):
        me = threading.get_ident()
        self.asked[me] = self.asked.get(me, 0) + 1
        if self.asked[me] == 2:
            self.barrier.wait(timeout=5)
        return 37


def job(lines, done=lambda job: None, owner=None, color=None):
    pen = cosmetic_pen(color or QColor(104, 112, 124))
    return RefineJob(owner, "key", lines, pen, QTransform.fromScale(0.9, 1.1),
                     QRectF(-10, -10, 320, 200), SIZE, done)


def test_images_of_two_workers_add_up_to_one_drawing(qapp):
    lines = random_lines(3000, seed=1, dtype=np.float32)
    whole = job(lines)
    whole.run_now()
    shared = job(lines)
    rate = TakeTurns(2)
    threads = [threading.Thread(target=lambda k=k: results.__setitem__(k, shared.draw(rate))) for k in range(2)]
    results = [None, None]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(image is not None for image in results)    # both drew a share
    assert results[0] != whole.image and results[1] != whole.image

    class Done:                                            # what compose() reads
        def __init__(self, image):
            self.image = image

        def result(self):
            return self.image
    shared.workers = [Done(image) for image in results]
    shared.compose()
    assert shared.image == whole.image


def test_a_job_needs_an_opaque_pen(qapp):
    with pytest.raises(ValueError, match="opaque"):
        job(random_lines(10), color=QColor(10, 20, 30, 128))


def test_a_replaced_job_never_reports_and_the_new_one_does(qapp):
    refiner = EdgeRefiner()
    owner = QObject()                                       # a live item, as far as isValid goes
    reported = []
    first = job(random_lines(20000, seed=2), reported.append, owner)
    second = job(random_lines(20000, seed=3), reported.append, owner)
    refiner.schedule(first)
    refiner.schedule(second)                                # the owner's picture changed again
    assert first.cancelled and refiner.pending()
    refiner.finish()
    assert reported == [second] and second.image is not None
    assert not refiner.pending()
    assert first.draw() is None                             # a cancelled job draws nothing
