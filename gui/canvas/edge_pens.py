"""The pens of coloured edges, one per colour bin, made once and shared by every connection."""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QPen

from gui.canvas.line_drawing import cosmetic_pen
from gui.core import colormap

WEIGHT_LEVELS = 16    # magnitude bins in "weight" mode (× 2 signs)


@lru_cache(maxsize=1)
def grey_pens() -> tuple[QPen, ...]:
    return (cosmetic_pen(colormap.GREY),)


@lru_cache(maxsize=1)
def gradient_pens() -> tuple[QPen, ...]:
    """Pens for "gradient" mode, one per magnitude bin (shared: a design of a thousand
    connections rebuilt 32 pens for each of them on every snapshot)."""
    return tuple(cosmetic_pen(c) for c in colormap.sequential())


@lru_cache(maxsize=1)
def weight_pens() -> tuple[QPen, ...]:
    """Pens for "weight" mode: index 2·level + (w > 0); colour by sign, width by |w|."""
    colors = colormap.diverging(2 * WEIGHT_LEVELS + 1)
    pens = []
    for level in range(WEIGHT_LEVELS):
        width = 1.0 + (3 * level) // WEIGHT_LEVELS  # 1, 2, 3 or 4 px
        for positive in (False, True):
            k = WEIGHT_LEVELS + (level + 1) * (1 if positive else -1)
            pens.append(cosmetic_pen(colors[k], width))
    return tuple(pens)
