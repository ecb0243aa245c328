"""The compiled step: its source shows in tracebacks, and it is written from each activation's kernel."""
import gc
import linecache
import re
import traceback

import numpy as np
import pytest

from engine import Network
from engine.model.reach import nodes_reaching_output
from engine.nn import activations, losses
from engine.nn.buffers import Buffers
from engine.nn.gradcheck import check_gradients
from engine.nn.step_code import StepCode
from tests.engine.strategies import mlp


def test_an_exception_inside_the_generated_code_shows_its_line_in_the_traceback():
    net = Network(mlp((3, 4, 1), "tanh", "sigmoid", "bce"), dtype="float64")
    code = StepCode(net, Buffers(net, 2))
    assert code.filename.startswith("<step_code 3-4-1 batch 2")
    with pytest.raises(ValueError) as info:
        code.forward(np.zeros((2, 5)))              # 5 inputs where the weights expect 3
    text = "".join(traceback.format_exception(info.value))
    first = code.source.splitlines()[1].strip()     # the first product, dot(X, Wt…, out=z…)
    assert first.startswith("dot(X, ")
    assert f'File "{code.filename}", line 2, in forward' in text
    assert first in text


def test_the_source_leaves_linecache_with_its_step_code():
    net = Network(mlp((2, 3, 1)), dtype="float64")
    code = StepCode(net, Buffers(net, 4))
    name = code.filename
    assert linecache.getline(name, 1) == "def forward(X):\n"
    del code
    gc.collect()
    assert name not in linecache.cache


def _pattern(template: str) -> re.Pattern:
    """A kernel line with any array name in each {placeholder}."""
    return re.compile(re.sub(r"\\{\w+\\}", r"\\w+", re.escape(template)))


@pytest.mark.parametrize("act", activations.HIDDEN_ACTIVATIONS)
def test_every_hidden_activation_is_compiled_from_its_own_kernels(act):
    kind = activations.BY_NAME[act]
    net = Network(mlp((2, 3, 1), act, "sigmoid", "bce"), dtype="float64")
    code = StepCode(net, Buffers(net, 4))
    lines = [line.strip() for line in code.source.splitlines()]
    for template in kind.kernel + kind.delta_kernel:
        if act == "linear":         # a shares z's array, dL/dz dL/da's: nothing to compute
            assert not any(_pattern(template).fullmatch(line) for line in lines)
        else:
            assert any(_pattern(template).fullmatch(line) for line in lines), template


@pytest.mark.parametrize("loss,out", [("mse", "linear"), ("bce", "sigmoid"),
                                      ("softmax_ce", "softmax"), ("mse", "softmax")])
def test_the_compiled_loss_equals_the_reference_formula(loss, out):
    net = Network(mlp((2, 3, 2), "elu", out, loss), seed=1, dtype="float64")
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(5, 2)), rng.random((5, 2))
    if loss != "mse":
        T = np.eye(2)[rng.integers(0, 2, 5)]
    value = net.loss_value(X, T)
    assert value == pytest.approx(losses.value(loss, net.z[net.output], net.a[net.output], T),
                                  rel=1e-13)


def test_check_gradients_reports_each_parameter_and_samples_large_ones():
    g = mlp((3, 30, 2), "tanh", "softmax", "softmax_ce")
    net = Network(g, seed=0, dtype="float64")
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    before = {k: p.copy() for k, p in net.parameters().items()}
    results = check_gradients(net, X, T, seed=3, max_entries=10)
    assert [r.name for r in results] == list(net.parameters())
    for r in results:
        assert r.checked == min(10, int(np.prod(r.shape))) and r.skipped == 0
        assert r.max_error < 1e-6
        checked = ~np.isnan(r.numeric)
        assert checked.sum() == r.checked
        np.testing.assert_allclose(r.numeric[checked], r.analytic[checked], rtol=1e-6, atol=1e-9)
    for k, p in net.parameters().items():
        np.testing.assert_array_equal(p, before[k])     # every nudge undone exactly


def test_nodes_reaching_output_leave_out_dead_ends():
    g = mlp((2, 3, 1))
    hidden = [n for n in g.nodes if g.nodes[n].kind == "hidden"][0]
    g.add_node("hidden", 2, "tanh", id="dead")
    g.connect(hidden, "dead")
    assert nodes_reaching_output(g) == set(g.nodes) - {"dead"}
    # the network trains only those: a dead end's parameters get no gradient, all others do
    _, grads = Network(g, seed=0, dtype="float64").loss_and_gradients(np.ones((4, 2)), np.ones((4, 1)))
    assert {k for k, v in grads.items() if not v.any()} == {f"W:{hidden}->dead", "b:dead"}
