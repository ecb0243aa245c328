"""Where a number came from: the chain rule of a neuron or an edge, with the trace's numbers.

``explain_neuron`` and ``explain_edge`` write Qt rich text (an HTML subset:
sub/superscripts, Greek letters, one-row tables for fraction layout). Every value
shown is read from the trace (or is a weight of the network that made it); the
only arithmetic done here is the final product, shown as a check of the trace's
gradient. ``numeric_check`` compares a gradient with the slope of the loss.
Symbols follow the canvas: neuron k of node h1 is h1[k], written a<sub>h1,k</sub>.
This module does not import Qt.
"""
from __future__ import annotations

import html

import numpy as np

from engine import GraphError

from engine.nn import activations, losses
from engine.nn import gradcheck
from engine.model.param_names import bias_name, weight_name
from engine.nn.trace import trace_gradients

from gui.core.formatting import fmt
from gui.replay.example import ReplayExample, inputs_html, target_html
from gui.replay.notation import d, equation, neuron_name, num, sym
from gui.replay.notation import factor as _factor, section as _section

MAX_TERMS = 6  # list δ·w (or w·a) terms only when a node has at most this many neurons
BACKWARD_LATER = ("<p style='color: gray'><i>Backward: shown when the replay reaches the "
                  "backward pass.</i></p>")


# ----- reading the trace --------------------------------------------------------------
class _Steps:
    """A trace indexed by phase and node."""

    def __init__(self, steps):
        self.forward = {s.node: s for s in steps if s.phase == "forward"}
        self.backward = {s.node: s for s in steps if s.phase == "backward"}
        self.loss = next((s for s in steps if s.phase == "loss"), None)
        self.update = next((s for s in steps if s.phase == "update"), None)
        if not self.forward or self.loss is None:
            raise ValueError("the trace has no forward pass and loss to explain")
        first = next(iter(self.forward.values()))
        self.batch = first.values["a"].shape[0]


def _node(net, node_id: str):
    if node_id not in net.sizes:
        raise GraphError(f"there is no node {node_id!r} in the network")
    return net.graph.nodes[node_id]


def _check_index(net, node_id: str, index: int) -> int:
    size = net.sizes[node_id]
    if not 0 <= int(index) < size:
        raise GraphError(f"{_node(net, node_id).label} has {size} neurons: no neuron {index}")
    return int(index)


def _batch_note(batch: int) -> str:
    if batch == 1:
        return ""
    return (f'<p><i>A batch of {batch} examples: the numbers are those of example 1. The loss is '
            f'the mean over the batch, so ∂L/∂y carries a factor 1/{batch} and each gradient is '
            f'the sum of the per-example terms, i.e. the batch mean of the per-example gradients.'
            f'</i></p>')


# ----- neurons ------------------------------------------------------------------------------
def explain_neuron(steps, net, node: str, index: int, example: ReplayExample | None = None,
                   backward: bool = True) -> str:
    """The forward values and the chain rule for δ of neuron ``index`` of ``node``;
    ``example`` (the traced one) adds the raw inputs and the target's scale. With
    ``backward`` False (the replay has not reached the backward pass) δ is not shown yet."""
    tr = _Steps(steps)
    n = _node(net, node)
    i = _check_index(net, node, index)
    me = neuron_name(n.label, i, n.size)
    fwd = tr.forward[node].values
    parts = [f"<h3>Neuron {html.escape(n.label)}[{i}]</h3>", _batch_note(tr.batch)]
    if n.kind == "input":
        parts.append(equation(sym("a", me), "=", fmt(fwd["a"][0, i]), "(an input value)"))
        if example is not None:
            parts.append(inputs_html(example, mark=i))
        parts.append("<p>An input has no weights of its own: its value is the a<sub>in</sub> "
                     "of every edge it starts, so it enters their gradients "
                     "∂L/∂w = δ · a<sub>in</sub>.</p>")
        return "".join(parts)

    parts.append(_section("Forward"))
    contrib = tr.forward[node].contributions
    cells = [sym("z", me), "="]
    cells += [" + ".join(_weighted_input(net, s, me) for s in contrib) + " + " + sym("b", me), "="]
    cells.append(" + ".join(_input_terms(tr, net, s, node, i, c) for s, c in contrib.items())
                 + f" + {num(fwd['b'][i])}")
    cells += ["=", fmt(fwd["z"][0, i])]
    parts.append(equation(*cells))
    f_text = activations.FORMULA[n.activation][0]
    parts.append(equation(sym("a", me), "=", html.escape(f_text), "=", fmt(fwd["a"][0, i]),
                          f"&nbsp; ({n.activation})"))
    if n.kind == "output":
        parts.append(_loss_section(tr, net, i, me))
        if example is not None:
            parts.append(target_html(example, tr.loss.values["y"][0], index=i))
    if not backward:
        parts.append(BACKWARD_LATER)
        return "".join(parts)
    parts.append(_section("Backward"))
    back = tr.backward.get(node)
    if back is None:
        parts.append(f"<p>{html.escape(n.label)} does not lead to the output, so the loss does not "
                     f"depend on it: δ = 0 and its weights get no gradient.</p>")
        return "".join(parts)
    parts.append(_delta_html(tr, net, node, i, me))
    v = back.values
    parts.append(equation(d("L", sym("b", me)), "=", sym("δ", me),
                          "summed over the batch" if tr.batch > 1 else "", "=",
                          fmt(v["dL/db"][i])))
    if tr.update is not None:
        change = tr.update.values["changes"][bias_name(node)][i]
        parts.append(equation("Update: Δ" + sym("b", me), "=", "−η ·", d("L", sym("b", me)), "=",
                              f"−{fmt(tr.update.values['lr'])} · {num(v['dL/db'][i])}", "=",
                              fmt(change)))
    return "".join(parts)


def _label(net, node_id: str) -> str:
    return net.graph.nodes[node_id].label


def _weighted_input(net, src: str, me: str) -> str:
    """What ``src`` adds to z: w·a for a single neuron, Σ_j w_j·a_j for a group."""
    label = html.escape(_label(net, src))
    if net.sizes[src] == 1:
        return f"{sym('w', f'{label}→{me}')} {sym('a', label)}"
    return f"Σ<sub>j</sub> {sym('w', f'{label},j→{me}')} {sym('a', f'{label},j')}"


def _input_terms(tr: _Steps, net, src: str, node: str, i: int, contribution) -> str:
    """Every w·a that ``src`` adds to z_i ("0.1269 + 0.6224"), or its total for a big node."""
    W, mask = net.W[(src, node)], net.masks[(src, node)]
    a = tr.forward[src].values["a"][0]
    live = [j for j in range(W.shape[1]) if mask is None or mask[i, j]]
    if not live:
        return "0"
    if len(live) > MAX_TERMS:
        return f"{num(contribution[0, i])} <i>(Σ of {len(live)} terms)</i>"
    return " + ".join(num(W[i, j] * a[j]) for j in live)


def _loss_section(tr: _Steps, net, i: int, me: str) -> str:
    v = tr.loss.values
    rows = [_section("Loss"),
            equation("prediction", sym("y", me), "=", fmt(v["y"][0, i]), "&nbsp; target",
                     sym("t", me), "=", fmt(v["t"][0, i])),
            equation(html.escape(losses.FORMULA[net.loss]), "=", fmt(v["losses"][0]),
                     "for this example" if tr.batch > 1 else "")]
    if tr.batch > 1:
        rows.append(equation(f"mean over the {tr.batch} examples:", "L =", fmt(v["L"])))
    return "".join(rows)


def _delta_html(tr: _Steps, net, node: str, i: int, me: str) -> str:
    """δ of one neuron written out: fused, output, softmax Jacobian, or sum over paths."""
    n = net.graph.nodes[node]
    v = tr.backward[node].values
    B = tr.batch
    over_b = f"/{B}" if B > 1 else ""
    delta = v["delta"][0, i]
    if v["dL/da"] is None:  # fused loss: δ = (y − t)/B
        y, t = tr.loss.values["y"][0, i], tr.loss.values["t"][0, i]
        name = "sigmoid with bce" if net.loss == "bce" else "softmax with cross-entropy"
        return (f"<p>{name} are fused: the activation's derivative cancels the loss's.</p>"
                + equation(sym("δ", me), "=", d("L", sym("z", me)), "=",
                           f"({sym('y', me)} − {sym('t', me)}){over_b}", "=",
                           f"({fmt(y)} − {fmt(t)}){over_b}", "=", fmt(delta)))
    g = v["dL/da"][0, i]
    out = []
    if n.kind == "output":
        y, t = tr.loss.values["y"][0, i], tr.loss.values["t"][0, i]
        out.append(equation(d("L", sym("a", me)), "=", f"({sym('a', me)} − {sym('t', me)}){over_b}",
                            "=", f"({fmt(y)} − {fmt(t)}){over_b}", "=", fmt(g)))
    else:
        out.append(_paths_html(tr, net, node, i, me))
    if n.activation == "softmax":
        out.append(_softmax_html(tr, node, i, me))
        return "".join(out)
    local = v["da/dz"][0, i]
    f_prime = activations.FORMULA[n.activation][1]
    out.append(equation(sym("δ", me), "=", d("L", sym("z", me)), "=", d("L", sym("a", me)), "·",
                        d(sym("a", me), sym("z", me)), "=", d("L", sym("a", me)),
                        f"· {_factor(f_prime)}", "=", f"{num(g)} · {num(local)}", "=",
                        fmt(delta)))
    return "".join(out)


def _paths_html(tr: _Steps, net, node: str, i: int, me: str) -> str:
    """∂L/∂a of a hidden neuron: the sum over every node it feeds of Σ_k δ_k w_k."""
    back = tr.backward[node]
    rows, terms = [], []
    for dst, part in back.contributions.items():
        dn = net.graph.nodes[dst]
        ddelta = tr.backward[dst].values["delta"][0]
        w = net.W[(node, dst)][:, i]
        mask = net.masks[(node, dst)]
        live = [k for k in range(dn.size) if mask is None or mask[k, i]]
        if dn.size <= MAX_TERMS:
            sym_terms = " + ".join(
                f"{sym('δ', neuron_name(dn.label, k, dn.size))}·"
                f"{sym('w', f'{me}→{neuron_name(dn.label, k, dn.size)}')}" for k in live)
            num_terms = " + ".join(f"{num(ddelta[k])}·{num(w[k])}" for k in live)
            rows.append(f"<li>through {html.escape(dn.label)}: {sym_terms or '0'} = "
                        f"{num_terms or 'no edge'} = {fmt(part[0, i])}</li>")
        else:
            rows.append(f"<li>through {html.escape(dn.label)}: Σ<sub>k</sub> "
                        f"{sym('δ', f'{html.escape(dn.label)},k')}·"
                        f"{sym('w', f'{me}→{html.escape(dn.label)},k')} over {len(live)} "
                        f"neurons = {fmt(part[0, i])}</li>")
        terms.append(num(part[0, i]))
    g = back.values["dL/da"][0, i]
    total = equation(d("L", sym("a", me)), "=", "Σ over paths", "=", " + ".join(terms), "=", fmt(g))
    return ("<p>The loss depends on this neuron through every neuron it feeds; "
            "the chain rule adds the paths:</p>"
            f'<ul style="margin-top: 0">{"".join(rows)}</ul>' + total)


def _softmax_html(tr: _Steps, node: str, i: int, me: str) -> str:
    """δ through a softmax (not elementwise): the Jacobian-vector product."""
    v = tr.backward[node].values
    a = tr.forward[node].values["a"][0]
    g = v["dL/da"][0]
    shown = min(len(a), 10)
    rows = "".join(f"<tr><td>{k}</td><td>{fmt(a[k])}</td><td>{fmt(g[k])}</td></tr>"
                   for k in range(shown))
    more = f"<tr><td colspan='3'>… {len(a) - shown} more</td></tr>" if len(a) > shown else ""
    s = float(np.dot(g, a))
    check = a[i] * (g[i] - s)
    return ("<p>A softmax output mixes all its neurons: ∂a<sub>k</sub>/∂z<sub>i</sub> = "
            "a<sub>k</sub>([k = i] − a<sub>i</sub>), so</p>"
            + equation(sym("δ", me), "=", "Σ<sub>k</sub>", d("L", "a<sub>k</sub>"),
                       d("a<sub>k</sub>", sym("z", me)), "=", f"{sym('a', me)} (",
                       d("L", sym("a", me)), "− Σ<sub>k</sub>", d("L", "a<sub>k</sub>"),
                       "a<sub>k</sub>)")
            + f'<table cellspacing="0" cellpadding="2" border="1"><tr><th>k</th><th>a<sub>k</sub></th>'
            f"<th>∂L/∂a<sub>k</sub></th></tr>{rows}{more}</table>"
            + equation(sym("δ", me), "=", f"{num(a[i])} · ({num(g[i])} − {num(s)})",
                       f"= {fmt(check)} (trace: {fmt(v['delta'][0, i])})"))


# ----- edges --------------------------------------------------------------------------------
def edge_factors(steps, net, src: str, dst: str, i: int, j: int) -> dict:
    """The numbers of an edge's chain for example 1, read from the trace.

    Returns {"factors": [(name, value)], "product": their product (the check),
    "gradient": the trace's dL/dW[i, j], "batch", "masked", "reaches_output"}.
    """
    tr = _Steps(steps)
    if (src, dst) not in net.W:
        raise GraphError(f"there is no connection {src!r} -> {dst!r} in the network")
    i, j = _check_index(net, dst, i), _check_index(net, src, j)
    mask = net.masks[(src, dst)]
    out = {"batch": tr.batch, "masked": mask is not None and not mask[i, j], "factors": [],
           "reaches_output": dst in tr.backward, "product": 0.0, "gradient": 0.0}
    if out["masked"] or not out["reaches_output"]:
        return out
    v = tr.backward[dst].values
    a_in = v[f"a:{src}"][0, j]
    if v["dL/da"] is None:
        factors = [("dL/dz", v["delta"][0, i]), ("a_in", a_in)]
    elif v["da/dz"] is None:  # softmax under mse: δ from the Jacobian
        factors = [("delta", v["delta"][0, i]), ("a_in", a_in)]
    else:
        factors = [("dL/da", v["dL/da"][0, i]), ("da/dz", v["da/dz"][0, i]), ("a_in", a_in)]
    product = 1.0
    for _, value in factors:
        product = product * value
    out.update(factors=factors, product=float(product), gradient=float(v[f"dL/dW:{src}"][i, j]))
    return out


def explain_edge(steps, net, src: str, dst: str, i: int, j: int, backward: bool = True) -> str:
    """The chain rule of the weight from neuron j of ``src`` to neuron i of ``dst`` (its
    backward part only once ``backward`` is True)."""
    tr = _Steps(steps)
    info = edge_factors(steps, net, src, dst, i, j)
    sn, dn = _node(net, src), _node(net, dst)
    s_sub, d_sub = neuron_name(sn.label, j, sn.size), neuron_name(dn.label, i, dn.size)
    w_sym = sym("w", f"{s_sub}→{d_sub}")
    w = net.W[(src, dst)][i, j]
    parts = [f"<h3>Edge {html.escape(sn.label)}[{j}] → {html.escape(dn.label)}[{i}]</h3>",
             _batch_note(tr.batch)]
    if info["masked"]:
        parts.append("<p>This edge is removed (masked): its weight stays 0, it carries nothing "
                     "forward and its gradient is 0.</p>")
        return "".join(parts)
    a_in = tr.forward[src].values["a"][0, j]
    parts.append(_section("Forward"))
    parts.append(equation(w_sym, "=", fmt(w), "&nbsp; it adds", f"{w_sym} {sym('a', s_sub)}", "=",
                          f"{num(w)} · {num(a_in)}", "=", fmt(w * a_in), "to", sym("z", d_sub)))
    if not backward:
        parts.append(BACKWARD_LATER)
        return "".join(parts)
    parts.append(_section("Backward"))
    if not info["reaches_output"]:
        parts.append(f"<p>{html.escape(dn.label)} does not lead to the output: the gradient is 0.</p>")
        return "".join(parts)
    v = tr.backward[dst].values
    dz_dw = d(sym("z", d_sub), w_sym)
    over_b = f"/{tr.batch}" if tr.batch > 1 else ""
    if dn.kind == "output":  # (a − t) as the numbers it came from
        y_minus_t = f"({fmt(tr.loss.values['y'][0, i])} − {fmt(tr.loss.values['t'][0, i])}){over_b}"
    factors = " · ".join(num(value) for _, value in info["factors"])
    if v["dL/da"] is None:  # fused loss
        parts.append(equation(d("L", w_sym), "=", d("L", sym("z", d_sub)), "·", dz_dw, "=",
                              f"({sym('y', d_sub)} − {sym('t', d_sub)}){over_b} · {sym('a', s_sub)}",
                              "=", f"{y_minus_t} · {num(a_in)}"))
    elif v["da/dz"] is None:  # softmax under mse
        parts.append(_delta_html(tr, net, dst, i, d_sub))
        parts.append(equation(d("L", w_sym), "=", d("L", sym("z", d_sub)), "·", dz_dw, "=",
                              f"{sym('δ', d_sub)} · {sym('a', s_sub)}"))
    else:
        if dn.kind == "output":
            first = f"({sym('a', d_sub)} − {sym('t', d_sub)}){over_b}"
            parts.append(equation(d("L", sym("a", d_sub)), "=", first, "=", y_minus_t, "=",
                                  fmt(v["dL/da"][0, i])))
            factors = f"{y_minus_t} · " + " · ".join(num(x) for _, x in info["factors"][1:])
        else:
            first = "Σ paths"
            parts.append(_paths_html(tr, net, dst, i, d_sub))
        parts.append(equation(d("L", w_sym), "=", d("L", sym("a", d_sub)), "·",
                              d(sym("a", d_sub), sym("z", d_sub)), "·", dz_dw, "=",
                              f"{first} · {_factor(activations.FORMULA[dn.activation][1])} · "
                              f"{sym('a', s_sub)}"))
    parts.append(equation("", "=", factors, "=", f"<b>{fmt(info['product'])}</b>"))
    parts.append(_edge_totals(tr, info, w_sym, weight_name(src, dst), (i, j)))
    return "".join(parts)


def _edge_totals(tr: _Steps, info: dict, w_sym: str, name: str, index: tuple) -> str:
    """The batch's sum (for a batch) and the update of an edge's weight (when traced)."""
    rows = []
    if tr.batch > 1:
        rows.append(equation(d("L", w_sym), "=", "Σ over the batch of the terms above", "=",
                             f"<b>{fmt(info['gradient'])}</b>"))
    if tr.update is not None:
        change = tr.update.values["changes"][name][index]
        rows.append(equation("Update: Δ" + w_sym, "=", "−η ·", d("L", w_sym), "=",
                             f"−{fmt(tr.update.values['lr'])} · {num(info['gradient'])}", "=",
                             fmt(change)))
    return "".join(rows)


# ----- the numerical check -------------------------------------------------------------------
def numeric_check(net, X, T, param_name: str, index, h: float = 1e-4):
    """(slope, chain-rule value, relative difference) for one parameter.

    slope = (L(w + h) − L(w − h)) / 2h from two forward passes (engine.nn.gradcheck); the
    chain-rule value is the trace's gradient. The parameter is restored exactly afterwards.
    """
    index = gradcheck.check_entry(net, param_name, index)
    slope = gradcheck.slope(net, X, T, param_name, index, h, points=2)
    chain = float(trace_gradients(net.trace(X, T))[param_name][index])
    scale = max(abs(slope), abs(chain))
    rel = 0.0 if scale == 0 else abs(slope - chain) / scale
    return slope, chain, rel
