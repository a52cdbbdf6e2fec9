"""The error surface E(p_a, p_b): the training loss over a grid of two parameters, all others held at their values.

Fast, without a forward pass per grid point (α, β are the two parameters, α the one whose neuron comes first):

* One forward pass at the current parameters gives every row of A. Neurons that neither parameter reaches keep
  those outputs; neurons that reach no output are left out.
* A neuron's net input splits into a fixed part, from the rows that do not change (computed once), and the rest:
  ``net_j = fixed_j + W[j, changed] @ A[changed] (+ α·out_src if α is one of its parameters; out_src = 1 for a
  bias)``. A varied weight changes one neuron, so until the next layer it is one row per grid value.
* Each changed neuron depends on α only, on β only, or on both. The α-only ones are computed once per α value
  (G × N values), the β-only ones once per β value, and only those depending on both per grid point (G² × N),
  in chunks of the grid of about ``chunk_bytes``. Values are laid out as (neurons, α, β, samples): a layer is a
  matrix product (a broadcast product for a single changed row) and broadcasting adds the parts.
* The loss is reduced per grid point with the engine's definitions (losses.py): half_sse and mse from the
  outputs (for sigmoid outputs as y − t = ½ (tanh(z/2) − (2t − 1)), two passes fewer), bce as softplus(z) − t·z
  and cross-entropy as log-sum-exp(z) − t·z from the outputs' net inputs, so both stay finite.
* In float32 the grid values, the data and every intermediate are float32 (about 3× faster; the losses agree
  with float64 to about 1e-6 · max(1, |E|)); the base forward pass is float64 either way.
* With a weight decay (``decay``, see regularization.py) the surface is of the total E + R: R is added in float64,
  the weights held still as one constant and each varied weight's own term along its axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import ACTIVATIONS
from .engine import Engine
from .network import Network, NetworkError, parse_parameter_name
from .regularization import WeightDecay, is_weight

DEFAULT_SPAN = 2.0  # half-width of the default window around the current values
MAX_GRID = 1024

_A, _B, _AB = 1, 2, 3  # what a value depends on: bit 1 the first parameter (α), bit 2 the second (β)
#: n·m·columns per matmul call: below OpenBLAS's threshold for using more threads (65536 · 4), because its
#: worker threads keep spinning after a threaded call and then slow the elementwise work that follows (here, on
#: 2 cores, by up to 2×; the products themselves are a small part of the work)
_BLAS_BLOCK = 1 << 18
_rowdot = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("...n,...n->...", a, b))  # vecdot: numpy ≥ 2


class SurfaceCancelled(Exception):
    """``keep_going()`` returned false: the surface was not finished."""


@dataclass(frozen=True)
class Surface:
    x_name: str
    y_name: str
    x: np.ndarray  # (Gx,) increasing values of the x parameter (read-only)
    y: np.ndarray  # (Gy,)
    loss: np.ndarray  # (Gy, Gx): loss[i, j] = E at (x[j], y[i]) (read-only; NaN/inf where the loss is not finite)
    center: tuple[float, float]  # the two parameters' values in the network


# ---------------------------------------------------------------------------------------------- checks
def _check_parameter(network: Network, name) -> None:
    ref = parse_parameter_name(name)  # its message names the text
    try:
        network.get_parameter(name)
    except NetworkError as e:
        if isinstance(ref, str) and ref in network.neurons:  # an input's bias: the message says so
            raise
        raise NetworkError(f"unknown parameter '{name}' ({e})") from None


def _check_names(network: Network, x_name, y_name) -> None:
    _check_parameter(network, x_name)
    _check_parameter(network, y_name)
    if x_name == y_name:
        raise ValueError(f"the x and y parameters must differ (both are '{x_name}')")


def _grid_values(values, axis: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
        raise ValueError(f"the {axis} values must be a non-empty list of finite numbers")
    return v


def _data(engine: Engine, x, t) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] != engine.n_in:
        raise ValueError(f"the inputs must be an N × {engine.n_in} array with N ≥ 1, not of shape {x.shape}")
    if t.shape != (x.shape[0], engine.K):
        raise ValueError(f"the targets must be an N × {engine.K} array like the inputs, not of shape {t.shape}")
    return x, t


# ---------------------------------------------------------------------------------------------- the plan
@dataclass
class _Step:
    """Neurons of one layer that depend on the same parameters (for the output layer: every output)."""

    cls: int  # _A, _B or _AB
    rows: np.ndarray  # their rows of A, increasing
    runs: list  # (activation, start, stop): the positions in ``rows`` of each activation group
    fixed: np.ndarray  # (n, 1, 1, N): the net input from the rows that do not change
    sources: list  # (earlier step, its weights into these neurons: n × its size)
    varied: list  # (position, 0 for α or 1 for β, the source's class, its row: (N,) values or (step, position))


class _Plan:
    """The steps that compute E(α, β) from one forward pass at the current parameters (see the module's notes)."""

    def __init__(self, engine: Engine, pa: tuple[int, int], pb: tuple[int, int], x, t, dtype):
        e = self.engine = engine
        self.dtype, self.n = dtype, len(x)
        off = 1 + e.n_in
        self.e0 = e.loss_value(x, t)
        a0 = e.workspace(len(x)).A  # every row at the current parameters
        w = e.W.copy()
        w[pa] = w[pb] = 0.0  # their terms are added per grid value
        eff = w != 0.0  # the edges that carry something
        eff[pa] = eff[pb] = True
        live = np.zeros(e.C, dtype=bool)  # the neurons with a path to an output
        live[e.C - e.K :] = True
        for c0, c1, _ in reversed(e.layers[:-1]):
            live[c0:c1] = eff[c1:][live[c1:]][:, c0 + off : c1 + off].any(axis=0)
        dep = np.zeros(e.R, dtype=np.int8)  # per row: _A, _B, _AB or 0 (unchanged)
        where: dict[int, tuple[int, int]] = {}  # changed row -> (step, position)
        self.steps: list[_Step] = []
        self.output: _Step | None = None
        for c0, c1, groups in e.layers:
            r0 = c0 + off
            sub = eff[c0:c1, :r0]
            d = np.where(sub[:, (dep[:r0] & _A) != 0].any(axis=1), _A, 0)
            d |= np.where(sub[:, (dep[:r0] & _B) != 0].any(axis=1), _B, 0)
            for (j, _), bit in ((pa, _A), (pb, _B)):
                if c0 <= j < c1:
                    d[j - c0] |= bit
            d[~live[c0:c1]] = 0
            dep[r0 : r0 + c1 - c0] = d
            if c1 == e.C:  # the outputs: one step for all of them, so the loss sees every output
                cls = int(np.bitwise_or.reduce(d))
                if cls:
                    self.output = self._step(cls, r0, np.arange(c0, c1), groups, w, a0, dep, where, (pa, pb))
                break
            for cls in (_A, _B, _AB):
                cols = c0 + np.flatnonzero(d == cls)
                if len(cols):
                    step = self._step(cls, r0, cols, groups, w, a0, dep, where, (pa, pb))
                    where.update({int(r): (len(self.steps), i) for i, r in enumerate(step.rows)})
                    self.steps.append(step)
        # sigmoid outputs with half_sse or mse: y − t = ½ (tanh(z/2) − (2t − 1)), three passes fewer than y − t;
        # the output step computes z/2 directly (its fixed part and weights halved here, α and β when it runs)
        self.halved = not e.loss.fused and self.output is not None and [
            act.name for act, _, _ in self.output.runs] == ["sigmoid"]
        if self.halved:
            self.output.fixed *= 0.5
            self.output.sources = [(s, 0.5 * w) for s, w in self.output.sources]
        doc_order = {nid: i for i, nid in enumerate(e.output_ids)}
        t = t.T[[doc_order[nid] for nid in e.row_ids[e.R - e.K :]]]  # K × N, in the compiled order of the outputs
        self.t = np.ascontiguousarray(2.0 * t - 1.0 if self.halved else t, dtype=dtype)
        self.t_sum = t.sum(axis=0).astype(dtype)  # Σₖ tₙₖ, for cross-entropy

    def _step(self, cls, r0, cols, groups, w, a0, dep, where, params) -> _Step:
        dt = self.dtype
        wj = w[cols, :r0]
        keep = dep[:r0] == 0
        fixed = wj[:, keep] @ a0[:r0][keep]
        sources = [(s, wj[:, st.rows].astype(dt)) for s, st in enumerate(self.steps)
                   if st.rows[0] < r0 and st.cls & cls == st.cls and wj[:, st.rows].any()]
        varied = []
        for which, (j, r) in enumerate(params):
            pos = np.flatnonzero(cols == j)
            if len(pos):
                varied.append((int(pos[0]), which, int(dep[r]), a0[r].astype(dt) if dep[r] == 0 else where[r]))
        runs = []
        for name, g0, g1 in groups:
            i0, i1 = (int(i) for i in np.searchsorted(cols, [g0, g1]))
            if i1 > i0:
                runs.append((ACTIVATIONS[name], i0, i1))
        n = len(cols)
        return _Step(cls, cols + 1 + self.engine.n_in, runs, fixed.astype(dt).reshape(n, 1, 1, -1), sources, varied)

    # ------------------------------------------------------------------ evaluation
    def run(self, av: np.ndarray, bv: np.ndarray, chunk_bytes: int, keep_going) -> np.ndarray:
        """E at every (α, β) of the grid: shape (len(av), len(bv)), float64."""
        shape = (len(av), len(bv))
        if self.output is None:  # neither parameter reaches an output
            return np.full(shape, self.e0)
        dt, n = self.dtype, self.n
        cls = self.output.cls
        av = np.asarray(av if cls & _A else av[:1], dtype=dt).reshape(-1, 1, 1)  # a value not used: one column
        bv = np.asarray(bv if cls & _B else bv[:1], dtype=dt).reshape(1, -1, 1)
        na, nb = len(av), bv.shape[1]
        both = [s for s in self.steps if s.cls == _AB] + [self.output]
        row = np.dtype(dt).itemsize * n  # bytes of one neuron's values at one grid point
        width = {c: sum(len(s.rows) for s in self.steps if s.cls == c) for c in (_A, _B)}
        # per grid point: the both-dependent neurons and outputs, and the loss's temporaries (K + 1 rows)
        p = max(1, chunk_bytes // (row * (sum(len(s.rows) for s in both) + len(self.output.rows) + 1)))
        # chunks of about ca × cb = p grid points, about square: the α-only and β-only parts of a chunk are
        # recomputed per chunk; those parts too stay within chunk_bytes
        cb = min(nb, max(1, math.isqrt(p)) if na > 1 else p, max(1, chunk_bytes // (row * max(width[_B], 1))))
        ca = min(na, max(1, p // cb), max(1, chunk_bytes // (row * max(width[_A], 1))))
        bufs = {id(s): np.empty(len(s.rows) * ca * cb * n, dtype=dt) for s in both}
        vals: list = [None] * len(self.steps)
        e = np.empty((na, nb))
        if cb == nb:
            self._compute(_B, vals, av[:1], bv, bufs)
        for a0 in range(0, na, ca):
            a_blk = av[a0 : a0 + ca]
            self._compute(_A, vals, a_blk, bv[:, :1], bufs)
            for b0 in range(0, nb, cb):
                if keep_going is not None and not keep_going():
                    raise SurfaceCancelled("the error surface was cancelled")
                b_blk = bv[:, b0 : b0 + cb]
                if cb < nb:
                    self._compute(_B, vals, a_blk, b_blk, bufs)
                z = self._compute(_AB, vals, a_blk, b_blk, bufs)
                e[a0 : a0 + len(a_blk), b0 : b0 + b_blk.shape[1]] = self._loss(z)
        return np.broadcast_to(e, shape)

    def _compute(self, cls: int, vals: list, av: np.ndarray, bv: np.ndarray, bufs: dict) -> np.ndarray | None:
        """The steps of class ``cls`` (for _AB, then the outputs) over α values ``av`` (ga × 1 × 1) and β values
        ``bv`` (1 × gb × 1). Returns the outputs' values (K × ga × gb × N) for _AB."""
        steps = [(i, s) for i, s in enumerate(self.steps) if s.cls == cls]
        if cls == _AB:
            steps.append((None, self.output))
        for i, step in steps:
            if step is self.output and self.halved:
                v = self._net(step, vals, 0.5 * av, 0.5 * bv, bufs[id(step)])  # z/2
                np.tanh(v, out=v)
                return v
            v = self._net(step, vals, av, bv, bufs.get(id(step)))
            if step is not self.output:
                _activate(step, v)
            elif not self.engine.loss.fused:  # bce and cross-entropy use the net input
                _activate(step, v)
            if i is None:
                return v
            vals[i] = v
        return None

    def _net(self, step: _Step, vals: list, av, bv, buf) -> np.ndarray:
        """net = fixed + Σ W[rows, source] @ A[source] + α·A[src_α] + β·A[src_β], the terms grouped by what they
        depend on and summed with broadcasting; the grid-point-sized array is ``buf``."""
        n, ga, gb, ns = len(step.rows), av.shape[0], bv.shape[1], self.n
        dims = {_A: (ga, 1), _B: (1, gb), _AB: (ga, gb)}

        def big():
            return buf[: n * ga * gb * ns].reshape(n, ga, gb, ns)

        parts: dict[int, np.ndarray] = {}
        for s, w in step.sources:
            v = vals[s]
            c = self.steps[s].cls
            if c in parts:
                parts[c] += _product(w, v)
            else:
                parts[c] = _product(w, v, big() if c == _AB else None)
        for pos, which, src_cls, src in step.varied:
            c = (_A, _B)[which] | src_cls
            if c not in parts:
                parts[c] = big() if c == _AB else np.empty((n, *dims[c], ns), dtype=self.dtype)
                parts[c].fill(0.0)
            parts[c][pos] += (av, bv)[which] * (src if isinstance(src, np.ndarray) else vals[src[0]][src[1]])
        pa, pb, pab = parts.get(_A), parts.get(_B), parts.get(_AB)
        if pa is not None:
            pa += step.fixed
        left = step.fixed if pa is None else pa
        if pab is not None:
            pab += left
            if pb is not None:
                pab += pb
            return pab
        if step.cls == _AB:
            return np.add(left, pb, out=big())
        if pb is not None:
            pb += left
            return pb
        return pa

    def _loss(self, v: np.ndarray) -> np.ndarray:
        """E per grid point from the outputs (half_sse, mse) or their net inputs (bce, cross-entropy), K × ga × gb
        × N (overwritten), with the engine's formulas."""
        name, t, n = self.engine.loss.name, self.t, self.n
        k = len(t)
        if name in ("half_sse", "mse"):
            v -= t[:, None, None, :]
            sq = _rowdot(v, v).sum(axis=0, dtype=np.float64)
            return sq * ((0.5 / n if name == "half_sse" else 1.0 / (n * k)) * (0.25 if self.halved else 1.0))
        # Σₙₖ tₙₖ zₙₖ per grid point
        tz = _rowdot(v, t[:, None, None, :]).sum(axis=0, dtype=np.float64)
        if name == "bce":  # Σ softplus(z) − t·z, softplus(z) = max(z, 0) + log1p(e^−|z|) (as np.logaddexp(z, 0))
            pos = np.maximum(v, 0.0)
            np.abs(v, out=v)
            np.negative(v, out=v)
            np.exp(v, out=v)
            np.log1p(v, out=v)
            v += pos
            return (v.sum(axis=(0, 3), dtype=np.float64) - tz) / n
        # cross-entropy: Σₙ logsumexpₖ(zₙ) Σₖ tₙₖ − t·z
        m = v.max(axis=0)
        v -= m
        np.exp(v, out=v)
        s = v.sum(axis=0)
        np.log(s, out=s)
        s += m
        return (_rowdot(s, self.t_sum).astype(np.float64) - tz) / n


def _activate(step: _Step, v: np.ndarray) -> None:
    """out = f(net) in place, per activation group."""
    for act, i0, i1 in step.runs:
        seg = v[i0:i1]
        act.forward(seg.copy() if act.name == "leaky_relu" else seg, seg)  # leaky_relu reads net after writing


def _product(w: np.ndarray, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``w @ v`` over the first axis of ``v`` (n × m times m × ga × gb × N), optionally into ``out``."""
    n, m = w.shape
    if m == 1:  # an outer product: broadcasting is several times faster than a matmul with k = 1
        return np.multiply(w.reshape(n, 1, 1, 1), v[0], out=out)
    v2 = v.reshape(m, -1)
    prod = np.empty((n, v2.shape[1]), dtype=v.dtype) if out is None else out.reshape(n, -1)
    step = max(1, _BLAS_BLOCK // (n * m))
    for c in range(0, v2.shape[1], step):
        np.matmul(w, v2[:, c : c + step], out=prod[:, c : c + step])
    return prod.reshape(n, *v.shape[1:])


# ---------------------------------------------------------------------------------------------- the API
def _positions(engine: Engine, name: str) -> tuple[int, int]:
    """(compiled column, row) of a parameter in W."""
    return divmod(engine.index[name], engine.R)


def loss_surface(network: Network, x, t, x_name: str, y_name: str, x_values, y_values, dtype=np.float64,
                 chunk_bytes: int = 8 << 20, keep_going: Callable[[], bool] | None = None,
                 decay: WeightDecay | None = None) -> np.ndarray:
    """E over the grid of ``x_values`` × ``y_values`` of two parameters, all others as in ``network``, on
    sample-major data ``x`` (N × inputs) and ``t`` (N × outputs). Returns (len(y_values), len(x_values)):
    ``[i, j]`` = E at (x_values[j], y_values[i]), float64 (computed in ``dtype``). ``keep_going()`` is called
    before each chunk of the grid; when it returns false the work stops with :class:`SurfaceCancelled`. With
    ``decay``, E + R."""
    _check_names(network, x_name, y_name)
    xv, yv = _grid_values(x_values, "x"), _grid_values(y_values, "y")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, not {np.dtype(dtype)}")
    engine = Engine(network)
    x, t = _data(engine, x, t)
    px, py = _positions(engine, x_name), _positions(engine, y_name)
    x_first = px[0] <= py[0]  # α: the parameter of the earlier neuron
    with np.errstate(all="ignore"):  # overflow shows as inf / nan in the surface, as in the engine
        plan = _Plan(engine, px if x_first else py, py if x_first else px, x, t, np.dtype(dtype).type)
        e = plan.run(xv, yv, chunk_bytes, keep_going) if x_first else plan.run(yv, xv, chunk_bytes, keep_going)
    e = np.array(e.T if x_first else e, dtype=np.float64, order="C")
    if decay is not None:
        e += penalty_grid(network, decay, x_name, y_name, xv, yv)
    return e


def penalty_grid(network: Network, decay: WeightDecay, x_name: str, y_name: str, x_values, y_values) -> np.ndarray:
    """R over the grid of two parameters (shape (len(y_values), len(x_values))), the other weights as in
    ``network``: their penalty, plus each varied weight's term along its axis (a bias adds nothing)."""
    held = [v for n, v in network.parameters().items() if n not in (x_name, y_name) and is_weight(n)]
    r = np.full((len(y_values), len(x_values)), decay.penalty(np.array(held)))
    if is_weight(x_name):
        r += decay.terms(x_values)[None, :]
    if is_weight(y_name):
        r += decay.terms(y_values)[:, None]
    return r


def naive_loss_surface(network: Network, x, t, x_name: str, y_name: str, x_values, y_values,
                       decay: WeightDecay | None = None) -> np.ndarray:
    """The reference: both parameters set in an engine and one forward pass per grid point (float64)."""
    _check_names(network, x_name, y_name)
    xv, yv = _grid_values(x_values, "x"), _grid_values(y_values, "y")
    engine = Engine(network, decay)
    x, t = _data(engine, x, t)
    e = np.empty((len(yv), len(xv)))
    with np.errstate(all="ignore"):
        for i, b in enumerate(yv):
            engine.set(y_name, b)
            for j, a in enumerate(xv):
                engine.set(x_name, a)
                e[i, j] = engine.loss_value(x, t)
    return e


def _window(center: float, span, value_range, axis: str, grid: int) -> np.ndarray:
    """``grid`` increasing values: over ``value_range`` (low, high), or centre ± span (with the centre itself in
    the middle when ``grid`` is odd)."""
    if value_range is None:
        try:
            half = float(span)
        except (TypeError, ValueError):
            half = math.nan
        if not (math.isfinite(half) and half > 0):
            raise ValueError(f"the span must be a positive finite number, not {span!r}")
        v = center + half * ((2 * np.arange(grid) - (grid - 1)) / (grid - 1))
    else:
        try:
            lo, hi = (float(v) for v in value_range)
        except (TypeError, ValueError):
            raise ValueError(f"the {axis} range must be two numbers (low, high), not {value_range!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"the {axis} range must be two finite numbers with low < high, not {lo:g} to {hi:g}")
        if math.isfinite(hi - lo):
            v = np.linspace(lo, hi, grid)
        else:  # wider than the largest float (e.g. -1e308 to 1e308): weights of the two ends, which cannot overflow
            f = np.arange(grid) / (grid - 1)
            v = lo * (1 - f) + hi * f
    v.flags.writeable = False
    return v


def _grid_size(grid) -> tuple[int, int]:
    """(values along x, values along y) from ``grid``: one whole number for both, or a pair."""
    sizes = tuple(grid) if isinstance(grid, (tuple, list)) and len(grid) == 2 else (grid, grid)
    for g in sizes:
        if isinstance(g, bool) or not isinstance(g, (int, np.integer)) or not 2 <= g <= MAX_GRID:
            raise ValueError(f"the grid must be a whole number from 2 to {MAX_GRID} (or two of them), not {grid!r}")
    return int(sizes[0]), int(sizes[1])


def surface(network: Network, x, t, x_name: str, y_name: str, grid=64, span: float = DEFAULT_SPAN,
            x_range=None, y_range=None, dtype=np.float32, keep_going: Callable[[], bool] | None = None,
            decay: WeightDecay | None = None) -> Surface:
    """E on a ``grid`` × ``grid`` grid (or ``grid`` = (values along x, values along y)) centred on the two
    parameters' current values ± ``span``, or over ``x_range`` / ``y_range`` (low, high) where given; see
    :func:`loss_surface` (with ``decay``: E + R)."""
    _check_names(network, x_name, y_name)
    gx, gy = _grid_size(grid)
    cx, cy = network.get_parameter(x_name), network.get_parameter(y_name)
    xs = _window(cx, span, x_range, "x", gx)
    ys = _window(cy, span, y_range, "y", gy)
    e = loss_surface(network, x, t, x_name, y_name, xs, ys, dtype=dtype, keep_going=keep_going, decay=decay)
    e.flags.writeable = False
    return Surface(x_name, y_name, xs, ys, e, (cx, cy))
