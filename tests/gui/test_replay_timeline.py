"""The replay timeline: frame order, values taken from the trace, stepping back."""
from pathlib import Path

import numpy as np
import pytest

from engine import Graph, Network
from engine.model.reach import nodes_reaching_output
from engine.nn.trace import trace_gradients
from gui.core.formatting import fmt, vector_text
from gui.replay.timeline import ReplayTimeline

SMOOTH = ("tanh", "sigmoid", "softplus", "swish", "linear")
OUTPUTS = (("mse", "sigmoid"), ("mse", "linear"), ("mse", "tanh"), ("mse", "softmax"),
           ("bce", "sigmoid"), ("softmax_ce", "softmax"))


def random_design(seed: int, masked: bool = True, dead: bool = False) -> Graph:
    """A random DAG: input, 1-4 hidden nodes (sizes 1-4, skips), an output; maybe masked edges."""
    rng = np.random.default_rng(seed)
    loss, out_act = OUTPUTS[seed % len(OUTPUTS)]
    g = Graph(loss=loss)
    g.add_node("input", int(rng.integers(1, 4)), id="x")
    hidden = []
    for k in range(int(rng.integers(1, 5))):
        h = g.add_node("hidden", int(rng.integers(1, 5)), str(rng.choice(SMOOTH)), id=f"h{k + 1}").id
        sources = ["x"] + hidden
        picks = [s for s in sources if rng.random() < 0.5] or [sources[-1]]
        for s in picks:
            g.connect(s, h)
        hidden.append(h)
    out_size = 1 if out_act != "softmax" else int(rng.integers(2, 4))
    g.add_node("output", out_size, out_act, id="y")
    feeders = [h for h in hidden if not g.outgoing(h)] or [hidden[-1]]
    for s in set(feeders) | {s for s in ["x"] + hidden if rng.random() < 0.3}:
        g.connect(s, "y")
    if masked:
        for c in list(g.connections.values()):
            shape = (g.nodes[c.dst].size, g.nodes[c.src].size)
            if shape[0] * shape[1] > 2 and rng.random() < 0.6:
                mask = np.ones(shape)
                mask[rng.integers(shape[0]), rng.integers(shape[1])] = 0
                g.set_mask(c.src, c.dst, mask)
    if dead:
        g.add_node("hidden", 2, "tanh", id="dead")
        g.connect("x", "dead")
    g.check_complete()
    g.check_loss()
    return g


def example(net: Network, batch: int = 1, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, net.sizes[net.input]))
    size = net.sizes[net.output]
    if net.loss == "mse" and net.activation[net.output] != "softmax":
        T = rng.uniform(-0.5, 1.0, size=(batch, size))
    elif size == 1:
        T = rng.integers(0, 2, size=(batch, 1)).astype(float)
    else:
        T = np.eye(size)[rng.integers(0, size, batch)]
    return X, T


def make(seed: int, batch: int = 1, lr=0.1, **kw):
    g = random_design(seed, **kw)
    net = Network(g, seed=seed, dtype="float64")
    X, T = example(net, batch, seed)
    steps = net.trace(X, T, lr=lr)
    return g, net, X, T, steps, ReplayTimeline(steps, g)


def skip_design() -> Graph:
    g = Graph(loss="bce")
    g.add_node("input", 2, id="x", position=(0, 0))
    g.add_node("hidden", 3, "tanh", id="h1", position=(240, -90))
    g.add_node("hidden", 2, "tanh", id="h2", position=(480, 90))
    g.add_node("output", 1, "sigmoid", id="y", position=(720, 0))
    for s, d in (("x", "h1"), ("h1", "h2"), ("h2", "y"), ("h1", "y"), ("x", "h2")):
        g.connect(s, d)
    return g


def test_frames_follow_forward_loss_backward_update():
    g = skip_design()
    net = Network(g, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]), lr=0.1)
    tl = ReplayTimeline(steps, g)
    phases = tl.phases()
    assert tl.order("forward") == g.topological_order() == ["x", "h1", "h2", "y"]
    assert tl.order("loss") == ["y"]
    assert tl.order("backward") == ["y", "h2", "h1"]
    # h1 feeds h2 and y: two gather frames, one per path, just before δ(h1)
    assert [tl.frame(k).path for k, p in enumerate(phases) if p == "gather"] == ["h2", "y"]
    assert phases == ["forward"] * 4 + ["loss", "backward", "backward", "gather", "gather",
                                        "backward", "update"]
    assert phases.index("gather") == len(phases) - 4


@pytest.mark.parametrize("seed", range(12))
def test_every_node_once_forward_and_once_backward_in_order(seed):
    g, net, X, T, steps, tl = make(seed, dead=seed % 3 == 0)
    order = g.topological_order()
    assert tl.order("forward") == order
    reaching = nodes_reaching_output(g)         # the nodes the loss depends on
    live = [n for n in reversed(order) if n in reaching and n != net.input]
    assert tl.order("backward") == live
    if seed % 3 == 0:
        assert "dead" in tl.order("forward") and "dead" not in tl.order("backward")
    phases = tl.phases()
    for k, p in enumerate(phases):
        if p == "gather":  # gathers of a node lead straight to that node's δ frame
            node = tl.frame(k).node
            nxt = next(j for j in range(k + 1, len(phases)) if phases[j] != "gather")
            assert phases[nxt] == "backward" and tl.frame(nxt).node == node
    for n in live:
        outs = [c.dst for c in g.outgoing(n) if c.dst in reaching]
        gathers = [tl.frame(k).path for k, p in enumerate(phases)
                   if p == "gather" and tl.frame(k).node == n]
        assert gathers == (outs if len(outs) > 1 else [])
    assert phases[-1] == "update" and phases.count("loss") == 1


@pytest.mark.parametrize("seed", range(8))
def test_values_at_each_frame_are_the_traces(seed):
    g, net, X, T, steps, tl = make(seed, batch=1 + seed % 3)
    fwd = {s.node: s for s in steps if s.phase == "forward"}
    back = {s.node: s for s in steps if s.phase == "backward"}
    seen_forward, seen_backward = set(), set()
    for k in range(len(tl)):
        f = tl.frame(k)
        if f.phase == "forward":
            seen_forward.add(f.node)
        if f.phase == "backward":
            seen_backward.add(f.node)
        for n in seen_forward:
            assert f.values[n]["a"] is fwd[n].values["a"]
            if n != "x":
                assert f.values[n]["z"] is fwd[n].values["z"]
        for n in set(g.nodes) - seen_forward:
            assert n not in f.values
        for n in seen_backward:
            assert f.values[n]["delta"] is back[n].values["delta"]
            for s in net.incoming[n]:
                assert f.gradients[(s, n)] is back[n].values[f"dL/dW:{s}"]
        # a gradient is known exactly when δ of its destination is
        assert {d for (_, d) in f.gradients} == seen_backward
        for (s, d), c in f.contributions.items():
            assert d in seen_forward and c is fwd[d].contributions[s]
        for (s, d), p in f.paths.items():
            assert p is back[s].contributions[d]
        assert (f.loss is not None) == (k >= tl.first_frame("loss"))
    last = tl.frame(len(tl) - 1)
    grads = trace_gradients(steps)
    _, reference = net.loss_and_gradients(X, T)
    for (s, d), gw in last.gradients.items():
        assert np.array_equal(gw, grads[f"W:{s}->{d}"])
        np.testing.assert_allclose(gw, reference[f"W:{s}->{d}"], rtol=1e-10, atol=1e-14)
    assert last.changes is steps[-1].values["changes"]


def test_stepping_back_returns_the_same_state():
    g, net, X, T, steps, tl = make(5, batch=2)
    forward_pass = [tl.frame(k) for k in range(len(tl))]
    for k in reversed(range(len(tl))):
        again = tl.frame(k)
        before = forward_pass[k]
        assert again.phase == before.phase and again.node == before.node
        assert again.lit == before.lit and again.caption == before.caption
        assert again.values.keys() == before.values.keys()
        for n in again.values:
            assert again.values[n].keys() == before.values[n].keys()
            for name in again.values[n]:
                assert np.array_equal(again.values[n][name], before.values[n][name])
        assert again.gradients.keys() == before.gradients.keys()
        assert again.paths.keys() == before.paths.keys()
    fresh = ReplayTimeline(steps, g)  # a frame computed cold equals the cached one
    assert fresh.frame(len(tl) // 2).values.keys() == tl.frame(len(tl) // 2).values.keys()


def test_lit_nodes_and_active_connections():
    g = skip_design()
    net = Network(g, dtype="float64")
    tl = ReplayTimeline(net.trace(np.array([[0.5, -1.0]]), np.array([[0.0]])), g)
    assert tl.frame(0).lit == {"x"}
    assert tl.frame(2).lit == {"x", "h1", "h2"} and set(tl.frame(2).active_connections) == \
        {("h1", "h2"), ("x", "h2")}
    loss = tl.frame(tl.first_frame("loss"))
    assert loss.lit == {"y"} and loss.node == "y"
    back = tl.first_frame("backward")
    assert tl.frame(back).lit == {"y"}
    assert set(tl.frame(back).active_connections) == {("h2", "y"), ("h1", "y")}
    gather = tl.first_frame("gather")
    assert tl.frame(gather).active_connections == (("h1", "h2"),)
    assert tl.frame(gather).lit == {"y", "h2", "h1"}
    assert tl.phases()[-1] == "backward"  # no learning rate: no update frame
    assert tl.frame(10_000).index == len(tl) - 1 and tl.frame(-3).index == 0


def test_captions_name_nodes_and_carry_the_numbers():
    g = skip_design()
    g.update_node("h1", name="hidden A")
    net = Network(g, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]), lr=0.05)
    tl = ReplayTimeline(steps, g)
    loss = steps[4]
    caps = [tl.frame(k).caption for k in range(len(tl))]
    assert caps[0].startswith("Forward: input x = (0.5, −1)")
    assert "Forward: hidden A = tanh(z)" in caps[1] and fmt(steps[1].values["a"][0, 0]) in caps[1]
    assert caps[4].startswith("Loss:") and fmt(loss.values["L"]) in caps[4]
    assert "δ(y) = y − t" in caps[5] and fmt(steps[5].values["delta"][0, 0]) in caps[5]
    assert "gathering path 1 of 2 into hidden A" in caps[7]
    assert "Backward: δ(hidden A) = Σ paths" in caps[9]
    assert caps[-1].startswith("Update:") and "0.05" in caps[-1]
    assert "adam scales" in caps[-1]          # the trainer's default optimiser is not plain SGD
    g.settings["optimizer"] = "sgd"
    assert "scales" not in ReplayTimeline(steps, g).frame(len(tl) - 1).caption


def test_formatting():
    assert fmt(-0.021834) == "−0.02183"
    assert fmt(0) == "0" and fmt(1.0) == "1" and fmt(123456) == "1.235e+05"
    assert vector_text(np.array([1.0, -2.0, 3.0, 4.0, 5.0]), 3) == "(1, −2, 3, …)"
    assert vector_text(np.array([[0.5]])) == "0.5"


def test_empty_trace_is_refused():
    with pytest.raises(ValueError, match="empty"):
        ReplayTimeline([], skip_design())


def test_timeline_and_explain_do_not_import_qt():
    import subprocess
    import sys
    code = ("import sys, gui.replay.timeline, gui.replay.explain; "
            "sys.exit(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))")
    root = Path(__file__).resolve().parents[2]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
