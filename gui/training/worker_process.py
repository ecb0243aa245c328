"""The training worker: a separate process that owns the Network and the Trainer.

No Qt here. The GUI sends commands as tuples over a Pipe; the worker trains in
slices of about 1/30 s and sends back snapshots (copies): the step losses since
the last snapshot, epoch reports, weights, the latest gradients, gradient norms
per connection and, for 2-D data, the output over the input plane. The GUI thread
therefore never trains and never waits (ARCHITECTURE.md: a process, not a thread).

Commands: ("design", design_dict, keep_weights, base_dir), ("play",), ("pause",), ("step",),
("reset",), ("set_lr", lr), ("set_weight", name, index, value),
("set_parameters", values), ("check_health",), ("quit",).
Replies: ("ready", info), ("snapshot", dict), ("diverged", reason), ("finished",),
("error", message).
"""
from __future__ import annotations

import time

import numpy as np

from engine.train.health_monitor import LiveHealth
from gui.training.pipe_sender import PipeSender

SLICE = 1 / 30      # seconds of training between snapshots
GRID = 64           # decision-boundary resolution
THUMB = 32          # hidden-neuron thumbnail resolution
MAX_THUMBS = 32     # thumbnails for hidden nodes the canvas draws neuron by neuron
THUMB_BUDGET = 256  # thumbnails per snapshot in all (a chain of 1,000 neurons: the first 256);
                    # each costs the GUI ~60 µs to paint into an image, 30 times a second
DATA_KEYS = ("data", "target", "noise", "samples", "features", "validation", "seed", "missing")
VALIDATION_ROWS = 2_000     # validation predictions sent for the predicted-vs-actual and confusion views
VALIDATION_EVERY = 0.25     # seconds between them while training


def _dataset_info(ds) -> dict:
    info = {"name": ds.name, "task": ds.task, "n_inputs": ds.n_inputs, "n_outputs": ds.n_outputs,
            "train_size": len(ds.X_train), "val_size": len(ds.X_val),
            "class_names": list(ds.class_names), "is_2d": ds.is_2d(),
            "preprocessing": ds.preprocessing.to_dict() if ds.preprocessing is not None else None,
            "notes": list(ds.notes)}
    if ds.is_2d():
        info.update(points_train=ds.points_train, labels_train=ds.labels_train,
                    points_val=ds.points_val, labels_val=ds.labels_val,
                    extent=_extent(ds))
    return info


def _extent(ds) -> tuple[float, float, float, float]:
    pts = np.vstack([ds.points_train, ds.points_val]) if len(ds.points_val) else ds.points_train
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.05 * (hi - lo) + 1e-9
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def _plane(extent, n) -> np.ndarray:
    xs = np.linspace(extent[0], extent[1], n)
    ys = np.linspace(extent[2], extent[3], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _validation(net, ds) -> dict | None:
    """The first VALIDATION_ROWS validation examples: predicted and actual values in the
    target's units (regression), or class indices (classification)."""
    X, T = ds.X_val[:VALIDATION_ROWS], ds.T_val[:VALIDATION_ROWS]
    if not len(X) or ds.preprocessing is None:
        return None
    units = ds.preprocessing.to_units(np.array(net.forward(X.astype(net.dtype)), dtype=np.float64))
    if ds.task == "regression":
        return {"task": "regression", "predicted": units[:, 0], "actual": ds.preprocessing.to_units(T)[:, 0]}
    actual = T.argmax(axis=1) if T.shape[1] > 1 else (T[:, 0] > 0.5).astype(np.intp)
    return {"task": "classification", "n_classes": units.shape[1],
            "predicted": units.argmax(axis=1), "actual": actual}


def _thumbnail_nodes(net) -> list[str]:
    """Hidden nodes drawn neuron by neuron (≤ MAX_THUMBS), in order, while THUMB_BUDGET lasts."""
    chosen, left = [], THUMB_BUDGET
    for n in net.order:
        size = net.sizes[n]
        if net.graph.nodes[n].kind == "hidden" and size <= MAX_THUMBS and size <= left:
            chosen.append(n)
            left -= size
    return chosen


class Session:
    """The worker's state: design, data, network, trainer; one method per command."""

    def __init__(self, send, can_send=lambda: True):
        self.send = send
        self.can_send = can_send    # False while the last message is still on its way
        self.net = self.trainer = self.dataset = None
        self.data_key = None
        self.playing = False
        self.pending_steps, self.pending_losses, self.pending_epochs = [], [], []
        self.grid = self.thumb_grid = None
        self.thumb_nodes: list[str] = []
        self.validation_at = 0.0    # when the validation predictions were last sent

    # ----- commands -------------------------------------------------------
    def design(self, design: dict, keep_weights: bool, base_dir: str | None = None) -> None:
        from engine import Graph, Network
        from engine.data.datasets import check_design, from_settings
        from engine.train.trainer import Trainer, TrainingConfig
        self.playing = False
        graph = Graph.from_dict(design)
        key = f"{graph.loss}{base_dir}" + repr(sorted((k, repr(v)) for k, v in graph.settings.items()
                                       if k in DATA_KEYS))
        # Everything is checked before anything is replaced: a bad design or data file
        # leaves the previous data, network and trainer in use together.
        dataset = self.dataset
        if dataset is None or key != self.data_key:
            dataset = from_settings(graph.settings, graph.loss, base_dir)
        check_design(graph, dataset)
        config = TrainingConfig.from_settings(graph.settings)
        if keep_weights and self.net is not None:
            net = self.net.rebuild(graph)
        else:
            net = Network(graph, seed=config.seed)
        trainer = Trainer(net, dataset, config)
        self.dataset, self.data_key, self.net, self.trainer = dataset, key, net, trainer
        self.trainer.events.diverged.connect(self._on_diverged)
        self.trainer.events.epoch_finished.connect(self._on_epoch)
        self.health = LiveHealth(net, dataset)      # findings travel with the snapshots
        self.thumb_nodes = _thumbnail_nodes(net)
        if self.dataset.is_2d():
            extent = _extent(self.dataset)
            self.grid = self.dataset.transform(_plane(extent, GRID)).astype(net.dtype)
            self.thumb_grid = self.dataset.transform(_plane(extent, THUMB)).astype(net.dtype)
        else:
            self.grid = self.thumb_grid = None
        self.send(("ready", _dataset_info(self.dataset)))
        self.send(("snapshot", self.snapshot()))

    def _on_diverged(self, reason: str) -> None:
        self.playing = False
        self.health.note_diverged(reason)
        self.send(("diverged", reason))

    def _on_epoch(self, report) -> None:
        self.pending_epochs.append(dict(vars(report)))

    def play(self):
        self.playing = self.trainer is not None

    def pause(self):
        self.playing = False
        if self.trainer is not None:
            self.send(("snapshot", self.snapshot()))

    def step(self):
        if self.trainer is None:
            return
        self.playing = False
        from engine.train.update_story import told_step
        loss, story = told_step(self.trainer)     # the step, told: w → step → new w, loss after
        if story is not None:
            self.pending_steps.append(self.trainer.step_count)
            self.pending_losses.append(loss)
        self.send(("snapshot", dict(self.snapshot(), update=story)))

    def reset(self):
        if self.trainer is None:
            return
        self.playing = False
        self.trainer.reset()
        self.health.clear()
        self.pending_steps, self.pending_losses, self.pending_epochs = [], [], []
        self.send(("snapshot", self.snapshot(reset=True)))

    def set_lr(self, lr: float):
        if self.trainer is not None:
            self.trainer.lr = float(lr)
            self.health.clear()

    def check_health(self):
        """A health check now: in the next snapshot while playing, in one sent at once otherwise."""
        if self.trainer is not None:
            self.health.ask()
            if not self.playing:
                self.send(("snapshot", self.snapshot()))

    def set_parameters(self, values: dict):
        if self.net is not None:
            self.net.load_parameters(values)
            self.send(("snapshot", self.snapshot()))

    def set_weight(self, name: str, index, value: float):
        if self.net is not None and name in self.net.parameters():
            self.net.parameters()[name][tuple(index)] = value
            self.net.apply_masks()
            self.send(("snapshot", self.snapshot()))

    # ----- training -------------------------------------------------------
    def _one_step(self) -> bool:
        t = self.trainer
        loss = t.step()
        if t.diverged_reason:
            return False
        self.pending_steps.append(t.step_count)
        self.pending_losses.append(loss)
        return True

    def train_slice(self) -> None:
        """Train for about SLICE seconds, then send one snapshot if the last one has gone
        (else its steps and epochs wait for the next: a window slow to take a big
        snapshot sees fewer of them, and training does not wait for it)."""
        t = self.trainer
        end = time.perf_counter() + SLICE
        while time.perf_counter() < end:
            for _ in range(8):
                if not self._one_step():
                    self.playing = False
                    break
            if not self.playing:
                break
            if t.config.epochs and t.epoch >= t.config.epochs:
                self.playing = False
                self.send(("snapshot", self.snapshot()))
                self.send(("finished",))
                return
        if self.can_send() or not self.playing:     # the state training stopped in always goes
            self.send(("snapshot", self.snapshot()))

    def snapshot(self, reset: bool = False) -> dict:
        # Huge (diverging) weights overflow on the plane and in norms: inf is shown, not warned.
        with np.errstate(all="ignore"):
            return self._snapshot(reset)

    def _snapshot(self, reset: bool) -> dict:
        from engine.model.param_names import is_weight, weight_name
        net, t = self.net, self.trainer
        params = {k: p.copy() for k, p in net.parameters().items()}
        grads = {k: g.copy() for k, g in net.gradients.items() if is_weight(k)}
        snap = {"step": t.step_count, "epoch": t.epoch, "reset": reset,
                "steps": np.asarray(self.pending_steps, np.int64),
                "losses": np.asarray(self.pending_losses, np.float64),
                "epochs": self.pending_epochs,
                "weights": params, "gradients": grads,
                "grad_norms": {c.key: float(np.linalg.norm(grads[weight_name(*c.pair)].astype(np.float64)))
                               for c in net.graph.connections.values()},
                "lr": t.lr}
        self.pending_steps, self.pending_losses, self.pending_epochs = [], [], []
        if self.grid is not None:
            out = net.forward(self.grid)
            col = out[:, 1] if out.shape[1] == 2 else out[:, 0]
            if self.dataset.task == "regression":   # the points carry raw targets
                col = col * self.dataset.target_std + self.dataset.target_mean
            snap["boundary"] = col.reshape(GRID, GRID).astype(np.float32)
            net.forward(self.thumb_grid)
            snap["thumbnails"] = {n: net.a[n].T.reshape(-1, THUMB, THUMB).astype(np.float32)
                                  for n in self.thumb_nodes}
        if not self.playing or time.perf_counter() - self.validation_at >= VALIDATION_EVERY:
            self.validation_at = time.perf_counter()
            snap["validation"] = _validation(net, self.dataset)
        health = self.health.payload(t, time.perf_counter(), force=not self.playing)
        if health is not None:
            snap["health"] = health
        return snap


def run_worker(conn) -> None:
    """The worker process's main loop."""
    sender = PipeSender(conn, "backprop-studio-replies")
    session = Session(sender.send, lambda: sender.idle)
    while True:
        timeout = 0 if session.playing else 0.05
        while conn.poll(timeout):
            message = conn.recv()
            command, args = message[0], message[1:]
            if command == "quit":
                return
            try:
                getattr(session, command)(*args)
            except Exception as e:  # the GUI shows the message and keeps the user's design
                session.playing = False
                sender.send(("error", _describe(e)))
            timeout = 0
        if session.playing:
            try:
                session.train_slice()
            except Exception as e:
                session.playing = False
                sender.send(("error", _describe(e)))


def _describe(e: Exception) -> str:
    if isinstance(e, ValueError):
        return str(e)
    return f"{type(e).__name__}: {e}"
