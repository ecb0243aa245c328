"""The import rules of docs/architecture.md, checked on every run.

Each import-linter contract in pyproject.toml's ``[tool.importlinter]`` runs as its own
test (so a broken engine rule does not hide the state of the GUI's), and a cycle check
over every module of ``engine`` and ``gui`` counts every import, including those inside
functions: a function-level import may delay a load, never hide a cycle.
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from collections import deque
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("engine", "gui")
EXPECTED_CONTRACTS = {"engine-qt-free", "engine-cli-on-top", "engine-layers", "engine-acyclic",
                      "gui-layers", "replay-logic-qt-free", "gui-acyclic"}


def contracts() -> list[dict]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_architecture_rules_are_all_there():
    ids = {c.get("id") for c in contracts()}
    assert EXPECTED_CONTRACTS <= ids, f"contracts missing from pyproject.toml: {EXPECTED_CONTRACTS - ids}"


@pytest.mark.parametrize("contract", [c["id"] for c in contracts()])
def test_import_contract_is_kept(contract):
    if not LINT_IMPORTS.exists():
        pytest.skip(f"import-linter is not installed in this environment ({LINT_IMPORTS})")
    # lint-imports puts its working directory on sys.path: the repo's packages, whatever ours is.
    run = subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache", "--contract", contract,
                          str(PYPROJECT)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"contract {contract} is broken:\n{run.stdout}{run.stderr}"


# ----- module-level cycles -------------------------------------------------------------
@pytest.fixture(scope="module")
def import_graph() -> grimp.ImportGraph:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """The import graph's strongly connected components of two or more modules (Tarjan,
    iterative), each sorted; a module importing itself counts as a component too."""
    imports = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in imports:
        if root in index:
            continue
        work = [(root, iter(imports[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(imports[child])))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or module in imports[module]:
                    found.append(sorted(component))
    return found


def one_loop(graph: grimp.ImportGraph, component: list[str]) -> str:
    """A shortest import loop through the component's first module, with line numbers."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for child in sorted(graph.find_modules_directly_imported_by(module) & members):
            if child == start:
                path = [module]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                path = [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, start]
                return "\n".join(f"  {a} -> {b} (l.{lines(graph, a, b)})" for a, b in zip(path, path[1:]))
            if child not in came_from:
                came_from[child] = module
                queue.append(child)
    return "  (no loop found)"


def lines(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    return ", ".join(str(d["line_number"]) for d in details) or "?"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_imports_itself_through_others(import_graph, package):
    cycles = [c for c in strongly_connected(import_graph)
              if any(m == package or m.startswith(package + ".") for m in c)]
    report = "\n\n".join(f"cycle among {', '.join(c)}:\n{one_loop(import_graph, c)}" for c in cycles)
    assert not cycles, f"import cycles in {package}:\n\n{report}"


def test_the_cycle_check_finds_a_cycle():
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        graph.add_import(importer=a, imported=b, line_number=1, line_contents=f"import {b}")
    assert strongly_connected(graph) == [["p.a", "p.b", "p.c"]]
    assert one_loop(graph, ["p.a", "p.b", "p.c"]) == ("  p.a -> p.b (l.1)\n  p.b -> p.c (l.1)\n"
                                                      "  p.c -> p.a (l.1)")
