"""Data for the networks: built-in 2-D sets, scikit-learn's real sets, and the user's CSV.

``load_dataset`` returns a Dataset: a seeded train/validation split whose
features are standardised with the training split's statistics, and targets
encoded for the loss (one-hot for softmax_ce, a 0/1 column for two classes
with bce or mse, a standardised column for regression). ``check_design`` says
how to change a design whose sizes or loss do not fit the data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.data.builtin import BUILTIN_2D, BUILTIN_INFO, DERIVED_FEATURES, FEATURES_2D, TARGET_NAMES
from engine.data.builtin import derive_features, generate
from engine.data.csv_cells import MISSING_POLICIES, TextColumn, check_policy
from engine.data.csv_rules import apply_rules
from engine.data.csv_table import csv_columns, read_csv
from engine.files.resources import resource_path
from engine.model.errors import DataError
from engine.model.preprocessing import Preprocessing

__all__ = ["DataError", "Dataset", "BUILTIN_2D", "SKLEARN", "DERIVED_FEATURES", "FEATURES_2D",
           "HOUSE_PRICES", "MISSING_POLICIES", "load_dataset", "from_settings", "check_design", "csv_columns"]

SKLEARN = ("iris", "wine", "breast_cancer", "digits", "diabetes")
_SKLEARN_TARGET = {"iris": "species", "wine": "cultivar", "breast_cancer": "diagnosis",
                   "digits": "digit", "diabetes": "disease progression"}
HOUSE_PRICES = resource_path("data", "house_prices.csv")
MAX_SAMPLES = 1_000_000
DEFAULTS = {"data": "circle", "target": None, "noise": 0.1, "samples": 200, "features": None,
            "validation": 0.2, "seed": 0, "missing": "refuse"}


@dataclass
class Dataset:
    """A train/validation split ready for a network.

    X arrays are float64 (examples, features), standardised with the training
    split's mean and standard deviation. For regression T = (y − target_mean) /
    target_std; R² is the same on either scale. ``labels_*`` hold the class index
    of each example, or the raw regression target.
    """
    name: str
    task: str
    X_train: np.ndarray
    T_train: np.ndarray
    X_val: np.ndarray
    T_val: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    target_name: str
    points_train: np.ndarray | None = None
    points_val: np.ndarray | None = None
    labels_train: np.ndarray | None = None
    labels_val: np.ndarray | None = None
    loss: str = "mse"
    skipped_columns: list[str] = field(default_factory=list)
    preprocessing: Preprocessing | None = None
    notes: list[str] = field(default_factory=list)     # what was done to the data, for the user

    # The transform's numbers, read from the one place they are kept.
    @property
    def feature_mean(self) -> np.ndarray:
        return self.preprocessing.mean

    @property
    def feature_std(self) -> np.ndarray:
        return self.preprocessing.std

    @property
    def target_mean(self) -> float:
        return self.preprocessing.target_mean

    @property
    def target_std(self) -> float:
        return self.preprocessing.target_std

    @property
    def n_inputs(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.T_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def is_2d(self) -> bool:
        return self.points_train is not None

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Network inputs from raw rows: (n, 2) points for 2-D sets, else rows of the feature columns."""
        try:
            return self.preprocessing.apply(raw)
        except ValueError as e:
            raise DataError(str(e)) from None

    def target_to_raw(self, T: np.ndarray) -> np.ndarray:
        """Regression outputs back on the target's own scale (e.g. a price)."""
        return np.asarray(T) * self.target_std + self.target_mean


def _split(n: int, validation: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_val = min(n - 1, int(round(validation * n)))
    order = rng.permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _standardise(raw: np.ndarray, train: np.ndarray):
    """In place (``raw`` is always a fresh array here): a large CSV is not copied again."""
    mean = raw[train].mean(axis=0)
    std = raw[train].std(axis=0)
    std[~(std > 1e-12)] = 1.0  # a constant column stays at 0
    raw -= mean
    raw /= std
    return raw, mean, std


def _encode_classes(labels: np.ndarray, k: int, loss: str) -> np.ndarray:
    if k == 2 and loss in ("bce", "mse"):
        return labels.reshape(-1, 1).astype(np.float64)
    return np.eye(k)[labels]


def _select(names: list[str], features, data: str) -> list[int]:
    if not features:
        return list(range(len(names)))
    idx = []
    for f in features:
        if f not in names:
            shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            raise DataError(f'{data} has no feature "{f}": choose from {shown}')
        idx.append(names.index(f))
    return list(dict.fromkeys(idx))


def _load_sklearn(name: str):
    try:
        from sklearn import datasets as skd  # imported here: it costs ~1 s at start-up
    except ImportError:
        raise DataError(f"the {name} data comes with scikit-learn, which is not installed: "
                        "pip install scikit-learn") from None
    bunch = getattr(skd, f"load_{name}")()
    names = [str(f) for f in getattr(bunch, "feature_names", [])] or \
        [f"feature {j + 1}" for j in range(bunch.data.shape[1])]
    class_names = [] if name == "diabetes" else [str(c) for c in bunch.target_names]
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target), names, class_names


def _check_args(samples, noise, validation, seed) -> None:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 4 <= samples <= MAX_SAMPLES:
        raise DataError(f"samples must be a whole number from 4 to {MAX_SAMPLES:,}, not {samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise DataError(f"noise must be a number from 0 to 1, not {noise!r}")
    if isinstance(validation, bool) or not isinstance(validation, (int, float)) or not 0 <= validation < 1:
        raise DataError(f"validation must be a share from 0 up to (not including) 1, not {validation!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DataError(f"seed must be a whole number ≥ 0, not {seed!r}")


def load_dataset(spec: str, *, loss: str = "mse", target: str | int | None = None, samples: int = 200,
                 noise: float = 0.1, validation: float = 0.2, seed: int = 0,
                 features: list[str] | None = None, missing: str = "refuse") -> Dataset:
    """Load ``spec``: a built-in 2-D set, a scikit-learn set, "house_prices", or a CSV path.

    ``samples`` and ``noise`` apply to the 2-D sets. ``features``: for 2-D sets the
    derived features added after x1 and x2 (from DERIVED_FEATURES, in the order
    given); for other data the feature columns to use, by name (default all).
    ``target`` (CSV only) is a column name, "column N" (1-based) or a 0-based index.
    ``missing`` (CSV only): "refuse" a missing cell, "drop" its row, or fill it with the "mean".
    A CSV's text columns are one-hot encoded or left out (engine.data.csv_rules); ``notes`` says so.
    """
    _check_args(samples, noise, validation, seed)
    check_policy(missing)
    if not isinstance(spec, (str, Path)) or not str(spec).strip():
        raise DataError(f"data must be a name or a CSV path, not {spec!r}")
    key = str(spec).strip().lower()
    rng = np.random.default_rng(seed)
    if key in BUILTIN_2D or key in SKLEARN:
        if target is not None:
            raise DataError(f"the {key} data has a fixed target; a target column applies to CSV files")
    if key in BUILTIN_2D:
        src = _from_builtin(key, features, samples, noise, rng)
    elif key in SKLEARN:
        src = _from_sklearn(key, features)
    else:
        src = _from_csv(spec, key, target, features, missing)
    train, val = _split(len(src.raw), validation, rng)
    rules = apply_rules(src.raw, src.names, src.text, train, val, missing)
    train, val, names = rules.train, rules.val, rules.names
    X, mean, std = _standardise(rules.raw, train)
    if src.task == "classification" and len(src.class_names) < 2:
        raise DataError(f'the target "{src.target_name}" holds one class only ({src.class_names[0]}): '
                        "a classifier needs examples of at least two")
    if src.task == "classification":
        labels = src.y.astype(np.int64)
        T = _encode_classes(labels, len(src.class_names), loss)
        t_mean, t_std = 0.0, 1.0
    else:
        labels = src.y.astype(np.float64)
        t_mean = float(labels[train].mean())
        t_std = float(labels[train].std()) or 1.0
        T = ((labels - t_mean) / t_std).reshape(-1, 1)
    points = src.points
    preprocessing = Preprocessing(
        features=["x1", "x2"] if points is not None else list(names), inputs=list(names),
        mean=mean, std=std, task=src.task, target=src.target_name, classes=list(src.class_names),
        target_mean=t_mean, target_std=t_std, categories=rules.categories)
    return Dataset(name=src.name, task=src.task, X_train=X[train], T_train=T[train], X_val=X[val],
                   T_val=T[val], feature_names=list(names), class_names=list(src.class_names),
                   target_name=src.target_name,
                   points_train=None if points is None else points[train],
                   points_val=None if points is None else points[val],
                   labels_train=labels[train], labels_val=labels[val], loss=loss,
                   skipped_columns=src.skipped + rules.dropped, preprocessing=preprocessing,
                   notes=src.notes + rules.notes)


@dataclass
class _Source:
    """Raw features and targets as a source gives them, before the split."""
    raw: np.ndarray
    y: np.ndarray
    names: list[str]
    class_names: list[str]
    task: str
    target_name: str
    name: str
    points: np.ndarray | None = None
    skipped: list[str] = field(default_factory=list)
    text: list[TextColumn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _from_builtin(key: str, features, samples: int, noise: float, rng: np.random.Generator) -> _Source:
    task, class_names = BUILTIN_INFO[key]
    unknown = [f for f in features or [] if f not in FEATURES_2D]
    if unknown:
        raise DataError(f'unknown feature "{unknown[0]}" for the 2-D data: choose from '
                        f'{", ".join(DERIVED_FEATURES)}')
    names = list(dict.fromkeys(["x1", "x2", *(features or [])]))
    points, y = generate(key, samples, noise, rng)
    return _Source(derive_features(points, names), y, names, class_names, task,
                   TARGET_NAMES.get(key, "class"), key, points=points)


def _from_sklearn(key: str, features) -> _Source:
    raw, y, all_names, class_names = _load_sklearn(key)
    idx = _select(all_names, features, key)
    task = "classification" if class_names else "regression"
    return _Source(raw[:, idx], y, [all_names[j] for j in idx], class_names, task,
                   _SKLEARN_TARGET[key], key)


def _from_csv(spec, key: str, target, features, missing: str) -> _Source:
    path = HOUSE_PRICES if key in ("house_prices", "house_prices.csv") else Path(spec).expanduser()
    if not path.exists() and path.suffix.lower() != ".csv":
        raise DataError(f'unknown data "{spec}": use one of {", ".join(BUILTIN_2D + SKLEARN)}, '
                        "house_prices, or the path of a CSV file")
    table = read_csv(path, target=target, features=features, missing=missing)
    notes = [] if target is not None else \
        [f'target: the last column, "{table.target_name}"; choose another with --target']
    if table.rows_without_target:
        n = table.rows_without_target
        notes.append(f"{n} row{'s' * (n != 1)} without a target value dropped"
                     + (" (a target is never filled in)" if missing == "mean" else ""))
    return _Source(table.X, table.y, table.feature_names, table.class_names, table.task,
                   table.target_name, path.stem, skipped=table.skipped, text=table.text_columns, notes=notes)


def from_settings(settings: dict, loss: str, base_dir=None) -> Dataset:
    """Load the data a design's settings describe (keys data, target, noise, samples, features,
    validation, seed, missing; defaults when absent). A relative CSV path is taken from ``base_dir``
    (the design file's folder) when given."""
    s = {k: v if settings.get(k) is None else settings[k] for k, v in DEFAULTS.items()}
    data = s["data"]
    if not isinstance(data, str):
        raise DataError(f"the setting 'data' must be a name or a CSV path, not {data!r}")
    key = data.strip().lower()
    fixed = key in BUILTIN_2D or key in SKLEARN
    if not fixed and base_dir is not None and key not in ("house_prices", "house_prices.csv"):
        path = Path(data).expanduser()
        if not path.is_absolute():
            data = str(Path(base_dir) / path)
    features = s["features"]
    if features is not None and (not isinstance(features, list) or not all(isinstance(f, str) for f in features)):
        raise DataError(f"the setting 'features' must be a list of feature names, not {features!r}")
    return load_dataset(data, loss=loss, target=None if fixed else s["target"], samples=s["samples"],
                        noise=s["noise"], validation=s["validation"], seed=s["seed"], features=features,
                        missing=s["missing"])


def expected_outputs(dataset: Dataset, loss: str) -> int:
    """How many output neurons the data needs under ``loss``."""
    if dataset.task == "regression":
        return dataset.T_train.shape[1]
    k = dataset.n_classes
    return 1 if k == 2 and loss in ("bce", "mse") else k


def check_design(graph, dataset: Dataset) -> None:
    """Raise DataError, saying how to fix the design, unless it fits the data."""
    loss, k = graph.loss, dataset.n_classes
    if dataset.task == "regression" and loss != "mse":
        raise DataError(f'{dataset.name} is a regression task (target "{dataset.target_name}"): '
                        f"use the loss mse with a linear output, not {loss}")
    if loss == "bce" and k != 2:
        raise DataError(f"loss bce needs a target with two classes, but {dataset.name} has {k}: "
                        f"use softmax_ce with a softmax output of size {k}")
    inp, out = graph.input_node(), graph.output_node()
    if inp is None or out is None:
        raise DataError(f"the design has no {'input' if inp is None else 'output'} node: add one")
    if inp.size != dataset.n_inputs:
        raise DataError(f"the data has {dataset.n_inputs} features but the input node {inp.label!r} has "
                        f"size {inp.size}: set the input size to {dataset.n_inputs}")
    need = expected_outputs(dataset, loss)
    if out.size != need:
        what = (f"{k} classes, so with loss {loss} it needs {need} output{'s' if need > 1 else ''},"
                if dataset.task == "classification" else "one target,")
        raise DataError(f"the data has {what} but the output node {out.label!r} has size {out.size}: "
                        f"set the output size to {need}")
    if dataset.n_outputs != need:
        raise DataError(f"the data was prepared for the loss {dataset.loss}, the design uses {loss}: "
                        "load the data again for this loss")
