"""`bpgui screenshot`: a real PNG of the window, made without a display."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtGui import QColor, QImage

from bpgui.cli import main
from bpgui.resources import example_paths


def _colours(img: QImage) -> set[str]:
    step = 7
    return {QColor(img.pixel(x, y)).name() for x in range(0, img.width(), step) for y in range(0, img.height(), step)}


def test_screenshot_writes_a_png_of_the_requested_size_showing_the_network(tmp_path, qapp):
    out = tmp_path / "w.png"
    assert main(["screenshot", str(example_paths()["circles"]), "-o", str(out), "--size", "1280x800"]) == 0
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1280, 800)
    colours = _colours(img)
    assert "#2166ac" in colours and "#d6604d" in colours  # positive and negative edges are drawn
    assert "#fde3c8" in colours and "#d9e6f2" in colours  # output and input neurons


def test_screenshot_is_reproducible_and_bad_input_fails_cleanly(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    cmd = [sys.executable, "-m", "bpgui", "screenshot", str(example_paths()["xor"]), "--steps", "200"]
    for out in (a, b):
        r = subprocess.run(cmd + ["-o", str(out)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""  # none of Qt's offscreen notes ("This plugin does not support ...")
    r = subprocess.run(cmd + ["-o", str(tmp_path / "s.png"), "--view", "surface"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert a.read_bytes() == b.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = subprocess.run([sys.executable, "-m", "bpgui", "screenshot", str(bad), "-o", str(tmp_path / "c.png")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"bpgui: error: {bad}: the JSON text ends too early (is the file "
                                             "truncated?)"]
    assert not (tmp_path / "c.png").exists()
    r = subprocess.run(cmd + ["-o", str(tmp_path / "nofolder" / "x.png")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("bpgui: error: ")


def test_screenshot_after_training_shows_the_trained_run(tmp_path, qapp):
    before, after = tmp_path / "0.png", tmp_path / "300.png"
    assert main(["screenshot", str(example_paths()["xor"]), "-o", str(before)]) == 0
    assert main(["screenshot", str(example_paths()["xor"]), "-o", str(after), "--steps", "300"]) == 0
    a, b = QImage(str(before)), QImage(str(after))
    colours = _colours(b)
    # the error surface (viridis: dark purple to yellow) is drawn
    assert any(QColor(c).red() > 200 and QColor(c).green() > 200 and QColor(c).blue() < 100 for c in colours)
    assert any(QColor(c).red() < 90 and QColor(c).green() < 40 and QColor(c).blue() > 70 for c in colours)
    # the trained network's edges are thicker: more pixels in the weights' colours
    def edge_pixels(img):
        return sum(QColor(img.pixel(x, y)).name() in ("#2166ac", "#d6604d")
                   for x in range(0, img.width(), 2) for y in range(0, img.height(), 2))
    assert edge_pixels(b) > 1.5 * edge_pixels(a)
