"""Bad numbers and big designs: vanishing and exploding gradients, a learning rate of 1e6,
a layer of 4,096 neurons, and chains of 1,000 single neurons (with and without skips)."""
import importlib.util
import inspect
import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

try:        # imported here: importing them under the test's low recursion limit could fail
    import onnxruntime as ort
    import torch
except ImportError:
    ort = torch = None

from engine import Graph, Network
from engine.data.datasets import load_dataset
from engine.io.onnx_export import export_onnx
from engine.io.weights import load_weights, save_weights
from engine.nn.gradcheck import slope
from engine.model.param_names import connection_named, is_bias
from engine.nn.trace import trace_gradients
from engine.train.trainer import CHECKPOINT_EVERY, Trainer, TrainingConfig
from tests.engine.strategies import mlp

CHAIN = 1000
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
_counter = itertools.count()


def chain(n=CHAIN, skips=False) -> Graph:
    """x (2) → n single neurons → y (1, linear, mse). With ``skips``: activations cycle through
    the hidden ones, every third neuron also takes the one two back and every seventh the input."""
    acts = ("tanh", "linear", "sigmoid", "elu", "softplus", "swish", "leaky_relu", "relu")
    g = Graph("mse")
    g.add_node("input", 2, id="x")
    prev = "x"
    for i in range(n):
        h = f"h{i}"
        g.add_node("hidden", 1, acts[i % len(acts)] if skips else "tanh", id=h,
                   position=(200.0 * (i + 1), 0.0))
        g.connect(prev, h)
        if skips and i >= 2 and i % 3 == 0:
            g.connect(f"h{i - 2}", h)
        if skips and i % 7 == 0 and prev != "x":
            g.connect("x", h)
        prev = h
    g.add_node("output", 1, "linear", id="y", position=(200.0 * (n + 1), 0.0))
    g.connect(prev, "y")
    return g


def carry_signal(net: Network, seed: int = 0) -> None:
    """Weights that pass a signal down a long chain: 1 along it, 0.5 on skips, biases ~N(0, 0.3).

    With the default initialisation the product of a thousand random weights is 0.0
    exactly, and every comparison below would compare zeros."""
    rng = np.random.default_rng(seed)
    position = {n: i for i, n in enumerate(net.order)}
    for name, p in net.parameters().items():
        if is_bias(name):
            p[...] = rng.normal(0, 0.3, p.shape)
            continue
        src, dst = connection_named(name, net.masks)
        p[...] = 1.0 if position[dst] - position[src] == 1 else 0.5


def finite(arrays) -> bool:
    return all(np.isfinite(a).all() for a in arrays)


def copies(params: dict) -> dict:
    return {k: v.copy() for k, v in params.items()}


def central_difference(net: Network, X, T, name: str, index, h: float = 1e-6) -> float:
    return slope(net, X, T, name, index, h, points=2)


# ----- vanishing and exploding ----------------------------------------------------------
def test_a_deep_sigmoid_stack_has_tiny_but_finite_gradients_and_trains():
    g = mlp((2,) + (8,) * 12 + (1,), "sigmoid", "sigmoid", "bce")
    data = load_dataset("circle", loss="bce")
    net = Network(g, dtype="float64")
    X, T = data.X_train[:64], data.T_train[:64]
    _, grads = net.loss_and_gradients(X, T)
    norms = [np.linalg.norm(grads[f"W:{c.key}"]) for c in g.connections.values()]
    assert finite(grads.values()) and all(n > 0 for n in norms)
    assert norms[0] < 1e-5 * norms[-1]                        # vanished: decades apart
    # Tiny is still right: a finite difference on the first layer agrees (float64; a
    # gradient 1e-10 of the loss leaves the difference few digits above rounding).
    fd = central_difference(net, X, T, "W:x1->h1", (3, 1), h=1e-3)
    assert fd == pytest.approx(grads["W:x1->h1"][3, 1], rel=1e-2)
    t = Trainer(Network(g), data, TrainingConfig(optimizer="adam", lr=0.01))
    first = t.network.parameters()["W:x1->h1"].copy()
    assert t.run(epochs=2) == "finished" and t.diverged_reason is None
    assert all(np.isfinite(r.train_loss) for r in t.history)
    assert not np.array_equal(first, t.network.parameters()["W:x1->h1"])   # still learns


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_an_exploding_relu_stack_diverges_at_once_and_keeps_the_weights_it_had():
    g = mlp((2,) + (16,) * 40 + (1,), "relu", "linear", "mse")
    net = Network(g)
    for p in net.parameters().values():
        p *= 4.0                               # each layer ×4 (He-scaled): the output ~1e24
    start = copies(net.parameters())
    t = Trainer(net, load_dataset("plane", loss="mse"), TrainingConfig(optimizer="sgd", lr=0.01))
    seen = []
    t.events.diverged.connect(seen.append)
    loss = t.step()
    assert not np.isfinite(loss)
    assert seen == [t.diverged_reason]
    assert t.diverged_reason.startswith("diverged at epoch 1, step 1: the loss became")
    assert "weights of step 0 are restored" in t.diverged_reason
    assert t.step_count == 0
    for k, p in net.parameters().items():
        np.testing.assert_array_equal(p, start[k])
    assert finite(net.gradients.values())      # the diverged step's inf/NaN gradients are gone


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_deep_linear_stack_that_blows_up_later_goes_back_to_its_last_checkpoint():
    g = mlp((4,) + (16,) * 10 + (1,), "linear", "linear", "mse")
    t = Trainer(Network(g), load_dataset("house_prices", loss="mse"),
                TrainingConfig(optimizer="sgd", lr=1e-3, batch_size=8))
    after_step = {0: copies(t.network.parameters())}
    t.events.step_finished.connect(lambda step, _: after_step.update({step: copies(
        t.network.parameters())}))
    for _ in range(CHECKPOINT_EVERY + 7):    # past an epoch start and a periodic checkpoint
        t.step()
    assert t.diverged_reason is None
    t.lr = 1e6
    while t.diverged_reason is None:
        t.step()
    cp = t.checkpoint_step
    assert cp > 0 and t.step_count == cp                 # a checkpoint after good steps
    assert f"the weights of step {cp} are restored" in t.diverged_reason
    for k, p in t.network.parameters().items():
        np.testing.assert_array_equal(p, after_step[cp][k])
    assert finite(t.network.gradients.values())
    t.lr = 1e-3                                # and it trains on from there
    assert np.isfinite(t.step()) and t.diverged_reason is None


LR_DESIGNS = {
    "relu-mse": (lambda: mlp((4, 16, 16, 1), "relu", "linear", "mse"), "house_prices"),
    "softmax": (lambda: mlp((4, 16, 3), "leaky_relu", "softmax", "softmax_ce"), "iris"),
    "tanh-bce": (lambda: mlp((2, 8, 8, 1), "tanh", "sigmoid", "bce"), "circle"),
    "skip-elu": (lambda: Graph.load(EXAMPLES / "skip_connection.json"), None),
}


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("design", sorted(LR_DESIGNS))
def test_a_learning_rate_of_a_million_pauses_with_a_reason_or_runs_on_finite_numbers(design, optimizer):
    make, data = LR_DESIGNS[design]
    g = make()
    if data is None:
        from engine.data.datasets import from_settings
        dataset = from_settings(g.settings, g.loss)
    else:
        dataset = load_dataset(data, loss=g.loss)
    t = Trainer(Network(g), dataset, TrainingConfig(optimizer=optimizer, lr=1e6, batch_size=16))
    good = {0: copies(t.network.parameters())}
    t.events.step_finished.connect(lambda step, _: good.update({step: copies(t.network.parameters())}))
    why = t.run(epochs=3)
    params = t.network.parameters()
    assert finite(params.values()) and finite(t.network.gradients.values())
    if why == "diverged":
        reason = t.diverged_reason
        assert reason.startswith("diverged at epoch ") and "try a smaller learning rate" in reason
        assert "the loss became" in reason or "weights became" in reason
        for k, p in params.items():
            np.testing.assert_array_equal(p, good[t.checkpoint_step][k])
    else:
        # Bounded activations (tanh, sigmoid) or Adam's bounded steps: huge weights, finite loss.
        assert why == "finished" and all(np.isfinite(r.train_loss) for r in t.history)
    if optimizer != "adam" and design == "relu-mse":
        assert why == "diverged"               # unbounded activations under plain steps: must blow up


# ----- wide -----------------------------------------------------------------------------
def test_a_layer_of_4096_neurons_trains_on_digits():
    g = mlp((64, 4096, 10), "tanh", "softmax", "softmax_ce")
    t = Trainer(Network(g), load_dataset("digits", loss=g.loss), TrainingConfig(lr=0.001))
    for _ in range(20):                        # its speed: bench/numbers_gui.py
        assert np.isfinite(t.step())
    report = t.run_epoch()
    assert report is not None and report.val_metric > 0.8


def test_a_layer_of_4096_neurons_has_the_finite_difference_gradient():
    g = mlp((2, 4096, 1), "tanh", "sigmoid", "bce")
    net = Network(g, seed=2, dtype="float64")
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(8, 2)), rng.integers(0, 2, (8, 1)).astype(float)
    _, grads = net.loss_and_gradients(X, T)
    for name, index in (("W:x1->h1", (4095, 1)), ("W:h1->y1", (0, 2048)), ("b:h1", (17,))):
        fd = central_difference(net, X, T, name, index)
        assert fd == pytest.approx(grads[name][index], rel=1e-5, abs=1e-11)


# ----- a chain of 1,000 single neurons ------------------------------------------------
@pytest.fixture(params=[False, True], ids=["plain", "skips"])
def long_chain(request):
    g = chain(skips=request.param)
    assert len(g.nodes) == CHAIN + 2
    return g


@pytest.fixture
def shallow_stack():
    """Python's recursion limit a little above the current depth: no code under test may
    recurse once per node (a thousand nodes would need a thousand frames)."""
    limit = sys.getrecursionlimit()
    depth = len(inspect.stack(0))
    sys.setrecursionlimit(depth + 150)
    yield
    sys.setrecursionlimit(limit)


def test_a_chain_of_1000_neurons_saves_loads_compiles_and_traces(long_chain, tmp_path, shallow_stack):
    g = long_chain
    g.save(tmp_path / "chain.json")
    back = Graph.load(tmp_path / "chain.json")
    assert back.same_design(g)
    assert g.depths()["y"] == CHAIN + 1
    copy = Graph()
    copy.restore(g.snapshot())
    assert copy.same_design(g)
    net = Network(back, dtype="float64")
    carry_signal(net)
    rng = np.random.default_rng(1)
    X, T = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    y = net.forward(X)
    assert finite([y]) and np.abs(y).max() > 1e-3          # a signal came through
    loss, grads = net.loss_and_gradients(X, T)
    assert np.isfinite(loss) and finite(grads.values())
    steps = net.trace(X, T, lr=0.1)
    nodes = len(g.nodes)
    assert len(steps) == nodes + 1 + (nodes - 1) + 1    # forward per node, loss, backward, update
    traced = trace_gradients(steps)
    for k, v in grads.items():
        np.testing.assert_allclose(traced[k], v, rtol=1e-9, atol=1e-300)
    # Float64 finite differences where the gradient is not vanishingly small: the end of the
    # chain, and (with skips) a connection from the input far back.
    names = [f"W:h{CHAIN - 1}->y", "b:y", f"b:h{CHAIN - 2}", f"W:h{CHAIN - 3}->h{CHAIN - 2}"]
    if any(c.src == "x" and c.dst == f"h{CHAIN - 6}" for c in g.connections.values()):
        names.append(f"W:x->h{CHAIN - 6}")
    for name in names:
        index = (0,) * net.parameters()[name].ndim
        fd = central_difference(net, X, T, name, index)
        assert fd == pytest.approx(grads[name][index], rel=1e-5, abs=1e-10), name


def test_a_chain_of_1000_neurons_trains_and_exports(long_chain, tmp_path, shallow_stack):
    g = long_chain
    net = Network(g)
    carry_signal(net)
    X = np.random.default_rng(2).normal(size=(5, 2)).astype(np.float32)
    t = Trainer(net, load_dataset("plane", loss="mse"), TrainingConfig(optimizer="sgd", lr=0.01))
    for _ in range(5):
        assert np.isfinite(t.step())
    assert t.diverged_reason is None and finite(net.parameters().values())
    params = net.parameters()
    save_weights(params, tmp_path / "w.npz", design=g.to_dict())
    loaded = load_weights(tmp_path / "w.npz")
    assert all(np.array_equal(loaded[k], p) for k, p in params.items())

    if ort is None or torch is None:
        pytest.skip("onnxruntime and torch are needed to check the exports")
    export_onnx(g, params, tmp_path / "chain.onnx")
    session = ort.InferenceSession(str(tmp_path / "chain.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": X})[0], net.forward(X), rtol=1e-4, atol=1e-5)

    from engine.io.pytorch_export import class_name_for, export_pytorch
    path = tmp_path / "chain.py"
    export_pytorch(g, params, path)
    spec = importlib.util.spec_from_file_location(f"chain_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, class_name_for(path))().load_weights()
    with torch.no_grad():
        y = model(torch.tensor(X)).numpy()
    np.testing.assert_allclose(y, net.forward(X), rtol=1e-4, atol=1e-5)
