"""Coloured edges are kept as an image between changes: what the view shows is pixel for pixel
what drawing them straight onto it gives; new values are drawn in slices over event-loop turns
and then shown, a zoom shows at once, SVGs stay vector."""
import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from engine import Graph
from gui.canvas import CanvasScene, CanvasView
from gui.canvas import device_picture
from gui.canvas.device_picture import DevicePicture
from gui.canvas.grey_layer import GreyLayer
from gui.core.redraw_queue import shared_queue
from gui.files.report import scene_svg


@pytest.fixture
def canvas(qtbot):
    graph = Graph()
    x = graph.add_node("input", 150, position=(0, 0)).id
    h = graph.add_node("hidden", 90, "relu", position=(300, 0)).id
    y = graph.add_node("output", 5, "linear", position=(600, 0)).id
    graph.connect(x, h)
    graph.connect(h, y)
    scene = CanvasScene(graph, QUndoStack())
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    view.centerOn(300, 0)
    qtbot.waitExposed(view)
    return scene, view, [scene.connection_items[(x, h)], scene.connection_items[(h, y)]]


def _colour(items, seed, mode="weight"):
    rng = np.random.default_rng(seed)
    for item in items:
        values = rng.normal(size=item.shape_ij)
        item.set_values(values, mode, (0.0, float(np.abs(values).max())))


def _direct(view, monkeypatch):
    """The reference: every edge drawn straight onto the viewport, no image kept."""
    original = DevicePicture.paint
    with monkeypatch.context() as m:
        m.setattr(GreyLayer, "progressive", False)
        m.setattr(DevicePicture, "paint", lambda self, p, w, r, d, direct=False: original(self, p, w, r, d, True))
        return view.viewport().grab().toImage()


def _grab(view, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(GreyLayer, "progressive", False)     # every grey edge in each paint
        return view.viewport().grab().toImage()


def _cached(view, monkeypatch):
    _grab(view, monkeypatch)                        # draws the image (or places the queued one)
    view.scene().settle_edges()                     # new values queued: drawn whole now
    return _grab(view, monkeypatch)                 # shows it


@pytest.mark.parametrize("mode", ["weight", "gradient"])
def test_cached_edges_show_exactly_what_drawing_them_gives(qtbot, canvas, monkeypatch, mode):
    scene, view, items = canvas
    _colour(items, 1, mode)
    reference = _direct(view, monkeypatch)
    assert _cached(view, monkeypatch) == reference
    assert len({reference.pixel(x, 300) for x in range(0, 900, 7)}) > 4      # coloured edges


def test_new_values_and_a_zoom_show_at_once(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    _colour(items, 1)
    first = _cached(view, monkeypatch)
    _colour(items, 2)                               # a new snapshot
    second = _cached(view, monkeypatch)
    assert second != first and second == _direct(view, monkeypatch)
    view.scale(1.3, 1.3)
    zoomed = _cached(view, monkeypatch)
    assert zoomed != second and zoomed == _direct(view, monkeypatch)


def test_selection_and_hover_are_drawn_over_the_cached_edges(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    _colour(items, 1)
    before = _cached(view, monkeypatch)
    items[1].setSelected(True)
    items[1].select_edge((2, 3))
    after = _cached(view, monkeypatch)
    assert after != before and after == _direct(view, monkeypatch)


def test_an_svg_export_keeps_the_edges_as_lines(qtbot, canvas):
    scene, view, items = canvas
    _colour(items, 1)
    view.viewport().grab()
    svg = scene_svg(scene)
    assert b"<image" not in svg


def test_new_values_are_drawn_a_slice_a_turn_then_shown_whole(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    monkeypatch.setattr(device_picture, "SLICE_S", 0.0)        # one chunk of lines per turn
    monkeypatch.setattr(device_picture, "FIRST_LINES", 64)
    monkeypatch.setattr(device_picture, "AFTER_PAINT_S", 0.0)
    _colour(items, 1)
    first = _cached(view, monkeypatch)
    _colour(items, 2)                               # a snapshot: both connections get new values
    reference = _direct(view, monkeypatch)
    assert _grab(view, monkeypatch) == first        # the last colours until the new ones are whole
    queue = shared_queue(0)
    turns = 0
    while queue.has_pending(DevicePicture):
        assert queue.run_next()
        turns += 1
        if turns == 3:
            assert _grab(view, monkeypatch) == first    # half-drawn pictures are never shown
    assert turns > 2 * len(items)                   # in many short turns, not one long one
    qtbot.waitUntil(lambda: _grab(view, monkeypatch) == reference, timeout=2000)


def test_a_zoom_never_waits_for_a_turn(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    _colour(items, 1)
    _cached(view, monkeypatch)
    _colour(items, 2)                               # queued...
    view.scale(1.2, 1.2)                            # ...but a zoom draws the new picture at once
    assert _grab(view, monkeypatch) == _direct(view, monkeypatch)


def test_a_removed_connection_leaves_the_queue(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    _colour(items, 1)
    _cached(view, monkeypatch)
    _colour(items, 2)
    scene.removeItem(items[0])
    del items[0]
    qtbot.waitUntil(lambda: not shared_queue(0).has_pending(DevicePicture), timeout=2000)


def test_a_slice_never_shares_a_turn_with_a_paint(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    _colour(items, 1)
    _cached(view, monkeypatch)
    _colour(items, 2)
    picture = items[0]._picture
    assert picture.dirty
    monkeypatch.setattr(device_picture, "AFTER_PAINT_S", 60.0)   # (no timing in the test)
    view.viewport().repaint()                       # the view has just painted...
    assert not picture.due()                        # ...so the queue leaves the slice for a later turn
    assert not shared_queue(0).run_next() and picture.dirty
    monkeypatch.setattr(device_picture, "AFTER_PAINT_S", 0.0)
    assert picture.due()
