"""The network canvas: a QGraphicsScene that mirrors the document's network and turns gestures into edits.

Data flows one way: gesture → an undoable edit of the document (the scene's own drags here, the rest through
:class:`~.network_edits.NetworkEdits`) → core network → change event (through the document hub) → these items.
Items never change the network themselves, except a weight drag, which sets the weight live and records one undo
step on release.

Gestures (all undoable):
* drag a neuron to move it; drop it in another layer's column to move it to that layer;
* drag from a neuron's knob (the small circle on its right) to another neuron to connect them;
* drag an edge up or down to change its weight; double-click it to type a value;
* double-click empty space in a column to add a neuron there; Delete removes the selection;
* right-click for the actions that apply.

With View > Neuron Pictures (see :mod:`.neuron_pictures`) each neuron of a narrow layer shows its output over the
two inputs in its circle; hovering one enlarges its picture beside it.

A layer of more than WIDE neurons is drawn compact, its edges bundled (see :mod:`.network_items`); selecting one
of its neurons draws that neuron's edges in full.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsScene, QMenu

from ...core.activations import ACTIVATION_NAMES, ACTIVATIONS
from ...core.network import Change, Network, NetworkError, weight_name
from ..document.document_hub import DocumentHub
from ..document.document_model import DocumentModel
from .network_edits import NetworkEdits
from .network_items import (
    COLUMN,
    INVALID,
    LABEL_AT,
    MAX_SOLO,
    VALID,
    WEIGHT_PER_PIXEL,
    EdgeBundle,
    EdgeItem,
    KnobItem,
    NeuronItem,
    column_x,
    default_positions,
    is_wide,
    layer_at,
    place_edge,
)
from .neuron_pictures import NeuronPicture, PictureZoom

#: above this many shown weight labels they keep their default places (placing them one by one takes too long)
MAX_PLACED_LABELS = 400


class NetworkScene(QGraphicsScene):
    #: a message for the status bar
    sigStatus = Signal(str)
    #: "show this parameter on the surface's axis": (parameter name, "x" or "y")
    sigSurfaceAxis = Signal(str, str)
    #: a neuron was renamed (old id, new id)
    sigRenamed = Signal(str, str)
    #: the user asked to export the canvas (File > Export asks where)
    sigExportRequested = Signal()
    #: the selected neurons and edges changed (emitted only while the scene is alive, unlike selectionChanged)
    sigSelectionChanged = Signal()
    #: the gradient overlay was turned on (True) or off
    sigOverlayChanged = Signal(bool)

    def __init__(self, hub: DocumentHub, parent=None):
        super().__init__(parent)
        self.hub = hub
        self.edits = NetworkEdits(hub, self.sigStatus.emit, self.sigRenamed.emit)
        self.neuron_items: dict[str, NeuronItem] = {}
        self.edge_items: dict[tuple[str, str], EdgeItem] = {}
        self.bundle: EdgeBundle | None = None  # draws the edges of the wide layers, if there are any
        self.view_scale = 1.0  # the view's zoom (a compact layer's names keep their size on screen)
        self.layer_sizes: list[int] = []  # the number of neurons in each layer, as drawn
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
        self._selection_pending = False  # the selection changed while syncing
        self.surface_pair: tuple[str, str] | None = None
        self.gradients: dict[str, float] | None = None  # the gradient overlay's ∂E/∂w, or None when it is off
        self.marked_parameter: str | None = None  # the parameter another view points at (e.g. a hovered bar)
        self.neuron_pictures: dict[str, NeuronPicture] | None = None  # None: off (see set_neuron_pictures)
        self.picture_zoom: PictureZoom | None = None  # the hovered neuron's picture enlarged, made when first wanted
        self.selectionChanged.connect(self._on_selection_change)
        hub.sigNetworkChanged.connect(self._on_network_change)
        hub.sigPositionsChanged.connect(self._on_positions_change)
        hub.sigDocumentReplaced.connect(self._show_document)
        self._show_document()

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    @property
    def network(self) -> Network:
        return self.model.network

    def _on_selection_change(self) -> None:
        if not shiboken6.isValid(self):  # not while the scene is being destroyed (it clears its items then)
            return
        if self._syncing:  # many items at once (Qt tells of each): once, when they are done
            self._selection_pending = True
            return
        self._show_solo_edges()
        self.sigSelectionChanged.emit()

    def _end_sync(self) -> None:
        self._syncing = False
        if self._selection_pending:
            self._selection_pending = False
            self._on_selection_change()

    @property
    def has_wide_layer(self) -> bool:
        return any(is_wide(n) for n in self.layer_sizes)

    def _show_solo_edges(self) -> None:
        """A bundled edge draws itself in full while it is marked or on the surface, selected, or touches a
        selected neuron, in that order, up to MAX_SOLO of them; the bundle draws the other selected ones
        orange."""
        if self.bundle is None:
            return
        edges = self.bundle.edges
        neurons = {nid for nid, it in self.neuron_items.items() if it.isSelected()}
        selected = [e.isSelected() for e in edges]
        rank = [0 if (e.marked or e.axis is not None) else 1 if sel else 2 if (e.src in neurons or e.dst in neurons)
                else 3 for e, sel in zip(edges, selected)]
        wanted = sorted((r, i) for i, r in enumerate(rank) if r < 3)
        solo = {i for n, (r, i) in enumerate(wanted) if r == 0 or n < MAX_SOLO}
        for i, e in enumerate(edges):
            e.set_solo(i in solo)
        self.bundle.set_picked(np.array([sel and i not in solo for i, sel in enumerate(selected)], bool))

    def set_view_scale(self, scale: float) -> None:
        """The view's zoom (screen pixels per scene unit) changed: a compact layer's names keep their size."""
        self.view_scale = scale
        self.hide_picture_zoom()  # placed for the zoom it was shown at
        for it in self.neuron_items.values():
            it.set_scale(scale)

    # ------------------------------------------------------------------ model → items
    def _show_document(self, *_) -> None:
        self.model.align_positions(column_x)
        self.rebuild()

    def rebuild(self, *_) -> None:
        selected = {it.nid for it in self.neuron_items.values() if it.isSelected()}
        selected_edges = {k for k, it in self.edge_items.items() if it.isSelected()}
        self.hide_picture_zoom()  # its neuron item goes
        self._syncing = True
        for it in list(self.neuron_items.values()) + list(self.edge_items.values()):
            self.removeItem(it)
        if self.bundle is not None:
            self.removeItem(self.bundle)
            self.bundle = None
        self.neuron_items.clear()
        self.edge_items.clear()
        net = self.network
        self.model.add_positions(default_positions(net, self.model.positions))
        roles = net.roles()
        sizes = Counter(n.layer for n in net)
        self.layer_sizes = [sizes[k] for k in range(net.num_layers)]
        # Qt's index of items by place (a BSP tree) slows a wide network down: its thousands of edges have large
        # boxes that overlap, and the tree files each in many cells. Without it a snapshot of a 64-32-16-10 net
        # painted in 14 ms instead of 18, and of a 256-64-10 net (17,024 edges) in 44 instead of 290; a click or
        # a hover takes ~1 ms more (bench/README.md)
        index = QGraphicsScene.NoIndex if self.has_wide_layer else QGraphicsScene.BspTreeIndex
        if self.itemIndexMethod() != index:
            self.setItemIndexMethod(index)
        numbers = Counter()
        for n in net:
            numbers[n.layer] += 1
            it = NeuronItem(n.id, self)
            it.update_from(n, roles[n.id], numbers[n.layer], sizes[n.layer])
            it.set_scale(self.view_scale)
            self.addItem(it)
            it.setPos(*self.model.positions[n.id])
            it.setSelected(n.id in selected)
            self.neuron_items[n.id] = it
        layer = {nid: n.layer for nid, n in net.neurons.items()}
        for (a, b), w in net.edges.items():
            e = EdgeItem(a, b, w, bundled=is_wide(sizes[layer[a]]) or is_wide(sizes[layer[b]]))
            e.set_label_visible(self.show_weight_labels)
            self.addItem(e)
            e.setSelected((a, b) in selected_edges)
            self.edge_items[(a, b)] = e
        bundled = [e for e in self.edge_items.values() if e.bundled]
        if bundled:
            self.bundle = EdgeBundle(bundled)
            self.addItem(self.bundle)
        self._end_sync()
        self._update_edges()
        self._update_scene_rect()
        self._show_surface_pair()
        self._show_gradients()
        self._show_marked()  # (and which bundled edges draw themselves)
        self._show_pictures()
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
                it.prepareGeometryChange()  # a compact neuron's name grows by the letter
                it.axis = axis
                it.update()
        self._show_solo_edges()
        self._place_labels()  # the axis letters are where labels must not go

    def set_marked_parameter(self, name: str | None) -> None:
        """Mark one parameter with a green halo (an edge, or the neuron of a bias) while another view points at
        it, e.g. the mouse over its bar in the Step view; None removes the mark."""
        self.marked_parameter = name
        self._show_marked()

    def _show_marked(self) -> None:
        name = self.marked_parameter
        for e in self.edge_items.values():
            if e.marked != (e.name == name):
                e.set_marked(e.name == name)
        for nid, it in self.neuron_items.items():
            on = name == f"{nid}.bias"
            if it.marked != on:
                it.marked = on
                it.update()
        self._show_solo_edges()

    def set_gradients(self, gradients: dict[str, float] | None) -> None:
        """The gradient overlay: every edge drawn by ∂E/∂w (purple positive, green negative, width by size) and
        labelled with it (not in a network with a wide layer); None turns it off."""
        switched = (gradients is None) != (self.gradients is None)
        self.gradients = gradients
        self._show_gradients()
        if switched:
            self._place_labels()
            self.sigOverlayChanged.emit(gradients is not None)

    def _show_gradients(self) -> None:
        g = self.gradients
        if g is None:
            for e in self.edge_items.values():
                if e.gradient is not None:
                    e.set_gradient(None)
                    e.set_label_visible(self.show_weight_labels)
            if self.bundle is not None:
                self.bundle.refresh()
            return
        values = [abs(g[e.name]) for e in self.edge_items.values() if e.name in g and math.isfinite(g[e.name])]
        scale = max(values, default=0.0)
        # every edge labelled with its ∂E/∂w, but in a network with a wide layer: there the labels of even its
        # small layers (16 × 10 edges) covered each other (the edges' tooltips have the values)
        labels = self.show_weight_labels or not self.has_wide_layer
        for e in self.edge_items.values():
            value = g.get(e.name)
            e.set_label_visible(labels)
            e.set_gradient(value if value is not None and math.isfinite(value) else 0.0, scale)
        if self.bundle is not None:
            self.bundle.refresh()

    # ------------------------------------------------------------------ neuron pictures
    def set_neuron_pictures(self, pictures: dict[str, NeuronPicture] | None) -> None:
        """Each neuron's output over the two inputs, drawn in its circle (neurons of wide layers and inputs show
        none, nor neurons missing from ``pictures``); None: the usual look."""
        self.neuron_pictures = pictures
        self._show_pictures()

    def _show_pictures(self) -> None:
        pictures = self.neuron_pictures or {}
        for nid, it in self.neuron_items.items():
            picture = pictures.get(nid) if it.layer > 0 and not it.compact else None
            if picture is not it.picture:
                it.set_picture(picture)
        zoom = self.picture_zoom
        if zoom is not None and zoom.isVisible():
            if zoom.neuron.picture is None:
                self.hide_picture_zoom()
            else:
                zoom.update()

    def show_picture_zoom(self, item: NeuronItem) -> None:
        """Enlarge ``item``'s picture beside it (while the mouse is over it)."""
        views = self.views()
        if item.picture is None or not views:
            return
        if self.picture_zoom is None:
            self.picture_zoom = PictureZoom()
            self.addItem(self.picture_zoom)
        zoom = self.picture_zoom
        zoom.neuron = item
        view = views[0]
        zoom.place(view.mapToScene(view.viewport().rect()).boundingRect(), view.transform().m11())
        zoom.show()
        zoom.update()

    def hide_picture_zoom(self, item: NeuronItem | None = None) -> None:
        """Hide the enlarged picture (only if it is ``item``'s, when given)."""
        zoom = self.picture_zoom
        if zoom is not None and zoom.isVisible() and (item is None or zoom.neuron is item):
            zoom.hide()
            zoom.neuron = None

    def _on_network_change(self, change: Change) -> None:
        if change.structural or set(self.edge_items) != set(self.network.edges):
            self.rebuild()
            return
        net = self.network
        bundled = False
        for key, item in self.edge_items.items():
            w = net.edges[key]
            if w != item.weight:
                item.set_weight(w)
                bundled = bundled or item.bundled
        if bundled and self.gradients is None:
            self.bundle.refresh()
        for nid, item in self.neuron_items.items():
            bias = net.neurons[nid].bias
            if bias != item.bias:
                item.set_bias(bias)

    def _on_positions_change(self) -> None:
        # a neuron the restored positions have no place for keeps where the canvas has it
        self.model.add_positions({nid: (item.pos().x(), item.pos().y()) for nid, item in self.neuron_items.items()})
        self._syncing = True
        for nid, item in self.neuron_items.items():
            if nid in self.model.positions:
                item.setPos(*self.model.positions[nid])
        self._end_sync()
        self._update_edges()
        self._update_scene_rect()

    def neuron_moved(self, item: NeuronItem) -> None:
        if self._syncing:
            return
        moved_bundled = False
        for (a, b), e in self.edge_items.items():
            if item.nid in (a, b):
                place_edge(e, self.neuron_items)
                moved_bundled = moved_bundled or e.bundled
        if moved_bundled:
            self.bundle.reshape(self.neuron_items)

    def _update_edges(self) -> None:
        for e in self.edge_items.values():
            place_edge(e, self.neuron_items)
        if self.bundle is not None:
            self.bundle.reshape(self.neuron_items)
        self._place_labels()

    def _place_labels(self) -> None:
        """Each shown weight label at the first of LABEL_AT where it covers no neuron, no axis letter and no label
        placed before it (else where it covers least)."""
        edges = [e for e in self.edge_items.values() if e.label_shown]
        if not edges or len(edges) > MAX_PLACED_LABELS:
            return
        taken = [it.sceneBoundingRect() for it in self.neuron_items.values()]
        taken += [e.axis_rect() for e in self.edge_items.values() if e.axis]

        def overlap(r: QRectF) -> float:
            return sum(max(0.0, i.width()) * max(0.0, i.height()) for i in (r.intersected(o) for o in taken))

        for e in edges:
            best = min(LABEL_AT, key=lambda t: (overlap(e.label_rect_at(t)), LABEL_AT.index(t)))
            e._place_label(best)
            taken.append(e.label_rect_at(best))

    def _update_scene_rect(self) -> None:
        zoom = self.picture_zoom
        if zoom is not None:  # not a part of the network's extent (hidden or not)
            self.hide_picture_zoom()
            self.removeItem(zoom)
        rect = self.itemsBoundingRect().adjusted(-COLUMN / 2, -80, COLUMN / 2, 60)
        if zoom is not None:
            self.addItem(zoom)
        cols = QRectF(-COLUMN / 2, rect.top(), COLUMN * self.network.num_layers, rect.height())
        self.setSceneRect(rect.united(cols))

    def set_weight_labels_visible(self, on: bool) -> None:
        self.show_weight_labels = on
        for e in self.edge_items.values():
            e.set_label_visible(on or e.gradient is not None)
        self._place_labels()

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
            if self.has_wide_layer:
                self._draw_header(painter, k, name, top)
            else:
                painter.drawText(QRectF(x - COLUMN / 2, top + 8, COLUMN, 18), Qt.AlignCenter,
                                 f"layer {k} · {name}")

    def _draw_header(self, painter: QPainter, k: int, name: str, top: float) -> None:
        """A column's header in a network with a wide layer: drawn at its size on screen at any zoom (it is seen
        zoomed out), with the layer's size on a second line."""
        s = painter.worldTransform().m11()
        painter.save()
        painter.translate(column_x(k), top)
        painter.scale(1 / s, 1 / s)
        width = COLUMN * s
        metrics = QFontMetricsF(painter.font())
        size = self.layer_sizes[k] if k < len(self.layer_sizes) else 0
        lines = []
        for long, short in ((f"layer {k} · {name}", name), (f"{size} neuron{'s' if size != 1 else ''}", f"{size}")):
            lines.append(long if metrics.horizontalAdvance(long) <= width - 6 else short)
        painter.drawText(QRectF(-width / 2, 6, width, 16), Qt.AlignCenter, lines[0])
        painter.drawText(QRectF(-width / 2, 22, width, 16), Qt.AlignCenter, lines[1])
        painter.restore()

    # ------------------------------------------------------------------ lookups
    def neuron_at(self, pos: QPointF) -> NeuronItem | None:
        for it in self.items(pos):
            if isinstance(it, KnobItem):
                return it.parentItem()
            if isinstance(it, NeuronItem):
                return it
        return None

    def _item_at(self, pos: QPointF):
        """The neuron (or its knob) under ``pos``; else the edge whose line is nearest to it (edges overlap near
        the neurons they share, and a skip edge passes its neighbours), one drawn in full before one of a wide
        layer's bundle (select a neuron there to pick one of its weights)."""
        edges = []
        for it in self.items(pos):
            if isinstance(it, (KnobItem, NeuronItem)):
                return it
            if isinstance(it, EdgeItem):
                edges.append(it)
        return min(edges, key=lambda e: (not e.solo, e.distance_to(pos))) if edges else None

    # ------------------------------------------------------------------ gestures
    @property
    def busy(self) -> bool:
        """A drag gesture is in progress (undo, redo and delete wait until it ends)."""
        return self._mode in ("connect", "weight")

    def mousePressEvent(self, ev):
        self.hide_picture_zoom()  # a drag or a click: the picture would be in the way
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
            self.edits.ask_weight(item.src, item.dst)
            ev.accept()
            return
        if item is None and ev.button() == Qt.LeftButton:
            self.edits.add_neuron_at(ev.scenePos())
            ev.accept()
            return
        super().mouseDoubleClickEvent(ev)

    # ------------------------------------------------------------------ selection
    def selection(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The selected neurons and edges that exist in the network (a structure being rebuilt may still show
        others)."""
        net = self.network
        neurons = [it.nid for it in self.neuron_items.values() if it.isSelected() and it.nid in net.neurons]
        edges = [(it.src, it.dst) for it in self.edge_items.values() if it.isSelected() and (it.src, it.dst) in
                 net.edges]
        return neurons, edges

    def selected_parameter(self) -> str | None:
        """The parameter of a single selected edge (its weight) or non-input neuron (its bias), else None."""
        neurons, edges = self.selection()
        if len(edges) == 1 and not neurons:
            return weight_name(*edges[0])
        if len(neurons) == 1 and not edges and self.network.neurons[neurons[0]].layer > 0:
            return f"{neurons[0]}.bias"
        return None

    def select_all(self) -> None:
        self._syncing = True  # one selection change, not one per item (2,842 took 20 s on a 64-32-16-10 net)
        for it in list(self.neuron_items.values()) + list(self.edge_items.values()):
            it.setSelected(True)
        self._end_sync()

    def delete_selected(self) -> None:
        if not self.busy:
            self.edits.delete(*self.selection())

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
                    a.triggered.connect(lambda _=False, act=act: self.edits.set_activation(nid, act))
                    group.addAction(a)
                    sub.addAction(a)
                menu.addAction("Set bias…", lambda: self.edits.ask_bias(nid))
                self._surface_actions(menu, f"{nid}.bias")
            menu.addAction("Rename…", lambda: self.edits.ask_rename(nid))
            menu.addSeparator()
            menu.addAction(f"Delete {nid}", lambda: self._delete_one(neuron=nid))
        elif isinstance(item, EdgeItem):
            src, dst = item.src, item.dst
            menu.addAction("Set weight…", lambda: self.edits.ask_weight(src, dst))
            menu.addSeparator()
            self._surface_actions(menu, weight_name(src, dst))
            menu.addSeparator()
            menu.addAction(f"Delete {src} → {dst}", lambda: self._delete_one(edge=(src, dst)))
        else:
            pos = ev.scenePos()
            layer = layer_at(pos.x())
            if 0 <= layer < net.num_layers:
                menu.addAction(f"Add neuron to layer {layer}", lambda: self.edits.add_neuron_at(pos))
            menu.addAction("Add hidden layer before the outputs", lambda: self.edits.add_layer(net.output_layer))
            if 0 < layer < net.output_layer:
                menu.addAction(f"Remove layer {layer}", lambda: self.edits.remove_layer(layer))
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
