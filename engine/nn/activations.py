"""Activation functions: each one's forward, derivative and in-place kernel side by side.

``derivative(z, a)`` returns da/dz elementwise, given both the pre-activation z
and the activation a (so sigmoid and tanh can reuse a). Softmax is not
elementwise: its backward is a Jacobian-vector product (``softmax_backward``).

The kernels are the lines the compiled step (engine.nn.step_code) writes for this
activation, as templates over array names: ``kernel`` computes a = f(z) and
``delta_kernel`` computes out = dL/dz from g = dL/da (tmp is scratch of the same
shape). Calls use the step's short names for numpy ufuncs (mul, add, sub, ...) and
are written without Python scalars (each costs numpy a conversion per call); HALF
and ZERO are constants of the network's dtype. An activation without hand-written
kernels is computed by calling its own ``forward`` and ``backward`` ({forward} and
{backward} in the default templates), so each formula is written once.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from engine.model import vocabulary

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0

CALL_FORWARD = ("{a}[...] = {forward}({z})",)
CALL_BACKWARD = ("{out}[...] = {backward}({z}, {a}, {g})",)


@dataclass(frozen=True)
class Activation:
    """One activation: forward, derivative (None for softmax), how it reads, and its kernels."""
    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    formula: tuple[str, str]            # (f, f') as written in explanations
    kernel: tuple[str, ...] = CALL_FORWARD
    delta_kernel: tuple[str, ...] = CALL_BACKWARD

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        """dL/dz from dL/da."""
        if self.derivative is None:
            return softmax_backward(a, grad_a)
        return grad_a * self.derivative(z, a)


def _sigmoid(z):
    # Split by sign so that exp never overflows.
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    """dL/dz from dL/da through softmax: a * (g - sum(g * a))."""
    return a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))


_ALL = (
    # The buffers share a with z (and dL/dz with dL/da) for linear: the step drops such self-copies.
    Activation("linear", lambda z: z.copy(), lambda z, a: np.ones_like(z), ("z", "1"),
               kernel=("copyto({a}, {z})",), delta_kernel=("copyto({out}, {g})",)),
    Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a), ("σ(z)", "σ(z)(1 − σ(z))"),
               # σ(z) = ½(1 + tanh(z/2)): stable for any z
               kernel=("mul({z}, HALF, out={a})", "tanh({a}, out={a})", "mul({a}, HALF, out={a})",
                       "add({a}, HALF, out={a})"),
               # g·a(1 − a) = g·(a − a²)
               delta_kernel=("mul({a}, {a}, out={tmp})", "sub({a}, {tmp}, out={tmp})",
                             "mul({g}, {tmp}, out={out})")),
    Activation("tanh", np.tanh, lambda z, a: 1 - a * a, ("tanh(z)", "1 − tanh²(z)"),
               kernel=("tanh({z}, out={a})",),
               # g(1 − a²) = g − g·a²
               delta_kernel=("mul({a}, {a}, out={tmp})", "mul({tmp}, {g}, out={tmp})",
                             "sub({g}, {tmp}, out={out})")),
    Activation("relu", lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype),
               ("max(0, z)", "[z > 0]"),
               kernel=("maximum({z}, ZERO, out={a})",),
               # 1 where z > 0, that is where a = max(z, 0) > 0
               delta_kernel=("sign({a}, out={tmp})", "mul({g}, {tmp}, out={out})")),
    Activation("leaky_relu", lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
               lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype),
               (f"max({LEAKY_SLOPE:g}z, z)", f"1 if z > 0 else {LEAKY_SLOPE:g}")),
    Activation("elu", lambda z: np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0))),
               lambda z, a: np.where(z > 0, 1.0, a + ELU_ALPHA).astype(z.dtype),
               ("z if z > 0 else eᶻ − 1", "1 if z > 0 else eᶻ")),
    Activation("softplus", lambda z: np.logaddexp(0.0, z), lambda z, a: _sigmoid(z),
               ("ln(1 + eᶻ)", "σ(z)")),
    Activation("swish", lambda z: z * _sigmoid(z),
               lambda z, a: (lambda s: s + z * s * (1 - s))(_sigmoid(z)),
               ("z·σ(z)", "σ(z) + z·σ(z)(1 − σ(z))")),
    # Keeps each row's max and Σ exp(z − max), which the fused softmax_ce loss reuses.
    Activation("softmax", _softmax, None, ("eᶻⁱ / Σ eᶻʲ", "aᵢ(δᵢⱼ − aⱼ)"),
               kernel=("amax({z}, axis=1, keepdims=True, out={row_max})", "sub({z}, {row_max}, out={a})",
                       "exp({a}, out={a})", "asum({a}, axis=1, keepdims=True, out={row_sum})",
                       "div({a}, {row_sum}, out={a})")),
)

BY_NAME: dict[str, Activation] = {act.name: act for act in _ALL}
vocabulary.check_implemented("activations", vocabulary.ACTIVATIONS, BY_NAME)
ACTIVATIONS = vocabulary.ACTIVATIONS
HIDDEN_ACTIVATIONS = vocabulary.HIDDEN_ACTIVATIONS
RELU_FAMILY = ("relu", "leaky_relu", "elu")
# How each activation and its derivative read (symbols match the canvas labels).
FORMULA = {act.name: act.formula for act in _ALL}


def forward(name: str, z: np.ndarray) -> np.ndarray:
    return BY_NAME[name].forward(z)


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """da/dz elementwise; not defined for softmax (use softmax_backward)."""
    d = BY_NAME[name].derivative
    if d is None:
        raise ValueError(f"{name} has no elementwise derivative: use softmax_backward")
    return d(z, a)


def backward(name: str, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    """dL/dz from dL/da for any activation."""
    return BY_NAME[name].backward(z, a, grad_a)
