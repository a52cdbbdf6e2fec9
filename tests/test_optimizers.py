"""Optimizers against update steps worked out by hand.

Every test starts from p₀ = (1, −2, 0.5, 3) with learning rate η = 0.1 and the gradients
g₁ = (0.5, −1, 2, 0), g₂ = (0.5, 1, −1, 0), g₃ = (−1, 0, 1, 0). The last entry plays a masked parameter: its
gradient is always 0, so it must stay at 3 exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core import HYPERPARAMETERS, OPTIMIZER_NAMES, make_optimizer

P0 = (1.0, -2.0, 0.5, 3.0)
G = ((0.5, -1.0, 2.0, 0.0), (0.5, 1.0, -1.0, 0.0), (-1.0, 0.0, 1.0, 0.0))
LR = 0.1

EXPECTED = {
    # p ← p − η g
    "sgd": [
        (0.95, -1.9, 0.3, 3.0),  # p₀ − 0.1 g₁
        (0.9, -2.0, 0.4, 3.0),  # − 0.1 g₂
        (1.0, -2.0, 0.3, 3.0),  # − 0.1 g₃
    ],
    # v ← 0.9 v + g; p ← p − η v
    "momentum": [
        (0.95, -1.9, 0.3, 3.0),  # v₁ = g₁
        (0.855, -1.91, 0.22, 3.0),  # v₂ = 0.9 g₁ + g₂ = (0.95, 0.1, 0.8, 0)
        (0.8695, -1.919, 0.048, 3.0),  # v₃ = 0.9 v₂ + g₃ = (−0.145, 0.09, 1.72, 0)
    ],
    # v ← 0.9 v + g; p ← p − η (g + 0.9 v)
    "nesterov": [
        (0.905, -1.81, 0.12, 3.0),  # g₁ + 0.9 g₁ = 1.9 g₁ = (0.95, −1.9, 3.8, 0)
        (0.7695, -1.919, 0.148, 3.0),  # g₂ + 0.9 v₂ = (1.355, 1.09, −0.28, 0)
        (0.88255, -1.9271, -0.1068, 3.0),  # g₃ + 0.9 v₃ = (−1.1305, 0.081, 2.548, 0)
    ],
    # s ← s + g²; p ← p − η g / (√s + 1e−10)
    "adagrad": [
        (0.9, -1.9, 0.4, 3.0),  # g₁/√(g₁²) = sign g₁
        # s₂ = (0.5, 2, 5, 0): g₂/√s₂ = (0.5/√0.5, 1/√2, −1/√5) = (0.70710678, 0.70710678, −0.44721360)
        (0.829289322, -1.970710678, 0.444721360, 3.0),
        # s₃ = (1.5, 2, 6, 0): g₃/√s₃ = (−1/√1.5, 0, 1/√6) = (−0.81649658, 0, 0.40824829)
        (0.910938980, -1.970710678, 0.403896531, 3.0),
    ],
    # s ← 0.9 s + 0.1 g²; p ← p − η g / (√s + 1e−8)
    "rmsprop": [
        # s₁ = 0.1 g₁²: g₁/√s₁ = √10 sign g₁ = ±3.16227766 (ε moves these by about 2e−8)
        (0.683772234, -1.683772234, 0.183772234, 3.0),
        # s₂ = (0.0475, 0.19, 0.46, 0): g₂/√s₂ = (2.29415734, 2.29415734, −1.47441956)
        (0.454356500, -1.913187968, 0.331214190, 3.0),
        # s₃ = (0.14275, 0.171, 0.514, 0): g₃/√s₃ = (−2.64674403, 0, 1.39482088)
        (0.719030940, -1.913187968, 0.191732102, 3.0),
    ],
    # m ← 0.9 m + 0.1 g; v ← 0.999 v + 0.001 g²; p ← p − η m̂/(√v̂ + 1e−8), m̂ = m/(1−0.9ᵗ), v̂ = v/(1−0.999ᵗ)
    "adam": [
        (0.9, -1.9, 0.4, 3.0),  # t = 1: m̂ = g, v̂ = g²: the step is η sign g
        # t = 2: m̂ = (0.09 g₁ + 0.1 g₂)/0.19 = (0.5, 0.05263158, 0.42105263),
        #        v̂ = (0.000999 g₁² + 0.001 g₂²)/0.001999 = (0.25, 1, 2.49924962)
        #        steps 0.1 (1, 0.05263158, 0.42105263/1.58090152) = (0.1, 0.00526316, 0.02663370)
        (0.8, -1.905263158, 0.373366297, 3.0),
        # t = 3: m₃ = 0.9 (0.095, 0.01, 0.08) + 0.1 g₃ = (−0.0145, 0.009, 0.172), 1 − 0.9³ = 0.271:
        #        m̂ = (−0.05350554, 0.03321033, 0.63468635)
        #        v₃ = 0.999 (0.00049975, 0.001999, 0.004996) + 0.001 g₃² = (0.00149925, 0.001997001, 0.005991004),
        #        1 − 0.999³ = 0.002997001: v̂ = (0.50025008, 0.66633311, 1.99899967)
        #        steps 0.1 (−0.05350554/0.70728371, 0.03321033/0.81629223, 0.63468635/1.41385985)
        #            = (−0.00756493, 0.00406844, 0.04489033)
        (0.807564937, -1.909331595, 0.328475967, 3.0),
    ],
}


def run(name, steps, lr=LR, **hyper):
    p = np.array(P0)
    opt = make_optimizer(name, p.size, lr, **hyper)
    history = []
    for g in G[:steps]:
        opt.step(p, np.array(g))
        history.append(p.copy())
    return opt, history


def test_every_optimizer_has_hand_values():
    assert set(EXPECTED) == set(OPTIMIZER_NAMES)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_first_three_steps_match_hand_values(name):
    opt, history = run(name, 3)
    for t, (got, want) in enumerate(zip(history, EXPECTED[name]), 1):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-7, err_msg=f"{name} step {t}")
        assert got[3] == 3.0  # the masked entry, exactly
    assert opt.t == 3


def test_adam_first_step_is_learning_rate_times_sign():
    p = np.array([0.0, 0.0, 0.0])
    opt = make_optimizer("adam", 3, 0.01)
    opt.step(p, np.array([1e-3, -250.0, 7.0]))
    np.testing.assert_allclose(p, [-0.01, 0.01, -0.01], rtol=1e-5)


def test_hyperparameters_override_the_defaults():
    # momentum 0.5: v₂ = 0.5 g₁ + g₂ = (0.75, 0.5, 0), p₂ = p₁ − 0.1 v₂ = (0.875, −1.95, 0.3)
    _, history = run("momentum", 2, momentum=0.5)
    np.testing.assert_allclose(history[1], (0.875, -1.95, 0.3, 3.0), rtol=0, atol=1e-12)
    # rmsprop ρ = 0: s = g², every step is η sign g
    _, history = run("rmsprop", 2, rho=0.0)
    np.testing.assert_allclose(history[1], (0.8, -2.0, 0.5, 3.0), rtol=0, atol=1e-7)
    # adam β₁ = 0: m̂ = g; step 2 entry 2: v̂ = (0.000999·4 + 0.001·1)/0.001999 → 0.1·1/1.58090152
    _, history = run("adam", 2, beta1=0.0)
    assert history[1][2] == pytest.approx(0.4 + 0.1 / 1.58090152, abs=1e-7)


def test_optimizer_updates_the_array_it_is_given_in_place():
    buf = np.zeros((2, 3))
    view = buf.reshape(-1)
    opt = make_optimizer("sgd", 6, 0.5)
    opt.step(view, np.arange(6.0))
    np.testing.assert_array_equal(buf, [[0.0, -0.5, -1.0], [-1.5, -2.0, -2.5]])


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
@settings(max_examples=15, deadline=None)
@given(
    data=st.lists(st.lists(st.floats(-1e3, 1e3), min_size=6, max_size=6), min_size=1, max_size=12),
    mask=st.lists(st.booleans(), min_size=6, max_size=6),
    p0=st.lists(st.floats(-10, 10), min_size=6, max_size=6),
)
def test_zero_gradient_entries_never_move(name, data, mask, p0):
    m = np.array(mask, dtype=float)
    p = np.array(p0)
    opt = make_optimizer(name, p.size, 0.05)
    for g in data:
        opt.step(p, np.array(g) * m)
        assert np.all(np.isfinite(p))
        np.testing.assert_array_equal(p[m == 0], np.array(p0)[m == 0])
    for state in opt.state().values():
        np.testing.assert_array_equal(state[m == 0], 0.0)


@pytest.mark.parametrize("lr", [0, 0.0, -0.1, math.nan, math.inf, -math.inf, "0.1", None])
def test_bad_learning_rate_raises(lr):
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("sgd", 3, lr)


def test_unknown_optimizer_raises():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        make_optimizer("lbfgs", 3, 0.1)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_unknown_hyperparameter_raises(name):
    foreign = next(k for k in ("momentum", "beta1", "rho") if k not in HYPERPARAMETERS[name])
    with pytest.raises(ValueError, match=f"{name} has no hyperparameter {foreign}"):
        make_optimizer(name, 3, 0.1, **{foreign: 0.5})
    with pytest.raises(ValueError, match="no hyperparameter"):
        make_optimizer(name, 3, 0.1, typo=1.0)


@pytest.mark.parametrize("name,hyper", [("momentum", {"momentum": 5.0}), ("adam", {"beta2": 1.0}),
                                        ("rmsprop", {"eps": 0.0}), ("adam", {"beta1": float("nan")})])
def test_hyperparameters_out_of_range_are_refused(name, hyper):
    with pytest.raises(ValueError, match=next(iter(hyper))):
        make_optimizer(name, 3, 0.1, **hyper)


def test_a_bool_is_not_a_learning_rate():
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("sgd", 3, True)
