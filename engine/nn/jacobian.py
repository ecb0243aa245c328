"""The local Jacobians of one node and the vector-Jacobian products that give δ.

A node computes z = Σ a_in Wᵀ + b and a = f(z). Its local Jacobians are

  ∂a/∂z      diagonal f′(z) for an element-wise activation; for softmax the full
             matrix diag(a) − a aᵀ (every output depends on every input)
  ∂z/∂a_in   the weight matrix W of each incoming connection (dst × src, masked)

and backprop is two vector-Jacobian products: δ = ∂L/∂z = (∂a/∂z)ᵀ ∂L/∂a, then
∂L/∂a_in = Wᵀ δ for what flows back along each connection. These functions work
on one example (vectors); ``node_jacobians`` reads one out of a trace.
"""
from __future__ import annotations

import numpy as np

from engine.nn import activations


def activation_jacobian(activation: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """∂a/∂z of one example, (n × n): row k holds ∂a_k/∂z_i."""
    z, a = np.asarray(z, dtype=np.float64), np.asarray(a, dtype=np.float64)
    kind = activations.BY_NAME[activation]
    if kind.derivative is None:     # softmax: ∂a_k/∂z_i = a_k([k = i] − a_i)
        return np.diag(a) - np.outer(a, a)
    return np.diag(kind.derivative(z[None, :], a[None, :])[0])


def output_gradient(loss: str, y: np.ndarray, t: np.ndarray, batch: int = 1) -> np.ndarray:
    """∂L/∂y of the mean loss, written out even for the fused losses (which skip it).

    mse: (y − t)/B; bce: (y − t)/(y(1 − y))/B; softmax_ce: −t/y/B.
    """
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if loss == "mse":
        g = y - t
    elif loss == "bce":
        g = -t / y + (1 - t) / (1 - y)
    elif loss == "softmax_ce":
        g = -t / y
    else:
        raise ValueError(f"unknown loss {loss!r}")
    return g / batch


def vjp(jacobian: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """The vector-Jacobian product Jᵀ·v (the chain rule through one local Jacobian)."""
    return np.asarray(jacobian).T @ np.asarray(vector)


def node_jacobians(steps, net, node: str, example: int = 0) -> dict:
    """The local Jacobians of ``node`` for one example of a trace, and δ from them.

    Returns {"activation", "z", "a", "da_dz" (n × n), "dL_da" (n,), "fused" (True when the
    loss skips ∂L/∂a: it is then written out by ``output_gradient``), "delta" (n,) = (∂a/∂z)ᵀ
    ∂L/∂a, "delta_trace" (the trace's δ), "inputs": {src: {"W": (n × m), "a_in": (m,),
    "back": (m,) = Wᵀ δ}}}. ``delta`` is None for a node the loss does not reach.
    """
    forward = next(s for s in steps if s.phase == "forward" and s.node == node)
    backward = next((s for s in steps if s.phase == "backward" and s.node == node), None)
    loss = next(s for s in steps if s.phase == "loss")
    z, a = forward.values["z"][example], forward.values["a"][example]
    act = net.activation[node]
    J = activation_jacobian(act, z, a)
    out = {"activation": act, "z": z, "a": a, "da_dz": J, "dL_da": None, "fused": False,
           "delta": None, "delta_trace": None, "inputs": {}}
    if backward is not None:
        g = backward.values["dL/da"]
        if g is None:
            batch = loss.values["y"].shape[0]
            g = output_gradient(net.loss, loss.values["y"], loss.values["t"], batch)
            out["fused"] = True
        out["dL_da"] = g[example]
        out["delta"] = vjp(J, g[example])
        out["delta_trace"] = backward.values["delta"][example]
    values = {s.node: s.values["a"] for s in steps if s.phase == "forward"}
    for src in net.incoming[node]:
        W = net.W[(src, node)]
        mask = net.masks[(src, node)]
        W = W * mask if mask is not None else W
        back = None if out["delta"] is None else vjp(W, out["delta"])
        out["inputs"][src] = {"W": W, "a_in": values[src][example], "back": back}
    return out
