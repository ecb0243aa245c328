"""Paths that are not regular files, and a guard for loaders that once hung on them.

``guarded`` runs a load in a daemon thread, so that a regression fails the test instead
of blocking the suite: the limit is a hang guard, not a speed assertion.
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

HANG_SECONDS = 10
KINDS = ("fifo", "folder", "device")
MESSAGES = {"fifo": "is a named pipe", "folder": "is a folder", "device": "is a device"}


def non_regular(folder: Path, kind: str, name: str = "data.csv") -> Path:
    """A path in ``folder`` named ``name`` that is a FIFO, a folder, or a link to /dev/zero."""
    path = folder / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")    # open() follows it; reading never ends
    return path


def release(path: Path) -> None:
    """Unblock a reader stuck opening the FIFO ``path``: a writer opens it and closes it (EOF)."""
    with contextlib.suppress(OSError):      # not a FIFO, or no reader waiting
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def guarded(fn, *args, path: Path | None = None, seconds: float = HANG_SECONDS, **kwargs):
    """``fn(*args, **kwargs)`` in a daemon thread: its result, or its exception raised here.

    AssertionError if it is still running after ``seconds``; a reader stuck on the FIFO
    ``path`` is then released so that the thread ends.
    """
    outcome = {}

    def run():
        try:
            outcome["result"] = fn(*args, **kwargs)
        except BaseException as e:      # handed to the test's thread
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        if path is not None:
            release(path)
        raise AssertionError(f"hang guard: {getattr(fn, '__name__', fn)} has not returned after {seconds} s "
                             "(it blocks; this is not a speed check)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
