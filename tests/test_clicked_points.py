"""Your own data: points added and removed by clicking on the Outputs plot (real mouse events on its viewport),
each one undo step; generated data becomes a table at the first click; no clicking where a click cannot be a
class; the core edits checked against hand-made tables."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu

from bpgui.core.clicked_points import (
    PointError,
    class_count,
    class_target,
    clicking_problem,
    extra_row,
    with_point,
    without_point,
)
from bpgui.core.datasets import Dataset, generate
from bpgui.core.document import GeneratorData, TableData, document_from_dict, load_document
from bpgui.core.limits import MAX_POINTS
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.training.output_plot import CLASS_FILL, MAX_DRAWN

XOR_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_TARGETS = [[0.0], [1.0], [1.0], [0.0]]


# ---------------------------------------------------------------------------------------------- the core
def dataset(x, t, xt=None, tt=None) -> Dataset:
    x, t = np.array(x, float), np.array(t, float)
    xt = np.zeros((0, x.shape[1])) if xt is None else np.array(xt, float)
    tt = np.zeros((0, t.shape[1])) if tt is None else np.array(tt, float)
    return Dataset(x, t, xt, tt)


def test_a_class_is_a_label_with_one_output_and_a_one_hot_row_with_more():
    assert class_count(1) == 2 and class_count(2) == 2 and class_count(4) == 4
    assert class_target(0, 1).tolist() == [0.0]
    assert class_target(1, 1).tolist() == [1.0]
    assert class_target(2, 3).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(PointError, match="no class 2"):
        class_target(2, 1)


def test_clicking_needs_a_classifier_of_two_inputs():
    assert clicking_problem("bce", 2) is None
    assert clicking_problem("cross_entropy", 2) is None
    assert "loss half_sse does not classify" in clicking_problem("half_sse", 2)
    assert "has 1 input" in clicking_problem("bce", 1)
    assert "has 3 inputs: a point would need a value for each" in clicking_problem("cross_entropy", 3)


def test_with_point_appends_a_training_row_and_keeps_the_test_set():
    d = dataset(XOR_INPUTS, XOR_TARGETS, [[0.5, 0.5]], [[1.0]])
    table = with_point(d, (0.25, -0.75), 1)
    assert table.inputs.tolist() == XOR_INPUTS + [[0.25, -0.75]]
    assert table.targets.tolist() == XOR_TARGETS + [[1.0]]
    assert table.test_inputs.tolist() == [[0.5, 0.5]] and table.test_targets.tolist() == [[1.0]]
    one_hot = with_point(dataset([[0.0, 0.0]], [[0.0, 1.0, 0.0]]), (2.0, 3.0), 2)
    assert one_hot.targets.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_without_point_counts_the_training_rows_then_the_test_rows():
    d = dataset(XOR_INPUTS, XOR_TARGETS, [[0.5, 0.5], [0.7, 0.1]], [[1.0], [0.0]])
    table = without_point(d, 1)
    assert table.inputs.tolist() == [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
    assert table.targets.tolist() == [[0.0], [1.0], [0.0]]
    assert table.test_inputs.tolist() == [[0.5, 0.5], [0.7, 0.1]]
    table = without_point(d, 5)  # the second test row
    assert table.inputs.tolist() == XOR_INPUTS
    assert table.test_inputs.tolist() == [[0.5, 0.5]] and table.test_targets.tolist() == [[1.0]]
    with pytest.raises(PointError, match="last training point"):
        without_point(dataset([[0.0, 0.0]], [[1.0]], [[1.0, 1.0]], [[0.0]]), 0)


def test_the_points_limit_is_a_clear_message():
    n = MAX_POINTS
    full = dataset(np.zeros((n - 10, 2)), np.zeros((n - 10, 1)), np.zeros((10, 2)), np.zeros((10, 1)))
    with pytest.raises(PointError, match=f"would hold {n + 1:,} points, and bpgui takes at most {n:,}"):
        with_point(full, (0.0, 0.0), 0)
    fits = dataset(np.zeros((n - 1, 2)), np.zeros((n - 1, 1)))
    assert len(with_point(fits, (0.0, 0.0), 1).inputs) == n


def test_extra_row_finds_one_row_more_anywhere_and_nothing_else():
    a = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert extra_row(a, np.insert(a, 1, [9.0, 9.0], axis=0)) == 1
    assert extra_row(np.insert(a, 3, [9.0, 9.0], axis=0), a) == 3
    assert extra_row(a, a[1:]) == 0
    assert extra_row(a, np.insert(a, 2, [2.0, 2.0], axis=0)) == 3  # a twin of a row: the later one is extra
    assert extra_row(a, a) is None
    moved = np.insert(a, 0, [9.0, 9.0], axis=0)
    moved[3] = [5.0, 5.0]
    assert extra_row(a, moved) is None
    assert extra_row(a, a[2:]) is None
    assert extra_row(a, np.zeros((4, 3))) is None


# ---------------------------------------------------------------------------------------------- the window
def outputs_on_show(qtbot, w):
    """Bring the Outputs tab forward and wait until its plot has a settled size and range."""
    w.findChild(QDockWidget, "outputs").raise_()
    plot = w.output_plot
    qtbot.waitUntil(lambda: plot.plot_widget.isVisible() and plot.plot_widget.width() > 100)
    before = None
    for _ in range(40):
        QTest.qWait(25)
        now = (plot.plot_item.vb.viewRange(), plot.plot_item.vb.sceneBoundingRect())
        if now == before:
            return plot
        before = now
    raise AssertionError("the plot does not settle")


def at(plot, x: float, y: float) -> QPoint:
    """The viewport pixel of data coordinates (x, y)."""
    return plot.plot_widget.mapFromScene(plot.plot_item.vb.mapViewToScene(QPointF(x, y)))


def click(plot, x: float, y: float, button=Qt.LeftButton, modifiers=Qt.NoModifier) -> None:
    QTest.mouseClick(plot.plot_widget.viewport(), button, modifiers, at(plot, x, y))
    QTest.qWait(QApplication.styleHints().mouseDoubleClickInterval() + 20)  # the next click is not a double


def pixel(plot) -> float:
    """The larger side of a pixel in data units."""
    return max(plot.plot_item.vb.viewPixelSize())


def rows(data: TableData) -> list:
    return np.column_stack([data.inputs, data.targets]).tolist()


def drawn_fills(plot) -> dict:
    """The fill colour of each drawn training point, by its rounded place."""
    spots = plot.train_points.data
    return {(round(float(s["x"]), 2), round(float(s["y"]), 2)): s["brush"].color().name() for s in spots}


def test_a_click_adds_a_point_of_the_chosen_class_and_shift_click_one_of_the_other(qtbot, make_window):
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    model = w.model
    assert plot.clicks.chooser.isVisible()
    assert [plot.clicks.chooser.combo.itemText(i) for i in range(2)] == ["class 0", "class 1"]
    assert "Shift+click adds one of the other class" in plot.clicks.chooser.combo.toolTip()
    assert plot.plot_widget.toolTip().startswith("Click on the plot to add a training point of the class chosen")
    original = model.doc.data
    px = pixel(plot)

    click(plot, 0.5, 0.25)
    added = model.doc.data
    assert len(added.inputs) == 5 and rows(added)[:4] == rows(original)
    (x, y), t = added.inputs[4], added.targets[4]
    assert abs(x - 0.5) <= px and abs(y - 0.25) <= px and t.tolist() == [0.0]
    assert model.undo_stack.undoText() == "Add a class 0 point"
    assert w.status.text().startswith("added a class 0 point at (")
    # drawn at once, in class 0's colour
    assert drawn_fills(plot)[(round(x, 2), round(y, 2))] == CLASS_FILL[0]

    click(plot, 0.25, 0.5, modifiers=Qt.ShiftModifier)
    shifted = model.doc.data
    assert len(shifted.inputs) == 6 and shifted.targets[5].tolist() == [1.0]
    assert abs(shifted.inputs[5][0] - 0.25) <= px and abs(shifted.inputs[5][1] - 0.5) <= px
    assert drawn_fills(plot)[tuple(np.round(shifted.inputs[5], 2))] == CLASS_FILL[1]

    plot.clicks.chooser.combo.setCurrentIndex(1)
    click(plot, 0.75, 0.5)
    click(plot, 0.5, 0.75, modifiers=Qt.ShiftModifier)
    assert model.doc.data.targets[6:].tolist() == [[1.0], [0.0]]

    # each click one undo step, back to the file's four points; and forward again
    for n in (7, 6, 5, 4):
        w.window_actions.undo.trigger()
        assert len(model.doc.data.inputs) == n
    assert model.doc.data == original
    assert len(plot.train_points.data) == 4
    w.window_actions.redo.trigger()
    assert model.doc.data == added
    w.window_actions.redo.trigger()
    assert model.doc.data == shifted


def test_clicked_points_are_saved_and_read_back(qtbot, make_window, tmp_path):
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    click(plot, -0.5, 0.5)
    click(plot, 1.5, 0.5, modifiers=Qt.ShiftModifier)
    path = tmp_path / "mine.json"
    w.model.save(path)
    table = load_document(path).data
    assert isinstance(table, TableData)
    assert table == w.model.doc.data
    assert table.targets[4:].tolist() == [[0.0], [1.0]]
    # the clicked coordinates are written short (to a tenth of a pixel), not as 17 digits
    raw = json.loads(path.read_text())["data"]["inputs"]
    assert all(len(repr(v)) <= 7 for v in raw[4] + raw[5]), raw[4:]


def test_right_click_and_ctrl_click_on_a_point_remove_it(qtbot, make_window):
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    model = w.model
    original = model.doc.data
    px = pixel(plot)
    start = plot.plot_item.vb.viewRange()

    # a few pixels off the point still hits it
    click(plot, 0.0 + 3 * px, 1.0 - 2 * px, button=Qt.RightButton)
    assert QApplication.activePopupWidget() is None  # no menu over a removed point
    assert rows(model.doc.data) == [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    assert model.undo_stack.undoText() == "Remove a class 1 training point"
    assert w.status.text() == "removed a class 1 training point at (0, 1)"
    assert len(plot.train_points.data) == 3
    w.window_actions.undo.trigger()
    assert model.doc.data == original
    w.window_actions.redo.trigger()
    assert len(model.doc.data.inputs) == 3

    click(plot, 1.0, 1.0, modifiers=Qt.ControlModifier)
    assert rows(model.doc.data) == [[0.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
    assert model.undo_stack.undoText() == "Remove a class 0 training point"
    w.window_actions.undo.trigger()
    assert len(model.doc.data.inputs) == 3
    w.window_actions.redo.trigger()
    assert len(model.doc.data.inputs) == 2

    # the view stayed where it was (fitting the two points left would have flattened it)
    assert plot.plot_item.vb.viewRange() == start
    # away from every point: Ctrl+click removes nothing and says so; a right-click opens the plot's menu
    steps = model.undo_stack.count()
    click(plot, 0.5, 0.5, modifiers=Qt.ControlModifier)
    assert w.status.text() == "no point within 6 pixels of the click to remove"
    click(plot, 0.5, 0.5, button=Qt.RightButton)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    menu.close()
    assert model.undo_stack.count() == steps and len(model.doc.data.inputs) == 2


def test_a_point_more_than_a_few_pixels_away_is_not_removed(qtbot, make_window):
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    px = pixel(plot)
    click(plot, 1.0 + 9 * px, 0.0, modifiers=Qt.ControlModifier)
    assert w.model.doc.data.inputs.tolist() == XOR_INPUTS


def test_the_first_click_on_generated_data_makes_a_table_and_undo_brings_the_generator_back(qtbot, make_window):
    w = make_window("circles")
    plot = outputs_on_show(qtbot, w)
    model = w.model
    generator = model.doc.data
    assert isinstance(generator, GeneratorData) and generator.n == 300
    made = generate("circles", 300, generator.noise, generator.test_fraction, generator.seed)

    click(plot, 0.25, 0.1)
    table = model.doc.data
    assert isinstance(table, TableData)
    assert np.array_equal(table.inputs[:240], made.x_train) and np.array_equal(table.targets[:240], made.t_train)
    assert np.array_equal(table.test_inputs, made.x_test) and np.array_equal(table.test_targets, made.t_test)
    assert len(table.inputs) == 241 and table.targets[240].tolist() == [0.0]
    assert w.status.text() == ("The circles data is now a table of 301 points: clicked points edit it "
                               "(Undo brings the generator back)")
    assert model.undo_stack.undoText() == "Add a class 0 point (the circles data becomes a table)"
    assert w.training_panel.dataset.currentText().startswith("table")
    w.window_actions.undo.trigger()
    assert model.doc.data == generator
    assert len(plot.train_points.data) == 240
    w.window_actions.redo.trigger()
    assert model.doc.data == table

    # removing a test point of the generated data makes a table too: the one furthest from the other points
    w.window_actions.undo.trigger()
    everything = np.concatenate([made.x_train, made.x_test])
    gaps = np.linalg.norm(made.x_test[:, None, :] - everything[None, :, :], axis=2)
    gaps[np.arange(60), 240 + np.arange(60)] = np.inf  # not from itself
    alone = int(np.argmax(gaps.min(axis=1)))
    x, y = made.x_test[alone]
    plot.plot_item.vb.setRange(xRange=(x - 0.3, x + 0.3), yRange=(y - 0.3, y + 0.3), padding=0)  # zoomed in
    QTest.qWait(50)
    assert gaps[alone].min() > 2 * 6 * pixel(plot)
    click(plot, *made.x_test[alone], button=Qt.RightButton)
    shorter = model.doc.data
    assert isinstance(shorter, TableData)
    assert len(shorter.inputs) == 240 and np.array_equal(shorter.test_inputs, np.delete(made.x_test, alone, 0))
    assert w.status.text().startswith("The circles data is now a table of 299 points")
    w.window_actions.undo.trigger()
    assert model.doc.data == generator


def test_training_goes_on_with_the_clicked_point(qtbot, make_window):
    """The run takes the new data at once: the outputs' grid, over the data's extent, grows to a point clicked
    outside it, and the steps go on."""
    w = make_window("circles")
    plot = outputs_on_show(qtbot, w)
    w.window_actions.play.trigger()
    qtbot.waitUntil(lambda: w.training.latest.step > 20, timeout=10_000)
    assert w.training.latest.grid_x.max() < 1.3
    click(plot, 1.6, 0.0)
    step = w.training.latest.step
    qtbot.waitUntil(lambda: w.training.latest.grid_x.max() > 1.6 and w.training.latest.step > step + 20,
                    timeout=10_000)
    assert w.training.playing


def drawn_places(plot) -> set:
    spots = np.concatenate([plot.train_points.data, plot.test_points.data])
    return {(float(s["x"]), float(s["y"])) for s in spots}


def test_on_a_sampled_data_set_the_clicked_point_is_drawn_and_the_others_stay(qtbot, make_window):
    w = make_window("circles")
    assert w.model.edit_settings("Set data n 5000", data=replace(w.model.doc.data, n=5000)) is None
    plot = outputs_on_show(qtbot, w)
    before = drawn_places(plot)
    assert len(before) == MAX_DRAWN
    click(plot, 1.2, 1.2)  # off the rings: no point near
    new = tuple(w.model.doc.data.inputs[-1])
    assert drawn_places(plot) == before | {new}
    assert [label.text for _, label in plot.legend.items][-1] == "showing a sample of 2,001 of 5,001 points"
    w.window_actions.undo.trigger()
    assert drawn_places(plot) == before
    # a drawn point removed: the others stay
    x, y = max(before, key=lambda p: p[0])  # the rightmost, on the outer ring's edge
    plot.plot_item.vb.setRange(xRange=(x - 0.1, x + 0.1), yRange=(y - 0.1, y + 0.1), padding=0)
    QTest.qWait(50)
    click(plot, x, y, button=Qt.RightButton)
    assert drawn_places(plot) == before - {(x, y)}


def test_a_drag_pans_and_adds_no_point(qtbot, make_window):
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    vb, viewport = plot.plot_item.vb, plot.plot_widget.viewport()
    start = vb.viewRange()
    a = at(plot, 0.5, 0.5)
    b = a + QPoint(60, 30)
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, a)
    for i in range(1, 9):
        QTest.mouseMove(viewport, a + (b - a) * i / 8)
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, b)
    assert w.model.doc.data.inputs.tolist() == XOR_INPUTS
    assert w.model.undo_stack.count() == 0
    moved = vb.viewRange()
    assert moved[0][0] < start[0][0] and moved[1][0] > start[1][0]  # panned right and down: the view went left, up
    # a click after the pan adds at the data coordinates under the mouse, and keeps the view where it is
    click(plot, 0.5, 0.5)
    x, y = w.model.doc.data.inputs[4]
    assert abs(x - 0.5) <= pixel(plot) and abs(y - 0.5) <= pixel(plot)
    assert vb.viewRange() == moved
    w.window_actions.undo.trigger()
    assert vb.viewRange() == moved


def test_a_double_click_adds_one_point(qtbot, make_window):
    """What a widget gets from a double-click: press, release, a double-click event (for the second press; QTest's
    mouseDClick sends it alone), release."""
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    viewport, p = plot.plot_widget.viewport(), at(plot, 0.5, 0.5)
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, p)
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, p)
    QTest.mouseDClick(viewport, Qt.LeftButton, Qt.NoModifier, p)
    QTest.mouseRelease(viewport, Qt.LeftButton, Qt.NoModifier, p)
    assert len(w.model.doc.data.inputs) == 5 and w.model.undo_stack.count() == 1


@pytest.mark.parametrize("example, reason", [
    ("sine", "the loss half_sse does not classify"),
    ("backprop_by_hand", "the loss half_sse does not classify"),
])
def test_no_clicking_where_a_click_cannot_be_a_class(qtbot, make_window, example, reason):
    w = make_window(example)
    plot = outputs_on_show(qtbot, w)
    data = w.model.doc.data
    assert not plot.clicks.chooser.isVisible()
    assert reason in plot.plot_widget.toolTip()
    assert plot.plot_widget.toolTip().startswith("Clicking adds no points here:")
    (x0, x1), (y0, y1) = plot.plot_item.vb.viewRange()
    for modifiers in (Qt.NoModifier, Qt.ShiftModifier):
        click(plot, (x0 + x1) / 2, (y0 + y1) / 2, modifiers=modifiers)
    assert w.model.doc.data == data and w.model.undo_stack.count() == 0


def test_clicking_turns_on_and_off_with_the_loss(qtbot, make_window):
    """xor with the half_sse loss cannot take clicked classes; back on bce it can."""
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    assert plot.clicks.chooser.isVisible()
    w.model.edit("Set loss to half_sse", lambda n, p: n.set_loss("half_sse"))
    assert not plot.clicks.chooser.isVisible()
    assert "the loss half_sse does not classify" in plot.plot_widget.toolTip()
    click(plot, 0.5, 0.5)
    assert len(w.model.doc.data.inputs) == 4
    w.window_actions.undo.trigger()
    assert plot.clicks.chooser.isVisible()
    click(plot, 0.5, 0.5)
    assert len(w.model.doc.data.inputs) == 5


def test_at_the_points_limit_a_click_says_so_and_changes_nothing(qtbot, make_window, monkeypatch):
    """The limit itself is checked above at MAX_POINTS; here the window at a limit of 4 (a window with 100,000
    points takes seconds to work out its error surface)."""
    monkeypatch.setattr("bpgui.core.clicked_points.MAX_POINTS", 4)
    w = make_window("xor")
    plot = outputs_on_show(qtbot, w)
    click(plot, 0.5, 0.5)
    assert w.status.text() == "cannot add a point: the data would hold 5 points, and bpgui takes at most 4"
    assert w.model.doc.data.inputs.tolist() == XOR_INPUTS and w.model.undo_stack.count() == 0
    click(plot, 1.0, 1.0, button=Qt.RightButton)  # removing still works
    assert len(w.model.doc.data.inputs) == 3


THREE_CLASSES = {
    "format": "bpgui-network", "version": 1, "loss": "cross_entropy",
    "neurons": [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0},
                {"id": "h1", "layer": 1, "activation": "tanh", "bias": 0.0},
                {"id": "a", "layer": 2, "activation": "linear", "bias": 0.0},
                {"id": "b", "layer": 2, "activation": "linear", "bias": 0.0},
                {"id": "c", "layer": 2, "activation": "linear", "bias": 0.0}],
    "edges": [{"from": "x1", "to": "h1", "weight": 0.5}, {"from": "x2", "to": "h1", "weight": -0.5},
              {"from": "h1", "to": "a", "weight": 1.0}, {"from": "h1", "to": "b", "weight": 0.0},
              {"from": "h1", "to": "c", "weight": -1.0}],
    "data": {"inputs": [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
             "targets": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]},
}


def test_with_three_classes_shift_click_takes_the_next_class(qtbot, make_window):
    w = make_window(DocumentModel(document_from_dict(json.loads(json.dumps(THREE_CLASSES)))))
    plot = outputs_on_show(qtbot, w)
    combo = plot.clicks.chooser.combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["class 0 (a)", "class 1 (b)", "class 2 (c)"]
    assert "Shift+click adds one of the next class" in combo.toolTip()
    click(plot, 0.5, 0.5)
    click(plot, 0.5, 0.25, modifiers=Qt.ShiftModifier)
    combo.setCurrentIndex(2)
    click(plot, 0.25, 0.5)
    click(plot, 0.75, 0.75, modifiers=Qt.ShiftModifier)  # after the last class: the first
    assert w.model.doc.data.targets[3:].tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]]
    fills = drawn_fills(plot)
    assert [fills[tuple(np.round(p, 2))] for p in w.model.doc.data.inputs] == [CLASS_FILL[c] for c in
                                                                               (0, 1, 2, 0, 1, 2, 0)]
    click(plot, 0.0, 1.0, button=Qt.RightButton)
    assert w.model.undo_stack.undoText() == "Remove a class 2 training point"
