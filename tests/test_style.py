"""House rules that check themselves: ruff is clean, modules and functions stay small,
and the GUI's modules live in feature folders (docs/architecture.md)."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINTED = ("engine", "gui", "tests", "bench", "main.py")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_LOOSE_GUI_MODULES = 3           # gui/__init__.py and at most two more beside the feature folders


def _modules():
    for package in ("engine", "gui"):
        yield from sorted((ROOT / package).rglob("*.py"))


def _ruff() -> list[str]:
    beside_python = Path(sys.executable).with_name("ruff")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


def test_ruff_finds_nothing():
    run = subprocess.run([*_ruff(), "check", "--no-cache", "--output-format", "concise", *LINTED],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_modules_are_under_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_MODULE_LINES]
    assert not long, "\n".join(long)


def test_functions_are_under_60_lines():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n >= MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "\n".join(long)


def test_few_modules_lie_loose_in_gui():
    loose = sorted(p.name for p in (ROOT / "gui").glob("*.py"))
    assert len(loose) <= MAX_LOOSE_GUI_MODULES, loose
