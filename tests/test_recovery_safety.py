"""Recovery copies against the attacks found on them: copies of sessions sharing a pid (PID namespaces), copies
that would crash or hang every later start, copies others can read."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from PySide6.QtWidgets import QMessageBox

from bpgui.core.document import MAX_FILE_BYTES
from bpgui.ui.document import recovery

SESSION = textwrap.dedent("""
    import os, signal, sys, time
    real_pid = os.getpid()
    fake_pid = int(sys.argv[1])
    if fake_pid:
        os.getpid = lambda: fake_pid  # what a process in another PID namespace sees
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from bpgui.ui.app import make_application
    from bpgui.ui.main_window import MainWindow
    app = make_application()
    w = MainWindow()
    w.model.edit("Add h3", lambda n, p: (n.add_neuron("h3", 1, "tanh"), n.add_edge("x1", "h3", 0.75)))
    w.model.edit("e", lambda n, p: n.add_edge("x2", "h3", float(sys.argv[2])))
    w.autosave.write()
    while not w.autosave.recovery_file.exists():  # written in the background
        app.processEvents()
    print(w.autosave.recovery_file, flush=True)
    if sys.argv[3] == "crash":
        os.kill(real_pid, signal.SIGKILL)
    sys.stdin.read()  # alive until told
""")


def session(tmp_path, fake_pid=0, weight=-1.25, crash=True, prefix=()):
    """A real bpgui process that writes a recovery copy, then dies by SIGKILL (``crash``) or lives on; returns
    the Popen and the copy's path."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}  # BPGUI_RECOVERY_DIR: see conftest
    p = subprocess.Popen([*prefix, sys.executable, "-c", SESSION, str(fake_pid), str(weight),
                          "crash" if crash else "live"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline().strip()
    assert line, p.stderr.read() if p.poll() is not None else "no copy written"
    if crash:
        p.wait(timeout=60)
    return p, line


def offered(w, monkeypatch, answer=QMessageBox.Yes):
    asked = []
    monkeypatch.setattr(w.autosave, "ask_restore", lambda text: asked.append(text) or answer)
    return asked


def copy_dict(w, name="good") -> dict:
    """A good recovery copy of ``w``'s document, as JSON values."""
    return {"format": "bpgui-recovery", "version": 1, "path": None, "name": name, "saved": time.time(),
            "document": w.model.doc.to_dict()}


def folder():
    f = recovery.recovery_dir()
    f.mkdir(parents=True, exist_ok=True)
    return f


@pytest.fixture
def window(make_window):
    return make_window(size=None)


# ---------------------------------------------------------------------------------------------- whose copy
def test_two_crashed_sessions_with_the_same_pid_keep_both_copies(qtbot, window, tmp_path, monkeypatch):
    """In a Flatpak or a container every bpgui is PID 1: the second session overwrote the first one's copy."""
    for weight in (-1.25, 2.5):
        session(tmp_path, fake_pid=1, weight=weight)
    w = window
    asked = offered(w, monkeypatch)
    assert w.offer_recovery() == 2 and len(asked) == 2
    weights = {w.model.network.edges[("x2", "h3")], w._extra_windows[0].model.network.edges[("x2", "h3")]}
    assert weights == {-1.25, 2.5}
    for extra in w._extra_windows:
        monkeypatch.setattr(extra.files, "ask_save_changes", lambda: QMessageBox.Discard)
        extra.close()


def test_a_crashed_session_with_this_sessions_pid_is_offered_and_survives_a_clean_close(qtbot, make_window,
                                                                                      tmp_path, monkeypatch):
    """Restarted in a fresh namespace, bpgui has the crashed one's pid: the copy was taken for its own (not
    offered), and the clean close then deleted it."""
    _, left = session(tmp_path, fake_pid=1)
    monkeypatch.setattr(os, "getpid", lambda: 1)
    w = make_window(size=None)
    asked = offered(w, monkeypatch, QMessageBox.Cancel)
    assert w.offer_recovery() == 0 and len(asked) == 1  # offered; kept for later
    assert w.close()
    assert os.path.exists(left)


def test_a_running_session_in_another_namespace_keeps_its_copy_until_it_is_killed(qtbot, window, tmp_path,
                                                                                   monkeypatch):
    """Its pid means nothing here (no such process, or someone else's): the lock it holds says it runs."""
    p, left = session(tmp_path, fake_pid=2**22 + 1, crash=False)  # above Linux's highest pid: "not running"
    try:
        w = window
        monkeypatch.setattr(w.autosave, "ask_restore", lambda text: pytest.fail("offered a live session's copy"))
        assert w.offer_recovery() == 0
        assert os.path.exists(left)
    finally:
        p.kill()
        p.wait(timeout=60)
    asked = offered(w, monkeypatch)
    assert w.offer_recovery() == 1 and len(asked) == 1
    assert w.model.network.edges[("x2", "h3")] == -1.25
    assert not os.path.exists(left)


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    r = subprocess.run(["unshare", "--pid", "--fork", "--map-root-user", "true"], capture_output=True)
    return r.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="no PID namespaces here (unshare --pid --map-root-user)")
def test_sessions_in_real_pid_namespaces(qtbot, window, tmp_path, monkeypatch):
    """The same, in real PID namespaces: each bpgui is PID 2 in its own (under a shell as PID 1)."""
    shell = ("unshare", "--pid", "--fork", "--map-root-user", "sh", "-c", '"$@"; exit 0', "sh")  # PID 1 ignores kill
    for weight in (-1.25, 2.5):
        session(tmp_path, weight=weight, prefix=shell)
    w = window
    asked = offered(w, monkeypatch, QMessageBox.Cancel)
    assert w.offer_recovery() == 0 and len(asked) == 2


def test_a_copy_naming_pid_minus_1_is_offered(qtbot, window, monkeypatch):
    """``os.kill(-1, 0)`` succeeds (it signals every process one may): such a copy was never offered."""
    (folder() / "recovery-x.json").write_text(json.dumps({**copy_dict(window, "minus one"), "pid": -1}))
    asked = offered(window, monkeypatch)
    assert window.offer_recovery() == 1 and "minus one" in asked[0]


# ---------------------------------------------------------------------------------------------- bad copies
def _text(w, **changes) -> str:
    raw = copy_dict(w)
    raw.update(changes)
    return json.dumps(raw)


def _position(w, value: str) -> str:
    raw = copy_dict(w)
    raw["document"]["view"] = {"positions": {"x1": [0, 0]}}
    return json.dumps(raw).replace("[0, 0]", f"[{value}, 0]")


BAD = {
    "saved NaN": lambda w, f: f.write_text(_text(w, saved=0).replace('"saved": 0', '"saved": NaN')),
    "saved 1e308": lambda w, f: f.write_text(_text(w, saved=1e308)),
    "saved in the year 5000": lambda w, f: f.write_text(_text(w, saved=95_617_584_000)),
    "saved as text": lambda w, f: f.write_text(_text(w, saved="yesterday")),
    "a position of 10**400": lambda w, f: f.write_text(_position(w, "1" + "0" * 400)),
    "a position of 1e300": lambda w, f: f.write_text(_position(w, "1e300")),
    "a document nested 100,000 deep": lambda w, f: f.write_text(
        _text(w, document=0).replace('"document": 0', '"document": ' + "[" * 100_000 + "]" * 100_000)),
    "a name nested 100,000 deep": lambda w, f: f.write_text(
        _text(w, name=0).replace('"name": 0', '"name": ' + "[" * 100_000 + "]" * 100_000)),
    "no document": lambda w, f: f.write_text(_text(w, document=None)),
    "a bad document": lambda w, f: f.write_text(_text(w, document={"format": "bpgui-network"})),
    "a name that is not text": lambda w, f: f.write_text(_text(w, name=5)),
    "a name 100,000 long": lambda w, f: f.write_text(_text(w, name="n" * 100_000)),
    "a path that is not text": lambda w, f: f.write_text(_text(w, path=["a"])),
    "version true": lambda w, f: f.write_text(_text(w, version=True)),
    "another format": lambda w, f: f.write_text(_text(w, format="bpgui-network")),
    "not UTF-8": lambda w, f: f.write_bytes(b'{"format": "\xff"}'),
    "a folder": lambda w, f: f.mkdir(),
    "a pipe": lambda w, f: os.mkfifo(f),
    "a link to a good copy elsewhere": lambda w, f: (f.parent.parent.joinpath("elsewhere.json").write_text(_text(w)),
                                                     f.symlink_to(f.parent.parent / "elsewhere.json")),
    "a pipe for its lock": lambda w, f: (f.write_text(_text(w)), os.mkfifo(f.with_suffix(".lock"))),
    "too large": lambda w, f: (f.write_text(_text(w)), os.truncate(f, MAX_FILE_BYTES + 10**6)),
}


class PipeWatch:
    """Whether anyone opened the pipes in ``folder`` to read (and then let them go: a reader gets the end of the
    file), so that a start-up that would wait for ever fails this test instead."""

    def __init__(self, folder):
        self.folder, self.opened, self.done = folder, [], threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        while not self.done.wait(0.01):
            for name in os.listdir(self.folder):
                p = self.folder / name
                try:
                    if stat.S_ISFIFO(os.lstat(p).st_mode):
                        os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))  # only succeeds with a reader
                        self.opened.append(name)
                except OSError:
                    pass

    def stop(self):
        self.done.set()
        self.thread.join()


@pytest.mark.parametrize("case", BAD)
def test_a_bad_copy_is_set_aside_with_a_message_and_start_up_goes_on(qtbot, window, monkeypatch, case):
    w = window
    bad = folder() / "recovery-bad.json"
    BAD[case](w, bad)
    good = copy_dict(w, "kept")
    good["document"]["edges"][0]["weight"] = 3.5
    (folder() / "recovery-good.json").write_text(json.dumps(good))  # a good copy beside it is still offered
    asked = offered(w, monkeypatch)
    watch = PipeWatch(folder())
    try:
        assert w.offer_recovery() == 1
    finally:
        watch.stop()
    assert watch.opened == []
    assert len(asked) == 1 and "kept" in asked[0]
    assert w.model.network.edges[("x1", "h1")] == 3.5
    assert "set aside the recovery file" in w.status.text() and "recovery-bad.json" in w.status.text()
    names = os.listdir(folder())
    assert "recovery-bad.json" not in names and "recovery-bad.json.damaged" in names  # kept, never read again
    monkeypatch.setattr(w.autosave, "ask_restore", lambda text: pytest.fail("offered again"))
    w.show_status("")
    assert w.offer_recovery() == 0 and w.status.text() == ""  # said once


def test_the_message_names_the_set_aside_file(qtbot, window, monkeypatch):
    (folder() / "recovery-nan.json").write_text(_text(window, saved=0).replace('"saved": 0', '"saved": NaN'))
    assert window.offer_recovery() == 0
    text = window.status.text()
    assert str(folder() / "recovery-nan.json.damaged") in text and "NaN" in text


def test_a_copy_from_a_newer_bpgui_is_set_aside_saying_so(qtbot, window, monkeypatch):
    (folder() / "recovery-new.json").write_text(_text(window, version=2))
    monkeypatch.setattr(window.autosave, "ask_restore", lambda text: pytest.fail("offered a newer copy"))
    assert window.offer_recovery() == 0
    assert "made by a newer bpgui" in window.status.text()
    assert os.path.exists(folder() / "recovery-new.json.damaged")


# ---------------------------------------------------------------------------------------------- who can read it
def test_copies_are_readable_by_the_user_only(qtbot, window):
    w = window
    old = os.umask(0o022)
    try:
        assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 2.5)) is None
        assert w.autosave.write(wait=True)
    finally:
        os.umask(old)
    folder = w.autosave.recovery_file.parent
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(w.autosave.recovery_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(recovery.lock_path(w.autosave.recovery_file)).st_mode) == 0o600


def test_an_existing_open_folder_is_tightened(qtbot, window):
    folder = recovery.recovery_dir()
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    window.offer_recovery()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    os.chmod(folder, 0o755)
    assert window.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 2.5)) is None
    assert window.autosave.write(wait=True)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


# ---------------------------------------------------------------------------------------------- locks
def test_a_lock_left_without_a_copy_is_cleared_and_a_held_one_is_not(qtbot, window):
    folder = recovery.ensure_recovery_dir()
    (folder / "recovery-gone.lock").write_text("")
    held = recovery.Lock.take(folder / "recovery-held.lock")
    window.offer_recovery()
    assert sorted(os.listdir(folder)) == ["recovery-held.lock"]
    held.release()
    assert os.listdir(folder) == []


def test_the_copy_and_its_lock_go_at_a_clean_close(qtbot, window):
    w = window
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 2.5)) is None
    assert w.autosave.write(wait=True)
    assert sorted(os.listdir(w.autosave.recovery_file.parent)) == sorted(
        [w.autosave.recovery_file.name, recovery.lock_path(w.autosave.recovery_file).name])
    assert w.close()
    assert os.listdir(w.autosave.recovery_file.parent) == []


def test_copies_have_names_no_other_session_uses(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(os, "getpid", lambda: 1)
    a, b = make_window(size=None, wait=None), make_window(size=None, wait=None)
    assert a.autosave.recovery_file != b.autosave.recovery_file
    assert "-1-" not in a.autosave.recovery_file.name


def test_a_copy_being_offered_is_not_offered_by_another_session_meanwhile(qtbot, window, tmp_path):
    """The lock on a found copy is held while it is offered, and given up after."""
    _, left = session(tmp_path)
    found, bad = recovery.orphaned_recoveries()
    assert [r.file for r in found] == [recovery.Path(left)] and bad == []
    assert recovery.orphaned_recoveries() == ([], [])  # held by this session meanwhile
    found[0].release()
    again, _ = recovery.orphaned_recoveries()
    assert [r.file for r in again] == [recovery.Path(left)]
    again[0].release()
