"""The training loop: shuffled mini-batches, per-epoch evaluation, divergence guard.

A Trainer owns the optimiser and the order of examples; the Network owns the
weights. Everything a front end needs is a method or an event, so the command
line drives it with ``run`` and the GUI's worker process with ``step`` or with
``run(time_budget=...)`` slices between snapshots. Nothing here touches a widget.

Batches: each epoch draws a permutation of the training split from a seeded
generator and walks it in slices of ``batch_size``; the last, smaller batch of an
epoch IS used (every example is seen once per epoch). Rows are gathered into
preallocated buffers with ``np.take(..., out=)`` so that a step allocates nothing.

Divergence: a NaN or infinite batch loss (or weights) stops training with a reason,
and the trainer goes back to its last checkpoint (taken at the start of each epoch
and every ``CHECKPOINT_EVERY`` steps, after checking the weights are finite): the
weights, the optimiser's state, the counters and the shuffle position are all
restored, so a run can be resumed from there with a smaller learning rate. The
network's gradients, those of the step that diverged, are zeroed.
"""
from __future__ import annotations

import copy
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.data.datasets import check_design
from engine.model.events import Event
from engine.nn import losses
from engine.train.metrics import make_metric
from engine.train.config import ConfigError, TrainingConfig, is_number
from engine.train.optimizers import make_optimizer

CHECKPOINT_EVERY = 50       # steps between checkpoints of the last good state
EVAL_CHUNK = 1024           # examples per forward pass when evaluating a split
HISTORY_LIMIT = 10_000      # epoch reports kept (~3 MB; a small design runs ~100 epochs/s)
_SHUFFLE_STREAM = 0x5EED    # keeps the shuffle order independent of the weight initialisation
# Overflow on the way to a diverged loss is detected and reported here, not warned about.
_QUIET = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}


@dataclass
class EpochReport:
    """The state after an epoch: losses (data loss, without penalties) and metric on both
    splits (None when the validation split is empty) and the seconds the epoch took."""
    epoch: int
    step: int
    train_loss: float
    val_loss: float | None
    train_metric: float | None
    val_metric: float | None
    metric_name: str
    seconds: float


@dataclass
class _Checkpoint:
    params: dict
    optimizer: object
    epoch: int
    step_count: int
    pos: int
    perm: np.ndarray | None
    rng_state: dict
    elapsed: float


class TrainerEvents:
    """epoch_finished(EpochReport), step_finished(step, loss), diverged(reason), finished()."""

    def __init__(self):
        self.epoch_finished = Event("epoch_finished")
        self.step_finished = Event("step_finished")
        self.diverged = Event("diverged")
        self.finished = Event("finished")


class Trainer:
    """Trains a Network on a Dataset with a TrainingConfig; see the module docstring."""

    def __init__(self, network, dataset, config: TrainingConfig | None = None):
        check_design(network.graph, dataset)    # DataError when the design does not fit
        self.config = config if config is not None else TrainingConfig()
        self.dataset = dataset
        self.task = dataset.task
        self.metric_name = make_metric(self.task).name
        self.events = TrainerEvents()
        self.optimizer = make_optimizer(self.config.optimizer, self.config.lr)
        self._attach(network)
        self._reset_counters()

    # ----- set-up ---------------------------------------------------------
    def _attach(self, network) -> None:
        self.network = network
        dt = network.dtype
        d = self.dataset
        nt = d.X_train.shape[0]
        # Both splits in one array (training reads a view of it), so that evaluation
        # walks them in equal chunks of a single size: one set of network buffers.
        self._X_all = np.ascontiguousarray(np.concatenate([d.X_train, d.X_val]), dtype=dt)
        self._T_all = np.ascontiguousarray(np.concatenate([d.T_train, d.T_val]), dtype=dt)
        self._X, self._T = self._X_all[:nt], self._T_all[:nt]
        n = self._X.shape[0]
        bs = min(self.config.batch_size, n)
        rest = n % bs
        self._batch = (np.empty((bs, self._X.shape[1]), dt), np.empty((bs, self._T.shape[1]), dt))
        self._last = self._batch if rest == 0 else (np.empty((rest, self._X.shape[1]), dt),
                                                   np.empty((rest, self._T.shape[1]), dt))
        self._bs = bs
        total = self._X_all.shape[0]
        self._chunk = -(-total // -(-total // EVAL_CHUNK))   # equal chunks of at most EVAL_CHUNK
        self._pad = np.zeros((self._chunk, self._X.shape[1]), dt)
        self._checkpoint: _Checkpoint | None = None

    def _reset_counters(self) -> None:
        self._rng = np.random.default_rng([_SHUFFLE_STREAM, self.config.seed])
        self._epoch = 0
        self._step_count = 0
        self._pos = 0
        self._perm: np.ndarray | None = None
        self.last_batch: tuple | None = None   # (X, T) of the latest step (reused buffers)
        self._history: deque[EpochReport] = deque(maxlen=HISTORY_LIMIT)
        self._diverged_reason: str | None = None
        self._checkpoint = None
        self._since_checkpoint = 0
        self._epoch_seconds = 0.0
        self.elapsed = 0.0      # seconds spent in steps and epoch evaluations

    def reset(self) -> None:
        """New weights from the config's seed, optimiser state cleared, counters and history zero."""
        self.network.initialize(self.config.seed)
        self.optimizer.reset()
        self._reset_counters()

    def set_network(self, network) -> None:
        """Train a rebuilt network (after a design edit) from the current position.

        The optimiser keeps its state for parameters whose shapes did not change.
        """
        check_design(network.graph, self.dataset)
        pos, perm = self._pos, self._perm
        self._attach(network)
        self._pos, self._perm = pos, perm
        with np.errstate(**_QUIET):
            self._save_checkpoint()     # a divergence comes back here, not to the old design

    # ----- state ----------------------------------------------------------
    @property
    def epoch(self) -> int:
        """Completed epochs."""
        return self._epoch

    @property
    def step_count(self) -> int:
        """Mini-batches trained so far."""
        return self._step_count

    @property
    def steps_per_epoch(self) -> int:
        return -(-self._X.shape[0] // self._bs)

    @property
    def epoch_fraction(self) -> float:
        """How much of the current epoch is done, 0 to 1."""
        return 0.0 if self._perm is None else self._pos / self._X.shape[0]

    @property
    def history(self) -> list[EpochReport]:
        """The reports of the last HISTORY_LIMIT epochs, oldest first."""
        return list(self._history)

    @property
    def diverged_reason(self) -> str | None:
        """Why the latest step stopped training, or None."""
        return self._diverged_reason

    @property
    def checkpoint_step(self) -> int | None:
        """The step count of the last good state a divergence would restore."""
        return None if self._checkpoint is None else self._checkpoint.step_count

    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        if not is_number(value) or not math.isfinite(value) or value <= 0:
            raise ConfigError(f"the learning rate must be a number above 0, not {value!r}")
        self.optimizer.lr = float(value)
        self.config.lr = float(value)

    # ----- training -------------------------------------------------------
    def step(self) -> float:
        """Train exactly one mini-batch and return its loss (before the update).

        The batch that completes an epoch also evaluates both splits and emits
        epoch_finished. A non-finite loss emits diverged and restores the last
        checkpoint; the returned loss is then that non-finite value.
        """
        with np.errstate(**_QUIET):
            return self._step()

    def _step(self) -> float:
        t0 = time.perf_counter()
        self._diverged_reason = None
        n = self._X.shape[0]
        if self._perm is None:
            self._perm = self._rng.permutation(n)
            self._pos = 0
            self._save_checkpoint()
        elif self._since_checkpoint >= CHECKPOINT_EVERY:
            self._save_checkpoint()
        if self._diverged_reason is not None:
            return math.nan
        idx = self._perm[self._pos:self._pos + self._bs]
        xb, tb = self._batch if idx.shape[0] == self._bs else self._last
        np.take(self._X, idx, axis=0, out=xb)
        np.take(self._T, idx, axis=0, out=tb)
        self.last_batch = (xb, tb)
        cfg = self.config
        loss = self.network.train_step(xb, tb, self.optimizer, cfg.l1, cfg.l2)
        self._pos += idx.shape[0]
        self._step_count += 1
        self._since_checkpoint += 1
        if not math.isfinite(loss):
            self._diverge(f"the loss became {loss}")
            return loss
        if len(self.events.step_finished):
            self.events.step_finished.emit(self._step_count, loss)
        self._epoch_seconds += time.perf_counter() - t0
        if self._pos >= n:
            self._finish_epoch()
        return loss

    def _finish_epoch(self) -> None:
        t0 = time.perf_counter()
        ev = self.evaluate()
        if not math.isfinite(ev["train_loss"]):
            self._diverge(f"the loss became {ev['train_loss']}")
            return
        self._epoch += 1
        self._perm = None
        seconds = self._epoch_seconds + time.perf_counter() - t0
        self.elapsed += seconds
        self._epoch_seconds = 0.0
        report = EpochReport(self._epoch, self._step_count, ev["train_loss"], ev["val_loss"],
                             ev["train_metric"], ev["val_metric"], self.metric_name, seconds)
        self._history.append(report)
        self.events.epoch_finished.emit(report)

    def run_epoch(self) -> EpochReport | None:
        """Train to the end of the current epoch; its report, or None if training diverged."""
        self.run(epochs=1)
        if self._diverged_reason is not None or not self._history:
            return None
        return self._history[-1]

    def run(self, epochs: int | None = None, should_stop: Callable[[], bool] = lambda: False,
            time_budget: float | None = None) -> str:
        """Train until ``epochs`` more epochs end (counting the current, partly done one),
        or, with epochs None, until config.epochs epochs in all (no limit when that is None).

        ``should_stop()`` is asked before each step; ``time_budget`` seconds bound this
        call (at least one step is taken). Returns why it returned: "finished" (the
        epochs are done; emits finished), "stopped", "time" or "diverged".
        """
        if epochs is not None:
            target = self._epoch + epochs
        else:
            target = math.inf if self.config.epochs is None else self.config.epochs
        deadline = None if time_budget is None else time.perf_counter() + time_budget
        step, clock = self._step, time.perf_counter
        with np.errstate(**_QUIET):
            while self._epoch < target:
                if should_stop():
                    return "stopped"
                step()
                if self._diverged_reason is not None:
                    return "diverged"
                if deadline is not None and clock() >= deadline:
                    if self._epoch >= target:
                        break
                    return "time"
        self.events.finished.emit()
        return "finished"

    # ----- divergence -----------------------------------------------------
    def _params_finite(self) -> bool:
        # A sum is inf or NaN whenever an element is (inf − inf gives NaN); no temporary array.
        return all(math.isfinite(float(p.sum())) for p in self.network.parameters().values())

    def _save_checkpoint(self) -> None:
        self._since_checkpoint = 0
        if not self._params_finite():
            self._diverge("the weights became infinite or NaN")
            return
        params = self.network.parameters()
        cp = self._checkpoint
        if cp is None or cp.params.keys() != params.keys() or any(
                cp.params[k].shape != p.shape for k, p in params.items()):
            saved = {k: p.copy() for k, p in params.items()}
        else:
            saved = cp.params
            for k, p in params.items():
                np.copyto(saved[k], p)
        self._checkpoint = _Checkpoint(saved, copy.deepcopy(self.optimizer), self._epoch,
                                       self._step_count, self._pos, self._perm,
                                       copy.deepcopy(self._rng.bit_generator.state), self.elapsed)

    def _diverge(self, what: str) -> None:
        where = f"diverged at epoch {self._epoch + 1}, step {self._step_count}: {what}"
        cp = self._checkpoint
        if cp is not None:
            lr = self.optimizer.lr
            for k, p in self.network.parameters().items():
                np.copyto(p, cp.params[k])
            self.optimizer = copy.deepcopy(cp.optimizer)
            self.optimizer.lr = lr
            self._epoch, self._step_count, self._pos = cp.epoch, cp.step_count, cp.pos
            self._perm = cp.perm
            self._rng.bit_generator.state = copy.deepcopy(cp.rng_state)
            self.elapsed = cp.elapsed
            while self._history and self._history[-1].epoch > cp.epoch:
                self._history.pop()
            where += f"; the weights of step {cp.step_count} are restored"
        # The gradients are the diverged step's (inf or NaN) and belong to no weights now held.
        for g in self.network.gradients.values():
            g.fill(0)
        self._since_checkpoint = 0
        self._epoch_seconds = 0.0
        self._diverged_reason = where + "; try a smaller learning rate"
        self.events.diverged.emit(self._diverged_reason)

    # ----- evaluation -----------------------------------------------------
    def evaluate(self) -> dict:
        """Data loss (without L1/L2) and metric on both splits; None for an empty split.

        Keys: train_loss, val_loss, train_metric, val_metric, metric_name.
        """
        with np.errstate(**_QUIET):
            return self._evaluate()

    def _evaluate(self) -> dict:
        X, T, nt, chunk = self._X_all, self._T_all, self._X.shape[0], self._chunk
        net, loss_name = self.network, self.network.loss
        n = X.shape[0]
        totals = [0.0, 0.0]
        metrics = [make_metric(self.task), make_metric(self.task)]
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            if m == chunk:
                xb = X[start:start + m]
            else:   # pad to the chunk size so that the network reuses one set of buffers
                xb = self._pad
                xb[:m] = X[start:start + m]
            y = net.forward(xb)[:m]
            t = T[start:start + m]
            per = losses.per_example(loss_name, net.z[net.output][:m], y, t)
            cut = min(max(nt - start, 0), m)      # rows before ``cut`` are training rows
            for part, rows in ((0, slice(0, cut)), (1, slice(cut, m))):
                if rows.stop > rows.start:
                    totals[part] += float(per[rows].sum(dtype=np.float64))
                    metrics[part].add(y[rows], t[rows])
        counts = (nt, n - nt)
        (train_loss, val_loss) = (totals[i] / counts[i] if counts[i] else None for i in (0, 1))
        return {"train_loss": train_loss, "val_loss": val_loss,
                "train_metric": metrics[0].value(), "val_metric": metrics[1].value(),
                "metric_name": self.metric_name}
