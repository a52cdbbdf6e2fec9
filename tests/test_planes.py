"""Planes through parameter space (bpgui.core.planes): E over the plane against the engine's loss at the grid
points, the promised directions (orthonormal; −∇E and the Hessian's top eigenvector; PCA against an SVD and the
covariance's eigenvectors; filter normalisation per neuron), the path's projection, and planes that cannot be
formed."""

from __future__ import annotations

import numpy as np
import pytest
from random_networks import random_data, random_network

from bpgui.core import Engine, load_document, planes
from bpgui.core.network import layered, parse_parameter_name
from bpgui.core.planes import (
    Plane,
    PlaneError,
    gradient_plane,
    make_plane,
    path_on_plane,
    pca_plane,
    plane_loss,
    plane_surface,
    project_gradient,
    random_plane,
    weights_plane,
)
from bpgui.core.trajectory import Trajectory, TrajectoryError
from bpgui.resources import example_paths

EXAMPLES = example_paths()


def example(name: str):
    doc = load_document(EXAMPLES[name])
    d = doc.dataset()
    return doc.network, d.x_train, d.t_train


def engine_loss_at(net, x, t, values: np.ndarray) -> float:
    """E with every parameter set (names order), by a fresh engine on a copy of the network."""
    n = net.copy()
    n.set_parameters(dict(zip(n.parameter_names(), values.tolist())))
    with np.errstate(all="ignore"):
        return Engine(n).loss_value(x, t)


def check_against_engine(net, x, t, plane: Plane, xs, ys, rtol=1e-10) -> None:
    e = plane_loss(net, x, t, plane, xs, ys)
    assert e.shape == (len(ys), len(xs))
    for i in range(len(ys)):
        for j in range(len(xs)):
            ref = engine_loss_at(net, x, t, plane.origin + xs[j] * plane.u + ys[i] * plane.v)
            assert e[i, j] == pytest.approx(ref, rel=rtol, abs=1e-12), (i, j)


def orthonormal(plane: Plane) -> None:
    assert np.linalg.norm(plane.u) == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.norm(plane.v) == pytest.approx(1.0, abs=1e-12)
    assert abs(plane.u @ plane.v) < 1e-12


def toy_trajectory(net, rows: np.ndarray) -> Trajectory:
    return Trajectory(tuple(net.parameter_names()), np.arange(len(rows)) * 10, rows, np.zeros(len(rows)))


# ---------------------------------------------------------------------------------------------- values
@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("kind", ["weights", "gradient", "pca", "random"])
def test_every_plane_matches_the_engine_at_grid_points(name, kind):
    net, x, t = example(name)
    names = net.parameter_names()
    rng = np.random.default_rng(5)
    w = np.array([net.get_parameter(n) for n in names])
    path = toy_trajectory(net, w + np.cumsum(rng.normal(0, 0.1, (12, len(w))), axis=0)[::-1])
    plane = make_plane(kind, net, x, t, x_name=names[0], y_name=names[-1], trajectory=path, seed=3)
    assert plane.kind == kind and plane.names == tuple(names)
    xs, ys = np.linspace(-1.5, 1.0, 5), np.linspace(-0.7, 1.3, 4)
    if kind == "weights":  # a and b are the two parameters' values
        xs, ys = xs + net.get_parameter(names[0]), ys + net.get_parameter(names[-1])
    check_against_engine(net, x, t, plane, xs, ys)


@pytest.mark.parametrize("seed", range(40))
def test_planes_on_random_networks_match_the_engine(seed, monkeypatch):
    """Random layered nets with skip edges and mixed activations, every loss; directions in every layer, or only
    from some neuron on (the layers before it stay as at the origin); the first changed layer by products once
    (odd seeds) or per grid point."""
    monkeypatch.setattr(planes, "FIXED_PRODUCTS", 0 if seed % 2 else 10**9)
    rng = np.random.default_rng(seed)
    loss = ("half_sse", "mse", "bce", "cross_entropy")[seed % 4]
    net = random_network(rng, loss, "tanh")
    x, t = random_data(rng, net, int(rng.integers(1, 9)))
    names = tuple(net.parameter_names())
    p = len(names)
    u, v = rng.normal(0, 1, (2, p))
    if seed % 3 == 0:  # only the parameters into the last few neurons move
        keep = np.array([parse_parameter_name(n) for n in names], dtype=object)
        late = [i for i, r in enumerate(keep) if (r[1] if isinstance(r, tuple) else r).startswith("o")]
        mask = np.zeros(p, dtype=bool)
        mask[late] = True
        u, v = u * mask, v * np.roll(mask, 0)
    if seed % 5 == 1:  # one of them along a single parameter
        v = np.zeros(p)
        v[int(rng.integers(0, p))] = 1.0
    w = np.array([net.get_parameter(n) for n in names])
    plane = Plane("random", names, w, u, v, "a", "b")
    xs = np.sort(rng.uniform(-2, 2, 4))
    ys = np.sort(rng.uniform(-2, 2, 3))
    check_against_engine(net, x, t, plane, xs, ys, rtol=1e-9)


def test_small_chunks_give_the_same_surface():
    net, x, t = example("circles")
    plane = random_plane(net, 1)
    xs, ys = np.linspace(-1, 1, 9), np.linspace(-1, 1, 7)
    whole = plane_loss(net, x, t, plane, xs, ys)
    assert np.array_equal(plane_loss(net, x, t, plane, xs, ys, chunk_bytes=1), whole)


def test_weights_plane_is_todays_surface():
    from bpgui.core.surface import loss_surface

    net, x, t = example("xor")
    plane = weights_plane(net, "x1->h1", "h1.bias")
    orthonormal(plane)
    assert plane.u[plane.names.index("x1->h1")] == 1.0 and plane.v[plane.names.index("h1.bias")] == 1.0
    assert plane.origin[plane.names.index("x1->h1")] == 0.0 and plane.origin[plane.names.index("h1.bias")] == 0.0
    xs, ys = np.linspace(-2, 2, 6), np.linspace(-1, 3, 5)
    assert np.array_equal(plane_loss(net, x, t, plane, xs, ys), loss_surface(net, x, t, "x1->h1", "h1.bias", xs, ys))
    s = plane_surface(net, x, t, plane, grid=5, span=0.5)
    assert s.x[2] == pytest.approx(net.get_parameter("x1->h1")) and s.y[2] == pytest.approx(net.get_parameter(
        "h1.bias"))


# ---------------------------------------------------------------------------------------------- gradient
def central_gradient(net, x, t, h=1e-6) -> np.ndarray:
    names = net.parameter_names()
    w = np.array([net.get_parameter(n) for n in names])
    g = np.empty(len(w))
    for i in range(len(w)):
        d = np.zeros(len(w))
        d[i] = h
        g[i] = (engine_loss_at(net, x, t, w + d) - engine_loss_at(net, x, t, w - d)) / (2 * h)
    return g


def second_difference_hessian(net, x, t, h=1e-4) -> np.ndarray:
    """H from losses only (not from the engine's gradient): (E(++) − E(+−) − E(−+) + E(−−)) / 4h²."""
    names = net.parameter_names()
    w = np.array([net.get_parameter(n) for n in names])
    p = len(w)
    hess = np.empty((p, p))
    eye = np.eye(p) * h
    for i in range(p):
        for j in range(i, p):
            e = [engine_loss_at(net, x, t, w + si * eye[i] + sj * eye[j]) for si, sj in ((1, 1), (1, -1), (-1, 1),
                                                                                         (-1, -1))]
            hess[i, j] = hess[j, i] = (e[0] - e[1] - e[2] + e[3]) / (4 * h * h)
    return hess


@pytest.mark.parametrize("name", ["xor", "backprop_by_hand"])
def test_gradient_plane_is_the_step_and_the_top_curvature(name):
    net, x, t = example(name)
    plane = gradient_plane(net, x, t)
    orthonormal(plane)
    g = central_gradient(net, x, t)
    assert np.allclose(plane.u, -g / np.linalg.norm(g), atol=1e-6)
    h = second_difference_hessian(net, x, t)
    values, vectors = np.linalg.eigh(h)
    top = vectors[:, -1]
    expected = top - (top @ plane.u) * plane.u
    expected /= np.linalg.norm(expected)
    assert abs(abs(plane.v @ expected) - 1.0) < 1e-4  # the same line (the sign is the eigensolver's)
    assert np.array_equal(plane.origin, [net.get_parameter(n) for n in plane.names])


def test_gradient_plane_only_moves_the_movable_parameters():
    net, x, t = example("xor")
    weights = [n for n in net.parameter_names() if isinstance(parse_parameter_name(n), tuple)]
    plane = gradient_plane(net, x, t, movable=weights)
    orthonormal(plane)
    for i, n in enumerate(plane.names):
        if n not in weights:
            assert plane.u[i] == 0.0 and plane.v[i] == 0.0


def zero_gradient_network():
    """Every parameter 0 and every target 0.5: sigmoid outputs are 0.5 everywhere, so ∇E = 0 exactly."""
    net, x, t = example("xor")
    net.set_parameters({n: 0.0 for n in net.parameter_names()})
    return net, x, np.full_like(t, 0.5)


def test_gradient_plane_cannot_be_formed_where_the_gradient_is_zero():
    net, x, t = zero_gradient_network()
    with pytest.raises(PlaneError, match="∇E is 0"):
        gradient_plane(net, x, t)


# ---------------------------------------------------------------------------------------------- pca
def test_pca_directions_against_an_svd_and_the_covariance():
    net, x, t = example("circles")
    p = len(net.parameter_names())
    rng = np.random.default_rng(2)
    rows = rng.normal(0, 1, (30, p)) @ np.diag(np.linspace(3, 0.1, p)) + 5.0
    plane = pca_plane(net, toy_trajectory(net, rows))
    orthonormal(plane)
    assert np.array_equal(plane.origin, rows[-1])
    centred = rows - rows.mean(axis=0)
    _, s, vt = np.linalg.svd(centred)
    assert abs(plane.u @ vt[0]) == pytest.approx(1.0, abs=1e-10)
    assert abs(plane.v @ vt[1]) == pytest.approx(1.0, abs=1e-10)
    cov_values, cov_vectors = np.linalg.eigh(centred.T @ centred)
    assert abs(plane.u @ cov_vectors[:, -1]) == pytest.approx(1.0, abs=1e-8)
    assert abs(plane.v @ cov_vectors[:, -2]) == pytest.approx(1.0, abs=1e-8)
    assert plane.explained == pytest.approx((cov_values[-1] + cov_values[-2]) / cov_values.sum(), rel=1e-10)
    for d in (plane.u, plane.v):  # the sign: the largest component positive
        assert d[np.argmax(np.abs(d))] > 0


def test_path_on_the_pca_plane():
    net, x, t = example("xor")
    names = net.parameter_names()
    p = len(names)
    rng = np.random.default_rng(4)
    w = np.array([net.get_parameter(n) for n in names])
    e1, e2 = np.eye(p)[0], np.eye(p)[3]
    # a path in a plane (holds all the variance), then one with a step out of it
    flat = w + np.outer(np.linspace(-1, 0, 6), e1) + np.outer(rng.normal(0, 0.3, 6), e2)
    losses = np.array([engine_loss_at(net, x, t, r) for r in flat])
    path = Trajectory(tuple(names), np.arange(6), flat, losses)
    plane = pca_plane(net, path)
    assert plane.explained == pytest.approx(1.0)
    on = path_on_plane(net, x, t, plane, path)
    assert np.allclose(on.residual, 0.0, atol=1e-12)
    assert on.x[-1] == 0.0 and on.y[-1] == 0.0  # the plane goes through the last row
    assert np.allclose(on.loss, losses, rtol=1e-12)
    assert np.allclose(on.plane_loss, losses, rtol=1e-9)  # in the plane: the same points
    bent = flat.copy()
    bent[2] += 0.5 * np.eye(p)[5]
    path2 = Trajectory(tuple(names), np.arange(6), bent, losses)
    plane2 = pca_plane(net, path2)
    on2 = path_on_plane(net, x, t, plane2, path2)
    for r, px, py, res in zip(bent, on2.x, on2.y, on2.residual):
        assert np.linalg.norm(r - plane2.point(px, py)) == pytest.approx(res, abs=1e-12)
        assert engine_loss_at(net, x, t, plane2.point(px, py)) == pytest.approx(
            on2.plane_loss[list(on2.x).index(px)], rel=1e-12)
    assert on2.residual.max() > 0.01
    assert plane2.explained < 1.0


def test_pca_window_covers_the_path():
    net, x, t = example("xor")
    w = np.array([net.get_parameter(n) for n in net.parameter_names()])
    rows = w + np.outer(np.linspace(-3, 0, 8), np.ones(len(w))) + np.outer(np.sin(np.arange(8)), np.eye(len(w))[1])
    path = toy_trajectory(net, rows)
    s = plane_surface(net, x, t, pca_plane(net, path), grid=6, trajectory=path)
    assert s.x[0] < s.path.x.min() and s.x[-1] > s.path.x.max()
    assert s.y[0] < s.path.y.min() and s.y[-1] > s.path.y.max()


def test_pca_plane_refusals():
    net, x, t = example("xor")
    w = np.array([net.get_parameter(n) for n in net.parameter_names()])
    with pytest.raises(PlaneError, match="does not move"):
        pca_plane(net, toy_trajectory(net, np.tile(w, (5, 1))))
    with pytest.raises(PlaneError, match="only one row"):
        pca_plane(net, toy_trajectory(net, w[None, :]))
    with pytest.raises(PlaneError, match="needs a recorded trajectory"):
        make_plane("pca", net, x, t)
    other, _, _ = example("circles")
    with pytest.raises(TrajectoryError, match="another network"):
        pca_plane(other, toy_trajectory(net, np.tile(w, (5, 1))))


# ---------------------------------------------------------------------------------------------- random
@pytest.mark.parametrize("name", ["xor", "circles", "sine"])
def test_random_plane_is_filter_normalised_per_neuron(name):
    net, _, _ = example(name)
    plane = random_plane(net, 7)
    names = plane.names
    blocks: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        ref = parse_parameter_name(n)
        if isinstance(ref, tuple):
            blocks.setdefault(ref[1], []).append(i)
        else:
            assert plane.u[i] == 0.0 and plane.v[i] == 0.0  # biases
    assert blocks
    for neuron, idx in blocks.items():
        target = np.linalg.norm([net.get_parameter(names[i]) for i in idx])
        for d in (plane.u, plane.v):
            assert np.linalg.norm(d[idx]) == pytest.approx(target, rel=1e-12), neuron
    again = random_plane(net, 7)
    assert np.array_equal(again.u, plane.u) and np.array_equal(again.v, plane.v)
    assert not np.array_equal(random_plane(net, 8).u, plane.u)
    assert np.array_equal(plane.origin, [net.get_parameter(n) for n in names])


def test_random_plane_cannot_be_formed_when_every_weight_is_zero():
    net, _, _ = zero_gradient_network()
    with pytest.raises(PlaneError, match="every weight is 0"):
        random_plane(net, 0)


def test_gradient_plane_beyond_the_dense_limit_uses_lanczos_ritz_vectors():
    """A 2-8-8-1 net (105 parameters, above curvature.DENSE_LIMIT): v is a Ritz vector of Lanczos made orthogonal to
    u; its Rayleigh quotient (from losses only, by second differences) is near λ_max of the dense Hessian."""
    rng = np.random.default_rng(0)
    net = layered([2, 8, 8, 1], "tanh", "sigmoid", "half_sse", weights=lambda a, b: float(rng.normal(0, 1)))
    x = rng.normal(0, 1, (40, 2))
    t = (x[:, :1] * x[:, 1:] > 0).astype(float)
    plane = gradient_plane(net, x, t)
    orthonormal(plane)
    g = central_gradient(net, x, t)
    assert np.allclose(plane.u, -g / np.linalg.norm(g), atol=1e-5)
    from bpgui.core.curvature import Objective, dense_hessian

    obj = Objective(Engine(net), x, t, net.parameter_names())
    h = dense_hessian(obj, obj.w0)
    obj.restore()
    top = np.linalg.eigh(h)[1][:, -1]
    expected = top - (top @ plane.u) * plane.u
    expected /= np.linalg.norm(expected)
    assert abs(plane.v @ expected) > 0.99


# ---------------------------------------------------------------------------------------------- −∇E on a plane
def _hand_plane(u, v) -> Plane:
    return Plane("random", ("p", "q", "r"), np.zeros(3), np.array(u, float), np.array(v, float), "a", "b")


def test_project_gradient_against_a_hand_computation():
    plane = _hand_plane([1, 0, 0], [0, 0.6, 0.8])  # orthonormal
    # g = (∂E/∂p, ∂E/∂q, ∂E/∂r) = (3, 4, 2), handed over in another order
    a, b, share = project_gradient(plane, ("r", "p", "q"), [2.0, 3.0, 4.0])
    assert a == pytest.approx(-3.0)  # −gᵀu
    assert b == pytest.approx(-(0.6 * 4 + 0.8 * 2))  # −gᵀv = −4
    assert share == pytest.approx(5 / np.sqrt(29))  # √(3² + 4²) / √(9 + 16 + 4)


def test_project_gradient_on_axes_that_are_not_unit_projects_by_least_squares():
    plane = _hand_plane([2, 0, 0], [0, 0, 1])
    a, b, share = project_gradient(plane, ("p", "q", "r"), [3.0, 4.0, 2.0])
    assert (a, b) == pytest.approx((-6.0, -2.0))  # minus E(a, b)'s gradient: −gᵀu, −gᵀv
    assert share == pytest.approx(np.sqrt(13 / 29))  # the part (3, 0, 2) in span(u, v), not √(6² + 2²)/|g|


def test_project_gradient_of_a_zero_gradient_has_no_share():
    a, b, share = project_gradient(_hand_plane([1, 0, 0], [0, 1, 0]), ("p", "q", "r"), [0.0, 0.0, 0.0])
    assert (a, b) == (0.0, 0.0) and np.isnan(share)


def test_the_gradient_plane_holds_all_of_the_gradient_when_everything_moves():
    net, x, t = example("xor")
    plane = gradient_plane(net, x, t)
    d = Engine(net).gradient(x, t)[1]
    names = tuple(d)
    a, b, share = project_gradient(plane, names, [d[n] for n in names])
    g = np.array([d[n] for n in plane.names])
    assert a == pytest.approx(np.linalg.norm(g), rel=1e-9) and b == pytest.approx(0.0, abs=1e-9 * a)
    assert share == pytest.approx(1.0, rel=1e-9)
