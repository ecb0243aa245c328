"""Gradients equal torch autograd (float64) on random designs with skips, branches and masks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from engine.nn.activations import ELU_ALPHA, LEAKY_SLOPE
from tests.engine.strategies import network_cases

torch = pytest.importorskip("torch")

ACT = {
    "linear": lambda z: z,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, LEAKY_SLOPE),
    "elu": lambda z: torch.nn.functional.elu(z, ELU_ALPHA),
    # torch's softplus turns linear above z = 20; the exact form keeps the comparison tight.
    "softplus": lambda z: torch.logaddexp(torch.zeros_like(z), z),
    "swish": torch.nn.functional.silu,
    "softmax": lambda z: torch.softmax(z, dim=-1),
}


def torch_loss_and_gradients(net, X, T, l1, l2):
    """The same design evaluated by torch autograd from the network's current parameters."""
    P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in net.parameters().items()}
    a = {net.input: torch.tensor(X, dtype=torch.float64)}
    z = {}
    for n in net.order[1:]:
        total = P[f"b:{n}"]
        for s in net.incoming[n]:
            W = P[f"W:{s}->{n}"]
            m = net.masks[(s, n)]
            if m is not None:
                W = W * torch.tensor(m)
            total = total + a[s] @ W.T
        z[n] = total
        a[n] = ACT[net.activation[n]](total)
    t = torch.tensor(T, dtype=torch.float64)
    zo, y = z[net.output], a[net.output]
    if net.loss == "mse":
        per = 0.5 * ((y - t) ** 2).sum(dim=1)
    elif net.loss == "bce":
        per = torch.nn.functional.binary_cross_entropy_with_logits(zo, t, reduction="none").sum(dim=1)
    else:
        per = -(t * torch.log_softmax(zo, dim=1)).sum(dim=1)
    loss = per.mean()
    for k, W in P.items():
        if k.startswith("W:"):
            loss = loss + 0.5 * l2 * (W * W).sum() + l1 * W.abs().sum()
    loss.backward()
    # A parameter that does not reach the loss (a dead-end node) gets no grad from torch.
    return loss.item(), {k: np.zeros(p.shape) if p.grad is None else p.grad.numpy()
                         for k, p in P.items()}


@settings(deadline=None, derandomize=True, max_examples=40,
          suppress_health_check=[HealthCheck.too_slow])
@given(network_cases())
def test_gradients_equal_torch_autograd(case):
    net = case.network("float64")
    loss, grads = net.loss_and_gradients(case.X, case.T, case.l1, case.l2)
    t_loss, t_grads = torch_loss_and_gradients(net, case.X, case.T, case.l1, case.l2)
    assert loss == pytest.approx(t_loss, rel=1e-12, abs=1e-14)
    assert grads.keys() == t_grads.keys()
    for k, g in grads.items():
        np.testing.assert_allclose(g, t_grads[k], rtol=1e-10, atol=1e-12, err_msg=f"{k}\n{case!r}")


def test_a_skip_connection_and_a_masked_layer_against_torch():
    """A fixed design, so this check does not depend on what hypothesis draws."""
    from engine import Graph, Network
    g = Graph(loss="softmax_ce")
    g.add_node("input", 4, id="x")
    g.add_node("hidden", 6, "relu", id="h1")
    g.add_node("hidden", 5, "swish", id="h2")
    g.add_node("output", 3, "softmax", id="y")
    for s, d in [("x", "h1"), ("h1", "h2"), ("h2", "y"), ("x", "h2"), ("h1", "y")]:
        g.connect(s, d)
    g.set_edges("h1", "h2", [(0, 0), (1, 3), (4, 5)], enabled=False)
    net = Network(g, seed=7, dtype="float64")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(16, 4))
    T = np.eye(3)[rng.integers(0, 3, 16)]
    loss, grads = net.loss_and_gradients(X, T, l2=0.01)
    t_loss, t_grads = torch_loss_and_gradients(net, X, T, 0.0, 0.01)
    assert loss == pytest.approx(t_loss, rel=1e-13)
    for k, gr in grads.items():
        np.testing.assert_allclose(gr, t_grads[k], rtol=1e-10, atol=1e-13, err_msg=k)
    assert not grads["W:h1->h2"][0, 0] and not t_grads["W:h1->h2"][0, 0]
