"""Datasets: seeded generators and literal tables.

Every generator draws ``n`` points with a seeded NumPy generator, adds Gaussian noise of standard deviation
``noise`` to the inputs, and holds out ``test_fraction`` of them (rounded down) as a test set. Classification
sets have 2-D inputs in about [-1, 1]² and labels 0/1; their targets take the width of the network's outputs:
one column of labels for one output neuron, one-hot columns for two. Regression sets have one target column:
``sine`` is 1-D, ``t = sin(πx)`` with x in [-1, 1]; ``plane`` and ``bump`` are 2-D over [-1, 1]², as in the
TensorFlow Playground: ``t = (x + y) / 2`` (a tilted plane, t in [-1, 1]) and ``t = exp(−(x² + y²) / (2·0.4²))``
(a Gaussian bump of width 0.4 at the origin, t in (0.002, 1]). The targets are computed before the noise, so noise
moves a point away from where its target was taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .limits import MAX_POINTS


class DataError(ValueError):
    """Data that cannot be used with a network; the message is meant for the user."""


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray  # N × inputs
    t_train: np.ndarray  # N × outputs
    x_test: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    t_test: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def n_inputs(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.t_train.shape[1]


def _xor(rng, n):
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    # keep points off the axes so the classes are separable before noise
    x += np.sign(x) * 0.05
    return x, (x[:, 0] * x[:, 1] < 0).astype(float)


def _circles(rng, n):
    inner = n // 2
    r = np.concatenate([rng.uniform(0.0, 0.5, inner), rng.uniform(0.7, 1.0, n - inner)])
    a = rng.uniform(0.0, 2 * np.pi, n)
    x = np.column_stack([r * np.cos(a), r * np.sin(a)])
    return x, (np.arange(n) < inner).astype(float)


def _gaussians(rng, n):
    half = n // 2
    labels = (np.arange(n) < half).astype(float)
    centres = np.where(labels[:, None] > 0, [0.5, 0.5], [-0.5, -0.5])
    return centres + rng.normal(0.0, 0.25, size=(n, 2)), labels


def _spiral(rng, n):
    half = n // 2
    labels = (np.arange(n) < half).astype(float)
    s = rng.uniform(0.0, 1.0, n)
    a = 1.75 * 2 * np.pi * s + np.pi * labels
    r = 0.1 + 0.9 * s
    return np.column_stack([r * np.cos(a), r * np.sin(a)]), labels


def _moons(rng, n):
    # two interleaving half circles of radius 1: the upper one's centre is left of the lower one's, and the lower
    # one is the upper one turned half a turn about the origin; scaled by 2/3 into x in [-1, 1], y in [-½, ½]
    half = n // 2
    labels = (np.arange(n) < half).astype(float)
    a = rng.uniform(0.0, np.pi, n)
    upper = np.column_stack([np.cos(a) - 0.5, np.sin(a) - 0.25])
    sign = np.where(labels > 0, -1.0, 1.0)[:, None]
    return (2.0 / 3.0) * sign * upper, labels


def _sine(rng, n):
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    return x, np.sin(np.pi * x[:, 0])


def _plane(rng, n):
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    return x, (x[:, 0] + x[:, 1]) / 2


#: the width (standard deviation) of the bump
BUMP_WIDTH = 0.4


def _bump(rng, n):
    x = rng.uniform(-1.0, 1.0, size=(n, 2))
    return x, np.exp(-(x[:, 0] ** 2 + x[:, 1] ** 2) / (2 * BUMP_WIDTH**2))


GENERATORS = {
    "xor": (_xor, 2, "classification"),
    "circles": (_circles, 2, "classification"),
    "gaussians": (_gaussians, 2, "classification"),
    "spiral": (_spiral, 2, "classification"),
    "moons": (_moons, 2, "classification"),
    "sine": (_sine, 1, "regression"),
    "plane": (_plane, 2, "regression"),
    "bump": (_bump, 2, "regression"),
}
GENERATOR_NAMES = tuple(GENERATORS)


def generator_shape(name: str) -> tuple[int, str]:
    """(input width, kind) of a generator."""
    _, width, kind = GENERATORS[name]
    return width, kind


def names_classes(targets: np.ndarray) -> bool:
    """Whether target rows (N × outputs) name one of two classes: one column with at most two distinct values
    (labels 0/1, or ±1 for tanh outputs), or two columns (one-hot, or soft as 0.01/0.99: the larger names the
    class). Other targets are values to fit (regression, e.g. ``plane`` or ``bump``), for which a decision
    boundary means nothing."""
    t = np.asarray(targets, dtype=float)
    if t.ndim != 2 or len(t) == 0:
        return False
    if t.shape[1] == 1:
        return len(np.unique(t)) <= 2
    return t.shape[1] == 2


def generate(name: str, n: int = 200, noise: float = 0.0, test_fraction: float = 0.0, seed: int = 0,
             n_outputs: int = 1) -> Dataset:
    if name not in GENERATORS:
        raise DataError(f"unknown data generator '{name}' (choose from {', '.join(GENERATORS)})")
    fn, width, kind = GENERATORS[name]
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_POINTS:
        raise DataError(f"a generator makes 1 to {MAX_POINTS} points, not {n}")
    if not 0.0 <= test_fraction < 1.0:
        raise DataError(f"test_fraction must be at least 0 and below 1, not {test_fraction}")
    if not noise >= 0.0:
        raise DataError(f"noise must be zero or more, not {noise}")
    rng = np.random.default_rng(seed)
    x, labels = fn(rng, n)
    if noise:
        x = x + rng.normal(0.0, noise, size=x.shape)
    if kind == "regression":
        if n_outputs != 1:
            raise DataError(f"the {name} data has 1 target column; the network has {n_outputs} outputs")
        t = labels[:, None]
    elif n_outputs == 1:
        t = labels[:, None]
    elif n_outputs == 2:
        t = np.column_stack([1.0 - labels, labels])
    else:
        raise DataError(
            f"the {name} data has two classes: use 1 output neuron (labels) or 2 (one-hot), not {n_outputs}"
        )
    order = rng.permutation(n)
    n_test = int(n * test_fraction)
    test, train = order[:n_test], order[n_test:]
    if len(train) == 0:
        raise DataError("the test fraction leaves no training points")
    return Dataset(x[train], t[train], x[test], t[test])


def table(inputs, targets) -> Dataset:
    x = np.asarray(inputs, dtype=float)
    t = np.asarray(targets, dtype=float)
    if x.ndim != 2 or t.ndim != 2 or len(x) != len(t) or len(x) == 0:
        raise DataError("a data table needs the same positive number of input and target rows")
    return Dataset(x, t, np.zeros((0, x.shape[1])), np.zeros((0, t.shape[1])))


def sample_rows(groups, k: int, seed: int = 0) -> np.ndarray:
    """The ascending indices of at most ``k`` of the rows labelled by ``groups`` (one label per row, e.g. the class
    and whether the row is a test row): every row when there are at most ``k``; else a seeded sample without
    replacement in which each group keeps its share of the ``k`` rows (rounded by largest remainders) and at least
    one row. For views that cannot draw every row: the same data and seed give the same rows."""
    groups = np.asarray(groups)
    n = len(groups)
    if n <= k:
        return np.arange(n)
    labels, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if k < len(labels):
        raise ValueError(f"cannot keep {len(labels)} groups in {k} rows")
    quota = counts * (k / n)
    take = np.maximum(np.floor(quota).astype(int), 1)
    # largest remainders first; a group at its minimum of one row gives none back
    by_remainder = np.argsort(np.floor(quota) - quota, kind="stable")
    while take.sum() < k:
        for g in by_remainder:
            if take.sum() == k:
                break
            if take[g] < counts[g]:
                take[g] += 1
    while take.sum() > k:  # the minimum of one row per group overshot: the largest groups give back
        take[np.argmax(take)] -= 1
    rng = np.random.default_rng(seed)
    rows = [rng.choice(np.flatnonzero(inverse == g), size=take[g], replace=False) for g in range(len(labels))]
    return np.sort(np.concatenate(rows))
