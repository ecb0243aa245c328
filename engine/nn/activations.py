"""Activation functions, each forward next to its derivative.

``derivative(z, a)`` returns da/dz elementwise, given both the pre-activation z
and the activation a (so sigmoid and tanh can reuse a). Softmax is not
elementwise: its backward is a Jacobian-vector product (``softmax_backward``).
"""
from __future__ import annotations

import numpy as np

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0


def _sigmoid(z):
    # Split by sign so that exp never overflows.
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softplus(z):
    return np.logaddexp(0.0, z)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


FORWARD = {
    "linear": lambda z: z.copy(),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
    "elu": lambda z: np.where(z > 0, z, ELU_ALPHA * np.expm1(np.minimum(z, 0))),
    "softplus": _softplus,
    "swish": lambda z: z * _sigmoid(z),
    "softmax": _softmax,
}

DERIVATIVE = {
    "linear": lambda z, a: np.ones_like(z),
    "sigmoid": lambda z, a: a * (1 - a),
    "tanh": lambda z, a: 1 - a * a,
    "relu": lambda z, a: (z > 0).astype(z.dtype),
    "leaky_relu": lambda z, a: np.where(z > 0, 1.0, LEAKY_SLOPE).astype(z.dtype),
    "elu": lambda z, a: np.where(z > 0, 1.0, a + ELU_ALPHA).astype(z.dtype),
    "softplus": lambda z, a: _sigmoid(z),
    "swish": lambda z, a: (lambda s: s + z * s * (1 - s))(_sigmoid(z)),
}

# How each derivative reads, for explanations (symbols match the canvas labels).
FORMULA = {
    "linear": ("z", "1"),
    "sigmoid": ("σ(z)", "σ(z)(1 − σ(z))"),
    "tanh": ("tanh(z)", "1 − tanh²(z)"),
    "relu": ("max(0, z)", "[z > 0]"),
    "leaky_relu": ("max(0.01z, z)", "1 if z > 0 else 0.01"),
    "elu": ("z if z > 0 else eᶻ − 1", "1 if z > 0 else eᶻ"),
    "softplus": ("ln(1 + eᶻ)", "σ(z)"),
    "swish": ("z·σ(z)", "σ(z) + z·σ(z)(1 − σ(z))"),
    "softmax": ("eᶻⁱ / Σ eᶻʲ", "aᵢ(δᵢⱼ − aⱼ)"),
}

ACTIVATIONS = tuple(FORWARD)
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
RELU_FAMILY = ("relu", "leaky_relu", "elu")


def forward(name: str, z: np.ndarray) -> np.ndarray:
    return FORWARD[name](z)


def derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """da/dz elementwise; not defined for softmax (use softmax_backward)."""
    return DERIVATIVE[name](z, a)


def softmax_backward(a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    """dL/dz from dL/da through softmax: a * (g - sum(g * a))."""
    return a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))


def backward(name: str, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
    """dL/dz from dL/da for any activation."""
    if name == "softmax":
        return softmax_backward(a, grad_a)
    return grad_a * DERIVATIVE[name](z, a)
