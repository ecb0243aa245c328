"""Practice mode ("your turn"): the learner computes each value before the replay reveals it.

A ``PracticeSession`` holds the questions of the current replay (``practice_questions``),
which kinds of step the learner chose to practise, which questions are finished, and a
score per kind. ``answer(question, text)`` reads a typed number (or a small sum such as
"0.25 * (1 - 0.25)"), says whether it is within tolerance and, when it is not, which factor
differs, by comparing it with plausible wrong formulas. Qt-free.
"""
from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass, field

from gui.core.formatting import fmt
from gui.replay.practice_questions import KIND_LABELS, KINDS, Question, build_questions

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
_FUNCTIONS = {"exp": math.exp, "log": math.log, "ln": math.log, "sqrt": math.sqrt, "tanh": math.tanh}
_NAMES = {"e": math.e}


def parse_answer(text: str) -> float:
    """A typed number or arithmetic on numbers ("−0.5", "1e-3", "0.2*(1-0.2)", "exp(0.3)/(exp(0.3)+1)",
    with exp, log (or ln), sqrt, tanh and e); ValueError if not."""
    cleaned = text.strip().replace("−", "-").replace("×", "*").replace("·", "*").replace("^", "**")
    if not cleaned:
        raise ValueError("type a number first")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")    # a decimal comma
    try:
        tree = ast.parse(cleaned, mode="eval")
        value = float(_evaluate(tree.body))
    except (SyntaxError, ValueError, TypeError, ZeroDivisionError, OverflowError, RecursionError):
        raise ValueError(f"“{text.strip()}” is not a number (type e.g. 0.25 or 0.5*(1-0.5))") from None
    if not math.isfinite(value):
        raise ValueError("the answer must be a finite number")
    return value


def _evaluate(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)     # floats only: no huge integers from a typed 9**99**99
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS \
            and len(node.args) == 1 and not node.keywords:
        return _FUNCTIONS[node.func.id](_evaluate(node.args[0]))
    raise ValueError("not arithmetic")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one answer: right or not, the feedback, and the mistake it matched."""
    correct: bool
    text: str
    mistake: str | None = None


def diagnose(question: Question, answer: float) -> Verdict:
    """Right within tolerance, else which factor the answer got wrong (if it matches one)."""
    if question.accepts(answer):
        return Verdict(True, f"Correct: {question.target} = {fmt(question.expected)}")
    for value, why in question.mistakes:
        if question.accepts(answer, value):
            return Verdict(False, f"Not quite: {why}.", why)
    return Verdict(False, f"Not {fmt(answer)}. Compute {question.formula} with the numbers "
                          "given, or press Reveal.")


@dataclass
class Score:
    """Per kind of step: questions finished, and those answered right at the first try."""
    asked: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    right: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def record(self, kind: str, first_try_right: bool) -> None:
        self.asked[kind] += 1
        self.right[kind] += int(first_try_right)

    def text(self) -> str:
        parts = [f"{KIND_LABELS[k]} {self.right[k]}/{self.asked[k]}" for k in KINDS if self.asked[k]]
        return "Score: " + (" · ".join(parts) if parts else "nothing answered yet")


class PracticeSession:
    """The questions of one replay, the kinds practised, and the score of the whole session."""

    def __init__(self, kinds=KINDS):
        self.kinds = set(kinds)
        self.score = Score()
        self.questions: dict[int, list[Question]] = {}
        self._tries: dict[Question, int] = {}
        self._done: set[Question] = set()
        self._replays = 0                 # replays practised on: which neurons to ask about

    def set_timeline(self, timeline) -> None:
        """Questions for a new replay (a new example or new weights); the score goes on, and
        each replay asks about the next neuron of every node."""
        self.questions = build_questions(timeline, self._replays) if timeline is not None else {}
        self._replays += timeline is not None
        self._tries.clear()
        self._done.clear()

    def set_kinds(self, kinds) -> None:
        self.kinds = set(kinds) & set(KINDS)

    def pending(self, k: int) -> list[Question]:
        """The unfinished questions of frame ``k`` of the chosen kinds, in order."""
        return [q for q in self.questions.get(k, ()) if q.kind in self.kinds and q not in self._done]

    def current(self, k: int) -> Question | None:
        pending = self.pending(k)
        return pending[0] if pending else None

    def answer(self, question: Question, text: str) -> Verdict:
        """Check a typed answer; raises ValueError (with a message) when it is not a number."""
        verdict = diagnose(question, parse_answer(text))
        tries = self._tries.get(question, 0) + 1
        self._tries[question] = tries
        if verdict.correct:
            self._finish(question, first_try_right=tries == 1)
        return verdict

    def reveal(self, question: Question) -> Verdict:
        """Give up on ``question``: it counts as not answered right."""
        self._finish(question, first_try_right=False)
        return Verdict(False, f"{question.target} = {question.formula.split(' = ')[-1]} = "
                              f"{fmt(question.expected)}")

    def _finish(self, question: Question, first_try_right: bool) -> None:
        if question not in self._done:
            self._done.add(question)
            self.score.record(question.kind, first_try_right)
