"""The toolbar and the Help menu on the real window: what stays visible at a small size, what stays put when the
Undo text grows, and what Help offers a learner."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar


def toolbar(w) -> QToolBar:
    return w.findChild(QToolBar, "main toolbar")


def type_learning_rate(w, text: str) -> None:
    edit = w.training_panel.lr_edit
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key_Return)


def test_the_run_controls_stay_in_the_toolbar_at_1024x640(qtbot, make_window):
    """Regression (issue: "at 1024×640 Step/Reset fall into the toolbar overflow"): with a long Undo text the
    toolbar ran out of room and its last buttons, the run controls, went into the overflow menu."""
    w = make_window(size=(1024, 640))
    type_learning_rate(w, "0.000123")  # "Undo Set learning rate to 0.000123": a long Undo text
    qtbot.wait(50)
    tb = toolbar(w)
    for a in w.window_actions.training_actions():
        b = tb.widgetForAction(a)
        assert b is not None and b.isVisible(), a.text()
        right = b.mapTo(tb, QPoint(b.width(), 0)).x()
        assert right <= tb.width(), (a.text(), right, tb.width())
    # and the image of the window shows them: the Play button's pixels are not the toolbar's background
    image = w.grab().toImage()
    play = tb.widgetForAction(w.window_actions.play)
    centre = play.mapTo(w, play.rect().center())
    background = image.pixelColor(tb.mapTo(w, QPoint(tb.width() - 3, 3)))
    box = [image.pixelColor(centre.x() + dx, centre.y() + dy) for dx in range(-6, 7) for dy in range(-6, 7)]
    assert any(abs(c.lightness() - background.lightness()) > 60 for c in box)


def test_the_buttons_after_undo_stay_put_as_its_text_grows(qtbot, make_window):
    """Regression (issue: "the toolbar buttons jump as the Undo text grows"): the toolbar showed the whole Undo text
    ("Undo Train (steps 1–300)"), so every button after it moved with each edit."""
    w = make_window()
    tb = toolbar(w)
    acts = w.window_actions
    play = tb.widgetForAction(acts.play)
    before = play.mapTo(tb, QPoint(0, 0)).x()
    undo_width = tb.widgetForAction(acts.undo).width()
    type_learning_rate(w, "0.000123")
    qtbot.wait(50)
    assert acts.undo.text().replace("&", "") == "Undo Set learning rate to 0.000123"  # whole in the Edit menu
    assert acts.undo.toolTip() == "Undo Set learning rate to 0.000123"  # and in the tooltip
    shown = acts.undo.iconText()
    assert shown.startswith("Undo Set") and shown.endswith("…")  # cut short on the button
    assert tb.widgetForAction(acts.undo).width() == undo_width
    assert play.mapTo(tb, QPoint(0, 0)).x() == before
    w.window_actions.undo.trigger()
    qtbot.wait(50)
    assert acts.redo.toolTip() == "Redo Set learning rate to 0.000123"
    assert play.mapTo(tb, QPoint(0, 0)).x() == before


def test_help_explains_the_gestures_and_the_views(qtbot, make_window, monkeypatch):
    """Help has more than About: the keyboard and mouse gestures (with the real shortcuts) and what each view
    shows."""
    w = make_window(wait=None)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.windowTitle(), box.text())) or 0)
    help_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title().replace("&", "") == "Help")
    texts = [a.text().replace("&", "") for a in help_menu.actions() if not a.isSeparator()]
    assert "Keyboard and Mouse" in texts and "What Am I Looking At?" in texts and "About bpgui" in texts
    w.window_actions.keys_help.trigger()
    title, text = shown[-1]
    for a in (w.window_actions.play, w.window_actions.step, w.window_actions.epoch, w.window_actions.reset):
        assert a.shortcut().toString(QKeySequence.NativeText) in text
    assert "double-click" in text.lower() and "drag" in text.lower()
    w.window_actions.views_help.trigger()
    title, text = shown[-1]
    for view in ("Surface", "Loss", "Outputs", "Slice", "Directions", "Chain Rule"):
        assert view in text, view
