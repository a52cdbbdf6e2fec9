"""bpgui.core is the Qt-free model and maths: importing it (every module of it) must load no Qt binding."""

from __future__ import annotations

import json
import subprocess
import sys

QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6")

PROBE = """
import json, pkgutil, importlib, sys
import bpgui.core
names = ["bpgui.core"]
for info in pkgutil.walk_packages(bpgui.core.__path__, "bpgui.core."):
    importlib.import_module(info.name)
    names.append(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[1:])
print(json.dumps({"imported": names, "qt": qt, "numpy": "numpy" in sys.modules}))
"""


def test_importing_every_core_module_loads_no_qt():
    r = subprocess.run([sys.executable, "-c", PROBE, *QT_MODULES], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["qt"] == [], f"bpgui.core imported Qt modules: {result['qt']}"
    # the probe really imported the package's modules (so the check above means something)
    expected = {"bpgui.core.document", "bpgui.core.network", "bpgui.core.engine", "bpgui.core.training"}
    assert expected <= set(result["imported"]), result["imported"]
    assert result["numpy"]


def test_the_probe_would_see_a_qt_import():
    """The same detection, in a process that does import a Qt module, must report it."""
    probe = PROBE.replace("import bpgui.core\n", "import bpgui.core\nimport shiboken6\n", 1)
    r = subprocess.run([sys.executable, "-c", probe, *QT_MODULES], capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "No module named 'shiboken6'" in r.stderr:
        import pytest

        pytest.skip("shiboken6 is not installed")
    assert r.returncode == 0, r.stderr
    assert "shiboken6" in json.loads(r.stdout)["qt"]
