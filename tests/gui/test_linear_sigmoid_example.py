"""The linear-then-sigmoid example: one frame per equation of backprop, numbers equal autograd."""
import numpy as np
import pytest

from engine import Graph, Network
from engine.files.resources import example_path
from gui.replay.timeline import ReplayTimeline
from gui.core.formatting import fmt, vector_text

torch = pytest.importorskip("torch")
ORDER = ["", "z", "a", "", "dL/dy", "dL/dz", "dL/dW", "dL/db", ""]


def replay(X, T, lr=0.1):
    g = Graph.load(example_path("linear_sigmoid"))
    net = Network(g, seed=3, dtype="float64")
    net.b["y"][...] = 0.25           # a bias that shows in the sums
    return g, net, ReplayTimeline(net.trace(X, T, lr=lr), g, net=net)


def torch_reference(net, X, T):
    W = torch.tensor(net.W[("x", "y")], requires_grad=True)
    b = torch.tensor(net.b["y"], requires_grad=True)
    z = torch.tensor(X) @ W.T + b
    z.retain_grad()
    y = torch.sigmoid(z)
    y.retain_grad()
    t = torch.tensor(T)
    L = -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum(-1).mean()
    L.backward()
    return {"z": z.detach().numpy(), "y": y.detach().numpy(), "L": L.item(),
            "dL/dy": y.grad.numpy(), "dL/dz": z.grad.numpy(), "dL/dW": W.grad.numpy(),
            "dL/db": b.grad.numpy()}


def test_the_example_is_one_linear_layer_and_a_sigmoid(main_window):
    g = Graph.load(example_path("linear_sigmoid"))
    assert [(n.kind, n.size) for n in g.nodes.values()] == [("input", 2), ("output", 1)]
    assert g.output_node().activation == "sigmoid" and g.loss == "bce"
    assert list(g.connections) == [("x", "y")]
    main_window.fill_examples_menu()        # listed first, and it opens
    first = main_window.menus["examples"].actions()[0]
    assert first.text() == g.settings["title"]
    first.trigger()
    assert main_window.graph.same_design(g) and main_window.scene.items_match_graph() is None


@pytest.mark.parametrize("t", [0.0, 1.0])
def test_each_equation_is_one_frame_with_the_autograd_numbers(t):
    X, T = np.array([[0.8, -1.3]]), np.array([[t]])
    g, net, tl = replay(X, T)
    assert [tl.frame(k).step for k in range(len(tl))] == ORDER
    assert tl.phases() == ["forward", "forward", "forward", "loss", "backward", "backward",
                           "backward", "backward", "update"]
    ref = torch_reference(net, X, T)
    caps = {tl.frame(k).step: tl.frame(k).caption for k in range(len(tl)) if tl.frame(k).step}
    w = net.W[("x", "y")][0]
    # z = Wx + b with every term listed, then y = σ(z)
    assert caps["z"].startswith("Forward: z = Wx + b = ")
    assert fmt(w[0] * X[0, 0]) in caps["z"] and fmt(0.25) in caps["z"]
    assert caps["z"].endswith(f"= {fmt(ref['z'][0, 0])}")
    a_frame = tl.frame(ORDER.index("a"))
    np.testing.assert_allclose(a_frame.values["y"]["z"], ref["z"], rtol=1e-14)
    np.testing.assert_allclose(a_frame.values["y"]["a"], ref["y"], rtol=1e-14)
    assert caps["a"] == f"Forward: y = σ(z) = σ({fmt(ref['z'][0, 0])}) = {fmt(ref['y'][0, 0])}"
    # ∂L/∂y, ∂L/∂z = ∂L/∂y · σ′(z), ∂L/∂W = ∂L/∂z · xᵀ, ∂L/∂b = ∂L/∂z
    f = {s: tl.frame(ORDER.index(s)) for s in ("dL/dy", "dL/dz", "dL/dW", "dL/db")}
    np.testing.assert_allclose(f["dL/dy"].values["y"]["dL/da"], ref["dL/dy"], rtol=1e-12)
    np.testing.assert_allclose(f["dL/dz"].values["y"]["delta"], ref["dL/dz"], rtol=1e-12)
    np.testing.assert_allclose(f["dL/dW"].gradients[("x", "y")], ref["dL/dW"], rtol=1e-12)
    np.testing.assert_allclose(f["dL/db"].bias_gradients["y"], ref["dL/db"], rtol=1e-12)
    y = ref["y"][0, 0]
    assert caps["dL/dz"] == (f"Backward: ∂L/∂z = ∂L/∂y · σ′(z) = {fmt(ref['dL/dy'][0, 0])} · "
                             f"{fmt(y * (1 - y))} = {fmt(ref['dL/dz'][0, 0])} (= y − t: the fused gradient)")
    assert caps["dL/dW"].endswith(f"= {vector_text(ref['dL/dW'][0])}")
    assert caps["dL/db"] == f"Backward: ∂L/∂b = ∂L/∂z = {fmt(ref['dL/db'][0])}"
    # the caption's factors multiply to its value
    assert ref["dL/dy"][0, 0] * y * (1 - y) == pytest.approx(ref["dL/dz"][0, 0], rel=1e-12)


def test_a_batch_sums_the_gradients():
    X, T = np.array([[0.8, -1.3], [0.1, 0.4], [-2.0, 0.3]]), np.array([[1.0], [0.0], [1.0]])
    _, net, tl = replay(X, T)
    ref = torch_reference(net, X, T)
    f = tl.frame(ORDER.index("dL/dW"))
    np.testing.assert_allclose(f.gradients[("x", "y")], ref["dL/dW"], rtol=1e-12)
    assert "summed over the batch" in f.caption and "/ 3" in tl.frame(ORDER.index("dL/dy")).caption


def test_the_window_steps_through_every_frame(main_window, qtbot):
    main_window.document.open_example(example_path("linear_sigmoid"))
    main_window.show()
    rc = main_window.replay
    rc.toggle_action.trigger()
    qtbot.waitUntil(lambda: rc.timeline is not None, timeout=5000)
    assert [rc.timeline.frame(k).step for k in range(len(rc.timeline))] == ORDER
    for k in range(1, len(rc.timeline)):
        rc.bar.step_forward()                    # with the motion between frames
        qtbot.waitUntil(lambda k=k: rc.overlay.frame.index == k, timeout=3000)
        assert rc.bar.caption.text() == rc.timeline.frame(k).caption
