"""Why −∂E/∂p: the numbers behind the gradient views.

* :func:`slice_1d` — E along one parameter with the others held still (the 1-D slice and its tangent);
* :func:`directional_derivatives` — D_u E = ∇E · u for unit directions u in a plane of two parameters;
* :func:`predict_step` — the first-order prediction ΔE ≈ Σ ∂E/∂pᵢ Δpᵢ of a step beside the actual ΔE;
* :func:`chain_rule` — ∂E/∂w = (1/N) Σₙ δⱼ⁽ⁿ⁾ · outᵢ⁽ⁿ⁾ with each sample's own δⱼ⁽ⁿ⁾ = ∂Eₙ/∂outⱼ · f′(netⱼ) (and
  ∂Eₙ/∂outⱼ = Σₖ wⱼₖ δₖ⁽ⁿ⁾ for a hidden neuron), with the finite-difference value beside it;
* :func:`gradient_noise` — how close to 0 a computed gradient can come by rounding alone (a stationary point);
* :func:`optimizer_race` — several optimizers from the same weights, and the paths two parameters take.

With a weight decay (``decay``, see regularization.py; for the race, the config's) E is the total E + R: the
slice, the prediction and the chain rule's gradient are of it, and the chain rule shows the penalty's part
∂R/∂p beside the data's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .document import GeneratorData, TableData, TrainingConfig, make_dataset
from .engine import Engine
from .gradcheck import numeric_gradient
from .network import Network, parse_parameter_name
from .optimizers import HYPERPARAMETERS
from .regularization import WeightDecay
from .training import Trainer


@dataclass(frozen=True)
class StepPrediction:
    """A step Δp from parameters p: the first-order prediction of the change in E, and the actual change."""

    delta: dict[str, float]  # Δp per parameter name (parameters not named do not move)
    predicted: float  # Σ ∂E/∂pᵢ Δpᵢ
    actual: float  # E(p + Δp) − E(p)
    loss_before: float  # E(p)


@dataclass(frozen=True)
class Downstream:
    """One term of ∂Eₙ/∂outⱼ = Σₖ wⱼₖ δₖ⁽ⁿ⁾ for a hidden neuron j."""

    neuron: str  # k
    weight: float  # wⱼₖ
    delta: np.ndarray  # δₖ⁽ⁿ⁾ = ∂Eₙ/∂netₖ per sample, shape (N,)


@dataclass(frozen=True)
class ChainRule:
    """The chain rule for one parameter over N samples (N = 1 for a single sample). Arrays have shape (N,), one
    value per sample n, and are that sample's own: derivatives of its loss Eₙ, without the 1/N of the mean
    E = (1/N) Σₙ Eₙ. The 1/N lives only in the last step:

    ∂E/∂w = (1/N) Σₙ δⱼ⁽ⁿ⁾ · outᵢ⁽ⁿ⁾ (the mean of :attr:`terms`); for the bias of j, ∂E/∂b = (1/N) Σₙ δⱼ⁽ⁿ⁾
    (``out_src`` is all ones). δⱼ⁽ⁿ⁾ = ∂Eₙ/∂netⱼ = ∂Eₙ/∂outⱼ · ∂outⱼ/∂netⱼ; for a hidden j,
    ∂Eₙ/∂outⱼ = Σₖ wⱼₖ δₖ⁽ⁿ⁾ over ``downstream``. For one sample, E is that sample's Eₙ and ∂E/∂w its δ · out."""

    name: str  # the parameter, e.g. "x1->h1" or "h1.bias"
    src: str | None  # i (None for a bias)
    dst: str  # j
    is_output: bool  # j is an output neuron (∂Eₙ/∂outⱼ comes from the loss)
    loss: float  # E = (1/N) Σₙ Eₙ over these samples
    out_src: np.ndarray  # outᵢ⁽ⁿ⁾ (ones for a bias)
    dE_dout: np.ndarray  # ∂Eₙ/∂outⱼ
    dout_dnet: np.ndarray  # ∂outⱼ/∂netⱼ = f′(netⱼ⁽ⁿ⁾)
    delta: np.ndarray  # δⱼ⁽ⁿ⁾ = ∂Eₙ/∂netⱼ
    downstream: tuple[Downstream, ...]  # empty for an output neuron
    gradient: float  # ∂E/∂p = (1/N) Σₙ δⱼ⁽ⁿ⁾ · outᵢ⁽ⁿ⁾ (+ ∂R/∂p with a weight decay), as the engine computes it
    numeric: float  # the same by central finite differences of E (+ R)
    #: with a weight decay: ``loss`` is E + R, and these are E alone, R, and ∂R/∂p (λ·w or λ·sign(w) for a
    #: weight, 0 for a bias), so that gradient = mean(terms) + penalty_gradient
    data_loss: float = math.nan
    penalty: float = 0.0
    penalty_gradient: float = 0.0

    @property
    def n(self) -> int:
        """N, the number of samples."""
        return len(self.delta)

    @property
    def terms(self) -> np.ndarray:
        """∂Eₙ/∂p = δⱼ⁽ⁿ⁾ · outᵢ⁽ⁿ⁾ per sample; their mean is ∂E/∂p."""
        return self.delta * self.out_src


def slice_1d(network: Network, x: np.ndarray, t: np.ndarray, name: str, values: np.ndarray,
             decay: WeightDecay | None = None) -> np.ndarray:
    """E over samples (x, t) (sample-major) at each of ``values`` of parameter ``name``, the others as in
    ``network``: E(p₁, …, pₙ = v, …) for v in ``values``, an array of the shape of ``values`` (E + R with
    ``decay``)."""
    network.get_parameter(name)  # NetworkError for an unknown parameter
    x, t = _samples(x, t)
    values = np.asarray(values, dtype=float)
    other = next((p for p in network.parameter_names() if p != name), None)
    if other is not None and values.size and np.isfinite(values).all():
        # the fast surface over (name, another parameter held at its value): one vectorised pass, not one
        # forward pass per value (which, in the surface thread, would keep the window waiting for Python's lock)
        from .surface import loss_surface

        e = loss_surface(network, x, t, name, other, values.ravel(), [network.get_parameter(other)], decay=decay)
        return e[0].reshape(values.shape)
    engine = Engine(network, decay)
    out = np.empty(values.shape)
    for i, v in np.ndenumerate(values):
        engine.set(name, v)
        out[i] = engine.loss_value(x, t)
    return out


def directional_derivatives(gx: float, gy: float, angles: np.ndarray) -> np.ndarray:
    """D_u E = gx·cos θ + gy·sin θ for the unit directions u = (cos θ, sin θ) at ``angles`` (radians)."""
    angles = np.asarray(angles, dtype=float)
    return gx * np.cos(angles) + gy * np.sin(angles)


def steepest_descent_angle(gx: float, gy: float) -> float:
    """The angle (radians, in (−π, π]) of −∇E = (−gx, −gy): where D_u E is smallest (D = −|∇E| there).
    0 for a zero gradient, where every direction is flat."""
    if gx == 0.0 and gy == 0.0:
        return 0.0
    a = math.atan2(-gy, -gx)
    return math.pi if a == -math.pi else a  # from gy = 0.0 (−gy = −0.0) or a tiny gy > 0 that rounds to −π


def predict_step(network: Network, x: np.ndarray, t: np.ndarray, delta: dict[str, float],
                 decay: WeightDecay | None = None) -> StepPrediction:
    """The first-order prediction and the actual change of E over (x, t) for the step ``delta``:
    predicted = Σᵢ ∂E/∂pᵢ(p) Δpᵢ, actual = E(p + Δp) − E(p) (E + R with ``decay``). ``network`` is not
    changed."""
    for name in delta:
        network.get_parameter(name)
    engine = Engine(network, decay)
    x, t = _samples(x, t)
    e0, grads = engine.gradient(x, t)
    step = {name: float(d) for name, d in delta.items()}
    predicted = math.fsum(grads[name] * d for name, d in step.items())
    for name, d in step.items():
        engine.set(name, engine.get(name) + d)
    return StepPrediction(step, predicted, engine.loss_value(x, t) - e0, e0)


def chain_rule(network: Network, x: np.ndarray, t: np.ndarray, name: str, h: float = 1e-6,
               decay: WeightDecay | None = None) -> ChainRule:
    """The chain rule of parameter ``name`` over the samples (x, t) (pass one row for a single sample).
    ``numeric`` is (E(p + h) − E(p − h)) / 2h. With ``decay``, E + R (see :class:`ChainRule`)."""
    network.get_parameter(name)
    ref = parse_parameter_name(name)
    src, dst = ref if isinstance(ref, tuple) else (None, ref)
    engine = Engine(network, decay)
    x, t = _samples(x, t)
    ev = engine.evaluate(x, t)
    dE_dout, dout_dnet, out_src = ev.chain(name)
    is_output = network.is_output(dst)
    downstream = () if is_output else tuple(
        Downstream(k, network.weight(dst, k), ev.delta[k]) for _, k in network.outgoing(dst))
    return ChainRule(name, src, dst, is_output, ev.loss, out_src, dE_dout, dout_dnet, ev.delta[dst], downstream,
                     ev.gradients[name], numeric_gradient(engine, x, t, name, h), ev.data_loss, ev.penalty,
                     ev.penalty_gradients[name])


#: units of rounding per layer that a computed gradient term may carry (generous: a gradient within this of zero is
#: zero as far as the arithmetic can tell)
ROUNDING_PER_LAYER = 64


def gradient_noise(network: Network, x: np.ndarray, t: np.ndarray, names) -> dict[str, float]:
    """For each parameter in ``names``, how close to zero its computed ∂E/∂p can come by rounding alone:
    ∂E/∂p is the mean over samples of chain-rule terms, each computed through the network's layers, so where the
    terms cancel the mean is only known to about ROUNDING_PER_LAYER · layers · ε · (1/N) Σₙ |termₙ| (ε: float64's
    unit roundoff). A gradient whose size is below this is indistinguishable from 0: a stationary point."""
    for name in names:
        network.get_parameter(name)
    x, t = _samples(x, t)
    with np.errstate(all="ignore"):
        ev = Engine(network).evaluate(x, t)
        scale = ROUNDING_PER_LAYER * network.num_layers * np.finfo(np.float64).eps
        return {name: float(scale * np.abs(np.prod(ev.chain(name), axis=0)).mean()) for name in names}


def optimizer_race(network: Network, data: TableData | GeneratorData, config: TrainingConfig,
                   optimizers: dict[str, float], steps: int, names: tuple[str, str]) -> dict[str, np.ndarray]:
    """Train a copy of ``network`` for ``steps`` steps with each optimizer (name → learning rate; the other
    settings from ``config``, default hyperparameters) from the same weights. Returns, per optimizer, an array of
    shape (steps + 1, 3): the values of the two ``names`` parameters and the training loss before each step
    (row 0 is the start; the last row is after the last step). A run that diverges ends early (fewer rows).

    The loss is E over the whole training set (E + R with the config's weight decay; also with minibatches, which
    come in the same order for every optimizer: ``config.seed``). A run ends before the first row whose loss or
    any parameter is not finite."""
    if steps < 0:
        raise ValueError(f"steps must be at least 0, not {steps}")
    for name in names:
        network.get_parameter(name)
    dataset = make_dataset(data, network)
    paths = {}
    for opt, lr in optimizers.items():
        if opt not in HYPERPARAMETERS:
            raise ValueError(f"unknown optimizer '{opt}' (choose from {', '.join(HYPERPARAMETERS)})")
        cfg = config.copy()
        cfg.optimizer, cfg.learning_rate, cfg.hyperparameters = opt, lr, {}
        trainer = Trainer(network.copy(), dataset, cfg)
        params = trainer.engine.params
        idx = [trainer.engine.index[name] for name in names]
        rows = []
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows on its way to inf
            for i in range(steps + 1):
                e = trainer.total_loss()
                if not (math.isfinite(e) and trainer.parameters_finite()):
                    break
                rows.append((params[idx[0]], params[idx[1]], e))
                if i < steps:
                    trainer.step()
        paths[opt] = np.array(rows, dtype=float).reshape(-1, 3)
    return paths


def _samples(x, t) -> tuple[np.ndarray, np.ndarray]:
    """Sample-major float arrays (N × inputs, N × outputs)."""
    return np.asarray(x, dtype=float), np.asarray(t, dtype=float)
