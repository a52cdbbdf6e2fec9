"""Your own data: points added to a classification network's data by clicking on the Outputs plot, and removed.

A click (not a drag: a drag pans the plot) adds a training point of the chosen class; Shift+click one of the next
class; right-click or Ctrl+click on a point removes it. Each is one undo step that replaces the document's data
with a new table (:mod:`~bpgui.core.clicked_points`); generated data becomes a table of its points at the first
click, and Undo brings the generator back. Clicking works for networks that classify 2 inputs; elsewhere the
plot's tooltip says why not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ...core.accuracy import predicted_classes
from ...core.clicked_points import PointError, class_count, clicking_problem, with_point, without_point
from ...core.document import GeneratorData
from ..text import num

#: a right-click or Ctrl+click removes the point drawn nearest to it, if its centre is at most this many pixels away
#: (the points are drawn 8 pixels across)
PICK_PIXELS = 6
HOW_TO = ("Click on the plot to add a training point of {which}; Shift+click adds one of the {other}.\n"
          "Right-click or Ctrl+click on a point (training or test) removes it.\n"
          "Drag to pan, scroll to zoom. Each click is one undo step.")


class ClickLayer(pg.GraphicsObject):
    """An invisible item over the whole view that is offered every click before the items under it (drags are
    not offered: they pan the view). ``handler(ev)`` says whether it took the click; a click it does not take goes
    on to the view (a right-click's menu)."""

    def __init__(self, handler: Callable[[object], bool]):
        super().__init__()
        self._handler = handler
        self.setZValue(100)  # over the heatmap and the points

    def boundingRect(self) -> QRectF:
        rect = self.viewRect()  # the view's visible area, in data coordinates
        return QRectF() if rect is None else rect

    def paint(self, painter, option, widget=None) -> None:
        pass

    def viewTransformChanged(self) -> None:
        super().viewTransformChanged()
        self.prepareGeometryChange()  # the visible area moved or changed size

    def mouseClickEvent(self, ev) -> None:
        if self._handler(ev):
            ev.accept()
        else:
            ev.ignore()


def class_icon(fill: str, ring: str, size: int = 12) -> QIcon:
    """A dot drawn as the plot draws a training point of a class."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(QPen(QColor(ring), 1.5))
    painter.setBrush(QColor(fill))
    painter.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.end()
    return QIcon(pixmap)


class ClassChooser(QWidget):
    """"click adds [● class 1]": the class a plain click adds."""

    def __init__(self, colors: Sequence[tuple[str, str]], parent=None):
        super().__init__(parent)
        self._colors = colors  # (fill, ring) per class, repeated for more classes
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.label = QLabel("click adds")
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.label.setBuddy(self.combo)
        lay.addWidget(self.label)
        lay.addWidget(self.combo)
        self._names: tuple[str, ...] = ()

    def set_classes(self, names: Sequence[str]) -> None:
        """Offer these classes (in class order), keeping the chosen one if it is still there."""
        names = tuple(names)
        if names == self._names:
            return
        chosen = self.combo.currentIndex()
        self._names = names
        self.combo.blockSignals(True)
        self.combo.clear()
        for k, name in enumerate(names):
            fill, ring = self._colors[k % len(self._colors)]
            self.combo.addItem(class_icon(fill, ring), name)
        self.combo.setCurrentIndex(chosen if 0 <= chosen < len(names) else 0)
        self.combo.blockSignals(False)

    def chosen(self) -> int:
        return max(self.combo.currentIndex(), 0)

    def set_tooltip(self, text: str) -> None:
        for w in (self, self.label, self.combo):
            w.setToolTip(text)


class PointClicks(QObject):
    """Turns clicks on an :class:`~.output_plot.OutputPlot` into undoable edits of the open document's data."""

    #: a message for the status bar
    sigStatus = Signal(str)

    def __init__(self, plot, colors: Sequence[tuple[str, str]]):
        super().__init__(plot)
        self.plot = plot
        self.layer = ClickLayer(self._on_click)
        plot.plot_item.addItem(self.layer, ignoreBounds=True)
        self.layer.hide()
        self.chooser = ClassChooser(colors)
        self.chooser.hide()
        self.problem: str | None = "no document"  # why clicking adds no points, or None when it does
        self._hub = None

    @property
    def on(self) -> bool:
        return self.problem is None

    def follow(self, hub) -> None:
        """Edit the open document (``hub``: the DocumentHub) from now on."""
        self._hub = hub
        hub.sigSettingsChanged.connect(self.refresh)
        hub.sigNetworkChanged.connect(lambda change: change.structural and self.refresh())
        hub.sigDocumentReplaced.connect(self.refresh)
        self.refresh()

    def refresh(self, *_) -> None:
        """Clicking on or off (and why) for the open document's network and data; the classes to choose from."""
        model = self._hub.model
        net = model.network
        problem = clicking_problem(net.loss, len(net.inputs))
        if problem is None and model.dataset() is None:
            problem = f"the data cannot be used with the network ({model.data_problem})"
        self.problem = problem
        self.layer.setVisible(problem is None)
        self.chooser.setVisible(problem is None)
        if problem is not None:
            self.plot.plot_widget.setToolTip(f"Clicking adds no points here: {problem}.")
            return
        outputs = [n.id for n in net.outputs]
        k = class_count(len(outputs))
        names = [f"class {c}" for c in range(k)] if len(outputs) == 1 else [
            f"class {c} ({name})" for c, name in enumerate(outputs)]
        self.chooser.set_classes(names)
        other = "other class" if k == 2 else "next class"
        self.chooser.set_tooltip(HOW_TO.format(which="this class", other=other))
        self.plot.plot_widget.setToolTip(HOW_TO.format(which="the class chosen above the plot", other=other))

    # ------------------------------------------------------------------ clicks
    def _on_click(self, ev) -> bool:
        """Add or remove a point for a click; False leaves the click to the view (a right-click off the points
        opens the plot's menu)."""
        if not self.on:
            return False
        if ev.double():  # the second press of a double-click: its first press added the point already
            return True
        button, mods = ev.button(), ev.modifiers()
        pos = ev.pos()  # in data coordinates
        if button == Qt.RightButton or (button == Qt.LeftButton and mods & Qt.ControlModifier):
            row = self.row_near(pos)
            if row is not None:
                self._remove(row)
                return True
            if button == Qt.LeftButton:
                self.sigStatus.emit(f"no point within {PICK_PIXELS} pixels of the click to remove")
                return True
            return False
        if button != Qt.LeftButton:
            return False
        chosen = self.chooser.chosen()
        cls = (chosen + 1) % self.chooser.combo.count() if mods & Qt.ShiftModifier else chosen
        self._add(self._rounded(pos), cls)
        return True

    def row_near(self, pos: QPointF) -> int | None:
        """The row (training rows first, then test rows) of the drawn point nearest to ``pos`` (data coordinates)
        within PICK_PIXELS pixels, or None."""
        shown = self.plot.shown_points
        if shown is None:
            return None
        x, rows, _n_train = shown
        if not len(rows):
            return None
        pw, ph = self.plot.plot_item.vb.viewPixelSize()  # data units per pixel
        d = np.hypot((x[rows, 0] - pos.x()) / pw, (x[rows, 1] - pos.y()) / ph)
        i = int(np.argmin(d))
        return int(rows[i]) if d[i] <= PICK_PIXELS else None

    def _rounded(self, pos: QPointF) -> tuple[float, float]:
        """The click's data coordinates to the decimals that keep them within a tenth of a pixel (a file of
        clicked points reads 0.314, not 0.31415926535897)."""
        pixel = self.plot.plot_item.vb.viewPixelSize()
        out = []
        for v, p in zip((pos.x(), pos.y()), pixel):
            decimals = max(0, math.ceil(math.log10(5 / p))) if p > 0 and math.isfinite(p) else 6
            out.append(round(v, decimals))
        return out[0], out[1]

    # ------------------------------------------------------------------ edits
    def _add(self, xy: tuple[float, float], cls: int) -> None:
        model = self._hub.model
        data = model.dataset()
        try:
            table = with_point(data, xy, cls)
        except PointError as e:
            self.sigStatus.emit(str(e))
            return
        where = f"({num(xy[0])}, {num(xy[1])})"
        self._edit(f"Add a class {cls} point", table, f"added a class {cls} point at {where}")

    def _remove(self, row: int) -> None:
        model = self._hub.model
        data = model.dataset()
        n_train = len(data.x_train)
        x, t = (data.x_train[row], data.t_train[row]) if row < n_train else (
            data.x_test[row - n_train], data.t_test[row - n_train])
        try:
            table = without_point(data, row)
        except PointError as e:
            self.sigStatus.emit(str(e))
            return
        cls = int(predicted_classes(t[None, :])[0])
        which = "training" if row < n_train else "test"
        self._edit(f"Remove a class {cls} {which} point", table,
                   f"removed a class {cls} {which} point at ({num(x[0])}, {num(x[1])})")

    def _edit(self, text: str, table, done: str) -> None:
        """Replace the data with ``table`` as one undo step; say what happened (or why nothing did)."""
        model = self._hub.model
        was = model.doc.data
        generated = isinstance(was, GeneratorData)
        if generated:
            text += f" (the {was.generator} data becomes a table)"
        # the view stays where it is: fitting it to the data after each click would move the points under the
        # mouse
        self.plot.plot_item.vb.disableAutoRange()
        error = model.edit_settings(text, data=table)
        if error:
            self.sigStatus.emit(error)
        elif generated:
            n = len(table.inputs) + len(table.test_inputs)
            self.sigStatus.emit(f"The {was.generator} data is now a table of {n:,} points: clicked points edit it "
                                f"(Undo brings the generator back)")
        else:
            self.sigStatus.emit(done)
