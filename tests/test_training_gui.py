"""Live training in the window: the worker thread, its controls, and what the views get from it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolButton

from bpgui.core.document import load_document
from bpgui.core.training import Trainer
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.editor.network_items import column_x
from bpgui.ui.main_window import MainWindow


@pytest.fixture
def window(make_window):
    return make_window()


def wait_step(qtbot, w, at_least: int, timeout=10_000):
    qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest.step >= at_least, timeout=timeout)


def pause(qtbot, w):
    w.training.pause()
    qtbot.waitUntil(lambda: not w.training.latest.playing and not w.training.playing)


def set_lr(qtbot, w, text: str):
    edit = w.training_panel.lr_edit
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key_Return)


def set_speed(w, text: str):
    """Type a speed into the box next to the speed slider, as a person does."""
    edit = w.training_panel.speed_edit
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key_Backspace)
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key_Return)


def test_play_produces_snapshots_and_a_falling_loss(qtbot, window):
    w = window
    start = w.model.network.parameters()
    w.window_actions.play.trigger()
    wait_step(qtbot, w, 300)
    pause(qtbot, w)
    snap = w.training.latest
    assert w.training.snapshots >= 3
    assert snap.history_steps[0] == 0 and np.all(np.diff(snap.history_steps) > 0)
    assert snap.history_train[-1] < 0.5 * snap.history_train[0]
    # the document holds exactly the snapshot's weights, and they match a headless run of as many steps
    assert w.model.network.parameters() == snap.parameters
    doc = load_document(example_paths()["xor"])
    t = Trainer.from_document(doc)
    t.train(snap.step)
    ref = t.engine.parameter_values()
    assert all(math.isclose(ref[k], v, rel_tol=1e-9, abs_tol=1e-12) for k, v in snap.parameters.items())
    assert snap.parameters != start
    # the canvas draws the trained weights
    for (a, b), item in w.scene.edge_items.items():
        assert item.weight == snap.parameters[f"{a}->{b}"]
    assert f"step {snap.step:,}" in w.run_status.text()


def test_pause_stops_the_step_count(qtbot, window):
    w = window
    w.training.play()
    wait_step(qtbot, w, 50)
    pause(qtbot, w)
    stopped = w.training.latest.step
    qtbot.wait(300)
    assert w.training.latest.step == stopped
    w.training.step()  # the worker is still alive and answers
    qtbot.waitUntil(lambda: w.training.latest.step == stopped + 1)


def test_step_advances_exactly_one_step(qtbot, window):
    w = window
    for k in range(1, 4):
        w.window_actions.step.trigger()
        qtbot.waitUntil(lambda k=k: w.training.latest.step == k)
    qtbot.wait(100)
    assert w.training.latest.step == 3 and not w.training.latest.playing
    assert list(w.training.latest.history_steps) == [0, 1, 2]
    t = Trainer.from_document(load_document(example_paths()["xor"]))
    t.train(3)
    assert w.training.latest.parameters == pytest.approx(t.engine.parameter_values(), rel=1e-12)


def test_step_epoch_with_minibatches(qtbot, window):
    w = window
    w.training_panel.dataset.setCurrentIndex(w.training_panel.dataset.findData("circles"))
    w.training_panel.dataset.activated.emit(w.training_panel.dataset.currentIndex())
    w.training_panel.batch.setValue(32)
    qtbot.waitUntil(lambda: w.training.latest.problem is None)
    n_train = len(w.model.doc.dataset().x_train)
    w.window_actions.epoch.trigger()
    qtbot.waitUntil(lambda: w.training.latest.epoch == 1)
    assert w.training.latest.step == -(-n_train // 32)


def test_a_structural_edit_while_training_is_in_the_next_snapshot(qtbot, window):
    w = window
    w.training.play()
    wait_step(qtbot, w, 20)
    assert w.model.edit("Add h3", lambda n, p: (n.add_neuron("h3", 1, "tanh"), n.add_edge("x1", "h3", 0.25),
                                                 n.add_edge("h3", "y1", -0.5))) is None
    gen = w.training.generation
    qtbot.waitUntil(lambda: w.training.latest.generation == gen)
    snap = w.training.latest
    assert "x1->h3" in snap.names and "h3.bias" in snap.names
    assert snap.playing  # the run went on
    step_at_edit = snap.step
    wait_step(qtbot, w, step_at_edit + 20)
    pause(qtbot, w)
    assert w.model.network.edges[("x1", "h3")] == w.training.latest.parameters["x1->h3"] != 0.25


def test_a_weight_drag_while_training_reaches_the_run(qtbot, window):
    w = window
    set_lr(qtbot, w, "1e-9")  # the run barely moves the weights: what we read back is the drag
    w.training.play()
    wait_step(qtbot, w, 10)
    w.view.auto_fit = False
    w.view.resetTransform()
    w.view.centerOn(column_x(1), 0)
    item = w.scene.edge_items[("h1", "y1")]
    w0 = item.weight
    mid = item.path().pointAtPercent(0.5)
    vp = w.view.viewport()
    a = w.view.mapFromScene(mid)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    for i in range(1, 7):
        QTest.mouseMove(vp, a - QPoint(0, 10 * i))
        qtbot.wait(20)  # snapshots arrive meanwhile; they must not move the dragged edge
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, a - QPoint(0, 60))
    dragged = w.model.network.edges[("h1", "y1")]
    assert dragged == pytest.approx(w0 + 0.6, abs=0.02)
    gen = w.training.generation
    qtbot.waitUntil(lambda: w.training.latest.generation == gen and w.training.latest.step > 0)
    wait_step(qtbot, w, w.training.latest.step + 5)
    assert w.training.latest.parameters["h1->y1"] == pytest.approx(dragged, abs=1e-6)
    assert w.training.latest.playing
    pause(qtbot, w)


def test_a_huge_learning_rate_diverges_pauses_and_restores_finite_weights(qtbot, window):
    w = window
    set_lr(qtbot, w, "1000")
    assert w.model.doc.training.learning_rate == 1000
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.diverged != "" and not w.training.playing)
    assert w.banner.isVisible()
    text = w.banner.text.text()
    assert "diverged" in text and "learning rate 1000" in text and "smaller" in text
    assert w.window_actions.restore.isEnabled()
    stopped = w.training.latest.step
    first = w.training.latest.history_train[0]
    qtbot.wait(200)
    assert w.training.latest.step == stopped  # paused by itself
    QTest.mouseClick(w.banner.restore, Qt.LeftButton)
    qtbot.waitUntil(lambda: w.training.latest.diverged is None)
    snap = w.training.latest
    assert snap.finite and math.isfinite(snap.train_loss)
    assert snap.train_loss < 100 * first
    assert all(math.isfinite(v) for v in w.model.network.parameters().values())
    assert not w.banner.isVisible()


def test_restore_after_a_stall_goes_back_to_its_step_and_says_what_happened(qtbot, window):
    """Regression (issue: "after Restore, the status bar still says the old step and the message says 'finite'
    although every loss was finite"). A learning rate of 50 on xor: the loss jumps from 0.70 to ~10 and stays.
    Expected: the run pauses with a banner that says so; Restore (its button, clicked) goes back to the weights
    before the jump, the status line shows their step, and the message says what was done."""
    w = window
    start = w.model.network.parameters()
    set_lr(qtbot, w, "50")
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.diverged != "" and not w.training.playing)
    text = w.banner.text.text()
    assert "jumped from 0.703" in text and "has not come down" in text and "learning rate 50 " in text
    assert w.training.latest.step > 500 and w.run_status.text().startswith(f"step {w.training.latest.step:,} ·")
    assert w.banner.restore.text() == "Go back to step 0" and w.window_actions.restore.isEnabled()
    QTest.mouseClick(w.banner.restore, Qt.LeftButton)
    qtbot.waitUntil(lambda: w.training.latest.diverged is None)
    assert w.run_status.text().startswith("step 0 · epoch 0 · loss 0.7027"), w.run_status.text()
    message = w.status.text()
    assert "step 0" in message and "before the loss jumped" in message and "finite" not in message, message
    assert w.model.network.parameters() == start  # the document holds the weights of step 0 again
    assert not w.banner.isVisible() and not w.window_actions.restore.isEnabled()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_restore_from_the_menu_after_a_blow_up_shows_the_checkpoint_step(qtbot, window):
    w = window
    set_lr(qtbot, w, "1000")
    w.training.play()
    qtbot.waitUntil(lambda: w.training.diverged != "" and not w.training.playing)
    snap = w.training.latest
    back = snap.restore_step
    assert back is not None and back <= snap.step
    assert w.window_actions.restore.text().replace("&", "") == f"Go Back to Step {back:,}"
    w.window_actions.restore.trigger()
    qtbot.waitUntil(lambda: w.training.latest.diverged is None)
    assert w.training.latest.step == back
    assert w.run_status.text().startswith(f"step {back:,} ·")
    assert f"step {back:,}" in w.status.text() and "Lower the learning rate" in w.status.text()


def test_closing_while_training_stops_the_thread(qtbot, window, qtlog):
    w = window
    w.training.play()
    wait_step(qtbot, w, 20)
    thread = w.training.thread
    assert thread.is_running()
    assert w.close()
    assert thread.is_finished() and not thread.is_running()
    assert not [r for r in qtlog.records if "QThread" in r.message]


def test_training_is_one_undo_step(qtbot, window):
    w = window
    start = w.model.network.copy()
    w.training.play()
    wait_step(qtbot, w, 100)
    assert w.isWindowModified()
    pause(qtbot, w)
    qtbot.waitUntil(lambda: w.model.undo_stack.canUndo())
    assert w.model.undo_stack.undoText().startswith("Train (steps 1–")
    trained = w.model.network.copy()
    w.window_actions.undo.trigger()
    assert w.model.network.same_as(start)
    gen = w.training.generation
    qtbot.waitUntil(lambda: w.training.latest.generation == gen)
    assert w.training.latest.parameters == start.parameters()  # the run took the undo in
    w.window_actions.redo.trigger()
    assert w.model.network.same_as(trained)


def test_space_on_the_canvas_plays_and_pauses_but_space_drag_pans(qtbot, window):
    w = window
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key_Space)
    qtbot.waitUntil(lambda: w.training.latest.playing and w.training.latest.step > 0)
    QTest.keyClick(w.view, Qt.Key_Space)
    qtbot.waitUntil(lambda: not w.training.latest.playing)
    steps = w.training.latest.step
    vp = w.view.viewport()
    QTest.keyPress(w.view, Qt.Key_Space)
    h0 = w.view.horizontalScrollBar().value()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, QPoint(300, 300))
    QTest.mouseMove(vp, QPoint(250, 300))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, QPoint(250, 300))
    QTest.keyRelease(w.view, Qt.Key_Space)
    qtbot.wait(150)
    assert not w.training.playing and w.training.latest.step == steps
    assert w.view.horizontalScrollBar().value() != h0 or w.view.horizontalScrollBar().maximum() == 0


def test_speed_cap_limits_steps_per_second(qtbot, window):
    w = window
    set_speed(w, "20")
    assert w.model.doc.training.steps_per_second == 20
    w.training.play()
    qtbot.wait(1000)
    pause(qtbot, w)
    assert 10 <= w.training.latest.step <= 30


def test_settings_changes_reach_the_run_and_are_saved(qtbot, window, tmp_path):
    w = window
    p = w.training_panel
    p.optimizer.setCurrentText("adam")
    p.optimizer.activated.emit(p.optimizer.currentIndex())
    p.hyper["beta1"].setValue(0.8)
    set_lr(qtbot, w, "0.02")
    p.batch.setValue(2)
    p.freeze_biases.setChecked(True)
    p.seed.setText("7")
    p.seed.editingFinished.emit()
    cfg = w.model.doc.training
    assert (cfg.optimizer, cfg.learning_rate, cfg.batch_size, cfg.train_biases, cfg.seed) == ("adam", 0.02, 2,
                                                                                               False, 7)
    assert cfg.hyper_for_optimizer()["beta1"] == 0.8
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)
    run = w.training.worker.run
    assert type(run.trainer.optimizer).__name__ == "Adam" and run.trainer.optimizer.beta1 == 0.8
    assert run.trainer.batch_size == 2 and run.trainer.optimizer.learning_rate == 0.02
    assert w.training.latest.parameters["y1.bias"] == load_document(example_paths()["xor"]).network.neuron(
        "y1").bias  # frozen
    path = tmp_path / "net.json"
    w.model.save(path)
    saved = load_document(path).training
    assert saved == cfg


def test_bad_settings_are_refused_with_a_message(qtbot, window):
    w = window
    p = w.training_panel
    set_lr(qtbot, w, "-3")
    assert w.model.doc.training.learning_rate == 0.5
    assert "learning rate" in w.status.text()
    i = p.dataset.findData("sine")
    p.dataset.setCurrentIndex(i)
    p.dataset.activated.emit(i)
    assert "1-D inputs" in w.status.text() and "2 input" in w.status.text()
    assert p.dataset.currentIndex() == 0  # back to the table
    assert not w.model.undo_stack.canUndo()


def test_a_network_the_data_does_not_fit_says_so_and_does_not_train(qtbot, window):
    w = window
    assert w.model.edit("Add x3", lambda n, p: n.add_neuron("x3", 0)) is None
    qtbot.waitUntil(lambda: w.training.latest.problem is not None)
    assert "3 inputs" in w.training.latest.problem or "3 input" in w.training.latest.problem
    assert "Cannot train" in w.run_status.text()
    w.training.play()
    qtbot.wait(100)
    assert not w.training.playing and w.training.latest.step == 0
    w.window_actions.undo.trigger()
    qtbot.waitUntil(lambda: w.training.latest.problem is None)
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)


def test_reset_gives_seeded_weights_and_step_zero(qtbot, window):
    w = window
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)
    w.window_actions.reset.trigger()
    qtbot.waitUntil(lambda: w.training.latest.step == 0 and len(w.training.latest.history_steps) == 0)
    from bpgui.core.training_run import initial_parameters

    expected = initial_parameters(w.model.network, w.model.doc.training.seed)
    assert w.model.network.parameters() == expected
    assert w.training.latest.parameters == expected
    assert w.model.undo_stack.undoText() == "Reset weights"


def test_opening_another_document_while_training(qtbot, window):
    w = window
    w.training.play()
    wait_step(qtbot, w, 20)
    w.files.open_example(example_paths()["sine"], "sine")
    qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest.grid_y is None
                    and w.training.latest.step == 0)
    assert not w.training.playing
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)
    assert "x1->h1" in w.training.latest.names or len(w.training.latest.names) == len(
        w.model.network.parameter_names())


def test_snapshots_come_no_faster_than_the_screen(qtbot, window):
    w = window
    w.training.play()
    qtbot.wait(200)
    n0 = w.training.snapshots
    qtbot.wait(1000)
    n1 = w.training.snapshots
    pause(qtbot, w)
    assert n1 - n0 <= 65
    assert n1 - n0 >= 5


def test_a_window_deleted_while_training_stops_its_thread(qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    w = MainWindow(DocumentModel(load_document(example_paths()["xor"])))
    thread = w.training.thread
    w.training.play()
    qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest.step > 10)
    w.deleteLater()  # no close event: the controller's destruction must stop the thread (else Qt aborts)
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    qtbot.wait(10)
    del thread


def test_typing_a_weight_while_training_is_not_overwritten(qtbot, window):
    w = window
    w.scene.edge_items[("h1", "y1")].setSelected(True)
    spin = w.panel.weight
    assert spin.isVisible()
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin.lineEdit(), "2.5")
    w.training.play()
    wait_step(qtbot, w, 100)  # many snapshots redraw the panel meanwhile
    assert spin.lineEdit().text() == "2.5"
    QTest.keyClick(spin.lineEdit(), Qt.Key_Return)
    gen = w.training.generation
    assert w.model.undo_stack.undoText() == "Set weight h1 → y1"
    qtbot.waitUntil(lambda: w.training.latest.generation >= gen)
    pause(qtbot, w)
    undo_text = w.model.undo_stack.undoText()
    assert undo_text.startswith("Train")  # training after the edit went on from the typed value
    w.window_actions.undo.trigger()
    assert w.model.network.edges[("h1", "y1")] == 2.5


# ---------------------------------------------------------------------------------------------- review regressions
def test_undo_while_playing_pauses_and_reaches_earlier_edits(qtbot, window):
    w = window
    set_lr(qtbot, w, "0.3")
    w.training.play()
    wait_step(qtbot, w, 200)
    undo = w.window_actions.undo
    assert undo.isEnabled() and undo.text() == "&Undo Training"  # pending training is undoable
    w.window_actions.undo.trigger()  # records and undoes the training, and pauses
    qtbot.waitUntil(lambda: not w.training.latest.playing)
    w.window_actions.undo.trigger()
    assert w.model.doc.training.learning_rate == 0.5


def test_consecutive_training_is_one_step_labelled_with_its_whole_range(qtbot, window):
    w = window
    for k in range(1, 4):
        w.window_actions.step.trigger()
        qtbot.waitUntil(lambda k=k: w.training.latest.step == k)
    qtbot.waitUntil(lambda: w.model.undo_stack.count() == 1)
    assert w.model.undo_stack.undoText() == "Train (steps 1–3)"


def test_a_slider_drag_while_playing_is_one_undo_step(qtbot, window):
    w = window
    w.training.play()
    wait_step(qtbot, w, 50)
    slider = w.training_panel.lr_slider
    for _ in range(10):
        slider.setValue(slider.value() - 1)
        qtbot.wait(15)
    texts = [w.model.undo_stack.text(i) for i in range(w.model.undo_stack.count())]
    assert sum(t.startswith("Set learning rate") for t in texts) == 1
    pause(qtbot, w)


def test_a_speed_change_keeps_the_minibatch_order(qtbot, window):
    w = window
    p = w.training_panel
    i = p.dataset.findData("circles")
    p.dataset.setCurrentIndex(i)
    p.dataset.activated.emit(i)
    p.batch.setValue(32)
    for k in (1, 2):
        w.window_actions.step.trigger()
        qtbot.waitUntil(lambda k=k: w.training.latest.step == k)
    set_speed(w, "50")
    w.window_actions.epoch.trigger()
    n_train = len(w.model.doc.dataset().x_train)
    qtbot.waitUntil(lambda: w.training.latest.epoch == 1)
    assert w.training.latest.step == -(-n_train // 32)  # the epoch ended where it would have


def test_a_weight_drag_while_playing_leaves_the_other_weights_training(qtbot, window):
    w = window
    w.training.play()
    wait_step(qtbot, w, 20)
    before = w.model.network.parameters()
    w.model.begin_live_change()
    for k in range(20):
        w.model.network.set_weight("h1", "y1", before["h1->y1"] + 0.01 * k)
        qtbot.wait(10)
    run = w.training.worker.run
    trained = run.parameter_values()
    w.model.commit_live_change("drag", w.model.state())
    pause(qtbot, w)
    # the other weights went on training during the drag rather than being reset to their values at its start
    assert trained["x1->h1"] != before["x1->h1"]
    assert run.step_count > 1000 and run.snapshot().train_loss < 0.5 * run.snapshot().history_train[0]


def test_a_slow_speed_cap_takes_its_first_step_at_once(qtbot, window):
    w = window
    set_speed(w, "1")
    w.training.play()
    qtbot.waitUntil(lambda: w.training.latest.step >= 1, timeout=400)
    pause(qtbot, w)


def test_the_banner_goes_when_the_run_recovers(qtbot, window):
    w = window
    set_lr(qtbot, w, "1000")
    w.training.play()
    qtbot.waitUntil(lambda: w.training.diverged != "")
    assert w.banner.isVisible()
    set_lr(qtbot, w, "0.5")
    w.training.play()
    qtbot.waitUntil(lambda: w.training.latest.playing and w.training.latest.diverged is None)
    assert not w.banner.isVisible() and not w.window_actions.restore.isEnabled()
    pause(qtbot, w)


def test_space_released_elsewhere_does_not_leave_the_canvas_panning(qtbot, window):
    w = window
    w.view.setFocus()
    QTest.keyPress(w.view, Qt.Key_Space)
    w.training_panel.lr_edit.setFocus()
    qtbot.waitUntil(lambda: not w.view.hasFocus())
    assert not w.view._space


@pytest.mark.parametrize("text", ["abc", "1_0", "nan", "inf", "-1", "0"])
def test_bad_learning_rates_are_refused(qtbot, window, text):
    w = window
    set_lr(qtbot, w, text)
    assert w.model.doc.training.learning_rate == 0.5
    assert "learning rate" in w.status.text()


def test_a_bad_epsilon_is_not_clamped_into_the_document(qtbot, window):
    w = window
    p = w.training_panel
    p.optimizer.setCurrentText("adam")
    p.optimizer.activated.emit(p.optimizer.currentIndex())
    eps = p.hyper["eps"]
    for text in ("nan", "inf", "5"):
        eps.lineEdit().selectAll()
        QTest.keyClicks(eps.lineEdit(), text)
        QTest.keyClick(eps.lineEdit(), Qt.Key_Return)
        assert w.model.doc.training.hyper_for_optimizer()["eps"] == 1e-8


def test_a_blown_up_step_is_not_applied(qtbot, window):
    w = window
    set_lr(qtbot, w, "1000")
    w.training.play()
    qtbot.waitUntil(lambda: w.training.diverged != "")
    snap = w.training.latest
    assert f"step {snap.step:,}" in snap.diverged  # the run stands at the step whose loss blew up


def test_an_error_in_the_worker_stops_training_says_so_and_the_app_goes_on(qtbot, window, monkeypatch):
    from bpgui.core.training_run import TrainingRun

    w = window
    real_run = TrainingRun.run

    def broken(self, *a, **k):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr(TrainingRun, "run", broken)
    w.training.play()
    qtbot.waitUntil(lambda: w.banner.isVisible() and not w.training.playing)
    assert "internal error" in w.banner.text.text() and "ZeroDivisionError" in w.banner.text.text()
    assert w.training.thread.is_running()
    monkeypatch.setattr(TrainingRun, "run", real_run)
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 1)  # the thread survived and trains again
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 0.3)) is None  # the window still edits


# ---------------------------------------------------------------------------------------------- the speed control
def slider_handle(slider) -> QPoint:
    """The centre of a slider's handle, in its own coordinates."""
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    return slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, slider).center()


def drag_slider(slider, dx_steps) -> None:
    """Press on the handle and drag it to the right in small moves (one per entry, in pixels), then release."""
    p = slider_handle(slider)
    QTest.mousePress(slider, Qt.LeftButton, Qt.NoModifier, p)
    for dx in dx_steps:
        p = QPoint(p.x() + dx, p.y())
        QTest.mouseMove(slider, p)
    QTest.mouseRelease(slider, Qt.LeftButton, Qt.NoModifier, p)


def test_every_bundled_example_opens_at_a_watchable_speed(qtbot, make_window):
    """The issue: no example set a speed cap, so XOR trained at ~27,000 steps/s and was over before it could be
    seen. Each example now opens at a speed a person can follow, shown next to the run buttons."""
    from bpgui.ui.training.training_panel import SPEEDS, UNLIMITED

    for name in example_paths():
        w = make_window(name, unlimited=False, wait=None)
        sps = w.model.doc.training.steps_per_second
        assert sps is not None and 1 <= sps <= 50, (name, sps)
        p = w.training_panel
        assert p.speed_edit.text() == f"{sps:g} steps/s"
        assert p.speed_slider.value() != UNLIMITED and SPEEDS[p.speed_slider.value()] == sps
        # right under the run buttons: the row below Play
        play = next(b for b in p.findChildren(QToolButton) if b.defaultAction() is w.window_actions.play)
        top = p.speed_slider.mapTo(p, QPoint(0, 0)).y()
        assert 0 < top - play.mapTo(p, QPoint(0, 0)).y() < 2 * play.height()
        w.close()


def test_dragging_the_speed_slider_is_one_undo_step_and_sets_the_document(qtbot, make_window):
    from bpgui.ui.training.training_panel import SPEEDS

    w = make_window(unlimited=False)
    p, stack = w.training_panel, w.model.undo_stack
    assert w.model.doc.training.steps_per_second == 30
    count = stack.count()
    drag_slider(p.speed_slider, [3] * 15)  # to the right, over several stops
    sps = w.model.doc.training.steps_per_second
    assert sps is not None and sps > 30 and sps == SPEEDS[p.speed_slider.value()]
    assert p.speed_edit.text() == f"{sps:g} steps/s"
    assert stack.count() == count + 1 and stack.undoText() == f"Limit speed to {sps:g} steps/s"
    drag_slider(p.speed_slider, [40] * 20)  # another drag, to the far right end: no limit
    assert w.model.doc.training.steps_per_second is None and p.speed_edit.text() == "unlimited"
    assert stack.count() == count + 2 and stack.undoText() == "Unlimited speed"
    w.window_actions.undo.trigger()
    assert w.model.doc.training.steps_per_second == sps and p.speed_edit.text() == f"{sps:g} steps/s"
    w.window_actions.undo.trigger()
    assert w.model.doc.training.steps_per_second == 30
    assert p.speed_edit.text() == "30 steps/s" and SPEEDS[p.speed_slider.value()] == 30


def test_the_speed_slider_follows_the_keyboard(qtbot, make_window):
    w = make_window(unlimited=False)
    s = w.training_panel.speed_slider
    s.setFocus()
    QTest.keyClick(s, Qt.Key_End)
    assert w.model.doc.training.steps_per_second is None
    QTest.keyClick(s, Qt.Key_Home)
    assert w.model.doc.training.steps_per_second == 1 and w.training_panel.speed_edit.text() == "1 step/s"
    QTest.keyClick(s, Qt.Key_Right)
    assert w.model.doc.training.steps_per_second == 1.5


@pytest.mark.parametrize("typed,shown,value", [
    ("0.5", "0.5 steps/s", 0.5), ("12 steps/s", "12 steps/s", 12.0), ("1,500", "1,500 steps/s", 1500.0),
    ("unlimited", "unlimited", None), ("0", "unlimited", None), ("2.5/s", "2.5 steps/s", 2.5),
])
def test_a_typed_speed_is_exact_and_the_slider_goes_to_the_nearest_stop(qtbot, make_window, typed, shown, value):
    from bpgui.ui.training.training_panel import SPEEDS, UNLIMITED

    w = make_window(unlimited=False)
    set_speed(w, typed)
    p = w.training_panel
    assert w.model.doc.training.steps_per_second == value
    assert p.speed_edit.text() == shown
    if value is None:
        assert p.speed_slider.value() == UNLIMITED
    else:
        nearest = min(SPEEDS, key=lambda v: abs(math.log(v / value)))
        assert SPEEDS[p.speed_slider.value()] == nearest


@pytest.mark.parametrize("typed", ["fast", "-3", "nan", "2e6", ""])
def test_a_bad_speed_is_refused_and_says_why(qtbot, make_window, typed):
    w = make_window(unlimited=False)
    count = w.model.undo_stack.count()
    set_speed(w, typed)
    assert w.model.doc.training.steps_per_second == 30 and w.model.undo_stack.count() == count
    assert "speed" in w.status.text() and "unlimited" in w.status.text()


def test_a_fractional_speed_from_a_file_shows_as_it_is(qtbot, make_window, tmp_path):
    doc = load_document(example_paths()["xor"])
    doc.training.steps_per_second = 0.25
    path = tmp_path / "slow.json"
    path.write_text(doc.to_json(), encoding="utf-8")
    w = make_window(str(path), unlimited=False)
    assert w.training_panel.speed_edit.text() == "0.25 steps/s" and w.training_panel.speed_slider.value() == 0
    assert w.model.doc.training.steps_per_second == 0.25  # showing it did not change it


def test_step_and_step_epoch_stay_exact_at_a_slow_speed_and_play_keeps_to_it(qtbot, make_window):
    """At 5 steps/s the Step button (clicked) still makes exactly one step and Step Epoch exactly one epoch at
    once; Play makes about 5 steps a second (checked loosely: never more than the cap allows)."""
    import time

    w = make_window("circles", unlimited=False)
    p = w.training_panel
    p.batch.setValue(32)
    n_train = len(w.model.doc.dataset().x_train)
    per_epoch = -(-n_train // 32)
    set_speed(w, "5")
    assert w.model.doc.training.steps_per_second == 5

    def button(action):
        return next(b for b in p.findChildren(QToolButton) if b.defaultAction() is action)

    QTest.mouseClick(button(w.window_actions.step), Qt.LeftButton)
    qtbot.waitUntil(lambda: w.training.latest.step == 1)
    QTest.mouseClick(button(w.window_actions.epoch), Qt.LeftButton)
    qtbot.waitUntil(lambda: w.training.latest.epoch == 1)
    assert w.training.latest.step == per_epoch  # the rest of the first epoch, at once (not 5 a second)
    qtbot.wait(300)
    assert w.training.latest.step == per_epoch and not w.training.playing
    QTest.mouseClick(button(w.window_actions.step), Qt.LeftButton)
    qtbot.waitUntil(lambda: w.training.latest.step == per_epoch + 1)
    start = w.training.latest.step
    t0 = time.perf_counter()
    QTest.mouseClick(button(w.window_actions.play), Qt.LeftButton)
    qtbot.wait(1500)
    pause(qtbot, w)
    elapsed = time.perf_counter() - t0
    made = w.training.latest.step - start
    assert 1 <= made <= 5 * elapsed + 1, (made, elapsed)


def test_typing_a_number_of_points_makes_the_data_once_and_the_outputs_draw_a_sample(qtbot, make_window,
                                                                                    monkeypatch):
    """The Data box's points field, typed as a user does: the window makes the 20,000 points once (checking the
    edit and showing it share the data set: 100,000 points take a while to make), and the Outputs view draws a
    sample of them and says so."""
    import threading

    from bpgui.core import document as document_module
    from bpgui.ui.training.output_plot import MAX_DRAWN

    w = make_window("circles")
    made = []
    generate = document_module.generate
    monkeypatch.setattr(document_module, "generate", lambda *a, **k: (
        made.append((a[1], threading.current_thread() is threading.main_thread())), generate(*a, **k))[1])
    edit = w.training_panel.points.lineEdit()
    edit.selectAll()
    QTest.keyClicks(edit, "20000")
    QTest.keyClick(edit, Qt.Key_Return)
    assert w.model.doc.data.n == 20_000
    assert [n for n, in_window in made if in_window] == [20_000]  # once, in the window's thread
    assert w.training_panel.data_info.text() == "16,000 training, 4,000 test points"
    plot = w.output_plot
    assert len(plot.train_points.data) + len(plot.test_points.data) == MAX_DRAWN
    assert [label.text for _, label in plot.legend.items][-1] == "showing a sample of 2,000 of 20,000 points"
