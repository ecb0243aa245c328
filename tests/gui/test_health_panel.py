"""The Health panel: findings from the worker shown in words, badges on the canvas, one-click fixes."""
import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QLabel, QPushButton

from engine.data.datasets import from_settings
from engine.nn.network import Network
from engine.train.health_monitor import diagnose
from engine.train.trainer import TrainingConfig
from gui.canvas.health_marker import HealthBadge
from gui.canvas.scene import CanvasScene
from gui.training.health_panel import HealthPanel
from gui.training.panel import TrainingPanel
from gui.training.worker_process import Session
from tests.engine.test_health import chain


class FakeWorker(QObject):
    health = Signal(dict)

    def __init__(self):
        super().__init__()
        self.checks = 0

    def is_running(self):
        return True

    def check_health(self):
        self.checks += 1


def make_panel(qtbot, graph):
    stack = QUndoStack()
    scene = CanvasScene(graph, stack)
    worker, resets = FakeWorker(), []
    training = TrainingPanel(graph)
    panel = HealthPanel(graph, scene, worker, training, stack, lambda: resets.append(1))
    qtbot.addWidget(panel)
    qtbot.addWidget(training)
    return panel, scene, worker, stack, resets


def payload(graph, steps=0, tweak=None):
    net = Network(graph)
    if tweak:
        tweak(net)
    report = diagnose(net, from_settings(graph.settings, graph.loss),
                      TrainingConfig.from_settings(graph.settings), steps)
    return {"step": 7, "findings": report.to_dict()}


def texts(panel):
    return " ".join(w.text() for w in panel.findChildren(QLabel))


def badges(scene):
    return {i.parentItem().node.id: i for i in scene.items() if isinstance(i, HealthBadge)}


def test_findings_are_shown_in_words_with_a_badge_on_each_node(qtbot):
    graph = chain(["sigmoid"] * 8)
    panel, scene, worker, *_ = make_panel(qtbot, graph)
    worker.health.emit(payload(graph))
    shown = texts(panel)
    assert "1 finding at step 7" in shown and "0.25⁸ ≈ 1.5·10⁻⁵" in shown and "Why:" in shown
    marked = badges(scene)
    assert "h1" in marked and "∇↓" in marked["h1"].text and "gradients vanish" in marked["h1"].toolTip()
    worker.health.emit({"step": 9, "findings": {k: [] for k in payload(chain(["tanh"]))["findings"]}})
    assert "Healthy at step 9" in texts(panel)
    assert not badges(scene)


def test_the_activation_fix_is_one_undoable_click(qtbot):
    graph = chain(["sigmoid"] * 8)
    panel, _scene, worker, stack, _ = make_panel(qtbot, graph)
    worker.health.emit(payload(graph))
    button = next(b for b in panel.findChildren(QPushButton) if b.text().startswith("Make h1"))
    button.click()
    assert {graph.nodes[f"h{i}"].activation for i in range(1, 9)} == {"relu"}
    stack.undo()
    assert {graph.nodes[f"h{i}"].activation for i in range(1, 9)} == {"sigmoid"}


def test_the_learning_rate_and_weight_fixes(qtbot):
    graph = chain(["tanh"], lr=50)
    panel, _scene, worker, _stack, resets = make_panel(qtbot, graph)
    worker.health.emit(payload(graph, steps=200))
    lr_button = next(b for b in panel.findChildren(QPushButton) if b.text().startswith("Set the learning"))
    lr_button.click()
    assert graph.settings["lr"] < 50
    next(b for b in panel.findChildren(QPushButton) if b.text().startswith("Re-initialise")).click()
    assert resets == [1]


def test_check_now_asks_the_worker(qtbot):
    panel, _scene, worker, *_ = make_panel(qtbot, chain(["tanh"]))
    panel.check_button.click()
    assert worker.checks >= 1 and "Checking" in panel.status.text()


def test_the_worker_sends_findings_with_its_snapshots():
    graph = chain(["relu", "relu"])
    sent = []
    session = Session(sent.append)
    session.design(graph.to_dict(), keep_weights=False)
    session.net.b["h1"][...] = -50.0
    session.check_health()
    health = sent[-1][1]["health"]
    assert [f["nodes"] for f in health["findings"]["dead"]][0] == ["h1"]
    assert health["step"] == 0
    session.playing = True
    session.train_slice()           # while playing, a check comes at most every few steps
    checked = [m[1]["health"]["step"] for m in sent if m[0] == "snapshot" and "health" in m[1]]
    assert len(checked) >= 2 and np.all(np.diff(checked) >= 0)
