"""Colours for edge and neuron values: a perceptually uniform ramp and a diverging one.

The sequential ramp (viridis, dark to bright) colours gradient magnitudes on a
log scale; the diverging ramp colours signed numbers the way TensorFlow
Playground does: orange for negative, grey for zero, blue for positive.
Everything is binned into a few colours so that a painter draws one batch of
lines per colour.
"""
from __future__ import annotations

from functools import cache, lru_cache

import numpy as np
from PySide6.QtGui import QColor

N_BINS = 32
BACKGROUND = QColor(35, 39, 46)   # dark canvas: bright colours mean large values
GREY = QColor(104, 112, 124)      # edges without values
NEGATIVE = QColor(245, 147, 34)   # TF Playground orange
POSITIVE = QColor(8, 119, 189)    # TF Playground blue
ZERO_DARK = QColor(62, 68, 78)    # near-zero weights fade into the background
ZERO_LIGHT = QColor(232, 234, 235)  # near-zero neurons stay visible
MAX_DECADES = 8.0                  # a log scale never spans more than this
LUT_SIZE = 256                     # entries of a lookup table for images


@lru_cache(maxsize=4)
def sequential(n: int = N_BINS) -> tuple[QColor, ...]:
    """``n`` colours of viridis from dark (small) to bright (large)."""
    import pyqtgraph as pg  # imported late: only a view with values needs it
    table = pg.colormap.get("viridis").getLookupTable(0.0, 1.0, n, alpha=False)
    return tuple(QColor(int(r), int(g), int(b)) for r, g, b in table)


@lru_cache(maxsize=4)
def diverging(n: int = N_BINS, light: bool = False) -> tuple[QColor, ...]:
    """``n`` colours from orange (most negative) through grey to blue (most positive).

    The middle is a dark grey (edges on the dark canvas) or, with ``light``, a
    light one (neuron fills).
    """
    zero = ZERO_LIGHT if light else ZERO_DARK
    colors = []
    for k in range(n):
        t = 2.0 * k / (n - 1) - 1.0  # -1 .. 1
        end = POSITIVE if t >= 0 else NEGATIVE
        a = abs(t)
        colors.append(QColor(*(round(z + (e - z) * a) for z, e in
                               zip(zero.getRgb()[:3], end.getRgb()[:3]))))
    return tuple(colors)


def _rgb(colors) -> np.ndarray:
    return np.array([c.getRgb()[:3] for c in colors], dtype=np.float64)


@cache
def diverging_lut(lighten: float = 0.0) -> np.ndarray:
    """(256, 3) uint8: orange → pale grey → blue (the canvas's neuron colours), mixed with ``lighten`` of white."""
    rgb = _rgb(diverging(LUT_SIZE, light=True))
    return np.round(rgb + (255.0 - rgb) * lighten).astype(np.uint8)


@cache
def sequential_lut(lighten: float = 0.0) -> np.ndarray:
    """(256, 3) uint8 viridis, mixed with ``lighten`` of white."""
    rgb = _rgb(sequential(LUT_SIZE))
    return np.round(rgb + (255.0 - rgb) * lighten).astype(np.uint8)


def luminance(color: QColor) -> float:
    """Relative luminance (Rec. 709 weights on linearised sRGB), 0..1."""
    def lin(c):
        c = c / 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * lin(color.red()) + 0.7152 * lin(color.green()) + 0.0722 * lin(color.blue())


def log_scale(magnitudes: list[np.ndarray]) -> tuple[float, float] | None:
    """The shared (vmin, vmax) of log10 |v| over several arrays; None if all are zero."""
    lo, hi = np.inf, -np.inf
    for m in magnitudes:
        m = m[np.isfinite(m) & (m > 0)]
        if m.size:
            lo = min(lo, float(m.min()))
            hi = max(hi, float(m.max()))
    if not np.isfinite(hi):
        return None
    vmax = float(np.log10(hi))
    vmin = max(float(np.log10(lo)), vmax - MAX_DECADES)
    if vmax - vmin < 1e-9:
        vmin = vmax - 1.0
    return vmin, vmax


def log_bins(magnitudes: np.ndarray, scale: tuple[float, float] | None,
             n: int = N_BINS) -> np.ndarray:
    """Bin index 0..n-1 of each |v| on the log scale; zeros and non-finite go to 0."""
    out = np.zeros(magnitudes.shape, dtype=np.intp)
    if scale is None:
        return out
    vmin, vmax = scale
    ok = np.isfinite(magnitudes) & (magnitudes > 0)
    t = (np.log10(magnitudes[ok]) - vmin) / (vmax - vmin)
    out[ok] = np.clip((t * n).astype(np.intp), 0, n - 1)
    return out


def linear_bins(magnitudes: np.ndarray, vmax: float, n: int) -> np.ndarray:
    """Bin index 0..n-1 of each |v| on a linear scale 0..vmax."""
    if not vmax > 0:
        return np.zeros(magnitudes.shape, dtype=np.intp)
    m = np.nan_to_num(magnitudes, nan=0.0, posinf=vmax, neginf=vmax)
    return np.clip((m / vmax * n).astype(np.intp), 0, n - 1)
