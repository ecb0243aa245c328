"""Backward pass against finite differences on random designs (float64, relative error < 1e-6)."""
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import Graph, Network
from engine.nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from engine.train.optimizers import make_optimizer
from tests.engine.strategies import (LOSS_OUTPUTS, Case, kink_free, network_cases, numerical_gradients,
                        random_parameters, relative_error, targets)

TOLERANCE = 1e-6
CI = settings(deadline=None, derandomize=True, max_examples=100,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def assert_matches_finite_differences(case: Case):
    net = case.network("float64")
    loss, analytic = net.loss_and_gradients(case.X, case.T, case.l1, case.l2)
    assert np.isfinite(loss)
    numeric = numerical_gradients(net, case.X, case.T, case.l1, case.l2)
    assert analytic.keys() == numeric.keys() == net.parameters().keys()
    errors = {k: relative_error(analytic[k], numeric[k]) for k in analytic}
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOLERANCE, (
        f"{worst}: relative error {errors[worst]:.2e}\nanalytic {analytic[worst]}\n"
        f"numeric {numeric[worst]}\n{case!r}")


@CI
@given(network_cases())
def test_gradients_match_finite_differences_on_random_designs(case):
    assume(kink_free(case))
    assert_matches_finite_differences(case)


def _small_design(hidden_act: str, loss: str, out_act: str) -> Graph:
    """x(3) → h(4) → y(3), a skip x → y and a second hidden branch, one edge masked."""
    g = Graph(loss=loss)
    g.add_node("input", 3, id="x")
    g.add_node("hidden", 4, hidden_act, id="h")
    g.add_node("hidden", 2, hidden_act, id="k")
    g.add_node("output", 3, out_act, id="y")
    g.connect("x", "h")
    g.connect("x", "k")
    g.connect("h", "k", mask=np.array([[1, 0, 1, 1], [1, 1, 1, 0]]))
    g.connect("h", "y")
    g.connect("k", "y")
    g.connect("x", "y")
    return g


COMBINATIONS = [(act, loss, out) for act in HIDDEN_ACTIVATIONS
                for loss, outs in LOSS_OUTPUTS for out in outs]


@pytest.mark.parametrize("hidden_act,loss,out_act", COMBINATIONS)
def test_every_activation_and_loss(hidden_act, loss, out_act):
    """Each hidden activation under each loss and fitting output activation, with penalties."""
    g = _small_design(hidden_act, loss, out_act)
    rng = np.random.default_rng(zlib.crc32(f"{hidden_act} {loss} {out_act}".encode()))   # the same every run
    for attempt in range(20):
        X = rng.normal(size=(4, 3))
        case = Case(g, X, targets(rng, loss, 4, 3), 0.01, 0.05, seed=attempt)
        case.params = random_parameters(Network(g, seed=attempt, dtype="float64"), rng)
        if kink_free(case):
            break
    else:
        pytest.fail("could not draw a point away from the relu kinks")
    assert_matches_finite_differences(case)


def test_all_activations_are_covered():
    assert {a for a, _, _ in COMBINATIONS} == set(HIDDEN_ACTIVATIONS)
    assert {o for _, _, o in COMBINATIONS} == set(ACTIVATIONS)


@CI
@given(network_cases(penalties=False), st.integers(1, 5), st.sampled_from(HIDDEN_ACTIVATIONS),
       st.data())
def test_node_that_does_not_reach_the_output_gets_zero_gradients(case, size, act, data):
    g = case.graph
    sources = [n for n in g.nodes if g.nodes[n].kind != "output"]
    for src in data.draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3, unique=True)):
        if "dead" not in g.nodes:
            g.add_node("hidden", size, act, id="dead")
        g.connect(src, "dead")
    rng = np.random.default_rng(case.seed)
    case.params = random_parameters(Network(g, dtype="float64"), rng)
    net = case.network()
    _, grads = net.loss_and_gradients(case.X, case.T)
    for c in g.incoming("dead"):
        assert np.array_equal(grads[f"W:{c.src}->dead"], np.zeros((size, g.nodes[c.src].size)))
    assert np.array_equal(grads["b:dead"], np.zeros(size))
    # Its penalty gradient is all that remains when L1/L2 are on.
    _, penalised = net.loss_and_gradients(case.X, case.T, l1=0.01, l2=0.1)
    for c in g.incoming("dead"):
        w = net.W[(c.src, "dead")]
        np.testing.assert_allclose(penalised[f"W:{c.src}->dead"], 0.1 * w + 0.01 * np.sign(w),
                                   rtol=1e-12, atol=1e-15)
    # And the rest of the network is unaffected: finite differences still agree.
    assume(kink_free(case))
    assert_matches_finite_differences(case)


def _masked(net: Network):
    return [(f"W:{s}->{d}", m == 0) for (s, d), m in net.masks.items() if m is not None]


@settings(CI, max_examples=60)
@given(network_cases(), st.sampled_from(["sgd", "momentum", "nesterov", "adam"]),
       st.sampled_from(["float32", "float64"]))
def test_masked_weights_have_zero_gradient_and_stay_zero_while_training(case, opt, dtype):
    net = case.network(dtype)
    masked = _masked(net)
    assume(any(off.any() for _, off in masked))
    params = net.parameters()
    for name, off in masked:
        assert not params[name][off].any(), f"{name}: masked weight not zero after loading"
    _, grads = net.loss_and_gradients(case.X, case.T, case.l1, case.l2)
    for name, off in masked:
        assert not grads[name][off].any(), f"{name}: masked gradient not exactly zero"
    before = {k: p.copy() for k, p in params.items()}
    optimizer = make_optimizer(opt, 0.05)
    X, T = case.X.astype(dtype), case.T.astype(dtype)
    # A random network may diverge within five steps (numpy then warns of inf and NaN in its
    # products); masked weights must stay exactly zero all the same.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(5):
            net.train_step(X, T, optimizer, case.l1, case.l2)
    for name, off in masked:
        assert not params[name][off].any(), f"{name}: masked weight moved under {opt}"
    # The unmasked weights did train (the check above is not vacuous), unless nothing can
    # (a one-neuron softmax output has zero gradients everywhere).
    if any(np.abs(g).max() > 1e-3 for g in grads.values()):
        assert any(not np.array_equal(before[k], p) for k, p in params.items())
