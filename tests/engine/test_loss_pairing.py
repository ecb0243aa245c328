"""The loss follows the output activation until the user picks one; mismatches are named."""
import pytest

from engine import Graph
from engine.model.loss_pairing import (LOSS_CHOSEN, choose_loss, follow_output, loss_mismatch,
                                       matching_loss)
from engine.model.vocabulary import ACTIVATIONS


def design(activation="sigmoid", loss="mse", size=1):
    g = Graph(loss=loss)
    g.add_node("input", 2, id="x")
    g.add_node("output", size, activation, id="y")
    g.connect("x", "y")
    return g


@pytest.mark.parametrize("activation, loss", [("sigmoid", "bce"), ("softmax", "softmax_ce"),
                                              ("linear", "mse"), ("tanh", "mse"), ("relu", "mse")])
def test_each_output_has_its_matching_loss(activation, loss):
    assert matching_loss(activation) == loss
    assert loss_mismatch(design(activation, loss)) is None


def test_every_activation_pairs_with_a_loss_training_accepts():
    for activation in ACTIVATIONS:
        g = design(activation, matching_loss(activation), size=3 if activation == "softmax" else 1)
        g.check_loss()      # raises if training would refuse the pair


@pytest.mark.parametrize("activation, loss, suggested, blocking", [
    ("softmax", "mse", "softmax_ce", False), ("sigmoid", "softmax_ce", "bce", True),
    ("sigmoid", "mse", "bce", False), ("linear", "bce", "mse", True), ("softmax", "bce", "softmax_ce", True)])
def test_a_mismatch_names_both_sides_and_the_fix(activation, loss, suggested, blocking):
    g = design(activation, loss, size=3 if activation == "softmax" else 1)
    m = loss_mismatch(g)
    assert (m.loss, m.activation, m.suggested, m.blocking) == (loss, activation, suggested, blocking)
    assert activation in m.note and loss in m.note and suggested in m.note
    assert ("cannot start" in m.note) == blocking
    # "blocking" is exactly what training refuses.
    try:
        g.check_loss()
        refused = False
    except Exception:
        refused = True
    assert refused == blocking


def test_the_loss_follows_the_output_until_chosen():
    g = design("linear", "mse")
    g.update_node("y", activation="sigmoid")
    assert follow_output(g) == "bce" and g.loss == "bce"
    assert follow_output(g) is None                     # already matching
    g.update_node("y", activation="softmax", size=3)
    assert follow_output(g) == "softmax_ce"
    choose_loss(g, "mse")
    assert g.settings[LOSS_CHOSEN] is True
    g.update_node("y", activation="linear", size=1)
    assert follow_output(g) is None and g.loss == "mse"
    g.update_node("y", activation="sigmoid")
    assert follow_output(g) is None and loss_mismatch(g).suggested == "bce"


def test_no_output_no_follow_no_mismatch():
    g = Graph()
    g.add_node("input", 2)
    assert follow_output(g) is None and loss_mismatch(g) is None
