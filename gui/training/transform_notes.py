"""The design adopts the transform fitted on the data, and the user is told what was done.

The worker's "ready" info carries the Dataset's fitted transform ("preprocessing") and
its notes (a text column dropped or one-hot encoded, missing cells handled...). The
transform becomes ``graph.preprocessing`` (saved with the design, not an undo step);
when it replaces a different one the user is told it was refitted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine import GraphError
from engine.model.preprocessing import Preprocessing
from gui.core.formatting import fmt_units


@dataclass
class Adopted:
    """What adopting the data's transform did."""
    changed: bool = False               # the design's transform is new or different
    refitted: str | None = None         # the sentence to show when it replaced another one
    notes: list[str] = field(default_factory=list)   # the transform's summary, then the data's notes


def adopt_transform(graph, info: dict) -> Adopted:
    """Set ``graph.preprocessing`` from the worker's ready ``info``."""
    notes = [str(n) for n in info.get("notes") or []]
    try:
        fitted = Preprocessing.from_dict(info.get("preprocessing"))
    except GraphError:      # data without a transform: the design keeps its own
        return Adopted(notes=notes)
    had = graph.preprocessing is not None
    changed = graph.set_preprocessing(fitted)
    name, n = info.get("name", "the data"), len(fitted.inputs)
    refitted = (f"Refitted the input standardisation on the training split of {name} "
                f"({n} feature{'s' if n != 1 else ''})") if changed and had else None
    return Adopted(changed, refitted, [transform_summary(fitted, name), *notes])


def transform_summary(p: Preprocessing, name: str) -> str:
    """One line on what the network sees: "Inputs standardised on the training split of
    house_prices (4 features); target price standardised too (mean 245,000, deviation 45,000)"."""
    n = len(p.inputs)
    text = f"Inputs standardised on the training split of {name} ({n} feature{'s' if n != 1 else ''})"
    if p.is_standardised_target:
        text += (f"; target {p.target} standardised too (mean {fmt_units(p.target_mean)}, "
                 f"deviation {fmt_units(p.target_std)})")
    return text
