"""Atomic file writes: a temporary file beside the target, flushed, then renamed."""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)
STALE_AFTER = 60.0      # seconds since a temporary was last written before it counts as left behind


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Yield a file object; on success it replaces ``path`` in one rename.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)      # mkstemp makes 0600; saved files get the usual mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    remove_stale_temporaries(path)


def remove_stale_temporaries(path) -> None:
    """Remove the temporaries of ``path`` that a killed save left (``.NAME.XXXXXXXX.tmp``).

    Only those not written to for STALE_AFTER seconds: a younger one may belong to a save of
    the same file running now in another thread or process, whose rename would then fail.
    The name must be exactly what ``mkstemp`` makes for ``path``, so that the temporaries of
    another file (``NAME.bak``) and the user's own files are never touched. Never raises.
    """
    path = Path(path)
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}\.tmp")
    cutoff = time.time() - STALE_AFTER
    with contextlib.suppress(OSError), os.scandir(path.parent or ".") as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                stat = entry.stat(follow_symlinks=False)
                if entry.is_file(follow_symlinks=False) and stat.st_mtime < cutoff:
                    os.unlink(entry.path)


def atomic_write_bytes(path, data: bytes) -> None:
    with atomic_write(path, "wb") as f:
        f.write(data)
