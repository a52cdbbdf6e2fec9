"""What the step views share: the anatomy a snapshot carries, or why there is none to draw."""

from __future__ import annotations

import numpy as np

from ...core.step_anatomy import StepAnatomy
from ...core.training_run import TrainingSnapshot

#: the step views' colours: a term that lowers E, one that raises it
DOWNHILL_COLOR = "#2166ac"
UPHILL_COLOR = "#e08214"
STATIONARY = ("∇E = 0: a stationary point. Every parameter's gradient is 0, so the step is 0 and there is "
              "nothing to take apart.")
WAITING = "working out the next step…"


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
