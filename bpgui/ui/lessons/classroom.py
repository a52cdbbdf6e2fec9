"""Classroom mode (View > Classroom Mode), for a projector: the advanced controls out of sight (the optimizer's
hyperparameters, More options, the data generator, the export actions) and every text 1.4 times as large. Turning
it off puts back exactly what was there. The choice is kept (QSettings) for the next window.

The font is the application's, shared by every window: it is enlarged while any window is in classroom mode and
given back, as it was, when the last one leaves it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

SCALE = 1.4
KEY = "classroom_mode"

_normal_font: QFont | None = None  # the application's font before a window enlarged it
_enlarged: set[int] = set()  # the windows in classroom mode (ids of their Classroom objects)


def scaled(font: QFont, factor: float) -> QFont:
    big = QFont(font)
    if font.pointSizeF() > 0:
        big.setPointSizeF(font.pointSizeF() * factor)
    else:
        big.setPixelSize(round(font.pixelSize() * factor))
    return big


def _set_font(font: QFont) -> None:
    """The application's font, on every widget: Qt does not tell a widget with a style sheet of a new application
    font (it keeps the font it had when its sheet was applied), so its sheet is applied again and it is told."""
    app = QApplication.instance()
    app.setFont(font)
    for widget in app.allWidgets():
        if widget.styleSheet():
            widget.setStyleSheet(widget.styleSheet())
            QCoreApplication.sendEvent(widget, QEvent(QEvent.ApplicationFontChange))


def _enlarge(key: int) -> None:
    global _normal_font
    if not _enlarged:
        _normal_font = QFont(QApplication.instance().font())
        _set_font(scaled(_normal_font, SCALE))
    _enlarged.add(key)


def _give_back(key: int) -> None:
    global _normal_font
    if key not in _enlarged:
        return
    _enlarged.discard(key)
    if not _enlarged and _normal_font is not None:
        _set_font(_normal_font)
        _normal_font = None


class Classroom(QObject):
    """Classroom mode for ``window`` (a MainWindow): its training panel, its export actions, the font."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.on = False
        key = id(self)
        self.destroyed.connect(lambda *_: _give_back(key))  # a window closed in classroom mode

    @staticmethod
    def remembered() -> bool:
        value = QSettings().value(KEY, False)
        return value is True or str(value).lower() == "true"

    def set_on(self, on: bool) -> None:
        on = bool(on)
        action = self.window.window_actions.classroom
        if action.isChecked() != on:
            action.setChecked(on)  # the menu's tick follows (it calls back here, and returns below)
        if on == self.on:
            return
        self.on = on
        self.window.training_panel.set_classroom(on)
        self.window.window_actions.set_exports_visible(not on)
        (_enlarge if on else _give_back)(id(self))
        QSettings().setValue(KEY, on)
        self.window.show_status("classroom mode: larger text, fewer controls" if on else "classroom mode off")
