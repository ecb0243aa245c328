"""PipeSender: a sender that never blocks on a full pipe, and keeps the order."""
import multiprocessing as mp
import time

import numpy as np

from gui.training.pipe_sender import PipeSender


def test_a_message_bigger_than_the_pipe_does_not_block_the_sender_and_arrives_in_order():
    ours, theirs = mp.Pipe()
    sender = PipeSender(ours, "test-sender")
    big = np.arange(2_000_000, dtype=np.float64)          # 16 MB: far more than a pipe holds
    start = time.perf_counter()
    sender.send(("big", big))
    sender.send(("small", 1))
    assert time.perf_counter() - start < 1.0              # queued, not written
    time.sleep(0.1)
    assert not sender.idle                                # nobody has read it yet
    kind, value = theirs.recv()
    assert kind == "big" and np.array_equal(value, big)
    assert theirs.recv() == ("small", 1)
    deadline = time.perf_counter() + 5
    while not sender.idle and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert sender.idle
    sender.close()
    ours.close()
    theirs.close()


def test_what_is_queued_is_what_was_sent_even_if_the_caller_changes_it_later():
    ours, theirs = mp.Pipe()
    sender = PipeSender(ours, "test-sender")
    settings = {"lr": 0.1}
    sender.send(("design", settings))
    settings["lr"] = 5.0
    assert theirs.recv() == ("design", {"lr": 0.1})
    sender.close()


def test_a_broken_pipe_ends_the_sender_quietly():
    ours, theirs = mp.Pipe()
    sender = PipeSender(ours, "test-sender")
    theirs.close()
    sender.send(("lost", np.zeros(1_000_000)))
    sender.close(timeout=5)
    assert not sender._thread.is_alive()
    ours.close()
