"""What the network canvas is made of: neurons (with a knob to drag connections from), edges (coloured and sized by
their weight, or by ∂E/∂w under the gradient overlay) and weight labels; the canvas's geometry and colours.

A layer of more than :data:`WIDE` neurons (64 inputs from a CSV table, say) is drawn compact: small circles close
together, named every few (at a size that stays readable at any zoom), and its edges drawn all at once by one
:class:`EdgeBundle` as thin lines, paler the smaller the weight, unlabelled. Each of those edges still has its own
(empty) item, which is picked, selected and hovered as any other, and draws itself in full when it matters:
selected, marked, on the surface, or touching a selected neuron.

Items only draw: the scene (:mod:`.network_scene`) turns gestures on them into edits of the document.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
    QStyle,
)

from ...core.activations import ACTIVATIONS
from ...core.network import Network, Neuron, weight_name
from ..style import NEGATIVE_COLOR, POSITIVE_COLOR

COLUMN = 150.0  # distance between layer columns
ROW = 78.0  # default distance between neurons in a column
RADIUS = 22.0
KNOB = 6.0
#: a layer of more neurons than this is drawn compact (small circles COMPACT_ROW apart, edges in one bundle)
WIDE = 16
COMPACT_RADIUS = 6.0
COMPACT_ROW = 16.0
COMPACT_KNOB = 3.0
#: in a network with a compact layer, the other layers' neurons may come this close by default (not closer than
#: their circles and bias labels need), so that no column stands far taller than the rest
MIN_ROW = 2 * RADIUS + 20
#: a compact layer's names: this size on screen at any zoom, and at least LABEL_GAP screen pixels apart
COMPACT_LABEL_FONT = ("DejaVu Sans", 8.5)
LABEL_GAP = 22.0
WEIGHT_PER_PIXEL = 0.01  # weight drag sensitivity
MAX_WIDTH_WEIGHT = 3.0  # |w| at which an edge reaches its full width

POSITIVE = QColor(POSITIVE_COLOR)  # blue: positive weight
NEGATIVE = QColor(NEGATIVE_COLOR)  # red: negative weight
FILL = {"input": QColor("#d9e6f2"), "hidden": QColor("#f7f7f7"), "output": QColor("#fde3c8")}
OUTLINE = QColor("#4d4d4d")
SELECTED = QColor("#f2a900")
VALID = QColor("#1a9850")
INVALID = QColor("#d73027")
AXIS_HALO = QColor(253, 174, 97, 110)  # the surface's chosen parameters
MARK_HALO = QColor(26, 152, 80, 130)  # the parameter under the mouse in another view (e.g. a bar of the Step view)
GRAD_UP = QColor("#7b3294")  # ∂E/∂w > 0: descent lowers the weight
GRAD_DOWN = QColor("#008837")  # ∂E/∂w < 0: descent raises the weight

#: a neuron picture's side (View > Neuron Pictures, see neuron_pictures.py): the neuron is drawn as the picture,
#: a square as wide as its circle (as the Playground draws its neurons; a square inside the circle was half as
#: large, ~21 px on screen at 1024x640, too small to read). Its name goes on a tag above (over the picture it hid
#: the middle, where the picture changes most), the activation's glyph to the enlarged picture on hover
PICTURE = 2 * RADIUS
#: the name tag above a picture: its height (it fits between the picture and the bias label of a neuron ROW above)
#: and its font
TAG = 16.0
TAG_FONT = ("DejaVu Sans", 10)

#: text on the canvas: at the window's default size the canvas is drawn at about its own scale, so these read as
#: large as the panels' text
ID_FONT = ("DejaVu Sans", 11)
SMALL_FONT = ("DejaVu Sans", 8.5)
#: where along an edge (0: its source, 1: its target) the surface's axis letter sits, and the places a weight
#: label may take, the first free one (fanning edges crowd near their shared neuron; the letter takes its own spot)
AXIS_AT = 0.3
LABEL_AT = (0.62, 0.5, 0.74, 0.42, 0.84)
#: an edge can be grabbed this many screen pixels away from its line, at any zoom
GRAB_PIXELS = 7.0

GLYPHS = {"linear": "lin", "sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "lReLU",
          "softplus": "s+", "gaussian": "gauss"}


def font(spec: tuple[str, float], bold: bool = False) -> QFont:
    f = QFont(spec[0])
    f.setPointSizeF(spec[1])
    f.setBold(bold)
    return f


def view_scale(item: QGraphicsItem) -> float:
    """Screen pixels per scene unit in the first view of the item's scene (1 without one)."""
    scene = item.scene()
    views = scene.views() if scene is not None else []
    return views[0].transform().m11() if views else 1.0


def column_x(layer: int) -> float:
    return layer * COLUMN


def layer_at(x: float) -> int:
    return int(round(x / COLUMN))


def is_wide(size: int) -> bool:
    """A layer of ``size`` neurons is drawn compact."""
    return size > WIDE


def layer_rows(sizes: list[int]) -> list[float]:
    """The default distance between neighbours in each layer of these sizes: ROW, and COMPACT_ROW in a wide layer.
    Next to a wide layer the others come closer (down to MIN_ROW), so that no column is much taller than the
    tallest compact one."""
    tallest = max((n * COMPACT_ROW for n in sizes if is_wide(n)), default=0.0)
    rows = []
    for n in sizes:
        if is_wide(n):
            rows.append(COMPACT_ROW)
        elif tallest:
            rows.append(min(ROW, max(MIN_ROW, tallest / max(n, 1))))
        else:
            rows.append(ROW)
    return rows


def default_positions(net: Network, known: dict) -> dict:
    """Positions for neurons that have none: stacked and centred in their layer's column (a wide layer in a tidy
    column COMPACT_ROW apart)."""
    out = {}
    layers = [[n.id for n in net.layer(k)] for k in range(net.num_layers)]
    for k, (ids, row) in enumerate(zip(layers, layer_rows([len(ids) for ids in layers]))):
        for i, nid in enumerate(ids):
            if nid not in known:
                out[nid] = (column_x(k), (i - (len(ids) - 1) / 2) * row)
    return out


def label_step(scale: float) -> int:
    """Every how many neurons a compact layer names one, at ``scale`` screen pixels per scene unit (1, 2, 4, ...)."""
    k = 1
    while k * COMPACT_ROW * scale < LABEL_GAP and k < 1 << 20:
        k *= 2
    return k


def shows_label(number: int, size: int, step: int) -> bool:
    """Whether neuron ``number`` (1-based) of a compact layer of ``size`` is named at this ``step``: the first, the
    last, and every ``step``-th, except those too close to the first or the last."""
    if number in (1, size):
        return True
    return number % step == 0 and number - 1 >= step / 2 and size - number >= step / 2


_COMPACT_FONTS: dict[bool, QFont] = {}


def compact_font(bold: bool) -> QFont:
    """The font of a compact layer's names (made once: 96 names are drawn at every snapshot)."""
    if bold not in _COMPACT_FONTS:
        _COMPACT_FONTS[bold] = font(COMPACT_LABEL_FONT, bold)
    return _COMPACT_FONTS[bold]


def fitted_font(text: str, spec: tuple[str, float], width: float, smallest: float = 7.0) -> QFont:
    """The bold font of ``spec``, smaller (down to ``smallest`` points) if ``text`` would be wider than ``width``
    (a neuron's name in its circle: h2_10 of a 16-neuron layer)."""
    f = font(spec, bold=True)
    w = QFontMetricsF(f).horizontalAdvance(text)
    if w > width:
        f.setPointSizeF(max(smallest, spec[1] * width / w))
    return f


def weight_pen(w: float, highlight: bool = False) -> QPen:
    width = 1.0 + 6.0 * min(abs(w) / MAX_WIDTH_WEIGHT, 1.0)
    color = QColor(POSITIVE if w >= 0 else NEGATIVE)
    if highlight:
        color = SELECTED
    pen = QPen(color, width)
    pen.setCapStyle(Qt.RoundCap)
    return pen


class WeightLabel(QGraphicsSimpleTextItem):
    """An edge's weight, on a light box so it stays readable where edges cross."""

    def paint(self, painter, option, widget=None):
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(255, 255, 255, 220))
        painter.drawRoundedRect(self.boundingRect().adjusted(-2, 0, 2, 0), 3, 3)
        super().paint(painter, option, widget)


class EdgeItem(QGraphicsPathItem):
    """One edge. A ``bundled`` edge (of a wide layer) is drawn by the scene's :class:`EdgeBundle` and draws nothing
    itself, and follows its weight cheaply, unless it is ``solo`` (selected, marked, on the surface, or touching
    a selected neuron): then it draws itself as any edge does. It never shows a label."""

    def __init__(self, src: str, dst: str, weight: float, bundled: bool = False):
        super().__init__()
        self.src, self.dst = src, dst
        self.weight = weight
        self.bundled = bundled
        self.solo = not bundled
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setFlag(QGraphicsItem.ItemHasNoContents, bundled)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        self._label: WeightLabel | None = None  # made when first wanted: a network may have thousands of edges
        self._p1 = self._p2 = QPointF()
        self.line = QLineF()
        self._pen_width = 1.0
        self._version = 0  # counts changes of the line and the pen's width
        self._shape: tuple | None = None  # (what it was made for, the grab area)
        self._bounds: tuple | None = None  # (what it was made for, the bounding box)
        self.label_t = LABEL_AT[0]
        self.axis: str | None = None  # "x" or "y" when the surface shows this weight
        self.marked = False  # another view points at this weight (see NetworkScene.set_marked_parameter)
        self.gradient: float | None = None  # ∂E/∂w, when the gradient overlay is on
        self.gradient_scale = 1.0  # the largest |∂E/∂w| of the network (full width)
        self._label_stale = True  # the label's text is written when it is on show (edges may number thousands)
        self.set_weight(weight)

    @property
    def name(self) -> str:
        return weight_name(self.src, self.dst)

    @property
    def label(self) -> WeightLabel:
        if self._label is None:
            self._label = WeightLabel(self)
            self._label.setFont(font(SMALL_FONT))
            self._label.setBrush(QColor("#333333"))
            self._label.setVisible(False)
            self._place_label()
        return self._label

    @property
    def label_shown(self) -> bool:
        return self._label is not None and self._label.isVisible()

    def set_ends(self, p1: QPointF, p2: QPointF) -> None:
        self.prepareGeometryChange()  # while the box is the old one
        self._p1, self._p2 = p1, p2
        self.line = QLineF(p1, p2)
        path = QPainterPath(p1)
        path.lineTo(p2)
        self.setPath(path)
        self._version += 1  # after setPath, which asks for the old box
        if self._label is not None:
            self._place_label()

    def set_solo(self, on: bool) -> None:
        """A bundled edge draws itself in full (on), or leaves its drawing to the bundle."""
        if not self.bundled or on == self.solo:
            return
        self.solo = on
        self.setFlag(QGraphicsItem.ItemHasNoContents, not on)
        if on:
            self._set_pen(self._pen(self.isSelected()))
        self.update()

    def point_at(self, t: float) -> QPointF:
        """The point a share ``t`` of the way from the source's rim to the target's."""
        return self._p1 * (1 - t) + self._p2 * t

    def label_rect_at(self, t: float) -> QRectF:
        """Where the weight label would be, in scene coordinates, with its centre a share ``t`` along the edge."""
        mid = self.point_at(t)
        r = self.label.boundingRect()
        return QRectF(mid.x() - r.width() / 2 - 2, mid.y() - r.height() / 2, r.width() + 4, r.height())

    def _place_label(self, t: float | None = None) -> None:
        """The label centred on the edge, ``t`` of the way along (default: the place it has)."""
        self.label_t = self.label_t if t is None else t
        rect = self.label_rect_at(self.label_t)
        self.label.setPos(rect.left() + 2, rect.top())

    def axis_rect(self) -> QRectF:
        """Where the axis letter is drawn (scene coordinates)."""
        mid = self.point_at(AXIS_AT)
        return QRectF(mid.x() - 9, mid.y() - 9, 18, 18)

    def set_weight(self, w: float) -> None:
        self.weight = w
        if self.solo:  # else the bundle draws it (a pen per edge and snapshot took most of a snapshot's time)
            self._set_pen(self._pen(self.isSelected()))
        if self._label is not None:  # (a label made later is written then)
            self._update_label()

    def set_label_visible(self, on: bool) -> None:
        on = on and not self.bundled
        if on or self._label is not None:
            self.label.setVisible(on)
        self._update_label()

    def _update_label(self) -> None:
        """Write the label's text now if it is on show, else when it is shown."""
        self._label_stale = True
        if self.label_shown:
            self.label.setText(self._label_text())
            self._place_label()
            self._label_stale = False

    def hoverEnterEvent(self, ev):
        # written when wanted rather than at every training snapshot
        gradient = f"<br>∂E/∂w {self.gradient:.6g}" if self.gradient is not None else ""
        self.setToolTip(f"<b>{self.src} → {self.dst}</b><br>weight {self.weight:.6g}{gradient}<br>"
                        "<i>drag up or down to change the weight; double-click to type it</i>")
        super().hoverEnterEvent(ev)

    def _pen(self, selected: bool) -> QPen:
        if self.gradient is None:
            return weight_pen(self.weight, selected)
        g = self.gradient
        width = 1.0 + 6.0 * min(abs(g) / self.gradient_scale, 1.0) if self.gradient_scale > 0 else 1.0
        pen = QPen(SELECTED if selected else (GRAD_UP if g > 0 else GRAD_DOWN), width)
        pen.setCapStyle(Qt.RoundCap)
        return pen

    def _label_text(self) -> str:
        return f"{self.weight:+.2f}" if self.gradient is None else f"∂E/∂w {self.gradient:+.3g}"

    def set_gradient(self, g: float | None, scale: float = 1.0) -> None:
        """Draw ∂E/∂w instead of w (None: back to the weight)."""
        self.gradient, self.gradient_scale = g, scale
        if self.solo:
            self._set_pen(self._pen(self.isSelected()))
        if self._label is not None:
            self._update_label()

    def set_axis(self, axis: str | None) -> None:
        self.axis = axis
        self.update()

    def _set_pen(self, pen: QPen) -> None:
        if pen.widthF() != self._pen_width:
            self.prepareGeometryChange()  # while the box is the old one
            self._pen_width = pen.widthF()
            self._version += 1
        self.setPen(pen)

    # The grab area and the box are made once per line and width (and zoom, for the area): Qt asks for them at
    # every paint, click and hover, for every edge whose box holds the spot, and a wide layer's edges are
    # thousands of boxes that overlap. The box is made at the zoom of the moment and kept, as Qt's own path item
    # keeps its box until its path or pen change (the scene's index must find an item where it filed it).
    def boundingRect(self) -> QRectF:
        if self._bounds is None or self._bounds[0] != self._version:
            self._bounds = (self._version, self.shape().controlPointRect().adjusted(-14, -14, 14, 14))
        return self._bounds[1]

    def set_marked(self, on: bool) -> None:
        self.marked = on
        self.update()

    def paint(self, painter, option, widget=None):
        if self.marked:  # a wide green halo: another view points at this weight
            painter.setRenderHint(QPainter.Antialiasing)
            halo = QPen(MARK_HALO, self._pen_width + 18)
            halo.setCapStyle(Qt.RoundCap)
            painter.setPen(halo)
            painter.drawPath(self.path())
        if self.axis:  # a wide soft halo and the axis letter: this weight is on the surface
            painter.setRenderHint(QPainter.Antialiasing)
            halo = QPen(AXIS_HALO, self._pen_width + 12)
            halo.setCapStyle(Qt.RoundCap)
            painter.setPen(halo)
            painter.drawPath(self.path())
        option.state &= ~QStyle.State_Selected  # the pen shows the selection; no dashed box around the edge
        super().paint(painter, option, widget)
        if self.axis:
            mid = self.point_at(AXIS_AT)
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor("#d95f02"))
            painter.drawEllipse(mid, 9, 9)
            painter.setPen(QColor("#ffffff"))
            painter.setFont(font(SMALL_FONT, bold=True))
            painter.drawText(QRectF(mid.x() - 9, mid.y() - 9, 18, 18), Qt.AlignCenter, self.axis)

    def shape(self) -> QPainterPath:
        """The line, GRAB_PIXELS either side on screen (wider if its pen is)."""
        width = max(2 * GRAB_PIXELS / view_scale(self), self._pen_width + 6)
        key = (self._version, width)
        if self._shape is None or self._shape[0] != key:
            stroker = QPainterPathStroker()
            stroker.setWidth(width)
            self._shape = (key, stroker.createStroke(self.path()))
        return self._shape[1]

    def distance_to(self, p: QPointF) -> float:
        """How far ``p`` (scene coordinates) is from the edge's line."""
        a, b = self._p1, self._p2
        d = b - a
        length2 = d.x() ** 2 + d.y() ** 2
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p - a).x() * d.x() + (p - a).y() * d.y()) / length2))
        q = a + d * t
        return math.hypot(p.x() - q.x(), p.y() - q.y())

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemSelectedHasChanged and self.solo:
            self._set_pen(self._pen(bool(value)))
        return super().itemChange(change, value)


class KnobItem(QGraphicsEllipseItem):
    """The small circle on a neuron's right: drag from it to connect."""

    def __init__(self, parent: NeuronItem):
        super().__init__(-KNOB, -KNOB, 2 * KNOB, 2 * KNOB, parent)
        self.setPos(RADIUS, 0)
        self.setBrush(QColor("#ffffff"))
        self.setPen(QPen(OUTLINE, 1.2))
        self.setCursor(Qt.CrossCursor)
        self.setToolTip("drag from here to another neuron to connect them")

    def set_size(self, neuron_radius: float, knob: float) -> None:
        self.setRect(-knob, -knob, 2 * knob, 2 * knob)
        self.setPen(QPen(OUTLINE, 1.2 if knob == KNOB else 0.8))
        self.setPos(neuron_radius, 0)


class NeuronItem(QGraphicsObject):
    """A neuron: a circle with its name, activation and bias; in a compact (wide) layer a small circle, named only
    every few neurons, beside it, at a size that does not change with the zoom (see :func:`shows_label`)."""

    def __init__(self, nid: str, scene):
        super().__init__()
        self.nid = nid
        self._scene = scene
        self.role = "hidden"
        self.layer = 0
        self.activation: str | None = None
        self.bias = 0.0
        self.highlight: QColor | None = None
        self.axis: str | None = None  # "x" or "y" when the surface shows this neuron's bias
        self.marked = False  # another view points at this neuron's bias
        self.compact = False  # in a wide layer: small, named every few
        self.radius = RADIUS
        self.number, self.layer_size = 1, 1  # its place in its layer (1-based) and the layer's size
        self.scale = 1.0  # screen pixels per scene unit in the view (a compact neuron's name keeps its size)
        self._name_px = 0.0  # the width of its name on screen, for a compact neuron
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setCursor(Qt.OpenHandCursor)
        self.setAcceptHoverEvents(True)  # the tooltip is written on hover
        self.knob = KnobItem(self)
        self._hovered = False
        self._id_font = font(ID_FONT, bold=True)
        self._tag_font = font(TAG_FONT, bold=True)  # the name above a picture, cut short to the item's width
        metrics = QFontMetricsF(self._tag_font)
        self._tag_text = metrics.elidedText(nid, Qt.ElideRight, 2 * RADIUS + 12)
        self._tag_width = metrics.horizontalAdvance(self._tag_text) + 8
        self.picture = None  # a NeuronPicture (see neuron_pictures.py), drawn in the circle; None: the usual look

    def update_from(self, n: Neuron, role: str, number: int = 1, layer_size: int = 1) -> None:
        """Show neuron ``n`` in its ``role`` (the network's ``roles()[n.id]``), the ``number``-th of its layer of
        ``layer_size`` neurons (a wide layer is drawn compact)."""
        self.role = role
        self.layer = n.layer
        self.activation, self.bias = n.activation, n.bias
        self.number, self.layer_size = number, layer_size
        compact = is_wide(layer_size)
        if compact != self.compact:
            self.prepareGeometryChange()
            self.compact = compact
            self.radius = COMPACT_RADIUS if compact else RADIUS
            self.knob.set_size(self.radius, COMPACT_KNOB if compact else KNOB)
            self._name_px = QFontMetricsF(font(COMPACT_LABEL_FONT)).horizontalAdvance(self.nid) + 8
        self._id_font = fitted_font(self.nid, ID_FONT, 2 * RADIUS - 6)
        self._show_knob()
        self.update()

    def _show_knob(self) -> None:
        """An output has no knob; a compact neuron shows its knob only under the mouse or while selected (a
        column of 64 knobs reads as a second column of neurons)."""
        self.knob.setVisible(self.role != "output" and (not self.compact or self._hovered or self.isSelected()))

    def set_scale(self, scale: float) -> None:
        """The view's zoom changed: a compact neuron's name keeps its size on screen (and which are named may
        change)."""
        if self.compact and scale != self.scale:
            self.prepareGeometryChange()
            self.scale = scale
            self.update()
        else:
            self.scale = scale

    def set_bias(self, bias: float) -> None:
        self.bias = bias
        if not self.compact:  # a compact neuron does not show it (its tooltip does)
            self.update()

    def set_picture(self, picture) -> None:
        """Draw this neuron's output over the inputs (a NeuronPicture) in its circle, or (None) its usual look."""
        if (picture is None) != (self.picture is None):
            self.prepareGeometryChange()  # the name tag above the circle comes or goes
        self.picture = picture
        self.update()

    def hoverEnterEvent(self, ev):
        self._hovered = True
        if self.picture is not None:  # the enlarged picture tells what the tooltip would, and more
            self.setToolTip("")
            self._scene.show_picture_zoom(self)
            self._show_knob()
            super().hoverEnterEvent(ev)
            return
        # written when wanted rather than at every training snapshot
        if self.layer == 0:
            inputs = [n.id for n in self._scene.network.inputs]
            tip = f"<b>{self.nid}</b> — input {inputs.index(self.nid) + 1} (a column of the data)"
        else:
            tip = (f"<b>{self.nid}</b> — {self.role} neuron, layer {self.layer}<br>activation {self.activation}: "
                   f"{ACTIVATIONS[self.activation].formula}<br>bias {self.bias:.6g}")
        if self.compact:
            tip += "<br><i>select it to see its weights; zoom in (wheel) to see every name</i>"
        self.setToolTip(tip + "<br><i>drag to move (to another column: another layer); right-click for more</i>")
        self._show_knob()
        super().hoverEnterEvent(ev)

    def hoverLeaveEvent(self, ev):
        self._hovered = False
        self._show_knob()
        self._scene.hide_picture_zoom(self)
        super().hoverLeaveEvent(ev)

    @property
    def named(self) -> bool:
        """A compact neuron's name is on show (at this zoom; always while it is picked or on the surface)."""
        return (shows_label(self.number, self.layer_size, label_step(self.scale)) or self.isSelected()
                or self.axis is not None or self.highlight is not None)

    def _name_rect(self) -> QRectF:
        """Where a compact neuron's name goes, left of the circle, in scene units."""
        s = self.scale
        w, h = (self._name_px + (18 if self.axis else 0)) / s, 16 / s
        return QRectF(-self.radius - 2 / s - w, -h / 2, w, h)

    def boundingRect(self) -> QRectF:
        if self.compact:
            r = self.radius + 6
            return QRectF(-r, -r, 2 * r + COMPACT_KNOB, 2 * r).united(self._name_rect())
        top = RADIUS + (TAG + 3 if self.picture is not None else 9)
        return QRectF(-RADIUS - 11, -top, 2 * RADIUS + 22, top + RADIUS + 21)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        if self.picture is not None and not self.compact:
            p.addRect(QRectF(-PICTURE / 2, -PICTURE / 2, PICTURE, PICTURE))
        else:
            p.addEllipse(QPointF(0, 0), self.radius, self.radius)
        return p

    def paint(self, painter: QPainter, option, widget=None):
        if self.compact:
            self._paint_compact(painter)
            return
        painter.setRenderHint(QPainter.Antialiasing)
        if self.marked:
            painter.setPen(Qt.NoPen)
            painter.setBrush(MARK_HALO)
            painter.drawEllipse(QPointF(0, 0), RADIUS + 9, RADIUS + 9)
        outline = self.highlight or (SELECTED if self.isSelected() else OUTLINE)
        pen = QPen(outline, 3.0 if (self.highlight or self.isSelected()) else 1.5)
        if self.picture is not None:  # the picture as the neuron, the name on a tag above it
            self._paint_picture(painter, pen)
        else:
            painter.setPen(pen)
            painter.setBrush(QBrush(FILL[self.role]))
            painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)
            self._paint_name(painter)
        if self.activation:
            painter.setFont(font(SMALL_FONT))
            bias_box = QRectF(-RADIUS - 10, RADIUS + 1, 2 * RADIUS + 20, 16)
            if self.axis:  # the bias is on the surface: its label on an orange tag with the axis letter
                painter.setPen(Qt.NoPen)
                painter.setBrush(QColor("#d95f02"))
                painter.drawRoundedRect(bias_box, 4, 4)
                painter.setPen(QColor("#ffffff"))
                painter.drawText(bias_box, Qt.AlignCenter, f"{self.axis}: b {self.bias:+.2f}")
            else:
                painter.setPen(QColor("#333333"))
                painter.drawText(bias_box, Qt.AlignCenter, f"b {self.bias:+.2f}")

    def _paint_name(self, painter: QPainter) -> None:
        """The name in the circle, with the activation's glyph under it (not an input's)."""
        painter.setPen(QColor("#111111"))
        painter.setFont(self._id_font)
        if self.activation:
            painter.drawText(QRectF(-RADIUS, -RADIUS + 6, 2 * RADIUS, RADIUS), Qt.AlignCenter, self.nid)
            painter.setFont(font(SMALL_FONT))
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(-RADIUS, 0, 2 * RADIUS, RADIUS - 4), Qt.AlignCenter, GLYPHS[self.activation])
        else:
            painter.drawText(QRectF(-RADIUS, -RADIUS, 2 * RADIUS, 2 * RADIUS), Qt.AlignCenter, self.nid)

    def _paint_picture(self, painter: QPainter, outline: QPen) -> None:
        """The picture, framed by ``outline``, and the name on a tag above it."""
        half = PICTURE / 2
        box = QRectF(-half, -half, PICTURE, PICTURE)
        painter.save()
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.drawImage(box, self.picture.image)
        painter.setPen(outline)
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(box)
        painter.setFont(self._tag_font)
        tag = QRectF(-self._tag_width / 2, -RADIUS - TAG - 1, self._tag_width, TAG)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRoundedRect(tag, 3, 3)
        painter.setPen(QColor("#111111"))
        painter.drawText(tag, Qt.AlignCenter, self._tag_text)
        painter.restore()

    def _paint_compact(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.Antialiasing)
        r = self.radius
        if self.marked:
            painter.setPen(Qt.NoPen)
            painter.setBrush(MARK_HALO)
            painter.drawEllipse(QPointF(0, 0), r + 5, r + 5)
        picked = self.highlight or (SELECTED if self.isSelected() else None)
        ring = QColor("#d95f02") if self.axis else picked
        painter.setPen(QPen(ring or OUTLINE, 2.5 if ring else 1.0))
        painter.setBrush(QBrush(FILL[self.role]))
        painter.drawEllipse(QPointF(0, 0), r, r)
        if not self.named:
            return
        # the name: drawn in screen pixels, so that it reads the same at every zoom
        box = self._name_rect()
        s = self.scale
        painter.save()
        painter.scale(1 / s, 1 / s)
        box = QRectF(box.left() * s, box.top() * s, box.width() * s, box.height() * s)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor("#d95f02") if self.axis else QColor(255, 255, 255, 215))
        painter.drawRoundedRect(box, 3, 3)
        painter.setFont(compact_font(self.isSelected()))
        painter.setPen(QColor("#ffffff") if self.axis else QColor("#222222"))
        text = f"{self.axis}: {self.nid}" if self.axis else self.nid
        painter.drawText(box, Qt.AlignCenter, text)
        painter.restore()

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged:
            self._scene.neuron_moved(self)
        elif change == QGraphicsItem.ItemSelectedHasChanged and self.compact:
            self._show_knob()  # (a selected compact neuron is always named: its box holds the name anyway)
        return super().itemChange(change, value)


#: the bundle's shades: |w| (or |∂E/∂w| ÷ the largest) from these values up gets the next, stronger one
BUNDLE_LEVELS = (0.25, 0.75, 1.5)
BUNDLE_GRADIENT_LEVELS = (0.1, 0.3, 0.6)
#: how much of the full colour each shade has, on white (opaque: 2,048 translucent lines took 20-50 ms to draw,
#: opaque ones 3-5 ms; the strongest are drawn last, on top)
BUNDLE_STRENGTH = (0.22, 0.4, 0.65, 1.0)
#: at most this many bundled edges draw themselves (the rest of a selection is drawn orange by the bundle): with
#: all 2,720 selected, items drawn one by one took ~1 s a snapshot again
MAX_SOLO = 256


def _on_white(colour: QColor, share: float) -> QColor:
    """``colour`` with ``share`` of its strength, as it would look translucent on white."""
    return QColor(*(round(255 + (c - 255) * share) for c in (colour.red(), colour.green(), colour.blue())))


class EdgeBundle(QGraphicsItem):
    """The edges of the wide layers, all drawn at once: thin lines, blue or red by the weight's sign (purple or
    green by ∂E/∂w's under the gradient overlay), the paler the smaller it is, in four shades; orange those
    selected that do not draw themselves (see MAX_SOLO).

    One item and a few ``drawLines`` instead of thousands of items and pens, sorted into shades again only when
    an edge changes shade: a snapshot of a 64-32-16-10 net (2,720 edges) took ~1 s to show with an item per edge
    (bench/bench_wide_canvas.py). The lines are opaque and one scene unit wide: the 2,048 long lines of a 64-32
    layer pair take 3-5 ms so, 20-50 ms translucent and more when wider. (A cached picture of the bundle saved
    nothing measurable, and would make the SVG export a picture.)"""

    def __init__(self, edges: list[EdgeItem]):
        super().__init__()
        self.edges = edges
        self.setZValue(-2)  # under the edges that draw themselves
        self.setAcceptedMouseButtons(Qt.NoButton)  # clicks go to the edge items under it
        self._rect = QRectF()
        self._key: np.ndarray | None = None  # each edge's shade and sign, as drawn
        self.picked = np.zeros(len(edges), bool)  # selected, and drawn orange by the bundle
        self._ends = {e.src for e in edges} | {e.dst for e in edges}
        self._gradient_colours = False  # drawn in the gradient overlay's colours
        self._groups: list[tuple[QPen, list[QLineF]]] = []  # the lines of each shade, weakest first

    def reshape(self, neurons: dict[str, NeuronItem]) -> None:
        """The edges' ends moved (or were placed): the box of the ``neurons`` they join (the lines run between
        their rims) and the lines sorted again."""
        self.prepareGeometryChange()
        places = [neurons[nid].pos() for nid in self._ends]
        xs, ys = [p.x() for p in places], [p.y() for p in places]
        self._rect = QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)).adjusted(-2, -2, 2, 2)
        self._key = None
        self.refresh()

    def set_picked(self, picked: np.ndarray) -> None:
        """Which edges are drawn orange (selected, but not drawing themselves)."""
        self.picked = picked
        self.refresh()

    def shades(self) -> np.ndarray:
        """Each edge's shade (0-3) × 2 + 1 if its value is positive, for the values shown now; 8 if picked."""
        edges = self.edges
        if edges and edges[0].gradient is not None:
            scale = edges[0].gradient_scale or 1.0
            values = np.fromiter((e.gradient for e in edges), float, len(edges)) / scale
            levels = BUNDLE_GRADIENT_LEVELS
        else:
            values = np.fromiter((e.weight for e in edges), float, len(edges))
            levels = BUNDLE_LEVELS
        key = np.digitize(np.abs(values), levels) * 2 + (values > 0)
        key[self.picked] = 2 * len(BUNDLE_STRENGTH)
        return key

    def refresh(self) -> bool:
        """The weights (or the gradients) changed: sort the lines again and draw them if an edge's shade changed.
        Returns whether it did."""
        key = self.shades()
        if self._key is not None and np.array_equal(key, self._key) and (
                (self.edges[0].gradient is None) == self._gradient_colours):
            return False
        self._key = key
        self._gradient_colours = self.edges[0].gradient is not None
        colours = (GRAD_DOWN, GRAD_UP) if self._gradient_colours else (NEGATIVE, POSITIVE)
        order = np.argsort(key, kind="stable")  # weakest first
        bounds = np.searchsorted(key[order], np.arange(2 * len(BUNDLE_STRENGTH) + 2))
        groups = []
        for k in range(2 * len(BUNDLE_STRENGTH) + 1):
            idx = order[bounds[k]:bounds[k + 1]]
            if len(idx):
                picked = k == 2 * len(BUNDLE_STRENGTH)
                pen = QPen(SELECTED if picked else _on_white(colours[k % 2], BUNDLE_STRENGTH[k // 2]), 1.0)
                pen.setCapStyle(Qt.FlatCap)
                groups.append((pen, [self.edges[i].line for i in idx.tolist()]))
        self._groups = groups
        self.update()
        return True

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        for pen, lines in self._groups:
            painter.setPen(pen)
            painter.drawLines(lines)


def place_edge(e: EdgeItem, neurons: dict[str, NeuronItem]) -> None:
    """Run the edge from the rim of its source neuron to the rim of its target."""
    src, dst = neurons[e.src], neurons[e.dst]
    a, b = src.pos(), dst.pos()
    d = b - a
    length = math.hypot(d.x(), d.y()) or 1.0
    u = d / length
    e.set_ends(a + u * src.radius, b - u * dst.radius)
