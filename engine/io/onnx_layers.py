"""Reading an ONNX graph's nodes as dense layers wired the way a design is: the shape an import takes.

A layer's weighted sum is one or more ``Gemm`` (transB either way, alpha and beta 1) or ``MatMul``
of an earlier layer's output by a constant, joined by ``Add`` or ``Sum`` (a skip connection: the
app's own exports write one Gemm per connection and a Sum), with an optional ``Add`` of a constant
bias; then one activation the engine has: Relu, LeakyRelu (the engine's slope), Elu (alpha 1),
Sigmoid, Tanh, Softplus, Softmax on the last axis, or swish as ``Mul(z, Sigmoid(z))``. A layer
with no activation is linear. ``Identity``, ``Flatten`` (axis 1) and ``Dropout`` pass values
through. Anything else (a convolution, a residual Add of two activations, a layer whose output
does not reach the model's output) is refused naming the node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.io.imported import ModelImportError, shape_text
from engine.nn.activations import ELU_ALPHA, LEAKY_SLOPE

SIMPLE = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus"}
NAMED = {"LeakyRelu": "leaky_relu", "Elu": "elu", "Softmax": "softmax"}
PASS_THROUGH = ("Identity", "Flatten", "Dropout")
INPUT = -1          # the source index of the graph input


@dataclass
class Sum:
    """A weighted sum being read: its terms (source index, W as dst × src) and its bias."""
    terms: list[tuple[int, np.ndarray]]
    b: np.ndarray | None = None
    nodes: list[str] = field(default_factory=list)   # the ONNX nodes that made it

    @property
    def size(self) -> int:
        return int(self.terms[0][1].shape[0])


@dataclass
class Layer:
    """One dense layer: the weighted sum of its sources, then its activation."""
    terms: list[tuple[int, np.ndarray]]
    b: np.ndarray | None
    activation: str
    nodes: list[str]
    z: str                  # the value holding the weighted sum (swish reads it again)
    a: str                  # the value holding the output
    read_by: int = 0        # how many weighted sums read the output

    @property
    def size(self) -> int:
        return int(self.terms[0][1].shape[0])


def _describe(node) -> str:
    return f"node {node.name or '(unnamed)'!r} ({node.op_type})"


def _attrs(node) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Layers:
    """The layers read so far, from ``start`` (a value of ``width`` columns)."""

    def __init__(self, consts: dict[str, np.ndarray], start: str, width: int, where: str):
        self.consts, self.where, self.width = consts, where, width
        self.layers: list[Layer] = []
        self.outputs: dict[str, int] = {start: INPUT}     # value → the layer whose output it is
        self.sums: dict[str, Sum] = {}                      # value → a weighted sum not yet activated

    def fail(self, node, why: str):
        raise ModelImportError(f"{self.where}: {_describe(node)} {why}")

    def source_width(self, index: int) -> int:
        return self.width if index == INPUT else self.layers[index].size

    # ----- reading nodes --------------------------------------------------------------------
    def read(self, node) -> None:
        op, attrs = node.op_type, _attrs(node)
        if node.domain not in ("", "ai.onnx"):
            self.fail(node, "is not a dense layer or a supported activation")
        if op == "Constant":
            self._constant(node, attrs)
        elif op in PASS_THROUGH:
            self._pass_through(node, attrs)
        elif op in ("Gemm", "MatMul"):
            self._dense(node, attrs)
        elif op in ("Add", "Sum"):
            self._add(node)
        elif op == "Mul":
            self._swish(node)
        elif op in SIMPLE or op in NAMED:
            self._activation(node, attrs)
        else:
            self.fail(node, "is not a dense layer or a supported activation")

    def _constant(self, node, attrs) -> None:
        from onnx import numpy_helper
        if set(attrs) != {"value"}:
            self.fail(node, "is a constant of a kind the import does not read")
        self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)

    def _pass_through(self, node, attrs) -> None:
        if node.op_type == "Flatten" and attrs.get("axis", 1) != 1:
            self.fail(node, "flattens from an axis other than 1, which a 2-D input does not need")
        if node.op_type == "Dropout" and len(node.input) > 1 and any(node.input[1:]):
            self.fail(node, "has a ratio or training-mode input; export the model in eval mode")
        name, out = node.input[0], node.output[0]
        if name in self.sums:
            self.sums[out] = self.sums[name]
        elif name in self.outputs:
            self.outputs[out] = self.outputs[name]
        else:
            self.fail(node, f"reads {name!r}, which no layer before it computed")

    def _source(self, node, name: str) -> int:
        """The layer whose output ``name`` is; a weighted sum read again is a linear layer."""
        if name in self.sums:
            self._finish(name, "linear", name)
        if name not in self.outputs:
            self.fail(node, f"multiplies {name!r}, which is not the input or a layer's output")
        return self.outputs[name]

    def _const(self, node, name: str) -> np.ndarray:
        if name not in self.consts:
            self.fail(node, f"multiplies by {name!r}, a computed value, not a constant weight matrix")
        return np.asarray(self.consts[name], dtype=np.float64)

    def _dense(self, node, attrs) -> None:
        src = self._source(node, node.input[0])
        B = self._const(node, node.input[1])
        if node.op_type == "Gemm":
            if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
                self.fail(node, "uses transA, alpha or beta other than 1, which a dense layer does not")
            W = B if attrs.get("transB", 0) else B.T
        else:
            W = B.T
        if W.ndim != 2 or W.shape[1] != self.source_width(src):
            self.fail(node, f"has weights of shape {shape_text(B.shape)}, which do not take the "
                            f"{self.source_width(src)} values of the layer it reads")
        part = Sum([(src, W)], nodes=[node.name])
        if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
            part.b = self._bias_values(node, node.input[2], part.size)
        self.sums[node.output[0]] = part
        if src != INPUT:
            self.layers[src].read_by += 1

    def _bias_values(self, node, name: str, size: int) -> np.ndarray:
        c = self._const(node, name)
        if c.size not in (1, size) or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1):
            self.fail(node, f"adds a constant of shape {shape_text(c.shape)}, not a bias of {size} values")
        return np.broadcast_to(c.reshape(-1), (size,)).copy()

    def _add(self, node) -> None:
        names = [n for n in node.input if n]
        parts = [self.sums[n] for n in names if n in self.sums]
        consts = [n for n in names if n in self.consts and n not in self.sums]
        if not parts or len(parts) + len(consts) != len(names) or len(consts) > 1:
            self.fail(node, "adds values that are not weighted sums (a residual Add of two activations, "
                            "or a constant added to an activation), which a design cannot represent")
        if any(p.size != parts[0].size for p in parts):
            self.fail(node, "adds weighted sums of different sizes")
        merged = Sum([t for p in parts for t in p.terms], nodes=[n for p in parts for n in p.nodes] + [node.name])
        for b in [p.b for p in parts if p.b is not None] + [self._bias_values(node, c, parts[0].size)
                                                            for c in consts]:
            merged.b = b if merged.b is None else merged.b + b
        self.sums[node.output[0]] = merged

    def _activation(self, node, attrs) -> None:
        if node.input[0] not in self.sums:
            self.fail(node, "applies an activation to an activation: the engine has one per layer")
        op = node.op_type
        if op == "LeakyRelu" and not np.isclose(attrs.get("alpha", 0.01), LEAKY_SLOPE, rtol=1e-5, atol=0):
            self.fail(node, f"has slope {attrs['alpha']:g}, but the engine's leaky relu has {LEAKY_SLOPE:g}")
        if op == "Elu" and not np.isclose(attrs.get("alpha", 1.0), ELU_ALPHA, rtol=1e-5, atol=0):
            self.fail(node, f"has alpha {attrs['alpha']:g}, but the engine's elu has {ELU_ALPHA:g}")
        if op == "Softmax" and attrs.get("axis", -1) not in (-1, 1):
            self.fail(node, "is a softmax over an axis other than the last")
        self._finish(node.input[0], SIMPLE.get(op) or NAMED[op], node.output[0], node.name)

    def _swish(self, node) -> None:
        owner = next((self.outputs[n] for n in node.input if n in self.outputs), None)
        last = self.layers[owner] if owner not in (None, INPUT) else None
        if (last is None or last.activation != "sigmoid" or last.read_by
                or sorted(node.input) != sorted([last.z, last.a])):
            self.fail(node, "is not a dense layer or a supported activation (only swish, z · sigmoid(z))")
        last.activation = "swish"
        last.nodes.append(node.name)
        del self.outputs[last.a]
        last.a = node.output[0]
        self.outputs[last.a] = owner

    def _finish(self, z: str, activation: str, a: str, op_name: str | None = None) -> None:
        part = self.sums.pop(z)     # read again only by swish's Mul, which finds it in the layer
        layer = Layer(part.terms, part.b, activation, part.nodes + ([op_name] if op_name else []), z, a)
        self.layers.append(layer)
        self.outputs[a] = len(self.layers) - 1

    # ----- the end --------------------------------------------------------------------------
    def end(self, output: str) -> list[Layer]:
        """The layers, once the value ``output`` is the last layer's output."""
        if output in self.sums:
            self._finish(output, "linear", output)
        if not self.layers:
            raise ModelImportError(f"{self.where}: the model has no dense layer (Gemm, or MatMul and Add)")
        if self.outputs.get(output) != len(self.layers) - 1:
            raise ModelImportError(f"{self.where}: the output {output!r} is not the last layer's output")
        for layer in self.layers[:-1]:
            if layer.activation == "softmax":
                raise ModelImportError(f"{self.where}: a softmax in a hidden layer ({layer.nodes[-1]!r}); the "
                                       "engine has softmax at the output only")
            if not layer.read_by:
                raise ModelImportError(f"{self.where}: the layer ending in {layer.nodes[-1]!r} does not reach "
                                       "the model's output")
        return self.layers
