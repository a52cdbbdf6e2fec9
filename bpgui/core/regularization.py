"""Weight decay: a penalty R on the weights added to the data loss E, the one place its formula lives.

``l2``  R = (λ/2) Σ w²   ∂R/∂w = λ·w        (PyTorch's ``weight_decay`` of SGD and Adam: g ← g + λ·w)
``l1``  R = λ Σ |w|      ∂R/∂w = λ·sign(w)  (sign(0) = 0, as torch.sign)

The sums run over the edges' weights only, never the biases. The engine (engine.py) adds R to the loss and ∂R/∂w
to the gradient when it has a :class:`WeightDecay`, so training, the snapshots' gradient and every view built on
the engine see the total E + R; surface.py and planes.py add R over their grids with :meth:`WeightDecay.terms`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .network import parse_parameter_name

DECAY_KINDS = ("l2", "l1")
#: the largest λ a document may hold
MAX_LAMBDA = 1e6


def is_weight(name: str) -> bool:
    """Whether the parameter ``name`` is an edge's weight (``"a->b"``), which weight decay acts on, rather than a
    bias (``"b.bias"``), which it leaves alone."""
    return isinstance(parse_parameter_name(name), tuple)


def weight_names(names: Iterable[str]) -> tuple[str, ...]:
    """Of the parameter ``names``, the weights, in the same order."""
    return tuple(n for n in names if is_weight(n))


@dataclass(frozen=True)
class WeightDecay:
    """``kind`` (``l2`` or ``l1``) with strength ``lam`` = λ ≥ 0 (``"lambda"`` in a document)."""

    kind: str
    lam: float

    def __post_init__(self):
        if self.kind not in DECAY_KINDS:
            raise ValueError(f"kind: unknown weight decay {self.kind!r} (choose from {', '.join(DECAY_KINDS)})")
        lam = self.lam
        if lam is None:
            raise ValueError(f"lambda: an {self.kind} weight decay needs its lambda (λ)")
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not (
                math.isfinite(lam) and 0.0 <= lam <= MAX_LAMBDA):
            raise ValueError(f"lambda must be a number from 0 to {MAX_LAMBDA:g}, not {lam!r}")
        object.__setattr__(self, "lam", float(lam))

    # ------------------------------------------------------------------ the formula
    def terms(self, w) -> np.ndarray:
        """Each weight's share of R: (λ/2)·w² or λ·|w| (elementwise, for grids of values)."""
        w = np.asarray(w, dtype=float)
        return (0.5 * self.lam) * (w * w) if self.kind == "l2" else self.lam * np.abs(w)

    def penalty(self, w) -> float:
        """R over the weights ``w`` (an array of any shape; zeros, e.g. where there is no edge, add nothing)."""
        w = np.asarray(w, dtype=float).ravel()
        if self.kind == "l2":
            return 0.5 * self.lam * float(np.dot(w, w))
        return self.lam * float(np.abs(w).sum())

    def gradient(self, w, out: np.ndarray | None = None) -> np.ndarray:
        """∂R/∂w: λ·w or λ·sign(w) (0 where w is 0), into ``out`` if given."""
        w = np.asarray(w, dtype=float)
        if self.kind == "l2":
            return np.multiply(w, self.lam, out=out)
        out = np.sign(w, out=out)
        out *= self.lam
        return out

    def penalty_and_gradient(self, w: np.ndarray, out: np.ndarray) -> float:
        """R over ``w`` and ∂R/∂w into ``out`` (same shape, another contiguous array), allocating nothing: the
        training step's path."""
        if self.kind == "l2":
            np.multiply(w, self.lam, out=out)
            return 0.5 * float(np.vdot(out, w))
        np.sign(w, out=out)
        r = float(np.vdot(out, w))  # Σ sign(w)·w = Σ |w|
        out *= self.lam
        return self.lam * r

    # ------------------------------------------------------------------ words and files
    def to_dict(self) -> dict:
        return {"kind": self.kind, "lambda": self.lam}

    def formula(self) -> str:
        """The total loss in words, e.g. for a view's caption: "E + (λ/2)·Σw², λ = 0.001"."""
        r = "(λ/2)·Σw²" if self.kind == "l2" else "λ·Σ|w|"
        return f"E + {r}, λ = {self.lam:g}"


def penalty_on_plane(decay: WeightDecay, origin: np.ndarray, u: np.ndarray, v: np.ndarray, a_values, b_values,
                     block: int = 1 << 20) -> np.ndarray:
    """R at origin + a·u + b·v for every (a, b) of the grid, the vectors over the weights only: shape
    (len(b_values), len(a_values)), ``[i, j]`` at (a_values[j], b_values[i]). Worked out in blocks of about
    ``block`` numbers."""
    a = np.asarray(a_values, dtype=float)
    b = np.asarray(b_values, dtype=float)
    o, u, v = (np.asarray(x, dtype=float) for x in (origin, u, v))
    out = np.empty((len(b), len(a)))
    moving = (u != 0) | (v != 0)
    rest = decay.penalty(o[~moving])  # weights the plane does not move: a constant
    o, u, v = o[moving], u[moving], v[moving]
    if len(o) == 0:
        out.fill(rest)
        return out
    rows = max(1, block // (len(a) * len(o)))
    for i in range(0, len(b), rows):
        bs = b[i : i + rows]
        w = o + a[None, :, None] * u + bs[:, None, None] * v  # (rows, len(a), weights)
        out[i : i + len(bs)] = decay.terms(w).sum(axis=2) + rest
    return out
