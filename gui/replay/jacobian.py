"""The Jacobian view: a node's local Jacobians as small matrices, and the products giving δ.

``jacobian_html(steps, net, node)`` writes ∂a/∂z (diagonal for an element-wise
activation, full for softmax), ∂z/∂a_in = W for each incoming connection, and the
vector-Jacobian products δ = (∂a/∂z)ᵀ·∂L/∂a and ∂L/∂a_in = Wᵀ·δ, with the numbers of
the trace's first example (computed by engine.nn.jacobian). Qt rich text; no Qt import.
"""
from __future__ import annotations

import html

import numpy as np

from engine.nn.jacobian import node_jacobians
from gui.core.formatting import fmt
from gui.replay.notation import d, equation

MAX_SIDE = 6   # rows or columns of a matrix shown before "…"

SOFTMAX_WHY = (
    "<p>Softmax is not element-wise: every a<sub>k</sub> depends on every z<sub>i</sub>, so "
    "∂a/∂z = diag(a) − a aᵀ is full. With cross-entropy ∂L/∂a<sub>k</sub> = −t<sub>k</sub>/a"
    "<sub>k</sub>, and the off-diagonal terms −a<sub>k</sub>a<sub>i</sub> are what turn it into "
    "the fused gradient: (∂a/∂z)ᵀ·∂L/∂a = a·Σ<sub>k</sub>t<sub>k</sub> − t = p − t.</p>")


def matrix_html(m) -> str:
    """A small bordered matrix of numbers (a vector is one column); big ones are cut with …."""
    m = np.asarray(m, dtype=np.float64)
    if m.ndim == 1:
        m = m[:, None]
    rows, cols = min(m.shape[0], MAX_SIDE), min(m.shape[1], MAX_SIDE)
    body = ""
    for r in range(rows):
        cells = "".join(f'<td align="right" nowrap>{fmt(m[r, c])}</td>' for c in range(cols))
        if cols < m.shape[1]:
            cells += "<td>…</td>"
        body += f"<tr>{cells}</tr>"
    if rows < m.shape[0]:
        body += f'<tr><td colspan="{cols + 1}">… {m.shape[0] - rows} more rows</td></tr>'
    return ('<table border="1" cellspacing="0" cellpadding="3" '
            f'style="border-color: #aaa; border-style: solid">{body}</table>')


def jacobian_html(steps, net, node: str, backward: bool = True) -> str:
    """The local Jacobians of ``node`` and (with ``backward``) the products that give δ."""
    label = html.escape(net.graph.nodes[node].label)
    if node == net.input:
        return (f"<h3>Jacobians of {label}</h3><p>An input has no z: it has no local Jacobian "
                "of its own. Select a node it feeds.</p>")
    j = node_jacobians(steps, net, node)
    act = j["activation"]
    shape = "full" if act == "softmax" else "diagonal: each a<sub>k</sub> depends on z<sub>k</sub> only"
    parts = [f"<h3>Jacobians of {label} (example 1)</h3>",
             f"<p><b>∂a/∂z</b> ({act}, {shape})</p>",
             equation(d("a", "z"), "=", matrix_html(j["da_dz"]))]
    if act == "softmax":
        parts.append(SOFTMAX_WHY)
    for src, info in j["inputs"].items():
        s_label = html.escape(net.graph.nodes[src].label)
        parts.append(f"<p><b>∂z/∂a<sub>{s_label}</sub> = W</b> ({label} × {s_label})</p>")
        parts.append(equation(d("z", f"a<sub>{s_label}</sub>"), "=", matrix_html(info["W"])))
    if not backward:
        parts.append("<p style='color: gray'><i>The products that give δ appear when the replay "
                     "reaches the backward pass.</i></p>")
        return "".join(parts)
    if j["delta"] is None:
        parts.append(f"<p>{label} does not lead to the output: δ = 0.</p>")
        return "".join(parts)
    parts.append(_vjp_html(j, net, label))
    return "".join(parts)


def _vjp_html(j: dict, net, label: str) -> str:
    """δ = (∂a/∂z)ᵀ·∂L/∂a, then ∂L/∂a_in = Wᵀ·δ for each input."""
    fused = (f"<p>The loss is fused with {j['activation']}: the engine starts from δ = y − t; "
             "here ∂L/∂a is written out (÷ batch) to show the same δ.</p>") if j["fused"] else ""
    rows = [_section_title("Vector-Jacobian products"), fused,
            equation("δ = (∂a/∂z)ᵀ ·", d("L", "a"), "=",
                     matrix_html(j["da_dz"].T), "·", matrix_html(j["dL_da"]), "=",
                     matrix_html(j["delta"])),
            f"<p>the trace's δ: {', '.join(fmt(v) for v in j['delta_trace'][:MAX_SIDE])}</p>"]
    for src, info in j["inputs"].items():
        s_label = html.escape(net.graph.nodes[src].label)
        rows.append(equation(d("L", f"a<sub>{s_label}</sub>"), "= Wᵀ · δ =",
                             matrix_html(info["W"].T), "·", matrix_html(j["delta"]), "=",
                             matrix_html(info["back"])))
    rows.append(f"<p>What flows back into each input is Wᵀ·δ; the input node multiplies it by its "
                f"own ∂a/∂z in turn (or adds it to its other paths first). δ of {label} gives "
                "∂L/∂W = δ·a<sub>in</sub>ᵀ.</p>")
    return "".join(rows)


def _section_title(title: str) -> str:
    return f'<p style="margin: 8px 0 2px 0"><b>{title}</b></p>'
