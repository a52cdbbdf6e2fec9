"""Learning-rate schedules: the η of each optimizer step, as PyTorch's schedulers give it when stepped once after
every optimizer step.

With η₀ the base learning rate and k the number of optimizer steps made so far (step k + 1 uses η_k):

``step``         η_k = η_{k−1}·γ when k is a multiple of ``every``, else η_{k−1}    (StepLR(step_size, gamma))
``exponential``  η_k = η_{k−1}·γ                                                   (ExponentialLR(gamma))
``cosine``       η_k = η_min + (η_{k−1} − η_min)·(1 + cos(πk/T)) / (1 + cos(π(k−1)/T)), and at k = T + 1 + 2jT
                 (where that quotient is 0/0) η_k = η_{k−1} + (η₀ − η_min)·(1 − cos(π/T))/2
                                                                            (CosineAnnealingLR(T_max, eta_min))

These are PyTorch's recursive formulas, computed the same way so that the numbers agree to the last bit, not the
closed forms (η₀·γ^⌊k/every⌋, η₀·γᵏ, η_min + (η₀ − η_min)(1 + cos(πk/T))/2), which differ from them in the last
bits. Past T steps the cosine schedule goes back up (its period is 2T), as PyTorch's does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCHEDULE_KINDS = ("step", "exponential", "cosine")
#: each kind's fields (besides ``kind``), in a document's order
SCHEDULE_FIELDS = {"step": ("every", "factor"), "exponential": ("factor",), "cosine": ("steps", "min")}
MAX_SCHEDULE_STEPS = 10**9
#: the largest η_min (the largest learning rate a document may hold)
MAX_MIN_RATE = 1e6


def _whole(v, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SCHEDULE_STEPS:
        raise ValueError(f"{name} must be a whole number from 1 to {MAX_SCHEDULE_STEPS:,}, not {v!r}")
    return v


def _number(v, name: str, lo: float, hi: float, lo_inclusive: bool) -> float:
    ok = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and (
        lo <= v if lo_inclusive else lo < v) and v <= hi
    if not ok:
        raise ValueError(f"{name} must be {'at least' if lo_inclusive else 'above'} {lo:g} and at most {hi:g}, "
                         f"not {v!r}")
    return float(v)


@dataclass(frozen=True)
class Schedule:
    """One of SCHEDULE_KINDS with its fields: ``step`` (``every``, ``factor``), ``exponential`` (``factor``),
    ``cosine`` (``steps`` = T, ``min`` = η_min, default 0). A factor γ lies in (0, 1]: schedules decay."""

    kind: str
    every: int | None = None
    factor: float | None = None
    steps: int | None = None
    min: float | None = None

    def __post_init__(self):
        if self.kind not in SCHEDULE_KINDS:
            raise ValueError(f"kind: unknown schedule {self.kind!r} (choose from {', '.join(SCHEDULE_KINDS)})")
        wanted = SCHEDULE_FIELDS[self.kind]
        for name in ("every", "factor", "steps", "min"):
            given = getattr(self, name) is not None
            if given and name not in wanted:
                raise ValueError(f"{name}: a {self.kind} schedule has no {name} (it has {', '.join(wanted)})")
        if self.kind == "cosine" and self.min is None:
            object.__setattr__(self, "min", 0.0)
        for name in wanted:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: a {self.kind} schedule needs its {name}")
        if self.every is not None:
            _whole(self.every, "every")
        if self.steps is not None:
            _whole(self.steps, "steps")
        if self.factor is not None:
            object.__setattr__(self, "factor", _number(self.factor, "factor", 0.0, 1.0, False))
        if self.min is not None:
            object.__setattr__(self, "min", _number(self.min, "min", 0.0, MAX_MIN_RATE, True))

    def next_rate(self, rate: float, base: float, k: int) -> float:
        """η_k from η_{k−1} = ``rate`` (k ≥ 1), PyTorch's recursion (see the module's notes)."""
        if self.kind == "step":
            return rate * self.factor if k % self.every == 0 else rate
        if self.kind == "exponential":
            return rate * self.factor
        T, lo = self.steps, self.min
        if (k - 1 - T) % (2 * T) == 0:
            return rate + (base - lo) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * k / T)) / (1 + math.cos(math.pi * (k - 1) / T)) * (rate - lo) + lo

    def to_dict(self) -> dict:
        return {"kind": self.kind, **{name: getattr(self, name) for name in SCHEDULE_FIELDS[self.kind]}}

    def describe(self) -> str:
        """In words, e.g. "×0.5 every 100 steps"."""
        if self.kind == "step":
            return f"×{self.factor:g} every {self.every:,} step{'s' if self.every != 1 else ''}"
        if self.kind == "exponential":
            return f"×{self.factor:g} every step"
        return f"cosine down to {self.min:g} over {self.steps:,} step{'s' if self.steps != 1 else ''}"


class LearningRates:
    """η_k of a schedule (None: η₀ always) from base ``base``, for k counted from 0. Asking for k, k + 1, … costs
    one recursion step each; going back starts again from η₀ (k steps)."""

    def __init__(self, schedule: Schedule | None, base: float):
        self.schedule = schedule
        self.base = float(base)
        self._k = 0
        self._rate = self.base

    def at(self, k: int) -> float:
        if self.schedule is None:
            return self.base
        if k < self._k:
            self._k, self._rate = 0, self.base
        s, rate, base = self.schedule, self._rate, self.base
        for i in range(self._k + 1, k + 1):
            rate = s.next_rate(rate, base, i)
        self._k, self._rate = k, rate
        return rate


def learning_rates(schedule: Schedule | None, base: float, steps: int) -> list[float]:
    """η_0 … η_{steps−1}: the learning rate of each of the first ``steps`` optimizer steps."""
    rates = LearningRates(schedule, base)
    return [rates.at(k) for k in range(steps)]
