"""What the network sees, as part of the model: the fitted input and target transforms.

A raw row holds the model's ``features`` in order: the numeric feature columns in
the data's order, then the 0/1 columns of each one-hot encoded text column
(``city=paris``). The input transform makes the network's ``inputs`` from it: the
2-D data's derived features (``x1^2``, ``sin(x1)``...) are computed from x1 and x2,
then every input is standardised, (value − mean) / std, with the statistics of the
training split only. For regression the network predicts the standardised target,
and ``to_units`` undoes it; for classification ``classes`` names the outputs in
order. The transform is plain data: ``to_dict``/``from_dict`` write and read it in
design and weight files, and every export rebuilds it from these numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.model.errors import GraphError

# The derived features of 2-D data, computed from the raw columns x1 and x2.
DERIVED = {
    "x1^2": lambda x1, x2: x1 ** 2,
    "x2^2": lambda x1, x2: x2 ** 2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
TASKS = ("classification", "regression")
MAX_COLUMNS = 1_000_000


@dataclass
class Preprocessing:
    """The raw row → network input transform, and the target's classes or scale."""
    features: list[str]                 # the raw input columns, in order
    inputs: list[str]                   # the network's inputs: features, then derived ones
    mean: np.ndarray                    # per input, fitted on the training split
    std: np.ndarray
    task: str
    target: str
    classes: list[str] = field(default_factory=list)
    target_mean: float = 0.0
    target_std: float = 1.0
    # A one-hot encoded text column -> its categories, in the order of its features.
    categories: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self):
        self.mean = np.asarray(self.mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(self.std, dtype=np.float64).reshape(-1)
        _check(self)

    # ----- applying it ----------------------------------------------------------------------
    def derive(self, raw: np.ndarray) -> np.ndarray:
        """The network's inputs before standardisation, from raw rows (n, len(features))."""
        raw = np.asarray(raw, dtype=np.float64)
        if raw.ndim != 2 or raw.shape[1] != len(self.features):
            raise ValueError(f"rows must have {len(self.features)} columns "
                             f"({', '.join(self.features[:6])}{', ...' if len(self.features) > 6 else ''}), "
                             f"not shape {raw.shape}")
        if self.inputs == self.features:
            return raw.copy()
        x1, x2 = raw[:, self.features.index("x1")], raw[:, self.features.index("x2")]
        return np.stack([raw[:, self.features.index(n)] if n in self.features else DERIVED[n](x1, x2)
                         for n in self.inputs], axis=1)

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """The values the network sees, from raw rows."""
        return (self.derive(raw) - self.mean) / self.std

    def to_units(self, y: np.ndarray) -> np.ndarray:
        """Network outputs in the target's units (regression) or as class probabilities (n, classes)."""
        y = np.asarray(y, dtype=np.float64)
        if self.task == "regression":
            return y * self.target_std + self.target_mean
        if y.shape[1] == 1 and len(self.classes) == 2:   # one output: the second class's probability
            return np.hstack([1.0 - y, y])
        return y

    def target_to_network(self, t: np.ndarray) -> np.ndarray:
        """A regression target in its units, on the scale the network predicts (and the loss is computed)."""
        return (np.asarray(t, dtype=np.float64) - self.target_mean) / self.target_std

    @property
    def is_standardised_target(self) -> bool:
        return self.task == "regression" and (self.target_mean != 0.0 or self.target_std != 1.0)

    def same_as(self, other: Preprocessing | None) -> bool:
        return other is not None and self.to_dict() == other.to_dict()

    # ----- plain data -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        d = {"features": list(self.features), "inputs": list(self.inputs),
             "mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std],
             "task": self.task, "target": self.target}
        if self.task == "classification":
            d["classes"] = list(self.classes)
        else:
            d["target_mean"], d["target_std"] = float(self.target_mean), float(self.target_std)
        if self.categories:
            d["categories"] = {k: list(v) for k, v in self.categories.items()}
        return d

    @classmethod
    def from_dict(cls, d) -> Preprocessing:
        """Read a transform written by ``to_dict``; GraphError naming the field if it is bad."""
        if not isinstance(d, dict):
            raise GraphError("the preprocessing must be an object")
        try:
            return cls(features=_names(d, "features"), inputs=_names(d, "inputs"),
                       mean=_numbers(d, "mean"), std=_numbers(d, "std"), task=d.get("task"),
                       target=d.get("target"), classes=_names(d, "classes", []),
                       target_mean=_number(d, "target_mean", 0.0), target_std=_number(d, "target_std", 1.0),
                       categories=_categories(d.get("categories", {})))
        except (TypeError, ValueError) as e:
            if isinstance(e, GraphError):
                raise
            raise GraphError(f"the preprocessing is not readable: {e}") from None


def _check(p: Preprocessing) -> None:
    if p.task not in TASKS:
        raise GraphError(f"the preprocessing's task must be one of {', '.join(TASKS)}, not {p.task!r}")
    if not isinstance(p.target, str):
        raise GraphError(f"the preprocessing's target must be a name, not {p.target!r}")
    if not p.features or len(p.features) > MAX_COLUMNS or len(set(p.features)) != len(p.features):
        raise GraphError("the preprocessing's features must be distinct names, at least one")
    extra = [n for n in p.inputs if n not in p.features and n not in DERIVED]
    if extra or len(set(p.inputs)) != len(p.inputs) or not p.inputs:
        raise GraphError(f"the preprocessing's inputs must be its features or derived features, "
                         f"not {extra[:3] or p.inputs[:3]}")
    if any(n in DERIVED for n in p.inputs) and not {"x1", "x2"} <= set(p.features):
        raise GraphError("derived features need the features x1 and x2")
    if p.mean.shape != (len(p.inputs),) or p.std.shape != (len(p.inputs),):
        raise GraphError(f"the preprocessing needs a mean and a std for each of its {len(p.inputs)} inputs")
    if not (np.isfinite(p.mean).all() and np.isfinite(p.std).all() and (p.std > 0).all()):
        raise GraphError("the preprocessing's means must be finite and its deviations positive")
    if not (np.isfinite(p.target_mean) and np.isfinite(p.target_std) and p.target_std > 0):
        raise GraphError("the preprocessing's target mean must be finite and its deviation positive")
    if p.task == "classification" and len(p.classes) < 2:
        raise GraphError("a classification's preprocessing names at least two classes")
    for column, cats in p.categories.items():
        missing = [c for c in cats if f"{column}={c}" not in p.features]
        if missing:
            raise GraphError(f"the one-hot column {column!r} has no feature {column}={missing[0]}")


def _names(d: dict, key: str, default=None) -> list[str]:
    v = d.get(key, default)
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise GraphError(f"the preprocessing's {key!r} must be a list of names")
    return list(v)


def _numbers(d: dict, key: str) -> list[float]:
    v = d.get(key)
    if not isinstance(v, list) or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        raise GraphError(f"the preprocessing's {key!r} must be a list of numbers")
    return v


def _number(d: dict, key: str, default: float) -> float:
    v = d.get(key, default)
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise GraphError(f"the preprocessing's {key!r} must be a number")
    return float(v)


def _categories(v) -> dict[str, list[str]]:
    if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(c, list)
                                          and all(isinstance(s, str) for s in c) for k, c in v.items()):
        raise GraphError("the preprocessing's 'categories' must map column names to lists of names")
    return {k: list(c) for k, c in v.items()}
