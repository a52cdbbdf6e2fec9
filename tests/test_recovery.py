"""Autosave and recovery: unsaved work survives a crash (a real kill -9 of a real bpgui process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtWidgets import QMessageBox

from bpgui.core.document import load_document, parse_document
from bpgui.ui.document import recovery
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.main_window import MainWindow


@pytest.fixture
def window(make_window):
    return make_window(size=None)


def add_h3(w):
    assert w.model.edit("Add h3", lambda n, p: (n.add_neuron("h3", 1, "tanh"), n.add_edge("x1", "h3", 0.75))) is None


def test_unsaved_work_gets_a_recovery_copy_in_the_data_folder(qtbot, window, tmp_path):
    w = window
    w.autosave.write()
    assert not w.autosave.recovery_file.exists()  # nothing unsaved: no copy
    add_h3(w)
    qtbot.waitUntil(w.autosave.recovery_file.exists, timeout=3000)  # soon after a structural edit
    assert str(w.autosave.recovery_file).startswith(str(tmp_path))
    raw = json.loads(w.autosave.recovery_file.read_text())
    assert raw["format"] == "bpgui-recovery" and raw["version"] == 1 and raw["name"] == "xor"
    doc = parse_document(json.dumps(raw["document"]))
    assert doc.network.same_as(w.model.network)


def test_a_data_tables_text_is_written_a_little_at_a_time_between_events_once_it_is_open(qtbot, monkeypatch,
                                                                                       tmp_path):
    """Encoding 100,000 rows takes a good part of a second: it is done in steps of ENCODE_ROWS rows between the
    window's events, not at the first autosave or save; the table is shared with the undo history, so undoing
    back to it does not encode it again."""
    import threading

    from bpgui.core import document as document_module
    from bpgui.core.document import ENCODE_ROWS, GeneratorData, TableData

    n = 2 * ENCODE_ROWS + 100
    doc = parse_document(json.dumps({
        "format": "bpgui-network", "version": 1,
        "neurons": [{"id": "x1", "layer": 0}, {"id": "y1", "layer": 1, "activation": "sigmoid", "bias": 0.0}],
        "edges": [{"from": "x1", "to": "y1", "weight": 0.5}], "loss": "bce",
        "data": {"inputs": [[i / n] for i in range(n)], "targets": [[i % 2] for i in range(n)]}}))
    steps = []
    encode = document_module._encode_rows
    monkeypatch.setattr(document_module, "_encode_rows",
                        lambda a: steps.append((len(a), threading.current_thread().name)) or encode(a))
    model = DocumentModel(doc)
    assert steps == []  # not while opening
    qtbot.waitUntil(lambda: len(steps) == 6, timeout=3000)
    assert steps == [(ENCODE_ROWS, "MainThread"), (ENCODE_ROWS, "MainThread"), (100, "MainThread")] * 2
    recovery.write_recovery(tmp_path / "copy.json", model.doc, None, "table")
    model.save(tmp_path / "table.json")
    assert len(steps) == 6  # already written
    assert parse_document((tmp_path / "table.json").read_text(encoding="utf-8")).data == doc.data
    assert model.edit_settings("use sine", data=GeneratorData("sine", 50)) is None
    model.undo()
    assert isinstance(model.doc.data, TableData)
    qtbot.wait(50)
    model.save(tmp_path / "table.json")
    assert len(steps) == 6


def test_the_copy_follows_edits_every_interval_and_goes_when_saved(qtbot, window, tmp_path):
    w = window
    w.autosave.timer.setInterval(50)
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 2.5)) is None  # not structural: the timer
    qtbot.waitUntil(w.autosave.recovery_file.exists, timeout=3000)
    assert json.loads(w.autosave.recovery_file.read_text())["document"]["edges"][0]["weight"] == 2.5
    w.model.save(tmp_path / "net.json")
    qtbot.waitUntil(lambda: not w.autosave.recovery_file.exists(), timeout=3000)


def test_a_clean_close_removes_the_copy(qtbot, window):
    w = window
    add_h3(w)
    assert w.autosave.write(wait=True)
    assert w.autosave.recovery_file.exists()
    assert w.close()
    assert not w.autosave.recovery_file.exists()


def test_discarding_right_after_a_structural_edit_leaves_no_copy(qtbot, window):
    """The copy due a second after a structural edit was still written after a close that discarded the work,
    and the discarded work was offered back at the next start."""
    w = window
    add_h3(w)  # a structural edit: a copy is due in a second
    assert w.close()  # the fixture answers Discard
    qtbot.wait(1500)
    assert not w.autosave.recovery_file.exists()


def test_an_unwritable_data_folder_is_reported_once_and_nothing_breaks(qtbot, window, tmp_path, monkeypatch):
    w = window
    blocker = tmp_path / "not a folder"
    blocker.write_text("x")
    monkeypatch.setattr(recovery, "recovery_dir", lambda: blocker / "recovery")
    w.autosave.recovery_file = recovery.new_recovery_path()
    add_h3(w)
    assert not w.autosave.write(wait=True)
    assert "cannot write the recovery copy" in w.status.text()
    w.show_status("")
    w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 1.5))
    assert not w.autosave.write(wait=True)
    assert w.status.text() == ""  # said once


CRASHING_SESSION = textwrap.dedent("""
    import os, signal
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from bpgui.ui.app import make_application
    from bpgui.ui.main_window import MainWindow
    app = make_application()
    w = MainWindow()
    w.model.edit("Add h3", lambda n, p: (n.add_neuron("h3", 1, "tanh"), n.add_edge("x1", "h3", 0.75)))
    w.model.edit("e", lambda n, p: n.add_edge("x2", "h3", -1.25))
    w.autosave.write()
    while not w.autosave.recovery_file.exists():  # written in the background
        app.processEvents()
    print(w.autosave.recovery_file, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def crash(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}  # BPGUI_RECOVERY_DIR: see conftest
    r = subprocess.run([sys.executable, "-c", CRASHING_SESSION], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == -9, r.stderr
    return r.stdout.strip().splitlines()[-1]


def test_after_kill_9_the_next_session_offers_the_work_back(qtbot, window, tmp_path, monkeypatch):
    left = crash(tmp_path)
    assert os.path.exists(left)
    w = window
    asked = []
    monkeypatch.setattr(w.autosave, "ask_restore", lambda text: asked.append(text) or QMessageBox.Yes)
    assert w.offer_recovery() == 1
    assert "xor" in asked[0] and "unsaved changes" in asked[0]
    net = w.model.network
    assert "h3" in net.neurons and net.edges[("x2", "h3")] == -1.25
    assert w.model.is_modified() and w.isWindowModified()
    assert not os.path.exists(left)  # taken over by this window's own copy
    assert w.autosave.recovery_file.exists()
    w.model.save(tmp_path / "kept.json")
    assert load_document(tmp_path / "kept.json").network.same_as(net)
    assert not w.model.is_modified()


@pytest.mark.parametrize("answer, kept", [(QMessageBox.No, False), (QMessageBox.Cancel, True)])
def test_declining_removes_the_copy_and_cancel_keeps_it_for_later(qtbot, window, tmp_path, monkeypatch, answer,
                                                                   kept):
    left = crash(tmp_path)
    w = window
    monkeypatch.setattr(w.autosave, "ask_restore", lambda text: answer)
    assert w.offer_recovery() == 0
    assert os.path.exists(left) == kept
    assert "h3" not in w.model.network.neurons


def test_another_running_sessions_copy_is_not_offered(qtbot, window, tmp_path, monkeypatch):
    w = window
    add_h3(w)
    assert w.autosave.write(wait=True)  # this process is alive: its copy is its own
    monkeypatch.setattr(w.autosave, "ask_restore", lambda text: pytest.fail("offered a live session's copy"))
    assert w.offer_recovery() == 0
    assert w.autosave.recovery_file.exists()


def test_an_unreadable_recovery_file_is_set_aside_with_a_message(qtbot, window):
    folder = recovery.recovery_dir()
    folder.mkdir(parents=True)
    (folder / "recovery-1-1.json").write_text("{ not json")
    assert window.offer_recovery() == 0
    assert "set aside the recovery file" in window.status.text() and "recovery-1-1.json" in window.status.text()
    assert sorted(os.listdir(folder)) == ["recovery-1-1.json.damaged"]


def test_a_document_saved_part_way_through_an_edit_opens_again(qtbot, window, tmp_path, monkeypatch):
    """Regression: adding an output (so the data no longer fits) and saving wrote a file bpgui then refused."""
    w = window
    assert w.model.edit("add y2", lambda n, p: n.add_neuron("y2", 2, "sigmoid")) is None
    path = tmp_path / "mid-edit.json"
    w.model.save(path)
    w.autosave.write(wait=True)
    again = MainWindow(DocumentModel.open(path))
    qtbot.addWidget(again)
    assert "y2" in again.model.network.neurons
    again.wait_for_snapshot()
    assert "Cannot train" in again.training.latest.problem and "2 outputs" in again.training.latest.problem
    monkeypatch.setattr(again.files, "ask_save_changes", lambda: QMessageBox.Discard)
    again.training.shutdown()
    again.surface.shutdown()
