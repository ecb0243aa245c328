"""The derivative as the limit of a slope: L around one parameter entry, and secants that shrink.

``slope_limit`` samples the loss L(θ) of a batch around one entry θ of a parameter, takes
the chain-rule gradient ∂L/∂θ from the trace, and for each step h the central difference
(L(θ+h) − L(θ−h)) / 2h with its error against ∂L/∂θ. In float64 that error falls as h²
(truncation: the secant is not yet the tangent) until rounding, about ε·|L|/h with
ε ≈ 2.2e-16, takes over and it rises again. Qt-free; the replay's slope view draws it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.nn import gradcheck
from engine.nn.trace import trace_gradients

SWEEP_STEPS = tuple(10.0 ** -k for k in range(1, 11))   # h = 1e-1 … 1e-10, the table's rows
PLOT_STEPS = (1.0, 0.5, 0.25) + SWEEP_STEPS              # the secants the plot can draw
SPAN = 1.0          # the plot shows L(θ + s) for |s| ≤ SPAN
SAMPLES = 81        # points on that curve


@dataclass(frozen=True)
class Secant:
    """The secant through θ ± h: the nudged values as stored, their losses, its slope and
    its error |slope − ∂L/∂θ|."""
    h: float
    theta_minus: float
    theta_plus: float
    loss_minus: float
    loss_plus: float
    slope: float
    error: float


@dataclass(frozen=True)
class SlopeLimit:
    """Everything the slope view shows for one entry ``index`` of parameter ``name``."""
    name: str
    index: tuple
    theta: float            # the entry's value
    loss: float             # L(θ)
    gradient: float         # ∂L/∂θ by the chain rule (the trace)
    curve_theta: np.ndarray
    curve_loss: np.ndarray
    secants: tuple          # one Secant per step of PLOT_STEPS, largest h first
    epsilon: float          # the machine epsilon of the network's dtype

    def secant(self, h: float) -> Secant:
        return min(self.secants, key=lambda s: abs(np.log(s.h / h)))

    def sweep(self) -> list[Secant]:
        """The secants of SWEEP_STEPS (h = 1e-1 … 1e-10)."""
        return [s for s in self.secants if s.h in SWEEP_STEPS]

    def best(self) -> Secant:
        """The secant of the sweep closest to the chain rule."""
        return min(self.sweep(), key=lambda s: s.error)

    def rounding_error(self, h: float) -> float:
        """The size of the rounding error of a central difference at h: ε·|L|/h."""
        return self.epsilon * max(abs(self.loss), 1e-300) / h


def slope_limit(net, X, T, name: str, index, *, span: float = SPAN, samples: int = SAMPLES,
                steps=PLOT_STEPS) -> SlopeLimit:
    """L around entry ``index`` of parameter ``name`` on the batch (X, T), the chain-rule
    gradient there and one central-difference secant per step in ``steps``.

    Raises GraphError for a parameter or entry that does not exist or is masked. The entry
    is restored exactly afterwards.
    """
    index = gradcheck.check_entry(net, name, index)
    X = np.asarray(X, dtype=net.dtype)
    T = np.asarray(T, dtype=net.dtype)
    p = net.parameters()[name]
    theta = float(p[index])
    gradient = float(trace_gradients(net.trace(X, T))[name][index])
    offsets = np.linspace(-span, span, samples)
    curve_theta, curve_loss = _losses_at(net, X, T, p, index, theta + offsets)
    secants = []
    for h in sorted(steps, reverse=True):
        (t_minus, t_plus), (l_minus, l_plus) = _losses_at(net, X, T, p, index,
                                                          [theta - h, theta + h])
        s = (l_plus - l_minus) / (t_plus - t_minus)
        secants.append(Secant(float(h), float(t_minus), float(t_plus), float(l_minus),
                              float(l_plus), float(s), abs(float(s) - gradient)))
    loss = float(net.loss_value(X, T))
    return SlopeLimit(name, index, theta, loss, gradient, curve_theta, curve_loss,
                      tuple(secants), float(np.finfo(net.dtype).eps))


def _losses_at(net, X, T, p, index, values):
    """(the values as stored, L at each): entry ``index`` of ``p`` set to each in turn."""
    original = p[index].copy()
    stored, losses = [], []
    try:
        for v in values:
            p[index] = v
            stored.append(float(p[index]))
            losses.append(float(net.loss_value(X, T)))
    finally:
        p[index] = original
    return np.array(stored), np.array(losses)
