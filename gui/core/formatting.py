"""Numbers as the GUI shows them: 4 significant digits and a true minus sign.

Qt-free (numpy only), so that the replay's timeline and explanations can use it too.
"""
from __future__ import annotations

import numpy as np

SIGNIFICANT = 4
MAX_CAPTION_VALUES = 4


def fmt(value) -> str:
    """A number with 4 significant digits and a true minus sign (−0.02183, 1.5e-07)."""
    v = float(value)
    if v == 0:
        return "0"
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("∞" if v > 0 else "−∞")
    text = f"{v:.{SIGNIFICANT}g}"
    return text.replace("-", "−")


def vector_text(values, limit: int = MAX_CAPTION_VALUES) -> str:
    """One number, or a short tuple "(0.1, −2, …)" of the first ``limit`` values."""
    flat = np.ravel(values)
    if flat.size == 1:
        return fmt(flat[0])
    shown = ", ".join(fmt(v) for v in flat[:limit])
    return f"({shown}{', …' if flat.size > limit else ''})"


def fmt_units(value) -> str:
    """A value in its own units (a price, an area): whole with thousands separators from
    10,000 (326,000), otherwise as ``fmt``."""
    v = float(value)
    if np.isfinite(v) and 1e4 <= abs(v) < 1e15:
        return f"{v:,.0f}".replace("-", "−")
    return fmt(v)
