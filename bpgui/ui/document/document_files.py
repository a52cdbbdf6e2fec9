"""The document's files: New, Open, Open Example, Open Recent, Save and Save As, and the question before unsaved
work is replaced or closed. A file that cannot be read or written is reported with the reason and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from ...core.document import Document, DocumentError, GeneratorData, TrainingConfig, load_document
from ...core.network import Network
from ...core.safe_write import ReadOnlyFileError, check_target
from ...resources import example_paths
from .document_hub import DocumentHub
from .document_model import BUSY, DocumentModel

DEFAULT_EXAMPLE = "xor"
MAX_RECENT = 8
FILE_FILTER = "bpgui networks (*.json);;All files (*)"


def default_document() -> DocumentModel:
    """The bundled example the window opens on, as an untitled copy."""
    model = DocumentModel(load_document(example_paths()[DEFAULT_EXAMPLE]))
    model.display_name = DEFAULT_EXAMPLE
    return model


def blank_document() -> Document:
    """File > New: two inputs wired to one sigmoid output, on the XOR data (add a hidden layer to solve it)."""
    net = Network("bce")
    net.add_neuron("x1", 0)
    net.add_neuron("x2", 0)
    net.add_neuron("y1", 1, "sigmoid")
    net.add_edge("x1", "y1", 0.5)
    net.add_edge("x2", "y1", -0.5)
    return Document(net, GeneratorData("xor", 200, 0.05, 0.2, 0), TrainingConfig("sgd", 0.5, steps_per_second=30.0))


class DocumentFiles(QObject):
    """Opens and saves the hub's document (another document takes its place through the hub). ``status(text)``
    and ``error(title, text)`` report outcomes."""

    def __init__(self, hub: DocumentHub, window: QWidget, status: Callable[[str], None],
                 error: Callable[[str, str], None]):
        super().__init__(window)
        self.hub = hub
        self.window = window
        self.status = status
        self.error = error
        self.settings = QSettings()
        self.recent_menu = QMenu("Open &Recent", window)
        self.examples_menu = QMenu("Open &Example", window)
        for name, path in example_paths().items():
            self.examples_menu.addAction(name.replace("_", " "), lambda p=path, n=name: self.open_example(p, n))
        self._update_recent_menu()

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    # ------------------------------------------------------------------ unsaved work
    def ask_save_changes(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self.window, "Unsaved changes", f"Save the changes to {self.model.display_name}?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)

    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if not self.model.is_modified():
            return True
        choice = self.ask_save_changes()
        if choice == QMessageBox.Save:
            return self.save()
        return choice == QMessageBox.Discard

    def _may_replace(self, ask: bool = True) -> bool:
        if self.model.live_change:
            self.status(BUSY)
            return False
        return not ask or self.maybe_save()

    # ------------------------------------------------------------------ opening
    def new_document(self) -> None:
        if self._may_replace():
            self.hub.replace(DocumentModel(blank_document()))
            self.status("A new network: add a hidden layer (Edit > Add Layer) to solve XOR")

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.model.path.parent) if self.model.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self.window, "Open network", start, FILE_FILTER)
        if path:
            self.open_path(Path(path), ask=False)

    def open_path(self, path: Path, ask: bool = True) -> bool:
        """Open a document; a bad file shows the reason and keeps the current document."""
        if not self._may_replace(ask):
            return False
        try:
            model = DocumentModel.open(Path(path))
        except DocumentError as e:
            self.error("Cannot open", f"{path}: {e}")
            return False
        self.hub.replace(model)
        self._add_recent(Path(path))
        self.status(f"opened {path}")
        return True

    def open_copy(self, model: DocumentModel, ask: bool = True) -> bool:
        """Show ``model``, a network that is not a file of the user's (e.g. a lesson's), after the unsaved-changes
        question (unless not ``ask``); False when the current document stays."""
        if not self._may_replace(ask):
            return False
        self.hub.replace(model)
        return True

    def open_example(self, path: Path, name: str) -> None:
        if not self._may_replace():
            return
        model = DocumentModel(load_document(path))
        model.display_name = name
        self.hub.replace(model)
        self.status(f"example '{name}' (Save As to keep your changes)")

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        if self.model.path is None:
            return self.save_as()
        return self.save_to(self.model.path)

    def save_as(self) -> bool:
        start = str(self.model.path or Path.home() / f"{self.model.display_name}.json")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save network", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"  # the dialog asked about overwriting the name as typed, not this one
            if Path(path).exists() and QMessageBox.question(
                    self.window, "Replace file?", f"{path} already exists. Replace it?",
                    QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
                return False
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        try:
            check_target(path)
            allow_read_only = False
        except ReadOnlyFileError:
            if QMessageBox.question(self.window, "Read-only file", f"{path} is read-only. Overwrite it anyway?",
                                    QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
                return False
            allow_read_only = True
        except (OSError, ValueError):  # the save says what is wrong
            allow_read_only = False
        try:
            self.model.save(path, allow_read_only)
        except DocumentError as e:
            self.error("Cannot save", f"{path}: {e}")
            return False
        self._add_recent(path)
        self.status(f"saved {path}")
        return True

    # ------------------------------------------------------------------ recent files
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
