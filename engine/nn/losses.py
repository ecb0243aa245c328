"""Losses per example, averaged over the batch; each next to its gradient.

mse        = ½ Σ (y − t)²                  dL/dy = y − t
bce        = −Σ [t log y + (1 − t) log(1 − y)] on a sigmoid output; fused: dL/dz = y − t
softmax_ce = −Σ t log softmax(z);          fused with a softmax output: dL/dz = p − t

``value`` and ``gradient`` take the output's pre-activation z and activation y,
so that bce and softmax_ce are computed stably from z.
"""
from __future__ import annotations

import numpy as np

LOSSES = ("mse", "bce", "softmax_ce")

# The output activation a fused loss requires.
REQUIRED_OUTPUT = {"bce": "sigmoid", "softmax_ce": "softmax"}

FORMULA = {
    "mse": "L = ½ Σ (y − t)²",
    "bce": "L = −Σ [t ln y + (1 − t) ln(1 − y)]",
    "softmax_ce": "L = −Σ t ln softmax(z)",
}


def per_example(loss: str, z: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The loss of each example in the batch, shape (batch,)."""
    if loss == "mse":
        return 0.5 * ((y - t) ** 2).sum(axis=-1)
    if loss == "bce":
        # log y = −softplus(−z), log(1 − y) = −softplus(z)
        return (t * np.logaddexp(0.0, -z) + (1 - t) * np.logaddexp(0.0, z)).sum(axis=-1)
    if loss == "softmax_ce":
        m = z.max(axis=-1, keepdims=True)
        log_p = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
        return -(t * log_p).sum(axis=-1)
    raise ValueError(f"unknown loss {loss!r}")


def value(loss: str, z: np.ndarray, y: np.ndarray, t: np.ndarray) -> float:
    """Mean loss over the batch."""
    return float(per_example(loss, z, y, t).mean())


def is_fused(loss: str) -> bool:
    """True when the loss's gradient is taken with respect to z, not y."""
    return loss in REQUIRED_OUTPUT


def gradient(loss: str, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Gradient of the mean loss: dL/dy for mse, dL/dz for the fused losses.

    All three are (y − t) / batch; what differs is what they are the gradient of.
    """
    return (y - t) / y.shape[0]
