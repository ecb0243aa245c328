"""The design's vocabulary (engine.model) and the maths behind it (engine.nn) name the same things."""
import pytest

from engine.model import vocabulary
from engine.nn import activations, losses


def test_every_name_a_design_may_use_has_its_maths():
    assert tuple(activations.BY_NAME) == vocabulary.ACTIVATIONS
    assert tuple(losses.BY_NAME) == vocabulary.LOSSES
    assert {n: loss.fused_output for n, loss in losses.BY_NAME.items() if loss.fused_output} \
        == vocabulary.REQUIRED_OUTPUT


def test_maths_for_a_name_the_vocabulary_lacks_is_refused():
    with pytest.raises(RuntimeError, match="gelu"):
        vocabulary.check_implemented("activations", vocabulary.ACTIVATIONS, (*vocabulary.ACTIVATIONS, "gelu"))
    vocabulary.check_implemented("losses", vocabulary.LOSSES, list(vocabulary.LOSSES))
