"""Reading an ONNX graph's nodes as a chain of dense layers, the shape of network an import takes.

Each layer is ``Gemm`` (transB either way, alpha and beta 1), or ``MatMul`` with an optional
``Add`` of a constant bias, then one activation the engine has: Relu, LeakyRelu (the engine's
slope), Elu (alpha 1), Sigmoid, Tanh, Softplus, Softmax on the last axis, or swish as
``Mul(z, Sigmoid(z))``. A layer with no activation is linear. ``Identity``, ``Flatten`` (axis 1)
and ``Dropout`` pass values through. Every node must read the layer before it: anything else
(a convolution, a residual Add of two computed values, a branch) is refused naming the node.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.io.imported import ModelImportError, shape_text
from engine.nn.activations import ELU_ALPHA, LEAKY_SLOPE

SIMPLE = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus"}
PASS_THROUGH = ("Identity", "Flatten", "Dropout")


@dataclass
class Layer:
    """One dense layer: W (dst × src, the app's layout), its bias, and its activation once known."""
    W: np.ndarray
    b: np.ndarray | None
    z: str                                  # the value holding the pre-activation
    nodes: list[str] = field(default_factory=list)   # the ONNX nodes that made it
    activation: str | None = None
    a: str | None = None

    @property
    def size(self) -> int:
        return int(self.W.shape[0])


def _describe(node) -> str:
    return f"node {node.name or '(unnamed)'!r} ({node.op_type})"


def _attrs(node) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Chain:
    """The layers read so far, from ``start`` (a value of ``width`` columns)."""

    def __init__(self, consts: dict[str, np.ndarray], start: str, width: int, where: str):
        self.consts, self.current, self.width, self.where = consts, start, width, where
        self.layers: list[Layer] = []
        self.pending: Layer | None = None    # a layer whose activation is not known yet

    def fail(self, node, why: str):
        raise ModelImportError(f"{self.where}: {_describe(node)} {why}")

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
        elif op == "Add":
            self._bias(node)
        elif op == "Mul":
            self._swish(node)
        elif op in SIMPLE or op in ("LeakyRelu", "Elu", "Softmax"):
            self._activation(node, attrs)
        else:
            self.fail(node, "is not a dense layer or a supported activation")

    def _constant(self, node, attrs) -> None:
        from onnx import numpy_helper
        if set(attrs) != {"value"}:
            self.fail(node, "is a constant of a kind the import does not read")
        self.consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)

    def _input(self, node, name: str) -> str:
        """Which value the node reads: "current" (the last activation) or "z" (the pending layer)."""
        if self.pending is not None and name == self.pending.z:
            return "z"
        if name == self.current:
            return "current"
        self.fail(node, f"reads {name!r}, which is not the output of the layer before it: the import "
                        "takes a chain of dense layers (no branches or skip connections)")

    def _pass_through(self, node, attrs) -> None:
        if node.op_type == "Flatten" and attrs.get("axis", 1) != 1:
            self.fail(node, "flattens from an axis other than 1, which a 2-D input does not need")
        if node.op_type == "Dropout" and len(node.input) > 1 and any(node.input[1:]):
            self.fail(node, "has a ratio or training-mode input; export the model in eval mode")
        if self._input(node, node.input[0]) == "z":
            self.pending.z = node.output[0]
        else:
            self.current = node.output[0]

    def _const(self, node, name: str) -> np.ndarray:
        if name not in self.consts:
            self.fail(node, f"multiplies by {name!r}, a computed value, not a constant weight matrix")
        return np.asarray(self.consts[name], dtype=np.float64)

    def _dense(self, node, attrs) -> None:
        if self._input(node, node.input[0]) == "z":
            self._finish("linear", self.pending.z)
        B = self._const(node, node.input[1])
        if node.op_type == "Gemm":
            if attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 or attrs.get("beta", 1.0) != 1.0:
                self.fail(node, "uses transA, alpha or beta other than 1, which a dense layer does not")
            W = B if attrs.get("transB", 0) else B.T
        else:
            W = B.T
        if W.ndim != 2 or W.shape[1] != self.width:
            self.fail(node, f"has weights of shape {shape_text(B.shape)}, which do not take the "
                            f"{self.width} values of the layer before it")
        layer = Layer(W, None, node.output[0], [node.name])
        if node.op_type == "Gemm" and len(node.input) > 2 and node.input[2]:
            layer.b = self._bias_values(node, node.input[2], layer.size)
        self.pending = layer

    def _bias_values(self, node, name: str, size: int) -> np.ndarray:
        c = self._const(node, name)
        if c.size not in (1, size) or c.ndim > 2 or (c.ndim == 2 and c.shape[0] != 1):
            self.fail(node, f"adds a constant of shape {shape_text(c.shape)}, not a bias of {size} values")
        return np.broadcast_to(c.reshape(-1), (size,)).copy()

    def _bias(self, node) -> None:
        names = list(node.input)
        consts = [n for n in names if n in self.consts]
        if len(consts) != 1:
            self.fail(node, "adds two computed values (a residual or skip connection), which the import "
                            "does not take: only a chain of dense layers")
        other = next(n for n in names if n not in self.consts)
        if self._input(node, other) != "z":
            self.fail(node, "adds a constant to a layer's activation, not a bias to its weighted sum")
        layer = self.pending
        b = self._bias_values(node, consts[0], layer.size)
        layer.b = b if layer.b is None else layer.b + b
        layer.z = node.output[0]
        layer.nodes.append(node.name)

    def _activation(self, node, attrs) -> None:
        if self._input(node, node.input[0]) != "z":
            self.fail(node, "applies an activation to an activation: the engine has one per layer")
        op = node.op_type
        if op == "LeakyRelu" and not np.isclose(attrs.get("alpha", 0.01), LEAKY_SLOPE, rtol=1e-5, atol=0):
            self.fail(node, f"has slope {attrs['alpha']:g}, but the engine's leaky relu has {LEAKY_SLOPE:g}")
        if op == "Elu" and not np.isclose(attrs.get("alpha", 1.0), ELU_ALPHA, rtol=1e-5, atol=0):
            self.fail(node, f"has alpha {attrs['alpha']:g}, but the engine's elu has {ELU_ALPHA:g}")
        if op == "Softmax" and attrs.get("axis", -1) not in (-1, 1):
            self.fail(node, "is a softmax over an axis other than the last")
        name = SIMPLE.get(op) or {"LeakyRelu": "leaky_relu", "Elu": "elu", "Softmax": "softmax"}[op]
        self.pending.nodes.append(node.name)
        self._finish(name, node.output[0])

    def _swish(self, node) -> None:
        last = self.layers[-1] if self.layers else None
        if (last is None or self.pending is not None or last.activation != "sigmoid"
                or self.current != last.a or sorted(node.input) != sorted([last.z, last.a])):
            self.fail(node, "is not a dense layer or a supported activation (only swish, z · sigmoid(z))")
        last.activation, last.a = "swish", node.output[0]
        last.nodes.append(node.name)
        self.current = last.a

    def _finish(self, activation: str, value: str) -> None:
        layer, self.pending = self.pending, None
        layer.activation, layer.a = activation, value
        self.layers.append(layer)
        self.current, self.width = value, layer.size

    # ----- the end --------------------------------------------------------------------------
    def end(self, output: str) -> list[Layer]:
        """The layers, once the value ``output`` is the last layer's output."""
        if self.pending is not None and output == self.pending.z:
            self._finish("linear", output)
        if not self.layers:
            raise ModelImportError(f"{self.where}: the model has no dense layer (Gemm, or MatMul and Add)")
        if output != self.current:
            raise ModelImportError(f"{self.where}: the output {output!r} is not the last layer's output: "
                                   "the import takes a chain of dense layers")
        for layer in self.layers[:-1]:
            if layer.activation == "softmax":
                raise ModelImportError(f"{self.where}: a softmax in a hidden layer ({layer.nodes[-1]!r}); the "
                                       "engine has softmax at the output only")
        return self.layers
