"""The training options in the window: the More options controls (weight decay, schedule, initialisation, where Play
stops), Reset with the document's initialisation, the current η, the loss plot's total and the gradient views of
E + R. Real widgets in a real window (the ``make_window`` fixture); numbers against core or by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from bpgui.core.document import load_document
from bpgui.core.engine import Engine
from bpgui.core.initialization import INIT_KINDS, ZEROS_WARNING, Init, initial_parameters
from bpgui.core.regularization import WeightDecay, is_weight
from bpgui.core.schedules import Schedule, learning_rates
from bpgui.core.training import Trainer
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.text import num


def type_into(edit, text: str) -> None:
    """Type ``text`` into a line edit as a person does, and press Enter."""
    edit.setFocus()
    edit.selectAll()
    QTest.keyClick(edit, Qt.Key_Backspace)
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key_Return)


def choose(combo, text: str) -> None:
    """Pick ``text`` in a combo box as its popup does: the item becomes current, and it reports the choice (the
    arrow keys would report every item on the way)."""
    i = combo.findText(text)
    assert i >= 0, text
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def xor_with(**training) -> DocumentModel:
    """The bundled xor example with some training options set."""
    doc = load_document(example_paths()["xor"])
    for key, value in training.items():
        setattr(doc.training, key, value)
    model = DocumentModel(doc)
    model.display_name = "xor"
    return model


def penalty_by_hand(parameters: dict[str, float], lam: float) -> float:
    """(λ/2)·Σw² over the weights (not the biases), summed here without the engine."""
    return 0.5 * lam * math.fsum(v * v for k, v in parameters.items() if "->" in k)


# ---------------------------------------------------------------------------------------------- the controls
def test_the_options_fold_away_and_their_header_says_what_is_set(qtbot, make_window):
    w = make_window()
    o = w.training_panel.options
    assert not o.is_expanded() and not o.body.isVisible()  # nothing set: folded
    QTest.mouseClick(o.toggle, Qt.LeftButton)
    assert o.is_expanded() and o.body.isVisible() and o.toggle.text() == "More options"
    choose(o.decay_kind, "l2")
    QTest.mouseClick(o.toggle, Qt.LeftButton)
    assert not o.body.isVisible() and o.toggle.text() == "More options: l2 λ 0.001"
    # a document that sets an option opens with them unfolded
    w2 = make_window(xor_with(schedule=Schedule("cosine", steps=100, min=0.0)))
    assert w2.training_panel.options.is_expanded()


def test_weight_decay_controls_edit_the_document_one_undo_step_each(qtbot, make_window):
    w = make_window()
    o = w.training_panel.options
    o.set_expanded(True)
    assert not o.decay_lambda.isVisible()
    choose(o.decay_kind, "l2")
    assert w.model.doc.training.weight_decay == WeightDecay("l2", 0.001)
    assert w.model.undo_stack.undoText() == "Use l2 weight decay (λ = 0.001)"
    assert o.decay_lambda.isVisible() and o.decay_lambda.text() == "0.001"
    assert "E + (λ/2)·Σw², λ = 0.001" in w.status.text()
    type_into(o.decay_lambda, "0.02")
    assert w.model.doc.training.weight_decay == WeightDecay("l2", 0.02)
    choose(o.decay_kind, "l1")
    assert w.model.doc.training.weight_decay == WeightDecay("l1", 0.02)  # λ kept
    assert "λ·Σ|w|" in o.decay_kind.toolTip()
    # a bad λ is refused, says why, and changes nothing
    type_into(o.decay_lambda, "-1")
    assert w.model.doc.training.weight_decay == WeightDecay("l1", 0.02)
    assert "λ must be a number from 0" in w.status.text() and o.decay_lambda.styleSheet()
    for expected in (WeightDecay("l2", 0.02), WeightDecay("l2", 0.001), None):
        w.window_actions.undo.trigger()
        assert w.model.doc.training.weight_decay == expected
        assert o.decay_kind.currentText() == (expected.kind if expected else "none")
    assert not w.model.undo_stack.canUndo()
    w.window_actions.redo.trigger()
    assert w.model.doc.training.weight_decay == WeightDecay("l2", 0.001)
    choose(o.decay_kind, "none")
    assert w.model.doc.training.weight_decay is None and not o.decay_lambda.isVisible()


def test_schedule_controls_show_each_kinds_fields_and_edit_the_document(qtbot, make_window):
    w = make_window()
    o = w.training_panel.options
    o.set_expanded(True)
    assert not o.schedule_fields.isVisible()
    choose(o.schedule_kind, "step")
    assert w.model.doc.training.schedule == Schedule("step", every=100, factor=0.5)
    assert [e.isVisible() for e in (o.schedule_every, o.schedule_factor, o.schedule_steps, o.schedule_min)] == \
        [True, True, False, False]
    type_into(o.schedule_every, "25")
    type_into(o.schedule_factor, "0.8")
    assert w.model.doc.training.schedule == Schedule("step", every=25, factor=0.8)
    assert w.model.undo_stack.undoText() == "Schedule the learning rate: ×0.8 every 25 steps"
    type_into(o.schedule_factor, "1.5")  # schedules decay: refused, with the core's reason
    assert w.model.doc.training.schedule.factor == 0.8 and "factor must be above 0 and at most 1" in \
        w.status.text()
    choose(o.schedule_kind, "exponential")
    assert w.model.doc.training.schedule == Schedule("exponential", factor=0.999)
    choose(o.schedule_kind, "cosine")
    assert [e.isVisible() for e in (o.schedule_every, o.schedule_factor, o.schedule_steps, o.schedule_min)] == \
        [False, False, True, True]
    type_into(o.schedule_steps, "2,000")
    type_into(o.schedule_min, "0.001")
    assert w.model.doc.training.schedule == Schedule("cosine", steps=2000, min=0.001)
    choose(o.schedule_kind, "step")  # the step schedule comes back as it was left
    assert w.model.doc.training.schedule == Schedule("step", every=25, factor=0.8)
    for expected in (Schedule("cosine", steps=2000, min=0.001), Schedule("cosine", steps=2000, min=0.0),
                     Schedule("cosine", steps=1000, min=0.0), Schedule("exponential", factor=0.999),
                     Schedule("step", every=25, factor=0.8), Schedule("step", every=25, factor=0.5),
                     Schedule("step", every=100, factor=0.5), None):
        w.window_actions.undo.trigger()
        assert w.model.doc.training.schedule == expected
        assert o.schedule_kind.currentText() == (expected.kind if expected else "none")


def test_initialisation_controls_and_the_zeros_warning(qtbot, make_window):
    w = make_window()
    o = w.training_panel.options
    o.set_expanded(True)
    assert not o.init_scale.isVisible() and not o.init_warning.isVisible()
    choose(o.init_kind, "uniform")
    assert w.model.doc.training.init == Init("uniform", range=0.5)
    assert o.init_scale.isVisible() and o.init_scale_label.text() == "±"
    type_into(o.init_scale, "0.3")
    assert w.model.doc.training.init == Init("uniform", range=0.3)
    type_into(o.init_scale, "0")
    assert w.model.doc.training.init == Init("uniform", range=0.3) and "the range must be above 0" in \
        w.status.text()
    choose(o.init_kind, "normal")
    assert w.model.doc.training.init == Init("normal", std=0.5) and o.init_scale_label.text() == "σ"
    choose(o.init_kind, "zeros")
    assert w.model.doc.training.init == Init("zeros")
    # the symmetry warning, next to the control and in the status bar
    assert o.init_warning.isVisible() and ZEROS_WARNING in o.init_warning.text()
    assert w.status.text() == ZEROS_WARNING
    o.set_expanded(False)
    assert "zeros ⚠" in o.toggle.text()
    o.set_expanded(True)
    for expected in (Init("normal", std=0.5), Init("uniform", range=0.3), Init("uniform", range=0.5), Init()):
        w.window_actions.undo.trigger()
        assert w.model.doc.training.init == expected and o.init_kind.currentText() == expected.kind
    assert not o.init_warning.isVisible()


def test_the_options_are_saved_with_the_document(qtbot, make_window, tmp_path):
    w = make_window()
    o = w.training_panel.options
    o.set_expanded(True)
    choose(o.decay_kind, "l1")
    choose(o.schedule_kind, "cosine")
    choose(o.init_kind, "he")
    path = tmp_path / "options.json"
    w.model.save(path)
    t = load_document(path).training
    assert (t.weight_decay, t.schedule, t.init) == (WeightDecay("l1", 0.001), Schedule("cosine", steps=1000, min=0.0),
                                                    Init("he"))


# ---------------------------------------------------------------------------------------------- Reset
@pytest.mark.parametrize("kind", INIT_KINDS)
def test_reset_draws_the_documents_initialisation_from_the_seed(qtbot, make_window, kind):
    w = make_window()
    o = w.training_panel.options
    o.set_expanded(True)
    choose(o.init_kind, kind)
    type_into(w.training_panel.seed, "11")
    w.training.train_steps(5)
    qtbot.waitUntil(lambda: w.training.latest.step == 5)
    w.window_actions.reset.trigger()
    qtbot.waitUntil(lambda: w.training.latest.step == 0 and len(w.training.latest.history_steps) == 0)
    init = w.model.doc.training.init
    assert init.kind == kind
    expected = initial_parameters(w.model.network, 11, init)
    assert w.model.network.parameters() == expected and w.training.latest.parameters == expected
    weights = [v for k, v in expected.items() if is_weight(k)]
    assert all(v == 0.0 for v in weights) == (kind == "zeros")
    assert w.model.undo_stack.undoText() == "Reset weights"
    assert init.describe() in w.status.text() and "seed 11" in w.status.text()
    assert (ZEROS_WARNING in w.status.text()) == (kind == "zeros")
    # another seed, other weights (all but zeros)
    type_into(w.training_panel.seed, "12")
    w.window_actions.reset.trigger()
    other = initial_parameters(w.model.network, 12, init)
    assert w.model.network.parameters() == other
    assert (other == expected) == (kind == "zeros")


# ---------------------------------------------------------------------------------------------- the current η
def test_the_current_learning_rate_is_the_schedules(qtbot, make_window):
    schedule = Schedule("cosine", steps=60, min=0.01)
    w = make_window(xor_with(schedule=schedule))
    p = w.training_panel
    base = w.model.doc.training.learning_rate
    assert p.lr_now.isVisible() and p.lr_now.text().startswith(f"now η = {num(base, 4)}")
    rates = learning_rates(schedule, base, 61)
    for n in (17, 45):
        w.training.train_steps(n - w.training.latest.step)
        qtbot.waitUntil(lambda n=n: w.training.latest.step == n)
        assert w.training.latest.learning_rate_now == rates[n]
        assert p.lr_now.text() == f"now η = {num(rates[n], 4)} (cosine down to 0.01 over 60 steps)"
    # with the schedule off the line goes, and the field keeps η₀
    o = p.options
    o.set_expanded(True)
    choose(o.schedule_kind, "none")
    assert not p.lr_now.isVisible() and p.lr_edit.text() == f"{base:g}"


# ---------------------------------------------------------------------------------------------- the loss plot
def test_the_loss_plot_draws_the_data_loss_and_the_total(qtbot, make_window):
    lam = 0.05
    w = make_window(xor_with(weight_decay=WeightDecay("l2", lam)))
    plot = w.loss_plot
    w.training.train_steps(40)
    qtbot.waitUntil(lambda: w.training.latest.step == 40)
    before = w.training.latest.parameters  # the weights of step 40, recorded by the next step
    w.training.step()
    qtbot.waitUntil(lambda: w.training.latest.step == 41)
    snap = w.training.latest
    assert snap.history_steps[-1] == 40
    r = snap.history_total[-1] - snap.history_train[-1]
    assert r == pytest.approx(penalty_by_hand(before, lam), rel=1e-9)
    assert snap.total_loss - snap.train_loss == pytest.approx(penalty_by_hand(snap.parameters, lam), rel=1e-9)
    # the curves: E solid, E + R thin and dashed, named in the legend
    assert plot.has_total()
    assert np.array_equal(plot.train_curve.xData, snap.history_steps)
    assert np.allclose(plot.train_curve.yData, snap.history_train, rtol=1e-12)
    assert np.allclose(plot.total_curve.yData, snap.history_total, rtol=1e-12)
    assert np.all(plot.total_curve.yData > plot.train_curve.yData)
    assert plot.total_curve.opts["pen"].style() == Qt.DashLine
    assert plot.total_label.isVisible() and plot.total_label.textItem.toPlainText() == "train total E + R"
    # ...at the end of its curve, above every point of the curve under it
    assert plot.total_label.pos().x() == snap.history_steps[-1]
    box = plot.plot_item.vb.mapSceneToView(plot.total_label.mapRectToScene(plot.total_label.boundingRect()))
    box = box.boundingRect()
    under = (snap.history_steps >= box.left()) & (snap.history_steps <= box.right())
    assert under.sum() >= 5 and np.all(np.log10(snap.history_total[under]) <= min(box.top(), box.bottom()) + 1e-9)
    # hovering names both, with R
    vb = plot.plot_item.vb
    view = plot.plot_widget
    y = np.log10(snap.history_train[20]) if plot.is_log() else snap.history_train[20]
    mouse = view.mapFromScene(vb.mapViewToScene(QPointF(20, y)))
    QTest.mouseMove(view.viewport(), mouse)
    text = plot.hover_text.textItem.toPlainText()
    i = int(np.argmin(np.abs(snap.history_steps - vb.mapSceneToView(view.mapToScene(mouse)).x())))
    train, total = snap.history_train[i], snap.history_total[i]
    assert text == (f"step {snap.history_steps[i]:,} · train E {train:.4g}\n"
                    f"total E + R {total:.4g} (R = {total - train:.4g})")
    # without a weight decay there is no total to draw
    o = w.training_panel.options
    o.set_expanded(True)
    choose(o.decay_kind, "none")
    w.window_actions.reset.trigger()
    w.training.train_steps(3)
    qtbot.waitUntil(lambda: w.training.latest.step == 3)
    assert not plot.has_total() and len(plot.total_curve.yData or []) == 0
    assert not plot.total_label.isVisible()


# ---------------------------------------------------------------------------------------------- the gradient views
def test_every_gradient_view_is_of_the_total_and_says_so(qtbot, make_window):
    lam = 0.05
    decay = WeightDecay("l2", lam)
    w = make_window(xor_with(weight_decay=decay), wait="surface")
    w.training.train_steps(30)
    qtbot.waitUntil(lambda: w.training.latest.step == 30)
    w.findChild(QDockWidget, "slice").raise_()
    qtbot.waitUntil(lambda: w.surface.settled and w.surface.result is not None
                    and w.surface.result.slice_values is not None, timeout=20_000)
    w.surface.refresh_views()
    snap = w.training.latest
    net = w.model.network
    d = w.model.dataset()
    total = Engine(net, decay).loss_value(d.x_train, d.t_train)
    assert snap.total_loss == pytest.approx(total, rel=1e-12)
    assert snap.total_loss - snap.train_loss == pytest.approx(penalty_by_hand(net.parameters(), lam), rel=1e-9)
    # the surface at the current point: its E + R, in the result, the path and the slice
    result = w.surface.result
    assert result.current_loss == pytest.approx(snap.total_loss, rel=1e-12)
    assert w.surface.path.loss[-1] == snap.total_loss
    mid = len(result.slice_values) // 2
    assert result.slice_values[mid] == net.get_parameter(w.surface.pair[0])
    assert result.slice_losses[mid] == pytest.approx(snap.total_loss, rel=1e-9)
    # a grid point away from the current one: E + R there, worked out independently, and not E alone
    surf = result.surface
    x_name, y_name = w.surface.pair
    probe = net.copy()
    probe.set_parameters({x_name: float(surf.x[3]), y_name: float(surf.y[5])})
    e_only = Engine(probe).loss_value(d.x_train, d.t_train)
    assert surf.loss[5, 3] == pytest.approx(e_only + penalty_by_hand(probe.parameters(), lam), rel=1e-6)
    assert abs(surf.loss[5, 3] - e_only) > 1e-3
    # the words
    formula = decay.formula()
    caption = w.surface_view.caption.text()
    assert caption.startswith(f"E + R = {formula}, over") and f"here E + R = {num(snap.total_loss, 4)}." in caption
    assert w.surface_view.colorbar.getAxis("right").labelText == "log₁₀ (E + R)"
    assert formula in w.slice_plot.caption.text()
    assert w.slice_plot.plot_item.getAxis("left").labelText == "loss E + R"
    w.findChild(QDockWidget, "directions").raise_()
    w.surface.refresh_views()
    assert formula in w.direction_plot.caption.text()
    # the chain rule of a weight: the data's part and λ·w, adding up to the snapshot's gradient
    w.findChild(QDockWidget, "chain rule").raise_()
    w.scene.edge_items[("h1", "y1")].setSelected(True)
    text = w.chain_rule.text()
    g = dict(zip(snap.names, snap.gradient.tolist()))["h1->y1"]
    assert "∂(E + R)/∂w" in text and "+ λ·w" in text and num(g, 8) in text
    assert num(lam * net.get_parameter("h1->y1"), 8) in text
    assert "(λ/2)·Σw²" in text and "biases are not decayed" in text
    # a step view: its caption says its E is the total
    w.findChild(QDockWidget, "step").raise_()
    qtbot.waitUntil(lambda: w.step_waterfall.anatomy is not None, timeout=10_000)
    assert w.step_waterfall.caption.text().startswith(f"E here is the total {formula}")


def test_turning_weight_decay_on_redraws_the_surface_of_the_total(qtbot, make_window):
    w = make_window(wait="surface")
    before = w.surface.result.current_loss
    o = w.training_panel.options
    o.set_expanded(True)
    choose(o.decay_kind, "l2")
    type_into(o.decay_lambda, "0.1")
    qtbot.waitUntil(lambda: w.surface.settled and w.surface.result.current_loss != before, timeout=20_000)
    net = w.model.network
    assert w.surface.result.current_loss == pytest.approx(before + penalty_by_hand(net.parameters(), 0.1),
                                                          rel=1e-9)
    assert w.surface_view.caption.text().startswith("E + R = E + (λ/2)·Σw², λ = 0.1, over")
    w.window_actions.undo.trigger()
    w.window_actions.undo.trigger()
    qtbot.waitUntil(lambda: w.surface.settled and w.surface.result.current_loss == pytest.approx(before),
                    timeout=20_000)
    assert w.surface_view.caption.text().startswith("E over")


# ---------------------------------------------------------------------------------------------- stopping
def steps_to_reach(model: DocumentModel, target: float) -> tuple[int, float]:
    """Headless: the first step count after which the training loss is ≤ ``target``, and that loss."""
    t = Trainer.from_document(load_document(example_paths()["xor"]) if model is None else model.doc)
    k = 0
    while (e := t.train_loss()) > target:
        t.step()
        k += 1
        assert k < 100_000
    return k, e


def test_stop_at_a_training_loss_pauses_exactly_there_and_says_why(qtbot, make_window):
    w = make_window()
    expected_step, loss = steps_to_reach(xor_with(), 0.1)
    o = w.training_panel.options
    o.set_expanded(True)
    type_into(o.stop_loss, "0.1")  # typing the value ticks its box
    assert o.stop_loss_check.isChecked() and w.training.stop_rule.until_loss == 0.1
    assert "Play pauses at the training loss reaches 0.1" in w.status.text()
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.stopped is not None and not w.training.playing, timeout=20_000)
    qtbot.waitUntil(lambda: not w.training.latest.playing)
    snap = w.training.latest
    assert snap.step == expected_step
    assert snap.train_loss == pytest.approx(loss, rel=1e-9)
    message = f"stopped at step {expected_step:,}: the training loss {loss:.6g} reached the target 0.1"
    assert w.training.stopped.rule == "until_loss"
    assert w.banner.isVisible() and message in w.banner.text.text() and not w.banner.restore.isVisible()
    assert w.status.text() == "training " + message
    # Play trains on past a target already reached, and the banner goes
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.latest.step > expected_step + 50, timeout=20_000)
    assert not w.banner.isVisible()
    w.training.pause()


@pytest.mark.parametrize("capped", [False, True])
def test_stop_at_a_step_pauses_exactly_there(qtbot, make_window, capped):
    w = make_window()
    if capped:  # Play then trains a few steps at a time, on a timer
        type_into(w.training_panel.speed_edit, "400")
        assert w.model.doc.training.steps_per_second == 400.0
    o = w.training_panel.options
    o.set_expanded(True)
    o.stop_step_check.setChecked(True)
    type_into(o.stop_step, "137")
    assert w.training.stop_rule.max_steps == 137 and w.training.stop_rule.until_loss is None
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.stopped is not None and not w.training.latest.playing, timeout=20_000)
    qtbot.wait(100)
    assert w.training.latest.step == 137
    assert "stopped at step 137: it made the 137 steps asked for" in w.banner.text.text()
    # the weights are exactly those of 137 steps
    t = Trainer.from_document(load_document(example_paths()["xor"]))
    t.train(137)
    assert w.model.network.parameters() == pytest.approx(t.engine.parameter_values(), rel=1e-12)
    # unticked, Play goes on
    o.stop_step_check.setChecked(False)
    assert w.training.stop_rule is None
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.latest.step > 150, timeout=20_000)
    w.training.pause()


def test_a_bad_stop_value_is_refused(qtbot, make_window):
    w = make_window()
    o = w.training_panel.options
    o.set_expanded(True)
    type_into(o.stop_step, "0")
    assert w.training.stop_rule is None and o.stop_step.styleSheet()
    assert "whole number of at least 1" in w.status.text()
    type_into(o.stop_loss, "abc")
    assert w.training.stop_rule is None and "target loss must be a number" in w.status.text()


def test_a_plane_of_directions_is_of_the_total_too(qtbot, make_window):
    decay = WeightDecay("l1", 0.02)
    w = make_window(xor_with(weight_decay=decay), wait="surface")
    w.surface.choose_plane("gradient")
    qtbot.waitUntil(lambda: w.surface.settled and w.surface.result.kind == "gradient", timeout=20_000)
    snap = w.training.latest
    result = w.surface.result
    assert result.current_loss == pytest.approx(snap.total_loss, rel=1e-12)
    net = w.model.network
    d = w.model.dataset()
    # the plane's origin is the current weights: E + R there, with λ·Σ|w| worked out here
    l1 = 0.02 * math.fsum(abs(v) for k, v in net.parameters().items() if "->" in k)
    assert snap.total_loss == pytest.approx(Engine(net).loss_value(d.x_train, d.t_train) + l1, rel=1e-12)
    # a grid point of the plane: E + R of the weights there, worked out independently
    surf = result.surface
    probe = net.copy()
    probe.set_parameters(result.plane.parameters(float(surf.x[4]), float(surf.y[7])))
    l1_there = 0.02 * math.fsum(abs(v) for k, v in probe.parameters().items() if "->" in k)
    e_there = Engine(probe).loss_value(d.x_train, d.t_train)
    assert surf.loss[7, 4] == pytest.approx(e_there + l1_there, rel=1e-6)
    assert abs(surf.loss[7, 4] - e_there) > 1e-3
    assert w.surface_view.caption.text().startswith(f"E + R = {decay.formula()}, over the <b>gradient plane</b>")
