"""The finite-difference checker: chain-rule gradients against the slope of the loss.

``slope`` nudges one parameter entry and returns the central difference of the mean
loss; ``check_gradients`` compares a network's gradients with it, entry by entry, and
reports each parameter's largest relative error. The command line's ``gradcheck``,
the replay's numeric check and the gradient tests all use these two functions.
Checks are meant for float64 networks: in float32 the loss's rounding swamps the slope
unless h is large (about 1e-2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.model.errors import GraphError
from engine.nn import activations
from engine.model.param_names import connection_named, is_weight

FD_STEPS = (1e-3, 1e-4, 1e-5)   # tried in turn while a step crosses a relu-family kink
MAX_EXAMPLES = 128              # training examples in the checked batch
MAX_ENTRIES = 100               # entries checked per parameter (a seeded sample of larger ones)


def check_entry(net, name: str, index) -> tuple[int, ...]:
    """``index`` as a tuple after checking that it names a free entry of parameter ``name``."""
    params = net.parameters()
    if name not in params:
        raise GraphError(f"there is no parameter {name!r}")
    p = params[name]
    index = tuple(np.atleast_1d(index).astype(int).tolist())
    if len(index) != p.ndim or any(not 0 <= k < n for k, n in zip(index, p.shape)):
        raise GraphError(f"{name} has shape {p.shape}: no entry {index}")
    if is_weight(name):
        src, dst = connection_named(name, net.masks)
        mask = net.masks[(src, dst)]
        if mask is not None and not mask[index]:
            raise GraphError(f"the edge {src}[{index[1]}] → {dst}[{index[0]}] is removed: "
                             f"its weight stays 0 and has no gradient to check")
    return index


def slope(net, X, T, name: str, index, h: float = 1e-4, *, points: int = 5,
          l1: float = 0.0, l2: float = 0.0, steady=None) -> float | None:
    """dL/dθ of one entry θ of parameter ``name`` by a central difference of the mean loss.

    points=2: (L(θ₊) − L(θ₋)) / (θ₊ − θ₋), the nudged values as stored (float32 rounds θ ± h).
    points=5: (L(θ−2h) − 8L(θ−h) + 8L(θ+h) − L(θ+2h)) / 12h, which errs by ~h⁴ (truncation)
    plus ~ε|L|/h (rounding): about 1e-12 in float64 at h = 1e-4.
    ``steady()``, when given, is asked after each evaluation; False (a kink was crossed)
    returns None. The entry is restored exactly afterwards.
    """
    if points not in (2, 5):
        raise ValueError(f"points must be 2 or 5, not {points!r}")
    if not h > 0:
        raise GraphError(f"the step h must be positive, not {h}")
    p = net.parameters()[name]
    original = p[index].copy()
    values, nudged = [], []
    try:
        for k in ((-1, 1) if points == 2 else (-2, -1, 1, 2)):
            p[index] = original + k * h
            nudged.append(float(p[index]))
            values.append(net.loss_value(X, T, l1, l2))
            if steady is not None and not steady():
                return None
    finally:
        p[index] = original
    if points == 2:
        return (values[1] - values[0]) / (nudged[1] - nudged[0])
    return (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * h)


@dataclass
class GradientCheck:
    """One parameter's result: numeric gradient (NaN where unchecked; 0 where masked),
    the chain-rule gradient, and the largest relative error over its checked entries."""
    name: str
    shape: tuple
    checked: int
    skipped: int
    max_error: float | None
    numeric: np.ndarray
    analytic: np.ndarray


def check_gradients(net, X, T, seed: int = 0, *, l1: float = 0.0, l2: float = 0.0,
                    names=None, max_examples: int | None = MAX_EXAMPLES,
                    max_entries: int | None = MAX_ENTRIES, steps=FD_STEPS) -> list[GradientCheck]:
    """Chain-rule gradients of the loss against five-point central differences, per parameter.

    The relative error is |g − n| / max(|g|, |n|, floor), floor = max(1e-6, 1e-4·|L|):
    the floor keeps the float64 rounding of L (~1e-13·|L| in n) from counting as an
    error on gradients that are zero or nearly so. Masked weights are not parameters
    and are left out. Of a parameter (``names``: all by default) with more than
    ``max_entries`` free entries a sample seeded by ``seed`` is checked. An entry whose
    nudge moves a relu-family pre-activation across 0 is retried with the next of
    ``steps``, then skipped.
    """
    if max_examples is not None:
        X, T = X[:max_examples], T[:max_examples]
    X = np.ascontiguousarray(X, dtype=net.dtype)
    T = np.ascontiguousarray(T, dtype=net.dtype)
    loss, grads = net.loss_and_gradients(X, T, l1, l2)
    floor = max(1e-6, 1e-4 * abs(loss))
    kinked = [n for n in net.order if net.activation[n] in activations.RELU_FAMILY]

    def pattern():
        return [net.z[n] > 0 for n in kinked]

    net.loss_value(X, T)
    base = pattern()

    def steady():
        return all(np.array_equal(a, b) for a, b in zip(pattern(), base))

    rng = np.random.default_rng(seed)
    results = []
    for name, p in net.parameters().items():
        if names is not None and name not in names:
            continue
        free = _free_entries(net, name, p)
        numeric = np.zeros(p.shape)
        numeric.reshape(-1)[free] = np.nan
        if max_entries is not None and free.size > max_entries:
            free = np.sort(rng.choice(free, max_entries, replace=False))
        g = grads[name]
        worst, skipped = None, 0
        for i in free:
            index = np.unravel_index(i, p.shape)
            n = next((s for h in steps
                      if (s := slope(net, X, T, name, index, h, l1=l1, l2=l2, steady=steady))
                      is not None), None)
            if n is None:
                skipped += 1
                continue
            numeric[index] = n
            err = abs(g[index] - n) / max(abs(g[index]), abs(n), floor)
            worst = err if worst is None else max(worst, err)
        results.append(GradientCheck(name, tuple(p.shape), int(free.size) - skipped, skipped,
                                     None if worst is None else float(worst), numeric, g))
    return results


def _free_entries(net, name: str, p: np.ndarray) -> np.ndarray:
    """Flat indices of the entries that are parameters (not masked weights)."""
    if is_weight(name):
        mask = net.masks[connection_named(name, net.masks)]
        if mask is not None:
            return np.flatnonzero(mask.ravel())
    return np.arange(p.size)
