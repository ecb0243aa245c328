"""Designs for engine tests: random ones (hypothesis strategies), layered ``mlp``s, and the
finite-difference reference.

``network_cases()`` draws a ``Case``: a complete Graph (one input, one output,
0 to 5 hidden nodes of sizes 1 to 5 with every hidden activation), a loss with a
fitting output activation, random masks, a batch (X, T) of 1 to 6 examples, L1/L2
strengths, and random parameters (non-zero biases, so that a node whose every
incoming edge is masked does not sit on a relu kink at z = 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

from engine import Graph, Network
from engine.model.reach import nodes_reaching_output
from engine.nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, RELU_FAMILY
from engine.nn.gradcheck import check_gradients
from engine.model.param_names import is_bias

# (loss, output activations that fit it)
LOSS_OUTPUTS = (("mse", ACTIVATIONS), ("bce", ("sigmoid",)), ("softmax_ce", ("softmax",)))


def mlp(sizes, act="tanh", out="sigmoid", loss="bce") -> Graph:
    """A layered design: input sizes[0], hidden layers of ``act``, output sizes[-1] of ``out``."""
    g = Graph(loss)
    prev = g.add_node("input", sizes[0]).id
    for s in sizes[1:-1]:
        n = g.add_node("hidden", s, act).id
        g.connect(prev, n)
        prev = n
    g.connect(prev, g.add_node("output", sizes[-1], out).id)
    return g


@dataclass
class Case:
    """A random design with a batch, penalties and parameters to evaluate it at."""
    graph: Graph
    X: np.ndarray
    T: np.ndarray
    l1: float
    l2: float
    seed: int
    params: dict = field(default_factory=dict)

    def network(self, dtype="float64") -> Network:
        net = Network(self.graph, seed=self.seed, dtype=dtype)
        net.load_parameters(self.params)
        return net

    def dead_nodes(self) -> set[str]:
        """Hidden nodes from which the output cannot be reached."""
        return set(self.graph.nodes) - nodes_reaching_output(self.graph)

    def __repr__(self) -> str:
        g = self.graph
        nodes = ", ".join(f"{n.id}:{n.kind}/{n.size}/{n.activation}" for n in g.nodes.values())
        conns = ", ".join(c.key + ("[m]" if c.mask is not None else "")
                          for c in g.connections.values())
        return (f"Case(loss={g.loss}, nodes=[{nodes}], conns=[{conns}], "
                f"batch={self.X.shape[0]}, l1={self.l1}, l2={self.l2})")


@st.composite
def graphs(draw, max_hidden: int = 5, max_size: int = 5) -> Graph:
    """A complete random design; node order x, h1..hk, y is a topological order."""
    loss, outputs = draw(st.sampled_from(LOSS_OUTPUTS))
    g = Graph(loss=loss)
    size = st.integers(1, max_size)
    g.add_node("input", draw(size), id="x")
    hidden = []
    for i in range(draw(st.integers(0, max_hidden))):
        node = g.add_node("hidden", draw(size), draw(st.sampled_from(HIDDEN_ACTIVATIONS)),
                          id=f"h{i + 1}")
        hidden.append(node.id)
    out_act = draw(st.sampled_from(outputs))
    g.add_node("output", draw(size), out_act, id="y")
    order = ["x", *hidden, "y"]

    # A main path from x to y through some hidden nodes keeps the output reachable.
    path = ["x", *[h for h in hidden if draw(st.booleans())], "y"]
    edges = set(zip(path, path[1:]))
    # Every hidden node needs an incoming connection; it need not reach y (a dead end).
    for j, h in enumerate(hidden, start=1):
        if not any(d == h for _, d in edges):
            edges.add((draw(st.sampled_from(order[:j])), h))
    # Extra skips and branches.
    pairs = [(s, d) for i, s in enumerate(order) for d in order[i + 1:]]
    extra = draw(st.lists(st.sampled_from(pairs), max_size=6)) if pairs else []
    edges.update(extra)
    for s, d in sorted(edges, key=lambda e: (order.index(e[1]), order.index(e[0]))):
        mask = None
        if draw(st.integers(0, 2)) == 0:  # a third of the connections are masked
            shape = (g.nodes[d].size, g.nodes[s].size)
            bits = draw(st.lists(st.integers(0, 1), min_size=shape[0] * shape[1],
                                 max_size=shape[0] * shape[1]))
            mask = np.array(bits, np.uint8).reshape(shape)
        g.connect(s, d, mask)
    g.check_complete()
    g.check_loss()
    return g


def targets(rng: np.random.Generator, loss: str, batch: int, size: int) -> np.ndarray:
    """Targets that fit the loss: any reals (mse), [0, 1] (bce), distributions (softmax_ce)."""
    if loss == "mse":
        return rng.normal(size=(batch, size))
    if loss == "bce":
        return rng.uniform(0, 1, size=(batch, size))
    t = rng.uniform(0.05, 1, size=(batch, size))
    return t / t.sum(axis=1, keepdims=True)


def random_parameters(net: Network, rng: np.random.Generator) -> dict:
    """Weights and biases of moderate scale, biases kept away from zero."""
    params = {}
    for k, p in net.parameters().items():
        v = rng.normal(0.0, 0.8, size=p.shape)
        if is_bias(k):
            v += np.where(v >= 0, 0.1, -0.1)
        params[k] = v
    return params


@st.composite
def network_cases(draw, max_hidden: int = 5, max_size: int = 5, penalties: bool = True) -> Case:
    g = draw(graphs(max_hidden, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    batch = draw(st.integers(1, 6))
    X = rng.normal(size=(batch, g.input_node().size))
    T = targets(rng, g.loss, batch, g.output_node().size)
    strength = st.sampled_from([0.0, 0.0, 0.01, 0.1])
    l1, l2 = (draw(strength), draw(strength)) if penalties else (0.0, 0.0)
    case = Case(g, X, T, l1, l2, seed)
    case.params = random_parameters(Network(g, seed=seed, dtype="float64"), rng)
    return case


def kink_free(case: Case, margin: float = 1e-2) -> bool:
    """True unless a relu-family z, or an L1-penalised weight, lies within ``margin`` of its kink.

    The finite differences move a parameter by up to 2h = 2e-4, which moves z by a small
    multiple of that: a margin of 1e-2 (50 times 2h) keeps every evaluation on one side.
    """
    net = case.network()
    net.forward(case.X)
    for n in net.order[1:]:
        if net.activation[n] in RELU_FAMILY and (np.abs(net.z[n]) < margin).any():
            return False
    if case.l1:
        for (s, d), w in net.W.items():
            m = net.masks[(s, d)]
            live = w if m is None else w[m != 0]
            if (np.abs(live) < margin).any():
                return False
    return True


def numerical_gradients(net: Network, X, T, l1: float = 0.0, l2: float = 0.0,
                        h: float = 1e-4) -> dict:
    """dL/dθ for every unmasked parameter entry by engine.nn.gradcheck's five-point central
    difference at step h (its rounding error, ~1e-12 in float64, is far below the 1e-6 the
    tests demand). Masked entries are left at zero: they are not parameters."""
    results = check_gradients(net, X, T, l1=l1, l2=l2, max_examples=None, max_entries=None,
                              steps=(h,))
    return {r.name: r.numeric for r in results}


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-4) -> float:
    """‖a − n‖ / max(‖a‖ + ‖n‖, floor): relative where the gradient is sizeable, and
    absolute (scaled by 1/floor) where it is near zero and only rounding noise remains."""
    diff = float(np.linalg.norm(analytic - numeric))
    return diff / max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), floor)
