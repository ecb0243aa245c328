"""Colour bar over the canvas: decade labels, weight labels, the canvas's colours drawn."""
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from gui.core.colormap import N_BINS, diverging, sequential
from gui.plots.color_bar import ColorBar, decade_label, log_ticks, short_label


@pytest.fixture
def bar(qtbot):
    b = ColorBar()
    qtbot.addWidget(b)
    b.resize(b.sizeHint())
    return b


def test_gradient_labels_are_whole_decades(bar):
    bar.set_scale(-6.3, -0.4)
    assert bar.labels() == ["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1"]
    assert bar.title() == "|∂L/∂w|"
    bar.set_scale(-1.5, 1.2)
    assert bar.labels() == ["1e-1", "1", "1e1"]


def test_range_without_a_whole_decade_labels_its_ends(bar):
    bar.set_scale(-3.3, -3.1)
    assert bar.labels() == ["5e-4", "7.9e-4"]


def test_many_decades_are_thinned_keeping_the_top(qtbot):
    b = ColorBar()
    qtbot.addWidget(b)
    b.resize(b.sizeHint().width(), 90)
    b.set_scale(-8.0, 0.0)
    labels = b.labels()
    assert 2 <= len(labels) < 9 and labels[-1] == "1"
    assert log_ticks(-8.0, 0.0, 3) == [(0.25, "1e-6"), (0.625, "1e-3"), (1.0, "1")]


def test_weight_mode_shows_signed_ends(bar):
    bar.set_weight_scale(0.8421)
    assert bar.labels() == ["−0.842", "0", "+0.842"]
    assert bar.title() == "weight"
    bar.set_weight_scale(0.0)
    assert bar.labels() == []


def test_empty_and_invalid_scales(bar):
    bar.set_scale(-3, -1)
    bar.clear()
    assert bar.labels() == []
    bar.set_scale(None, None)
    assert bar.labels() == []
    with pytest.raises(ValueError, match="finite"):
        bar.set_scale(float("nan"), 1.0)


def ends_drawn(b, colors):
    """Where the rendered bar shows its lowest and its highest colour, as (row, column) arrays."""
    img = b.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    rgb = np.frombuffer(img.constBits(), np.uint32, img.sizeInBytes() // 4).reshape(
        img.height(), img.bytesPerLine() // 4)[:, :img.width()] & 0xFFFFFF
    low, high = (np.nonzero(rgb == (c.rgb() & 0xFFFFFF)) for c in (colors[0], colors[-1]))
    assert low[0].size and high[0].size, "the bar does not show both ends of the colour map"
    return low, high


def assert_drawn_low_to_high(b, colors):
    low, high = ends_drawn(b, colors)
    if b.vertical():
        assert low[0].min() > high[0].max()         # the lowest colour below the highest
    else:
        assert low[1].max() < high[1].min()         # the lowest colour left of the highest


def test_draws_the_canvas_colours_low_to_high(bar):
    bar.set_scale(-5, -1)
    assert_drawn_low_to_high(bar, sequential(N_BINS))
    bar.set_weight_scale(1.0)
    assert_drawn_low_to_high(bar, diverging(N_BINS))        # orange most negative, blue most positive


def test_the_bar_is_drawn_once_per_change_and_shown_from_its_picture(bar, monkeypatch):
    draws = []
    draw = ColorBar._draw
    monkeypatch.setattr(ColorBar, "_draw", lambda self, p: (draws.append(1), draw(self, p)))
    bar.set_scale(-5, -1)
    first = bar.grab().toImage()
    assert bar.grab().toImage() == first and len(draws) == 1      # the canvas's frames: a blit
    bar.set_scale(-6, -2)
    assert bar.grab().toImage() != first and len(draws) == 2      # new numbers: drawn again
    bar.resize(bar.width(), bar.height() + 20)
    bar.grab()
    assert len(draws) == 3


def test_horizontal_bar(qtbot):
    b = ColorBar(orientation=Qt.Orientation.Horizontal)
    qtbot.addWidget(b)
    b.resize(b.sizeHint())
    assert b.width() > b.height()
    b.set_scale(-4.5, 1.2)
    assert b.labels() == ["1e-4", "1e-3", "1e-2", "1e-1", "1", "1e1"]
    assert_drawn_low_to_high(b, sequential(N_BINS))


def test_number_labels():
    assert [decade_label(k) for k in (-3, 0, 2)] == ["1e-3", "1", "1e2"]
    assert [short_label(x) for x in (2e-5, 3.0, 0.5, 1e-3, 9.96)] == ["2e-5", "3", "5e-1", "1e-3", "1e1"]
