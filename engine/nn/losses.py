"""Losses per example, averaged over the batch; each next to its gradient and its kernel.

mse        = ½ Σ (y − t)²                  dL/dy = y − t
bce        = −Σ [t log y + (1 − t) log(1 − y)] on a sigmoid output; fused: dL/dz = y − t
softmax_ce = −Σ t log softmax(z);          fused with a softmax output: dL/dz = p − t

``value`` and ``gradient`` take the output's pre-activation z and activation y,
so that bce and softmax_ce are computed stably from z.

Each loss's ``kernel`` is the lines the compiled step (engine.nn.step_code) writes to
set ``loss`` to the batch mean, as a template over array names, after
``RESIDUAL_KERNEL`` has put y − t in {diff}; ``GRADIENT_KERNEL`` then turns {diff}
into the gradient. A loss without a hand-written kernel calls its ``per_example``.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from engine.model import vocabulary

RESIDUAL_KERNEL = ("sub({y}, T, out={diff})",)
GRADIENT_KERNEL = ("mul({diff}, INV_BATCH, out={diff})",)   # (y − t)/B, see gradient()
CALL_PER_EXAMPLE = ("loss = float({per_example}({z}, {y}, T).mean())",)


@dataclass(frozen=True)
class Loss:
    """One loss: per-example value from (z, y, t), how it reads, the output it is fused with."""
    name: str
    per_example: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    formula: str
    fused_output: str | None = None     # the output activation a fused loss requires
    kernel: tuple[str, ...] = CALL_PER_EXAMPLE


def _mse(z, y, t):
    return 0.5 * ((y - t) ** 2).sum(axis=-1)


def _bce(z, y, t):
    # log y = −softplus(−z), log(1 − y) = −softplus(z)
    return (t * np.logaddexp(0.0, -z) + (1 - t) * np.logaddexp(0.0, z)).sum(axis=-1)


def _softmax_ce(z, y, t):
    m = z.max(axis=-1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return -(t * log_p).sum(axis=-1)


_ALL = (
    Loss("mse", _mse, "L = ½ Σ (y − t)²",
         kernel=("loss = 0.5 * float(vdot({diff}, {diff})) / BATCH",)),
    # Per element max(z, 0) − t·z + log(1 + e^−|z|): stable, and exact for t in {0, 1}. The
    # sum is a dot product with ones: half the cost of .sum() on a few floats.
    Loss("bce", _bce, "L = −Σ [t ln y + (1 − t) ln(1 − y)]", "sigmoid",
         kernel=("absolute({z}, out={tmp})", "negative({tmp}, out={tmp})", "exp({tmp}, out={tmp})",
                 "log1p({tmp}, out={tmp})", "maximum({z}, ZERO, out={scratch})",
                 "add({tmp}, {scratch}, out={tmp})",
                 "loss = (float(vdot({tmp}, ONES_OUT)) - float(vdot(T, {z}))) / BATCH")),
    # log softmax(z) = z − (max + log Σ exp(z − max)), from the softmax kernel's row values
    Loss("softmax_ce", _softmax_ce, "L = −Σ t ln softmax(z)", "softmax",
         kernel=("log({row_sum}, out={row_lse})", "add({row_lse}, {row_max}, out={row_lse})",
                 "sub({z}, {row_lse}, out={tmp})", "loss = -float(vdot(T, {tmp})) / BATCH")),
)

BY_NAME: dict[str, Loss] = {loss.name: loss for loss in _ALL}
vocabulary.check_implemented("losses", vocabulary.LOSSES, BY_NAME)
vocabulary.check_implemented("fused outputs", vocabulary.REQUIRED_OUTPUT.items(),
                             ((loss.name, loss.fused_output) for loss in _ALL if loss.fused_output))
LOSSES = vocabulary.LOSSES
REQUIRED_OUTPUT = vocabulary.REQUIRED_OUTPUT
FORMULA = {loss.name: loss.formula for loss in _ALL}


def per_example(loss: str, z: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The loss of each example in the batch, shape (batch,)."""
    if loss not in BY_NAME:
        raise ValueError(f"unknown loss {loss!r}")
    return BY_NAME[loss].per_example(z, y, t)


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
