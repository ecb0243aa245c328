"""The Jacobian view writes the engine's matrices and products with their numbers."""
import numpy as np

from engine import Graph, Network
from engine.nn.jacobian import node_jacobians
from gui.core.formatting import fmt
from gui.replay.jacobian import MAX_SIDE, jacobian_html, matrix_html


def softmax_net():
    g = Graph(loss="softmax_ce")
    g.add_node("input", 2, id="x")
    g.add_node("hidden", 3, "tanh", id="h")
    g.add_node("output", 3, "softmax", id="y")
    g.connect("x", "h")
    g.connect("h", "y")
    net = Network(g, seed=1, dtype="float64")
    steps = net.trace(np.array([[0.4, -0.7]]), np.array([[0.0, 1.0, 0.0]]))
    return net, steps


def test_softmax_view_shows_the_full_jacobian_and_why_p_minus_t():
    net, steps = softmax_net()
    j = node_jacobians(steps, net, "y")
    text = jacobian_html(steps, net, "y")
    assert "full" in text and "p − t" in text and "off-diagonal" in text
    for value in (j["da_dz"][0, 1], j["da_dz"][2, 2], net.W[("h", "y")][1, 2], j["delta"][1]):
        assert fmt(value) in text
    np.testing.assert_allclose(j["delta"], j["delta_trace"], rtol=1e-12)


def test_elementwise_view_is_diagonal_and_hides_products_before_backward():
    net, steps = softmax_net()
    text = jacobian_html(steps, net, "h", backward=False)
    j = node_jacobians(steps, net, "h")
    assert "diagonal" in text and fmt(j["da_dz"][1, 1]) in text
    assert "Vector-Jacobian" not in text and "appear when the replay" in text
    assert "no local Jacobian" in jacobian_html(steps, net, "x")


def test_big_matrices_are_cut():
    text = matrix_html(np.arange(100.0).reshape(10, 10))
    assert text.count("<tr>") == MAX_SIDE + 1 and f"{10 - MAX_SIDE} more rows" in text and "…" in text
