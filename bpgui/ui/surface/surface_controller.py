"""The gradient views' logic: which two parameters the surface shows, the path they take during training,
dragging the current point, and feeding the surface, slice, directions and 3D views.

The surface is recomputed in the surface thread (:mod:`.surface_worker`) whenever the network changes (other
weights keep training, so the landscape itself moves), at most one request at a time and the newest request wins.
With the document's weight decay every picture, number and caption is of the total E + R that training minimises.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ...core.network import Change, Network
from ...core.planes import PLANES, Plane, project_gradient
from ...core.regularization import WeightDecay
from ...core.step_anatomy import trainable_parameters
from ...core.surface import DEFAULT_SPAN
from ...core.weight_path import WeightPath
from ..document.document_hub import DocumentHub
from ..document.document_model import DocumentModel
from ..threads import WorkerThread
from .surface_caption import CaptionFacts, plane_caption, surface_caption
from .surface_view import VIEW_MODES
from .surface_worker import SurfaceRequest, SurfaceResult, SurfaceWorker

#: while training, the surface is recomputed at most this often (seconds): it shares two cores with training
LIVE_INTERVAL = 0.5
#: while training, the caption and the direction plot are redrawn at most this often (seconds)
TEXT_INTERVAL = 0.25
#: in "follow" mode the grid is re-centred when the current point leaves this share of it (around its centre)
INNER = 0.7
#: the sum arrow's length, when its scale is chosen, as a share of the grid's shorter side; an arrow longer than
#: MAX_ARROW of it gets a new scale
ARROW_SHARE, MAX_ARROW = 0.28, 0.75
#: the grid is recomputed for a plot whose proportions changed by more than this (relative)
ASPECT_CHANGE = 0.05
#: optimizer race: steps and the learning rates (None: the document's)
RACE_STEPS = 150
RACE = {"sgd": None, "momentum": None, "adam": 0.05}


def grid_window(mode: str, point, center, span: float, aspect: float, path_x=(), path_y=()):
    """Where the grid lies: returns (centre, x range, y range). ``mode`` "follow": around ``center``, moved to
    ``point`` when the point leaves the middle INNER of the grid; "fixed": around ``center`` (or the point, the
    first time); "path": around the path and the point, at least ± ``span``. The ranges reach ± ``span`` along the
    shorter side and further along the other, in the plot's proportions ``aspect`` (width / height), so that the
    grid fills the plot with square cells."""
    hx = hy = span
    if mode == "path" and len(path_x):
        xs, ys = [*path_x, point[0]], [*path_y, point[1]]
        center = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
        hx = max(span, 0.55 * (max(xs) - min(xs)))
        hy = max(span, 0.55 * (max(ys) - min(ys)))
    elif center is None or (mode == "follow" and any(abs(p - c) > INNER * span for p, c in zip(point, center))):
        center = tuple(point)
    if hx / hy < aspect:
        hx = hy * aspect
    else:
        hy = hx / aspect
    return center, (center[0] - hx, center[0] + hx), (center[1] - hy, center[1] + hy)


def default_pair(net: Network) -> tuple[str, str] | None:
    """Two weights into the first output neuron (or one and its bias); else the first two parameters."""
    if net.outputs:
        out = net.outputs[0].id
        into = [f"{a}->{b}" for a, b in net.incoming(out)]
        if len(into) >= 2:
            return into[0], into[1]
        if len(into) == 1:
            return into[0], f"{out}.bias"
    names = net.parameter_names()
    return (names[0], names[1]) if len(names) >= 2 else None


class SurfaceController(QObject):
    """Main thread: keeps the chosen pair, the path, and the surface view and its companions up to date."""

    #: a message for the status bar
    sigStatus = Signal(str)
    #: the chosen pair changed (x, y), e.g. for the canvas's highlight
    sigPairChanged = Signal(object)
    _sigWork = Signal()
    _sigRace = Signal(object)

    def __init__(self, hub: DocumentHub, training, view, slice_plot=None, direction_plot=None, view_3d=None,
                 parent=None):
        super().__init__(parent)
        self.hub = hub
        self.training = training
        self.view = view
        self.view_3d = view_3d
        self.slice_plot = slice_plot
        self.direction_plot = direction_plot
        self.worker = SurfaceWorker(training.worker.ui_idle)
        self._sigWork.connect(self.worker.work)
        self._sigRace.connect(self.worker.race)
        self.worker.sigResult.connect(self._on_result)
        self.worker.sigRace.connect(self._on_race)
        self.worker.sigError.connect(self._on_error)
        self.thread = WorkerThread(self.worker, "bpgui surface", self)
        self.pair: tuple[str, str] | None = None
        self.plane = "weights"  # the plane on show (planes.PLANES): "weights" is the pair's
        self.span = DEFAULT_SPAN
        self.view_mode = "follow"
        self.center: tuple[float, float] | None = None
        self.path = WeightPath()
        self.levels: tuple[float, float] | None = None  # the colour levels on show, kept while they fit
        self.arrow_scale: float | None = None  # arrows from p to p − scale·∂E/∂p, one scale for a stretch
        self.arrow_since: int | None = None
        self._rescaled: str | None = None
        self.stationary = False
        self.gradient: tuple[float, float] | None = None
        self._aspect = 1.0
        self.result: SurfaceResult | None = None
        self._request_id = 0
        self._in_flight = False
        self._dirty = False
        self._last_request = 0.0
        self._last_step = -1
        self._drag_before = None
        self._drag_model = None
        self._drag_plane: Plane | None = None  # the plane of directions a drag moves along
        self._dragged_to: tuple[float, float] | None = None
        self._dropped: tuple[float, float] | None = None  # where a drag on that plane ended, until it is redrawn
        self._text_time = 0.0
        self._race_for = None
        self.cleared: str | None = None  # why the views are empty, when they are
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._request)
        self._pair_check = QTimer(self)
        self._pair_check.setSingleShot(True)
        self._pair_check.timeout.connect(self._check_pair)
        training.sigSnapshot.connect(self._on_snapshot)
        view.sigPairChosen.connect(self.choose)
        view.sigSpanChanged.connect(self._on_span)
        view.sigPlaneChosen.connect(self.choose_plane)
        view.sigViewModeChanged.connect(self._on_view_mode)
        view.sigFitArrows.connect(lambda: self._new_arrow_scale("fitted to the gradient now"))
        view.sigResized.connect(self._on_resized)
        training.sigPlayingChanged.connect(lambda on: on and self._new_arrow_scale("chosen at Play"))
        view.sigDragStarted.connect(self._drag_started)
        view.sigDragged.connect(self._dragged)
        view.sigDragFinished.connect(self._drag_finished)
        view.sigRaceRequested.connect(self.race)
        hub.sigNetworkChanged.connect(self._on_network_change)
        hub.sigSettingsChanged.connect(self._on_data_change)
        hub.sigDocumentReplaced.connect(self._load)
        self._load(hub.model)

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    @property
    def decay(self) -> WeightDecay | None:
        """The document's weight decay: the views show the total E + R with it."""
        return self.model.doc.training.weight_decay

    # ------------------------------------------------------------------ the document
    def _load(self, model: DocumentModel) -> None:
        """Show this document: its saved pair and span, or the default pair."""
        self._drag_before = self._drag_model = None  # a drag on the old document ends with it
        self._drag_plane = self._dropped = None
        self._name_loss()
        saved = (model.doc.view or {}).get("surface", {})
        saved = saved if isinstance(saved, dict) else {}
        span = saved.get("span")
        self.span = float(span) if isinstance(span, (int, float)) and not isinstance(span, bool) and \
            0.01 <= span <= 1000 else DEFAULT_SPAN
        self.view.set_span(self.span)
        mode = saved.get("view")
        self.view_mode = mode if mode in VIEW_MODES else "follow"
        self.view.set_view_mode(self.view_mode)
        plane = saved.get("plane")
        self._set_plane(plane if plane in PLANES else "weights")
        pair = (saved.get("x"), saved.get("y"))
        self.pair = None
        self.view.clear()
        if all(isinstance(p, str) and model.network.has_parameter(p) for p in pair) and pair[0] != pair[1]:
            self._set_pair(pair, remember=False)
        else:
            self._set_pair(default_pair(model.network), remember=False)

    def _remember(self) -> None:
        doc = self.model.doc
        view = dict(doc.view or {})
        if self.pair is not None:
            view["surface"] = {"x": self.pair[0], "y": self.pair[1], "span": self.span}
            if self.view_mode != "follow":
                view["surface"]["view"] = self.view_mode
            if self.plane != "weights":
                view["surface"]["plane"] = self.plane
        doc.view = view

    def rename(self, old: str, new: str) -> None:
        """A neuron was renamed: the chosen parameters follow it."""
        if self.pair is None:
            return

        def renamed(name: str) -> str:
            if name == f"{old}.bias":
                return f"{new}.bias"
            if "->" in name:
                a, b = name.split("->", 1)
                return f"{new if a == old else a}->{new if b == old else b}"
            return name

        pair = (renamed(self.pair[0]), renamed(self.pair[1]))
        if pair != self.pair and all(self.model.network.has_parameter(p) for p in pair):
            self.pair = pair
            self._remember()
            self.sigPairChanged.emit(self.pair)
            self.view.set_parameters(self.model.network.parameter_names(), *self.pair)
            self._schedule(0)

    def _on_network_change(self, change: Change) -> None:
        self._dropped = None  # the weights moved on (an undo, training): the point is theirs again
        if not self.model.applying_training:
            self.view.set_race(None)  # a race from weights the user has since changed
        if change.structural:
            self._pair_check.start(0)  # after the edit is complete (a rename reports itself after its change)
            return
        if not self.model.applying_training:
            self._schedule(0)

    def _check_pair(self) -> None:
        """After a change of structure: keep the pair if it still exists, else pick another and say so."""
        net = self.model.network
        names = net.parameter_names()
        if self.pair is None or not all(net.has_parameter(p) for p in self.pair):
            old = self.pair
            self._set_pair(default_pair(net))
            if old is not None and self.pair is not None:
                gone = " and ".join(p for p in old if not net.has_parameter(p))
                self.sigStatus.emit(f"the surface now shows {self.pair[0]} and {self.pair[1]} ({gone} is gone)")
            return
        self.view.set_parameters(names, *self.pair)
        self._schedule(0)

    def _on_data_change(self) -> None:
        self._name_loss()
        self._schedule(0)

    def _name_loss(self) -> None:
        """The colour bar and the 3D view's height say E + R with a weight decay."""
        self.view.set_loss_name(self.decay)
        if self.view_3d is not None:
            self.view_3d.set_loss_name(self.decay)

    # ------------------------------------------------------------------ choosing the pair
    def choose_axis(self, name: str, axis: str) -> None:
        """Show ``name`` on ``axis`` ("x" or "y"), keeping the other axis's parameter (swapping the two if
        ``name`` is on the other axis already)."""
        pair = self.pair or (None, None)
        other = pair[1] if axis == "x" else pair[0]
        if other == name or other is None:
            other = pair[0] if axis == "x" else pair[1]
        x, y = (name, other) if axis == "x" else (other, name)
        if x and y:
            self.choose(x, y)

    def choose(self, x: str, y: str) -> None:
        """Show parameters x and y (the canvas's menu and the view's boxes call this)."""
        if x == y:
            self.sigStatus.emit("pick two different parameters for the surface")
            self.view.set_parameters(self.model.network.parameter_names(), *(self.pair or (None, None)))
            return
        self._set_pair((x, y))

    def _set_pair(self, pair, remember: bool = True) -> None:
        self.pair = tuple(pair) if pair else None
        self._new_picture()
        self.view.set_race(None)
        self.view.set_parameters(self.model.network.parameter_names(), *(self.pair or (None, None)))
        if remember:
            self._remember()
        self.sigPairChanged.emit(self.pair)
        if self.pair is None:
            self._clear_views("No two parameters to show: the network needs at least two weights or biases.")
            return
        self._update_point()
        self._schedule(0)

    def choose_plane(self, kind: str) -> None:
        """Show the surface over the plane ``kind`` (one of planes.PLANES; the view's plane box calls this)."""
        if kind not in PLANES or kind == self.plane:
            return
        self._set_plane(kind)
        self._new_picture()
        self._remember()
        if self.pair is not None:
            self._update_point()
            self._schedule(0)

    def _set_plane(self, kind: str) -> None:
        self.plane = kind
        self.view.set_plane(kind)
        self.training.want("trajectory", kind == "pca")  # snapshots carry the path only while pca is on show

    def _clear_views(self, why: str) -> None:
        """Nothing to draw: empty views with the reason, and nothing left to compute."""
        self.result = None
        self._dirty = False
        self._request_id += 1  # a computation under way is for a picture no longer wanted
        self._in_flight = False
        self.cleared = why
        self.view.clear()
        self.view.set_caption(why)
        for plot in (self.slice_plot, self.direction_plot):
            if plot is not None:
                plot.clear()

    def _on_span(self, span: float) -> None:
        self.span = float(span)
        self.center = self.levels = None
        self._new_arrow_scale(None)
        self._remember()
        self._schedule(0)

    def _on_view_mode(self, mode: str) -> None:
        self.view_mode = mode
        self.center = self.levels = None
        self._remember()
        self._schedule(0)

    def _on_resized(self) -> None:
        aspect = self.view.aspect()
        if abs(aspect - self._aspect) > ASPECT_CHANGE * self._aspect:
            self._schedule(0)

    def _new_picture(self) -> None:
        """Another pair, plane, span or document: a new path, colour scale and arrow scale, no race."""
        self._dropped = None
        self.path.clear()
        self.view.set_path(self.path.x, self.path.y)
        if self.view_3d is not None:
            self.view_3d.set_path(self.path.x, self.path.y, self.path.loss)
        self.center = self.levels = None
        self._new_arrow_scale(None)
        self.view.set_race(None)

    def _new_arrow_scale(self, why: str | None) -> None:
        """Choose the arrows' scale anew at the next gradient (``why`` goes in the caption)."""
        self.arrow_scale = self.arrow_since = None
        self._rescaled = why
        if why is not None and self.pair is not None:
            self.refresh_point()

    # ------------------------------------------------------------------ snapshots
    def _on_snapshot(self, snap) -> None:
        if self.pair is None:
            return
        if snap.step < self._last_step:  # reset: a new path, and no race from the old weights
            self._new_picture()
        self._last_step = snap.step
        if self.plane != "weights":  # the plane moves with the weights: a new surface, nothing to add to a path
            self._update_point(snap)
            self._schedule(LIVE_INTERVAL if snap.playing else 0.0)
            return
        try:
            i, j = snap.names.index(self.pair[0]), snap.names.index(self.pair[1])
        except ValueError:
            return
        x, y = float(snap.values[i]), float(snap.values[j])
        if math.isfinite(x) and math.isfinite(y):
            self.path.add(x, y, snap.total_loss, snap.step, snap.names, snap.values)
            self.view.set_path(self.path.x, self.path.y)
            if self.view_3d is not None:  # kept there, drawn once it has an OpenGL view
                self.view_3d.set_path(self.path.x, self.path.y, self.path.loss)
        self._update_point(snap)
        interval = LIVE_INTERVAL if snap.playing else 0.0
        self._schedule(interval)

    @property
    def path_x(self) -> list[float]:
        return self.path.x.tolist()

    @property
    def path_y(self) -> list[float]:
        return self.path.y.tolist()

    @property
    def path_e(self) -> list[float]:
        return self.path.loss.tolist()

    def _pair_values(self) -> tuple[float, float] | None:
        if self.pair is None:
            return None
        net = self.model.network
        try:
            return net.get_parameter(self.pair[0]), net.get_parameter(self.pair[1])
        except Exception:
            return None

    def refresh_views(self) -> None:
        """Redraw the point, arrows, caption, slice and directions now (e.g. when a hidden tab is shown)."""
        self.refresh_point()
        if self.result is not None:
            self._show_slice(self.result)

    def refresh_point(self) -> None:
        """Redraw the point, arrows, caption and directions now (e.g. when the Directions tab is shown)."""
        self._text_time = 0.0
        self._update_point()

    def _update_point(self, snap=None) -> None:
        if self.plane != "weights":
            self._update_plane_point(snap)
            return
        snap = snap or self.training.latest
        point = self._pair_values()
        gradient = next_point = None
        if snap is not None and self.pair is not None and point is not None and self.pair[0] in snap.names \
                and self.pair[1] in snap.names and self.training.is_current(snap):
            i, j = snap.names.index(self.pair[0]), snap.names.index(self.pair[1])
            gradient = (float(snap.gradient[i]), float(snap.gradient[j]))
            if not all(map(math.isfinite, gradient)):
                gradient = None
            point = (float(snap.values[i]), float(snap.values[j])) if snap.finite else point
            if snap.next_values is not None:
                next_point = (float(snap.next_values[i]), float(snap.next_values[j]))
        self.gradient = gradient
        noise = math.hypot(*self.result.noise) if self.result is not None else 0.0
        size = math.hypot(*gradient) if gradient is not None else 0.0
        self.stationary = gradient is not None and size <= noise
        scale = self._scale_for(size, snap) if gradient is not None and not self.stationary else None
        self.view.set_point(point, gradient, next_point, scale)
        # the text and the hidden tabs are not worth redrawing at every frame of a run
        now = time.monotonic()
        if snap is not None and snap.playing and now - self._text_time < TEXT_INTERVAL:
            return
        self._text_time = now
        if self.direction_plot is not None and gradient is not None and self.direction_plot.isVisible():
            self.direction_plot.set_gradient(self.pair[0], self.pair[1], *gradient, stationary=self.stationary,
                                             decay=self.decay)
        if self.pair is not None and self.cleared is None:
            self.view.set_caption(surface_caption(self._caption_facts(snap, point, gradient, noise, scale)))

    def _scale_for(self, size: float, snap) -> float | None:
        """The arrows' scale for a gradient of length ``size``: kept for a stretch, chosen anew when there is none
        or the arrows would grow past MAX_ARROW of the grid."""
        if not size > 0:
            return None
        width = self._grid_side()
        if self.arrow_scale is not None and self.arrow_scale * size > MAX_ARROW * width:
            self._new_arrow_scale("chosen anew: the gradient grew past the window")
        if self.arrow_scale is None:
            self.arrow_scale = ARROW_SHARE * width / size
            self.arrow_since = snap.step if snap is not None else None
        return self.arrow_scale

    def _update_plane_point(self, snap=None) -> None:
        """On a plane of directions the current weights are its origin (0, 0) (or, just after a drag, where the
        point was dropped, until the plane through the new weights is drawn); at the origin, arrows of −∇E
        projected onto the plane: (−gᵀu, −gᵀv) on the arrows' scale, with the share of |∇E| the plane holds."""
        snap = snap or self.training.latest
        self.gradient = None
        self.stationary = False
        result = self.result if self.result is not None and self.result.kind == self.plane else None
        plane = result.plane if result is not None else None
        if plane is None:
            self.view.set_point(None)
            return
        if self._dropped is not None:
            self.view.set_point(self._dropped)
            return
        gradient = share = None
        if snap is not None and self.training.is_current(snap) and snap.finite:
            try:
                a, b, share = project_gradient(plane, snap.names, snap.gradient)
            except KeyError:  # the snapshot is of another structure
                a = b = float("nan")
            if math.isfinite(a) and math.isfinite(b):
                gradient = (-a, -b)  # ∂E/∂a, ∂E/∂b: the view draws p − scale·∂E/∂p
        self.gradient = gradient
        size = math.hypot(*gradient) if gradient is not None else 0.0
        self.stationary = gradient is not None and size == 0.0
        scale = self._scale_for(size, snap) if gradient is not None else None
        self.view.set_point((0.0, 0.0), gradient, None, scale)
        now = time.monotonic()
        if snap is not None and snap.playing and now - self._text_time < TEXT_INTERVAL:
            return
        self._text_time = now
        if self.pair is not None and self.cleared is None:
            self.view.set_caption(plane_caption(result, gradient, share, scale, self.arrow_since,
                                                self._rescaled if scale is not None else None, self.decay))

    def _caption_facts(self, snap, point, gradient, noise, scale) -> CaptionFacts:
        picture = self.result.picture if self.result is not None else None
        loss = snap.total_loss if snap is not None and self.training.is_current(snap) else (
            self.result.current_loss if self.result is not None else None)
        moved = None
        if snap is not None:
            moved = self.path.largest_other_change(snap.names, snap.values, self.pair)
            if moved is not None and moved[1] <= 1e-9 * (1 + abs(moved[1])):
                moved = None
        outside = False
        surf = self.view.surface
        if surf is not None and self.path.size and self.view_mode != "path":
            x0, y0 = self.path.x[0], self.path.y[0]
            outside = not (surf.x[0] <= x0 <= surf.x[-1] and surf.y[0] <= y0 <= surf.y[-1])
        return CaptionFacts(self.pair, loss, gradient, self.stationary, noise, scale, self.arrow_since,
                            self._rescaled if scale is not None else None,
                            picture.variation if picture is not None else None, moved, outside, self.decay)

    def _grid_side(self) -> float:
        """The grid's shorter side (parameter units)."""
        surf = self.view.surface
        if surf is None:
            return 2.0 * self.span
        return float(min(surf.x[-1] - surf.x[0], surf.y[-1] - surf.y[0]))

    # ------------------------------------------------------------------ computing
    def _schedule(self, delay: float) -> None:
        """Recompute after ``delay`` seconds since the last request; at once (cancelling a computation that is
        under way) when ``delay`` is 0, i.e. after the user changed something."""
        self._dirty = True
        if delay == 0:
            self._timer.stop()
            self._timer.start(0)
            return
        if self._in_flight or self._timer.isActive():
            return
        wait = max(0.0, self._last_request + delay - time.monotonic())
        self._timer.start(int(wait * 1000))

    def _request(self) -> None:
        if self.pair is None:
            self._dirty = False  # nothing to compute until there is a pair
            return
        if not self._dirty:
            return
        data = self.model.dataset()
        if data is not None and self.plane != "weights":
            self._request_plane(data)
            return
        point = self._pair_values()
        if data is None:
            self._clear_views(f"The surface cannot be drawn: {self.model.data_problem}.")
            return
        if point is None:
            return
        if not all(math.isfinite(p) and (p + self.span) - (p - self.span) > 1.5 * self.span for p in point):
            values = ", ".join(f"{n} = {v:.3g}" for n, v in zip(self.pair, point))
            self._clear_views(f"The surface cannot be drawn around {values}: the values are too large for a grid "
                              f"of ± {self.span:g} (training probably diverged; undo or reset the weights).")
            return
        self._dirty = False
        self._aspect = self.view.aspect()
        self.center, x_range, y_range = grid_window(self.view_mode, point, self.center, self.span, self._aspect,
                                                    self.path.x, self.path.y)
        snap = self.training.latest
        delta = None
        if snap is not None and snap.next_values is not None and self.training.is_current(snap):
            delta = {n: float(b - a) for n, a, b in zip(snap.names, snap.values, snap.next_values) if b != a}
        self._request_id += 1
        self.worker.pending = SurfaceRequest(self._request_id, self.model.network.copy(), data.x_train, data.t_train,
                                             self.pair, x_range, y_range, self.span, point, delta,
                                             live=self.training.playing, levels=self.levels, decay=self.decay)
        self._in_flight = True
        self._last_request = time.monotonic()
        self._sigWork.emit()

    def _request_plane(self, data) -> None:
        """A surface over the plane on show, ± span around its origin (pca: around the path)."""
        self._dirty = False
        self._aspect = self.view.aspect()
        _, x_range, y_range = grid_window("fixed", (0.0, 0.0), (0.0, 0.0), self.span, self._aspect)
        trajectory = None
        snap = self.training.latest
        if self.plane == "pca" and snap is not None and self.training.is_current(snap):
            trajectory = snap.trajectory
            if trajectory is None and snap.problem is None and snap.finite:  # asked for: it comes with the next
                self._dirty = True
                self.view.set_caption("The pca plane: waiting for the recorded path…")
                return
        self._request_id += 1
        self.worker.pending = SurfaceRequest(self._request_id, self.model.network.copy(), data.x_train, data.t_train,
                                             self.pair, x_range, y_range, self.span, (0.0, 0.0), None,
                                             live=self.training.playing, levels=self.levels, plane=self.plane,
                                             trajectory=trajectory, movable=self._movable(), decay=self.decay)
        self._in_flight = True
        self._last_request = time.monotonic()
        self._sigWork.emit()

    def _movable(self) -> tuple[str, ...]:
        """The parameters training moves: every weight, and the biases when they train (as `bpgui surface`)."""
        return trainable_parameters(self.model.network.parameter_names(), self.model.doc.training.train_biases)

    def _on_plane_result(self, result: SurfaceResult) -> None:
        self._dropped = None  # the plane through the weights as they are now: they are its origin
        if result.plane_error is not None:
            self._clear_views(f"The {result.kind} plane cannot be drawn: {result.plane_error}.")
            return
        self._show_surface(result)
        path = result.path
        self.view.set_path(*((path.x, path.y) if path is not None else (np.zeros(0), np.zeros(0))))
        self._update_plane_point()

    def _show_surface(self, result: SurfaceResult) -> None:
        """Draw a finished surface (of a pair or a plane) in the 2-D and 3-D views."""
        self.result = result
        self.cleared = None
        if result.picture is not None:
            self.levels = result.picture.levels
        self.view.set_surface(result.surface, result.picture)
        if self.view_3d is not None:
            self.view_3d.set_surface(result.surface)

    def _on_result(self, result: SurfaceResult) -> None:
        latest = result.id == self._request_id
        if latest and result.fine:
            self._in_flight = False
        if latest and result.kind != "weights":
            if result.kind == self.plane and self.pair is not None:
                self._on_plane_result(result)
        elif latest and self.plane == "weights" and self.pair == (result.surface.x_name, result.surface.y_name):
            self._show_surface(result)
            self._text_time = 0.0  # the caption tells of the new picture now
            self._update_point()
            self._show_slice(result)
            if self.direction_plot is not None:
                self.direction_plot.set_prediction(result.prediction)
        if not self._in_flight and self._dirty:
            self._schedule(LIVE_INTERVAL if self.training.playing else 0.0)

    def _on_error(self, message: str) -> None:
        self._in_flight = False
        self.sigStatus.emit(message.split("\n", 1)[0])

    def _show_slice(self, result: SurfaceResult) -> None:
        if self.slice_plot is None or result.slice_values is None or self.gradient is None:
            return
        if not self.slice_plot.isVisible() and self.training.playing:
            return  # drawn when its tab is raised (refresh_point) or training pauses
        values, losses = result.slice_values, result.slice_losses
        current = float(values[len(values) // 2])
        self.slice_plot.set_slice(self.pair[0], values, losses, current, float(losses[len(losses) // 2]),
                                  self.gradient[0], self.model.doc.training.learning_rate, decay=self.decay)

    # ------------------------------------------------------------------ dragging the point
    def _drag_started(self) -> None:
        # nothing to drag (no pair, or a plane not drawn yet), or another drag is under way
        if self.pair is None or self.model.live_change:
            return
        if self.plane != "weights":
            result = self.result if self.result is not None and self.result.kind == self.plane else None
            if result is None or result.plane is None:
                return
            self._drag_plane = result.plane  # the plane on show: the drag moves along it, even if redrawn
        self._drag_before = self.model.begin_live_change()
        self._drag_model = self.model
        self._dragged_to = None

    def _dragged(self, x: float, y: float) -> None:
        if self._drag_before is None or self.pair is None or self._drag_model is not self.model:
            return
        if self._drag_plane is not None:  # every parameter: origin + x·u + y·v
            self.model.network.set_parameters(self._drag_plane.parameters(x, y))
            self._dragged_to = (x, y)
            self.sigStatus.emit(f"every parameter at the {self._drag_plane.kind} plane's origin + {x:.4f}·u + "
                                f"{y:.4f}·v")
            return
        self.model.network.set_parameters({self.pair[0]: round(x, 4), self.pair[1]: round(y, 4)})
        self.sigStatus.emit(f"{self.pair[0]} = {x:.4f}, {self.pair[1]} = {y:.4f}")

    def _drag_finished(self) -> None:
        plane, dropped = self._drag_plane, self._dragged_to
        if self._drag_before is not None and self._drag_model is self.model:
            if self.pair is None:
                self.model.cancel_live_change()
            elif plane is not None:
                self.model.commit_live_change(f"Move every parameter on the {plane.kind} plane", self._drag_before)
            else:
                self.model.commit_live_change(f"Set {self.pair[0]} and {self.pair[1]} on the surface",
                                              self._drag_before)
        self._drag_before = self._drag_model = self._drag_plane = self._dragged_to = None
        if plane is not None and dropped is not None and self.plane == plane.kind:
            self._dropped = dropped  # after the commit's change: shown there until the new plane is drawn
        self._update_point()

    # ------------------------------------------------------------------ the race
    def race(self) -> None:
        if self.plane != "weights":
            self.sigStatus.emit("cannot race on the " + self.plane + " plane: the race draws the pair's paths")
            return
        if self.pair is None:
            self.sigStatus.emit("cannot race: the surface shows no parameters")
            return
        if self.model.dataset() is None:
            self.sigStatus.emit(f"cannot race: {self.model.data_problem}")
            return
        cfg = self.model.doc.training
        rates = {name: (lr if lr is not None else cfg.learning_rate) for name, lr in RACE.items()}
        self.sigStatus.emit("racing " + ", ".join(f"{k} (η = {v:g})" for k, v in rates.items())
                            + f" for {RACE_STEPS} steps from the current weights…")
        self._race_for = (self.pair, self.training.generation)
        self._sigRace.emit((self.model.network.copy(), self.model.doc.data, cfg.copy(), rates, RACE_STEPS,
                            self.pair))

    def _on_race(self, paths) -> None:
        if self._race_for != (self.pair, self.training.generation):
            return  # the pair or the weights changed while it ran: it would be drawn on the wrong picture
        self.view.set_race(paths)
        ends = ", ".join(f"{k}: E {rows[-1, 2]:.3g} after {len(rows) - 1} steps" for k, rows in paths.items()
                         if len(rows))
        self.sigStatus.emit(f"optimizer race — {ends}")

    @property
    def settled(self) -> bool:
        """Nothing left to compute: the fine surface of the current state is drawn."""
        return not self._in_flight and not self._dirty and not self._timer.isActive() and (
            self.pair is None or self.cleared is not None or (
                self.result is not None and self.result.fine
                and (self.result.slice_values is not None or self.result.kind != "weights")))

    def shutdown(self) -> None:
        self.thread.stop()

