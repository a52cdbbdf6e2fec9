"""bpgui.core.explain against independent references: Matt Mazur's hand-worked example ('A Step by Step
Backpropagation Example'), central finite differences of E computed here (on copies of the network with one
parameter moved), hand-rolled gradient-descent loops, and closed forms for networks built to make them exact."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core import Engine, GeneratorData, Network, NetworkError, Neuron, TableData, TrainingConfig, load_document
from bpgui.core.document import make_dataset
from bpgui.core.explain import (
    chain_rule,
    directional_derivatives,
    optimizer_race,
    predict_step,
    slice_1d,
    steepest_descent_angle,
)
from bpgui.resources import example_paths

LOSSES = ("half_sse", "mse", "bce", "cross_entropy")
SMOOTH = ("tanh", "sigmoid", "softplus", "gaussian", "linear")  # no kinks: finite differences hold everywhere
OUTPUT_ACTIVATION = {"bce": "sigmoid", "cross_entropy": "linear"}
H = 1e-5


# ---------------------------------------------------------------------------------------------- references
def loss_at(net: Network, x, t, values: dict[str, float] | None = None) -> float:
    """E over (x, t) with some parameters replaced, on a copy of ``net``."""
    c = net.copy()
    c.set_parameters(values or {})
    return Engine(c).loss_value(x, t)


def fd(net: Network, x, t, name: str, h: float = H) -> float:
    """(E(p + h) − E(p − h)) / 2h, written out here."""
    p = net.get_parameter(name)
    return (loss_at(net, x, t, {name: p + h}) - loss_at(net, x, t, {name: p - h})) / (2 * h)


def random_case(seed: int, loss: str, n: int = 6):
    """Layers of 2, 3, 2 and 2 neurons with random smooth activations: every edge between adjacent layers and
    about half the skip edges, so a hidden neuron's δ comes from one or two later layers."""
    rng = np.random.default_rng(seed)
    layers = [["x1", "x2"], ["a1", "a2", "a3"], ["b1", "b2"], ["y1", "y2"]]
    net = Network(loss)
    for li, ids in enumerate(layers):
        for nid in ids:
            if li == 0:
                net._add_neuron_unchecked(Neuron(nid, 0))
                continue
            act = OUTPUT_ACTIVATION.get(loss) if li == 3 else None
            act = act or str(rng.choice(SMOOTH))
            net._add_neuron_unchecked(Neuron(nid, li, act, float(rng.normal(0, 0.5))))
    for i, src in enumerate(layers):
        for j in range(i + 1, len(layers)):
            for a in src:
                for b in layers[j]:
                    if j == i + 1 or rng.random() < 0.5:
                        net.add_edge(a, b, float(rng.normal(0, 1.0)))
    net.validate()
    x = rng.normal(0, 1.0, size=(n, 2))
    if loss == "bce":
        t = rng.uniform(0, 1, size=(n, 2))
    elif loss == "cross_entropy":
        t = np.eye(2)[rng.integers(0, 2, n)]
    else:
        t = rng.normal(0, 1.0, size=(n, 2))
    return net, x, t, {nid: li for li, ids in enumerate(layers) for nid in ids}


def mazur():
    doc = load_document(example_paths()["backprop_by_hand"])
    ds = doc.dataset()
    return doc.network, ds.x_train, ds.t_train


def one_weight_net(loss: str, activation: str, w: float, b: float) -> Network:
    """y = f(w·x + b)."""
    net = Network(loss)
    net._add_neuron_unchecked(Neuron("x", 0))
    net._add_neuron_unchecked(Neuron("y", 1, activation, b))
    net.add_edge("x", "y", w)
    net.validate()
    return net


# ---------------------------------------------------------------------------------------------- chain_rule
def test_chain_rule_mazur_output_weight():
    """w5 = h1 -> o1 (his E is half_sse on one sample): ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5
    = 0.74136507 · 0.186815602 · 0.593269992 = 0.082167041."""
    net, x, t = mazur()
    c = chain_rule(net, x, t, "h1->o1")
    assert (c.name, c.src, c.dst, c.is_output, c.downstream) == ("h1->o1", "h1", "o1", True, ())
    assert c.loss == pytest.approx(0.298371109, abs=5e-10)
    for arr in (c.out_src, c.dE_dout, c.dout_dnet, c.delta):
        assert arr.shape == (1,)
    assert c.dE_dout[0] == pytest.approx(0.74136507, abs=5e-9)
    assert c.dout_dnet[0] == pytest.approx(0.186815602, abs=5e-10)
    assert c.out_src[0] == pytest.approx(0.593269992, abs=5e-10)
    assert c.delta[0] == pytest.approx(0.138498562, abs=5e-10)
    assert c.gradient == pytest.approx(0.082167041, abs=5e-10)
    assert c.numeric == pytest.approx(0.082167041, abs=5e-10)


def test_chain_rule_mazur_hidden_weight():
    """w1 = i1 -> h1: ∂E/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1 = w5·δ_o1 + w7·δ_o2 = 0.055399425 − 0.019049119
    = 0.036350306; ∂E/∂w1 = 0.036350306 · 0.241300709 · 0.05 = 0.000438568."""
    net, x, t = mazur()
    c = chain_rule(net, x, t, "i1->h1")
    assert (c.src, c.dst, c.is_output) == ("i1", "h1", False)
    assert [(d.neuron, d.weight) for d in c.downstream] == [("o1", 0.40), ("o2", 0.50)]
    assert c.downstream[0].delta.shape == (1,)
    assert c.downstream[0].delta[0] == pytest.approx(0.138498562, abs=5e-10)  # δ_o1
    terms = [d.weight * d.delta[0] for d in c.downstream]
    assert terms == pytest.approx([0.055399425, -0.019049119], abs=1e-9)  # his second is from rounded factors
    assert c.dE_dout[0] == pytest.approx(0.036350306, abs=5e-10)
    assert c.dout_dnet[0] == pytest.approx(0.241300709, abs=5e-10)
    assert c.out_src[0] == 0.05
    assert c.gradient == pytest.approx(0.000438568, abs=5e-10)
    assert c.numeric == pytest.approx(0.000438568, abs=5e-10)
    assert c.loss == pytest.approx(0.298371109, abs=5e-10)


def test_chain_rule_mazur_bias():
    """∂E/∂b_o1 = δ_o1 · 1."""
    net, x, t = mazur()
    c = chain_rule(net, x, t, "o1.bias")
    assert (c.src, c.dst, c.is_output) == (None, "o1", True)
    np.testing.assert_array_equal(c.out_src, [1.0])
    assert c.gradient == pytest.approx(0.138498562, abs=5e-10)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", range(3))
def test_chain_rule_terms_add_up_to_the_finite_difference(loss, seed):
    """For every parameter: δ⁽ⁿ⁾ = ∂Eₙ/∂out · f′(net) per sample, (1/N) Σₙ δ⁽ⁿ⁾·out_src⁽ⁿ⁾ = ∂E/∂p = FD of E, and
    for a hidden neuron ∂Eₙ/∂out = Σₖ wⱼₖ δₖ⁽ⁿ⁾ with (1/N) Σₙ δₖ⁽ⁿ⁾ = ∂E/∂bₖ (FD) for each downstream k."""
    net, x, t, layer_of = random_case(seed, loss)
    n = len(x)
    out_layer = max(layer_of.values())
    ev = Engine(net).evaluate(x, t)
    fd_bias = {nid: fd(net, x, t, f"{nid}.bias") for nid, li in layer_of.items() if li > 0}
    hidden_seen = 0
    for name in net.parameter_names():
        c = chain_rule(net, x, t, name)
        src, dst = name.split("->") if "->" in name else (None, name.removesuffix(".bias"))
        assert (c.name, c.src, c.dst, c.is_output) == (name, src, dst, layer_of[dst] == out_layer)
        assert c.loss == pytest.approx(ev.loss, rel=1e-14)
        assert c.n == n
        for arr in (c.out_src, c.dE_dout, c.dout_dnet, c.delta, c.terms):
            assert arr.shape == (n,)
        np.testing.assert_array_equal(c.out_src, np.ones(n) if src is None else ev.out[src])
        np.testing.assert_allclose(c.delta, c.dE_dout * c.dout_dnet, rtol=1e-12, atol=1e-16)
        np.testing.assert_allclose(c.terms, c.delta * c.out_src, rtol=0, atol=0)
        assert math.fsum(c.terms) / n == pytest.approx(c.gradient, rel=1e-12, abs=1e-16)
        want = fd(net, x, t, name)
        assert c.gradient == pytest.approx(want, rel=1e-6, abs=1e-9), name
        assert c.numeric == pytest.approx(want, rel=1e-6, abs=1e-9), name
        if c.is_output:
            assert c.downstream == ()
            continue
        hidden_seen += 1
        assert [d.neuron for d in c.downstream] == [b for (a, b) in net.edges if a == dst]
        total = np.zeros(n)
        for d in c.downstream:
            assert d.weight == net.edges[(dst, d.neuron)]
            assert float(d.delta.mean()) == pytest.approx(fd_bias[d.neuron], rel=1e-6, abs=1e-9)
            total += d.weight * d.delta
        np.testing.assert_allclose(c.dE_dout, total, rtol=1e-12, atol=1e-16)
    assert hidden_seen > 10


@pytest.mark.parametrize("loss", LOSSES)
def test_chain_rule_rows_are_each_samples_own_derivatives(loss):
    """Row n of the all-samples chain rule against finite differences of that sample's own loss Eₙ (E of the
    one row, no 1/N): δⱼ⁽ⁿ⁾ = ∂Eₙ/∂bⱼ, δⱼ⁽ⁿ⁾·outᵢ⁽ⁿ⁾ = ∂Eₙ/∂w, each downstream δₖ⁽ⁿ⁾ = ∂Eₙ/∂bₖ; the column's mean
    is ∂E/∂p and the FD of E. For an output weight, a hidden weight, an output bias and a hidden bias."""
    net, x, t, _ = random_case(11, loss)
    n = len(x)
    for name in ("b1->y2", "x2->a3", "a1->b2", "y1.bias", "a2.bias"):
        c = chain_rule(net, x, t, name)
        for r in range(n):
            row = (x[r : r + 1], t[r : r + 1])
            assert c.terms[r] == pytest.approx(fd(net, *row, name), rel=1e-6, abs=1e-9), (name, r)
            assert c.delta[r] == pytest.approx(fd(net, *row, f"{c.dst}.bias"), rel=1e-6, abs=1e-9), (name, r)
            for d in c.downstream:
                assert d.delta[r] == pytest.approx(fd(net, *row, f"{d.neuron}.bias"), rel=1e-6, abs=1e-9)
        assert math.fsum(c.terms) / n == pytest.approx(fd(net, x, t, name), rel=1e-6, abs=1e-9), name
        assert math.fsum(c.terms) / n == pytest.approx(c.gradient, rel=1e-12, abs=1e-16), name
        assert c.loss == pytest.approx(math.fsum(loss_at(net, x[r : r + 1], t[r : r + 1]) for r in range(n)) / n,
                                       rel=1e-12)


@pytest.mark.parametrize("loss", LOSSES)
def test_chain_rule_single_sample_against_batch(loss):
    """Every loss averages over the N samples: the batch's ∂E/∂p is the mean of the per-sample ones (also as the
    engine computes them), and the batch's δ and ∂E/∂out of sample n are the single sample's: the same numbers
    (the issue's mismatch: the all-samples δ were the single sample's divided by N)."""
    net, x, t, _ = random_case(7, loss)
    n = len(x)
    engine = Engine(net)
    _, batch_grads = engine.gradient(x, t)
    single_grads = [engine.gradient(x[i : i + 1], t[i : i + 1])[1] for i in range(n)]
    for name in net.parameter_names():
        batch = chain_rule(net, x, t, name)
        singles = [chain_rule(net, x[i : i + 1], t[i : i + 1], name) for i in range(n)]
        assert batch.gradient == pytest.approx(batch_grads[name], rel=1e-12, abs=1e-16)
        mean = math.fsum(s.gradient for s in singles) / n
        assert mean == pytest.approx(math.fsum(g[name] for g in single_grads) / n, rel=1e-12, abs=1e-16)
        assert batch.gradient == pytest.approx(mean, rel=1e-10, abs=1e-15), name
        assert batch.loss == pytest.approx(math.fsum(s.loss for s in singles) / n, rel=1e-12)
        # the mean of the all-samples δ column is the mean of the single samples' δ (it was 1/N of it)
        assert batch.delta.mean() == pytest.approx(np.mean([s.delta[0] for s in singles]), rel=1e-12, abs=1e-16)
        for i, s in enumerate(singles):
            assert (s.n, s.delta.shape) == (1, (1,))
            assert batch.delta[i] == pytest.approx(s.delta[0], rel=1e-12, abs=1e-16)
            assert batch.terms[i] == pytest.approx(s.gradient, rel=1e-12, abs=1e-16)
            assert batch.dE_dout[i] == pytest.approx(s.dE_dout[0], rel=1e-12, abs=1e-16)
            assert batch.dout_dnet[i] == pytest.approx(s.dout_dnet[0], rel=1e-12)
            assert batch.out_src[i] == pytest.approx(s.out_src[0], rel=1e-12)
            for bd, sd in zip(batch.downstream, s.downstream, strict=True):
                assert bd.delta[i] == pytest.approx(sd.delta[0], rel=1e-12, abs=1e-16)


def test_chain_rule_leaves_the_network_and_rejects_unknown_names():
    net, x, t, _ = random_case(3, "half_sse")
    before = net.copy()
    chain_rule(net, x, t, "a1->b1")
    assert net == before
    for bad in ("a1->zz", "x1.bias", "nonsense"):
        with pytest.raises(NetworkError):
            chain_rule(net, x, t, bad)


# ---------------------------------------------------------------------------------------------- directions
def test_directional_derivatives_are_finite_differences_in_a_plane():
    """D_u E against (E(p + h u) − E(p − h u)) / 2h along u = (cos θ, sin θ) in the plane of two parameters,
    and the smallest D_u E on a fine circle of directions is at steepest_descent_angle, where it is −|∇E|."""
    net, x, t, _ = random_case(11, "half_sse")
    px, py = "a1->b2", "y1.bias"
    gx, gy = fd(net, x, t, px), fd(net, x, t, py)
    x0, y0 = net.get_parameter(px), net.get_parameter(py)
    angles = np.linspace(-math.pi, math.pi, 13)
    d = directional_derivatives(gx, gy, angles)
    assert d.shape == angles.shape
    scale = math.hypot(gx, gy)
    for theta, got in zip(angles, d):
        c, s = math.cos(theta), math.sin(theta)
        want = (loss_at(net, x, t, {px: x0 + H * c, py: y0 + H * s})
                - loss_at(net, x, t, {px: x0 - H * c, py: y0 - H * s})) / (2 * H)
        assert got == pytest.approx(want, abs=1e-6 * scale)
    fine = np.linspace(-math.pi, math.pi, 3601)
    best = fine[np.argmin(directional_derivatives(gx, gy, fine))]
    theta = steepest_descent_angle(gx, gy)
    assert abs(math.remainder(theta - best, 2 * math.pi)) <= fine[1] - fine[0]
    assert directional_derivatives(gx, gy, np.array([theta]))[0] == pytest.approx(-scale, rel=1e-12)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)


@settings(max_examples=200, deadline=None)
@given(gx=finite, gy=finite)
def test_steepest_descent_angle_minimises_the_directional_derivative(gx, gy):
    theta = steepest_descent_angle(gx, gy)
    assert -math.pi < theta <= math.pi
    d0 = directional_derivatives(gx, gy, np.array([0.0, math.pi / 2]))
    assert d0[0] == gx and d0[1] == pytest.approx(gy, abs=1e-15 * abs(gx))
    norm = math.hypot(gx, gy)
    if norm == 0:
        assert theta == 0.0
        return
    assert (math.cos(theta), math.sin(theta)) == pytest.approx((-gx / norm, -gy / norm), abs=1e-12)
    at_theta = float(directional_derivatives(gx, gy, np.array([theta]))[0])
    assert at_theta == pytest.approx(-norm, rel=1e-12)
    circle = directional_derivatives(gx, gy, np.linspace(-math.pi, math.pi, 721))
    assert at_theta <= circle.min() + 1e-12 * norm


@pytest.mark.parametrize("gx, gy, angle", [
    (1.0, 0.0, math.pi), (1.0, -0.0, math.pi),  # −∇E along −x: π, never −π
    (-1.0, 0.0, 0.0), (0.0, 1.0, -math.pi / 2), (0.0, -1.0, math.pi / 2), (-1.0, -1.0, math.pi / 4),
    (1.0, 1.0, -3 * math.pi / 4), (0.0, 0.0, 0.0), (-0.0, -0.0, 0.0),
    (1.0, 1e-300, math.pi),  # atan2(−1e-300, −1) rounds to −π: the same direction, reported as π
])
def test_steepest_descent_angle_hand_values(gx, gy, angle):
    assert steepest_descent_angle(gx, gy) == pytest.approx(angle, abs=1e-15)


# ---------------------------------------------------------------------------------------------- predict_step
def test_predict_step_is_first_order():
    """Along a fixed direction, |actual/predicted − 1| falls with the step and |actual − predicted| / s² tends to
    a constant (the error is second order); each value against an E and a ∂E/∂p computed here."""
    net, x, t, _ = random_case(5, "half_sse")
    direction = {"x1->a2": 0.6, "b1.bias": -0.8, "b2->y2": 0.5}
    e0 = Engine(net).loss_value(x, t)
    slope = sum(fd(net, x, t, k) * v for k, v in direction.items())
    ratios, curvatures = [], []
    for s in (1e-1, 1e-2, 1e-3):
        step = {k: s * v for k, v in direction.items()}
        sp = predict_step(net, x, t, step)
        assert sp.delta == step
        assert sp.loss_before == pytest.approx(e0, rel=1e-14)
        assert sp.predicted == pytest.approx(s * slope, rel=1e-6)
        moved = {k: net.get_parameter(k) + v for k, v in step.items()}
        assert sp.actual == pytest.approx(loss_at(net, x, t, moved) - e0, rel=1e-9, abs=1e-15)
        ratios.append(abs(sp.actual / sp.predicted - 1))
        curvatures.append(abs(sp.actual - sp.predicted) / s**2)
    assert ratios[0] > 5 * ratios[1] > 25 * ratios[2]
    assert ratios[2] < 1e-2
    assert curvatures[2] == pytest.approx(curvatures[1], rel=0.05)


def test_predict_step_exact_where_e_is_linear_in_p():
    """A sigmoid output under bce at net ≈ −800: E = (1/N) Σ softplus(z) − t·z and softplus(z) = e^z underflows to
    0, so E = −(1/N) Σ t (w x + b) is linear in (w, b) and the first-order prediction is the whole change."""
    net = one_weight_net("bce", "sigmoid", 1.0, -800.0)
    x, t = np.array([[1.0], [2.0], [3.0]]), np.array([[0.25], [1.0], [0.0]])
    dw, db = -2.0, 5.0
    sp = predict_step(net, x, t, {"x->y": dw, "y.bias": db})
    want = -float(np.mean(t[:, 0] * (dw * x[:, 0] + db)))  # = −1.75 / 3
    assert sp.predicted == pytest.approx(want, rel=1e-12)
    assert sp.actual == pytest.approx(want, rel=1e-12)
    assert sp.loss_before == pytest.approx(-float(np.mean(t[:, 0] * (x[:, 0] - 800.0))), rel=1e-14)


def test_predict_step_error_is_the_exact_second_order_term_for_a_linear_network():
    """y = w x + b under half_sse: E(p + Δp) − E(p) − ∇E·Δp = (1/2N) Σₙ (Δw xₙ + Δb)² exactly."""
    net = one_weight_net("half_sse", "linear", 0.7, -0.2)
    x, t = np.array([[1.0], [-2.0], [0.5], [3.0]]), np.array([[0.3], [1.0], [-1.0], [2.0]])
    y = 0.7 * x[:, 0] - 0.2
    for dw, db in ((0.5, -1.0), (-3.0, 2.0), (1e-3, 0.0)):
        sp = predict_step(net, x, t, {"x->y": dw, "y.bias": db})
        r = y - t[:, 0]
        assert sp.predicted == pytest.approx(float(np.mean(r * (dw * x[:, 0] + db))), rel=1e-12)
        assert sp.actual - sp.predicted == pytest.approx(0.5 * float(np.mean((dw * x[:, 0] + db) ** 2)),
                                                         rel=1e-9, abs=1e-15)


def test_predict_step_leaves_the_network_alone():
    net, x, t, _ = random_case(2, "mse")
    before = net.copy()
    sp = predict_step(net, x, t, {"a1->b1": 0.3})
    assert net == before
    assert sp.actual != 0.0
    empty = predict_step(net, x, t, {})
    assert (empty.predicted, empty.actual, empty.delta) == (0.0, 0.0, {})
    with pytest.raises(NetworkError):
        predict_step(net, x, t, {"x1.bias": 1.0})


# ---------------------------------------------------------------------------------------------- slice_1d
def test_slice_1d_is_e_along_one_parameter():
    net, x, t = mazur()
    before = net.copy()
    values = np.linspace(-3.0, 3.0, 401)
    e = slice_1d(net, x, t, "h1->o1", values)
    assert e.shape == values.shape
    assert net == before
    for i in (0, 57, 200, 400):
        assert e[i] == pytest.approx(loss_at(net, x, t, {"h1->o1": float(values[i])}), rel=1e-14)
    assert slice_1d(net, x, t, "h1->o1", np.array([0.4]))[0] == pytest.approx(0.298371109, abs=5e-10)


@pytest.mark.parametrize("name", ["x1->a1", "a2->b1", "b2->y1", "b2.bias"])
def test_slice_1d_slope_at_the_center_is_the_gradient(name):
    """The central difference of the slice at p ± h (its tangent's slope) is the engine's ∂E/∂p."""
    net, x, t, _ = random_case(4, "bce")
    p = net.get_parameter(name)
    e = slice_1d(net, x, t, name, p + np.array([-H, 0.0, H]))
    loss, grads = Engine(net).gradient(x, t)
    assert e[1] == pytest.approx(loss, rel=1e-14)
    assert (e[2] - e[0]) / (2 * H) == pytest.approx(grads[name], rel=1e-6, abs=1e-9)


# ---------------------------------------------------------------------------------------------- optimizer_race
def race_case():
    """A 2-3-1 tanh network with a linear output on 8 table rows; settings the race must partly ignore."""
    rng = np.random.default_rng(21)
    net = Network("half_sse")
    for n in (Neuron("x1", 0), Neuron("x2", 0), Neuron("h1", 1, "tanh", 0.1), Neuron("h2", 1, "tanh", -0.2),
              Neuron("h3", 1, "tanh", 0.3), Neuron("y", 2, "linear", 0.0)):
        net._add_neuron_unchecked(n)
    for a in ("x1", "x2"):
        for h in ("h1", "h2", "h3"):
            net.add_edge(a, h, float(rng.normal(0, 1)))
    for h in ("h1", "h2", "h3"):
        net.add_edge(h, "y", float(rng.normal(0, 1)))
    x = rng.uniform(-1, 1, size=(8, 2))
    t = np.sin(2 * x[:, :1]) * x[:, 1:]
    config = TrainingConfig(optimizer="adam", learning_rate=123.0, hyperparameters={"momentum": 0.5, "beta1": 0.2})
    return net, TableData(x, t), config


def hand_rolled(net, x, t, names, lr, steps, momentum=0.0):
    """p ← p − η v with v ← μ v + g (plain gradient descent for μ = 0), g from Engine.gradient over all of (x, t)."""
    engine = Engine(net.copy())
    v = dict.fromkeys(engine.parameter_names, 0.0)
    rows = []
    for i in range(steps + 1):
        rows.append((engine.get(names[0]), engine.get(names[1]), engine.loss_value(x, t)))
        if i < steps:
            _, g = engine.gradient(x, t)
            for k, gk in g.items():
                v[k] = momentum * v[k] + gk
                engine.set(k, engine.get(k) - lr * v[k])
    return np.array(rows)


def test_optimizer_race_follows_hand_rolled_descent():
    net, data, config = race_case()
    net_before, config_before = net.copy(), config.copy()
    names = ("x1->h2", "h3.bias")
    steps = 6
    race = optimizer_race(net, data, config, {"sgd": 0.05, "momentum": 0.02, "adam": 0.01}, steps, names)
    assert list(race) == ["sgd", "momentum", "adam"]
    assert net == net_before and config == config_before
    start = (net.get_parameter(names[0]), net.get_parameter(names[1]), Engine(net).loss_value(data.inputs,
                                                                                               data.targets))
    for path in race.values():
        assert path.shape == (steps + 1, 3)
        np.testing.assert_array_equal(path[0], start)
    np.testing.assert_allclose(race["sgd"], hand_rolled(net, data.inputs, data.targets, names, 0.05, steps),
                               rtol=1e-12)
    # the document's momentum of 0.5 is not used: the race runs every optimizer with its defaults (μ = 0.9)
    np.testing.assert_allclose(race["momentum"], hand_rolled(net, data.inputs, data.targets, names, 0.02, steps,
                                                             momentum=0.9), rtol=1e-12)
    assert race["adam"][-1, 2] < race["adam"][0, 2]


def test_optimizer_race_ends_a_diverging_run_before_its_first_non_finite_row():
    """y = w x + b under half_sse with η = 100: each step multiplies the error by hundreds, so E overflows."""
    net = one_weight_net("half_sse", "linear", 0.5, 0.0)
    x, t = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.0], [3.0]])
    names = ("x->y", "y.bias")
    steps = 500
    race = optimizer_race(net, TableData(x, t), TrainingConfig(), {"sgd": 100.0, "adam": 0.01}, steps, names)
    sgd = race["sgd"]
    assert 10 < len(sgd) < steps + 1
    assert np.isfinite(sgd).all()
    assert sgd[-1, 2] > 1e100 and np.all(np.diff(sgd[:, 2]) > 0)
    assert race["adam"].shape == (steps + 1, 3)
    np.testing.assert_array_equal(race["adam"][0], sgd[0])
    with np.errstate(over="ignore", invalid="ignore"):
        ref = hand_rolled(net, x, t, names, 100.0, len(sgd))
    assert np.isfinite(ref[: len(sgd)]).all() and not np.isfinite(ref[len(sgd)]).all()
    np.testing.assert_allclose(sgd[:5], ref[:5], rtol=1e-12)


def test_optimizer_race_is_deterministic_with_minibatches():
    net = Network("bce")
    for n in (Neuron("x1", 0), Neuron("x2", 0), Neuron("h", 1, "tanh", 0.1), Neuron("y", 2, "sigmoid", 0.0)):
        net._add_neuron_unchecked(n)
    for a, b, w in (("x1", "h", 0.8), ("x2", "h", -0.6), ("h", "y", 1.2), ("x1", "y", 0.3)):
        net.add_edge(a, b, w)
    data = GeneratorData("xor", n=40, seed=3)
    opts = {"sgd": 0.5, "rmsprop": 0.01, "nesterov": 0.1}
    first = optimizer_race(net, data, TrainingConfig(batch_size=7, seed=5), opts, 12, ("x1->h", "h->y"))
    again = optimizer_race(net, data, TrainingConfig(batch_size=7, seed=5), opts, 12, ("x1->h", "h->y"))
    other = optimizer_race(net, data, TrainingConfig(batch_size=7, seed=6), opts, 12, ("x1->h", "h->y"))
    ds = make_dataset(data, net)
    start_loss = Engine(net).loss_value(ds.x_train, ds.t_train)  # E over the whole set, not the first minibatch's
    for k in opts:
        assert first[k].shape == (13, 3)
        assert first[k][0, 2] == pytest.approx(start_loss, rel=1e-14)
        np.testing.assert_array_equal(first[k], again[k])
        np.testing.assert_array_equal(first[k][0], other[k][0])
        assert not np.array_equal(first[k], other[k])


def test_optimizer_race_rejects_bad_requests():
    net, data, config = race_case()
    with pytest.raises(ValueError):
        optimizer_race(net, data, config, {"newton": 0.1}, 3, ("x1->h1", "h1.bias"))
    with pytest.raises(ValueError):
        optimizer_race(net, data, config, {"sgd": 0.1}, -1, ("x1->h1", "h1.bias"))
    with pytest.raises(NetworkError):
        optimizer_race(net, data, config, {"sgd": 0.1}, 3, ("x1->y", "h1.bias"))
    assert optimizer_race(net, data, config, {"sgd": 0.1}, 0, ("x1->h1", "h1.bias"))["sgd"].shape == (1, 3)
