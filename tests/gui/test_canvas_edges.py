"""Connection items: edge picking, masking one weight, colour bins, level of detail, drawing."""
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsSceneHoverEvent

from engine import Graph
from gui.canvas import CanvasScene, CanvasView
from gui.core import colormap
from gui.canvas.connection_item import LOD_EDGES, TOP_K, ConnectionItem, _GreyLayer


def make(qtbot, sizes=(2, 3, 2), spacing=240, show=True):
    graph = Graph()
    kinds = ["input"] + ["hidden"] * (len(sizes) - 2) + ["output"]
    ids = []
    for k, (kind, size) in enumerate(zip(kinds, sizes)):
        ids.append(graph.add_node(kind, size, position=(k * spacing, 0)).id)
    for a, b in zip(ids, ids[1:]):
        graph.connect(a, b)
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(900, 600)
    if show:
        view.show()
        view.centerOn(spacing * (len(sizes) - 1) / 2, 0)
    messages = []
    scene.message.connect(messages.append)
    return graph, stack, scene, view, ids, messages


def edge_point(item: ConnectionItem, i: int, j: int, t: float = 0.5) -> QPointF:
    k = int(np.flatnonzero((item.i == i) & (item.j == j))[0])
    x1, y1, x2, y2 = item.lines[k]
    return QPointF(x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def test_clicking_an_edge_selects_it_and_delete_masks_exactly_that_weight(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    item = scene.connection_items[(h, y)]
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view.mapFromScene(edge_point(item, 1, 2, 0.3)))
    assert scene.selected_edge() == (h, y, 1, 2)
    assert item.selected_edge == (1, 2) and scene.selected_connection_keys() == []
    assert item.zValue() > scene.connection_items[(x, h)].zValue()   # drawn above other fans
    view.setFocus()
    QTest.keyClick(view, Qt.Key_Delete)
    mask = graph.connections[(h, y)].mask
    expected = np.ones((2, 3), np.uint8)
    expected[1, 2] = 0
    assert mask is not None and np.array_equal(mask, expected)
    assert stack.undoText() == "Remove edge h1[2] → y1[1]"
    assert item.edge_count() == 5 and scene.selected_edge() is None
    assert scene.items_match_graph() is None
    stack.undo()
    assert graph.connections[(h, y)].mask is None and item.edge_count() == 6


def test_clicking_between_edges_selects_the_whole_connection(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    item = scene.connection_items[(x, h)]
    # inside the fan, but between edges: x1[0]/x1[1] → h1[*] leave a gap near h1 between neurons
    left, right = item.lines[0, 0], item.lines[0, 2]
    gap = QPointF(right - 20, (scene.node_items[h].offsets[0] + scene.node_items[h].offsets[1]) / 2)
    assert item.nearest_edge(gap, scene.pick_tolerance()) is None
    assert scene.item_at(gap) is item
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, view.mapFromScene(gap))
    assert scene.selected_connection_keys() == [(x, h)] and scene.selected_edge() is None
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, view.mapFromScene(QPointF(120, 250)))
    assert scene.selected_connection_keys() == []
    assert left < right


def test_remove_and_restore_edges_are_undoable(qtbot):
    graph, stack, scene, view, (x, h, y), messages = make(qtbot)
    scene.select_edge((x, h, 2, 0))
    scene.delete_selection()
    scene.remove_edge(x, h, 0, 1)
    assert graph.connections[(x, h)].masked_count() == 2
    assert scene.restore_edges(x, h)
    assert graph.connections[(x, h)].mask is None and stack.undoText() == "Restore edges of x1 → h1"
    assert scene.connection_items[(x, h)].edge_count() == 6
    assert not scene.restore_edges(x, h) and "all of its edges" in messages[-1]
    stack.undo()
    assert graph.connections[(x, h)].masked_count() == 2
    assert scene.items_match_graph() is None
    with pytest.raises(ValueError):
        scene.select_edge((x, h, 2, 0))            # masked: not an edge any more


def test_a_size_change_redraws_the_edges(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    scene.remove_edge(h, y, 0, 2)
    from gui.core.commands import push_edit
    push_edit(stack, graph, "Resize h1", lambda g: g.update_node(h, size=5))
    assert scene.connection_items[(x, h)].edge_count() == 10
    assert scene.connection_items[(h, y)].edge_count() == 9
    assert scene.items_match_graph() is None
    push_edit(stack, graph, "Resize h1", lambda g: g.update_node(h, size=40))
    assert scene.connection_items[(h, y)].edge_count() == 79 and not scene.node_items[h].drawn
    assert scene.items_match_graph() is None
    stack.undo()
    stack.undo()
    assert scene.connection_items[(h, y)].edge_count() == 5 and scene.items_match_graph() is None


def test_nearest_edge_matches_a_brute_force_distance(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(7, 9, 4), show=False)
    item = scene.connection_items[(x, h)]
    rng = np.random.default_rng(3)
    for px, py in rng.uniform([0, -120], [240, 120], size=(50, 2)):
        best, best_d = None, np.inf
        for (x1, y1, x2, y2), i, j in zip(item.lines, item.i, item.j):
            a, b, p = np.array([x1, y1]), np.array([x2, y2]), np.array([px, py])
            t = np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0, 1)
            d = np.linalg.norm(a + t * (b - a) - p)
            if d < best_d:
                best, best_d = (int(i), int(j)), d
        got = item.nearest_edge(QPointF(px, py), 1000.0)
        k = int(np.flatnonzero((item.i == got[0]) & (item.j == got[1]))[0])
        x1, y1, x2, y2 = item.lines[k]
        assert got == best or np.isclose(
            np.linalg.norm(np.cross([x2 - x1, y2 - y1], [x1 - px, y1 - py])) / np.hypot(x2 - x1, y2 - y1),
            best_d)


def test_gradient_colours_the_largest_value_brightest(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(6, 5, 3), show=False)
    rng = np.random.default_rng(0)
    values = {k: rng.standard_normal(c.shape_ij) * 10.0 ** rng.uniform(-6, 0, c.shape_ij)
              for k, c in scene.connection_items.items()}
    scene.set_edge_values(values)
    lo, hi = scene.color_scale()
    every = np.concatenate([np.abs(v).ravel() for v in values.values()])
    assert hi == pytest.approx(np.log10(every.max())) and lo == pytest.approx(np.log10(every.min()))
    seq = colormap.sequential()
    assert max(range(len(seq)), key=lambda b: colormap.luminance(seq[b])) == len(seq) - 1
    for key, item in scene.connection_items.items():
        mags = np.abs(values[key])[item.i[item.drawn], item.j[item.drawn]]
        # draw order is by bin, brightest last; bins never decrease with |v|
        assert np.all(np.diff(item.drawn_bins) >= 0)
        order = np.argsort(mags)
        assert np.all(np.diff(item.drawn_bins[order]) >= 0)
        top = int(np.argmax(mags))
        assert item.drawn_bins[top] == item.drawn_bins.max()
    strongest = max(scene.connection_items.items(), key=lambda kv: np.abs(values[kv[0]]).max())[1]
    assert strongest.drawn_bins.max() == len(seq) - 1
    scene.set_edge_values(None)
    assert scene.color_scale() is None and all(
        set(item.drawn_bins) == {0} and len(item.pens) == 1 for item in scene.connection_items.values())


def test_weight_mode_colours_by_sign_and_widens_by_magnitude(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(2, 2, 2), show=False)
    w = np.array([[-3.0, 0.1], [0.2, 3.0]])
    scene.set_edge_values({(x, h): w, (h, y): np.ones((5, 5))}, mode="weight")
    assert scene.color_scale() == (-3.0, 3.0)
    item = scene.connection_items[(x, h)]
    pens = {(int(i), int(j)): item.pens[b] for i, j, b in
            zip(item.i[item.drawn], item.j[item.drawn], item.drawn_bins)}
    neg, pos = pens[(0, 0)].color(), pens[(1, 1)].color()
    assert neg.red() > neg.blue() and pos.blue() > pos.red()         # orange vs blue
    assert pens[(1, 1)].widthF() > pens[(0, 1)].widthF()             # |3| thicker than |0.1|
    assert scene.connection_items[(h, y)].magnitudes() is None         # wrong shape: plain grey
    with pytest.raises(ValueError):
        scene.set_edge_values({}, mode="rainbow")


def test_level_of_detail_starts_above_8k_edges(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(90, 90, 88), show=False)
    big, small = scene.connection_items[(x, h)], scene.connection_items[(h, y)]
    assert big.edge_count() == 8100 > LOD_EDGES >= small.edge_count() == 7920
    assert big.is_lod() and not small.is_lod()
    grey = [c for c in big.childItems() if isinstance(c, _GreyLayer)]
    assert len(grey) == 1                 # keeps its own picture, refined in slices (grey_layer.py)
    assert len(big.drawn) == 0 and len(small.drawn) == small.edge_count()   # no values: grey only
    values = np.random.default_rng(1).standard_normal((90, 90))
    scene.set_edge_values({(x, h): values, (h, y): np.ones((88, 90))})
    assert len(big.drawn) == TOP_K
    shown = np.abs(values[big.i[big.drawn], big.j[big.drawn]])
    assert shown.min() >= np.sort(np.abs(values).ravel())[-TOP_K]      # the strongest K
    scene.remove_edge(x, h, 0, 0)
    scene.remove_edge(x, h, 0, 1)
    assert big.edge_count() == 8098
    from gui.core.commands import push_edit
    push_edit(stack, graph, "shrink", lambda g: g.update_node(h, size=80))
    assert not big.is_lod() and not [c for c in big.childItems() if isinstance(c, _GreyLayer)]
    assert scene.items_match_graph() is None


def test_edges_are_painted_in_their_bin_colour(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(1, 1, 1), spacing=300)
    view.resetTransform()
    view.centerOn(300, 0)
    scene.set_edge_values({(x, h): np.array([[1e-6]]), (h, y): np.array([[1.0]])})
    scene.settle_edges()
    image = view.viewport().grab().toImage()
    seq = colormap.sequential()
    for key, color in (((x, h), seq[0]), ((h, y), seq[-1])):
        p = view.mapFromScene(edge_point(scene.connection_items[key], 0, 0))
        got = image.pixelColor(p)
        assert (got.red(), got.green(), got.blue()) == (color.red(), color.green(), color.blue())
    scene.set_edge_values(None)
    scene.settle_edges()
    image = view.viewport().grab().toImage()
    got = image.pixelColor(view.mapFromScene(edge_point(scene.connection_items[(x, h)], 0, 0)))
    assert got == colormap.GREY


def test_large_connection_paints_its_grey_layer(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(100, 100, 1), spacing=300)
    view.resetTransform()
    view.centerOn(150, 0)
    image = view.viewport().grab().toImage()
    p = view.mapFromScene(QPointF(150, 0))
    assert image.pixelColor(p) == colormap.GREY
    assert image.pixelColor(view.mapFromScene(QPointF(150, -260))) == colormap.BACKGROUND


def test_edge_tooltip_uses_the_callable_or_falls_back(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    item = scene.connection_items[(h, y)]
    assert scene.edge_text(item, 1, 2) == "h1[2] → y1[1]"
    hover = QGraphicsSceneHoverEvent(QEvent.GraphicsSceneHoverMove)
    hover.setScenePos(edge_point(item, 1, 2, 0.25))
    item.hoverMoveEvent(hover)
    assert item.toolTip() == "h1[2] → y1[1]"
    scene.remove_edge(h, y, 0, 0)
    hover.setScenePos(QPointF(item.boundingRect().center().x(), item.boundingRect().top() - 50))
    item.hoverMoveEvent(hover)
    assert item.toolTip() == "h1 → y1: 2×3 weights, 1 removed"
    scene.edge_tooltip = lambda s, d, i, j: f"w = {i + j}"
    assert scene.edge_text(item, 1, 2) == "w = 3"
    scene.edge_tooltip = lambda s, d, i, j: 1 / 0
    assert scene.edge_text(item, 1, 2) == "h1[2] → y1[1]"


def test_a_dragged_node_moves_its_edges_and_refines_after(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(100, 100, 1), spacing=300, show=False)
    big = scene.connection_items[(x, h)]
    scene.node_items[h].setPos(330, 20)                 # as a mouse drag does
    assert big.lines[:, 2].min() == pytest.approx(330 - scene.node_items[h].edge_dx)
    assert len(big.grey_lines()) <= LOD_EDGES           # coarse while dragging
    scene.commit_moves()
    assert len(big.grey_lines()) == 10000 and graph.nodes[h].position == (330, 20)
    assert stack.undoText() == "Move h1" and scene.items_match_graph() is None


def test_zooming_draws_large_connections_coarsely_until_it_settles(qtbot):
    graph, stack, scene, view, (x, h, y), _ = make(qtbot, sizes=(100, 100, 1), spacing=300)
    big = scene.connection_items[(x, h)]
    assert len(big.grey_lines()) == 10000
    view.zoom_in()
    assert len(big.grey_lines()) <= LOD_EDGES
    qtbot.waitUntil(lambda: len(big.grey_lines()) == 10000, timeout=3000)


def test_an_item_on_top_that_takes_clicks_gets_them(qtbot):
    from PySide6.QtWidgets import QGraphicsRectItem
    graph, stack, scene, view, (x, h, y), _ = make(qtbot)
    item = scene.connection_items[(h, y)]
    point = edge_point(item, 0, 0)
    label = QGraphicsRectItem(point.x() - 10, point.y() - 10, 20, 20)
    label.setZValue(50)
    scene.addItem(label)
    assert scene.item_at(point) is None
    label.setAcceptedMouseButtons(Qt.NoButton)          # a pure decoration lets clicks through
    assert scene.item_at(point) is item
