"""Coloured edges are kept as an image between changes: what the view shows is pixel for pixel
what drawing them straight onto it gives, new values and zooms show at once, SVGs stay vector."""
import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from engine import Graph
from gui.canvas import CanvasScene, CanvasView
from gui.canvas import device_picture
from gui.canvas.device_picture import DevicePicture
from gui.canvas.grey_layer import GreyLayer
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
    _grab(view, monkeypatch)                        # draws the image
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


def test_recolouring_over_budget_is_spread_over_frames_and_settles(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    monkeypatch.setattr(device_picture, "FRAME_BUDGET_S", 0.0)     # one picture per frame
    _colour(items, 1)
    _cached(view, monkeypatch)
    _colour(items, 2)                               # both connections get new values
    reference = _direct(view, monkeypatch)
    frames = [_grab(view, monkeypatch) for _ in range(3)]
    assert frames[0] != reference                   # one still shows the last frame's colours
    assert frames[1] == reference and frames[2] == reference


def test_a_zoom_never_waits_for_a_frame(qtbot, canvas, monkeypatch):
    scene, view, items = canvas
    monkeypatch.setattr(device_picture, "FRAME_BUDGET_S", 0.0)
    _colour(items, 1)
    _cached(view, monkeypatch)
    view.scale(1.2, 1.2)
    assert _grab(view, monkeypatch) == _direct(view, monkeypatch)
