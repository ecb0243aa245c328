"""The trace: ordered steps of one pass, as data, agreeing with the network's fast path."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from engine import Graph, Network
from engine.train.optimizers import SGD
from engine.model.param_names import bias_node, connection_named, is_weight
from engine.nn.trace import TraceStep, trace_gradients
from tests.engine.strategies import network_cases, numerical_gradients

CI = settings(deadline=None, derandomize=True, max_examples=80,
              suppress_health_check=[HealthCheck.too_slow])


def branching_design(loss="mse", out="tanh") -> Graph:
    """x → h → y, and h → k → y: h has two outgoing paths; x → k skips a layer."""
    g = Graph(loss=loss)
    g.add_node("input", 2, id="x")
    g.add_node("hidden", 3, "tanh", id="h")
    g.add_node("hidden", 2, "sigmoid", id="k")
    g.add_node("output", 2, out, id="y")
    for s, d in [("x", "h"), ("h", "k"), ("x", "k"), ("h", "y"), ("k", "y")]:
        g.connect(s, d)
    g.set_edges("h", "k", [(1, 2)], enabled=False)
    return g


def test_steps_come_forward_then_loss_then_backward_then_update():
    g = branching_design()
    net = Network(g, seed=1, dtype="float64")
    steps = net.trace([[0.5, -1.0]], [[0.2, 0.7]], lr=0.1)
    assert all(isinstance(s, TraceStep) for s in steps)
    phases = [s.phase for s in steps]
    assert phases == ["forward"] * 4 + ["loss"] + ["backward"] * 3 + ["update"]
    forward = [s.node for s in steps if s.phase == "forward"]
    assert forward == net.order == g.topological_order()
    backward = [s.node for s in steps if s.phase == "backward"]
    assert backward == [n for n in reversed(net.order) if n != "x"]
    assert steps[4].node == "y"
    assert [s.phase for s in net.trace([[0.5, -1.0]], [[0.2, 0.7]])][-1] == "backward"


def test_forward_values_equal_the_networks_and_add_up():
    net = Network(branching_design(), seed=2, dtype="float64")
    X = np.array([[0.5, -1.0], [1.5, 0.25]])
    T = np.array([[0.2, 0.7], [0.0, -0.3]])
    steps = net.trace(X, T)
    net.forward(X)
    for step in steps:
        if step.phase != "forward" or step.node == "x":
            continue
        v = step.values
        np.testing.assert_allclose(v["z"], net.z[step.node], rtol=1e-14)
        np.testing.assert_allclose(v["a"], net.a[step.node], rtol=1e-14)
        np.testing.assert_allclose(sum(step.contributions.values()) + v["b"], v["z"], rtol=1e-14)
        assert set(step.contributions) == {c.src for c in net.graph.incoming(step.node)}
    np.testing.assert_array_equal(steps[0].values["a"], X)
    loss = next(s for s in steps if s.phase == "loss")
    assert loss.values["L"] == pytest.approx(net.loss_value(X, T), rel=1e-14)
    np.testing.assert_allclose(loss.values["losses"], 0.5 * ((net.a["y"] - T) ** 2).sum(axis=1))
    np.testing.assert_allclose(loss.values["dL/dy"], (net.a["y"] - T) / 2)


@CI
@given(network_cases(penalties=False))
def test_trace_gradients_equal_loss_and_gradients(case):
    net = case.network()
    steps = net.trace(case.X, case.T)
    traced = trace_gradients(steps)
    _, grads = net.loss_and_gradients(case.X, case.T)
    assert set(traced) <= set(grads)
    for k, g in grads.items():
        if k in traced:
            np.testing.assert_allclose(traced[k], g, rtol=1e-10, atol=1e-13, err_msg=k)
        else:   # a node that cannot reach the output: no backward step, zero gradient
            node = connection_named(k, net.masks)[1] if is_weight(k) else bias_node(k)
            assert node in case.dead_nodes(), k
            assert not g.any(), k
    # Every backward step's delta is dL/da times f'(z) (or the softmax Jacobian product).
    for s in steps:
        if s.phase == "backward" and s.values["da/dz"] is not None:
            np.testing.assert_allclose(s.values["delta"], s.values["dL/da"] * s.values["da/dz"])


@pytest.mark.parametrize("loss,out", [("mse", "tanh"), ("mse", "softmax"),
                                      ("softmax_ce", "softmax")])
def test_two_outgoing_paths_give_two_contributions_summing_to_dL_da(loss, out):
    net = Network(branching_design(loss, out), seed=3, dtype="float64")
    X, T = np.array([[0.8, -0.4]]), np.array([[0.25, 0.75]])
    steps = net.trace(X, T)
    by_node = {s.node: s for s in steps if s.phase == "backward"}
    h = by_node["h"]
    assert set(h.contributions) == {"y", "k"}
    for dst, part in h.contributions.items():
        np.testing.assert_allclose(part, by_node[dst].values["delta"] @ net.W[("h", dst)])
        assert np.abs(part).max() > 1e-4
    np.testing.assert_allclose(sum(h.contributions.values()), h.values["dL/da"], rtol=1e-14)
    # With one example dL/db_h = dL/da · f'(z): check it against finite differences.
    numeric = numerical_gradients(net, X, T)
    np.testing.assert_allclose(h.values["dL/da"][0] * h.values["da/dz"][0], numeric["b:h"],
                               rtol=1e-8, atol=1e-12)


def test_update_changes_equal_minus_lr_times_gradient():
    net = Network(branching_design("bce", "sigmoid"), seed=4, dtype="float64")
    X, T = np.array([[0.3, 0.9], [-1.0, 0.2]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    before = {k: p.copy() for k, p in net.parameters().items()}
    steps = net.trace(X, T, lr=0.25)
    update = steps[-1]
    assert update.phase == "update" and update.values["lr"] == 0.25
    _, grads = net.loss_and_gradients(X, T)
    changes = update.values["changes"]
    assert changes.keys() == grads.keys()
    for k, g in grads.items():
        np.testing.assert_allclose(changes[k], -0.25 * g, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(net.parameters()[k], before[k])   # a trace changes nothing
    net.train_step(X, T, SGD(0.25))
    for k, p in net.parameters().items():
        np.testing.assert_allclose(p, before[k] + changes[k], rtol=1e-12, atol=1e-15)
