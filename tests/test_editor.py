"""The network editor driven with real mouse and key events on the view's viewport."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from bpgui.core.document import load_document
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.editor.network_items import KNOB, RADIUS, WEIGHT_PER_PIXEL, column_x
from bpgui.ui.main_window import MainWindow


@pytest.fixture
def window(make_window):
    w = make_window(size=(1100, 700), wait=None)
    w.view.auto_fit = False  # no refits on later resizes
    w.view.resetTransform()  # zoom 1: one view pixel is one scene unit
    w.view.centerOn(column_x(1), 0)
    return w


def vp_point(w, scene_pos) -> QPoint:
    return w.view.mapFromScene(QPointF(*scene_pos) if isinstance(scene_pos, tuple) else scene_pos)


def drag(w, p1, p2, steps=6, modifier=Qt.NoModifier):
    vp = w.view.viewport()
    a, b = vp_point(w, p1), vp_point(w, p2)
    QTest.mousePress(vp, Qt.LeftButton, modifier, a)
    for i in range(1, steps + 1):
        QTest.mouseMove(vp, a + (b - a) * i / steps)
    QTest.mouseRelease(vp, Qt.LeftButton, modifier, b)


def center(w, nid):
    return w.scene.neuron_items[nid].pos()


def knob(w, nid):
    return center(w, nid) + QPointF(RADIUS, 0)


def state(w):
    return w.model.network.copy(), dict(w.model.positions)


def assert_state(w, st):
    net, pos = st
    assert w.model.network.same_as(net)
    assert w.model.positions == pos


def test_labels_and_tooltips_show_values_set_while_they_were_hidden(qtbot, window):
    """Edge labels and tooltips are written when they are shown (a network may have thousands of edges, all
    changing at each training snapshot): what they show is the value of now, not of when they were last on."""
    w = window
    assert w.model.edit("w", lambda n, p: (n.set_weight("x1", "h1", 2.5), n.set_bias("h1", -0.75))) is None
    edge, neuron = w.scene.edge_items[("x1", "h1")], w.scene.neuron_items["h1"]
    w.window_actions.labels.trigger()
    assert edge.label.isVisible() and edge.label.text() == "+2.50"
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", -1.25)) is None
    assert edge.label.text() == "-1.25"  # on show: at once
    w.window_actions.labels.trigger()
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 0.5)) is None
    w.window_actions.labels.trigger()
    assert edge.label.text() == "+0.50"
    vp = w.view.viewport()
    a, b = vp_point(w, center(w, "x1")), vp_point(w, center(w, "h1"))

    def hover(p: QPoint) -> None:
        """The pointer moves to ``p`` with no button down (QTest.mouseMove moves the cursor instead, which
        reaches whichever test window lies under it)."""
        QApplication.sendEvent(vp, QMouseEvent(QEvent.MouseMove, QPointF(p), vp.mapToGlobal(QPointF(p)),
                                               Qt.NoButton, Qt.NoButton, Qt.NoModifier))

    hover(a + (b - a) * 0.45)  # onto the edge, away from its label
    qtbot.waitUntil(lambda: "weight 0.5" in edge.toolTip())
    hover(vp_point(w, center(w, "h1")))
    qtbot.waitUntil(lambda: "bias -0.75" in neuron.toolTip())
    assert "hidden neuron, layer 1" in neuron.toolTip() and "activation tanh" in neuron.toolTip()
    hover(vp_point(w, center(w, "x2")))
    qtbot.waitUntil(lambda: "input 2 (a column of the data)" in w.scene.neuron_items["x2"].toolTip())


def test_drag_from_knob_to_neuron_creates_an_edge_and_undo_redo_restore(window):
    w = window
    before = state(w)
    drag(w, knob(w, "x1"), center(w, "y1"))
    net = w.model.network
    assert ("x1", "y1") in net.edges
    weight = net.edges[("x1", "y1")]
    assert ("x1", "y1") in w.scene.edge_items
    after = state(w)
    w.window_actions.undo.trigger()
    assert_state(w, before)
    assert ("x1", "y1") not in w.scene.edge_items
    w.window_actions.redo.trigger()
    assert_state(w, after)
    assert w.model.network.edges[("x1", "y1")] == weight


@pytest.mark.parametrize("src,dst,reason", [
    ("h1", "x1", "cannot end at input neuron 'x1'"),
    ("h1", "h2", "both neurons are in layer 1"),
    ("x1", "h1", "already exists"),
    ("x2", "x1", "cannot end at input neuron 'x1'"),
])
def test_invalid_connection_changes_nothing_and_says_why(window, src, dst, reason):
    w = window
    before = state(w)
    vp = w.view.viewport()
    a, b = vp_point(w, knob(w, src)), vp_point(w, center(w, dst))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    for i in range(1, 7):
        QTest.mouseMove(vp, a + (b - a) * i / 6)
    assert reason in w.status.text()  # said while hovering, before the release
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, b)
    assert_state(w, before)
    assert reason in w.status.text()
    assert not w.model.undo_stack.canUndo()


def test_release_on_empty_space_cancels_a_connection(window):
    w = window
    before = state(w)
    drag(w, knob(w, "x1"), center(w, "x1") + QPointF(90, -160))
    assert_state(w, before)
    assert "cancel" in w.status.text()


def test_dragging_an_edge_changes_its_weight_live_as_one_undo_step(window):
    w = window
    net = w.model.network
    w0 = net.edges[("x1", "h1")]
    before = state(w)
    item = w.scene.edge_items[("x1", "h1")]
    mid = item.path().pointAtPercent(0.5)
    vp = w.view.viewport()
    a = vp_point(w, mid)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    QTest.mouseMove(vp, a + QPoint(0, -20))
    assert net.edges[("x1", "h1")] == pytest.approx(w0 + 20 * WEIGHT_PER_PIXEL, abs=1e-4)  # live
    QTest.mouseMove(vp, a + QPoint(0, -60))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, a + QPoint(0, -60))
    assert net.edges[("x1", "h1")] == pytest.approx(w0 + 60 * WEIGHT_PER_PIXEL, abs=1e-4)
    assert item.weight == net.edges[("x1", "h1")]  # the canvas shows the new weight
    assert w.model.undo_stack.count() == 1
    w.window_actions.undo.trigger()
    assert net.edges[("x1", "h1")] == w0
    assert_state(w, before)


def test_moving_a_neuron_within_its_column_is_undoable(window):
    w = window
    before = state(w)
    start = center(w, "h1")
    drag(w, start, start + QPointF(0, -70))
    assert w.model.positions["h1"][1] == pytest.approx(start.y() - 70, abs=1.5)
    assert w.model.network.neuron("h1").layer == 1
    w.window_actions.undo.trigger()
    assert_state(w, before)
    assert center(w, "h1") == start


def test_dropping_a_neuron_in_another_column_moves_it_to_that_layer(window):
    w = window
    original = state(w)
    w.window_actions.add_layer.trigger()  # an empty layer 2 before the outputs (now layer 3)
    assert w.model.network.num_layers == 4
    after_add = state(w)
    start = center(w, "h2")
    drag(w, start, QPointF(column_x(2) + 5, start.y()))
    net = w.model.network
    assert net.neuron("h2").layer == 2
    assert w.model.positions["h2"][0] == column_x(2)  # snapped to the column
    w.window_actions.undo.trigger()
    assert_state(w, after_add)
    w.window_actions.undo.trigger()
    assert_state(w, original)
    w.window_actions.redo.trigger()
    w.window_actions.redo.trigger()
    assert w.model.network.neuron("h2").layer == 2


def test_an_invalid_layer_move_snaps_back_and_says_why(window):
    w = window
    before = state(w)
    start = center(w, "h1")
    drag(w, start, QPointF(column_x(2), start.y() + 100))  # h1 -> y1 would not go to a higher layer
    assert_state(w, before)
    assert center(w, "h1") == start
    assert "would not go to a higher layer" in w.status.text()
    drag(w, start, QPointF(column_x(0), start.y()))
    assert_state(w, before)
    assert "cannot become an input" in w.status.text()


def test_click_select_and_delete_a_neuron_then_undo(window):
    w = window
    before = state(w)
    vp = w.view.viewport()
    QTest.mouseClick(vp, Qt.LeftButton, Qt.NoModifier, vp_point(w, center(w, "h1")))
    assert w.scene.neuron_items["h1"].isSelected()
    w.view.setFocus()
    QTest.keyClick(vp, Qt.Key_Delete)
    net = w.model.network
    assert "h1" not in net.neurons
    assert not any("h1" in e for e in net.edges)
    w.window_actions.undo.trigger()
    assert_state(w, before)


def test_select_an_edge_and_delete_it(window):
    w = window
    item = w.scene.edge_items[("x2", "h2")]
    vp = w.view.viewport()
    QTest.mouseClick(vp, Qt.LeftButton, Qt.NoModifier, vp_point(w, item.path().pointAtPercent(0.3)))
    assert item.isSelected()
    w.window_actions.delete.trigger()
    assert ("x2", "h2") not in w.model.network.edges
    assert set(w.model.network.neurons) == {"x1", "x2", "h1", "h2", "y1"}


def test_rubber_band_selects_and_an_impossible_delete_changes_nothing(window):
    w = window
    before = state(w)
    x1, x2 = center(w, "x1"), center(w, "x2")
    top_left = QPointF(x1.x() - 60, min(x1.y(), x2.y()) - 50)
    bottom_right = QPointF(x1.x() + 60, max(x1.y(), x2.y()) + 50)
    drag(w, top_left, bottom_right)
    assert w.scene.neuron_items["x1"].isSelected() and w.scene.neuron_items["x2"].isSelected()
    assert not w.scene.neuron_items["h1"].isSelected()
    w.window_actions.delete.trigger()
    assert_state(w, before)
    assert "last input" in w.status.text()


def test_double_click_in_a_column_adds_a_neuron_there(window):
    w = window
    vp = w.view.viewport()
    p = vp_point(w, (column_x(1), center(w, "h2").y() + 90))
    QTest.mouseDClick(vp, Qt.LeftButton, Qt.NoModifier, p)
    net = w.model.network
    assert "h3" in net.neurons and net.neuron("h3").layer == 1
    w.window_actions.undo.trigger()
    assert "h3" not in net.neurons


def test_properties_panel_edits_the_selected_edge_undoably(window, qtbot):
    w = window
    w.scene.edge_items[("h1", "y1")].setSelected(True)
    assert w.panel.weight.isVisible()
    w0 = w.model.network.edges[("h1", "y1")]
    w.panel.weight.setValue(2.5)
    assert w.model.network.edges[("h1", "y1")] == 2.5
    assert w.scene.edge_items[("h1", "y1")].weight == 2.5
    w.window_actions.undo.trigger()
    assert w.model.network.edges[("h1", "y1")] == w0


def test_title_marks_unsaved_changes_and_save_restores_positions(window, tmp_path):
    w = window
    assert "xor" in w.windowTitle()
    assert not w.isWindowModified()
    start = center(w, "h1")
    drag(w, start, start + QPointF(0, 55))
    assert w.isWindowModified()
    target = tmp_path / "mine.json"
    w.files.save_to(target)
    assert not w.isWindowModified()
    assert "mine.json" in w.windowTitle()
    saved = json.loads(target.read_text())
    assert saved["view"]["positions"]["h1"][1] == pytest.approx(start.y() + 55, abs=1.5)
    w.files.new_document()
    assert "h1" not in w.model.network.neurons
    assert w.open_path(target)
    assert center(w, "h1").y() == pytest.approx(start.y() + 55, abs=1.5)


def test_opening_a_malformed_file_shows_the_message_and_keeps_the_document(window, tmp_path, monkeypatch):
    w = window
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    bad = tmp_path / "bad.json"
    doc = json.loads(example_paths()["xor"].read_text())
    doc["edges"][2]["to"] = "z"
    bad.write_text(json.dumps(doc))
    before = state(w)
    model = w.model
    assert not w.open_path(bad, ask=False)
    assert w.model is model
    assert_state(w, before)
    assert len(shown) == 1 and "edge 3 ('x2' -> 'z'): unknown neuron 'z'" in shown[0]
    assert str(bad) in shown[0]


def test_unsaved_changes_prompt_cancel_keeps_and_discard_replaces(window, monkeypatch):
    w = window
    w.scene.edits.add_layer(2)
    assert w.model.is_modified()
    model = w.model
    monkeypatch.setattr(w.files, "ask_save_changes", lambda: QMessageBox.Cancel)
    w.files.new_document()
    assert w.model is model
    monkeypatch.setattr(w.files, "ask_save_changes", lambda: QMessageBox.Discard)
    w.files.new_document()
    assert w.model is not model
    assert not w.model.is_modified()


def test_wheel_zoom_and_fit(window):
    w = window
    z0 = w.view.zoom()
    vp = w.view.viewport()
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent

    ev = QWheelEvent(QPointF(200, 200), QPointF(vp.mapToGlobal(P(200, 200))), P(0, 0), P(0, 120),
                     Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    w.view.wheelEvent(ev)
    assert w.view.zoom() == pytest.approx(z0 * 1.15)
    w.window_actions.fit.trigger()
    rect = w.view.mapFromScene(w.scene.itemsBoundingRect()).boundingRect()
    assert w.view.viewport().rect().contains(rect)


def test_knob_is_hidden_on_outputs(window):
    assert not window.scene.neuron_items["y1"].knob.isVisible()
    assert window.scene.neuron_items["h1"].knob.isVisible()
    assert KNOB > 0


def test_launching_on_a_bad_file_shows_the_message_and_opens_the_default(qtbot, tmp_path, monkeypatch):
    from bpgui.ui.app import create_window

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "bpgui-network", "version": 1, "neurons": [')
    w = create_window(str(bad))
    qtbot.addWidget(w)
    assert shown == [f"{bad}: the JSON text ends too early (is the file truncated?)"]
    assert set(w.model.network.neurons) == {"x1", "x2", "h1", "h2", "y1"}  # the default example
    assert not w.model.is_modified()


def test_middle_drag_and_space_drag_pan_the_view(window):
    w = window
    w.view.scale(3, 3)  # zoomed in, so there is room to scroll
    vp = w.view.viewport()
    bar = w.view.horizontalScrollBar()
    v0 = bar.value()
    a = QPoint(400, 300)
    QTest.mousePress(vp, Qt.MiddleButton, Qt.NoModifier, a)
    QTest.mouseMove(vp, a + QPoint(-80, 0))
    QTest.mouseRelease(vp, Qt.MiddleButton, Qt.NoModifier, a + QPoint(-80, 0))
    assert bar.value() == v0 + 80
    before = state(w)
    w.view.setFocus()
    QTest.keyPress(w.view, Qt.Key_Space)
    drag(w, w.view.mapToScene(a), w.view.mapToScene(a + QPoint(60, 0)))
    QTest.keyRelease(w.view, Qt.Key_Space)
    assert bar.value() < v0 + 80
    assert_state(w, before)  # panning over neurons moves nothing


def test_saved_files_appear_in_open_recent_and_reopen(window, tmp_path):
    w = window
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert w.files.save_to(a) and w.files.save_to(b)
    actions = w.files.recent_menu.actions()
    assert [act.text() for act in actions] == ["b.json", "a.json"]
    w.scene.edits.add_layer(2)
    w.model.undo_stack.setClean()
    actions[1].trigger()
    assert w.model.path == a
    assert w.model.network.num_layers == 3
    # remembered across windows (QSettings)
    again = MainWindow(DocumentModel(load_document(a)))
    assert [act.text() for act in again.files.recent_menu.actions()] == ["a.json", "b.json"]
    again.deleteLater()


def test_dragging_sideways_within_a_column_snaps_back_and_records_nothing(window):
    w = window
    start = center(w, "h1")
    drag(w, start, start + QPointF(60, 0))
    assert center(w, "h1") == start  # the item follows the model, which keeps neurons on their column
    assert w.model.undo_stack.count() == 0
    assert not w.model.is_modified()


def test_edits_that_change_nothing_leave_no_undo_step(window):
    w = window
    w.scene.edits.set_activation("h1", "tanh")  # already tanh
    w.scene.neuron_items["h1"].setSelected(True)
    b0 = w.panel.bias.value()
    w.panel.bias.stepUp()
    w.panel.bias.stepDown()
    assert w.panel.bias.value() == b0
    assert w.model.undo_stack.count() == 0 or not w.model.undo_stack.canUndo()
    assert not w.model.is_modified()


def _start_weight_drag(w, edge=("x1", "h1")):
    vp = w.view.viewport()
    a = vp_point(w, w.scene.edge_items[edge].path().pointAtPercent(0.5))
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    QTest.mouseMove(vp, a + QPoint(0, -30))
    return vp, a + QPoint(0, -30)


def test_delete_undo_and_other_buttons_wait_while_an_edge_is_dragged(window, monkeypatch):
    w = window
    net = w.model.network
    w.scene.edits.set_activation("h2", "relu")  # one earlier step to (not) undo
    w0 = net.edges[("x1", "h1")]
    monkeypatch.setattr("bpgui.ui.editor.network_scene.QMenu.exec", lambda *a, **k: None)
    vp, p = _start_weight_drag(w)
    w.window_actions.delete.trigger()  # the dragged edge is selected: deleting it now would pull it from under the drag
    w.window_actions.undo.trigger()  # undoing now would be overwritten by the drag's snapshot
    QTest.mousePress(vp, Qt.RightButton, Qt.NoModifier, p)
    QTest.mouseRelease(vp, Qt.RightButton, Qt.NoModifier, p)
    QTest.mouseMove(vp, p + QPoint(0, -20))
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, p + QPoint(0, -20))
    assert ("x1", "h1") in net.edges
    assert net.edges[("x1", "h1")] == pytest.approx(w0 + 50 * WEIGHT_PER_PIXEL, abs=1e-4)
    assert net.neuron("h2").activation == "relu"
    assert w.model.undo_stack.count() == 2
    w.window_actions.undo.trigger()
    assert net.edges[("x1", "h1")] == w0 and net.neuron("h2").activation == "relu"
    w.window_actions.undo.trigger()
    assert net.neuron("h2").activation == "tanh"


def test_closing_the_window_with_a_selection_raises_nothing(qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    w = MainWindow(DocumentModel(load_document(example_paths()["xor"])))
    w.show()
    w.scene.neuron_items["h1"].setSelected(True)
    w.close()
    w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    qtbot.wait(10)  # pytest-qt fails the test if a slot raised during the teardown


def test_save_as_asks_before_replacing_a_file_it_named_itself(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    w = window
    existing = tmp_path / "mine.json"
    existing.write_text("precious")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mine"), ""))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.No)
    assert not w.files.save_as()
    assert existing.read_text() == "precious" and len(asked) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    assert w.files.save_as()
    assert load_document(existing).network.same_as(w.model.network)
