import os
import sys
import tempfile
from pathlib import Path

# Before any Qt import: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Autosaves of the windows tests open never land in the user's data folder.
os.environ["BACKPROP_STUDIO_DATA"] = tempfile.mkdtemp(prefix="backprop-studio-test-data-")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _garbage_collected_between_tests(qapp):
    # As in the app: no automatic cyclic collection, which could start inside a paint
    # (gui/garbage.py); the app's timer collects during events, and this between tests.
    from gui.shell.garbage import collect_between_events
    collector = collect_between_events()
    yield
    collector.check()

