"""A design whose data names a FIFO, a folder or a device opens at once and says why it cannot train."""
import json
import threading
from pathlib import Path

import pytest

from tests.hang_guard import HANG_SECONDS, MESSAGES, non_regular, release

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30_000    # ms: the worker process is spawned


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_opening_a_design_whose_data_is_not_a_regular_file_keeps_the_window_responsive(
        qtbot, main_window, tmp_path, kind):
    data = non_regular(tmp_path, kind)
    design = json.loads((ROOT / "resources" / "examples" / "house_prices.json").read_text())
    design["settings"] = {**design.get("settings", {}), "data": str(data), "target": None}
    path = tmp_path / "design.json"
    path.write_text(json.dumps(design))
    # The panel read the CSV's columns on the GUI thread: open() on the FIFO blocked the window
    # until a writer came. A regression is released after HANG_SECONDS and then fails below.
    released = threading.Event()
    guard = threading.Timer(HANG_SECONDS, lambda: (released.set(), release(data)))
    guard.start()
    try:
        assert main_window.document.load(path)
    finally:
        guard.cancel()
    assert not released.is_set(), f"hang guard: opening the design blocked until released after {HANG_SECONDS} s"
    assert main_window.graph.settings["data"] == str(data) and main_window.graph.nodes
    panel = main_window.training.panel
    # Said at once, and not overwritten by "Ready": the user sees why training cannot start.
    qtbot.waitUntil(lambda: "Cannot train yet" in panel.status.text(), timeout=TIMEOUT)
    assert MESSAGES[kind] in panel.status.text() and panel.status.styleSheet()
    panel.set_status("")
    panel.step_button.click()       # the trainer process loads the data too: it reports, not hangs
    qtbot.waitUntil(lambda: MESSAGES[kind] in panel.status.text(), timeout=TIMEOUT)
    assert "not a regular file" in panel.status.text() and panel.status.styleSheet()
