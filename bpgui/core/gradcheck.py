"""Gradient check: central finite differences for every parameter, beside the engine's backprop values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import Engine


@dataclass(frozen=True)
class GradientCheck:
    name: str
    backprop: float
    numeric: float

    @property
    def abs_error(self) -> float:
        return abs(self.backprop - self.numeric)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.backprop), abs(self.numeric))
        return 0.0 if scale == 0 else self.abs_error / scale


def numeric_gradient(engine: Engine, x: np.ndarray, t: np.ndarray, name: str, h: float = 1e-6) -> float:
    """(E(p + h) − E(p − h)) / 2h for one parameter, others fixed."""
    i = engine.index[name]
    p0 = engine.params[i]
    try:
        engine.params[i] = p0 + h
        e_plus = engine.loss_value(x, t)
        engine.params[i] = p0 - h
        e_minus = engine.loss_value(x, t)
    finally:
        engine.params[i] = p0
    return (e_plus - e_minus) / (2 * h)


def gradient_check(engine: Engine, x: np.ndarray, t: np.ndarray, h: float = 1e-6) -> list[GradientCheck]:
    _, grads = engine.gradient(x, t)
    return [GradientCheck(name, grads[name], numeric_gradient(engine, x, t, name, h))
            for name in engine.parameter_names]
