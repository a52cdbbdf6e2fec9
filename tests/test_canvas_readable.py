"""The canvas reads well and is easy to work: text as large as the panels' at the default size, weight labels
clear of each other and of the surface's x/y marks, edges that are easy to grab (the nearest one, when edges
cross), a Properties legend that matches what the edges show, old files' neurons in their columns."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from bpgui.core.document import load_document
from bpgui.resources import example_paths
from bpgui.ui.editor.network_items import ID_FONT, RADIUS, SMALL_FONT, column_x, font


def viewport_point(w, scene_pos: QPointF) -> QPoint:
    return w.view.mapFromScene(scene_pos)


@pytest.mark.parametrize("size, names, small_print", [((1280, 800), 1.0, 0.8), ((1024, 640), 0.8, 0.6)])
def test_canvas_text_is_as_large_as_the_panels_text(make_window, size, names, small_print):
    """At the default size the neurons' names are as large as the panels' text (they were 5-7 px); in a small
    window they stay readable."""
    w = make_window(size=size)
    panel = QFontInfo(QApplication.font()).pixelSize()
    zoom = w.view.zoom()
    neuron_id = QFontInfo(font(ID_FONT, bold=True)).pixelSize() * zoom
    small = QFontInfo(font(SMALL_FONT)).pixelSize() * zoom
    assert neuron_id >= names * panel, f"neuron names {neuron_id:.1f} px against the panels' {panel} px"
    assert small >= small_print * panel, f"activation and bias {small:.1f} px against the panels' {panel} px"


def test_weight_labels_keep_clear_of_each_other_and_of_the_axis_letters(make_window):
    w = make_window()
    w.window_actions.labels.trigger()
    edges = list(w.scene.edge_items.values())
    rects = [e.label.sceneBoundingRect() for e in edges]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), "two weight labels overlap"
        for e in edges:
            if e.axis:
                assert not a.intersects(e.axis_rect()), "a weight label covers the surface's x/y letter"
    # also under the gradient overlay, whose labels are longer
    w.window_actions.gradients.trigger()
    rects = [e.label.sceneBoundingRect() for e in edges]
    assert sum(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:]) == 0


def drag(w, p1: QPoint, p2: QPoint) -> None:
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, p1)
    for k in range(1, 7):
        QTest.mouseMove(vp, p1 + (p2 - p1) * k / 6)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, p2)


def test_a_press_a_few_pixels_off_an_edge_grabs_it(make_window):
    w = make_window()
    w.view.zoom_by(0.5 / w.view.zoom())  # zoomed out: a thin edge on screen
    edge = w.scene.edge_items[("x2", "h2")]  # horizontal at the default places
    mid = edge.point_at(0.5)
    p1 = viewport_point(w, mid) + QPoint(0, 6)  # 6 screen pixels below the line
    w0 = edge.weight
    drag(w, p1, p1 + QPoint(0, -30))
    assert w.model.network.weight("x2", "h2") > w0  # dragged up: a larger weight, not a rubber band


def test_where_edges_cross_the_nearest_one_is_grabbed(make_window, tmp_path):
    """A skip edge x1 → y1 runs past h1 and close along h1 → y1 near y1: a press on h1 → y1 must take that edge."""
    doc = load_document(example_paths()["xor"])
    doc.network.add_edge("x1", "y1", 0.5)
    path = tmp_path / "skip.json"
    from bpgui.core.document import save_document

    save_document(doc, path)
    w = make_window(path)
    target = w.scene.edge_items[("h1", "y1")]
    skip = w.scene.edge_items[("x1", "y1")]
    # a point on h1 → y1 where the skip edge is within grabbing distance too
    centres = [it.pos() for it in w.scene.neuron_items.values()]
    for t in [k / 40 for k in range(40, 0, -1)]:
        p = target.point_at(t)
        clear = all((p - c).manhattanLength() > 2 * RADIUS for c in centres)  # not a press on a neuron
        if clear and skip.shape().contains(p) and target.distance_to(p) < skip.distance_to(p):
            break
    else:
        pytest.skip("the two edges do not come close in this layout")
    before = (w.model.network.weight("h1", "y1"), w.model.network.weight("x1", "y1"))
    p1 = viewport_point(w, p)
    drag(w, p1, p1 + QPoint(0, -25))
    after = (w.model.network.weight("h1", "y1"), w.model.network.weight("x1", "y1"))
    assert after[0] != before[0] and after[1] == before[1]


def test_the_properties_legend_follows_the_gradient_overlay(make_window):
    w = make_window()
    assert "blue" in w.panel.info.text() and "purple" not in w.panel.info.text()
    w.window_actions.gradients.trigger()
    assert "purple" in w.panel.info.text() and "∂E/∂w" in w.panel.info.text()
    w.window_actions.gradients.trigger()
    assert "blue" in w.panel.info.text()


def test_neurons_of_a_file_with_wider_columns_stand_in_their_columns(make_window, tmp_path):
    raw = json.loads(example_paths()["xor"].read_text())
    raw["view"] = {"positions": {"x1": [0, -40], "x2": [0, 40], "h1": [190, -40], "h2": [190, 40], "y1": [380, 0]}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw))
    w = make_window(path)
    for nid, item in w.scene.neuron_items.items():
        layer = w.model.network.neurons[nid].layer
        assert item.pos().x() == column_x(layer) and w.model.positions[nid][0] == column_x(layer)
    assert item.pos().y() == 0.0 and w.scene.neuron_items["h1"].pos().y() == -40
    assert not w.model.is_modified()
