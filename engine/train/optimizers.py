"""Optimisers: SGD, momentum (optionally Nesterov) and Adam.

Each updates the network's live parameter arrays in place from a dict of
gradients with the same keys. ``lr`` may be changed between steps. State
(velocities, moments) is kept per parameter name and preallocated on the first
step, so a step allocates nothing. A masked weight has a zero gradient, so every
optimiser leaves it at zero.
"""
from __future__ import annotations

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
DEFAULT_LR = 0.01   # when a design sets no learning rate


class Optimizer:
    """Base class: ``step(params, grads)`` updates ``params`` in place."""

    def __init__(self, lr: float):
        self.lr = float(lr)
        self._state: dict[str, tuple] = {}

    def reset(self) -> None:
        """Forget velocities and moments (after new weights)."""
        self._state = {}

    def _slots(self, name: str, p: np.ndarray, count: int) -> tuple:
        slots = self._state.get(name)
        if slots is None or slots[0].shape != p.shape or slots[0].dtype != p.dtype:
            slots = tuple(np.zeros_like(p) for _ in range(count))
            self._state[name] = slots
        return slots

    def step(self, params: dict, grads: dict) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """p ← p − lr · g"""

    def step(self, params, grads):
        lr = -self.lr
        for name, p in params.items():
            (tmp,) = self._slots(name, p, 1)
            np.multiply(grads[name], lr, out=tmp)
            p += tmp


class Momentum(Optimizer):
    """v ← μ v − lr · g;  p ← p + v  (Nesterov: p ← p + μ v − lr · g)."""

    def __init__(self, lr: float, momentum: float = 0.9, nesterov: bool = False):
        super().__init__(lr)
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def step(self, params, grads):
        mu, lr = self.momentum, self.lr
        for name, p in params.items():
            v, tmp = self._slots(name, p, 2)
            np.multiply(grads[name], -lr, out=tmp)
            v *= mu
            v += tmp
            if self.nesterov:
                p += tmp
                np.multiply(v, mu, out=tmp)
            else:
                tmp = v
            p += tmp


class Adam(Optimizer):
    """Adam (Kingma and Ba), with bias correction folded into the step size."""

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0

    def reset(self):
        super().reset()
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        b1, b2, eps = self.beta1, self.beta2, self.eps
        step = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        eps_hat = eps * np.sqrt(1 - b2 ** self.t)
        for name, p in params.items():
            g = grads[name]
            m, v, tmp = self._slots(name, p, 3)
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps_hat
            np.divide(m, tmp, out=tmp)
            tmp *= -step
            p += tmp


def make_optimizer(name: str, lr: float) -> Optimizer:
    """An optimiser by name: sgd, momentum, nesterov or adam."""
    if name == "sgd":
        return SGD(lr)
    if name == "momentum":
        return Momentum(lr)
    if name == "nesterov":
        return Momentum(lr, nesterov=True)
    if name == "adam":
        return Adam(lr)
    raise ValueError(f"unknown optimizer {name!r} (use {', '.join(OPTIMIZERS)})")
