"""How E curves: Hessian–vector products and the Hessian's extreme eigenvalues.

* :class:`Objective` — E and ∇E over fixed samples as functions of some of the parameters only (the trainable
  ones), a vector aligned with their names;
* :func:`hessian_vector_product` — Hv = (∇E(w + εv) − ∇E(w − εv)) / 2ε, central differences of the analytic
  gradient (error O(ε²) from the third derivatives plus rounding of about u·|∇E|/ε: ~1e-8 relative with the
  step below, where E is smooth; across a relu kink no method gives a meaningful H);
* :func:`extreme_eigenvalues` — λ_min and λ_max of H: from the dense Hessian (one Hv per parameter) for small
  nets, from Lanczos iteration (with full reorthogonalisation) beyond;
* :func:`eigenpairs` — the eigenvalues with their eigenvectors (the dense Hessian's, or Lanczos' Ritz pairs), e.g.
  the top eigenvector for the gradient plane (planes.py);
* :class:`Curvature` — those with the curvature along a step and along the gradient, and 2/λ_max, the largest
  learning rate at which plain gradient descent on the quadratic model does not diverge.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine import Engine, Workspace

#: ε of a Hessian–vector product, relative to max(1, maxᵢ|wᵢ|) and for a unit v: the cube root of float64's
#: unit roundoff balances truncation (ε²) against rounding (u/ε)
HVP_STEP = 6e-6
#: Lanczos steps (2 gradients each); its extreme Ritz values converge first, and are exact once it spans
#: the space (a net of at most this many parameters)
LANCZOS_STEPS = 48
#: at most this many parameters: the dense Hessian (2 gradients per parameter, as many as Lanczos would take);
#: more: Lanczos. Measured on a 2-8-8-1 net (105 parameters, 200 samples): dense 9-31 ms, most of it eigvalsh
#: going multi-threaded on a busy 2-core machine; Lanczos 6 ms, with the same λ to 6 digits
DENSE_LIMIT = LANCZOS_STEPS


class Objective:
    """E and ∇E over the samples (x, t) as functions of the parameters ``names`` of ``engine`` (the others held
    at their values). It moves the engine's parameters while it works: :meth:`restore` puts them back. Not
    thread-safe; its own buffers, so the engine's other work is not disturbed between calls."""

    def __init__(self, engine: Engine, x: np.ndarray, t: np.ndarray, names):
        self.engine = engine
        self.names = tuple(names)
        self.index = np.array([engine.index[n] for n in self.names], dtype=np.intp)
        self.ws = Workspace(engine, len(x))
        self.ws.load(x, t)
        self.w0 = engine.params[self.index].copy()

    @property
    def size(self) -> int:
        return len(self.index)

    def loss(self, w: np.ndarray) -> float:
        self.engine.params[self.index] = w
        return self.engine.loss_only(self.ws)

    def gradient(self, w: np.ndarray) -> tuple[float, np.ndarray]:
        """(E(w), ∇E(w)), the gradient a new array."""
        self.engine.params[self.index] = w
        e = self.engine.loss_and_grad(self.ws)
        return e, self.ws.G.reshape(-1)[self.index]

    def restore(self) -> None:
        self.engine.params[self.index] = self.w0


def hessian_vector_product(obj: Objective, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H(w) v by central differences of the analytic gradient along the unit vector v/|v| (0 for v = 0)."""
    if not np.any(v):
        return np.zeros_like(w)
    u, norm = unit(v)
    if u is None:
        return np.full_like(w, np.nan)
    eps = HVP_STEP * max(1.0, float(np.max(np.abs(w), initial=0.0)))
    _, g_plus = obj.gradient(w + eps * u)
    _, g_minus = obj.gradient(w - eps * u)
    return (g_plus - g_minus) * (norm / (2 * eps))


def dense_hessian(obj: Objective, w: np.ndarray) -> np.ndarray:
    """H(w), one Hessian–vector product per column, symmetrised ((H + Hᵀ)/2 halves the differencing noise)."""
    n = len(w)
    h = np.empty((n, n))
    e = np.zeros(n)
    for i in range(n):
        e[i] = 1.0
        h[:, i] = hessian_vector_product(obj, w, e)
        e[i] = 0.0
    return (h + h.T) / 2


def lanczos_ritz_values(hvp: Callable[[np.ndarray], np.ndarray], n: int, steps: int,
                        rng: np.random.Generator) -> np.ndarray:
    """The Ritz values (ascending) of a symmetric operator of size n after at most ``steps`` Lanczos steps from a
    random start, with full reorthogonalisation. They lie within [λ_min, λ_max]; the extreme ones approach
    those first, and all are eigenvalues once the Krylov space is invariant (at the latest after n steps)."""
    return lanczos_ritz_pairs(hvp, n, steps, rng)[0]


def lanczos_ritz_pairs(hvp: Callable[[np.ndarray], np.ndarray], n: int, steps: int,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`lanczos_ritz_values`, with the Ritz vectors: (values ascending (m,), unit vectors (n, m), column
    i for value i). Not finite: ([nan], an n × 1 column of nan)."""
    steps = min(steps, n)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    basis = np.empty((steps, n))
    alpha, beta = [], []
    for j in range(steps):
        basis[j] = q
        z = hvp(q)
        if not np.isfinite(z).all():
            return np.full(1, np.nan), np.full((n, 1), np.nan)
        a = float(q @ z)
        alpha.append(a)
        for _ in range(2):  # twice is enough (Kahan): the basis stays orthogonal to the last bit
            z -= basis[: j + 1].T @ (basis[: j + 1] @ z)
        b = float(np.linalg.norm(z))
        scale = max(abs(a), *(abs(v) for v in beta), *(abs(v) for v in alpha))
        if j == steps - 1 or b <= 1e-10 * scale or b == 0.0:  # done, or an invariant subspace: T is exact
            break
        beta.append(b)
        q = z / b
    m = len(alpha)
    t = np.diag(alpha) + np.diag(beta[: m - 1], 1) + np.diag(beta[: m - 1], -1)
    values, y = np.linalg.eigh(t)
    return values, basis[:m].T @ y


def extreme_eigenvalues(obj: Objective, w: np.ndarray, dense_limit: int = DENSE_LIMIT,
                        lanczos_steps: int = LANCZOS_STEPS, seed: int = 0) -> tuple[float, float]:
    """(λ_min, λ_max) of H(w): exact (up to the differencing) for at most ``dense_limit`` parameters, else the
    extreme Ritz values of ``lanczos_steps`` Lanczos steps (inner bounds: λ_min from above, λ_max from below).
    NaN when H is not finite, or there are no parameters."""
    ev = eigenpairs(obj, w, dense_limit, lanczos_steps, seed, vectors=False)[0]
    return float(ev[0]), float(ev[-1])


def eigenpairs(obj: Objective, w: np.ndarray, dense_limit: int = DENSE_LIMIT, lanczos_steps: int = LANCZOS_STEPS,
               seed: int = 0, vectors: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """H(w)'s eigenvalues, ascending, and (with ``vectors``) unit eigenvectors as columns: all of them from the
    dense Hessian for at most ``dense_limit`` parameters, else the Ritz pairs of ``lanczos_steps`` Lanczos steps
    (the extreme ones converge first). ([nan], None or nan columns) when H is not finite or there are no
    parameters."""
    n = len(w)
    if n == 0:
        return np.full(1, np.nan), (np.zeros((0, 1)) if vectors else None)
    if n <= dense_limit:
        h = dense_hessian(obj, w)
        if not np.isfinite(h).all():
            return np.full(1, np.nan), (np.full((n, 1), np.nan) if vectors else None)
        if vectors:
            return np.linalg.eigh(h)
        return np.linalg.eigvalsh(h), None
    values, vecs = lanczos_ritz_pairs(lambda v: hessian_vector_product(obj, w, v), n, lanczos_steps,
                                      np.random.default_rng(seed))
    return values, (vecs if vectors else None)


def curvature_along(obj: Objective, w: np.ndarray, v: np.ndarray) -> float:
    """vᵀH(w)v / vᵀv, the curvature of E along v (NaN for v = 0), from the unit vector v/|v| (so a huge v does not
    overflow)."""
    u, _ = unit(v)
    if u is None:
        return math.nan
    return float(u @ hessian_vector_product(obj, w, u))


def unit(v: np.ndarray) -> tuple[np.ndarray | None, float]:
    """(v/|v|, |v|), scaled first so that |v|² cannot overflow; (None, nan) for v = 0 or a v that is not finite."""
    m = float(np.max(np.abs(v), initial=0.0))
    if m == 0.0 or not math.isfinite(m):
        return None, math.nan
    u = v / m
    n = float(np.linalg.norm(u))
    return u / n, m * n


@dataclass(frozen=True)
class Curvature:
    lambda_max: float  # the Hessian's largest eigenvalue
    lambda_min: float  # its smallest (negative away from a minimum, where E curves down somewhere)
    along_step: float  # ΔwᵀHΔw / ΔwᵀΔw
    along_gradient: float  # gᵀHg / gᵀg

    @property
    def stable_learning_rate(self) -> float | None:
        """2/λ_max: on the quadratic model, plain gradient descent converges only for η below it (None when
        λ_max ≤ 0: no direction curves up, and no step size is too large for the quadratic model)."""
        if not self.lambda_max > 0:
            return None
        return 2.0 / self.lambda_max
