"""Lessons in the window (Help > Lessons), played with the mouse and keyboard on the real window: every bundled
lesson (and the test lessons in tests/data/lessons) from its first step to its last, a wrong prediction and then
the right one at each question, each Show me checked against an independent copy of the run (the core's
TrainingRun, stepped as the lesson says); Back, Next and Restart; progress kept for the next window; classroom
mode; F1's help on the view in focus."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QRadioButton,
    QTabBar,
)

from bpgui.core.lessons import LessonError, bundled_lessons, quantity_value, read_lesson, surface_pair
from bpgui.core.training_run import TrainingRun
from bpgui.ui.lessons.classroom import SCALE
from bpgui.ui.lessons.lesson_panel import RIGHT_COLORS, WRONG_COLORS, parse_guess
from bpgui.ui.lessons.lesson_targets import Flash
from bpgui.ui.text import num

TEST_LESSONS = Path(__file__).parent / "data" / "lessons"
#: the quantities of what the optimizer's next step does (its state counts: momentum's velocity, adam's means)
NEXT_STEP = ("step", "next_point", "loss_after_step", "uphill", "largest_share")


def _is_lesson(path: Path) -> bool:
    try:
        read_lesson(path)
    except LessonError as e:
        return not str(e).startswith("not a bpgui lesson")
    return True


LESSONS = [p for p in [*bundled_lessons(), *sorted(TEST_LESSONS.glob("0*.json"))] if _is_lesson(p)]


# ---------------------------------------------------------------------------------------------- helpers
@pytest.fixture
def window(make_window):
    w = make_window(wait="snapshot")
    w.lessons.lift_speed_cap = True  # the lessons' networks train as fast as the window draws
    return w


def click(widget, pos=None) -> None:
    QTest.mouseClick(widget, Qt.LeftButton, Qt.NoModifier, pos if pos is not None else widget.rect().center())


def press(qtbot, w, button) -> None:
    """Click a button of the Lessons panel (scrolled into sight first, as a person would)."""
    panel = w.lessons.panel
    for scroll in (panel.scroll, panel.text_scroll):
        if scroll.isAncestorOf(button):
            scroll.ensureWidgetVisible(button)
    qtbot.waitUntil(lambda: button.isVisible() and button.isEnabled(), timeout=5000)
    if isinstance(button, QRadioButton):  # on its circle: a radio button is wider than its circle and label
        click(button, QPoint(8, button.height() // 2))
    else:
        click(button)


def dominant_colour(widget) -> str:
    img = widget.grab().toImage()
    counts = Counter(QColor(img.pixel(x, y)).name() for x in range(0, img.width(), 3)
                     for y in range(0, img.height(), 3))
    return counts.most_common(1)[0][0]


def open_from_list(qtbot, w, path: Path) -> None:
    """F2, then the lesson's line in the list and Start — or, for a lesson that is not bundled, Open Lesson
    File… (its dialog answered with ``path``)."""
    QTest.keyClick(w, Qt.Key_F2)
    dock = w.lessons.dock
    qtbot.waitUntil(lambda: dock.isVisible())
    panel = w.lessons.panel
    rows = [e.path for e in panel.entries]
    if path in rows:
        lst = panel.lesson_list
        item = lst.item(rows.index(path))
        lst.scrollToItem(item)
        click(lst.viewport(), lst.visualItemRect(item).center())
        click(panel.start)
    else:
        original = QFileDialog.getOpenFileName
        QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (str(path), ""))
        try:
            click(panel.open_file)
        finally:
            QFileDialog.getOpenFileName = original
    qtbot.waitUntil(lambda: w.lessons.lesson is not None and w.lessons.lesson.path == path)
    settle(qtbot, w)


def settle(qtbot, w) -> None:
    t = w.training
    qtbot.waitUntil(lambda: t.latest is not None and t.is_current(t.latest) and not t.latest.playing,
                    timeout=10_000)


def screen(w, x: float, y: float):
    view = w.surface_view
    return view.plot_widget.mapFromScene(view.plot_item.vb.mapViewToScene(QPointF(x, y)))


def drag_marker(qtbot, w, x: float, y: float) -> None:
    """Drag the white marker on the Surface to (x, y), with the mouse."""
    marker = w.lessons.marker
    qtbot.waitUntil(lambda: marker.shown and w.surface.settled, timeout=10_000)
    gv = w.surface_view.plot_widget
    a, b = screen(w, *marker.position()), screen(w, x, y)
    QTest.mousePress(gv.viewport(), Qt.LeftButton, Qt.NoModifier, a)
    for i in range(1, 9):
        QTest.mouseMove(gv.viewport(), a + (b - a) * i / 8)
    QTest.mouseRelease(gv.viewport(), Qt.LeftButton, Qt.NoModifier, b)


class Shadow:
    """The lesson's network trained by the core alone, beside the window: what each setup and Show me should
    have done to the live run."""

    def __init__(self, lesson):
        self.lesson = lesson
        self.load()

    def load(self) -> None:
        self.doc = self.lesson.load_document()
        self.run = TrainingRun(self.doc.network, self.doc.data, self.doc.training.copy())

    def setup(self, setup: dict) -> None:
        if setup.get("reset"):
            self.load()
        changes = {k: setup[k] for k in ("learning_rate", "optimizer") if k in setup}
        if "batch_size" in setup:
            changes["batch_size"] = setup["batch_size"] or None
        new = replace(self.doc.training.copy(), **changes)
        if new != self.doc.training:
            self.doc.training = new
            self.run.set_config(new.copy())

    def reveal(self, reveal) -> None:
        if reveal.do == "step":
            self.run.resume()
            self.run.run(reveal.count)
        elif reveal.do == "play":
            for _ in range(reveal.count):  # one at a time, as the window plays it
                self.run.resume()
                self.run.run(1)
                if self.run.diverged:
                    break

    def parameters(self) -> dict[str, float]:
        return self.run.parameter_values()

    def next_step_truth(self, quantity: str, pair):
        """A next-step quantity from this run's snapshot, with its optimizer's real state."""
        snap = self.run.snapshot(anatomy=True)
        name, _, arg = quantity.partition(":")
        i = {n: k for k, n in enumerate(snap.names)}
        if name == "step":
            return float(snap.next_values[i[arg]] - snap.values[i[arg]])
        if name == "next_point":
            return tuple(float(snap.next_values[i[p]]) for p in pair)
        a = snap.anatomy
        if name == "loss_after_step":
            return float(a.loss_after)
        if name == "uphill":
            return "yes" if (a.contributions > 0).any() else "no"
        weights = [k for k, n in enumerate(a.names) if "->" in n]
        return a.names[min(weights, key=lambda k: a.contributions[k])]


def truth_of(w, shadow: Shadow, quantity: str, pair):
    """The answer: the core's quantity_value of the live document; for what the next step does under an
    optimizer with a state, the shadow run's (quantity_value starts a fresh optimizer)."""
    name = quantity.partition(":")[0]
    core = quantity_value(w.model.doc, quantity, pair)
    if name not in NEXT_STEP:
        return core
    shadow_value = shadow.next_step_truth(quantity, pair)
    if w.model.doc.training.optimizer == "sgd":  # no state: both must agree
        if isinstance(core, str):
            assert shadow_value == core
        else:
            assert shadow_value == pytest.approx(core, rel=1e-9, abs=1e-12)
    return shadow_value


def assert_verdict(w, right: bool) -> None:
    panel = w.lessons.panel
    assert panel.verdict.isVisible()
    assert panel.verdict.property("right") is right, panel.verdict.text()
    assert w.lessons.verdict.right is right
    fg, bg = RIGHT_COLORS if right else WRONG_COLORS
    assert fg in panel.verdict.styleSheet()
    assert dominant_colour(panel.verdict) == bg  # seen green or red on the screen


def predict(qtbot, w, shadow: Shadow) -> None:
    """A wrong prediction (red), then the right one (green), with the mouse and the keyboard."""
    runner, panel = w.lessons, w.lessons.panel
    p = runner.prediction
    pair = surface_pair(runner.lesson, runner.index)
    truth = truth_of(w, shadow, p.quantity, pair)
    if p.kind == "number":
        allowed = p.tolerance * abs(truth) if p.relative else p.tolerance
        wrong = truth + 3 * allowed + 0.5 * abs(truth) + 1.0
        panel.number.setFocus()
        QTest.keyClicks(panel.number, f"{wrong:.6g}")
        press(qtbot, w, panel.check)
        assert_verdict(w, False)
        assert num(truth, 4).replace("−", "-") in panel.verdict.text() or f"{truth:.4g}" in panel.verdict.text()
        panel.number.selectAll()
        QTest.keyClicks(panel.number, f"{truth:.8e}")  # an exponent, as a calculator writes it
        QTest.keyClick(panel.number, Qt.Key_Return)  # Enter checks too
        assert_verdict(w, True)
    elif p.kind == "choice":
        values = [v for _, v in p.options]
        assert truth in values, f"the answer {truth!r} is not among the options {values}"
        press(qtbot, w, panel.choice_button(next(v for v in values if v != truth)))
        press(qtbot, w, panel.check)
        assert_verdict(w, False)
        press(qtbot, w, panel.choice_button(truth))
        assert panel.choice_button(truth).isChecked()
        press(qtbot, w, panel.check)
        assert_verdict(w, True)
    else:  # point
        assert not w.surface_view.next_point.isVisible()  # the ring would give it away
        net = w.model.network
        start = (net.get_parameter(pair[0]), net.get_parameter(pair[1]))
        away = p.tolerance + 1.0
        drag_marker(qtbot, w, start[0] - away * (truth[0] - start[0]), start[1] - away * (truth[1] - start[1]))
        press(qtbot, w, panel.check)
        assert_verdict(w, False)
        drag_marker(qtbot, w, *truth)
        press(qtbot, w, panel.check)
        assert_verdict(w, True)


def assert_looked_at(qtbot, w, step) -> None:
    targets = w.lessons.targets
    qtbot.waitUntil(lambda: not targets.pending)
    for t in step.look:
        kind, _, name = t.partition(":")
        if kind == "edge":
            a, _, b = name.partition("->")
            qtbot.waitUntil(w.scene.edge_items[(a, b)].isSelected)
        elif kind == "neuron":
            qtbot.waitUntil(w.scene.neuron_items[name].isSelected)
    if step.look:
        qtbot.waitUntil(lambda: any(f.isVisible() for f in w.findChildren(Flash)))
    views = [t.partition(":")[2] for t in step.look if t.startswith("view:")]
    if views and views[-1] != "canvas":  # the last view raised is in front
        assert not targets.dock(views[-1]).visibleRegion().isEmpty()
    controls = [t.partition(":")[2] for t in step.look if t.startswith("control:")]
    if controls:
        shown = [c for c in targets.controls(controls[-1]) if not c.isHidden()]
        assert shown and all(c.visibleRegion().boundingRect().height() >= min(c.height(), 12) for c in shown)


def assert_setup(w, step) -> None:
    cfg = w.model.doc.training
    setup = step.setup
    if "learning_rate" in setup:
        assert cfg.learning_rate == setup["learning_rate"]
    if "optimizer" in setup:
        assert cfg.optimizer == setup["optimizer"]
    if "batch_size" in setup:
        assert (cfg.batch_size or 0) == setup["batch_size"]
    if "surface" in setup:
        assert w.surface.pair == tuple(setup["surface"])


def show_me(qtbot, w, shadow: Shadow, reveal) -> None:
    panel = w.lessons.panel
    press(qtbot, w, panel.show_me)
    qtbot.waitUntil(lambda: w.lessons.reveal is None and w.lessons.revealed, timeout=60_000)
    if reveal.do == "open":
        dock = w.lessons.targets.dock(reveal.view)
        if dock is not None:
            assert not dock.visibleRegion().isEmpty()
        return
    settle(qtbot, w)
    shadow.reveal(reveal)
    expected = shadow.parameters()
    if all(map(math.isfinite, expected.values())) and not shadow.run.diverged:
        live = w.model.network.parameters()
        assert live == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert w.training.latest.step == shadow.run.step_count
        loss = quantity_value(w.model.doc, "loss")
        assert shadow.run.snapshot().total_loss == pytest.approx(loss, rel=1e-9)
        assert num(loss, 4) in panel.message.text()
    else:
        assert "stopped" in panel.message.text()


# ---------------------------------------------------------------------------------------------- the lessons
def test_there_are_lessons_to_play():
    assert LESSONS, "no lessons found"
    kinds = {s.predict.kind for p in LESSONS for s in read_lesson(p).steps if s.predict}
    reveals = {s.reveal.do for p in LESSONS for s in read_lesson(p).steps if s.reveal}
    assert kinds == {"number", "choice", "point"} and reveals == {"step", "play", "open"}


@pytest.mark.parametrize("path", LESSONS, ids=[f"{p.parent.name}/{p.stem}" for p in LESSONS])
def test_a_lesson_played_end_to_end(qtbot, window, path):
    w = window
    open_from_list(qtbot, w, path)
    runner, panel = w.lessons, w.lessons.panel
    lesson = runner.lesson
    shadow = Shadow(lesson)
    assert w.model is runner.model and w.model.network.same_as(shadow.doc.network)
    for i, step in enumerate(lesson.steps):
        assert runner.index == i
        assert f"step {i + 1} of {len(lesson.steps)}" in panel.where.text()
        settle(qtbot, w)
        shadow.setup(step.setup)
        assert w.model.network.parameters() == pytest.approx(shadow.parameters(), rel=1e-9, abs=1e-12)
        assert_setup(w, step)
        assert_looked_at(qtbot, w, step)
        if step.predict is not None:
            assert not panel.show_me.isEnabled()  # predict first
            predict(qtbot, w, shadow)
        if step.reveal is not None:
            show_me(qtbot, w, shadow, step.reveal)
            assert not panel.show_me.isEnabled() and panel.show_me.text() == "Shown"
        press(qtbot, w, panel.next)
    assert runner.lesson is None and panel.pages.currentIndex() == 0
    assert runner.progress.finished(path)
    row = [e.path for e in panel.entries].index(path)
    assert panel.lesson_list.item(row).text().startswith("✓")


# ---------------------------------------------------------------------------------------------- moving about
DEV = TEST_LESSONS / "01_every_kind.json"


def test_back_next_and_restart(qtbot, window):
    w = window
    open_from_list(qtbot, w, DEV)
    runner, panel = w.lessons, w.lessons.panel
    start = dict(w.model.network.parameters())
    assert not panel.back.isEnabled()
    press(qtbot, w, panel.next)
    press(qtbot, w, panel.next)
    assert runner.index == 2 and runner.prediction.kind == "point"
    # a step taken by the learner: Back keeps the network as it is now
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)
    settle(qtbot, w)
    moved = dict(w.model.network.parameters())
    assert moved != start
    press(qtbot, w, panel.back)
    assert runner.index == 1 and runner.prediction.kind == "number"
    assert not runner.marker.shown and w.surface_view.next_point.isVisible()
    assert w.model.network.parameters() == moved
    press(qtbot, w, panel.restart)
    assert runner.index == 0
    settle(qtbot, w)
    assert w.model.network.parameters() == start and w.training.latest.step == 0
    assert not panel.back.isEnabled()


def test_progress_is_kept_for_the_next_window(qtbot, make_window):
    w = make_window(wait="snapshot")
    open_from_list(qtbot, w, DEV)
    for _ in range(3):
        press(qtbot, w, w.lessons.panel.next)
    assert w.lessons.index == 3
    other = make_window(wait="snapshot")
    open_from_list(qtbot, other, DEV)  # a lesson from a file: Open Lesson File… again
    assert other.lessons.index == 3  # where the first window left it


def test_a_bundled_lesson_in_progress_says_continue(qtbot, make_window):
    bundled = [p for p in LESSONS if p.parent != TEST_LESSONS]
    if not bundled:
        pytest.skip("no bundled lessons yet")
    path = bundled[0]
    w = make_window(wait="snapshot")
    w.lessons.lift_speed_cap = True
    open_from_list(qtbot, w, path)
    press(qtbot, w, w.lessons.panel.next)
    press(qtbot, w, w.lessons.panel.to_list)
    row = [e.path for e in w.lessons.panel.entries].index(path)
    n = len(read_lesson(path).steps)
    assert f"(step 2 of {n})" in w.lessons.panel.lesson_list.item(row).text()
    other = make_window(wait="snapshot")
    QTest.keyClick(other, Qt.Key_F2)
    lst = other.lessons.panel.lesson_list
    click(lst.viewport(), lst.visualItemRect(lst.item(row)).center())
    assert other.lessons.panel.start.text() == "Continue"
    click(other.lessons.panel.start)
    assert other.lessons.index == 1


def test_a_broken_lesson_says_why_and_changes_nothing(qtbot, window, tmp_path, monkeypatch):
    w = window
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bpgui-lesson", "version": 1, "title": "x", "document": "xor", '
                   '"steps": [{"text": "a", "look": ["edge:x1->nowhere"]}]}', encoding="utf-8")
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    before = w.model
    assert not w.lessons.open_lesson(bad)
    assert shown and "steps[0].look[0]" in shown[0] and "bad.json" in shown[0]
    assert w.model is before and w.lessons.lesson is None


def test_opening_a_lesson_asks_about_unsaved_changes(qtbot, window, monkeypatch):
    w = window
    w.model.edit_settings("Set learning rate", training=replace(w.model.doc.training, learning_rate=0.25))
    asked = []
    monkeypatch.setattr(w.files, "ask_save_changes", lambda: asked.append(1) or QMessageBox.Cancel)
    before = w.model
    assert not w.lessons.open_lesson(DEV)
    assert asked and w.model is before and w.lessons.lesson is None
    monkeypatch.setattr(w.files, "ask_save_changes", lambda: QMessageBox.Discard)
    assert w.lessons.open_lesson(DEV)
    assert w.model is not before and w.model.display_name == "slope_net"
    # the lesson's own copy is replaced without asking again (Restart)
    w.model.edit_settings("Set learning rate", training=replace(w.model.doc.training, learning_rate=0.2))
    monkeypatch.setattr(w.files, "ask_save_changes", lambda: pytest.fail("asked about the lesson's copy"))
    click(w.lessons.panel.restart)
    assert w.model.doc.training.learning_rate == 0.3


def test_a_reveal_stops_when_the_learner_presses_play(qtbot, window):
    w = window
    open_from_list(qtbot, w, DEV)
    w.lessons.go_to(3)  # play 5 steps, after a number
    w.model.doc.training.steps_per_second = 2.0  # slow enough to interrupt (not an edit)
    w.training._on_settings_change()
    w.lessons.panel.number.setText("1")
    click(w.lessons.panel.check)
    click(w.lessons.panel.show_me)
    assert w.lessons.reveal is not None
    QTest.keyClick(w.view, Qt.Key_Space)  # Play
    qtbot.waitUntil(lambda: w.lessons.reveal is None)
    assert "stopped" in w.lessons.panel.message.text()
    w.training.pause()


def test_parse_guess():
    assert parse_guess("0.08") == 0.08
    assert parse_guess("-1e-3") == -1e-3
    assert parse_guess("8.2e-2") == 8.2e-2
    assert parse_guess(" −0.5 ") == -0.5
    assert parse_guess(".5") == 0.5 and parse_guess("+2") == 2.0
    for bad in ("", "1_0", "nan", "inf", "1e999", "0.5.1", "one", "1,5"):
        assert parse_guess(bad) is None, bad


# ---------------------------------------------------------------------------------------------- the window
def test_f2_opens_the_lessons_under_the_canvas_and_no_stale_tab_bar_covers_them(qtbot, window):
    w = window
    dock = w.lessons.dock
    assert not dock.isVisible()
    QTest.keyClick(w, Qt.Key_F2)
    qtbot.waitUntil(lambda: dock.isVisible())
    assert w.dockWidgetArea(dock) == Qt.BottomDockWidgetArea
    assert w.window_actions.lessons.toolTip() and w.window_actions.lessons.shortcut().toString() == "F2"
    QApplication.processEvents()
    area = dock.geometry()
    for bar in w.findChildren(QTabBar):
        if bar.isVisible() and bar.parentWidget() is w:
            assert not bar.geometry().intersects(area), [bar.tabText(i) for i in range(bar.count())]
    # the surface keeps the full height on the right
    surface = w.findChild(QDockWidget, "surface")
    assert surface.geometry().left() >= area.right()


def test_look_frames_a_control_for_a_moment(qtbot, window, monkeypatch):
    import bpgui.ui.lessons.lesson_targets as targets

    w = window
    monkeypatch.setattr(targets, "FLASH_MS", 200)
    w.lessons.targets.show(["control:learning_rate"])
    qtbot.waitUntil(lambda: any(f.isVisible() for f in w.findChildren(Flash)))
    frame = next(f for f in w.findChildren(Flash) if f.isVisible())
    edit = w.training_panel.lr_edit
    assert frame.geometry().contains(edit.mapTo(w, edit.rect().center()))
    qtbot.waitUntil(lambda: not any(f.isVisible() for f in w.findChildren(Flash)), timeout=3000)


def test_classroom_mode_hides_and_restores_exactly(qtbot, make_window):
    w = make_window(wait="snapshot")
    app = QApplication.instance()
    panel = w.training_panel
    panel.optimizer.setCurrentText("momentum")
    panel.optimizer.activated.emit(panel.optimizer.currentIndex())
    assert panel.hyper["momentum"].isVisible()
    before_font = app.font()
    watched = [panel.hyper["momentum"], panel.data_form.parentWidget(), panel.lr_edit, panel.batch]
    before = [x.isVisible() for x in watched]
    caption = w.surface_view.caption  # a label with a style sheet
    caption_size = caption.font().pointSizeF()
    exports = (w.window_actions.export_window, w.window_actions.copy_window,
               w.window_actions.export_menu.menuAction())
    view_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&View")
    action = w.window_actions.classroom
    assert action in view_menu.actions() and action.toolTip()
    try:
        # from the View menu, with the mouse
        bar = w.menuBar()
        click(bar, bar.actionGeometry(view_menu.menuAction()).center())
        qtbot.waitUntil(view_menu.isVisible)
        item = view_menu.actionGeometry(action).center()
        QTest.mouseMove(view_menu, item)  # over the item first, as a hand moves there
        qtbot.waitUntil(lambda: view_menu.activeAction() is action)
        click(view_menu, item)
        qtbot.waitUntil(lambda: w.classroom.on)
        assert action.isChecked()
        assert not panel.hyper["momentum"].isVisible() and not panel.data_form.parentWidget().isVisible()
        assert panel.lr_edit.isVisible() and panel.batch.isVisible()
        assert not any(a.isVisible() for a in exports)
        assert app.font().pointSizeF() == pytest.approx(before_font.pointSizeF() * SCALE)
        qtbot.waitUntil(lambda: caption.font().pointSizeF() == pytest.approx(caption_size * SCALE))  # laid out
        # a settings change does not bring the hyperparameters back
        panel.optimizer.setCurrentText("adam")
        panel.optimizer.activated.emit(panel.optimizer.currentIndex())
        assert not panel.hyper["beta1"].isVisible()
        panel.optimizer.setCurrentText("momentum")
        panel.optimizer.activated.emit(panel.optimizer.currentIndex())
        # remembered: the next window opens in classroom mode
        other = make_window(wait="snapshot")
        assert other.classroom.on and other.window_actions.classroom.isChecked()
        other.window_actions.classroom.trigger()
        assert not other.classroom.on
        assert app.font().pointSizeF() == pytest.approx(before_font.pointSizeF() * SCALE)  # w is still on
    finally:
        if w.classroom.on:
            action.trigger()
    assert not w.classroom.on
    assert app.font() == before_font
    qtbot.waitUntil(lambda: caption.font().pointSizeF() == caption_size)
    assert [x.isVisible() for x in watched] == before
    assert all(a.isVisible() for a in exports)
    third = make_window(wait="snapshot")
    assert not third.classroom.on


def test_f1_explains_the_view_in_focus(qtbot, window):
    w = window
    slice_dock = w.findChild(QDockWidget, "slice")
    slice_dock.raise_()
    qtbot.waitUntil(lambda: not slice_dock.visibleRegion().isEmpty())
    plot = w.slice_plot.plot_widget if hasattr(w.slice_plot, "plot_widget") else w.slice_plot
    plot.setFocus()
    QTest.keyClick(QApplication.focusWidget() or w, Qt.Key_F1)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in w.findChildren(QMessageBox, "view help")))
    box = next(b for b in w.findChildren(QMessageBox, "view help") if b.isVisible())
    assert "Slice" in box.windowTitle()
    assert "∂E/∂w" in box.text() and "w − η·∂E/∂w" in box.text()
    box.close()
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key_F1)
    qtbot.waitUntil(lambda: any(b.isVisible() and "Network" in b.windowTitle()
                                for b in w.findChildren(QMessageBox, "view help")))
    box = next(b for b in w.findChildren(QMessageBox, "view help") if b.isVisible())
    assert "f(z)" in box.text()
    box.close()
    # the loss view names the network's own loss
    loss_dock = w.findChild(QDockWidget, "loss")
    loss_dock.raise_()
    w.loss_plot.setFocus()
    from bpgui.ui.view_help import current_view, view_help_html

    assert current_view(w) == "loss"
    assert "bce" in view_help_html("loss", w.model.network.loss)


def test_another_network_opened_during_a_lesson_stops_its_checks_until_restart(qtbot, window):
    w = window
    open_from_list(qtbot, w, DEV)
    panel = w.lessons.panel
    press(qtbot, w, panel.next)  # a number to predict
    w.window_actions.new.trigger()  # File > New (the fixture answers Discard)
    assert w.model.display_name != "slope_net"
    assert "Another network is open" in panel.message.text()
    QTest.keyClicks(panel.number, "1")
    press(qtbot, w, panel.check)
    assert "not open any more" in panel.verdict.text() and panel.verdict.property("right") is None
    press(qtbot, w, panel.restart)
    assert w.model.display_name == "slope_net" and w.lessons.attached and w.lessons.index == 0
    assert not panel.message.isVisible()


def test_the_numbers_that_would_give_the_answer_away_are_blurred_until_check(make_window):
    """Lesson 1 asks for ∂E/∂w while the Slice and Surface captions print it: blurred until Check, then sharp."""
    w = make_window(wait="snapshot")
    w.lessons.show_panel()
    assert w.lessons.open_lesson(bundled_lessons()[0])
    w.lessons.go_to(2)  # "The slope": a number prediction of gradient:x->y
    assert w.lessons.prediction is not None and w.lessons.answers_hidden
    for widget in w.lessons.answer_widgets():
        assert widget.graphicsEffect() is not None and widget.graphicsEffect().blurRadius() > 0
    truth = quantity_value(w.model.doc, "gradient:x->y")
    edit = w.lessons.panel.findChild(QLineEdit)
    edit.setFocus()
    QTest.keyClicks(edit, repr(truth))
    QTest.keyClick(edit, Qt.Key_Return)
    assert w.lessons.verdict is not None and w.lessons.verdict.right
    assert not w.lessons.answers_hidden
    assert all(widget.graphicsEffect() is None for widget in w.lessons.answer_widgets())
    w.lessons.go_to(0)  # a step without a prediction: nothing blurred
    assert not any(widget.graphicsEffect() for widget in w.lessons.answer_widgets())


def test_a_choice_after_a_choice_shows_only_its_own_options(make_window):
    """Lesson 5's last two steps both ask yes or no: the second showed four buttons (the first's not yet deleted)."""
    w = make_window(wait="snapshot")
    w.lessons.show_panel()
    assert w.lessons.open_lesson(bundled_lessons()[4])
    w.lessons.go_to(2)
    w.lessons.go_to(3)
    QApplication.processEvents()  # shows the new buttons; deleteLater's deletions wait for the event loop itself
    shown = [b for b in w.lessons.panel.findChildren(QRadioButton) if b.isVisibleTo(w.lessons.panel)]
    assert [b.text() for b in shown] == ["yes", "no"]
