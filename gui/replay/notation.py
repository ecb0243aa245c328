"""The notation of the explanations: neuron names, symbols, factors, fractions, equation rows.

Qt rich text (an HTML subset: sub/superscripts, one-row tables for fraction layout).
Symbols follow the canvas: neuron k of node h1 is h1[k], written a<sub>h1,k</sub>.
This module does not import Qt.
"""
from __future__ import annotations

import html

from gui.core.formatting import fmt


def neuron_name(label: str, index: int, size: int) -> str:
    """The subscript of a neuron: "h1,2", or just "h1" for a single neuron."""
    return html.escape(label) if size == 1 else f"{html.escape(label)},{index}"


def sym(letter: str, sub: str) -> str:
    return f"<i>{letter}</i><sub>{sub}</sub>"


def num(value) -> str:
    """A factor: negative numbers in brackets so that products read clearly."""
    text = fmt(value)
    return f"({text})" if text.startswith("−") else text


def frac(top: str, bottom: str) -> str:
    return ('<table cellspacing="0" cellpadding="0"><tr><td align="center" '
            f'style="border-bottom: 1px solid #777; padding: 0 2px">{top}</td></tr>'
            f'<tr><td align="center">{bottom}</td></tr></table>')


def d(top: str, bottom: str) -> str:
    """∂top/∂bottom as a fraction."""
    return frac(f"∂{top}", f"∂{bottom}")


def equation(*cells: str) -> str:
    """One line of an equation, each cell vertically centred (so fractions line up)."""
    tds = "".join(f'<td valign="middle" style="padding: 0 2px">{c}</td>' for c in cells)
    return f'<table cellspacing="0" cellpadding="1"><tr>{tds}</tr></table>'


def factor(formula: str) -> str:
    """A formula used as a factor, bracketed when it is a sum or a condition."""
    text = html.escape(formula)
    top, depth = [], 0   # the formula outside any brackets
    for ch in formula:
        depth += (ch == "(") - (ch == ")")
        top.append(ch if depth == 0 else "")
    outer = "".join(top)
    return f"({text})" if any(op in outer for op in (" + ", " − ", " if ")) else text


def section(title: str) -> str:
    return f'<p style="margin: 8px 0 2px 0"><b>{title}</b></p>'
