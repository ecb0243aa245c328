"""The app's own ONNX exports: their leading transform nodes and metadata back into a Preprocessing.

An export of a trained design (engine.io.onnx_transform) names its steps ``preprocess/...`` and
``postprocess/...`` and keeps ``features``, ``target`` and ``classes`` in ``metadata_props``.
The transform is rebuilt from those numbers, and the nodes that export would write for it must
be exactly the model's: anything else is refused rather than imported half right.
"""
from __future__ import annotations

import json

import numpy as np

from engine.io.imported import ModelImportError
from engine.io.onnx_transform import NETWORK_OUTPUT, STANDARDISED, input_nodes, output_nodes
from engine.model.errors import GraphError
from engine.model.preprocessing import Preprocessing

PRE, POST = "preprocess/", "postprocess/"


def has_transform(model) -> bool:
    """Whether ``model`` looks like an export of a trained design (metadata and transform nodes)."""
    meta = {p.key for p in model.metadata_props}
    inits = {i.name for i in model.graph.initializer}
    return "features" in meta and {PRE + "mean", PRE + "std"} <= inits


def is_transform_node(node) -> bool:
    return node.name.startswith((PRE, POST))


def _json_names(meta: dict, key: str, where: str) -> list[str]:
    try:
        names = json.loads(meta[key])
    except ValueError:
        names = None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ModelImportError(f"{where}: the metadata {key!r} is not a JSON list of names")
    return names


def _inputs(model, features: list[str]) -> list[str]:
    concat = next((n for n in model.graph.node if n.name == PRE + "concat"), None)
    if concat is None:
        return list(features)
    return [v.split(":", 1)[1] if ":" in v else v for v in concat.input]


def _categories(features: list[str]) -> dict[str, list[str]]:
    """One-hot columns ``city=paris`` grouped by their column, as the CSV rules made them."""
    found: dict[str, list[str]] = {}
    for name in features:
        if "=" in name:
            column, value = name.split("=", 1)
            found.setdefault(column, []).append(value)
    return found


def read_transform(model, consts: dict[str, np.ndarray], where: str) -> Preprocessing:
    """The Preprocessing an export of a trained design was made with; ModelImportError if not one."""
    meta = {p.key: p.value for p in model.metadata_props}
    features = _json_names(meta, "features", where)
    classes = _json_names(meta, "classes", where) if "classes" in meta else []
    regression = not classes
    try:
        return Preprocessing(
            features=features, inputs=_inputs(model, features),
            mean=np.asarray(consts[PRE + "mean"], dtype=np.float64).reshape(-1),
            std=np.asarray(consts[PRE + "std"], dtype=np.float64).reshape(-1),
            task="regression" if regression else "classification", target=meta.get("target", ""),
            classes=classes, categories=_categories(features),
            target_mean=float(np.asarray(consts.get(POST + "target_mean", 0.0)).reshape(-1)[0]) if regression else 0.0,
            target_std=float(np.asarray(consts.get(POST + "target_std", 1.0)).reshape(-1)[0]) if regression else 1.0)
    except (GraphError, ValueError, IndexError) as e:
        raise ModelImportError(f"{where}: its preprocessing cannot be read back: {e}") from None


def _signature(nodes) -> list[tuple]:
    return [(n.name, n.op_type, tuple(n.input), tuple(n.output)) for n in nodes]


def check_transform_nodes(model, p: Preprocessing, out_size: int, where: str) -> tuple[str, str]:
    """Check that the model's transform nodes are exactly what the export writes for ``p``;
    return (the network's input value, its output value)."""
    from onnx import helper, numpy_helper
    pre, _ = input_nodes(helper, numpy_helper, p)
    post, _ = output_nodes(helper, numpy_helper, p, out_size)
    found_pre = [n for n in model.graph.node if n.name.startswith(PRE)]
    found_post = [n for n in model.graph.node if n.name.startswith(POST)]
    for expected, found, part in ((pre, found_pre, "preprocessing"), (post, found_post, "postprocessing")):
        mismatch = next((f for e, f in zip(_signature(expected), _signature(found)) if e != f), None)
        if mismatch is not None or len(expected) != len(found):
            named = f" at node {mismatch[0]!r} ({mismatch[1]})" if mismatch else ""
            raise ModelImportError(f"{where}: its {part} nodes are not the ones Backprop Studio writes{named}: "
                                   "the model was changed after export")
    return STANDARDISED, NETWORK_OUTPUT
