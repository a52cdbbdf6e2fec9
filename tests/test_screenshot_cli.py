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
    out = tmp_path / "t.png"
    assert main(["screenshot", str(example_paths()["xor"]), "-o", str(out), "--steps", "300"]) == 0
    img = QImage(str(out))
    colours = _colours(img)
    # the output heatmap has both class colours once XOR is learnt (light orange and light blue ends of the map)
    orange = any(QColor(c).red() > 220 and 140 < QColor(c).green() < 190 and QColor(c).blue() < 120 for c in colours)
    blue = any(QColor(c).blue() > 180 and QColor(c).red() < 140 for c in colours)
    assert orange and blue
