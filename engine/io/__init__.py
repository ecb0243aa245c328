"""engine/io: the weight formats (npz, json, safetensors), the design with its weights, ONNX and PyTorch."""
