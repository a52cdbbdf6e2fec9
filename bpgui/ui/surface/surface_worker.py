"""The surface thread: it computes the error surface over two parameters (a coarse grid first, then a fine one;
one medium grid while training), the 1-D slice and the first-order prediction, and runs the optimizer race. With
the document's weight decay every one of them is of the total E + R that training minimises.

The newest request wins: a request that arrives while one is being computed cancels it (between chunks).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ...core.engine import Engine
from ...core.explain import StepPrediction, gradient_noise, optimizer_race, predict_step, slice_1d
from ...core.network import Network
from ...core.planes import PathOnPlane, Plane, PlaneError, make_plane, path_on_plane, path_window, plane_surface
from ...core.regularization import WeightDecay
from ...core.surface import Surface, SurfaceCancelled, surface
from ...core.surface_picture import SurfacePicture, float32_resolves, surface_picture
from ...core.trajectory import Trajectory
from ..threads import failure_text

#: grid points (about; the grid follows the view's proportions): a quick coarse grid first, then the fine one; while
#: training, one live grid only
COARSE, FINE, LIVE = 32, 96, 48
#: points of the 1-D slice
SLICE_POINTS = 161
#: the axes of a plane other than "weights": directions, named with the plane
PLANE_AXES = {"gradient": ("gradient plane: u = −∇E/|∇E|", "v = top curvature ⊥ u"),
              "pca": ("pca plane: PC1", "PC2"),
              "random": ("random plane: u (filter-normalised)", "v (filter-normalised)")}


@dataclass(frozen=True)
class SurfaceRequest:
    id: int
    network: Network
    x: np.ndarray
    t: np.ndarray
    names: tuple[str, str]
    x_range: tuple[float, float]  # the grid's extent
    y_range: tuple[float, float]
    span: float  # the slice reaches this far on each side of the current value
    current: tuple[float, float]  # the parameters' values (the slice goes through them)
    delta: dict[str, float] | None  # the optimizer's next step, for the first-order prediction
    live: bool = False  # training runs: one medium grid (the next request comes soon)
    levels: tuple[float, float] | None = None  # the colour levels on show, kept while the values fit them
    plane: str = "weights"  # another plane (planes.PLANES): E over origin + a·u + b·v, x_range/y_range in a, b
    trajectory: Trajectory | None = None  # the real path so far, for the pca plane
    movable: tuple[str, ...] | None = None  # the parameters training moves (the gradient plane's), None: all
    decay: WeightDecay | None = None  # the document's weight decay: E + R everywhere


@dataclass(frozen=True)
class SurfaceResult:
    id: int
    surface: Surface | None  # None only when the plane could not be formed (plane_error)
    fine: bool
    picture: SurfacePicture | None = None  # made here, so the window only draws; None: nothing to draw
    slice_values: np.ndarray | None = None
    slice_losses: np.ndarray | None = None
    prediction: StepPrediction | None = None
    current_loss: float = float("nan")  # E (E + R with a weight decay) at the current point
    noise: tuple[float, float] = (0.0, 0.0)  # how close to 0 the pair's ∂E/∂p can come by rounding alone
    kind: str = "weights"  # the plane the surface is on
    plane: Plane | None = None  # that plane, for any but "weights"
    path: PathOnPlane | None = None  # pca: the path projected onto the plane
    plane_error: str | None = None  # why the plane cannot be formed (then nothing else)


def grid_shape(points: int, x_range, y_range) -> tuple[int, int]:
    """About ``points``² grid points in the proportions of the ranges (so that the cells are square)."""
    ratio = (x_range[1] - x_range[0]) / (y_range[1] - y_range[0])
    ratio = min(max(ratio, 1 / 8), 8.0)
    return max(2, round(points * ratio**0.5)), max(2, round(points / ratio**0.5))


def fill_aspect(x_range, y_range, like_x, like_y):
    """``x_range``, ``y_range`` with the shorter one widened about its middle to the proportions of ``like_x`` /
    ``like_y`` (the plot's), so that a window fitted to a path fills the plot with square cells."""
    aspect = (like_x[1] - like_x[0]) / (like_y[1] - like_y[0])
    w, h = x_range[1] - x_range[0], y_range[1] - y_range[0]
    if w / h < aspect:
        mid, w = (x_range[0] + x_range[1]) / 2, h * aspect
        return (mid - w / 2, mid + w / 2), y_range
    mid, h = (y_range[0] + y_range[1]) / 2, w / aspect
    return x_range, (mid - h / 2, mid + h / 2)


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
        if req.plane != "weights":
            self._work_plane(req)
            return
        try:
            # E at the current point, the rounding floor of its gradient, the slice and the step's prediction:
            # cheap next to a grid, and what the caption, the arrows, Slice and Directions show
            decay = req.decay
            current_loss = Engine(req.network, decay).loss_value(req.x, req.t)
            noise = gradient_noise(req.network, req.x, req.t, req.names)
            values = np.linspace(req.current[0] - req.span, req.current[0] + req.span, SLICE_POINTS)
            losses = slice_1d(req.network, req.x, req.t, req.names[0], values, decay=decay)
            prediction = predict_step(req.network, req.x, req.t, req.delta, decay=decay) if req.delta else None
            extras = dict(slice_values=values, slice_losses=losses, prediction=prediction,
                          current_loss=current_loss, noise=(noise[req.names[0]], noise[req.names[1]]))
            for points in ((LIVE,) if req.live else (COARSE, FINE)):
                shape = grid_shape(points, req.x_range, req.y_range)
                # float32 is 2-4× faster, but near a minimum it cannot tell values of E apart and would draw its
                # own rounding: then float64
                for dtype in (np.float32, np.float64):
                    surf = surface(req.network, req.x, req.t, *req.names, grid=shape, x_range=req.x_range,
                                   y_range=req.y_range, dtype=dtype, keep_going=self._keep_going, decay=decay)
                    if float32_resolves(surf.loss):
                        break
                picture = surface_picture(surf, current_loss, req.levels, may_shrink=not req.live)
                self.sigResult.emit(SurfaceResult(req.id, surf, points != COARSE, picture, **extras))
        except SurfaceCancelled:
            pass
        except Exception as e:  # a bug must not kill the thread
            self.sigError.emit(failure_text("The surface could not be computed", e))

    def _work_plane(self, req: SurfaceRequest) -> None:
        """E over a plane of directions: the window ± span around its origin (x_range, y_range), or around the
        projected path for pca."""
        try:
            decay = req.decay
            current_loss = Engine(req.network, decay).loss_value(req.x, req.t)
            try:
                plane = make_plane(req.plane, req.network, req.x, req.t, trajectory=req.trajectory,
                                   movable=req.movable, decay=decay)
            except PlaneError as e:
                self.sigResult.emit(SurfaceResult(req.id, None, True, kind=req.plane, plane_error=str(e)))
                return
            path = None
            x_range, y_range = req.x_range, req.y_range
            if req.plane == "pca" and req.trajectory is not None:
                path = path_on_plane(req.network, req.x, req.t, plane, req.trajectory, decay)
                x_range, y_range = fill_aspect(path_window(path, "x"), path_window(path, "y"), req.x_range,
                                               req.y_range)
            x_label, y_label = PLANE_AXES.get(req.plane, (plane.x_label, plane.y_label))
            for points in ((LIVE,) if req.live else (COARSE, FINE)):
                shape = grid_shape(points, x_range, y_range)
                ps = plane_surface(req.network, req.x, req.t, plane, grid=shape, x_range=x_range, y_range=y_range,
                                   keep_going=self._keep_going, decay=decay)
                surf = Surface(x_label, y_label, ps.x, ps.y, ps.loss, (0.0, 0.0))
                picture = surface_picture(surf, current_loss, req.levels, may_shrink=not req.live)
                self.sigResult.emit(SurfaceResult(req.id, surf, points != COARSE, picture, current_loss=current_loss,
                                                  kind=req.plane, plane=plane, path=path))
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
