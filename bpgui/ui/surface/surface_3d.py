"""The error surface in 3D (pyqtgraph.opengl), where OpenGL is available.

Offscreen and other displays without OpenGL get a short explanation instead; the 2-D surface view shows the same
numbers. The GL widget is created the first time the view is shown, so start-up never touches OpenGL.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QOpenGLContext
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from ...core.surface import Surface
from ..style import SURFACE_COLORS

NO_GL = ("The 3D view needs OpenGL, which this display does not provide (for example Qt's offscreen platform). "
         "Everything else works; the Surface view shows the same numbers in 2-D.")


def opengl_available() -> bool:
    """True when this platform can make a desktop OpenGL context."""
    if QGuiApplication.platformName() in ("offscreen", "minimal", "vnc"):
        return False
    ctx = QOpenGLContext()
    return ctx.create() and not ctx.isOpenGLES()


class Surface3D(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel(NO_GL)
        self.message.setWordWrap(True)
        self.message.setMargin(16)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self.message)
        self.gl = None  # the GLViewWidget, once made
        self._available: bool | None = None
        self._surface: Surface | None = None
        self._path = (np.zeros(0), np.zeros(0), np.zeros(0))
        self._tries = 0
        self._timer = QTimer(self)  # owned: it dies with the widget
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._make_gl_if_shown)

    @property
    def available(self) -> bool:
        if self._available is None:
            self._available = opengl_available()
        return self._available

    def showEvent(self, ev):
        super().showEvent(ev)
        if self.gl is None:
            # not inside the show: an OpenGL widget made while its window is being shown can crash Qt
            self._tries = 20
            self._timer.start(0)

    def _make_gl_if_shown(self) -> None:
        if self.gl is not None or not self.isVisible():
            return
        if self.visibleRegion().isEmpty():  # shown but not laid out yet (e.g. a tab being switched to)
            if self._tries:
                self._tries -= 1
                self._timer.start(100)
            return
        if self.available:
            try:
                self._make_gl()
            except Exception as e:  # e.g. no PyOpenGL, or a driver that fails: say so, keep the rest working
                self._available = False
                self.message.setText(f"{NO_GL}\n\n({type(e).__name__}: {e})")
                return
            self._redraw()

    def _make_gl(self) -> None:
        import pyqtgraph.opengl as gl

        self.gl = gl.GLViewWidget()
        self.gl.setBackgroundColor("w")
        self.gl.setCameraPosition(distance=3.2, elevation=28, azimuth=-60)
        self._mesh = gl.GLSurfacePlotItem(computeNormals=False, smooth=False)
        self._line = gl.GLLinePlotItem(color=(0.84, 0.19, 0.12, 1.0), width=3, antialias=True)
        grid = gl.GLGridItem()
        grid.setSize(2, 2, 1)
        grid.setSpacing(0.25, 0.25, 1)
        grid.setColor((0, 0, 0, 60))
        for it in (grid, self._mesh, self._line):
            self.gl.addItem(it)
        self._pages.addWidget(self.gl)
        self._pages.setCurrentWidget(self.gl)

    def set_surface(self, surf: Surface) -> None:
        self._surface = surf
        self._redraw()

    def set_path(self, xs: np.ndarray, ys: np.ndarray, losses: np.ndarray) -> None:
        self._path = (np.asarray(xs), np.asarray(ys), np.asarray(losses))
        self._redraw()

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
        xs, ys, es = self._path
        if len(xs):
            with np.errstate(divide="ignore", invalid="ignore"):
                pz = (np.log10(np.maximum(es, 1e-300)) - lo) / (hi - lo)
            pts = np.column_stack([unit(xs, s.x[0], s.x[-1]), unit(ys, s.y[0], s.y[-1]), pz + 0.01])
            self._line.setData(pos=pts[np.isfinite(pts).all(axis=1)])
