"""The Outputs view of a network with more inputs than a picture can show: the inputs to draw are chosen in its
tool row (by default the two that vary most), the others held at their mean; the run pictures what is chosen."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from bpgui.core.document import Document, TableData, TrainingConfig
from bpgui.core.engine import Engine
from bpgui.core.network import layered
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.training.output_plot import CURVE_CHOICE


def wide_document() -> DocumentModel:
    rng = np.random.default_rng(5)
    net = layered([4, 3, 1], "tanh", "sigmoid", "bce", weights=lambda a, b: float(rng.normal()))
    x = rng.normal(size=(60, 4)) * [0.1, 3.0, 0.2, 2.0]  # inputs 2 and 4 (indices 1 and 3) vary most
    t = (x[:, 1] + x[:, 3] > 0).astype(float)[:, None]
    return DocumentModel(Document(net, TableData(x, t), TrainingConfig("sgd", 0.1)))


def test_a_wide_table_is_pictured_over_the_two_inputs_that_vary_most(make_window, qtbot):
    w = make_window(wide_document())
    plot = w.output_plot
    assert plot.x_choice.isVisible() and plot.y_choice.isVisible()
    assert (plot.x_choice.currentText(), plot.y_choice.currentText()) == ("x2", "x4")
    qtbot.waitUntil(lambda: w.training.latest.grid_inputs == (1, 3), timeout=10_000)
    snap = w.training.latest
    assert plot.heatmap.isVisible()
    # the picture's cell is the network's output with inputs 1 and 3 there, the others at their mean
    data = w.model.dataset()
    point = data.x_train.mean(axis=0)
    point[1], point[3] = snap.grid_x[5], snap.grid_y[9]
    net = w.model.network.copy()
    net.set_parameters(snap.parameters)
    assert np.isclose(snap.grid_outputs[9, 5, 0], Engine(net).predict(point[None, :])[0, 0], rtol=1e-9)
    # the data points are drawn at those two inputs
    pos = plot.train_points.getData()
    assert np.allclose(sorted(pos[0]), sorted(data.x_train[:, 1]))


def test_choosing_other_inputs_and_a_curve_with_the_keyboard(make_window, qtbot):
    w = make_window(wide_document())
    plot = w.output_plot
    plot.x_choice.setFocus()
    QTest.keyClick(plot.x_choice, Qt.Key_Up)  # x2 → x1
    assert plot.axes == (0, 3)
    qtbot.waitUntil(lambda: w.training.latest.grid_inputs == (0, 3), timeout=10_000)
    assert plot.plot_item.getAxis("bottom").labelText == "x1"
    plot.y_choice.setFocus()
    QTest.keyClick(plot.y_choice, Qt.Key_End)  # the last entry: a curve over x1 alone
    assert plot.y_choice.currentText() == CURVE_CHOICE and plot.axes == (0,)
    qtbot.waitUntil(lambda: w.training.latest.grid_inputs == (0,), timeout=10_000)
    assert w.training.latest.grid_y is None and len(plot.curve.getData()[0]) > 0


def test_narrow_data_have_no_input_choice(make_window):
    w = make_window("xor")
    assert not w.output_plot.x_choice.isVisible() and w.output_plot.axes == (0, 1)


def test_more_than_two_classes_colour_each_cell_by_its_predicted_class(make_window, qtbot):
    from bpgui.ui.training.output_plot import CLASS_FILL, CLASS_TINT

    rng = np.random.default_rng(1)
    net = layered([2, 5, 3], "tanh", "linear", "cross_entropy", weights=lambda a, b: float(rng.normal()))
    x = rng.normal(size=(30, 2))
    t = np.eye(3)[rng.integers(0, 3, size=30)]
    w = make_window(DocumentModel(Document(net, TableData(x, t), TrainingConfig("sgd", 0.1))))
    plot = w.output_plot
    qtbot.waitUntil(lambda: plot.heatmap.image is not None and plot.heatmap.image.ndim == 3, timeout=10_000)
    snap = w.training.latest
    image = plot.heatmap.image
    for j, i in ((0, 0), (30, 40), (63, 63)):
        k = int(np.argmax(snap.grid_outputs[j, i]))
        color = np.array([int(CLASS_FILL[k][n:n + 2], 16) for n in (1, 3, 5)])
        assert np.allclose(image[j, i], 255 - CLASS_TINT * (255 - color), atol=1)
