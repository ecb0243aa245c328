"""PipeSender: a sender that never blocks on a full pipe, and keeps the order."""
import multiprocessing as mp
import threading
import time

import numpy as np

from gui.training.pipe_sender import PipeSender
from tests.hang_guard import guarded


def test_a_message_bigger_than_the_pipe_does_not_block_the_sender_and_arrives_in_order():
    ours, theirs = mp.Pipe()
    sender = PipeSender(ours, "test-sender")
    big = np.arange(2_000_000, dtype=np.float64)          # 16 MB: far more than a pipe holds
    # Nobody reads yet: a send that wrote to the pipe itself would block here (the guard fails it).
    guarded(sender.send, ("big", big))
    guarded(sender.send, ("small", 1))
    time.sleep(0.1)                                       # let the thread start writing
    assert not sender.idle                                # queued, not all written: nobody has read it
    kind, value = theirs.recv()
    assert kind == "big" and np.array_equal(value, big)
    assert theirs.recv() == ("small", 1)
    sender.close(timeout=5)                               # waits for the thread to hand on the rest
    assert sender.idle
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
    sender = PipeSender(ours, "broken-pipe-sender")
    theirs.close()
    sender.send(("lost", np.zeros(1_000_000)))
    sender.close(timeout=5)
    assert "broken-pipe-sender" not in {t.name for t in threading.enumerate()}   # its thread ended
    assert not sender.idle                                # the message was never handed on
    ours.close()
