"""Background threads, one way for all of them: a worker QObject in its own QThread, stopped with its owner; a
message for the user when a worker fails; and an event-loop wait for headless use.

Workers never touch a widget: they take commands through their thread's event queue and answer with signals
carrying plain data (frozen dataclasses, NumPy copies), which the main thread draws.
"""

from __future__ import annotations

import traceback
from functools import partial

from PySide6.QtCore import QDeadlineTimer, QEventLoop, QObject, QThread
from PySide6.QtWidgets import QApplication


class WorkerThread:
    """``worker`` (a QObject without a parent) moved to a new QThread named ``name`` and started. The thread stops
    when ``owner`` (a main-thread QObject) is destroyed, also without a close: Qt aborts the process if a running
    QThread is deleted."""

    def __init__(self, worker: QObject, name: str, owner: QObject):
        self.thread = QThread(owner)
        self.thread.setObjectName(name)
        owner.destroyed.connect(partial(stop_thread, self.thread))
        worker.moveToThread(self.thread)
        self.thread.finished.connect(worker.deleteLater)
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def is_finished(self) -> bool:
        return self.thread.isFinished()

    def stop(self) -> None:
        """Stop the thread and wait for it (its worker is deleted once it has stopped)."""
        stop_thread(self.thread)


def stop_thread(thread: QThread, *_) -> None:
    if thread.isRunning():
        thread.requestInterruption()
        thread.quit()
        thread.wait()


def failure_text(what: str, error: Exception, details: bool = True) -> str:
    """A worker's failure for the user: ``what`` happened, the error in one line, then (``details``) the last
    frames of the traceback after a blank line."""
    text = f"{what}: {type(error).__name__}: {error}"
    if details:
        text += "\n\n" + "".join(traceback.format_exception(error, limit=-3))
    return text


def process_events_until(ready, timeout: float) -> bool:
    """Run the event loop until ``ready()`` or ``timeout`` seconds; returns ``ready()``."""
    deadline = QDeadlineTimer(int(timeout * 1000))
    while not ready() and not deadline.hasExpired():
        QApplication.processEvents(QEventLoop.AllEvents | QEventLoop.WaitForMoreEvents, 50)
    return ready()
