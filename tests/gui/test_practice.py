"""Practice mode's logic (Qt-free): the questions, their answers, the mistakes named, the score."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Network
from engine.model.param_names import weight_name
from engine.nn.trace import trace_gradients
from gui.replay.practice import PracticeSession, diagnose, parse_answer
from gui.replay.practice_questions import KINDS, build_questions
from gui.replay.timeline import ReplayTimeline
from tests.gui.test_replay_timeline import example, random_design, skip_design


def timeline_of(graph, seed=0, batch=1, lr=0.1):
    net = Network(graph, seed=seed, dtype="float64")
    X, T = example(net, batch, seed)
    steps = net.trace(X, T, lr=lr)
    return net, steps, ReplayTimeline(steps, graph, net=net)


def skip_questions():
    g = skip_design()
    net = Network(g, seed=0, dtype="float64")
    steps = net.trace(np.array([[0.5, -1.0]]), np.array([[1.0]]), lr=0.1)
    tl = ReplayTimeline(steps, g, net=net)
    return net, steps, tl, build_questions(tl)


def trace_value(net, steps, q) -> float:
    """The question's value read independently from the trace (or the network's own gradients)."""
    by = {(s.phase, s.node): s for s in steps}
    i = q.neuron
    if q.kind == "forward":
        return by[("forward", q.node)].values["a"][0, i]
    v = by.get(("backward", q.node), None)
    if q.kind == "local":
        return v.values["da/dz"][0, i]
    if q.kind == "delta":
        return v.values["delta"][0, i]
    if q.kind == "path" and q.edge is not None:
        return v.contributions[q.edge[1]][0, i]
    if q.kind == "path":
        return v.values["dL/da"][0, i]
    grads = trace_gradients(steps)
    name = weight_name(*q.edge)
    mask = net.masks[q.edge]
    cell = q.cell
    assert mask is None or mask[cell], "a masked weight was asked about"
    if q.kind == "weight":
        return grads[name][cell]
    lr = by[("update", "")].values["lr"]
    return net.W[q.edge][cell] - lr * grads[name][cell]


@pytest.mark.parametrize("seed", range(12))
def test_every_expected_answer_is_the_traces_value(seed):
    g = random_design(seed)
    net, steps, tl = timeline_of(g, seed, batch=1 + seed % 2)
    questions = build_questions(tl, choice=seed)      # a different neuron of each node
    kinds = {q.kind for qs in questions.values() for q in qs}
    assert {"forward", "delta", "weight", "update"} <= kinds
    for k, qs in questions.items():
        for q in qs:
            assert q.frame == k
            assert q.expected == pytest.approx(trace_value(net, steps, q), rel=1e-12, abs=1e-15)
            assert diagnose(q, q.expected).correct


def test_skip_connection_asks_each_path_and_their_sum():
    net, steps, tl, questions = skip_questions()
    h1 = [q for qs in questions.values() for q in qs if q.node == "h1" and q.kind == "path"]
    shares = [q for q in h1 if q.edge is not None]
    (total,) = [q for q in h1 if q.edge is None]
    assert {q.edge[1] for q in shares} == {"h2", "y"}
    assert total.expected == pytest.approx(sum(q.expected for q in shares))
    assert [tl.frame(q.frame).phase for q in shares] == ["gather", "gather"]
    only_y = next(q.expected for q in shares if q.edge[1] == "y")
    verdict = diagnose(total, only_y)
    assert not verdict.correct and "forgot a path" in verdict.text and "h2" in verdict.text


def find(questions, kind, node=None):
    return next(q for qs in questions.values() for q in qs
                if q.kind == kind and (node is None or q.node == node))


def test_the_mistake_named_is_the_factor_that_differs():
    net, steps, tl, questions = skip_questions()
    by = {(s.phase, s.node): s for s in steps}
    a = by[("forward", "h2")].values["a"][0, 0]
    z = by[("forward", "h2")].values["z"][0, 0]
    local = find(questions, "local", "h2")
    assert "you used tanh(z) itself, the derivative is 1 − tanh²(z)" in diagnose(local, a).text
    assert "forgot to square" in diagnose(local, 1 - a).text
    delta = find(questions, "delta", "h2")
    g = by[("backward", "h2")].values["dL/da"][0, 0]
    assert "forgot the local derivative" in diagnose(delta, g).text
    assert "used a = tanh(z) instead of tanh′(z)" in diagnose(delta, g * a).text
    assert "sign error" in diagnose(delta, -delta.expected).text
    out = find(questions, "delta", "y")
    assert "t − y" in diagnose(out, -out.expected).text
    fwd = find(questions, "forward", "h2")
    assert "apply" in diagnose(fwd, z).text
    weight = find(questions, "weight", "h2")
    assert "∂L/∂a instead of δ" in diagnose(weight, g * weight.givens[1][1]).text
    update = find(questions, "update")
    w, lr, grad = (value for _, value in update.givens)
    assert "old weight" in diagnose(update, w).text
    assert "sign error" in diagnose(update, w + lr * grad).text
    assert "learning rate" in diagnose(update, w - grad).text
    assert "Reveal" in diagnose(update, 123.0).text and not diagnose(update, 123.0).correct


def test_a_tiny_update_still_tells_the_old_weight_from_the_new():
    g = skip_design()
    net, steps, tl = timeline_of(g, lr=1e-4)
    update = find(build_questions(tl), "update")
    w = update.givens[0][1]
    assert not diagnose(update, w).correct
    assert diagnose(update, float(f"{update.expected:.10g}")).correct


def test_a_softmax_output_asks_its_value_from_every_z_of_the_layer():
    from tests.engine.strategies import mlp
    net, steps, tl = timeline_of(mlp([2, 3, 3], out="softmax", loss="softmax_ce"), seed=4)
    q = find(build_questions(tl), "forward", net.output)
    fwd = {(s.phase, s.node): s for s in steps}[("forward", net.output)].values
    z = fwd["z"][0]
    assert q.expected == pytest.approx(fwd["a"][0, 0], rel=1e-12)
    assert [value for _, value in q.givens] == pytest.approx(list(z))
    typed = "exp({0})/(exp({0})+exp({1})+exp({2}))".format(*(f"{v:.4f}" for v in z))
    assert diagnose(q, parse_answer(typed)).correct      # from the 4-digit numbers shown
    assert "sum of e^z over every neuron" in diagnose(q, np.exp(z[0])).text
    assert "σ(z)" in diagnose(q, 1 / (1 + np.exp(-z[0]))).text


def test_answers_are_numbers_or_arithmetic():
    assert parse_answer(" −0.25 ") == -0.25
    assert parse_answer("0.5*(1-0.5)") == 0.25
    assert parse_answer("0,5") == 0.5
    assert parse_answer("2^3") == 8
    assert parse_answer("exp(0)/(exp(0)+e^0)") == 0.5
    assert parse_answer("1 - tanh(0.5)^2") == pytest.approx(1 - np.tanh(0.5) ** 2)
    assert parse_answer("sqrt(4) + ln(1) + log(e)") == 3
    for bad in ("", "abc", "__import__('os')", "1/0", "9**9**9", "((10**99)**99)**99", "nan", "exp(1000)", "log(-1)",
                "exp(1, 2)", "exp(x=1)", "open(1)", "exp", "math.exp(1)"):
        with pytest.raises(ValueError):
            parse_answer(bad)


def test_the_score_counts_per_kind_and_the_chosen_kinds_are_asked():
    net, steps, tl, questions = skip_questions()
    session = PracticeSession()
    session.set_timeline(tl)
    k = min(k for k, qs in questions.items() if any(q.kind == "local" for q in qs))
    kinds_here = [q.kind for q in session.pending(k)]
    assert kinds_here[:3] == ["path", "local", "delta"]
    first = session.current(k)
    assert not session.answer(first, str(first.expected + 1)).correct
    assert session.answer(first, repr(first.expected)).correct      # right, but at the second try
    second = session.current(k)
    assert session.answer(second, repr(second.expected)).correct
    third = session.current(k)
    session.reveal(third)
    assert session.score.asked["path"] == 1 and session.score.right["path"] == 0
    assert session.score.asked["local"] == 1 and session.score.right["local"] == 1
    assert session.score.asked["delta"] == 1 and session.score.right["delta"] == 0
    assert "local derivative 1/1" in session.score.text()
    session.set_kinds({"update"})
    assert all(q.kind == "update" for kk in questions for q in session.pending(kk))
    assert any(session.pending(kk) for kk in questions)
    session.set_kinds(KINDS)
    session.set_timeline(tl)          # a new example: its questions again, the score goes on
    assert len(session.pending(k)) == len(questions[k])
    assert session.score.asked["local"] == 1


def test_each_new_replay_asks_about_the_next_neuron():
    net, steps, tl, _ = skip_questions()
    session = PracticeSession()
    asked = []
    for _ in range(4):
        session.set_timeline(tl)
        questions = [q for qs in session.questions.values() for q in qs]
        asked.append({(q.kind, q.node): q.neuron for q in questions})
        for q in questions:
            assert q.expected == pytest.approx(trace_value(net, steps, q), rel=1e-12, abs=1e-15)
    # h1 has 3 neurons, h2 and y 2 and 1: the first, then the next, round again.
    assert [a[("forward", "h1")] for a in asked] == [0, 1, 2, 0]
    assert [a[("delta", "h2")] for a in asked] == [0, 1, 0, 1]
    assert [a[("delta", "y")] for a in asked] == [0, 0, 0, 0]
    third = build_questions(tl, choice=2)
    assert "h1[3]" in find(third, "forward", "h1").target        # named as the canvas numbers it


ANSWER_CHARACTERS = "0123456789.,+-*/^() e−×·expolgnsqrtah_[]'\"=:;!"
numbers = st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr)
expressions = st.recursive(
    numbers | st.sampled_from(["e", "0", "-0", "1e308", "1e-320"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "^"]), inner).map(" ".join),
        st.tuples(st.sampled_from(["exp", "log", "ln", "sqrt", "tanh", "-", "("]), inner)
        .map(lambda p: f"{p[0]}({p[1]})")),
    max_leaves=12)


@settings(deadline=None, derandomize=True, max_examples=400)
@given(text=st.text(alphabet=ANSWER_CHARACTERS, max_size=40) | expressions)
def test_any_typed_answer_is_a_finite_number_or_a_clear_error(text):
    try:
        value = parse_answer(text)
    except ValueError as e:
        assert str(e)
    else:
        assert isinstance(value, float) and np.isfinite(value)
