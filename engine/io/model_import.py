"""Models made elsewhere, brought in as a design with its weights: ONNX files and PyTorch state dicts.

An ONNX model (engine.io.onnx_import) carries its own design: a chain of dense layers
becomes input → hidden... → output, laid out left to right. A state dict
(engine.io.state_dict_import) holds only tensors, so it goes into a design the user
gives. Either way the result is checked whole: nothing is imported partially.
"""
from __future__ import annotations

from engine.io.imported import (ONNX_SUFFIXES, SOURCE_SUFFIXES, STATE_DICT_SUFFIXES, ImportedModel,
                                ModelImportError, check_source, is_onnx, is_state_dict)

__all__ = ["ONNX_SUFFIXES", "SOURCE_SUFFIXES", "STATE_DICT_SUFFIXES", "ImportedModel", "ModelImportError",
           "check_source", "is_onnx", "is_state_dict", "import_model", "load_design_or_model"]


def import_model(source, design=None) -> ImportedModel:
    """Import ``source``: an ONNX model (``design`` must be None), or a state dict into ``design``."""
    path = check_source(source)
    if is_onnx(path):
        if design is not None:
            raise ModelImportError(f"{path.name} is an ONNX model, which carries its own design: "
                                   "a design is only for a state dict (.safetensors, .pt, .pth)")
        from engine.io.onnx_import import import_onnx
        return import_onnx(path)
    if design is None:
        raise ModelImportError(f"{path.name} is a state dict: it holds tensors but no design, so give the "
                               "design to put them in (--design DESIGN.json)")
    from engine.io.state_dict_import import import_state_dict
    return import_state_dict(path, design)


def load_design_or_model(path):
    """(design, weights or None) from a design file (with or without its weights) or an ONNX model:
    what File ▸ Open reads. GraphError (ModelImportError for a model) naming the file if it cannot."""
    if is_onnx(path):
        from engine.io.onnx_import import import_onnx
        result = import_onnx(path)
        return result.graph, result.params
    from engine.io.design_weights import load_design_with_weights
    return load_design_with_weights(path)
