"""File > Import Data: choose a CSV file, preview it for the network (:class:`ImportDataDialog`), and make its table
the document's data as one undoable step. A file that cannot be read is reported with the reason and changes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from ...core.csv_data import CSVError, read_csv_text
from ...core.document import TableData
from ...core.network import Network
from .document_hub import DocumentHub
from .document_model import BUSY, DocumentModel
from .import_data_dialog import ImportDataDialog

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
#: the QSettings key of the folder the last imported file came from
FOLDER_KEY = "import_folder"


class DataImport(QObject):
    """Imports tables into the hub's document. ``status(text)`` and ``error(title, text)`` report outcomes;
    :attr:`dialog` is the preview on show, if any."""

    def __init__(self, hub: DocumentHub, window: QWidget, status: Callable[[str], None],
                 error: Callable[[str, str], None]):
        super().__init__(window)
        self.hub = hub
        self.window = window
        self.status = status
        self.error = error
        self.settings = QSettings()
        self.dialog: ImportDataDialog | None = None

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    def start_folder(self) -> str:
        """Where the file dialog opens: the last import's folder, else the document's, else the home folder."""
        last = self.settings.value(FOLDER_KEY, "")
        if isinstance(last, str) and last and Path(last).is_dir():
            return last
        return str(self.model.path.parent) if self.model.path else str(Path.home())

    def import_dialog(self) -> None:
        if self.model.live_change:
            self.status(BUSY)
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Import data", self.start_folder(), CSV_FILTER)
        if path:
            self.settings.setValue(FOLDER_KEY, str(Path(path).parent))
            self.import_path(Path(path))

    def import_path(self, path: Path) -> ImportDataDialog | None:
        """Read ``path`` and show its preview (window-modal, not blocking); an unreadable file is reported."""
        try:
            text = read_csv_text(path)
        except CSVError as e:
            self.error("Cannot import", f"{path}: {e}")
            return None
        if self.dialog is not None:
            self.dialog.close()
        model = self.model
        dialog = ImportDataDialog(path, text, model.network,
                                  lambda table, network: self._apply(model, path, table, network,
                                                                     dialog.preview.summary()),
                                  self.window)
        dialog.finished.connect(lambda result, d=dialog: self._on_finished(d, result))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _apply(self, model: DocumentModel, path: Path, table: TableData, network: Network | None,
               summary: str) -> str | None:
        if model is not self.model:
            return "the document was replaced meanwhile: import the file again"
        problem = model.edit_settings(f"Import {Path(path).name}", data=table, network=network)
        if problem is None:
            fitted = (f"; the network now has {len(network.inputs)} inputs and {len(network.outputs)} outputs"
                      if network is not None else "")
            self.status(f"imported {Path(path).name} ({summary}){fitted}")
        return problem

    def _on_finished(self, dialog: ImportDataDialog, result: int) -> None:
        if result != QDialog.Accepted:
            self.status("import cancelled: the data is as it was")
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
