"""The engine is a library: no module under engine/ may import Qt or pyqtgraph, and its tests
and the command line's run without Qt."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "shiboken6")


def test_no_engine_source_imports_qt():
    offenders = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert not offenders, offenders


def test_importing_every_engine_module_loads_no_qt():
    modules = [".".join(p.relative_to(ENGINE.parent).with_suffix("").parts)
               for p in ENGINE.rglob("*.py")]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m.removesuffix('.__init__'))\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ENGINE.parent)


def test_the_engine_and_command_line_tests_run_without_qt():
    # pytest-qt imports Qt as it configures, so it is switched off: what is checked is that no
    # test module or conftest under tests/engine or tests/cli, and no fixture a test uses, loads Qt.
    code = ("import sys, pytest\n"
            "opts = ['-q', '-p', 'no:cacheprovider', '-p', 'no:pytest-qt', '-p', 'no:xdist']\n"
            "assert pytest.main([*opts, '--collect-only', 'tests/engine', 'tests/cli']) == 0\n"
            "assert pytest.main([*opts, 'tests/engine/test_graph.py', 'tests/engine/test_events.py']) == 0\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
            "assert not bad, bad\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
