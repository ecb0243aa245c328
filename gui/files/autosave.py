"""Autosave and crash recovery: the open design and its weights, kept in the user's data folder.

Each running app owns a slot, ``<data>/autosave/<pid>-<start>/``, holding ``lock.json``
(the owner's process id and start time), ``design.json`` (the design with its training
settings), ``weights.npz`` (the trained weights, when there is a network) and
``info.json`` (the file it came from, its name, when it was saved). A few seconds after
a change, and every half minute while training moves the weights, the slot is written
(atomically, file by file; the timers' saves in a background thread, autosave_writer.py);
it is emptied when nothing is unsaved and removed on a clean exit. A slot whose owner
no longer runs is what a crash or a kill left behind: the next start offers to restore
it. A restored slot becomes the restoring app's own (``Autosave.adopt``), so that it
stays on disk until that app's next autosave overwrites it: a crash in between offers
it again.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from engine import Graph, GraphError
from engine.io.onnx_export import expected_shapes
from engine.io.weights import WeightsError, check_weights, load_weights
from gui.files.autosave_writer import (DESIGN, INFO, LOCK, WEIGHTS, SlotContents, SlotWriter,
                                       write_lock, write_slot)
from gui.files.document import APP_NAME

DATA_ENV = "BACKPROP_STUDIO_DATA"   # overrides the data folder (tests, portable installs)
DELAY_MS = 3000                     # after the last change
TRAINING_INTERVAL_MS = 30000        # while training changes the weights
EMPTY_SLOT_GRACE_S = 60            # an empty slot younger than this may be an app's being made


def data_dir() -> Path:
    """The user's data folder for the app (platformdirs), or $BACKPROP_STUDIO_DATA."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    import platformdirs
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def autosave_root() -> Path:
    return data_dir() / "autosave"


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _running(lock: dict) -> bool:
    pid = lock.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:            # exists, owned by someone else
        pass
    start = lock.get("start")
    return start is None or _process_start(pid) in (None, start)


def _age(path: Path) -> float:
    """Seconds since ``path`` was last modified (0 if it has gone meanwhile)."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _lock_info() -> dict:
    return {"pid": os.getpid(), "start": _process_start(os.getpid())}


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Recovery:
    """An autosave left by an app that did not close cleanly."""
    slot: Path
    name: str
    path: str | None
    saved_at: float
    has_weights: bool

    def load(self) -> tuple[Graph, dict | None, str | None]:
        """(design, weights or None, why the weights were dropped or None); GraphError if unreadable."""
        graph = Graph.load(self.slot / DESIGN)
        if not self.has_weights:
            return graph, None, None
        try:
            params = load_weights(self.slot / WEIGHTS)
            check_weights(expected_shapes(graph), params)
        except WeightsError as e:
            return graph, None, str(e)
        return graph, params, None

    def discard(self) -> None:
        shutil.rmtree(self.slot, ignore_errors=True)


def pending_recoveries() -> list[Recovery]:
    """Autosaves of apps no longer running, newest first; empty leftovers are removed."""
    root = autosave_root()
    if not root.is_dir():
        return []
    found = []
    for slot in root.iterdir():
        if not slot.is_dir() or _running(_read_json(slot / LOCK)):
            continue
        if not (slot / DESIGN).is_file():
            # A young one may be a starting app's, made a moment before its lock is written.
            if _age(slot) > EMPTY_SLOT_GRACE_S:
                shutil.rmtree(slot, ignore_errors=True)
            continue
        info = _read_json(slot / INFO)
        saved_at = info.get("saved_at")
        if not isinstance(saved_at, (int, float)):
            saved_at = time.time() - _age(slot / DESIGN)
        path = info.get("path") if isinstance(info.get("path"), str) else None
        name = info.get("name") if isinstance(info.get("name"), str) else "Untitled"
        found.append(Recovery(slot, name, path, float(saved_at), (slot / WEIGHTS).is_file()))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


class Autosave(QObject):
    """Keeps the design and weights in this app's autosave slot; ``saved`` after each write.

    ``training`` (a TrainingController) gives the network and the training step;
    ``show_message`` reports a failed write; ``parent`` is the window, for dialogs. A
    restored autosave's weights go out in ``weights_recovered``, to be loaded once the
    network is rebuilt. ``writer`` writes the timers' saves in the background.
    """

    saved = Signal(str)
    weights_recovered = Signal(object)

    def __init__(self, graph, undo_stack, document, training, show_message: Callable[[str], None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.graph, self.document, self.training = graph, document, training
        self.show_message = show_message
        self.dialog_parent = parent
        self.slot = autosave_root() / f"{os.getpid()}-{int(time.time() * 1000)}"
        self._clean_step = 0        # the training step when the design was last saved or opened
        self._saved_step = -1
        self._weights_changed = False   # weights loaded from outside (Import Weights) since then
        self._closed = False
        self.writer = SlotWriter(parent=self)
        self.writer.done.connect(self._written)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DELAY_MS)
        self.timer.timeout.connect(self.save_later)
        self.training_timer = QTimer(self)
        self.training_timer.setInterval(TRAINING_INTERVAL_MS)
        self.training_timer.timeout.connect(self._while_training)
        self.training_timer.start()
        graph.events.changed.connect(self.schedule)
        undo_stack.indexChanged.connect(self.schedule)
        document.changed.connect(self.schedule)
        document.loaded.connect(self._mark_clean)
        document.saved.connect(self._mark_clean)

    # ----- state --------------------------------------------------------------
    def _step(self) -> int:
        latest = self.training.latest
        return int(latest.get("step", 0)) if latest else 0

    def needed(self) -> bool:
        """Something would be lost in a crash: unsaved edits, training or imported weights."""
        return (self.document.is_dirty() or self._weights_changed
                or self._step() != self._clean_step)

    def _mark_clean(self, *_args) -> None:
        self._clean_step = self._step()
        self._weights_changed = False
        self.schedule()

    def note_weights_changed(self) -> None:
        """The network's weights were replaced without an edit (Import Weights): keep them too."""
        self._weights_changed = True
        self.schedule()

    def schedule(self, *_args) -> None:
        if not self._closed:
            self.timer.start()

    def _while_training(self) -> None:
        if self._step() != self._saved_step:
            self.save_later()

    # ----- writing ------------------------------------------------------------------
    def save_now(self) -> bool:
        """Write the slot now (or empty it when nothing is unsaved); False if writing failed."""
        self.timer.stop()
        if self._closed:
            return False
        self.writer.wait()          # a background write of older contents lands first
        contents = self._contents()
        if contents is None:
            return True
        try:
            write_slot(contents)
        except (OSError, GraphError, WeightsError, ValueError) as e:
            self.show_message(f"Autosave failed: {e}")
            return False
        self._saved_step = contents.step
        self.saved.emit(str(self.slot))
        return True

    def save_later(self) -> None:
        """What the timers do: take the contents now, write them in the background."""
        self.timer.stop()
        if self._closed:
            return
        contents = self._contents()
        if contents is not None:
            self._saved_step = contents.step
            self.writer.submit(contents)

    def _contents(self) -> SlotContents | None:
        """A copy of what to write, or None after emptying the slot (nothing is unsaved)."""
        if not self.needed():
            self.clear()
            return None
        doc, net = self.document, self.training.net
        weights = None
        if net is not None and net.parameter_shapes() == expected_shapes(self.graph):
            weights = {k: np.array(v, copy=True) for k, v in net.parameters().items()}
        info = {"name": doc.name, "path": str(doc.path) if doc.path else None, "saved_at": time.time()}
        return SlotContents(self.slot, self.graph.to_dict(), weights, info, _lock_info(), self._step())

    def _written(self, contents: SlotContents, error: str | None) -> None:
        if self._closed or contents.slot != self.slot:
            return
        if error is not None:
            self._saved_step = -1
            self.show_message(f"Autosave failed: {error}")
        else:
            self.saved.emit(str(self.slot))

    @staticmethod
    def _write_lock(slot: Path) -> None:
        write_lock(slot, _lock_info())

    def adopt(self, slot: Path) -> None:
        """Make ``slot``, a crashed app's autosave just restored, this app's own; OSError if not.

        Its files stay until this app's next autosave replaces them one by one (or a clean
        save or exit removes the slot). This app's own slot goes: the restore replaced its design.
        """
        slot = Path(slot)
        self.writer.wait()
        self._write_lock(slot)
        if slot != self.slot:
            shutil.rmtree(self.slot, ignore_errors=True)
        self.slot = slot

    def clear(self) -> None:
        """Remove this app's autosave (nothing is unsaved, or the app closes cleanly)."""
        self.writer.cancel_pending()
        self.writer.wait()
        shutil.rmtree(self.slot, ignore_errors=True)

    def detach(self) -> None:
        """Stop following the Graph, which may outlive this object."""
        self.graph.events.changed.disconnect(self.schedule)

    def close(self) -> None:
        """A clean exit: stop and remove the slot."""
        self._closed = True
        self.detach()
        self.timer.stop()
        self.training_timer.stop()
        self.clear()


# ----- recovery at start --------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """Ask to restore the newest autosave a crash left; True if a design was restored."""
        recoveries = pending_recoveries()
        if not recoveries:
            return False
        rec = recoveries[0]
        clicked = _ask_restore(self.dialog_parent, rec, len(recoveries) - 1)
        if clicked == "discard":
            rec.discard()
            self.show_message(f"Discarded the autosave of {rec.name}")
            return False
        if clicked != "restore":
            return False
        return self.restore(rec)

    def restore(self, rec: Recovery) -> bool:
        """Make ``rec`` the design (marked unsaved), send out its weights, adopt its slot."""
        try:
            graph, params, dropped = rec.load()
        except GraphError as e:
            QMessageBox.warning(self.dialog_parent, "Cannot restore",
                                f"The autosave could not be read.\n\n{e}")
            return False
        base = rec.name[:-len(" (recovered)")] if rec.name.endswith(" (recovered)") else rec.name
        self.document.replace_design(graph, None, f"{base} (recovered)")
        self.document.mark_modified()
        if params is not None:
            self.weights_recovered.emit(params)
        try:
            self.adopt(rec.slot)
        except OSError:
            pass        # it stays as it was, offered again next time: never lost, at worst a duplicate
        note = f" (its weights were not: {dropped})" if dropped else ""
        self.show_message(f"Restored the autosave of {rec.name}{note}: save it to keep it")
        return True


def _ask_restore(parent, rec: Recovery, older: int) -> str:
    """"restore", "discard" or "later": the user's answer about ``rec``."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.saved_at))
    where = f" ({rec.path})" if rec.path else ""
    more = f"\n\n{older} older autosave(s) will be offered next time." if older else ""
    box = QMessageBox(QMessageBox.Question, "Restore unsaved work?",
                      f"{APP_NAME} did not close normally last time. An autosaved copy of "
                      f"“{rec.name}”{where} from {when} was found"
                      f"{', with its trained weights' if rec.has_weights else ''}.\n\n"
                      f"Restore it?{more}", parent=parent)
    restore = box.addButton("Restore", QMessageBox.AcceptRole)
    discard = box.addButton("Discard", QMessageBox.DestructiveRole)
    box.addButton("Not now", QMessageBox.RejectRole)
    box.setDefaultButton(restore)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "later"
