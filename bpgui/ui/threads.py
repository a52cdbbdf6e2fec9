"""Background threads, one way for all of them: a worker QObject in its own QThread, stopped with its owner; a
message for the user when a worker fails; and an event-loop wait for headless use.

Workers never touch a widget: they take commands through their thread's event queue and answer with signals
carrying plain data (frozen dataclasses, NumPy copies), which the main thread draws.
"""

from __future__ import annotations

import gc
import traceback
from functools import partial

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop, QObject, QThread, QTimer
from PySide6.QtWidgets import QApplication

#: how often the main thread collects garbage in place of Python's automatic collection (milliseconds)
GC_INTERVAL_MS = 500


class MainThreadGarbage(QObject):
    """Python's cyclic garbage collection, run only in the main thread.

    Left automatic, a collection runs in whichever thread happens to allocate, often a worker: if it frees the
    Python wrappers of Qt objects (a closed window's actions, menus, timers), their C++ destructors run in the
    worker, holding a Qt lock while they wait for Python's lock, while the main thread holds Python's lock and
    waits for the Qt one: both wait for ever. So automatic collection is switched off and a timer in the main
    thread collects each generation when Python would have (``gc.get_threshold()``)."""

    def __init__(self, app: QCoreApplication):
        super().__init__(app)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(GC_INTERVAL_MS)

    def collect(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def collect_garbage_in_main_thread() -> None:
    """Install :class:`MainThreadGarbage` on the application (once); call it from the main thread."""
    app = QCoreApplication.instance()
    if app is not None and app.findChild(MainThreadGarbage) is None:
        MainThreadGarbage(app)


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
