"""The built-in 2-D data sets, after TensorFlow Playground, and their derived features.

Each generator takes a seeded numpy Generator, a point count and a noise level
(0 = clean; 0.1 is the default, 0.5 is very noisy) and returns raw points
(n, 2) in roughly [-6, 6]² with either class indices (classification) or a
real target (regression). Nothing here imports scikit-learn: the app's default
data must cost nothing at start-up.
"""
from __future__ import annotations

import numpy as np

from engine.model.preprocessing import DERIVED

RADIUS = 5.0  # TensorFlow Playground's half-width of the data area is 6; points stay inside ~5

# name -> (task, class names); regression sets have no class names.
BUILTIN_INFO = {
    "circle": ("classification", ["ring", "inside"]),
    "xor": ("classification", ["x1·x2 < 0", "x1·x2 > 0"]),
    "gaussians": ("classification", ["blob A", "blob B"]),
    "spiral": ("classification", ["arm A", "arm B"]),
    "moons": ("classification", ["upper moon", "lower moon"]),
    "plane": ("regression", []),
    "sine": ("regression", []),
}
TARGET_NAMES = {"plane": "t = 0.5·x1 − 0.3·x2", "sine": "t = sin(x1) + 0.5·sin(x2)"}

BASE_FEATURES = ("x1", "x2")
DERIVED_FEATURES = tuple(DERIVED)     # x1^2, x2^2, x1*x2, sin(x1), sin(x2)
FEATURES_2D = BASE_FEATURES + DERIVED_FEATURES

def derive_features(points: np.ndarray, names) -> np.ndarray:
    """The input columns ``names`` (from FEATURES_2D) computed from raw (n, 2) points."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x1, x2 = points[:, 0], points[:, 1]
    return np.stack([{"x1": x1, "x2": x2}[n] if n in BASE_FEATURES else DERIVED[n](x1, x2)
                     for n in names], axis=1)


def _halves(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


def _circle(rng, n, noise):
    n_in, n_out = _halves(n)
    r = np.concatenate([rng.uniform(0, 0.5 * RADIUS, n_in), rng.uniform(0.7 * RADIUS, RADIUS, n_out)])
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    points += rng.normal(0, noise * RADIUS * 0.5, points.shape)
    labels = np.concatenate([np.ones(n_in, int), np.zeros(n_out, int)])
    return points, labels


def _xor(rng, n, noise):
    pad = 0.3  # keep points off the axes so the quadrant is unambiguous before noise
    points = rng.uniform(-RADIUS, RADIUS, (n, 2))
    points += np.where(points > 0, pad, -pad)
    labels = (points[:, 0] * points[:, 1] > 0).astype(int)
    points += rng.normal(0, noise * RADIUS * 0.5, points.shape)
    return points, labels


def _gaussians(rng, n, noise):
    n_a, n_b = _halves(n)
    std = 0.7 + 3.0 * noise
    points = np.concatenate([rng.normal((-2.0, -2.0), std, (n_a, 2)), rng.normal((2.0, 2.0), std, (n_b, 2))])
    labels = np.concatenate([np.zeros(n_a, int), np.ones(n_b, int)])
    return points, labels


def _spiral(rng, n, noise):
    counts = _halves(n)
    parts, labels = [], []
    for arm, count in enumerate(counts):
        i = np.arange(count) / max(count, 1)
        r = i * RADIUS
        t = 1.75 * i * 2 * np.pi + arm * np.pi
        p = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        parts.append(p + rng.normal(0, noise * RADIUS * 0.3, p.shape))
        labels.append(np.full(count, arm, int))
    return np.concatenate(parts), np.concatenate(labels)


def _moons(rng, n, noise):
    # scikit-learn's make_moons, written out in numpy and scaled to [-6, 6]²
    n_up, n_down = _halves(n)
    t_up = np.linspace(0, np.pi, n_up)
    t_down = np.linspace(0, np.pi, n_down)
    points = np.concatenate([np.stack([np.cos(t_up), np.sin(t_up)], axis=1),
                             np.stack([1 - np.cos(t_down), 0.5 - np.sin(t_down)], axis=1)])
    points += rng.normal(0, noise * 0.5, points.shape)
    points = (points - (0.5, 0.25)) * 3.0
    labels = np.concatenate([np.zeros(n_up, int), np.ones(n_down, int)])
    order = rng.permutation(n)
    return points[order], labels[order]


def _regression(fn):
    def generate(rng, n, noise):
        points = rng.uniform(-RADIUS - 1, RADIUS + 1, (n, 2))
        # as in TensorFlow Playground, the target is read at a jittered point
        jitter = rng.normal(0, noise * RADIUS * 0.5, points.shape)
        return points, fn(points + jitter)
    return generate


GENERATORS = {
    "circle": _circle,
    "xor": _xor,
    "gaussians": _gaussians,
    "spiral": _spiral,
    "moons": _moons,
    "plane": _regression(lambda p: 0.5 * p[:, 0] - 0.3 * p[:, 1]),
    "sine": _regression(lambda p: np.sin(p[:, 0]) + 0.5 * np.sin(p[:, 1])),
}
BUILTIN_2D = tuple(GENERATORS)


def generate(name: str, samples: int, noise: float, rng: np.random.Generator):
    """Raw points (n, 2) and labels: class indices, or the real target for regression."""
    points, labels = GENERATORS[name](rng, samples, noise)
    return points.astype(np.float64), labels
