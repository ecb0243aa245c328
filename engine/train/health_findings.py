"""What a health check finds: findings with their numbers, reasons and fixes, as plain data.

A ``Finding`` names what is affected (node ids, connections "src->dst"), carries the numbers
it rests on, says in plain words what is wrong, why by the chain rule, and what to try; a
``Fix`` is the part of that advice which is a setting (learning rate, activation,
initialisation) in a form a front end can apply in one click. ``HealthReport`` groups the
findings by kind; its ``to_dict`` always has every kind, each a list (empty when healthy).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

KINDS = ("dead", "saturated", "vanishing", "exploding", "learning_rate")
KIND_TITLES = {"dead": "Dead ReLU units", "saturated": "Saturated units",
               "vanishing": "Vanishing gradients", "exploding": "Exploding gradients",
               "learning_rate": "Learning rate"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x: float, digits: int = 2) -> str:
    """A number as people write it: 0.031, 1.5·10⁻⁵, 2.4·10⁶."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.{digits}g}"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa}·10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def power(base: float, n: int) -> str:
    """``base`` to the ``n`` written with a superscript: 0.25⁸."""
    return f"{base:g}{str(n).translate(_SUPERSCRIPT)}"


@dataclass(frozen=True)
class Fix:
    """A setting to change: ``setting`` is "lr", "activation" (of ``nodes``) or
    "initialisation" (value "reset": new weights from the seed, He for ReLU, Glorot otherwise)."""
    setting: str
    value: object
    label: str
    nodes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"setting": self.setting, "value": self.value, "label": self.label,
                "nodes": list(self.nodes)}

    @classmethod
    def from_dict(cls, d: dict) -> Fix:
        return cls(d["setting"], d["value"], d["label"], tuple(d.get("nodes", ())))


@dataclass
class Finding:
    """One problem: its kind, what it affects, the numbers, what, why and what to do."""
    kind: str
    summary: str
    reason: str
    suggestion: str
    nodes: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "nodes": list(self.nodes), "connections": list(self.connections),
                "numbers": {k: _plain(v) for k, v in self.numbers.items()},
                "summary": self.summary, "reason": self.reason, "suggestion": self.suggestion,
                "fixes": [f.to_dict() for f in self.fixes]}

    @classmethod
    def from_dict(cls, d: dict) -> Finding:
        return cls(d["kind"], d["summary"], d["reason"], d["suggestion"], list(d["nodes"]),
                   list(d["connections"]), dict(d["numbers"]), [Fix.from_dict(f) for f in d["fixes"]])

    def text(self) -> str:
        """The finding as a paragraph for a terminal."""
        return f"{self.summary}\n  why: {self.reason}\n  try: {self.suggestion}"


@dataclass
class HealthReport:
    """Findings by kind (every kind present); ``step`` is the training step they describe."""
    findings: dict[str, list[Finding]] = field(default_factory=lambda: {k: [] for k in KINDS})
    step: int | None = None

    def add(self, finding: Finding | None) -> None:
        if finding is not None:
            self.findings[finding.kind].append(finding)

    def extend(self, findings) -> None:
        for f in findings:
            self.add(f)

    @property
    def healthy(self) -> bool:
        return not any(self.findings.values())

    def all(self) -> list[Finding]:
        return [f for k in KINDS for f in self.findings[k]]

    def nodes_affected(self) -> dict[str, list[str]]:
        """Node id -> the kinds of finding that name it (in KINDS order)."""
        out: dict[str, list[str]] = {}
        for f in self.all():
            for n in f.nodes:
                if f.kind not in out.setdefault(n, []):
                    out[n].append(f.kind)
        return out

    def to_dict(self) -> dict:
        return {k: [f.to_dict() for f in self.findings[k]] for k in KINDS}

    @classmethod
    def from_dict(cls, d: dict, step: int | None = None) -> HealthReport:
        report = cls(step=step)
        for k in KINDS:
            report.findings[k] = [Finding.from_dict(f) for f in d.get(k, [])]
        return report


def _plain(v):
    """A number JSON can carry (NaN and infinities become None)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item"):
        return _plain(v.item())
    return v
