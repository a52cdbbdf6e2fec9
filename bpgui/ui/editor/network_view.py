"""The view onto the network editor: zoom with the wheel, pan with a middle drag or space+drag, rubber-band
selection on empty space, and fit-to-view."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

MIN_ZOOM, MAX_ZOOM = 0.2, 5.0


class NetworkView(QGraphicsView):
    #: Space was pressed and released without panning (the window's play/pause)
    sigSpaceTap = Signal()

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.BoundingRectViewportUpdate)
        self.setToolTip("")
        self.auto_fit = True  # keep the whole network in view on resizes, until the user zooms or pans
        self._space = False
        self._panned = False
        self._pan_from = None

    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, ev):
        self.zoom_by(1.15 ** (ev.angleDelta().y() / 120))
        ev.accept()

    def zoom_by(self, factor: float) -> None:
        z = self.zoom()
        factor = max(MIN_ZOOM / z, min(MAX_ZOOM / z, factor))
        self.scale(factor, factor)
        self.auto_fit = False
        self._zoom_changed()

    def _zoom_changed(self) -> None:
        self.scene().set_view_scale(self.zoom())

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        if self.auto_fit:
            self.fit()

    def fit(self) -> None:
        self.auto_fit = True
        rect = self.scene().sceneRect()
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom() > 1.6:  # do not blow a tiny net up to cartoon size
            self.resetTransform()
            self.scale(1.6, 1.6)
            self.centerOn(rect.center())
        self._zoom_changed()

    # panning ------------------------------------------------------------------------------------------
    def event(self, ev):
        if ev.type() == QEvent.ShortcutOverride and ev.key() == Qt.Key_Space:
            ev.accept()  # Space is ours here: a tap plays or pauses, a hold pans
            return True
        return super().event(ev)

    def keyPressEvent(self, ev):
        if ev.key() == Qt.Key_Space and ev.isAutoRepeat():
            ev.accept()
            return
        if ev.key() == Qt.Key_Space:
            self._space = True
            self._panned = False
            self.viewport().setCursor(Qt.OpenHandCursor)
            ev.accept()
            return
        super().keyPressEvent(ev)

    def focusOutEvent(self, ev):
        self._space = False  # Space may be released elsewhere: do not stay in pan mode
        if self._pan_from is None:
            self.viewport().unsetCursor()
        super().focusOutEvent(ev)

    def keyReleaseEvent(self, ev):
        if ev.key() == Qt.Key_Space and not ev.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            ev.accept()
            if not self._panned and self._pan_from is None:
                self.sigSpaceTap.emit()
            return
        if ev.key() == Qt.Key_Space:
            ev.accept()
            return
        super().keyReleaseEvent(ev)

    def mousePressEvent(self, ev):
        if ev.button() == Qt.MiddleButton or (self._space and ev.button() == Qt.LeftButton):
            self._pan_from = ev.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            ev.accept()
            return
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev):
        if self._pan_from is not None:
            self._panned = True
            self.auto_fit = False
            d = ev.position() - self._pan_from
            self._pan_from = ev.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(d.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(d.y()))
            ev.accept()
            return
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev):
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            ev.accept()
            return
        super().mouseReleaseEvent(ev)
