"""The main window: layout and wiring. The network canvas in the middle; the training panel, properties and the
chain rule on the left; the surface (2D and 3D), loss, outputs, slice and directions, and the next step taken apart
(step, line, all directions) on the right; menus, toolbar and status bar.

The parts listen to the long-lived :class:`~.document.document_hub.DocumentHub` (the open document's signals) and
to the :class:`~.training.training_controller.TrainingController` (its snapshots); the window connects them, in
the order a snapshot is drawn, and paints each snapshot before the training thread goes on (see
:meth:`_paint_now`). What is left here joins parts: undo and redo (they pause training and wait for a drag), the
gradient overlay (the canvas drawn from a snapshot), the title, and the status bar.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from ..resources import resource_path
from .document.autosave import Autosave
from .document.data_import import DataImport
from .document.document_files import DocumentFiles, default_document
from .document.document_hub import DocumentHub
from .document.document_model import DocumentModel
from .document.export_actions import ExportActions
from .editor.network_scene import NetworkScene
from .editor.network_view import NetworkView
from .editor.neuron_pictures import NeuronPictures
from .editor.properties_panel import PropertiesPanel
from .lessons.classroom import Classroom
from .lessons.lesson_runner import LessonRunner
from .step.direction_slopes import DirectionSlopes
from .step.step_line_plot import StepLinePlot
from .step.step_waterfall import StepWaterfall
from .surface.chain_rule_panel import ChainRulePanel
from .surface.direction_plot import DirectionPlot
from .surface.slice_plot import SlicePlot
from .surface.surface_3d import Surface3D
from .surface.surface_controller import SurfaceController
from .surface.surface_view import SurfaceView
from .threads import collect_garbage_in_main_thread, process_events_until
from .training.loss_plot import LossPlot
from .training.output_plot import OutputPlot
from .training.run_banner import RunBanner
from .training.run_status import RunStatus
from .training.training_controller import TrainingController
from .training.training_panel import TrainingPanel
from .window_actions import WindowActions

WELCOME = ("Drag a neuron to move it · drag from its knob to connect · drag an edge to change its weight · "
           "double-click a column to add a neuron")


class MainWindow(QMainWindow):
    def __init__(self, model: DocumentModel | None = None):
        super().__init__()
        collect_garbage_in_main_thread()  # before any worker starts: see MainThreadGarbage
        self.hub = DocumentHub(model or default_document(), self)
        self.last_error: str | None = None
        self._extra_windows: list[MainWindow] = []  # more restored documents
        self.setWindowIcon(QIcon(str(resource_path("icons", "bpgui.svg"))))
        self.scene = NetworkScene(self.hub, self)
        self.view = NetworkView(self.scene, self)
        self.neuron_pictures = NeuronPictures(self.scene, self)
        self.banner = RunBanner(self)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.training = TrainingController(self.hub, self)
        self.panel = PropertiesPanel(self.scene, self)
        self.files = DocumentFiles(self.hub, self, self.show_status, self.show_error)
        self.exports = ExportActions(self, self.show_status, self.show_error)
        self.data_import = DataImport(self.hub, self, self.show_status, self.show_error)
        self.window_actions = WindowActions(self)
        self.training_panel = TrainingPanel(self.hub, self.window_actions.training_actions(), self)
        self._make_docks()
        self.surface = SurfaceController(self.hub, self.training, self.surface_view, self.slice_plot,
                                         self.direction_plot, self.surface_3d, self)
        self.lessons = LessonRunner(self)  # Help > Lessons: a dock under the canvas, hidden until asked for
        self._dock("Lessons", self.lessons.panel, Qt.BottomDockWidgetArea).hide()
        self.lessons.sigStatus.connect(self.show_status)
        self.classroom = Classroom(self)
        self.status = QLabel()
        self.run_status = RunStatus()
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.run_status)
        self._connect()
        self.window_actions.build_menus()
        self.classroom.set_on(Classroom.remembered())
        self.autosave = Autosave(self.hub, self, self.show_status)
        self.resize(1280, 800)
        self.show_status(WELCOME)

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    # ------------------------------------------------------------------ layout
    def _make_docks(self) -> None:
        scroll = QScrollArea()
        scroll.setWidget(self.training_panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(min(self.training_panel.sizeHint().width() + 16, 260))
        training_dock = self._dock("Training", scroll, Qt.LeftDockWidgetArea)
        properties_dock = self._dock("Properties", self.panel, Qt.LeftDockWidgetArea)
        self.splitDockWidget(training_dock, properties_dock, Qt.Vertical)
        self.chain_rule = ChainRulePanel(self)
        self.tabifyDockWidget(properties_dock, self._dock("Chain Rule", self.chain_rule, Qt.LeftDockWidgetArea))
        properties_dock.raise_()
        self.surface_view = SurfaceView(self)
        self.surface_3d = Surface3D(self)
        self.loss_plot = LossPlot(self)
        self.output_plot = OutputPlot(self)
        self.slice_plot = SlicePlot(self)
        self.direction_plot = DirectionPlot(self)
        self.step_waterfall = StepWaterfall(self)
        self.step_line = StepLinePlot(self)
        self.direction_slopes = DirectionSlopes(self)
        surface_dock = self._dock("Surface", self.surface_view, Qt.RightDockWidgetArea)
        loss_dock = self._dock("Loss", self.loss_plot, Qt.RightDockWidgetArea)
        self.splitDockWidget(surface_dock, loss_dock, Qt.Vertical)  # split first, then add tabs to each part
        # the tall views share the surface's place (a bar per parameter needs the height), the small plots the loss's
        for title, w in (("Surface 3D", self.surface_3d), ("Step", self.step_waterfall), ("Line", self.step_line),
                         ("All Directions", self.direction_slopes)):
            self.tabifyDockWidget(surface_dock, self._dock(title, w, Qt.RightDockWidgetArea))
        for title, w in (("Outputs", self.output_plot), ("Slice", self.slice_plot),
                         ("Directions", self.direction_plot)):
            self.tabifyDockWidget(loss_dock, self._dock(title, w, Qt.RightDockWidgetArea))
        surface_dock.raise_()
        loss_dock.raise_()
        # the right docks reach down to the bottom: a dock at the bottom (Lessons) lies under the canvas and the
        # left docks, the surface keeps its height
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self._layout_docks = (training_dock, properties_dock, surface_dock, loss_dock)

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower())
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def showEvent(self, ev):
        super().showEvent(ev)
        if self._layout_docks:  # first show: share the width between the docks and the canvas
            training, properties, surface, loss = self._layout_docks
            self._layout_docks = None
            w, h = self.width(), self.height()
            self.resizeDocks([training, surface], [max(300, int(0.26 * w)), max(300, int(0.36 * w))], Qt.Horizontal)
            self.resizeDocks([training, properties], [int(0.62 * h), int(0.38 * h)], Qt.Vertical)
            self.resizeDocks([surface, loss], [int(0.64 * h), int(0.36 * h)], Qt.Vertical)
            self._hide_stale_tab_bars()

    def _hide_stale_tab_bars(self) -> None:
        """Qt (6.10) leaves a tab bar of an earlier stage of tabifying on show, where the canvas covers it but
        a dock under the canvas (Lessons) does not: a bar whose tabs are fewer than another's, of the same docks."""
        bars = [(b, {b.tabText(i) for i in range(b.count())}) for b in self.findChildren(QTabBar)
                if b.parentWidget() is self]
        for bar, tabs in bars:
            if any(tabs < other for _b, other in bars):
                bar.hide()

    # ------------------------------------------------------------------ wiring
    def _connect(self) -> None:
        hub, training, scene = self.hub, self.training, self.scene
        for source in (scene, self.training_panel, self.surface, self.banner, self.chain_rule, self.output_plot,
                       training):
            source.sigStatus.connect(self.show_status)
        self.training_panel.options.sigStopRule.connect(training.set_stop_rule)
        self.view.sigSpaceTap.connect(self.window_actions.play.trigger)
        for name in ("directions", "slice"):  # hidden tabs are not kept up to date while training
            self.findChild(QDockWidget, name).visibilityChanged.connect(lambda on: on and self.surface.refresh_views())
        # the 3D view is made when its tab is first on screen, whenever that is
        self.findChild(QDockWidget, "surface 3d").visibilityChanged.connect(
            lambda on: on and self.surface_3d.ensure_view())
        self.surface.sigPairChanged.connect(scene.set_surface_pair)
        scene.set_surface_pair(self.surface.pair)
        scene.sigSurfaceAxis.connect(self.surface.choose_axis)
        scene.sigRenamed.connect(self.surface.rename)
        scene.sigExportRequested.connect(lambda: self.exports.export_view_dialog("canvas"))
        self.banner.follow(training)
        training.sigError.connect(self._on_training_error)
        # a snapshot is drawn in this order, all of it before the training thread goes on
        self.loss_plot.follow(hub, training)
        self.output_plot.follow(hub, training)
        training.sigSnapshot.connect(self._show_gradients)
        self.neuron_pictures.follow(hub, training)
        self.chain_rule.follow(scene, training)
        self._follow_step_views()
        training.sigSnapshot.connect(self.run_status.update_snapshot)
        training.sigSnapshot.connect(self.training_panel.update_snapshot)
        training.sigSnapshot.connect(self._paint_now)
        for signal in (hub.sigCleanChanged, hub.sigPathChanged, hub.sigTrainingPending, hub.sigDocumentReplaced):
            signal.connect(self._update_title)
        hub.sigDocumentReplaced.connect(self.view.fit)
        self._update_title()

    def _follow_step_views(self) -> None:
        """The step views draw the snapshots' anatomy of the next step, which the training thread works out only
        while one of them is on show (a tab at the front, or floating)."""
        self.step_waterfall.sigHoverParameter.connect(self.scene.set_marked_parameter)
        # the curvature's marks on the learning-rate slider, while the anatomy is worked out
        self.training.sigSnapshot.connect(lambda snap: self.training_panel.lr_slider.set_curvature(
            snap.anatomy.curvature.lambda_max if snap.anatomy is not None else None))
        for view in self.step_views():
            view.follow(self.hub, self.training)
            dock = view.parentWidget()
            dock.visibilityChanged.connect(lambda on, v=view: self._on_step_view_shown(v, on))
            # a dock made floating reports itself hidden and, on Qt's offscreen platform, never shown again: look
            # once it is laid out
            dock.topLevelChanged.connect(lambda floating, v=view, d=dock: floating and QTimer.singleShot(
                0, lambda: self._on_step_view_shown(v, d.isVisible())))

    def step_views(self) -> tuple:
        return (self.step_waterfall, self.step_line, self.direction_slopes)

    def _on_step_view_shown(self, view, on: bool) -> None:
        if on == view.on_show:
            return
        view.on_show = on
        wanted = any(v.on_show for v in self.step_views())
        self.training.want("anatomy", wanted)
        if not wanted:  # no more anatomy: the slider's curvature marks would go stale
            self.training_panel.lr_slider.set_curvature(None)
        if not on:
            if view is self.step_waterfall:
                self.scene.set_marked_parameter(None)
        elif self.training.latest is not None:  # what is known now; the training thread sends the rest
            view.update_snapshot(self.training.latest)

    def _paint_now(self, _snap) -> None:
        """Paint now, while the training thread waits for this snapshot's slots: a paint left for later would
        compete with it for Python's lock at each of its many calls into Python, and take many times as long.
        Posted events first (the scenes turn item changes into dirty regions), then one synchronous repaint, which
        paints every dirty region of the window."""
        QCoreApplication.sendPostedEvents()
        if self.isVisible():
            self.run_status.repaint()

    def _update_title(self, *_) -> None:
        self.setWindowTitle(f"{self.model.display_name}[*] — bpgui")
        self.setWindowModified(self.model.is_modified())

    def _on_training_error(self, message: str) -> None:
        self.last_error = message

    def show_gradient_overlay(self, on: bool) -> None:
        if on and self.training.latest is not None:
            self._show_gradients(self.training.latest)
        elif not on:
            self.scene.set_gradients(None)

    def _show_gradients(self, snap) -> None:
        if self.window_actions.gradients.isChecked() and self.training.is_current(snap) and snap.finite:
            self.scene.set_gradients(dict(zip(snap.names, snap.gradient.tolist())))

    # ------------------------------------------------------------------ messages
    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, title: str, text: str) -> None:
        self.last_error = text
        self.show_status(text)
        QMessageBox.warning(self, title, text)

    # ------------------------------------------------------------------ undo, closing, recovery
    def undo(self) -> None:
        if not self.scene.busy and not self.model.live_change:  # a drag records its step when it ends
            self._pause_for_history()
            self.model.undo()

    def redo(self) -> None:
        if not self.scene.busy and not self.model.live_change:
            self._pause_for_history()
            self.model.redo()

    def _pause_for_history(self) -> None:
        """Going back in the history pauses training: it would go on from a state the user is leaving."""
        if self.training.playing:
            self.training.pause()
            self.show_status("training paused to undo")

    def closeEvent(self, ev):
        if self.files.maybe_save():
            self.autosave.stop()
            self.training.shutdown()
            self.surface.shutdown()
            self.chain_rule.shutdown()
            ev.accept()
        else:
            ev.ignore()

    def open_path(self, path: Path, ask: bool = True) -> bool:
        return self.files.open_path(path, ask)

    def offer_recovery(self) -> int:
        """Offer the unsaved work of sessions that ended without closing; further documents in new windows."""

        def open_window(model: DocumentModel) -> MainWindow:
            window = MainWindow(model)
            self._extra_windows.append(window)
            window.show()
            return window

        return self.autosave.offer_recovery(open_window)

    # ------------------------------------------------------------------ headless use
    def wait_for_snapshot(self, done=None, timeout: float = 10.0) -> bool:
        """Process events until a snapshot of this document for which ``done(snapshot)`` holds (by default: any)
        has been drawn, or ``timeout`` seconds passed."""

        def ready() -> bool:
            snap = self.training.latest
            return snap is not None and (done is None or bool(done(snap)))

        return process_events_until(ready, timeout)

    def wait_for_views(self, timeout: float = 60.0) -> bool:
        """Process events until the views have drawn everything computed in the background."""
        return process_events_until(lambda: self.surface.settled and not self.chain_rule.busy()
                                    and self.training.anatomy_ready(), timeout)
