"""The surface view tells the truth at the moments that matter, in the real window: arrows that shrink as the
gradient does, none at a stationary point, a colour scale that contains E and stays put, a landscape that is said
to move under the path, a start that is never lost, the Slice and Directions tabs up to date while training."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_surface_picture import least_squares_net

from bpgui.core.document import Document, TableData, TrainingConfig, save_document
from bpgui.core.engine import Engine
from bpgui.ui.surface.surface_view import RACE_COLORS, SUM_ARROW, X_ARROW, Y_ARROW


def settle(qtbot, w):
    qtbot.waitUntil(lambda: w.surface.settled and w.training.is_current(w.training.latest), timeout=20_000)


def exact_fit(tmp_path, offset=0.0, span=None):
    net, x, t = least_squares_net(offset)
    path = tmp_path / "fit.json"
    view = {"surface": {"x": "x1->y1", "y": "y1.bias", "span": span}} if span else None
    save_document(Document(net, TableData(x, t), TrainingConfig("sgd", 0.5), view), path)
    return path


def arrow_length(w) -> float:
    xs, ys = w.surface_view.sum_arrow.line.getData()
    return math.hypot(xs[1] - xs[0], ys[1] - ys[0])


def test_arrows_keep_one_scale_while_stepping_and_shrink_with_the_gradient(qtbot, make_window):
    w = make_window(wait="surface")
    w.training.train_steps(200)  # past xor's plateau: the gradient shrinks from here on
    qtbot.waitUntil(lambda: w.training.latest.step == 200)
    settle(qtbot, w)
    w.surface_view.fit_arrows.click()  # a new scale, fitted to this gradient
    scale, lengths = w.surface.arrow_scale, [arrow_length(w)]
    for step in range(201, 204):
        w.window_actions.step.trigger()
        qtbot.waitUntil(lambda s=step: w.training.latest.step == s)
        settle(qtbot, w)
        lengths.append(arrow_length(w))
        assert w.surface.arrow_scale == scale  # one scale for the stretch
    assert lengths[-1] < lengths[0]  # the gradient shrank, so did the arrow
    # the drawn length is the scale times the engine's gradient
    g = [Engine(w.model.network).gradient(w.model.dataset().x_train, w.model.dataset().t_train)[1][n]
         for n in w.surface.pair]
    assert lengths[-1] == pytest.approx(scale * math.hypot(*g), rel=1e-9)
    assert "one scale since step 200" in w.surface_view.caption.text()
    # Play starts a new stretch: a new scale, fitted to the gradient then
    w.training.play()
    qtbot.waitUntil(lambda: w.training.latest.step > 260, timeout=20_000)
    w.training.pause()
    assert w.surface.arrow_scale != scale


def test_a_stationary_point_gets_no_arrows_and_says_so(qtbot, make_window, tmp_path):
    """∇E computed as about 1e-16 at an exact fit: no long confident arrows in an arbitrary direction."""
    w = make_window(exact_fit(tmp_path), wait="surface")
    assert w.surface.pair == ("x1->y1", "y1.bias")
    g = w.training.latest.gradient
    assert 0 < np.abs(g).max() < 1e-14  # not exactly 0: the arrows used to point wherever rounding put it
    assert not any(a.shown for a in (w.surface_view.x_arrow, w.surface_view.y_arrow, w.surface_view.sum_arrow))
    assert "a stationary point" in w.surface_view.caption.text()
    w.findChild(type(w.surface_view.parent()), "directions").raise_()
    qtbot.waitUntil(lambda: w.direction_plot.isVisible())
    assert "stationary" in w.direction_plot.message.text() and w.direction_plot.message.isVisible()


def test_away_from_the_fit_the_arrows_are_back(qtbot, make_window, tmp_path):
    w = make_window(exact_fit(tmp_path, offset=0.05), wait="surface")
    assert w.surface_view.sum_arrow.shown and "stationary" not in w.surface_view.caption.text()


def test_near_a_minimum_the_surface_is_float64(qtbot, make_window, tmp_path):
    """In a window of ± 0.01 around an exact fit E changes by a few parts in a million, which float32 cannot tell
    apart (the surface was rounding speckle): the grid is float64."""
    w = make_window(exact_fit(tmp_path, span=0.01), wait="surface")
    surf = w.surface.result.surface
    d = w.model.dataset()
    rng = np.random.default_rng(1)
    ny, nx = surf.loss.shape
    for i, j in zip(rng.integers(0, ny, 5), rng.integers(0, nx, 5)):
        net = w.model.network.copy()
        net.set_parameters({"x1->y1": float(surf.x[j]), "y1.bias": float(surf.y[i])})
        assert surf.loss[i, j] == pytest.approx(Engine(net).loss_value(d.x_train, d.t_train), rel=1e-12)


def test_the_colour_scale_contains_the_current_loss(qtbot, make_window, tmp_path):
    """At a minimum the current point is the lowest E on the grid, below the 1st percentile the scale began at."""
    w = make_window(exact_fit(tmp_path), wait="surface")
    lo, hi = w.surface_view.colorbar.levels()
    e = w.training.latest.train_loss
    assert lo <= math.log10(e) <= hi


def test_the_colour_scale_stays_put_while_training(qtbot, make_window):
    w = make_window(wait="surface")
    w.training.train_steps(400)
    qtbot.waitUntil(lambda: w.training.latest.step == 400)
    settle(qtbot, w)
    seen = []
    w.surface.worker.sigResult.connect(lambda r: r.picture is not None and seen.append(r.picture.levels))
    w.training.play()
    qtbot.waitUntil(lambda: len(seen) >= 6, timeout=30_000)
    w.training.pause()
    changes = sum(a != b for a, b in zip(seen, seen[1:]))
    assert changes <= len(seen) // 3  # it moves now and then, not at every picture
    assert all(round(v * 10, 6) == round(v * 10) for lv in seen for v in lv)  # whole tenths of a decade


def test_the_caption_says_when_the_landscape_under_the_path_has_moved(qtbot, make_window):
    w = make_window(wait="surface")
    assert "Other weights moved (most:" not in w.surface_view.caption.text()
    w.training.train_steps(300)
    qtbot.waitUntil(lambda: w.training.latest.step == 300)
    settle(qtbot, w)
    assert "Other weights moved (most:" in w.surface_view.caption.text()
    # older parts of the path are fainter
    alphas = [band.opts["pen"].color().alpha() for band in w.surface_view.path_bands]
    assert alphas == sorted(alphas) and alphas[0] < alphas[-1]


def choose_view(qtbot, w, label: str) -> None:
    """Choose a view mode in the box as a user does: open it, move to the item, Enter."""
    box = w.surface_view.view_mode
    box.setFocus()
    index = box.findText(label)
    while box.currentIndex() != index:
        QTest.keyClick(box, Qt.Key_Down if box.currentIndex() < index else Qt.Key_Up)
    settle(qtbot, w)


def test_whole_path_shows_the_start_and_fixed_keeps_the_grid(qtbot, make_window):
    w = make_window(wait="surface")
    w.training.train_steps(300)
    qtbot.waitUntil(lambda: w.training.latest.step == 300)
    settle(qtbot, w)
    x0, y0 = w.surface.path.x[0], w.surface.path.y[0]
    surf = w.surface.result.surface
    assert not (surf.x[0] <= x0 <= surf.x[-1] and surf.y[0] <= y0 <= surf.y[-1])  # following: start lost
    assert "Whole path" in w.surface_view.caption.text()
    choose_view(qtbot, w, "Whole path")
    surf = w.surface.result.surface
    assert surf.x[0] <= x0 <= surf.x[-1] and surf.y[0] <= y0 <= surf.y[-1]
    assert w.model.doc.view["surface"]["view"] == "path"
    choose_view(qtbot, w, "Fixed")
    before = (w.surface.result.surface.x[0], w.surface.result.surface.y[0])
    w.training.train_steps(2000)
    qtbot.waitUntil(lambda: w.training.latest.step == 2300, timeout=20_000)
    settle(qtbot, w)
    assert (w.surface.result.surface.x[0], w.surface.result.surface.y[0]) == before


def test_slice_and_directions_follow_training(qtbot, make_window):
    """They used to show the numbers of the step where training began."""
    w = make_window(wait="surface")
    w.findChild(type(w.surface_view.parent()), "slice").raise_()
    x_name = w.surface.pair[0]
    start = w.model.network.get_parameter(x_name)
    seen = []
    w.surface.worker.sigResult.connect(lambda r: seen.append(r.id))
    w.training.play()
    qtbot.waitUntil(lambda: w.training.latest.step > 300 and len(seen) > 3, timeout=20_000)
    shown = w.slice_plot.current.data["x"][0]  # while it plays
    now = w.model.network.get_parameter(x_name)
    w.training.pause()
    assert abs(shown - now) < 0.25 * abs(start - now)  # near where the weight is, not where it began


def test_race_paths_are_named_at_their_ends_in_colours_apart_from_the_arrows(qtbot, make_window):
    w = make_window(wait="surface")
    w.surface_view.race.click()
    qtbot.waitUntil(lambda: len(w.surface_view.race_paths) == 3, timeout=20_000)
    names = [it.toPlainText() for it in w.surface_view._race_items if hasattr(it, "toPlainText")]
    assert {n.split()[0] for n in names} == {"sgd", "momentum", "adam"}
    taken = {c.lower() for c in (X_ARROW, Y_ARROW, SUM_ARROW, "#d7301f", "#fee08b")}
    assert not taken & {RACE_COLORS[k].lower() for k in ("sgd", "momentum", "adam")}
    assert w.surface_view.plot_item.legend is None  # nothing covers the plot


def test_the_exported_surface_has_its_caption(qtbot, make_window, tmp_path):
    from PySide6.QtGui import QImage

    w = make_window(wait="surface")
    w.exports.export_view("surface", tmp_path / "s.png")
    img = QImage(str(tmp_path / "s.png"))
    plot_h = w.surface_view.plot_widget.height()
    assert img.height() >= plot_h + w.surface_view.caption.height() - 1
    dark = [QColorAt(img, x, y) for y in range(plot_h + 4, img.height(), 2) for x in range(0, img.width(), 3)]
    assert sum(c < 100 for c in dark) > 50  # text under the plot
    svg = (tmp_path / "s.svg")
    w.exports.export_view("surface", svg)
    assert "the other parameters held" in svg.read_text()


def QColorAt(img, x, y) -> int:  # noqa: N802 - a colour's lightness
    from PySide6.QtGui import QColor

    return QColor(img.pixel(x, y)).lightness()
