"""An ONNX model as a design with its weights: dense layers, skip connections included (engine.io.onnx_layers).

The graph input (float, [batch, n] with n fixed) becomes the input node, each layer a node
(``h1``, ``h2``..., the last one ``y``; an app's own export keeps its node ids), each weighted
term of a layer a connection, and the loss
is guessed from the output: softmax → softmax_ce, sigmoid → bce, else mse (an app's export
names it). The app's own exports of trained designs get their preprocessing back
(engine.io.onnx_transform_import). The result is checked whole before it is returned: the
engine's forward pass must give the model's own outputs (onnx's reference evaluator) on
random rows, so an import is right or refused, never partial.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from engine.io.auto_layout import lay_out
from engine.io.imported import ImportedModel, ModelImportError, read_source_bytes, shape_text
from engine.io.onnx_layers import INPUT, Layer, Layers
from engine.io.onnx_transform_import import check_transform_nodes, has_transform, is_transform_node, read_transform
from engine.model.errors import GraphError
from engine.model.graph import Graph
from engine.model.param_names import bias_name, valid_new_id, weight_name
from engine.model.rules import MAX_PARAMETERS
from engine.model.vocabulary import LOSSES, REQUIRED_OUTPUT
from engine.nn.network import Network

CHECK_ROWS = 16
TOLERANCE = 1e-4        # relative to the outputs' scale: float32 model against a float64 forward pass


def _load(path: Path):
    import onnx
    data = read_source_bytes(path)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:      # protobuf's DecodeError and friends
        raise ModelImportError(f"{path.name}: not a readable ONNX model ({e})") from None
    if not model.graph.node and not model.graph.input:
        raise ModelImportError(f"{path.name}: not a readable ONNX model (it holds no graph)")
    return model


def _constants(model, where: str) -> dict[str, np.ndarray]:
    from onnx import TensorProto, numpy_helper
    consts = {}
    for init in model.graph.initializer:
        if init.data_location == TensorProto.EXTERNAL:
            raise ModelImportError(f"{where}: the tensor {init.name!r} is stored in a separate file; "
                                   "save the model with its weights inside (onnx.save without external data)")
        consts[init.name] = numpy_helper.to_array(init)
    return consts


def _graph_input(model, consts: dict, where: str) -> tuple[str, int]:
    from onnx import TensorProto
    inputs = [i for i in model.graph.input if i.name not in consts]
    if len(inputs) != 1:
        raise ModelImportError(f"{where}: the model has {len(inputs)} inputs; the import takes one")
    value = inputs[0]
    t = value.type.tensor_type
    if t.elem_type not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16):
        raise ModelImportError(f"{where}: the input {value.name!r} is not a float tensor")
    dims = t.shape.dim
    if len(dims) != 2:
        raise ModelImportError(f"{where}: the input {value.name!r} has {len(dims)} dimensions; the import "
                               "takes rows of features, [batch, features]")
    if not dims[1].HasField("dim_value") or dims[1].dim_value < 1:
        raise ModelImportError(f"{where}: the input {value.name!r} has no fixed number of features "
                               f"({dims[1].dim_param or 'unknown'}): the engine needs to know it")
    return value.name, int(dims[1].dim_value)


def _graph_output(model, where: str) -> str:
    if len(model.graph.output) != 1:
        raise ModelImportError(f"{where}: the model has {len(model.graph.output)} outputs; the import takes one")
    return model.graph.output[0].name


def _app_ids(layers: list[Layer]) -> tuple[str, list[str]] | None:
    """An app export's own node ids: its Gemms are named "node/from src", one per connection."""
    input_ids, ids = set(), []
    for layer in layers:
        names = [re.fullmatch(r"(.+)/from (.+)", n or "") for n in layer.nodes if "/from " in (n or "")]
        if len(names) != len(layer.terms) or not all(names) or len({m.group(1) for m in names}) != 1:
            return None
        ids.append(names[0].group(1))
        input_ids |= {m.group(2) for m, (src, _) in zip(names, layer.terms) if src == INPUT}
    if len(input_ids) != 1:
        return None
    input_id = input_ids.pop()
    every = [input_id] + ids
    for layer, dst in zip(layers, ids):
        names = [n for n in layer.nodes if "/from " in (n or "")]
        if any(n != f"{dst}/from {every[src + 1]}" for n, (src, _) in zip(names, layer.terms)):
            return None
    if len(set(every)) != len(every) or any(valid_new_id(i) is not None for i in every):
        return None
    return input_id, ids


def _ids(layers: list[Layer]) -> tuple[str, list[str]]:
    """Node ids: an app export's own, else x, h1..., y."""
    return _app_ids(layers) or ("x", [f"h{i + 1}" for i in range(len(layers) - 1)] + ["y"])


def _loss(model, last: Layer) -> str:
    named = {p.key: p.value for p in model.metadata_props}.get("loss")
    if named in LOSSES and REQUIRED_OUTPUT.get(named, last.activation) == last.activation:
        return named
    return {"softmax": "softmax_ce", "sigmoid": "bce"}.get(last.activation, "mse")


def _build(model, width: int, layers: list[Layer], where: str) -> tuple[Graph, dict]:
    total = sum(W.size for layer in layers for _, W in layer.terms) + sum(layer.size for layer in layers)
    if total > MAX_PARAMETERS:
        raise ModelImportError(f"{where}: {total:,} parameters, more than a design may have ({MAX_PARAMETERS:,})")
    input_id, ids = _ids(layers)
    every = [input_id] + ids
    try:
        graph = Graph(loss=_loss(model, layers[-1]))
        graph.add_node("input", width, "linear", id=input_id)
        params = {}
        for node_id, layer in zip(ids, layers):
            kind = "output" if layer is layers[-1] else "hidden"
            graph.add_node(kind, layer.size, layer.activation, id=node_id)
            for src, W in layer.terms:
                name = weight_name(every[src + 1], node_id)
                if name in params:      # two products of the same source: one connection, weights summed
                    params[name] = params[name] + W.astype(np.float32)
                    continue
                graph.connect(every[src + 1], node_id)
                params[name] = W.astype(np.float32)
            b = layer.b if layer.b is not None else np.zeros(layer.size)
            params[bias_name(node_id)] = b.astype(np.float32)
    except GraphError as e:
        raise ModelImportError(f"{where}: {e}") from None
    lay_out(graph)
    return graph, params


def _mapping(layers: list[Layer], graph: Graph) -> list[str]:
    """One line per layer: the ONNX nodes → the design's weights, bias and activation."""
    ids = list(graph.nodes)
    lines = []
    for node_id, layer in zip(ids[1:], layers):
        weights = ", ".join(f"{weight_name(ids[src + 1], node_id)} {shape_text(W.shape)}" for src, W in layer.terms)
        lines.append(f"{', '.join(n for n in layer.nodes if n) or '(unnamed)'} → {weights}, "
                     f"{bias_name(node_id)}, {layer.activation}")
    return lines


def _check_values(params: dict, where: str) -> None:
    bad = [k for k, v in params.items() if not np.isfinite(v).all()]
    if bad:
        raise ModelImportError(f"{where}: {bad[0]} holds NaN or infinite values (or values beyond float32)")


def _sample_rows(graph: Graph, model_width: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((CHECK_ROWS, model_width))
    p = graph.preprocessing
    if p is None:
        return x
    for i, name in enumerate(p.features):   # raw rows around the training data
        if name in p.inputs:
            j = p.inputs.index(name)
            x[:, i] = p.mean[j] + p.std[j] * x[:, i]
    return x


def verify(model, graph: Graph, params: dict, input_name: str, model_width: int, where: str) -> None:
    """Refuse the import unless the engine's forward pass gives the model's outputs."""
    from onnx.reference import ReferenceEvaluator
    x = _sample_rows(graph, model_width)
    try:
        expected = ReferenceEvaluator(model).run(None, {input_name: x.astype(np.float32)})[0]
    except Exception as e:      # the evaluator's own errors: an op or shape it cannot run
        raise ModelImportError(f"{where}: the model does not run ({e})") from None
    network = Network(graph, dtype="float64")
    network.load_parameters({k: v.astype(np.float64) for k, v in params.items()})
    p = graph.preprocessing
    got = network.forward(p.apply(x) if p else x)
    got = p.to_units(got) if p else got
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    if expected.shape != got.shape or not np.allclose(got, expected, rtol=TOLERANCE, atol=TOLERANCE * scale):
        diff = float(np.abs(got - expected).max()) if expected.shape == got.shape else None
        raise ModelImportError(f"{where}: the design read from it does not reproduce the model's outputs ("
                               + (f"largest difference {diff:.3g}" if diff is not None else
                                  f"shape {shape_text(got.shape)} against {shape_text(expected.shape)}")
                               + "); nothing was imported")


def import_onnx(path) -> ImportedModel:
    """The design and weights in the ONNX model at ``path``; ModelImportError naming what is refused."""
    path = Path(path)
    try:
        return _import(path, path.name)
    except GraphError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as e:   # a tensor of text, a damaged attribute...
        raise ModelImportError(f"{path.name}: cannot read it as a model ({e})") from None


def _import(path: Path, where: str) -> ImportedModel:
    model = _load(path)
    consts = _constants(model, where)
    input_name, model_width = _graph_input(model, consts, where)
    output = _graph_output(model, where)
    transform = read_transform(model, consts, where) if has_transform(model) else None
    if transform is not None:
        if len(transform.features) != model_width:
            raise ModelImportError(f"{where}: its metadata names {len(transform.features)} features, but the "
                                   f"input takes {model_width}")
        reader = Layers(consts, "standardised", len(transform.inputs), where)
        nodes = [n for n in model.graph.node if not is_transform_node(n)]
        end = "network output" if any(n.name.startswith("postprocess/") for n in model.graph.node) else output
    else:
        reader, nodes, end = Layers(consts, input_name, model_width, where), model.graph.node, output
    for node in nodes:
        reader.read(node)
    layers = reader.end(end)
    width = len(transform.inputs) if transform is not None else model_width
    graph, params = _build(model, width, layers, where)
    if transform is not None:
        check_transform_nodes(model, transform, layers[-1].size, where)
        graph.preprocessing = transform
    _check_values(params, where)
    verify(model, graph, params, input_name, model_width, where)
    mapping = _mapping(layers, graph)
    sizes = " → ".join(str(n.size) for n in graph.nodes.values())
    skips = len(graph.connections) - len(layers)
    summary = (f"{len(layers)} dense layer{'s' * (len(layers) != 1)} ({sizes})"
               + (f", {skips} skip connection{'s' * (skips != 1)}" if skips else "") + f", loss {graph.loss}"
               + (f", with the preprocessing of {transform.target or 'its target'}" if transform else ""))
    return ImportedModel(graph, params, mapping, summary)
