"""Export: images of the window, the canvas and the plots, and the data behind the views — read back and checked
against what the views hold; and the headless `bpgui screenshot --view`."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMessageBox

from bpgui.cli import main
from bpgui.resources import example_paths

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def window(make_window):
    w = make_window()
    w.training.train_steps(300)
    w.wait_for_snapshot(lambda s: s.step >= 300)
    w.wait_for_views()
    return w


def colours(img: QImage, step: int = 3) -> list[QColor]:
    return [QColor(img.pixel(x, y)) for x in range(0, img.width(), step) for y in range(0, img.height(), step)]


def test_the_window_screenshot_has_the_windows_size(window, tmp_path):
    path = tmp_path / "w.png"
    window.exports.export_window(path)
    img = QImage(str(path))
    dpr = window.devicePixelRatioF()
    assert (img.width(), img.height()) == (round(1280 * dpr), round(800 * dpr))


def test_a_surface_png_has_the_chosen_width_the_colour_map_and_the_path(window, tmp_path):
    path = tmp_path / "s.png"
    window.exports.export_view("surface", path, width=1000)
    img = QImage(str(path))
    assert img.width() == 1000 and img.height() > 300
    cs = colours(img)
    assert any(c.red() < 80 and c.green() < 40 and c.blue() > 60 for c in cs)  # viridis' dark purple end
    assert any(c.red() > 200 and c.green() > 200 and c.blue() < 90 for c in cs)  # and its yellow end
    assert any(c.red() > 245 and c.green() > 245 and c.blue() > 245 for c in cs)  # the white path


@pytest.mark.parametrize("view", ["surface", "loss", "boundary", "slice", "directions"])
def test_plot_svgs_parse_and_hold_the_plots_paths(window, tmp_path, view):
    path = tmp_path / f"{view}.svg"
    window.exports.export_view(view, path)
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    shapes = root.findall(f".//{SVG}path") + root.findall(f".//{SVG}polyline")
    assert len(shapes) >= 3  # axes and curves are vector shapes, not one embedded picture


def test_the_loss_svg_holds_the_curve_through_every_point(window, tmp_path):
    path = tmp_path / "loss.svg"
    window.exports.export_view("loss", path)
    text = path.read_text()
    n = len(window.training.latest.history_steps)
    # the train curve is drawn as line segments between the recorded steps (pyqtgraph writes polylines)
    segments = sum(len(p.get("points").split()) - 1 for p in ET.parse(path).getroot().iter(f"{SVG}polyline"))
    assert segments >= n - 1
    assert "step" in text


def test_the_canvas_exports_contain_every_neuron_label(window, tmp_path):
    svg = tmp_path / "c.svg"
    window.exports.export_view("canvas", svg)
    texts = "".join(t.text or "" for t in ET.parse(svg).getroot().iter(f"{SVG}text"))
    for nid in window.model.network.neurons:
        assert nid in texts
    png = tmp_path / "c.png"
    window.exports.export_view("canvas", png, width=1500)
    img = QImage(str(png))
    assert abs(img.width() - 1500) <= 60
    names = {c.name() for c in colours(img, 2)}
    assert "#2166ac" in names and "#d6604d" in names  # positive and negative edges


def test_the_loss_history_csv_is_the_snapshots_history(window, tmp_path):
    path = tmp_path / "loss.csv"
    window.exports.export_data("loss", path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    snap = window.training.latest
    assert [int(r["step"]) for r in rows] == snap.history_steps.tolist()
    assert [float(r["train_loss"]) for r in rows] == snap.history_train.tolist()
    assert all(r["test_loss"] == "" for r in rows)  # xor has no test set


def test_the_weight_path_csv_is_the_drawn_path(window, tmp_path):
    path = tmp_path / "path.csv"
    window.exports.export_data("path", path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    x, y = window.surface.pair
    assert [float(r[x]) for r in rows] == window.surface.path_x
    assert [float(r[y]) for r in rows] == window.surface.path_y
    assert len(rows) > 1


def test_the_surface_grid_npz_and_csv_are_the_drawn_surface(window, tmp_path):
    surf = window.surface.result.surface
    npz = tmp_path / "g.npz"
    window.exports.export_data("grid", npz)
    with np.load(npz) as d:
        assert np.array_equal(d["x"], surf.x) and np.array_equal(d["y"], surf.y)
        assert np.array_equal(d["loss"], surf.loss.astype(float))
    path = tmp_path / "g.csv"
    window.exports.export_data("grid", path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == [surf.x_name, surf.y_name, "loss"]
    assert len(rows) == 1 + surf.loss.size
    i, j = 7, 11
    x, y, e = map(float, rows[1 + i * len(surf.x) + j])
    assert (x, y, e) == (float(surf.x[j]), float(surf.y[i]), float(surf.loss[i, j]))


def test_an_export_to_a_bad_place_says_why_and_changes_nothing(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    keep = tmp_path / "keep.png"
    keep.write_bytes(b"old")
    target = tmp_path / "no such folder" / "s.png"
    window.exports.run(lambda: window.exports.export_view("surface", target, 800), target)
    assert shown and "cannot write" in shown[0] and not target.exists()
    folder = tmp_path / "a folder.png"
    folder.mkdir()
    window.exports.run(lambda: window.exports.export_window(folder), folder)
    assert len(shown) == 2 and folder.is_dir()
    window.exports.run(lambda: window.exports.export_view("surface", keep.with_suffix(".gif")), keep)
    assert len(shown) == 3 and ".png or .svg" in shown[2]
    assert keep.read_bytes() == b"old"


# ---------------------------------------------------------------------------------------------- headless
@pytest.mark.parametrize("view", ["canvas", "surface", "loss", "boundary"])
def test_headless_view_pngs_have_the_requested_size(tmp_path, qapp, view):
    out = tmp_path / f"{view}.png"
    assert main(["screenshot", str(example_paths()["circles"]), "-o", str(out), "--view", view,
                 "--size", "640x480", "--steps", "20"]) == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (640, 480)
    assert len({c.name() for c in colours(img, 8)}) > 20  # not blank


def test_headless_svg_of_the_surface_over_chosen_parameters(tmp_path, qapp):
    out = tmp_path / "s.svg"
    assert main(["screenshot", str(example_paths()["xor"]), "-o", str(out), "--view", "surface",
                 "--x", "x1->h1", "--y", "h1.bias"]) == 0
    text = out.read_text()
    ET.fromstring(text)
    assert "x1-&gt;h1" in text and "h1.bias" in text  # the axes are named after the parameters


@pytest.mark.parametrize("args, message", [
    (["--view", "window", "-o", "{tmp}/w.svg"], "choose a --view for .svg"),
    (["--view", "surface", "-o", "{tmp}/w.gif"], ".png or .svg"),
    (["--x", "x1->h1", "-o", "{tmp}/w.png"], "both --x and --y"),
    (["--x", "x1->h9", "--y", "h1.bias", "-o", "{tmp}/w.png"], "no parameter 'x1->h9'"),
    (["--x", "h1.bias", "--y", "h1.bias", "-o", "{tmp}/w.png"], "two different"),
    (["--view", "nonsense", "-o", "{tmp}/w.png"], "invalid choice"),
])
def test_headless_bad_options_fail_cleanly(tmp_path, capsys, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    assert main(["screenshot", str(example_paths()["xor"]), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bpgui: error:") and message in err and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_copy_screenshot_puts_the_window_on_the_clipboard(window):
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().clear()
    window.window_actions.copy_window.trigger()
    image = QApplication.clipboard().image()
    assert (image.width(), image.height()) == (window.width(), window.height())
    assert "copied" in window.status.text()


def test_the_export_dialogs_write_where_the_user_chose(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    target = tmp_path / "surface"  # no suffix: .png is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (900, True))
    window.exports.export_view_dialog("surface")
    assert QImage(str(target.with_suffix(".png"))).width() == 900
    assert "exported" in window.status.text()
    window.scene.sigExportRequested.emit()  # the canvas's context menu
    assert QImage(str(target.with_suffix(".png"))).width() == 900
    default = window.exports.default_path("surface", ".png")
    assert default.endswith("xor-surface-step300.png")


def test_headless_view_screenshots_are_reproducible(tmp_path, qapp):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for out in (a, b):
        assert main(["screenshot", str(example_paths()["xor"]), "-o", str(out), "--view", "surface",
                     "--steps", "120", "--size", "500x400"]) == 0
    assert a.read_bytes() == b.read_bytes()
