"""A trace: the ordered steps of one forward and backward pass, as data.

Each ``TraceStep`` says which node was computed in which phase and keeps every
number involved, so that a view can replay the pass at any speed and explain any
value on screen without doing chain-rule arithmetic itself.

forward   node n:  contributions[src] = a_src Wᵀ (per incoming connection), b, z, a
loss      output:  y, t, per-example losses, L, and dL/dy (mse) or dL/dz (fused losses)
backward  node n:  contributions[dst] = δ_dst W (per outgoing path), dL/da = their sum,
                   da/dz = f'(z) (None for softmax: its Jacobian is applied instead),
                   δ = dL/dz, and per incoming connection dL/dW = δᵀ a_src with a_src; dL/db
update    (last, when a learning rate is given): Δ = −lr · gradient for every parameter
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.nn import activations, losses
from engine.model.param_names import bias_name, weight_name


@dataclass
class TraceStep:
    """One step of a pass: ``phase`` is "forward", "loss", "backward" or "update"."""
    phase: str
    node: str
    values: dict = field(default_factory=dict)
    contributions: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"TraceStep({self.phase}, {self.node!r}, {sorted(self.values)})"


def trace_network(net, X: np.ndarray, T: np.ndarray, lr: float | None = None) -> list[TraceStep]:
    """Run one forward and backward pass of ``net`` on (X, T), recording every step.

    Written out plainly, node by node, independently of the network's fast path;
    tests check that both give the same gradients.
    """
    steps, z, a = _forward_steps(net, X)
    out = net.output
    y = a[out]
    per_example = losses.per_example(net.loss, z[out], y, T)
    fused = losses.is_fused(net.loss)
    start = losses.gradient(net.loss, y, T)
    values = {"y": y, "t": T, "losses": per_example, "L": float(per_example.mean()),
              "dL/dz" if fused else "dL/dy": start}
    steps.append(TraceStep("loss", out, values))
    grads = _backward_steps(net, z, a, None if fused else start, start, steps)
    if lr is not None:
        changes = {}
        for name, p in net.parameters().items():
            changes[name] = -lr * grads.get(name, np.zeros_like(p))
        steps.append(TraceStep("update", "", {"lr": lr, "changes": changes}))
    return steps


def _forward_steps(net, X: np.ndarray):
    steps: list[TraceStep] = []
    a = {net.input: X}
    z = {}
    for n in net.order:
        if n == net.input:
            steps.append(TraceStep("forward", n, {"a": X.copy()}))
            continue
        contrib = {s: a[s] @ net.W[(s, n)].T for s in net.incoming[n]}
        z[n] = sum(contrib.values()) + net.b[n]
        a[n] = activations.forward(net.activation[n], z[n])
        steps.append(TraceStep("forward", n, {"b": net.b[n].copy(), "z": z[n], "a": a[n]},
                               contrib))
    return steps, z, a


def _backward_steps(net, z, a, grad_y, delta_out, steps: list[TraceStep]) -> dict:
    """Append the backward steps (dL/dy = grad_y, or dL/dz = delta_out for a fused loss)."""
    delta, grads = {}, {}
    for n in reversed(net.order):
        if n == net.input or n not in net._live:
            continue
        if n == net.output:
            contrib, grad_a = {}, grad_y
        else:
            contrib = {c.dst: delta[c.dst] @ net.W[(n, c.dst)]
                       for c in net.graph.outgoing(n) if c.dst in delta}
            grad_a = sum(contrib.values())
        kind = activations.BY_NAME[net.activation[n]]
        if grad_a is None:
            local, delta[n] = None, delta_out
        elif kind.derivative is None:               # softmax: its Jacobian, not f'(z)
            local, delta[n] = None, kind.backward(z[n], a[n], grad_a)
        else:
            local = kind.derivative(z[n], a[n])
            delta[n] = grad_a * local
        values = {"dL/da": grad_a, "da/dz": local, "delta": delta[n],
                  "dL/db": delta[n].sum(axis=0)}
        grads[bias_name(n)] = values["dL/db"]
        for s in net.incoming[n]:
            g = delta[n].T @ a[s]
            mask = net.masks[(s, n)]
            if mask is not None:
                g = g * mask
            values[f"a:{s}"] = a[s]
            values[f"dL/dW:{s}"] = g
            grads[weight_name(s, n)] = g
        steps.append(TraceStep("backward", n, values, contrib))
    return grads


def trace_gradients(steps: list[TraceStep]) -> dict[str, np.ndarray]:
    """The parameter gradients recorded in a trace, keyed like Network.parameters()."""
    grads = {}
    for step in steps:
        if step.phase != "backward":
            continue
        grads[bias_name(step.node)] = step.values["dL/db"]
        for key, value in step.values.items():
            if key.startswith("dL/dW:"):
                grads[weight_name(key.removeprefix("dL/dW:"), step.node)] = value
    return grads
