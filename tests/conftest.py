import os

# Qt must run headless in tests; set before any QApplication exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import faulthandler  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# The same examples on every run, so that CI cannot fail on a run of luck; HYPOTHESIS_PROFILE=explore draws new
# ones (each failure found that way becomes an @example).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: a test that runs longer than this is hung (a deadlock): print every thread's stack and end the run, so that
#: CI reports it in minutes rather than at its 90-minute limit
HUNG_SECONDS = 300


@pytest.fixture(autouse=True)
def _end_a_hung_run():
    faulthandler.dump_traceback_later(HUNG_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Keep QSettings (recent files) out of the user's real configuration."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BPGUI_RECOVERY_DIR", str(tmp_path / "recovery"))  # autosaved copies
    try:
        from PySide6.QtCore import QSettings
    except ImportError:
        yield
        return
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "config"))
    QSettings.setDefaultFormat(QSettings.IniFormat)
    yield


def _load_model(document):
    from bpgui.core.document import load_document
    from bpgui.resources import example_paths
    from bpgui.ui.document.document_model import DocumentModel

    if isinstance(document, DocumentModel):
        return document
    if document in example_paths():
        model = DocumentModel(load_document(example_paths()[document]))
        model.display_name = document
        return model
    return DocumentModel.open(document)


@pytest.fixture
def make_window(qtbot, monkeypatch):
    """A factory of real main windows: ``make_window(document="xor", size=(1280, 800), wait="snapshot",
    unlimited=True)`` opens ``document`` (a bundled example's name, a path, or a DocumentModel), shows the window
    at ``size`` and waits for its first snapshot (``wait="surface"``: also for the surface; None: no wait). The
    bundled examples open at a speed a person can watch (tens of steps per second); most tests train hundreds
    of steps, so ``unlimited`` lifts the document's speed cap first (not an edit: nothing to undo or save).
    At teardown the windows close without asking about unsaved changes and their threads stop."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QMessageBox

    from bpgui.ui.main_window import MainWindow

    pg.setConfigOption("mouseRateLimit", -1)  # pyqtgraph drops mouse moves closer than 10 ms apart
    made = []

    def make(document="xor", size=(1280, 800), wait="snapshot", unlimited=True):
        model = _load_model(document)
        if unlimited:
            model.doc.training.steps_per_second = None
        w = MainWindow(model)
        qtbot.addWidget(w)
        made.append(w)
        if size is not None:
            w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        # closing must not stop at the unsaved-changes question (tests that ask patch it again)
        monkeypatch.setattr(w.files, "ask_save_changes", lambda: QMessageBox.Discard)
        if wait == "surface":
            qtbot.waitUntil(lambda: w.training.latest is not None and w.surface.settled, timeout=10_000)
        elif wait == "snapshot":
            qtbot.waitUntil(lambda: w.training.latest is not None, timeout=10_000)
        return w

    yield make
    for w in made:
        w.training.shutdown()
        w.surface.shutdown()


@pytest.fixture(autouse=True)
def _reset_the_mouse_between_tests():
    """The mouse as a person leaves it: no menu open (a menu left open by a failed test grabs every later test's
    mouse events) and no button down (QTest.mouseDClick leaves Qt believing the left button is still pressed,
    so a later test's mouse moves are drags and hover events never come)."""
    yield
    import sys

    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None or widgets.QApplication.instance() is None:
        return
    app = widgets.QApplication
    for _ in range(10):
        popup = app.activePopupWidget()
        if popup is None:
            break
        popup.close()
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    # the pointer rests on a widget of its own, buttons up: a test's last hover target is about to be deleted
    spare = widgets.QWidget()
    spare.resize(20, 20)
    spare.show()
    for button in (Qt.LeftButton, Qt.RightButton, Qt.MiddleButton):
        if app.mouseButtons() & button:
            QTest.mouseRelease(spare, button)
    QTest.mouseMove(spare, QPoint(3, 3))
    QTest.mouseMove(spare, QPoint(4, 4))
    spare.close()
    spare.deleteLater()


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    """Once a window has been made, Python's automatic garbage collection is off (the main thread collects on a
    timer: see bpgui.ui.threads.MainThreadGarbage); tests that never run the event loop still need it."""
    yield
    import gc
    import sys

    threads = sys.modules.get("bpgui.ui.threads")
    if threads is not None and not gc.isenabled():
        from PySide6.QtCore import QCoreApplication

        collector = QCoreApplication.instance().findChild(threads.MainThreadGarbage)
        if collector is not None:
            collector.collect()
