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


_exit_status = {"code": 0}


@pytest.fixture(autouse=True)
def _garbage_collected_between_tests(qapp):
    # As in the app: no automatic cyclic collection, which could start inside a paint
    # (gui/garbage.py); the app's timer collects during events, and this between tests.
    from gui.garbage import collect_between_events
    collector = collect_between_events()
    yield
    collector.check()


def pytest_sessionfinish(session, exitstatus):
    _exit_status["code"] = int(exitstatus)


def pytest_unconfigure(config):
    # Interpreter shutdown after a long Qt session segfaulted (in Qt/shiboken object
    # teardown, after every test had passed and the summary was printed). Nothing is
    # left to do once the run is over, so end the process with the run's own status.
    if "PySide6.QtWidgets" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status["code"])
