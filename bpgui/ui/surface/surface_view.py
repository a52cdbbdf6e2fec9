"""The error surface view: E over two chosen parameters with every other parameter held at its current value.

A heatmap of log₁₀ E with contour lines and a colour bar; on top, the path the two parameters have taken, the
current point (drag it to set both parameters), the arrows of −∂E/∂p_x, −∂E/∂p_y and their sum −∇E, and where
the optimizer's next step lands; optionally the paths of an optimizer race. It only draws: the surface and the
numbers come from :mod:`bpgui.ui.surface.surface_controller`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.surface import Surface
from ...core.surface_picture import SurfacePicture, surface_picture
from ..style import SURFACE_COLORS, TEXT_COLOR, caption_label, grid_rect, make_plot

PATH_COLOR = "#ffffff"
POINT_COLOR = "#d7301f"
X_ARROW = "#fdae61"  # −∂E/∂p_x (along x)
Y_ARROW = "#abd9e9"  # −∂E/∂p_y (along y)
SUM_ARROW = "#ffffff"  # −∇E
NEXT_COLOR = "#fee08b"
RACE_COLORS = {"sgd": "#ff7f00", "momentum": "#e7298a", "nesterov": "#66a61e", "adagrad": "#a6761d",
               "rmsprop": "#1f78b4", "adam": "#e31a1c"}
#: the sum arrow's length as a share of the grid's width
ARROW_SHARE = 0.28


class DragTarget(pg.TargetItem):
    """The current point: a target the user drags; tells when a drag starts and ends."""

    sigDragStarted = Signal()

    def mouseDragEvent(self, ev):
        if ev.button() == Qt.LeftButton and ev.isStart() and self.movable:
            self.sigDragStarted.emit()
        super().mouseDragEvent(ev)


class Arrow:
    """A line from a start to an end in data coordinates, with a head at the end (screen-sized)."""

    def __init__(self, plot: pg.PlotItem, color: str, width: float, z: float):
        self.line = pg.PlotCurveItem(pen=pg.mkPen(color, width=width))
        self.head = pg.ArrowItem(headLen=13, tipAngle=32, tailLen=None, brush=color, pen=pg.mkPen("#202020", width=1))
        for it in (self.line, self.head):
            it.setZValue(z)
            plot.addItem(it, ignoreBounds=True)
        self.set(None)

    def set(self, start, end=None) -> None:
        shown = start is not None and end is not None and (end[0] != start[0] or end[1] != start[1])
        self.line.setVisible(shown)
        self.head.setVisible(shown)
        if not shown:
            return
        self.line.setData([start[0], end[0]], [start[1], end[1]])
        phi = math.degrees(math.atan2(end[1] - start[1], end[0] - start[0]))
        self.head.setStyle(angle=180.0 - phi)  # ArrowItem: 0° points left, angles turn clockwise on screen
        self.head.setPos(*end)


class SurfaceView(QWidget):
    #: the user picked the two parameters (x, y)
    sigPairChosen = Signal(str, str)
    #: the grid's half-width changed
    sigSpanChanged = Signal(float)
    sigDragStarted = Signal()
    #: the current point is being dragged to (x, y)
    sigDragged = Signal(float, float)
    sigDragFinished = Signal()
    sigRaceRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.x_combo = QComboBox()
        self.y_combo = QComboBox()
        for c, axis in ((self.x_combo, "x"), (self.y_combo, "y")):
            c.setToolTip(f"the parameter on the surface's {axis} axis (or right-click an edge on the canvas)")
            c.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(8)
        self.span = QDoubleSpinBox()
        self.span.setRange(0.01, 1000.0)
        self.span.setDecimals(2)
        self.span.setSingleStep(0.5)
        self.span.setKeyboardTracking(False)
        self.span.setPrefix("± ")
        self.span.setToolTip("how far the grid reaches on each side of the current values")
        self.race = QPushButton("Race")
        self.race.setToolTip("train copies from the current weights with sgd, momentum and adam, and draw the "
                             "paths these two parameters take")
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        for label, w in (("x", self.x_combo), ("y", self.y_combo)):
            top.addWidget(QLabel(label))
            top.addWidget(w, 1)
        top.addWidget(self.span)
        top.addWidget(self.race)

        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(SURFACE_COLORS)
        self.image.setZValue(-10)
        self.plot_item.addItem(self.image)
        self.contours = pg.PlotCurveItem(pen=pg.mkPen((255, 255, 255, 110), width=1), connect="pairs")
        self.contours.setZValue(-5)
        self.plot_item.addItem(self.contours, ignoreBounds=True)
        self.colorbar = pg.ColorBarItem(colorMap=SURFACE_COLORS, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot_item)
        axis = self.colorbar.getAxis("right")
        axis.setPen(TEXT_COLOR)
        axis.setTextPen(TEXT_COLOR)
        axis.enableAutoSIPrefix(False)
        axis.setLabel("log₁₀ E", color=TEXT_COLOR)
        self.path = pg.PlotDataItem(pen=pg.mkPen(PATH_COLOR, width=2))
        self.path.setZValue(5)
        self.start = pg.ScatterPlotItem(size=8, symbol="s", brush=PATH_COLOR, pen=pg.mkPen("#202020"))
        self.start.setZValue(6)
        self.race_paths: dict[str, pg.PlotDataItem] = {}
        for it in (self.path, self.start):
            self.plot_item.addItem(it, ignoreBounds=True)
        self.x_arrow = Arrow(self.plot_item, X_ARROW, 2.5, 8)
        self.y_arrow = Arrow(self.plot_item, Y_ARROW, 2.5, 8)
        self.sum_arrow = Arrow(self.plot_item, SUM_ARROW, 3.5, 9)
        self.next_line = pg.PlotCurveItem(pen=pg.mkPen(NEXT_COLOR, width=1.5, style=Qt.DashLine))
        # a ring wider than the point, so a small step still shows around it
        self.next_point = pg.ScatterPlotItem(size=22, symbol="o", brush=None, pen=pg.mkPen(NEXT_COLOR, width=2.5))
        for it in (self.next_line, self.next_point):
            it.setZValue(10)
            self.plot_item.addItem(it, ignoreBounds=True)
        self.point = DragTarget(size=14, symbol="o", pen=pg.mkPen("#202020", width=1.5), brush=POINT_COLOR,
                                hoverBrush="#fc8d59", movable=True)
        self.point.setZValue(20)
        self.point.setToolTip("the current values of the two parameters: drag to set them")
        self.plot_item.addItem(self.point, ignoreBounds=True)
        self.legend = self.plot_item.addLegend(offset=(8, 8), labelTextColor="#ffffff", brush=(30, 30, 30, 170))
        self.legend.addItem(self.path, "path")
        self.caption = caption_label(background=None)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.plot_widget, 1)
        lay.addWidget(self.caption)

        self.surface: Surface | None = None
        self._rect = None
        self._labels: tuple | None = None
        self._names: list[str] = []
        self._current: tuple[float, float] | None = None
        self._scale = 1.0
        self._dragging = False
        self.x_combo.activated.connect(self._on_combo)
        self.y_combo.activated.connect(self._on_combo)
        self.span.valueChanged.connect(self.sigSpanChanged)
        self.race.clicked.connect(self.sigRaceRequested)
        self.point.sigDragStarted.connect(self._drag_started)
        self.point.sigPositionChanged.connect(self._drag_moved)
        self.point.sigPositionChangeFinished.connect(self._drag_finished)

    # ------------------------------------------------------------------ choosing
    def set_parameters(self, names: list[str], x: str | None, y: str | None) -> None:
        """The parameters to choose from, and the chosen pair."""
        for c, chosen in ((self.x_combo, x), (self.y_combo, y)):
            c.blockSignals(True)
            if names != self._names:
                c.clear()
                c.addItems(names)
            c.setCurrentIndex(names.index(chosen) if chosen in names else -1)
            c.blockSignals(False)
        self._names = list(names)
        self._set_labels(x, y)

    def set_span(self, span: float) -> None:
        self.span.blockSignals(True)
        self.span.setValue(span)
        self.span.blockSignals(False)

    def _on_combo(self, _i) -> None:
        x, y = self.x_combo.currentText(), self.y_combo.currentText()
        if x and y:
            self.sigPairChosen.emit(x, y)

    # ------------------------------------------------------------------ drawing
    def clear(self) -> None:
        self.surface = None
        self._rect = None
        self.image.clear()
        self.contours.setData([], [])
        self.set_path(np.zeros(0), np.zeros(0))
        self.set_point(None)
        self.set_race(None)
        self.caption.setText("")

    def set_surface(self, surf: Surface, picture: SurfacePicture | None = None) -> None:
        """A new grid of E (kept until the next): heatmap of log₁₀ E, contour lines, colour bar. ``picture`` is
        :func:`surface_picture` of it, if already made (e.g. in a worker thread)."""
        self.surface = surf
        pic = picture or surface_picture(surf)
        if pic is None:
            self.image.clear()
            self.contours.setData([], [])
            return
        self.image.setImage(pic.image, levels=pic.levels, autoLevels=False)
        self.image.setRect(grid_rect(surf.x, surf.y))
        self.colorbar.setLevels(pic.levels)
        seg = pic.contours
        self.contours.setData(seg[:, :, 0].ravel(), seg[:, :, 1].ravel())
        self._set_labels(surf.x_name, surf.y_name)
        rect = grid_rect(surf.x, surf.y)
        if rect != self._rect:  # a new range means new ticks: only when the grid moved
            self._rect = rect
            self.plot_item.setRange(rect, padding=0.0)

    def _set_labels(self, x: str | None, y: str | None) -> None:
        if (x, y) != self._labels:
            self._labels = (x, y)
            self.plot_item.setLabel("bottom", x or "")
            self.plot_item.setLabel("left", y or "")

    def set_path(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """The path (one point per training snapshot), with a square at its start."""
        self.path.setData(xs, ys)
        self.start.setData(xs[:1], ys[:1])

    def set_point(self, point: tuple[float, float] | None, gradient: tuple[float, float] | None = None,
                  next_point: tuple[float, float] | None = None) -> None:
        """The current values, −∂E/∂p_x, −∂E/∂p_y and −∇E as arrows from them (scaled to be seen; the scale is in
        the caption), and where the optimizer's next step lands."""
        self._current = point
        if not self._dragging:
            self.point.setVisible(point is not None)
            if point is not None:
                self.point.blockSignals(True)
                self.point.setPos(*point)
                self.point.blockSignals(False)
        if point is None or gradient is None or not all(map(math.isfinite, gradient)):
            for a in (self.x_arrow, self.y_arrow, self.sum_arrow):
                a.set(None)
            self.next_line.setData([], [])
            self.next_point.setData([])
            return
        x0, y0 = point
        gx, gy = gradient
        norm = math.hypot(gx, gy)
        width = self._width()
        self._scale = ARROW_SHARE * width / norm if norm > 0 else 1.0
        k = self._scale
        self.x_arrow.set(point, (x0 - k * gx, y0))
        self.y_arrow.set(point, (x0, y0 - k * gy))
        self.sum_arrow.set(point, (x0 - k * gx, y0 - k * gy))
        if next_point is not None and all(map(math.isfinite, next_point)):
            self.next_line.setData([x0, next_point[0]], [y0, next_point[1]])
            self.next_point.setData([next_point[0]], [next_point[1]])
        else:
            self.next_line.setData([], [])
            self.next_point.setData([])

    def arrow_scale(self) -> float:
        """The factor k of the drawn arrows: an arrow from p to p − k·∂E/∂p."""
        return self._scale

    def _width(self) -> float:
        if self.surface is not None:
            return float(self.surface.x[-1] - self.surface.x[0])
        return 2.0 * self.span.value()

    def set_race(self, paths: dict[str, np.ndarray] | None) -> None:
        """Paths of an optimizer race (name → rows of (x, y, loss)), or None to remove them."""
        for item in self.race_paths.values():
            self.plot_item.removeItem(item)
            self.legend.removeItem(item)
        self.race_paths = {}
        for name, rows in (paths or {}).items():
            item = pg.PlotDataItem(rows[:, 0], rows[:, 1], pen=pg.mkPen(RACE_COLORS.get(name, "#999999"), width=2),
                                   symbol="o", symbolSize=3, symbolPen=None,
                                   symbolBrush=RACE_COLORS.get(name, "#999999"))
            item.setZValue(4)
            self.plot_item.addItem(item, ignoreBounds=True)
            self.legend.addItem(item, f"{name} ({len(rows) - 1} steps)")
            self.race_paths[name] = item

    def set_caption(self, html: str) -> None:
        if html != self.caption.text():
            self.caption.setText(html)

    # ------------------------------------------------------------------ dragging the point
    def _drag_started(self) -> None:
        self._dragging = True
        self.sigDragStarted.emit()

    def _drag_moved(self, *_) -> None:
        if self._dragging:
            p: QPointF = self.point.pos()
            self.sigDragged.emit(float(p.x()), float(p.y()))

    def _drag_finished(self, *_) -> None:
        if self._dragging:
            self._dragging = False
            self.sigDragFinished.emit()
