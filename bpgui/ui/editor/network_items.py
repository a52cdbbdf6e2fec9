"""What the network canvas is made of: neurons (with a knob to drag connections from), edges (coloured and sized by
their weight, or by ∂E/∂w under the gradient overlay) and weight labels; the canvas's geometry and colours.

Items only draw: the scene (:mod:`.network_scene`) turns gestures on them into edits of the document.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPen
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


def default_positions(net: Network, known: dict) -> dict:
    """Positions for neurons that have none: stacked and centred in their layer's column."""
    out = {}
    for k in range(net.num_layers):
        ids = [n.id for n in net.layer(k)]
        for i, nid in enumerate(ids):
            if nid not in known:
                out[nid] = (column_x(k), (i - (len(ids) - 1) / 2) * ROW)
    return out


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
    def __init__(self, src: str, dst: str, weight: float):
        super().__init__()
        self.src, self.dst = src, dst
        self.weight = weight
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        self.label = WeightLabel(self)
        self.label.setFont(font(SMALL_FONT))
        self.label.setBrush(QColor("#333333"))
        self.label.setVisible(False)
        self._p1 = self._p2 = QPointF()
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

    def set_ends(self, p1: QPointF, p2: QPointF) -> None:
        self._p1, self._p2 = p1, p2
        path = QPainterPath(p1)
        path.lineTo(p2)
        self.setPath(path)
        self._place_label()

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
        self.setPen(self._pen(self.isSelected()))
        self._update_label()

    def set_label_visible(self, on: bool) -> None:
        self.label.setVisible(on)
        self._update_label()

    def _update_label(self) -> None:
        """Write the label's text now if it is on show, else when it is shown."""
        self._label_stale = True
        if self.label.isVisible():
            self.label.setText(self._label_text())
            self._place_label()
            self._label_stale = False

    def hoverEnterEvent(self, ev):
        # written when wanted rather than at every training snapshot
        self.setToolTip(f"<b>{self.src} → {self.dst}</b><br>weight {self.weight:.6g}<br>"
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
        self.setPen(self._pen(self.isSelected()))
        self._update_label()

    def set_axis(self, axis: str | None) -> None:
        self.axis = axis
        self.update()

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-14, -14, 14, 14)

    def set_marked(self, on: bool) -> None:
        self.marked = on
        self.update()

    def paint(self, painter, option, widget=None):
        if self.marked:  # a wide green halo: another view points at this weight
            painter.setRenderHint(QPainter.Antialiasing)
            halo = QPen(MARK_HALO, self.pen().widthF() + 18)
            halo.setCapStyle(Qt.RoundCap)
            painter.setPen(halo)
            painter.drawPath(self.path())
        if self.axis:  # a wide soft halo and the axis letter: this weight is on the surface
            painter.setRenderHint(QPainter.Antialiasing)
            halo = QPen(AXIS_HALO, self.pen().widthF() + 12)
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
        stroker = QPainterPathStroker()
        stroker.setWidth(max(2 * GRAB_PIXELS / view_scale(self), self.pen().widthF() + 6))
        return stroker.createStroke(self.path())

    def distance_to(self, p: QPointF) -> float:
        """How far ``p`` (scene coordinates) is from the edge's line."""
        a, b = self._p1, self._p2
        d = b - a
        length2 = d.x() ** 2 + d.y() ** 2
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p - a).x() * d.x() + (p - a).y() * d.y()) / length2))
        q = a + d * t
        return math.hypot(p.x() - q.x(), p.y() - q.y())

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemSelectedHasChanged:
            self.setPen(self._pen(bool(value)))
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


class NeuronItem(QGraphicsObject):
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
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setCursor(Qt.OpenHandCursor)
        self.setAcceptHoverEvents(True)  # the tooltip is written on hover
        self.knob = KnobItem(self)

    def update_from(self, n: Neuron, role: str) -> None:
        """Show neuron ``n`` in its ``role`` (the network's ``roles()[n.id]``)."""
        self.role = role
        self.layer = n.layer
        self.activation, self.bias = n.activation, n.bias
        self.knob.setVisible(self.role != "output")
        self.update()

    def set_bias(self, bias: float) -> None:
        self.bias = bias
        self.update()

    def hoverEnterEvent(self, ev):
        # written when wanted rather than at every training snapshot
        if self.layer == 0:
            inputs = [n.id for n in self._scene.network.inputs]
            tip = f"<b>{self.nid}</b> — input {inputs.index(self.nid) + 1} (a column of the data)"
        else:
            tip = (f"<b>{self.nid}</b> — {self.role} neuron, layer {self.layer}<br>activation {self.activation}: "
                   f"{ACTIVATIONS[self.activation].formula}<br>bias {self.bias:.6g}")
        self.setToolTip(tip + "<br><i>drag to move (to another column: another layer); right-click for more</i>")
        super().hoverEnterEvent(ev)

    def boundingRect(self) -> QRectF:
        return QRectF(-RADIUS - 11, -RADIUS - 9, 2 * RADIUS + 22, 2 * RADIUS + 30)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addEllipse(QPointF(0, 0), RADIUS, RADIUS)
        return p

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        if self.marked:
            painter.setPen(Qt.NoPen)
            painter.setBrush(MARK_HALO)
            painter.drawEllipse(QPointF(0, 0), RADIUS + 9, RADIUS + 9)
        outline = self.highlight or (SELECTED if self.isSelected() else OUTLINE)
        painter.setPen(QPen(outline, 3.0 if (self.highlight or self.isSelected()) else 1.5))
        painter.setBrush(QBrush(FILL[self.role]))
        painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)
        painter.setPen(QColor("#111111"))
        painter.setFont(font(ID_FONT, bold=True))
        if self.activation:
            painter.drawText(QRectF(-RADIUS, -RADIUS + 6, 2 * RADIUS, RADIUS), Qt.AlignCenter, self.nid)
            painter.setFont(font(SMALL_FONT))
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(-RADIUS, 0, 2 * RADIUS, RADIUS - 4), Qt.AlignCenter, GLYPHS[self.activation])
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
        else:
            painter.drawText(QRectF(-RADIUS, -RADIUS, 2 * RADIUS, 2 * RADIUS), Qt.AlignCenter, self.nid)

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged:
            self._scene.neuron_moved(self)
        return super().itemChange(change, value)


def place_edge(e: EdgeItem, neurons: dict[str, NeuronItem]) -> None:
    """Run the edge from the rim of its source neuron to the rim of its target."""
    a, b = neurons[e.src].pos(), neurons[e.dst].pos()
    d = b - a
    length = math.hypot(d.x(), d.y()) or 1.0
    u = d / length
    e.set_ends(a + u * RADIUS, b - u * RADIUS)
