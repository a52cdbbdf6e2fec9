import os

# Qt must run headless in tests; set before any QApplication exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Keep QSettings (recent files) out of the user's real configuration."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("BPGUI_RECOVERY_DIR", str(tmp_path / "recovery"))  # autosaved copies
    try:
        from PySide6.QtCore import QSettings
    except ImportError:
        yield
        return
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "config"))
    QSettings.setDefaultFormat(QSettings.IniFormat)
    yield
