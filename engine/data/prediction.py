"""Predicting on a CSV with a trained model's preprocessing: raw rows in, a table of predictions out.

The columns are found by the names saved with the model (``Preprocessing.features``,
and ``categories`` for one-hot encoded text columns, given either as the text column
or as its 0/1 columns ``city=paris``...); the target column may be absent. A text
value the model never saw gives all zeros and a warning. Missing cells follow
``missing`` as in training: "refuse", "drop" the row, or fill with the training
"mean" the model keeps. ``predict_csv`` does it all given the network's forward
function, so that the command line and the GUI write the same file.
"""
from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.data import csv_table
from engine.data.csv_cells import check_policy, is_missing, is_number, missing_error, parse_numbers
from engine.data.csv_rules import one_hot
from engine.model.errors import DataError
from engine.model.preprocessing import Preprocessing

MAX_WARNINGS = 10       # unseen text values named one by one; the rest are counted


@dataclass
class PredictionRows:
    """The rows of a CSV to predict on: every cell as read, and the model's raw features."""
    columns: list[str]
    records: list[list[str]]
    row_numbers: list[int]
    raw: np.ndarray                     # (rows, len(preprocessing.features))
    target: list[str] | None            # the target column's cells, None when the file has none
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Prediction:
    """The table to write (header, rows of cells) and what to tell the user."""
    header: list[str]
    rows: list[list[str]]
    metrics: dict | None
    warnings: list[str]
    notes: list[str]


def _find(name: str, columns: list[str]) -> int | None:
    if name in columns:
        return columns.index(name)
    folded = [c.casefold() for c in columns]
    return folded.index(name.casefold()) if name.casefold() in folded else None


def _read_records(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    records, numbers = [], []
    with csv_table.csv_records(path) as (columns, _, rows):
        for number, record in rows:
            if len(record) != len(columns):
                raise DataError(f"{path.name}, row {number} has {len(record)} cells, but the file has "
                                f"{len(columns)} columns: every row needs the same number of columns")
            if (len(records) + 1) * len(columns) > csv_table.MAX_VALUES:
                raise DataError(f"{path.name} is too large: more than {csv_table.MAX_VALUES:,} cells")
            records.append(record)
            numbers.append(number)
    if not records:
        raise DataError(f"{path.name} has no data rows")
    return columns, records, numbers


def _column(name: str, columns: list[str], path: Path) -> int:
    j = _find(name, columns)
    if j is None:
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        raise DataError(f'{path.name} has no column "{name}", which the model takes as input: '
                        f"its columns are {shown}")
    return j


def _encode_text(rows: PredictionRows, j: int, name: str, categories: list[str]) -> np.ndarray:
    texts = [r[j].strip() for r in rows.records]
    values = sorted(set(texts))
    codes = np.array([-1 if is_missing(v) else k for k, v in enumerate(values)], dtype=np.int64)
    codes = codes[np.searchsorted(values, texts)]
    unseen = [v for v in values if not is_missing(v) and v not in categories]
    for v in unseen[:MAX_WARNINGS]:
        rows.warnings.append(f'column "{name}": the value "{v}" was not seen in training; '
                             "its one-hot columns are all 0")
    if len(unseen) > MAX_WARNINGS:
        rows.warnings.append(f'column "{name}": {len(unseen) - MAX_WARNINGS} more values not seen in training')
    return one_hot(codes, values, categories)


def read_prediction_rows(path, preprocessing: Preprocessing, missing: str = "refuse") -> PredictionRows:
    """Read ``path`` for ``preprocessing``: the raw feature rows, missing cells refused, dropped or filled."""
    path, p = Path(path), preprocessing
    check_policy(missing)
    columns, records, numbers = _read_records(path)
    t = _find(p.target, columns)
    rows = PredictionRows(columns, records, numbers, np.empty((len(records), len(p.features))),
                          None if t is None else [r[t] for r in records])
    source = [""] * len(p.features)         # the file's column behind each feature
    for name, cats in p.categories.items():
        if _find(name, columns) is None and all(_find(f"{name}={c}", columns) is not None for c in cats):
            continue        # already one-hot, as a PyTorch project's data files hold it: read as numbers
        j = _column(name, columns, path)
        at = [p.features.index(f"{name}={c}") for c in cats]
        rows.raw[:, at] = _encode_text(rows, j, columns[j], cats)
        for k in at:
            source[k] = columns[j]
    for k, feature in enumerate(p.features):
        if not source[k]:
            j = _column(feature, columns, path)
            rows.raw[:, k] = parse_numbers([(r[j],) for r in records], numbers, [columns[j]], path.name)[:, 0]
            source[k] = columns[j]
    _missing(rows, p, missing, source, path.name)
    return rows


def _missing(rows: PredictionRows, p: Preprocessing, missing: str, source: list[str], file: str) -> None:
    holes = np.isnan(rows.raw)
    if not holes.any():
        return
    if missing == "refuse":
        r, k = np.argwhere(holes)[0]
        j = rows.columns.index(source[k])
        raise missing_error(file, rows.row_numbers[r], source[k], rows.records[r][j])
    if missing == "mean":
        mean = np.array([p.mean[p.inputs.index(f)] for f in p.features])
        r, k = np.nonzero(holes)
        rows.raw[r, k] = mean[k]
        n = len({(int(a), source[b]) for a, b in zip(r, k)})
        rows.notes.append(f"{n} missing cell{'s' * (n != 1)} filled with the training mean of "
                          f"{'its' if n == 1 else 'their'} column")
        return
    keep = ~holes.any(axis=1)
    n = int((~keep).sum())
    if not keep.any():
        raise DataError(f"{file}: every row has a missing value; none is left to predict")
    index = np.flatnonzero(keep)
    rows.records = [rows.records[i] for i in index]
    rows.row_numbers = [rows.row_numbers[i] for i in index]
    rows.target = None if rows.target is None else [rows.target[i] for i in index]
    rows.raw = rows.raw[keep]
    rows.notes.append(f"{n} row{'s' * (n != 1)} with missing values dropped")


def _in_units(outputs, p: Preprocessing) -> np.ndarray:
    units = p.to_units(outputs)
    need = 1 if p.task == "regression" else len(p.classes)
    if units.ndim != 2 or units.shape[1] != need:
        raise DataError(f"the network gives {np.shape(outputs)[-1]} outputs, but the model's "
                        f"{p.task} needs {need}: the weights and the preprocessing do not belong together")
    return units


def prediction_table(rows: PredictionRows, outputs, preprocessing: Preprocessing):
    """(header, rows of cells): every input row, then ``predicted_<target>`` and, for classes,
    ``p_<class>`` per class."""
    p, units = preprocessing, _in_units(outputs, preprocessing)
    header = list(rows.columns) + [f"predicted_{p.target}"]
    if p.task == "regression":
        extra = [[_number(v)] for v in units[:, 0]]
    else:
        header += [f"p_{c}" for c in p.classes]
        best = units.argmax(axis=1)
        extra = [[p.classes[b], *(_number(v) for v in u)] for b, u in zip(best, units)]
    return header, [list(r) + e for r, e in zip(rows.records, extra)]


def _number(v) -> str:
    return format(float(v), ".10g")


def prediction_metrics(rows: PredictionRows, outputs, preprocessing: Preprocessing) -> dict | None:
    """RMSE and R² in the target's units, or accuracy, on the rows whose target is given; None
    when the file has no target column (or no row with a target)."""
    if rows.target is None:
        return None
    p, units = preprocessing, _in_units(outputs, preprocessing)
    given = np.array([not is_missing(t) for t in rows.target])
    if p.task == "regression":
        values = np.array([float(t) if g and is_number(t) else np.nan
                           for t, g in zip(rows.target, given)])
        ok = np.isfinite(values)
        if not ok.any():
            return None
        err = units[ok, 0] - values[ok]
        total = float(((values[ok] - values[ok].mean()) ** 2).sum())
        r2 = 1.0 - float((err ** 2).sum()) / total if total > 0 else None
        return {"rows": int(ok.sum()), "rmse": float(np.sqrt((err ** 2).mean())), "r2": r2}
    if not given.any():
        return None
    labels = [_class_name(t, p.classes) for t, g in zip(rows.target, given) if g]
    predicted = [p.classes[b] for b, g in zip(units.argmax(axis=1), given) if g]
    right = sum(a == b for a, b in zip(labels, predicted))
    return {"rows": len(labels), "accuracy": right / len(labels)}


def _class_name(text: str, classes: list[str]) -> str:
    text = text.strip()
    if text not in classes and is_number(text) and float(text) == round(float(text)):
        return str(int(float(text)))        # "1.0" names the class "1"
    return text


def describe_metrics(metrics: dict, target: str) -> str:
    if "accuracy" in metrics:
        return f"accuracy {100 * metrics['accuracy']:.2f}% on {metrics['rows']} rows with a target"
    r2 = "n/a" if metrics["r2"] is None else f"{metrics['r2']:.4f}"
    return f"RMSE {metrics['rmse']:.6g} ({target}), R² {r2} on {metrics['rows']} rows with a target"


def predict_csv(path, preprocessing: Preprocessing, forward: Callable[[np.ndarray], np.ndarray],
                missing: str = "refuse") -> Prediction:
    """Read ``path``, run ``forward`` (network inputs -> outputs) on it, and make the table."""
    rows = read_prediction_rows(path, preprocessing, missing)
    outputs = np.asarray(forward(preprocessing.apply(rows.raw)), dtype=np.float64)
    header, table = prediction_table(rows, outputs, preprocessing)
    return Prediction(header, table, prediction_metrics(rows, outputs, preprocessing), rows.warnings, rows.notes)


def write_prediction(prediction: Prediction, stream) -> None:
    """Write the table as CSV (comma-separated, a header row) to a text stream."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(prediction.header)
    writer.writerows(prediction.rows)
