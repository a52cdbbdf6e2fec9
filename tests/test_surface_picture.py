"""The surface's picture tells the truth: float64 values, a colour scale that contains the current E and stays put,
no rounding noise drawn as landscape; the path and its start; the rounding floor of a gradient; where the grid
lies. No Qt needed."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from bpgui.core import Network
from bpgui.core.engine import Engine
from bpgui.core.explain import ROUNDING_PER_LAYER, gradient_noise
from bpgui.core.surface import Surface, surface
from bpgui.core.surface_picture import MIN_DECADES, float32_resolves, resolvable, steady_levels, surface_picture
from bpgui.core.weight_path import WeightPath
from bpgui.ui.surface.surface_controller import INNER, grid_window


def least_squares_net(offset: float = 0.0):
    """x1 → y1 (linear), half_sse, fitted exactly by least squares: ∇E = 0 in exact arithmetic at ``offset`` = 0."""
    x = np.array([[0.1], [0.2], [0.7], [0.4]])
    t = np.array([[0.3], [0.1], [0.9], [0.5]])
    (w, b), *_ = np.linalg.lstsq(np.column_stack([x[:, 0], np.ones(4)]), t[:, 0], rcond=None)
    net = Network("half_sse")
    net.add_neuron("x1", 0)
    net.add_neuron("y1", 1, "linear", float(b))
    net.add_edge("x1", "y1", float(w) + offset)
    return net, x, t


def grid(loss) -> Surface:
    loss = np.asarray(loss, dtype=float)
    ny, nx = loss.shape
    return Surface("a", "b", np.linspace(-1, 1, nx), np.linspace(-1, 1, ny), loss, (0.0, 0.0))


# ---------------------------------------------------------------------------------------------- resolution
def test_a_grid_flat_to_rounding_is_not_resolvable_and_gets_no_picture():
    base = 0.3
    noise = base * (1 + np.random.default_rng(0).integers(-8, 8, size=(20, 20)) * np.finfo(float).eps)
    assert not resolvable(noise)
    assert surface_picture(grid(noise)) is None
    assert not resolvable(np.full((5, 5), 2.0)) and not resolvable(np.full((5, 5), np.nan))
    real = base * (1 + 1e-9 * np.arange(400).reshape(20, 20))
    assert resolvable(real) and surface_picture(grid(real)) is not None


def test_float32_draws_rounding_noise_where_float64_sees_a_landscape():
    """The reported failure: near a minimum (E ≈ 1e-7) a float32 grid is rounding noise; float64 is not."""
    net, x, t = least_squares_net()
    # a tiny window around the exact fit: E changes by about 1e-9 relative across it
    kwargs = dict(grid=24, x_range=(net.weight("x1", "y1") - 1e-4, net.weight("x1", "y1") + 1e-4),
                  y_range=(net.neurons["y1"].bias - 1e-4, net.neurons["y1"].bias + 1e-4))
    f64 = surface(net, x, t, "x1->y1", "y1.bias", dtype=np.float64, **kwargs)
    f32 = surface(net, x, t, "x1->y1", "y1.bias", dtype=np.float32, **kwargs)
    # float64 agrees with exact rational arithmetic at every cell, to within its rounding (a few units of E's last
    # place: some cells near the fit differ from each other by less, so which of them is lowest is rounding)
    xs, ts = [Fraction(v) for v in x[:, 0]], [Fraction(v) for v in t[:, 0]]
    exact = np.array([[float(sum((Fraction(w) * xi + Fraction(b) - ti) ** 2 for xi, ti in zip(xs, ts)) / 8)
                       for w in f64.x] for b in f64.y])
    assert np.abs(f64.loss - exact).max() <= 8 * np.finfo(float).eps * exact.max()
    i, j = np.unravel_index(np.argmin(exact), exact.shape)
    assert abs(i - 11.5) <= 1 and abs(j - 11.5) <= 1  # the exact lowest cell lies next to the fit
    engine = Engine(net)
    for (a, b) in ((0, 0), (5, 17), (23, 23)):
        engine.set("x1->y1", f64.x[b])
        engine.set("y1.bias", f64.y[a])
        assert f64.loss[a, b] == pytest.approx(engine.loss_value(x, t), rel=1e-12)
    # float32 cannot tell these values apart: its minimum is anywhere (here: not at the fit)
    relative_error = np.abs(f32.loss - f64.loss).max() / np.ptp(f64.loss)
    assert relative_error > 0.1


def test_float32_is_used_only_where_it_resolves_the_values():
    assert float32_resolves(10 ** np.linspace(-2, 0, 100).reshape(10, 10))  # E from 0.01 to 1
    assert not float32_resolves(10 ** np.linspace(-7, -5, 100).reshape(10, 10))  # near a minimum
    assert not float32_resolves(0.5 + 1e-5 * np.arange(100).reshape(10, 10))  # a nearly flat window


# ---------------------------------------------------------------------------------------------- colour levels
def test_the_colour_scale_contains_the_current_loss():
    loss = 10 ** np.linspace(-2, -1, 400).reshape(20, 20)
    pic = surface_picture(grid(loss), current_loss=1e-5)  # the point lies below everything on the grid
    assert pic.levels[0] <= -5 <= pic.levels[1]
    pic = surface_picture(grid(loss), current_loss=3.0)
    assert pic.levels[0] <= math.log10(3.0) <= pic.levels[1]


def test_a_nearly_flat_landscape_gets_a_scale_of_at_least_min_decades():
    loss = 0.2 * (1 + 1e-4 * np.arange(400).reshape(20, 20))  # E varies by 4 %
    pic = surface_picture(grid(loss))
    assert pic.levels[1] - pic.levels[0] >= MIN_DECADES
    assert pic.variation == pytest.approx(np.ptp(loss) / loss.max())
    assert len(pic.contours) > 0  # the shape is still drawn, as contour lines


def test_the_colour_scale_stays_put_while_the_values_fit_it():
    assert steady_levels((-1.2, -0.6), (-1.5, -0.5)) == (-1.5, -0.5)  # fits and fills 60 %
    assert steady_levels((-1.2, -1.1), (-1.5, -0.5)) == (-1.4, -0.9)  # fills 10 %: narrower, widened to 0.5
    assert steady_levels((-1.6, -0.6), (-1.5, -0.5)) == (-2.1, -0.6)  # left it at the bottom: room to spare
    lo, hi = steady_levels((-3.14159, -1.234), None)
    assert (lo, hi) == (-3.2, -1.2)  # whole tenths, outward
    # while training the scale only grows
    assert steady_levels((-1.2, -1.1), (-1.5, -0.5), may_shrink=False) == (-1.5, -0.5)
    assert steady_levels((-1.7, -1.1), (-1.5, -0.5), may_shrink=False) == (-2.2, -0.5)


def test_zero_losses_are_drawn_at_the_bottom_and_infinite_ones_at_the_top():
    loss = 10 ** np.linspace(-3, 0, 100).reshape(10, 10)
    loss[0, 0], loss[9, 9] = 0.0, np.inf
    pic = surface_picture(grid(loss))
    assert pic.image[0, 0] == pytest.approx(pic.levels[0]) and pic.image[9, 9] == pytest.approx(pic.levels[1])


# ---------------------------------------------------------------------------------------------- the gradient's floor
def test_a_computed_gradient_of_an_exact_fit_is_below_its_rounding_floor():
    net, x, t = least_squares_net()
    _, g = Engine(net).gradient(x, t)
    noise = gradient_noise(net, x, t, ["x1->y1", "y1.bias"])
    assert 0 < abs(g["x1->y1"]) + abs(g["y1.bias"])  # not exactly 0: rounding
    assert abs(g["x1->y1"]) <= noise["x1->y1"] and abs(g["y1.bias"]) <= noise["y1.bias"]
    net2, _, _ = least_squares_net(offset=1e-6)  # a millionth off the fit: a real, tiny gradient
    _, g2 = Engine(net2).gradient(x, t)
    assert abs(g2["x1->y1"]) > 100 * gradient_noise(net2, x, t, ["x1->y1"])["x1->y1"]


def test_the_rounding_floor_is_the_sum_of_the_gradients_terms_in_units_of_rounding():
    """Against a per-sample reference: each sample's own gradient (the engine on that row alone), /N."""
    rng = np.random.default_rng(3)
    net = Network("mse")
    for i in range(2):
        net.add_neuron(f"x{i}", 0)
    net.add_neuron("y", 1, "sigmoid", -0.1)
    net.add_layer(1)
    net.add_neuron("h", 1, "tanh", 0.2)
    for a, b in (("x0", "h"), ("x1", "h"), ("h", "y"), ("x0", "y")):
        net.add_edge(a, b, float(rng.normal()))
    x, t = rng.normal(size=(7, 2)), rng.uniform(size=(7, 1))
    names = ["x0->h", "h->y", "y.bias"]
    noise = gradient_noise(net, x, t, names)
    engine = Engine(net)
    for name in names:
        terms = [engine.gradient(x[n : n + 1], t[n : n + 1])[1][name] / len(x) for n in range(len(x))]
        expected = ROUNDING_PER_LAYER * net.num_layers * np.finfo(float).eps * np.sum(np.abs(terms))
        assert noise[name] == pytest.approx(expected, rel=1e-9)


# ---------------------------------------------------------------------------------------------- the path
def test_the_path_thins_itself_and_keeps_its_start_and_its_newest_point():
    path = WeightPath(capacity=100)
    names = ("a", "b", "c")
    for s in range(1000):
        path.add(s, -s, 1.0 / (s + 1), s, names, [s, -s, 0.5 + s])
    assert path.size <= 100 and path.steps[0] == 0 and path.steps[-1] == 999
    assert np.all(np.diff(path.steps) > 0)
    # the third parameter moved by 999 since the start; the pair's own moves do not count
    assert path.largest_other_change(names, [5, 5, 0.5 + 999], ("a", "b")) == ("c", 999.0)
    assert path.largest_other_change(("a", "b"), [0, 0], ("a", "b")) is None  # another structure
    path.clear()
    assert path.size == 0 and path.largest_other_change(names, [0, 0, 0], ("a", "b")) is None


# ---------------------------------------------------------------------------------------------- where the grid lies
def test_follow_moves_the_grid_only_when_the_point_nears_an_edge():
    center, xr, yr = grid_window("follow", (0.0, 0.0), None, 2.0, 1.0)
    assert center == (0.0, 0.0) and xr == (-2.0, 2.0) and yr == (-2.0, 2.0)
    assert grid_window("follow", (INNER * 2 - 0.01, 0.0), center, 2.0, 1.0)[0] == center
    assert grid_window("follow", (INNER * 2 + 0.01, 0.0), center, 2.0, 1.0)[0] == (INNER * 2 + 0.01, 0.0)
    assert grid_window("fixed", (5.0, 5.0), center, 2.0, 1.0)[0] == center


def test_the_grid_takes_the_plots_proportions_and_the_whole_path_fits():
    _, xr, yr = grid_window("follow", (1.0, 2.0), None, 2.0, 2.5)
    assert yr == (0.0, 4.0) and xr == pytest.approx((1.0 - 5.0, 1.0 + 5.0))  # ±2 on the shorter side
    px, py = [-10.0, -4.0, 0.0], [3.0, 1.0, 0.5]
    center, xr, yr = grid_window("path", (0.5, 0.0), None, 1.0, 1.0, px, py)
    assert xr[0] < -10 and xr[1] > 0.5 and yr[0] < 0 and yr[1] > 3
    assert (xr[1] - xr[0]) == pytest.approx(yr[1] - yr[0])  # square, for a square plot
