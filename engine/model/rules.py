"""What makes a design valid: the limits, and the checks behind every Graph edit.

Each check raises a GraphError that names the nodes involved. The checks read the
graph they are given (its nodes, connections and queries) and change nothing.
"""
from __future__ import annotations

import numpy as np

from engine.model.errors import GraphError
from engine.model import vocabulary
from engine.model.param_names import ARROW, collisions, weight_name

KINDS = ("input", "hidden", "output")
MAX_SIZE = 1_000_000
# Weights and biases of a whole design: 200 MB of float32. A file claiming more (two connected
# nodes of a million neurons claim a trillion) is refused before anything is allocated.
MAX_PARAMETERS = 50_000_000


def check_size(size, node_id) -> None:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
        raise GraphError(f"node {node_id!r}: size must be a whole number, not {size!r}")
    if size < 1:
        raise GraphError(f"node {node_id!r}: size must be at least 1 (got {size})")
    if size > MAX_SIZE:
        raise GraphError(f"node {node_id!r}: size {size} is larger than {MAX_SIZE:,}")


def check_node(graph, node, replacing: str | None = None) -> None:
    """``node`` may join ``graph`` (in place of the node ``replacing``, if given)."""
    if not isinstance(node.id, str) or not node.id:
        raise GraphError("a node needs a non-empty id")
    if node.kind not in KINDS:
        raise GraphError(f"node {node.id!r}: unknown kind {node.kind!r} (use {', '.join(KINDS)})")
    check_size(node.size, node.id)
    if node.activation not in vocabulary.ACTIVATIONS:
        raise GraphError(f"node {node.id!r}: unknown activation {node.activation!r} "
                         f"(use {', '.join(vocabulary.ACTIVATIONS)})")
    if node.activation == "softmax" and node.kind != "output":
        raise GraphError(f"node {node.id!r}: softmax is only for the output node")
    if node.kind in ("input", "output"):
        other = next((n for n in graph.nodes.values()
                      if n.kind == node.kind and n.id not in (node.id, replacing)), None)
        if other is not None:
            raise GraphError(f"the design already has an {node.kind} node ({other.label!r}); "
                             f"{node.id!r} cannot be a second one")
    if node.kind == "input" and graph.incoming(node.id):
        raise GraphError(f"node {node.id!r} has incoming connections and cannot be an input")
    if node.kind == "output" and graph.outgoing(node.id):
        raise GraphError(f"node {node.id!r} feeds other nodes and cannot be the output")


def check_parameters(count: int, edit: str) -> None:
    if count > MAX_PARAMETERS:
        raise GraphError(f"{edit} would give the design {count:,} weights and biases, more than "
                         f"{MAX_PARAMETERS:,}: use smaller layers")


def check_connection(graph, src: str, dst: str) -> None:
    """A new connection ``src`` -> ``dst`` keeps ``graph`` acyclic, within limits and unambiguous."""
    if src not in graph.nodes:
        raise GraphError(f"cannot connect from {src!r}: there is no such node")
    if dst not in graph.nodes:
        raise GraphError(f"cannot connect to {dst!r}: there is no such node")
    if src == dst:
        raise GraphError(f"cannot connect {src!r} to itself: that would be a cycle")
    if (src, dst) in graph.connections:
        raise GraphError(f"{src!r} is already connected to {dst!r}")
    if graph.nodes[dst].kind == "input":
        raise GraphError(f"cannot connect into the input node {dst!r}")
    if graph.nodes[src].kind == "output":
        raise GraphError(f"cannot connect out of the output node {src!r}")
    if graph.reaches(dst, src):
        raise GraphError(f"connecting {src!r} to {dst!r} would make a cycle "
                         f"({dst!r} already leads to {src!r})")
    check_parameters(graph.parameter_count(extra=(src, dst)), f"connecting {src!r} to {dst!r}")
    _check_weight_name(graph.connections, src, dst)


def _check_weight_name(pairs, src: str, dst: str) -> None:
    """Refuse a connection whose weights would share their name with another's."""
    if ARROW not in src and ARROW not in dst:   # one arrow in the name: one way to split it
        return
    clashes = collisions([*pairs, (src, dst)])
    if clashes:
        (a, b), _new = clashes[0]
        raise GraphError(f"the connections {a!r} -> {b!r} and {src!r} -> {dst!r} would both have "
                         f"weights named {weight_name(src, dst)!r}, ambiguous because node ids "
                         f"contain {ARROW!r}: change those ids in the design file")


def checked_mask(mask, shape: tuple[int, int], src: str, dst: str) -> np.ndarray | None:
    """``mask`` as a uint8 array of ``shape`` (None when it removes nothing)."""
    if mask is None:
        return None
    try:
        m = np.asarray(mask)
        if m.dtype.kind not in "biuf":     # text ("1") and null are not 0s and 1s
            raise TypeError
        m = m.astype(float)
    except (TypeError, ValueError):
        raise GraphError(f"mask of {src!r} -> {dst!r} is not a table of 0s and 1s") from None
    if m.shape != shape:
        raise GraphError(f"mask of {src!r} -> {dst!r} has shape {m.shape}, "
                         f"expected {shape} ({dst!r} size × {src!r} size)")
    if not np.isin(m, (0, 1)).all():
        raise GraphError(f"mask of {src!r} -> {dst!r} may hold only 0 and 1")
    return None if m.all() else m.astype(np.uint8)


def check_loss_name(loss: str) -> None:
    if loss not in vocabulary.LOSSES:
        raise GraphError(f"unknown loss {loss!r} (use {', '.join(vocabulary.LOSSES)})")


def check_loss(graph) -> None:
    """The loss of ``graph`` fits its output activation."""
    out = graph.output_node()
    need = vocabulary.REQUIRED_OUTPUT.get(graph.loss)
    if out is not None and need and out.activation != need:
        raise GraphError(f"loss {graph.loss!r} needs a {need} output, but {out.label!r} "
                         f"is {out.activation}: change one of them")
    if out is not None and out.activation == "softmax" and graph.loss == "bce":
        raise GraphError("loss 'bce' needs a sigmoid output, not softmax")


def check_complete(graph) -> None:
    """``graph`` can be compiled into a network."""
    inp, out = graph.input_node(), graph.output_node()
    if inp is None:
        raise GraphError("the design has no input node: add one")
    if out is None:
        raise GraphError("the design has no output node: add one")
    graph.topological_order()
    count = graph.parameter_count()
    if count > MAX_PARAMETERS:
        raise GraphError(f"the design has {count:,} weights and biases, more than {MAX_PARAMETERS:,}: "
                         "use smaller layers")
    fed = {dst for _, dst in graph.connections}
    for n in graph.nodes.values():
        if n.kind != "input" and n.id not in fed:
            raise GraphError(f"node {n.label!r} receives no connection: connect it or delete it")
    if not graph.reaches(inp.id, out.id):
        raise GraphError(f"the output {out.label!r} is not reachable from the input {inp.label!r}")
