"""The error surface in 3D (pyqtgraph.opengl), where OpenGL is available.

The GL widget is made the first time the view is on screen (whenever that is: at start-up or when its tab is
raised later), never during start-up itself, so start-up never touches OpenGL. Where there is no OpenGL, the view
says why (Qt's offscreen platform, no context, OpenGL ES only, PyOpenGL missing, or the driver's error); the 2-D
surface view shows the same numbers.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QOpenGLContext
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from ...core.surface import Surface
from ..style import SURFACE_COLORS

NO_GL = "The 3D view needs OpenGL, which is not available here: {reason}. Everything else works; the Surface " \
        "view shows the same numbers in 2-D."
#: tries, 100 ms apart, to find the view laid out on screen once it is shown
TRIES = 30


def opengl_problem() -> str | None:
    """Why this platform cannot draw the 3D view, or None when it can (desktop OpenGL and PyOpenGL)."""
    platform = QGuiApplication.platformName()
    if platform in ("offscreen", "minimal", "vnc"):
        return f"Qt's “{platform}” platform draws without OpenGL"
    ctx = QOpenGLContext()
    if not ctx.create():
        return f"the “{platform}” display could not make an OpenGL context"
    if ctx.isOpenGLES():
        return "this display offers only OpenGL ES, and the 3D view needs desktop OpenGL"
    try:
        import OpenGL.GL  # noqa: F401 - pyqtgraph.opengl draws with it
    except ImportError as e:
        return f"PyOpenGL cannot be imported ({e}; pip install PyOpenGL)"
    return None


class Surface3D(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel("The 3D view appears here when its tab is shown.")
        self.message.setWordWrap(True)
        self.message.setMargin(16)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self.message)
        self.gl = None  # the GLViewWidget, once made
        self.problem: str | None = None  # why there is no 3D view, once known
        self._surface: Surface | None = None
        self._path = (np.zeros(0), np.zeros(0), np.zeros(0))
        self._loss_name = "E"  # "(E + R)" with a weight decay
        self._tries = 0
        self._timer = QTimer(self)  # owned: it dies with the widget
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._make_gl_if_shown)

    @property
    def available(self) -> bool:
        if self.problem is None and self.gl is None:
            self.problem = opengl_problem()
        return self.problem is None

    def showEvent(self, ev):
        super().showEvent(ev)
        self.ensure_view()

    def ensure_view(self) -> None:
        """Make the GL view soon, if it is not made yet (call when the view's tab is raised)."""
        if self.gl is None and self.problem is None:
            # not inside the show: an OpenGL widget made while its window is being shown can crash Qt
            self._tries = TRIES
            self._timer.start(0)
        elif self.problem is not None:
            self.message.setText(NO_GL.format(reason=self.problem))

    def _make_gl_if_shown(self) -> None:
        if self.gl is not None or not self.isVisible():
            return
        if self.visibleRegion().isEmpty():  # shown but not laid out yet (e.g. a tab being switched to)
            if self._tries:
                self._tries -= 1
                self._timer.start(100)
            return
        if not self.available:
            self.message.setText(NO_GL.format(reason=self.problem))
            return
        try:
            self._make_gl()
        except Exception as e:  # e.g. a driver that fails: say so, keep the rest working
            self.problem = f"the OpenGL view could not be made ({type(e).__name__}: {e})"
            self.gl = None
            self.message.setText(NO_GL.format(reason=self.problem))
            return
        self._redraw()

    def _make_gl(self) -> None:
        import pyqtgraph.opengl as gl

        view = gl.GLViewWidget()
        view.setBackgroundColor("w")
        view.setCameraPosition(distance=3.6, elevation=28, azimuth=-60)
        self._mesh = gl.GLSurfacePlotItem(computeNormals=False, smooth=False)
        self._line = gl.GLLinePlotItem(color=(0.84, 0.19, 0.12, 1.0), width=3, antialias=True)
        grid = gl.GLGridItem()
        grid.setSize(2, 2, 1)
        grid.setSpacing(0.25, 0.25, 1)
        grid.setColor((0, 0, 0, 60))
        axes = gl.GLLinePlotItem(pos=np.array([[-1, -1, 0], [1.1, -1, 0], [-1, -1, 0], [-1, 1.1, 0], [-1, -1, 0],
                                               [-1, -1, 1.1]]), mode="lines", color=(0.15, 0.15, 0.15, 1), width=2)
        self._labels = {key: gl.GLTextItem(pos=pos, color=(37, 37, 37, 255)) for key, pos in
                        (("x", (-0.4, -1.35, 0)), ("y", (0.2, 1.2, 0)), ("z", (-1.0, -1.0, 1.15)))}
        for it in (grid, axes, self._mesh, self._line, *self._labels.values()):
            view.addItem(it)
        self._pages.addWidget(view)
        self._pages.setCurrentWidget(view)
        self.gl = view

    def set_surface(self, surf: Surface) -> None:
        self._surface = surf
        self._redraw()

    def set_loss_name(self, decay) -> None:
        """The height is log₁₀ E, or log₁₀ (E + R) with a weight decay (None: without)."""
        self._loss_name = "E" if decay is None else "(E + R)"
        self._redraw()

    def set_path(self, xs: np.ndarray, ys: np.ndarray, losses: np.ndarray) -> None:
        self._path = (np.asarray(xs), np.asarray(ys), np.asarray(losses))
        self._redraw()

    def axis_texts(self) -> dict[str, str]:
        """What the axes are labelled with (empty before there is a GL view and a surface)."""
        if self.gl is None:
            return {}
        return {key: label.text for key, label in self._labels.items()}

    def _redraw(self) -> None:
        """Unit box: x and y scaled to [-1, 1] over the grid, height log₁₀ E scaled to [0, 1]."""
        if self.gl is None or self._surface is None:
            return
        s = self._surface
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log10(np.where(s.loss > 0, s.loss, np.nan))
        finite = z[np.isfinite(z)]
        if len(finite) == 0:
            return
        lo, hi = float(finite.min()), float(finite.max())
        hi = hi if hi > lo else lo + 1.0

        def unit(v, a, b):
            return (np.asarray(v) - a) / (b - a) * 2 - 1

        height = np.clip(np.nan_to_num((z - lo) / (hi - lo), nan=1.0), 0.0, 1.0)
        colors = SURFACE_COLORS.map(height.T.ravel(), mode="float")  # one RGBA row per vertex, x-major
        self._mesh.setData(x=unit(s.x, s.x[0], s.x[-1]), y=unit(s.y, s.y[0], s.y[-1]), z=height.T, colors=colors)
        self._labels["x"].setData(text=f"{s.x_name} [{s.x[0]:.3g}, {s.x[-1]:.3g}]")
        self._labels["y"].setData(text=f"{s.y_name} [{s.y[0]:.3g}, {s.y[-1]:.3g}]")
        self._labels["z"].setData(text=f"log₁₀ {self._loss_name} [{lo:.2f}, {hi:.2f}]")
        xs, ys, es = self._path
        if len(xs):
            with np.errstate(divide="ignore", invalid="ignore"):
                pz = (np.log10(np.maximum(es, 1e-300)) - lo) / (hi - lo)
            pts = np.column_stack([unit(xs, s.x[0], s.x[-1]), unit(ys, s.y[0], s.y[-1]), pz + 0.01])
            self._line.setData(pos=pts[np.isfinite(pts).all(axis=1)])
