"""One example's pass written out as scalar operations, in the manner of micrograd.

Every number of the pass is a ``Scalar``: a leaf (an input x, a weight w, a bias b) or
the result of one operation on other scalars: a product "×" (w·a), a sum "+" (z = Σ w·a + b),
an activation ("tanh", "σ", "relu", ..., "softmax") or the loss. Each scalar keeps its
value, its gradient ∂L/∂scalar and, per input, the local derivative ∂scalar/∂input, so
that every edge of the graph is labelled with the factor the chain rule multiplies by.

Values are computed scalar by scalar and gradients by this graph's own reverse pass
(grad[input] += local · grad[result]), independently of the network's vectorised
passes; tests compare both with PyTorch autograd.

``network_graph`` expands the whole network (refused beyond ``MAX_OPERATIONS`` with
``TooManyOperations`` naming the count). ``neuron_graph`` expands one neuron: its own
computation from the activations feeding it, then every neuron it reaches up to the loss,
where the inputs that do not come from it are folded into one "rest" leaf per neuron (bias
included). A linear activation is the identity, so it adds no operation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.model.graph import GraphError
from engine.model.reach import nodes_reaching_output
from engine.nn import activations, losses

MAX_OPERATIONS = 60
OP_SYMBOL = {"sigmoid": "σ", "leaky_relu": "lrelu"}


class TooManyOperations(GraphError):
    """The expansion would have more scalar operations than a readable graph can show."""

    def __init__(self, what: str, count: int, limit: int = MAX_OPERATIONS):
        super().__init__(f"{what} has {count} scalar operations; the graph of operations draws "
                         f"at most {limit}: select a single neuron, or a smaller design")
        self.count = count


@dataclass
class Scalar:
    """One number of the pass; ``op`` is "" for a leaf, else the operation that made it."""
    id: int
    label: str
    kind: str                  # input weight bias source rest product sum activation output loss
    value: float
    op: str = ""
    inputs: tuple[int, ...] = ()
    local: tuple[float, ...] = ()       # ∂self/∂input, one per input
    grad: float = 0.0
    neuron: tuple[str, int] | None = None   # the neuron whose computation it belongs to
    param: tuple[str, tuple] | None = None  # ("W:x->h", (dst, src)) or ("b:h", (k,))


@dataclass
class OpGraph:
    """The scalars of one pass in topological order; ``loss`` is the id of L."""
    scalars: list[Scalar] = field(default_factory=list)
    loss: int = -1
    title: str = ""

    def operations(self) -> int:
        """The number of scalar operations (scalars made by an operation)."""
        return sum(1 for s in self.scalars if s.op)

    def consumers(self) -> dict[int, list[int]]:
        """For each scalar, the scalars computed from it."""
        out: dict[int, list[int]] = {s.id: [] for s in self.scalars}
        for s in self.scalars:
            for i in s.inputs:
                out[i].append(s.id)
        return out

    def weights(self) -> list[Scalar]:
        return [s for s in self.scalars if s.kind == "weight"]

    def find(self, label: str) -> Scalar:
        return next(s for s in self.scalars if s.label == label)

    # ----- building --------------------------------------------------------------------
    def add(self, label, kind, value, op="", inputs=(), local=(), **extra) -> int:
        self.scalars.append(Scalar(len(self.scalars), label, kind, float(value), op,
                                   tuple(inputs), tuple(float(v) for v in local), **extra))
        return len(self.scalars) - 1

    def backward(self) -> None:
        """Reverse-mode: every gradient from the loss's, one multiplication per edge."""
        for s in self.scalars:
            s.grad = 0.0
        self.scalars[self.loss].grad = 1.0
        for s in reversed(self.scalars):
            for i, d in zip(s.inputs, s.local):
                self.scalars[i].grad += d * s.grad


def neuron_name(label: str, k: int, size: int) -> str:
    """ "h1[2]", or just "h1" for a node of one neuron."""
    return label if size == 1 else f"{label}[{k}]"


def count_operations(net) -> int:
    """The scalar operations of the whole network, without building them."""
    live = nodes_reaching_output(net.graph)
    count = 1  # the loss
    for n in net.order:
        if n == net.input or n not in live:
            continue
        for s in net.incoming[n]:
            mask = net.masks[(s, n)]
            count += net.W[(s, n)].size if mask is None else int(np.count_nonzero(mask))
        count += net.sizes[n] * (1 if net.activation[n] == "linear" else 2)
    return count


def network_graph(net, x, t, limit: int = MAX_OPERATIONS) -> OpGraph:
    """The whole network on one example (x, t) as scalar operations."""
    count = count_operations(net)
    if count > limit:
        raise TooManyOperations("The whole network", count, limit)
    live = nodes_reaching_output(net.graph)
    cone = {(n, k) for n in net.order if n in live for k in range(net.sizes[n])}
    g = _Builder(net, x, t, cone, root=None).build()
    g.title = "The whole network"
    return g


def neuron_graph(net, x, t, node: str, k: int, limit: int = MAX_OPERATIONS) -> OpGraph:
    """Neuron ``k`` of ``node`` on one example: its computation and every path to the loss."""
    if node not in net.sizes or node == net.input:
        raise GraphError(f"{node!r} is not a neuron the network computes")
    if not 0 <= k < net.sizes[node]:
        raise GraphError(f"{node!r} has no neuron {k}")
    live = nodes_reaching_output(net.graph)
    if node not in live:
        raise GraphError(f"{net.graph.nodes[node].label!r} does not reach the output: "
                         f"the loss does not depend on it")
    builder = _Builder(net, x, t, _reached(net, node, k, live), root=(node, k))
    g = builder.build()
    name = neuron_name(net.graph.nodes[node].label, k, net.sizes[node])
    if g.operations() > limit:
        raise TooManyOperations(f"Neuron {name}", g.operations(), limit)
    # The activations feeding the neuron also feed others: show their whole gradient.
    true_grad = builder.activation_gradients()
    for s in g.scalars:
        if s.kind == "source":
            s.grad = float(true_grad[s.neuron[0]][s.neuron[1]])
    g.title = f"Neuron {name}"
    return g


def _reached(net, node: str, k: int, live: set) -> set:
    """The neurons that (node, k) reaches through unmasked weights, itself included."""
    cone, stack = set(), [(node, k)]
    while stack:
        n, j = stack.pop()
        if (n, j) in cone:
            continue
        cone.add((n, j))
        for c in net.graph.outgoing(n):
            if c.dst not in live:
                continue
            mask = net.masks[(n, c.dst)]
            for i in range(net.sizes[c.dst]):
                if mask is None or mask[i, j]:
                    stack.append((c.dst, i))
    return cone


class _Builder:
    """Writes the scalars of the neurons in ``cone``, in topological order."""

    def __init__(self, net, x, t, cone: set, root):
        self.net, self.cone, self.root = net, cone, root
        self.x = np.asarray(x, dtype=np.float64).reshape(-1)
        self.t = np.asarray(t, dtype=np.float64).reshape(-1)
        if self.x.size != net.sizes[net.input] or self.t.size != net.sizes[net.output]:
            raise GraphError(f"one example needs {net.sizes[net.input]} inputs and "
                             f"{net.sizes[net.output]} targets")
        self.g = OpGraph()
        self.a: dict[tuple[str, int], int] = {}   # neuron -> the scalar of its activation
        self._full = None                          # the network's own values, when needed

    def name(self, n: str, k: int) -> str:
        return neuron_name(self.net.graph.nodes[n].label, k, self.net.sizes[n])

    def build(self) -> OpGraph:
        net, g = self.net, self.g
        for k in range(net.sizes[net.input]):
            if self.root is None:
                self.a[(net.input, k)] = g.add(self.name(net.input, k), "input", self.x[k],
                                               neuron=(net.input, k))
        for n in net.order:
            ks = [k for k in range(net.sizes[n]) if (n, k) in self.cone]
            if n == net.input or not ks:
                continue
            z = {k: self._sum(n, k) for k in ks}
            self._activate(n, z)
        self._loss()
        g.backward()
        return g

    def _sum(self, n: str, k: int) -> int:
        """z of neuron k of n: one product per weight, then one sum with the bias (or rest)."""
        net, g = self.net, self.g
        terms, rest = [], 0.0
        expand_all = self.root is None or self.root == (n, k)
        for s in net.incoming[n]:
            w, mask = net.W[(s, n)], net.masks[(s, n)]
            for j in range(net.sizes[s]):
                if mask is not None and not mask[k, j]:
                    continue
                if not expand_all and (s, j) not in self.cone:
                    rest += float(w[k, j]) * self._value(s, j)
                    continue
                a = self.a.get((s, j))
                if a is None:   # the root's sources: leaves with the network's values
                    a = self.a[(s, j)] = g.add(self.name(s, j), "source", self._value(s, j),
                                               neuron=(s, j))
                wid = g.add(f"w {self.name(s, j)}→{self.name(n, k)}", "weight", w[k, j],
                            neuron=(n, k), param=(f"W:{s}->{n}", (k, j)))
                av = g.scalars[a].value
                terms.append(g.add("", "product", w[k, j] * av, "×", (wid, a), (av, w[k, j]),
                                   neuron=(n, k)))
        if expand_all:
            terms.append(g.add(f"b {self.name(n, k)}", "bias", net.b[n][k], neuron=(n, k),
                               param=(f"b:{n}", (k,))))
        else:
            rest += float(net.b[n][k])
            terms.append(g.add(f"rest of z {self.name(n, k)}", "rest", rest, neuron=(n, k)))
        total = sum(g.scalars[i].value for i in terms)
        return g.add(f"z {self.name(n, k)}", "sum", total, "+", terms, [1.0] * len(terms),
                     neuron=(n, k))

    def _activate(self, n: str, z: dict[int, int]) -> None:
        net, g = self.net, self.g
        act = net.activation[n]
        kind = "output" if n == net.output else "activation"
        if act == "softmax":
            self._softmax(n, z, kind)
            return
        for k, zid in z.items():
            if act == "linear":
                self.a[(n, k)] = zid
                continue
            zv = np.array([g.scalars[zid].value])
            av = activations.forward(act, zv)
            d = activations.derivative(act, zv, av)[0]
            self.a[(n, k)] = g.add(f"a {self.name(n, k)}", kind, av[0], OP_SYMBOL.get(act, act),
                                   (zid,), (d,), neuron=(n, k))

    def _softmax(self, n: str, z: dict[int, int], kind: str) -> None:
        g, size = self.g, self.net.sizes[n]
        zs = [z[k] if k in z else g.add(f"z {self.name(n, k)} (other paths)", "rest",
                                        self._z_value(n, k), neuron=(n, k)) for k in range(size)]
        p = activations.forward("softmax", np.array([[g.scalars[i].value for i in zs]]))[0]
        for k in range(size):
            local = [p[k] * ((k == j) - p[j]) for j in range(size)]
            self.a[(n, k)] = g.add(f"a {self.name(n, k)}", kind, p[k], "softmax", zs, local,
                                   neuron=(n, k))

    def _loss(self) -> None:
        net, g = self.net, self.g
        out, size = net.output, net.sizes[net.output]
        ys = [self.a[(out, k)] if (out, k) in self.a else
              g.add(f"y {self.name(out, k)} (other paths)", "rest", self._value(out, k))
              for k in range(size)]
        y = np.array([[g.scalars[i].value for i in ys]])
        z = np.array([[self._z_value(out, k) for k in range(size)]])
        value = float(losses.per_example(net.loss, z, y, self.t[None, :])[0])
        g.loss = g.add(f"L ({net.loss})", "loss", value, "loss", ys,
                       _loss_locals(net.loss, y[0], self.t))

    # ----- the network's own numbers, for the leaves that stand for the rest of it -----------
    def _trace(self):
        if self._full is None:
            self._full = self.net.trace(self.x[None, :], self.t[None, :])
        return self._full

    def _value(self, n: str, k: int) -> float:
        if n == self.net.input:
            return float(self.x[k])
        return float(self._trace()[self._index(n)].values["a"][0, k])

    def _z_value(self, n: str, k: int) -> float:
        return float(self._trace()[self._index(n)].values["z"][0, k])

    def _index(self, n: str) -> int:
        return next(i for i, s in enumerate(self._trace()) if s.phase == "forward" and s.node == n)

    def activation_gradients(self) -> dict[str, np.ndarray]:
        """∂L/∂a of every neuron by the network's own backward pass (one example)."""
        net, out = self.net, {}
        steps = self._trace()
        delta = {s.node: s.values["delta"][0] for s in steps if s.phase == "backward"}
        for s in steps:
            if s.phase == "backward" and s.values["dL/da"] is not None:
                out[s.node] = s.values["dL/da"][0]
        out[net.input] = sum((delta[c.dst] @ net.W[(net.input, c.dst)]
                              for c in net.graph.outgoing(net.input) if c.dst in delta),
                             np.zeros(net.sizes[net.input]))
        return out


def _loss_locals(loss: str, y: np.ndarray, t: np.ndarray) -> list[float]:
    """∂L/∂y_k of one example's loss (not fused: the activation is its own operation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if loss == "mse":
            d = y - t
        elif loss == "bce":
            d = (y - t) / (y * (1 - y))
        else:  # softmax_ce
            d = np.where(t != 0, -t / y, 0.0)
    return [float(v) for v in d]
