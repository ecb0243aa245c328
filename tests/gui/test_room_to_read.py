"""Room to read at 1280×800: tall plots, the whole palette, labels inside a fit, data before Play."""
import numpy as np
import pytest
from PySide6.QtCore import QRectF

from engine.data.datasets import from_settings
from gui.files.document import EXAMPLES_DIR
from gui.plots.boundary import class_colors
from gui.plots.metrics import MIN_PLOT_HEIGHT, MetricsPlot

SMALL = (1280, 800)


def _open(qtbot, main_window, name: str, size=SMALL):
    main_window.document.open_example(EXAMPLES_DIR / f"{name}.json")
    main_window.resize(*size)
    main_window.show()
    qtbot.waitExposed(main_window)
    qtbot.wait(50)          # the reload and the fit run on zero-length timers
    main_window.view.fit_to_view()
    return main_window


def test_metric_plots_are_tall_enough_to_read_at_1280x800(qtbot, main_window):
    w = _open(qtbot, main_window, "circle")
    metrics = w.training.metrics
    assert metrics.isVisible()
    for plot in (metrics.loss_widget, metrics.metric_widget):
        assert plot.height() >= MIN_PLOT_HEIGHT
    # Stacked they were ~60 px each; side by side each has the dock's height.
    assert metrics.loss_widget.geometry().top() == metrics.metric_widget.geometry().top()


def test_palette_shows_its_entries_at_1280x800(qtbot, main_window):
    w = _open(qtbot, main_window, "circle")
    tree = w.palette.tree
    shown = tree.viewport().rect()
    visible = [text for text, _ in w.palette.entries()
               if shown.contains(tree.visualItemRect(w.palette.item_for(text)))]
    # Every input, output and dense layer, and most single neurons, unclipped without scrolling.
    texts = [text for text, _ in w.palette.entries()]
    assert visible == texts[:len(visible)] and len(visible) >= 15, visible


def test_palette_shows_every_entry_at_the_default_size(qtbot, main_window):
    w = _open(qtbot, main_window, "circle", size=(1400, 900))
    tree = w.palette.tree
    for text, _ in w.palette.entries():
        assert tree.viewport().rect().contains(tree.visualItemRect(w.palette.item_for(text))), text


@pytest.mark.parametrize("name", ["xor_neurons", "digits", "skip_connection"])
def test_fit_to_view_keeps_every_label_inside_with_a_margin(qtbot, main_window, name):
    w = _open(qtbot, main_window, name)
    view = w.view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    margin = 10 / view.transform().m11()        # at least 10 px on screen
    inner = visible.adjusted(margin, margin, -margin, -margin)
    assert view.fit_rect().contains(QRectF(w.scene.itemsBoundingRect()))
    for node_id, item in w.scene.node_items.items():
        assert inner.contains(item.sceneBoundingRect()), node_id     # header label included


def test_r2_axis_reads_as_written(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.add_epoch(1, 10, 0.5, 0.6, 0.8, 0.7, metric_name="r2")    # the engine's name
    assert plot.metric_plot.getAxis("left").labelText == "R²"
    assert plot.metric_name == "R²"
    assert plot.metric_plot.getAxis("bottom").labelText == plot.loss_plot.getAxis("bottom").labelText == "step"


def test_empty_plots_say_what_they_will_show(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.flush()
    plot._redraw.schedule()
    plot.flush()
    assert "Play" in plot.loss_hint.text()
    assert "accuracy" in plot.metric_hint.text()
    plot.add_steps(np.arange(3), np.array([1.0, 0.8, 0.7]))
    plot.add_epoch(1, 3, 0.7, 0.75, 0.6, 0.55)
    plot.flush()
    assert plot.loss_hint.text() == "" and plot.metric_hint.text() == ""


def test_boundary_shows_the_data_before_play(qtbot, main_window):
    w = _open(qtbot, main_window, "xor_neurons")
    data = from_settings(w.graph.settings, w.graph.loss)
    boundary = w.training.boundary
    assert w.training.latest is None            # nothing trained yet
    assert boundary.point_counts() == (len(data.X_train), len(data.X_val)) != (0, 0)
    assert w.training.docks["Decision boundary"].isVisible()
    # Rendered: orange and blue points on the plane, not an empty square.
    image = boundary.widget.grab().toImage()
    rgb = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 2)]
                    for y in range(0, image.height(), 2)], dtype=float)
    for colour in class_colors(2):
        assert (np.abs(rgb - colour).sum(axis=2) < 40).sum() > 50, colour


def test_regression_data_names_its_metric_and_hides_the_boundary_before_play(qtbot, main_window):
    w = _open(qtbot, main_window, "house_prices")
    assert w.training.metrics.metric_plot.getAxis("left").labelText == "R²"
    assert not w.training.docks["Decision boundary"].isVisible()


def test_gradient_matrix_says_what_to_select(qtbot, main_window):
    w = _open(qtbot, main_window, "xor_neurons")
    matrix = w.training.matrix
    assert "Select a connection" in matrix.hint_text()
    assert matrix.hint.isVisibleTo(matrix) and not matrix.plot.isVisibleTo(matrix)
    src, dst = next(iter(w.graph.connections))
    w.scene.connection_items[(src, dst)].setSelected(True)
    assert f"{src} → {dst}" in matrix.hint_text() and "Play" in matrix.hint_text()
    matrix.set_matrix(f"{src} → {dst}", np.ones((2, 3)))
    assert matrix.hint_text() == "" and matrix.plot.isVisibleTo(matrix)
