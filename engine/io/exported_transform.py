"""What every export does with the design's fitted transform (engine.model.preprocessing).

An export of a trained design takes raw rows (the transform's ``features``, in order) and
returns the target in its units (regression) or class probabilities (classification). Its
transform must fit the design: ``fitted_preprocessing`` checks that, and ``two_class_output``
says when a single output is the second class's probability (the first is 1 − it).
"""
from __future__ import annotations

from engine.model.errors import ExportError
from engine.model.preprocessing import Preprocessing

REFIT = "train again to refit it"


def fitted_preprocessing(graph) -> Preprocessing | None:
    """The design's transform, checked against its input and output nodes; None if never trained."""
    p = graph.preprocessing
    if p is None:
        return None
    inp, out = graph.input_node(), graph.output_node()
    if len(p.inputs) != inp.size:
        raise ExportError(f"the preprocessing fitted in training makes {len(p.inputs)} inputs, but the "
                          f"input node {inp.label!r} takes {inp.size}: {REFIT}")
    if p.task == "regression" and out.size != 1:
        raise ExportError(f"the preprocessing fitted in training predicts one target ({p.target}), but the "
                          f"output node {out.label!r} has {out.size} outputs: {REFIT}")
    if p.task == "classification" and out.size != len(p.classes) and not two_class_output(p, out.size):
        raise ExportError(f"the preprocessing fitted in training names {len(p.classes)} classes, but the "
                          f"output node {out.label!r} has {out.size} outputs: {REFIT}")
    return p


def two_class_output(p: Preprocessing, out_size: int) -> bool:
    """A single output for two classes: the second class's probability (sigmoid, or mse's 0/1)."""
    return p.task == "classification" and len(p.classes) == 2 and out_size == 1


def output_width(p: Preprocessing) -> int:
    """Columns of an export's output: one target, or one probability per class."""
    return 1 if p.task == "regression" else len(p.classes)


def listed(names: list[str], limit: int = 12) -> str:
    """Names for a docstring or message: the first ``limit``, then how many more."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def input_text(p: Preprocessing) -> str:
    """What an export's raw input holds, in words."""
    derived = [n for n in p.inputs if n not in p.features]
    text = f"{len(p.features)} raw column{'s' * (len(p.features) != 1)} in the data's units: {listed(p.features)}"
    if p.categories:
        text += " (one-hot columns column=value are 0/1, all 0 for an unseen value)"
    if derived:
        text += f"; the derived features {', '.join(derived)} are computed inside"
    return text


def output_text(p: Preprocessing) -> str:
    """What an export's output holds, in words."""
    if p.task == "regression":
        return f"{p.target} in its own units"
    return f"the probability of each class, in the order {listed(p.classes)} (the target {p.target})"
