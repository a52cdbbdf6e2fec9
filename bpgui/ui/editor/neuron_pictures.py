"""Neuron pictures on the canvas: for a network of 2 inputs, each neuron's output over the input plane, as the
Outputs view pictures the network's (and as the TensorFlow Playground draws a square per neuron), live while it
trains.

View > Neuron Pictures (off at first) turns them on: from then on the training thread sends every neuron's output
over the Outputs view's grid with each snapshot (``TrainingSnapshot.grid_neurons``, from the forward pass that
gives the grid's outputs); while they are off nothing is computed. A neuron of a narrow layer (hidden or output)
shows its picture in its circle, its name on a tag above; a wide layer's compact neurons show none. Hovering a
neuron enlarges its picture beside it (:class:`PictureZoom`), with its name, activation and the colour scale's
ends. The colours are the Outputs view's, centred where the output changes sign or class (0 for tanh, 0.5 for
sigmoid; an output neuron on the Outputs view's own scale).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem

from ...core.training_run import TrainingSnapshot
from ..style import OUTPUT_COLORS, TEXT_COLOR
from ..text import num

PICTURES_TIP = "each neuron's output over the two inputs, as the Outputs view shows the network's"
NO_PICTURES_TIP = ("neuron pictures need a network of 2 inputs (this one has {n}): each neuron's output is "
                   "pictured over the input plane")
#: the colours of the outputs from the low end of the scale (0) to the high end (255), and of a value that is not
#: finite (the last row)
LUT = np.vstack([OUTPUT_COLORS.getLookupTable(0.0, 1.0, 256, alpha=False), [[150, 150, 150]]]).astype(np.uint8)
#: while the run plays, the pictures are made at most this often (seconds): the 33 of a 2-16-16-1 net took 1.5-2 ms
#: to make, and painting them added no measurable time to that canvas's repaint (20-30 ms, its 300 edges), but
#: more often than this no eye follows them
PLAYING_INTERVAL = 1 / 30
#: the enlarged picture's side, in screen pixels (smaller, down to ZOOM_SMALLEST times this, where a narrow canvas
#: has no room for it beside the neuron: 1024x640 leaves ~140 pixels)
ZOOM_SIDE = 168
ZOOM_SMALLEST = 0.6


@dataclass(frozen=True)
class NeuronPicture:
    """One neuron's picture: its image (y up), the values at the colour map's ends, the smallest and largest
    finite value pictured (NaN if none), and the two inputs' names and ranges (x, then y)."""

    image: QImage
    levels: tuple[float, float]
    span: tuple[float, float]
    inputs: tuple[str, str]
    extent: tuple[tuple[float, float], tuple[float, float]]


def picture_image(values: np.ndarray, levels: tuple[float, float]) -> QImage:
    """A G×G grid of values (row 0 at the lowest y) as an RGB image with y up, coloured by the Outputs view's map
    from ``levels[0]`` (orange) through their middle (white) to ``levels[1]`` (blue); grey where not finite."""
    lo, hi = levels
    t = np.subtract(np.asarray(values, dtype=float)[::-1], lo)
    t *= 255.0 / (hi - lo)
    finite = np.isfinite(t)
    np.clip(t, 0.0, 255.0, out=t)
    np.rint(t, out=t)
    t[~finite] = 256.0
    rgb = np.take(LUT, t.astype(np.intp), axis=0)  # 4x as fast as LUT[index]
    h, w = t.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()  # copy: the image owns its pixels


def pictures_of(snap: TrainingSnapshot, inputs: tuple[str, str]) -> dict[str, NeuronPicture]:
    """Each neuron's picture from a snapshot's ``grid_neurons`` (empty without them): 33 of them (a 2-16-16-1 net)
    in ~1.5 ms (one neuron at a time: all at once took twice as long, their arrays spilling out of the cache)."""
    cells = snap.grid_neurons
    if cells is None or snap.grid_x is None or snap.grid_y is None:
        return {}
    gx, gy = snap.grid_x, snap.grid_y
    extent = ((float(gx[0]), float(gx[-1])), (float(gy[0]), float(gy[-1])))
    out = {}
    for nid, values, (lo, hi) in zip(cells.ids, cells.outputs, cells.levels.tolist()):
        low, high = float(values.min()), float(values.max())  # NaN if any is
        if not (math.isfinite(low) and math.isfinite(high)):
            finite = values[np.isfinite(values)]
            low, high = (float(finite.min()), float(finite.max())) if finite.size else (math.nan, math.nan)
        out[nid] = NeuronPicture(picture_image(values, (lo, hi)), (lo, hi), (low, high), inputs, extent)
    return out


def colour_bar() -> QImage:
    """The colour scale, low to high from left to right (one row)."""
    rgb = np.ascontiguousarray(LUT[None, :256])
    return QImage(rgb.data, 256, 1, 3 * 256, QImage.Format_RGB888).copy()


class PictureZoom(QGraphicsItem):
    """A hovered neuron's picture enlarged, beside it, at a fixed size on screen (smaller where the canvas has no
    room for it, see :meth:`place`): its name, activation and role above; the inputs' ranges and the colour scale
    with its ends below."""

    PAD = 8.0
    TITLE = 20.0
    LINE = 15.0
    BAR = 10.0

    def __init__(self):
        super().__init__()
        self.setFlag(QGraphicsItem.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(50)
        self.neuron = None  # the NeuronItem shown
        self.factor = 1.0  # the size drawn, of the full size
        self._bar = colour_bar()

    def full_size(self) -> tuple[float, float]:
        height = self.PAD + self.TITLE + ZOOM_SIDE + 4 + 2 * self.LINE + 4 + self.BAR + self.LINE + self.LINE \
            + self.PAD
        return ZOOM_SIDE + 2 * self.PAD, height

    def boundingRect(self) -> QRectF:
        w, h = self.full_size()
        return QRectF(0, 0, w * self.factor, h * self.factor)

    def paint(self, painter: QPainter, option, widget=None):
        item = self.neuron
        picture = item.picture if item is not None else None
        if picture is None:
            return
        painter.save()
        painter.scale(self.factor, self.factor)
        self._paint_full(painter, item, picture)
        painter.restore()

    def _paint_full(self, painter: QPainter, item, picture: NeuronPicture) -> None:
        w, h = self.full_size()
        pad, side = self.PAD, float(ZOOM_SIDE)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor("#8c8c8c"), 1.0))
        painter.setBrush(QColor(255, 255, 255, 245))
        painter.drawRoundedRect(QRectF(0.5, 0.5, w - 1, h - 1), 5, 5)
        text = QColor(TEXT_COLOR)
        muted = QColor("#595959")
        bold = painter.font()
        bold.setPointSizeF(10.0)
        bold.setBold(True)
        plain = painter.font()
        plain.setPointSizeF(8.5)
        y = pad
        painter.setFont(bold)
        painter.setPen(text)
        title = QRectF(pad, y, side, self.TITLE)
        painter.drawText(title, Qt.AlignLeft | Qt.AlignVCenter, item.nid)
        painter.setFont(plain)
        painter.setPen(muted)
        role = "output" if item.role == "output" else f"layer {item.layer}"
        painter.drawText(title, Qt.AlignRight | Qt.AlignVCenter, f"{item.activation} · {role}")
        y += self.TITLE
        box = QRectF(pad, y, side, side)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        painter.drawImage(box, picture.image)
        painter.setPen(QPen(QColor("#4d4d4d"), 1.0))
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(box)
        y += side + 4
        (x0, x1), (y0, y1) = picture.extent
        a, b = picture.inputs
        painter.setPen(muted)
        painter.drawText(QRectF(pad, y, side, self.LINE), Qt.AlignLeft | Qt.AlignVCenter,
                         f"→ {a} from {num(x0, 2)} to {num(x1, 2)}")
        painter.drawText(QRectF(pad, y + self.LINE, side, self.LINE), Qt.AlignLeft | Qt.AlignVCenter,
                         f"↑ {b} from {num(y0, 2)} to {num(y1, 2)}")
        y += 2 * self.LINE + 4
        bar = QRectF(pad, y, side, self.BAR)
        painter.drawImage(bar, self._bar)
        painter.setPen(QPen(QColor("#8c8c8c"), 0.8))
        painter.drawRect(bar)
        y += self.BAR
        lo, hi = picture.levels
        labels = QRectF(pad, y, side, self.LINE)
        painter.setPen(text)
        painter.drawText(labels, Qt.AlignLeft | Qt.AlignVCenter, num(lo, 3))
        painter.drawText(labels, Qt.AlignHCenter | Qt.AlignVCenter, num((lo + hi) / 2, 3))
        painter.drawText(labels, Qt.AlignRight | Qt.AlignVCenter, num(hi, 3))
        y += self.LINE
        s0, s1 = picture.span
        here = (f"here from {num(s0, 3)} to {num(s1, 3)}" if math.isfinite(s0) else "not finite here")
        painter.setPen(muted)
        painter.drawText(QRectF(pad, y, side, self.LINE), Qt.AlignLeft | Qt.AlignVCenter, here)

    def place(self, view_rect: QRectF, scale: float) -> None:
        """Beside its neuron, right of it if it fits in ``view_rect`` (the scene's visible part), else left if it
        fits there, else on the roomier side, made smaller to fit (down to ZOOM_SMALLEST); moved up or down to stay
        in it. ``scale``: screen pixels per scene unit."""
        item = self.neuron
        full_w, full_h = (v / scale for v in self.full_size())
        gap = 10 / scale
        right = view_rect.right() - (item.x() + item.radius + gap)
        left = (item.x() - item.radius - gap) - view_rect.left()
        on_right = right >= full_w or (left < full_w and right >= left)
        room = right if on_right else left
        factor = min(1.0, max(ZOOM_SMALLEST, room / full_w), view_rect.height() / full_h)
        if factor != self.factor:
            self.prepareGeometryChange()
            self.factor = factor
        w, h = full_w * factor, full_h * factor
        x = item.x() + item.radius + gap if on_right else item.x() - item.radius - gap - w
        x = max(view_rect.left(), min(x, view_rect.right() - w))
        y = item.y() - h / 2
        y = max(view_rect.top(), min(y, view_rect.bottom() - h))
        self.setPos(QPointF(x, y))


class NeuronPictures(QObject):
    """View > Neuron Pictures (:attr:`action`): asks the training thread for every neuron's output over the input
    plane while it is on, and hands the canvas (``scene``) a picture per neuron from each snapshot. Available for
    networks of 2 inputs; otherwise the action is greyed out and says why."""

    def __init__(self, scene, parent=None):
        super().__init__(parent)
        self.scene = scene
        self.action = QAction("Neuron &Pictures", self, checkable=True)
        self.action.setShortcut("Ctrl+Shift+P")
        self.action.setToolTip(PICTURES_TIP)
        self.action.setStatusTip(PICTURES_TIP)
        self.action.toggled.connect(self._apply)
        self._hub = None
        self._training = None
        self._inputs: tuple[str, str] | None = None  # the network's two inputs, when it has two
        self._last = -math.inf  # when pictures were last drawn

    def follow(self, hub, training) -> None:
        """Draw ``training``'s snapshots for the open document of ``hub`` (a DocumentHub) from now on."""
        self._hub = hub
        self._training = training
        hub.sigNetworkChanged.connect(lambda change: change.structural and self._update_available())
        hub.sigDocumentReplaced.connect(self._on_document_replaced)
        training.sigSnapshot.connect(self.update_snapshot)
        self._update_available()

    @property
    def on(self) -> bool:
        return self.action.isChecked() and self.action.isEnabled()

    def set_on(self, on: bool) -> None:
        self.action.setChecked(on)

    def _on_document_replaced(self, *_) -> None:
        if self.scene.neuron_pictures:  # of another network: its first snapshot brings this one's
            self.scene.set_neuron_pictures({})
        self._update_available()

    def _update_available(self, *_) -> None:
        inputs = [n.id for n in self._hub.model.network.inputs]
        self._inputs = tuple(inputs) if len(inputs) == 2 else None
        available = self._inputs is not None
        tip = PICTURES_TIP if available else NO_PICTURES_TIP.format(n=len(inputs))
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        if available != self.action.isEnabled():
            self.action.setEnabled(available)
        self._apply()

    def _apply(self, *_) -> None:
        on = self.on
        if self._training is None:
            return
        self._training.want("neurons", on)
        if not on:
            self.scene.set_neuron_pictures(None)
            return
        latest = self._training.latest
        if latest is not None and latest.grid_neurons is not None:
            self._draw(latest)
        else:  # on: the training thread sends them with its next snapshot
            self.scene.set_neuron_pictures(self.scene.neuron_pictures or {})

    def update_snapshot(self, snap: TrainingSnapshot) -> None:
        if not self.on or not self._training.is_current(snap):
            return
        now = time.monotonic()
        if snap.playing and now - self._last < PLAYING_INTERVAL:
            return
        self._last = now
        self._draw(snap)

    def _draw(self, snap: TrainingSnapshot) -> None:
        self.scene.set_neuron_pictures(pictures_of(snap, self._inputs))
