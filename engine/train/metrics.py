"""Quality measures beside the loss: accuracy (classification) and R² (regression).

Both accumulate over chunks, so that a large split is evaluated without holding
all its outputs at once: ``add(Y, T)`` for each chunk, then ``value()``.
"""
from __future__ import annotations

import numpy as np


class Accuracy:
    """The share of examples whose predicted class is the target's.

    One output: the class is y > 0.5 (a sigmoid or a 0/1 regression output) and
    the target is t > 0.5. Several outputs: the class is the argmax of each.
    """

    name = "accuracy"

    def __init__(self):
        self.correct = 0
        self.count = 0

    def add(self, Y: np.ndarray, T: np.ndarray) -> None:
        if Y.shape[1] == 1:
            hits = (Y[:, 0] > 0.5) == (T[:, 0] > 0.5)
        else:
            hits = Y.argmax(axis=1) == T.argmax(axis=1)
        self.correct += int(np.count_nonzero(hits))
        self.count += Y.shape[0]

    def value(self) -> float | None:
        """The accuracy in [0, 1], or None when nothing was added."""
        return self.correct / self.count if self.count else None


class R2:
    """The coefficient of determination, 1 − SS_res / SS_tot, averaged over outputs.

    Matches sklearn.metrics.r2_score (multioutput "uniform_average"): an output
    whose target is constant scores 1 when predicted exactly, else 0. Sums are kept
    in float64 around a shift (the first chunk's target mean) for accuracy.
    """

    name = "r2"

    def __init__(self):
        self.count = 0
        self._shift = None
        self._sum = self._sum_sq = self._res = None

    def add(self, Y: np.ndarray, T: np.ndarray) -> None:
        Y = np.asarray(Y, dtype=np.float64)
        T = np.asarray(T, dtype=np.float64)
        if self._shift is None:
            self._shift = T.mean(axis=0)
            k = T.shape[1]
            self._sum, self._sum_sq, self._res = np.zeros(k), np.zeros(k), np.zeros(k)
        d = T - self._shift
        self._sum += d.sum(axis=0)
        self._sum_sq += (d * d).sum(axis=0)
        r = Y - T
        self._res += (r * r).sum(axis=0)
        self.count += T.shape[0]

    def value(self) -> float | None:
        """R² (1 is perfect, 0 is as good as predicting the mean), or None when empty."""
        if not self.count:
            return None
        tot = np.maximum(self._sum_sq - self._sum ** 2 / self.count, 0.0)
        scores = np.where(tot > 0, 1.0 - self._res / np.where(tot > 0, tot, 1.0),
                          np.where(self._res == 0, 1.0, 0.0))
        return float(scores.mean())


def make_metric(task: str):
    """A fresh accumulator for a task: Accuracy for "classification", R2 for "regression"."""
    if task == "classification":
        return Accuracy()
    if task == "regression":
        return R2()
    raise ValueError(f"unknown task {task!r} (use classification or regression)")


def accuracy(Y, T) -> float | None:
    """Accuracy of outputs Y against targets T (one-hot, or one 0/1 column)."""
    m = Accuracy()
    m.add(_columns(Y), _columns(T))
    return m.value()


def r2(Y, T) -> float | None:
    """R² of outputs Y (n, k) against targets T (n, k)."""
    m = R2()
    m.add(_columns(Y), _columns(T))
    return m.value()


def _columns(a) -> np.ndarray:
    """A 1-D array as one column; 2-D arrays unchanged."""
    a = np.asarray(a)
    return a.reshape(-1, 1) if a.ndim == 1 else a
