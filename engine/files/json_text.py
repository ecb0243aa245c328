"""JSON read from files and metadata: every way text fails to be JSON becomes the caller's error.

``json.loads`` raises JSONDecodeError for bad syntax, UnicodeDecodeError for bytes that are
not UTF-8, ValueError for an integer of more than 4,300 digits, TypeError for something that
is not text, and RecursionError for nesting deeper than the interpreter's stack. Loaders call
``read_json_text`` so that each of these is one clean message naming the file.
"""
from __future__ import annotations

import json

# Deepest nesting kept once parsed. Designs and weights need a few levels; data nested near
# the interpreter's limit parses, and then fails to be written back (json.dumps is recursive).
MAX_DEPTH = 64


def read_json_text(text, what: str, error: type[Exception] = ValueError):
    """``text`` (str, or bytes read as UTF-8) parsed, or ``error("{what}: ...")`` saying why not."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = text.decode("utf-8")     # json.loads would guess UTF-16 and UTF-32 too
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise error(f"{what}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except ValueError as e:     # not UTF-8, or an integer of more than 4,300 digits
        raise error(f"{what}: not valid JSON ({e})") from None
    except TypeError:
        raise error(f"{what}: not JSON text but {type(text).__name__}") from None
    except RecursionError:
        raise error(f"{what}: nested too deeply to be read") from None


def depth(value, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar), counted up to ``limit`` + 1.

    Iterative: a value too deep for recursive code is measured without recursing.
    """
    if not isinstance(value, (list, dict)):
        return 0
    deepest, stack = 1, [(value, 1)]
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            break
        stack.extend((c, d + 1) for c in (v.values() if isinstance(v, dict) else v)
                     if isinstance(c, (list, dict)))
    return deepest
