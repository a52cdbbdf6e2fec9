"""Saving a file safely (bpgui.core.safe_write through save_document): on real files, links, pipes and devices.
What a save would break is refused with a plain message and leaves everything as it was."""

from __future__ import annotations

import os
import socket
import stat
import time

import pytest

from bpgui.core.document import DocumentError, atomic_write_bytes, load_document, save_document
from bpgui.resources import example_paths

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mknod, chown to another user)")


@pytest.fixture
def doc():
    return load_document(example_paths()["xor"])


@pytest.fixture
def existing(tmp_path):
    p = tmp_path / "net.json"
    p.write_bytes(b"precious old contents\n")
    return p


def test_a_symbolic_link_keeps_pointing_at_its_target_which_gets_the_new_content(doc, tmp_path, existing):
    link = tmp_path / "link.json"
    link.symlink_to(existing.name)
    save_document(doc, link)
    assert link.is_symlink() and os.readlink(link) == existing.name
    assert existing.read_text(encoding="utf-8") == doc.to_json()
    assert sorted(os.listdir(tmp_path)) == ["link.json", "net.json"]


def test_a_link_to_a_link_in_another_folder_writes_the_final_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.npz"
    target.write_bytes(b"old")
    (tmp_path / "mid").symlink_to(target)
    (tmp_path / "top").symlink_to(tmp_path / "mid")
    atomic_write_bytes(tmp_path / "top", b"new")
    assert target.read_bytes() == b"new" and (tmp_path / "top").is_symlink() and (tmp_path / "mid").is_symlink()
    assert os.listdir(tmp_path / "real") == ["out.npz"]


def test_a_symbolic_link_loop_is_refused(doc, tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(DocumentError, match="^cannot save: is a symbolic link that leads round in a loop$"):
        save_document(doc, tmp_path / "a")
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


def _assert_nothing_else(folder, names):
    assert sorted(os.listdir(folder)) == sorted(names), "a temporary file was left behind"


def test_a_named_pipe_is_refused_and_stays_a_pipe(doc, tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(DocumentError, match="^cannot save: is a named pipe, not a file$"):
        save_document(doc, fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    _assert_nothing_else(tmp_path, ["pipe.json"])


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    if len(os.fsencode(path)) > 100:
        pytest.skip("the temporary folder's name is too long for a socket")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        with pytest.raises(OSError, match="is a socket, not a file"):
            atomic_write_bytes(path, b"x")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)


@root_only
def test_a_character_device_is_refused_not_replaced(doc, tmp_path):
    """As for `bpgui train ... -o /dev/null` run as root: the device must stay a device."""
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    link = tmp_path / "link.json"
    link.symlink_to(dev)
    for target in (dev, link):
        with pytest.raises(DocumentError, match="^cannot save: is a device, not a file$"):
            save_document(doc, target)
    assert stat.S_ISCHR(os.lstat(dev).st_mode) and os.lstat(dev).st_rdev == os.makedev(1, 3)
    _assert_nothing_else(tmp_path, ["null", "link.json"])


def test_a_folder_is_refused(doc, tmp_path):
    folder = tmp_path / "f.json"
    folder.mkdir()
    with pytest.raises(DocumentError, match="^cannot save: is a folder, not a file$"):
        save_document(doc, folder)
    assert folder.is_dir() and os.listdir(folder) == []


@pytest.mark.parametrize("suffix", ["/", "/.", os.sep + os.sep])
def test_a_name_ending_in_a_slash_is_refused_not_written_without_it(doc, tmp_path, suffix):
    with pytest.raises(DocumentError, match="it ends with '/'"):
        save_document(doc, str(tmp_path / "x.json") + suffix)
    assert os.listdir(tmp_path) == []


def test_the_mode_bits_are_kept_with_setgid_and_sticky(doc, existing):
    os.chmod(existing, 0o3640)  # setgid + sticky: allowed for the owner on a file of the owner's group
    if stat.S_IMODE(existing.stat().st_mode) != 0o3640:
        pytest.skip("this file system does not keep setgid or sticky bits on files")
    save_document(doc, existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o3640
    assert existing.read_text(encoding="utf-8") == doc.to_json()


def test_a_file_with_other_hard_links_is_refused(doc, existing, tmp_path):
    other = tmp_path / "other.json"
    os.link(existing, other)
    with pytest.raises(DocumentError, match="^cannot save: has 1 other hard link; replacing it would part them"):
        save_document(doc, existing)
    assert os.path.samefile(existing, other) and existing.read_bytes() == b"precious old contents\n"
    _assert_nothing_else(tmp_path, ["net.json", "other.json"])


@root_only
def test_a_file_of_another_user_keeps_its_owner_and_group(doc, existing):
    os.chown(existing, 12345, 23456)
    os.chmod(existing, 0o664)
    save_document(doc, existing)
    st = existing.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, 0o664)
    assert existing.read_text(encoding="utf-8") == doc.to_json()


def test_when_the_owner_cannot_be_kept_the_save_is_refused(doc, existing, monkeypatch, tmp_path):
    st = existing.stat()
    real_stat = os.stat

    def other_owner(path, *a, **k):  # the file seems to belong to someone else, and chown is not allowed
        r = real_stat(path, *a, **k)
        if os.fspath(path) == os.fspath(existing):
            return os.stat_result((r.st_mode, r.st_ino, r.st_dev, r.st_nlink, st.st_uid + 1) + tuple(r)[5:])
        return r

    def refuse(*a):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "stat", other_owner)
    monkeypatch.setattr(os, "chown", refuse)
    with pytest.raises(DocumentError, match="^cannot save: belongs to another user; saving would change its owner$"):
        save_document(doc, existing)
    monkeypatch.undo()
    assert existing.read_bytes() == b"precious old contents\n"
    _assert_nothing_else(tmp_path, ["net.json"])


def test_a_read_only_file_is_refused_unless_allowed(doc, existing, tmp_path):
    os.chmod(existing, 0o444)
    with pytest.raises(DocumentError, match="^cannot save: is read-only$"):
        save_document(doc, existing)
    assert existing.read_bytes() == b"precious old contents\n"
    save_document(doc, existing, allow_read_only=True)
    assert existing.read_text(encoding="utf-8") == doc.to_json()
    assert stat.S_IMODE(existing.stat().st_mode) == 0o444  # still read-only
    _assert_nothing_else(tmp_path, ["net.json"])


def test_a_stale_temporary_file_is_removed_by_the_next_save(doc, existing, tmp_path):
    """A save killed mid-write (SIGKILL) leaves its temporary file; the next save of the same file removes it,
    but not a fresh one (another save under way) nor anything that is not ours."""
    stale = tmp_path / ".net.json.k2j_9x0a.tmp"
    fresh = tmp_path / ".net.json.zz01bq7c.tmp"
    other = tmp_path / ".other.json.k2j_9x0a.tmp"
    unlike = tmp_path / ".net.json.backup.tmp"
    for p in (stale, fresh, other, unlike):
        p.write_bytes(b"half a document")
    old = time.time() - 3600
    for p in (stale, other, unlike):
        os.utime(p, (old, old))
    save_document(doc, existing)
    assert not stale.exists()
    assert fresh.exists() and other.exists() and unlike.exists()
    assert existing.read_text(encoding="utf-8") == doc.to_json()
