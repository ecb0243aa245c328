"""The explain panel: the chain rule of the selected neuron or edge, and a numerical check.

It shows ``gui.replay.explain``'s rich text for the current selection (with nothing
selected: the traced example, raw and as the network sees it) and, for any
explained weight or bias, a "Check numerically" button that nudges it by ±h and
compares the slope of the loss with the chain-rule value. Its backward part waits until
the replay reaches the backward pass (``show_backward``); "Jacobians" adds the selected
node's local Jacobians (gui.replay.jacobian) and "Float" undocks it into its own window.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QAbstractSpinBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton,
                               QTextBrowser, QToolButton, QVBoxLayout, QWidget)

from engine import GraphError
from engine.model.param_names import bias_name, is_weight, weight_name

from gui.replay.example import example_html
from gui.replay.explain import explain_edge, explain_neuron, numeric_check
from gui.replay.explain_room import FloatButton, RoomKeeper
from gui.replay.jacobian import jacobian_html
from gui.replay.slope_limit import LimitButton, digits, verdict

HINT = ("<p style='color: gray'>Select a neuron or an edge on the canvas (or click a number of "
        "the replay) to see where its values come from.</p>")


class ExplainPanel(QWidget):
    """A text browser with the chain of the selection and a numerical gradient check."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.steps = self.net = self.X = self.T = self.example = None
        self._subject: tuple | None = None   # ("neuron", node, i) or ("edge", src, dst, i, j)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setMinimumHeight(190)
        self._backward = True   # False while the replay has not reached the backward pass
        self.jacobian_button = QToolButton()
        self.jacobian_button.setText("Jacobians")
        self.jacobian_button.setCheckable(True)
        self.jacobian_button.setToolTip("Show the selected node's local Jacobians ∂a/∂z and "
                                        "∂z/∂a_in = W as matrices, and the products that give δ")
        self.jacobian_button.toggled.connect(lambda _on: self._render())
        self.float_button = FloatButton(self)
        self._room = RoomKeeper(self)
        self.check_button = QPushButton("Check numerically")
        self.check_button.setToolTip("Nudge the weight by ±h, rerun the forward pass and compare "
                                     "the slope (L(w+h) − L(w−h)) / 2h with the chain rule")
        self.check_button.clicked.connect(self.check)
        self.h_box = QDoubleSpinBox()
        self.h_box.setDecimals(8)
        self.h_box.setRange(1e-8, 1.0)
        self.h_box.setValue(1e-4)
        self.h_box.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)
        self.h_box.setToolTip("The nudge h")
        self.result = QLabel()
        self.result.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addWidget(QLabel("h ="))
        row.addWidget(self.h_box)
        self.limit_button = LimitButton(self)   # the slope's limit, in its own window
        row.addWidget(self.limit_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._header())
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self.clear()

    def _header(self) -> QHBoxLayout:
        """Above the text: the views of the explanation and the float button."""
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addStretch(1)
        header.addWidget(self.jacobian_button)
        header.addWidget(self.float_button)
        return header

    # ----- API ------------------------------------------------------------------------
    def set_trace(self, steps, net, X, T, example=None) -> None:
        """The pass to explain: its trace, the network (weights), the batch it ran on and,
        optionally, the ReplayExample it stands for (raw values, target's units, class)."""
        self.steps, self.net, self.X, self.T, self.example = steps, net, X, T, example
        self._render()

    def show_neuron(self, node: str, index: int) -> None:
        self._subject = ("neuron", node, int(index))
        self._render()

    def show_edge(self, src: str, dst: str, i: int, j: int) -> None:
        self._subject = ("edge", src, dst, int(i), int(j))
        self._render()

    def show_backward(self, shown: bool) -> None:
        """Show the backward part of explanations (False until the replay reaches it)."""
        if bool(shown) != self._backward:
            self._backward = bool(shown)
            self._render()

    def clear(self) -> None:
        self._subject = None
        self._render()

    def subject(self) -> tuple | None:
        return self._subject

    def parameter(self) -> tuple[str, tuple] | None:
        """The weight or bias the numerical check would nudge, if any."""
        s = self._subject
        if s is None or self.net is None:
            return None
        if s[0] == "edge":
            return weight_name(s[1], s[2]), (s[3], s[4])
        if s[1] == self.net.input or bias_name(s[1]) not in self.net.parameters():
            return None
        return bias_name(s[1]), (s[2],)

    def check(self) -> None:
        """Run the numerical check on the explained parameter and show the comparison."""
        target = self.parameter()
        if target is None or self.X is None:
            self.result.setText("Select a weight (an edge) or a neuron's bias to check.")
            return
        name, index = target
        try:
            slope, chain, rel = numeric_check(self.net, self.X, self.T, name, index,
                                              h=self.h_box.value())
        except (GraphError, ValueError) as e:
            self.result.setText(f"<span style='color: #c62828'>{e}</span>")
            return
        what = "∂L/∂w" if is_weight(name) else "∂L/∂b"
        said = verdict(rel, self.h_box.value(), self.net.dtype == "float64")
        self.result.setText(
            f"slope (L(w+h) − L(w−h)) / 2h = <b>{digits(slope)}</b><br>"
            f"chain rule {what} = <b>{digits(chain)}</b><br>"
            f"relative difference = {rel:.2e} &nbsp; {said}")

    # ----- internals ----------------------------------------------------------------
    def _render(self) -> None:
        self.result.clear()
        s = self._subject
        if s is None or self.steps is None or self.net is None:
            self.text.setHtml(self._example_html() + HINT)
            self.check_button.setEnabled(False)
            return
        try:
            if s[0] == "neuron":
                html = explain_neuron(self.steps, self.net, s[1], s[2], self.example,
                                      backward=self._backward)
            else:
                html = explain_edge(self.steps, self.net, *s[1:], backward=self._backward)
            if self.jacobian_button.isChecked():
                node = s[1] if s[0] == "neuron" else s[2]
                html += "<hr>" + jacobian_html(self.steps, self.net, node, self._backward)
        except (GraphError, ValueError, KeyError) as e:
            self.text.setHtml(f"<p>Nothing to explain here: {e}</p>")
            self.check_button.setEnabled(False)
            return
        self.text.setHtml(html)
        self.check_button.setEnabled(self.parameter() is not None and self.X is not None)

    def _example_html(self) -> str:
        if self.example is None or self.steps is None:
            return ""
        loss = next((st for st in self.steps if st.phase == "loss"), None)
        return example_html(self.example, loss.values["y"][0] if loss is not None else None)
