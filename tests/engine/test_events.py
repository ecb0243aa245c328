from engine.events import Event


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
