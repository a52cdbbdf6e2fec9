"""Writing a file so that nothing is lost: the new content goes to a temporary file beside the target, which is
renamed over the target only once it is complete on disk. A failed or interrupted write leaves the old file as it
was (a temporary file left by a killed process is removed by the next save of the same file).

What is replaced is what the user meant: a symbolic link keeps pointing where it did and its target gets the new
content; the old file's owner, group and mode bits are kept. What renaming would break is refused with an
:class:`OSError` whose ``strerror`` is a plain message: a folder, a device, a pipe or a socket (saving to
/dev/null must not replace /dev/null), a file with other hard links (the rename would part them), a read-only file
(unless ``allow_read_only``) and a name ending in "/".
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import time
from pathlib import Path

#: a temporary file of ours older than this is left over by a killed save, not one under way
STALE_SECONDS = 60.0

_TMP_SUFFIX = ".tmp"
_TMP_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")  # tempfile's names (8 of them)


class ReadOnlyFileError(PermissionError):
    """The existing file is read-only; writing it anyway takes ``allow_read_only=True``."""


class NotAFileError(OSError):
    """The name is a folder, a device, a pipe or a socket: not something a save may replace."""


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for a message; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def is_read_only(st: os.stat_result) -> bool:
    """True when the file's permissions do not let this user write it. Root may write anything, but a file with
    no write bit at all was marked read-only on purpose, so it counts as read-only for root too."""
    euid = os.geteuid()
    if euid == 0:
        return not st.st_mode & 0o222
    if st.st_uid == euid:
        return not st.st_mode & stat.S_IWUSR
    if st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        return not st.st_mode & stat.S_IWGRP
    return not st.st_mode & stat.S_IWOTH


def check_target(path: str | os.PathLike, allow_read_only: bool = False) -> tuple[Path, os.stat_result | None]:
    """The file a write to ``path`` would replace (symbolic links followed) and its stat (None for a new file).
    Raises OSError with a plain ``strerror`` when the write would be refused."""
    raw = os.fspath(path)
    name = os.path.basename(raw)
    if name in ("", ".", ".."):
        raise NotAFileError(errno.EISDIR, "names a folder (it ends with '/'), not a file", raw)
    real = Path(os.path.realpath(raw))
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "is a symbolic link that leads round in a loop", raw) from None
        raise
    if st is None:
        if os.path.islink(real):  # realpath gave up on a loop of links
            raise OSError(errno.ELOOP, "is a symbolic link that leads round in a loop", raw)
        parent = real.parent
        try:
            folder = os.stat(parent)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, f"the folder {str(parent)!r} does not exist", raw) from None
        if not stat.S_ISDIR(folder.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, f"{str(parent)!r} is not a folder", raw)
        return real, None
    kind = _kind(st.st_mode)
    if kind is not None:
        err = IsADirectoryError if kind == "a folder" else NotAFileError
        raise err(errno.EISDIR if kind == "a folder" else errno.EINVAL, f"is {kind}, not a file", raw)
    if st.st_nlink > 1:
        raise OSError(errno.EMLINK, f"has {st.st_nlink - 1} other hard link{'s' if st.st_nlink > 2 else ''}; "
                      "replacing it would part them (save under another name)", raw)
    if not allow_read_only and is_read_only(st):
        raise ReadOnlyFileError(errno.EACCES, "is read-only", raw)
    return real, st


def remove_stale_temporaries(target: Path, older_than: float = STALE_SECONDS) -> int:
    """Remove our temporary files for ``target`` (``.NAME.xxxxxxxx.tmp`` beside it) older than ``older_than``
    seconds: left by a save that was killed. Returns how many were removed; errors are ignored."""
    prefix = f".{target.name}."
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in entries:
        middle = entry.name[len(prefix) : -len(_TMP_SUFFIX)]
        if not (entry.name.startswith(prefix) and entry.name.endswith(_TMP_SUFFIX) and len(middle) == 8
                and set(middle) <= _TMP_CHARS):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and now - st.st_mtime > older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike, data: bytes, allow_read_only: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path`` (or beside the file a symbolic link ``path`` leads to),
    then rename it over that file. On any failure the old file is untouched and the temporary file is removed;
    the OSError (or KeyboardInterrupt) propagates. See the module's text for what is refused."""
    real, old = check_target(path, allow_read_only)
    remove_stale_temporaries(real)
    fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=_TMP_SUFFIX, dir=real.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if old is not None:
            _keep_owner(tmp, old, os.fspath(path))
            try:
                os.chmod(tmp, stat.S_IMODE(old.st_mode))  # after chown, which clears setuid/setgid
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_folder(real.parent)


def _keep_owner(tmp: str, old: os.stat_result, name: str) -> None:
    """Give the new file the old one's owner and group (e.g. root saving a user's file), or refuse."""
    mine = os.stat(tmp)
    if (mine.st_uid, mine.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.chown(tmp, old.st_uid, old.st_gid)
    except OSError:
        whose = "another user" if mine.st_uid != old.st_uid else "a group this user cannot give it"
        raise PermissionError(errno.EPERM, f"belongs to {whose}; saving would change its owner", name) from None


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
