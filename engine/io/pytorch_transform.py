"""The fitted transform in the generated PyTorch module: class constants, buffers and methods.

A trained design's module takes raw rows: ``standardise`` computes the 2-D data's derived
features and applies ``(value − input_mean) / input_std`` with registered buffers, and
``to_units`` turns the network's output into the target's units (``target_mean``,
``target_std``) or class probabilities. Each function returns a piece of the code's text.
"""
from __future__ import annotations

import textwrap

from engine.io.exported_transform import input_text, listed, output_text, output_width, two_class_output
from engine.io.pytorch_names import safe_text
from engine.io.weights_transform import PREFIX
from engine.model.preprocessing import Preprocessing

DERIVED_CODE = {"x1^2": "x1 ** 2", "x2^2": "x2 ** 2", "x1*x2": "x1 * x2",
                "sin(x1)": "torch.sin(x1)", "sin(x2)": "torch.sin(x2)"}


def _wrapped(text: str, indent: str) -> str:
    return textwrap.fill(text, 100, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


def _literal(value, indent: str, before: int) -> str:
    """A Python literal (a list of numbers or names) that follows ``before`` characters on its
    line, wrapped to lines of at most 100 characters."""
    text = repr(value)
    if before + len(text) + 2 <= 100 or not isinstance(value, list) or not value:
        return text
    items = textwrap.fill(", ".join(repr(v) for v in value), 100 - len(indent) - 4,
                          break_long_words=False, break_on_hyphens=False)
    return "[\n" + textwrap.indent(items, indent + "    ") + f"\n{indent}]"


def class_doc(p: Preprocessing, out_size: int) -> str:
    """The class docstring's text: what raw input it takes and what it returns."""
    k = output_width(p)
    takes = _wrapped(f"Takes raw rows, a float tensor (batch, {len(p.features)}): {safe_text(input_text(p))}.",
                     "    ")
    returns = _wrapped(f"Returns (batch, {k}): {safe_text(output_text(p))}.", "    ")
    buffers = "input_mean, input_std" + (", target_mean, target_std" if p.task == "regression" else "")
    kept = _wrapped(f"The transform fitted on the training split is in the buffers {buffers}; "
                    "``logits`` and ``loss_fn`` work on the network's own scale.", "    ")
    return f"A Backprop Studio design trained to predict {safe_text(p.target)}.\n\n{takes}\n{returns}\n{kept}"


def constants_code(p: Preprocessing) -> str:
    """Class constants: FEATURES, TARGET, CLASSES and the weight file's names of the buffers."""
    classes = "; the classes in the output's order" if p.task == "classification" else ""
    lines = [f"    # The raw input's columns, in order; the target{classes}",
             f"    FEATURES = {_literal(list(p.features), '    ', 15)}",
             f"    TARGET = {p.target!r}"]
    if p.task == "classification":
        lines.append(f"    CLASSES = {_literal(list(p.classes), '    ', 14)}")
    names = ["input_mean", "input_std"] + (["target_mean", "target_std"] if p.task == "regression" else [])
    mapping = "".join(f"\n        {PREFIX + n!r}: {n!r}," for n in names)
    lines.append("    # The weight file's entries of the fitted transform -> buffers of this module")
    lines.append(f"    BUFFERS = {{{mapping}\n    }}")
    return "\n".join(lines) + "\n"


def buffers_code(p: Preprocessing) -> list[str]:
    """__init__ lines registering the transform's numbers as buffers (they follow .to() and state_dict)."""
    indent = "        "
    mean = _literal([float(v) for v in p.mean], indent, 55)
    std = _literal([float(v) for v in p.std], indent, 54)
    lines = [_wrapped(f"# Fitted on the training split, one per network input: {safe_text(listed(p.inputs, 6))}",
                      indent).replace(f"\n{indent}", f"\n{indent}#   "),
             f'{indent}self.register_buffer("input_mean", torch.tensor({mean}))',
             f'{indent}self.register_buffer("input_std", torch.tensor({std}))']
    if p.task == "regression":
        lines += [f"{indent}# The target {safe_text(p.target)}: the network predicts (t - target_mean) / target_std",
                  f'{indent}self.register_buffer("target_mean", torch.tensor({float(p.target_mean)!r}))',
                  f'{indent}self.register_buffer("target_std", torch.tensor({float(p.target_std)!r}))']
    return lines


def _derive_lines(p: Preprocessing) -> list[str]:
    """Lines turning raw rows x into the network's inputs before standardisation."""
    n = len(p.features)
    if p.inputs == p.features:
        return []
    i, j = p.features.index("x1"), p.features.index("x2")
    lines = [f"        x1, x2 = x[:, {i}:{i + 1}], x[:, {j}:{j + 1}]"]
    if p.inputs[:n] == p.features:
        columns = ["x"] + [DERIVED_CODE[name] for name in p.inputs[n:]]
    else:
        columns = [f"x[:, {p.features.index(name)}:{p.features.index(name) + 1}]" if name in p.features
                   else DERIVED_CODE[name] for name in p.inputs]
    lines.append(f"        x = torch.cat([{', '.join(columns)}], dim=1)")
    return lines


def methods_code(p: Preprocessing, out_size: int) -> str:
    """standardise, to_units and (regression) scaled_target."""
    derived = [n for n in p.inputs if n not in p.features]
    then = f"the derived features {', '.join(derived)}, then " if derived else ""
    body = "\n".join(_derive_lines(p) + ["        return (x - self.input_mean) / self.input_std"])
    doc = _wrapped(f"The network's inputs from raw rows (batch, {len(p.features)}): {then}"
                   "(value - input_mean) / input_std.", "        ").strip()
    code = f'''    def standardise(self, x):
        """{doc}"""
{body}

'''
    if p.task == "regression":
        return code + '''    def to_units(self, y):
        """The network's output in the target's units: y * target_std + target_mean."""
        return y * self.target_std + self.target_mean

    def scaled_target(self, t):
        """A target in its units, (batch, 1), on the network's scale, as ``loss_fn`` takes it."""
        return (t - self.target_mean) / self.target_std

'''
    if two_class_output(p, out_size):
        return code + f'''    def to_units(self, y):
        """The two classes' probabilities, (batch, 2): the single output is {safe_text(p.classes[1])}'s."""
        return torch.cat([1 - y, y], dim=1)

'''
    return code + '''    def to_units(self, y):
        """The classes' probabilities: the output as it is, one column per class."""
        return y

'''


def load_buffers_code() -> str:
    """Lines of load_weights copying the transform's numbers in from the weight file when it has them."""
    return '''            for name, attribute in self.BUFFERS.items():
                if name in tensors:   # the fitted transform, as saved (float64)
                    buffer = getattr(self, attribute)
                    buffer.copy_(tensors[name].reshape(buffer.shape))
'''


def example_input(p: Preprocessing) -> str:
    """An expression for 8 made-up raw rows around the training data's means."""
    n = len(p.features)
    if p.inputs[:n] == p.features:
        return f"model.input_mean[:{n}] + model.input_std[:{n}] * torch.randn(8, {n})"
    return f"torch.randn(8, {n})"
