"""A window picture as PNG bytes, quickly: the screenshot's last step.

Qt's PNG writer filters every row adaptively before compressing; for a window (large flat
areas) that costs more than it saves: unfiltered rows at zlib level 1 take about a third
of the time (13 ms rather than 33 ms for 1600×1000 here) and the file comes out no larger.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
from PySide6.QtGui import QImage

SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_LEVEL = 1
RGB_COLOUR_TYPE = 2


def png_bytes(image: QImage) -> bytes:
    """``image`` as an opaque 8-bit RGB PNG (any alpha is dropped: a window is opaque)."""
    rgb = image.convertToFormat(QImage.Format_RGB888)
    w, h = rgb.width(), rgb.height()
    rows = np.frombuffer(rgb.constBits(), np.uint8, rgb.sizeInBytes()).reshape(h, rgb.bytesPerLine())
    scanlines = np.zeros((h, 1 + 3 * w), np.uint8)     # each row: filter type 0 (none), then RGB
    scanlines[:, 1:] = rows[:, :3 * w]
    header = struct.pack(">IIBBBBB", w, h, 8, RGB_COLOUR_TYPE, 0, 0, 0)
    return (SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(scanlines.tobytes(), ZLIB_LEVEL)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
