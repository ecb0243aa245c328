"""The fitted transform inside weight files, under entries named apart from the parameters.

.npz: float64 arrays ``preprocessing.input_mean``, ``preprocessing.input_std`` (one per
network input) and, for regression, ``preprocessing.target_mean``, ``preprocessing.target_std``
(scalars), plus ``preprocessing``: ``Preprocessing.to_dict()`` as JSON text in a uint8 array.
.safetensors: the same tensors, and the metadata key ``preprocessing`` (the JSON).
.json: the field ``preprocessing`` (the object). The JSON is what the app reads back; the
arrays are there for anyone reading the file with numpy or torch. See docs/formats.md.
"""
from __future__ import annotations

import json

import numpy as np

from engine.files.json_text import read_json_text
from engine.model.errors import GraphError, WeightsError
from engine.model.preprocessing import Preprocessing

ENTRY = "preprocessing"     # the JSON text entry / safetensors metadata key / .json field
PREFIX = ENTRY + "."        # the arrays' names: no parameter name starts so (they are W:… and b:…)


def is_transform_entry(name: str) -> bool:
    return name == ENTRY or name.startswith(PREFIX)


def transform_dict(preprocessing, design: dict | None) -> dict | None:
    """The transform to save as plain data: ``preprocessing`` (a Preprocessing or its dict), else the
    design's own "preprocessing", else None. WeightsError if it is not a readable transform."""
    if preprocessing is None and isinstance(design, dict):
        preprocessing = design.get(ENTRY)
    if preprocessing is None:
        return None
    if isinstance(preprocessing, Preprocessing):
        return preprocessing.to_dict()
    try:
        return Preprocessing.from_dict(preprocessing).to_dict()
    except GraphError as e:
        raise WeightsError(f"cannot save this preprocessing with the weights: {e}") from None


def transform_arrays(d: dict) -> dict[str, np.ndarray]:
    """The transform's numbers as named float64 arrays (a dict from ``transform_dict``)."""
    arrays = {PREFIX + "input_mean": np.asarray(d["mean"], dtype=np.float64),
              PREFIX + "input_std": np.asarray(d["std"], dtype=np.float64)}
    if d["task"] == "regression":
        arrays[PREFIX + "target_mean"] = np.asarray(d["target_mean"], dtype=np.float64)
        arrays[PREFIX + "target_std"] = np.asarray(d["target_std"], dtype=np.float64)
    return arrays


def transform_text(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False)


def split_entries(raw: dict) -> tuple[dict, dict]:
    """(parameters, transform entries) of a file's named arrays."""
    params = {k: v for k, v in raw.items() if not is_transform_entry(k)}
    return params, {k: v for k, v in raw.items() if is_transform_entry(k)}


def read_transform(value, name: str) -> Preprocessing:
    """A Preprocessing from the stored JSON (text, bytes or a parsed object); WeightsError naming the file."""
    where = f"{name}: the preprocessing stored with the weights"
    if isinstance(value, np.ndarray):
        value = value.tobytes()
    if isinstance(value, (str, bytes)):
        value = read_json_text(value, where, WeightsError)
    try:
        return Preprocessing.from_dict(value)
    except GraphError as e:
        raise WeightsError(f"{where} is not usable: {e}") from None
