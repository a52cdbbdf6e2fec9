"""The error surface E(p_a, p_b) (bpgui.core.surface) against the engine evaluated once per grid point: random
layered networks with skip edges, mixed activations in a layer, every loss, and every kind of parameter pair
(weights, biases, two in one layer, two of one neuron, one that reaches no output)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from random_networks import random_data

from bpgui.core import Engine, Network, NetworkError, Neuron, layered
from bpgui.core import surface as surface_module
from bpgui.core.surface import (
    DEFAULT_SPAN,
    Surface,
    SurfaceCancelled,
    loss_surface,
    naive_loss_surface,
    surface,
)

ACTS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "gaussian")
LOSSES = ("half_sse", "mse", "bce", "cross_entropy")
PAIRS = ("any", "bias", "same_layer", "same_neuron")
RTOL64 = 1e-9
#: computed in float32: |E32 − E64| ≤ F32_TOL · max(1, |E64|) for weights, data and grid values of order 1 to 10
#: (the worst of 1,500 random cases here was 1.2e-6)
F32_TOL = 2e-5


def close(a, b, rel: float) -> np.ndarray:
    """Elementwise: equal to a relative ``rel`` (and a tiny absolute 1e-300), or the same non-finite value."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        finite = np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b)) + 1e-300
    return finite | (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))


# ---------------------------------------------------------------------------------------------- random cases
def random_network(rng: np.random.Generator, loss: str) -> Network:
    """1-3 inputs, 1-3 hidden layers of 0-3 neurons (at least one), 1-3 outputs (2-3 for cross-entropy), every
    activation mixed within layers, edges between any lower and higher layer (skip edges) with probability 0.6,
    random weights and biases; neurons in a shuffled document order."""
    n_hidden = [int(rng.integers(0, 4)) for _ in range(int(rng.integers(1, 4)))]
    if not any(n_hidden):
        n_hidden[0] = 1
    out_layer = len(n_hidden) + 1
    need = {"bce": "sigmoid", "cross_entropy": "linear"}.get(loss)
    neurons = [Neuron(f"x{i}", 0) for i in range(int(rng.integers(1, 4)))]
    for li, size in enumerate(n_hidden, 1):
        neurons += [Neuron(f"h{li}_{i}", li, str(rng.choice(ACTS)), float(rng.normal(0, 0.5))) for i in range(size)]
    n_out = int(rng.integers(2 if loss == "cross_entropy" else 1, 4))
    neurons += [Neuron(f"o{i}", out_layer, need or str(rng.choice(ACTS)), float(rng.normal(0, 0.5)))
                for i in range(n_out)]
    rng.shuffle(neurons)
    net = Network(loss)
    for n in neurons:
        net._add_neuron_unchecked(n)
    for a in neurons:
        for b in neurons:
            if a.layer < b.layer and rng.random() < 0.6:
                net.add_edge(a.id, b.id, float(rng.normal(0, 1.0)))
    net.validate()
    return net


def destination(name: str) -> str:
    return name.split("->")[1] if "->" in name else name[: -len(".bias")]


def random_pair(rng: np.random.Generator, net: Network, kind: str) -> tuple[str, str]:
    names = net.parameter_names()
    if kind == "bias":
        biases = [p for p in names if p.endswith(".bias")]
        a = str(rng.choice(biases))
        return a, str(rng.choice([p for p in names if p != a]))
    if kind in ("same_layer", "same_neuron"):
        def key(p):
            return destination(p) if kind == "same_neuron" else net.neurons[destination(p)].layer

        groups: dict = {}
        for p in names:
            groups.setdefault(key(p), []).append(p)
        groups = [g for g in groups.values() if len(g) >= 2]
        if groups:
            a, b = rng.choice(groups[int(rng.integers(len(groups)))], size=2, replace=False)
            return str(a), str(b)
    a, b = rng.choice(names, size=2, replace=False)
    return str(a), str(b)


def grid_values(rng: np.random.Generator, center: float) -> np.ndarray:
    """2-5 values around ``center``, sometimes far out (saturated activations, large losses)."""
    span = float(rng.choice([0.5, 2.0, 8.0]))
    return np.sort(center + rng.uniform(-span, span, int(rng.integers(2, 6))))


def random_case(seed: int, loss: str, kind: str):
    rng = np.random.default_rng(seed)
    net = random_network(rng, loss)
    x, t = random_data(rng, net, int(rng.integers(1, 9)))
    a, b = random_pair(rng, net, kind)
    return net, x, t, a, b, grid_values(rng, net.get_parameter(a)), grid_values(rng, net.get_parameter(b))


def engine_loss(net: Network, x, t, values: dict[str, float]) -> float:
    """E with some parameters changed, by the engine (independent of naive_loss_surface)."""
    engine = Engine(net)
    for name, v in values.items():
        engine.set(name, v)
    with np.errstate(all="ignore"):
        return engine.loss_value(x, t)


# ---------------------------------------------------------------------------------------------- exactness
@pytest.mark.parametrize("loss", LOSSES)
@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(PAIRS))
def test_equals_a_forward_pass_per_grid_point(loss, seed, kind):
    net, x, t, a, b, xs, ys = random_case(seed, loss, kind)
    before = net.parameters()
    fast = loss_surface(net, x, t, a, b, xs, ys)
    naive = naive_loss_surface(net, x, t, a, b, xs, ys)
    assert fast.shape == naive.shape == (len(ys), len(xs)) and fast.dtype == np.float64 and fast.flags.writeable
    bad = ~close(fast, naive, RTOL64)
    assert not bad.any(), f"{net} {a} {b}: fast {fast[bad]} naive {naive[bad]}"
    assert net.parameters() == before  # the network is not changed


@pytest.mark.parametrize("loss", LOSSES)
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(PAIRS))
def test_float32_is_within_its_documented_tolerance(loss, seed, kind):
    net, x, t, a, b, xs, ys = random_case(seed, loss, kind)
    f32 = loss_surface(net, x, t, a, b, xs, ys, dtype=np.float32)
    f64 = naive_loss_surface(net, x, t, a, b, xs, ys)
    assert f32.dtype == np.float64 and f32.shape == f64.shape
    assert np.all(np.abs(f32 - f64) <= F32_TOL * np.maximum(1.0, np.abs(f64))), (f32, f64)


def deep_net(loss: str = "half_sse") -> Network:
    """x1 x2 | h1 (tanh) h2 (relu) h3 (sigmoid, no outgoing edge) | g1 (leaky_relu) g2 (gaussian) | y1 y2, with
    skip edges x1 → y1, x2 → g2 and h2 → y2; the outputs are softplus for half_sse and sigmoid for mse."""
    out = {"bce": "sigmoid", "cross_entropy": "linear", "mse": "sigmoid"}.get(loss, "softplus")
    net = Network(loss)
    for n in (Neuron("x1", 0), Neuron("x2", 0), Neuron("h1", 1, "tanh", 0.1), Neuron("h2", 1, "relu", 0.2),
              Neuron("h3", 1, "sigmoid", 0.3), Neuron("g1", 2, "leaky_relu", -0.1), Neuron("g2", 2, "gaussian", 0.4),
              Neuron("y1", 3, out, 0.5), Neuron("y2", 3, out, -0.5)):
        net._add_neuron_unchecked(n)
    for i, (a, b) in enumerate([("x1", "h1"), ("x2", "h1"), ("x1", "h2"), ("x2", "h3"), ("h1", "g1"), ("h2", "g1"),
                                ("h1", "g2"), ("x2", "g2"), ("g1", "y1"), ("g2", "y2"), ("x1", "y1"), ("h2", "y2")]):
        net.add_edge(a, b, 0.3 * (-1) ** i + 0.1 * i)
    net.validate()
    return net


def deep_data(loss: str, n: int = 9):
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(n, 2))
    t = {"bce": rng.uniform(0, 1, (n, 2)), "cross_entropy": np.eye(2)[rng.integers(0, 2, n)]}.get(
        loss, rng.normal(0, 1, (n, 2)))
    return x, t


PAIR_CASES = [
    ("x1->h1", "x2->h1"),  # two weights of one neuron
    ("x1->h1", "h1.bias"),  # a weight and the bias of one neuron
    ("h1.bias", "h2.bias"),  # two neurons of one layer
    ("x1->h1", "g2.bias"),  # the second's neuron depends on the first (h1 -> g2)
    ("x1->h1", "h1->g1"),  # the second's source depends on the first
    ("h2->y2", "x1->h1"),  # the later one first: x is the later parameter
    ("g1->y1", "g2->y2"),  # two outputs
    ("x1->y1", "h2->g1"),  # a skip edge
    ("x2->h3", "x1->h2"),  # h3 reaches no output: E is constant along x
    ("x2->h3", "h3.bias"),  # neither reaches an output: E is constant
]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("pair", PAIR_CASES, ids=lambda p: f"{p[0]},{p[1]}")
def test_named_pairs_equal_the_engine_at_every_point(loss, pair):
    net = deep_net(loss)
    x, t = deep_data(loss)
    a, b = pair
    xs = net.get_parameter(a) + np.linspace(-3, 3, 5)
    ys = net.get_parameter(b) + np.linspace(-2, 4, 4)
    fast = loss_surface(net, x, t, a, b, xs, ys)
    for i, y in enumerate(ys):
        for j, v in enumerate(xs):
            assert close(fast[i, j], engine_loss(net, x, t, {a: v, b: y}), RTOL64), (i, j)
    if pair[0] == "x2->h3":
        assert np.all(fast == fast[:, :1])  # along x: nothing changes
    if pair == ("x2->h3", "h3.bias"):
        assert np.all(fast == engine_loss(net, x, t, {}))


def test_orientation_rows_are_y_and_columns_are_x():
    net = deep_net()
    x, t = deep_data("half_sse")
    xs, ys = np.linspace(-1, 2, 7), np.linspace(0.5, 1.5, 3)
    e = loss_surface(net, x, t, "x1->h1", "g2->y2", xs, ys)
    assert e.shape == (3, 7)
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(0, 3, 6), rng.integers(0, 7, 6)):
        assert e[i, j] == pytest.approx(engine_loss(net, x, t, {"x1->h1": xs[j], "g2->y2": ys[i]}), rel=RTOL64)
    swapped = loss_surface(net, x, t, "g2->y2", "x1->h1", ys, xs)
    np.testing.assert_allclose(swapped, e.T, rtol=1e-12)


@pytest.mark.parametrize("dtype, rel", [(np.float64, RTOL64), (np.float32, F32_TOL)])
def test_surface_is_centred_on_the_network_values(dtype, rel):
    net = deep_net("bce")
    x, t = deep_data("bce")
    s = surface(net, x, t, "x1->h1", "g1->y1", grid=9, dtype=dtype)
    assert isinstance(s, Surface) and (s.x_name, s.y_name) == ("x1->h1", "g1->y1")
    assert s.center == (net.get_parameter("x1->h1"), net.get_parameter("g1->y1"))
    np.testing.assert_allclose(s.x, np.linspace(s.center[0] - DEFAULT_SPAN, s.center[0] + DEFAULT_SPAN, 9))
    np.testing.assert_allclose(s.y, np.linspace(s.center[1] - DEFAULT_SPAN, s.center[1] + DEFAULT_SPAN, 9))
    assert s.x[4] == s.center[0] and s.y[4] == s.center[1]
    assert s.loss.shape == (9, 9) and s.loss.dtype == np.float64
    assert s.loss[4, 4] == pytest.approx(Engine(net).loss_value(x, t), rel=rel)
    for a in (s.x, s.y, s.loss):
        assert not a.flags.writeable


def test_ranges_and_span():
    net = deep_net()
    x, t = deep_data("half_sse")
    s = surface(net, x, t, "h1.bias", "h2.bias", grid=5, span=0.5, y_range=(-3, 1), dtype=np.float64)
    c = net.get_parameter("h1.bias")
    np.testing.assert_allclose(s.x, np.linspace(c - 0.5, c + 0.5, 5))
    np.testing.assert_allclose(s.y, np.linspace(-3, 1, 5))
    np.testing.assert_allclose(s.loss, naive_loss_surface(net, x, t, "h1.bias", "h2.bias", s.x, s.y), rtol=RTOL64)


@pytest.mark.parametrize("pair", [("x1->h1", "x2->h1"), ("h1.bias", "h2.bias"), ("x1->h1", "g2.bias")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_chunking_does_not_change_the_result(pair, dtype, monkeypatch):
    net = deep_net("cross_entropy")
    x, t = deep_data("cross_entropy", n=40)
    xs, ys = np.linspace(-2, 2, 23), np.linspace(-1, 3, 17)
    whole = loss_surface(net, x, t, *pair, xs, ys, dtype=dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    for chunk in (1, 3000, 50_000):
        np.testing.assert_allclose(loss_surface(net, x, t, *pair, xs, ys, dtype=dtype, chunk_bytes=chunk), whole,
                                   rtol=rtol)
    monkeypatch.setattr(surface_module, "_BLAS_BLOCK", 7)  # matrix products in many column blocks
    np.testing.assert_allclose(loss_surface(net, x, t, *pair, xs, ys, dtype=dtype), whole, rtol=rtol)


def test_keep_going_is_asked_between_chunks_and_can_stop():
    net = deep_net()
    x, t = deep_data("half_sse")
    xs = ys = np.linspace(-1, 1, 10)
    calls = []

    def keep_going():
        calls.append(1)
        return True

    e = loss_surface(net, x, t, "x1->h1", "x2->h1", xs, ys, chunk_bytes=1, keep_going=keep_going)
    assert len(calls) == 100  # one grid point per chunk
    np.testing.assert_allclose(e, naive_loss_surface(net, x, t, "x1->h1", "x2->h1", xs, ys), rtol=RTOL64)

    def three_chunks():
        calls.append(1)
        return len(calls) <= 3

    calls.clear()
    with pytest.raises(SurfaceCancelled):
        loss_surface(net, x, t, "x1->h1", "x2->h1", xs, ys, chunk_bytes=1, keep_going=three_chunks)
    assert len(calls) == 4
    with pytest.raises(SurfaceCancelled):
        surface(net, x, t, "x1->h1", "x2->h1", grid=4, keep_going=lambda: False)


def test_a_diverging_surface_is_inf_or_nan_where_the_engine_is():
    net = layered([1, 2, 1], "relu", "linear", "mse", weights=lambda a, b: 1.0)
    x, t = np.array([[1.0], [2.0]]), np.array([[0.0], [1.0]])
    xs, ys = np.array([-1e200, 0.0, 1e200]), np.array([-1e300, 1.0, 1e300])
    fast = loss_surface(net, x, t, "x1->h1", "h2->y1", xs, ys)
    naive = naive_loss_surface(net, x, t, "x1->h1", "h2->y1", xs, ys)
    assert not np.isfinite(naive).all() and np.isfinite(naive).any()
    assert close(fast, naive, RTOL64).all(), (fast, naive)


def test_a_surface_is_finite_where_the_engine_is_though_the_network_overflows():
    net = layered([1, 1, 1], "relu", "linear", "mse", weights=lambda a, b: 1e308 if a == "x1" else 1.0)
    x, t = np.array([[10.0]]), np.array([[1.0]])
    assert not np.isfinite(engine_loss(net, x, t, {}))
    xs, ys = np.array([-1.0, 0.0, 2.0]), np.array([0.5, 3.0])
    fast = loss_surface(net, x, t, "x1->h1", "h1->y1", xs, ys)
    np.testing.assert_allclose(fast, naive_loss_surface(net, x, t, "x1->h1", "h1->y1", xs, ys), rtol=RTOL64)
    assert np.isfinite(fast).all()


@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
def test_bce_and_cross_entropy_stay_finite_at_huge_net_inputs(loss):
    net = deep_net(loss)
    x, t = deep_data(loss)
    xs, ys = np.array([-1e4, -30.0, 0.0, 40.0, 1e4]), np.array([-1e3, 1.0, 800.0])
    fast = loss_surface(net, x, t, "g1->y1", "y2.bias", xs, ys)
    assert np.isfinite(fast).all() and fast.max() > 100
    np.testing.assert_allclose(fast, naive_loss_surface(net, x, t, "g1->y1", "y2.bias", xs, ys), rtol=RTOL64)


# ---------------------------------------------------------------------------------------------- bad input
BAD_NAMES = [
    ("x9->h1", "h1.bias", "unknown parameter 'x9->h1' (unknown neuron 'x9')"),
    ("h1.bias", "x2->y1", "unknown parameter 'x2->y1' (there is no edge 'x2' -> 'y1')"),
    ("x1.bias", "h1.bias", "'x1.bias': input neuron 'x1' has no bias"),
    ("h1", "h1.bias", "'h1' is not a parameter name"),
    ("h1.bias", "h1.bias", "the x and y parameters must differ (both are 'h1.bias')"),
]


@pytest.mark.parametrize("a, b, message", BAD_NAMES)
def test_bad_parameter_names(a, b, message):
    net = deep_net()
    x, t = deep_data("half_sse")
    for call in (lambda: surface(net, x, t, a, b), lambda: loss_surface(net, x, t, a, b, [0, 1], [0, 1]),
                 lambda: naive_loss_surface(net, x, t, a, b, [0, 1], [0, 1])):
        with pytest.raises(ValueError) as info:
            call()
        assert message in str(info.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"grid": 1}, "the grid must be a whole number from 2 to 1024 (or two of them), not 1"),
    ({"grid": (64, 1)}, "not (64, 1)"),
    ({"grid": 1025}, "not 1025"),
    ({"grid": 2.5}, "not 2.5"),
    ({"grid": True}, "not True"),
    ({"span": 0}, "the span must be a positive finite number, not 0"),
    ({"span": -1.0}, "not -1.0"),
    ({"span": float("nan")}, "not nan"),
    ({"span": float("inf")}, "not inf"),
    ({"x_range": (1, 1)}, "the x range must be two finite numbers with low < high, not 1 to 1"),
    ({"y_range": (2, -2)}, "the y range must be two finite numbers with low < high, not 2 to -2"),
    ({"x_range": (0, float("inf"))}, "not 0 to inf"),
    ({"y_range": (float("nan"), 1)}, "not nan to 1"),
    ({"x_range": (0, 1, 2)}, "the x range must be two numbers (low, high), not (0, 1, 2)"),
    ({"x_range": "ab"}, "the x range must be two numbers"),
])
def test_bad_grids_and_ranges(kwargs, message):
    net = deep_net()
    x, t = deep_data("half_sse")
    with pytest.raises(ValueError) as info:
        surface(net, x, t, "x1->h1", "h1.bias", **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("xs, ys, message", [
    ([], [0, 1], "the x values must be a non-empty list of finite numbers"),
    ([0, 1], [0, np.nan], "the y values must be a non-empty list of finite numbers"),
    ([[0, 1]], [0, 1], "the x values must be"),
])
def test_bad_grid_values(xs, ys, message):
    net = deep_net()
    x, t = deep_data("half_sse")
    with pytest.raises(ValueError, match=message):
        loss_surface(net, x, t, "x1->h1", "h1.bias", xs, ys)


def test_bad_data_and_networks():
    net = deep_net()
    x, t = deep_data("half_sse")
    with pytest.raises(ValueError, match="the inputs must be an N × 2 array"):
        loss_surface(net, x[:, :1], t, "x1->h1", "h1.bias", [0, 1], [0, 1])
    with pytest.raises(ValueError, match="the targets must be an N × 2 array"):
        loss_surface(net, x, t[1:], "x1->h1", "h1.bias", [0, 1], [0, 1])
    with pytest.raises(ValueError, match="dtype must be float32 or float64, not int32"):
        loss_surface(net, x, t, "x1->h1", "h1.bias", [0, 1], [0, 1], dtype=np.int32)
    invalid = Network()
    invalid.add_neuron("x1", 0)
    with pytest.raises(NetworkError, match="unknown parameter"):
        surface(invalid, x, t, "x1->y1", "y1.bias")
