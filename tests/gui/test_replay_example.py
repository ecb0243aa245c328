"""The replayed example's text (Qt-free): raw → standardised lines, the target's scale, classes."""
import re

import numpy as np

from engine.model.preprocessing import Preprocessing
from gui.core.formatting import fmt_units
from gui.replay.example import ReplayExample, example_html, input_line, inputs_html, summary, target_html


def regression():
    return Preprocessing(features=["area_m2", "rooms"], inputs=["area_m2", "rooms"],
                         mean=[142.3, -2.0], std=[38.1, 4.0], task="regression", target="price",
                         target_mean=180_000.0, target_std=52_000.0)


def test_input_lines_carry_the_formula_with_the_sign_folded_in():
    p = regression()
    raw = np.array([181.0, 3.0])
    ex = ReplayExample(p.apply(raw[None])[0], [0.0], p, raw=raw)
    assert input_line(ex, 0) == "area_m2 181 → (181 − 142.3)/38.1 = 1.016"
    assert input_line(ex, 1) == "rooms 3 → (3 + 2)/4 = 1.25"


def test_raw_values_are_read_back_from_the_network_inputs():
    p = regression()
    seen = p.apply(np.array([[0.0, 5.0]]))[0]
    ex = ReplayExample(seen, [0.0], p)
    np.testing.assert_allclose(ex.raw_features(), [0.0, 5.0], atol=1e-12)
    assert input_line(ex, 0).startswith("area_m2 0 → (0 − 142.3)")   # no 1e-17 left by rounding


def test_regression_target_on_the_loss_scale_and_the_prediction_in_units():
    p = regression()
    t = (326_000 - 180_000) / 52_000
    ex = ReplayExample([0.0, 0.0], [t], p, target_units=326_000.0)
    text = re.sub("<[^>]+>", "", target_html(ex, np.array([2.5])))
    assert "t = (326,000 − 180,000)/52,000 = 2.808. The loss is computed on this scale." in text
    assert "2.5 · 52,000 + 180,000 = 310,000" in text
    assert "price 326,000 → t = 2.808" in summary(ex)[0]


def test_many_inputs_list_the_first_eight():
    names = [f"p{i}" for i in range(64)]
    p = Preprocessing(features=names, inputs=names, mean=np.zeros(64), std=np.ones(64),
                      task="classification", target="digit", classes=[str(d) for d in range(10)])
    ex = ReplayExample(np.arange(64) / 10, np.eye(10)[3], p)
    text = inputs_html(ex, mark=20)
    assert "p7 0.7" in text and "p8 0.8" not in text and "<b>p20 2" in text and "… 55 more" in text
    assert "… 56 more" in summary(ex)[1]
    html = example_html(ex, np.eye(10)[3])
    assert "class “3”" in html and "1 for output 3" in html and "answer: “3”" in html


def test_no_transform_or_another_one_says_nothing_wrong():
    p = regression()
    ex = ReplayExample([0.1, 0.2, 0.3], [1.0], p)          # three inputs: not this transform's
    assert ex.preprocessing is None and target_html(ex) == ""
    assert "network's scale" in inputs_html(ex)


def test_units_format():
    assert fmt_units(326_000) == "326,000" and fmt_units(-12_345.6) == "−12,346"
    assert fmt_units(181) == "181" and fmt_units(0.02134) == "0.02134"
