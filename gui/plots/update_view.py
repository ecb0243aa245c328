"""One update in one place: w → the optimiser's step → new w, and the batch's loss before and after.

``UpdateView`` shows an ``engine.train.update_story.UpdateStory`` for one parameter entry:
the selected edge's weight (or a neuron's bias), or, with nothing selected, the weight that
moved most. The Training dock shows the story of the last Step; the Replay dock shows the
plain gradient step of its update frame. It lives in ``plots`` because both use it.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.model.param_names import bias_name, connection_named, is_weight, weight_name

DIGITS = 10
EMPTY = "<p style='color: gray'>Press <b>Step</b> to train one mini-batch and see one weight's update here.</p>"


def num(value: float) -> str:
    """Ten significant digits and a true minus sign."""
    return f"{value:.{DIGITS}g}".replace("-", "−")


def entry_name(name: str, index: tuple, pairs) -> str:
    """"w(x[0] → h[1])" for entry (1, 0) of W:x->h; "b(h[1])" for entry (1,) of b:h."""
    if is_weight(name):
        src, dst = connection_named(name, pairs)
        return f"w({src}[{index[1]}] → {dst}[{index[0]}])"
    return f"b({name.removeprefix('b:')}[{index[0]}])"


def _names_connections_of(story, pairs) -> bool:
    """Every weight ``story`` tells of is of one of the connections ``pairs``."""
    names = {weight_name(src, dst) for src, dst in pairs}
    return all(name in names for name in story.before if is_weight(name))


def most_moved(story) -> tuple[str, tuple] | None:
    """The weight entry whose value changed most in ``story`` (a bias if there are no weights)."""
    best, where = -1.0, None
    for name, before in story.before.items():
        if before.size == 0 or (where is not None and is_weight(where[0]) and not is_weight(name)):
            continue
        change = np.abs(story.after[name] - before)
        k = np.unravel_index(int(np.argmax(change)), change.shape)
        if change[k] > best or (where is not None and is_weight(name) and not is_weight(where[0])):
            best, where = float(change[k]), (name, tuple(int(i) for i in k))
    return where


class UpdateView(QWidget):
    """Rich text of one entry's update; ``set_story`` then ``set_entry`` (or nothing: the
    weight that moved most)."""

    def __init__(self, title: str = "Last step", compact: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.title, self.compact = title, compact
        self.caption = ""
        self._step = None     # the training step the story tells
        self.story = None
        self.pairs: list = []
        self.note = ""
        self._entry: tuple[str, tuple] | None = None
        self.label = QLabel(EMPTY)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.RichText)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.label.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.label)

    def set_story(self, story, pairs, caption: str = "", note: str = "") -> None:
        """Show ``story`` (None: clear); ``pairs`` are the design's connections (src, dst);
        ``caption`` says which update it is; ``note`` is added under it."""
        self.story, self.pairs, self.caption, self.note = story, list(pairs), caption, note
        self._render()

    def take_snapshot(self, snap: dict, graph) -> None:
        """Show the story a training snapshot carries (a Step's); clear on new weights. A story
        of a design since edited (a weight of a connection it no longer has) is not shown."""
        pairs = [c.pair for c in graph.connections.values()]
        story = snap.get("update")
        if story is not None and not _names_connections_of(story, pairs):
            story = None
        if story is not None or snap.get("reset"):
            self._step = snap["step"]
            self.set_story(story, pairs, f"(step {snap['step']})")
        elif self.story is not None and snap["step"] != self._step and "since" not in self.caption:
            self.caption = f"(step {self._step}; training has gone on since)"
            self._render()

    def set_entry(self, name: str | None, index=None) -> None:
        """The parameter entry to show (None: the weight that moved most)."""
        self._entry = None if name is None else (name, tuple(np.atleast_1d(index).tolist()))
        self._render()

    def select_edge(self, edge) -> None:
        """Show the weight of ``edge`` = (src, dst, i, j), or with None the one that moved most."""
        self.set_entry(None) if edge is None else self.set_entry(weight_name(edge[0], edge[1]),
                                                                 (edge[2], edge[3]))

    def select_bias(self, node: str, k: int) -> None:
        self.set_entry(bias_name(node), (k,))

    def text(self) -> str:
        return self.label.text()

    def _render(self) -> None:
        story = self.story
        if story is None:
            self.label.setText(EMPTY)
            return
        chosen = self._entry if self._entry is not None and story.entry(*self._entry) else None
        where = chosen or most_moved(story)
        if self.compact:
            self.label.setText(self._compact_html(where) + self.note)
            return
        body = "" if where is None else self._entry_html(where, chosen is None)
        change = story.loss_after - story.loss_before
        self.label.setText(
            f"<b>{self.title}</b> {self.caption} · {story.optimizer}, lr = {num(story.lr)}, "
            f"batch of {story.batch_size}"
            f"<br>Loss on this batch: <b>{num(story.loss_before)}</b> before → "
            f"<b>{num(story.loss_after)}</b> after ({'−' if change < 0 else '+'}"
            f"{abs(change):.3g}){body}{self.note}")

    def _compact_html(self, where) -> str:
        """Two lines: w → step → new w, then the loss before and after."""
        story = self.story
        head = f"<b>{self.title}</b> {self.caption} ({story.optimizer}, lr = {num(story.lr)})"
        if where is not None:
            e = story.entry(*where)
            sym = "w" if is_weight(where[0]) else "b"
            head += (f": {entry_name(where[0], where[1], self.pairs)} = {num(e.before)} → "
                     f"−lr · ∂L/∂{sym} = −{num(story.lr)} · ({num(e.gradient)}) = {num(e.plain)} → "
                     f"new {sym} = <b>{num(e.after)}</b>")
        change = story.loss_after - story.loss_before
        return (f"{head}<br>Loss on this batch: <b>{num(story.loss_before)}</b> before → "
                f"<b>{num(story.loss_after)}</b> after ({'−' if change < 0 else '+'}{abs(change):.3g})")

    def _entry_html(self, where, automatic: bool) -> str:
        story = self.story
        e = story.entry(*where)
        name = entry_name(where[0], where[1], self.pairs)
        sym = "w" if is_weight(where[0]) else "b"
        rows = [(f"{sym} before", num(e.before)), (f"∂L/∂{sym}", num(e.gradient)),
                (f"−lr · ∂L/∂{sym}", num(e.plain))]
        if story.optimizer != "sgd":
            rows.append((f"{story.optimizer}'s step", num(e.step)))
        rows.append((f"new {sym}", f"<b>{num(e.after)}</b>"))
        table = "".join(f"<tr><td>{k}&nbsp;&nbsp;</td><td align='right'>{v}</td></tr>"
                        for k, v in rows)
        hint = (" <span style='color: gray'>(moved most; select an edge for another)</span>"
                if automatic else "")
        return (f"<p><b>{name}</b>{hint}: {num(e.before)} → {num(e.after)}</p>"
                f"<table cellspacing='0'>{table}</table><p>{story.sentence()}</p>")

