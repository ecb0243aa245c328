"""Large connections refine on worker threads: the settled picture equals a full redraw,
edges follow a dragged node, and input is handled while the picture is being drawn."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest

from engine import Graph
from gui.canvas import CanvasScene, CanvasView
from gui.canvas.grey_layer import GreyLayer
from gui.core import colormap


@pytest.fixture
def canvas(qtbot):
    graph = Graph()
    x = graph.add_node("input", 150, position=(0, 0)).id
    h = graph.add_node("hidden", 90, "relu", position=(300, 0)).id
    graph.connect(x, h)
    scene = CanvasScene(graph, QUndoStack())
    scene.edge_refiner.at_once_s = 0.0002     # refined on the workers even on a quick machine
    scene.edge_refiner.workers = 3          # images laid over each other, whatever the cores
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.centerOn(150, 0)
    qtbot.waitExposed(view)
    return graph, scene, view, (x, h)


def settled_grab(qtbot, scene, view):
    view.viewport().grab()                   # a paint finds the picture out of date
    qtbot.waitUntil(lambda: not scene.edges_refining(), timeout=5000)
    return view.viewport().grab().toImage()


def full_redraw(view, monkeypatch):
    """The reference: every edge drawn straight onto the viewport in one paint."""
    with monkeypatch.context() as m:
        m.setattr(GreyLayer, "progressive", False)
        return view.viewport().grab().toImage()


def test_a_settled_zoom_shows_exactly_a_full_redraw(qtbot, canvas, monkeypatch):
    graph, scene, view, (x, h) = canvas
    view.zoom_by(1.37, QPointF(400, 300))
    coarse = view.viewport().grab().toImage()            # the stand-in, while zooming
    scene.refine_edges()
    assert scene.edges_refining()                        # begun where the last paint placed it
    view.viewport().grab()
    assert scene.edges_refining()                        # not drawn in one blocking paint
    settled = settled_grab(qtbot, scene, view)
    reference = full_redraw(view, monkeypatch)
    assert settled == reference
    assert coarse != reference                           # the test can tell them apart
    view.pan_by(5, 3)                                    # panning keeps the picture
    assert not scene.edges_refining()
    assert view.viewport().grab().toImage() == full_redraw(view, monkeypatch)


def test_edges_follow_a_dragged_node(qtbot, canvas, monkeypatch):
    graph, scene, view, (x, h) = canvas
    settled_grab(qtbot, scene, view)
    item = scene.node_items[h]
    item.setPos(330, 140)                                # as a mouse drag does
    scene.commit_moves()
    image = settled_grab(qtbot, scene, view)
    assert image == full_redraw(view, monkeypatch)
    left = item.pos().x() - item.edge_dx - 30            # left of the moved node
    near = view.mapFromScene(QPointF(left, 140))
    old_top = view.mapFromScene(QPointF(left, -item.half_height + 4))
    assert image.pixelColor(near) == colormap.GREY
    assert image.pixelColor(old_top) == colormap.BACKGROUND   # nothing left where it was
    assert graph.nodes[h].position == (330, 140)


def test_a_click_is_handled_while_the_picture_is_drawn(qtbot, canvas, monkeypatch):
    graph, scene, view, (x, h) = canvas
    settled_grab(qtbot, scene, view)
    view.zoom_by(0.8, QPointF(400, 300))
    scene.refine_edges()
    view.viewport().grab()
    assert scene.edges_refining()
    centre = view.mapFromScene(scene.node_items[h].sceneBoundingRect().center())
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, centre)
    assert scene.selected_node_ids() == [h]
    assert settled_grab(qtbot, scene, view) == full_redraw(view, monkeypatch)
    assert scene.selected_node_ids() == [h] and np.isfinite(view.scale_factor())


def test_export_rendering_draws_every_edge_without_waiting(qtbot, canvas):
    from PySide6.QtGui import QImage, QPainter
    graph, scene, view, (x, h) = canvas
    image = QImage(400, 300, QImage.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    scene.render(painter, source=scene.connection_items[(x, h)].sceneBoundingRect())
    painter.end()
    assert image.pixelColor(80, 150) == colormap.GREY       # inside the fan, at once


def test_removing_a_connection_while_it_refines_drops_its_picture(qtbot, canvas):
    graph, scene, view, (x, h) = canvas
    view.zoom_by(1.37, QPointF(400, 300))
    scene.refine_edges()
    view.viewport().grab()
    assert scene.edges_refining()
    graph.disconnect(x, h)                  # its grey layer is deleted with the item
    qtbot.waitUntil(lambda: not scene.edge_refiner.pending(), timeout=5000)
    assert scene.items_match_graph() is None


def test_finish_draws_what_is_left_at_once(qtbot, canvas, monkeypatch):
    graph, scene, view, (x, h) = canvas
    view.zoom_by(1.37, QPointF(400, 300))
    scene.refine_edges()
    view.viewport().grab()
    assert scene.edges_refining()
    scene.edge_refiner.finish()
    assert not scene.edge_refiner.pending()
    assert view.viewport().grab().toImage() == full_redraw(view, monkeypatch)


def test_random_edits_zooms_and_drags_while_workers_draw_settle_to_a_full_redraw(qtbot, canvas, monkeypatch):
    """Finished pictures may arrive at any point of a run of edits: none may be shown stale."""
    import time
    graph, scene, view, (x, h) = canvas
    rng = np.random.default_rng(7)
    item = scene.node_items[h]
    shown = []
    scene.edge_refiner.settled.connect(lambda: shown.append(1))
    for _ in range(40):
        action = rng.integers(5)
        if action == 0:
            view.zoom_by(float(rng.choice([0.8, 1.25])), QPointF(400, 300))
        elif action == 1:
            view.pan_by(int(rng.integers(-40, 40)), int(rng.integers(-40, 40)))
        elif action == 2:
            item.setPos(item.pos() + QPointF(*rng.integers(-30, 30, 2)))
            scene.commit_moves()
        elif action == 3 and (x, h) in graph.connections:
            graph.disconnect(x, h)
        elif action == 3:
            graph.connect(x, h)
        else:
            scene.refine_edges()
        view.viewport().grab()                       # a paint may start or show a picture
        scene.refine_edges()
        time.sleep(float(rng.uniform(0, 0.004)))     # the workers get on meanwhile
        qtbot.wait(int(rng.integers(0, 3)))
    assert len(shown) >= 3                           # pictures did come in between the edits
    assert settled_grab(qtbot, scene, view) == full_redraw(view, monkeypatch)
