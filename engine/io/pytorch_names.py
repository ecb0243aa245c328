"""Python names for the generated PyTorch module: node ids made into safe, unique names."""
from __future__ import annotations

import builtins
import keyword
import re
import textwrap
from pathlib import Path

# Names the generated code uses itself; a node id sanitised into one of them gets a "_".
RESERVED = {"self", "torch", "nn", "F", "Path", "load_file", "WEIGHTS", "loss_fn", "glorot_", "he_",
            "mask_without", "mask_from_rows", "model", "optimizer", "loss", "t", "x_example",
            "L1", "L2", "print", "range", "float"}


def safe_text(text) -> str:
    """User text (ids, titles) made safe inside a comment or docstring of the generated code."""
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text)
    return text.replace("\\", "/").replace('"""', "'''")


def comment(text: str, indent: str = "        ") -> str:
    """User text as comment lines of at most 100 characters."""
    return textwrap.fill(safe_text(text), 100, initial_indent=indent + "# ", subsequent_indent=indent + "#   ",
                         break_long_words=False, break_on_hyphens=False)


def _base(text: str) -> str:
    """Letters, digits and _ of an id (the part of a Python name it contributes)."""
    return re.sub(r"_+", "_", re.sub(r"\W", "_", text, flags=re.ASCII)).strip("_") or "node"


def _variable(text: str) -> str:
    name = _base(text)
    if name[0].isdigit():
        name = f"node_{name}"
    while keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED:
        name += "_"
    return name


def _unique(name: str, taken: set) -> str:
    candidate, k = name, 2
    while candidate in taken:
        candidate, k = f"{name}_{k}", k + 1
    taken.add(candidate)
    return candidate


def class_name_for(path) -> str:
    """The module's class name from the file name: skip_connection.py -> SkipConnection,
    ValueError.py -> ModelValueError."""
    words = re.findall(r"[A-Za-z0-9]+", Path(path).stem)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    if not name or name[0].isdigit() or not usable_class_name(name):
        name = "Model" + name
    return name


def usable_class_name(name: str) -> bool:
    """Whether ``name`` can name the generated class: not a keyword, not a name the module
    uses (torch, F, Path...) and not a builtin (a ValueError.py must not hide ValueError)."""
    return (name.isidentifier() and not keyword.iskeyword(name) and name not in RESERVED
            and not hasattr(builtins, name))


class Names:
    """Python names for the nodes (variables) and parameters (attributes) of a design."""

    def __init__(self, graph):
        taken: set = set()
        order = graph.topological_order()
        self.node = {n: _unique(_variable(n), taken) for n in order}
        base = {n: _base(n) for n in order}
        self.weight, self.mask = {}, {}
        for c in graph.connections.values():
            s, d = base[c.src], base[c.dst]
            self.weight[c.pair] = _unique(f"W_{s}_{d}", taken)
            if c.mask is not None:
                self.mask[c.pair] = _unique(f"mask_{s}_{d}", taken)
        self.bias = {n: _unique(f"b_{base[n]}", taken) for n in order if graph.node(n).kind != "input"}
        self.z = {n: _unique(f"z_{base[n]}", taken) for n in order}
