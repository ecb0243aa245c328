"""The health check put together: a monitor that watches training, and a headless diagnosis.

``HealthMonitor.check`` looks at the current weights (a forward pass over a sample of the
training data: units; the gradients it is given: vanishing or exploding) and at the losses
it has seen on that fixed sample at earlier checks (the learning rate). The GUI's worker
calls it every few steps; ``diagnose`` runs it on given weights plus a short probe run.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from engine.train.health import dead_units, gradient_findings, sample_rows, unit_findings
from engine.train.health_findings import HealthReport
from engine.train.health_rate import chance_loss, rate_findings

WINDOW = 20             # sample losses the learning-rate verdict reads (the latest ones)
PROBE_STEPS = 200       # steps of the probe run ``diagnose`` takes by default
PROBE_POINTS = 20       # sample losses taken during a probe


class HealthMonitor:
    """Health checks of one network on a fixed sample of its training data."""

    def __init__(self, network, X: np.ndarray, T: np.ndarray, window: int = WINDOW):
        Xs, Ts = sample_rows(X, T)
        self.X = np.ascontiguousarray(Xs, dtype=network.dtype)
        self.T = np.ascontiguousarray(Ts, dtype=network.dtype)
        self.chance = chance_loss(network.loss, self.T)
        self._points: deque[tuple[int, float, np.ndarray]] = deque(maxlen=window)

    def clear(self) -> None:
        """Forget the loss history (new weights, a new design, a new learning rate)."""
        self._points.clear()

    def observe(self, network, step: int) -> float:
        """The loss on the sample (a forward pass: the network's z and a are the sample's)."""
        with np.errstate(all="ignore"):
            loss = float(network.loss_value(self.X, self.T))
        flat = np.concatenate([p.ravel() for p in network.parameters().values()]).astype(np.float64)
        self._points.append((int(step), loss, flat))
        return loss

    def gradients(self, network) -> dict:
        """dL/dW on the sample (copies; the network's own gradient buffers are overwritten)."""
        with np.errstate(all="ignore"):
            return network.loss_and_gradients(self.X, self.T)[1]

    def check(self, network, step: int, gradients: dict, lr: float,
              diverged: str | None = None) -> HealthReport:
        """Every finding for the current weights, ``gradients`` (dL/dW by parameter name) and
        the losses seen so far; observes the current loss first."""
        self.observe(network, step)
        with np.errstate(all="ignore"):
            report = self.weights_report(network, gradients)
        report.extend(explained_away(report, self.rate_report(lr, diverged)))
        report.step = int(step)
        return report

    def weights_report(self, network, gradients: dict) -> HealthReport:
        """Unit and gradient findings; the network's z and a must be the sample's (``observe``)."""
        report = HealthReport()
        report.extend(unit_findings(network))
        dead = {n: dead_units(np.asarray(network.z[n])) for n in network.order
                if network.activation[n] == "relu" and n != network.input}
        report.extend(gradient_findings(network, gradients, dead))
        return report

    def rate_report(self, lr: float, diverged: str | None = None) -> list:
        pts = list(self._points)
        motion = None
        if len(pts) >= 2:
            w0, w1 = pts[0][2], pts[-1][2]
            size = float(np.linalg.norm(w0))
            motion = float(np.linalg.norm(w1 - w0)) / size if size > 0 else None
        return rate_findings([p[0] for p in pts], [p[1] for p in pts], self.chance, lr, motion, diverged)


def diagnose(network, dataset, config, probe_steps: int = PROBE_STEPS) -> HealthReport:
    """Findings for the network's current weights; the learning rate from a probe run of
    ``probe_steps`` steps from those weights (which are put back afterwards)."""
    from engine.train.trainer import Trainer
    every = max(1, probe_steps // PROBE_POINTS)
    monitor = HealthMonitor(network, dataset.X_train, dataset.T_train,
                            window=probe_steps // every + 2)
    grads = monitor.gradients(network)
    monitor.observe(network, 0)
    report = monitor.weights_report(network, grads)
    if probe_steps:
        saved = {k: p.copy() for k, p in network.parameters().items()}
        trainer = Trainer(network, dataset, config)
        diverged = None
        for step in range(1, probe_steps + 1):
            trainer.step()
            if trainer.diverged_reason is not None:
                diverged = trainer.diverged_reason
                break
            if step % every == 0 or step == probe_steps:
                monitor.observe(network, step)
        report.extend(explained_away(report, monitor.rate_report(config.lr, diverged)))
        network.load_parameters(saved)
    return report


def explained_away(report: HealthReport, rate: list) -> list:
    """``rate`` without "too small" when dead units, saturation or vanishing gradients already
    explain a loss that barely moves (a larger learning rate would not cure them)."""
    if report.findings["dead"] or report.findings["saturated"] or report.findings["vanishing"]:
        return [f for f in rate if f.numbers.get("verdict") != "too_small"]
    return rate


class LiveHealth:
    """The health check inside a training loop: at most every ``every_steps`` steps and
    ``every_seconds`` seconds (often enough to be live, cheap enough not to slow training),
    or at once when asked; its results as plain data to send with a snapshot."""

    def __init__(self, network, dataset, every_steps: int = 50, every_seconds: float = 0.5):
        self.monitor = HealthMonitor(network, dataset.X_train, dataset.T_train)
        self.every_steps, self.every_seconds = every_steps, every_seconds
        self._last_step, self._last_time = None, 0.0
        self._diverged: str | None = None
        self._asked = False

    def clear(self) -> None:
        """New weights or a new learning rate: the losses seen so far no longer judge it."""
        self.monitor.clear()
        self._diverged = None
        self._last_step = None

    def note_diverged(self, reason: str) -> None:
        self._diverged = reason

    def ask(self) -> None:
        """Check at the next ``payload`` whatever the time."""
        self._asked = True

    def payload(self, trainer, now: float, force: bool = False) -> dict | None:
        """{"step", "findings"} when a check is due (or forced or asked), else None."""
        step = trainer.step_count
        due = (self._last_step is None or (step - self._last_step >= self.every_steps
                                            and now - self._last_time >= self.every_seconds))
        if not (due or force or self._asked):
            return None
        self._asked = False
        self._last_step, self._last_time = step, now
        net = trainer.network
        report = self.monitor.check(net, step, net.gradients, trainer.lr, self._diverged)
        return {"step": step, "findings": report.to_dict()}
