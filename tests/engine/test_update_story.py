"""One update in one place: the story of a real step and of the replay's step equals PyTorch's."""
import numpy as np
import pytest

from engine import Graph, Network
from engine.data.datasets import load_dataset
from engine.train.trainer import Trainer, TrainingConfig
from engine.train.update_story import OPTIMIZER_SENTENCES, sgd_story, told_step

torch = pytest.importorskip("torch")


def xor_graph():
    g = Graph(loss="bce")
    g.add_node("input", 2, id="x")
    g.add_node("hidden", 4, "tanh", id="h")
    g.add_node("output", 1, "sigmoid", id="y")
    g.connect("x", "h")
    g.connect("h", "y")
    return g


def torch_step(params: dict, X, T, optimizer: str, lr: float):
    """PyTorch's parameters after one step on (X, T), the loss before and the loss after."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    opt = {"sgd": lambda: torch.optim.SGD(p.values(), lr=lr),
           "momentum": lambda: torch.optim.SGD(p.values(), lr=lr, momentum=0.9),
           "adam": lambda: torch.optim.Adam(p.values(), lr=lr)}[optimizer]()
    x, t = torch.tensor(X, dtype=torch.float64), torch.tensor(T, dtype=torch.float64)

    def loss():
        h = torch.tanh(x @ p["W:x->h"].T + p["b:h"])
        y = torch.sigmoid(h @ p["W:h->y"].T + p["b:y"])
        return torch.nn.functional.binary_cross_entropy(y, t)

    before = loss()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = float(loss())
    return {k: v.detach().numpy() for k, v in p.items()}, float(before.detach()), after


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_real_step_matches_torch(optimizer):
    net = Network(xor_graph(), seed=1, dtype="float64")
    data = load_dataset("xor", loss="bce", seed=0, validation=0.0)
    trainer = Trainer(net, data, TrainingConfig(optimizer=optimizer, lr=0.1, batch_size=16))
    start = {k: v.copy() for k, v in net.parameters().items()}
    loss, story = told_step(trainer)
    X, T = (a.copy() for a in trainer.last_batch)
    want, want_before, want_after = torch_step(start, X, T, optimizer, 0.1)
    assert story.optimizer == optimizer and story.lr == 0.1 and story.batch_size == 16
    assert story.loss_before == loss == pytest.approx(want_before, rel=1e-12)
    assert story.loss_after == pytest.approx(want_after, rel=1e-12)
    for k in start:
        assert np.array_equal(story.before[k], start[k])
        assert np.allclose(story.after[k], want[k], rtol=1e-10, atol=1e-14), k
        assert np.array_equal(story.after[k], net.parameters()[k])
    e = story.entry("W:x->h", (2, 1))
    assert e.before == start["W:x->h"][2, 1] and e.after == net.parameters()["W:x->h"][2, 1]
    assert e.step == e.after - e.before
    assert e.plain == -0.1 * e.gradient
    if optimizer == "sgd":
        assert e.step == pytest.approx(e.plain, rel=1e-12)
    assert story.sentence() == OPTIMIZER_SENTENCES[optimizer]
    _, story2 = told_step(trainer)        # the next step starts where this one ended
    assert story2.before["W:x->h"][2, 1] == e.after


def test_the_replay_step_is_plain_sgd_and_leaves_the_network_alone():
    net = Network(xor_graph(), seed=2, dtype="float64")
    X, T = np.array([[0.3, -0.7]]), np.array([[1.0]])
    start = {k: v.copy() for k, v in net.parameters().items()}
    story = sgd_story(net, X, T, lr=0.5)
    want, want_before, want_after = torch_step(start, X, T, "sgd", 0.5)
    for k in start:
        assert np.array_equal(net.parameters()[k], start[k])
        assert np.allclose(story.after[k], want[k], rtol=1e-12, atol=1e-15)
        assert np.allclose(story.after[k], start[k] - 0.5 * story.gradients[k], rtol=1e-15, atol=0)
    assert story.loss_before == pytest.approx(want_before, rel=1e-12)
    assert story.loss_after == pytest.approx(want_after, rel=1e-12)
    assert story.loss_after < story.loss_before
    assert story.entry("b:y", 0).after == story.after["b:y"][0]
    assert story.entry("W:x->h", (9, 0)) is None and story.entry("W:nope", (0, 0)) is None
