"""The training panel's status lines (what just happened, whether training can start) and edge tooltips.

Every stop (Pause, Step, Reset, the last epoch, new data) ends with ``READY``, so the panel
never keeps saying "Training…" or an old epoch line once the worker has stopped.
"""
from __future__ import annotations

READY = "Ready to train."


def ready(note: str = "") -> str:
    """A status after training stopped: what happened, then that it is ready again."""
    return f"{note}\n{READY}" if note else READY


def _epochs(count) -> str:
    return f"{count} epoch{'s' * (count != 1)}"


def training(epochs) -> str:
    """The status while training plays, saying when it will stop."""
    return f"Training… (stops after {_epochs(epochs)})" if epochs else "Training… (until paused)"


def finished(epochs) -> str:
    """The status after the set number of epochs, with how to go on."""
    return ready(f"Finished {_epochs(epochs)}. To train on, raise Epochs (0: until paused) "
                 "or press Reset.")


def edge_tooltip(snap: dict | None, key: str, src: str, dst: str, i: int, j: int) -> str:
    """An edge's tooltip: its neurons, and its weight and gradient in snapshot ``snap``."""
    text = f"{src}[{j}] → {dst}[{i}]"
    if snap is not None and key in snap["weights"]:
        w = snap["weights"][key]
        if i < w.shape[0] and j < w.shape[1]:
            g = f"{snap['gradients'][key][i, j]:.3g}" if snap["step"] else "— (not computed yet)"
            text += f"\nw = {w[i, j]:.4g}\n∂L/∂w = {g}"
    return text


def loaded(what: str, playing: bool, epochs) -> str:
    """The status once the worker has the data: what it loaded, then training or ready."""
    return f"{what}\n{training(epochs)}" if playing else ready(what)
