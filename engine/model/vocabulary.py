"""The names a design may use: activations, losses, and the output each fused loss requires.

The model validates designs against these names; the maths behind each one lives in
engine.nn (activations.py, losses.py), which checks on import that it implements
exactly these. A new activation or loss is named here first.
"""
ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish", "softmax")
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "softmax")
LOSSES = ("mse", "bce", "softmax_ce")
# The output activation a fused loss requires (its gradient at z is y − t only then).
REQUIRED_OUTPUT = {"bce": "sigmoid", "softmax_ce": "softmax"}


def check_implemented(kind: str, names, implemented) -> None:
    """Raise if the maths for ``kind`` covers other names than the vocabulary allows."""
    if tuple(implemented) != tuple(names):
        raise RuntimeError(f"engine.nn implements {kind} {tuple(implemented)}, "
                           f"but engine.model.vocabulary allows {tuple(names)}")
