"""PipeSender: messages sent down a multiprocessing pipe by a thread of their own."""
from __future__ import annotations

import queue
import threading
from multiprocessing.reduction import ForkingPickler


class PipeSender:
    """Sends messages in order on a thread of its own, so that the sender never blocks.

    A big message (a snapshot of a thousand connections, the weights of a 4,096-neuron
    layer: a megabyte or more) does not fit the pipe's buffer, and ``send`` waits until
    the other side reads it. The GUI waiting so froze the window (deadlocked, when the
    worker was waiting on it in turn); the worker waiting so trained a few steps a second.
    Messages are pickled by ``send`` itself, as ``Connection.send`` would: what is queued
    cannot change any more. A broken pipe ends the thread quietly; the reader finds out.
    """

    def __init__(self, conn, name: str):
        self._conn = conn
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._unsent = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)
        self._thread.start()

    def send(self, message) -> None:
        data = ForkingPickler.dumps(message)
        with self._lock:
            self._unsent += 1
        self._queue.put(data)

    @property
    def idle(self) -> bool:
        """Everything sent so far has been handed to the pipe."""
        with self._lock:
            return self._unsent == 0

    def close(self, timeout: float = 1.0) -> None:
        """Send what is queued (for at most ``timeout`` seconds), then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            try:
                self._conn.send_bytes(data)
            except (OSError, ValueError):
                return
            with self._lock:
                self._unsent -= 1
