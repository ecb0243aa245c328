"""Files: atomic writes, and the weight formats (npz, json, safetensors, onnx)."""
from engine.io.atomic import atomic_write

__all__ = ["atomic_write"]
