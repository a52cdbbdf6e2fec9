"""The window's actions (with their shortcuts and tips), menus and toolbar, and what keeps them current: the Undo
and Redo texts, the Play/Pause button, Restore after a divergence."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QStyle, QToolBar

from .document.export_actions import VIEW_LABELS
from .view_help import all_views_html, show_view_help

#: the Training menu's way back after a divergence or a stall, while there is none
RESTORE_TEXT = "Go &Back Before the Trouble"
#: the toolbar's Undo and Redo buttons are as wide as this text (plus margins) whatever they would undo, so the
#: buttons after them stay put; a longer text is cut short there ("Undo Set learni…") and whole in the tooltip
#: and the Edit menu
UNDO_BUTTON_TEXT = "Undo Train (steps"
#: room a text-only tool button leaves around its text
BUTTON_MARGIN = 12


class WindowActions(QObject):
    """The actions of ``window`` (a MainWindow, whose parts they call), as attributes: ``play``, ``undo``, ..."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        self.toolbar: QToolBar | None = None
        w = window
        K = QKeySequence.StandardKey
        files, exports, scene, view, training = w.files, w.exports, w.scene, w.view, w.training
        self.new = self._action("&New", files.new_document, K.New, "a new small network")
        self.open = self._action("&Open…", files.open_dialog, K.Open, "open a network document")
        self.import_data = self._action("&Import Data…", w.data_import.import_dialog, "Ctrl+Shift+I",
                                        "replace the network's data with a table from a CSV file: preview its "
                                        "columns, choose the targets and a test set")
        self.save = self._action("&Save", files.save, K.Save, "save the network")
        self.save_as = self._action("Save &As…", files.save_as, K.SaveAs, "save under another name")
        self.quit = self._action("&Quit", w.close, K.Quit)
        self.export_window = self._action("Export &Screenshot…", exports.export_window_dialog, "Ctrl+Shift+E",
                                          "save the whole window as a PNG image")
        self.copy_window = self._action("&Copy Screenshot", exports.copy_window, "Ctrl+Shift+C",
                                        "copy an image of the whole window to the clipboard")
        self.undo = self._action("&Undo", w.undo, K.Undo)
        self.redo = self._action("&Redo", w.redo, K.Redo)
        self.delete = self._action("&Delete", scene.delete_selected, K.Delete, "delete the selected neurons and edges")
        self.select_all = self._action("Select &All", scene.select_all, K.SelectAll)
        self.add_layer = self._action("Add &Layer", lambda: scene.edits.add_layer(w.model.network.output_layer),
                                      "Ctrl+Shift+L", "insert an empty hidden layer before the outputs")
        self.remove_layer = self._action("&Remove Last Hidden Layer", self._remove_layer, None,
                                         "remove the hidden layer next to the outputs, with its neurons")
        self.fit = self._action("&Fit to View", view.fit, "Ctrl+0", "show the whole network")
        self.zoom_in = self._action("Zoom &In", lambda: view.zoom_by(1.2), K.ZoomIn)
        self.zoom_out = self._action("Zoom &Out", lambda: view.zoom_by(1 / 1.2), K.ZoomOut)
        self.labels = self._action("&Weight Labels", scene.set_weight_labels_visible, "Ctrl+L",
                                   "show every edge's weight on the canvas", checkable=True)
        self.about = self._action("&About bpgui", self._about)
        self.keys_help = self._action("&Keyboard and Mouse", self._keys_help, None,
                                      "the gestures on the network and the plots, and the shortcuts")
        self.views_help = self._action("&What Am I Looking At?", self._views_help, None,
                                       "what each view of the window shows")
        self.view_help = self._action("What Is &This View?", lambda: show_view_help(w), "F1",
                                      "what the view you are in (or pointing at) shows, and its formula (F1)")
        self.lessons = self._action("&Lessons", lambda: w.lessons.show_panel(), "F2",
                                    "short lessons on this window: predict what the network will do, then see it "
                                    "happen (F2)")
        self.classroom = self._action("&Classroom Mode", lambda on: w.classroom.set_on(on), None,
                                      "for a projector: larger text, and the advanced controls out of sight "
                                      "(optimizer hyperparameters, more options, data, export)", checkable=True)
        icon = w.style().standardIcon
        self.play = self._action("&Play", training.toggle, "Space", "train continuously / pause (Space)")
        self.play.setIcon(icon(QStyle.SP_MediaPlay))
        self.step = self._action("&Step", training.step, "S", "one training step: one update of every weight along "
                                 "−∂E/∂w (S)")
        self.step.setIcon(icon(QStyle.SP_MediaSkipForward))
        self.epoch = self._action("Step &Epoch", training.step_epoch, "E",
                                  "train to the end of the epoch: one pass over the training set (E)")
        self.epoch.setIcon(icon(QStyle.SP_MediaSeekForward))
        self.reset = self._action("&Reset", training.reset, "Ctrl+R",
                                  "new random weights drawn by the initialisation (Training panel, More options) from "
                                  "the seed, back to step 0 (undoable)")
        self.reset.setIcon(icon(QStyle.SP_BrowserReload))
        self.restore = self._action(RESTORE_TEXT, w.banner.restore_finite, None,
                                    "after training diverged or got stuck: go back to the last weights before the "
                                    "loss went wrong")
        self.restore.setEnabled(False)
        self.gradients = self._action("&Gradient Overlay", w.show_gradient_overlay, "Ctrl+G",
                                      "draw every edge by ∂E/∂w: purple positive (descent lowers the weight), "
                                      "green negative (descent raises it), wider for larger |∂E/∂w|",
                                      checkable=True)
        self.accuracy: QAction | None = None  # the loss plot's, taken by build_menus (the plots come later)
        w.hub.sigUndoChanged.connect(self._update_undo)
        training.sigPlayingChanged.connect(self._on_playing_changed)
        training.sigDiverged.connect(self._on_diverged)
        self._update_undo()

    def _action(self, text, slot, shortcut=None, tip=None, checkable=False) -> QAction:
        a = QAction(text, self.window)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        return a

    def training_actions(self) -> list[QAction]:
        return [self.play, self.step, self.epoch, self.reset]

    def build_menus(self) -> None:
        w = self.window
        self.accuracy = w.loss_plot.accuracy_action  # the loss plot's toggle, also its checkbox's and right-click's
        mb = w.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.new, self.open, self.import_data])
        m.addMenu(w.files.examples_menu)
        m.addMenu(w.files.recent_menu)
        m.addSeparator()
        m.addActions([self.save, self.save_as])
        m.addSeparator()
        m.addActions([self.export_window, self.copy_window])
        ex = m.addMenu("E&xport")
        self.export_menu = ex
        for view, label in VIEW_LABELS.items():
            ex.addAction(f"{label} (PNG or SVG)…", lambda v=view: w.exports.export_view_dialog(v))
        ex.addSeparator()
        ex.addAction("Loss History (CSV)…", lambda: w.exports.export_data_dialog("loss"))
        ex.addAction("Weight Path (CSV)…", lambda: w.exports.export_data_dialog("path"))
        ex.addAction("Surface Grid (NPZ or CSV)…", lambda: w.exports.export_data_dialog("grid"))
        m.addSeparator()
        m.addAction(self.quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.undo, self.redo])
        m.addSeparator()
        m.addActions([self.delete, self.select_all])
        m.addSeparator()
        m.addActions([self.add_layer, self.remove_layer])
        m = mb.addMenu("&View")
        m.addActions([self.fit, self.zoom_in, self.zoom_out])
        m.addSeparator()
        m.addActions([self.labels, self.gradients, w.neuron_pictures.action, self.accuracy])
        m.addSeparator()
        m.addAction(self.classroom)
        m.addSeparator()
        for dock in w.findChildren(QDockWidget):
            m.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Training")
        m.addActions(self.training_actions())
        m.addSeparator()
        m.addAction(self.restore)
        m = mb.addMenu("&Help")
        m.addAction(self.lessons)
        m.addSeparator()
        m.addActions([self.view_help, self.views_help, self.keys_help])
        m.addSeparator()
        m.addAction(self.about)
        tb = w.addToolBar("Main")
        tb.setObjectName("main toolbar")
        tb.addActions([self.new, self.open, self.save])
        tb.addSeparator()
        tb.addActions([self.undo, self.redo, self.delete])
        tb.addSeparator()
        tb.addActions([self.add_layer, self.fit, self.labels, self.gradients])
        tb.addSeparator()
        tb.addActions(self.training_actions())
        self.toolbar = tb
        width = tb.fontMetrics().horizontalAdvance(UNDO_BUTTON_TEXT) + BUTTON_MARGIN
        for a in (self.undo, self.redo):
            tb.widgetForAction(a).setFixedWidth(width)
        self._update_undo()

    def set_exports_visible(self, on: bool) -> None:
        """Show or hide the export actions (classroom mode hides them)."""
        for a in (self.export_window, self.copy_window, self.export_menu.menuAction()):
            a.setVisible(on)

    # ------------------------------------------------------------------ keeping them current
    def _update_undo(self) -> None:
        model = self.window.model
        st = model.undo_stack
        pending = model.training_before is not None  # training not yet recorded: undo records it first
        self.undo.setEnabled(st.canUndo() or pending)
        self.redo.setEnabled(st.canRedo() and not pending)
        if pending:
            self.undo.setText("&Undo Training")
        else:
            self.undo.setText(f"&Undo {st.undoText()}" if st.canUndo() else "&Undo")
        self.redo.setText(f"&Redo {st.redoText()}" if st.canRedo() else "&Redo")
        for a in (self.undo, self.redo):  # the menu shows the whole text; the toolbar what fits its fixed width
            text = a.text().replace("&", "")
            a.setToolTip(text)
            a.setStatusTip(text)
            if self.toolbar is not None:
                button = self.toolbar.widgetForAction(a)
                text = button.fontMetrics().elidedText(text, Qt.ElideRight, button.width() - BUTTON_MARGIN)
            a.setIconText(text)

    def _on_playing_changed(self, playing: bool) -> None:
        icon = self.window.style().standardIcon(QStyle.SP_MediaPause if playing else QStyle.SP_MediaPlay)
        self.play.setIcon(icon)
        self.play.setText("&Pause" if playing else "&Play")

    def _on_diverged(self, message: str) -> None:
        snap = self.window.training.latest
        back = snap.restore_step if message and snap is not None else None
        self.restore.setEnabled(bool(message))
        self.restore.setText(RESTORE_TEXT if back is None else f"Go &Back to Step {back:,}")

    def _remove_layer(self) -> None:
        net = self.window.model.network
        if net.num_layers <= 2:
            self.window.show_status("there is no hidden layer to remove")
            return
        self.window.scene.edits.remove_layer(net.output_layer - 1)

    def _keys_help(self) -> None:
        def key(a: QAction) -> str:
            return a.shortcut().toString(QKeySequence.NativeText)

        rows = [
            ("Play / pause", f"{key(self.play)} or the Play button"),
            ("One step · one epoch", f"{key(self.step)} · {key(self.epoch)}: exactly one, at any speed"),
            ("New random weights", key(self.reset)),
            ("Undo · redo", f"{key(self.undo)} · {key(self.redo)}: edits, settings and training"),
            ("Move a neuron", "drag it (to another column: another layer)"),
            ("Connect two neurons", "drag from the small knob on a neuron's right to a neuron in a later layer"),
            ("Change a weight", "drag its edge up or down; double-click the edge to type it"),
            ("A weight of a wide layer", "click its neuron: its edges are drawn in full and a click picks one"),
            ("Add a neuron", "double-click empty space in a column"),
            ("Delete", f"select, then {key(self.delete)}; right-click a neuron or edge for more"),
            ("Zoom · pan · fit", f"mouse wheel · middle drag or {key(self.play)}+drag · {key(self.fit)}"),
            ("Weights on the surface", "drag the point on the Surface view: both weights follow"),
            ("Which weights the surface shows", "pick them above it, or right-click an edge"),
            ("Your own data points", "on the Outputs plot of a classifier of 2 inputs: click to add one of the "
             "chosen class, Shift+click the other class; right-click or Ctrl+click a point to remove it"),
            ("Speed of Play", "the speed slider under the run buttons (far right: unlimited)"),
        ]
        table = "".join(f"<tr><td><b>{a}</b>&nbsp;&nbsp;</td><td>{b}</td></tr>" for a, b in rows)
        self._show_help("Keyboard and Mouse", f"<table>{table}</table>")

    def _views_help(self) -> None:
        self._show_help("What Am I Looking At?", all_views_html(self.window.model.network.loss))

    def _show_help(self, title: str, html: str) -> None:
        box = QMessageBox(QMessageBox.Information, title, html, QMessageBox.Ok, self.window)
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 34em; }")  # wide enough for a line per row
        box.exec()

    def _about(self) -> None:
        from .. import __version__

        QMessageBox.about(self.window, "About bpgui",
                          f"<h3>bpgui {__version__}</h3><p>A sandbox for gradient descent and backpropagation.</p>"
                          "<p>Drag a neuron to move it; drag from its knob to connect; drag an edge up or down "
                          "to change its weight; double-click a column to add a neuron; Delete removes the "
                          "selection; right-click for more.</p>")
