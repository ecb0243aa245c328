"""Generate a readable PyTorch module (.py) for a design, its weights in a .safetensors beside it.

The module has an ``nn.Parameter`` per weight matrix (dst × src, nn.Linear's (out,
in)) and per bias, named after the app's parameters (W:h1->h2 is ``W_h1_h2``); a 0/1
mask buffer multiplied into the weights of each connection with removed edges;
for a trained design, buffers of the fitted transform (``standardise`` raw rows,
``to_units`` for the output: engine.io.pytorch_transform); ``logits(x)`` walking the
nodes in topological order (z = Σ a_src Wᵀ + b, so skip connections are sums; then the
activation) up to the output's z; ``forward(x)``, the output's activation (for a trained
design in the target's units or as class probabilities), as the app shows it; ``loss_fn(logits, target)``, the design's
loss; ``load_weights()``; and an ``if __name__ == "__main__":`` example. The weights
file is the app's own format (the app imports it back). Nothing here imports torch.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.files.atomic import atomic_write
from engine.io.exported_transform import fitted_preprocessing
from engine.io.onnx_export import expected_shapes
from engine.io.pytorch_code import (HELPERS, class_code, example_code, head_code, loss_code, mask_code,
                                    penalty_code, reset_body)
from engine.io.pytorch_names import Names, class_name_for, safe_text, usable_class_name
from engine.io.weights import check_weights, save_weights
from engine.model.errors import ExportError, WeightsError
from engine.model.param_names import bias_name, weight_name

__all__ = ["export_pytorch", "pytorch_source", "class_name_for"]


def _check(graph, params, path: Path) -> None:
    """Refuse what cannot be exported, with the reason; the fitted transform must fit the design."""
    if path.suffix.lower() != ".py":
        raise ExportError(f"{path.name}: a PyTorch export is a .py file")
    if path.stem in ("torch", "safetensors", "typing"):
        raise ExportError(f"{path.name}: a module of that name would hide the {path.stem} package "
                          "it imports: choose another name")
    graph.check_complete()
    graph.check_loss()
    if not isinstance(params, dict):
        raise WeightsError("the parameters must be a dict of name -> array")
    check_weights(expected_shapes(graph), params)
    bad = [k for k, v in params.items() if not np.isfinite(np.asarray(v, dtype=np.float64)).all()]
    if bad:
        raise WeightsError(f"{', '.join(bad)} hold NaN or infinite values: train again or load "
                           "good weights before exporting")
    fitted_preprocessing(graph)
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the folder {path.parent} does not exist")


def _number(value) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    return float(value) if ok and value > 0 else 0.0


def pytorch_source(graph, cls: str, weights_name: str) -> str:
    """The text of the generated module (the design must be complete)."""
    names = Names(graph)
    settings = graph.settings if isinstance(graph.settings, dict) else {}
    title = safe_text(settings["title"]) if isinstance(settings.get("title"), str) else ""
    l1, l2 = _number(settings.get("l1", 0)), _number(settings.get("l2", 0))
    shapes = expected_shapes(graph)
    attribute = {weight_name(*c.pair): names.weight[c.pair] for c in graph.connections.values()}
    attribute.update({bias_name(n): b for n, b in names.bias.items()})
    param_map = "".join(f"\n        {k!r}: {attribute[k]!r}," for k in shapes)
    reset, inits = reset_body(graph, names)
    helpers = sorted({mask_code(c.mask, "")[0] for c in graph.connections.values()
                      if c.mask is not None}) + sorted(inits)
    penalty = penalty_code(graph, names, l1, l2) if (l1 or l2) else ""
    constants = f"\nL1 = {l1!r}  # the design's weight penalties\nL2 = {l2!r}" if penalty else ""
    p = fitted_preprocessing(graph)
    blocks = ([head_code(graph, cls, title, weights_name, shapes, constants, p)]
              + [HELPERS[h] for h in helpers]
              + [loss_code(graph), class_code(graph, cls, names, param_map, reset, penalty, p),
                 example_code(graph, cls, bool(penalty), p)])
    return "\n\n\n".join(blocks)


def export_pytorch(graph, params: dict[str, np.ndarray], path_py, *, class_name: str | None = None) -> Path:
    """Write ``path_py`` (a torch.nn.Module for ``graph``) and its weights beside it.

    The weights go to the same name with ``.safetensors`` (the app's weight format,
    with the design embedded, so the app can import them back). Returns the weights'
    path. Raises ExportError or WeightsError (both ValueError) with the reason.
    """
    path = Path(path_py)
    _check(graph, params, path)
    cls = class_name or class_name_for(path)
    if not usable_class_name(cls):
        raise ExportError(f"{cls!r} cannot name the class: it is a keyword, a builtin or a name the module uses")
    weights_path = path.with_suffix(".safetensors")
    source = pytorch_source(graph, cls, weights_path.name)
    compile(source, str(path), "exec")  # a generator bug must not reach the user's disk
    save_weights({k: np.asarray(params[k]) for k in expected_shapes(graph)}, weights_path,
                 design=graph.to_dict())
    try:
        with atomic_write(path, "w") as f:
            f.write(source)
    except OSError as e:
        raise ExportError(f"{path}: cannot write it ({e.strerror or e})") from None
    return weights_path
