"""Saving and exporting from the window under simulated failures: a message, and the old file byte for byte."""

from __future__ import annotations

import errno
import os

import pytest
from PySide6.QtWidgets import QMessageBox

from bpgui.resources import example_paths


@pytest.fixture
def window(make_window, monkeypatch, tmp_path):
    path = tmp_path / "net.json"
    path.write_bytes(example_paths()["xor"].read_bytes())
    w = make_window(path, size=None)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    w.shown = shown
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 3.25)) is None
    return w


def fail_with(code: int):
    def fail(*a, **k):
        raise OSError(code, os.strerror(code))
    return fail


@pytest.mark.parametrize("where, code", [("fsync", errno.ENOSPC), ("replace", errno.EACCES), ("fdopen", errno.EIO)])
def test_a_failed_save_says_why_and_leaves_the_old_file(window, monkeypatch, tmp_path, where, code):
    w = window
    before = w.model.path.read_bytes()
    with monkeypatch.context() as m:
        m.setattr(os, where, fail_with(code))
        assert w.files.save() is False
    assert w.shown and os.strerror(code) in w.shown[-1]
    assert w.model.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["net.json"]  # no temporary file left
    assert w.model.is_modified()  # the work is still unsaved, not lost
    assert w.model.network.edges[("x1", "h1")] == 3.25


def test_saving_onto_a_folder_says_so(window, tmp_path, monkeypatch):
    w = window
    folder = tmp_path / "a folder.json"
    folder.mkdir()
    assert w.files.save_to(folder) is False
    assert "folder" in w.shown[-1] and folder.is_dir()


def test_a_failed_export_leaves_the_old_file(window, tmp_path, monkeypatch):
    w = window
    old = tmp_path / "loss.csv"
    old.write_bytes(b"old contents")
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", fail_with(errno.ENOSPC))
        w.exports.run(lambda: w.exports.export_data("loss", old), old)
    assert "No space left" in w.shown[-1]
    assert old.read_bytes() == b"old contents"


@pytest.mark.parametrize("answer", [QMessageBox.No, QMessageBox.Yes])
def test_saving_over_a_read_only_file_asks_first(window, monkeypatch, tmp_path, answer):
    w = window
    path = w.model.path
    before = path.read_bytes()
    os.chmod(path, 0o444)
    asked = []

    def question(parent, title, text, *a):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    assert w.files.save() is (answer == QMessageBox.Yes)
    assert asked == [f"{path} is read-only. Overwrite it anyway?"]
    assert not w.shown  # no error on top of the question
    if answer == QMessageBox.Yes:
        assert path.read_bytes() != before and not w.model.is_modified()
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o444)  # saved, and still read-only
    else:
        assert path.read_bytes() == before and w.model.is_modified()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.json"]
