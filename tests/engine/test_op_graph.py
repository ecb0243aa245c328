"""The graph of scalar operations: values and gradients against torch autograd, every path
from a weight to the loss summing to ∂L/∂w, and the cost of enumeration against backprop."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from engine import Graph, GraphError, Network
from engine.nn import op_graph, path_count
from engine.nn.op_graph import TooManyOperations, network_graph, neuron_graph
from tests.engine.strategies import mlp, network_cases, random_parameters
from tests.engine.test_against_torch import ACT

torch = pytest.importorskip("torch")
BIG = 100_000


def torch_pass(net, x, t):
    """z, a (each neuron, with retained grads) and parameter grads by torch autograd."""
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in net.parameters().items()}
    a = {net.input: torch.tensor(x[None, :], dtype=torch.float64)}
    z = {}
    for n in net.order[1:]:
        total = P[f"b:{n}"]
        for s in net.incoming[n]:
            m = net.masks[(s, n)]
            W = P[f"W:{s}->{n}"] * (1 if m is None else torch.tensor(m))
            total = total + a[s] @ W.T
        z[n] = total
        a[n] = ACT[net.activation[n]](total)
        z[n].retain_grad()
        a[n].retain_grad()
    tt = torch.tensor(t[None, :], dtype=torch.float64)
    if net.loss == "mse":
        loss = 0.5 * ((a[net.output] - tt) ** 2).sum()
    elif net.loss == "bce":
        y = a[net.output]
        loss = -(tt * torch.log(y) + (1 - tt) * torch.log(1 - y)).sum()
    else:
        loss = -(tt * torch.log(a[net.output])).sum()
    loss.backward()
    grads = {k: np.zeros(p.shape) if p.grad is None else p.grad.numpy() for k, p in P.items()}
    return loss.item(), z, a, grads


def check_against_torch(net, g, x, t):
    L, z, a, grads = torch_pass(net, x, t)
    assert g.scalars[g.loss].value == pytest.approx(L, rel=1e-9, abs=1e-12)
    for s in g.scalars:
        if s.param is not None:
            name, index = s.param
            assert s.grad == pytest.approx(grads[name][index], rel=1e-7, abs=1e-10), s.label
        if s.kind in ("sum", "activation", "output") and s.neuron[0] != net.input:
            n, k = s.neuron
            ref = z[n] if s.kind == "sum" else a[n]
            assert s.value == pytest.approx(ref[0, k].item(), rel=1e-9, abs=1e-12), s.label
            if ref.grad is not None:
                assert s.grad == pytest.approx(ref.grad[0, k].item(), rel=1e-7, abs=1e-10), s.label


def skip_softmax_design() -> Graph:
    g = Graph("softmax_ce")
    g.add_node("input", 2, id="x")
    g.add_node("hidden", 2, "tanh", id="h1")
    g.add_node("hidden", 2, "relu", id="h2")
    g.add_node("output", 3, "softmax", id="y")
    for s, d in (("x", "h1"), ("h1", "h2"), ("h2", "y"), ("x", "h2"), ("h1", "y")):
        g.connect(s, d)
    return g


def network_for(graph, seed=1):
    net = Network(graph, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    net.load_parameters(random_parameters(net, rng))
    return net, rng


def test_skip_and_softmax_cross_entropy_match_torch():
    net, rng = network_for(skip_softmax_design())
    x, t = rng.normal(size=2), np.eye(3)[1]
    g = network_graph(net, x, t)
    check_against_torch(net, g, x, t)
    assert g.operations() == op_graph.count_operations(net)
    assert {s.op for s in g.scalars if s.op} == {"×", "+", "tanh", "relu", "softmax", "loss"}


@settings(deadline=None, derandomize=True, max_examples=30,
          suppress_health_check=[HealthCheck.too_slow])
@given(network_cases(max_hidden=3, max_size=3, penalties=False))
def test_random_designs_match_torch(case):
    net = case.network()
    x, t = case.X[0], case.T[0]
    check_against_torch(net, network_graph(net, x, t, limit=BIG), x, t)


def test_neuron_graph_agrees_with_the_whole_network():
    net, rng = network_for(skip_softmax_design(), seed=3)
    x, t = rng.normal(size=2), np.eye(3)[0]
    whole = {s.label: s for s in network_graph(net, x, t).scalars}
    part = neuron_graph(net, x, t, "h1", 1)
    assert part.title == "Neuron h1[1]"
    kinds = {s.kind for s in part.scalars}
    assert {"source", "rest", "weight", "bias"} <= kinds
    for s in part.scalars:
        if s.label and s.label in whole and s.kind != "rest":
            assert s.value == pytest.approx(whole[s.label].value, abs=1e-12), s.label
            assert s.grad == pytest.approx(whole[s.label].grad, abs=1e-10), s.label
    assert part.scalars[part.loss].value == pytest.approx(whole[f"L ({net.loss})"].value)


def test_paths_of_a_weight_sum_to_its_gradient():
    net, rng = network_for(skip_softmax_design(), seed=5)
    x, t = rng.normal(size=2), np.eye(3)[2]
    g = network_graph(net, x, t)
    w = g.find("w x[0]→h1[0]")
    paths = path_count.paths_to_loss(g, w.id)
    # h1[0] reaches y directly (3 outputs) and through h2 (2 neurons × 3 outputs); the
    # softmax couples every z of y to every output, so each way into y fans out 3 times.
    assert len(paths) == (3 + 2 * 3) * 3
    assert len(set(p.ids for p in paths)) == len(paths)
    assert sum(p.product for p in paths) == pytest.approx(w.grad, rel=1e-9, abs=1e-12)
    assert all(p.ids[0] == w.id and p.ids[-1] == g.loss for p in paths)
    c = path_count.counts(g, [w.id])
    assert c.paths == len(paths)
    assert c.enumeration == sum(len(p.factors) - 1 for p in paths)
    assert c.backprop < c.enumeration


def test_whole_network_refused_beyond_the_limit_naming_the_count():
    net, _ = network_for(mlp([4, 8, 8, 1]))
    with pytest.raises(TooManyOperations) as e:
        network_graph(net, np.zeros(4), np.zeros(1))
    count = (4 * 8 + 8 * 8 + 8) + 2 * (8 + 8 + 1) + 1   # ×, then + and tanh/σ, then L
    assert e.value.count == count == op_graph.count_operations(net)
    assert str(count) in str(e.value) and "60" in str(e.value)
    with pytest.raises(GraphError):
        neuron_graph(net, np.zeros(4), np.zeros(1), "x", 0)


def test_the_skip_connection_example_fits_and_xor_is_small():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "resources" / "examples"
    for name, ops in (("skip_connection.json", 59), ("xor_neurons.json", 23)):
        net = Network(Graph.load(root / name), dtype="float64")
        assert op_graph.count_operations(net) == ops
        network_graph(net, np.array([0.5, -0.3]), np.array([1.0]))


def chain(d: int) -> Network:
    net = Network(mlp([1] + [2] * d + [1]), seed=d, dtype="float64")
    return net


@pytest.mark.parametrize("d", range(1, 9))
def test_enumeration_grows_exponentially_and_backprop_linearly(d):
    net = chain(d)
    g = network_graph(net, np.array([0.3]), np.array([1.0]), limit=BIG)
    w = next(s for s in g.weights() if s.param == (f"W:{net.input}->{net.order[1]}", (0, 0)))
    c = path_count.counts(g, [w.id])
    assert c.paths == 2 ** (d - 1)
    assert c.enumeration == 2 ** (d - 1) * (3 * d + 3)
    assert c.backprop == (6 if d == 1 else 10 * d - 6)
    whole = path_count.counts(g, path_count.parameters(g))
    assert whole.backprop == 16 * d
    n = [2 if m == d - 1 else 4 for m in range(d)]
    assert whole.enumeration == 8 + sum(2 ** m * (n[m] * (3 * m + 6) + 2 * (3 * m + 5))
                                        for m in range(d))
    # The paths' products still add up to the gradient that reuse of δ computes.
    listed = path_count.paths_to_loss(g, w.id, limit=BIG)
    assert sum(p.product for p in listed) == pytest.approx(w.grad, rel=1e-9, abs=1e-14)
