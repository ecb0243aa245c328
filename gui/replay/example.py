"""One example of the replay, as the data has it and as the network sees it.

A ``ReplayExample`` holds the network's inputs for the traced example and its target
on the network's scale and, when the design's Preprocessing is known, where they came
from: the raw feature values, the derived 2-D features, the target in its units or its
class. The functions below write that down with the transform's own numbers:
"x1 1.367 → (1.367 − 0.02134)/4.11 = 0.3277". This module does not import Qt.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from engine.model.preprocessing import Preprocessing
from gui.core.formatting import fmt, fmt_units

SHOWN_INPUTS = 8      # inputs listed one per line; the rest are counted
SUMMARY_VALUES = 4    # values in the replay bar's one-line summary


@dataclass
class ReplayExample:
    """The traced example: network inputs ``seen`` and ``target``, and what they stand for."""
    seen: np.ndarray
    target: np.ndarray
    preprocessing: Preprocessing | None = None
    source: str = ""                    # "training example 5 of 320", "point (1, −2)"...
    raw: np.ndarray | None = None       # the raw feature values, when known exactly
    target_units: float | None = None   # a regression target in its units, when known exactly
    point: tuple[float, float] | None = None   # the raw 2-D point (for the decision boundary)
    random: bool = False                # random inputs: the data could not be loaded

    def __post_init__(self):
        self.seen = np.asarray(self.seen, dtype=np.float64).reshape(-1)
        self.target = np.asarray(self.target, dtype=np.float64).reshape(-1)
        p = self.preprocessing
        if p is not None and len(p.inputs) != self.seen.size:
            self.preprocessing = None   # a transform of other data: say nothing rather than wrong things

    def before(self) -> np.ndarray | None:
        """The network's inputs before standardisation (raw features, then derived ones)."""
        p = self.preprocessing
        if p is None:
            return None
        if self.raw is not None:
            return p.derive(np.asarray(self.raw, dtype=np.float64).reshape(1, -1))[0]
        before = self.seen * p.std + p.mean
        # Rounding leaves 1e-17 where the data had 0: show the 0.
        before[np.abs(before) <= 1e-12 * (np.abs(p.mean) + p.std)] = 0.0
        return before

    def raw_features(self) -> np.ndarray | None:
        """The raw values of the Preprocessing's features, in order."""
        p = self.preprocessing
        if p is None:
            return None
        if self.raw is not None:
            return np.asarray(self.raw, dtype=np.float64).reshape(-1)
        if not all(f in p.inputs for f in p.features):
            return None
        before = self.before()
        return np.array([before[p.inputs.index(f)] for f in p.features])

    def class_index(self) -> int:
        return int(np.argmax(self.target)) if self.target.size > 1 else int(self.target[0] >= 0.5)

    def target_in_units(self) -> float:
        if self.target_units is not None:
            return float(self.target_units)
        p = self.preprocessing
        return float(self.target[0] * p.target_std + p.target_mean)


def _minus(mean: float) -> str:
    """" − mean" with the sign folded in: (x + 0.5) rather than (x − −0.5)."""
    return f" − {fmt_units(mean)}" if mean >= 0 else f" + {fmt_units(-mean)}"


def input_line(ex: ReplayExample, i: int) -> str:
    """ "x1 1.367 → (1.367 − 0.02134)/4.11 = 0.3277"; "x1^2 = 1.869 → ..." for a derived input."""
    p = ex.preprocessing
    name, b = p.inputs[i], float(ex.before()[i])
    head = f"{name} {fmt_units(b)}" if name in p.features else f"{name} = {fmt_units(b)}"
    return (f"{head} → ({fmt_units(b)}{_minus(float(p.mean[i]))})/{fmt_units(p.std[i])}"
            f" = {fmt(ex.seen[i])}")


def inputs_html(ex: ReplayExample, mark: int | None = None) -> str:
    """What the network sees of each input, one line each (the first few), ``mark`` in bold."""
    p = ex.preprocessing
    if p is None:
        why = ("random inputs: the data could not be loaded and the design keeps no fitted "
               "preprocessing" if ex.random else "no fitted preprocessing is known for this design")
        return f"<p>The inputs are on the network's scale ({why}).</p>"
    derived = [n for n in p.inputs if n not in p.features]
    intro = ("Each input is standardised with the mean and deviation of the training split, "
             "x′ = (x − mean)/std")
    if derived:
        intro += f", after {', '.join(derived)} {'is' if len(derived) == 1 else 'are'} computed from x1 and x2"
    parts = [f"<p>{intro}:</p>"]
    if ex.random:
        parts.append("<p><i>These are random inputs (the data could not be loaded): the raw values "
                     "are the ones they stand for.</i></p>")
    shown = list(range(min(len(p.inputs), SHOWN_INPUTS)))
    if mark is not None and mark not in shown:
        shown.append(mark)
    lines = []
    for i in shown:
        line = html.escape(input_line(ex, i))
        lines.append(f"<b>{line}</b>" if i == mark else line)
    if len(p.inputs) > len(shown):
        lines.append(f"… {len(p.inputs) - len(shown)} more")
    parts.append(f"<p style='margin-left: 12px'>{'<br>'.join(lines)}</p>")
    return "".join(parts)


def _nowrap(text: str) -> str:
    return f"<span style='white-space: nowrap'>{text}</span>"


def _quoted(name: str) -> str:
    return f"“{html.escape(name)}”"


def target_html(ex: ReplayExample, y: np.ndarray | None = None, index: int | None = None) -> str:
    """The target on the scale the loss is computed on, and the prediction ``y`` (network
    outputs of the example) in the target's units or as a class; ``index``: the output explained."""
    p = ex.preprocessing
    if p is None:
        return ""
    if p.task == "regression":
        t, units, name = float(ex.target[0]), ex.target_in_units(), html.escape(p.target)
        scaled = f"t = ({fmt_units(units)}{_minus(p.target_mean)})/{fmt_units(p.target_std)} = {fmt(t)}."
        text = (f"The target {name} = {fmt_units(units)} is standardised with the training split's "
                f"mean and deviation: {_nowrap(scaled)} The loss is computed on this scale.")
        if y is not None:
            y0 = float(np.ravel(y)[0])
            in_units = (f"{fmt(y0)} · {fmt_units(p.target_std)}{_minus(-p.target_mean)} = "
                        f"{fmt_units(p.to_units(np.array([[y0]]))[0, 0])}.")
            text += f"<br>In {name}'s units the prediction is y · std + mean = {_nowrap(in_units)}"
        return f"<p>{text}</p>"
    k, classes = ex.class_index(), p.classes
    name = classes[k] if k < len(classes) else f"class {k}"
    is_of = f"This example is {'given' if ex.random else 'of'} class {_quoted(name)}"
    if ex.target.size == 1:
        other = classes[1 - k] if len(classes) == 2 else "the other class"
        text = (f"{is_of}, so t = {k} (t = {1 - k} stands for {_quoted(other)}); "
                f"the loss compares the output with this 0/1 target.")
    else:
        text = (f"{is_of}: t is one-hot, 1 for output {k} and 0 for the others; "
                f"the loss compares the outputs with it.")
        if index is not None and index < len(classes):
            text += f" Output {index} stands for {_quoted(classes[index])}."
    if y is not None:
        probs = p.to_units(np.asarray(y, dtype=np.float64).reshape(1, -1))[0]
        guess = int(np.argmax(probs))
        if guess < len(classes):
            text += f"<br>The network's answer: {_quoted(classes[guess])}."
    return f"<p>{text}</p>"


def example_html(ex: ReplayExample, y: np.ndarray | None = None) -> str:
    """The example as a whole: where it comes from, its inputs, its target."""
    title = f"<h3>The example{': ' + html.escape(ex.source) if ex.source else ''}</h3>"
    return title + inputs_html(ex) + target_html(ex, y)


def summary(ex: ReplayExample) -> tuple[str, str]:
    """(one line for the replay bar, a tooltip with every shown input) of the example."""
    p = ex.preprocessing
    seen = _values(ex.seen)
    if p is None:
        return (f"the network sees {seen}" + (" (random inputs)" if ex.random else ""), "")
    raw = ex.raw_features()
    if raw is None:
        text = f"the network sees {seen}"
    elif ex.point is not None:
        text = f"raw point {_values(raw, fmt_units)} → the network sees {seen}"
    else:
        pairs = [f"{f} {fmt_units(v)}" for f, v in zip(p.features[:SUMMARY_VALUES], raw)]
        more = ", …" if len(raw) > SUMMARY_VALUES else ""
        text = f"raw {', '.join(pairs)}{more} → the network sees {seen}"
    if p.task == "regression":
        text += f" · {p.target} {fmt_units(ex.target_in_units())} → t = {fmt(ex.target[0])}"
    elif ex.class_index() < len(p.classes):
        text += f" · class “{p.classes[ex.class_index()]}”"
    if ex.random:
        text += " (random inputs)"
    tip = "\n".join(input_line(ex, i) for i in range(min(len(p.inputs), SHOWN_INPUTS)))
    if len(p.inputs) > SHOWN_INPUTS:
        tip += f"\n… {len(p.inputs) - SHOWN_INPUTS} more"
    return text, tip


def _values(values, form=fmt) -> str:
    flat = np.ravel(values)
    shown = ", ".join(form(v) for v in flat[:SUMMARY_VALUES])
    return f"({shown}{', …' if flat.size > SUMMARY_VALUES else ''})"
