"""Autosave: while the open document has unsaved changes, a recovery copy of it in the user's data folder (every
AUTOSAVE_SECONDS, and soon after a batch of structural edits); removed when the document is saved or the window
closes cleanly. At start-up, copies left by sessions that ended without closing are offered back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from ...core.network import Change
from . import recovery
from .document_hub import DocumentHub
from .document_model import DocumentModel

#: the longest unsaved work can go without a recovery copy (seconds)
AUTOSAVE_SECONDS = 30
#: after a structural edit, the copy is written once the edits have paused this long (seconds)
SOON_SECONDS = 1


class Autosave(QObject):
    """Keeps the recovery copy of ``hub``'s document. ``status(text)`` reports a folder that cannot be written
    (once, not every interval)."""

    def __init__(self, hub: DocumentHub, window: QWidget, status: Callable[[str], None]):
        super().__init__(window)
        self.hub = hub
        self.window = window
        self.status = status
        self.recovery_file = recovery.new_recovery_path()
        self.dirty = False
        self._failed = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.write)
        self.timer.start(AUTOSAVE_SECONDS * 1000)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(self.write)
        hub.sigNetworkChanged.connect(self._on_network_change)
        for signal in (hub.sigSettingsChanged, hub.sigPositionsChanged, hub.sigTrainingPending, hub.sigIndexChanged):
            signal.connect(self._mark)
        hub.sigCleanChanged.connect(self._on_clean)
        hub.sigDocumentReplaced.connect(self._on_document_replaced)

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    def _mark(self, *_) -> None:
        self.dirty = True

    def _on_network_change(self, change: Change) -> None:
        self.dirty = True
        if change.structural:
            self._soon.start(SOON_SECONDS * 1000)  # a batch of structural edits: write once it settles

    def _on_clean(self, clean: bool) -> None:
        if clean and not self.model.is_modified():
            recovery.remove(self.recovery_file)

    def _on_document_replaced(self, model: DocumentModel) -> None:
        recovery.remove(self.recovery_file)  # the old document was saved or discarded
        self.dirty = model.is_modified()

    def write(self) -> None:
        """Write the recovery copy if there are unsaved changes since the last one; remove it if there are none."""
        if not self.model.is_modified():
            recovery.remove(self.recovery_file)
            self.dirty = False
            return
        if not self.dirty and self.recovery_file.exists():
            return
        try:
            recovery.write_recovery(self.recovery_file, self.model.doc, self.model.path, self.model.display_name)
        except (OSError, ValueError) as e:
            if not self._failed:  # say it once, not every 30 s
                self._failed = True
                self.status(f"cannot write the recovery copy to {self.recovery_file.parent}: {e}")
            return
        self.dirty = False
        self._failed = False

    def stop(self) -> None:
        """A clean close: no copy left behind, none written any more."""
        recovery.remove(self.recovery_file)
        self.timer.stop()
        self._soon.stop()

    # ------------------------------------------------------------------ recovery
    def ask_restore(self, text: str) -> QMessageBox.StandardButton:
        return QMessageBox.question(self.window, "Restore unsaved work", text,
                                    QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.Yes)

    def offer_recovery(self, open_window: Callable[[DocumentModel], object]) -> int:
        """Offer the unsaved work of bpgui sessions that ended without closing (a crash, kill -9): the first
        restored document replaces this window's, each further one opens in ``open_window(model)`` (which returns
        that window). Returns how many documents were restored."""
        found, bad = recovery.orphaned_recoveries()
        for f, reason in bad:
            self.status(f"ignored an unreadable recovery file {f}: {reason}")
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
            if restored == 0:
                self.hub.replace(model)
                target = self.window
            else:
                target = open_window(model)
            recovery.remove(r.file)
            target.autosave.write()
            target.show_status(f"restored the unsaved changes to {r.name}: save them to keep them")
            restored += 1
        return restored
