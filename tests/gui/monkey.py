"""Random user actions on a main window, with the checks a monkey test makes after each one.

``Monkey(window, seed, folder).run(n)`` draws ``n`` actions (place, connect, mask, resize, set
an activation or a weight, move, delete, copy and paste, auto-layout, undo, redo, change the
loss, train, replay, save and open, new, open an example) and after each checks that the
canvas shows exactly the Graph, that undo and redo return to the exact earlier states, that the
title's unsaved mark follows the undo stack, and that nothing raised (an exception in a Qt slot
reaches ``sys.excepthook``, which the monkey records while it runs). Used by
tests/gui/test_monkey.py (short) and bench/monkey.py (long).
"""
from __future__ import annotations

import json
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from engine.nn.activations import HIDDEN_ACTIVATIONS
from engine.nn.losses import LOSSES
from gui.files.document import examples

WEIGHTS = {"place": 12, "connect": 14, "mask": 5, "unmask": 2, "resize": 5, "activation": 4,
           "weight": 3, "move": 4, "delete": 5, "copy_paste": 2, "duplicate": 2, "layout": 1,
           "undo": 10, "redo": 5, "loss": 2, "train_step": 3, "play": 2, "reset": 1,
           "replay": 2, "save_open": 1, "new": 1, "example": 1}


def state(graph) -> str:
    """The design as canonical text: equal texts, equal designs (positions and masks included)."""
    d = graph.to_dict()
    d.pop("preprocessing", None)    # fitted by the trainer when its data loads: not an undo step
    d["nodes"] = sorted(d["nodes"], key=lambda n: n["id"])
    d["connections"] = sorted(d["connections"], key=lambda c: (c["src"], c["dst"]))
    return json.dumps(d, sort_keys=True)


class Failure(AssertionError):
    pass


class Monkey:
    """Drives ``window`` with actions drawn from a seeded generator."""

    def __init__(self, window, seed: int, folder: Path):
        self.w, self.seed, self.folder = window, seed, Path(folder)
        self.rng = np.random.default_rng(seed)
        self.done: list[str] = []
        self.counts: Counter = Counter()
        self.raised: list[str] = []
        self._states: dict[int, str] = {}
        self._remember_all()

    # ----- running ----------------------------------------------------------------
    def run(self, n: int) -> Counter:
        previous = sys.excepthook
        sys.excepthook = lambda t, e, tb: self.raised.append(
            "".join(traceback.format_exception(t, e, tb)))
        try:
            names, p = list(WEIGHTS), np.array(list(WEIGHTS.values()), float)
            for _ in range(n):
                name = str(self.rng.choice(names, p=p / p.sum()))
                self.done.append(name)
                try:
                    getattr(self, "do_" + name)()
                    QApplication.processEvents()
                except Exception:  # noqa: BLE001 - any exception is the failure reported
                    self.raised.append(traceback.format_exc())
                self.counts[name] += 1
                self.check(name)
        finally:
            sys.excepthook = previous
        return self.counts

    def fail(self, what: str) -> None:
        raise Failure(f"seed {self.seed}, action {len(self.done)} ({self.done[-1]}): {what}\n"
                      f"actions: {' '.join(self.done)}")

    def check(self, name: str) -> None:
        w = self.w
        if self.raised:
            self.fail("raised:\n" + self.raised[0])
        mismatch = w.scene.items_match_graph()
        if mismatch is not None:
            self.fail(f"the canvas does not match the graph: {mismatch}")
        stack = w.undo_stack
        index = stack.index()
        now = state(w.graph)
        if name in ("undo", "redo"):
            if now != self._states.get(index):
                self.fail(f"{name} to index {index} did not return to the exact earlier design")
        elif index == self._index and now != self._states.get(index):
            self.fail("the design changed without an undoable command")
        self._index = index
        self._states[index] = now
        for k in [k for k in self._states if k > stack.count()]:
            del self._states[k]
        dirty = w.windowTitle().split(" — ")[0].endswith("*")
        if dirty != (not stack.isClean()):
            self.fail(f"title {w.windowTitle()!r} but the undo stack is "
                      f"{'clean' if stack.isClean() else 'not clean'}")

    def _remember_all(self) -> None:
        """After the stack was cleared (new, open): the one state there is."""
        self._index = self.w.undo_stack.index()
        self._states = {self._index: state(self.w.graph)}

    # ----- picking ------------------------------------------------------------------
    def _node(self, kinds=("input", "hidden", "output")) -> str | None:
        ids = [n.id for n in self.w.graph.nodes.values() if n.kind in kinds]
        return str(self.rng.choice(ids)) if ids else None

    def _connection(self):
        keys = list(self.w.graph.connections)
        return keys[int(self.rng.integers(len(keys)))] if keys else None

    def _point(self) -> QPointF:
        return QPointF(float(self.rng.uniform(-400, 800)), float(self.rng.uniform(-300, 500)))

    # ----- actions ------------------------------------------------------------------------
    def do_place(self):
        kind = str(self.rng.choice(["input", "hidden", "hidden", "hidden", "output"]))
        spec = {"kind": kind, "size": int(self.rng.integers(1, 13))}
        if kind == "hidden":
            spec["activation"] = str(self.rng.choice(HIDDEN_ACTIVATIONS))
        elif kind == "output":
            spec["activation"] = str(self.rng.choice(["sigmoid", "linear", "softmax"]))
        self.w.scene.add_node_at(spec, self._point())

    def do_connect(self):
        src, dst = self._node(("input", "hidden")), self._node(("hidden", "output"))
        if src and dst:
            self.w.scene.connect_nodes(src, dst)        # refusals show a message

    def do_mask(self):
        key = self._connection()
        if key:
            g = self.w.graph
            i = int(self.rng.integers(g.nodes[key[1]].size))
            j = int(self.rng.integers(g.nodes[key[0]].size))
            self.w.scene.remove_edge(key[0], key[1], i, j)

    def do_unmask(self):
        key = self._connection()
        if key:
            self.w.scene.restore_edges(*key)

    def do_resize(self):
        node = self._node()
        if node:
            self.w.inspector.resize_node(node, int(self.rng.integers(1, 13)))

    def do_activation(self):
        node = self._node(("hidden",))
        if node:
            self.w.inspector.set_activation(node, str(self.rng.choice(HIDDEN_ACTIVATIONS)))

    def do_weight(self):
        key = self._connection()
        if key and self.w.training.net is not None:
            g = self.w.graph
            i, j = int(self.rng.integers(g.nodes[key[1]].size)), int(self.rng.integers(g.nodes[key[0]].size))
            self.w.inspector.set_weight(key[0], key[1], i, j, float(self.rng.normal()))

    def do_move(self):
        node = self._node()
        if node:
            self.w.scene.node_items[node].setPos(self._point())
            self.w.scene.commit_moves()

    def _select(self) -> None:
        scene = self.w.scene
        scene.clearSelection()
        items = list(scene.node_items.values()) + list(scene.connection_items.values())
        for k in self.rng.permutation(len(items))[:int(self.rng.integers(1, 4))]:
            items[int(k)].setSelected(True)

    def do_delete(self):
        self._select()
        self.w.scene.delete_selection()

    def do_copy_paste(self):
        self._select()
        if self.w.scene.copy_selection():
            self.w.scene.paste(self._point())

    def do_duplicate(self):
        self._select()
        self.w.scene.duplicate_selection()

    def do_layout(self):
        self.w.scene.auto_layout()

    def do_undo(self):
        for _ in range(int(self.rng.integers(1, 4))):
            if self.w.undo_stack.canUndo():
                self.w.undo_stack.undo()
                self.check("undo")

    def do_redo(self):
        for _ in range(int(self.rng.integers(1, 3))):
            if self.w.undo_stack.canRedo():
                self.w.undo_stack.redo()
                self.check("redo")

    def do_loss(self):
        self.w.set_loss(str(self.rng.choice(LOSSES)))

    def do_train_step(self):
        self.w.training.step()
        self._spin(0.05)

    def do_play(self):
        self.w.training.set_playing(True)
        self._spin(0.15)
        self.w.training.set_playing(False)

    def do_reset(self):
        self.w.training.reset()

    def do_replay(self):
        replay = self.w.replay
        replay.activate()
        for _ in range(int(self.rng.integers(1, 6))):
            replay.bar.step_forward()
        QApplication.processEvents()
        replay.deactivate()

    def do_save_open(self):
        path = self.folder / f"monkey_{self.seed}.json"
        if self.w.document.save_as(path):
            if not self.w.document.load(path):
                self.fail("a design saved a moment ago did not open")
            self._remember_all()

    def do_new(self):
        if self.w.document.new():
            self._remember_all()

    def do_example(self):
        choices = examples()
        _, path = choices[int(self.rng.integers(len(choices)))]
        if self.w.document.open_example(path):
            self._remember_all()

    def _spin(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.005)
