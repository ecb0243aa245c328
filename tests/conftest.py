"""Shared by every test: no display, one BLAS thread, a private temporary folder removed at the
end, and the fuzzing tally printed in the summary.

Qt is not imported here: the engine and command-line tests never load it (tests/engine/test_no_qt.py).
The GUI's fixtures are in tests/gui/conftest.py.
"""
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

# Before any Qt import: tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# One folder for the session, removed at its end: autosaves of the windows tests open (never in
# the user's data folder), torch's compile cache, and the temporary files of native libraries
# (onnxruntime writes $TMPDIR/.ses) and of child processes, xdist workers included. This
# process's own tempfile module keeps the system folder, where pytest puts tmp_path.
SESSION_FOLDER = tempfile.mkdtemp(prefix="backprop-studio-test-")
os.environ["BACKPROP_STUDIO_DATA"] = os.path.join(SESSION_FOLDER, "data")
os.environ["TORCHINDUCTOR_CACHE_DIR"] = os.path.join(SESSION_FOLDER, "torchinductor")
os.environ["TMPDIR"] = SESSION_FOLDER
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pytest  # noqa: E402


def pytest_unconfigure(config):
    shutil.rmtree(SESSION_FOLDER, ignore_errors=True)


@pytest.fixture(autouse=True)
def _garbage_collected_between_tests():
    """Once a GUI test has started the app's collector in this process, automatic cyclic collection
    is off (gui/shell/garbage.py): collect between tests, as the app's timer does between events."""
    yield
    garbage = sys.modules.get("gui.shell.garbage")
    if garbage is not None and garbage.collect_between_events.cache_info().currsize:
        garbage.collect_between_events().check()


# ----- the fuzzing tally (tests/fuzz/strategies.py counts; xdist workers hand theirs over) ---------
# Here rather than in tests/fuzz/conftest.py: the xdist controller of a whole-suite run loads this
# conftest only, and nothing is written to disk.
_FROM_WORKERS = {"inputs": Counter(), "accepted": Counter()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    reported = json.loads(getattr(node, "workeroutput", {}).get("fuzz_counts", "{}"))
    for key, counts in _FROM_WORKERS.items():
        counts.update(reported.get(key, {}))


def pytest_terminal_summary(terminalreporter):
    fuzz = sys.modules.get("tests.fuzz.strategies")        # loaded when this process ran fuzz tests
    inputs = Counter(fuzz.COUNTS if fuzz else {}) + _FROM_WORKERS["inputs"]
    ok = Counter(fuzz.ACCEPTED if fuzz else {}) + _FROM_WORKERS["accepted"]
    if not inputs:
        return
    terminalreporter.section("fuzzed inputs per loader (of which accepted)")
    for loader, n in sorted(inputs.items()):
        terminalreporter.write_line(f"{n:7,}  ({ok[loader]:5,})  {loader}")
    terminalreporter.write_line(f"{sum(inputs.values()):7,}  ({sum(ok.values()):5,})  in all")
