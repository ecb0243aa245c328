"""Network by hand: small cases with gradients written out, initialisation, parameters, rebuild."""
import numpy as np
import pytest

from engine import Graph, GraphError, Network, ParameterMismatch
from engine.train.optimizers import SGD, Adam


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def chain(*sizes, act="tanh", out="sigmoid", loss="mse") -> Graph:
    """x → h1 → … → y with the given sizes."""
    g = Graph(loss=loss)
    ids = ["x"] + [f"h{i}" for i in range(1, len(sizes) - 1)] + ["y"]
    for i, (nid, size) in enumerate(zip(ids, sizes)):
        kind = "input" if i == 0 else "output" if i == len(sizes) - 1 else "hidden"
        g.add_node(kind, size, None if kind == "input" else out if kind == "output" else act, id=nid)
    for s, d in zip(ids, ids[1:]):
        g.connect(s, d)
    return g


# ----- hand-derived gradients ------------------------------------------------
def test_one_layer_linear_then_sigmoid_with_mse_by_hand():
    g = chain(3, 1, out="sigmoid", loss="mse")
    net = Network(g, dtype="float64")
    W = np.array([[0.5, -1.0, 0.25]])
    b = np.array([0.1])
    net.load_parameters({"W:x->y": W, "b:y": b})
    X = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0]])
    T = np.array([[1.0], [0.0]])
    z = X @ W.T + b
    a = sigmoid(z)
    loss, grads = net.loss_and_gradients(X, T)
    assert loss == pytest.approx(np.mean(0.5 * (a - T) ** 2), rel=1e-14)
    # dL/dW = mean over the batch of (a − t) · σ'(z) · x, with σ' = a(1 − a)
    delta = (a - T) * a * (1 - a) / len(X)
    np.testing.assert_allclose(grads["W:x->y"], delta.T @ X, rtol=1e-13)
    np.testing.assert_allclose(grads["b:y"], delta.sum(axis=0), rtol=1e-13)
    np.testing.assert_allclose(net.forward(X), a, rtol=1e-14)


def test_a_weight_reaching_the_loss_by_two_paths_gets_the_sum():
    """w = W:x->h reaches y directly through h → y and through h → k → y."""
    g = Graph(loss="mse")
    g.add_node("input", 1, id="x")
    g.add_node("hidden", 1, "tanh", id="h")
    g.add_node("hidden", 1, "tanh", id="k")
    g.add_node("output", 1, "linear", id="y")
    for s, d in [("x", "h"), ("h", "k"), ("h", "y"), ("k", "y")]:
        g.connect(s, d)
    net = Network(g, dtype="float64")
    w_xh, w_hk, w_hy, w_ky = 0.7, -1.3, 0.9, 1.1
    b_h, b_k, b_y = 0.2, -0.1, 0.05
    net.load_parameters({"W:x->h": [[w_xh]], "W:h->k": [[w_hk]], "W:h->y": [[w_hy]],
                         "W:k->y": [[w_ky]], "b:h": [b_h], "b:k": [b_k], "b:y": [b_y]})
    x, t = 0.8, 0.3
    a_h = np.tanh(w_xh * x + b_h)
    a_k = np.tanh(w_hk * a_h + b_k)
    y = w_hy * a_h + w_ky * a_k + b_y
    direct = (y - t) * w_hy * (1 - a_h**2) * x
    through_k = (y - t) * w_ky * (1 - a_k**2) * w_hk * (1 - a_h**2) * x
    assert abs(direct) > 0.05 and abs(through_k) > 0.05
    _, grads = net.loss_and_gradients([[x]], [[t]])
    assert grads["W:x->h"][0, 0] == pytest.approx(direct + through_k, rel=1e-13)
    assert grads["W:x->h"][0, 0] != pytest.approx(direct, rel=1e-3)


@pytest.mark.parametrize("loss,out", [("mse", "tanh"), ("bce", "sigmoid"),
                                      ("softmax_ce", "softmax")])
def test_loss_values_by_hand(loss, out):
    g = chain(2, 3, out=out, loss=loss)
    net = Network(g, seed=3, dtype="float64")
    X = np.array([[0.3, -1.2], [2.0, 0.1]])
    T = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    y = net.forward(X)
    if loss == "mse":
        want = np.mean(0.5 * ((y - T) ** 2).sum(axis=1))
    elif loss == "bce":
        want = np.mean(-(T * np.log(y) + (1 - T) * np.log(1 - y)).sum(axis=1))
    else:
        want = np.mean(-(T * np.log(y)).sum(axis=1))
    assert net.loss_and_gradients(X, T)[0] == pytest.approx(want, rel=1e-12)
    assert net.loss_value(X, T) == pytest.approx(want, rel=1e-12)


# ----- shapes, seeds and initialisation --------------------------------------
def test_forward_shapes_and_node_values():
    g = chain(4, 5, 3, 2, out="softmax", loss="softmax_ce")
    net = Network(g)
    for batch in (1, 7):
        Y = net.forward(np.ones((batch, 4)))
        assert Y.shape == (batch, 2) and Y.dtype == np.float32
        np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-6)
        for n, size in [("h1", 5), ("h2", 3), ("y", 2)]:
            assert net.z[n].shape == net.a[n].shape == (batch, size)
    assert net.order == ["x", "h1", "h2", "y"]
    _, grads = net.loss_and_gradients(np.ones((2, 4)), np.eye(2))
    assert {k: v.shape for k, v in grads.items()} == net.parameter_shapes()
    assert set(grads) == {"W:x->h1", "W:h1->h2", "W:h2->y", "b:h1", "b:h2", "b:y"}


def test_same_seed_same_weights_different_seed_different():
    g = chain(3, 6, 2)
    a, b, c = Network(g, seed=5), Network(g, seed=5), Network(g, seed=6)
    for k in a.parameters():
        np.testing.assert_array_equal(a.parameters()[k], b.parameters()[k])
    assert not np.array_equal(a.parameters()["W:x->h1"], c.parameters()["W:x->h1"])
    c.initialize(5)
    for k in a.parameters():
        np.testing.assert_array_equal(a.parameters()[k], c.parameters()[k])


def test_he_for_the_relu_family_and_glorot_otherwise():
    g = Graph(loss="mse")
    g.add_node("input", 400, id="x")
    g.add_node("hidden", 300, "relu", id="h")
    g.add_node("output", 200, "tanh", id="y")
    g.connect("x", "h")
    g.connect("h", "y")
    g.connect("x", "y")   # fan-in of y: 300 + 400
    p = Network(g, seed=1, dtype="float64").parameters()
    he = p["W:x->h"]
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    assert np.abs(he).max() > 3 * np.sqrt(2 / 400)          # normal, not uniform
    limit = np.sqrt(6 / (700 + 200))
    for name in ("W:h->y", "W:x->y"):
        w = p[name]
        assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
        assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.03)
    assert not p["b:h"].any() and not p["b:y"].any()


def masked_design() -> Graph:
    g = chain(3, 4, 2)
    g.set_edges("x", "h1", [(0, 0), (2, 1), (3, 2)], enabled=False)
    g.set_edges("h1", "y", [(1, 3)], enabled=False)
    return g


def test_masked_weights_are_zero_after_init_and_after_load():
    g = masked_design()
    net = Network(g, seed=2)
    mask = g.connection("x", "h1").mask
    W = net.parameters()["W:x->h1"]
    assert not W[mask == 0].any() and W[mask == 1].all()
    net.load_parameters({k: np.ones(p.shape) for k, p in net.parameters().items()})
    assert not W[mask == 0].any() and (W[mask == 1] == 1).all()
    assert net.parameters()["W:h1->y"][1, 3] == 0


# ----- load_parameters --------------------------------------------------------
@pytest.mark.parametrize("change,expected", [
    (lambda v: v.pop("b:h1"), "b:h1 is missing"),
    (lambda v: v.update({"W:x->z": np.zeros((1, 3))}), "W:x->z is not in the design"),
    (lambda v: v.update({"W:x->h1": np.zeros((3, 4))}),
     "W:x->h1 has shape (3, 4), the design needs (4, 3)"),
    (lambda v: v["W:h1->y"].__setitem__((0, 0), np.nan), "W:h1->y holds values that are not finite"),
    (lambda v: v.update({"b:y": np.array(["a", "b"])}), "b:y holds values that are not finite"),
])
def test_load_parameters_refuses_a_mismatch_and_changes_nothing(change, expected):
    net = Network(chain(3, 4, 2), seed=0)
    before = {k: p.copy() for k, p in net.parameters().items()}
    values = {k: np.full(p.shape, 0.5) for k, p in net.parameters().items()}
    change(values)
    with pytest.raises(ParameterMismatch, match="do not fit the design") as err:
        net.load_parameters(values)
    assert expected in str(err.value)
    assert isinstance(err.value, GraphError)
    for k, p in net.parameters().items():
        np.testing.assert_array_equal(p, before[k])


def test_load_parameters_lists_every_problem_at_once():
    net = Network(chain(3, 4, 2))
    values = {k: p.copy() for k, p in net.parameters().items()}
    del values["b:y"]
    values["W:x->h1"] = np.zeros(2)
    values["extra"] = np.zeros(1)
    with pytest.raises(ParameterMismatch) as err:
        net.load_parameters(values)
    for part in ("b:y is missing", "W:x->h1 has shape (2,)", "extra is not in the design"):
        assert part in str(err.value)


def test_parameters_are_live():
    net = Network(chain(2, 3, 1), dtype="float64")
    X = np.array([[0.5, -0.5]])
    y0 = net.forward(X)
    net.parameters()["b:y"][0] += 1.0
    assert net.forward(X)[0, 0] != y0[0, 0]
    net.parameters()["W:x->h1"][...] = 0.0
    net.forward(X)
    np.testing.assert_array_equal(net.a["h1"], np.tanh(net.parameters()["b:h1"])[None, :])


def test_passes_compiled_per_batch_size_stay_right_when_sizes_come_and_go():
    # Each batch size gets its own buffers and compiled passes; only four are kept.
    g = chain(3, 4, 2, out="softmax", loss="softmax_ce")
    g.add_node("hidden", 3, "relu", id="skip")
    g.connect("x", "skip")
    g.connect("skip", "y")
    net, fresh_seed = Network(g, dtype="float64"), 0
    rng = np.random.default_rng(1)
    for batch in [1, 2, 3, 4, 5, 6, 1, 2, 7, 3]:
        X = rng.normal(size=(batch, 3))
        T = np.eye(2)[rng.integers(0, 2, batch)]
        loss, grads = net.loss_and_gradients(X, T)
        ref_loss, ref_grads = Network(g, seed=fresh_seed, dtype="float64").loss_and_gradients(X, T)
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        for k in grads:
            np.testing.assert_allclose(grads[k], ref_grads[k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(net.forward(X), Network(g, dtype="float64").forward(X),
                                   rtol=1e-12)
    assert len(net._buffers) <= 4


def test_loss_and_gradients_returns_copies():
    net = Network(chain(2, 3, 1), dtype="float64")
    _, grads = net.loss_and_gradients([[1.0, 2.0]], [[1.0]])
    grads["W:x->h1"][...] = 123.0
    assert not (net.gradients["W:x->h1"] == 123.0).any()


# ----- rebuild ----------------------------------------------------------------
def test_rebuild_after_adding_a_node_keeps_every_old_parameter():
    g = chain(2, 4, 1)
    old = Network(g, seed=0)
    old.parameters()["b:y"][...] = 0.75
    values = {k: p.copy() for k, p in old.parameters().items()}
    g.add_node("hidden", 3, "relu", id="k")
    g.connect("h1", "k")
    g.connect("k", "y")
    new = old.rebuild(g)
    for k, v in values.items():
        np.testing.assert_array_equal(new.parameters()[k], v)
    assert new.parameters()["W:k->y"].shape == (1, 3) and new.parameters()["W:k->y"].any()
    assert new.forward(np.ones((2, 2))).shape == (2, 1)


def test_rebuild_after_resizing_a_layer_renews_only_its_parameters():
    g = chain(2, 4, 3, 1)
    g.connect("x", "h2")
    old = Network(g, seed=0)
    values = {k: p.copy() for k, p in old.parameters().items()}
    g.update_node("h1", size=5)
    new = old.rebuild()
    renewed = {"W:x->h1", "b:h1", "W:h1->h2"}
    for k, v in values.items():
        p = new.parameters()[k]
        if k in renewed:
            assert p.shape != v.shape
        else:
            np.testing.assert_array_equal(p, v)
    assert new.parameters()["W:h1->h2"].shape == (3, 5)


# ----- training, dtypes, refusals ----------------------------------------------
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
XOR_T = np.array([[0], [1], [1], [0]], np.float32)


def test_train_step_learns_xor():
    net = Network(chain(2, 4, 1, out="sigmoid", loss="bce"), seed=0)
    sgd = SGD(0.01)
    first = net.train_step(XOR_X, XOR_T, sgd)
    assert net.loss_value(XOR_X, XOR_T) < first          # one small step goes downhill
    opt = Adam(0.05)
    losses = [net.train_step(XOR_X, XOR_T, opt) for _ in range(400)]
    assert losses[-1] < 0.05 < first
    np.testing.assert_array_equal(net.forward(XOR_X) > 0.5, XOR_T > 0.5)


def test_float32_and_float64_agree():
    g = masked_design()
    g.connect("x", "y")
    n32, n64 = Network(g, seed=4, dtype="float32"), Network(g, seed=4, dtype="float64")
    n64.load_parameters(n32.parameters())
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(5, 3)), rng.uniform(size=(5, 2))
    np.testing.assert_allclose(n32.forward(X), n64.forward(X), rtol=1e-5, atol=1e-6)
    l32, g32 = n32.loss_and_gradients(X, T, l2=0.01)
    l64, g64 = n64.loss_and_gradients(X, T, l2=0.01)
    assert l32 == pytest.approx(l64, rel=1e-5)
    for k in g64:
        assert g32[k].dtype == np.float32
        np.testing.assert_allclose(g32[k], g64[k], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda n: n.forward(np.ones(3)),
    lambda n: n.forward(np.ones((2, 4))),
    lambda n: n.forward(np.ones((2, 3, 1))),
    lambda n: n.loss_and_gradients(np.ones((2, 3)), np.ones((2, 3))),
    lambda n: n.loss_and_gradients(np.ones((2, 3)), np.ones((3, 2))),
    lambda n: n.loss_value(np.ones((2, 2)), np.ones((2, 2))),
    lambda n: n.trace(np.ones((1, 3)), np.ones((1, 1))),
])
def test_bad_input_shapes_raise_graph_error(call):
    with pytest.raises(GraphError, match="shape"):
        call(Network(chain(3, 4, 2)))


def test_an_empty_batch_raises_graph_error():
    with pytest.raises(GraphError):
        Network(chain(3, 4, 2)).loss_and_gradients(np.ones((0, 3)), np.ones((0, 2)))


def test_train_step_refuses_targets_of_the_wrong_shape():
    net = Network(chain(2, 4, 1))
    with pytest.raises(GraphError):
        net.train_step(XOR_X, XOR_T[:1], SGD(0.1))


def _no_output():
    g = Graph()
    g.add_node("input", 2, id="x")
    return g


def _unreachable():
    g = chain(2, 3, 1)
    g.disconnect("h1", "y")
    g.add_node("hidden", 1, id="k")
    g.connect("k", "y")
    return g


def _hidden_without_input():
    g = chain(2, 3, 1)
    g.add_node("hidden", 2, id="lonely")
    return g


def _wrong_output_for_loss():
    g = chain(2, 3, 1, out="tanh", loss="mse")
    g.set_loss("bce")
    return g


@pytest.mark.parametrize("design,words", [
    (_no_output, "no output"), (lambda: Graph(), "no input"),
    # With every other node fed, an unreachable output always has an unfed node upstream.
    (_unreachable, "'k' receives no connection"), (_hidden_without_input, "receives no connection"),
    (_wrong_output_for_loss, "needs a sigmoid output"),
])
def test_network_refuses_an_incomplete_design(design, words):
    with pytest.raises(GraphError, match=words):
        Network(design())


def test_network_refuses_an_unknown_dtype():
    with pytest.raises(GraphError, match="float32 or float64"):
        Network(chain(2, 1), dtype="int32")


@pytest.mark.parametrize("loss,out", [("mse", "linear"), ("bce", "sigmoid"), ("softmax_ce", "softmax")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_losses_are_python_floats(loss, out, dtype):
    # Reports and --json output serialise them; a numpy float32 would not.
    net = Network(chain(2, 3, 2, out=out, loss=loss), dtype=dtype)
    X, T = np.ones((3, 2), dtype), np.array([[1.0, 0.0]] * 3, dtype)
    values = [net.loss_and_gradients(X, T)[0], net.loss_value(X, T), net.train_step(X, T, SGD(0.1)),
              net.loss_and_gradients(X, T, l1=0.1, l2=0.1)[0]]
    assert all(type(v) is float for v in values), [type(v) for v in values]
