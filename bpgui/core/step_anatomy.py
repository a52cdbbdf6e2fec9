"""Why −∂E/∂wᵢ for every wᵢ at once: the anatomy of one optimizer step Δw over all trainable parameters.

* First order: ΔE ≈ Σᵢ gᵢ·Δwᵢ (g = ∇E). For plain gradient descent, Δwᵢ = −η gᵢ and every term −η gᵢ² is ≤ 0.
* Direction: the slope of E along a unit direction u is gᵀu ≥ −|g| (Cauchy–Schwarz), reached only at u = −g/|g|;
  a single parameter's axis gives at best −maxᵢ|gᵢ|, and random directions are compared beside them.
* Size: along the step, E(w + tΔw) ≈ E + t gᵀΔw + ½t² ΔwᵀHΔw; the Hessian's λ_max sets the largest learning rate,
  2/λ_max, at which plain gradient descent is stable on the quadratic model (:mod:`bpgui.core.curvature`).

The trainable parameters are the weights, and the biases when ``train_biases`` is on. E is the engine's loss: the
total E + R when it has a weight decay (see regularization.py), as the optimizer sees it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .curvature import Curvature, Objective, curvature_along, extreme_eigenvalues, unit
from .document import Document
from .engine import Engine
from .network import parse_parameter_name
from .optimizers import Optimizer, make_optimizer

DEFAULT_DIRECTIONS = 100
DEFAULT_LINE_TO = 2.0
DEFAULT_LINE_POINTS = 41


@dataclass(frozen=True)
class StepAnatomy:
    """One step Δw from parameters w (arrays aligned with ``names``, the trainable parameters in document
    order), over the samples it was computed on."""

    names: tuple[str, ...]
    values: np.ndarray  # w
    gradient: np.ndarray  # g = ∂E/∂w
    step: np.ndarray  # Δw, the optimizer's next step
    loss: float  # E(w)
    loss_after: float  # E(w + Δw)
    optimizer: str
    learning_rate: float
    line_t: np.ndarray  # t
    line_loss: np.ndarray  # E(w + tΔw)
    step_curvature: float  # ΔwᵀHΔw
    curvature: Curvature
    random_slopes: np.ndarray  # gᵀu for seeded random unit directions u

    @property
    def contributions(self) -> np.ndarray:
        """gᵢ·Δwᵢ, each parameter's share of the first-order prediction."""
        with np.errstate(all="ignore"):
            return self.gradient * self.step

    @property
    def predicted_change(self) -> float:
        """Σᵢ gᵢ·Δwᵢ = gᵀΔw, the first-order prediction of ΔE (summed exactly; inf or nan when a term is)."""
        terms = self.contributions
        try:
            return math.fsum(terms.tolist())
        except (ValueError, OverflowError):  # inf − inf, or a sum past the largest float
            with np.errstate(all="ignore"):
                return float(np.sum(terms))

    @property
    def actual_change(self) -> float:
        """E(w + Δw) − E(w)."""
        return self.loss_after - self.loss

    @property
    def gradient_norm(self) -> float:
        """|g| (scaled on the way, so a huge g does not overflow)."""
        biggest = float(np.max(np.abs(self.gradient), initial=0.0))
        if biggest == 0.0 or not math.isfinite(biggest):
            return biggest
        return unit(self.gradient)[1]

    @property
    def steepest_slope(self) -> float:
        """−|g|, the slope of E along −g/|g|: the least of all unit directions' slopes."""
        return -self.gradient_norm

    @property
    def best_single_parameter(self) -> str | None:
        """The parameter whose own axis is steepest (largest |gᵢ|; None without parameters)."""
        if not self.names:
            return None
        return self.names[int(np.argmax(np.abs(self.gradient)))]

    @property
    def best_single_parameter_slope(self) -> float:
        """−maxᵢ|gᵢ|, the slope along the best single parameter's axis, moved downhill."""
        return -float(np.max(np.abs(self.gradient), initial=0.0))

    @property
    def line_linear(self) -> np.ndarray:
        """The first-order model along the step: E + t·gᵀΔw."""
        with np.errstate(all="ignore"):
            return self.loss + self.line_t * self.predicted_change

    @property
    def line_quadratic(self) -> np.ndarray:
        """The second-order model along the step: E + t·gᵀΔw + ½t²·ΔwᵀHΔw."""
        t = self.line_t
        with np.errstate(all="ignore"):
            return self.loss + t * self.predicted_change + 0.5 * t * t * self.step_curvature


def trainable_parameters(names: Iterable[str], train_biases: bool) -> tuple[str, ...]:
    """Of the parameter ``names`` (e.g. a network's, in document order), those training moves: every weight, and
    the biases when ``train_biases``."""
    return tuple(n for n in names if train_biases or isinstance(parse_parameter_name(n), tuple))


def step_anatomy(engine: Engine, x: np.ndarray, t: np.ndarray, optimizer: Optimizer, train_biases: bool = True, *,
                 directions: int = DEFAULT_DIRECTIONS, seed: int = 0, line_to: float = DEFAULT_LINE_TO,
                 line_points: int = DEFAULT_LINE_POINTS) -> StepAnatomy:
    """The anatomy of ``optimizer``'s next step (from its current state, which does not change) on the gradient
    of E over the samples (x, t), from ``engine``'s parameters (moved while it works, then put back: call it in the
    thread that owns the engine). ``optimizer`` steps ``engine``'s flat parameter vector, as a Trainer's does. With
    a weight decay on ``engine``, E and g are of the total E + R."""
    if isinstance(directions, bool) or not isinstance(directions, int) or directions < 0:
        raise ValueError(f"directions must be a whole number of at least 0, not {directions}")
    if not (isinstance(line_to, (int, float)) and math.isfinite(line_to) and line_to > 0):
        raise ValueError(f"the line must end at a positive t, not {line_to}")
    if isinstance(line_points, bool) or not isinstance(line_points, int) or line_points < 2:
        raise ValueError(f"the line needs at least 2 points, not {line_points}")
    x, t = np.atleast_2d(np.asarray(x, dtype=float)), np.atleast_2d(np.asarray(t, dtype=float))
    obj = Objective(engine, x, t, trainable_parameters(engine.parameter_names, train_biases))
    w = obj.w0
    try:
        with np.errstate(all="ignore"):  # an overflowing net shows as inf / nan in the numbers, not as warnings
            e, g = obj.gradient(w)
            full = np.zeros_like(engine.params)
            full[obj.index] = g  # the frozen biases' gradient stays 0, as in Trainer.step
            step = optimizer.next_step(full)[obj.index]
            after = obj.loss(w + step)
            ts = np.linspace(0.0, float(line_to), line_points)
            line = np.array([obj.loss(w + s * step) for s in ts])
            along_step = curvature_along(obj, w, step)
            along_gradient = curvature_along(obj, w, g)
            # ΔwᵀHΔw; 0 for a zero step, where the models are flat
            step_hess = along_step * float(step @ step) if np.any(step) else 0.0
            lo, hi = extreme_eigenvalues(obj, w, seed=seed)
            slopes = _random_slopes(g, directions, seed)
            curvature = Curvature(hi, lo, along_step, along_gradient)
    finally:
        obj.restore()
    return StepAnatomy(obj.names, _frozen(w), _frozen(g), _frozen(step), float(e), float(after), optimizer.name,
                       optimizer.learning_rate, _frozen(ts), _frozen(line), step_hess, curvature, _frozen(slopes))


def first_step_anatomy(doc: Document, **options) -> StepAnatomy:
    """The anatomy of the first step of ``doc``'s optimizer, from a fresh state, on the full training set (the
    options as for :func:`step_anatomy`)."""
    data = doc.dataset()
    cfg = doc.training
    engine = Engine(doc.network, cfg.weight_decay)
    opt = make_optimizer(cfg.optimizer, engine.params.size, cfg.learning_rate, **cfg.hyper_for_optimizer())
    return step_anatomy(engine, data.x_train, data.t_train, opt, cfg.train_biases, **options)


def _random_slopes(g: np.ndarray, count: int, seed: int) -> np.ndarray:
    """gᵀu for ``count`` random unit directions u (uniform on the sphere: normalised Gaussians, seeded)."""
    if len(g) == 0:
        return np.full(count, np.nan)
    rng = np.random.default_rng(seed)
    rows = max(1, 2**20 // len(g))  # in blocks of about 8 MB: 100,000 directions of 5,000 weights would be 4 GB
    slopes = np.empty(count)
    for i in range(0, count, rows):
        u = rng.standard_normal((min(rows, count - i), len(g)))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        slopes[i : i + len(u)] = u @ g
    return slopes


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a
