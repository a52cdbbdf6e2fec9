"""Starting the desktop app: the QApplication, the main window, and the document it opens on."""

from __future__ import annotations

import sys
from pathlib import Path

#: what Qt's offscreen platform says of window calls it has no use for: harmless, and not the user's concern
QUIET = ("This plugin does not support propagateSizeHints()", "This plugin does not support raise()")


def _qt_messages(mode, context, message: str) -> None:
    """Qt's messages on standard error, as Qt prints them, but for the offscreen platform's harmless ones."""
    if message not in QUIET:
        sys.stderr.write(message + "\n")


def make_application():
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ..resources import resource_path

    if QApplication.instance() is None:
        qInstallMessageHandler(_qt_messages)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("bpgui")
    app.setOrganizationName("bpgui")
    app.setApplicationDisplayName("bpgui")
    app.setDesktopFileName("bpgui")
    app.setWindowIcon(QIcon(str(resource_path("icons", "bpgui.svg"))))
    return app


def create_window(file: str | None = None):
    """The main window on ``file``, or on the default example. A bad file shows its message in a dialog and
    the window opens on the default example instead."""
    from .main_window import MainWindow

    window = MainWindow()
    if file is not None:
        window.open_path(Path(file), ask=False)
    return window


def run(file: str | None = None) -> int:
    app = make_application()
    window = create_window(file)
    window.show()
    window.view.fit()
    window.offer_recovery()
    return app.exec()
