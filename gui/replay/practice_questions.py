"""Practice questions: which frames of a replay ask the learner for a number, and what it is.

``build_questions(timeline)`` walks the replay's frames and, for each value a frame reveals,
makes a ``Question``: its kind (forward value, local derivative, δ, path sum, ∂L/∂w, update),
the number expected (the trace's own, for the first example and one neuron of the node: the
first in the first replay, the next in the next),
the numbers needed to compute it, and plausible wrong answers with what each one got wrong.
Qt-free: numpy, the engine and gui.core.formatting only.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from engine.model.param_names import weight_name
from engine.nn import activations
from gui.replay.timeline_captions import prime

KINDS = ("forward", "local", "delta", "path", "weight", "update")
KIND_LABELS = {"forward": "forward value", "local": "local derivative", "delta": "δ",
               "path": "path sum", "weight": "∂L/∂w", "update": "update"}
MAX_GIVENS = 8    # a hand computation lists at most this many products


@dataclass(frozen=True)
class Question:
    """One number the learner computes before the replay reveals it."""
    kind: str
    frame: int
    node: str
    target: str                         # what is asked, e.g. "δ of h1"
    formula: str                        # how it is computed, e.g. "δ = ∂L/∂a · σ′(z)"
    expected: float
    givens: tuple = ()                  # (name, value) pairs the computation needs
    mistakes: tuple = ()                # (wrong value, what was got wrong)
    edge: tuple | None = None           # (src, dst) for a weight, a path or an update
    tolerance: float | None = None      # absolute; None: the usual one of a hand computation
    digits: int = 6                     # significant digits to show the givens with
    neuron: int = 0                     # which neuron of ``node`` is asked about
    cell: tuple | None = None           # (i, j) of the weight asked about

    def accepts(self, answer: float, value: float | None = None) -> bool:
        """Whether ``answer`` is within this question's tolerance of ``value`` (the expected)."""
        value = self.expected if value is None else value
        if self.tolerance is not None:
            return abs(answer - value) <= self.tolerance
        return close(answer, value)


def _mistakes(expected: float, candidates, tolerance: float | None = None) -> tuple:
    """Candidates that differ from the right answer (a "mistake" equal to it is no mistake)."""
    out = []
    for value, why in candidates:
        value = float(value)
        near = abs(value - expected) <= tolerance if tolerance is not None else close(value, expected)
        if np.isfinite(value) and not near:
            out.append((value, why))
    return tuple(out)


def close(answer: float, expected: float, rel: float = 5e-3, abs_tol: float = 1e-4) -> bool:
    """Within the tolerance of a hand computation from the 4-digit numbers shown."""
    return abs(answer - expected) <= max(rel * abs(expected), abs_tol)


class _Builder:
    """Reads the trace steps behind a timeline's frames."""

    def __init__(self, timeline, choice: int = 0):
        self.tl = timeline
        self.choice = choice
        self.graph = timeline.graph
        self.weights = timeline.weights or {}
        self.masks = timeline.masks or {}
        self.steps = {(s.phase, s.node): s for s in timeline.steps}

    def label(self, node: str, i: int | None = None) -> str:
        text = self.tl.label(node)
        size = self.graph.nodes[node].size if node in self.graph.nodes else 1
        return f"{text}[{i + 1}]" if i is not None and size > 1 else text

    def act(self, node: str) -> str:
        return self.graph.nodes[node].activation if node in self.graph.nodes else "linear"

    def a(self, node: str):
        return self.steps[("forward", node)].values["a"]

    def cell(self, shape, mask) -> tuple[int, int] | None:
        """The weight (i, j) of a connection this replay asks about, among the unmasked ones
        (the next one with each new replay); None if every weight is masked."""
        cells = [(i, j) for i, j in np.ndindex(shape) if mask is None or mask[i, j]]
        return cells[self.choice % len(cells)] if cells else None

    def pick(self, node: str) -> int:
        """The neuron of ``node`` this replay asks about (the next one with each new replay)."""
        size = self.graph.nodes[node].size if node in self.graph.nodes else 1
        return self.choice % size

    # ----- forward -----------------------------------------------------------------------
    def forward(self, k: int, node: str) -> list[Question]:
        step = self.steps[("forward", node)]
        v, act = step.values, self.act(node)
        if act == "softmax":
            return self.softmax(k, node, v)
        i = self.pick(node)
        z, a, b = v["z"][0, i], v["a"][0, i], v["b"][i]
        givens = []
        for src, part in step.contributions.items():
            W = self.weights.get((src, node))
            mask = self.masks.get((src, node))
            cols = [j for j in range(W.shape[1]) if mask is None or mask[0, j]] if W is not None else []
            if W is None or len(givens) + 2 * len(cols) > 2 * MAX_GIVENS:
                givens.append((f"Σ w·a from {self.label(src)}", part[0, i]))
                continue
            for j in cols:
                givens += [(f"a({self.label(src, j)})", self.a(src)[0, j]),
                           (f"w({self.label(src, j)} → {self.label(node, i)})", W[i, j])]
        givens.append((f"b({self.label(node, i)})", b))
        f_text, _ = activations.FORMULA[act]
        f = activations.BY_NAME[act].forward
        inner = "Σ w·a + b"
        formula = (f"a = {inner}" if act == "linear" else
                   f"a = {f_text.replace('z', inner)}" if f_text.count("z") == 1 else
                   f"a = {f_text} with z = {inner}")
        wrong = [(z, f"you gave z = Σ w·a + b; apply the activation too: {formula}"),
                 (f(np.array([z - b]))[0], "you left out the bias b"),
                 (z - b, "you gave Σ w·a only: add the bias b, then apply the activation"),
                 (-a, "sign error: check the sign of each w·a")]
        return [Question("forward", k, node, f"the value a of {self.label(node, i)}", formula,
                         float(a), tuple(givens), _mistakes(a, wrong), neuron=i)]

    def softmax(self, k: int, node: str, v) -> list[Question]:
        """A softmax neuron's value from every z of its layer (up to ``MAX_GIVENS`` of them)."""
        i = self.pick(node)
        z, a = v["z"][0], float(v["a"][0, i])
        if len(z) > MAX_GIVENS:
            return []
        givens = tuple((f"z({self.label(node, j)})", z[j]) for j in range(len(z)))
        wrong = [(np.exp(z[i]), "you gave e^z; divide it by the sum of e^z over every neuron "
                                "of the layer"),
                 (z[i], "you gave z; softmax divides e^z by the sum of e^z over the layer"),
                 (1 / (1 + np.exp(-z[i])), "that is σ(z), a neuron on its own; softmax divides "
                                          "e^z by the sum of e^z over the layer"),
                 (1 - a, "you gave 1 − a: the numerator is e^z of this neuron only")]
        if z.sum() != 0:
            wrong.append((z[i] / z.sum(), "you divided z by Σ z; softmax uses e^z: e^z / Σ e^z"))
        return [Question("forward", k, node, f"the value a of {self.label(node, i)}",
                         "a = e^z / Σ e^z over the layer (type exp(…) for e^…)", a, givens,
                         _mistakes(a, wrong), neuron=i)]

    # ----- backward -----------------------------------------------------------------------
    def path(self, k: int, node: str, dst: str) -> list[Question]:
        """One path's share of ∂L/∂a: Σ over dst's neurons of δ_dst · w."""
        W = self.weights.get((node, dst))
        back = self.steps.get(("backward", dst))
        if W is None or back is None or W.shape[0] > MAX_GIVENS:
            return []
        i = self.pick(node)
        delta = back.values["delta"][0]
        col = W[:, i]
        expected = float(delta @ col)
        givens = []
        for m in range(W.shape[0]):
            givens += [(f"δ({self.label(dst, m)})", delta[m]),
                       (f"w({self.label(node, i)} → {self.label(dst, m)})", col[m])]
        local = self.steps[("backward", node)].values.get("da/dz")
        wrong = [(delta.sum(), "you forgot the weights: each δ is multiplied by the weight w "
                               "of the edge it comes back along"),
                 (-expected, "sign error: check the sign of each δ · w")]
        if local is not None:
            wrong.append((expected * local[0, i], "you already multiplied by the local derivative "
                                                  "f′(z): that gives δ, the next step"))
        return [Question("path", k, node, f"the path from {self.label(node, i)} through "
                         f"{self.label(dst)}: its share of ∂L/∂a", "Σ δ · w over the neurons it feeds",
                         expected, tuple(givens), _mistakes(expected, wrong), edge=(node, dst), neuron=i)]

    def path_sum(self, k: int, node: str) -> list[Question]:
        step = self.steps[("backward", node)]
        parts = step.contributions
        if len(parts) < 2:
            (dst,) = parts
            return self.path(k, node, dst)
        i = self.pick(node)
        expected = float(step.values["dL/da"][0, i])
        shares = {dst: float(p[0, i]) for dst, p in parts.items()}
        givens = tuple((f"path through {self.label(d)}", s) for d, s in shares.items())
        wrong = [(-expected, "sign error: add the paths as they are")]
        for r in range(1, len(shares)):
            for kept in combinations(shares, r):
                missing = ", ".join(self.label(d) for d in shares if d not in kept)
                wrong.append((sum(shares[d] for d in kept),
                              f"you forgot a path: ∂L/∂a also gets the path through {missing} "
                              "(a node that feeds several others sums every path)"))
        return [Question("path", k, node, f"∂L/∂a of {self.label(node, i)}: the sum over its "
                         f"{len(shares)} paths", "∂L/∂a = Σ over paths", expected, givens,
                         _mistakes(expected, wrong), neuron=i)]

    def local(self, k: int, node: str) -> list[Question]:
        v = self.steps[("backward", node)].values
        if v["da/dz"] is None:
            return []
        act, i = self.act(node), self.pick(node)
        f_text, d_text = activations.FORMULA[act]
        z, a = self.steps[("forward", node)].values["z"][0, i], self.a(node)[0, i]
        expected = float(v["da/dz"][0, i])
        wrong = [(a, f"you used {f_text} itself, the derivative is {d_text}"),
                 (z, f"you used z, the derivative is {d_text}"),
                 (-expected, f"sign error: the derivative is {d_text}")]
        if act == "tanh":
            wrong.append((1 - a, "you forgot to square: the derivative is 1 − tanh²(z)"))
        if act == "sigmoid":
            wrong.append((1 - a, "you gave 1 − σ(z): the derivative is σ(z)(1 − σ(z))"))
        return [Question("local", k, node, f"the local derivative {prime(act)} of "
                         f"{self.label(node, i)}", f"{prime(act)} = {d_text}", expected,
                         (("z", z), (f"a = {f_text}", a)), _mistakes(expected, wrong), neuron=i)]

    def delta(self, k: int, node: str) -> list[Question]:
        step = self.steps[("backward", node)]
        v, i = step.values, self.pick(node)
        expected = float(v["delta"][0, i])
        target = f"δ = ∂L/∂z of {self.label(node, i)}"
        if v["dL/da"] is None:      # fused with the loss: δ = (y − t) / batch
            loss = self.steps[("loss", node)].values
            y, t, batch = loss["y"][0, i], loss["t"][0, i], loss["y"].shape[0]
            over = f" / {batch}" if batch > 1 else ""
            givens = (("y", y), ("t", t)) + ((("batch", batch),) if batch > 1 else ())
            wrong = [((t - y) / batch, "sign error: δ = y − t, not t − y"), (y / batch, "you left out t")]
            if batch > 1:
                wrong.append((y - t, f"you forgot to divide by the batch size {batch}"))
            return [Question("delta", k, node, target, f"δ = (y − t){over} (fused with the loss)",
                             expected, givens, _mistakes(expected, wrong), neuron=i)]
        if v["da/dz"] is None:
            return []
        act = self.act(node)
        g, local = float(v["dL/da"][0, i]), float(v["da/dz"][0, i])
        z, a = self.steps[("forward", node)].values["z"][0, i], self.a(node)[0, i]
        f_text = activations.FORMULA[act][0]
        wrong = [(g, f"you forgot the local derivative: δ = ∂L/∂a · {prime(act)}"),
                 (g * a, f"you used a = {f_text} instead of {prime(act)}"),
                 (g * z, f"you used z instead of {prime(act)}"),
                 (-expected, "sign error: δ has the sign of ∂L/∂a · f′(z)")]
        for dst, part in step.contributions.items() if len(step.contributions) > 1 else ():
            wrong.append((part[0, i] * local, f"you forgot a path: ∂L/∂a is the sum over every "
                                              f"path, not only the one through {self.label(dst)}"))
        return [Question("delta", k, node, target, f"δ = ∂L/∂a · {prime(act)}", expected,
                         (("∂L/∂a (upstream)", g), (prime(act), local)), _mistakes(expected, wrong),
                         neuron=i)]

    def weight(self, k: int, node: str) -> list[Question]:
        v = self.steps[("backward", node)].values
        srcs = [key[6:] for key in v if key.startswith("dL/dW:")]
        if not srcs:
            return []
        src = srcs[0]
        cell = self.cell(v[f"dL/dW:{src}"].shape, self.masks.get((src, node)))
        if cell is None:
            return []
        i, j = cell
        delta, a_in = v["delta"][:, i], v[f"a:{src}"][:, j]
        if len(delta) > 4:
            return []
        expected = float(v[f"dL/dW:{src}"][i, j])
        many = len(delta) > 1
        givens = []
        for b in range(len(delta)):
            tag = f" (example {b + 1})" if many else ""
            givens += [(f"δ({self.label(node, i)}){tag}", delta[b]),
                       (f"a({self.label(src, j)}){tag}", a_in[b])]
        wrong = [(-expected, "sign error: ∂L/∂w = δ · a"),
                 (delta.sum(), "you forgot the activation a coming in along the edge: ∂L/∂w = δ · a")]
        W = self.weights.get((src, node))
        if W is not None:
            wrong.append((float(delta.sum() * W[i, j]), "you multiplied δ by the weight w; "
                          "∂L/∂w = δ · a, the activation coming in"))
        if v["dL/da"] is not None:
            wrong.append((float(v["dL/da"][:, i] @ a_in), "you used ∂L/∂a instead of δ = ∂L/∂z: "
                          "the local derivative f′(z) is missing"))
        z_src = self.steps[("forward", src)].values.get("z")
        if z_src is not None:
            wrong.append((float(delta @ z_src[:, j]), "you used z of the incoming neuron; "
                          "∂L/∂w uses its activation a = f(z)"))
        return [Question("weight", k, node, f"∂L/∂w for the edge {self.label(src, j)} → "
                         f"{self.label(node, i)}", "∂L/∂w = δ · a" + (" summed over the batch" if many else ""),
                         expected, tuple(givens), _mistakes(expected, wrong), edge=(src, node),
                         neuron=i, cell=(i, j))]

    # ----- update -------------------------------------------------------------------------
    def update(self, k: int, step) -> list[Question]:
        lr, changes = step.values["lr"], step.values["changes"]
        for c in self.graph.connections.values():
            key = (c.src, c.dst)
            name = weight_name(*key)
            W, mask = self.weights.get(key), self.masks.get(key)
            if W is None or name not in changes or not lr:
                continue
            cell = self.cell(W.shape, mask)
            if cell is None:
                continue
            i, j = cell
            w, change = float(W[i, j]), float(changes[name][i, j])
            g = -change / lr
            expected = w + change
            # The old weight is a mistake however small the step: tolerate a share of the step.
            tol = max(min(1e-4, 0.25 * abs(change)), 1e-12 * max(abs(w), 1.0))
            wrong = [(w, "you gave the old weight: the new one is w − lr · ∂L/∂w"),
                     (w + lr * g, "sign error: step against the gradient, w − lr · ∂L/∂w"),
                     (w - g, "you forgot the learning rate: w − lr · ∂L/∂w"),
                     (change, "you gave only the change −lr · ∂L/∂w: add it to the old weight w")]
            return [Question("update", k, c.dst, f"the new weight of the edge {self.label(c.src, j)} → "
                             f"{self.label(c.dst, i)}", "w_new = w − lr · ∂L/∂w", expected,
                             (("w (old)", w), ("lr", lr), ("∂L/∂w", g)),
                             _mistakes(expected, wrong, tol), edge=key, tolerance=tol, digits=10,
                             neuron=i, cell=(i, j))]
        return []


def frame_questions(builder: _Builder, k: int, frame) -> list[Question]:
    """The questions frame ``k`` answers, in the order they are asked."""
    b, n, phase, step = builder, frame.node, frame.phase, frame.step
    if phase == "forward" and step in ("", "a") and ("forward", n) in b.steps \
            and b.steps[("forward", n)].contributions:
        return b.forward(k, n)
    if phase == "gather" and frame.path is not None:
        return b.path(k, n, frame.path)
    if phase == "backward" and step == "" and ("backward", n) in b.steps:
        has_paths = bool(b.steps[("backward", n)].contributions)
        return (b.path_sum(k, n) if has_paths else []) + b.local(k, n) + b.delta(k, n) + b.weight(k, n)
    if phase == "backward" and step == "dL/dz":
        return b.local(k, n) + b.delta(k, n)
    if phase == "backward" and step == "dL/dW":
        return b.weight(k, n)
    if phase == "update" and ("update", "") in b.steps:
        return b.update(k, b.steps[("update", "")])
    return []


def build_questions(timeline, choice: int = 0) -> dict[int, list[Question]]:
    """Frame index → its questions (frames that reveal nothing to compute are left out);
    ``choice`` picks the neuron of each node (``choice`` modulo its size) and the weight of
    each connection asked about."""
    builder = _Builder(timeline, choice)
    out = {}
    for k in range(len(timeline)):
        questions = frame_questions(builder, k, timeline.frame(k))
        if questions:
            out[k] = questions
    return out
