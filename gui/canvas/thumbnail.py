"""A neuron's output over the 2-D input plane as a small image (TensorFlow Playground's view).

The canvas draws it in place of a neuron's circle while training on 2-D data; the
decision boundary's colours come from the same lookup table.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from gui.core.colormap import LUT_SIZE, diverging_lut

BOUNDED = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}


def thumbnail_range(activation: str | None, values: np.ndarray) -> tuple[float, float]:
    """Colour range of a neuron's thumbnails: the activation's own range when it is
    bounded, else symmetric about 0 up to the node's largest |value| (relu: pale to blue)."""
    if activation in BOUNDED:
        return BOUNDED[activation]
    finite = np.abs(values[np.isfinite(values)])
    m = float(finite.max()) if finite.size else 0.0
    return (-m, m) if m > 1e-9 else (-1.0, 1.0)


def neuron_thumbnail(values: np.ndarray, size: int = 32, vrange: tuple[float, float] = (-1.0, 1.0)) -> QImage:
    """A ``size``×``size`` image of a neuron's output over the plane.

    ``values`` is (ny, nx) with row 0 at the bottom of the plane (as ``np.meshgrid``
    makes it); values are clipped to ``vrange`` (tanh-like by default) and coloured
    with the canvas's diverging colormap: orange low, pale middle, blue high.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or 0 in values.shape:
        raise ValueError(f"a thumbnail needs a 2-D array of values, not shape {values.shape}")
    lo, hi = vrange
    if not hi > lo:
        raise ValueError(f"empty value range {vrange}")
    ny, nx = values.shape
    rows = (np.arange(size) * ny // size)[::-1]      # image row 0 is the top of the plane
    cols = np.arange(size) * nx // size
    v = np.nan_to_num(values[np.ix_(rows, cols)], nan=(lo + hi) / 2, posinf=hi, neginf=lo)
    index = np.clip(np.round((v - lo) / (hi - lo) * (LUT_SIZE - 1)), 0, LUT_SIZE - 1).astype(np.intp)
    rgb = np.ascontiguousarray(diverging_lut()[index])
    image = QImage(rgb.data, size, size, 3 * size, QImage.Format.Format_RGB888)
    return image.copy()    # own the pixels: ``rgb`` goes away with this frame
