"""The learning rate judged from a loss history: too large (rising, oscillating, diverging) or
too small (barely moving), and a loss that jumps (a sign of exploding gradients).

Losses are compared with the *chance loss*, what predicting the targets' average scores,
so that "barely moving" and "oscillating" mean the same on every task and a trained
network wobbling near zero loss is not taken for a sick one.
"""
from __future__ import annotations

import math

import numpy as np

from engine.nn import losses
from engine.train.health_findings import Finding, Fix, sci
from engine.train.optimizers import DEFAULT_LR

MIN_POINTS = 6          # losses a verdict needs
RISE = 0.05             # too large: the loss ends this share of the chance loss above where it began,
SWING = 0.05            # or rises by this share in at least
SWING_SHARE = 0.3       # this share of the intervals, without getting anywhere
STILL = 0.01            # too small: the loss moves less than this share of the chance loss,
UNFITTED = 0.2          # while it is still above this share of the chance loss,
MOTION = 1e-3           # and the weights moved less than this share of their size
JUMP = 10.0             # a loss that jumps: ×10 from one point to the next


def chance_loss(loss: str, T: np.ndarray) -> float:
    """The mean loss of predicting the average target for every example."""
    T = np.asarray(T, dtype=np.float64)
    p = T.mean(axis=0, keepdims=True) + np.zeros_like(T)
    if loss == "mse":
        z = p
    else:
        p = np.clip(p, 1e-7, 1 - 1e-7)
        z = np.log(p / (1 - p)) if loss == "bce" else np.log(p)
    return float(losses.per_example(loss, z, p, T).mean())


def rate_findings(steps, values, chance: float, lr: float, motion: float | None,
                  diverged: str | None = None) -> list[Finding]:
    """Findings about the learning rate (and loss jumps) from losses at ``steps``."""
    steps, values = list(steps), [float(v) for v in values]
    if diverged is not None or any(not math.isfinite(v) for v in values):
        return [_too_large(lr, f"training diverged ({diverged or 'the loss became infinite'})",
                           {"diverged": True})]
    if len(values) < MIN_POINTS or not chance > 0:
        return []
    found = []
    first, last = values[0], values[-1]
    diffs = np.diff(values)
    ups = int((diffs > SWING * chance).sum())
    span = f"steps {steps[0]} to {steps[-1]}"
    numbers = {"first_loss": first, "last_loss": last, "lowest_loss": min(values), "chance_loss": chance,
               "rises": ups, "intervals": len(diffs), "steps": [steps[0], steps[-1]]}
    if last - first > RISE * chance:
        found.append(_too_large(lr, f"over {span} the loss rose from {sci(first)} to {sci(last)}", numbers))
    elif ups >= SWING_SHARE * len(diffs) and last > min(values) + 2 * SWING * chance:
        found.append(_too_large(lr, f"over {span} the loss rose in {ups} of {len(diffs)} intervals "
                                f"(from {sci(first)} to {sci(last)}, lowest {sci(min(values))})", numbers))
    elif (abs(last - first) < STILL * chance and last > UNFITTED * chance
          and motion is not None and motion < MOTION):
        numbers["motion"] = motion
        found.append(_too_small(lr, span, steps[-1] - steps[0], numbers))
    found.extend(_jumps(steps, values, chance))
    return found


def _too_large(lr: float, what: str, numbers: dict) -> Finding:
    new = lr / 10 if lr <= 10 * DEFAULT_LR else DEFAULT_LR
    numbers = dict(numbers, verdict="too_large", lr=lr, suggested_lr=new)
    why = (f"{what}. Each step moves every weight by lr × dL/dw = {sci(lr)} × dL/dw; when that "
           f"step is longer than the valley of the loss is wide, it lands higher up the other side, "
           f"and the next gradient is larger still.")
    return Finding("learning_rate", f"the learning rate {sci(lr)} is too large", why,
                   f"lower the learning rate, e.g. to {sci(new)}", numbers=numbers,
                   fixes=[Fix("lr", new, f"Set the learning rate to {sci(new)}")])


def _too_small(lr: float, span: str, n_steps: int, numbers: dict) -> Finding:
    first, last, chance = numbers["first_loss"], numbers["last_loss"], numbers["chance_loss"]
    new = DEFAULT_LR if lr < DEFAULT_LR / 10 else lr * 10
    fell = first - last
    pace = (f"at this pace the loss would take about {sci(n_steps * last / 2 / fell)} steps to halve"
            if fell > 0 else "at this pace it never gets lower")
    numbers = dict(numbers, verdict="too_small", lr=lr, suggested_lr=new)
    why = (f"Each step moves every weight by lr × dL/dw = {sci(lr)} × dL/dw. Over {span} the weights "
           f"moved {sci(numbers['motion'])} of their size and the loss went from {sci(first)} to "
           f"{sci(last)}, still {last / chance:.0%} of what predicting the average scores "
           f"({sci(chance)}); {pace}.")
    return Finding("learning_rate", f"the learning rate {sci(lr)} is too small: the loss barely moves",
                   why, f"raise the learning rate, e.g. to {sci(new)}", numbers=numbers,
                   fixes=[Fix("lr", new, f"Set the learning rate to {sci(new)}")])


def _jumps(steps, values, chance: float) -> list[Finding]:
    """A loss that jumps ×JUMP (and by more than half the chance loss) between two points."""
    for i in range(1, len(values)):
        before, after = values[i - 1], values[i]
        if after > JUMP * max(before, 1e-12) and after - before > 0.5 * chance:
            why = (f"between steps {steps[i - 1]} and {steps[i]} the loss jumped from {sci(before)} "
                   f"to {sci(after)} (×{sci(after / max(before, 1e-12))}). A jump like that means one "
                   f"update was far too big: the gradient behind it, a product of Wᵀ and f'(z) over "
                   f"every layer, had grown large.")
            return [Finding("exploding", f"the loss jumped ×{sci(after / max(before, 1e-12))} at step "
                            f"{steps[i]}", why, "lower the learning rate, or re-initialise the weights",
                            numbers={"step": steps[i], "before": before, "after": after},
                            fixes=[Fix("initialisation", "reset", "Re-initialise the weights")])]
    return []
