"""Local Jacobians and the vector-Jacobian products that give δ, against PyTorch autograd."""
import numpy as np
import pytest

from engine import Graph, Network
from engine.nn.jacobian import activation_jacobian, node_jacobians, output_gradient, vjp

torch = pytest.importorskip("torch")
TORCH_ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "softmax": lambda z: torch.softmax(z, -1),
             "linear": lambda z: z, "softplus": torch.nn.functional.softplus}


def random_design(seed: int, loss: str, out_act: str) -> Graph:
    """x → h (tanh) → y, plus a skip x → y, with random sizes."""
    rng = np.random.default_rng(seed)
    g = Graph(loss=loss)
    g.add_node("input", int(rng.integers(2, 4)), id="x")
    g.add_node("hidden", int(rng.integers(2, 5)), "tanh", id="h")
    g.add_node("output", int(rng.integers(2, 4)) if out_act == "softmax" else 1, out_act, id="y")
    for s, d in (("x", "h"), ("h", "y"), ("x", "y")):
        g.connect(s, d)
    return g


def torch_pass(net, X, T):
    """z, a of h and y with their autograd gradients (float64)."""
    W = {k: torch.tensor(v, requires_grad=True) for k, v in net.W.items()}
    b = {k: torch.tensor(v) for k, v in net.b.items()}
    x = torch.tensor(X)
    z_h = x @ W[("x", "h")].T + b["h"]
    z_h.retain_grad()
    a_h = torch.tanh(z_h)
    a_h.retain_grad()
    z_y = a_h @ W[("h", "y")].T + x @ W[("x", "y")].T + b["y"]
    z_y.retain_grad()
    a_y = TORCH_ACT[net.activation["y"]](z_y)
    a_y.retain_grad()
    t = torch.tensor(T)
    if net.loss == "softmax_ce":
        loss = -(t * torch.log(a_y)).sum(-1).mean()
    elif net.loss == "bce":
        loss = -(t * torch.log(a_y) + (1 - t) * torch.log(1 - a_y)).sum(-1).mean()
    else:
        loss = (0.5 * ((a_y - t) ** 2).sum(-1)).mean()
    loss.backward()
    return {"h": (z_h, a_h), "y": (z_y, a_y)}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("loss,out_act", [("softmax_ce", "softmax"), ("mse", "softmax"),
                                          ("mse", "tanh"), ("bce", "sigmoid")])
def test_node_jacobians_match_autograd(seed, loss, out_act):
    g = random_design(seed, loss, out_act)
    net = Network(g, seed=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, net.sizes["x"]))
    size = net.sizes["y"]
    T = np.eye(size)[rng.integers(0, size, 2)] if out_act == "softmax" else \
        rng.integers(0, 2, (2, 1)).astype(float)
    steps = net.trace(X, T)
    ref = torch_pass(net, X, T)
    for node in ("h", "y"):
        j = node_jacobians(steps, net, node)
        z, a = ref[node]
        expected = torch.autograd.functional.jacobian(TORCH_ACT[net.activation[node]], z[0].detach())
        np.testing.assert_allclose(j["da_dz"], expected.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(j["dL_da"], a.grad[0].numpy(), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(j["delta"], z.grad[0].numpy(), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(j["delta"], j["delta_trace"], rtol=1e-10, atol=1e-15)
        for src, info in j["inputs"].items():
            np.testing.assert_array_equal(info["W"], net.W[(src, node)])
            if src == "h":   # what flows back into h along h → y is h's ∂L/∂a (its only path)
                np.testing.assert_allclose(info["back"], ref["h"][1].grad[0].numpy(), rtol=1e-10)


def test_softmax_jacobian_is_full_and_elementwise_is_diagonal():
    z = np.array([0.3, -1.2, 2.0])
    soft = activation_jacobian("softmax", z, np.exp(z) / np.exp(z).sum())
    assert np.count_nonzero(soft - np.diag(np.diag(soft))) == 6      # off-diagonal terms
    tanh = activation_jacobian("tanh", z, np.tanh(z))
    np.testing.assert_allclose(tanh, np.diag(1 - np.tanh(z) ** 2))
    # the fused gradient: Jᵀ·(−t/p) = p − t
    p, t = np.exp(z) / np.exp(z).sum(), np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose(vjp(soft, output_gradient("softmax_ce", p, t)), p - t, rtol=1e-12)
    with pytest.raises(ValueError, match="unknown loss"):
        output_gradient("hinge", p, t)
