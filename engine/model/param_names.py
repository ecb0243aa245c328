"""Parameter names: the one place that builds and splits them.

A connection's weights are named ``W:src->dst`` (shape dst × src) and a node's
bias ``b:node``. Weight files, ONNX initialisers and generated PyTorch code all
use these names, so they never change. Node ids made before ``->`` was refused
may contain it, so code that has the design at hand looks names up from its
connections (``by_connection``, ``connection_named``) rather than splitting them,
and a design whose ids make two names collide is refused (``collisions``).
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

ARROW = "->"
WEIGHT = "W:"
BIAS = "b:"


def weight_name(src: str, dst: str) -> str:
    """The name of the weights of the connection ``src`` → ``dst``."""
    return f"{WEIGHT}{src}{ARROW}{dst}"


def bias_name(node: str) -> str:
    """The name of the bias of ``node``."""
    return f"{BIAS}{node}"


def is_weight(name: str) -> bool:
    return name.startswith(WEIGHT)


def is_bias(name: str) -> bool:
    return name.startswith(BIAS)


def bias_node(name: str) -> str:
    """``b:node`` → ``node``."""
    if not is_bias(name):
        raise ValueError(f"{name!r} is not a bias name")
    return name[len(BIAS):]


def split_weight(name: str, nodes: Collection[str] | None = None) -> tuple[str, str]:
    """``W:src->dst`` → ``(src, dst)``.

    Without ``nodes`` the name must hold exactly one arrow. With the design's
    node ids, the one split whose two halves are both ids is taken; a name
    that no split (or more than one) fits raises ValueError. With the design's
    connections at hand, ``connection_named`` never has to choose.
    """
    if not is_weight(name):
        raise ValueError(f"{name!r} is not a weight name")
    body = name[len(WEIGHT):]
    parts = body.split(ARROW)
    if nodes is None:
        if len(parts) != 2:
            raise ValueError(f"{name!r} is not of the form W:src->dst")
        return parts[0], parts[1]
    fits = [(ARROW.join(parts[:i]), ARROW.join(parts[i:])) for i in range(1, len(parts))]
    fits = [(s, d) for s, d in fits if s in nodes and d in nodes]
    if len(fits) != 1:
        raise ValueError(f"{name!r} splits into two of the node ids in {len(fits) or 'no'} ways, not one")
    return fits[0]


def connection_named(name: str, pairs: Iterable[tuple[str, str]]) -> tuple[str, str]:
    """The (src, dst) among the design's ``pairs`` whose weights are called ``name``.

    Unlike ``split_weight(name, nodes)`` this never needs to choose: with ids a, a->b, b->c
    and c, "W:a->b->c" splits two ways, but a design has at most one of the two connections.
    """
    found = next((p for p in pairs if weight_name(*p) == name), None)
    if found is None:
        raise ValueError(f"{name!r} names no connection of the design")
    return found


def by_connection(named: Mapping, pairs: Iterable[tuple[str, str]]) -> dict:
    """The weights in ``named`` (keyed by parameter name) of the connections ``pairs``, keyed
    by (src, dst): no name is split, so ids containing the arrow need no care."""
    found = {}
    for pair in pairs:
        name = weight_name(*pair)
        if name in named:
            found[pair] = named[name]
    return found


def biases_by_node(named: Mapping) -> dict:
    """The biases in ``named`` (keyed by parameter name), keyed by node id."""
    return {bias_node(k): v for k, v in named.items() if is_bias(k)}


def valid_new_id(node_id: str) -> str | None:
    """Why ``node_id`` cannot name a new node, or None when it can."""
    if ARROW in node_id:
        return f"a node name may not contain {ARROW!r} (it separates the names of a weight)"
    return None


def collisions(pairs: Iterable[tuple[str, str]]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """The (src, dst) pairs of distinct connections whose weight names are equal.

    Bias names are ``b:`` and a distinct id each, so they never collide.
    """
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for pair in pairs:
        name = weight_name(*pair)
        if name in seen and seen[name] != pair:
            clashes.append((seen[name], pair))
        else:
            seen[name] = pair
    return clashes
