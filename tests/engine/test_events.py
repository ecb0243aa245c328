from engine.model.events import Event


def test_event_calls_subscribers_in_order_and_disconnects():
    seen = []
    e = Event("x")
    e.connect(lambda v: seen.append(("a", v)))
    f = lambda v: seen.append(("b", v))  # noqa: E731
    e.connect(f)
    e.emit(1)
    e.disconnect(f)
    e.emit(2)
    assert seen == [("a", 1), ("b", 1), ("a", 2)]


def test_a_batch_settles_once_when_the_outermost_batch_ends():
    from engine.model.events import GraphEvents
    events, seen = GraphEvents(), []
    events.settled.connect(lambda: seen.append(events.batching))
    with events.batch():
        with events.batch():
            assert events.batching
        assert seen == []
    assert seen == [False] and not events.batching
    try:
        with events.batch():
            raise KeyError("a failed edit")
    except KeyError:
        pass
    assert seen == [False, False] and not events.batching


def test_restore_emits_its_changes_inside_one_batch():
    from engine import Graph
    g = Graph("mse")
    g.add_node("input", 2, id="x")
    before = g.snapshot()
    for i in range(5):
        g.add_node("hidden", 3, "tanh", id=f"h{i}")
        g.connect("x", f"h{i}")
    after = g.snapshot()
    g.restore(before)
    changes, settled = [], []
    g.events.changed.connect(lambda name, *_: changes.append((name, g.events.batching)))
    g.events.settled.connect(lambda: settled.append(len(changes)))
    g.restore(after)
    assert len(changes) == 10 and all(batching for _, batching in changes)
    assert settled == [10]


def test_follow_calls_back_per_change_outside_a_batch_and_once_per_batch():
    from engine.model.events import GraphEvents
    events, calls = GraphEvents(), []
    stop = events.follow(lambda: calls.append(events.batching))
    events.changed.emit("node_added", None)
    assert calls == [False]
    with events.batch():
        for _ in range(100):
            events.changed.emit("node_added", None)
    assert calls == [False, False]
    with events.batch():
        pass                                   # a batch that changed nothing
    assert calls == [False, False]
    stop()
    events.changed.emit("node_added", None)
    assert calls == [False, False]
