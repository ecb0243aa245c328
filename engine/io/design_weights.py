"""A design file saved with its weights: the design's dict with one more field, ``weights``.

The field holds a weights document as in the .json weight format (docs/formats.md), so
that the file stays an ordinary design file that any reader of designs can open.
``load_design_with_weights`` reads either kind of design file. A second optional field,
``runs``, keeps the session's training runs (engine.train.run_record) for comparison;
``load_runs`` reads them, skipping a malformed one with a warning.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from engine.files.atomic import atomic_write
from engine.files.json_text import read_json_text
from engine.io.onnx_export import expected_shapes
from engine.io.weights import FORMAT, VERSION, WeightsError, check_weights, weights_from_document
from engine.model.errors import GraphError
from engine.model.graph import Graph
from engine.train.run_record import MAX_RUNS, RunError, RunRecord

WEIGHTS_FIELD = "weights"       # the design file's field holding its weights
RUNS_FIELD = "runs"             # the design file's field holding the training runs


def design_with_weights(graph: Graph, params: dict, runs: list | None = None) -> dict:
    """The design file's dict with the field ``weights`` (checked against the design) and,
    when ``runs`` (RunRecords or their ``to_dict()``) are given, the field ``runs``."""
    shapes = expected_shapes(graph)
    check_weights(shapes, params)
    entries = []
    for name in shapes:
        arr = np.asarray(params[name])
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise WeightsError(f"{name} holds NaN or infinite values: train again or reset the weights")
        entries.append({"name": name, "shape": list(arr.shape), "dtype": arr.dtype.name,
                        "values": arr.tolist()})
    data = graph.to_dict()
    data[WEIGHTS_FIELD] = {"format": FORMAT, "version": VERSION, "parameters": entries}
    if runs:
        data[RUNS_FIELD] = [r.to_dict() if isinstance(r, RunRecord) else r for r in runs[-MAX_RUNS:]]
    return data


def save_design_with_weights(graph: Graph, params: dict, path, runs: list | None = None) -> None:
    """Write the design with its weights (and its training ``runs``, if any) to ``path`` (atomic)."""
    text = json.dumps(design_with_weights(graph, params, runs), indent=1, allow_nan=False)
    with atomic_write(Path(path), "w") as f:
        f.write(text + "\n")


def load_design_with_weights(path) -> tuple[Graph, dict | None]:
    """(design, weights or None) from a design file; GraphError naming the file and problem."""
    path = Path(path)
    graph = Graph.load(path)            # every problem with the design itself, named
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, ValueError) as e:
        raise GraphError(f"{path.name}: cannot read it again ({e})") from None
    data = read_json_text(text, path.name, GraphError)
    doc = data.get(WEIGHTS_FIELD) if isinstance(data, dict) else None
    if doc is None:
        return graph, None
    try:
        params = weights_from_document(doc, f"{path.name} (its weights)")
        check_weights(expected_shapes(graph), params)
    except WeightsError as e:
        raise GraphError(f"{path.name}: the weights saved with the design cannot be used: {e}") from None
    return graph, params


def runs_from_data(value, name: str) -> tuple[list[RunRecord], list[str]]:
    """The runs of a design file's ``runs`` field and a warning for each one left out."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [f"{name}: its saved runs were ignored (runs must be a list)"]
    runs, warnings = [], []
    for i, entry in enumerate(value[-MAX_RUNS:], start=max(0, len(value) - MAX_RUNS) + 1):
        try:
            runs.append(RunRecord.from_dict(entry))
        except (RunError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as e:
            warnings.append(f"{name}: saved run {i} was ignored ({e})")
    return runs, warnings


def load_runs(path) -> tuple[list[RunRecord], list[str]]:
    """The training runs a design file carries (none for a file without them), and warnings
    for what was ignored. Never raises for the file's content."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        return [], [f"{path.name}: its saved runs could not be read ({e})"]
    if b'"runs"' not in raw:      # most designs: skip parsing them a third time
        return [], []
    try:
        data = read_json_text(raw.decode("utf-8-sig"), path.name, GraphError)
    except (GraphError, ValueError, RecursionError) as e:
        return [], [f"{path.name}: its saved runs could not be read ({e})"]
    return runs_from_data(data.get(RUNS_FIELD) if isinstance(data, dict) else None, path.name)
