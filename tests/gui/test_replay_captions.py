"""The replay's captions carry the numbers: every term of a sum, every factor of a product."""
import re

import numpy as np
import pytest

from engine import Graph, Network
from engine.files.resources import example_path
from gui.core.formatting import fmt
from gui.replay.timeline import ReplayTimeline
from tests.gui.test_replay_timeline import example, random_design, skip_design

NUMBER = r"−?\d+(?:\.\d+)?(?:e[+−-]?\d+)?"


def numbers(text: str) -> list[float]:
    return [float(s.replace("−", "-")) for s in re.findall(NUMBER, text)]


def xor_timeline():
    g = Graph.load(example_path("xor_neurons"))
    net = Network(g, seed=0, dtype="float64")
    X, T = np.array([[0.3277, -0.9559]]), np.array([[0.0]])
    return g, net, ReplayTimeline(net.trace(X, T, lr=0.03), g, net=net), X


def test_forward_lists_every_w_times_a_and_the_bias():
    g, net, tl, X = xor_timeline()
    k = tl.order("forward").index("n1")
    caption = tl.frame(k).caption
    w = net.W[("x", "n1")][0]
    terms = [w[0] * X[0, 0], w[1] * X[0, 1]]
    z = terms[0] + terms[1] + net.b["n1"][0]
    assert caption.startswith("Forward: n1 = tanh(z), z = Σ w·a + b = ")
    assert fmt(terms[0]) in caption and fmt(abs(terms[1])) in caption    # both terms, not grouped
    assert f"= {fmt(z)} → a = tanh({fmt(z)}) = {fmt(np.tanh(z))}" in caption
    sum_part = caption.split("Σ w·a + b = ")[1].split(" = ")[0]
    signed = sum_part.replace(" − ", " + −").split(" + ")
    assert len(signed) == 3 and sum(numbers(" ".join(signed))) == pytest.approx(z, abs=2e-3)


def test_delta_of_a_single_path_shows_its_three_factors():
    g, net, tl, _ = xor_timeline()
    back = [tl.frame(k) for k in range(len(tl)) if tl.frame(k).phase == "backward"]
    n4 = next(f for f in back if f.node == "n4")
    delta_y = next(f for f in back if f.node == "y").values["y"]["delta"][0, 0]
    head = n4.caption.split(";")[0]
    assert head.startswith("Backward: δ(n4) = δ(y) · W · tanh′(z) = ")
    factors = head.split(" = ")[2].split(" · ")
    assert len(factors) == 3 and fmt(delta_y) == factors[0] and fmt(net.W[("n4", "y")][0, 0]) == factors[1]
    product = np.prod([float(f.replace("−", "-")) for f in factors])
    assert product == pytest.approx(n4.values["n4"]["delta"][0, 0], rel=2e-3)   # 4-digit factors
    assert head.endswith(f"= {fmt(n4.values['n4']['delta'][0, 0])}")


def test_fused_output_and_sums_of_paths_show_their_numbers():
    g = skip_design()
    net = Network(g, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]))
    tl = ReplayTimeline(steps, g, net=net)
    caps = [tl.frame(k).caption for k in range(len(tl))]
    y = steps[4].values["y"][0, 0]
    assert f"δ(y) = y − t (fused with the loss) = {fmt(y)} − 1 = {fmt(y - 1)}" in caps[5]
    h1 = next(c for c in caps if c.startswith("Backward: δ(h1)"))
    assert "Σ paths (h2, y) ⊙ tanh′(z) = (" in h1
    h1_step = next(s for s in steps if s.phase == "backward" and s.node == "h1")
    for part in h1_step.contributions.values():
        assert fmt(part[0, 0]) in h1


@pytest.mark.parametrize("seed", range(8))
def test_random_designs_replay_with_captions(seed):
    g = random_design(seed)
    net = Network(g, seed=seed, dtype="float64")
    X, T = example(net, 1 + seed % 2, seed)
    tl = ReplayTimeline(net.trace(X, T, lr=0.1), g, net=net)
    for k in range(len(tl)):
        f = tl.frame(k)
        assert f.caption and "nan" not in f.caption
        if f.phase == "backward":
            assert fmt(f.values[f.node]["delta"][0, 0]) in f.caption
