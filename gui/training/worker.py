"""The GUI's handle on the training worker process.

``TrainingWorker`` starts ``gui.training.worker_process.run_worker`` in a spawned process
with ``OPENBLAS_NUM_THREADS=1``, sends it commands and, on a 30 Hz timer, drains
its replies without ever blocking: step losses and epoch reports are passed on as
they come, of the snapshots only the newest is kept and announced.

Commands go out through a ``PipeSender`` thread, never from the GUI thread itself: a
GUI blocked sending a big message while the worker was blocked sending it a snapshot
was a deadlock that froze the window for good. The GUI thread only queues and reads.

A snapshot of a big design (a chain of 1,000 neurons) can take the window a few hundred
milliseconds to paint; polling every 33 ms would then leave it no time for the user.
So the poll interval follows the cost of handling a snapshot: twice the cheapest of the
last three (a single slow one, such as the first paint, changes nothing), so that at
least half of the GUI's time stays free, between POLL_MS and MAX_POLL_MS.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from engine import Graph

from gui.training.pipe_sender import PipeSender
from gui.training.worker_process import run_worker

POLL_MS = 33          # ~30 polls a second while the GUI keeps up
MAX_POLL_MS = 1000    # however slow painting is, snapshots still come once a second
QUIT_WAIT = 1.0       # seconds a quitting worker gets before it is killed


class TrainingWorker(QObject):
    """Commands to, and snapshots from, the training process."""

    ready = Signal(dict)          # dataset info after a design was accepted
    snapshot = Signal(dict)       # the newest snapshot (weights, gradients, boundary...)
    losses = Signal(object, object)   # step indices, step losses (numpy arrays), every one of them
    epoch = Signal(dict)          # one epoch report
    diverged = Signal(str)
    finished = Signal()
    error = Signal(str)
    state_changed = Signal(str)   # "idle", "playing", "paused"
    was_reset = Signal()          # new weights: histories start again
    health = Signal(dict)         # {"step", "findings"}: the latest health check (never dropped)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._process = None
        self._conn = None
        self._sender: PipeSender | None = None
        self.state = "idle"
        self.latest: dict | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._costs = deque([0.0, 0.0], maxlen=3)    # seconds the latest snapshots took to handle

    # ----- process --------------------------------------------------------
    def start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        if self._process is not None:
            self.stop()                 # a process that died: close its pipe and sender first
        ctx = mp.get_context("spawn")   # never fork a process that runs Qt
        parent_conn, child_conn = ctx.Pipe()
        saved = os.environ.get("OPENBLAS_NUM_THREADS")
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        try:
            self._process = ctx.Process(target=run_worker, args=(child_conn,), daemon=True,
                                        name="backprop-studio-trainer")
            self._process.start()
        finally:
            if saved is None:
                os.environ.pop("OPENBLAS_NUM_THREADS", None)
            else:
                os.environ["OPENBLAS_NUM_THREADS"] = saved
        child_conn.close()
        self._conn = parent_conn
        self._sender = PipeSender(parent_conn, "backprop-studio-commands")
        self._timer.start()

    def stop(self) -> None:
        """Ask the process to quit and wait briefly; kill it if it does not."""
        self._timer.stop()
        if self._process is None or self._conn is None:
            self._process = self._conn = None
            return
        self._sender.send(("quit",))
        # Read (and drop) replies meanwhile: a worker blocked sending a big snapshot
        # would otherwise never get to read "quit".
        deadline = time.perf_counter() + QUIT_WAIT
        while self._process.is_alive() and time.perf_counter() < deadline:
            try:
                while self._conn.poll(0.01):
                    self._conn.recv()
            except (EOFError, OSError):
                break
        self._process.join(max(0.0, deadline - time.perf_counter()))
        if self._process.is_alive():
            self._process.kill()
            self._process.join(1.0)
        self._sender.close()           # the pipe's far end is gone: a pending send fails
        self._conn.close()
        self._process = self._conn = self._sender = None
        self._set_state("idle")

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def poll_interval(self) -> int:
        """Milliseconds between two polls of the replies: longer while snapshots are slow to handle."""
        return self._timer.interval()

    def _send(self, *message) -> None:
        """Send a command; only a design starts the process (nothing else means anything before one)."""
        if message[0] == "design":
            self.start()
        elif self._conn is None:
            return
        self._sender.send(message)

    # ----- commands -------------------------------------------------------
    def load_design(self, graph: Graph, keep_weights: bool = True, base_dir: str | None = None) -> None:
        """Send the design; a relative CSV path in its settings is read from ``base_dir``."""
        self._send("design", graph.to_dict(), keep_weights, base_dir)
        self._set_state("paused")

    def play(self):
        self._send("play")
        self._set_state("playing")

    def pause(self):
        self._send("pause")
        self._set_state("paused")

    def step(self):
        self._send("step")
        self._set_state("paused")

    def reset(self):
        self._send("reset")
        self._set_state("paused")

    def set_lr(self, lr: float):
        self._send("set_lr", float(lr))

    def set_weight(self, name: str, index: tuple, value: float):
        self._send("set_weight", name, tuple(int(i) for i in index), float(value))

    def check_health(self):
        self._send("check_health")

    def set_parameters(self, values: dict):
        self._send("set_parameters", {k: v.copy() for k, v in values.items()})

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # ----- replies --------------------------------------------------------
    def poll(self) -> int:
        """Handle every reply waiting in the pipe; return how many there were."""
        if self._conn is None:
            return 0
        start = time.perf_counter()
        newest = None
        count = 0
        try:
            while self._conn.poll():
                kind, *args = self._conn.recv()
                count += 1
                if kind == "snapshot":
                    snap = args[0]
                    if snap.get("reset"):
                        self.was_reset.emit()
                    if len(snap["steps"]):
                        self.losses.emit(snap["steps"], snap["losses"])
                    for report in snap["epochs"]:
                        self.epoch.emit(report)
                    if "health" in snap:
                        self.health.emit(snap["health"])
                    newest = snap
                elif kind == "ready":
                    self.ready.emit(args[0])
                elif kind == "diverged":
                    self._set_state("paused")
                    self.diverged.emit(args[0])
                elif kind == "finished":
                    self._set_state("paused")
                    self.finished.emit()
                elif kind == "error":
                    self._set_state("paused")
                    self.error.emit(args[0])
        except (EOFError, OSError):
            self.error.emit("the training process ended unexpectedly; press Reset to start again")
            self.stop()
        if newest is not None:
            self.latest = newest
            self.snapshot.emit(newest)
            self._costs.append(time.perf_counter() - start)
            self._timer.setInterval(int(min(MAX_POLL_MS, max(POLL_MS, 2000 * min(self._costs)))))
        return count
