"""Decision boundary view: heat map follows the values, points on top, thumbnails."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from gui.canvas.thumbnail import neuron_thumbnail
from gui.core.colormap import NEGATIVE, POSITIVE, diverging_lut
from gui.plots.boundary import DecisionBoundaryView, smooth

EXTENT = (-2.0, 2.0, -1.0, 3.0)


@pytest.fixture
def view(qtbot):
    v = DecisionBoundaryView()
    qtbot.addWidget(v)
    v.resize(420, 380)
    v.show()
    qtbot.waitExposed(v)
    return v


def pixel_at(view, x, y) -> QColor:
    """The colour drawn at data coordinates (x, y)."""
    view.widget.repaint()
    scene = view.plot.vb.mapViewToScene(QPointF(x, y))
    p = view.widget.mapFromScene(scene)
    return view.widget.grab().toImage().pixelColor(p)


def blueness(c: QColor) -> int:
    return c.blue() - c.red()


def test_corner_colour_follows_the_value(view):
    values = np.zeros((20, 30))
    values[:2, :2] = 1.0                               # row 0 is ymin: the bottom-left corner
    view.set_grid(EXTENT, values)
    bottom_left = pixel_at(view, -1.97, -0.97)
    top_left = pixel_at(view, -1.97, 2.97)
    assert blueness(bottom_left) > 60, bottom_left.name()     # P = 1: blue class
    assert blueness(top_left) < -60, top_left.name()          # P = 0: orange class
    view.set_grid(EXTENT, 1.0 - values)
    assert blueness(pixel_at(view, -1.97, -0.97)) < -60
    assert blueness(pixel_at(view, -1.97, 2.97)) > 60


def test_half_is_the_pale_middle(view):
    view.set_grid(EXTENT, np.full((8, 8), 0.5))
    c = pixel_at(view, 0.0, 1.0)
    assert min(c.red(), c.green(), c.blue()) > 200 and abs(blueness(c)) < 20


def test_points_count_and_class_colours(view):
    rng = np.random.default_rng(1)
    pt, pv = rng.uniform(-1, 1, (30, 2)), rng.uniform(-1, 1, (10, 2))
    lt, lv = np.r_[np.zeros(15), np.ones(15)], np.r_[np.zeros(5), np.ones(5)]
    view.set_points(pt, lt, pv, lv, "classification")
    assert view.point_counts() == (30, 10)
    brushes = view.train_scatter.data["brush"]
    assert brushes[0].color().rgb() == NEGATIVE.rgb() and brushes[-1].color().rgb() == POSITIVE.rgb()
    pens = view.val_scatter.data["pen"]
    assert pens[-1].color().rgb() == POSITIVE.rgb()                  # validation: outlined
    np.testing.assert_allclose(view.train_scatter.data["x"], pt[:, 0])
    view.set_points(pt[:4], np.eye(2)[[0, 1, 1, 0]], None, None, "classification")   # one-hot rows
    assert view.point_counts() == (4, 0)


def test_regression_scale_spans_the_targets(view):
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 2.0]])
    view.set_points(pts, np.array([-3.0, 1.0, 5.0]), pts[:1], np.array([0.0]), "regression")
    view.set_grid(EXTENT, np.linspace(-10, 10, 100).reshape(10, 10))
    assert view.levels == (-3.0, 5.0)
    assert tuple(view.color_bar.levels()) == pytest.approx((-3.0, 5.0))
    low = view.train_scatter.data["brush"][0].color()
    high = view.train_scatter.data["brush"][2].color()
    assert low.lightness() < high.lightness()                        # viridis: dark → bright


def test_bad_input_raises_clear_errors(view):
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        view.set_points(np.zeros((3, 3)), np.zeros(3), None, None, "classification")
    with pytest.raises(ValueError, match="labels"):
        view.set_points(np.zeros((3, 2)), np.zeros(4), None, None, "classification")
    with pytest.raises(ValueError, match="unknown task"):
        view.set_points(np.zeros((3, 2)), np.zeros(3), None, None, "clustering")
    with pytest.raises(ValueError, match="increasing"):
        view.set_grid((1, 0, 0, 1), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="2-D"):
        view.set_grid(EXTENT, np.zeros(16))


def test_nan_values_draw_and_clear_empties(view):
    values = np.full((6, 6), np.nan)
    view.set_grid(EXTENT, values)
    assert np.isfinite(view.values).all()
    view.set_points(np.zeros((2, 2)), np.zeros(2), None, None, "classification")
    view.clear()
    assert view.point_counts() == (0, 0) and view.image.image is None


def test_smooth_interpolates_between_samples():
    v = np.array([[0.0, 1.0], [2.0, 3.0]])
    out = smooth(v, pixels=4)
    assert out.shape == (4, 4)
    assert out[0, 0] == pytest.approx(0.375) and out[-1, -1] == pytest.approx(2.625)
    np.testing.assert_allclose(smooth(np.full((3, 5), 7.0)), 7.0)


# ----- thumbnails ------------------------------------------------------------------
def test_thumbnail_colours_follow_values():
    img = neuron_thumbnail(np.full((10, 10), -1.0), size=32)
    assert (img.width(), img.height()) == (32, 32)
    assert img.pixelColor(5, 5).rgb() == QColor(*diverging_lut()[0]).rgb()   # orange end
    assert blueness(img.pixelColor(5, 5)) < -100
    assert blueness(neuron_thumbnail(np.full((10, 10), 3.0)).pixelColor(5, 5)) > 100   # clipped to +1


def test_thumbnail_orientation_left_right_and_bottom_row():
    xs = np.linspace(-2, 2, 16)
    img = neuron_thumbnail(np.tanh(np.tile(xs, (16, 1))), size=24)
    assert blueness(img.pixelColor(0, 12)) < -60 and blueness(img.pixelColor(23, 12)) > 60
    rows = -np.ones((16, 16))
    rows[0] = 1.0                                                      # row 0: bottom of the plane
    img = neuron_thumbnail(rows, size=16)
    assert blueness(img.pixelColor(8, 15)) > 60 and blueness(img.pixelColor(8, 0)) < -60


def test_thumbnail_rejects_bad_shapes():
    with pytest.raises(ValueError, match="2-D"):
        neuron_thumbnail(np.zeros(5))
    assert DecisionBoundaryView.neuron_thumbnail is neuron_thumbnail
