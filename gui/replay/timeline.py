"""The replay of one forward and backward pass, flattened into frames.

A trace (engine.nn.trace) is a list of steps, one per node and phase. The replay
shows them one frame at a time: the forward pass node by node in topological
order, the loss, the backward pass node by node in reverse order (a node that
feeds several others first gathers each path, one frame per path, before its δ
is shown), and the update last. ``frame(k)`` is the state known after k + 1
frames: pure data taken from the trace (nothing recomputed), so stepping back
gives exactly the state seen before.

This module imports neither Qt nor anything beyond numpy, the engine and
gui.core.formatting.
"""
from __future__ import annotations

from dataclasses import dataclass, field


from engine import Graph
from engine.nn import losses
from engine.train.trainer import TrainingConfig
from gui.core.formatting import fmt
from gui.replay import single_layer
from gui.replay.timeline_captions import (delta_caption, first, forward_caption,
                                          weight_gradient_caption, weighted_terms)

@dataclass(frozen=True)
class _Event:
    """The additions one frame makes to the state before it (a Frame holds the same, summed up)."""
    phase: str
    node: str
    caption: str
    path: str | None = None
    active_connections: tuple = ()
    values: dict = field(default_factory=dict)        # node -> {name: array}
    contributions: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)
    gradients: dict = field(default_factory=dict)
    bias_gradients: dict = field(default_factory=dict)
    loss: dict | None = None
    changes: dict | None = None
    step: str = ""      # for a one-layer design, which equation: "z", "a", "dL/dy", "dL/dz", ...


@dataclass(frozen=True)
class Frame(_Event):
    """What is known at one moment of the replay (arrays are the trace's own, not copies).

    ``values[node]`` may hold "a", "z" (forward), "dL/da" and "delta" (backward),
    each (batch, size). ``contributions[(src, dst)]`` is a_src·Wᵀ, (batch, dst size),
    known once dst is computed; ``paths[(src, dst)]`` is δ_dst·W, (batch, src size),
    the part of dL/da_src carried back along that connection; ``gradients[(src, dst)]``
    is dL/dW (dst × src) once δ_dst is known.
    """
    index: int = field(kw_only=True)
    lit: frozenset = field(default=frozenset(), kw_only=True)


class ReplayTimeline:
    """The frames of a trace of ``graph``'s network: forward, loss, backward, update.

    ``net`` (the Network that made the trace) lets captions list each w·a and name W's
    numbers. A one-layer design (input → output, element-wise activation) gets one frame per
    equation: z = Wx + b, y = f(z), ∂L/∂y, ∂L/∂z, ∂L/∂W, ∂L/∂b (see ``single_layer``).
    """

    def __init__(self, steps: list, graph: Graph, net=None):
        self.steps = list(steps)
        self.graph = graph
        self.weights = None if net is None else net.W
        self.masks = None if net is None else net.masks
        self.batch = 0
        self.loss_name = graph.loss
        self._events: list[_Event] = []
        self._forward_a: dict = {}
        self._deltas: dict = {}
        detailed = single_layer.applies(graph)
        for step in self.steps:
            if detailed and step.phase in ("forward", "backward") and step.node == graph.output_node().id:
                adder = single_layer.forward_events if step.phase == "forward" else \
                    single_layer.backward_events
                self._events += [_Event(**kw) for kw in adder(self, step)]
                self._forward_a[step.node] = step.values.get("a")
                continue
            getattr(self, f"_add_{step.phase}")(step)
        if not self._events:
            raise ValueError("the trace is empty: nothing to replay")
        self._cache: dict[int, Frame] = {}

    # ----- queries ------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._events)

    def label(self, node_id: str) -> str:
        node = self.graph.nodes.get(node_id)
        return node.label if node is not None else node_id

    def phases(self) -> list[str]:
        return [e.phase for e in self._events]

    def order(self, phase: str) -> list[str]:
        """The nodes of the frames of one phase, in replay order."""
        return [e.node for e in self._events if e.phase == phase]

    def first_frame(self, phase: str) -> int | None:
        return next((k for k, e in enumerate(self._events) if e.phase == phase), None)

    def frame(self, k: int) -> Frame:
        """The state after frames 0..k (k is clamped into range)."""
        k = int(min(max(k, 0), len(self._events) - 1))
        cached = self._cache.get(k)
        if cached is not None:
            return cached
        values: dict = {}
        contributions, paths, gradients, bias_gradients = {}, {}, {}, {}
        loss = changes = None
        lit: set = set()
        for j, e in enumerate(self._events[:k + 1]):
            for node, vals in e.values.items():
                values.setdefault(node, {}).update(vals)
            contributions.update(e.contributions)
            paths.update(e.paths)
            gradients.update(e.gradients)
            bias_gradients.update(e.bias_gradients)
            if e.loss is not None:
                loss = e.loss
            if e.changes is not None:
                changes = e.changes
            previous = self._events[j - 1].phase if j else None
            if _phase_group(e.phase) != _phase_group(previous):
                lit = set()
            if e.node:
                lit.add(e.node)
        e = self._events[k]
        if e.phase == "update":
            lit = set(self.graph.nodes)
        frame = Frame(e.phase, e.node, e.caption, e.path, e.active_connections, values, contributions,
                      paths, gradients, bias_gradients, loss, changes, e.step, index=k,
                      lit=frozenset(lit))
        self._cache[k] = frame
        return frame

    # ----- building the events -------------------------------------------------------
    def _first(self, array) -> str:
        """The first example's values of ``array`` for a caption."""
        return first(array)

    def _add_forward(self, step) -> None:
        n, v = step.node, step.values
        self.batch = v["a"].shape[0]
        self._forward_a[n] = v["a"]
        label = self.label(n)
        if not step.contributions:  # the input
            self._events.append(_Event("forward", n, f"Forward: input {label} = {self._first(v['a'])}",
                                       values={n: {"a": v["a"]}}))
            return
        act = self.graph.nodes[n].activation if n in self.graph.nodes else "linear"
        terms = weighted_terms(self.weights, self.masks, n, step.contributions, self._forward_a)
        caption = forward_caption(label, act, {self.label(s): c for s, c in step.contributions.items()},
                                  v, terms)
        pairs = {(s, n): c for s, c in step.contributions.items()}
        self._events.append(_Event("forward", n, caption, active_connections=tuple(pairs),
                                   values={n: {"z": v["z"], "a": v["a"]}},
                                   contributions=pairs))

    def _add_loss(self, step) -> None:
        v = step.values
        out = step.node
        start = "dL/dz" if "dL/dz" in v else "dL/dy"
        mean = f" (mean over {self.batch} examples)" if self.batch > 1 else ""
        caption = (f"Loss: y = {self._first(v['y'])}, t = {self._first(v['t'])} → "
                   f"{losses.FORMULA[self.loss_name]} = {fmt(v['L'])}{mean}")
        loss = {"y": v["y"], "t": v["t"], "losses": v["losses"], "L": v["L"], start: v[start]}
        self._events.append(_Event("loss", out, caption, loss=loss))

    def _add_backward(self, step) -> None:
        n, v = step.node, step.values
        label = self.label(n)
        if len(step.contributions) > 1:
            total = len(step.contributions)
            for k, (dst, part) in enumerate(step.contributions.items(), 1):
                caption = (f"Backward: gathering path {k} of {total} into {label}: "
                           f"δ({self.label(dst)})·W = {self._first(part)}")
                self._events.append(_Event("gather", n, caption, path=dst,
                                           active_connections=((n, dst),), paths={(n, dst): part}))
            paths = {}
        else:
            paths = {(n, d): p for d, p in step.contributions.items()}
        incoming = [key[6:] for key in v if key.startswith("dL/dW:")]
        grads = {(s, n): v[f"dL/dW:{s}"] for s in incoming}
        known = {"delta": v["delta"]}
        if v["dL/da"] is not None:
            known["dL/da"] = v["dL/da"]
        self._deltas[n] = v["delta"]
        self._events.append(_Event("backward", n, self._delta_caption(step),
                                   active_connections=tuple(grads), values={n: known}, paths=paths,
                                   gradients=grads, bias_gradients={n: v["dL/db"]}))

    def _delta_caption(self, step) -> str:
        """"Backward: δ(n4) = δ(y) · W · tanh′(z) = 0.6873 · −1.089 · 0.771 = −0.577; dL/dW …"."""
        n, v = step.node, step.values
        act = self.graph.nodes[n].activation if n in self.graph.nodes else "linear"
        labels = {k: self.label(k) for k in (n, *step.contributions,
                                              *(key[6:] for key in v if key.startswith("dL/dW:")))}
        over_b = f"/{self.batch}" if self.batch > 1 else ""
        loss = next((e.loss for e in reversed(self._events) if e.loss is not None), {})
        text = delta_caption(n, act, v, step.contributions, self._deltas, self.weights, labels,
                             over_b, loss)
        return f"Backward: {text}{weight_gradient_caption(labels[n], v, labels)}"

    def _add_update(self, step) -> None:
        lr = step.values["lr"]
        caption = f"Update: every weight changes by −lr · dL/dw (lr = {fmt(lr)})"
        optimizer = self.graph.settings.get("optimizer", TrainingConfig.optimizer)
        if optimizer != "sgd":
            caption += f": the plain gradient step; {optimizer} scales each step its own way"
        self._events.append(_Event("update", "", caption, changes=step.values["changes"]))


def _phase_group(phase: str | None) -> str | None:
    """Gather frames belong to the backward pass when deciding which nodes are lit."""
    return "backward" if phase == "gather" else phase
