"""Pointing at a part of the window for a lesson's step (its ``look`` targets): a view's dock brought to the front,
a control of the Training panel scrolled into sight, an edge or neuron selected on the canvas; each one framed
for a moment in a bright colour (:class:`Flash`) so the eye finds it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QRect, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QFrame, QGroupBox, QScrollArea, QWidget

from ..view_help import VIEW_DOCKS

#: how long a frame stays around what a step points at (ms)
FLASH_MS = 2000
FLASH_COLOR = "#ff7f00"
#: the frame's width, and its room around the target (pixels)
FLASH_WIDTH, FLASH_ROOM = 3, 3


class Flash(QFrame):
    """A coloured frame over a rectangle of a window, transparent inside and to the mouse, gone after FLASH_MS."""

    def __init__(self, window: QWidget, rect: QRect, ms: int = FLASH_MS):
        super().__init__(window)
        self.setObjectName("lesson_flash")
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setStyleSheet(f"QFrame#lesson_flash {{ border: {FLASH_WIDTH}px solid {FLASH_COLOR}; "
                           f"border-radius: 5px; background: transparent; }}")
        self.setGeometry(rect.adjusted(-FLASH_ROOM, -FLASH_ROOM, FLASH_ROOM, FLASH_ROOM)
                         .intersected(window.rect()))
        self.show()
        self.raise_()
        QTimer.singleShot(ms, self.deleteLater)


class LessonTargets:
    """Finds and shows the targets of ``window`` (a MainWindow)."""

    def __init__(self, window):
        self.window = window
        self.flashes: list[Flash] = []  # the frames on show (deleted after FLASH_MS)
        self.pending = 0  # targets to show once the window is laid out

    # ------------------------------------------------------------------ finding
    def dock(self, view: str) -> QDockWidget | None:
        return self.window.findChild(QDockWidget, VIEW_DOCKS[view]) if view in VIEW_DOCKS else None

    def controls(self, name: str) -> list[QWidget]:
        """The widgets of a lesson's control (core/lessons.CONTROLS) on the Training panel."""
        w = self.window
        panel = w.training_panel
        actions = {"play": w.window_actions.play, "step": w.window_actions.step, "reset": w.window_actions.reset}
        if name in actions:
            return [b for b in panel.run_buttons if b.defaultAction() is actions[name]]
        if name == "learning_rate":
            return [panel.lr_slider, panel.lr_edit]
        if name == "optimizer":
            return [panel.optimizer]
        if name == "batch_size":
            return [panel.batch]
        if name == "speed":
            return [panel.speed_slider, panel.speed_edit]
        if name == "data":
            return [box for box in panel.findChildren(QGroupBox) if box.title() == "Data"]
        return []

    # ------------------------------------------------------------------ showing
    def show(self, targets) -> None:
        """Bring each of ``targets`` ("view:surface", "control:learning_rate", "edge:x->y", "neuron:h1") into sight
        and frame it, once the window is laid out anew (a step's setup may have shown or hidden rows of the
        Training panel)."""
        self.pending += 1
        QTimer.singleShot(0, lambda: self._show_now(tuple(targets)))

    def _show_now(self, targets) -> None:
        self.pending -= 1
        QCoreApplication.sendPostedEvents(None, QEvent.LayoutRequest)
        flash: list = []
        selected = False
        for t in targets:
            kind, _, name = t.partition(":")
            if kind == "view":
                flash.append(self.raise_view(name))
            elif kind == "control":
                flash.append(self.show_control(name))
            elif kind in ("edge", "neuron"):
                if not selected:
                    self.window.scene.clearSelection()
                    selected = True
                flash.append(self.select(kind, name))
        QTimer.singleShot(0, lambda: [self.flash(f) for f in flash if f is not None])

    def raise_view(self, view: str):
        """Bring ``view`` to the front (its dock shown and its tab current); returns what to frame."""
        if view == "canvas":
            self.window.view.setFocus()
            return [self.window.view]
        dock = self.dock(view)
        if dock is None:
            return None
        dock.show()
        dock.raise_()
        return [dock]

    def show_control(self, name: str):
        widgets = [c for c in self.controls(name) if not c.isHidden()]  # classroom mode may hide some
        if not widgets:
            return None
        self.raise_view("training")
        scroll = widgets[0].parentWidget()
        while scroll is not None and not isinstance(scroll, QScrollArea):
            scroll = scroll.parentWidget()
        if scroll is not None:
            for c in widgets:
                scroll.ensureWidgetVisible(c, 8, 8)
        return widgets

    def select(self, kind: str, name: str):
        """Select an edge ("x->y") or a neuron on the canvas; returns what to frame (its place on the view)."""
        scene = self.window.scene
        if kind == "edge":
            a, _, b = name.partition("->")
            item = scene.edge_items.get((a, b))
        else:
            item = scene.neuron_items.get(name)
        if item is None:
            return None
        item.setSelected(True)
        self.window.view.ensureVisible(item, 20, 20)
        return item

    def flash(self, what) -> Flash | None:
        """Frame ``what``: widgets (one frame around them all), or an item of the canvas."""
        if isinstance(what, list):
            widgets = [w for w in what if w.isVisible()]
            if not widgets:
                return None
            top = widgets[0].window()
            rect = QRect()
            for w in widgets:
                seen = w.visibleRegion().boundingRect()  # a control half out of its scroll area: the half in it
                if w.window() is top and not seen.isEmpty():
                    rect = rect.united(QRect(w.mapTo(top, seen.topLeft()), seen.size()))
        else:  # a canvas item
            view = self.window.view
            top = view.window()
            on_view = view.mapFromScene(what.sceneBoundingRect()).boundingRect()
            rect = QRect(view.viewport().mapTo(top, on_view.topLeft()), on_view.size())
        if rect.isEmpty():
            return None
        f = Flash(top, rect)
        self.flashes = [x for x in self.flashes if _alive(x)] + [f]
        return f


def _alive(widget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)
