"""The "Your turn" panel: the replay stops at a question, takes typed answers, names mistakes."""
import numpy as np
from PySide6.QtCore import Qt

from engine import Network
from gui.replay.practice_panel import PracticePanel
from gui.replay.practice_questions import KINDS
from gui.replay.timeline import ReplayTimeline
from gui.core.formatting import fmt
from tests.gui.test_replay_timeline import skip_design
from tests.gui.test_replay_widgets import Window, _replay


def skip_timeline():
    g = skip_design()
    net = Network(g, seed=0, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]), lr=0.1)
    return ReplayTimeline(steps, g, net=net)


def answer(qtbot, panel, text):
    panel.answer_edit.clear()
    qtbot.keyClicks(panel.answer_edit, text)
    qtbot.keyClick(panel.answer_edit, Qt.Key_Return)


def test_right_and_wrong_answers(qtbot):
    panel = PracticePanel()
    qtbot.addWidget(panel)
    panel.show()
    assert not panel.body.isVisible()
    panel.set_on(True)
    assert panel.body.isVisible()
    tl = skip_timeline()
    panel.set_timeline(tl)
    k = next(k for k in range(len(tl)) if tl.frame(k).phase == "backward" and tl.frame(k).node == "h2")
    assert panel.ask(k)
    assert panel.question().kind == "path" and "Your turn" in panel.question_label.text()
    panel.set_kinds({"local"})            # only local derivatives: the path question is skipped
    question = panel.question()
    assert question.kind == "local"
    a = next(v for name, v in question.givens if name.startswith("a ="))
    answer(qtbot, panel, f"{a:.6f}")
    assert "you used tanh(z) itself, the derivative is 1 − tanh²(z)" in panel.feedback.text()
    assert panel.held_frame() == k
    answer(qtbot, panel, "what")
    assert "not a number" in panel.feedback.text()
    with qtbot.waitSignal(panel.revealed) as shown:
        answer(qtbot, panel, f"1 - {a:.6f}^2")
    assert shown.args == [k] and "Correct" in panel.feedback.text()
    assert panel.held_frame() is None and "local derivative 0/1" in panel.score_label.text()
    assert not any(panel.ask(j) for j in range(len(tl)) if not any(
        q.kind == "local" for q in panel.session.questions.get(j, ())))


def test_replay_holds_the_value_until_answered_or_revealed(qtbot):
    window = Window(skip_design())
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    rc = _replay(window)
    rc.dock.show()
    qtbot.waitUntil(lambda: rc.timeline is not None, timeout=5000)
    rc.bar.motion_box.setChecked(False)
    rc.practice.set_on(True)
    rc.practice.set_kinds(KINDS)
    rc.bar.step_forward()                           # frame 1: h1's forward value
    assert rc.practice.held_frame() == 1 and rc.overlay.frame.index == 0
    assert "h1" in rc.overlay.frame.lit             # the asked node is lit
    question = rc.practice.question()
    assert question.kind == "forward" and "Your turn" in rc.bar.caption.text()
    hidden = [text for node, _, text in rc.overlay.labels() if node == "h1"]
    rc.explain_neuron("h1", 0)                      # explaining h1 now would give it away
    assert "Your turn" in rc.panel.text.toPlainText()
    assert fmt(question.expected) not in rc.panel.text.toPlainText()
    answer(qtbot, rc.practice, str(question.expected + 0.5))
    assert rc.overlay.frame.index == 0              # wrong: still hidden
    answer(qtbot, rc.practice, repr(question.expected))
    assert rc.overlay.frame.index == 1 and rc.bar.caption.text() == rc.timeline.frame(1).caption
    assert [text for node, _, text in rc.overlay.labels() if node == "h1"] != hidden
    rc.bar.step_forward()
    assert rc.practice.held_frame() == 2
    rc.practice.reveal_button.click()
    assert rc.overlay.frame.index == 2 and "forward value 0/2" in rc.practice.score_label.text()
    rc.bar.step_forward()
    assert rc.practice.held_frame() == 3
    rc.practice.set_on(False)                       # turning practice off shows the frame
    assert rc.overlay.frame.index == 3
    rc.dock.hide()
