"""Training settings: the optimiser, learning rate, batch size, epochs, penalties and seed, checked."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.train.optimizers import DEFAULT_LR, OPTIMIZERS


class ConfigError(ValueError):
    """A training setting out of range; the message names the setting."""


def is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def settings_lr(settings) -> float:
    """The learning rate a design's settings give, or DEFAULT_LR where they give none usable."""
    lr = settings.get("lr") if isinstance(settings, dict) else None
    return float(lr) if is_number(lr) and math.isfinite(lr) and lr > 0 else DEFAULT_LR


@dataclass
class TrainingConfig:
    """How to train: optimiser, learning rate, batch size, epochs (None: no limit), L1/L2, seed."""
    optimizer: str = "adam"
    lr: float = DEFAULT_LR
    batch_size: int = 32
    epochs: int | None = None
    l1: float = 0.0
    l2: float = 0.0
    seed: int = 0

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {self.optimizer!r}: use {', '.join(OPTIMIZERS)}")
        if not is_number(self.lr) or not math.isfinite(self.lr) or self.lr <= 0:
            raise ConfigError(f"the learning rate must be a number above 0, not {self.lr!r}")
        if not is_int(self.batch_size) or self.batch_size < 1:
            raise ConfigError(f"the batch size must be a whole number ≥ 1, not {self.batch_size!r}")
        if self.epochs is not None and (not is_int(self.epochs) or self.epochs < 0):
            raise ConfigError(f"epochs must be a whole number ≥ 0 (or none), not {self.epochs!r}")
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if not is_number(v) or not math.isfinite(v) or v < 0:
                raise ConfigError(f"the {name.upper()} penalty must be a number ≥ 0, not {v!r}")
        if not is_int(self.seed) or self.seed < 0:
            raise ConfigError(f"the seed must be a whole number ≥ 0, not {self.seed!r}")
        self.lr, self.l1, self.l2 = float(self.lr), float(self.l1), float(self.l2)

    @classmethod
    def from_settings(cls, settings: dict) -> TrainingConfig:
        """The config a design's settings describe (keys optimizer, lr, batch_size, epochs,
        l1, l2, seed); absent keys take the defaults. Raises ConfigError on a bad value."""
        if not isinstance(settings, dict):
            raise ConfigError("the design's settings must be an object")
        names = ("optimizer", "lr", "batch_size", "epochs", "l1", "l2", "seed")
        return cls(**{k: settings[k] for k in names if settings.get(k) is not None})
