"""The replay's update frame told for one weight: w → −lr · ∂L/∂w → new w, and the loss of the
traced example before and after that step.

``ReplayUpdatePane`` shows an ``UpdateView`` as a card in the canvas's top-left corner (the
legend has the bottom-right one), so that it costs the crowded Replay dock no height. It is
shown only on the update frame; it takes the plain gradient step the trace records (on a copy
of the replay's network, ``engine.train.update_story.sgd_story``) and follows the explain
panel's subject (the selected edge, or a neuron's bias).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer

from engine.train.config import TrainingConfig, settings_lr
from engine.train.update_story import OPTIMIZER_SENTENCES, sgd_story

from gui.plots.update_view import UpdateView

CORNER_GAP = 12
CARD_STYLE = ("#replay_update { background: rgba(255, 255, 255, 235); border: 1px solid #c8ccd2;"
              " border-radius: 4px; }")


class ReplayUpdatePane(QObject):
    """The update frame's story over the canvas ``view``; owned by its card ``view``."""

    def __init__(self, panel, graph, scene, canvas_view):
        card = UpdateView("The update", compact=True, parent=canvas_view)
        super().__init__(card)
        self.panel, self.graph, self.view, self.canvas = panel, graph, card, canvas_view
        card.setObjectName("replay_update")
        card.setAttribute(Qt.WA_StyledBackground, True)
        card.setStyleSheet(CARD_STYLE)
        card.setToolTip("The plain gradient step of this example for the selected weight "
                        "(nothing selected: the weight that moved most)")
        card.hide()
        self._key = None
        scene.selection_changed.connect(self._schedule)   # dropped with the card
        canvas_view.viewport().installEventFilter(self)

    def show(self, phase: str | None, net, X, T) -> None:
        """Show the story on the update frame (``phase`` "update"), hide it on any other."""
        if phase != "update" or net is None or X is None:
            self.view.hide()
            return
        lr = settings_lr(self.graph.settings)
        key = (id(net), id(X), id(T), lr)
        if key != self._key:
            self._key = key
            self.view.set_story(sgd_story(net, X, T, lr), list(net.masks), "of the traced example",
                                self._note())
        self._follow()
        self.view.show()
        self.view.raise_()

    def _note(self) -> str:
        optimizer = self.graph.settings.get("optimizer", TrainingConfig.optimizer)
        if optimizer == "sgd" or optimizer not in OPTIMIZER_SENTENCES:
            return ""
        sentence = OPTIMIZER_SENTENCES[optimizer].split(",")[0].split(" so ")[0].rstrip(".")
        return (f"<br><span style='color: gray'>Training uses {optimizer}: {sentence[0].lower()}"
                f"{sentence[1:]}. Step (Training dock) shows its real step.</span>")

    def _schedule(self) -> None:
        # After the controller has told the explain panel (a clicked neuron: on the next turn).
        QTimer.singleShot(0, self, self._follow)

    def _follow(self) -> None:
        target = self.panel.parameter()
        self.view.set_entry(*(target if target is not None else (None,)))
        self._place()

    def _place(self) -> None:
        area = self.canvas.viewport().geometry()
        width = max(240, min(720, area.width() - 2 * CORNER_GAP))
        self.view.resize(width, self.view.layout().heightForWidth(width))   # wrapped text's height
        self.view.move(area.left() + CORNER_GAP, area.top() + CORNER_GAP)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Resize and self.view.isVisible():
            self._place()
        return False
