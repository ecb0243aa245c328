"""The code of a generated PyTorch module, piece by piece: each function returns a block of its text.

engine.io.pytorch_export puts the blocks together and writes the file.
"""
from __future__ import annotations

import textwrap

import numpy as np

from engine.io.exported_transform import output_text, output_width
from engine.io.pytorch_names import Names, comment, safe_text
from engine.io.pytorch_transform import (buffers_code, class_doc, constants_code, example_input,
                                         load_buffers_code, methods_code)
from engine.model.reach import nodes_reaching_output
from engine.nn.activations import ELU_ALPHA, LEAKY_SLOPE, RELU_FAMILY
from engine.model.param_names import weight_name
from engine.train.config import settings_lr

MAX_LISTED_REMOVED = 100  # masks with more removed edges are written as rows of 0/1 characters

ACTIVATION_CODE = {
    "linear": "{z}",
    "sigmoid": "torch.sigmoid({z})",
    "tanh": "torch.tanh({z})",
    "relu": "torch.relu({z})",
    "leaky_relu": f"F.leaky_relu({{z}}, {LEAKY_SLOPE!r})",
    "elu": f"F.elu({{z}}, alpha={ELU_ALPHA!r})",
    "softplus": "F.softplus({z})",
    "swish": "{z} * torch.sigmoid({z})",
    "softmax": "torch.softmax({z}, dim=1)",
}
ACTIVATION_TEXT = {"leaky_relu": f"leaky relu, slope {LEAKY_SLOPE:g}", "elu": f"elu, alpha {ELU_ALPHA:g}",
                   "swish": "swish, z·sigmoid(z)"}
OPTIMIZER_CODE = {
    "sgd": "torch.optim.SGD(model.parameters(), lr={lr!r})",
    "momentum": "torch.optim.SGD(model.parameters(), lr={lr!r}, momentum=0.9)",
    "nesterov": "torch.optim.SGD(model.parameters(), lr={lr!r}, momentum=0.9, nesterov=True)",
    "adam": "torch.optim.Adam(model.parameters(), lr={lr!r}, betas=(0.9, 0.999), eps=1e-8)",
}


def mask_code(mask: np.ndarray, indent: str) -> tuple[str, str]:
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


def loss_code(graph) -> str:
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


def describe(graph) -> str:
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


def init_body(graph, names: Names, live: set[str]) -> list[str]:
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
                _, expr = mask_code(c.mask, "        ")
                lines.append(f"        # {c.masked_count()} of {c.mask.size} edges removed: "
                             "the mask keeps them at zero")
                lines.append(f'        self.register_buffer("{names.mask[c.pair]}", {expr})')
        lines.append(f"        self.{names.bias[n]} = nn.Parameter(torch.zeros({nd.size}))  # b:{safe_text(n)}")
    return lines


def reset_body(graph, names: Names) -> tuple[list[str], set[str]]:
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


def logits_body(graph, names: Names, live: set[str]) -> list[str]:
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


def penalty_code(graph, names: Names, l1: float, l2: float) -> str:
    ws = "".join(f"\n            self.{names.weight[c.pair]}"
                 + (f" * self.{names.mask[c.pair]}," if c.pair in names.mask else ",")
                 for c in graph.connections.values())
    terms = " + ".join((["0.5 * L2 * (w ** 2).sum()"] if l2 else []) + (["L1 * w.abs().sum()"] if l1 else []))
    return ('    def penalty(self):\n        """The design\'s L1 and L2 penalties on the weights '
            '(not the biases): add it to the loss."""\n'
            f"        weights = ({ws}\n        )\n        return sum({terms} for w in weights)\n\n")


def example_code(graph, cls: str, has_penalty: bool, p=None) -> str:
    s = graph.settings if isinstance(graph.settings, dict) else {}
    n_in, n_out = graph.input_node().size, graph.output_node().size
    lr = settings_lr(s)
    opt = s.get("optimizer") if s.get("optimizer") in OPTIMIZER_CODE else "adam"
    if graph.loss == "softmax_ce":
        target = f"F.one_hot(torch.randint(0, {n_out}, (8,)), {n_out}).float()  # one class each"
    elif graph.loss == "bce":
        target = f"torch.randint(0, 2, (8, {n_out})).float()  # 0/1 labels"
    else:
        target = f"torch.randn(8, {n_out})"
    x_example = f"torch.randn(8, {n_in})  # 8 examples of the {n_in} input(s)"
    if p is not None:
        x_example = f"{example_input(p)}  # 8 made-up raw rows"
        if p.task == "regression":
            target = ("model.scaled_target(model.target_mean + model.target_std * torch.randn(8, 1))"
                      "  # made up")
    penalty = " + model.penalty()" if has_penalty else ""
    return f'''if __name__ == "__main__":
    torch.manual_seed(0)
    model = {cls}()
    if WEIGHTS.exists():
        model.load_weights()  # the weights trained in Backprop Studio
    x_example = {x_example}
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


def head_code(graph, cls: str, title: str, weights_name: str, shapes: dict, constants: str, p=None) -> str:
    """The module's docstring (what the design is, how to use it), imports and WEIGHTS path."""
    inp, out = graph.input_node(), graph.output_node()
    use = f"x: (batch, {inp.size}) float32 -> y: (batch, {out.size}), the output's {out.activation}"
    transform = ""
    if p is not None:
        what = f"{safe_text(p.target)} in its units" if p.task == "regression" else "class probabilities"
        use = f"x: raw rows (batch, {len(p.features)}) -> y: (batch, {output_width(p)}), {what}"
        transform = textwrap.fill(
            "The model takes raw rows, the columns of its FEATURES in the data's units, and returns "
            f"{safe_text(output_text(p))}. ``standardise`` applies the transform fitted in training "
            "(registered buffers), ``to_units`` turns the network's output into that; ``logits`` is on "
            "the network's scale, as ``loss_fn`` wants.", 92, break_long_words=False,
            break_on_hyphens=False) + "\n\n"
    return f'''"""{title or cls}: a Backprop Studio design as a PyTorch module.

Generated by Backprop Studio: {len(graph.nodes)} nodes, {len(graph.connections)} connections, \
{sum(int(np.prod(v)) for v in shapes.values())} parameters, loss {graph.loss}.
The trained weights are read from {safe_text(weights_name)}, written beside this file.

    model = {cls}().load_weights()  # the weights trained in Backprop Studio
    y = model(x)  # {use}
    loss = loss_fn(model.logits(x), t)  # the design's loss ({graph.loss})

Each node is one line of ``logits``: z = Σ a_src Wᵀ + b over its incoming connections
(several incoming connections, as in a skip connection, are summed), then its activation.
W has the shape (destination size, source size), nn.Linear's (out, in). A connection with
removed edges multiplies W by a 0/1 mask buffer in every pass, so those edges stay exactly
zero however the model is trained. ``forward`` returns the output node's activation, what
Backprop Studio shows; ``logits`` returns its pre-activation z.

{transform}{describe(graph)}
"""
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

WEIGHTS = Path(__file__).with_name({weights_name!r}){constants}'''


def _doc_lines(text: str) -> str:
    """A method's docstring text, wrapped to lines of at most 100 characters."""
    return textwrap.fill(text, 89, subsequent_indent="        ", break_long_words=False, break_on_hyphens=False)


def _class_parts(graph, names: Names, p) -> dict:
    """The pieces of the class's text that depend on the design and its fitted transform ``p``."""
    live = nodes_reaching_output(graph)
    inp, out = graph.input_node(), graph.output_node()
    x = names.node[inp.id]
    out_text = ACTIVATION_TEXT.get(out.activation, out.activation)
    parts = {"x": x, "init": "\n".join((buffers_code(p) if p is not None else []) + init_body(graph, names, live)),
             "logits": "\n".join(logits_body(graph, names, live)),
             "doc": f"The design: (batch, {inp.size}) inputs to (batch, {out.size}) outputs ({out_text}).",
             "extra": "", "transform": "", "load_buffers": "",
             "forward": ACTIVATION_CODE[out.activation].format(z=f"self.logits({x})"),
             "forward_doc": ("the logits themselves (a linear output)" if out.activation == "linear" else
                             f"{out_text} of the logits"),
             "logits_input": f"inputs of shape (batch, {inp.size})", "width": out.size}
    if p is not None:
        parts.update(
            logits_input=f"raw rows (batch, {len(p.features)}), standardised first", width=output_width(p),
            doc=class_doc(p, out.size) + "\n    ", extra=constants_code(p), transform=methods_code(p, out.size),
            load_buffers=load_buffers_code(), logits=f"        {x} = self.standardise({x})\n" + parts["logits"],
            forward_doc=f"{safe_text(output_text(p))}, from raw rows", forward=f"self.to_units({parts['forward']})")
    return parts


def class_code(graph, cls: str, names: Names, param_map: str, reset: list[str], penalty: str, p=None) -> str:
    """The nn.Module: parameters and masks, reset_parameters, load_weights, logits and forward;
    with the fitted transform ``p``, its buffers and methods, so that it takes raw rows."""
    parts = _class_parts(graph, names, p)
    x, init, logits, doc, extra = parts["x"], parts["init"], parts["logits"], parts["doc"], parts["extra"]
    transform, load_buffers, forward = parts["transform"], parts["load_buffers"], parts["forward"]
    forward_doc, logits_input, width = parts["forward_doc"], parts["logits_input"], parts["width"]
    return f'''class {cls}(nn.Module):
    """{doc}"""
{extra}
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
{load_buffers}        return self

{penalty}{transform}    def logits(self, {x}):
        """The output node's pre-activation z for {logits_input}."""
{logits}

    def forward(self, {x}):
        """{_doc_lines(f"The design's output, (batch, {width}): {forward_doc}.")}"""
        return {forward}'''
