"""Optimizers that update the flat parameter vector in place.

With gradient g, learning rate η and step count t (from 1):

``sgd``       p ← p − η g
``momentum``  v ← μ v + g;  p ← p − η v                      (μ = ``momentum``)
``nesterov``  v ← μ v + g;  p ← p − η (g + μ v)
``adagrad``   s ← s + g²;  p ← p − η g / (√s + ε)
``rmsprop``   s ← ρ s + (1 − ρ) g²;  p ← p − η g / (√s + ε)
``adam``      m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
              p ← p − η m̂ / (√v̂ + ε),  m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)

These are the same update rules as PyTorch's SGD (with/without nesterov), Adagrad, RMSprop (ρ = alpha) and
Adam. Entries whose gradient is always zero (masked non-edges, frozen biases) never move.
"""

from __future__ import annotations

import copy
import math

import numpy as np

#: each optimizer's hyperparameters (besides the learning rate) and their defaults
HYPERPARAMETERS: dict[str, dict[str, float]] = {
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adagrad": {"eps": 1e-10},
    "rmsprop": {"rho": 0.9, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}
OPTIMIZER_NAMES = tuple(HYPERPARAMETERS)
#: allowed ranges of every hyperparameter: (low, high, low inclusive)
HYPERPARAMETER_RANGES = {
    "momentum": (0.0, 1.0, True),
    "rho": (0.0, 1.0, True),
    "beta1": (0.0, 1.0, True),
    "beta2": (0.0, 1.0, True),
    "eps": (0.0, 1.0, False),
}


class Optimizer:
    name = ""

    def __init__(self, size: int, learning_rate: float, **hyper):
        self.learning_rate = float(learning_rate)
        defaults = HYPERPARAMETERS[self.name]
        unknown = set(hyper) - set(defaults)
        if unknown:
            raise ValueError(f"{self.name} has no hyperparameter {', '.join(sorted(unknown))}")
        self.hyper = {**defaults, **{k: float(v) for k, v in hyper.items()}}
        for k, v in self.hyper.items():
            lo, hi, lo_inclusive = HYPERPARAMETER_RANGES[k]
            if not (math.isfinite(v) and (lo <= v if lo_inclusive else lo < v) and v < hi):
                raise ValueError(f"{self.name}: {k} must be {'at least' if lo_inclusive else 'above'} {lo:g} "
                                 f"and below {hi:g}, not {v}")
            setattr(self, k, v)
        self.t = 0
        self._tmp = np.zeros(size)
        self._init_state(size)

    def _init_state(self, size: int) -> None:
        pass

    def step(self, p: np.ndarray, g: np.ndarray) -> None:
        self.t += 1
        self._step(p, g)

    def _step(self, p, g):
        raise NotImplementedError

    def next_step(self, g: np.ndarray) -> np.ndarray:
        """Δp, the change the next :meth:`step` on gradient ``g`` would make, computed by a copy of this optimizer
        (its state and step count do not change). It is the step applied to zeros, so ``p + next_step(g)`` is,
        to the last bit, what ``step(p, g)`` leaves in p."""
        delta = np.zeros_like(g, dtype=float)
        copy.deepcopy(self).step(delta, g)
        return delta

    def _step_scaled_by_rms(self, p, g, s):
        """p ← p − η g / (√s + ε), for the optimizers that scale by a running sum or mean of g²."""
        tmp = self._tmp
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= self.learning_rate
        p -= tmp

    def state(self) -> dict[str, np.ndarray]:
        """Copies of the state arrays (for snapshots and tests)."""
        return {k: v.copy() for k, v in self.__dict__.items() if isinstance(v, np.ndarray) and not k.startswith("_")}


class SGD(Optimizer):
    name = "sgd"

    def _step(self, p, g):
        np.multiply(g, self.learning_rate, out=self._tmp)
        p -= self._tmp


class Momentum(Optimizer):
    name = "momentum"

    def _init_state(self, size):
        self.velocity = np.zeros(size)

    def _step(self, p, g):
        v = self.velocity
        v *= self.momentum
        v += g
        np.multiply(v, self.learning_rate, out=self._tmp)
        p -= self._tmp


class Nesterov(Momentum):
    name = "nesterov"

    def _step(self, p, g):
        v, tmp = self.velocity, self._tmp
        v *= self.momentum
        v += g
        np.multiply(v, self.momentum, out=tmp)
        tmp += g
        tmp *= self.learning_rate
        p -= tmp


class Adagrad(Optimizer):
    name = "adagrad"

    def _init_state(self, size):
        self.sum_sq = np.zeros(size)

    def _step(self, p, g):
        s, tmp = self.sum_sq, self._tmp
        np.multiply(g, g, out=tmp)
        s += tmp
        self._step_scaled_by_rms(p, g, s)


class RMSprop(Optimizer):
    name = "rmsprop"

    def _init_state(self, size):
        self.mean_sq = np.zeros(size)

    def _step(self, p, g):
        s, tmp = self.mean_sq, self._tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.rho
        s *= self.rho
        s += tmp
        self._step_scaled_by_rms(p, g, s)


class Adam(Optimizer):
    name = "adam"

    def _init_state(self, size):
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self._tmp2 = np.zeros(size)

    def _step(self, p, g):
        m, v, tmp, tmp2 = self.m, self.v, self._tmp, self._tmp2
        b1, b2, t = self.beta1, self.beta2, self.t
        m *= b1
        np.multiply(g, 1.0 - b1, out=tmp)
        m += tmp
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - b2
        v += tmp
        # p -= η m̂ / (√v̂ + ε) with m̂ = m/(1-b1^t), v̂ = v/(1-b2^t)
        np.multiply(v, 1.0 / (1.0 - b2**t), out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp += self.eps
        np.divide(m, tmp, out=tmp2)
        tmp2 *= self.learning_rate / (1.0 - b1**t)
        p -= tmp2


_CLASSES = {c.name: c for c in (SGD, Momentum, Nesterov, Adagrad, RMSprop, Adam)}


def make_optimizer(name: str, size: int, learning_rate: float, **hyper) -> Optimizer:
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer '{name}' (choose from {', '.join(_CLASSES)})")
    if (isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float))
            or not (math.isfinite(learning_rate) and learning_rate > 0)):
        raise ValueError(f"learning rate must be a positive number, not {learning_rate}")
    return _CLASSES[name](size, learning_rate, **hyper)
