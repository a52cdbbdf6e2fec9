"""The 3D surface on a real X server (Xvfb with Mesa's OpenGL): made when its tab is raised, however late, drawn,
and labelled. Run in a child process, because the rest of the suite uses Qt's offscreen platform, which has no
OpenGL; skipped where Xvfb is not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (apt-get install xvfb)")

CHILD = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtWidgets import QApplication, QDockWidget
    from bpgui.ui.app import make_application
    from bpgui.ui.main_window import MainWindow

    app = make_application()
    w = MainWindow()
    w.resize(1280, 800)
    w.show()
    def wait(seconds, until=lambda: False):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            app.processEvents()
            time.sleep(0.01)
    w.wait_for_snapshot()
    w.wait_for_views()
    wait(3.0)  # longer than the start-up tries used to last
    made_before = w.surface_3d.gl is not None
    w.findChild(QDockWidget, "surface 3d").raise_()
    wait(10.0, lambda: w.surface_3d.gl is not None and w.surface_3d.axis_texts().get("x"))
    wait(0.5)
    out = {"made_before": made_before, "made": w.surface_3d.gl is not None, "problem": w.surface_3d.problem,
           "labels": w.surface_3d.axis_texts(), "pair": list(w.surface.pair)}
    if w.surface_3d.gl is not None:
        image = w.surface_3d.gl.grabFramebuffer()
        out["colours"] = len({image.pixelColor(x, y).name() for x in range(0, image.width(), 5)
                              for y in range(0, image.height(), 5)})
    w.model.undo_stack.setClean()
    w.close()
    print(json.dumps(out))
""")


@pytest.fixture
def display(tmp_path):
    number = 90 + os.getpid() % 50
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    yield f":{number}"
    server.terminate()
    server.wait(10)


def test_the_3d_view_is_made_when_raised_late_and_draws_a_labelled_surface(display, tmp_path):
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "BPGUI_RECOVERY_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    if out["problem"] and "OpenGL" in out["problem"] and not out["made"]:
        pytest.skip(f"this X server has no usable OpenGL: {out['problem']}")
    assert not out["made_before"] and out["made"]
    assert out["colours"] > 50  # a coloured mesh, not a blank view
    x, y = out["pair"]
    assert out["labels"]["x"].startswith(x) and out["labels"]["y"].startswith(y)
    assert out["labels"]["z"].startswith("log₁₀ E")
