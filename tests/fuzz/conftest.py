"""The fuzzing tally: inputs fed to each loader, printed at the end of the run and kept in files.

Each test process writes its counts to COUNTS_DIR/<run>/<process>.json when its session ends
(an xdist worker to the run's folder, a plain run to its own). The terminal summary adds up
this process's counts and those xdist workers report; it is printed when this conftest is
loaded in the process that prints the summary (pytest tests/fuzz ...). With -n 2 on the
whole suite the xdist controller never loads it: add up the run's files instead.
"""
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from tests.fuzz.strategies import ACCEPTED, COUNTS

COUNTS_DIR = Path(tempfile.gettempdir()) / "backprop-fuzz-counts"
_from_workers = {"inputs": Counter(), "accepted": Counter()}


def _mine() -> dict:
    return {"inputs": dict(COUNTS), "accepted": dict(ACCEPTED)}


def pytest_sessionfinish(session):
    workerinput = getattr(session.config, "workerinput", None)
    if COUNTS:
        run, name = ((workerinput["testrunuid"], workerinput["workerid"]) if workerinput
                     else (f"pid{os.getpid()}", "main"))
        folder = COUNTS_DIR / run
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.json").write_text(json.dumps(_mine(), indent=1))
    if workerinput is not None:         # an xdist worker: hand the counts to the controller
        session.config.workeroutput["fuzz_counts"] = json.dumps(_mine())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    reported = json.loads(getattr(node, "workeroutput", {}).get("fuzz_counts", "{}"))
    for key, counts in _from_workers.items():
        counts.update(reported.get(key, {}))


def pytest_terminal_summary(terminalreporter):
    inputs = COUNTS + _from_workers["inputs"]
    ok = ACCEPTED + _from_workers["accepted"]
    if not inputs:
        return
    terminalreporter.section("fuzzed inputs per loader (of which accepted)")
    for loader, n in sorted(inputs.items()):
        terminalreporter.write_line(f"{n:7,}  ({ok[loader]:5,})  {loader}")
    terminalreporter.write_line(f"{sum(inputs.values()):7,}  ({sum(ok.values()):5,})  in all")


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
