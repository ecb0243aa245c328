"""Fixtures of the fuzz tests: the command line run in-process, and for the modules that open
windows, the GUI tests' QApplication. Each xdist worker hands its fuzzing tally to the controller,
which prints it (tests/conftest.py).
"""
import json

import pytest

from tests.fuzz.strategies import ACCEPTED, COUNTS


def pytest_sessionfinish(session):
    if hasattr(session.config, "workerinput"):      # an xdist worker: hand the counts to the controller
        session.config.workeroutput["fuzz_counts"] = json.dumps(
            {"inputs": dict(COUNTS), "accepted": dict(ACCEPTED)})


@pytest.fixture(autouse=True)
def _qt_for_the_window_tests(request):
    """The modules that fuzz the GUI import tests/gui's window fixtures (``main_window``): their
    tests run as tests/gui's do, in a QApplication with the app's garbage collector. The other
    fuzz tests never start Qt."""
    if hasattr(request.module, "main_window"):
        request.getfixturevalue("qapp")
        from gui.shell.garbage import collect_between_events
        collect_between_events()


@pytest.fixture
def cli(capsys):
    """``run(argv) -> (code, out)``: engine.cli.commands.main in-process, checked the way a user sees it.

    Whatever the input: no traceback, no warning printed. A failure is one line on
    stderr starting "error: " and a non-zero code; the one non-zero result that is not
    an error is a gradient check that reports FAIL on stdout.
    """
    import warnings

    from engine.cli import main

    def run(argv: list[str]) -> tuple[int, str]:
        capsys.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        shown = err.strip().splitlines() + [f"{w.category.__name__}: {w.message}" for w in caught]
        assert "Traceback" not in out + err, (argv, out, err)
        if code == 0:
            assert not shown, (argv, shown)
        elif argv[0] == "gradcheck" and not shown and "FAIL" in out:
            pass
        else:
            assert len(shown) == 1 and shown[0].startswith("error: "), (argv, code, shown)
        return code, out
    return run
