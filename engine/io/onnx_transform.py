"""The fitted transform as ordinary ONNX nodes, before and after the network (see docs/formats.md).

Before: the graph input "input" holds raw rows (the transform's features); for 2-D data
each column is taken out with ``Gather`` and the derived features made with ``Mul``/``Sin``,
then ``Concat``; then ``Sub(preprocess/mean)`` and ``Div(preprocess/std)`` give the value
"standardised", which the network reads. After: a regression's ``Mul(postprocess/target_std)``
and ``Add(postprocess/target_mean)``; a single output for two classes becomes
``Concat(Sub(postprocess/one, p), p)``; other outputs pass as they are.
"""
from __future__ import annotations

import json

import numpy as np

from engine.io.exported_transform import input_text, output_text, two_class_output
from engine.model.preprocessing import Preprocessing

STANDARDISED = "standardised"       # the value the network reads when there is a transform
NETWORK_OUTPUT = "network output"   # the network's output when a step follows it
_DERIVED = {"x1^2": ("Mul", ["x1", "x1"]), "x2^2": ("Mul", ["x2", "x2"]), "x1*x2": ("Mul", ["x1", "x2"]),
            "sin(x1)": ("Sin", ["x1"]), "sin(x2)": ("Sin", ["x2"])}


def _constant(numpy_helper, values, name: str):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32).reshape(-1), name)


def _derive_nodes(helper, numpy_helper, p: Preprocessing) -> tuple[list, list, str]:
    """Nodes computing the network's inputs before standardisation from "input"; their value."""
    if p.inputs == p.features:
        return [], [], "input"
    nodes, inits, column = [], [], {}
    needed = [n for n in p.inputs if n in p.features] + [a for n in p.inputs if n in _DERIVED for a in _DERIVED[n][1]]
    for name in dict.fromkeys(needed):
        index = f"preprocess/index {name}"
        inits.append(numpy_helper.from_array(np.array([p.features.index(name)], dtype=np.int64), index))
        column[name] = f"raw:{name}"
        nodes.append(helper.make_node("Gather", ["input", index], [column[name]], name=f"preprocess/take {name}",
                                      axis=1))
    for name in p.inputs:
        if name not in column:
            op, args = _DERIVED[name]
            column[name] = f"derived:{name}"
            nodes.append(helper.make_node(op, [column[a] for a in args], [column[name]],
                                          name=f"preprocess/derive {name}"))
    nodes.append(helper.make_node("Concat", [column[n] for n in p.inputs], ["derived"],
                                  name="preprocess/concat", axis=1))
    return nodes, inits, "derived"


def input_nodes(helper, numpy_helper, p: Preprocessing) -> tuple[list, list]:
    """(nodes, initialisers) from raw rows in "input" to the network's inputs in STANDARDISED."""
    nodes, inits, value = _derive_nodes(helper, numpy_helper, p)
    inits += [_constant(numpy_helper, p.mean, "preprocess/mean"), _constant(numpy_helper, p.std, "preprocess/std")]
    nodes += [helper.make_node("Sub", [value, "preprocess/mean"], ["centred"], name="preprocess/subtract mean"),
              helper.make_node("Div", ["centred", "preprocess/std"], [STANDARDISED],
                               name="preprocess/divide by std")]
    return nodes, inits


def output_nodes(helper, numpy_helper, p: Preprocessing, out_size: int) -> tuple[list, list]:
    """(nodes, initialisers) from NETWORK_OUTPUT to "output": target units or class probabilities."""
    if p.task == "regression":
        inits = [_constant(numpy_helper, [p.target_std], "postprocess/target_std"),
                 _constant(numpy_helper, [p.target_mean], "postprocess/target_mean")]
        nodes = [helper.make_node("Mul", [NETWORK_OUTPUT, "postprocess/target_std"], ["scaled"],
                                  name="postprocess/times target std"),
                 helper.make_node("Add", ["scaled", "postprocess/target_mean"], ["output"],
                                  name="postprocess/plus target mean")]
        return nodes, inits
    if two_class_output(p, out_size):
        first = f"p:{p.classes[0]}"
        nodes = [helper.make_node("Sub", ["postprocess/one", NETWORK_OUTPUT], [first],
                                  name="postprocess/first class 1 - p"),
                 helper.make_node("Concat", [first, NETWORK_OUTPUT], ["output"],
                                  name="postprocess/both classes", axis=1)]
        return nodes, [_constant(numpy_helper, [1.0], "postprocess/one")]
    return [helper.make_node("Identity", [NETWORK_OUTPUT], ["output"], name="postprocess/probabilities")], []


def metadata(p: Preprocessing) -> dict[str, str]:
    """The model's metadata_props for the transform: features, target and (classification) classes."""
    props = {"features": json.dumps(p.features, ensure_ascii=False), "target": p.target}
    if p.task == "classification":
        props["classes"] = json.dumps(p.classes, ensure_ascii=False)
    return props


def input_doc(p: Preprocessing) -> str:
    return "raw rows: " + input_text(p)


def output_doc(p: Preprocessing) -> str:
    return output_text(p)
