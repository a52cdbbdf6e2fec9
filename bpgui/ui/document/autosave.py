"""Autosave: while the open document has unsaved changes, a recovery copy of it in the user's data folder (every
AUTOSAVE_SECONDS, and soon after a batch of structural edits); removed when the document is saved or the window
closes cleanly. At start-up, copies left by sessions that ended without closing are offered back (see
:mod:`.recovery` for the files, their locks and how a bad one is set aside).

The window never waits for a copy to be written: the main thread takes a snapshot of the document (fresh lists
of its neurons and edges; a data table's rows are already JSON text, written a little at a time between events,
see ``TableData.encode_some``: about 5 ms for 1,001 neurons, 20,000 edges and 100,000 rows), and one plain
Python thread, which touches no Qt object, turns it into JSON and writes it (0.2-0.6 s there, which the window
used to wait for). A window writes one copy at a time: a write asked for meanwhile starts when it ends, from a
new snapshot. Removing the copy (a save, a clean close) drops a write in flight: it is not renamed into place.
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

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
#: how often the main thread looks whether a write in flight has ended (milliseconds)
POLL_MS = 20


class _Shared:
    """What the main thread and a writing thread both see (plain Python: a thread must not touch a QObject)."""

    def __init__(self):
        self.guard = threading.Lock()
        self.generation = 0  # raised when the copy is removed: a write begun before must not bring it back


class _Write:
    """One copy of the document, written by the writing thread."""

    def __init__(self, path: Path, wrapper: dict, shared: _Shared):
        self.path, self.wrapper, self.shared = path, wrapper, shared
        self.generation = shared.generation
        self.error: Exception | None = None
        self.finished = threading.Event()
        _submit(self)

    def run(self) -> None:
        try:
            recovery.write_copy(self.path, self.wrapper, self._wanted, self.shared.guard)
        except Exception as e:  # OSError: a full disk, a folder one cannot write; ValueError: e.g. a NaN
            self.error = e
        finally:
            self.wrapper = None
            self.finished.set()

    def _wanted(self) -> bool:
        return self.shared.generation == self.generation

    def done(self) -> bool:
        return self.finished.is_set()

    def wait(self) -> None:
        self.finished.wait()


# One writing thread for every window, started at the first copy: starting a thread per copy kept the window
# waiting some 20-40 ms for Python's lock (measured with bench/bench_autosave.py).
_jobs: queue.SimpleQueue | None = None
_jobs_lock = threading.Lock()


def _submit(job: _Write) -> None:
    global _jobs
    with _jobs_lock:
        if _jobs is None:
            _jobs = queue.SimpleQueue()
            thread = threading.Thread(target=_serve, args=(_jobs,), name="bpgui-autosave", daemon=True)
            thread.start()
            atexit.register(_finish, _jobs, thread)  # a copy being renamed into place is not cut off
    _jobs.put(job)


def _serve(jobs: queue.SimpleQueue) -> None:
    while (job := jobs.get()) is not None:
        job.run()


def _finish(jobs: queue.SimpleQueue, thread: threading.Thread) -> None:
    jobs.put(None)
    thread.join()


class Autosave(QObject):
    """Keeps the recovery copy of ``hub``'s document. ``status(text)`` reports a folder that cannot be written
    (once, not every interval)."""

    def __init__(self, hub: DocumentHub, window: QWidget, status: Callable[[str], None]):
        super().__init__(window)
        self.hub = hub
        self.window = window
        self.status = status
        self.recovery_file = recovery.new_recovery_path()
        self.lock: recovery.Lock | None = None  # held from the first copy until a clean close
        self.dirty = False
        self._failed = False
        self._shared = _Shared()
        self._write: _Write | None = None  # in flight
        self._again = False  # a write was asked for while one was in flight
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.write)
        self.timer.start(AUTOSAVE_SECONDS * 1000)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.timeout.connect(self.write)
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._collect)
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
            self._remove_copy()

    def _on_document_replaced(self, model: DocumentModel) -> None:
        self._remove_copy()  # the old document was saved or discarded
        self.dirty = model.is_modified()

    def _remove_copy(self) -> None:
        with self._shared.guard:  # a write in flight is dropped, or has renamed its file into place already
            self._shared.generation += 1
            recovery.remove(self.recovery_file)

    def write(self, wait: bool = False) -> bool:
        """Write the recovery copy, in the background, if there are unsaved changes since the last one; remove it
        if there are none. With ``wait``, return once it is written. Returns False if it could not be."""
        if not self.model.is_modified():
            self._remove_copy()
            self.dirty = False
            return True
        if self._write is not None:
            if not wait:
                self._again = True  # once this one ends: one write at a time
                return True
            self._write.wait()
            self._collect()
        if not self.dirty and self.recovery_file.exists():
            return True
        if not self._hold_lock():
            return False
        m = self.model
        self._write = _Write(self.recovery_file, recovery.copy_of(m.doc, m.path, m.display_name, m.positions),
                             self._shared)
        self.dirty = False
        if not wait:
            self._poll.start(POLL_MS)
            return True
        self._write.wait()
        return self._collect()

    def busy(self) -> bool:
        """A copy is being written (or its end not yet seen by the window)."""
        return self._write is not None

    def _collect(self) -> bool:
        """A write has ended: say if it failed (once, not every 30 s); start the next one if one was asked for."""
        w = self._write
        if w is None or not w.done():
            return True
        self._write = None
        self._poll.stop()
        if w.error is not None:
            self.dirty = True  # try again at the next interval
            self._report(w.error)
        else:
            self._failed = False
        if self._again:
            self._again = False
            self.write()
        return w.error is None

    def _hold_lock(self) -> bool:
        """Hold this session's lock beside the copy (taken again if someone removed the folder)."""
        if self.lock is not None and self.lock.intact():
            return True
        try:
            recovery.ensure_recovery_dir()
            if self.lock is not None:
                self.lock.release(remove=False)
            self.lock = recovery.Lock.take(recovery.lock_path(self.recovery_file))
            if self.lock is None:
                raise OSError("another session holds its lock")
        except (OSError, ValueError) as e:
            self.lock = None
            self._report(e)
            return False
        return True

    def _report(self, e: Exception) -> None:
        if not self._failed:  # say it once, not every 30 s
            self._failed = True
            reason = e.strerror or str(e) if isinstance(e, OSError) else str(e)
            self.status(f"cannot write the recovery copy to {self.recovery_file.parent}: {reason}")

    def stop(self) -> None:
        """A clean close: no copy left behind (a write in flight is dropped), none written any more."""
        self.timer.stop()
        self._soon.stop()
        self._poll.stop()
        self._again = False
        self._write = None  # dropped, if in flight
        self._remove_copy()
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    # ------------------------------------------------------------------ recovery
    def ask_restore(self, text: str) -> QMessageBox.StandardButton:
        return QMessageBox.question(self.window, "Restore unsaved work", text,
                                    QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.Yes)

    def offer_recovery(self, open_window: Callable[[DocumentModel], object]) -> int:
        """Offer the unsaved work of bpgui sessions that ended without closing (a crash, kill -9): the first
        restored document replaces this window's, each further one opens in ``open_window(model)`` (which returns
        that window). Returns how many documents were restored."""
        found, bad = recovery.orphaned_recoveries()
        restored = 0
        found.sort(key=lambda r: -r.saved)
        try:
            while found:
                r = found.pop(0)
                when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.saved))
                answer = self.ask_restore(f"bpgui ended without closing while “{r.name}” had unsaved changes "
                                          f"(last copy {when}). Restore them?")
                if answer != QMessageBox.Yes:
                    if answer == QMessageBox.No:
                        r.discard()
                    else:
                        r.release()  # for a later session
                    continue
                try:
                    model = DocumentModel(r.document, r.path)
                except Exception as e:  # nothing in a copy may stop bpgui from starting
                    self._set_aside(r, e)
                    continue
                model.display_name = r.name
                model.restored = True
                if restored == 0:
                    self.hub.replace(model)
                    target = self.window
                else:
                    target = open_window(model)
                # this window's copy first: the old one goes once the work is safe in the new one
                if target.autosave.write(wait=True):
                    r.discard()
                else:
                    r.release()
                target.show_status(f"restored the unsaved changes to {r.name}: save them to keep them")
                restored += 1
        finally:
            for r in found:
                r.release()
            for f, reason in bad:  # last: a restored document's message would hide it
                self.status(f"set aside the recovery file {f} (it cannot be used: {reason})")
        return restored

    def _set_aside(self, r: recovery.Recovered, e: Exception) -> None:
        try:
            where = recovery.set_aside(r.file)
        except OSError:
            where = r.file
        r.release()
        self.status(f"set aside the recovery file {where} (it cannot be used: {type(e).__name__}: {e})")
