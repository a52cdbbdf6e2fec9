"""The engine against an independent reference: a plain per-neuron forward pass written in this file (loops over
the Network's neurons and edges, activation and loss formulas written out), central finite differences of that
reference's loss, and hand-worked values (Matt Mazur's 'A Step by Step Backpropagation Example')."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from random_networks import ACTS, random_data, random_network

from bpgui.core import Engine, Network, Neuron, Trainer, TrainingConfig, load_document, numeric_gradient, table

LOSSES = ("half_sse", "mse", "bce", "cross_entropy")
KINKED = ("relu", "leaky_relu")
KINK_MARGIN = 0.05  # samples whose relu/leaky net input is closer than this to 0 are dropped (FD steps are 1e-3)


# ---------------------------------------------------------------------------------------------- the reference
def f_ref(name: str, x: np.ndarray) -> np.ndarray:
    if name == "linear":
        return x.copy()
    if name == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.where(x > 0, x, 0.0)
    if name == "leaky_relu":
        return np.where(x > 0, x, 0.01 * x)
    if name == "softplus":
        return softplus_ref(x)
    if name == "gaussian":
        return np.exp(-x * x)
    raise AssertionError(name)


def fprime_ref(name: str, x: np.ndarray) -> np.ndarray:
    if name == "linear":
        return np.ones_like(x)
    if name == "sigmoid":
        s = f_ref("sigmoid", x)
        return s * (1.0 - s)
    if name == "tanh":
        return 1.0 - np.tanh(x) ** 2
    if name == "relu":
        return (x > 0).astype(float)
    if name == "leaky_relu":
        return np.where(x > 0, 1.0, 0.01)
    if name == "softplus":
        return f_ref("sigmoid", x)
    if name == "gaussian":
        return -2.0 * x * np.exp(-x * x)
    raise AssertionError(name)


def softplus_ref(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


class Reference:
    """A straightforward forward pass over a Network, vectorised over the samples only."""

    def __init__(self, net: Network):
        self.loss = net.loss
        self.input_ids = [n.id for n in net.neurons.values() if n.layer == 0]
        top = max(n.layer for n in net.neurons.values())
        self.output_ids = [n.id for n in net.neurons.values() if n.layer == top]
        self.order = sorted((n for n in net.neurons.values() if n.layer > 0), key=lambda n: n.layer)
        self.incoming = {n.id: [a for (a, b) in net.edges if b == n.id] for n in self.order}
        self.params = {f"{a}->{b}": w for (a, b), w in net.edges.items()}
        self.params.update({f"{n.id}.bias": n.bias for n in self.order})

    def run(self, x, t, params=None, perturb=None):
        """Per-sample loss contributions (summing to E), net inputs and outputs of every neuron.
        ``perturb = ("net" | "out", neuron id, h)`` adds h to that neuron's net input or output."""
        p = self.params if params is None else params
        x = np.asarray(x, dtype=float)
        t = np.asarray(t, dtype=float)
        n_samples = len(x)
        nets, outs = {}, {}
        for i, nid in enumerate(self.input_ids):
            outs[nid] = x[:, i].copy()
        for n in self.order:
            s = np.full(n_samples, p[f"{n.id}.bias"])
            for a in self.incoming[n.id]:
                s = s + p[f"{a}->{n.id}"] * outs[a]
            if perturb is not None and perturb[0] == "net" and perturb[1] == n.id:
                s = s + perturb[2]
            nets[n.id] = s
            o = f_ref(n.activation, s)
            if perturb is not None and perturb[0] == "out" and perturb[1] == n.id:
                o = o + perturb[2]
            outs[n.id] = o
        y = np.column_stack([outs[o] for o in self.output_ids])
        z = np.column_stack([nets[o] for o in self.output_ids])
        k = y.shape[1]
        if self.loss == "half_sse":
            e = 0.5 * ((t - y) ** 2).sum(axis=1) / n_samples
        elif self.loss == "mse":
            e = ((t - y) ** 2).sum(axis=1) / (n_samples * k)
        elif self.loss == "bce":
            cols = []
            for j, o in enumerate(self.output_ids):
                tj = t[:, j]
                if perturb is not None and perturb[0] == "out" and perturb[1] == o:
                    cols.append(-(tj * np.log(y[:, j]) + (1 - tj) * np.log(1 - y[:, j])))
                else:  # -log σ(z) = softplus(-z), -log(1 - σ(z)) = softplus(z)
                    cols.append(tj * softplus_ref(-z[:, j]) + (1 - tj) * softplus_ref(z[:, j]))
            e = np.sum(cols, axis=0) / n_samples
        elif self.loss == "cross_entropy":
            e = np.zeros(n_samples)
            for i in range(n_samples):
                m = max(y[i])
                lse = m + math.log(sum(math.exp(v - m) for v in y[i]))
                e[i] = -sum(t[i, j] * (y[i, j] - lse) for j in range(k)) / n_samples
        else:
            raise AssertionError(self.loss)
        return e, nets, outs

    def loss_value(self, x, t, params=None, perturb=None) -> float:
        return float(self.run(x, t, params, perturb)[0].sum())

    def outputs(self, x):
        _, _, outs = self.run(x, np.zeros((len(x), len(self.output_ids))))
        y = np.column_stack([outs[o] for o in self.output_ids])
        if self.loss == "cross_entropy":
            y = np.exp(y - y.max(axis=1, keepdims=True))
            y /= y.sum(axis=1, keepdims=True)
        return y


H = 1e-3


def richardson(f, h=H):
    """Central difference with one Richardson step: error O(h⁴)."""
    d1 = (f(h) - f(-h)) / (2 * h)
    d2 = (f(h / 2) - f(-h / 2)) / h
    return (4 * d2 - d1) / 3


def fd_gradient(ref: Reference, x, t) -> dict[str, float]:
    grads = {}
    for name, p0 in ref.params.items():
        def f(h, name=name, p0=p0):
            return ref.loss_value(x, t, {**ref.params, name: p0 + h})
        grads[name] = richardson(f)
    return grads


def fd_per_sample(ref: Reference, x, t, kind: str, nid: str, scale=1.0) -> np.ndarray:
    """∂(per-sample loss contribution)/∂(net or out of nid), per sample: samples are independent, so one
    perturbation of every sample at once gives all of them. ``scale`` (per sample) shrinks the step."""
    return richardson(lambda h: ref.run(x, t, perturb=(kind, nid, h * scale))[0]) / scale


def close(a, b, rel=1e-6, abs_=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b)) + abs_))


def assert_close(a, b, what, rel=1e-6, abs_=1e-9):
    assert close(a, b, rel, abs_), f"{what}: {a} != {b}"


# ---------------------------------------------------------------------------------------------- random networks
def away_from_kinks(ref: Reference, net: Network, x, t):
    """Keep the samples at which every relu/leaky_relu neuron is clearly on one side of its kink."""
    _, nets, _ = ref.run(x, t)
    keep = np.ones(len(x), dtype=bool)
    for n in net.neurons.values():
        if n.activation in KINKED:
            keep &= np.abs(nets[n.id]) > KINK_MARGIN
    return x[keep], t[keep]


def make_case(seed: int, loss: str, act: str):
    rng = np.random.default_rng(seed)
    net = random_network(rng, loss, act)
    ref = Reference(net)
    x, t = away_from_kinks(ref, net, *random_data(rng, net))
    if len(x) == 0:
        assume(False)
    return net, ref, x, t


# ---------------------------------------------------------------------------------------------- tests
def test_random_networks_have_what_the_tests_claim():
    """The generator really makes skip edges, empty hidden layers and outputs out of activation-group order."""
    skip = empty = unordered = 0
    for seed in range(60):
        net = random_network(np.random.default_rng(seed), "half_sse", "tanh")
        skip += any(net.neurons[b].layer - net.neurons[a].layer > 1 for a, b in net.edges)
        empty += any(not net.layer(i) for i in range(1, net.output_layer))
        acts = [n.activation for n in net.outputs]
        grouped = sorted(acts, key=lambda a: acts.index(a))
        unordered += acts != grouped
    assert skip > 30 and empty > 5 and unordered > 5


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_loss_and_gradient_match_reference(act, loss, seed):
    net, ref, x, t = make_case(seed, loss, act)
    engine = Engine(net)
    e_ref = ref.loss_value(x, t)
    e, grads = engine.gradient(x, t)
    assert_close(e, e_ref, "loss", rel=1e-12, abs_=1e-300)
    assert_close(engine.loss_value(x, t), e_ref, "loss_value", rel=1e-12, abs_=1e-300)
    fd = fd_gradient(ref, x, t)
    assert set(grads) == set(fd)
    for name in fd:
        assert_close(grads[name], fd[name], f"∂E/∂{name} ({net})")
    np.testing.assert_allclose(engine.predict(x), ref.outputs(x), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", LOSSES)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), act=st.sampled_from(ACTS))
@example(seed=732788284, act="linear")
def test_evaluation_deltas_and_chain_factors(loss, seed, act):
    net, ref, x, t = make_case(seed, loss, act)
    if loss == "bce":
        # ∂E/∂y = (y − t)/(y(1 − y)N) of a saturated sigmoid is ill-conditioned (and 0/0 or x/0 at y = 0 or 1):
        # check it where min(y, 1 − y) > 1e-6; test_bce_finite_and_right_at_saturated_sigmoids covers the rest
        y = ref.run(x, t)[2]
        keep = np.all([np.minimum(y[o], 1 - y[o]) > 1e-6 for o in ref.output_ids], axis=0)
        x, t = x[keep], t[keep]
        if len(x) == 0:
            assume(False)
    ev = Engine(net).evaluate(x, t)
    e_ref, nets_ref, outs_ref = ref.run(x, t)
    n_samples = len(x)
    assert_close(ev.loss, e_ref.sum(), "loss", rel=1e-12, abs_=1e-300)
    # each sample's own loss Eₙ (its contribution to the mean E is Eₙ/N), and its own δ and ∂Eₙ/∂out (N times the
    # derivatives of its contribution)
    assert_close(ev.sample_loss, e_ref * n_samples, "Eₙ", rel=1e-12, abs_=1e-300)
    np.testing.assert_allclose(ev.outputs, ref.outputs(x), rtol=1e-12, atol=1e-14)
    for n in net.neurons.values():
        np.testing.assert_allclose(ev.out[n.id], outs_ref[n.id], rtol=1e-12, atol=1e-14)
        if n.layer == 0:
            continue
        np.testing.assert_allclose(ev.net[n.id], nets_ref[n.id], rtol=1e-12, atol=1e-14)
        assert_close(ev.delta[n.id], n_samples * fd_per_sample(ref, x, t, "net", n.id), f"δ of {n.id}")
        # a sigmoid output under bce: log y and log(1 − y) need steps small beside y and 1 − y
        # (the shrunken step costs accuracy: the sample's whole loss is differenced over steps down to 1e-9, so
        # rounding leaves a few parts in a million: seed 732788284 with linear hidden neurons found 1.7e-6)
        saturating = loss == "bce" and n in net.outputs
        scale = np.minimum(outs_ref[n.id], 1 - outs_ref[n.id]) if saturating else 1.0
        assert_close(ev.dE_dout[n.id], n_samples * fd_per_sample(ref, x, t, "out", n.id, scale),
                     f"∂E/∂out of {n.id}", rel=2e-5 if saturating else 1e-6)
        assert_close(ev.dout_dnet[n.id], fprime_ref(n.activation, nets_ref[n.id]), f"f'(net) of {n.id}",
                     rel=1e-12, abs_=1e-15)
    fd = fd_gradient(ref, x, t)
    for name in ref.params:
        factors = ev.chain(name)
        assert len(factors) == 3
        product = factors[0] * factors[1] * factors[2]
        assert product.shape == (n_samples,)
        assert_close(product.mean(), ev.gradients[name], f"chain of {name}", rel=1e-12, abs_=1e-15)
        assert_close(product.mean(), fd[name], f"chain of {name} vs FD")


def test_chain_factor_of_a_dead_relu_output_is_finite():
    """∂Eₙ/∂out of a relu output at net < 0 is y − t = −t: well defined even though f'(net) = 0."""
    net = Network("half_sse")
    for n in (Neuron("x", 0), Neuron("y", 1, "relu", -1.0)):
        net._add_neuron_unchecked(n)
    net.add_edge("x", "y", 1.0)
    ev = Engine(net).evaluate(np.array([[0.5], [2.0]]), np.array([[3.0], [1.0]]))
    # sample 1: net = -0.5, y = 0, ∂E₁/∂y = 0 - 3; sample 2: net = 1, y = 1, ∂E₂/∂y = 1 - 1 = 0
    np.testing.assert_array_equal(ev.dE_dout["y"], [-3.0, 0.0])
    np.testing.assert_array_equal(ev.dout_dnet["y"], [0.0, 1.0])
    np.testing.assert_array_equal(ev.delta["y"], [0.0, 0.0])


def test_outputs_in_document_order_that_differs_from_activation_groups():
    """Outputs a(tanh), b(linear), c(linear), d(tanh): the engine groups them a, d, b, c; targets and gradients
    must still belong to the right neuron. All weights and biases are 0, so every net input is 0."""
    net = Network("half_sse")
    net._add_neuron_unchecked(Neuron("x", 0))
    for nid, act in zip("abcd", ("tanh", "linear", "linear", "tanh")):
        net._add_neuron_unchecked(Neuron(nid, 1, act, 0.0))
        net.add_edge("x", nid, 0.0)
    engine = Engine(net)
    x, t = np.array([[1.0]]), np.array([[1.0, 2.0, 3.0, 4.0]])
    e, grads = engine.gradient(x, t)
    # y = 0 everywhere, f'(0) = 1 for tanh and linear: ∂E/∂bias_k = y_k - t_k = -t_k; E = ½ Σ t² = 15
    assert e == pytest.approx(15.0, rel=1e-15)
    assert [grads[f"{k}.bias"] for k in "abcd"] == [-1.0, -2.0, -3.0, -4.0]
    assert [grads[f"x->{k}"] for k in "abcd"] == [-1.0, -2.0, -3.0, -4.0]
    ev = engine.evaluate(x, t)
    assert [float(ev.delta[k][0]) for k in "abcd"] == [-1.0, -2.0, -3.0, -4.0]
    # and a trainer built on it takes the step with the right targets
    tr = Trainer(net, table(x, t), TrainingConfig(optimizer="sgd", learning_rate=0.5))
    assert tr.step() == pytest.approx(15.0, rel=1e-15)
    tr.write_back()
    assert [net.neurons[k].bias for k in "abcd"] == [0.5, 1.0, 1.5, 2.0]


# ---------------------------------------------------------------------------------------------- bce at saturation
@pytest.mark.parametrize(
    "z, t, loss, grad",
    [
        # E = softplus(z) - t z; ∂E/∂z = σ(z) - t
        (40.0, 1.0, math.log1p(math.exp(-40.0)), 1.0 / (1.0 + math.exp(40.0)) - 0.0),
        (40.0, 0.0, 40.0 + math.log1p(math.exp(-40.0)), 1.0 - 1.0 / (1.0 + math.exp(40.0))),
        (-40.0, 0.0, math.log1p(math.exp(-40.0)), 1.0 / (1.0 + math.exp(40.0))),
        (-40.0, 1.0, 40.0 + math.log1p(math.exp(-40.0)), -1.0 + 1.0 / (1.0 + math.exp(40.0))),
        (800.0, 1.0, 0.0, 0.0),
        (800.0, 0.0, 800.0, 1.0),
        (-800.0, 0.0, 0.0, 0.0),
        (-800.0, 1.0, 800.0, -1.0),
        (800.0, 0.25, 600.0, 0.75),
    ],
)
def test_bce_finite_and_right_at_saturated_sigmoids(z, t, loss, grad):
    net = Network("bce")
    for n in (Neuron("x", 0), Neuron("y", 1, "sigmoid", z - 2.0)):
        net._add_neuron_unchecked(n)
    net.add_edge("x", "y", 1.0)
    engine = Engine(net)
    x, tt = np.array([[2.0]]), np.array([[t]])  # net input = bias + 1·2 = z
    e, grads = engine.gradient(x, tt)
    assert math.isfinite(e) and all(math.isfinite(g) for g in grads.values())
    # (at z = 40 the exact loss and gradient are 4e-18 away from 0 or 1: an absolute error of 1e-15 is fine)
    assert e == pytest.approx(loss, rel=1e-12, abs=1e-15)
    assert grads["y.bias"] == pytest.approx(grad, rel=1e-12, abs=1e-15)
    assert grads["x->y"] == pytest.approx(2.0 * grad, rel=1e-12, abs=1e-15)
    # a finite-difference check where the loss is not flat
    ref = Reference(net)
    assert_close(grads["y.bias"], fd_gradient(ref, x, tt)["y.bias"], "FD at saturation")


# ---------------------------------------------------------------------------------------------- cross-entropy
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_cross_entropy_outputs_are_softmax_probabilities(seed):
    rng = np.random.default_rng(seed)
    net = random_network(rng, "cross_entropy", str(rng.choice(ACTS)))
    x, t = random_data(rng, net)
    x = x * 30.0  # large net inputs too: the softmax must not overflow
    engine = Engine(net)
    for p in (engine.predict(x), engine.evaluate(x, t).outputs):
        assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    ev = engine.evaluate(x, t)
    for nid in (n.id for n in net.outputs):  # the linear outputs report their net input as their output
        np.testing.assert_array_equal(ev.out[nid], ev.net[nid])


def test_cross_entropy_hand_values():
    """Two linear outputs with net inputs 0 and ln 3: softmax = (1/4, 3/4)."""
    net = Network("cross_entropy")
    for n in (Neuron("x", 0), Neuron("a", 1, "linear", 0.0), Neuron("b", 1, "linear", math.log(3.0))):
        net._add_neuron_unchecked(n)
    net.add_edge("x", "a", 0.0)
    net.add_edge("x", "b", 0.0)
    engine = Engine(net)
    x, t = np.array([[1.0]]), np.array([[1.0, 0.0]])
    np.testing.assert_allclose(engine.predict(x), [[0.25, 0.75]], rtol=1e-15)
    e, g = engine.gradient(x, t)
    assert e == pytest.approx(math.log(4.0), rel=1e-15)  # −log ¼
    assert g["a.bias"] == pytest.approx(0.25 - 1.0, rel=1e-15)
    assert g["b.bias"] == pytest.approx(0.75, rel=1e-15)


# ---------------------------------------------------------------------------------------------- Mazur's example
EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"


def mazur_document():
    return load_document(EXAMPLES / "backprop_by_hand.json")


def test_mazur_hand_values():
    doc = mazur_document()
    ds = doc.dataset()
    engine = Engine(doc.network)
    e, g = engine.gradient(ds.x_train, ds.t_train)
    assert e == pytest.approx(0.298371109, abs=5e-10)
    assert g["h1->o1"] == pytest.approx(0.082167041, abs=5e-10)  # ∂E/∂w5
    assert g["i1->h1"] == pytest.approx(0.000438568, abs=5e-10)  # ∂E/∂w1
    # his intermediate values: out_o1 = 0.75136507, out_o2 = 0.772928465
    np.testing.assert_allclose(engine.predict(ds.x_train), [[0.75136507, 0.772928465]], atol=5e-9)
    ev = engine.evaluate(ds.x_train, ds.t_train)
    assert float(ev.out["h1"][0]) == pytest.approx(0.593269992, abs=5e-10)
    assert float(ev.net["h1"][0]) == pytest.approx(0.3775, abs=1e-15)
    # ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.74136507 · 0.186815602 · 0.593269992
    d_out, d_net, d_w = (float(f[0]) for f in ev.chain("h1->o1"))
    assert (d_out, d_net, d_w) == pytest.approx((0.74136507, 0.186815602, 0.593269992), abs=5e-9)


def test_mazur_one_sgd_step():
    doc = mazur_document()
    assert doc.training.learning_rate == 0.5 and doc.training.train_biases is False
    trainer = Trainer.from_document(doc)
    assert trainer.step() == pytest.approx(0.298371109, abs=5e-10)
    trainer.write_back()
    p = doc.network.parameters()
    expected = {
        "h1->o1": 0.35891648, "h2->o1": 0.408666186, "h1->o2": 0.511301270, "h2->o2": 0.561370121,  # w5..w8
        "i1->h1": 0.149780716, "i2->h1": 0.19956143, "i1->h2": 0.24975114, "i2->h2": 0.29950229,  # w1..w4
    }
    for name, value in expected.items():
        assert p[name] == pytest.approx(value, abs=5e-9), name
    assert p["h1.bias"] == p["h2.bias"] == 0.35 and p["o1.bias"] == p["o2.bias"] == 0.6


def test_numeric_gradient_helper_agrees_with_reference_fd():
    net, ref, x, t = make_case(7, "half_sse", "tanh")
    engine = Engine(net)
    fd = fd_gradient(ref, x, t)
    for name in ref.params:
        assert_close(numeric_gradient(engine, x, t, name), fd[name], name, rel=1e-5, abs_=1e-8)
    assert engine.parameter_values() == ref.params  # numeric_gradient restored every parameter
