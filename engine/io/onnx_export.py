"""Export a design and its parameters as an ONNX model (float32) that onnxruntime and Netron open.

Layout: the graph input "input" [batch, n_in] is the input node's activation (for a
trained design, raw rows that the transform's nodes turn into it: engine.io.onnx_transform).
Each further node, in topological order, is ``Gemm(a_src, W, b)`` with
transB=1 for its first incoming connection (W keeps the dst × src layout of
the weight files, with the mask folded in), ``Gemm`` without bias for any
further connection and a ``Sum`` of them (skip connections and branches), then
its activation operator. The output node's activation is the graph output
"output" [batch, n_out] (a trained design's target in its units or class
probabilities). Node and value names carry the node ids, so Netron
shows the design.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.files.atomic import atomic_write_bytes
from engine.io.exported_transform import fitted_preprocessing, output_width
from engine.io.onnx_transform import (NETWORK_OUTPUT, STANDARDISED, input_doc, input_nodes, metadata,
                                      output_doc, output_nodes)
from engine.io.weights import check_weights
from engine.model.errors import ExportError, WeightsError
from engine.model.reach import nodes_reaching_output
from engine.nn.activations import ELU_ALPHA, LEAKY_SLOPE
from engine.model.param_names import bias_name, weight_name

MIN_OPSET = 13  # Softmax over one axis (-1) as the engine computes it


def expected_shapes(graph) -> dict[str, tuple[int, ...]]:
    """The parameter names and shapes a design needs, as Network.parameters() names them."""
    shapes = {}
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        if node.kind == "input":
            continue
        for c in graph.incoming(node_id):
            shapes[weight_name(c.src, c.dst)] = (node.size, graph.node(c.src).size)
        shapes[bias_name(node_id)] = (node.size,)
    return shapes


def _activation(helper, name: str, node_id: str, z: str, a: str) -> list:
    op = f"{node_id}/{name}"
    simple = {"linear": "Identity", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
              "softplus": "Softplus"}
    if name in simple:
        return [helper.make_node(simple[name], [z], [a], name=op)]
    if name == "leaky_relu":
        return [helper.make_node("LeakyRelu", [z], [a], name=op, alpha=LEAKY_SLOPE)]
    if name == "elu":
        return [helper.make_node("Elu", [z], [a], name=op, alpha=ELU_ALPHA)]
    if name == "softmax":
        return [helper.make_node("Softmax", [z], [a], name=op, axis=-1)]
    if name == "swish":
        s = f"sigmoid({node_id})"
        return [helper.make_node("Sigmoid", [z], [s], name=f"{node_id}/swish sigmoid"),
                helper.make_node("Mul", [z, s], [a], name=f"{node_id}/swish z·σ(z)")]
    raise ExportError(f"node {node_id!r}: the activation {name!r} has no ONNX equivalent here")


def _check(graph, params: dict, opset) -> None:
    import onnx
    graph.check_complete()
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ExportError(f"opset must be a whole number from {MIN_OPSET} to {newest}, not {opset!r}")
    check_weights(expected_shapes(graph), params, np.float32)   # the model is float32
    bad = [k for k, v in params.items() if not np.isfinite(np.asarray(v, dtype=np.float64)).all()]
    if bad:
        raise WeightsError(f"{', '.join(bad)} hold{'s' if len(bad) == 1 else ''} NaN or infinite values: "
                           "train again or load good weights before exporting")


def _network_nodes(graph, params: dict, input_value: str, output_value: str) -> tuple[list, list, int]:
    """(nodes, initialisers, node count) of the network from ``input_value`` to ``output_value``."""
    from onnx import helper, numpy_helper
    inp, out = graph.input_node(), graph.output_node()
    keep = nodes_reaching_output(graph)   # others would dangle in the exported graph
    value = {inp.id: input_value}
    nodes, inits = [], []
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        if node.kind == "input" or node_id not in keep:
            continue
        incoming = graph.incoming(node_id)
        bias = bias_name(node_id)
        inits.append(numpy_helper.from_array(np.asarray(params[bias], dtype=np.float32), bias))
        parts = []
        for i, c in enumerate(incoming):
            wname = weight_name(c.src, c.dst)
            w = np.asarray(params[wname], dtype=np.float32)
            if c.mask is not None:
                w = w * c.mask.astype(np.float32)
            inits.append(numpy_helper.from_array(np.ascontiguousarray(w), wname))
            part = f"z:{node_id}" if len(incoming) == 1 else f"{c.key} product"
            nodes.append(helper.make_node("Gemm", [value[c.src], wname] + ([bias] if i == 0 else []), [part],
                                          name=f"{node_id}/from {c.src}", transB=1))
            parts.append(part)
        z = f"z:{node_id}"
        if len(parts) > 1:
            nodes.append(helper.make_node("Sum", parts, [z], name=f"{node_id}/sum"))
        a = output_value if node_id == out.id else f"a:{node_id}"
        nodes += _activation(helper, node.activation, node_id, z, a)
        value[node_id] = a
    return nodes, inits, len(keep)


def build_model(graph, params: dict[str, np.ndarray], *, opset: int = 17):
    """The onnx.ModelProto for ``graph`` with ``params`` (checked, not yet written).

    With the design's fitted transform (``graph.preprocessing``) the model takes raw rows
    and returns the target in its units or class probabilities (engine.io.onnx_transform).
    """
    import onnx  # imported here: the engine must start without it
    from onnx import TensorProto, helper, numpy_helper

    _check(graph, params, opset)
    p = fitted_preprocessing(graph)
    inp, out = graph.input_node(), graph.output_node()
    if p is None:
        nodes, inits, count = _network_nodes(graph, params, "input", "output")
        width_in, width_out, doc_in, doc_out = inp.size, out.size, "", ""
    else:
        pre_nodes, pre_inits = input_nodes(helper, numpy_helper, p)
        post_nodes, post_inits = output_nodes(helper, numpy_helper, p, out.size)
        nodes, inits, count = _network_nodes(graph, params, STANDARDISED, NETWORK_OUTPUT)
        nodes, inits = pre_nodes + nodes + post_nodes, pre_inits + inits + post_inits
        width_in, width_out, doc_in, doc_out = len(p.features), output_width(p), input_doc(p), output_doc(p)
    g = helper.make_graph(
        nodes, "backprop_studio",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", width_in], doc_in)],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", width_out], doc_out)],
        initializer=inits,
        doc_string=f"Backprop Studio design: {count} nodes, loss {graph.loss}")
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(g, opset_imports=opsets, producer_name="Backprop Studio",
                              ir_version=helper.find_min_ir_version_for(opsets))
    props = {"loss": graph.loss, "input node": inp.label, "output node": out.label}
    helper.set_model_props(model, props | (metadata(p) if p is not None else {}))
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(graph, params: dict[str, np.ndarray], path, *, opset: int = 17) -> None:
    """Write ``graph`` with ``params`` as an ONNX model to ``path`` (atomic)."""
    model = build_model(graph, params, opset=opset)
    try:
        atomic_write_bytes(Path(path), model.SerializeToString())
    except OSError as e:
        raise ExportError(f"{path}: cannot write it ({e.strerror or e})") from None
