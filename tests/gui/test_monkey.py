"""Monkey test: long random sequences of user actions; after each, the canvas matches the Graph,
undo and redo are exact, the title's unsaved mark is right and nothing raised.
bench/monkey.py runs the long version."""
import pytest

from tests.gui.monkey import WEIGHTS, Monkey


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_user_actions_keep_the_window_consistent(main_window, tmp_path, seed):
    monkey = Monkey(main_window, seed, tmp_path)
    counts = monkey.run(100)
    assert sum(counts.values()) == 100
    assert len(counts) >= len(WEIGHTS) // 2      # a real mix of actions ran
