"""The limit of a slope: L around a weight, its secants, and how their error falls then rises."""
import numpy as np
import pytest

from engine import Graph, GraphError, Network
from engine.nn.slope_limit import PLOT_STEPS, SWEEP_STEPS, slope_limit


def tanh_net(dtype="float64"):
    g = Graph(loss="bce")
    g.add_node("input", 2, id="x")
    g.add_node("hidden", 3, "tanh", id="h")
    g.add_node("output", 1, "sigmoid", id="y")
    g.connect("x", "h")
    g.connect("h", "y")
    return Network(g, seed=3, dtype=dtype)


X, T = np.array([[0.5, -1.0]]), np.array([[1.0]])


def test_gradient_equals_torch_autograd():
    torch = pytest.importorskip("torch")
    net = tanh_net()
    limit = slope_limit(net, X, T, "W:x->h", (1, 0))
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.parameters().items()}
    x, t = torch.tensor(X), torch.tensor(T)
    h = torch.tanh(x @ p["W:x->h"].T + p["b:h"])
    y = torch.sigmoid(h @ p["W:h->y"].T + p["b:y"])
    loss = torch.nn.functional.binary_cross_entropy(y, t)
    loss.backward()
    assert limit.gradient == pytest.approx(float(p["W:x->h"].grad[1, 0]), rel=1e-12)
    assert limit.loss == pytest.approx(float(loss.detach()), rel=1e-12)


def test_secants_are_the_central_differences_and_the_entry_is_restored():
    net = tanh_net()
    before = {k: v.copy() for k, v in net.parameters().items()}
    limit = slope_limit(net, X, T, "W:h->y", (0, 2))
    w = before["W:h->y"][0, 2]
    assert limit.theta == w
    assert [s.h for s in limit.secants] == sorted(PLOT_STEPS, reverse=True)
    for s in limit.secants:
        p = net.parameters()["W:h->y"]
        p[0, 2] = w + s.h
        plus = net.loss_value(X, T)
        p[0, 2] = w - s.h
        minus = net.loss_value(X, T)
        p[0, 2] = w
        assert (s.loss_plus, s.loss_minus) == (plus, minus)
        assert s.slope == (plus - minus) / ((w + s.h) - (w - s.h))
        assert s.error == abs(s.slope - limit.gradient)
    for k, v in net.parameters().items():
        assert np.array_equal(v, before[k]), k
    # the curve passes through L(w) at its middle sample
    mid = len(limit.curve_theta) // 2
    assert limit.curve_theta[mid] == w and limit.curve_loss[mid] == limit.loss


def test_error_falls_as_h_squared_then_rounding_takes_over():
    limit = slope_limit(tanh_net(), X, T, "W:x->h", (1, 0))
    sweep = limit.sweep()
    assert [s.h for s in sweep] == list(SWEEP_STEPS)
    e = {s.h: s.error for s in sweep}
    # truncation: 10x smaller h, ~100x smaller error
    assert 30 < e[1e-1] / e[1e-2] < 300
    assert 30 < e[1e-2] / e[1e-3] < 300
    best = limit.best()
    assert 1e-6 >= best.h >= 1e-4 or best.error < 1e-10
    assert best.error < 1e-9 * max(1.0, abs(limit.gradient))
    # rounding: at h = 1e-10 the error is far above the best and near ε|L|/h
    assert e[1e-10] > 100 * best.error
    assert e[1e-10] < 100 * limit.rounding_error(1e-10)


def test_refusals_name_the_problem():
    g = Graph(loss="mse")
    g.add_node("input", 2, id="x")
    g.add_node("output", 2, "linear", id="y")
    g.connect("x", "y", mask=np.array([[1, 0], [1, 1]]))
    net = Network(g, dtype="float64")
    with pytest.raises(GraphError, match="removed"):
        slope_limit(net, X, np.array([[1.0, 0.0]]), "W:x->y", (0, 1))
    with pytest.raises(GraphError, match="no parameter"):
        slope_limit(net, X, np.array([[1.0, 0.0]]), "W:y->x", (0, 0))
