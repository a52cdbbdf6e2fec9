"""Autosave writes in the background: the window never waits for a copy to be turned into JSON and written."""

from __future__ import annotations

import json
import os
import threading

import pytest

from bpgui.ui.document import recovery


@pytest.fixture
def window(make_window):
    return make_window(size=None)


class HeldWrites:
    """Stands in for the JSON encoding of a copy: records the thread and what it was given, and waits until
    released (at most 20 s, so that a window that writes in its own thread cannot hang the test)."""

    def __init__(self, monkeypatch):
        self.release = threading.Event()
        self.calls: list[tuple[str, dict]] = []
        self.running = self.most = 0
        self._lock = threading.Lock()
        dumps = recovery.dumps

        def held(obj, *a, **k):
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
            self.calls.append((threading.current_thread().name, obj))
            self.release.wait(20)
            with self._lock:
                self.running -= 1
            return dumps(obj, *a, **k)

        monkeypatch.setattr(recovery, "dumps", held)


@pytest.fixture
def held(monkeypatch):
    h = HeldWrites(monkeypatch)
    yield h
    h.release.set()  # the writing thread serves every window: never leave it waiting


def weight(w, value):
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", value)) is None


def copy_weight(w) -> float:
    return json.loads(w.autosave.recovery_file.read_text())["document"]["edges"][0]["weight"]


def test_the_copy_is_written_in_another_thread_from_a_snapshot(qtbot, window, held):
    w = window
    weight(w, 2.5)
    w.autosave.write()  # returns while the JSON is being made
    qtbot.waitUntil(lambda: bool(held.calls), timeout=10_000)
    assert held.calls[0][0] != "MainThread"
    weight(w, -4.0)  # the document goes on changing: the copy being written does not
    assert held.calls[0][1]["document"]["edges"][0]["weight"] == 2.5
    held.release.set()
    qtbot.waitUntil(lambda: not w.autosave.busy(), timeout=10_000)
    assert copy_weight(w) == 2.5
    w.autosave.write()
    qtbot.waitUntil(lambda: not w.autosave.busy(), timeout=10_000)
    assert copy_weight(w) == -4.0


def test_one_write_at_a_time_and_the_last_state_wins(qtbot, window, held):
    w = window
    weight(w, 1.0)
    w.autosave.write()
    qtbot.waitUntil(lambda: bool(held.calls), timeout=10_000)
    for v in (2.0, 3.0, 4.0):
        weight(w, v)
        w.autosave.write()  # asked for while one is in flight: once it ends
    assert len(held.calls) == 1
    held.release.set()
    qtbot.waitUntil(lambda: len(held.calls) == 2 and not w.autosave.busy(), timeout=10_000)
    assert held.most == 1
    assert copy_weight(w) == 4.0


@pytest.mark.parametrize("how", ["close", "save"])
def test_a_write_in_flight_does_not_bring_back_a_removed_copy(qtbot, window, held, tmp_path, how):
    w = window
    weight(w, 2.5)
    w.autosave.write()
    qtbot.waitUntil(lambda: bool(held.calls), timeout=10_000)
    job = w.autosave._write
    if how == "close":
        assert w.close()  # does not wait for the JSON
    else:
        w.model.save(tmp_path / "saved.json")
    held.release.set()
    qtbot.waitUntil(job.done, timeout=20_000)
    assert not w.autosave.recovery_file.exists()
    leftovers = [n for n in os.listdir(w.autosave.recovery_file.parent) if n.endswith(".tmp")]
    assert leftovers == []
    if how == "close":
        assert os.listdir(w.autosave.recovery_file.parent) == []  # its lock too


def test_a_failed_background_write_is_reported_once(qtbot, window, monkeypatch):
    w = window

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(recovery.tempfile, "mkstemp", full_disk)
        weight(w, 2.5)
        w.autosave.write()
        qtbot.waitUntil(lambda: "cannot write the recovery copy" in w.status.text(), timeout=10_000)
        assert "No space left on device" in w.status.text()
        w.show_status("")
        weight(w, 3.5)
        w.autosave.write()
        qtbot.waitUntil(lambda: not w.autosave.busy(), timeout=10_000)
        assert w.status.text() == ""  # said once
        assert w.autosave.dirty  # tried again at the next interval
    assert w.autosave.write(wait=True)
    assert copy_weight(w) == 3.5


def test_moved_neurons_are_in_the_copy(qtbot, window, monkeypatch):
    """The canvas places were only put in the document when saving: a restored copy lost every move."""
    w = window
    assert w.model.edit("move", lambda n, p: p.__setitem__("h1", (123.0, -45.0))) is None
    assert w.autosave.write(wait=True)
    again, bad = recovery.orphaned_recoveries()  # as if this session had crashed: its lock is dropped first
    assert again == [] and bad == []
    w.autosave.lock.release(remove=False)
    again, _ = recovery.orphaned_recoveries()
    assert again[0].document.view["positions"]["h1"] == [123.0, -45.0]
    again[0].release()
