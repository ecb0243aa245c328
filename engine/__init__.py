"""Backprop Studio's engine: designs, networks, training and files. No Qt here."""
from .graph import Connection, Graph, GraphError, Node

__all__ = ["Graph", "GraphError", "Node", "Connection"]
try:  # the network lands with engine/network.py
    from .network import Network  # noqa: F401
    __all__.append("Network")
except ImportError:  # pragma: no cover
    pass
