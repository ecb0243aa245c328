"""The palette's drag payload: a vendor MIME type carrying a node spec as JSON.

A spec is {"kind", "size", "activation", "label"} (SPEC_KEYS): what the palette
offers and what the canvas's ``add_node_at`` takes.
"""
from __future__ import annotations

import json

from PySide6.QtCore import QMimeData

from engine.files.json_text import read_json_text

PALETTE_MIME = "application/x-backprop-studio-node"
SPEC_KEYS = ("kind", "size", "activation", "label")


def palette_mime_data(spec: dict) -> QMimeData:
    """The drag payload of a spec: PALETTE_MIME carrying its SPEC_KEYS as JSON."""
    mime = QMimeData()
    mime.setData(PALETTE_MIME, json.dumps({k: spec[k] for k in SPEC_KEYS}).encode("utf-8"))
    return mime


def carries_palette_entry(mime: QMimeData | None) -> bool:
    return mime is not None and mime.hasFormat(PALETTE_MIME)


def payload_from_mime_data(mime: QMimeData | None) -> dict | None:
    """The JSON object a drag carries, as it is; None if it carries none (or garbage)."""
    if not carries_palette_entry(mime):
        return None
    try:
        data = read_json_text(bytes(mime.data(PALETTE_MIME)), "the dragged entry")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def spec_from_mime_data(mime: QMimeData | None) -> dict | None:
    """The complete spec a drag carries (SPEC_KEYS only), or None if it carries none."""
    data = payload_from_mime_data(mime)
    if data is None or any(k not in data for k in SPEC_KEYS):
        return None
    return {k: data[k] for k in SPEC_KEYS}
