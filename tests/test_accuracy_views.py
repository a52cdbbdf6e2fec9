"""Accuracy in the window: the loss plot's accuracy curves on a right-hand axis (off at first; the checkbox, the
View menu and the plot's right-click menu toggle them), the status line, and `bpgui screenshot --accuracy`; fed
with real runs of the bundled examples."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from bpgui.core import load_document
from bpgui.core.training_run import TrainingRun
from bpgui.resources import example_paths
from bpgui.ui.training.loss_plot import ACCURACY_COLOR, NO_ACCURACY_TIP, LossPlot
from bpgui.ui.training.run_status import RunStatus

pg.setConfigOption("mouseRateLimit", -1)


def trained(name: str, steps: int):
    doc = load_document(example_paths()[name])
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(steps)
    return run.snapshot()


@pytest.fixture(scope="module")
def circles():
    return trained("circles", 300)


def shown_plot(qtbot, width=640, height=400) -> LossPlot:
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def green_pixels(image: QImage) -> int:
    """Pixels of the accuracy colour (or close to it: antialiased lines)."""
    target = pg.mkColor(ACCURACY_COLOR)
    count = 0
    for x in range(0, image.width()):
        for y in range(0, image.height()):
            c = image.pixelColor(x, y)
            if abs(c.red() - target.red()) + abs(c.green() - target.green()) + abs(c.blue() - target.blue()) < 30:
                count += 1
    return count


def curve_data(curve) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getData()
    return (np.zeros(0), np.zeros(0)) if x is None else (x, y)


# ---------------------------------------------------------------------------------------------- loss plot
def test_accuracy_is_off_at_first_and_the_checkbox_draws_it_on_a_right_hand_axis(qtbot, circles):
    snap = circles
    plot = shown_plot(qtbot)
    plot.update_snapshot(snap)
    QTest.qWait(30)
    right = plot.plot_item.getAxis("right")
    assert not plot.is_accuracy_shown() and not plot.accuracy_check.isChecked()
    assert not right.isVisible() and len(curve_data(plot.accuracy_curve)[0]) == 0
    assert plot.accuracy_check.isEnabled()  # circles classifies (bce)
    before = green_pixels(plot.grab().toImage())

    QTest.mouseClick(plot.accuracy_check, Qt.LeftButton)
    QTest.qWait(30)
    assert plot.is_accuracy_shown() and plot.accuracy_action.isChecked()
    assert right.isVisible() and plot.accuracy_box.isVisible()
    x, y = curve_data(plot.accuracy_curve)
    np.testing.assert_array_equal(x, snap.history_steps)
    np.testing.assert_allclose(y, 100 * snap.history_accuracy, rtol=0, atol=1e-12)
    x, y = curve_data(plot.test_accuracy_curve)
    np.testing.assert_allclose(y, 100 * snap.history_test_accuracy, rtol=0, atol=1e-12)
    assert y[0] < 80 and y[-1] > 95  # circles learns: the test accuracy climbs
    # percent, linear, 0 to 100, while the loss axis stays logarithmic
    lo, hi = plot.accuracy_box.viewRange()[1]
    assert lo <= 0 and 100 <= hi < 105
    assert not right.logMode and plot.plot_item.getAxis("left").logMode
    assert right.labelText == "accuracy %"
    # and it is drawn: many more pixels in the accuracy's green than before (its axis alone has a few)
    after = green_pixels(plot.grab().toImage())
    assert after > before + 400

    plot.accuracy_action.trigger()  # the same toggle from a menu
    assert not plot.accuracy_check.isChecked() and not right.isVisible()
    assert len(curve_data(plot.accuracy_curve)[0]) == 0


def test_the_curves_follow_new_snapshots_and_the_log_switch_leaves_them_alone(qtbot, circles):
    plot = shown_plot(qtbot)
    plot.set_accuracy_shown(True)
    early = trained("circles", 40)
    plot.update_snapshot(early)
    np.testing.assert_allclose(curve_data(plot.accuracy_curve)[1], 100 * early.history_accuracy)
    plot.update_snapshot(circles)
    np.testing.assert_allclose(curve_data(plot.accuracy_curve)[1], 100 * circles.history_accuracy)
    plot.set_log(False)
    np.testing.assert_allclose(curve_data(plot.accuracy_curve)[1], 100 * circles.history_accuracy)
    assert not plot.plot_item.getAxis("right").logMode
    plot.clear()
    assert len(curve_data(plot.accuracy_curve)[0]) == 0


def test_a_network_that_does_not_classify_has_no_accuracy_to_show(qtbot, circles):
    plot = shown_plot(qtbot)
    plot.update_snapshot(circles)
    plot.set_accuracy_shown(True)
    sine = trained("sine", 30)
    assert sine.accuracy is None
    plot.update_snapshot(sine)
    assert not plot.accuracy_check.isEnabled() and not plot.accuracy_action.isEnabled()
    assert plot.accuracy_check.toolTip() == NO_ACCURACY_TIP
    assert not plot.plot_item.getAxis("right").isVisible()
    assert len(curve_data(plot.accuracy_curve)[0]) == 0
    plot.update_snapshot(circles)  # a classifier again: the choice was kept
    assert plot.accuracy_check.isEnabled() and plot.plot_item.getAxis("right").isVisible()
    assert len(curve_data(plot.accuracy_curve)[0]) == len(circles.history_steps)


def test_the_right_click_menu_has_the_toggle(qtbot):
    plot = shown_plot(qtbot)
    assert plot.accuracy_action in plot.plot_item.vb.menu.actions()
    assert plot.accuracy_action.toolTip() and plot.accuracy_check.toolTip()


def test_hover_adds_the_accuracy_while_it_is_shown(qtbot, circles):
    snap = circles
    plot = shown_plot(qtbot)
    plot.update_snapshot(snap)
    plot.set_accuracy_shown(True)
    QTest.qWait(50)
    vb, view = plot.plot_item.vb, plot.plot_widget
    target = 150
    y = np.log10(snap.history_train[target])
    QTest.mouseMove(view.viewport(), view.mapFromScene(vb.mapViewToScene(QPointF(target, y))))
    text = plot.hover_text.textItem.toPlainText()
    x = vb.mapSceneToView(view.mapToScene(view.mapFromScene(vb.mapViewToScene(QPointF(target, y))))).x()
    i = int(np.argmin(np.abs(snap.history_steps - x)))
    acc, test = 100 * snap.history_accuracy[i], 100 * snap.history_test_accuracy[i]
    first, second = text.split("\n")
    assert first == (f"step {snap.history_steps[i]:,} · train {snap.history_train[i]:.4g} · "
                     f"test {snap.history_test[i]:.4g}")
    assert second == f"accuracy {acc:.1f} % · test {test:.1f} %"
    mx, my = plot.accuracy_marker.getData()
    assert list(mx) == [snap.history_steps[i]] * 2 and np.allclose(my, [acc, test])
    plot.set_accuracy_shown(False)
    assert "\n" not in plot.hover_text.textItem.toPlainText() and not plot.accuracy_marker.isVisible()


def test_svg_export_of_the_loss_plot_holds_the_accuracy_curves(qtbot, circles):
    from bpgui.ui.document.export import plot_svg

    def accuracy_lines(svg: bytes) -> int:
        """Groups drawn with the accuracy curves' pen (its axis is drawn 1 wide, the curves 1.5)."""
        return len(re.findall(rf'stroke="{ACCURACY_COLOR}"[^>]*stroke-width="1.5"', svg.decode()))

    plot = shown_plot(qtbot)
    plot.update_snapshot(circles)
    assert ACCURACY_COLOR.encode() not in plot_svg(plot.plot_item)
    plot.set_accuracy_shown(True)
    QTest.qWait(30)
    assert accuracy_lines(plot_svg(plot.plot_item)) == 2  # train and test


# ---------------------------------------------------------------------------------------------- status line
def test_status_line_reads_the_accuracy_in_percent(qtbot, circles):
    status = RunStatus()
    qtbot.addWidget(status)
    snap = dataclasses.replace(circles, accuracy=0.935, test_accuracy=0.91, train_loss=0.05, test_loss=0.04)
    status.update_snapshot(snap)
    assert status.text() == "step 300 · epoch 300 · loss 0.05 · test 0.04 · accuracy 93.5 % (test 91.0 %)"
    status.update_snapshot(dataclasses.replace(snap, test_loss=None, test_accuracy=None))
    assert status.text() == "step 300 · epoch 300 · loss 0.05 · accuracy 93.5 %"
    status.update_snapshot(trained("sine", 3))
    assert "accuracy" not in status.text() and status.text().startswith("step 3 · epoch 3 · loss ")


# ---------------------------------------------------------------------------------------------- window
def test_the_view_menu_toggles_the_accuracy_and_the_window_shows_the_runs(qtbot, make_window):
    w = make_window("circles")
    view_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&View")
    action = next(a for a in view_menu.actions() if a.text() == "&Accuracy in the Loss Plot")
    assert action is w.window_actions.accuracy and action.isCheckable() and not action.isChecked()
    assert action.toolTip()
    w.training.train_steps(60)
    qtbot.waitUntil(lambda: w.training.latest is not None and w.training.latest.step == 60, timeout=10_000)
    snap = w.training.latest
    # the status line: the snapshot's accuracy, which is the share counted on the trained weights
    assert snap.accuracy is not None and snap.test_accuracy is not None
    assert f"accuracy {100 * snap.accuracy:.1f} % (test {100 * snap.test_accuracy:.1f} %)" in w.run_status.text()
    action.trigger()
    assert w.loss_plot.accuracy_check.isChecked()
    np.testing.assert_allclose(curve_data(w.loss_plot.accuracy_curve)[1], 100 * snap.history_accuracy)
    QTest.mouseClick(w.loss_plot.accuracy_check, Qt.LeftButton)
    assert not action.isChecked()


def test_a_regression_document_greys_the_toggle_out(qtbot, make_window):
    w = make_window("sine")
    assert not w.window_actions.accuracy.isEnabled()
    assert "accuracy" not in w.run_status.text()


def test_screenshot_can_show_the_accuracy(tmp_path, qapp):
    from bpgui.cli import main

    on, off = tmp_path / "on.png", tmp_path / "off.png"
    args = ["screenshot", str(example_paths()["circles"]), "--steps", "100", "--view", "loss", "--size", "480x300"]
    assert main([*args, "-o", str(off)]) == 0
    assert main([*args, "--accuracy", "-o", str(on)]) == 0
    assert green_pixels(QImage(str(on))) > green_pixels(QImage(str(off))) + 300


def pick_dataset(w, name: str) -> None:
    combo = w.training_panel.dataset
    i = combo.findData(name)
    assert i >= 0, name
    combo.setCurrentIndex(i)
    combo.activated.emit(i)


def test_the_data_box_offers_the_new_generators_and_the_views_follow(qtbot, make_window):
    w = make_window("circles")
    combo = w.training_panel.dataset
    labels = [combo.itemText(i) for i in range(combo.count())]
    for label in ("moons (2-D classification)", "plane (2-D regression)", "bump (2-D regression)"):
        assert label in labels
    # a 2-D regression on the circles network (2 inputs): a heatmap with points in their target's colour, no
    # decision contour, no accuracy
    pick_dataset(w, "bump")
    assert w.model.doc.data.generator == "bump"
    w.training.train_steps(20)
    qtbot.waitUntil(lambda: w.training.latest.step == 20 and w.training.latest.problem is None, timeout=10_000)
    snap = w.training.latest
    assert snap.boundary is None and snap.accuracy is None and snap.grid_y is not None
    out = w.output_plot
    xs = out.boundary.getData()[0]
    assert out.heatmap.isVisible() and (xs is None or len(xs) == 0)
    assert {p.color().name() for p in out.train_points.data["pen"]} == {"#525252"}
    assert not w.window_actions.accuracy.isEnabled() and "accuracy" not in w.run_status.text()
    n = w.model.doc.data.n
    assert w.training_panel.data_info.text() == f"{n - int(n * 0.2):,} training, {int(n * 0.2):,} test points"
    # moons classify again
    pick_dataset(w, "moons")
    w.training.train_steps(5)
    qtbot.waitUntil(lambda: w.training.latest.step == 25 and w.training.latest.accuracy is not None,
                    timeout=10_000)
    assert w.window_actions.accuracy.isEnabled() and "accuracy" in w.run_status.text()
    assert w.training.latest.boundary is not None
