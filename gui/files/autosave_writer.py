"""Writing an autosave slot, on the GUI thread or in a background thread.

The GUI thread takes a ``SlotContents`` (the design's dict, copies of the weights, the
info), which no later edit or training step can change; ``write_slot`` writes it file by
file, each atomically (and so with an fsync: tens of milliseconds on a slow disk). The
``SlotWriter`` runs those writes one at a time in a thread of its own: a write asked for
while one runs waits its turn (only the newest waiting one is kept), and ``wait`` blocks
until nothing is pending, so that removing or adopting the slot never races a write.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine import GraphError
from engine.files.atomic import atomic_write
from engine.io.weights import WeightsError, save_weights
from engine.model import design_format

LOCK, DESIGN, WEIGHTS, INFO = "lock.json", "design.json", "weights.npz", "info.json"


@dataclass
class SlotContents:
    """What one autosave writes: ``weights`` None removes the slot's weights file."""
    slot: Path
    design: dict
    weights: dict[str, np.ndarray] | None
    info: dict
    lock: dict
    step: int


def write_lock(slot: Path, lock: dict) -> None:
    with atomic_write(slot / LOCK, "w") as f:
        json.dump(lock, f)


def write_slot(contents: SlotContents) -> None:
    """Write the slot; OSError, GraphError, WeightsError or ValueError if it failed."""
    slot = contents.slot
    slot.mkdir(parents=True, exist_ok=True)
    if not (slot / LOCK).is_file():
        write_lock(slot, contents.lock)
    design_format.write_design(slot / DESIGN, contents.design)
    if contents.weights is not None:
        save_weights(contents.weights, slot / WEIGHTS)
    else:
        (slot / WEIGHTS).unlink(missing_ok=True)
    with atomic_write(slot / INFO, "w") as f:
        json.dump(contents.info, f)


class SlotWriter(QObject):
    """Writes ``SlotContents`` in a background thread, one at a time.

    ``done`` (delivered on the GUI thread) carries the contents written and None, or the
    error's message. ``write`` is the function that writes (a test may slow it down).
    """

    done = Signal(object, object)

    def __init__(self, write: Callable[[SlotContents], None] = write_slot, parent=None):
        super().__init__(parent)
        self.write = write
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._next: SlotContents | None = None
        self._thread: threading.Thread | None = None

    def submit(self, contents: SlotContents) -> None:
        """Write ``contents`` after the write in progress (replacing any still waiting)."""
        with self._lock:
            self._next = contents
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="autosave", daemon=True)
                self._thread.start()

    def busy(self) -> bool:
        """A write is in progress or waiting."""
        with self._lock:
            return self._thread is not None

    def cancel_pending(self) -> None:
        """Drop the write still waiting (the one in progress finishes)."""
        with self._lock:
            self._next = None

    def wait(self) -> None:
        """Block until no write is in progress or waiting."""
        with self._idle:
            while self._thread is not None:
                self._idle.wait()

    def _run(self) -> None:
        while True:
            with self._lock:
                contents, self._next = self._next, None
                if contents is None:
                    self._thread = None
                    self._idle.notify_all()
                    return
            try:
                self.write(contents)
                error = None
            except (OSError, GraphError, WeightsError, ValueError) as e:
                error = str(e)
            except BaseException as e:     # never let the thread die holding the slot
                error = f"{type(e).__name__}: {e}"
            try:
                self.done.emit(contents, error)
            except RuntimeError:            # the window went without close(): nobody to tell
                pass

