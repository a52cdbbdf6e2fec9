"""Planes through parameter space, and E over them: E(a, b) = E(origin + a·u + b·v).

Every vector is over all the network's parameters, in ``network.parameter_names()`` order.

* ``weights`` — two named parameters: u, v the unit vectors on them, the origin the current weights with those
  two at 0, so a and b are the two parameters' values (the classic two-weight surface);
* ``gradient`` — through the current weights: u = −∇E/|∇E|, v the Hessian's top eigenvector made orthogonal to u
  and normalised (the next eigenvector when the top one is parallel to u): the plane of the step and of the
  steepest curvature;
* ``pca`` — through the last row of a recorded :class:`~bpgui.core.trajectory.Trajectory`: u, v the top two
  principal directions of its rows (centred by their mean); :func:`path_on_plane` projects the path onto it;
* ``random`` — two seeded Gaussian directions, filter-normalised as in Li et al. 2018: for each neuron, the block
  of its incoming edge weights is scaled to the norm of that neuron's current incoming weights; biases 0.

:func:`plane_loss` computes E on a grid without a forward pass per grid point where it can: a plane along two
single parameters is the fast two-parameter surface (:func:`~bpgui.core.surface.loss_surface`); any other plane
starts from one forward pass at the origin, leaves the layers before the first one it changes as they are, gives
that first layer's net inputs as W0·A + a·(U·A) + b·(V·A) (three products, once), and only the layers after it run
per grid point, many grid points to one batched product. A plane that moves the first layer costs about a forward
pass per grid point without Python's overhead per point; one through the last layer a few times less (the
figures: bench/bench_surface.py --planes).

With a weight decay (``decay``, see regularization.py) E is the total E + R throughout: the gradient plane's
directions, the path's losses and the grid, where R is added in float64 (:func:`~.regularization.penalty_on_plane`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .curvature import Objective, eigenpairs, unit
from .engine import Engine
from .network import Network, parse_parameter_name
from .regularization import WeightDecay, is_weight, penalty_on_plane
from .surface import (
    DEFAULT_SPAN,
    SurfaceCancelled,
    _check_names,
    _data,
    _grid_size,
    _grid_values,
    _window,
    loss_surface,
)
from .trajectory import Trajectory

PLANES = ("weights", "gradient", "pca", "random")
#: default half-width of the window (in a, b) per plane; pca's window fits the path instead
DEFAULT_SPANS = {"weights": DEFAULT_SPAN, "gradient": DEFAULT_SPAN, "random": 1.0, "pca": DEFAULT_SPAN}
#: a pca window reaches this fraction of the path's extent beyond it on each side
PATH_MARGIN = 0.25
#: the first changed layer takes W0·A + a·(U·A) + b·(V·A) (four passes over its net inputs) instead of a product
#: per grid point when at least this many rows feed it (measured: slower with the 3 rows of a 2-input first layer)
FIXED_PRODUCTS = 8
#: a remainder of the eigenvector orthogonal to u shorter than this counts as parallel to u
PARALLEL = 1e-6


class PlaneError(ValueError):
    """A plane that cannot be formed (e.g. ∇E = 0, a path that does not move)."""


@dataclass(frozen=True)
class Plane:
    kind: str  # one of PLANES
    names: tuple[str, ...]  # parameter names, document order
    origin: np.ndarray  # (P,) the point at a = b = 0
    u: np.ndarray  # (P,) the direction of a (x)
    v: np.ndarray  # (P,) the direction of b (y)
    x_label: str  # what a is, for an axis
    y_label: str
    explained: float | None = None  # pca: the share of the path's variance (about its mean) the plane holds

    def point(self, a: float, b: float) -> np.ndarray:
        """The parameters at (a, b)."""
        return self.origin + a * self.u + b * self.v

    def parameters(self, a: float, b: float) -> dict[str, float]:
        return dict(zip(self.names, self.point(a, b).tolist()))

    def project(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of parameters (T × P) onto the plane: (a, b, distance from the plane), by least squares (exact
        coordinates for orthonormal u, v)."""
        d = np.atleast_2d(values) - self.origin
        basis = np.column_stack([self.u, self.v])
        coef, *_ = np.linalg.lstsq(basis, d.T, rcond=None)
        rest = d - (basis @ coef).T
        return coef[0], coef[1], np.linalg.norm(rest, axis=1)


def _read_only(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


def _current(network: Network) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(network.parameter_names())
    return names, np.array([network.get_parameter(n) for n in names], dtype=np.float64)


# ---------------------------------------------------------------------------------------------- the planes
def weights_plane(network: Network, x_name: str, y_name: str) -> Plane:
    """u, v the unit vectors on two parameters; the origin the current weights with those two at 0."""
    _check_names(network, x_name, y_name)
    names, w = _current(network)
    i, j = names.index(x_name), names.index(y_name)
    w[[i, j]] = 0.0
    u, v = np.zeros(len(names)), np.zeros(len(names))
    u[i] = v[j] = 1.0
    return Plane("weights", names, _read_only(w), _read_only(u), _read_only(v), x_name, y_name)


def gradient_plane(network: Network, x, t, movable=None, seed: int = 0, decay: WeightDecay | None = None) -> Plane:
    """Through the current weights: u = −∇E/|∇E|, v the Hessian's top eigenvector (over the ``movable``
    parameters, default all) made orthogonal to u. PlaneError when ∇E is 0 or not finite, or no second
    direction exists."""
    engine = Engine(network, decay)
    x, t = _data(engine, x, t)
    names = tuple(engine.parameter_names)
    movable = names if movable is None else tuple(movable)
    obj = Objective(engine, x, t, movable)
    w = obj.w0.copy()
    with np.errstate(all="ignore"):
        try:
            _, g = obj.gradient(w)
            g_unit, _ = unit(g)
            if g_unit is None:
                why = "is 0" if np.isfinite(g).all() else "is not finite"
                raise PlaneError(f"cannot form the gradient plane: ∇E {why} at the current weights")
            values, vectors = eigenpairs(obj, w, seed=seed)
        finally:
            obj.restore()
    if not np.isfinite(values).all():
        raise PlaneError("cannot form the gradient plane: the Hessian is not finite at the current weights")
    u_sub = -g_unit
    v_sub = None
    for k in np.argsort(values)[::-1]:  # the top eigenvector, or the next one not parallel to u
        rest = vectors[:, k] - (vectors[:, k] @ u_sub) * u_sub
        if np.linalg.norm(rest) > PARALLEL:
            v_sub = rest / np.linalg.norm(rest)
            v_sub -= (v_sub @ u_sub) * u_sub  # once more, for orthogonality to the last bit
            v_sub /= np.linalg.norm(v_sub)
            break
    if v_sub is None:
        raise PlaneError("cannot form the gradient plane: the Hessian has no eigenvector apart from −∇E "
                         f"({len(movable)} parameter{'s' if len(movable) != 1 else ''} can move)")
    where = np.array([names.index(n) for n in movable], dtype=np.intp)
    u, v = np.zeros(len(names)), np.zeros(len(names))
    u[where], v[where] = u_sub, v_sub
    _, w_all = _current(network)
    return Plane("gradient", names, _read_only(w_all), _read_only(u), _read_only(v), "−∇E direction",
                 "top curvature direction")


def pca_plane(network: Network, trajectory: Trajectory) -> Plane:
    """Through the trajectory's last row: u, v its rows' top two principal directions (rows centred by their
    mean); ``explained`` the share of their variance the two hold. Each direction's sign makes its largest
    component positive. PlaneError when the path does not move."""
    names = tuple(network.parameter_names())
    trajectory.check_names(names)
    rows = trajectory.values
    if len(names) < 2:
        raise PlaneError("cannot form the pca plane: the network has fewer than two parameters")
    if len(rows) < 2:
        raise PlaneError("cannot form the pca plane: the trajectory has only one row")
    centred = rows - rows.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    if not s[0] > 1e-12 * max(1.0, float(np.abs(rows).max())) * np.sqrt(rows.size):  # rounding of the mean
        raise PlaneError("cannot form the pca plane: the trajectory does not move")
    if len(s) < 2:  # one parameter row can't happen (P ≥ 2), but T = 2 rows give two singular vectors anyway
        raise PlaneError("cannot form the pca plane: fewer than two principal directions")
    u, v = vt[0].copy(), vt[1].copy()
    for d in (u, v):
        if d[np.argmax(np.abs(d))] < 0:
            d *= -1.0
    explained = float((s[0] ** 2 + s[1] ** 2) / np.sum(s**2))
    return Plane("pca", names, _read_only(rows[-1]), _read_only(u), _read_only(v), "PC 1", "PC 2",
                 explained=explained)


def random_directions(network: Network, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two filter-normalised Gaussian directions (names order): see :func:`random_plane`."""
    names, w = _current(network)
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((2, len(names)))
    blocks: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        ref = parse_parameter_name(name)
        if isinstance(ref, tuple):
            blocks.setdefault(ref[1], []).append(i)
        else:
            d[:, i] = 0.0  # biases: 0
    for idx in blocks.values():
        target = float(np.linalg.norm(w[idx]))
        for k in range(2):
            n = float(np.linalg.norm(d[k, idx]))
            d[k, idx] *= target / n if n > 0 else 0.0
    return d[0], d[1]


def random_plane(network: Network, seed: int = 0) -> Plane:
    """Through the current weights: two seeded random directions, filter-normalised per neuron (Li et al.): the
    block of a neuron's incoming edge weights has the norm of its current incoming weights; bias entries 0.
    PlaneError when every weight is 0 (both directions would be 0)."""
    names, w = _current(network)
    u, v = random_directions(network, seed)
    if not (np.any(u) and np.any(v)):
        raise PlaneError("cannot form the random plane: every weight is 0, so filter-normalised directions are 0")
    return Plane("random", names, _read_only(w), _read_only(u), _read_only(v), f"random 1 (seed {seed})",
                 f"random 2 (seed {seed})")


def project_gradient(plane: Plane, names, gradient) -> tuple[float, float, float]:
    """−∇E on the plane, from ``gradient`` (∂E/∂p over the parameters ``names``, any order holding the plane's):
    (a, b, share) with a = −gᵀu, b = −gᵀv — minus the gradient of E(a, b) at the point, what arrows on the plane's
    picture show (at right angles to its contour lines) — and ``share`` = |∇E projected onto span(u, v)| / |∇E|, the
    share of |∇E| the plane holds: √(a² + b²)/|g| for orthonormal u, v (gradient, pca planes), a least-squares
    projection otherwise (random). Entries of u, v that are 0 (parameters a plane leaves alone) take no part.
    ``share`` is NaN when ∇E is 0 or not finite; KeyError when a plane parameter is missing from ``names``."""
    where = {n: k for k, n in enumerate(names)}
    g = np.asarray(gradient, dtype=np.float64)[[where[n] for n in plane.names]]
    a, b = -float(g @ plane.u), -float(g @ plane.v)
    size = float(np.linalg.norm(g))
    if not (np.isfinite(size) and size > 0):
        return a, b, float("nan")
    basis = np.column_stack([plane.u, plane.v])
    coef, *_ = np.linalg.lstsq(basis, g, rcond=None)
    return a, b, float(np.linalg.norm(basis @ coef)) / size


# ---------------------------------------------------------------------------------------------- the path
@dataclass(frozen=True)
class PathOnPlane:
    x: np.ndarray  # (T,) each row's coordinates on the plane
    y: np.ndarray
    residual: np.ndarray  # (T,) its distance from the plane
    loss: np.ndarray  # (T,) the true E at the row
    plane_loss: np.ndarray  # (T,) E on the plane at the projected point


def path_on_plane(network: Network, x, t, plane: Plane, trajectory: Trajectory,
                  decay: WeightDecay | None = None) -> PathOnPlane:
    """The trajectory projected onto ``plane``, with the true E along it and E on the plane under it."""
    trajectory.check_names(plane.names)
    px, py, res = plane.project(trajectory.values)
    engine = Engine(network, decay)
    x, t = _data(engine, x, t)
    order = np.array([engine.index[n] for n in plane.names], dtype=np.intp)
    true, flat = np.empty(len(px)), np.empty(len(px))
    with np.errstate(all="ignore"):
        for i, row in enumerate(trajectory.values):
            engine.params[order] = row
            true[i] = engine.loss_value(x, t)
            engine.params[order] = plane.point(px[i], py[i])
            flat[i] = engine.loss_value(x, t)
    return PathOnPlane(*(_read_only(a) for a in (px, py, res, true, flat)))


# ---------------------------------------------------------------------------------------------- E on the plane
def _single_axis(plane: Plane) -> tuple[int, int, float, float] | None:
    """(i, j, cu, cv) when u = cu·e_i and v = cv·e_j with i ≠ j: a two-parameter surface."""
    iu, iv = np.flatnonzero(plane.u), np.flatnonzero(plane.v)
    if len(iu) == 1 and len(iv) == 1 and iu[0] != iv[0]:
        return int(iu[0]), int(iv[0]), float(plane.u[iu[0]]), float(plane.v[iv[0]])
    return None


def plane_loss(network: Network, x, t, plane: Plane, x_values, y_values, chunk_bytes: int = 4 << 20,
               keep_going: Callable[[], bool] | None = None, decay: WeightDecay | None = None) -> np.ndarray:
    """E over the grid: ``[i, j]`` = E at origin + x_values[j]·u + y_values[i]·v, float64, on sample-major data
    ``x``, ``t``. ``keep_going()`` is called before each chunk of the grid (false: SurfaceCancelled). With
    ``decay``, E + R."""
    xv, yv = _grid_values(x_values, "x"), _grid_values(y_values, "y")
    net = network.copy()
    net.set_parameters(dict(zip(plane.names, plane.origin.tolist())))
    axes = _single_axis(plane)
    if axes is not None:
        i, j, cu, cv = axes
        return loss_surface(net, x, t, plane.names[i], plane.names[j], plane.origin[i] + cu * xv,
                            plane.origin[j] + cv * yv, keep_going=keep_going, decay=decay)
    engine = Engine(net)
    x, t = _data(engine, x, t)
    with np.errstate(all="ignore"):
        e = _PlaneRun(engine, plane, x, t).run(xv, yv, chunk_bytes, keep_going)
        if decay is not None:
            weights = np.array([is_weight(n) for n in plane.names], dtype=bool)
            e += penalty_on_plane(decay, plane.origin[weights], plane.u[weights], plane.v[weights], xv, yv)
    return e


def naive_plane_loss(network: Network, x, t, plane: Plane, x_values, y_values,
                     decay: WeightDecay | None = None) -> np.ndarray:
    """The reference: the engine's loss with its parameters set to each grid point, one forward pass each."""
    xv, yv = _grid_values(x_values, "x"), _grid_values(y_values, "y")
    engine = Engine(network, decay)
    x, t = _data(engine, x, t)
    order = np.array([engine.index[n] for n in plane.names], dtype=np.intp)
    e = np.empty((len(yv), len(xv)))
    with np.errstate(all="ignore"):
        for i, bv in enumerate(yv):
            for j, av in enumerate(xv):
                engine.params[order] = plane.point(av, bv)
                e[i, j] = engine.loss_value(x, t)
    return e


class _PlaneRun:
    """E at many points of a plane from one forward pass at its origin (see the module's notes)."""

    def __init__(self, engine: Engine, plane: Plane, x: np.ndarray, t: np.ndarray):
        e = self.engine = engine
        order = np.array([e.index[n] for n in plane.names], dtype=np.intp)
        self.U, self.V = np.zeros_like(e.W), np.zeros_like(e.W)
        self.U.reshape(-1)[order] = plane.u
        self.V.reshape(-1)[order] = plane.v
        ws = e.workspace(len(x))
        ws.load(x, t)
        self.e0 = e.loss_only(ws)
        self.T = ws.T.copy()  # K × N targets, compiled order
        self.n = len(x)
        changed = (self.U != 0).any(axis=1) | (self.V != 0).any(axis=1)
        off = 1 + e.n_in
        self.first = next((k for k, (c0, c1, _) in enumerate(e.layers) if changed[c0:c1].any()), None)
        if self.first is None:
            return
        self.r_fixed = e.layers[self.first][0] + off  # rows before the first changed layer: as at the origin
        self.a_fixed = ws.A[: self.r_fixed].copy()
        # the first changed layer sees only fixed rows: its net input is W0·A + a·(U·A) + b·(V·A), three products once
        c0, c1, _ = e.layers[self.first]
        self.first_parts = [m[c0:c1, : self.r_fixed] @ self.a_fixed for m in (e.W, self.U, self.V)]

    def run(self, xv: np.ndarray, yv: np.ndarray, chunk_bytes: int, keep_going) -> np.ndarray:
        """E at every (xv[j], yv[i]): shape (len(yv), len(xv)), in blocks of the grid of about ``chunk_bytes``."""
        if self.first is None:
            return np.full((len(yv), len(xv)), self.e0)
        e = self.engine
        per_point = 8 * self.n * (e.R + max(c1 - c0 for c0, c1, _ in e.layers))  # the rows and a layer's net
        points = max(1, chunk_bytes // per_point)
        cols = min(len(xv), points)
        rows = max(1, points // cols)
        out = np.empty((len(yv), len(xv)))
        for i in range(0, len(yv), rows):
            for j in range(0, len(xv), cols):
                if keep_going is not None and not keep_going():
                    raise SurfaceCancelled("the error surface was cancelled")
                ys, xs = yv[i : i + rows], xv[j : j + cols]
                a, b = np.tile(xs, len(ys)), np.repeat(ys, len(xs))
                out[i : i + len(ys), j : j + len(xs)] = self._chunk(a, b).reshape(len(ys), len(xs))
        return out

    def _chunk(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """E at the points (a[p], b[p]): a forward pass per point from the first changed layer on, all points in
        one batched product per layer (W(a, b) = W0 + a·U + b·V where the plane moves that layer's weights)."""
        e, n, rf = self.engine, self.n, self.r_fixed
        m = len(a)
        ac, bc = a[:, None, None], b[:, None, None]
        off = 1 + e.n_in
        rows = np.empty((m, e.R, n))  # per grid point, every row of A
        rows[:, :rf] = self.a_fixed
        net = None
        for c0, c1, groups in e.layers[self.first :]:
            r0 = c0 + off
            if r0 == rf and rf >= FIXED_PRODUCTS:
                f0, fu, fv = self.first_parts
                net = f0 + ac * fu + bc * fv  # m × k × N
            else:
                w0, uw, vw = e.W[c0:c1, :r0], self.U[c0:c1, :r0], self.V[c0:c1, :r0]
                w = w0 + ac * uw + bc * vw if uw.any() or vw.any() else w0  # m × k × rows, or shared
                net = np.matmul(w, rows[:, :r0])  # m × k × N
            for name, g0, g1 in groups:
                ACTIVATIONS[name].forward(net[:, g0 - c0 : g1 - c0], rows[:, g0 + off : g1 + off])
        k = e.K
        z = np.ascontiguousarray(net.transpose(1, 0, 2)).reshape(k, m * n)
        y = np.ascontiguousarray(rows[:, e.R - k :].transpose(1, 0, 2)).reshape(k, m * n)
        t = np.broadcast_to(self.T[:, None, :], (k, m, n)).reshape(k, m * n)
        return e.loss.sample_losses(z, y, t).reshape(m, n).mean(axis=1)


# ---------------------------------------------------------------------------------------------- windows
@dataclass(frozen=True)
class PlaneSurface:
    plane: Plane
    x: np.ndarray  # (Gx,) increasing a values
    y: np.ndarray  # (Gy,)
    loss: np.ndarray  # (Gy, Gx): loss[i, j] = E at plane.point(x[j], y[i])
    path: PathOnPlane | None = None


def path_window(path: PathOnPlane, axis: str) -> tuple[float, float]:
    """A range around the path's coordinates along ``axis`` ('x' or 'y'), with PATH_MARGIN of their extent (at
    least ±DEFAULT_SPAN/4 around 0 and the path) on each side."""
    c = np.append(path.x if axis == "x" else path.y, 0.0)
    lo, hi = float(c.min()), float(c.max())
    pad = max(PATH_MARGIN * (hi - lo), DEFAULT_SPAN / 4)
    return lo - pad, hi + pad


def plane_surface(network: Network, x, t, plane: Plane, grid=64, span: float | None = None, x_range=None,
                  y_range=None, trajectory: Trajectory | None = None,
                  keep_going: Callable[[], bool] | None = None, decay: WeightDecay | None = None) -> PlaneSurface:
    """E on a ``grid`` × ``grid`` grid of the plane (or ``grid`` = (values along x, along y)): over ``x_range`` /
    ``y_range`` where given, else ± ``span`` around the plane's centre (the two parameters' values for
    ``weights``, 0 for the others) with DEFAULT_SPANS per kind; a pca plane without a span fits the window to the
    path. With ``trajectory``, the path projected onto the plane comes along. With ``decay``, E + R."""
    gx, gy = _grid_size(grid)
    path = None if trajectory is None else path_on_plane(network, x, t, plane, trajectory, decay)
    centre = (0.0, 0.0)
    if plane.kind == "weights":
        centre = tuple(network.get_parameter(n) for n in (plane.x_label, plane.y_label))
    if x_range is None and span is None and path is not None and plane.kind == "pca":
        x_range, y_range = path_window(path, "x"), path_window(path, "y")
    half = DEFAULT_SPANS[plane.kind] if span is None else span
    xs = _window(centre[0], half, x_range, "x", gx)
    ys = _window(centre[1], half, y_range, "y", gy)
    e = plane_loss(network, x, t, plane, xs, ys, keep_going=keep_going, decay=decay)
    e.flags.writeable = False
    return PlaneSurface(plane, xs, ys, e, path)


def make_plane(kind: str, network: Network, x, t, *, x_name: str | None = None, y_name: str | None = None,
               trajectory: Trajectory | None = None, seed: int = 0, movable=None,
               decay: WeightDecay | None = None) -> Plane:
    """The plane of ``kind`` (one of PLANES) for ``network``: what the CLI and a window ask for."""
    if kind == "weights":
        return weights_plane(network, x_name, y_name)
    if kind == "gradient":
        return gradient_plane(network, x, t, movable=movable, seed=seed, decay=decay)
    if kind == "pca":
        if trajectory is None:
            raise PlaneError("the pca plane needs a recorded trajectory")
        return pca_plane(network, trajectory)
    if kind == "random":
        return random_plane(network, seed)
    raise ValueError(f"unknown plane '{kind}' (choose from {', '.join(PLANES)})")

