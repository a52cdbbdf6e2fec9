"""The ``bpgui`` command never shows a traceback: unusable outputs (devices, pipes, long names, folders it cannot
enter), a full standard output, odd parameter names and numbers, file names with a newline, and Ctrl+C. Each is
one line on stderr and a non-zero exit status, and nothing is written."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpgui import cli
from bpgui.resources import example_paths

XOR = example_paths()["xor"]


def run(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def child(*argv, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "bpgui.cli", *map(str, argv)], env=env, text=True,
                            stderr=subprocess.PIPE, **{"stdout": subprocess.PIPE, **kwargs})


def one_line(err: str) -> str:
    assert err.startswith("bpgui: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err[len("bpgui: error: "):-1]


# ---------------------------------------------------------------------------------------------- outputs
def test_train_onto_a_named_pipe_is_refused_before_training(tmp_path, capsys):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    status, out, err = run(capsys, "train", XOR, "--steps", 5, "-o", fifo)
    assert (status, out) == (2, "")
    assert one_line(err) == f"{fifo}: is a named pipe, not a file"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["out.json"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_train_onto_a_device_as_root_leaves_the_device(tmp_path):
    """`bpgui train ... -o /dev/null` as root used to replace /dev/null with a regular file."""
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    p = child("train", XOR, "--steps", 5, "-o", dev)
    out, err = p.communicate(timeout=120)
    assert (p.returncode, out) == (2, "")
    assert one_line(err) == f"{dev}: is a device, not a file"
    assert stat.S_ISCHR(os.lstat(dev).st_mode) and os.listdir(tmp_path) == ["null"]


def test_a_trailing_slash_is_an_error_not_a_file_without_it(tmp_path, capsys):
    target = str(tmp_path / "x.json") + "/"
    status, out, err = run(capsys, "train", XOR, "--steps", 5, "-o", target)
    assert (status, out) == (2, "")
    assert one_line(err) == f"{target}: names a folder (it ends with '/'), not a file"
    assert os.listdir(tmp_path) == []


def test_a_read_only_output_is_refused(tmp_path, capsys):
    target = tmp_path / "out.json"
    target.write_bytes(b"keep me")
    os.chmod(target, 0o444)
    status, out, err = run(capsys, "train", XOR, "--steps", 5, "-o", target)
    assert (status, out) == (2, "")
    assert one_line(err) == f"{target}: is read-only"
    assert target.read_bytes() == b"keep me"


@pytest.mark.parametrize("command", ["train", "surface"])
def test_an_output_name_too_long_for_the_file_system(tmp_path, capsys, command):
    target = tmp_path / ("a" * 300 + (".json" if command == "train" else ".npz"))
    extra = ["--steps", 5] if command == "train" else ["--x", "x1->h1", "--y", "h1.bias"]
    status, out, err = run(capsys, command, XOR, *extra, "-o", target)
    assert (status, out) == (2, "")
    assert one_line(err) == f"{target}: File name too long"
    assert os.listdir(tmp_path) == []


def test_an_output_in_a_folder_this_user_cannot_enter(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    target = locked / "out.json"
    if os.geteuid() == 0:  # root enters any folder: make the file system say no
        real_stat = os.stat

        def refuse(path, *a, **k):
            if os.fspath(path).startswith(os.fspath(locked) + os.sep):
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_stat(path, *a, **k)

        monkeypatch.setattr(os, "stat", refuse)
    else:
        os.chmod(locked, 0)
    try:
        status, out, err = run(capsys, "train", XOR, "--steps", 5, "-o", target)
    finally:
        os.chmod(locked, 0o755)
    assert (status, out) == (2, "")
    assert one_line(err) == f"{target}: Permission denied"
    assert os.listdir(locked) == []


def test_a_newline_in_a_file_name_stays_on_one_line(tmp_path, capsys):
    bad_input = tmp_path / "no\nsuch.json"
    status, out, err = run(capsys, "inspect", bad_input)
    assert (status, out) == (2, "")
    assert one_line(err) == str(bad_input).replace("\n", "\\n") + ": no such file"
    target = tmp_path / "new\nfolder" / "out.json"
    status, out, err = run(capsys, "train", XOR, "--steps", 5, "-o", target)
    assert (status, out) == (2, "")
    assert one_line(err).startswith(str(target).replace("\n", "\\n") + ": the folder ")


def test_a_file_name_that_is_not_utf8_stays_on_one_line(tmp_path, capsys):
    name = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9\x1b[31m.json")  # a stray byte and an escape sequence
    status, out, err = run(capsys, "inspect", name)
    assert (status, out) == (2, "")
    assert one_line(err).endswith("caf\\udce9\\x1b[31m.json: no such file")


# ---------------------------------------------------------------------------------------------- standard output
@pytest.mark.parametrize("argv", [["inspect", XOR], ["inspect", XOR, "--json"], ["examples"], ["--help"]])
def test_a_full_standard_output_is_one_line_and_a_failure(argv):
    """`bpgui inspect x.json > /dev/full`: no traceback, no "Exception ignored", a non-zero status."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        p = child(*argv, stdout=full)
        _, err = p.communicate(timeout=120)
    assert p.returncode != 0
    assert one_line(err) == "cannot write to standard output (No space left on device)"


def test_a_closed_pipe_on_standard_output_is_still_quiet():
    r, w = os.pipe()
    os.close(r)
    with os.fdopen(w, "w") as closed:
        p = child("inspect", XOR, stdout=closed)
        _, err = p.communicate(timeout=120)
    assert (p.returncode, err) == (0, "")


# ---------------------------------------------------------------------------------------------- names, numbers
@pytest.mark.parametrize("name", [" x1 -> h1 ", "x1 ->h1", "h1.bias ", " h1.bias"])
def test_parameter_names_with_spaces_are_refused_by_every_command(tmp_path, capsys, name):
    """Before: surface accepted ' x1 -> h1 ' by one check and failed with a KeyError traceback in the next;
    screenshot waited 60 s and wrote a broken view."""
    for command in ("surface", "screenshot"):
        out_path = tmp_path / ("s.npz" if command == "surface" else "s.png")
        status, out, err = run(capsys, command, XOR, "--x", name, "--y", "x2->h1", "-o", out_path)
        assert (status, out) == (2, ""), command
        assert repr(name)[1:-1] in one_line(err)
    assert os.listdir(tmp_path) == []


def test_a_document_whose_surface_names_have_spaces_shows_another_pair(make_window, tmp_path):
    text = XOR.read_text(encoding="utf-8")
    import json

    doc = json.loads(text)
    doc["view"] = {**doc.get("view", {}), "surface": {"x": " x1 -> h1 ", "y": "h1.bias"}}
    path = tmp_path / "spaced.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    w = make_window(path, wait="surface")
    names = w.model.network.parameter_names()
    assert w.surface.pair[0] in names and w.surface.pair[1] in names
    assert w.wait_for_views(timeout=30)
    assert w.surface.result is not None and w.surface.result.surface.x_name in names


def test_ranges_with_exponents_and_negative_numbers_parse(tmp_path, capsys):
    out_path = tmp_path / "wide.npz"
    status, out, err = run(capsys, "surface", XOR, "--x", "x1->h1", "--y", "h1.bias", "--grid", 5,
                           "--x-range", "-1e308", "1e308", "--y-range", "-2.5E-3", "-1e-3", "-o", out_path)
    assert (status, err) == (0, ""), err
    with np.load(out_path) as f:
        assert f["x"][0] == -1e308 and f["x"][-1] == 1e308 and np.isfinite(f["x"]).all()
        assert f["y"][0] == -2.5e-3 and f["y"][-1] == -1e-3
    status, out, err = run(capsys, "surface", XOR, "--x", "x1->h1", "--y", "h1.bias", "--x-range", "-inf", "1",
                           "--y-range", "0", "1", "-o", tmp_path / "inf.npz")
    assert (status, out) == (2, "")
    assert "finite" in one_line(err)


# ---------------------------------------------------------------------------------------------- Ctrl+C
def _interrupt(p: subprocess.Popen, thread_name: str | None = None) -> tuple[str, str]:
    """Send SIGINT once ``p`` runs (once it has a thread named ``thread_name``, if given)."""
    import time

    task = Path(f"/proc/{p.pid}/task")
    deadline = time.monotonic() + 60
    while thread_name and task.exists() and time.monotonic() < deadline and p.poll() is None:
        names = []
        for t in task.iterdir():
            try:
                names.append((t / "comm").read_text().strip())
            except OSError:
                pass
        if thread_name in names:
            break
        time.sleep(0.05)
    time.sleep(1.0)  # well into the work
    assert p.poll() is None, p.communicate()
    p.send_signal(signal.SIGINT)
    try:
        return p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        pytest.fail(f"still running a minute after SIGINT: {err}")


def test_ctrl_c_stops_a_long_screenshot_and_writes_nothing(tmp_path):
    out_path = tmp_path / "shot.png"
    p = child("screenshot", XOR, "--steps", 10_000_000, "-o", out_path)
    out, err = _interrupt(p, "bpgui training")
    assert (p.returncode, out, err) == (130, "", "bpgui: interrupted\n")
    assert os.listdir(tmp_path) == []


def test_ctrl_c_stops_training_and_writes_nothing(tmp_path):
    out_path = tmp_path / "out.json"
    out_path.write_bytes(b"keep me")
    p = child("train", XOR, "--steps", 1_000_000_000, "--quiet", "-o", out_path)
    out, err = _interrupt(p)
    assert (p.returncode, out, err) == (130, "", "bpgui: interrupted\n")
    assert out_path.read_bytes() == b"keep me" and os.listdir(tmp_path) == ["out.json"]
