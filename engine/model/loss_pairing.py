"""Which loss goes with which output activation, and what to say when they do not match.

sigmoid → bce (binary cross-entropy), softmax → softmax_ce (cross-entropy), anything else → mse.
Until the user picks a loss themselves (``LOSS_CHOSEN`` in the design's settings), the loss
follows the output: ``follow_output`` is called inside the edit that changes the output, so
one undo takes both back.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.model import vocabulary

MATCHING_LOSS = {"sigmoid": "bce", "softmax": "softmax_ce"}
LOSS_CHOSEN = "loss_chosen"     # settings key: the user picked the loss, so it no longer follows
WHY = {   # why the matching loss trains better, when the other one trains at all
    "bce": "with {loss} the gradient fades where the sigmoid saturates; bce gives plain y\u00a0−\u00a0t",
    "softmax_ce": "softmax_ce gives the plain gradient p\u00a0−\u00a0t; {loss} must pass softmax's Jacobian",
}


def matching_loss(activation: str) -> str:
    """The loss that pairs with an output of this activation."""
    return MATCHING_LOSS.get(activation, "mse")


@dataclass(frozen=True)
class Mismatch:
    """The design's loss does not pair with its output activation."""
    loss: str
    activation: str
    suggested: str       # the matching loss, offered as the one-click fix
    blocking: bool       # True when training refuses the pair (a fused loss on the wrong output)

    @property
    def note(self) -> str:
        if self.blocking:
            verdict = "Training cannot start"
            why = f"{self.loss} needs a {vocabulary.REQUIRED_OUTPUT[self.loss]} output"
        else:
            verdict = "It trains, but poorly"
            why = WHY[self.suggested].format(loss=self.loss)
        return (f"A {self.activation} output pairs with {self.suggested}, not {self.loss}. "
                f"{verdict}: {why}.")


def loss_mismatch(graph) -> Mismatch | None:
    """How ``graph``'s loss and output activation disagree, or None when they pair (or no output)."""
    out = graph.output_node()
    if out is None:
        return None
    suggested = matching_loss(out.activation)
    if graph.loss == suggested:
        return None
    need = vocabulary.REQUIRED_OUTPUT.get(graph.loss)
    blocking = need is not None and need != out.activation
    return Mismatch(graph.loss, out.activation, suggested, blocking)


def loss_chosen(graph) -> bool:
    """Whether the user picked the design's loss (it then stays whatever the output becomes)."""
    return bool(graph.settings.get(LOSS_CHOSEN))


def choose_loss(graph, loss: str) -> None:
    """Set the loss as the user's own choice (call inside an undoable edit)."""
    graph.set_loss(loss)
    graph.settings[LOSS_CHOSEN] = True


def follow_output(graph) -> str | None:
    """Make the loss match the output unless the user chose it; return the new loss, if it changed."""
    out = graph.output_node()
    if out is None or loss_chosen(graph):
        return None
    loss = matching_loss(out.activation)
    if loss == graph.loss:
        return None
    graph.set_loss(loss)
    return loss
