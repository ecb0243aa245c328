"""Room to read: the explain panel shows a whole chain at 1280×800, floats, and waits for backward."""
import numpy as np
import pytest
from PySide6.QtWidgets import QSplitter

from engine import Graph
from engine.files.resources import example_path
from gui.core.formatting import fmt


def replay_window(window, qtbot, size):
    window.document.open_example(example_path("xor_neurons"))
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    rc = window.replay
    rc.toggle_action.trigger()
    qtbot.waitUntil(lambda: rc.timeline is not None, timeout=5000)
    qtbot.waitUntil(lambda: rc.dock.height() >= 0.4 * window.height(), timeout=3000)
    return rc


@pytest.mark.parametrize("size", [(1400, 900), (1280, 800)])
def test_the_final_product_of_an_edge_is_visible_without_scrolling(main_window, qtbot, size):
    rc = replay_window(main_window, qtbot, size)
    rc.bar.set_frame(rc.timeline.first_frame("backward"))
    main_window.scene.select_edge(("n4", "y", 0, 0))
    _, grads = rc.net.loss_and_gradients(rc.X, rc.T)
    text = rc.panel.text
    qtbot.waitUntil(lambda: f"{fmt(grads['W:n4->y'][0, 0])}" in text.toPlainText(), timeout=3000)
    assert text.verticalScrollBar().maximum() == 0        # the last line is in view
    assert text.document().size().height() <= text.viewport().height()


def test_at_1280_by_800_the_window_keeps_its_size_and_the_caption_all_its_lines(main_window, qtbot):
    rc = replay_window(main_window, qtbot, (1280, 800))
    rc.bar.set_frame(rc.timeline.first_frame("backward") + 3)     # a two-line caption
    caption = rc.bar.caption
    need = lambda: caption.heightForWidth(caption.width())                       # noqa: E731
    qtbot.waitUntil(lambda: caption.visibleRegion().boundingRect().height() >= need(), timeout=3000)
    assert need() > caption.fontMetrics().height() * 1.5
    assert main_window.width() <= 1280 and main_window.height() <= 800


def test_no_stray_tab_bar_paints_over_the_docks(main_window, qtbot):
    from PySide6.QtWidgets import QDockWidget, QTabBar
    replay_window(main_window, qtbot, (1280, 800))

    def strays():
        docks = {d.windowTitle(): d.geometry() for d in main_window.findChildren(QDockWidget)
                 if d.isVisible()}
        return [[bar.tabText(i) for i in range(bar.count())]
                for bar in main_window.findChildren(QTabBar)
                if bar.isVisible() and bar.parentWidget() is main_window
                and not any(abs(bar.geometry().top() - docks[bar.tabText(i)].bottom()) <= 6
                            for i in range(bar.count()) if bar.tabText(i) in docks)]
    qtbot.waitUntil(lambda: not strays(), timeout=3000)


def test_backward_waits_for_the_replay_and_jacobians_show_numbers(main_window, qtbot):
    rc = replay_window(main_window, qtbot, (1400, 900))
    rc.bar.set_frame(0)
    rc.panel.show_neuron("n1", 0)
    delta = next(s for s in rc.steps if s.phase == "backward" and s.node == "n1").values["delta"][0, 0]
    assert "shown when the replay reaches the backward pass" in rc.panel.text.toPlainText()
    assert fmt(delta) not in rc.panel.text.toPlainText()
    rc.panel.jacobian_button.setChecked(True)
    shown = rc.panel.text.toPlainText()
    assert "Jacobians of n1" in shown and fmt(rc.net.W[("x", "n1")][0, 1]) in shown
    assert "appear when the replay reaches the backward pass" in shown
    rc.bar.set_frame(rc.timeline.first_frame("backward"))
    qtbot.waitUntil(lambda: "Vector-Jacobian products" in rc.panel.text.toPlainText(), timeout=3000)
    shown = rc.panel.text.toPlainText()
    assert "Backward" in shown and fmt(delta) in shown


def test_float_undocks_the_panel_and_closing_docks_it_again(main_window, qtbot):
    rc = replay_window(main_window, qtbot, (1400, 900))
    splitter = rc.panel.parentWidget()
    assert isinstance(splitter, QSplitter)
    index = splitter.indexOf(rc.panel)
    rc.panel.float_button.click()
    assert rc.panel.isWindow() and rc.panel.isVisible()
    assert rc.panel.height() >= 600
    rc.panel.close()                           # the window's close button puts it back
    assert not rc.panel.isWindow() and splitter.indexOf(rc.panel) == index
    assert not rc.panel.float_button.isChecked() and rc.panel.isVisible()
    rc.panel.float_button.click()
    rc.panel.float_button.click()              # and so does pressing Float again
    assert not rc.panel.isWindow() and splitter.indexOf(rc.panel) == index


def test_a_masked_sum_lists_each_live_term():
    from engine import Network
    from gui.replay.explain import explain_neuron
    g = Graph.load(example_path("xor_neurons"))
    net = Network(g, seed=0, dtype="float64")
    X = np.array([[0.3277, -0.9559]])
    steps = net.trace(X, np.array([[0.0]]))
    text = explain_neuron(steps, net, "n1", 0)
    w = net.W[("x", "n1")][0]
    for term in (w[0] * X[0, 0], w[1] * X[0, 1]):
        assert fmt(abs(term)) in text               # each w·a, not the grouped sum
