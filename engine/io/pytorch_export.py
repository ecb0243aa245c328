"""Generate a readable PyTorch module (.py) for a design, its weights in a .safetensors beside it.

The module has an ``nn.Parameter`` per weight matrix (dst × src, nn.Linear's (out,
in)) and per bias, named after the app's parameters (W:h1->h2 is ``W_h1_h2``); a 0/1
mask buffer multiplied into the weights of each connection with removed edges;
``logits(x)`` walking the nodes in topological order (z = Σ a_src Wᵀ + b, so skip
connections are sums; then the activation) up to the output's z; ``forward(x)``, the
output's activation, as the app shows it; ``loss_fn(logits, target)``, the design's
loss; ``load_weights()``; and an ``if __name__ == "__main__":`` example. The weights
file is the app's own format (the app imports it back). Nothing here imports torch.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from engine.nn.param_names import bias_name, weight_name
from engine.io.atomic import atomic_write
from engine.io.onnx_export import ExportError, expected_shapes
from engine.io.pytorch_names import Names, class_name_for, comment, safe_text, usable_class_name
from engine.io.weights import WeightsError, check_weights, save_weights

MAX_LISTED_REMOVED = 100  # masks with more removed edges are written as rows of 0/1 characters

ACTIVATION_CODE = {
    "linear": "{z}",
    "sigmoid": "torch.sigmoid({z})",
    "tanh": "torch.tanh({z})",
    "relu": "torch.relu({z})",
    "leaky_relu": "F.leaky_relu({z}, 0.01)",
    "elu": "F.elu({z}, alpha=1.0)",
    "softplus": "F.softplus({z})",
    "swish": "{z} * torch.sigmoid({z})",
    "softmax": "torch.softmax({z}, dim=1)",
}
ACTIVATION_TEXT = {"leaky_relu": "leaky relu, slope 0.01", "elu": "elu, alpha 1",
                   "swish": "swish, z·sigmoid(z)"}
OPTIMIZER_CODE = {
    "sgd": "torch.optim.SGD(model.parameters(), lr={lr!r})",
    "momentum": "torch.optim.SGD(model.parameters(), lr={lr!r}, momentum=0.9)",
    "nesterov": "torch.optim.SGD(model.parameters(), lr={lr!r}, momentum=0.9, nesterov=True)",
    "adam": "torch.optim.Adam(model.parameters(), lr={lr!r}, betas=(0.9, 0.999), eps=1e-8)",
}


# ----- names ------------------------------------------------------------------------


# ----- checks ------------------------------------------------------------------------
def _feeding_output(graph) -> set[str]:
    live, out = set(), graph.output_node().id
    stack = [out]
    while stack:
        n = stack.pop()
        if n not in live:
            live.add(n)
            stack.extend(c.src for c in graph.incoming(n))
    return live


def _check(graph, params, path: Path) -> None:
    if path.suffix.lower() != ".py":
        raise ExportError(f"{path.name}: a PyTorch export is a .py file")
    if path.stem in ("torch", "safetensors", "typing"):
        raise ExportError(f"{path.name}: a module of that name would hide the {path.stem} package "
                          "it imports: choose another name")
    graph.check_complete()
    graph.check_loss()
    if not isinstance(params, dict):
        raise WeightsError("the parameters must be a dict of name -> array")
    check_weights(expected_shapes(graph), params)
    bad = [k for k, v in params.items() if not np.isfinite(np.asarray(v, dtype=np.float64)).all()]
    if bad:
        raise WeightsError(f"{', '.join(bad)} hold NaN or infinite values: train again or load "
                           "good weights before exporting")
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the folder {path.parent} does not exist")


# ----- code pieces (each a block of the generated file) ---------------------------------
def _mask_code(mask: np.ndarray, indent: str) -> tuple[str, str]:
    """(helper used, expression) building the mask as a float tensor."""
    removed = np.argwhere(mask == 0)
    if len(removed) <= MAX_LISTED_REMOVED:
        pairs = ", ".join(f"({i}, {j})" for i, j in removed)
        return "mask_without", f"mask_without({tuple(mask.shape)}, [{pairs}])"
    rows = "".join(f"\n{indent}    {''.join('1' if v else '0' for v in row)!r}," for row in mask)
    return "mask_from_rows", f"mask_from_rows([{rows}\n{indent}])"


HELPERS = {
    "mask_without": '''def mask_without(shape, removed):
    """A 0/1 mask of ``shape`` that is 0 at each removed edge (destination i, source j)."""
    mask = torch.ones(shape)
    for i, j in removed:
        mask[i, j] = 0.0
    return mask''',
    "mask_from_rows": '''def mask_from_rows(rows):
    """A 0/1 mask: one string per destination neuron; character j is the edge from source j."""
    return torch.tensor([[float(c) for c in row] for row in rows])''',
    "glorot_": '''def glorot_(w, fan_in, fan_out):
    """Glorot uniform, as the app initialises linear, sigmoid, tanh, softplus, swish, softmax."""
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    nn.init.uniform_(w, -limit, limit)''',
    "he_": '''def he_(w, fan_in):
    """He normal, as the app initialises relu, leaky relu and elu nodes."""
    nn.init.normal_(w, 0.0, (2.0 / fan_in) ** 0.5)''',
}


def _loss_code(graph) -> str:
    out = graph.output_node()
    n = out.size
    outputs = f"the {n} outputs" if n > 1 else "the output"
    if graph.loss == "bce":
        doc = (f"binary cross-entropy of the sigmoid output,\n    summed over {outputs} and "
               "averaged over the batch, computed stably from the logits")
        body = ('return F.binary_cross_entropy_with_logits(logits, target, reduction="none")'
                ".sum(dim=1).mean()")
    elif graph.loss == "softmax_ce":
        doc = ("cross-entropy of softmax(logits) against\n    the target probabilities "
               "(one-hot rows), averaged over the batch")
        body = "return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()"
    else:
        act = ACTIVATION_CODE[out.activation].format(z="logits")
        doc = (f"½ Σ (y − t)² over {outputs},\n    averaged over the batch, "
               f"where y = {act} is the output")
        body = f"y = {act}\n    return 0.5 * ((y - target) ** 2).sum(dim=1).mean()"
    return (f'def loss_fn(logits, target):\n    """The design\'s loss, {graph.loss}: {doc}.\n\n'
            "    Takes ``model.logits(x)``, not ``model(x)``; ``target`` has the output's shape.\n"
            f'    """\n    {body}')


def _describe(graph) -> str:
    parts = []
    for n in graph.topological_order():
        nd = graph.node(n)
        inc = graph.incoming(n)
        act = "" if nd.kind == "input" else f", {nd.activation}"
        src = "" if not inc else " ← " + " + ".join(c.src for c in inc)
        parts.append(f"{n} ({nd.size}{act}){src}")
    text = safe_text("The design: " + "; ".join(parts) + ".")
    if len(parts) > 24:
        text = f"The design: {len(parts)} nodes, listed in __init__."
    return textwrap.fill(text, 92, break_long_words=False, break_on_hyphens=False)


def _init_body(graph, names: Names, live: set[str]) -> list[str]:
    lines = []
    for n in graph.topological_order():
        nd = graph.node(n)
        if nd.kind == "input":
            continue
        inc = graph.incoming(n)
        sources = " and ".join(c.src for c in inc)
        skip = " (summed)" if len(inc) > 1 else ""
        lines.append(comment(f"{n}: {nd.kind}, {nd.size} neuron{'s' if nd.size != 1 else ''}, "
                              f"{ACTIVATION_TEXT.get(nd.activation, nd.activation)}; fed by {sources}{skip}"))
        if n not in live:
            lines.append("        # (it does not feed the output: logits() skips it, its weights are kept)")
        for c in inc:
            src_size = graph.node(c.src).size
            lines.append(f"        self.{names.weight[c.pair]} = nn.Parameter(torch.empty({nd.size}, "
                         f"{src_size}))  # {safe_text(weight_name(c.src, c.dst))}")
            if c.mask is not None:
                _, expr = _mask_code(c.mask, "        ")
                lines.append(f"        # {c.masked_count()} of {c.mask.size} edges removed: "
                             "the mask keeps them at zero")
                lines.append(f'        self.register_buffer("{names.mask[c.pair]}", {expr})')
        lines.append(f"        self.{names.bias[n]} = nn.Parameter(torch.zeros({nd.size}))  # b:{safe_text(n)}")
    return lines


def _reset_body(graph, names: Names) -> tuple[list[str], set[str]]:
    from engine.nn.activations import RELU_FAMILY
    lines, used = ["        with torch.no_grad():"], set()
    for n in graph.topological_order():
        nd = graph.node(n)
        if nd.kind == "input":
            continue
        inc = graph.incoming(n)
        fan_in = sum(graph.node(c.src).size for c in inc)
        for c in inc:
            w = f"self.{names.weight[c.pair]}"
            if nd.activation in RELU_FAMILY:
                lines.append(f"            he_({w}, fan_in={fan_in})")
                used.add("he_")
            else:
                lines.append(f"            glorot_({w}, fan_in={fan_in}, fan_out={nd.size})")
                used.add("glorot_")
            if c.pair in names.mask:
                lines.append(f"            {w}.mul_(self.{names.mask[c.pair]})")
        lines.append(f"            self.{names.bias[n]}.zero_()")
    return lines, used


def _sum_expression(graph, names: Names, node_id: str, indent: str) -> str:
    """Σ a_src Wᵀ + b; one term per line (inside parentheses) when there are several."""
    parts = []
    for k, c in enumerate(graph.incoming(node_id)):
        w = f"self.{names.weight[c.pair]}"
        if c.pair in names.mask:
            w = f"{w} * self.{names.mask[c.pair]}"
        bias = f", self.{names.bias[node_id]}" if k == 0 else ""
        parts.append(f"F.linear({names.node[c.src]}, {w}{bias})")
    if len(parts) == 1:
        return parts[0]
    return "(" + f"\n{indent} + ".join(parts) + ")"


def _logits_body(graph, names: Names, live: set[str]) -> list[str]:
    out = graph.output_node().id
    lines = []
    for n in graph.topological_order():
        nd = graph.node(n)
        if nd.kind == "input" or n not in live:
            continue
        inc = graph.incoming(n)
        act = ACTIVATION_CODE[nd.activation]
        zname = names.z[n]
        if len(inc) > 1:
            lines.append(comment(f"{n} sums what arrives from {', '.join(c.src for c in inc)}"))
        if n == out:
            lines.append(f"        return {_sum_expression(graph, names, n, ' ' * 15)}")
            continue
        one_line = f"        {names.node[n]} = {act.format(z=_sum_expression(graph, names, n, ''))}"
        if len(inc) > 1 or act.count("{z}") > 1 or len(one_line) > 100:
            # name z: a sum over several lines, a long line, or swish, which uses z twice
            lines.append(f"        {zname} = {_sum_expression(graph, names, n, ' ' * (11 + len(zname)))}")
            lines.append(f"        {names.node[n]} = {act.format(z=zname)}")
        else:
            lines.append(one_line)
    return lines


def _penalty_code(graph, names: Names, l1: float, l2: float) -> str:
    ws = "".join(f"\n            self.{names.weight[c.pair]}"
                 + (f" * self.{names.mask[c.pair]}," if c.pair in names.mask else ",")
                 for c in graph.connections.values())
    terms = " + ".join((["0.5 * L2 * (w ** 2).sum()"] if l2 else []) + (["L1 * w.abs().sum()"] if l1 else []))
    return ('    def penalty(self):\n        """The design\'s L1 and L2 penalties on the weights '
            '(not the biases): add it to the loss."""\n'
            f"        weights = ({ws}\n        )\n        return sum({terms} for w in weights)\n\n")


def _example(graph, cls: str, has_penalty: bool) -> str:
    s = graph.settings if isinstance(graph.settings, dict) else {}
    n_in, n_out = graph.input_node().size, graph.output_node().size
    lr = s.get("lr", 0.01)
    lr = float(lr) if isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0 else 0.01
    opt = s.get("optimizer") if s.get("optimizer") in OPTIMIZER_CODE else "adam"
    if graph.loss == "softmax_ce":
        target = f"F.one_hot(torch.randint(0, {n_out}, (8,)), {n_out}).float()  # one class each"
    elif graph.loss == "bce":
        target = f"torch.randint(0, 2, (8, {n_out})).float()  # 0/1 labels"
    else:
        target = f"torch.randn(8, {n_out})"
    penalty = " + model.penalty()" if has_penalty else ""
    return f'''if __name__ == "__main__":
    torch.manual_seed(0)
    model = {cls}()
    if WEIGHTS.exists():
        model.load_weights()  # the weights trained in Backprop Studio
    x_example = torch.randn(8, {n_in})  # 8 examples of the {n_in} input(s)
    with torch.no_grad():
        print("outputs of the first 3 examples:")
        print(model(x_example)[:3])
    # One training step on made-up targets with the design's optimiser ({opt}) and learning rate
    t = {target}
    optimizer = {OPTIMIZER_CODE[opt].format(lr=lr)}
    loss = loss_fn(model.logits(x_example), t){penalty}
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"loss before the step: {{loss.item():.6f}}")
'''


def _number(value) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    return float(value) if ok and value > 0 else 0.0


def pytorch_source(graph, cls: str, weights_name: str) -> str:
    """The text of the generated module (the design must be complete)."""
    names = Names(graph)
    live = _feeding_output(graph)
    inp, out = graph.input_node(), graph.output_node()
    x = names.node[inp.id]
    settings = graph.settings if isinstance(graph.settings, dict) else {}
    title = safe_text(settings["title"]) if isinstance(settings.get("title"), str) else ""
    l1, l2 = _number(settings.get("l1", 0)), _number(settings.get("l2", 0))
    shapes = expected_shapes(graph)
    attribute = {weight_name(*c.pair): names.weight[c.pair] for c in graph.connections.values()}
    attribute.update({bias_name(n): b for n, b in names.bias.items()})
    param_map = "".join(f"\n        {k!r}: {attribute[k]!r}," for k in shapes)
    reset, inits = _reset_body(graph, names)
    helpers = sorted({_mask_code(c.mask, "")[0] for c in graph.connections.values()
                      if c.mask is not None}) + sorted(inits)
    penalty = _penalty_code(graph, names, l1, l2) if (l1 or l2) else ""
    constants = f"\nL1 = {l1!r}  # the design's weight penalties\nL2 = {l2!r}" if penalty else ""
    head = f'''"""{title or cls}: a Backprop Studio design as a PyTorch module.

Generated by Backprop Studio: {len(graph.nodes)} nodes, {len(graph.connections)} connections, \
{sum(int(np.prod(v)) for v in shapes.values())} parameters, loss {graph.loss}.
The trained weights are read from {safe_text(weights_name)}, written beside this file.

    model = {cls}().load_weights()  # the weights trained in Backprop Studio
    y = model(x)  # x: (batch, {inp.size}) float32 -> y: (batch, {out.size}), the output's {out.activation}
    loss = loss_fn(model.logits(x), t)  # the design's loss ({graph.loss})

Each node is one line of ``logits``: z = Σ a_src Wᵀ + b over its incoming connections
(several incoming connections, as in a skip connection, are summed), then its activation.
W has the shape (destination size, source size), nn.Linear's (out, in). A connection with
removed edges multiplies W by a 0/1 mask buffer in every pass, so those edges stay exactly
zero however the model is trained. ``forward`` returns the output node's activation, what
Backprop Studio shows; ``logits`` returns its pre-activation z.

{_describe(graph)}
"""
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

WEIGHTS = Path(__file__).with_name({weights_name!r}){constants}'''
    init = "\n".join(_init_body(graph, names, live))
    out_text = ACTIVATION_TEXT.get(out.activation, out.activation)
    forward_doc = ("the logits themselves (a linear output)" if out.activation == "linear" else
                   f"{out_text} of the logits")
    logits = "\n".join(_logits_body(graph, names, live))
    cls_block = f'''class {cls}(nn.Module):
    """The design: (batch, {inp.size}) inputs to (batch, {out.size}) outputs ({out_text})."""

    # Backprop Studio's parameter names (as in its weight files) -> attributes of this module
    PARAMETERS = {{{param_map}
    }}

    def __init__(self):
        super().__init__()
{init}
        self.reset_parameters()

    def reset_parameters(self):
        """Fresh weights as the app makes them before training: He or Glorot, zero biases."""
''' + "\n".join(reset) + f'''

    def load_weights(self, path=WEIGHTS):
        """Copy the weights in from a .safetensors file written by Backprop Studio; returns self."""
        tensors = load_file(str(path))
        missing = [name for name in self.PARAMETERS if name not in tensors]
        if missing:
            raise ValueError(f"{{path}}: no weights for {{', '.join(missing)}}")
        with torch.no_grad():
            for name, attribute in self.PARAMETERS.items():
                parameter = getattr(self, attribute)
                if tuple(tensors[name].shape) != tuple(parameter.shape):
                    raise ValueError(f"{{path}}: {{name}} has shape {{tuple(tensors[name].shape)}}, "
                                     f"the design needs {{tuple(parameter.shape)}}")
                parameter.copy_(tensors[name])
        return self

{penalty}    def logits(self, {x}):
        """The output node's pre-activation z for inputs of shape (batch, {inp.size})."""
{logits}

    def forward(self, {x}):
        """The design's output, (batch, {out.size}): {forward_doc}."""
        return {ACTIVATION_CODE[out.activation].format(z=f"self.logits({x})")}'''
    blocks = [head] + [HELPERS[h] for h in helpers] + [_loss_code(graph), cls_block,
                                                       _example(graph, cls, bool(penalty))]
    return "\n\n\n".join(blocks)


def export_pytorch(graph, params: dict[str, np.ndarray], path_py, *, class_name: str | None = None) -> Path:
    """Write ``path_py`` (a torch.nn.Module for ``graph``) and its weights beside it.

    The weights go to the same name with ``.safetensors`` (the app's weight format,
    with the design embedded, so the app can import them back). Returns the weights'
    path. Raises ExportError or WeightsError (both ValueError) with the reason.
    """
    path = Path(path_py)
    _check(graph, params, path)
    cls = class_name or class_name_for(path)
    if not usable_class_name(cls):
        raise ExportError(f"{cls!r} cannot name the class: it is a keyword, a builtin or a name the module uses")
    weights_path = path.with_suffix(".safetensors")
    source = pytorch_source(graph, cls, weights_path.name)
    compile(source, str(path), "exec")  # a generator bug must not reach the user's disk
    save_weights({k: np.asarray(params[k]) for k in expected_shapes(graph)}, weights_path,
                 design=graph.to_dict())
    try:
        with atomic_write(path, "w") as f:
            f.write(source)
    except OSError as e:
        raise ExportError(f"{path}: cannot write it ({e.strerror or e})") from None
    return weights_path
