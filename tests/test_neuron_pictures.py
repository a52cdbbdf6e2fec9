"""Neuron pictures: every neuron's output over the input plane of a 2-input network, carried by snapshots on request
(checked against a forward pass written out here), drawn in the neurons on the canvas (View > Neuron Pictures,
checked on real grabs), enlarged under the mouse, and unavailable, with the reason, for other networks."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from bpgui.cli import main
from bpgui.core import load_document
from bpgui.core.document import document_from_dict
from bpgui.core.training_run import GRID, TrainingRun
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.editor.network_items import KNOB, PICTURE
from bpgui.ui.editor.neuron_pictures import (
    LUT,
    NO_PICTURES_TIP,
    PICTURES_TIP,
    ZOOM_SIDE,
    picture_image,
    pictures_of,
)


def tanh(x):
    return math.tanh(x)


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def run_of(name_or_doc, steps=0):
    doc = load_document(example_paths()[name_or_doc]) if isinstance(name_or_doc, str) else name_or_doc
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.run(steps)
    return run


# ---------------------------------------------------------------------------------------------- core
def test_snapshots_carry_every_neurons_output_over_the_grid_only_when_asked():
    run = run_of("xor", 150)
    plain = run.snapshot()
    assert plain.grid_neurons is None
    snap = run.snapshot(neurons=True)
    cells = snap.grid_neurons
    assert cells.ids == ("h1", "h2", "y1")  # every non-input neuron, document order
    assert cells.outputs.shape == (3, GRID, GRID) and not cells.outputs.flags.writeable
    p = snap.parameters
    gx, gy = snap.grid_x, snap.grid_y
    for i, j in ((0, 0), (5, 60), (31, 32), (63, 63), (50, 7)):  # row i is y = gy[i], column j is x = gx[j]
        x1, x2 = gx[j], gy[i]
        h1 = tanh(p["x1->h1"] * x1 + p["x2->h1"] * x2 + p["h1.bias"])
        h2 = tanh(p["x1->h2"] * x1 + p["x2->h2"] * x2 + p["h2.bias"])
        y1 = sigmoid(p["h1->y1"] * h1 + p["h2->y1"] * h2 + p["y1.bias"])
        assert cells.output("h1")[i, j] == pytest.approx(h1, abs=1e-12)
        assert cells.output("h2")[i, j] == pytest.approx(h2, abs=1e-12)
        assert cells.output("y1")[i, j] == pytest.approx(y1, abs=1e-12)
        assert snap.grid_outputs[i, j, 0] == pytest.approx(y1, abs=1e-12)  # the same pass as the outputs
    assert cells.level("h1") == (-1.0, 1.0)  # tanh: centred on 0
    assert cells.level("y1") == (0.0, 1.0)  # a probability (bce): centred on 0.5, as the Outputs view


def test_unbounded_hidden_neurons_span_their_largest_output_and_softmax_outputs_are_probabilities():
    raw = {
        "format": "bpgui-network", "version": 1,
        "neurons": [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0},
                    {"id": "r", "layer": 1, "activation": "relu", "bias": 0.25},
                    {"id": "s", "layer": 1, "activation": "sigmoid", "bias": -0.5},
                    {"id": "a", "layer": 2, "activation": "linear", "bias": 0.1},
                    {"id": "b", "layer": 2, "activation": "linear", "bias": -0.2}],
        "edges": [{"from": "x1", "to": "r", "weight": 1.5}, {"from": "x2", "to": "r", "weight": -2.0},
                  {"from": "x1", "to": "s", "weight": 0.7}, {"from": "x2", "to": "s", "weight": 0.3},
                  {"from": "r", "to": "a", "weight": 0.8}, {"from": "s", "to": "a", "weight": -1.1},
                  {"from": "r", "to": "b", "weight": -0.4}, {"from": "s", "to": "b", "weight": 0.9}],
        "loss": "cross_entropy",
        "data": {"inputs": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
                 "targets": [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]},
    }
    snap = run_of(document_from_dict(raw)).snapshot(neurons=True)
    cells = snap.grid_neurons
    gx, gy = snap.grid_x, snap.grid_y
    r = np.maximum(1.5 * gx[None, :] - 2.0 * gy[:, None] + 0.25, 0.0)
    s = 1 / (1 + np.exp(-(0.7 * gx[None, :] + 0.3 * gy[:, None] - 0.5)))
    za, zb = 0.8 * r - 1.1 * s + 0.1, -0.4 * r + 0.9 * s - 0.2
    pa = np.exp(za) / (np.exp(za) + np.exp(zb))
    np.testing.assert_allclose(cells.output("r"), r, atol=1e-12)
    np.testing.assert_allclose(cells.output("s"), s, atol=1e-12)
    np.testing.assert_allclose(cells.output("a"), pa, atol=1e-12)  # the probability, not the logit
    np.testing.assert_allclose(cells.output("b"), 1 - pa, atol=1e-12)
    assert cells.level("r") == pytest.approx((-r.max(), r.max()))  # relu: ±its largest output, centred on 0
    assert cells.level("s") == (0.0, 1.0)
    assert cells.level("a") == cells.level("b") == (0.0, 1.0)


def test_picture_image_colours_values_by_the_outputs_map_with_y_up():
    values = np.array([[-1.0, 0.0], [1.0, np.nan]])  # row 0 is the lowest y
    img = picture_image(values, (-1.0, 1.0))
    assert (img.width(), img.height()) == (2, 2)
    rgb = lambda x, y: QColor(img.pixel(x, y)).getRgb()[:3]  # noqa: E731
    assert rgb(0, 1) == tuple(LUT[0])  # low end, bottom left: orange
    assert rgb(1, 1) == tuple(LUT[128])  # the middle: near white
    assert rgb(0, 0) == tuple(LUT[255])  # high end, top left: blue
    assert rgb(1, 0) == (150, 150, 150)  # not finite: grey
    assert tuple(LUT[0]) == (241, 168, 89) and tuple(LUT[255]) == (111, 159, 207)  # the Outputs view's ends


# ---------------------------------------------------------------------------------------------- the window
def pictures_action(w):
    view_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&View")
    return next(a for a in view_menu.actions() if a.text() == "Neuron &Pictures")


def pictured(w) -> set[str]:
    return {nid for nid, it in w.scene.neuron_items.items() if it.picture is not None}


def screen_colour(w, nid: str, i: int, j: int) -> tuple[int, int, int]:
    """The colour on screen (a grab of the canvas) of grid cell (row i from the lowest y, column j) of the
    neuron's picture."""
    it = w.scene.neuron_items[nid]
    half = PICTURE / 2
    scene_point = QPointF(it.x() - half + (j + 0.5) / GRID * PICTURE, it.y() + half - (i + 0.5) / GRID * PICTURE)
    p = w.view.mapFromScene(scene_point)
    img = w.view.viewport().grab().toImage()
    ratio = img.devicePixelRatio()
    return QColor(img.pixel(int(p.x() * ratio), int(p.y() * ratio))).getRgb()[:3]


def lut_colour(value: float, levels) -> np.ndarray:
    lo, hi = levels
    return LUT[int(round(np.clip((value - lo) / (hi - lo), 0, 1) * 255))].astype(int)


def test_the_view_toggle_adds_and_removes_pictures_on_hidden_and_output_neurons(make_window, qtbot):
    w = make_window("xor")
    action = pictures_action(w)
    assert action.isCheckable() and not action.isChecked() and action.isEnabled()
    assert action.toolTip() == PICTURES_TIP == ("each neuron's output over the two inputs, as the Outputs view "
                                                "shows the network's")
    assert not pictured(w) and "neurons" not in w.training.wanted
    assert w.training.latest.grid_neurons is None  # nothing computed while off

    action.trigger()
    qtbot.waitUntil(lambda: pictured(w) == {"h1", "h2", "y1"}, timeout=5000)  # not the inputs
    assert "neurons" in w.training.wanted and w.training.latest.grid_neurons is not None
    h1 = w.scene.neuron_items["h1"]
    assert h1.picture.levels == (-1.0, 1.0) and h1.picture.inputs == ("x1", "x2")
    assert h1.sceneBoundingRect().top() < h1.y() - PICTURE / 2 - 10  # room for the name tag above

    action.trigger()
    qtbot.waitUntil(lambda: not pictured(w), timeout=5000)
    assert "neurons" not in w.training.wanted and w.scene.neuron_pictures is None


def test_pictures_follow_training_on_screen_where_a_neuron_changes_sign(make_window, qtbot):
    w = make_window("circles")
    w.neuron_pictures.set_on(True)
    qtbot.waitUntil(lambda: pictured(w) == {"h1", "h2", "h3", "h4", "y1"}, timeout=5000)
    QTest.qWait(50)
    before = w.training.latest
    old = before.grid_neurons
    w.training.train_steps(100)
    qtbot.waitUntil(lambda: w.training.latest.step >= 100 and w.training.latest.grid_neurons is not None
                    and w.scene.neuron_items["h1"].picture is not None, timeout=10_000)
    QTest.qWait(50)
    new = w.training.latest.grid_neurons
    # cells well inside the picture where a neuron's output went from clearly one sign to clearly the other
    # (and its neighbours with it, so that the smoothed, scaled picture shows that colour there), left of the
    # connecting knob on the picture's right edge
    changes = []
    for nid in ("h1", "h2", "h3", "h4"):
        a, b = old.output(nid), new.output(nid)
        for i in range(6, GRID - 6, 3):
            for j in range(6, GRID - 16, 3):
                na, nb = a[i - 2:i + 3, j - 2:j + 3], b[i - 2:i + 3, j - 2:j + 3]
                if (na > 0.3).all() and (nb < -0.3).all() or (na < -0.3).all() and (nb > 0.3).all():
                    changes.append((nid, i, j))
    assert changes, "training 100 steps changed no hidden neuron's sign anywhere"
    nid, i, j = changes[len(changes) // 2]
    colour = np.array(screen_colour(w, nid, i, j))
    expected = lut_colour(new.output(nid)[i, j], new.level(nid))
    assert np.abs(colour - expected).max() <= 30, (nid, i, j, colour, expected)
    positive = new.output(nid)[i, j] > 0
    assert (colour[2] > colour[0]) == positive  # blue above 0, orange below
    # before training the same cell was the other colour: the first snapshot's picture, drawn again
    w.scene.set_neuron_pictures(pictures_of(before, ("x1", "x2")))
    QTest.qWait(50)
    old_colour = np.array(screen_colour(w, nid, i, j))
    assert np.abs(old_colour - lut_colour(old.output(nid)[i, j], old.level(nid))).max() <= 30
    assert (old_colour[2] > old_colour[0]) != positive


@pytest.mark.parametrize("size", [(1280, 800), (1024, 640)])
def test_hovering_a_neuron_enlarges_its_picture_beside_it(make_window, qtbot, size):
    w = make_window("circles", size=size)
    w.neuron_pictures.set_on(True)
    w.training.train_steps(100)
    qtbot.waitUntil(lambda: w.training.latest.step >= 100 and "h2" in pictured(w), timeout=10_000)
    QTest.qWait(50)
    it = w.scene.neuron_items["h2"]
    viewport = w.view.viewport()
    # first elsewhere: a move to where the (shared, offscreen) cursor already is makes no event
    QTest.mouseMove(viewport, QPoint(1, 1))
    QTest.mouseMove(viewport, w.view.mapFromScene(it.pos()) + QPoint(2, 3))
    qtbot.waitUntil(lambda: w.scene.picture_zoom is not None and w.scene.picture_zoom.isVisible(), timeout=3000)
    zoom = w.scene.picture_zoom
    assert zoom.neuron is it and it.toolTip() == ""  # the enlarged picture instead of the tooltip
    # the enlarged picture is far larger on screen than the neuron's
    on_screen = PICTURE * w.view.transform().m11()
    z = w.view.mapFromScene(zoom.scenePos())
    assert zoom.boundingRect().width() > 3 * on_screen
    assert viewport.rect().contains(z) and viewport.rect().contains(z + QPoint(
        int(zoom.boundingRect().width()) - 1, int(zoom.boundingRect().height()) - 1))  # all of it in view
    # and drawn: the grab shows the neuron's colours, enlarged (its middle sampled at a few cells)
    img = viewport.grab().toImage()
    ratio = img.devicePixelRatio()
    cells = w.training.latest.grid_neurons
    k = zoom.factor  # smaller where the canvas has no room for all of it
    assert k == 1.0 if size == (1280, 800) else 0.6 <= k < 1.0
    left, top, side = k * zoom.PAD, k * (zoom.PAD + zoom.TITLE), k * ZOOM_SIDE
    assert not QRectF(z.x(), z.y(), zoom.boundingRect().width(), zoom.boundingRect().height()).intersects(
        QRectF(w.view.mapFromScene(QRectF(it.x() - PICTURE / 2, it.y() - PICTURE / 2, PICTURE + KNOB, PICTURE))
               .boundingRect()))  # beside the neuron's picture and knob, not over them
    for i, j in ((16, 16), (32, 32), (48, 20)):
        px = z.x() + left + (j + 0.5) / GRID * side
        py = z.y() + top + side - (i + 0.5) / GRID * side
        got = np.array(QColor(img.pixel(int(px * ratio), int(py * ratio))).getRgb()[:3])
        want = lut_colour(cells.output("h2")[i, j], cells.level("h2"))
        assert np.abs(got - want).max() <= 30, (i, j, got, want)
    # leaving the neuron hides it
    QTest.mouseMove(viewport, QPoint(5, 5))
    qtbot.waitUntil(lambda: not zoom.isVisible(), timeout=3000)


def test_a_network_of_one_input_has_no_pictures_and_says_why(make_window, qtbot):
    w = make_window("sine")
    action = pictures_action(w)
    assert not action.isEnabled()
    assert action.toolTip() == NO_PICTURES_TIP.format(n=1)
    assert "need a network of 2 inputs (this one has 1)" in action.toolTip()
    action.setChecked(True)  # even checked (as when it was on for another network), nothing is asked or drawn
    QTest.qWait(100)
    assert not pictured(w) and "neurons" not in w.training.wanted


def test_an_edit_to_one_input_turns_pictures_off_and_undo_brings_them_back(make_window, qtbot):
    w = make_window("xor")
    action = pictures_action(w)
    action.trigger()
    qtbot.waitUntil(lambda: pictured(w) == {"h1", "h2", "y1"}, timeout=5000)
    w.scene.edits.delete(["x2"], [])
    qtbot.waitUntil(lambda: not action.isEnabled(), timeout=3000)
    assert not pictured(w) and "neurons" not in w.training.wanted
    assert "this one has 1" in action.toolTip()
    w.undo()
    qtbot.waitUntil(lambda: pictured(w) == {"h1", "h2", "y1"}, timeout=5000)
    assert action.isEnabled() and action.isChecked()


def test_a_wide_layer_gets_no_pictures_but_the_narrow_ones_do(make_window, qtbot):
    hidden = [{"id": f"h{k}", "layer": 1, "activation": "tanh", "bias": 0.1 * k} for k in range(20)]
    raw = {
        "format": "bpgui-network", "version": 1,
        "neurons": [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0}, *hidden,
                    {"id": "y1", "layer": 2, "activation": "sigmoid", "bias": 0.0}],
        "edges": [{"from": x, "to": f"h{k}", "weight": 0.3 * (k % 5) - 0.6} for x in ("x1", "x2")
                  for k in range(20)] + [{"from": f"h{k}", "to": "y1", "weight": 0.1} for k in range(20)],
        "loss": "bce",
        "data": {"inputs": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], "targets": [[0.0], [1.0], [1.0], [0.0]]},
    }
    w = make_window(DocumentModel(document_from_dict(raw)))
    w.neuron_pictures.set_on(True)
    qtbot.waitUntil(lambda: "y1" in pictured(w), timeout=5000)
    assert pictured(w) == {"y1"}  # the 20 compact neurons show none
    assert set(w.scene.neuron_pictures) >= {"h0", "h19", "y1"}  # (the snapshot has them all)


# ---------------------------------------------------------------------------------------------- the screenshot
def test_screenshot_with_neuron_pictures_draws_them_and_refuses_a_network_of_one_input(tmp_path, qapp):
    plain, pictures = tmp_path / "plain.png", tmp_path / "pictures.png"
    for out, extra in ((plain, []), (pictures, ["--neuron-pictures"])):
        assert main(["screenshot", str(example_paths()["xor"]), "-o", str(out), "--view", "canvas",
                     "--size", "800x600", *extra]) == 0
    a, b = QImage(str(plain)), QImage(str(pictures))
    blue_or_orange = {QColor(*LUT[k]).rgb() for k in range(0, 256)}
    count = lambda img: sum(img.pixel(x, y) in blue_or_orange for x in range(0, img.width(), 2)  # noqa: E731
                            for y in range(0, img.height(), 2))
    assert count(b) > count(a) + 500  # the pictures' pixels
    r = subprocess.run([sys.executable, "-m", "bpgui", "screenshot", str(example_paths()["sine"]), "-o",
                        str(tmp_path / "s.png"), "--neuron-pictures"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["bpgui: error: --neuron-pictures: the network has 1 input; neuron "
                                             "pictures need 2"]
    assert not (tmp_path / "s.png").exists()


def test_opening_another_document_keeps_pictures_on_and_draws_the_new_networks(make_window, qtbot):
    w = make_window("xor")
    w.neuron_pictures.set_on(True)
    qtbot.waitUntil(lambda: pictured(w) == {"h1", "h2", "y1"}, timeout=5000)
    assert w.open_path(example_paths()["circles"], ask=False)
    qtbot.waitUntil(lambda: pictured(w) == {"h1", "h2", "h3", "h4", "y1"}, timeout=5000)
    snap = w.training.latest
    assert set(snap.grid_neurons.ids) == {"h1", "h2", "h3", "h4", "y1"}
    assert w.scene.neuron_items["h3"].picture.extent[0][0] == pytest.approx(float(snap.grid_x[0]))
    assert w.open_path(example_paths()["sine"], ask=False)
    qtbot.waitUntil(lambda: not pictures_action(w).isEnabled(), timeout=5000)
    assert not pictured(w) and "neurons" not in w.training.wanted
