"""The ∂L/∂w the inspector shows for one edge, and where it comes from.

While the replay is shown its value wins (one example, float64: the number the explain
panel multiplies out); otherwise the latest training step's (the mini-batch mean). Before
either exists the inspector shows "—", never a zero that was not computed.
"""
from __future__ import annotations

import numpy as np

from engine.model.param_names import weight_name
from engine.nn.trace import trace_gradients
from gui.core.formatting import fmt

NOT_YET = "—"
NOT_YET_TIP = "not computed yet: run a Step or the replay"
SOURCES = (("replay", "from the replay: this one example, in float64 (as the explain panel shows it)"),
           ("last step", "from the latest training step: the mean over its mini-batch"))


def replay_gradients(replay) -> dict | None:
    """The gradients of the pass the replay shows, or None while no replay is shown."""
    if replay is None or not getattr(replay, "active", False) or not getattr(replay, "steps", None):
        return None
    return trace_gradients(replay.steps)


def gradient_text(src: str, dst: str, i: int, j: int, shape: tuple,
                  replay: dict | None, training: dict | None) -> tuple[str, str]:
    """(text, tooltip) for ∂L/∂w of edge src[j] → dst[i] of a weight matrix of ``shape``."""
    key = weight_name(src, dst)
    for grads, (source, tip) in zip((replay, training), SOURCES):
        G = grads.get(key) if grads else None
        if G is not None and np.shape(G) == tuple(shape):
            return f"{fmt(G[i, j])}  ({source})", tip
    return NOT_YET, NOT_YET_TIP
