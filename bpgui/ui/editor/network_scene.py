"""The network editor: a QGraphicsScene that mirrors the document's network and turns gestures into edits.

Data flows one way: gesture → :meth:`DocumentModel.edit` (an undoable command) → core network → change event →
these items. Items never change the network themselves, except a weight drag, which sets the weight live and
records one undo step on release.

Gestures (all undoable):
* drag a neuron to move it; drop it in another layer's column to move it to that layer;
* drag from a neuron's knob (the small circle on its right) to another neuron to connect them;
* drag an edge up or down to change its weight; double-click it to type a value;
* double-click empty space in a column to add a neuron there; Delete removes the selection;
* right-click for the actions that apply.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QBrush,
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QInputDialog,
    QMenu,
    QStyle,
)

from ...core.activations import ACTIVATION_NAMES, ACTIVATIONS
from ...core.network import Network, NetworkError, weight_name
from ..document.document_model import DocumentModel
from ..style import NEGATIVE_COLOR, POSITIVE_COLOR

COLUMN = 190.0  # distance between layer columns
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
GRAD_UP = QColor("#7b3294")  # ∂E/∂w > 0: descent lowers the weight
GRAD_DOWN = QColor("#008837")  # ∂E/∂w < 0: descent raises the weight

GLYPHS = {"linear": "lin", "sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "lReLU",
          "softplus": "s+", "gaussian": "gauss"}


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
        self.label.setFont(QFont("DejaVu Sans", 8))
        self.label.setBrush(QColor("#333333"))
        self.label.setVisible(False)
        self._p1 = self._p2 = QPointF()
        self.axis: str | None = None  # "x" or "y" when the surface shows this weight
        self.gradient: float | None = None  # ∂E/∂w, when the gradient overlay is on
        self.gradient_scale = 1.0  # the largest |∂E/∂w| of the network (full width)
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

    def _place_label(self):
        t = 0.62  # nearer the target, so labels of edges fanning out of one neuron do not pile up
        mid = self._p1 * (1 - t) + self._p2 * t
        r = self.label.boundingRect()
        self.label.setPos(mid.x() - r.width() / 2, mid.y() - r.height() - 2)

    def set_weight(self, w: float) -> None:
        self.weight = w
        self.setPen(self._pen(self.isSelected()))
        self.label.setText(self._label_text())
        self._place_label()
        self.setToolTip(f"<b>{self.src} → {self.dst}</b><br>weight {w:.6g}<br>"
                        "<i>drag up or down to change the weight; double-click to type it</i>")

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
        self.label.setText(self._label_text())
        self._place_label()

    def set_axis(self, axis: str | None) -> None:
        self.axis = axis
        self.update()

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-12, -12, 12, 12)

    def paint(self, painter, option, widget=None):
        if self.axis:  # a wide soft halo and the axis letter: this weight is on the surface
            painter.setRenderHint(QPainter.Antialiasing)
            halo = QPen(AXIS_HALO, self.pen().widthF() + 12)
            halo.setCapStyle(Qt.RoundCap)
            painter.setPen(halo)
            painter.drawPath(self.path())
        option.state &= ~QStyle.State_Selected  # the pen shows the selection; no dashed box around the edge
        super().paint(painter, option, widget)
        if self.axis:
            mid = self._p1 * 0.35 + self._p2 * 0.65
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor("#d95f02"))
            painter.drawEllipse(mid, 8, 8)
            painter.setPen(QColor("#ffffff"))
            f = QFont("DejaVu Sans", 8)
            f.setBold(True)
            painter.setFont(f)
            painter.drawText(QRectF(mid.x() - 8, mid.y() - 8, 16, 16), Qt.AlignCenter, self.axis)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(max(12.0, self.pen().widthF() + 6))
        return stroker.createStroke(self.path())

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
    def __init__(self, nid: str, scene: NetworkScene):
        super().__init__()
        self.nid = nid
        self._scene = scene
        self.role = "hidden"
        self.activation: str | None = None
        self.bias = 0.0
        self.highlight: QColor | None = None
        self.axis: str | None = None  # "x" or "y" when the surface shows this neuron's bias
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
                      | QGraphicsItem.ItemSendsGeometryChanges)
        self.setCursor(Qt.OpenHandCursor)
        self.knob = KnobItem(self)

    def update_from(self, net: Network) -> None:
        n = net.neuron(self.nid)
        self.role = net.role(self.nid)
        self.activation, self.bias = n.activation, n.bias
        self.knob.setVisible(self.role != "output")
        if n.layer == 0:
            tip = f"<b>{n.id}</b> — input {[x.id for x in net.inputs].index(n.id) + 1} (a column of the data)"
        else:
            tip = (f"<b>{n.id}</b> — {self.role} neuron, layer {n.layer}<br>activation {n.activation}: "
                   f"{ACTIVATIONS[n.activation].formula}<br>bias {n.bias:.6g}")
        self.setToolTip(tip + "<br><i>drag to move (to another column: another layer); "
                        "right-click for more</i>")
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-RADIUS - 3, -RADIUS - 3, 2 * RADIUS + 6, 2 * RADIUS + 22)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addEllipse(QPointF(0, 0), RADIUS, RADIUS)
        return p

    def paint(self, painter: QPainter, option, widget=None):
        painter.setRenderHint(QPainter.Antialiasing)
        outline = self.highlight or (SELECTED if self.isSelected() else OUTLINE)
        painter.setPen(QPen(outline, 3.0 if (self.highlight or self.isSelected()) else 1.5))
        painter.setBrush(QBrush(FILL[self.role]))
        painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)
        painter.setPen(QColor("#111111"))
        f = QFont("DejaVu Sans", 10)
        f.setBold(True)
        painter.setFont(f)
        if self.activation:
            painter.drawText(QRectF(-RADIUS, -RADIUS + 6, 2 * RADIUS, RADIUS), Qt.AlignCenter, self.nid)
            painter.setFont(QFont("DejaVu Sans", 7))
            painter.setPen(QColor("#555555"))
            painter.drawText(QRectF(-RADIUS, 0, 2 * RADIUS, RADIUS - 4), Qt.AlignCenter, GLYPHS[self.activation])
            bias_box = QRectF(-RADIUS - 10, RADIUS + 1, 2 * RADIUS + 20, 14)
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


class NetworkScene(QGraphicsScene):
    #: a message for the status bar
    sigStatus = Signal(str)
    #: "show this parameter on the surface's axis": (parameter name, "x" or "y")
    sigSurfaceAxis = Signal(str, str)
    #: a neuron was renamed (old id, new id)
    sigRenamed = Signal(str, str)
    #: the user asked to export the canvas (the window asks where)
    sigExportRequested = Signal()

    def __init__(self, model: DocumentModel, parent=None):
        super().__init__(parent)
        self.model: DocumentModel | None = None
        self.neuron_items: dict[str, NeuronItem] = {}
        self.edge_items: dict[tuple[str, str], EdgeItem] = {}
        self.show_weight_labels = False
        self._rng = np.random.default_rng()
        self._mode: str | None = None  # None, "connect", "weight", "move"
        self._drag_source: str | None = None
        self._drag_line: QGraphicsLineItem | None = None
        self._target: NeuronItem | None = None
        self._edge: EdgeItem | None = None
        self._press_pos = QPointF()
        self._before = None
        self._w0 = 0.0
        self._moved = False
        self._syncing = False
        self.surface_pair: tuple[str, str] | None = None
        self.gradients: dict[str, float] | None = None  # the gradient overlay's ∂E/∂w, or None when it is off
        self.set_model(model)

    # ------------------------------------------------------------------ model → items
    def set_model(self, model: DocumentModel) -> None:
        if self.model is not None:
            self.model.sigNetworkChanged.disconnect(self._on_network_change)
            self.model.sigPositionsChanged.disconnect(self._on_positions_change)
        self.model = model
        model.sigNetworkChanged.connect(self._on_network_change)
        model.sigPositionsChanged.connect(self._on_positions_change)
        model.positions.update(default_positions(model.network, model.positions))
        self.rebuild()

    @property
    def network(self) -> Network:
        return self.model.network

    def rebuild(self) -> None:
        selected = {it.nid for it in self.neuron_items.values() if it.isSelected()}
        selected_edges = {k for k, it in self.edge_items.items() if it.isSelected()}
        self._syncing = True
        for it in list(self.neuron_items.values()) + list(self.edge_items.values()):
            self.removeItem(it)
        self.neuron_items.clear()
        self.edge_items.clear()
        net = self.network
        missing = default_positions(net, self.model.positions)
        self.model.positions.update(missing)
        for n in net:
            it = NeuronItem(n.id, self)
            it.update_from(net)
            self.addItem(it)
            it.setPos(*self.model.positions[n.id])
            it.setSelected(n.id in selected)
            self.neuron_items[n.id] = it
        for (a, b), w in net.edges.items():
            e = EdgeItem(a, b, w)
            e.label.setVisible(self.show_weight_labels)
            self.addItem(e)
            e.setSelected((a, b) in selected_edges)
            self.edge_items[(a, b)] = e
        self._syncing = False
        self._update_edges()
        self._update_scene_rect()
        self._show_surface_pair()
        self._show_gradients()
        self.update()

    # ------------------------------------------------------------------ the surface's pair and the gradients
    def set_surface_pair(self, pair: tuple[str, str] | None) -> None:
        """Mark the two parameters the surface shows (an edge's halo and letter, or a bias tag)."""
        self.surface_pair = pair
        self._show_surface_pair()

    def _show_surface_pair(self) -> None:
        axes = dict(zip(self.surface_pair, ("x", "y"))) if self.surface_pair else {}
        for e in self.edge_items.values():
            if e.axis != axes.get(e.name):
                e.set_axis(axes.get(e.name))
        for nid, it in self.neuron_items.items():
            axis = axes.get(f"{nid}.bias")
            if it.axis != axis:
                it.axis = axis
                it.update()

    def set_gradients(self, gradients: dict[str, float] | None) -> None:
        """The gradient overlay: every edge drawn by ∂E/∂w (purple positive, green negative, width by size) and
        labelled with it; None turns it off."""
        self.gradients = gradients
        self._show_gradients()

    def _show_gradients(self) -> None:
        g = self.gradients
        if g is None:
            for e in self.edge_items.values():
                if e.gradient is not None:
                    e.set_gradient(None)
                    e.label.setVisible(self.show_weight_labels)
            return
        values = [abs(g[e.name]) for e in self.edge_items.values() if e.name in g and math.isfinite(g[e.name])]
        scale = max(values, default=0.0)
        for e in self.edge_items.values():
            value = g.get(e.name)
            e.set_gradient(value if value is not None and math.isfinite(value) else 0.0, scale)
            e.label.setVisible(True)

    def _on_network_change(self, structural: bool) -> None:
        if structural or set(self.edge_items) != set(self.network.edges):
            self.rebuild()
            return
        net = self.network
        for key, item in self.edge_items.items():
            w = net.edges[key]
            if w != item.weight:
                item.set_weight(w)
        for nid, item in self.neuron_items.items():
            if net.neurons[nid].bias != item.bias:
                item.update_from(net)

    def _on_positions_change(self) -> None:
        # a neuron the restored positions have no place for keeps where the canvas has it
        for nid, item in self.neuron_items.items():
            if nid not in self.model.positions:
                self.model.positions[nid] = (item.pos().x(), item.pos().y())
        self._syncing = True
        for nid, item in self.neuron_items.items():
            if nid in self.model.positions:
                item.setPos(*self.model.positions[nid])
        self._syncing = False
        self._update_edges()
        self._update_scene_rect()

    def neuron_moved(self, item: NeuronItem) -> None:
        if self._syncing:
            return
        for (a, b), e in self.edge_items.items():
            if item.nid in (a, b):
                self._place_edge(e)

    def _place_edge(self, e: EdgeItem) -> None:
        a, b = self.neuron_items[e.src].pos(), self.neuron_items[e.dst].pos()
        d = b - a
        length = math.hypot(d.x(), d.y()) or 1.0
        u = d / length
        e.set_ends(a + u * RADIUS, b - u * RADIUS)

    def _update_edges(self) -> None:
        for e in self.edge_items.values():
            self._place_edge(e)

    def _update_scene_rect(self) -> None:
        rect = self.itemsBoundingRect().adjusted(-COLUMN / 2, -80, COLUMN / 2, 60)
        cols = QRectF(-COLUMN / 2, rect.top(), COLUMN * self.network.num_layers, rect.height())
        self.setSceneRect(rect.united(cols))

    def set_weight_labels_visible(self, on: bool) -> None:
        self.show_weight_labels = on
        for e in self.edge_items.values():
            e.label.setVisible(on)

    # ------------------------------------------------------------------ background: layer columns
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#ffffff"))
        L = self.network.num_layers
        top = self.sceneRect().top()
        font = QFont("DejaVu Sans", 9)
        painter.setFont(font)
        for k in range(L):
            x = column_x(k)
            band = QRectF(x - COLUMN / 2 + 8, self.sceneRect().top(), COLUMN - 16, self.sceneRect().height())
            painter.fillRect(band, QColor("#f4f6f9") if k % 2 == 0 else QColor("#eef1f5"))
            name = "inputs" if k == 0 else ("outputs" if k == L - 1 else f"hidden {k}")
            painter.setPen(QColor("#6b7785"))
            painter.drawText(QRectF(x - COLUMN / 2, top + 8, COLUMN, 18), Qt.AlignCenter,
                             f"layer {k} · {name}")

    # ------------------------------------------------------------------ lookups
    def neuron_at(self, pos: QPointF) -> NeuronItem | None:
        for it in self.items(pos):
            if isinstance(it, KnobItem):
                return it.parentItem()
            if isinstance(it, NeuronItem):
                return it
        return None

    def _item_at(self, pos: QPointF):
        for it in self.items(pos):
            if isinstance(it, (KnobItem, NeuronItem, EdgeItem)):
                return it
        return None

    # ------------------------------------------------------------------ gestures
    @property
    def busy(self) -> bool:
        """A drag gesture is in progress (undo, redo and delete wait until it ends)."""
        return self._mode in ("connect", "weight")

    def mousePressEvent(self, ev):
        if self.busy:  # another button during a drag: ignore it, the drag goes on
            ev.accept()
            return
        self._mode = None
        if ev.button() != Qt.LeftButton:
            super().mousePressEvent(ev)
            return
        item = self._item_at(ev.scenePos())
        self._press_pos = ev.scenePos()
        if isinstance(item, KnobItem):
            self._mode = "connect"
            self._drag_source = item.parentItem().nid
            start = item.parentItem().pos()
            self._drag_line = QGraphicsLineItem(start.x(), start.y(), start.x(), start.y())
            self._drag_line.setPen(QPen(QColor("#555555"), 2, Qt.DashLine))
            self.addItem(self._drag_line)
            self.sigStatus.emit(f"connect {self._drag_source} → … (release on a neuron in a later layer)")
            ev.accept()
            return
        if isinstance(item, EdgeItem):
            self._mode = "weight"
            self._edge = item
            self._before = self.model.begin_live_change()
            self._w0 = item.weight
            self._moved = False
            if not (ev.modifiers() & (Qt.ControlModifier | Qt.ShiftModifier)):
                self.clearSelection()
            item.setSelected(True)
            ev.accept()
            return
        super().mousePressEvent(ev)
        if isinstance(item, NeuronItem):
            self._mode = "move"

    def mouseMoveEvent(self, ev):
        if self._mode == "connect":
            line = self._drag_line.line()
            self._drag_line.setLine(line.x1(), line.y1(), ev.scenePos().x(), ev.scenePos().y())
            self._set_target(self.neuron_at(ev.scenePos()))
            ev.accept()
            return
        if self._mode == "weight":
            dy = self._press_pos.y() - ev.scenePos().y()
            if abs(dy) >= 2 or self._moved:
                self._moved = True
                w = round(self._w0 + dy * WEIGHT_PER_PIXEL, 4)
                self.network.set_weight(self._edge.src, self._edge.dst, w)
                self.sigStatus.emit(f"{self._edge.src} → {self._edge.dst}: weight {w:+.4f}")
            ev.accept()
            return
        super().mouseMoveEvent(ev)

    def _set_target(self, item: NeuronItem | None) -> None:
        if self._target is not None and self._target is not item:
            self._target.highlight = None
            self._target.update()
        self._target = item
        if item is None or item.nid == self._drag_source:
            self.sigStatus.emit(f"connect {self._drag_source} → … (release on empty space to cancel)")
            if item is not None:
                item.highlight = None
            return
        reason = self.network.check_edge(self._drag_source, item.nid)
        item.highlight = VALID if reason is None else INVALID
        item.update()
        self.sigStatus.emit(f"connect {self._drag_source} → {item.nid}" if reason is None else reason)

    def mouseReleaseEvent(self, ev):
        if self.busy and ev.button() != Qt.LeftButton:
            ev.accept()
            return
        mode, self._mode = self._mode, None
        if mode == "connect":
            self._finish_connect(self.neuron_at(ev.scenePos()))
            ev.accept()
            return
        if mode == "weight":
            self.model.commit_live_change(f"Change weight {self._edge.src} → {self._edge.dst}", self._before)
            self._edge = self._before = None
            ev.accept()
            return
        super().mouseReleaseEvent(ev)
        if mode == "move":
            self._finish_move()

    def _finish_connect(self, target: NeuronItem | None) -> None:
        self._set_target(None)
        if target is not None:
            target.highlight = None
            target.update()
        self.removeItem(self._drag_line)
        self._drag_line = None
        src, self._drag_source = self._drag_source, None
        if target is None or target.nid == src:
            self.sigStatus.emit("connection cancelled")
            return
        dst = target.nid
        w = round(float(self._rng.uniform(-1.0, 1.0)), 2)
        error = self.model.edit(f"Connect {src} → {dst}", lambda net, pos: net.add_edge(src, dst, w))
        self.sigStatus.emit(error or f"connected {src} → {dst} (weight {w:+.2f})")

    def _finish_move(self) -> None:
        moved = {nid: (it.pos().x(), it.pos().y()) for nid, it in self.neuron_items.items()
                 if (it.pos().x(), it.pos().y()) != self.model.positions.get(nid)}
        if not moved:
            return
        net = self.network
        new_layers = {nid: layer_at(x) for nid, (x, _) in moved.items() if layer_at(x) != net.neuron(nid).layer}

        def change(n: Network, positions):
            # move deepest-first when moving right, so neurons moved together do not block each other
            for nid in sorted(new_layers, key=lambda i: -new_layers[i]):
                target = new_layers[nid]
                if not 0 <= target < n.num_layers:
                    raise NetworkError(f"there is no layer column there for '{nid}'")
                n.move_neuron(nid, target)
            for nid, (_x, y) in moved.items():
                positions[nid] = (column_x(n.neuron(nid).layer), y)

        if new_layers:
            text = ", ".join(f"{k} → layer {v}" for k, v in new_layers.items())
            error = self.model.edit(f"Move {text}", change)
        else:
            error = self.model.edit("Move neuron" + ("s" if len(moved) > 1 else ""), change)
        self._on_positions_change()  # snap to the column (or back, when the move was impossible)
        if error:
            self.sigStatus.emit(error)
        elif new_layers:
            self.sigStatus.emit("moved " + ", ".join(f"{k} to layer {v}" for k, v in new_layers.items()))

    def mouseDoubleClickEvent(self, ev):
        item = self._item_at(ev.scenePos())
        if isinstance(item, EdgeItem):
            self.ask_weight(item.src, item.dst)
            ev.accept()
            return
        if item is None and ev.button() == Qt.LeftButton:
            self.add_neuron_at(ev.scenePos())
            ev.accept()
            return
        super().mouseDoubleClickEvent(ev)

    # ------------------------------------------------------------------ actions
    def add_neuron_at(self, pos: QPointF) -> str | None:
        layer = layer_at(pos.x())
        net = self.network
        if not 0 <= layer < net.num_layers:
            self.sigStatus.emit("double-click inside a layer column to add a neuron there")
            return None
        nid = self.new_id(layer)
        error = self.model.edit(f"Add neuron {nid}", lambda n, p: (n.add_neuron(nid, layer),
                                                                    p.__setitem__(nid, (column_x(layer), pos.y()))))
        self.sigStatus.emit(error or f"added {nid} to layer {layer}")
        return None if error else nid

    def new_id(self, layer: int) -> str:
        net = self.network
        prefix = "x" if layer == 0 else ("y" if layer == net.output_layer else "h")
        i = 1
        while f"{prefix}{i}" in net.neurons:
            i += 1
        return f"{prefix}{i}"

    def delete_selected(self) -> None:
        if self.busy:
            return
        edges = [(it.src, it.dst) for it in self.edge_items.values() if it.isSelected()]
        neurons = [it.nid for it in self.neuron_items.values() if it.isSelected()]
        if not edges and not neurons:
            self.sigStatus.emit("nothing selected to delete")
            return

        def change(n: Network, p):
            for a, b in edges:
                if (a, b) in n.edges and a not in neurons and b not in neurons:
                    n.remove_edge(a, b)
            for nid in neurons:
                n.remove_neuron(nid)

        what = ", ".join(neurons + [f"{a} → {b}" for a, b in edges])
        error = self.model.edit(f"Delete {what}", change)
        self.sigStatus.emit(error or f"deleted {what}")

    def ask_weight(self, src: str, dst: str) -> None:
        w0 = self.network.weight(src, dst)
        w, ok = QInputDialog.getDouble(None, "Set weight", f"weight of {src} → {dst}:", w0, -1e6, 1e6, 4)
        if ok and w != w0:
            error = self.model.edit(f"Set weight {src} → {dst}", lambda n, p: n.set_weight(src, dst, w))
            self.sigStatus.emit(error or f"{src} → {dst}: weight {w:+.4f}")

    def ask_bias(self, nid: str) -> None:
        b0 = self.network.neuron(nid).bias
        b, ok = QInputDialog.getDouble(None, "Set bias", f"bias of {nid}:", b0, -1e6, 1e6, 4)
        if ok and b != b0:
            error = self.model.edit(f"Set bias of {nid}", lambda n, p: n.set_bias(nid, b))
            self.sigStatus.emit(error or f"{nid}: bias {b:+.4f}")

    def ask_rename(self, nid: str) -> None:
        new, ok = QInputDialog.getText(None, "Rename neuron", f"new id for {nid}:", text=nid)
        if ok and new and new != nid:
            def change(n, p):
                n.rename_neuron(nid, new)
                if nid in p:
                    p[new] = p.pop(nid)
            error = self.model.edit(f"Rename {nid} → {new}", change)
            if not error:
                self.sigRenamed.emit(nid, new)
            self.sigStatus.emit(error or f"renamed {nid} to {new}")

    def set_activation(self, nid: str, act: str) -> None:
        if self.network.neuron(nid).activation == act:
            return
        error = self.model.edit(f"Set activation of {nid}", lambda n, p: n.set_activation(nid, act))
        self.sigStatus.emit(error or f"{nid}: activation {act}")

    def add_layer(self, index: int) -> None:
        def change(n: Network, p):
            n.add_layer(index)
            for nid in list(p):
                layer = n.neuron(nid).layer
                p[nid] = (column_x(layer), p[nid][1])
        error = self.model.edit(f"Add layer {index}", change)
        self.sigStatus.emit(error or f"added an empty layer {index}; double-click in its column to add neurons")

    def remove_layer(self, index: int) -> None:
        def change(n: Network, p):
            n.remove_layer(index)
            for nid in list(p):
                if nid in n.neurons:
                    p[nid] = (column_x(n.neuron(nid).layer), p[nid][1])
        error = self.model.edit(f"Remove layer {index}", change)
        self.sigStatus.emit(error or f"removed layer {index}")

    def contextMenuEvent(self, ev):
        if self.busy:
            ev.accept()
            return
        item = self._item_at(ev.scenePos())
        menu = QMenu()
        net = self.network
        if isinstance(item, KnobItem):
            item = item.parentItem()
        if isinstance(item, NeuronItem):
            nid = item.nid
            n = net.neuron(nid)
            if n.layer > 0:
                sub = menu.addMenu("Activation")
                group = QActionGroup(sub)
                for act in ACTIVATION_NAMES:
                    a = QAction(act, sub, checkable=True, checked=(act == n.activation))
                    a.setToolTip(ACTIVATIONS[act].formula)
                    a.triggered.connect(lambda _=False, act=act: self.set_activation(nid, act))
                    group.addAction(a)
                    sub.addAction(a)
                menu.addAction("Set bias…", lambda: self.ask_bias(nid))
                self._surface_actions(menu, f"{nid}.bias")
            menu.addAction("Rename…", lambda: self.ask_rename(nid))
            menu.addSeparator()
            menu.addAction(f"Delete {nid}", lambda: self._delete_one(neuron=nid))
        elif isinstance(item, EdgeItem):
            src, dst = item.src, item.dst
            menu.addAction("Set weight…", lambda: self.ask_weight(src, dst))
            menu.addSeparator()
            self._surface_actions(menu, weight_name(src, dst))
            menu.addSeparator()
            menu.addAction(f"Delete {src} → {dst}", lambda: self._delete_one(edge=(src, dst)))
        else:
            pos = ev.scenePos()
            layer = layer_at(pos.x())
            if 0 <= layer < net.num_layers:
                menu.addAction(f"Add neuron to layer {layer}", lambda: self.add_neuron_at(pos))
            menu.addAction("Add hidden layer before the outputs", lambda: self.add_layer(net.output_layer))
            if 0 < layer < net.output_layer:
                menu.addAction(f"Remove layer {layer}", lambda: self.remove_layer(layer))
            menu.addSeparator()
            menu.addAction("Export the canvas (PNG or SVG)…", self.sigExportRequested.emit)
        menu.exec(ev.screenPos())
        ev.accept()

    def _surface_actions(self, menu: QMenu, name: str) -> None:
        for axis in ("x", "y"):
            a = menu.addAction(f"Show {name} on the surface as {axis}",
                               lambda axis=axis: self.sigSurfaceAxis.emit(name, axis))
            a.setCheckable(True)
            a.setChecked(bool(self.surface_pair) and self.surface_pair[0 if axis == "x" else 1] == name)

    def _delete_one(self, neuron: str | None = None, edge: tuple[str, str] | None = None) -> None:
        self.clearSelection()
        if neuron:
            self.neuron_items[neuron].setSelected(True)
        if edge:
            self.edge_items[edge].setSelected(True)
        self.delete_selected()
