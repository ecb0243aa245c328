"""The "Your turn" panel under the replay bar: practise the chain rule step by step.

With "Your turn" on, the replay stops at each frame that reveals a value of a kind the
learner chose (``ask(k)``); the panel names the value, lists the numbers it needs and takes a
typed answer (Enter checks it). A right answer, or Reveal, finishes the question; when the
frame has no question left the panel emits ``revealed(k)`` and the replay shows it. A wrong
answer keeps the value hidden and says which factor differs. The logic is ``practice``'s.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton,
                               QToolButton, QVBoxLayout, QWidget)

from gui.replay.practice import PracticeSession
from gui.replay.practice_questions import KIND_LABELS, KINDS, Question

KIND_TIPS = {"forward": "A neuron's value a = f(Σ w·a + b) in the forward pass",
             "local": "The local derivative f′(z) of a neuron's activation",
             "delta": "δ = ∂L/∂z: the upstream gradient times the local derivative",
             "path": "What one path carries back (δ · w), and the sum over every path a neuron feeds",
             "weight": "∂L/∂w = δ · a for one weight",
             "update": "The new weight after the step w − lr · ∂L/∂w"}
GOOD, BAD = "#2e7d32", "#c62828"


def number_text(value: float, digits: int) -> str:
    return f"{float(value):.{digits}g}".replace("-", "−")


class PracticePanel(QWidget):
    """The "Your turn" toggle, the kinds to practise, the question, the answer and the score."""

    revealed = Signal(int)          # every question of this frame is finished: show it
    toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = PracticeSession()
        self._frame: int | None = None          # the frame held back, if any
        self.toggle = QToolButton()
        self.toggle.setText("Your turn")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonTextOnly)
        self.toggle.setToolTip("Practice: the replay stops before each value and you compute it "
                               "(upstream gradient, local derivative, activation coming in are given)")
        self.toggle.toggled.connect(self._on_toggled)
        self.score_label = QLabel(self.session.score.text())
        self.score_label.setStyleSheet("color: #555")
        self.kinds_button = self._kinds_button()
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.toggle)
        header.addWidget(self.kinds_button)
        header.addWidget(self.score_label, 1)
        self.body = QWidget()
        self._build_body()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addLayout(header)
        layout.addWidget(self.body)
        self.body.hide()
        self.kinds_button.hide()

    def _kinds_button(self) -> QToolButton:
        """A drop-down of the kinds of step to practise, each ticked or not."""
        button = QToolButton()
        button.setText("Practise: all kinds")
        button.setToolTip("Choose which kinds of step the replay asks you to compute")
        button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(button)
        menu.setToolTipsVisible(True)
        self.kind_actions = {}
        for kind in KINDS:
            action = menu.addAction(KIND_LABELS[kind])
            action.setCheckable(True)
            action.setChecked(True)
            action.setToolTip(KIND_TIPS[kind])
            action.toggled.connect(self._on_kinds)
            self.kind_actions[kind] = action
        button.setMenu(menu)
        return button

    def _build_body(self) -> None:
        self.question_label = QLabel()
        self.question_label.setWordWrap(True)
        self.question_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.answer_edit = QLineEdit()
        self.answer_edit.setPlaceholderText("your answer, e.g. 0.25 or 0.5*(1-0.5)")
        self.answer_edit.setToolTip("Type the value (a number or arithmetic on numbers), then Enter")
        self.answer_edit.returnPressed.connect(self.check)
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Check your answer (Enter)")
        self.check_button.clicked.connect(self.check)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setToolTip("Show the value and go on (counts as not answered)")
        self.reveal_button.clicked.connect(self.reveal)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.answer_edit, 1)
        row.addWidget(self.check_button)
        row.addWidget(self.reveal_button)
        self.feedback = QLabel()
        self.feedback.setWordWrap(True)
        self.feedback.setTextInteractionFlags(Qt.TextSelectableByMouse)
        grid = QVBoxLayout(self.body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.question_label)
        grid.addLayout(row)
        grid.addWidget(self.feedback)
        self._show_question(None)

    # ----- API ------------------------------------------------------------------------
    def is_on(self) -> bool:
        return self.toggle.isChecked()

    def set_on(self, on: bool) -> None:
        self.toggle.setChecked(bool(on))

    def set_kinds(self, kinds) -> None:
        for kind, action in self.kind_actions.items():
            action.setChecked(kind in kinds)

    def set_timeline(self, timeline) -> None:
        """The questions of a new replay; nothing is held back any more."""
        self.session.set_timeline(timeline)
        self._frame = None
        self._show_question(None)

    def ask(self, k: int) -> bool:
        """With practice on, hold frame ``k`` back when it has a question left; True if held."""
        question = self.session.current(k) if self.is_on() else None
        self._frame = k if question is not None else None
        self._show_question(question)
        if question is not None:
            self.feedback.clear()
        return question is not None

    def held_frame(self) -> int | None:
        return self._frame

    def question(self) -> Question | None:
        return self.session.current(self._frame) if self._frame is not None else None

    def check(self) -> None:
        """Check the typed answer (Enter in the answer field)."""
        question = self.question()
        if question is None:
            return
        try:
            verdict = self.session.answer(question, self.answer_edit.text())
        except ValueError as e:
            self._say(str(e)[:1].upper() + str(e)[1:], BAD)
            return
        self._say(verdict.text, GOOD if verdict.correct else BAD)
        if verdict.correct:
            self._next()
        else:
            self.answer_edit.selectAll()

    def reveal(self) -> None:
        question = self.question()
        if question is not None:
            self._say(self.session.reveal(question).text, "#555")
            self._next()

    # ----- internals ----------------------------------------------------------------
    def _next(self) -> None:
        """The frame's next question, or the frame itself when none is left."""
        self.answer_edit.clear()
        self.score_label.setText(self.session.score.text())
        k = self._frame
        question = self.session.current(k) if k is not None else None
        self._show_question(question)
        if question is None and k is not None:
            self._frame = None
            self.revealed.emit(k)

    def _say(self, text: str, color: str) -> None:
        self.feedback.setText(f"<span style='color: {color}'>{text}</span>")

    def _show_question(self, q: Question | None) -> None:
        for w in (self.answer_edit, self.check_button, self.reveal_button):
            w.setEnabled(q is not None)
        if q is None:
            self.question_label.setText("<span style='color: gray'>Step forward: the replay stops "
                                        "at the next value for you to compute.</span>")
            return
        rows = "".join(
            "<tr>" + "".join(f"<td>{name}&nbsp;=&nbsp;</td><td><b>{number_text(v, q.digits)}</b>"
                             "&nbsp;&nbsp;&nbsp;</td>" for name, v in q.givens[r:r + 4]) + "</tr>"
            for r in range(0, len(q.givens), 4))
        self.question_label.setText(
            f"<b>Your turn ({KIND_LABELS[q.kind]}):</b> compute {q.target}: "
            f"<span style='color: #1565c0'>{q.formula}</span><table>{rows}</table>")
        self.answer_edit.setFocus(Qt.OtherFocusReason)

    def _on_toggled(self, on: bool) -> None:
        self.body.setVisible(on)
        self.kinds_button.setVisible(on)
        if not on and self._frame is not None:
            k, self._frame = self._frame, None
            self._show_question(None)
            self.revealed.emit(k)
        self.toggled.emit(on)

    def _on_kinds(self) -> None:
        chosen = [k for k, action in self.kind_actions.items() if action.isChecked()]
        self.session.set_kinds(chosen)
        self.kinds_button.setText("Practise: " + ("all kinds" if len(chosen) == len(KINDS) else
                                                  ", ".join(KIND_LABELS[k] for k in chosen) or "nothing"))
        if self._frame is not None and self.question() is None:
            self._next()        # the held question's kind was unticked
        elif self._frame is not None:
            self._show_question(self.question())


def under_bar(bar: QWidget, practice: PracticePanel) -> QWidget:
    """The replay bar with the practice panel under it, both at the top of the dock."""
    column = QWidget()
    layout = QGridLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(bar, 0, 0)
    layout.addWidget(practice, 1, 0)
    layout.setRowStretch(2, 1)
    return column
