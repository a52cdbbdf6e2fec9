"""bpgui.core.step_anatomy and bpgui.core.curvature against independent references: central finite differences of
the loss E (for gradients, Hessian–vector products and curvatures, written out here on a fresh engine moved by
parameter name), a dense Hessian of second differences of E and its eigenvalues, first steps of each optimizer
derived by hand, a linear network whose E is exactly quadratic (H in closed form), and the Cauchy–Schwarz floor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from random_networks import random_data, random_network

from bpgui.core import Engine, Network, Neuron, TableData, TrainingConfig, load_document, make_optimizer
from bpgui.core.curvature import (
    DENSE_LIMIT,
    Curvature,
    Objective,
    curvature_along,
    extreme_eigenvalues,
    hessian_vector_product,
    lanczos_ritz_values,
)
from bpgui.core.document import Document
from bpgui.core.optimizers import OPTIMIZER_NAMES
from bpgui.core.step_anatomy import _random_slopes, first_step_anatomy, step_anatomy, trainable_parameters
from bpgui.core.training import Trainer
from bpgui.core.training_run import TrainingRun
from bpgui.resources import example_paths

LOSSES = ("half_sse", "mse", "bce", "cross_entropy")
SMOOTH = ("tanh", "sigmoid", "softplus", "gaussian", "linear")  # no kinks: second differences hold everywhere
#: hyperparameters away from the defaults, so a test sees whether they reach the step
HYPER = {"momentum": {"momentum": 0.7}, "nesterov": {"momentum": 0.6}, "adagrad": {"eps": 1e-3},
         "rmsprop": {"rho": 0.8, "eps": 1e-3}, "adam": {"beta1": 0.8, "beta2": 0.9, "eps": 1e-3}, "sgd": {}}


# ---------------------------------------------------------------------------------------------- references
class Loss:
    """E over (x, t) as a function of named parameters, on its own engine: the reference for every derivative."""

    def __init__(self, net: Network, x, t, names):
        self.engine = Engine(net.copy())
        self.x, self.t, self.names = x, t, tuple(names)
        self.w0 = np.array([self.engine.get(n) for n in self.names])

    def __call__(self, w) -> float:
        for n, v in zip(self.names, w):
            self.engine.set(n, float(v))
        return self.engine.loss_value(self.x, self.t)

    def gradient(self, h=1e-5) -> np.ndarray:
        e = np.eye(len(self.w0))
        return np.array([(self(self.w0 + h * d) - self(self.w0 - h * d)) / (2 * h) for d in e])

    def second(self, u, v, h=1e-4) -> float:
        """uᵀHv by the mixed central second difference of E."""
        w = self.w0
        return (self(w + h * u + h * v) - self(w + h * u - h * v) - self(w - h * u + h * v)
                + self(w - h * u - h * v)) / (4 * h * h)

    def hessian(self, h=1e-4) -> np.ndarray:
        n = len(self.w0)
        e = np.eye(n)
        hess = np.empty((n, n))
        for i in range(n):
            for j in range(i, n):
                hess[i, j] = hess[j, i] = self.second(e[i], e[j], h)
        return hess


def close(a, b, rel, abs_) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b)) + abs_))


def case(seed: int, loss: str, n: int = 8):
    """A random smooth network (skip edges, mixed activations) with training data fitting its loss."""
    rng = np.random.default_rng(seed)
    net = random_network(rng, loss, str(rng.choice(SMOOTH)), choices=SMOOTH)
    x, t = random_data(rng, net, n)
    return net, x, t


def document(net: Network, x, t, optimizer="sgd", lr=0.1, train_biases=True, hyper=None) -> Document:
    cfg = TrainingConfig(optimizer=optimizer, learning_rate=lr, train_biases=train_biases,
                         hyperparameters=dict(hyper or {}))
    return Document(net, TableData(np.asarray(x, dtype=float), np.asarray(t, dtype=float)), cfg)


def hand_step(opt: str, g: np.ndarray, lr: float, hyper: dict) -> np.ndarray:
    """The first step of each optimizer from a fresh state, worked out from its update rule."""
    h = {**{"momentum": 0.9, "rho": 0.9, "beta1": 0.9, "beta2": 0.999}, **hyper}
    if opt in ("sgd", "momentum"):  # v = g
        return -lr * g
    if opt == "nesterov":  # v = g; −η(g + μv)
        return -lr * (1 + h["momentum"]) * g
    if opt == "adagrad":  # s = g²
        return -lr * g / (np.abs(g) + h["eps"])
    if opt == "rmsprop":  # s = (1 − ρ) g²
        return -lr * g / (math.sqrt(1 - h["rho"]) * np.abs(g) + h["eps"])
    if opt == "adam":  # m̂ = g, v̂ = g²
        return -lr * g / (np.abs(g) + h["eps"])
    raise AssertionError(opt)


# ---------------------------------------------------------------------------------------------- the step
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("opt", OPTIMIZER_NAMES)
@pytest.mark.parametrize("seed", [1, 2])
def test_first_step_against_finite_differences_and_hand_derived_updates(loss, opt, seed):
    net, x, t = case(seed, loss)
    train_biases = seed % 2 == 0
    lr = 0.05
    a = first_step_anatomy(document(net, x, t, opt, lr, train_biases, HYPER[opt]))
    assert a.names == tuple(n for n in net.parameter_names() if train_biases or not n.endswith(".bias"))
    assert a.optimizer == opt and a.learning_rate == lr
    ref = Loss(net, x, t, a.names)
    assert np.array_equal(a.values, ref.w0)
    assert a.loss == pytest.approx(ref(ref.w0), rel=1e-14, abs=1e-14)
    assert close(a.gradient, ref.gradient(), 1e-6, 1e-8), (a.gradient, ref.gradient())
    assert close(a.step, hand_step(opt, a.gradient, lr, HYPER[opt]), 1e-12, 0)
    assert np.array_equal(a.contributions, a.gradient * a.step)
    assert a.predicted_change == pytest.approx(float(np.sum(a.gradient * a.step)), rel=1e-12, abs=1e-15)
    assert a.actual_change == pytest.approx(ref(ref.w0 + a.step) - ref(ref.w0), rel=1e-12, abs=1e-15)
    if opt in ("sgd", "momentum", "nesterov"):  # Δwᵢ = −c·gᵢ: every term −c·gᵢ² ≤ 0
        assert (a.contributions <= 0).all()
    # the prediction is first order: its error is the second-order term ½ΔwᵀHΔw, up to third order
    assert a.actual_change - a.predicted_change == pytest.approx(
        0.5 * ref.second(a.step, a.step), rel=0.05, abs=50 * float(np.sum(np.abs(a.step))) ** 3 + 1e-9)


def test_frozen_biases_are_not_parameters_and_do_not_move():
    net, x, t = case(3, "half_sse")
    doc = document(net, x, t, "adam", 0.1, train_biases=False)
    a = first_step_anatomy(doc)
    assert a.names and not any(n.endswith(".bias") for n in a.names)
    assert set(a.names) == {f"{s}->{d}" for s, d in net.edges}
    # E(w + Δw) with the biases where they were
    ref = Loss(net, x, t, a.names)
    assert a.loss_after == pytest.approx(ref(ref.w0 + a.step), rel=1e-14)
    assert trainable_parameters(Engine(net).parameter_names, True) == tuple(net.parameter_names())


def test_the_live_state_step_is_the_step_training_takes_and_nothing_moves():
    """From the optimizer's real state after some steps, the step is the one the trainer then takes, to the bit."""
    net, x, t = case(4, "bce", n=12)
    for opt in OPTIMIZER_NAMES:
        trainer = Trainer(net.copy(), document(net, x, t).dataset(), TrainingConfig(opt, 0.05, train_biases=False))
        trainer.train(5)
        before = trainer.engine.params.copy()
        state = trainer.optimizer.state()
        a = step_anatomy(trainer.engine, x, t, trainer.optimizer, train_biases=False)
        assert np.array_equal(trainer.engine.params, before)
        assert all(np.array_equal(v, trainer.optimizer.state()[k]) for k, v in state.items())
        assert trainer.optimizer.t == 5
        trainer.step()
        moved = trainer.engine.params - before
        idx = [trainer.engine.index[n] for n in a.names]
        assert np.array_equal(before[idx] + a.step, trainer.engine.params[idx]), opt
        assert np.count_nonzero(moved) == np.count_nonzero(a.step)


def test_the_live_runs_next_values_are_where_its_next_step_lands():
    doc = load_document(example_paths()["circles"])
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(3)
    predicted = run.snapshot().next_values
    run.run(1)
    assert np.array_equal(run.snapshot().values, predicted)


# ---------------------------------------------------------------------------------------------- the line
def test_the_line_through_the_step_and_its_models():
    net, x, t = case(5, "cross_entropy")
    a = first_step_anatomy(document(net, x, t, "rmsprop", 0.02), line_to=3.0, line_points=13)
    ref = Loss(net, x, t, a.names)
    assert np.allclose(a.line_t, np.linspace(0, 3, 13), rtol=0, atol=1e-15)
    assert close(a.line_loss, [ref(ref.w0 + s * a.step) for s in a.line_t], 1e-13, 1e-15)
    assert a.line_loss[0] == a.loss and a.line_loss[4] == pytest.approx(a.loss_after, rel=1e-13)
    g_dw = float(a.gradient @ a.step)
    assert close(a.line_linear, a.loss + a.line_t * g_dw, 1e-12, 1e-15)
    quad = a.loss + a.line_t * g_dw + 0.5 * a.line_t**2 * ref.second(a.step, a.step)
    assert close(a.line_quadratic, quad, 1e-6, 1e-9)


def test_the_quadratic_model_is_closer_than_the_linear_one_near_w():
    net, x, t = case(6, "mse")
    a = first_step_anatomy(document(net, x, t, "sgd", 1e-3), line_to=1.0, line_points=5)
    lin = np.abs(a.line_loss - a.line_linear)[1:]
    quad = np.abs(a.line_loss - a.line_quadratic)[1:]
    assert (quad < 0.05 * lin).all(), (lin, quad)


# ---------------------------------------------------------------------------------------------- curvature
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", [7, 8, 9])
def test_hessian_vector_products_against_second_differences_of_the_loss(loss, seed):
    net, x, t = case(seed, loss)
    names = net.parameter_names()
    engine = Engine(net.copy())
    obj = Objective(engine, x, t, names)
    ref = Loss(net, x, t, names)
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal((2, len(names)))
    hv = hessian_vector_product(obj, obj.w0, v)
    scale = np.linalg.norm(u) * np.linalg.norm(v)
    assert u @ hv == pytest.approx(ref.second(u, v), rel=1e-5, abs=1e-6 * scale)
    assert v @ hv == pytest.approx(ref.second(v, v), rel=1e-5, abs=1e-6 * scale)
    # linear in v, and 0 for v = 0
    assert close(hessian_vector_product(obj, obj.w0, 3.0 * v), 3.0 * hv, 1e-6, 1e-9)
    assert not hessian_vector_product(obj, obj.w0, np.zeros(len(names))).any()
    obj.restore()
    assert np.array_equal(engine.params, Engine(net).params)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", [10, 11, 12])
def test_eigenvalues_and_curvatures_against_a_dense_hessian_of_the_loss(loss, seed):
    net, x, t = case(seed, loss)
    a = first_step_anatomy(document(net, x, t, "momentum", 0.1))
    ref = Loss(net, x, t, a.names)
    hess = ref.hessian()
    ev = np.linalg.eigvalsh(hess)
    tol = 1e-5 * np.abs(ev).max() + 1e-6
    c = a.curvature
    assert abs(c.lambda_max - ev[-1]) <= tol and abs(c.lambda_min - ev[0]) <= tol, (c, ev)
    assert c.stable_learning_rate == pytest.approx(2 / c.lambda_max) if c.lambda_max > 0 else None
    g, s = a.gradient, a.step
    assert c.along_gradient == pytest.approx(g @ hess @ g / (g @ g), abs=tol)
    assert c.along_step == pytest.approx(s @ hess @ s / (s @ s), abs=tol)
    assert ev[0] - tol <= c.along_step <= ev[-1] + tol  # a Rayleigh quotient lies within the spectrum


@pytest.mark.parametrize("seed", [13, 14])
def test_lanczos_agrees_with_the_dense_hessian(seed):
    net, x, t = case(seed, "bce")
    obj = Objective(Engine(net.copy()), x, t, net.parameter_names())
    dense = extreme_eigenvalues(obj, obj.w0)
    lanczos = extreme_eigenvalues(obj, obj.w0, dense_limit=0, lanczos_steps=obj.size)
    assert close(lanczos, dense, 1e-6, 1e-8), (lanczos, dense)


def test_lanczos_ritz_values_on_a_known_spectrum():
    rng = np.random.default_rng(0)
    n = 300
    eig = np.concatenate([[-2.0], rng.uniform(-0.5, 1.0, n - 2), [5.0]])
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    a = q @ np.diag(eig) @ q.T
    ritz = lanczos_ritz_values(lambda v: a @ v, n, 48, np.random.default_rng(1))
    assert len(ritz) == 48
    assert ritz[0] >= -2.0 - 1e-9 and ritz[-1] <= 5.0 + 1e-9  # inner bounds
    assert ritz[0] == pytest.approx(-2.0, rel=1e-8) and ritz[-1] == pytest.approx(5.0, rel=1e-8)
    small = np.diag([3.0, 1.0, -1.0])
    assert close(lanczos_ritz_values(lambda v: small @ v, 3, 48, rng), [-1.0, 1.0, 3.0], 1e-12, 1e-12)


def test_a_quadratic_loss_has_the_closed_form_hessian_and_gradient_descent_turns_at_two_over_lambda_max():
    """A linear neuron with the half squared error: E = (1/2N) Σₙ (wᵀxₙ + b − tₙ)², so H = (1/N) Σₙ x̃ₙ x̃ₙᵀ with
    x̃ = (x₁, x₂, 1) exactly, and plain gradient descent converges for η < 2/λ_max and diverges above it."""
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1.0, (20, 2)) + [1.0, -0.5]
    t = rng.normal(0, 1.0, (20, 1))
    net = Network("half_sse")
    for n in (Neuron("x1", 0), Neuron("x2", 0), Neuron("y1", 1, "linear", 0.3)):
        net._add_neuron_unchecked(n)
    net.add_edge("x1", "y1", 0.5)
    net.add_edge("x2", "y1", -0.2)
    xt = np.hstack([x, np.ones((20, 1))])
    ev = np.linalg.eigvalsh(xt.T @ xt / 20)
    a = first_step_anatomy(document(net, x, t, "sgd", 0.1))
    assert set(a.names) == {"y1.bias", "x1->y1", "x2->y1"}
    assert a.curvature.lambda_max == pytest.approx(ev[-1], rel=1e-7)
    assert a.curvature.lambda_min == pytest.approx(ev[0], rel=1e-6)
    assert close(a.line_quadratic, a.line_loss, 1e-9, 1e-12)  # the quadratic model is E itself
    eta = a.curvature.stable_learning_rate
    assert eta == pytest.approx(2 / ev[-1], rel=1e-7)
    for factor, converges in ((0.95, True), (1.05, False)):
        doc = document(net, x, t, "sgd", eta * factor)
        trainer = Trainer(net.copy(), doc.dataset(), doc.training)
        start = trainer.train_loss()
        trainer.train(2000)
        assert (trainer.train_loss() < start) == converges


# ---------------------------------------------------------------------------------------------- directions
@pytest.mark.parametrize("loss", LOSSES)
def test_slopes_of_directions_and_the_cauchy_schwarz_floor(loss):
    net, x, t = case(15, loss)
    a = first_step_anatomy(document(net, x, t), directions=500, seed=3)
    ref = Loss(net, x, t, a.names)
    g = ref.gradient()
    norm = float(np.linalg.norm(g))
    assert a.steepest_slope == pytest.approx(-norm, rel=1e-6)
    # −|g| is E's slope along −g/|g|, measured on E itself
    u = -a.gradient / a.gradient_norm
    h = 1e-5
    assert (ref(ref.w0 + h * u) - ref(ref.w0 - h * u)) / (2 * h) == pytest.approx(a.steepest_slope, rel=1e-6)
    assert a.best_single_parameter_slope == pytest.approx(-np.abs(g).max(), rel=1e-6)
    assert a.best_single_parameter == a.names[int(np.argmax(np.abs(g)))]
    assert a.steepest_slope <= a.best_single_parameter_slope <= 0
    assert len(a.random_slopes) == 500
    assert (a.random_slopes >= a.steepest_slope).all() and (a.random_slopes <= -a.steepest_slope).all()
    assert a.random_slopes.min() > a.steepest_slope  # no random direction reaches the floor
    # a random unit direction's slope has mean 0 and mean square |g|²/n
    assert np.mean(a.random_slopes**2) == pytest.approx(norm**2 / len(g), rel=0.25)
    again = first_step_anatomy(document(net, x, t), directions=500, seed=3)
    other = first_step_anatomy(document(net, x, t), directions=500, seed=4)
    assert np.array_equal(again.random_slopes, a.random_slopes)
    assert not np.array_equal(other.random_slopes, a.random_slopes)


def test_bad_options_are_refused():
    net, x, t = case(16, "mse")
    doc = document(net, x, t)
    for bad in ({"directions": -1}, {"directions": 1.5}, {"line_to": 0.0}, {"line_to": math.inf},
                {"line_points": 1}, {"line_points": True}):
        with pytest.raises(ValueError):
            first_step_anatomy(doc, **bad)
    assert len(first_step_anatomy(doc, directions=0).random_slopes) == 0


def test_bundled_examples_are_sane():
    for name, path in example_paths().items():
        a = first_step_anatomy(load_document(path))
        assert len(a.names) <= DENSE_LIMIT, name
        assert a.predicted_change < 0 and a.actual_change < 0, name
        assert a.curvature.lambda_min <= a.curvature.along_step <= a.curvature.lambda_max, name


def test_a_net_bigger_than_the_dense_limit_uses_lanczos_and_bounds_the_spectrum():
    rng = np.random.default_rng(17)
    net = Network("half_sse")
    sizes = (2, 12, 12, 1)
    for li, size in enumerate(sizes):
        for i in range(size):
            net._add_neuron_unchecked(Neuron(f"n{li}_{i}", li, "linear" if li == 3 else "tanh", 0.0) if li
                                      else Neuron(f"n0_{i}", 0))
    for li in range(3):
        for i in range(sizes[li]):
            for j in range(sizes[li + 1]):
                net.add_edge(f"n{li}_{i}", f"n{li + 1}_{j}", float(rng.normal(0, 0.6)))
    x = rng.normal(0, 1, (30, 2))
    t = np.sin(x[:, :1])
    doc = document(net, x, t)
    a = first_step_anatomy(doc)
    assert len(a.names) > DENSE_LIMIT
    obj = Objective(Engine(net.copy()), x, t, a.names)
    lo, hi = extreme_eigenvalues(obj, obj.w0, dense_limit=10**6)
    c = a.curvature
    assert lo - 1e-6 <= c.lambda_min and c.lambda_max <= hi + 1e-6
    assert c.lambda_max == pytest.approx(hi, rel=1e-3)
    assert make_optimizer("sgd", 1, 0.1).next_step(np.array([2.0]))[0] == -0.2


def test_stable_learning_rate_needs_a_direction_that_curves_up():
    assert Curvature(4.0, -1.0, 0.0, 0.0).stable_learning_rate == 0.5
    for lam in (0.0, -2.0, math.nan):
        assert Curvature(lam, -3.0, 0.0, 0.0).stable_learning_rate is None


def test_curvature_along_a_huge_or_zero_vector():
    net, x, t = case(18, "half_sse")
    obj = Objective(Engine(net.copy()), x, t, net.parameter_names())
    v = np.random.default_rng(0).standard_normal(obj.size)
    along = curvature_along(obj, obj.w0, v)
    assert curvature_along(obj, obj.w0, 1e250 * v) == pytest.approx(along, rel=1e-12)
    assert along == pytest.approx(Loss(net, x, t, obj.names).second(v, v) / (v @ v), rel=1e-5)
    assert math.isnan(curvature_along(obj, obj.w0, np.zeros(obj.size)))


def test_a_live_runs_step_anatomy_is_its_next_step_and_leaves_it_alone():
    doc = load_document(example_paths()["sine"])  # adam: the state matters
    doc.training.train_biases = False
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(7)
    snap = run.snapshot()
    a = run.step_anatomy(directions=3)
    assert run.snapshot().values.tolist() == snap.values.tolist() and run.step_count == 7
    assert a.names == tuple(n for n in snap.names if not n.endswith(".bias"))
    values = dict(zip(snap.names, snap.values))
    nxt = dict(zip(snap.names, snap.next_values))
    assert [values[n] + s for n, s in zip(a.names, a.step)] == [nxt[n] for n in a.names]
    assert a.loss == pytest.approx(snap.train_loss, rel=1e-12)
    run.run(1)
    after = run.snapshot().parameters
    assert [after[n] for n in a.names] == [nxt[n] for n in a.names]


def test_random_directions_come_in_blocks_that_do_not_change_them():
    """Drawn block by block (so many directions of a big net fit in memory), they are the same directions as one
    draw of them all: rows of one seeded Gaussian stream."""
    g = np.random.default_rng(1).standard_normal(2**19 + 7)  # blocks of one direction
    slopes = _random_slopes(g, 3, seed=5)
    u = np.random.default_rng(5).standard_normal((3, len(g)))
    assert close(slopes, (u / np.linalg.norm(u, axis=1, keepdims=True)) @ g, 1e-12, 1e-12)
