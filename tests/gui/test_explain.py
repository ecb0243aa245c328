"""The explain text: the chain rule written with the trace's numbers; the numerical check."""
import numpy as np
import pytest

from engine import Graph, GraphError, Network
from engine.nn.trace import trace_gradients
from gui.replay.explain import edge_factors, explain_edge, explain_neuron, numeric_check
from gui.core.formatting import fmt
from tests.gui.test_replay_timeline import example, random_design, skip_design


def one_layer(loss="mse", act="sigmoid", size=1):
    g = Graph(loss=loss)
    g.add_node("input", 2, id="x")
    g.add_node("output", size, act, id="y")
    g.connect("x", "y")
    return g


def test_linear_then_sigmoid_edge_carries_the_expected_factors():
    g = one_layer()
    net = Network(g, dtype="float64")
    X, T = np.array([[0.41, -1.3]]), np.array([[1.0]])
    steps = net.trace(X, T)
    y = steps[1].values["a"][0, 0]
    text = explain_edge(steps, net, "x", "y", 0, 0)
    # dL/dw = (a − t) · σ(z)(1 − σ(z)) · a_in
    assert "σ(z)(1 − σ(z))" in text
    assert f"({fmt(y)} − 1)" in text
    factors = dict(edge_factors(steps, net, "x", "y", 0, 0)["factors"])
    assert factors["dL/da"] == steps[3].values["dL/da"][0, 0]
    assert factors["da/dz"] == steps[3].values["da/dz"][0, 0]
    assert factors["a_in"] == 0.41
    for value in factors.values():
        assert fmt(value).replace("−", "") in text
    product = factors["dL/da"] * factors["da/dz"] * factors["a_in"]
    _, grads = net.loss_and_gradients(X, T)
    assert product == pytest.approx(grads["W:x->y"][0, 0], rel=1e-12)
    assert f"<b>{fmt(product)}</b>" in text
    assert "Edge x[0] → y[0]" in text and "<sub>x,0→y</sub>" in text


@pytest.mark.parametrize("seed", range(12))
def test_every_edge_product_equals_the_trace_gradient(seed):
    g = random_design(seed)
    net = Network(g, seed=seed, dtype="float64")
    X, T = example(net, 1, seed)
    steps = net.trace(X, T, lr=0.1)
    _, reference = net.loss_and_gradients(X, T)
    rng = np.random.default_rng(seed)
    for s, d in g.connections:
        i, j = int(rng.integers(g.nodes[d].size)), int(rng.integers(g.nodes[s].size))
        info = edge_factors(steps, net, s, d, i, j)
        text = explain_edge(steps, net, s, d, i, j)
        if info["masked"]:
            assert "removed" in text and info["gradient"] == 0.0
            continue
        assert info["product"] == pytest.approx(info["gradient"], rel=1e-12, abs=1e-300)
        assert info["gradient"] == pytest.approx(reference[f"W:{s}->{d}"][i, j], rel=1e-10, abs=1e-15)
        assert fmt(info["gradient"]) in text
        change = steps[-1].values["changes"][f"W:{s}->{d}"][i, j]
        assert "Update" in text and fmt(change) in text


@pytest.mark.parametrize("seed", range(12))
def test_every_neuron_explains_its_values(seed):
    g = random_design(seed, dead=seed % 4 == 0)
    net = Network(g, seed=seed, dtype="float64")
    X, T = example(net, 1, seed)
    steps = net.trace(X, T)
    back = {s.node: s for s in steps if s.phase == "backward"}
    fwd = {s.node: s for s in steps if s.phase == "forward"}
    for n, node in g.nodes.items():
        for i in range(node.size):
            text = explain_neuron(steps, net, n, i)
            assert fmt(fwd[n].values["a"][0, i]) in text
            if n in back:
                assert fmt(back[n].values["delta"][0, i]) in text
                for dst, part in back[n].contributions.items():  # every path with its number
                    assert fmt(part[0, i]) in text and f"through {dst}" in text
            elif node.kind != "input":
                assert "does not lead to the output" in text


def test_hidden_neuron_sums_its_paths():
    g = skip_design()
    net = Network(g, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]))
    h1 = next(s for s in steps if s.phase == "backward" and s.node == "h1")
    text = explain_neuron(steps, net, "h1", 1)
    assert "Σ over paths" in text and "through h2" in text and "through y" in text
    assert fmt(h1.contributions["h2"][0, 1]) in text and fmt(h1.contributions["y"][0, 1]) in text
    assert fmt(h1.values["dL/da"][0, 1]) in text
    assert "1 − tanh²(z)" in text and fmt(h1.values["da/dz"][0, 1]) in text
    # each term δ_k · w_k of the path through h2, with the network's weights
    d_h2 = next(s for s in steps if s.node == "h2" and s.phase == "backward").values["delta"][0]
    assert fmt(d_h2[0]).lstrip("−") in text and fmt(net.W[("h1", "h2")][0, 1]).lstrip("−") in text
    assert "a<sub>h1,1</sub>" in text or "<i>a</i><sub>h1,1</sub>" in text


def test_fused_losses_start_from_y_minus_t():
    for loss, act, size in (("bce", "sigmoid", 1), ("softmax_ce", "softmax", 3)):
        g = one_layer(loss, act, size)
        net = Network(g, dtype="float64")
        T = np.eye(size)[[0]] if size > 1 else np.array([[1.0]])
        steps = net.trace(np.array([[0.3, 0.7]]), T)
        text = explain_neuron(steps, net, "y", 0)
        assert "fused" in text and fmt(steps[-1].values["delta"][0, 0]) in text
        info = edge_factors(steps, net, "x", "y", 0, 1)
        assert [name for name, _ in info["factors"]] == ["dL/dz", "a_in"]
        assert info["product"] == pytest.approx(info["gradient"], rel=1e-12)


def test_softmax_under_mse_uses_the_jacobian():
    g = one_layer("mse", "softmax", 3)
    net = Network(g, dtype="float64")
    steps = net.trace(np.array([[0.3, -0.7]]), np.array([[0.0, 1.0, 0.0]]))
    back = steps[-1].values
    text = explain_neuron(steps, net, "y", 2)
    assert "[k = i]" in text and fmt(back["delta"][0, 2]) in text
    delta = fmt(back["delta"][0, 2])
    assert f"= {delta} (trace: {delta})" in text  # the Jacobian check equals the trace's δ
    info = edge_factors(steps, net, "x", "y", 2, 0)
    assert info["product"] == pytest.approx(info["gradient"], rel=1e-12)


def test_a_batch_shows_the_first_example_and_the_batch_sum():
    g = one_layer()
    net = Network(g, dtype="float64")
    X = np.array([[0.4, 1.0], [-0.2, 0.5], [1.5, -1.0]])
    T = np.array([[1.0], [0.0], [1.0]])
    steps = net.trace(X, T)
    text = explain_edge(steps, net, "x", "y", 0, 1)
    info = edge_factors(steps, net, "x", "y", 0, 1)
    _, grads = net.loss_and_gradients(X, T)
    assert "batch of 3 examples" in text and "/3" in text
    assert info["gradient"] == pytest.approx(grads["W:x->y"][0, 1], rel=1e-12)
    assert f"<b>{fmt(info['gradient'])}</b>" in text and f"<b>{fmt(info['product'])}</b>" in text
    assert info["product"] != pytest.approx(info["gradient"])  # one example is not the whole sum


def test_masked_edge_and_input_neuron():
    g = skip_design()
    g.set_edges("x", "h1", [(1, 0)], False)
    net = Network(g, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]))
    assert "removed" in explain_edge(steps, net, "x", "h1", 1, 0)
    assert edge_factors(steps, net, "x", "h1", 1, 0)["masked"]
    text = explain_neuron(steps, net, "x", 1)
    assert "input" in text and "−1" in text
    with pytest.raises(GraphError, match="no neuron 7"):
        explain_neuron(steps, net, "h1", 7)
    with pytest.raises(GraphError, match="no connection"):
        explain_edge(steps, net, "y", "x", 0, 0)


@pytest.mark.parametrize("seed", range(12))
def test_numeric_check_agrees_and_leaves_parameters_unchanged(seed):
    g = random_design(seed)
    net = Network(g, seed=seed, dtype="float64")
    X, T = example(net, 1 + seed % 2, seed)
    before = {k: v.copy() for k, v in net.parameters().items()}
    grads = trace_gradients(net.trace(X, T))
    checked = 0
    for name, gr in grads.items():
        k = np.unravel_index(int(np.argmax(np.abs(gr))), gr.shape)
        if abs(gr[k]) < 1e-3:
            continue
        slope, chain, rel = numeric_check(net, X, T, name, k, h=1e-5)
        assert chain == gr[k]
        assert rel < 1e-6, (name, k, slope, chain)
        checked += 1
    assert checked >= 2
    for k, v in net.parameters().items():
        assert np.array_equal(v, before[k]), k


def test_numeric_check_default_step_and_refusals():
    g = skip_design()
    g.set_edges("h1", "h2", [(0, 2)], False)
    net = Network(g, dtype="float64")
    X, T = np.array([[0.5, -1.0]]), np.array([[1.0]])
    slope, chain, rel = numeric_check(net, X, T, "W:x->h1", (1, 0))
    assert rel < 1e-6 and slope == pytest.approx(chain, rel=1e-6)
    slope, chain, rel = numeric_check(net, X, T, "b:h2", 1)
    assert rel < 1e-6
    with pytest.raises(GraphError, match="removed"):
        numeric_check(net, X, T, "W:h1->h2", (0, 2))
    with pytest.raises(GraphError, match="no parameter"):
        numeric_check(net, X, T, "W:y->x", (0, 0))
    with pytest.raises(GraphError, match="no entry"):
        numeric_check(net, X, T, "W:x->h1", (5, 0))
    with pytest.raises(GraphError, match="positive"):
        numeric_check(net, X, T, "W:x->h1", (0, 0), h=0.0)


def test_numeric_check_in_float32_uses_the_stored_step():
    g = skip_design()
    net = Network(g, dtype="float32")
    X, T = np.array([[0.5, -1.0]]), np.array([[1.0]])
    slope, chain, rel = numeric_check(net, X, T, "W:h2->y", (0, 1), h=1e-2)
    assert rel < 1e-2
