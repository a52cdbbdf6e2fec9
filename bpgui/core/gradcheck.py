"""Gradient check: central finite differences of the loss for one parameter, to set beside backprop's value."""

from __future__ import annotations

import numpy as np

from .engine import Engine


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


def relative_difference(a: float, b: float) -> float:
    """|a − b| relative to the larger of |a| and |b| (0 if both are 0): how far backprop and finite differences
    disagree."""
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0
