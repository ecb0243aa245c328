"""The engine's layout: columns by depth, unconnected nodes in a grid beside them."""
from engine import Graph
from engine.io.auto_layout import grid_shape, layered_positions


def design():
    g = Graph(loss="bce")
    g.add_node("input", 2, id="x")
    g.add_node("output", 1, "sigmoid", id="y")
    g.connect("x", "y")
    return g


def test_grid_shape_is_near_square():
    assert grid_shape(0) == (0, 0)
    assert grid_shape(1) == (1, 1)
    assert grid_shape(6) == (3, 2)
    assert grid_shape(9) == (3, 3)
    assert grid_shape(10) == (4, 3)


def test_unconnected_nodes_sit_in_a_grid_beside_the_chain():
    g = design()
    for k in range(6):
        g.add_node("hidden", 3, id=f"h{k}")
    pos = layered_positions(g)
    assert pos["x"][0] < pos["y"][0]
    loose = [pos[f"h{k}"] for k in range(6)]
    assert len({x for x, _ in loose}) == 3 and len({y for _, y in loose}) == 2
    assert min(x for x, _ in loose) > pos["y"][0]          # right of the connected part
    assert len(set(pos.values())) == len(pos)               # no two nodes in one place
