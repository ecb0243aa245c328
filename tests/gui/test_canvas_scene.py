"""The canvas scene and view: drops, connecting, moving, selection, menus, zoom and pan."""
import json

import numpy as np
import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import (QDragEnterEvent, QDragMoveEvent, QDropEvent, QNativeGestureEvent,
                           QPointingDevice, QUndoStack)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine import Graph
from gui.canvas import CanvasScene, CanvasView
from gui.canvas.node_item import MAX_DRAWN, NodeItem
from gui.core.mime import PALETTE_MIME


@pytest.fixture
def canvas(qtbot):
    """A small design (x1:2 → h1:3 → y1:1 unconnected) shown in an 800×600 view."""
    graph = Graph()
    graph.add_node("input", 2, position=(0, 0))
    graph.add_node("hidden", 3, position=(200, 0))
    graph.add_node("output", 1, position=(400, 0))
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.centerOn(200, 0)
    messages = []
    scene.message.connect(messages.append)
    return graph, stack, scene, view, messages


def at(view, scene_point) -> QPoint:
    return view.mapFromScene(scene_point)


def drag(view, start: QPoint, end: QPoint, modifiers=Qt.NoModifier):
    vp = view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, modifiers, start)
    QTest.mouseMove(vp, (start + end) / 2)
    QTest.mouseMove(vp, end)
    QTest.mouseRelease(vp, Qt.LeftButton, modifiers, end)


def drop(view, payload: bytes, pos: QPoint) -> QDropEvent:
    mime = QMimeData()
    mime.setData(PALETTE_MIME, QByteArray(payload))
    vp = view.viewport()
    enter = QDragEnterEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(pos, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, move)
    assert move.isAccepted()
    event = QDropEvent(QPointF(pos), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(vp, event)
    return event


def test_scene_mirrors_an_existing_design(canvas):
    graph, _, scene, _, _ = canvas
    graph.connect("x1", "h1")
    assert set(scene.node_items) == {"x1", "h1", "y1"}
    assert set(scene.connection_items) == {("x1", "h1")}
    assert scene.connection_items[("x1", "h1")].edge_count() == 6
    assert scene.items_match_graph() is None
    # a second scene on the same graph builds the same items from scratch
    other = CanvasScene(graph, QUndoStack())
    assert other.items_match_graph() is None and len(other.connection_items) == 1
    assert scene.itemIndexMethod() == scene.ItemIndexMethod.NoIndex


def test_drop_from_palette_creates_the_node_where_dropped(canvas):
    graph, stack, scene, view, messages = canvas
    spec = {"kind": "hidden", "size": 4, "activation": "relu", "label": "Dense layer"}
    pos = QPoint(300, 420)
    event = drop(view, json.dumps(spec).encode(), pos)
    assert event.isAccepted()
    new = [n for n in graph.nodes.values() if n.id not in ("x1", "h1", "y1")]
    assert len(new) == 1 and new[0].size == 4 and new[0].activation == "relu"
    expected = view.mapToScene(pos)
    assert new[0].position == (round(expected.x()), round(expected.y()))
    assert stack.undoText() == "Add Dense layer"
    assert scene.selected_node_ids() == [new[0].id]
    assert scene.items_match_graph() is None
    stack.undo()
    assert new[0].id not in graph.nodes and scene.items_match_graph() is None


def test_refused_or_unreadable_drops_change_nothing(canvas):
    graph, stack, scene, view, messages = canvas
    drop(view, json.dumps({"kind": "input", "size": 2, "label": "Input"}).encode(), QPoint(100, 100))
    assert len(graph.nodes) == 3 and stack.count() == 0
    assert "already has an input" in messages[-1]
    drop(view, b"{not json", QPoint(100, 100))
    assert len(graph.nodes) == 3 and "not readable" in messages[-1]
    drop(view, json.dumps({"kind": "hidden", "size": "many"}).encode(), QPoint(100, 100))
    assert len(graph.nodes) == 3 and "size" in messages[-1]
    other = QMimeData()
    other.setText("hello")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, other, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert not enter.isAccepted()


def test_dragging_from_an_output_port_to_a_node_connects_them(canvas):
    graph, stack, scene, view, messages = canvas
    x1, h1, y1 = (scene.node_items[n] for n in ("x1", "h1", "y1"))
    drag(view, at(view, x1.port_scene_pos("out")), at(view, h1.port_scene_pos("in")))
    assert list(graph.connections) == [("x1", "h1")]
    assert stack.undoText() == "Connect x1 → h1"
    # releasing anywhere on the node works too; the target lights up on the way
    vp, start, end = view.viewport(), at(view, h1.port_scene_pos("out")), at(view, y1.pos() + QPointF(0, 5))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(vp, end)
    assert y1.is_target() and not h1.is_target()
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    assert not y1.is_target()
    assert ("h1", "y1") in graph.connections
    assert scene.items_match_graph() is None
    assert not [i for i in scene.items() if type(i).__name__ == "QGraphicsLineItem"]
    # releasing on empty space connects nothing and says how
    drag(view, at(view, x1.port_scene_pos("out")), at(view, QPointF(100, 300)))
    assert len(graph.connections) == 2 and "release on another node" in messages[-1]


def test_a_cycle_is_refused_with_the_graphs_reason(canvas):
    graph, stack, scene, view, messages = canvas
    graph.add_node("hidden", 2, id="h2", position=(200, 200))
    scene.connect_nodes("h1", "h2")
    before, count = graph.snapshot(), stack.count()
    h1, h2 = scene.node_items["h1"], scene.node_items["h2"]
    drag(view, at(view, h2.port_scene_pos("out")), at(view, h1.port_scene_pos("in")))
    assert "cycle" in messages[-1] and "'h2'" in messages[-1]
    assert stack.count() == count and graph.connections.keys() == before["connections"].keys()
    assert scene.items_match_graph() is None


def test_moving_selected_nodes_is_one_undoable_edit_and_edges_follow(canvas):
    graph, stack, scene, view, _ = canvas
    scene.connect_nodes("x1", "h1")
    x1, h1 = scene.node_items["x1"], scene.node_items["h1"]
    x1.setSelected(True)
    h1.setSelected(True)
    start = at(view, h1.pos())
    drag(view, start, start + QPoint(40, 30), Qt.ControlModifier)
    dx, dy = 40 / view.transform().m11(), 30 / view.transform().m22()
    assert stack.undoText() == "Move 2 nodes"
    assert graph.nodes["h1"].position == pytest.approx((200 + dx, 0 + dy), abs=1)
    assert graph.nodes["x1"].position == pytest.approx((dx, dy), abs=1)
    assert scene.items_match_graph() is None   # edge endpoints follow the nodes
    stack.undo()
    assert graph.nodes["h1"].position == (200, 0) and graph.nodes["x1"].position == (0, 0)
    assert h1.pos() == QPointF(200, 0) and scene.items_match_graph() is None


def test_rubber_band_and_ctrl_click_select(canvas):
    graph, _, scene, view, _ = canvas
    changes = []
    scene.selection_changed.connect(lambda: changes.append(1))
    drag(view, at(view, QPointF(-100, -150)), at(view, QPointF(260, 150)))
    assert scene.selected_node_ids() == ["x1", "h1"]
    scene.clearSelection()
    vp = view.viewport()
    QTest.mouseClick(vp, Qt.LeftButton, Qt.NoModifier, at(view, QPointF(400, 0)))
    QTest.mouseClick(vp, Qt.LeftButton, Qt.ControlModifier, at(view, QPointF(0, 0)))
    assert scene.selected_node_ids() == ["x1", "y1"]
    assert changes
    scene.select_all()
    assert scene.selected_node_ids() == ["x1", "h1", "y1"]
    # a band takes a connection only when it encloses the whole fan
    scene.connect_nodes("x1", "h1")
    scene.connect_nodes("h1", "y1")
    scene.clearSelection()
    drag(view, at(view, QPointF(-100, -150)), at(view, QPointF(260, 150)))
    assert scene.selected_node_ids() == ["x1", "h1"]
    assert scene.selected_connection_keys() == [("x1", "h1")]


def test_delete_copy_paste_cut_and_duplicate(canvas):
    graph, stack, scene, view, messages = canvas
    scene.connect_nodes("x1", "h1")
    scene.connect_nodes("h1", "y1")
    scene.select_all()
    scene.copy_selection()
    pasted = scene.paste()
    # only the hidden node can be pasted: the design already has an input and an output
    assert pasted == ["h2"] and "skipped" in messages[-1]
    assert graph.nodes["h2"].position == (240, 40) and stack.undoText() == "Paste"
    scene.node_items["h2"].setSelected(True)
    dup = scene.duplicate_selection()
    assert dup == ["h3"] and stack.undoText() == "Duplicate"
    scene.clearSelection()
    for n in ("h1", "h3"):
        scene.node_items[n].setSelected(True)
    scene.copy_selection()
    assert scene.paste(at=QPointF(0, 300)) == ["h4", "h5"]      # centred where asked
    (ax, ay), (bx, by) = graph.nodes["h4"].position, graph.nodes["h5"].position
    assert graph.nodes["h4"].size == 3 and ((ax + bx) / 2, (ay + by) / 2) == (0, 300)
    scene.clearSelection()
    scene.connection_items[("h1", "y1")].setSelected(True)
    scene.node_items["h4"].setSelected(True)
    scene.node_items["h5"].setSelected(True)
    scene.delete_selection()
    assert stack.undoText() == "Delete 3 items"
    assert ("h1", "y1") not in graph.connections and "h4" not in graph.nodes
    scene.node_items["h1"].setSelected(True)
    scene.cut_selection()
    assert "h1" not in graph.nodes and not graph.connections and stack.undoText() == "Delete h1"
    assert scene.paste() == ["h1"] and graph.nodes["h1"].size == 3
    assert scene.items_match_graph() is None
    scene.clearSelection()
    scene.delete_selection()
    assert messages[-1] == "nothing is selected"


def test_context_menus_offer_the_right_actions(canvas):
    graph, stack, scene, view, _ = canvas
    scene.connect_nodes("h1", "y1")
    menu = scene.context_menu_at(QPointF(200, 0))
    texts = [a.text() for a in menu.actions()]
    assert texts[:3] == ["Delete", "Duplicate", "Copy"] and "Set activation" in texts
    sub = next(a.menu() for a in menu.actions() if a.text() == "Set activation")
    next(a for a in sub.actions() if a.text() == "relu").trigger()
    assert graph.nodes["h1"].activation == "relu"
    assert stack.undoText() == "Set activation of h1 to relu"
    assert scene.node_items["h1"].header == "h1 · 3 · relu"
    conn = scene.connection_items[("h1", "y1")]
    mid = QPointF((conn.lines[0, 0] + conn.lines[0, 2]) / 2, (conn.lines[0, 1] + conn.lines[0, 3]) / 2)
    menu = scene.context_menu_at(mid)
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "Remove edge h1[0] → y1[0]" and "Delete connection" in texts
    assert not next(a for a in menu.actions() if a.text() == "Restore all edges").isEnabled()
    menu.actions()[0].trigger()
    assert graph.connections[("h1", "y1")].mask.tolist() == [[0, 1, 1]]
    menu = scene.context_menu_at(QPointF(200, 500))
    empty = [a.text() for a in menu.actions()]
    assert empty == ["Paste", "Automatic layout", "Select all"]


def test_automatic_layout_puts_columns_by_depth(canvas):
    graph, stack, scene, view, messages = canvas
    graph.add_node("hidden", 2, id="h2", position=(-300, 80))
    for s, d in (("x1", "h1"), ("x1", "h2"), ("h2", "h1"), ("h1", "y1")):
        scene.connect_nodes(s, d)
    assert scene.auto_layout()
    assert stack.undoText() == "Automatic layout"
    xs = {n: graph.nodes[n].position[0] for n in graph.nodes}
    assert xs["x1"] < xs["h2"] < xs["h1"] < xs["y1"]
    assert len({round(xs["h1"] - xs["h2"]), round(xs["h2"] - xs["x1"])}) == 1
    assert scene.items_match_graph() is None
    assert not scene.auto_layout() and "tidy" in messages[-1]


def test_large_nodes_draw_a_compact_column_with_spread_neurons(canvas):
    graph, stack, scene, view, _ = canvas
    scene.add_node_at({"kind": "hidden", "size": 500, "label": "Dense layer"}, QPointF(0, 400))
    item = next(i for i in scene.node_items.values() if i.node.size == 500)
    assert not item.drawn and len(item.offsets) == 500
    assert np.all(np.diff(item.offsets) > 0) and item.offsets[-1] - item.offsets[0] < 400
    small = scene.node_items["h1"]
    assert small.drawn and MAX_DRAWN >= 3
    image = view.grab().toImage()     # painting both kinds raises nothing
    assert not image.isNull()


def test_neuron_values_tint_circles_and_show_in_tooltips(canvas):
    graph, _, scene, view, _ = canvas
    scene.set_neuron_values({"h1": np.array([-2.0, 0.0, 2.0]), "x1": np.array([1.0])})
    h1 = scene.node_items["h1"]
    assert h1.values().tolist() == [-2.0, 0.0, 2.0]
    assert scene.node_items["x1"].values() is None          # wrong length: ignored
    shown = view.viewport().grab().toImage()
    colors = [shown.pixelColor(at(view, h1.mapToScene(QPointF(0, y)))) for y in h1.offsets]
    assert colors[0].red() > colors[0].blue() and colors[2].blue() > colors[2].red()   # as drawn
    event_pos = h1.mapToScene(QPointF(0, h1.offsets[2]))
    assert h1.neuron_at(event_pos) == 2
    scene.set_neuron_values(None)
    assert h1.values() is None


def test_wheel_zooms_about_the_cursor_and_buttons_fit(canvas):
    graph, _, scene, view, _ = canvas
    cursor = QPoint(600, 200)
    before = view.mapToScene(cursor)
    QTest.mouseMove(view.viewport(), cursor)
    from PySide6.QtGui import QWheelEvent
    wheel = QWheelEvent(QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)), QPoint(0, 0),
                        QPoint(0, 240), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.scale_factor() > 1.3
    after = view.mapToScene(cursor)
    assert abs(after.x() - before.x()) < 2 / view.scale_factor() + 1
    assert abs(after.y() - before.y()) < 2 / view.scale_factor() + 1
    s = view.scale_factor()
    view.zoom_out()
    assert view.scale_factor() == pytest.approx(s / 1.25)
    view.zoom_in()
    assert view.scale_factor() == pytest.approx(s)
    for _ in range(100):
        view.zoom_in()
    assert view.scale_factor() <= 8.0
    view.fit_to_view()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(scene.itemsBoundingRect())


def test_pinch_gesture_zooms(canvas):
    graph, _, scene, view, _ = canvas
    s = view.scale_factor()
    pos = QPointF(400, 300)
    event = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(),
                                2, pos, pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), 0.5,
                                QPointF(0, 0))
    QApplication.sendEvent(view.viewport(), event)
    assert view.scale_factor() == pytest.approx(1.5 * s)


def test_middle_button_and_space_drag_pan(canvas):
    graph, _, scene, view, _ = canvas
    vp = view.viewport()
    centre = view.mapToScene(vp.rect().center())
    QTest.mousePress(vp, Qt.MiddleButton, Qt.NoModifier, QPoint(400, 300))
    QTest.mouseMove(vp, QPoint(350, 280))
    QTest.mouseRelease(vp, Qt.MiddleButton, Qt.NoModifier, QPoint(350, 280))
    moved = view.mapToScene(vp.rect().center())
    assert moved.x() - centre.x() == pytest.approx(50, abs=1)
    assert moved.y() - centre.y() == pytest.approx(20, abs=1)
    QTest.keyPress(view, Qt.Key_Space)
    drag(view, at(view, QPointF(200, 0)), at(view, QPointF(200, 0)) + QPoint(-30, 0))
    QTest.keyRelease(view, Qt.Key_Space)
    assert view.mapToScene(vp.rect().center()).x() - moved.x() == pytest.approx(30, abs=1)
    assert graph.nodes["h1"].position == (200, 0)   # space-drag pans instead of moving the node


def test_items_match_graph_reports_a_difference(canvas):
    graph, _, scene, _, _ = canvas
    assert scene.items_match_graph() is None
    scene.node_items["h1"].setPos(5, 5)           # an item out of step with the Graph
    assert "h1" in scene.items_match_graph()
    scene.node_items["h1"].setPos(200, 0)
    stray = NodeItem(graph.nodes["y1"])
    scene.addItem(stray)
    assert "items in the scene" in scene.items_match_graph()


def test_pasting_foreign_or_broken_clipboard_content_is_refused(canvas):
    graph, stack, scene, view, messages = canvas
    QApplication.clipboard().setText("just some text")
    assert scene.paste() == [] and "nothing to paste" in messages[-1]
    broken = {"format": "backprop-studio-design", "version": 1,
              "nodes": [{"id": "h1", "kind": "hidden", "size": -3, "activation": "tanh"}], "connections": []}
    QApplication.clipboard().setText(json.dumps(broken))
    assert scene.paste() == [] and "size must be at least 1" in messages[-1]
    assert len(graph.nodes) == 3 and stack.count() == 0


def test_escape_cancels_a_connection_drag(canvas):
    graph, stack, scene, view, messages = canvas
    vp = view.viewport()
    start = at(view, scene.node_items["x1"].port_scene_pos("out"))
    end = at(view, scene.node_items["h1"].pos())
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(vp, end)
    view.setFocus()
    QTest.keyClick(view, Qt.Key_Escape)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    assert not graph.connections and stack.count() == 0
    assert not scene.node_items["h1"].is_target()
