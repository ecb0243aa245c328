"""The parts of a design: a Node (a group of neurons) and a Connection (weights between two nodes)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.model.param_names import ARROW


@dataclass(frozen=True)
class Node:
    """A group of ``size`` neurons with one activation."""
    id: str
    kind: str
    size: int
    activation: str = "linear"
    name: str = ""
    position: tuple[float, float] = (0.0, 0.0)

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass
class Connection:
    """Dense weights from ``src`` to ``dst``; ``mask`` (dst × src, 0/1) removes single edges."""
    src: str
    dst: str
    mask: np.ndarray | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return f"{self.src}{ARROW}{self.dst}"

    @property
    def pair(self) -> tuple[str, str]:
        return (self.src, self.dst)

    def masked_count(self) -> int:
        return 0 if self.mask is None else int(self.mask.size - np.count_nonzero(self.mask))

    def copy(self) -> Connection:
        return Connection(self.src, self.dst, None if self.mask is None else self.mask.copy())
