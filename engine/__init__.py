"""Backprop Studio's engine: designs, networks, training and files. No Qt here."""
from engine.model.graph import Connection, Graph, GraphError, Node
from engine.nn.network import Network, ParameterMismatch

__all__ = ["Graph", "GraphError", "Node", "Connection", "Network", "ParameterMismatch"]
