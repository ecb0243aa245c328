"""Every path from a scalar to the loss, and why backpropagation is efficient.

By the chain rule for several paths, ∂L/∂w is the sum, over every path from w to the loss
L in the graph of operations (engine.nn.op_graph), of the product of the local derivatives
along the path. Computed that way, a path of m edges takes m − 1 multiplications, so
naive enumeration for a set of starting scalars costs

    enumeration = Σ over starts Σ over paths (edges − 1).

Backpropagation instead stores each scalar's gradient (its δ) once and reuses it for every
path through that scalar: each edge that lies on some path from a start to L costs one
multiplication (local derivative × the gradient of the scalar it enters), except the edges
into L itself, whose gradient is 1:

    backprop = #{edges on a path from a start to L, not entering L}.

Exact counts on a chain: input of 1 → d tanh layers of 2 neurons → 1 sigmoid output, bce.
For the weight from the input to the first hidden neuron there are 2^(d−1) paths (each
later layer offers two neurons), each of 3d + 4 edges (w→×→+→tanh, then per later layer
a→×→+→tanh, then a→×→+→σ→L), so

    enumeration(w) = 2^(d−1) · (3d + 3)        backprop(w) = 6 for d = 1, 10d − 6 for d ≥ 2

(backprop: 3 edges in the first layer, 6 in the second, 10 in each later one, 5 at the
output). For the whole network (every weight and bias): backprop = 16d (every edge but
x→× and y→L), and enumeration = 8 + Σ_{m=0}^{d−1} 2^m [n_m (3m + 6) + 2 (3m + 5)] with
n_m = 2 weights into the first layer (m = d − 1) and 4 into each later one: exponential in
d against linear.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.nn.op_graph import OpGraph

MAX_LISTED = 64   # paths listed one by one; beyond that only counted


@dataclass(frozen=True)
class Path:
    """One path to the loss: the scalars along it and the local derivative of each edge."""
    ids: tuple[int, ...]
    factors: tuple[float, ...]

    @property
    def product(self) -> float:
        out = 1.0
        for f in self.factors:
            out *= f
        return out


@dataclass(frozen=True)
class Counts:
    """Paths from the starts to L, and the multiplications each method takes."""
    paths: int
    enumeration: int
    backprop: int


def local(g: OpGraph, u: int, v: int) -> float:
    """∂v/∂u, the local derivative on the edge u → v."""
    s = g.scalars[v]
    return s.local[s.inputs.index(u)]


def paths_to_loss(g: OpGraph, start: int, limit: int = MAX_LISTED) -> list[Path]:
    """The first ``limit`` paths from ``start`` to the loss, depth first."""
    consumers, found = g.consumers(), []
    reaches = _path_stats(g, consumers)

    def walk(ids: list[int]) -> None:
        if len(found) >= limit:
            return
        last = ids[-1]
        if last == g.loss:
            found.append(Path(tuple(ids), tuple(local(g, u, v) for u, v in zip(ids, ids[1:]))))
            return
        for c in consumers[last]:
            if reaches[c][0]:
                walk(ids + [c])

    walk([start])
    return found


def _path_stats(g: OpGraph, consumers) -> dict[int, tuple[int, int]]:
    """For each scalar: (number of paths to L, total edges over those paths)."""
    stats: dict[int, tuple[int, int]] = {}
    for s in reversed(g.scalars):
        if s.id == g.loss:
            stats[s.id] = (1, 0)
            continue
        n = e = 0
        for c in consumers[s.id]:
            nc, ec = stats[c]
            n += nc
            e += ec + nc
        stats[s.id] = (n, e)
    return stats


def counts(g: OpGraph, starts) -> Counts:
    """Paths and multiplications for the gradients of the scalars ``starts``."""
    consumers = g.consumers()
    stats = _path_stats(g, consumers)
    starts = list(starts)
    paths = sum(stats[s][0] for s in starts)
    enumeration = sum(stats[s][1] - stats[s][0] for s in starts)
    seen, stack = set(), [s for s in starts if stats[s][0]]
    edges = 0
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        for v in consumers[u]:
            if stats[v][0]:
                edges += v != g.loss
                stack.append(v)
    return Counts(paths, enumeration, edges)


def parameters(g: OpGraph) -> list[int]:
    """The weights and biases of the graph (whose gradients training needs)."""
    return [s.id for s in g.scalars if s.kind in ("weight", "bias")]
