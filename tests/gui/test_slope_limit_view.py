"""The slope view: its table and secant are the engine's finite differences; the explain
panel's "Show the limit…" opens it for the explained weight."""
from PySide6.QtCore import Qt

from engine.nn.slope_limit import SWEEP_STEPS, slope_limit
from gui.replay.explain_panel import ExplainPanel
from gui.replay.slope_limit import SlopeLimitView, digits, verdict
from tests.engine.test_slope_limit import X, T, tanh_net


def test_table_and_secant_show_the_engine_numbers(qtbot):
    limit = slope_limit(tanh_net(), X, T, "W:x->h", (1, 0))
    view = SlopeLimitView()
    qtbot.addWidget(view)
    view.set_limit(limit, "w")
    assert view.table.rowCount() == len(SWEEP_STEPS)
    for r, s in enumerate(limit.sweep()):
        assert view.table.item(r, 1).text() == digits(s.slope)
        assert view.table.item(r, 2).text() == f"{s.error:.2e}"
    assert digits(limit.gradient) in view.summary.text()
    assert "float64" in view.summary.text() and "h²" in view.summary.text()
    view.set_h(1e-3)
    s = limit.secant(1e-3)
    assert view.secant_h() == 1e-3
    assert digits(s.slope) in view.secant_label.text()
    xs, ys = view.secant_line.getData()
    assert abs((ys[1] - ys[0]) / (xs[1] - xs[0]) - s.slope) < 1e-9
    tx, ty = view.tangent.getData()
    assert abs((ty[1] - ty[0]) / (tx[1] - tx[0]) - limit.gradient) < 1e-12
    px, py = view.secant_points.getData()
    assert list(py) == [s.loss_minus, s.loss_plus]
    # the row of the chosen h is selected; clicking another row moves the secant
    assert view.table.selectionModel().isRowSelected(2)
    view.table.cellClicked.emit(5, 0)
    assert view.secant_h() == 1e-6


def test_show_the_limit_button_opens_the_dialog_for_the_explained_edge(qtbot):
    net = tanh_net()
    panel = ExplainPanel()
    qtbot.addWidget(panel)
    panel.set_trace(net.trace(X, T), net, X, T)
    qtbot.mouseClick(panel.limit_button, Qt.LeftButton)    # nothing explained yet
    assert "Select a weight" in panel.result.text()
    panel.show_edge("x", "h", 1, 0)
    panel.h_box.setValue(1e-2)
    qtbot.mouseClick(panel.limit_button, Qt.LeftButton)
    dialog = panel.limit_button.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.view.limit.name == "W:x->h" and dialog.view.limit.index == (1, 0)
    assert dialog.view.secant_h() == 1e-2
    assert "x[0] → h[1]" in dialog.windowTitle()
    dialog.close()


def test_check_shows_ten_digits_and_the_right_cause():
    assert digits(-0.31305628171234) == "−0.3130562817"
    assert verdict(1e-9, 1e-4) == "✓ agree"
    assert "h²" in verdict(1e-4, 1e-2)
    assert "rounding" in verdict(1e-4, 1e-9)
    assert "float32" in verdict(1e-3, 1e-4, float64=False)


def test_float32_network_says_float32(qtbot):
    limit = slope_limit(tanh_net("float32"), X, T, "b:h", (0,))
    view = SlopeLimitView()
    qtbot.addWidget(view)
    view.set_limit(limit, "b")
    assert "float32" in view.summary.text() and "∂L/∂b" in view.summary.text()

