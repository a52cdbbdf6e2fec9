"""The step views (Step waterfall with its curvature gauge, Line, All Directions): what they draw is the snapshot's
anatomy of the next step, checked against numbers the snapshot works out on its own (its gradient and the
parameters after the optimizer's next step), and the anatomy is only worked out while a step view is on show."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtWidgets import QDockWidget

from bpgui.core.document import load_document
from bpgui.core.training_run import TrainingRun
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.step.curvature_gauge import WARNING
from bpgui.ui.step.step_waterfall import ROW_PIXELS


def _model(example="xor", **training) -> DocumentModel:
    doc = load_document(example_paths()[example])
    for key, value in training.items():
        setattr(doc.training, key, value)
    doc.training.steps_per_second = None
    return DocumentModel(doc)


def _show(qtbot, w, dock_name):
    w.findChild(QDockWidget, dock_name).raise_()
    qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest.anatomy is not None, timeout=10_000)


def _train(qtbot, w, n):
    start = w.training.latest.step
    w.training.train_steps(n)
    qtbot.waitUntil(lambda: w.training.latest.step >= start + n, timeout=20_000)
    return w.training.latest


def test_snapshot_carries_the_anatomy_only_when_asked():
    doc = load_document(example_paths()["xor"])
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(10)
    assert run.snapshot().anatomy is None
    snap = run.snapshot(anatomy=True)
    a = snap.anatomy
    assert a.names == snap.names  # every parameter trains here, in document order
    np.testing.assert_allclose(a.gradient, snap.gradient, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.values + a.step, snap.next_values, rtol=1e-12, atol=1e-15)
    assert a.loss == snap.train_loss


def test_anatomy_is_not_worked_out_while_the_step_views_are_hidden(make_window, qtbot):
    w = make_window()
    assert not any(v.on_show for v in w.step_views())
    snap = _train(qtbot, w, 3)
    assert snap.anatomy is None and not w.training.anatomy_wanted
    _show(qtbot, w, "step")
    assert w.training.anatomy_wanted
    assert _train(qtbot, w, 3).anatomy is not None  # and it goes on while shown
    w.findChild(QDockWidget, "surface").raise_()  # the step views are all hidden again
    qtbot.waitUntil(lambda: not w.training.anatomy_wanted)
    assert _train(qtbot, w, 3).anatomy is None
    _show(qtbot, w, "line")  # any of the three asks for it
    _show(qtbot, w, "all directions")


def test_waterfall_bars_are_the_terms_g_dw_and_all_lower_e_under_sgd(make_window, qtbot):
    w = make_window(_model())
    _train(qtbot, w, 50)
    _show(qtbot, w, "step")
    view = w.step_waterfall
    snap = w.training.latest
    qtbot.waitUntil(lambda: view.anatomy is snap.anatomy)
    # g from the snapshot's own gradient, Δw from its own peek at the next parameters
    terms = snap.gradient * (snap.next_values - snap.values)
    bars = view.bar_lengths()
    assert len(bars) == len(snap.names) == 9
    np.testing.assert_allclose(bars, np.sort(terms), rtol=1e-9, atol=1e-18)
    assert [view.rows[i] for i in range(9)] == [snap.names[i] for i in np.argsort(terms, kind="stable")]
    assert (bars <= 0).all()
    assert "every term" in view.caption.text() and "≤ 0" in view.caption.text()
    # the running sum ends at Σ g·Δw, drawn as a line beside the actual ΔE
    assert view.predicted_line.value() == snap.anatomy.predicted_change
    np.testing.assert_allclose(view.predicted_line.value(), terms.sum(), rtol=1e-9)
    assert view.actual_line.value() == snap.anatomy.actual_change


def test_under_adam_some_bars_go_uphill_and_the_caption_says_so(make_window, qtbot):
    w = make_window(_model(optimizer="adam", learning_rate=0.05))
    _show(qtbot, w, "step")
    _train(qtbot, w, 5)  # measured: at step 5, 4 of xor's 9 terms are > 0 under adam
    view = w.step_waterfall
    qtbot.waitUntil(lambda: view.anatomy is w.training.latest.anatomy)
    bars = view.bar_lengths()
    assert (bars > 0).any()
    np.testing.assert_allclose(np.sort(bars), np.sort(view.anatomy.contributions))
    text = view.caption.text()
    assert "under adam" in text.lower() and f"{int((bars > 0).sum())} of 9 parameters move uphill" in text


def test_many_parameters_show_the_largest_bars_and_one_for_the_others(make_window, qtbot):
    w = make_window(_model())
    _show(qtbot, w, "step")
    view = w.step_waterfall
    qtbot.waitUntil(lambda: view.anatomy is not None)
    a = view.anatomy
    view.max_bars = 4
    view.set_anatomy(a)
    bars = view.bar_lengths()
    c = a.contributions
    biggest = np.argsort(-np.abs(c))[:4]
    np.testing.assert_allclose(bars[:4], np.sort(c[biggest]))
    assert view.rows[-1] is None and np.isclose(bars[-1], np.delete(c, biggest).sum())
    assert "5 others" in [t for _, t in view.plot_item.getAxis("left")._tickLevels[0]]
    assert "the other 5 summed in one bar" in view.caption.text()


def test_line_view_draws_e_along_the_step_and_marks_t_1(make_window, qtbot):
    w = make_window(_model())
    _train(qtbot, w, 20)
    _show(qtbot, w, "line")
    view = w.step_line
    a = w.training.latest.anatomy
    qtbot.waitUntil(lambda: view.anatomy is a)
    t, e = view.curve.getData()
    np.testing.assert_array_equal(t, a.line_t)
    np.testing.assert_array_equal(e, a.line_loss)
    x, y = view.step_mark.getData()
    assert list(x) == [1.0] and list(y) == [a.loss_after]
    i = int(np.argmin(a.line_loss))
    bx, by = view.best_mark.getData()
    assert (bx[0], by[0]) == (a.line_t[i], a.line_loss[i])
    np.testing.assert_allclose(view.linear.getData()[1], a.loss + a.line_t * a.predicted_change)
    assert "t = 1 lands at" in view.caption.text()


def test_all_directions_strips_and_the_floor(make_window, qtbot):
    w = make_window(_model())
    _show(qtbot, w, "all directions")
    view = w.direction_slopes
    a = w.training.latest.anatomy
    qtbot.waitUntil(lambda: view.anatomy is a)
    np.testing.assert_array_equal(view.random_points.getData()[0], a.random_slopes)
    np.testing.assert_array_equal(view.single_points.getData()[0], -np.abs(a.gradient))
    assert view.floor.value() == -np.linalg.norm(w.training.latest.gradient) or np.isclose(
        view.floor.value(), -np.linalg.norm(w.training.latest.gradient), rtol=1e-12)
    assert (a.random_slopes >= view.floor.value()).all()  # Cauchy–Schwarz
    assert f"best of {len(a.random_slopes)} random" in view.caption.text()


def test_gauge_warns_past_the_stability_limit_under_sgd_only(make_window, qtbot):
    hot = make_window(_model(learning_rate=40.0))
    _show(qtbot, hot, "step")
    qtbot.waitUntil(lambda: hot.step_waterfall.anatomy is not None)
    a = hot.step_waterfall.anatomy
    assert a.learning_rate > 2 / a.curvature.lambda_max  # xor: λ_max ≈ 0.415 at its start, 2/λ_max ≈ 4.8
    gauge = hot.step_waterfall.gauge
    assert gauge.warning_shown and WARNING in gauge.warning.text()
    assert hot.step_waterfall.gauge.bar.value == a.learning_rate * a.curvature.lambda_max
    calm = make_window(_model(learning_rate=4.0))  # below 2/λ_max
    _show(qtbot, calm, "step")
    qtbot.waitUntil(lambda: calm.step_waterfall.anatomy is not None)
    a = calm.step_waterfall.anatomy
    assert a.learning_rate < 2 / a.curvature.lambda_max
    assert not calm.step_waterfall.gauge.warning_shown
    assert "2/λ<sub>max</sub> = 4.82" in calm.step_waterfall.gauge.detail.text()


def hover(widget, pos: QPoint) -> None:
    """A mouse move with no button held, sent to ``widget`` itself. (QTest.mouseMove goes through the
    application, which hands it to whatever widget an earlier test left holding the mouse: in the full suite the
    move never reached this view.)"""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    local = QPointF(pos)
    event = QMouseEvent(QEvent.MouseMove, local, QPointF(widget.mapToGlobal(pos)), Qt.NoButton, Qt.NoButton,
                        Qt.NoModifier)
    QApplication.sendEvent(widget, event)


def test_hovering_a_bar_marks_its_parameter_on_the_canvas(make_window, qtbot):
    w = make_window(_model())
    _show(qtbot, w, "step")
    view = w.step_waterfall
    qtbot.waitUntil(lambda: view.anatomy is not None)
    qtbot.wait(50)  # laid out

    def move_to_row(i):
        x0 = view.bars.opts["x0"][i] + view.bars.opts["width"][i] / 2
        scene_pos = view.plot_item.vb.mapViewToScene(QPointF(x0, float(i)))
        p = view.plot_widget.mapFromScene(scene_pos)
        hover(view.plot_widget.viewport(), p)

    edge_row = next(i for i, name in enumerate(view.rows) if "->" in name)
    bias_row = next(i for i, name in enumerate(view.rows) if name.endswith(".bias"))
    move_to_row(edge_row)
    src, dst = view.rows[edge_row].split("->")
    qtbot.waitUntil(lambda: w.scene.edge_items[(src, dst)].marked)
    assert sum(e.marked for e in w.scene.edge_items.values()) == 1
    assert view.hover_text.isVisible() and view.rows[edge_row] in view.hover_text.toPlainText().replace("\u2060", "")
    move_to_row(bias_row)
    nid = view.rows[bias_row].removesuffix(".bias")
    qtbot.waitUntil(lambda: w.scene.neuron_items[nid].marked)
    assert not any(e.marked for e in w.scene.edge_items.values())
    hover(view.plot_widget.viewport(), QPoint(2, 2))  # off the bars
    qtbot.waitUntil(lambda: w.scene.marked_parameter is None)
    assert not w.scene.neuron_items[nid].marked


def test_stationary_point_says_so_and_draws_no_bars(make_window, qtbot):
    model = _model()
    for key in list(model.doc.network.edges):
        model.doc.network.set_parameter(f"{key[0]}->{key[1]}", 0.0)
    w = make_window(model)
    _show(qtbot, w, "step")
    view = w.step_waterfall
    qtbot.waitUntil(lambda: "stationary point" in view.message.text())
    assert len(view.bar_lengths()) == 0 and view.anatomy is None
    assert view.gauge.bar.value is not None  # the curvature still has its say
    w.findChild(QDockWidget, "line").raise_()
    qtbot.waitUntil(lambda: "stationary point" in w.step_line.message.text())
    assert len(w.step_line.curve.getData()[0] or []) == 0


def test_a_view_clears_when_the_run_cannot_train(make_window, qtbot):
    w = make_window(_model())
    _show(qtbot, w, "step")
    view = w.step_waterfall
    qtbot.waitUntil(lambda: view.anatomy is not None)
    snap = w.training.latest
    from dataclasses import replace
    view.update_snapshot(replace(snap, problem="the data has 3 inputs, the network 2", anatomy=None))
    assert view.anatomy is None and len(view.bar_lengths()) == 0
    assert "Cannot train" in view.message.text()


def test_screenshot_of_the_step_views(tmp_path):
    import subprocess
    import sys

    for view in ("step", "line", "slopes"):
        out = tmp_path / f"{view}.png"
        r = subprocess.run([sys.executable, "-m", "bpgui.cli", "screenshot", str(example_paths()["xor"]), "-o",
                            str(out), "--view", view, "--steps", "20", "--size", "640x400"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        from PySide6.QtGui import QImage

        image = QImage(str(out))
        assert (image.width(), image.height()) == (640, 400)
        if view == "step":  # the bars are drawn (a floated dock counts as on show): many pixels of their blue
            blue = sum(image.pixelColor(x, y).name() == "#2166ac" for x in range(0, 640, 4) for y in range(0, 400, 4))
            assert blue > 200


def test_the_learning_rate_slider_marks_one_and_two_over_lambda_max_while_the_step_views_show(make_window, qtbot):
    w = make_window(_model(learning_rate=40.0))
    slider = w.training_panel.lr_slider
    assert slider.marks() == []  # the views are hidden: λ_max is not worked out
    _show(qtbot, w, "step")
    qtbot.waitUntil(lambda: slider.lambda_max is not None)
    lam = w.training.latest.anatomy.curvature.lambda_max
    assert [label for label, _ in slider.marks()] == ["1/λ", "2/λ"]
    assert dict(slider.marks())["2/λ"] == pytest.approx(2 / lam)
    assert slider.past_limit() and "2/λ_max" in slider.toolTip()
    # the 2/λ mark is drawn in red where the slider puts η = 2/λ_max
    image = slider.grab().toImage()
    red = [x for x in range(image.width()) for y in range(0, 6)
           if (c := image.pixelColor(x, y)).red() > 180 and c.green() < 90 and c.blue() < 90]
    assert red
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)
    groove = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, slider)
    handle = slider.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, slider)
    expected = groove.left() + handle.width() / 2 + QStyle.sliderPositionFromValue(
        slider.minimum(), slider.maximum(), slider.position(2 / lam), groove.width() - handle.width())
    assert abs(min(red) - expected) <= 2
    w.findChild(QDockWidget, "surface").raise_()  # the step views hidden again: no stale marks
    qtbot.waitUntil(lambda: slider.marks() == [])


def test_a_short_step_view_draws_fewer_bars_but_names_each_and_xor_fits_at_1024x640(make_window, qtbot):
    """The Step view first shared the loss plot's short place: at 1280×800 it drew 7 of xor's 9 bars, their
    names run together. It now shares the surface's place, and fits its rows to its height."""
    w = make_window(size=(1024, 640))
    _show(qtbot, w, "step")
    view = w.step_waterfall
    qtbot.waitUntil(lambda: view.anatomy is not None and len(view.rows) == len(view.anatomy.names))
    dock = w.findChild(QDockWidget, "step")
    dock.setFloating(True)
    dock.resize(600, 200)  # too short for nine named rows
    qtbot.waitUntil(lambda: 3 <= len(view.rows) < len(view.anatomy.names))
    assert view.rows[-1] is None and "summed in one bar" in view.caption.text()
    assert view.plot_item.vb.height() / len(view.rows) >= ROW_PIXELS


def test_while_playing_the_step_views_redraw_at_a_readable_pace_and_a_pause_shows_the_last_step(make_window, qtbot):
    from bpgui.ui.step.step_state import PLAYING_INTERVAL

    w = make_window()
    _show(qtbot, w, "step")
    view = w.step_waterfall
    drawn = []
    real = view.set_anatomy
    view.set_anatomy = lambda a, note="": (drawn.append(a), real(a, note))
    snapshots = w.training.snapshots
    w.training.play()
    qtbot.wait(1500)
    w.training.pause()
    qtbot.waitUntil(lambda: not w.training.latest.playing)
    qtbot.wait(100)
    played = w.training.snapshots - snapshots
    assert played > len(drawn) >= 2  # fewer frames than snapshots (each costs the window several ms)
    assert len(drawn) <= 1.5 / PLAYING_INTERVAL + 3
    assert view.anatomy is w.training.latest.anatomy  # the step where it paused is the one on show
