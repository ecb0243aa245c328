"""A design file saved with its weights: the design's dict with one more field, ``weights``.

The field holds a weights document as in the .json weight format (docs/formats.md), so
that the file stays an ordinary design file that any reader of designs can open.
``load_design_with_weights`` reads either kind of design file.
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

WEIGHTS_FIELD = "weights"       # the design file's field holding its weights


def design_with_weights(graph: Graph, params: dict) -> dict:
    """The design file's dict with the field ``weights`` (checked against the design)."""
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
    return data


def save_design_with_weights(graph: Graph, params: dict, path) -> None:
    """Write the design with its weights to ``path`` (atomic)."""
    text = json.dumps(design_with_weights(graph, params), indent=1)
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
