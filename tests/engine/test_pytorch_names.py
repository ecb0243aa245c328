"""The generated PyTorch class is never named like a builtin or a name its module uses."""
import ast
import builtins
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from engine import Graph, Network
from engine.io.onnx_export import ExportError
from engine.io.pytorch_export import export_pytorch
from engine.io.pytorch_names import RESERVED, class_name_for

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "xor_neurons.json"
# File names whose class name was a builtin (ValueError.py) or a name of the module (f.py: F).
SHADOWING = ["ValueError.py", "Exception.py", "list.py", "print.py", "f.py", "path.py", "WEIGHTS.py",
             "l1.py", "Ellipsis.py", "not_implemented.py", "NotImplemented.py", "True.py", "nn.py"]


def _module_names(source: str) -> list[str]:
    """Every name bound at the top level of the module: imports, assignments, defs, classes."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


@pytest.mark.parametrize("file_name", SHADOWING)
def test_the_class_name_hides_no_builtin_and_no_name_of_the_module(tmp_path, file_name):
    graph = Graph.load(EXAMPLE)
    path = tmp_path / file_name
    export_pytorch(graph, Network(graph).parameters(), path)
    cls = class_name_for(path)
    source = path.read_text()
    compile(source, str(path), "exec")
    assert f"class {cls}(nn.Module)" in source
    assert not hasattr(builtins, cls) and cls not in RESERVED
    names = _module_names(source)
    assert names.count(cls) == 1, names


def test_an_explicit_class_name_that_would_hide_a_name_is_refused(tmp_path):
    graph = Graph.load(EXAMPLE)
    for bad in ("ValueError", "torch", "F", "class", "no name"):
        with pytest.raises(ExportError, match="cannot name the class"):
            export_pytorch(graph, Network(graph).parameters(), tmp_path / "m.py", class_name=bad)
    assert not (tmp_path / "m.py").exists()


def _torch_ready() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "safetensors"))


@pytest.mark.skipif(not _torch_ready(), reason="torch is not installed: the generated module is not run")
@pytest.mark.parametrize("file_name", ["ValueError.py", "list.py", "print.py", "f.py"])
def test_a_module_named_after_a_builtin_imports_and_runs(tmp_path, file_name):
    import torch
    graph = Graph.load(EXAMPLE)
    net = Network(graph)
    path = tmp_path / file_name
    export_pytorch(graph, net.parameters(), path)
    spec = importlib.util.spec_from_file_location(f"generated_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, class_name_for(path))().load_weights()
    X = np.random.default_rng(0).normal(size=(4, graph.input_node().size)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(model(torch.from_numpy(X)).numpy(), net.forward(X), rtol=1e-5, atol=1e-6)
    assert "ValueError" not in vars(module)         # the builtin is not hidden in the module
