"""Parameter names: built and split in one place, round trips on any ids, collisions found."""
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.param_names import (bias_name, bias_node, by_connection, collisions, connection_named, is_bias,
                                is_weight, split_weight, valid_new_id, weight_name)

# Ids made of the pieces that make names hard: arrows, half arrows, the prefixes, spaces.
PIECES = st.sampled_from(("->", "-", ">", "a", "b", "W:", "b:", " ", "é", ":"))
IDS = st.lists(PIECES, min_size=1, max_size=5).map("".join) | st.text(min_size=1, max_size=6)
FAST = settings(max_examples=300, derandomize=True, database=None, deadline=None)


@FAST
@given(ids=st.lists(IDS, min_size=2, max_size=6, unique=True), data=st.data())
def test_split_with_the_design_s_ids_inverts_weight_name_unless_names_collide(ids, data):
    pairs = [p for p in itertools.permutations(ids, 2) if data.draw(st.booleans())]
    clashing = {p for clash in collisions(pairs) for p in clash}
    names = [weight_name(*p) for p in pairs]
    for pair, name in zip(pairs, names):
        assert is_weight(name) and not is_bias(name)
        if pair in clashing:
            assert names.count(name) > 1
            continue
        assert names.count(name) == 1
        # With every id of the design at hand: the one split whose halves are both ids, or a
        # refusal when ids outside these pairs also fit (the design would be refused anyway).
        try:
            assert split_weight(name, ids) == pair
        except ValueError:
            fits = [(name[2:][:i], name[2:][i + 2:]) for i in range(len(name) - 3)
                    if name[2:][i:i + 2] == "->"]
            assert sum(s in ids and d in ids for s, d in fits) > 1
        if "->" not in pair[0] + pair[1]:
            assert split_weight(name) == pair


@FAST
@given(pairs=st.lists(st.tuples(IDS, IDS), max_size=8, unique=True))
def test_collisions_are_exactly_the_distinct_pairs_with_equal_names(pairs):
    expected = {frozenset((p, q)) for p, q in itertools.combinations(pairs, 2)
                if weight_name(*p) == weight_name(*q)}
    found = {frozenset(c) for c in collisions(pairs)}
    assert found <= expected
    # Every clashing pair is reported with the first pair of its name.
    assert {p for c in found for p in c} == {p for c in expected for p in c}


@FAST
@given(node=IDS)
def test_bias_names_round_trip(node):
    assert bias_node(bias_name(node)) == node and is_bias(bias_name(node))


def test_the_names_of_the_issue_collide_and_split_only_with_the_ids():
    pairs = [("a", "b->c"), ("a->b", "c")]
    assert weight_name(*pairs[0]) == weight_name(*pairs[1]) == "W:a->b->c"
    assert collisions(pairs) == [tuple(pairs)]
    assert split_weight("W:a->b->c", {"a", "b->c", "c"}) == ("a", "b->c")
    assert split_weight("W:a->b->c", {"a->b", "c"}) == ("a->b", "c")
    for nodes in (None, {"a", "a->b", "b->c", "c"}, {"x"}):
        with pytest.raises(ValueError):
            split_weight("W:a->b->c", nodes)
    with pytest.raises(ValueError):
        split_weight("b:a")
    with pytest.raises(ValueError):
        bias_node("W:a->b")


def test_connection_named_finds_the_one_connection_where_the_ids_split_two_ways():
    ids = {"a", "a->b", "b->c", "c"}
    pairs = [("a", "b->c"), ("b->c", "c"), ("a", "a->b"), ("a->b", "b->c")]
    assert not collisions(pairs)
    with pytest.raises(ValueError):
        split_weight("W:a->b->c", ids)          # the ids alone cannot tell
    assert connection_named("W:a->b->c", pairs) == ("a", "b->c")
    assert {connection_named(weight_name(*p), pairs) for p in pairs} == set(pairs)
    with pytest.raises(ValueError, match="names no connection"):
        connection_named("W:a->b->c", pairs[1:])


def test_by_connection_reads_weights_without_splitting_names():
    named = {"W:a->b->c": 1, "b:c": 2, "W:x->y": 3}
    assert by_connection(named, [("a", "b->c"), ("q", "r")]) == {("a", "b->c"): 1}


def test_new_ids_may_not_hold_the_arrow():
    assert valid_new_id("h1") is None and valid_new_id("a-b>c") is None
    assert "->" in valid_new_id("a->b")
