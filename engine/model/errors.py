"""The error classes that several engine modules raise; each message says what is wrong and how to fix it.

They are re-exported where they were first defined (engine.model.graph, engine.data.datasets,
engine.io.weights, engine.io.onnx_export), so either import works.
"""


class GraphError(ValueError):
    """An edit or a file the Graph refuses; the message says why and names the nodes."""


class DataError(ValueError):
    """Data that cannot be used; the message names the problem and how to fix it."""


class WeightsError(ValueError):
    """A weights file that cannot be written, read, or used with the design."""


class ExportError(ValueError):
    """A model that cannot be exported; the message says why."""
