"""Optimisers against hand formulas and against torch.optim on the same gradient sequence."""
import numpy as np
import pytest

from engine import Graph, Network
from engine.train.optimizers import OPTIMIZERS, SGD, Adam, Momentum, make_optimizer

SHAPES = {"W:x->y": (3, 4), "b:y": (3,)}


def start():
    rng = np.random.default_rng(0)
    params = {k: rng.normal(size=s) for k, s in SHAPES.items()}
    grads = [{k: rng.normal(size=s) for k, s in SHAPES.items()} for _ in range(12)]
    return params, grads


def run(optimizer, params, grads):
    """Apply the gradient sequence; return a copy of the parameters after every step."""
    history = []
    for g in grads:
        optimizer.step(params, g)
        history.append({k: p.copy() for k, p in params.items()})
    return history


def hand_sgd(p, grads, lr):
    out = []
    for g in grads:
        p = {k: p[k] - lr * g[k] for k in p}
        out.append(p)
    return out


def hand_momentum(p, grads, lr, mu, nesterov):
    v = {k: np.zeros_like(x) for k, x in p.items()}
    out = []
    for g in grads:
        v = {k: mu * v[k] - lr * g[k] for k in p}
        if nesterov:   # look-ahead: the step uses μ·v_new − lr·g
            p = {k: p[k] + mu * v[k] - lr * g[k] for k in p}
        else:
            p = {k: p[k] + v[k] for k in p}
        out.append(p)
    return out


def hand_adam(p, grads, lrs, b1=0.9, b2=0.999, eps=1e-8):
    m = {k: np.zeros_like(x) for k, x in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    out = []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        m = {k: b1 * m[k] + (1 - b1) * g[k] for k in p}
        v = {k: b2 * v[k] + (1 - b2) * g[k] ** 2 for k in p}
        p = {k: p[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
             for k in p}
        out.append(p)
    return out


def assert_histories_equal(got, want, rtol=1e-12):
    assert len(got) == len(want)
    for step, (a, b) in enumerate(zip(got, want)):
        for k in a:
            np.testing.assert_allclose(a[k], b[k], rtol=rtol, atol=1e-14, err_msg=f"step {step} {k}")


@pytest.mark.parametrize("make,hand", [
    (lambda: SGD(0.1), lambda p, g: hand_sgd(p, g, 0.1)),
    (lambda: Momentum(0.05, 0.9), lambda p, g: hand_momentum(p, g, 0.05, 0.9, False)),
    (lambda: Momentum(0.05, 0.8, nesterov=True), lambda p, g: hand_momentum(p, g, 0.05, 0.8, True)),
    (lambda: Adam(0.01), lambda p, g: hand_adam(p, g, [0.01] * len(g))),
    (lambda: Adam(0.02, 0.8, 0.99, 1e-6),
     lambda p, g: hand_adam(p, g, [0.02] * len(g), 0.8, 0.99, 1e-6)),
])
def test_against_hand_formulas(make, hand):
    params, grads = start()
    want = hand({k: v.copy() for k, v in params.items()}, grads)
    assert_histories_equal(run(make(), params, grads), want)


def torch_history(kind, params, grads, lrs, **kw):
    torch = pytest.importorskip("torch")
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    if kind == "adam":
        opt = torch.optim.Adam(tp.values(), lr=lrs[0], **kw)
    else:
        opt = torch.optim.SGD(tp.values(), lr=lrs[0], **kw)
    history = []
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        for k, p in tp.items():
            p.grad = torch.tensor(g[k], dtype=torch.float64)
        opt.step()
        history.append({k: p.detach().numpy().copy() for k, p in tp.items()})
    return history


@pytest.mark.parametrize("name,kind,kw", [
    ("sgd", "sgd", {}),
    ("momentum", "sgd", {"momentum": 0.9}),
    ("nesterov", "sgd", {"momentum": 0.9, "nesterov": True}),
    ("adam", "adam", {}),
])
def test_against_torch_optim(name, kind, kw):
    params, grads = start()
    lr = 0.03
    want = torch_history(kind, params, grads, [lr] * len(grads), **kw)
    assert_histories_equal(run(make_optimizer(name, lr), params, grads), want)


def test_adam_follows_a_changed_lr_like_torch():
    params, grads = start()
    lrs = [0.05] * 4 + [0.005] * 4 + [0.02] * 4
    want = torch_history("adam", params, grads, lrs)
    opt, got = Adam(lrs[0]), []
    for g, lr in zip(grads, lrs):
        opt.lr = lr
        got += run(opt, params, [g])
    assert_histories_equal(got, want)
    assert_histories_equal(got, hand_adam(start()[0], grads, lrs))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_changed_lr_takes_effect(name):
    """Same history up to step k; then a smaller lr gives a smaller step than the original."""
    params_a, grads = start()
    params_b = {k: v.copy() for k, v in params_a.items()}
    a, b = make_optimizer(name, 0.1), make_optimizer(name, 0.1)
    run(a, params_a, grads[:3])
    run(b, params_b, grads[:3])
    prev = {k: v.copy() for k, v in params_b.items()}
    b.lr = 0.01
    a.step(params_a, grads[3])
    b.step(params_b, grads[3])
    step_a = sum(np.abs(params_a[k] - prev[k]).sum() for k in prev)
    step_b = sum(np.abs(params_b[k] - prev[k]).sum() for k in prev)
    assert 0 < step_b < step_a


def test_sgd_lr_change_by_hand():
    p = {"w": np.array([1.0, -2.0])}
    opt = SGD(0.5)
    opt.step(p, {"w": np.array([1.0, 1.0])})
    opt.lr = 0.25
    opt.step(p, {"w": np.array([2.0, -4.0])})
    np.testing.assert_allclose(p["w"], [1.0 - 0.5 - 0.5, -2.0 - 0.5 + 1.0])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_masked_entries_stay_zero(name):
    mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 1, 1]], np.uint8)
    params, grads = start()
    params["W:x->y"] *= mask
    for g in grads:
        g["W:x->y"] *= mask
    run(make_optimizer(name, 0.1), params, grads)
    assert not params["W:x->y"][mask == 0].any()
    assert params["W:x->y"][mask == 1].all()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_masked_weights_stay_zero_through_network_training(name):
    g = Graph(loss="mse")
    g.add_node("input", 3, id="x")
    g.add_node("hidden", 4, "relu", id="h")
    g.add_node("output", 2, "linear", id="y")
    g.connect("x", "h", mask=[[1, 0, 1], [1, 1, 1], [0, 0, 1], [1, 1, 0]])
    g.connect("h", "y")
    g.connect("x", "y", mask=[[0, 1, 1], [1, 1, 0]])
    net = Network(g, seed=0)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3)).astype(np.float32)
    T = rng.normal(size=(8, 2)).astype(np.float32)
    opt = make_optimizer(name, 0.05)
    losses = [net.train_step(X, T, opt, l1=0.01, l2=0.01) for _ in range(30)]
    assert losses[-1] < losses[0]
    for (s, d), c in g.connections.items():
        if c.mask is not None:
            assert not net.parameters()[f"W:{s}->{d}"][c.mask == 0].any()


def test_reset_forgets_state():
    params, grads = start()
    fresh = {k: v.copy() for k, v in params.items()}
    opt = Adam(0.01)
    run(opt, params, grads[:5])
    opt.reset()
    assert opt.t == 0
    again = {k: v.copy() for k, v in fresh.items()}
    run(opt, fresh, grads[5:6])
    run(Adam(0.01), again, grads[5:6])
    assert_histories_equal([fresh], [again])


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", 0.1)
