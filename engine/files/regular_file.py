"""Opening a user's file for reading: a regular file, or a one-line refusal at once.

open() on a named pipe (FIFO) blocks until a writer appears, /dev/zero never ends,
and a folder fails late with an unclear error. The path is checked with stat()
before it is opened, opened without blocking, and checked again with fstat() on
the open descriptor, in case the path was swapped in between.
"""
from __future__ import annotations

import errno
import os
import stat

__all__ = ["NotAFileError", "check_regular", "open_regular", "read_regular_bytes", "read_regular_text"]


class NotAFileError(OSError):
    """The path names a folder, pipe, device or socket, or cannot be a file name; str() says which."""

    def __init__(self, code: int, strerror: str, path: str | None = None, message: str | None = None):
        super().__init__(code, strerror, path)
        self.message = message or strerror

    def __str__(self) -> str:
        return self.message


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _refuse(path: str, mode: int) -> None:
    kind = _kind(mode)
    if kind is not None:
        code = errno.EISDIR if kind == "a folder" else errno.EINVAL
        raise NotAFileError(code, f"not a regular file ({kind})", path,
                            f"{path} is {kind}, not a regular file")


def check_regular(path) -> None:
    """Raise NotAFileError unless ``path`` is a regular file (FileNotFoundError if it is absent)."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:      # a NUL in the name (a hand-edited design's "data")
        raise NotAFileError(errno.EINVAL, "not a usable file name", str(path),
                            f"{str(path)!r} is not a usable file name") from None
    _refuse(os.fspath(path), mode)


def open_regular(path, mode: str = "rb", **kwargs):
    """open(path, mode, **kwargs) for reading, refusing anything but a regular file before it blocks."""
    if not mode.startswith("r") or "+" in mode:
        raise ValueError(f"open_regular only reads, not mode {mode!r}")
    check_regular(path)
    path = os.fspath(path)
    nonblock = getattr(os, "O_NONBLOCK", 0)     # not on Windows, where open() on a pipe does not wait
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_BINARY", 0))
    try:
        _refuse(path, os.fstat(fd).st_mode)     # the path may have been swapped since the stat()
        if nonblock:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, mode, **kwargs)


def read_regular_bytes(path) -> bytes:
    with open_regular(path, "rb") as f:
        return f.read()


def read_regular_text(path, encoding: str = "utf-8") -> str:
    with open_regular(path, "r", encoding=encoding) as f:
        return f.read()
