"""When to stop training: a target loss, patience with the test loss, a step count.

A :class:`Stopper` is shown the losses at each *evaluation* (the caller decides how often: ``bpgui train`` makes
one before the first step and after every epoch, i.e. after every step for full-batch training) and says why to
stop, or None:

* ``until_loss`` X — the training loss (the data loss E on the whole training set, without a weight-decay
  penalty) is ≤ X;
* ``patience`` K — the test loss has not improved on its best (fallen below it) for K evaluations in a row;
* ``max_steps`` S — S optimizer steps are made.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class StopRule:
    until_loss: float | None = None
    patience: int | None = None
    max_steps: int | None = None

    def __post_init__(self):
        u = self.until_loss
        if u is not None and (isinstance(u, bool) or not isinstance(u, (int, float)) or not math.isfinite(u)):
            raise ValueError(f"the target loss must be a finite number, not {u!r}")
        for name in ("patience", "max_steps"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValueError(f"{name.replace('_', ' ')} must be a whole number of at least 1, not {v!r}")

    @property
    def needs_test_set(self) -> bool:
        return self.patience is not None


@dataclass(frozen=True)
class Stop:
    """Why a run stopped: ``rule`` is ``until_loss``, ``patience`` or ``max_steps``; ``message`` says it in words."""

    rule: str
    step: int
    message: str


class Stopper:
    """Applies a :class:`StopRule` to the losses of successive evaluations."""

    def __init__(self, rule: StopRule):
        self.rule = rule
        self.best_test = math.inf
        self.best_step: int | None = None
        self.since_best = 0  # evaluations since the best test loss

    def observe(self, step: int, train_loss: float | None, test_loss: float | None = None) -> Stop | None:
        """The losses of an evaluation made after ``step`` optimizer steps; a :class:`Stop` when the run should
        stop there."""
        rule = self.rule
        if rule.until_loss is not None and train_loss is not None and train_loss <= rule.until_loss:
            return Stop("until_loss", step, f"the training loss {train_loss:.6g} reached the target "
                                            f"{rule.until_loss:g}")
        if rule.patience is not None and test_loss is not None:
            if self.best_step is None or test_loss < self.best_test or (
                    math.isnan(self.best_test) and not math.isnan(test_loss)):  # the first, or better
                self.best_test, self.best_step, self.since_best = test_loss, step, 0
            else:
                self.since_best += 1
                if self.since_best >= rule.patience:
                    return Stop("patience", step, f"the test loss has not improved for {rule.patience} "
                                                  f"evaluation{'s' if rule.patience != 1 else ''} (best "
                                                  f"{self.best_test:.6g} at step {self.best_step:,})")
        if rule.max_steps is not None and step >= rule.max_steps:
            return Stop("max_steps", step, f"it made the {rule.max_steps:,} steps asked for")
        return None
