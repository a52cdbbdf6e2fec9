"""The main window: the network editor in the middle, the training panel on the left, the properties panel on
the right, the loss and output plots below; menus, toolbar, status bar; the document's life cycle (new, open,
save, unsaved-changes prompts, recent files) and the live training thread's."""

from __future__ import annotations

import time
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Document, DocumentError, GeneratorData, TrainingConfig, load_document
from ..core.explain import chain_rule
from ..core.network import Network
from ..resources import example_paths, resource_path
from .document import export, recovery
from .document.document_model import DocumentModel
from .editor.network_scene import NetworkScene
from .editor.network_view import NetworkView
from .editor.properties_panel import PropertiesPanel
from .surface.chain_rule_panel import InspectorPanel
from .surface.direction_plot import DirectionPlot
from .surface.slice_plot import SlicePlot
from .surface.surface_3d import Surface3D
from .surface.surface_controller import SurfaceController
from .surface.surface_view import SurfaceView
from .training.loss_plot import LossPlot
from .training.output_plot import OutputPlot
from .training.training_panel import TrainingPanel
from .training.training_worker import TrainingController

DEFAULT_EXAMPLE = "xor"
#: the longest unsaved work can go without a recovery copy (seconds)
AUTOSAVE_SECONDS = 30
#: while training, the chain-rule panel is recomputed at most this often (seconds)
INSPECTOR_INTERVAL = 0.25
MAX_RECENT = 8
FILE_FILTER = "bpgui networks (*.json);;All files (*)"


def default_document() -> tuple[Document, str]:
    """The bundled example the window opens on, as an untitled copy."""
    path = example_paths()[DEFAULT_EXAMPLE]
    return load_document(path), DEFAULT_EXAMPLE


def blank_document() -> Document:
    """File > New: two inputs wired to one sigmoid output, on the XOR data (add a hidden layer to solve it)."""
    net = Network("bce")
    net.add_neuron("x1", 0)
    net.add_neuron("x2", 0)
    net.add_neuron("y1", 1, "sigmoid")
    net.add_edge("x1", "y1", 0.5)
    net.add_edge("x2", "y1", -0.5)
    return Document(net, GeneratorData("xor", 200, 0.05, 0.2, 0), TrainingConfig("sgd", 0.5))


class MainWindow(QMainWindow):
    def __init__(self, model: DocumentModel | None = None):
        super().__init__()
        if model is None:
            doc, name = default_document()
            model = DocumentModel(doc)
            model.display_name = name
        self.model = model
        self.settings = QSettings()
        self.last_error: str | None = None
        self._extra_windows: list[MainWindow] = []  # more restored documents
        self.setWindowIcon(QIcon(str(resource_path("icons", "bpgui.svg"))))
        self.scene = NetworkScene(model, self)
        self.view = NetworkView(self.scene, self)
        self.banner = Banner(self)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.banner)
        lay.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.training = TrainingController(model, self)
        self.panel = PropertiesPanel(self.scene, self)
        self._make_actions()
        self.training_panel = TrainingPanel(model, [self.act_play, self.act_step, self.act_epoch, self.act_reset],
                                            self)
        scroll = QScrollArea()
        scroll.setWidget(self.training_panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.training_panel.sizeHint().width() + 16)
        training_dock = self._dock("Training", scroll, Qt.LeftDockWidgetArea)
        properties_dock = self._dock("Properties", self.panel, Qt.LeftDockWidgetArea)
        self.splitDockWidget(training_dock, properties_dock, Qt.Vertical)
        self.inspector = InspectorPanel(self)
        inspector_dock = self._dock("Chain Rule", self.inspector, Qt.LeftDockWidgetArea)
        self.tabifyDockWidget(properties_dock, inspector_dock)
        properties_dock.raise_()
        self.surface_view = SurfaceView(self)
        self.surface_3d = Surface3D(self)
        self.loss_plot = LossPlot(self)
        self.output_plot = OutputPlot(self)
        self.slice_plot = SlicePlot(self)
        self.direction_plot = DirectionPlot(self)
        surface_dock = self._dock("Surface", self.surface_view, Qt.RightDockWidgetArea)
        loss_dock = self._dock("Loss", self.loss_plot, Qt.RightDockWidgetArea)
        self.splitDockWidget(surface_dock, loss_dock, Qt.Vertical)  # split first, then add tabs to each part
        self.tabifyDockWidget(surface_dock, self._dock("Surface 3D", self.surface_3d, Qt.RightDockWidgetArea))
        for title, w in (("Outputs", self.output_plot), ("Slice", self.slice_plot),
                         ("Directions", self.direction_plot)):
            self.tabifyDockWidget(loss_dock, self._dock(title, w, Qt.RightDockWidgetArea))
        surface_dock.raise_()
        loss_dock.raise_()
        self.direction_dock = self.findChild(QDockWidget, "directions")
        self.direction_dock.visibilityChanged.connect(lambda on: on and self.surface.refresh_point())
        self.surface = SurfaceController(model, self.training, self.surface_view, self.slice_plot,
                                         self.direction_plot, self.surface_3d, self)
        self._layout_docks = (training_dock, properties_dock, surface_dock, loss_dock)
        self.status = QLabel()
        self.run_status = QLabel()
        self.run_status.setToolTip("the live run: steps taken, epochs (passes over the training set), the loss on "
                                   "the training (and test) set, and the training speed")
        self.statusBar().addWidget(self.status, 1)
        self.statusBar().addPermanentWidget(self.run_status)
        self.scene.sigStatus.connect(self.show_status)
        self.training_panel.sigStatus.connect(self.show_status)
        self.view.sigSpaceTap.connect(self.act_play.trigger)
        self.training.sigSnapshot.connect(self._on_snapshot)
        self.training.sigPlayingChanged.connect(self._on_playing_changed)
        self.training.sigDiverged.connect(self._on_diverged)
        self.training.sigError.connect(self._on_training_error)
        self.banner.restore.clicked.connect(self._restore_finite)
        self.surface.sigStatus.connect(self.show_status)
        self.surface.sigPairChanged.connect(self.scene.set_surface_pair)
        self.scene.set_surface_pair(self.surface.pair)
        self.scene.sigSurfaceAxis.connect(self._surface_axis)
        self.scene.sigRenamed.connect(self.surface.rename)
        self.scene.sigExportRequested.connect(lambda: self.export_view_dialog("canvas"))
        self.scene.selectionChanged.connect(self._update_inspector)
        self.inspector.sigSampleChanged.connect(self._on_inspector_sample)
        self._inspector_sample: int | None = None
        self._inspector_time = 0.0
        self._make_menus()
        self._connect_model()
        self._on_dataset_change()
        # autosave: a recovery copy while there are unsaved changes (every AUTOSAVE_SECONDS, and soon after
        # structural edits); removed when the document is saved or the window closes cleanly
        self.recovery_file = recovery.new_recovery_path()
        self._autosave_dirty = False
        self._autosave_error = False
        self._autosave_timer = QTimer(self)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start(AUTOSAVE_SECONDS * 1000)
        self._autosave_soon = QTimer(self)
        self._autosave_soon.setSingleShot(True)
        self._autosave_soon.timeout.connect(self.autosave)
        self._connect_autosave()
        self.resize(1280, 800)
        self.show_status("Drag a neuron to move it · drag from its knob to connect · drag an edge to change "
                         "its weight · double-click a column to add a neuron")

    def showEvent(self, ev):
        super().showEvent(ev)
        if self._layout_docks:  # first show: share the width between the docks and the canvas
            training, properties, surface, loss = self._layout_docks
            self._layout_docks = None
            w, h = self.width(), self.height()
            self.resizeDocks([training, surface], [max(300, int(0.26 * w)), max(300, int(0.36 * w))], Qt.Horizontal)
            self.resizeDocks([training, properties], [int(0.62 * h), int(0.38 * h)], Qt.Vertical)
            self.resizeDocks([surface, loss], [int(0.58 * h), int(0.42 * h)], Qt.Vertical)

    def _dock(self, title: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.lower())
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    # ------------------------------------------------------------------ actions and menus
    def _action(self, text, slot, shortcut=None, tip=None, checkable=False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        return a

    def _make_actions(self):
        K = QKeySequence.StandardKey
        self.act_new = self._action("&New", self.new_document, K.New, "a new small network")
        self.act_open = self._action("&Open…", self.open_dialog, K.Open, "open a network document")
        self.act_save = self._action("&Save", self.save, K.Save, "save the network")
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs, "save under another name")
        self.act_quit = self._action("&Quit", self.close, K.Quit)
        self.act_export_window = self._action("Export &Screenshot…", self.export_window_dialog, "Ctrl+Shift+E",
                                              "save the whole window as a PNG image")
        self.act_copy_window = self._action("&Copy Screenshot", self.copy_window, "Ctrl+Shift+C",
                                            "copy an image of the whole window to the clipboard")
        self.act_undo = self._action("&Undo", self.undo, K.Undo)
        self.act_redo = self._action("&Redo", self.redo, K.Redo)
        self.act_delete = self._action("&Delete", self.scene.delete_selected, K.Delete,
                                       "delete the selected neurons and edges")
        self.act_select_all = self._action("Select &All", self._select_all, K.SelectAll)
        self.act_add_layer = self._action("Add &Layer", self._add_layer, "Ctrl+Shift+L",
                                          "insert an empty hidden layer before the outputs")
        self.act_remove_layer = self._action("&Remove Last Hidden Layer", self._remove_layer, None,
                                             "remove the hidden layer next to the outputs, with its neurons")
        self.act_fit = self._action("&Fit to View", self.view.fit, "Ctrl+0", "show the whole network")
        self.act_zoom_in = self._action("Zoom &In", lambda: self.view.zoom_by(1.2), K.ZoomIn)
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.view.zoom_by(1 / 1.2), K.ZoomOut)
        self.act_labels = self._action("&Weight Labels", self.scene.set_weight_labels_visible, "Ctrl+L",
                                       "show every edge's weight on the canvas", checkable=True)
        self.act_about = self._action("&About bpgui", self._about)
        icon = self.style().standardIcon
        self.act_play = self._action("&Play", self.training.toggle, "Space",
                                     "train continuously / pause (Space)")
        self.act_play.setIcon(icon(QStyle.SP_MediaPlay))
        self.act_step = self._action("&Step", self.training.step, "S", "one training step: one update of every "
                                     "weight along −∂E/∂w (S)")
        self.act_step.setIcon(icon(QStyle.SP_MediaSkipForward))
        self.act_epoch = self._action("Step &Epoch", self.training.step_epoch, "E",
                                      "train to the end of the epoch: one pass over the training set (E)")
        self.act_epoch.setIcon(icon(QStyle.SP_MediaSeekForward))
        self.act_reset = self._action("&Reset", self.training.reset, "Ctrl+R",
                                      "new random weights from the seed, back to step 0 (undoable)")
        self.act_reset.setIcon(icon(QStyle.SP_BrowserReload))
        self.act_restore = self._action("Restore &Last Finite Weights", self._restore_finite, None,
                                        "after training diverged: go back to the last weights with a sane loss")
        self.act_restore.setEnabled(False)
        self.act_gradients = self._action("&Gradient Overlay", self._toggle_gradients, "Ctrl+G",
                                          "draw every edge by ∂E/∂w: purple positive (descent lowers the weight), "
                                          "green negative (descent raises it), wider for larger |∂E/∂w|",
                                          checkable=True)

    def _make_menus(self):
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new, self.act_open])
        self.examples_menu = m.addMenu("Open &Example")
        for name, path in example_paths().items():
            self.examples_menu.addAction(name.replace("_", " "), lambda p=path, n=name: self.open_example(p, n))
        self.recent_menu = m.addMenu("Open &Recent")
        self._update_recent_menu()
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_export_window, self.act_copy_window])
        ex = m.addMenu("E&xport")
        for label, view in (("Network Canvas", "canvas"), ("Surface", "surface"), ("Loss Plot", "loss"),
                            ("Outputs Plot", "boundary"), ("Slice Plot", "slice"), ("Directions Plot", "directions")):
            ex.addAction(f"{label} (PNG or SVG)…", lambda v=view: self.export_view_dialog(v))
        ex.addSeparator()
        ex.addAction("Loss History (CSV)…", lambda: self.export_data_dialog("loss"))
        ex.addAction("Weight Path (CSV)…", lambda: self.export_data_dialog("path"))
        ex.addAction("Surface Grid (NPZ or CSV)…", lambda: self.export_data_dialog("grid"))
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_delete, self.act_select_all])
        m.addSeparator()
        m.addActions([self.act_add_layer, self.act_remove_layer])
        m = mb.addMenu("&View")
        m.addActions([self.act_fit, self.act_zoom_in, self.act_zoom_out])
        m.addSeparator()
        m.addActions([self.act_labels, self.act_gradients])
        m.addSeparator()
        for dock in self.findChildren(QDockWidget):
            m.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Training")
        m.addActions([self.act_play, self.act_step, self.act_epoch, self.act_reset])
        m.addSeparator()
        m.addAction(self.act_restore)
        m = mb.addMenu("&Help")
        m.addAction(self.act_about)
        tb = self.addToolBar("Main")
        tb.setObjectName("main toolbar")
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo, self.act_delete])
        tb.addSeparator()
        tb.addActions([self.act_add_layer, self.act_fit, self.act_labels, self.act_gradients])
        tb.addSeparator()
        tb.addActions([self.act_play, self.act_step, self.act_epoch, self.act_reset])

    # ------------------------------------------------------------------ model wiring
    def _connect_model(self):
        st = self.model.undo_stack
        st.cleanChanged.connect(self._update_title)
        st.canUndoChanged.connect(self._update_undo_actions)
        st.canRedoChanged.connect(self._update_undo_actions)
        st.undoTextChanged.connect(self._update_undo_actions)
        st.redoTextChanged.connect(self._update_undo_actions)
        self.model.sigPathChanged.connect(self._update_title)
        self.model.sigTrainingPending.connect(self._update_title)
        self.model.sigTrainingPending.connect(self._update_undo_actions)
        self.model.sigSettingsChanged.connect(self._on_dataset_change)
        self.model.sigNetworkChanged.connect(self._on_structure_change)
        self._update_title()
        self._update_undo_actions()

    def _update_undo_actions(self, *_):
        st = self.model.undo_stack
        if not shiboken6.isValid(st) or not shiboken6.isValid(self.act_undo):
            return  # the stack says "cannot undo" while it is being destroyed with its window
        pending = self.model.training_before is not None  # training not yet recorded: undo records it first
        self.act_undo.setEnabled(st.canUndo() or pending)
        self.act_redo.setEnabled(st.canRedo() and not pending)
        if pending:
            self.act_undo.setText("&Undo Training")
        else:
            self.act_undo.setText(f"&Undo {st.undoText()}" if st.canUndo() else "&Undo")
        self.act_redo.setText(f"&Redo {st.redoText()}" if st.canRedo() else "&Redo")

    def _update_title(self, *_):
        if not shiboken6.isValid(self.model.undo_stack):
            return
        self.setWindowTitle(f"{self.model.display_name}[*] — bpgui")
        self.setWindowModified(self.model.is_modified())

    def replace_model(self, model: DocumentModel) -> None:
        old = self.model
        for signal in (old.undo_stack.cleanChanged, old.undo_stack.canUndoChanged, old.undo_stack.canRedoChanged,
                       old.undo_stack.undoTextChanged, old.undo_stack.redoTextChanged, old.sigPathChanged):
            signal.disconnect()
        old.sigTrainingPending.disconnect(self._update_title)
        old.sigTrainingPending.disconnect(self._update_undo_actions)
        old.sigSettingsChanged.disconnect(self._on_dataset_change)
        old.sigNetworkChanged.disconnect(self._on_structure_change)
        self.scene.model.sigNetworkChanged.disconnect(self.panel.refresh)
        self.model = model
        model.setParent(self)
        recovery.remove(self.recovery_file)  # the old document was saved or discarded
        self._connect_autosave()
        self._autosave_dirty = model.is_modified()
        self.training.set_model(model)
        self.surface.set_model(model)
        self.scene.set_model(model)
        self.panel.connect_model()
        self.training_panel.set_model(model)
        self._connect_model()
        self.loss_plot.clear()
        self._on_dataset_change()
        if old is not None:
            old.deleteLater()
        self.view.fit()

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def show_error(self, title: str, text: str) -> None:
        self.last_error = text
        self.show_status(text)
        QMessageBox.warning(self, title, text)

    # ------------------------------------------------------------------ documents
    def ask_save_changes(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self.model.display_name}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)

    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if not self.model.is_modified():
            return True
        choice = self.ask_save_changes()
        if choice == QMessageBox.Save:
            return self.save()
        return choice == QMessageBox.Discard

    def new_document(self) -> None:
        if self.model.live_change:
            self.show_status("finish the drag first")
            return
        if self.maybe_save():
            model = DocumentModel(blank_document())
            self.replace_model(model)
            self.show_status("A new network: add a hidden layer (Edit > Add Layer) to solve XOR")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.model.path.parent) if self.model.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open network", start, FILE_FILTER)
        if path:
            self.open_path(Path(path), ask=False)

    def open_path(self, path: Path, ask: bool = True) -> bool:
        """Open a document; a bad file shows the reason and keeps the current document."""
        if self.model.live_change:
            self.show_status("finish the drag first")
            return False
        if ask and not self.maybe_save():
            return False
        try:
            model = DocumentModel.open(Path(path))
        except DocumentError as e:
            self.show_error("Cannot open", f"{path}: {e}")
            return False
        self.replace_model(model)
        self._add_recent(Path(path))
        self.show_status(f"opened {path}")
        return True

    def open_example(self, path: Path, name: str) -> None:
        if self.model.live_change:
            self.show_status("finish the drag first")
            return
        if not self.maybe_save():
            return
        model = DocumentModel(load_document(path))
        model.display_name = name
        self.replace_model(model)
        self.show_status(f"example '{name}' (Save As to keep your changes)")

    def save(self) -> bool:
        if self.model.path is None:
            return self.save_as()
        return self._save_to(self.model.path)

    def save_as(self) -> bool:
        start = str(self.model.path or Path.home() / f"{self.model.display_name}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save network", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"  # the dialog asked about overwriting the name as typed, not this one
            if Path(path).exists() and QMessageBox.question(
                    self, "Replace file?", f"{path} already exists. Replace it?",
                    QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
                return False
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.model.save(path)
        except DocumentError as e:
            self.show_error("Cannot save", f"{path}: {e}")
            return False
        self._add_recent(path)
        self.show_status(f"saved {path}")
        return True

    def _recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if isinstance(v, str)]

    def _add_recent(self, path: Path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self._recent() if f != p]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self._recent()
        for f in files:
            self.recent_menu.addAction(Path(f).name, lambda f=f: self.open_path(Path(f))).setToolTip(f)
        self.recent_menu.setEnabled(bool(files))

    def closeEvent(self, ev):
        if self.maybe_save():
            recovery.remove(self.recovery_file)
            self._autosave_timer.stop()
            self.training.shutdown()
            self.surface.shutdown()
            ev.accept()
        else:
            ev.ignore()

    # ------------------------------------------------------------------ autosave and recovery
    def _connect_autosave(self) -> None:
        m = self.model
        m.sigNetworkChanged.connect(self._on_change_for_autosave)
        m.sigSettingsChanged.connect(self._mark_autosave)
        m.sigPositionsChanged.connect(self._mark_autosave)
        m.sigTrainingPending.connect(self._mark_autosave)
        m.undo_stack.indexChanged.connect(self._mark_autosave)
        m.undo_stack.cleanChanged.connect(self._on_clean_for_autosave)

    def _mark_autosave(self, *_) -> None:
        self._autosave_dirty = True

    def _on_change_for_autosave(self, structural: bool) -> None:
        self._autosave_dirty = True
        if structural:
            self._autosave_soon.start(1000)  # a batch of structural edits: write once it settles

    def _on_clean_for_autosave(self, clean: bool) -> None:
        if not shiboken6.isValid(self.model.undo_stack):
            return  # the stack says "clean" while it is being destroyed with its window
        if clean and not self.model.is_modified():
            recovery.remove(self.recovery_file)

    def autosave(self) -> None:
        """Write the recovery copy if there are unsaved changes since the last one; remove it if there are none."""
        if not self.model.is_modified():
            recovery.remove(self.recovery_file)
            self._autosave_dirty = False
            return
        if not self._autosave_dirty and self.recovery_file.exists():
            return
        try:
            recovery.write_recovery(self.recovery_file, self.model.doc, self.model.path, self.model.display_name)
        except (OSError, ValueError) as e:
            if not self._autosave_error:  # say it once, not every 30 s
                self._autosave_error = True
                self.show_status(f"cannot write the recovery copy to {self.recovery_file.parent}: {e}")
            return
        self._autosave_dirty = False
        self._autosave_error = False

    def offer_recovery(self) -> int:
        """Offer the unsaved work of bpgui sessions that ended without closing (a crash, kill -9). Returns how
        many documents were restored."""
        found, bad = recovery.orphaned_recoveries()
        for f, reason in bad:
            self.show_status(f"ignored an unreadable recovery file {f}: {reason}")
        restored = 0
        for r in sorted(found, key=lambda r: -r.saved):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.saved))
            answer = self.ask_restore(f"bpgui ended without closing while “{r.name}” had unsaved changes "
                                      f"(last copy {when}). Restore them?")
            if answer != QMessageBox.Yes:
                if answer == QMessageBox.No:
                    recovery.remove(r.file)
                continue
            model = DocumentModel(r.document, r.path)
            model.display_name = r.name
            model.restored = True
            target = self if restored == 0 else MainWindow(model)
            if restored == 0:
                self.replace_model(model)
            else:
                self._extra_windows.append(target)
                target.show()
            recovery.remove(r.file)
            target.autosave()
            target.show_status(f"restored the unsaved changes to {r.name}: save them to keep them")
            restored += 1
        return restored

    def ask_restore(self, text: str) -> QMessageBox.StandardButton:
        return QMessageBox.question(self, "Restore unsaved work", text,
                                    QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.Yes)

    # ------------------------------------------------------------------ export
    #: the views that can be exported on their own: the dock that holds each, and its plot item (None: canvas)
    VIEWS = {"canvas": "network canvas", "surface": "surface", "loss": "loss", "boundary": "outputs",
             "slice": "slice", "directions": "directions"}

    def _default_export_path(self, what: str, suffix: str) -> str:
        folder = self.model.path.parent if self.model.path else Path.home()
        step = self.training.latest.step if self.training.latest else 0
        stem = Path(self.model.display_name).stem
        return str(folder / f"{stem}-{what}-step{step}{suffix}")

    def _ask_path(self, title: str, what: str, filters: str, suffix: str) -> Path | None:
        path, chosen = QFileDialog.getSaveFileName(self, title, self._default_export_path(what, suffix), filters)
        if not path:
            return None
        p = Path(path)
        if not p.suffix:
            p = p.with_suffix(suffix)
        return p

    def plot_item(self, view: str):
        """The pyqtgraph item of a view ("surface", "loss", ...), its dock brought to the front so it is laid out."""
        dock = self.findChild(QDockWidget, self.VIEWS[view])
        if dock is not None:
            dock.show()
            dock.raise_()
            QCoreApplication.processEvents()
        return {"surface": self.surface_view.plot_item, "loss": self.loss_plot.plot_item,
                "boundary": self.output_plot.plot_item, "slice": self.slice_plot.plot_item,
                "directions": self.direction_plot.plot_item}[view]

    def export_view(self, view: str, path: Path, width: int | None = None) -> None:
        """Write one view as PNG (``width`` pixels wide, default as shown, ×2 for the canvas) or SVG."""
        suffix = path.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise export.ExportError(f"{path}: choose a .png or .svg file")
        if view == "canvas":
            if suffix == ".svg":
                data = export.canvas_svg(self.scene)
            else:
                rect = export.canvas_rect(self.scene)
                data = export.png_bytes(export.canvas_image(self.scene, (width / rect.width()) if width else 2.0))
        else:
            item = self.plot_item(view)
            data = export.plot_svg(item) if suffix == ".svg" else export.png_bytes(export.plot_image(item, width))
        export.write_file(path, data)

    def export_view_at_size(self, view: str, path: Path, size: tuple[int, int]) -> None:
        """Write one view laid out at ``size`` (W×H pixels): a PNG of exactly that size, or an SVG (headless use).
        A plot's dock is floated and resized for it."""
        w, h = size
        if path.suffix.lower() == ".svg" or view == "canvas":
            if view == "canvas" and path.suffix.lower() == ".png":
                image = export.canvas_image_sized(self.scene, w, h)
                export.write_file(path, export.png_bytes(image))
                return
            if view != "canvas":
                self._float_view(view, w, h)
            self.export_view(view, path)
            return
        widget = self._float_view(view, w, h)
        image = widget.grab().toImage()
        export.write_file(path, export.png_bytes(image))

    def _float_view(self, view: str, w: int, h: int):
        dock = self.findChild(QDockWidget, self.VIEWS[view])
        widget = dock.widget()
        dock.setFloating(True)
        dock.show()
        widget.setFixedSize(w, h)
        dock.adjustSize()
        for _ in range(3):
            QCoreApplication.processEvents()
        return widget

    def export_window(self, path: Path) -> None:
        if path.suffix.lower() != ".png":
            raise export.ExportError(f"{path}: the window is saved as a .png image")
        export.write_file(path, export.png_bytes(export.window_image(self)))

    def export_window_dialog(self) -> None:
        path = self._ask_path("Export screenshot", "window", "PNG images (*.png)", ".png")
        if path is not None:
            self._run_export(lambda: self.export_window(path), path)

    def copy_window(self) -> None:
        QApplication.clipboard().setImage(export.window_image(self))
        self.show_status("copied a screenshot of the window to the clipboard")

    def export_view_dialog(self, view: str) -> None:
        path = self._ask_path(f"Export the {self.VIEWS[view]}", view, "PNG images (*.png);;SVG drawings (*.svg)",
                              ".png")
        if path is None:
            return
        width = None
        if path.suffix.lower() == ".png":
            width, ok = QInputDialog.getInt(self, "Image width", "Width in pixels:", 1600, 100, 10000, 100)
            if not ok:
                return
        self._run_export(lambda: self.export_view(view, path, width), path)

    def export_data(self, what: str, path: Path) -> None:
        suffix = path.suffix.lower()
        if what == "loss":
            if self.training.latest is None:
                raise export.ExportError("there is no loss history yet")
            data = export.loss_history_csv(self.training.latest)
        elif what == "path":
            s = self.surface
            if s.pair is None:
                raise export.ExportError("the surface shows no parameters")
            data = export.path_csv(*s.pair, s.path_x, s.path_y, s.path_e[-len(s.path_x):] if s.path_x else [])
        else:
            if self.surface.result is None:
                raise export.ExportError("there is no surface yet")
            surf = self.surface.result.surface
            data = export.surface_npz(surf) if suffix == ".npz" else export.surface_csv(surf)
        export.write_file(path, data)

    def export_data_dialog(self, what: str) -> None:
        filters = {"loss": ("CSV files (*.csv)", ".csv"), "path": ("CSV files (*.csv)", ".csv"),
                   "grid": ("NumPy arrays (*.npz);;CSV files (*.csv)", ".npz")}[what]
        path = self._ask_path("Export data", {"loss": "loss-history", "path": "weight-path", "grid": "surface-grid"}[
            what], *filters)
        if path is not None:
            self._run_export(lambda: self.export_data(what, path), path)

    def _run_export(self, action, path: Path) -> None:
        try:
            action()
        except export.ExportError as e:
            self.show_error("Cannot export", str(e))
            return
        self.show_status(f"exported {path}")

    # ------------------------------------------------------------------ training
    def _on_snapshot(self, snap) -> None:
        self.loss_plot.update_snapshot(snap)
        self.output_plot.update_snapshot(snap)
        if self.act_gradients.isChecked():
            self._show_gradients(snap)
        if not snap.playing or time.monotonic() - self._inspector_time > INSPECTOR_INTERVAL:
            self._update_inspector()
        if snap.problem:
            self.run_status.setText(snap.problem)
        else:
            loss = f"loss {snap.train_loss:.4g}" if snap.finite else "loss —"
            if snap.test_loss is not None:
                loss += f" · test {snap.test_loss:.4g}"
            speed = f" · {snap.steps_per_second:,.0f} steps/s" if snap.playing else ""
            self.run_status.setText(f"step {snap.step:,} · epoch {snap.epoch:,} · {loss}{speed}")
        # Paint now, while the training thread waits for this slot: a paint left for later would compete with it
        # for Python's lock at each of its many calls into Python, and take many times as long. Posted events
        # first (the scenes turn item changes into dirty regions), then one synchronous repaint, which paints
        # every dirty region of the window.
        QCoreApplication.sendPostedEvents()
        if self.isVisible():
            self.run_status.repaint()

    def wait_for_snapshot(self, done=None, timeout: float = 10.0) -> bool:
        """Process events until a snapshot of this document for which ``done(snapshot)`` holds (by default: any)
        has been drawn, or ``timeout`` seconds passed (headless use)."""

        def ready() -> bool:
            snap = self.training.latest
            return snap is not None and (done is None or bool(done(snap)))

        return _process_events_until(ready, timeout)

    def wait_for_views(self, timeout: float = 60.0) -> bool:
        """Process events until the views have drawn everything computed in the background (headless use)."""
        return _process_events_until(lambda: self.surface.settled, timeout)

    def _on_playing_changed(self, playing: bool) -> None:
        if playing and not self.training.diverged:
            self.banner.hide()  # an old message (e.g. an internal error) is over once training runs again
        icon = self.style().standardIcon(QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay)
        self.act_play.setIcon(icon)
        self.act_play.setText("&Pause" if playing else "&Play")

    def _on_diverged(self, message: str) -> None:
        self.act_restore.setEnabled(bool(message))
        if message:
            self.banner.show_message(message, restore=True)
            self.show_status("training paused: it diverged")
        else:
            self.banner.hide()

    def _on_training_error(self, message: str) -> None:
        self.last_error = message
        self.banner.show_message(message.split("\n", 1)[0], restore=False)
        self.banner.setToolTip(message)

    def _restore_finite(self) -> None:
        self.training.restore_finite()
        self.banner.hide()
        self.show_status("restored the last weights whose loss was finite: try a smaller learning rate")

    # ------------------------------------------------------------------ the gradient views
    def _surface_axis(self, name: str, axis: str) -> None:
        pair = self.surface.pair or (None, None)
        other = pair[1] if axis == "x" else pair[0]
        if other == name or other is None:  # taking the other axis's parameter: swap them
            other = pair[0] if axis == "x" else pair[1]
        x, y = (name, other) if axis == "x" else (other, name)
        if x and y:
            self.surface.choose(x, y)

    def _toggle_gradients(self, on: bool) -> None:
        if on and self.training.latest is not None:
            self._show_gradients(self.training.latest)
        elif not on:
            self.scene.set_gradients(None)

    def _show_gradients(self, snap) -> None:
        if snap.generation == self.training.generation and snap.finite:
            self.scene.set_gradients(dict(zip(snap.names, snap.gradient.tolist())))

    def _selected_parameter(self) -> str | None:
        net = self.model.network  # the selection may still name items of a structure being rebuilt
        neurons = [it.nid for it in self.scene.neuron_items.values() if it.isSelected() and it.nid in net.neurons]
        edges = [it.name for it in self.scene.edge_items.values() if it.isSelected() and (it.src, it.dst) in net.edges]
        if len(edges) == 1 and not neurons:
            return edges[0]
        if len(neurons) == 1 and not edges and net.neurons[neurons[0]].layer > 0:
            return f"{neurons[0]}.bias"
        return None

    def _on_inspector_sample(self, sample) -> None:
        self._inspector_sample = sample
        self._update_inspector()

    def _update_inspector(self) -> None:
        """The chain rule of the selected parameter over the training set (or one sample of it)."""
        self._inspector_time = time.monotonic()
        name = self._selected_parameter()
        try:
            data = self.model.doc.dataset()
        except DocumentError:
            data = None
        if name is None or data is None or not self.model.network.has_parameter(name):
            self.inspector.set_rule(None, None, 0)
            return
        x, t = data.x_train, data.t_train
        sample = self._inspector_sample
        if sample is not None and 0 <= sample < len(x):
            x, t = x[sample : sample + 1], t[sample : sample + 1]
        else:
            sample = None
        try:
            rule = chain_rule(self.model.network, x, t, name)
        except Exception as e:  # noqa: BLE001 - a view must not break the window
            self.show_status(f"cannot explain {name}: {e}")
            return
        self.inspector.set_rule(rule, sample, len(data.x_train))

    def _on_dataset_change(self) -> None:
        net = self.model.network
        names = tuple(n.id for n in net.inputs)
        # redrawing hundreds of points takes a while: only when what the plot shows of them changed
        key = (id(self.model), id(self.model.doc.data), repr(self.model.doc.data), names, len(net.outputs), net.loss)
        if key == getattr(self, "_dataset_key", None):
            return
        self._dataset_key = key
        try:
            dataset = self.model.doc.dataset()
        except DocumentError:
            dataset = None
        self.output_plot.set_dataset(dataset, net.loss, input_names=names)

    def _on_structure_change(self, structural: bool) -> None:
        if structural:
            self._on_dataset_change()

    # ------------------------------------------------------------------ small actions
    def undo(self):
        if not self.scene.busy and not self.model.live_change:  # a drag records its step when it ends
            self._pause_for_history()
            self.model.undo()

    def redo(self):
        if not self.scene.busy and not self.model.live_change:
            self._pause_for_history()
            self.model.redo()

    def _pause_for_history(self) -> None:
        """Going back in the history pauses training: it would go on from a state the user is leaving."""
        if self.training.playing:
            self.training.pause()
            self.show_status("training paused to undo")

    def _select_all(self):
        for it in list(self.scene.neuron_items.values()) + list(self.scene.edge_items.values()):
            it.setSelected(True)

    def _add_layer(self):
        self.scene.add_layer(self.model.network.output_layer)

    def _remove_layer(self):
        net = self.model.network
        if net.num_layers <= 2:
            self.show_status("there is no hidden layer to remove")
            return
        self.scene.remove_layer(net.output_layer - 1)

    def _about(self):
        from .. import __version__

        QMessageBox.about(self, "About bpgui",
                          f"<h3>bpgui {__version__}</h3><p>A sandbox for gradient descent and backpropagation.</p>"
                          "<p>Drag a neuron to move it; drag from its knob to connect; drag an edge up or down "
                          "to change its weight; double-click a column to add a neuron; Delete removes the "
                          "selection; right-click for more.</p>")


def _process_events_until(ready, timeout: float) -> bool:
    """Run the event loop until ``ready()`` or ``timeout`` seconds; returns ``ready()``."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(int(timeout * 1000))
    while not ready() and not deadline.hasExpired():
        QApplication.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents, 50)
    return ready()


class Banner(QFrame):
    """A message above the canvas (e.g. "training diverged"), with an optional restore button."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #fdf1d6; border-bottom: 1px solid #e0b050; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.restore = QPushButton("Restore last finite weights")
        self.restore.setToolTip("go back to the last weights whose loss was finite (and sane)")
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.restore)
        lay.addWidget(close)
        self.hide()

    def show_message(self, text: str, restore: bool) -> None:
        self.text.setText(text)
        self.restore.setVisible(restore)
        self.show()
