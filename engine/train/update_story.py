"""One update told in one place: w, the gradient, the optimiser's step, the new w, and the
loss of that batch before and after.

``told_step(trainer)`` takes a real training step (the GUI's Step) and records it;
``sgd_story(net, X, T, lr)`` takes a plain gradient step on a copy of ``net`` (the replay's
update frame). Both compute "loss after" by evaluating the same batch with the updated
parameters. ``UpdateStory.entry(name, index)`` gives one weight's or bias's numbers.
Qt-free; the stories cross from the worker process to the GUI as pickled copies.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.train.optimizers import SGD

OPTIMIZER_SENTENCES = {
    "sgd": "Plain gradient descent: the step is exactly −lr · ∂L/∂w.",
    "momentum": "Momentum adds −lr · ∂L/∂w to a velocity that keeps 0.9 of the previous "
                "steps, and moves w by that velocity.",
    "nesterov": "Nesterov momentum moves w by the velocity (0.9 of the previous steps plus "
                "−lr · ∂L/∂w) looked one step ahead.",
    "adam": "Adam divides a running mean of the gradient by the running RMS of the gradient, "
            "so each weight's step is about lr in size, whatever the size of its gradient.",
}


@dataclass(frozen=True)
class EntryUpdate:
    """One parameter entry's update: w → w + step = new; ``plain`` is −lr · gradient."""
    before: float
    gradient: float
    plain: float
    step: float
    after: float


@dataclass
class UpdateStory:
    """The parameters before and after one optimiser step on one batch, their gradients
    (of the batch's mean loss), the learning rate, the optimiser's name, the batch's loss
    before and after the step, and how many examples the batch held."""
    optimizer: str
    lr: float
    before: dict
    gradients: dict
    after: dict
    loss_before: float
    loss_after: float
    batch_size: int

    def entry(self, name: str, index) -> EntryUpdate | None:
        """The numbers of entry ``index`` of parameter ``name``, or None if there is none."""
        if name not in self.before:
            return None
        index = tuple(np.atleast_1d(index).astype(int).tolist())
        p = self.before[name]
        if len(index) != p.ndim or any(not 0 <= k < n for k, n in zip(index, p.shape)):
            return None
        w, new = float(p[index]), float(self.after[name][index])
        g = float(self.gradients[name][index])
        return EntryUpdate(w, g, -self.lr * g, new - w, new)

    def sentence(self) -> str:
        """What the optimiser's step is, in one sentence."""
        return OPTIMIZER_SENTENCES.get(self.optimizer, f"The {self.optimizer} optimiser's step.")


def _copy(params: dict) -> dict:
    return {k: np.array(v, copy=True) for k, v in params.items()}


def told_step(trainer) -> tuple[float, UpdateStory | None]:
    """Train one mini-batch with ``trainer`` and tell it: (its loss, the story), the story
    None when the step diverged (the trainer then restored its checkpoint)."""
    net = trainer.network
    before = _copy(net.parameters())
    loss = trainer.step()
    if trainer.diverged_reason is not None or trainer.last_batch is None:
        return loss, None
    X, T = trainer.last_batch
    cfg = trainer.config
    with np.errstate(all="ignore"):
        after_loss = float(net.loss_value(X, T, cfg.l1, cfg.l2))
    story = UpdateStory(cfg.optimizer, float(trainer.lr), before, _copy(net.gradients),
                        _copy(net.parameters()), float(loss), after_loss, int(X.shape[0]))
    return loss, story


def sgd_story(net, X, T, lr: float, l1: float = 0.0, l2: float = 0.0) -> UpdateStory:
    """The plain gradient step −lr · ∂L/∂θ on (X, T), taken on a copy: ``net`` is unchanged."""
    copy = net.rebuild()
    before = _copy(copy.parameters())
    loss = copy.train_step(np.ascontiguousarray(X, dtype=copy.dtype),
                           np.ascontiguousarray(T, dtype=copy.dtype), SGD(lr), l1, l2)
    after_loss = float(copy.loss_value(X, T, l1, l2))
    return UpdateStory("sgd", float(lr), before, _copy(copy.gradients), _copy(copy.parameters()),
                       float(loss), after_loss, int(np.shape(X)[0]))
