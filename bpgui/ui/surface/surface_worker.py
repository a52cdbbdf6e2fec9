"""The surface thread: it computes the error surface over two parameters (a coarse grid first, then a fine one;
one medium grid while training), the 1-D slice and the first-order prediction, and runs the optimizer race.

The newest request wins: a request that arrives while one is being computed cancels it (between chunks).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ...core.explain import StepPrediction, optimizer_race, predict_step, slice_1d
from ...core.network import Network
from ...core.surface import Surface, SurfaceCancelled, surface
from ...core.surface_picture import SurfacePicture, surface_picture
from ..threads import failure_text

#: grid sizes: a quick coarse one first, then the fine one; while training, one live grid only
COARSE, FINE, LIVE = 32, 96, 48
#: points of the 1-D slice
SLICE_POINTS = 161


@dataclass(frozen=True)
class SurfaceRequest:
    id: int
    network: Network
    x: np.ndarray
    t: np.ndarray
    names: tuple[str, str]
    center: tuple[float, float]  # the grid's centre
    span: float
    current: tuple[float, float]  # the parameters' values (the slice goes through them)
    delta: dict[str, float] | None  # the optimizer's next step, for the first-order prediction
    live: bool = False  # training runs: one medium grid, no slice (the next request comes soon)


@dataclass(frozen=True)
class SurfaceResult:
    id: int
    surface: Surface
    fine: bool
    picture: SurfacePicture | None = None  # made here, so the window only draws
    slice_values: np.ndarray | None = None
    slice_losses: np.ndarray | None = None
    prediction: StepPrediction | None = None


class SurfaceWorker(QObject):
    """Computes surfaces in its own thread. The newest request wins: a request that arrives while one is being
    computed cancels it (between chunks)."""

    sigResult = Signal(object)
    sigRace = Signal(object)
    sigError = Signal(str)

    def __init__(self, ui_idle: threading.Event | None = None):
        super().__init__()
        self.pending: SurfaceRequest | None = None  # written by the main thread, taken here
        self.ui_idle = ui_idle

    def _keep_going(self) -> bool:
        if self.ui_idle is not None and not self.ui_idle.is_set():
            self.ui_idle.wait(0.05)  # the window is drawing: let it have Python
        return self.pending is None

    @Slot()
    def work(self) -> None:
        req, self.pending = self.pending, None
        if req is None:
            return
        try:
            for grid in ((LIVE,) if req.live else (COARSE, FINE)):
                surf = surface(req.network, req.x, req.t, *req.names, grid=grid, span=req.span,
                               x_range=(req.center[0] - req.span, req.center[0] + req.span),
                               y_range=(req.center[1] - req.span, req.center[1] + req.span),
                               keep_going=self._keep_going)
                picture = surface_picture(surf)
                if grid == COARSE:
                    self.sigResult.emit(SurfaceResult(req.id, surf, False, picture))
                    continue
                if req.live:
                    self.sigResult.emit(SurfaceResult(req.id, surf, True, picture))
                    continue
                values = np.linspace(req.current[0] - req.span, req.current[0] + req.span, SLICE_POINTS)
                losses = slice_1d(req.network, req.x, req.t, req.names[0], values)
                prediction = predict_step(req.network, req.x, req.t, req.delta) if req.delta else None
                self.sigResult.emit(SurfaceResult(req.id, surf, True, picture, values, losses, prediction))
        except SurfaceCancelled:
            pass
        except Exception as e:  # a bug must not kill the thread
            self.sigError.emit(failure_text("The surface could not be computed", e))

    @Slot(object)
    def race(self, args) -> None:
        try:
            self.sigRace.emit(optimizer_race(*args))
        except Exception as e:
            self.sigError.emit(failure_text("The optimizer race failed", e, details=False))
