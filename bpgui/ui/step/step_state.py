"""What the step views share: the anatomy a snapshot carries, or why there is none to draw."""

from __future__ import annotations

import time

import numpy as np

from ...core.step_anatomy import StepAnatomy
from ...core.training_run import TrainingSnapshot

#: the step views' colours: a term that lowers E, one that raises it
DOWNHILL_COLOR = "#2166ac"
UPHILL_COLOR = "#e08214"
STATIONARY = ("∇E = 0: a stationary point. Every parameter's gradient is 0, so the step is 0 and there is "
              "nothing to take apart.")
WAITING = "working out the next step…"
#: while the run plays, a step view redraws at most this often (seconds): its numbers cannot be read faster, and
#: its bars, ticks and text cost several milliseconds of the window's time a frame
PLAYING_INTERVAL = 0.1


class DrawPace:
    """Whether a step view draws a snapshot: always when the run is not playing (a step, a pause, an edit), else
    at most every PLAYING_INTERVAL."""

    def __init__(self):
        self._last = -float("inf")

    def due(self, snap: TrainingSnapshot) -> bool:
        now = time.monotonic()
        if snap.playing and now - self._last < PLAYING_INTERVAL:
            return False
        self._last = now
        return True


def step_to_draw(snap: TrainingSnapshot | None) -> tuple[StepAnatomy | None, str]:
    """The snapshot's anatomy when there is a step to draw (else None), and a note for the caption: why there is
    nothing to draw, or what is special about the step drawn (the run stopped)."""
    if snap is None:
        return None, ""
    if snap.problem:
        return None, f"Cannot train: {snap.problem}"
    a = snap.anatomy
    if a is None:
        if not snap.finite:
            return None, f"The run stopped: {snap.diverged or 'the parameters are not finite'}. There is no step."
        return None, WAITING
    if len(a.names) == 0:
        return None, "The network has no trainable parameters: there is no step."
    if not (np.isfinite(a.gradient).all() and np.isfinite(a.step).all() and np.isfinite(a.loss)):
        return None, "The gradient or the step is not finite here: there is no step to take apart."
    if not np.any(a.gradient) or not np.any(a.step):
        return None, STATIONARY
    note = f"The run stopped ({snap.diverged}); this is the step it would take next. " if snap.diverged else ""
    return a, note
