"""A compiled network: parameters as numpy arrays, forward and chain-rule backward.

Compiling a Graph fixes the topological order, the parameter arrays and, per
batch size, preallocated buffers; a step then walks prebuilt lists and calls
numpy with ``out=`` so that small networks are not slowed by Python overhead.

Forward, in topological order:  z = Σ_src a_src Wᵀ + b,  a = f(z)
Backward, in reverse:            dL/da = Σ_dst δ_dst W  (every path into the node)
                                 δ = dL/dz = dL/da · f'(z)
                                 dL/dW = δᵀ a_src,  dL/db = Σ_batch δ
A fused loss (bce on sigmoid, softmax_ce on softmax) starts from δ = (y − t)/B.
"""
from __future__ import annotations

import numpy as np

from engine.model.graph import Graph, GraphError
from engine.model.reach import nodes_reaching_output
from engine.nn import activations
from engine.nn.buffers import Buffers
from engine.model.param_names import bias_name, weight_name
from engine.nn.step_code import StepCode
from engine.nn.trace import trace_network


class ParameterMismatch(GraphError):
    """Parameters whose names or shapes do not fit the design."""


def _views(flat: np.ndarray, shapes: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Consecutive views of ``flat`` with the given shapes, by name."""
    views, offset = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[offset:offset + size].reshape(shape)
        offset += size
    return views


class Network:
    """A Graph compiled into numpy parameters, with forward, backward and trace.

    ``parameters()`` are the live arrays (W is dst × src); masked weights are
    kept at zero. After a pass, ``z`` and ``a`` hold each node's pre-activation
    and activation (views of internal buffers, overwritten by the next pass).
    """

    def __init__(self, graph: Graph, seed: int = 0, dtype="float32"):
        graph.check_complete()
        graph.check_loss()
        self.graph = graph
        self.seed = seed
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise GraphError(f"dtype must be float32 or float64, not {dtype!r}") from None
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise GraphError(f"the seed must be a whole number ≥ 0, not {seed!r}")
        if self.dtype not in (np.float32, np.float64):
            raise GraphError(f"dtype must be float32 or float64, not {self.dtype}")
        self.loss = graph.loss
        self.order = graph.topological_order()
        self.input = graph.input_node().id
        self.output = graph.output_node().id
        self.sizes = {n: graph.nodes[n].size for n in self.order}
        self._in_shape, self._out_size = (self.sizes[self.input],), self.sizes[self.output]
        self.activation = {n: graph.nodes[n].activation for n in self.order}
        self.incoming = {n: [c.src for c in graph.incoming(n)] for n in self.order}
        self.masks = {(c.src, c.dst): (None if c.mask is None else c.mask.astype(self.dtype))
                      for c in graph.connections.values()}
        shapes: dict[str, tuple] = {}
        for n in self.order:
            if n != self.input:
                for s in self.incoming[n]:
                    shapes[weight_name(s, n)] = (self.sizes[n], self.sizes[s])
                shapes[bias_name(n)] = (self.sizes[n],)
        # Every parameter (and gradient) is a view into one flat array, so an optimiser
        # updates them all in a handful of numpy calls instead of a handful per array.
        total = sum(int(np.prod(shape)) for shape in shapes.values())
        self._flat = {"parameters": np.zeros(total, self.dtype)}
        self._flat_grads = {"parameters": np.zeros(total, self.dtype)}
        self._params = _views(self._flat["parameters"], shapes)
        self._grads = _views(self._flat_grads["parameters"], shapes)
        self.W = {(s, n): self._params[weight_name(s, n)]
                  for n in self.order if n != self.input for s in self.incoming[n]}
        self.b = {n: self._params[bias_name(n)] for n in self.order if n != self.input}
        self._masked = [(self._grads[weight_name(*k)], m) for k, m in self.masks.items()
                        if m is not None]
        self._live = nodes_reaching_output(graph)
        # Weights of nodes that cannot reach the output: their data gradient is always zero.
        self._dead = [k for k in self.W if k[1] not in self._live]
        self._buffers: dict[int, Buffers] = {}
        self.z: dict[str, np.ndarray] = {}
        self.a: dict[str, np.ndarray] = {}
        self.initialize(seed)

    # ----- set-up ---------------------------------------------------------
    def initialize(self, seed: int | None = None) -> None:
        """New weights from the seed: He for the relu family, Glorot otherwise; zero biases."""
        if seed is not None:
            self.seed = seed
        rng = np.random.default_rng(self.seed)
        for n, b in self.b.items():
            fan_in = sum(self.sizes[s] for s in self.incoming[n])
            for s in self.incoming[n]:
                w = self.W[(s, n)]
                if self.activation[n] in activations.RELU_FAMILY:
                    w[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), w.shape)
                else:
                    limit = np.sqrt(6.0 / (fan_in + self.sizes[n]))
                    w[...] = rng.uniform(-limit, limit, w.shape)
            b[...] = 0.0
        self.apply_masks()

    def apply_masks(self) -> None:
        """Zero every masked weight."""
        for key, m in self.masks.items():
            if m is not None:
                self.W[key] *= m

    def parameters(self) -> dict[str, np.ndarray]:
        """Live parameter arrays by name: "W:src->dst" (dst × src) and "b:node"."""
        return self._params

    @property
    def gradients(self) -> dict[str, np.ndarray]:
        """Gradients of the latest backward pass (live buffers, same keys as parameters)."""
        return self._grads

    def parameter_shapes(self) -> dict[str, tuple]:
        return {k: p.shape for k, p in self._params.items()}

    def parameter_count(self) -> int:
        return sum(p.size for p in self._params.values())

    def load_parameters(self, values: dict) -> None:
        """Copy ``values`` in after checking every name and shape; nothing changes unless all fit."""
        if not isinstance(values, dict):
            raise ParameterMismatch("the weights must be a mapping of parameter names to arrays")
        problems = []
        for k in self._params:
            if k not in values:
                problems.append(f"{k} is missing")
        for k, v in values.items():
            if k not in self._params:
                problems.append(f"{k} is not in the design")
                continue
            try:
                arr = np.asarray(v)
            except (TypeError, ValueError):
                problems.append(f"{k} is not an array of numbers")
                continue
            if arr.shape != self._params[k].shape:
                problems.append(f"{k} has shape {tuple(arr.shape)}, the design needs "
                                f"{tuple(self._params[k].shape)}")
            elif arr.dtype.kind not in "iuf" or not np.isfinite(arr).all():
                problems.append(f"{k} holds values that are not finite real numbers")
            else:
                with np.errstate(over="ignore"):
                    if not np.isfinite(arr.astype(self.dtype)).all():
                        problems.append(f"{k} holds values beyond the range of {self.dtype.name}")
        if problems:
            raise ParameterMismatch("the weights do not fit the design: " + "; ".join(problems))
        for k, p in self._params.items():
            p[...] = np.asarray(values[k], dtype=self.dtype)
        self.apply_masks()

    def rebuild(self, graph: Graph | None = None) -> Network:
        """A network for the (edited) graph keeping every parameter whose shape did not change."""
        new = Network(graph if graph is not None else self.graph, self.seed, self.dtype)
        for k, p in new._params.items():
            old = self._params.get(k)
            if old is not None and old.shape == p.shape:
                p[...] = old
        new.apply_masks()
        return new

    # ----- passes ---------------------------------------------------------
    def _buffers_for(self, batch: int) -> Buffers:
        buf = self._buffers.get(batch)
        if buf is None:
            if len(self._buffers) >= 4:  # keep memory bounded (grids, single examples, batches)
                self._buffers.pop(next(iter(self._buffers)))
            buf = Buffers(self, batch)
            self._buffers[batch] = buf
        return buf

    def _check_input(self, X) -> np.ndarray:
        try:
            X = np.asarray(X, dtype=self.dtype)
        except (TypeError, ValueError):
            raise GraphError("the input must be a table of numbers") from None
        if X.ndim != 2 or X.shape[1] != self.sizes[self.input]:
            raise GraphError(f"the input has shape {X.shape}, the network needs "
                             f"(batch, {self.sizes[self.input]})")
        if X.shape[0] == 0:
            raise GraphError("the batch is empty: give at least one example")
        return np.ascontiguousarray(X)

    def _code(self, X: np.ndarray) -> StepCode:
        """The compiled passes for X's batch size; X becomes the input node's values."""
        buf = self._buffers_for(X.shape[0])
        if buf.code is None:
            buf.code = StepCode(self, buf)
        buf.a[self.input] = X
        self.z, self.a = buf.z, buf.a
        return buf.code

    def forward(self, X) -> np.ndarray:
        """The output for a batch: (batch, input size) -> (batch, output size), a copy."""
        X = self._check_input(X)
        code = self._code(X)
        code.forward(X)
        return code.buf.a[self.output].copy()

    def _penalty(self, l1: float, l2: float, gradients: bool) -> float:
        """The L1 and L2 penalties on the weights; their gradients added when asked."""
        loss = 0.0
        for (s, n), w in self.W.items():
            if l2:
                loss += 0.5 * l2 * float(np.vdot(w, w))
            if l1:
                loss += l1 * float(np.abs(w).sum())
            if gradients:
                gw = self._grads[weight_name(s, n)]
                if l2:
                    gw += l2 * w
                if l1:
                    gw += l1 * np.sign(w)
        if gradients:
            for gw, m in self._masked:
                gw *= m
        return loss

    def _check_target(self, T, batch: int) -> np.ndarray:
        try:
            T = np.asarray(T, dtype=self.dtype)
        except (TypeError, ValueError):
            raise GraphError("the targets must be a table of numbers") from None
        want = (batch, self.sizes[self.output])
        if T.shape != want:
            raise GraphError(f"the targets have shape {T.shape}, the network needs {want}")
        return np.ascontiguousarray(T)

    def loss_and_gradients(self, X, T, l1: float = 0.0, l2: float = 0.0):
        """Mean loss over the batch (plus penalties) and its gradients, as copies."""
        X = self._check_input(X)
        T = self._check_target(T, X.shape[0])
        loss = self._code(X).step(X, T)
        if l1 or l2:
            loss += self._penalty(l1, l2, gradients=True)
        return loss, {k: g.copy() for k, g in self._grads.items()}

    def train_step(self, X, T, optimizer, l1: float = 0.0, l2: float = 0.0) -> float:
        """Forward, backward and one optimiser update; returns the batch loss before the update.

        X and T should already be contiguous arrays of the network's dtype (the trainer
        makes them so once); gradients stay available in ``gradients``.
        """
        if (X.dtype != self.dtype or not X.flags.c_contiguous or T.dtype != self.dtype
                or T.shape != (X.shape[0], self._out_size) or X.shape[1:] != self._in_shape
                or not X.shape[0]):
            X = self._check_input(X)
            T = self._check_target(T, X.shape[0])
        loss = self._code(X).step(X, T)
        if l1 or l2:
            loss += self._penalty(l1, l2, gradients=True)
        optimizer.step(self._flat, self._flat_grads)
        return loss

    def loss_value(self, X, T, l1: float = 0.0, l2: float = 0.0) -> float:
        """Mean loss of a batch without a backward pass (evaluation)."""
        X = self._check_input(X)
        T = self._check_target(T, X.shape[0])
        loss = self._code(X).loss(X, T)
        return loss + self._penalty(l1, l2, gradients=False) if (l1 or l2) else loss

    def trace(self, X, T, lr: float | None = None):
        """The ordered steps of one forward and backward pass: see engine.nn.trace."""
        return trace_network(self, self._check_input(X),
                             self._check_target(T, np.asarray(X).shape[0]), lr)
