"""The error surface view: E over two chosen parameters with every other parameter held at its current value.

A heatmap of log₁₀ E on a steady colour scale, with contour lines and a colour bar; on top, the path the two
parameters have taken (older parts fainter), the current point (drag it to set both parameters), the arrows of
−∂E/∂p_x, −∂E/∂p_y and their sum −∇E on one scale for a stretch of training, and where the optimizer's next step
lands; optionally the paths of an optimizer race, each named at its end. It only draws: the surface and the
numbers come from :mod:`bpgui.ui.surface.surface_controller`.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.planes import PLANES
from ...core.surface import Surface
from ...core.surface_picture import SurfacePicture
from ..style import SURFACE_COLORS, TEXT_COLOR, FittedCaption, grid_rect, make_plot

PATH_COLOR = (255, 255, 255)
POINT_COLOR = "#d7301f"
X_ARROW = "#fdae61"  # −∂E/∂p_x (along x)
Y_ARROW = "#abd9e9"  # −∂E/∂p_y (along y)
SUM_ARROW = "#ffffff"  # −∇E
NEXT_COLOR = "#fee08b"
#: race paths: colours apart from the arrows', the point's and the ring's, each on a dark underlay
RACE_COLORS = {"sgd": "#f0027f", "momentum": "#00e5ff", "nesterov": "#b2df8a", "adagrad": "#cab2d6",
               "rmsprop": "#ffff99", "adam": "#a6ff00"}
RACE_SYMBOLS = {"sgd": "o", "momentum": "s", "nesterov": "d", "adagrad": "t", "rmsprop": "p", "adam": "t1"}
#: lines of text the caption has room for
CAPTION_LINES = 6
#: the path is drawn in this many parts by age, the oldest faintest
PATH_BANDS = 6
#: how the grid follows the current point
VIEW_MODES = {"follow": "Follow", "fixed": "Fixed", "path": "Whole path"}
VIEW_TIPS = {"follow": "the grid follows the current point: it moves when the point nears an edge",
             "fixed": "the grid stays where it is; the point may leave it",
             "path": "the grid covers the whole path from its start and the current point"}
#: what each plane is, for its entry's tip
PLANE_TIPS = {"weights": "two parameters, x and y, with every other one held at its value",
              "gradient": "through the current weights along −∇E and the top curvature direction orthogonal to it",
              "pca": "through the current weights along the top two principal directions of the path so far",
              "random": "through the current weights along two random filter-normalised directions"}


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

    @property
    def shown(self) -> bool:
        return self.line.isVisible()

    def end(self) -> tuple[float, float] | None:
        if not self.shown:
            return None
        xs, ys = self.line.getData()
        return float(xs[-1]), float(ys[-1])


class SurfaceView(QWidget):
    #: the user picked the two parameters (x, y)
    sigPairChosen = Signal(str, str)
    #: the user chose the plane ("weights", "gradient", "pca" or "random")
    sigPlaneChosen = Signal(str)
    #: the grid's half-width changed
    sigSpanChanged = Signal(float)
    #: how the grid follows the point changed ("follow", "fixed" or "path")
    sigViewModeChanged = Signal(str)
    #: the user asked for a new arrow scale, fitted to the gradient now
    sigFitArrows = Signal()
    sigDragStarted = Signal()
    #: the current point is being dragged to (x, y)
    sigDragged = Signal(float, float)
    sigDragFinished = Signal()
    sigRaceRequested = Signal()
    #: the plot area's size changed (the grid follows its proportions)
    sigResized = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.x_combo = QComboBox()
        self.y_combo = QComboBox()
        for c, axis in ((self.x_combo, "x"), (self.y_combo, "y")):
            c.setToolTip(f"the parameter on the surface's {axis} axis (or right-click an edge on the canvas)")
            c.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(5)
        self.plane = QComboBox()
        for key in PLANES:
            self.plane.addItem(key, key)
            self.plane.setItemData(self.plane.count() - 1, PLANE_TIPS[key], Qt.ToolTipRole)
        self.plane.setToolTip("the plane of the surface: " + "; ".join(f"{k}: {t}" for k, t in PLANE_TIPS.items()))
        self.plane.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.span = QDoubleSpinBox()
        self.span.setRange(0.01, 1000.0)
        self.span.setDecimals(2)
        self.span.setSingleStep(0.5)
        self.span.setKeyboardTracking(False)
        self.span.setPrefix("± ")
        self.span.setToolTip("how far the grid reaches on each side of the current values (along the shorter side)")
        self.view_mode = QComboBox()
        for key, label in VIEW_MODES.items():
            self.view_mode.addItem(label, key)
            self.view_mode.setItemData(self.view_mode.count() - 1, VIEW_TIPS[key], Qt.ToolTipRole)
        self.view_mode.setToolTip("where the grid lies: " + "; ".join(
            f"{VIEW_MODES[k]}: {t}" for k, t in VIEW_TIPS.items()))
        self.view_mode.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.fit_arrows = QToolButton()
        self.fit_arrows.setText("Fit arrows")
        self.fit_arrows.setToolTip("the arrows keep one scale while training goes on, so they shrink as the "
                                   "gradient does; this fits the scale to the gradient now")
        self.span.setMaximumWidth(84)
        self.race = QToolButton()
        self.race.setText("Race")
        self.race.setToolTip("train copies from the current weights with sgd, momentum and adam, and draw the "
                             "paths these two parameters take")
        top = QHBoxLayout()  # what is shown
        top.setContentsMargins(4, 2, 4, 0)
        for label, w in (("x", self.x_combo), ("y", self.y_combo)):
            top.addWidget(QLabel(label))
            top.addWidget(w, 1)
        top.addWidget(self.span)
        tools = QHBoxLayout()  # how it is shown, and the race
        tools.setContentsMargins(4, 0, 4, 0)
        tools.addWidget(self.plane)  # here, not above: the row of x and y sets the view's narrowest width
        tools.addWidget(QLabel("grid"))
        tools.addWidget(self.view_mode)
        tools.addWidget(self.fit_arrows)
        tools.addStretch(1)
        tools.addWidget(self.race)

        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.setAspectLocked(True)  # equal scales: −∇E is at right angles to the contour lines
        # room for the parameter's name and tick labels such as "−84.5" side by side from the first frame on
        self.plot_item.getAxis("left").setWidth(58)
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
        axis.setStyle(autoExpandTextSpace=True, tickTextOffset=4)
        axis.setWidth(56)  # tick labels and the title side by side, not on top of each other
        # the path by age: the oldest part faintest
        self.path_bands = []
        for k in range(PATH_BANDS):
            alpha = int(255 * (0.25 + 0.75 * (k + 1) / PATH_BANDS))
            band = pg.PlotCurveItem(pen=pg.mkPen((*PATH_COLOR, alpha), width=2))
            band.setZValue(5)
            self.plot_item.addItem(band, ignoreBounds=True)
            self.path_bands.append(band)
        self.start = pg.ScatterPlotItem(size=8, symbol="s", brush=PATH_COLOR, pen=pg.mkPen("#202020"))
        self.start.setZValue(6)
        self.start.setToolTip("where the path began")
        self.plot_item.addItem(self.start, ignoreBounds=True)
        self.race_paths: dict[str, pg.PlotDataItem] = {}
        self._race_items: list = []
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
        self.message = pg.TextItem(color="#252525", fill=(255, 255, 255, 230), border="#969696", anchor=(0.5, 0.5))
        self.message.setZValue(30)
        self.plot_item.addItem(self.message, ignoreBounds=True)
        self.message.hide()
        self.caption = FittedCaption()
        self.caption.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        # a fixed height: a caption that grows or shrinks would resize the plot, and with it the grid
        self._size_caption()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addLayout(tools)
        lay.addWidget(self.plot_widget, 1)
        lay.addWidget(self.caption)

        self.surface: Surface | None = None
        self.picture: SurfacePicture | None = None
        self._rect = None
        self._labels: tuple | None = None
        self._names: list[str] = []
        self._current: tuple[float, float] | None = None
        self._dragging = False
        self.x_combo.activated.connect(self._on_combo)
        self.y_combo.activated.connect(self._on_combo)
        self.span.valueChanged.connect(self.sigSpanChanged)
        self.plane.activated.connect(lambda _i: self.sigPlaneChosen.emit(self.plane.currentData()))
        self.view_mode.activated.connect(lambda _i: self.sigViewModeChanged.emit(self.view_mode.currentData()))
        self.fit_arrows.clicked.connect(self.sigFitArrows)
        self.race.clicked.connect(self.sigRaceRequested)
        self.point.sigDragStarted.connect(self._drag_started)
        self.point.sigPositionChanged.connect(self._drag_moved)
        self.point.sigPositionChangeFinished.connect(self._drag_finished)
        self.plot_item.vb.sigResized.connect(lambda *_: self.sigResized.emit())

    def _size_caption(self) -> None:
        self.caption.setFixedHeight(CAPTION_LINES * self.fontMetrics().lineSpacing() + 6)

    def changeEvent(self, ev):
        super().changeEvent(ev)
        if ev.type() == QEvent.FontChange:  # e.g. classroom mode's larger text
            self._size_caption()

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

    def set_plane(self, kind: str) -> None:
        """Show ``kind`` as the chosen plane: the x/y boxes, grid modes and the race are for "weights" only; the
        point drags on every plane (on a plane of directions it moves every parameter along the plane)."""
        self.plane.setCurrentIndex(max(0, self.plane.findData(kind)))
        weights = kind == "weights"
        for w in (self.x_combo, self.y_combo, self.view_mode, self.race):
            w.setEnabled(weights)
        self.point.setToolTip("the current values of the two parameters: drag to set them" if weights else
                              "the current weights, the plane's origin: drag to move every parameter to "
                              "origin + x·u + y·v (one undo step)")

    def set_view_mode(self, mode: str) -> None:
        self.view_mode.setCurrentIndex(max(0, self.view_mode.findData(mode)))

    def _on_combo(self, _i) -> None:
        x, y = self.x_combo.currentText(), self.y_combo.currentText()
        if x and y:
            self.sigPairChosen.emit(x, y)

    def aspect(self) -> float:
        """Width over height of the plot area on screen (1 before it is laid out)."""
        rect = self.plot_item.vb.boundingRect()
        return float(rect.width() / rect.height()) if rect.width() > 10 and rect.height() > 10 else 1.0

    # ------------------------------------------------------------------ drawing
    def clear(self) -> None:
        self.surface = None
        self.picture = None
        self._rect = None
        self.image.clear()
        self.contours.setData([], [])
        self.set_path(np.zeros(0), np.zeros(0))
        self.set_point(None)
        self.set_race(None)
        self.show_message(None)
        self.caption.setText("")

    def show_message(self, text: str | None) -> None:
        """A note in the middle of the plot (None: none)."""
        if not text:
            self.message.hide()
            return
        self.message.setText(text)
        rect = self.plot_item.vb.viewRect()
        self.message.setPos(rect.center())
        self.message.show()

    def set_loss_name(self, decay) -> None:
        """The colour bar names the loss drawn: log₁₀ E, or log₁₀ (E + R) with a weight decay (None: without)."""
        self.colorbar.getAxis("right").setLabel("log₁₀ E" if decay is None else "log₁₀ (E + R)", color=TEXT_COLOR)

    def set_surface(self, surf: Surface, picture: SurfacePicture | None) -> None:
        """A new grid of E (kept until the next) and its picture (log₁₀ E, levels, contours); without a picture
        the grid is flat to rounding precision, and nothing is drawn of it."""
        self.surface = surf
        self.picture = picture
        rect = grid_rect(surf.x, surf.y)
        if rect != self._rect:  # a new range means new ticks: only when the grid moved
            self._rect = rect
            self.plot_item.setRange(rect, padding=0.0)
        self._set_labels(surf.x_name, surf.y_name)
        if picture is None:
            self.image.clear()
            self.contours.setData([], [])
            finite = surf.loss[np.isfinite(surf.loss)]
            self.show_message("E is the same everywhere on this grid, to rounding precision"
                              + (f" (E = {finite[0]:.6g})" if len(finite) else "")
                              + ":\nthere is no landscape to draw here. Widen the span or choose other parameters.")
            return
        self.show_message(None)
        self.image.setImage(picture.image, levels=picture.levels, autoLevels=False)
        self.image.setRect(rect)
        self.colorbar.setLevels(picture.levels)
        seg = picture.contours
        self.contours.setData(seg[:, :, 0].ravel(), seg[:, :, 1].ravel())

    def _set_labels(self, x: str | None, y: str | None) -> None:
        if (x, y) != self._labels:
            self._labels = (x, y)
            self.plot_item.setLabel("bottom", x or "")
            self.plot_item.setLabel("left", y or "")

    def set_path(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """The path (one point per training snapshot), in PATH_BANDS parts by age, with a square at its start."""
        n = len(xs)
        cuts = np.linspace(0, n, PATH_BANDS + 1).astype(int)
        for k, band in enumerate(self.path_bands):
            a, b = cuts[k], cuts[k + 1]
            if b - a < 1:
                band.setData([], [])
                continue
            a = max(0, a - 1)  # the parts join
            band.setData(xs[a:b], ys[a:b])
        self.start.setData(xs[:1], ys[:1])

    def path_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The drawn path, oldest first."""
        xs, ys = [], []
        for band in self.path_bands:
            x, y = band.getData()
            if x is None or len(x) == 0:
                continue
            skip = 1 if xs else 0  # the point each part shares with the one before
            xs.append(x[skip:])
            ys.append(y[skip:])
        return (np.concatenate(xs), np.concatenate(ys)) if xs else (np.zeros(0), np.zeros(0))

    def set_point(self, point: tuple[float, float] | None, gradient: tuple[float, float] | None = None,
                  next_point: tuple[float, float] | None = None, scale: float | None = None) -> None:
        """The current values; −∂E/∂p_x, −∂E/∂p_y and −∇E as arrows from them, from p to p − ``scale``·∂E/∂p (no
        arrows without a gradient or a scale); and where the optimizer's next step lands."""
        self._current = point
        if not self._dragging:
            self.point.setVisible(point is not None)
            if point is not None:
                self.point.blockSignals(True)
                self.point.setPos(*point)
                self.point.blockSignals(False)
        shown = (point is not None and gradient is not None and scale is not None
                 and all(map(math.isfinite, gradient)))
        if shown:
            x0, y0 = point
            gx, gy = gradient
            k = scale
            self.x_arrow.set(point, (x0 - k * gx, y0))
            self.y_arrow.set(point, (x0, y0 - k * gy))
            self.sum_arrow.set(point, (x0 - k * gx, y0 - k * gy))
        else:
            for a in (self.x_arrow, self.y_arrow, self.sum_arrow):
                a.set(None)
        if point is not None and next_point is not None and all(map(math.isfinite, next_point)):
            self.next_line.setData([point[0], next_point[0]], [point[1], next_point[1]])
            self.next_point.setData([next_point[0]], [next_point[1]])
        else:
            self.next_line.setData([], [])
            self.next_point.setData([])

    def hide_next_step(self, hidden: bool) -> None:
        """Hide where the optimizer's next step lands (the ring and its line), e.g. while a lesson asks for it."""
        for it in (self.next_line, self.next_point):
            it.setVisible(not hidden)

    def grid_width(self) -> float:
        """The grid's width along x (parameter units)."""
        if self.surface is not None:
            return float(self.surface.x[-1] - self.surface.x[0])
        return 2.0 * self.span.value()

    def set_race(self, paths: dict[str, np.ndarray] | None) -> None:
        """Paths of an optimizer race (name → rows of (x, y, loss)), each named at its end; None removes them."""
        for item in self._race_items:
            self.plot_item.removeItem(item)
        self._race_items = []
        self.race_paths = {}
        for name, rows in (paths or {}).items():
            color = RACE_COLORS.get(name, "#dddddd")
            under = pg.PlotCurveItem(rows[:, 0], rows[:, 1], pen=pg.mkPen("#202020", width=4.5))
            item = pg.PlotDataItem(rows[:, 0], rows[:, 1], pen=pg.mkPen(color, width=2),
                                   symbol=RACE_SYMBOLS.get(name, "o"), symbolSize=5, symbolPen=pg.mkPen("#202020"),
                                   symbolBrush=color)
            label = pg.TextItem(f"{name} ({len(rows) - 1})", color=color, fill=(20, 20, 20, 190), anchor=(0, 1))
            if len(rows):
                label.setPos(float(rows[-1, 0]), float(rows[-1, 1]))
            for z, it in ((3, under), (4, item), (15, label)):
                it.setZValue(z)
                self.plot_item.addItem(it, ignoreBounds=True)
                self._race_items.append(it)
            self.race_paths[name] = item

    def set_caption(self, html: str) -> None:
        if html != self.caption.text():
            self.caption.setText(html)
            self.caption.setToolTip(html)  # all of it, should the room be too small

    # ------------------------------------------------------------------ export
    def picture_image(self, width: int | None = None) -> QImage:
        """The plot and its caption (not the controls above them) as one image, ``width`` pixels wide (default: as
        shown); everything scales with it, the text too."""
        plot, caption = self.plot_widget, self.caption
        w, h_plot = plot.width(), plot.height()
        h_cap = caption.height()  # fixed
        scale = (width / w) if width else 1.0
        image = QImage(int(round(w * scale)), int(round((h_plot + h_cap) * scale)), QImage.Format_ARGB32)
        image.fill(Qt.white)
        painter = QPainter(image)
        try:
            painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
            painter.scale(scale, scale)
            plot.render(painter, QRectF(0, 0, w, h_plot), QRect(0, 0, w, h_plot))  # the view's scene, as shown
            caption.render(painter, QPoint(0, h_plot))
        finally:
            painter.end()
        return image

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
