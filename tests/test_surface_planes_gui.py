"""The surface over other planes in the window: the plane box, E on the plane against the engine, the choice saved
and reopened, the gradient plane refused at a stationary point, the pca plane's share of the path, the arrows of
−∇E projected onto a plane, and dragging the point along a plane (one undo step)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from bpgui.core.engine import Engine
from bpgui.core.planes import PLANES
from bpgui.resources import example_paths
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.main_window import MainWindow


def choose(qtbot, w, kind: str) -> None:
    """Pick ``kind`` in the view's plane box as a user would, and wait for its fine surface (or its refusal)."""
    box = w.surface_view.plane
    box.setCurrentIndex(box.findData(kind))
    box.activated.emit(box.currentIndex())
    assert w.surface.plane == kind
    qtbot.waitUntil(lambda: w.surface.settled and (w.surface.cleared is not None or w.surface.result.kind == kind),
                    timeout=20_000)


def assert_engine_values(w, n: int = 6) -> None:
    result = w.surface.result
    plane, surf = result.plane, result.surface
    d = w.model.doc.dataset()
    ny, nx = surf.loss.shape
    rng = np.random.default_rng(1)
    for i, j in zip(rng.integers(0, ny, size=n), rng.integers(0, nx, size=n)):
        net = w.model.network.copy()
        net.set_parameters(plane.parameters(float(surf.x[j]), float(surf.y[i])))
        assert surf.loss[i, j] == pytest.approx(Engine(net).loss_value(d.x_train, d.t_train), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("kind", ["gradient", "random", "pca"])
def test_each_plane_shows_the_engines_loss_over_origin_plus_a_u_plus_b_v(qtbot, make_window, kind):
    w = make_window(wait="surface")
    w.training.train_steps(200)
    qtbot.waitUntil(lambda: w.training.latest.step >= 200, timeout=20_000)
    choose(qtbot, w, kind)
    assert [w.surface_view.plane.itemData(k) for k in range(w.surface_view.plane.count())] == list(PLANES)
    assert w.surface.cleared is None
    result = w.surface.result
    assert result.fine and result.plane.kind == kind
    names = tuple(w.model.network.parameter_names())
    now = np.array([w.model.network.get_parameter(p) for p in names])
    np.testing.assert_allclose(result.plane.origin, now, rtol=0, atol=1e-12)  # the origin is the current weights
    assert w.surface_view.point.isVisible() and tuple(w.surface_view.point.pos()) == (0.0, 0.0)
    assert_engine_values(w)
    assert w.surface_view.plot_item.getAxis("bottom").labelText.startswith(f"{kind} plane")
    assert f"{kind} plane" in w.surface_view.caption.text()
    assert not w.surface_view.x_combo.isEnabled() and w.surface_view.point.movable  # the point drags on a plane
    if kind == "gradient":
        d = w.model.doc.dataset()
        g = Engine(w.model.network).gradient(d.x_train, d.t_train)[1]
        g = np.array([g[p] for p in names])
        np.testing.assert_allclose(result.plane.u, -g / np.linalg.norm(g), atol=1e-9)


def test_weights_again_after_another_plane_is_the_pairs_surface(qtbot, make_window):
    w = make_window(wait="surface")
    choose(qtbot, w, "gradient")
    choose(qtbot, w, "weights")
    surf = w.surface.result.surface
    assert (surf.x_name, surf.y_name) == w.surface.pair and w.surface.result.kind == "weights"
    assert w.surface_view.x_combo.isEnabled() and w.surface_view.point.movable


def test_the_plane_is_saved_in_the_view_and_reopened(qtbot, make_window, tmp_path):
    w = make_window(wait="surface")
    choose(qtbot, w, "random")
    path = tmp_path / "net.json"
    w.model.save(path)
    assert DocumentModel.open(path).doc.view["surface"]["plane"] == "random"
    again = MainWindow(DocumentModel.open(path))
    qtbot.addWidget(again)
    try:
        assert again.surface.plane == "random" and again.surface_view.plane.currentData() == "random"
    finally:
        again.training.shutdown()
        again.surface.shutdown()
    choose(qtbot, w, "weights")  # absent again: the file reads as before planes existed
    w.model.save(path)
    assert "plane" not in DocumentModel.open(path).doc.view["surface"]


def test_an_unknown_saved_plane_opens_as_weights(qtbot, make_window, tmp_path):
    w = make_window(wait="surface")
    view = dict(w.model.doc.view or {})
    view["surface"] = {**view.get("surface", {}), "plane": "sideways"}
    w.model.doc.view = view
    path = tmp_path / "odd.json"
    w.model.save(path)
    model = DocumentModel.open(path)
    again = MainWindow(model)
    qtbot.addWidget(again)
    try:
        assert again.surface.plane == "weights"
    finally:
        again.training.shutdown()
        again.surface.shutdown()


def test_the_gradient_plane_at_a_stationary_point_says_so(qtbot, make_window):
    w = make_window(wait="surface")
    before = w.model.begin_live_change()
    w.model.network.set_parameters({p: 0.0 for p in w.model.network.parameter_names()})  # xor at 0: ∇E = 0
    w.model.commit_live_change("every parameter 0", before)
    d = w.model.doc.dataset()
    assert not any(Engine(w.model.network).gradient(d.x_train, d.t_train)[1].values())
    choose(qtbot, w, "gradient")
    qtbot.waitUntil(lambda: "cannot be drawn" in w.surface_view.caption.text(), timeout=20_000)
    text = w.surface_view.caption.text()
    assert "gradient plane cannot be drawn" in text and "∇E is 0" in text
    assert w.surface_view.surface is None


def test_the_pca_plane_draws_the_path_and_gives_its_variance_share(qtbot, make_window):
    w = make_window(wait="surface")
    w.training.train_steps(300)
    qtbot.waitUntil(lambda: w.training.latest.step >= 300, timeout=20_000)
    choose(qtbot, w, "pca")
    assert w.surface.cleared is None
    result = w.surface.result
    assert result.path is not None and len(result.path.x) >= 2
    share = 100 * result.plane.explained
    text = w.surface_view.caption.text()
    assert "% of the path's variance" in text and "from the plane" in text
    gap = np.abs(result.path.loss - result.path.plane_loss)  # the true E along the path against E on the plane
    assert f"by at most {gap.max():.3g}" in text, text
    assert f"{share:.3g}" in text or f"{share:.1f}" in text
    surf = result.surface  # fitted to the path, then widened to the plot's proportions: square cells, no margins
    assert np.diff(surf.x).mean() == pytest.approx(np.diff(surf.y).mean(), rel=0.1)
    assert (surf.x[-1] - surf.x[0]) / (surf.y[-1] - surf.y[0]) == pytest.approx(w.surface_view.aspect(), rel=0.1)
    assert surf.x[0] < result.path.x.min() and result.path.x.max() < surf.x[-1]
    xs, ys = w.surface_view.path_points()
    np.testing.assert_allclose(xs, result.path.x)
    np.testing.assert_allclose(ys, result.path.y)
    assert xs[-1] == pytest.approx(0.0, abs=1e-9) and ys[-1] == pytest.approx(0.0, abs=1e-9)  # ends at the point
    assert_engine_values(w)


def test_the_pca_plane_of_a_path_of_one_row_says_so(qtbot, make_window):
    w = make_window(wait="surface")
    choose(qtbot, w, "pca")
    qtbot.waitUntil(lambda: "cannot be drawn" in w.surface_view.caption.text(), timeout=20_000)
    assert "pca plane cannot be drawn" in w.surface_view.caption.text()
    assert "one row" in w.surface_view.caption.text()


def test_screenshot_of_a_plane_writes_the_picture_and_refuses_an_unknown_plane(tmp_path):
    out = tmp_path / "g.png"
    cmd = [sys.executable, "-m", "bpgui", "screenshot", str(example_paths()["xor"]), "--steps", "50", "--view",
           "surface"]
    r = subprocess.run(cmd + ["--plane", "gradient", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = subprocess.run(cmd + ["--plane", "sideways", "-o", str(tmp_path / "s.png")], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and not (tmp_path / "s.png").exists()
    assert r.stderr.strip().splitlines()[-1].startswith("bpgui: error:") and "sideways" in r.stderr


def engine_gradient(w, names) -> np.ndarray:
    d = w.model.doc.dataset()
    g = Engine(w.model.network).gradient(d.x_train, d.t_train)[1]
    return np.array([g[p] for p in names])


@pytest.mark.parametrize("kind", ["gradient", "random"])
def test_the_arrows_on_a_plane_are_minus_the_gradient_projected_and_the_caption_gives_its_share(qtbot, make_window,
                                                                                                   kind):
    w = make_window(wait="surface")
    w.training.train_steps(100)
    qtbot.waitUntil(lambda: w.training.latest.step >= 100, timeout=20_000)
    choose(qtbot, w, kind)
    plane, view = w.surface.result.plane, w.surface_view
    g = engine_gradient(w, plane.names)
    a, b = -g @ plane.u, -g @ plane.v  # by hand
    k = w.surface.arrow_scale
    assert k is not None and view.sum_arrow.shown
    xs, ys = view.sum_arrow.line.getData()
    assert (xs[0], ys[0]) == (0.0, 0.0)
    assert (xs[1], ys[1]) == pytest.approx((k * a, k * b), rel=1e-9, abs=1e-12)
    xs, ys = view.x_arrow.line.getData()
    assert (xs[1], ys[1]) == pytest.approx((k * a, 0.0), rel=1e-9, abs=1e-12)
    xs, ys = view.y_arrow.line.getData()
    assert (xs[1], ys[1]) == pytest.approx((0.0, k * b), rel=1e-9, abs=1e-12)
    # the share of |∇E| in span(u, v): the orthogonal projection (u, v of the random plane are not unit vectors)
    basis = np.column_stack([plane.u, plane.v])
    inside = basis @ np.linalg.lstsq(basis, g, rcond=None)[0]
    share = 100 * np.linalg.norm(inside) / np.linalg.norm(g)
    text = view.caption.text()
    assert f"holds <b>{share:.3g} %</b> of |∇E|" in text, text
    if kind == "gradient":  # xor trains its biases: u = −∇E/|∇E| over every parameter, so ∇E lies in the plane
        assert w.model.doc.training.train_biases
        assert share == pytest.approx(100.0, rel=1e-6) and b == pytest.approx(0.0, abs=1e-9 * abs(a))
    else:
        assert share < 100.0


def test_dragging_the_point_on_a_plane_moves_every_parameter_along_it_as_one_undo_step(qtbot, make_window):
    w = make_window(wait="surface")
    w.training.train_steps(50)
    qtbot.waitUntil(lambda: w.training.latest.step >= 50, timeout=20_000)
    choose(qtbot, w, "random")
    view, vb, gv = w.surface_view, w.surface_view.plot_item.vb, w.surface_view.plot_widget
    plane = w.surface.result.plane
    names = tuple(w.model.network.parameter_names())
    start = w.model.network.parameters()
    assert tuple(view.point.pos()) == (0.0, 0.0)
    seen = []
    view.sigDragged.connect(lambda x, y: seen.append((x, y)))

    def screen(x, y):
        return gv.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    p, q = screen(0.0, 0.0), screen(0.3, -0.2)
    QTest.mousePress(gv.viewport(), Qt.LeftButton, Qt.NoModifier, p)
    for i in range(1, 9):
        QTest.mouseMove(gv.viewport(), p + (q - p) * i / 8)
    QTest.mouseRelease(gv.viewport(), Qt.LeftButton, Qt.NoModifier, q)
    assert seen, "the point was not dragged"
    a, b = seen[-1]  # the point's data coordinates where it was dropped
    assert (a, b) == pytest.approx((0.3, -0.2), abs=0.03)
    after = w.model.network.parameters()
    expected = plane.origin + a * plane.u + b * plane.v
    np.testing.assert_allclose([after[n] for n in names], expected, rtol=0, atol=1e-12)
    assert sum(after[n] != start[n] for n in names) > 2  # every weight moved, not a pair
    assert w.model.undo_stack.undoText() == "Move every parameter on the random plane"
    assert w.model.undo_stack.count() >= 1
    w.window_actions.undo.trigger()
    assert w.model.network.parameters() == start  # exactly the old values
    w.window_actions.redo.trigger()
    assert w.model.network.parameters() == after
    # the new plane goes through the new weights: the point is its origin again
    qtbot.waitUntil(lambda: w.surface.settled, timeout=20_000)
    np.testing.assert_allclose(w.surface.result.plane.origin, [after[n] for n in names], rtol=0, atol=1e-12)
    assert tuple(view.point.pos()) == (0.0, 0.0)
