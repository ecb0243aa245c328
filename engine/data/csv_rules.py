"""The CSV rules that need the training split: one-hot text columns and missing values.

A text feature column with at most MAX_CATEGORIES distinct values in the training
split becomes one 0/1 column per value ("city=paris", values sorted), after the
numeric columns; a value seen only outside the training split gives all zeros.
A column with more values is left out. Missing cells are then dropped with their
rows or filled with the training split's mean of their column (for one-hot
columns: the share of each value). Each step adds a sentence to ``notes``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.data.csv_cells import TextColumn
from engine.model.errors import DataError

MAX_CATEGORIES = 20


@dataclass
class Features:
    """The feature matrix after the rules, with the rows still used for training and validation."""
    raw: np.ndarray
    names: list[str]
    train: np.ndarray
    val: np.ndarray
    categories: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def one_hot(codes: np.ndarray, values: list[str], categories: list[str]) -> np.ndarray:
    """(n, len(categories)) 0/1 columns from codes into ``values``; NaN rows where a code is -1."""
    position = {v: k for k, v in enumerate(categories)}
    where = np.array([position.get(v, -1) for v in values] + [-1], dtype=np.int64)[codes]  # code -1: last
    out = np.zeros((len(codes), len(categories)))
    hit = where >= 0
    out[np.flatnonzero(hit), where[hit]] = 1.0
    out[codes < 0] = np.nan
    return out


def _encode_text(f: Features, columns: list[TextColumn]) -> None:
    blocks = []
    for column in columns:
        codes = None if column.too_many else column.codes
        seen = np.unique(codes[f.train]) if codes is not None else np.zeros(0, np.int64)
        seen = seen[seen >= 0]
        if codes is None or len(seen) > MAX_CATEGORIES:
            f.dropped.append(column.name)
            f.notes.append(f'text column "{column.name}" left out: it has more than {MAX_CATEGORIES} '
                           "distinct values in the training split")
            continue
        if len(seen) == 0:
            f.dropped.append(column.name)
            f.notes.append(f'text column "{column.name}" left out: it has no values in the training split')
            continue
        categories = sorted(column.values[c] for c in seen)
        f.categories[column.name] = categories
        blocks.append(one_hot(codes, column.values, categories))
        names = [f"{column.name}={c}" for c in categories]
        f.names += names
        f.notes.append(f'text column "{column.name}" one-hot encoded as {len(names)} features: '
                       + ", ".join(names[:6]) + (", ..." if len(names) > 6 else ""))
    if blocks:
        f.raw = np.hstack([f.raw, *blocks])


def _handle_missing(f: Features, policy: str) -> None:
    holes = np.isnan(f.raw)
    if not holes.any():
        return
    if policy == "drop":
        bad = holes.any(axis=1)
        n = int(bad[f.train].sum() + bad[f.val].sum())
        f.train, f.val = f.train[~bad[f.train]], f.val[~bad[f.val]]
        if not len(f.train):
            raise DataError("every training row has a missing value: with --missing drop none is left; "
                            "try --missing mean")
        f.notes.append(f"{n} row{'s' * (n != 1)} with missing values dropped")
        return
    with np.errstate(all="ignore"):
        count = (~holes[f.train]).sum(axis=0)
        mean = np.where(count > 0, np.nansum(f.raw[f.train], axis=0) / np.maximum(count, 1), 0.0)
    rows, cols = np.nonzero(holes)
    f.raw[rows, cols] = mean[cols]
    n = _cells(holes, len(f.names) - sum(map(len, f.categories.values())), f.categories)
    f.notes.append(f"{n} missing cell{'s' * (n != 1)} filled with the training mean of {'its' if n == 1 else 'their'} "
                   "column")


def _cells(holes: np.ndarray, n_numeric: int, categories: dict) -> int:
    """Missing cells as the file had them: a text cell spans its one-hot columns."""
    n, start = int(holes[:, :n_numeric].sum()), n_numeric
    for cats in categories.values():
        n, start = n + int(holes[:, start].sum()), start + len(cats)
    return n


def apply_rules(raw: np.ndarray, names: list[str], text: list[TextColumn], train: np.ndarray,
                val: np.ndarray, missing: str) -> Features:
    """Encode the text columns on the training split, then drop or fill missing values."""
    f = Features(raw, list(names), train, val)
    _encode_text(f, text)
    if not f.names:
        raise DataError("no feature is left: "
                        + "; ".join(f.notes or ["the data has no feature column besides the target"]))
    if missing != "refuse":
        _handle_missing(f, missing)
    return f
