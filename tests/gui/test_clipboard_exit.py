"""A design left on the clipboard survives quitting, as text, and quitting does not crash."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from gui.canvas.clipboard import DESIGN_MIME, leave_as_text, put_on_clipboard, read_clipboard

ROOT = Path(__file__).resolve().parents[2]
DESIGN = {"format": "backprop-studio-design", "version": 1, "nodes": [], "connections": []}

COPY_THEN_EXIT = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from PySide6.QtWidgets import QApplication
    from gui.canvas.clipboard import put_on_clipboard
    app = QApplication([])
    put_on_clipboard({"format": "backprop-studio-design", "nodes": []})
    print("copied")
""")


def test_exiting_with_a_design_on_the_clipboard_does_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", COPY_THEN_EXIT, str(ROOT)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "copied"), done.stderr[-2000:]


def test_at_exit_the_design_stays_as_text_that_still_pastes(qapp):
    put_on_clipboard(DESIGN)
    assert qapp.clipboard().mimeData().hasFormat(DESIGN_MIME)
    leave_as_text()
    mime = qapp.clipboard().mimeData()
    assert not mime.hasFormat(DESIGN_MIME)
    assert json.loads(mime.text()) == DESIGN
    assert read_clipboard() == DESIGN


def test_at_exit_someone_elses_clipboard_is_left_alone(qapp):
    qapp.clipboard().setText("not ours")
    leave_as_text()
    assert qapp.clipboard().text() == "not ours"
