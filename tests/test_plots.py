"""The loss plot and the output plot, fed with snapshots of real training runs of the bundled examples."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest

from bpgui.core import load_document, parse_document, table
from bpgui.core.datasets import MAX_POINTS
from bpgui.core.document import GeneratorData
from bpgui.core.training_run import TrainingRun
from bpgui.resources import example_paths
from bpgui.ui.training.loss_plot import LOG_FLOOR, LossPlot
from bpgui.ui.training.output_plot import MAX_DRAWN, NO_OUTPUTS, OutputPlot

pg.setConfigOption("mouseRateLimit", -1)  # pyqtgraph drops mouse moves closer than 10 ms apart otherwise


def trained(name: str, steps: int = 500):
    """The example's document, its run after ``steps`` updates, and the run's snapshot."""
    doc = load_document(example_paths()[name])
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(steps)
    return doc, run, run.snapshot()


@pytest.fixture(scope="module")
def circles():
    return trained("circles")


def shown(qtbot, widget, width=520, height=420):
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)


def settle(plot_item: pg.PlotItem) -> None:
    """Wait until auto-range and the axes' relayout are done: the view's range and place stop changing."""
    vb = plot_item.vb
    before = None
    for _ in range(40):
        QTest.qWait(25)
        now = (vb.viewRange(), vb.sceneBoundingRect())
        if now == before:
            return
        before = now
    raise AssertionError("the plot does not settle")


def output_plot(qtbot, doc, run, snap) -> OutputPlot:
    plot = OutputPlot()
    shown(qtbot, plot, 440, 420)
    plot.set_dataset(run.dataset, doc.network.loss, [n.id for n in doc.network.inputs])
    plot.update_snapshot(snap)
    settle(plot.plot_item)
    return plot


def pixel_at(plot: OutputPlot, x: float, y: float) -> QColor:
    """The rendered colour at data coordinates (x, y)."""
    scene = plot.plot_item.vb.mapViewToScene(QPointF(x, y))
    at = plot.plot_widget.mapTo(plot, plot.plot_widget.mapFromScene(scene))
    return plot.grab().toImage().pixelColor(at)


def n_points(curve: pg.PlotDataItem) -> int:
    return 0 if curve.yData is None else len(curve.yData)


def is_blue(c: QColor) -> bool:
    return c.blue() > c.red() + 60


def is_orange(c: QColor) -> bool:
    return c.red() > c.blue() + 60 and c.red() > c.green()


# ---------------------------------------------------------------------------------------------- loss plot
def test_loss_curves_hold_the_history(qtbot, circles):
    _, _, snap = circles
    plot = LossPlot()
    qtbot.addWidget(plot)
    items = list(plot.plot_item.items)
    plot.update_snapshot(snap)
    assert len(snap.history_steps) == 500
    assert np.array_equal(plot.train_curve.xData, snap.history_steps)
    assert np.array_equal(plot.train_curve.yData, snap.history_train)
    assert np.array_equal(plot.test_curve.xData, snap.history_steps)
    assert np.array_equal(plot.test_curve.yData, snap.history_test)
    assert plot.plot_item.items == items  # updated in place, nothing added
    assert "test" in [label.text for _, label in plot.legend.items]


def test_no_test_set_no_test_curve(qtbot):
    _, _, snap = trained("xor", 50)
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.update_snapshot(snap)
    assert np.isnan(snap.history_test).all()
    assert np.array_equal(plot.train_curve.yData, snap.history_train)
    assert n_points(plot.test_curve) == 0
    assert [label.text for _, label in plot.legend.items] == ["train"]


def test_log_scale_toggles(qtbot, circles):
    _, _, snap = circles
    plot = LossPlot()
    shown(qtbot, plot)
    plot.update_snapshot(snap)
    assert plot.is_log() and plot.log_check.isChecked()
    assert np.allclose(plot.train_curve.getData()[1], np.log10(snap.history_train))
    assert plot.plot_item.getAxis("left").logMode

    QTest.mouseClick(plot.log_check, Qt.LeftButton)
    assert not plot.is_log()
    assert np.array_equal(plot.train_curve.getData()[1], snap.history_train)
    assert not plot.plot_item.getAxis("left").logMode
    settle(plot.plot_item)
    lo, hi = plot.plot_item.vb.viewRange()[1]
    assert lo <= snap.history_train.min() and hi >= snap.history_train.max()  # range in loss units again

    plot.set_log(True)
    assert plot.log_check.isChecked()
    assert np.allclose(plot.train_curve.getData()[1], np.log10(snap.history_train))
    settle(plot.plot_item)
    lo, hi = plot.plot_item.vb.viewRange()[1]
    assert np.log10(snap.history_train.min()) >= lo and np.log10(snap.history_train.max()) <= hi < 0.5


@pytest.mark.parametrize("log", [True, False])
@pytest.mark.parametrize("height", [200, 600])
def test_loss_labels_do_not_overlap(qtbot, circles, log, height):
    plot = LossPlot()
    shown(qtbot, plot, 300, height)
    plot.set_log(log)
    plot.update_snapshot(circles[2])
    settle(plot.plot_item)
    axis = plot.plot_item.getAxis("left")
    image = QImage(8, 8, QImage.Format_ARGB32)
    painter = QPainter(image)
    _, _, texts = axis.generateDrawSpecs(painter)
    painter.end()
    assert len(texts) >= 3
    assert not any(a.intersects(b) for (a, _, _), (b, _, _) in itertools.combinations(texts, 2))


def test_log_scale_clips_zero_loss(qtbot, circles):
    _, _, snap = circles
    train = snap.history_train.copy()
    train[-1] = 0.0
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.update_snapshot(dataclasses.replace(snap, history_train=train, history_total=train))
    assert plot.train_curve.yData[-1] == LOG_FLOOR
    assert np.isfinite(plot.train_curve.getData()[1]).all()
    plot.set_log(False)
    assert plot.train_curve.yData[-1] == 0.0


def test_clear_empties_the_curves(qtbot, circles):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.update_snapshot(circles[2])
    plot.clear()
    assert n_points(plot.train_curve) == n_points(plot.test_curve) == 0


def hover_text(plot: LossPlot) -> str:
    return plot.hover_text.textItem.toPlainText()


@pytest.mark.parametrize("log", [True, False])
def test_hover_shows_the_nearest_step(qtbot, circles, log):
    _, _, snap = circles
    steps, train, test = snap.history_steps, snap.history_train, snap.history_test
    plot = LossPlot()
    shown(qtbot, plot, 640, 400)
    plot.set_log(log)
    plot.update_snapshot(snap)
    settle(plot.plot_item)
    vb = plot.plot_item.vb
    view = plot.plot_widget

    def hovered() -> int:
        """The recorded step nearest to where the mouse is (the pixel rounds the position)."""
        x = vb.mapSceneToView(view.mapToScene(mouse)).x()
        return int(np.argmin(np.abs(steps - x)))

    target = 123
    mouse = view.mapFromScene(vb.mapViewToScene(QPointF(target, np.log10(train[target]) if log else train[target])))
    QTest.mouseMove(view.viewport(), mouse)
    assert plot.hover_text.isVisible()
    i = hovered()
    assert abs(steps[i] - target) <= 2
    assert hover_text(plot) == f"step {steps[i]:,} · train {train[i]:.4g} · test {test[i]:.4g}"
    assert not plot.legend.isVisible()  # the text names the curves
    # ...and is drawn, whole, inside the plot area: dark grey letters in its box
    box = view.mapFromScene(plot.hover_text.mapRectToScene(plot.hover_text.boundingRect())).boundingRect()
    assert view.mapFromScene(vb.sceneBoundingRect()).boundingRect().contains(box)
    image = view.grab().toImage()
    letters = [image.pixelColor(x, y) for x in range(box.left(), box.right()) for y in range(box.top(), box.bottom())]
    assert sum(c.lightness() < 110 and max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue()) < 12
               for c in letters) > 50
    marker_x, marker_y = plot.hover_marker.getData()
    assert list(marker_x) == [steps[i]] * 2
    assert np.allclose(marker_y, np.log10([train[i], test[i]]) if log else [train[i], test[i]])

    # the text follows the data while training goes on under a resting mouse
    plot.update_snapshot(dataclasses.replace(snap, history_train=train * 2, history_total=train * 2))
    settle(plot.plot_item)
    i = hovered()
    assert hover_text(plot) == f"step {steps[i]:,} · train {2 * train[i]:.4g} · test {test[i]:.4g}"
    # ...and while the step axis stretches under it
    x0, x1 = vb.viewRange()[0]
    longer = trained("circles", 5000)[2]
    steps, train, test = longer.history_steps, longer.history_train, longer.history_test
    plot.update_snapshot(longer)
    settle(plot.plot_item)
    (y0, y1) = vb.viewRange()[0]
    assert y1 - y0 > 4 * (x1 - x0)  # the axis follows the data (in coarse steps)
    i = hovered()
    assert steps[i] > 4 * target
    assert hover_text(plot) == f"step {steps[i]:,} · train {train[i]:.4g} · test {test[i]:.4g}"

    area = vb.sceneBoundingRect()
    mouse = view.mapFromScene(QPointF(area.center().x(), area.bottom() + 12))  # over the step axis
    QTest.mouseMove(view.viewport(), mouse)
    assert not plot.hover_text.isVisible() and not plot.hover_marker.isVisible()
    assert plot.legend.isVisible()


def test_renders_readably(qtbot, circles):
    plot = LossPlot()
    shown(qtbot, plot)
    plot.update_snapshot(circles[2])
    image = plot.grab().toImage()
    colors = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert "#08306b" in colors  # the train curve
    assert "#e08214" in colors  # the test curve


# ---------------------------------------------------------------------------------------------- output plot
def test_heatmap_is_the_grid_output_over_the_grid(qtbot, circles):
    doc, run, snap = circles
    plot = output_plot(qtbot, doc, run, snap)
    items = list(plot.plot_item.items)
    plot.update_snapshot(snap)
    assert plot.plot_item.items == items
    assert plot.heatmap.isVisible() and n_points(plot.curve) == 0
    assert np.array_equal(plot.heatmap.image, snap.grid_outputs[:, :, 0])
    assert list(plot.heatmap.getLevels()) == [0.0, 1.0]
    gx, gy = snap.grid_x, snap.grid_y
    rect = plot.heatmap.mapRectToParent(plot.heatmap.boundingRect())
    dx, dy = gx[1] - gx[0], gy[1] - gy[0]
    # one cell per grid point, centred on it
    assert rect.left() == pytest.approx(gx[0] - dx / 2) and rect.right() == pytest.approx(gx[-1] + dx / 2)
    assert rect.top() == pytest.approx(gy[0] - dy / 2) and rect.bottom() == pytest.approx(gy[-1] + dy / 2)
    assert plot.plot_item.getAxis("bottom").labelText == "x1"
    assert plot.plot_item.getAxis("left").labelText == "x2"
    assert plot.plot_item.vb.state["aspectLocked"]


def test_contour_at_the_decision_level(qtbot, circles):
    doc, run, snap = circles
    plot = output_plot(qtbot, doc, run, snap)
    xs, ys = plot.boundary.getData()  # drawn in data coordinates, as segment pairs
    assert len(xs) > 20 and len(xs) % 2 == 0
    gx, gy, z = snap.grid_x, snap.grid_y, snap.grid_outputs[:, :, 0]
    fx = np.interp(xs, gx, np.arange(len(gx)))
    fy = np.interp(ys, gy, np.arange(len(gy)))
    j, i = np.minimum(fx.astype(int), len(gx) - 2), np.minimum(fy.astype(int), len(gy) - 2)
    u, w = fx - j, fy - i
    bilinear = (z[i, j] * (1 - u) * (1 - w) + z[i, j + 1] * u * (1 - w)
                + z[i + 1, j] * (1 - u) * w + z[i + 1, j + 1] * u * w)
    assert np.allclose(bilinear, 0.5, atol=1e-9)


def test_rendered_heatmap_shows_both_classes(qtbot, circles):
    doc, run, snap = circles
    plot = output_plot(qtbot, doc, run, snap)
    z = snap.grid_outputs[:, :, 0]
    data = np.concatenate([run.dataset.x_train, run.dataset.x_test])
    gx, gy = np.meshgrid(snap.grid_x, snap.grid_y)
    # cells far from every data point, so that the pixel shows the heatmap and not a marker
    clearance = np.min(np.hypot(gx[..., None] - data[:, 0], gy[..., None] - data[:, 1]), axis=2)
    free = clearance > 0.08
    inside = np.unravel_index(np.argmax(np.where(free, z, -1)), z.shape)
    outside = np.unravel_index(np.argmin(np.where(free, z, 2)), z.shape)
    assert z[inside] > 0.9 and z[outside] < 0.1
    assert is_blue(pixel_at(plot, gx[inside], gy[inside]))
    assert is_orange(pixel_at(plot, gx[outside], gy[outside]))


def test_heatmap_orientation(qtbot):
    """Row i of the grid is y = grid_y[i]: a high output only at the bottom right draws blue only there."""
    doc, run, snap = trained("xor", 0)
    gx, gy = np.meshgrid(snap.grid_x, snap.grid_y)
    corner = ((gx > 0.5) & (gy < 0.5)).astype(float)[..., None]
    plot = output_plot(qtbot, doc, run, dataclasses.replace(snap, grid_outputs=corner))
    assert is_blue(pixel_at(plot, 0.8, 0.2))
    assert is_orange(pixel_at(plot, 0.2, 0.8))
    assert is_orange(pixel_at(plot, 0.2, 0.2))


def test_points_coloured_by_class(qtbot, circles):
    doc, run, snap = circles
    plot = output_plot(qtbot, doc, run, snap)
    d = run.dataset
    train = plot.train_points.data
    assert np.allclose(np.column_stack([train["x"], train["y"]]), d.x_train)
    fills = [b.color().name() for b in train["brush"]]
    assert fills == ["#2166ac" if t else "#e08214" for t in d.t_train[:, 0]]
    test = plot.test_points.data
    assert np.allclose(np.column_stack([test["x"], test["y"]]), d.x_test)
    assert all(p.color().name() == ("#053061" if t else "#b35806") for p, t in zip(test["pen"], d.t_test[:, 0]))
    assert plot.test_points.opts["brush"].style() == Qt.NoBrush and test["brush"][0] is None  # hollow


def legend_labels(plot: OutputPlot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


def test_few_points_are_all_drawn_with_one_symbol_per_class(qtbot, circles):
    doc, run, snap = circles
    plot = output_plot(qtbot, doc, run, snap)
    assert len(plot.train_points.data) == len(run.dataset.x_train)
    assert len(plot.test_points.data) == len(run.dataset.x_test)
    assert legend_labels(plot) == ["train", "test"]  # no word of a sample
    # the points of a class share one brush (one pen for test points), so pyqtgraph renders one symbol per class
    # rather than one per point
    assert len(plot.train_points.fragmentAtlas) == 2 and len(plot.test_points.fragmentAtlas) == 2


def many_points(generator: str, n: int, test_fraction: float = 0.2):
    """The document of the example for ``generator`` with ``n`` generated points, and its data set."""
    doc = load_document(example_paths()["sine" if generator == "sine" else "circles"])
    doc.data = GeneratorData(generator, n, 0.05, test_fraction, 3)
    return doc, doc.dataset()


def drawn_rows(points: pg.ScatterPlotItem, x: np.ndarray) -> np.ndarray:
    """The rows of ``x`` (2-D points, or 1-D inputs with their targets) that ``points`` draws, in drawn order."""
    where = {tuple(r): i for i, r in enumerate(x.tolist())}
    return np.array([where[(a, b)] for a, b in zip(points.data["x"].tolist(), points.data["y"].tolist())])


def test_at_the_data_limit_a_seeded_sample_that_keeps_each_class_is_drawn_and_the_legend_says_so(qtbot):
    doc, d = many_points("circles", MAX_POINTS)
    plot = OutputPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(d, doc.network.loss, ["x1", "x2"])
    train, test = drawn_rows(plot.train_points, d.x_train), drawn_rows(plot.test_points, d.x_test)
    assert len(train) + len(test) == MAX_DRAWN == 2000
    assert len(set(train)) == len(train) and len(set(test)) == len(test)  # real points of each set, each once
    assert plot.drawn == (2000, 100_000)
    assert legend_labels(plot) == ["train", "test", "showing a sample of 2,000 of 100,000 points"]
    # each set and class keeps its share of the 2,000 (the test set is 20 %; circles are half inner, half outer)
    for rows, t in ((train, d.t_train), (test, d.t_test)):
        for c in (0, 1):
            share = np.mean(t[:, 0] == c) * len(t) / MAX_POINTS
            assert abs(np.sum(t[rows, 0] == c) - MAX_DRAWN * share) <= 1
    fills = [b.color().name() for b in plot.train_points.data["brush"]]
    assert fills == ["#2166ac" if t else "#e08214" for t in d.t_train[train, 0]]
    # seeded: the same data are drawn with the same points
    again = OutputPlot()
    qtbot.addWidget(again)
    again.set_dataset(d, doc.network.loss, ["x1", "x2"])
    assert np.array_equal(drawn_rows(again.train_points, d.x_train), train)
    assert np.array_equal(drawn_rows(again.test_points, d.x_test), test)


def test_many_points_of_a_curve_are_drawn_as_a_sample(qtbot):
    doc, d = many_points("sine", 30_000, test_fraction=0.1)
    plot = OutputPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(d, doc.network.loss, ["x"])
    xt_train = np.column_stack([d.x_train[:, 0], d.t_train[:, 0]])
    xt_test = np.column_stack([d.x_test[:, 0], d.t_test[:, 0]])
    train, test = drawn_rows(plot.train_points, xt_train), drawn_rows(plot.test_points, xt_test)
    assert (len(train), len(test)) == (1800, 200)
    assert legend_labels(plot) == ["train", "test", "network", "showing a sample of 2,000 of 30,000 points"]
    plot.set_dataset(table([[0.0], [1.0]], [[0.0], [1.0]]), "half_sse")  # few again: every point, no note
    assert len(plot.train_points.data) == 2 and legend_labels(plot) == ["train", "network"]


def test_two_one_hot_outputs_show_class_one(qtbot):
    doc = load_document(example_paths()["backprop_by_hand"])
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(5)
    snap = run.snapshot()
    assert snap.grid_outputs.shape[2] == 2
    plot = output_plot(qtbot, doc, run, snap)
    assert np.array_equal(plot.heatmap.image, snap.grid_outputs[:, :, 1])
    assert [b.color().name() for b in plot.train_points.data["brush"]] == ["#2166ac"]  # argmax of [0.01, 0.99]


def test_regression_levels_centre_on_the_targets(qtbot):
    plot = OutputPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(table([[0, 0], [1, 1], [0, 1]], [[-1], [3], [2]]), "half_sse")
    assert sum(plot._levels) / 2 == 1.0
    # three target values: values to fit, not classes; each point in its target's colour on the heatmap's scale:
    # −1 at the low end (light orange), 3 at the high end (light blue), 2 three quarters up, halfway from white
    # (247, 247, 247) to light blue (111, 159, 207): (179, 203, 227)
    assert [b.color().name() for b in plot.train_points.data["brush"]] == ["#f1a859", "#6f9fcf", "#b3cbe3"]
    assert plot.plot_item.getAxis("bottom").labelText == "input 1"
    _, _, snap = trained("xor", 0)
    plot.update_snapshot(snap)
    assert list(plot.heatmap.getLevels()) == [-1.0, 3.0]


def test_curve_for_one_input(qtbot):
    doc, run, snap = trained("sine")
    plot = output_plot(qtbot, doc, run, snap)
    assert plot.curve.isVisible() and not plot.heatmap.isVisible()
    assert np.array_equal(plot.curve.xData, snap.grid_x)
    assert np.array_equal(plot.curve.yData, snap.grid_outputs[:, 0])
    d = run.dataset
    assert np.allclose(plot.train_points.data["x"], d.x_train[:, 0])
    assert np.allclose(plot.train_points.data["y"], d.t_train[:, 0])
    assert np.allclose(plot.test_points.data["y"], d.t_test[:, 0])
    assert not plot.plot_item.vb.state["aspectLocked"]
    assert [label.text for _, label in plot.legend.items] == ["train", "test", "network"]


@pytest.mark.parametrize("example", ["circles", "sine"])
def test_diverged_run_hides_the_outputs_without_a_message(qtbot, example):
    doc, run, snap = trained(example, 100)
    plot = output_plot(qtbot, doc, run, snap)
    diverged = dataclasses.replace(snap, grid_x=None, grid_y=None, grid_outputs=None,
                                   values=np.full(len(snap.values), np.nan), diverged="Training diverged at step 9")
    plot.update_snapshot(diverged)
    assert not plot.heatmap.isVisible() and n_points(plot.curve) == 0
    assert not plot.message.isVisible()
    assert plot.train_points.isVisible() and len(plot.train_points.data) == len(run.dataset.x_train)
    assert plot.curve.isVisible()  # emptied, not hidden: its legend entry stays a line
    plot.update_snapshot(snap)
    assert plot.heatmap.isVisible() if example == "circles" else n_points(plot.curve) == len(snap.grid_x)


def test_three_inputs_show_a_message_until_the_plot_chooses_two(qtbot):
    doc = parse_document(json.dumps({
        "format": "bpgui-network", "version": 1,
        "neurons": [{"id": "a", "layer": 0}, {"id": "b", "layer": 0}, {"id": "c", "layer": 0},
                    {"id": "y", "layer": 1, "activation": "sigmoid", "bias": 0.0}],
        "edges": [{"from": i, "to": "y", "weight": 0.5} for i in "abc"],
        "loss": "bce",
        "data": {"inputs": [[0, 0, 0], [1, 1, 1]], "targets": [[0], [1]]},
    }))
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(10)
    snap = run.snapshot()
    assert snap.grid_outputs is None and snap.diverged is None
    plot = OutputPlot()
    shown(qtbot, plot, 300, 200)
    plot.update_snapshot(snap)
    assert plot.message.isVisible() and plot.message.text() == NO_OUTPUTS
    assert not plot.plot_widget.isVisible()
    image = plot.grab().toImage()
    dark = np.array([[image.pixelColor(x, y).lightness() < 128 for x in range(image.width())]
                     for y in range(image.height())])
    ys, xs = np.nonzero(dark)
    assert len(xs) > 50  # the text is drawn...
    assert abs((xs.min() + xs.max()) / 2 - 150) < 4 and abs((ys.min() + ys.max()) / 2 - 100) < 4  # ...centred

    # once the plot knows the data, it offers a choice of two inputs (the others at their mean) and draws them
    plot.set_dataset(run.dataset, "bce")
    assert plot.plot_widget.isVisible() and plot.x_choice.isVisible() and plot.axes == (0, 1)
    run.show_inputs(plot.axes)
    plot.update_snapshot(run.snapshot())
    assert plot.heatmap.isVisible() and not plot.message.isVisible()
    plot.set_dataset(trained("sine", 0)[1].dataset, "half_sse")
    assert plot.plot_widget.isVisible() and not plot.message.isVisible()


def regression_2d(generator: str, steps: int = 300):
    """A 2-4-1 network (tanh, linear output, half_sse) on a 2-D regression generator, its run after ``steps``
    updates, and the run's snapshot."""
    doc = load_document(example_paths()["circles"])
    doc = parse_document(doc.to_json().replace('"sigmoid"', '"linear"').replace('"bce"', '"half_sse"'))
    doc.data = GeneratorData(generator, 200, 0.0, 0.25, 3)
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(steps)
    return doc, run, run.snapshot()


@pytest.mark.parametrize("generator", ["plane", "bump"])
def test_2d_regression_points_take_their_targets_colour_and_there_is_no_contour(qtbot, generator):
    doc, run, snap = regression_2d(generator)
    plot = output_plot(qtbot, doc, run, snap)
    d = run.dataset
    assert snap.boundary is None and n_points(plot.boundary) == 0  # no classes, no decision
    assert plot.heatmap.isVisible() and np.array_equal(plot.heatmap.image, snap.grid_outputs[:, :, 0])
    lo, hi = plot._levels
    everything = np.concatenate([d.t_train, d.t_test])[:, 0]
    assert (lo, hi) == pytest.approx((everything.min(), everything.max()), rel=1e-12)  # spans the targets
    for points, x, t, ring in ((plot.train_points, d.x_train, d.t_train, "#525252"),
                               (plot.test_points, d.x_test, d.t_test, "#000000")):
        assert np.allclose(np.column_stack([points.data["x"], points.data["y"]]), x)
        fills = np.array([b.color().getRgb()[:3] for b in points.data["brush"]], dtype=float)
        # the larger the target, the bluer and the less orange: blue − red climbs with the target
        shade = fills[:, 2] - fills[:, 0]
        order = np.argsort(t[:, 0])
        assert np.all(np.diff(shade[order]) >= 0) and shade[order[-1]] - shade[order[0]] > 150
        assert {p.color().name() for p in points.data["pen"]} == {ring}
    # the lowest target of all is the colour map's low end, the highest its high end
    fills = [b.color().name() for b in plot.train_points.data["brush"]]
    fills += [b.color().name() for b in plot.test_points.data["brush"]]
    assert fills[int(np.argmin(everything))] == "#f1a859" and fills[int(np.argmax(everything))] == "#6f9fcf"
    # shared brushes: a few dozen symbols for the colours, not one per point
    assert len(plot.train_points.fragmentAtlas) <= 33
    assert legend_labels(plot) == ["train", "test"]


def test_after_a_2d_regression_classes_are_drawn_as_before(qtbot, circles):
    doc, run, snap = regression_2d("bump", 0)
    plot = output_plot(qtbot, doc, run, snap)
    c_doc, c_run, c_snap = circles
    plot.set_dataset(c_run.dataset, c_doc.network.loss, ["x1", "x2"])
    plot.update_snapshot(c_snap)
    fills = [b.color().name() for b in plot.train_points.data["brush"]]
    assert fills == ["#2166ac" if t else "#e08214" for t in c_run.dataset.t_train[:, 0]]
    assert plot.train_points.opts["pen"].color().name() == "#ffffff"  # the default outline is untouched
    assert plot.test_points.opts["brush"].style() == Qt.NoBrush
    assert n_points(plot.boundary) > 20


def test_a_fitted_bump_shows_its_peak_in_blue_and_its_rim_in_orange(qtbot):
    doc, run, snap = regression_2d("bump", 2500)
    assert snap.train_loss < 0.01
    plot = output_plot(qtbot, doc, run, snap)
    d = run.dataset
    data = np.concatenate([d.x_train, d.x_test])
    gx, gy = np.meshgrid(snap.grid_x, snap.grid_y)
    clearance = np.min(np.hypot(gx[..., None] - data[:, 0], gy[..., None] - data[:, 1]), axis=2)
    free = clearance > 0.06  # cells away from the points: the pixel shows the heatmap
    r = np.hypot(gx, gy)
    peak = np.unravel_index(np.argmin(np.where(free, r, 9)), r.shape)
    rim = np.unravel_index(np.argmin(np.where(free & (r > 0.9) & (r < 1.1), np.abs(gx), 9)), r.shape)
    assert is_blue(pixel_at(plot, gx[peak], gy[peak]))
    assert is_orange(pixel_at(plot, gx[rim], gy[rim]))
