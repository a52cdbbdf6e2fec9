"""Recovery copies: while a document has unsaved changes, a copy of it is kept in the user's data folder (never
beside their file), so that work survives a crash or a ``kill -9``; at start-up, the copies of sessions that
ended without closing are offered back.

The recovery folder (0700: readable by the user only) holds, for each window with unsaved work:

* ``recovery-<uuid4>.json``, the copy (0600): ``{"format": "bpgui-recovery", "version": 1, "path": ...,
  "name": ..., "saved": ..., "document": {...}}`` with the document in the usual format;
* ``recovery-<uuid4>.lock``, which the writing session holds locked (``flock``) for as long as it runs. The
  kernel drops the lock when that process ends in any way (a crash, ``kill -9``), so a copy whose lock can be
  taken has no session left: it is offered back. Process ids cannot tell this: in a Flatpak or a container every
  bpgui may be PID 1, and a restarted one may get a crashed one's pid.

A copy is read like any document a user opens (size and nesting limits, no NaN, every field checked), and
never opened unless it is a regular file (a pipe would wait for ever). One that cannot be used is set aside as
``….json.damaged`` with a message, never deleted (it may hold someone's work) and never read again; nothing in
a copy can stop bpgui from starting.
"""

from __future__ import annotations

import copy
import math
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths

from ...core.document import MAX_FILE_BYTES, Document, DocumentError, document_from_dict, dumps, parse_json

try:
    import fcntl
except ImportError:  # Windows: msvcrt locks are dropped when the process ends, too
    fcntl = None
    import msvcrt

FORMAT = "bpgui-recovery"
VERSION = 1
PREFIX, SUFFIX, LOCK_SUFFIX, DAMAGED_SUFFIX = "recovery-", ".json", ".lock", ".damaged"
#: a copy is the document and a few short fields around it
MAX_COPY_BYTES = MAX_FILE_BYTES + 64 * 1024
MAX_NAME = 1000  # characters of a document's name
MAX_PATH = 16 * 1024  # characters of its file's path
#: the latest believable time a copy was written (seconds since the epoch): the year 3000
LATEST_SAVED = 32_503_680_000.0
#: how far from the origin a neuron may sit on the canvas
MAX_POSITION = 1e7
KEYS = ("format", "version", "pid", "path", "name", "saved", "document")  # "pid": written before 2026-12
#: open flags that never wait on a pipe and never follow a link
_SAFE = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class NewerCopy(DocumentError):
    """A copy in a format this bpgui does not read (made by a newer bpgui)."""


# ---------------------------------------------------------------------------------------------- the folder
def recovery_dir() -> Path:
    """``$BPGUI_RECOVERY_DIR`` if set, else ``recovery`` in the user's data folder (e.g. ~/.local/share/bpgui/bpgui)."""
    if os.environ.get("BPGUI_RECOVERY_DIR"):
        return Path(os.environ["BPGUI_RECOVERY_DIR"])
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or str(Path.home() / ".bpgui")
    return Path(base) / "recovery"


def ensure_recovery_dir() -> Path:
    """The recovery folder, made (0700) if missing; raises OSError if it cannot be."""
    return _private_dir(recovery_dir())


def _private_dir(folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    _tighten(folder)
    return folder


def _tighten(folder: Path) -> None:
    """A folder of ours that others can read (made by an older bpgui, or by hand) becomes the user's only."""
    try:
        st = os.lstat(folder)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(folder, stat.S_IMODE(st.st_mode) & 0o700)
    except (OSError, AttributeError):  # AttributeError: no getuid (Windows)
        pass


def new_recovery_path() -> Path:
    """A name no other session, in any PID namespace or on any machine sharing the folder, will use."""
    return recovery_dir() / f"{PREFIX}{uuid.uuid4().hex}{SUFFIX}"


def lock_path(copy_file: Path) -> Path:
    return copy_file.with_name(copy_file.name[: -len(SUFFIX)] + LOCK_SUFFIX)


# ---------------------------------------------------------------------------------------------- locks
class Lock:
    """An exclusive lock on a file (made 0600 if missing), held while this object is: the proof that a session
    is still running. The operating system drops it when the process ends, however it ends."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    @classmethod
    def take(cls, path: Path) -> Lock | None:
        """The lock on ``path``, or None if a running session holds it. Raises DocumentError if ``path`` is not a
        regular file, OSError if it cannot be made."""
        for _ in range(10):  # until the file locked is the one at ``path`` (another session may remove it)
            try:
                st = os.lstat(path)
                if not stat.S_ISREG(st.st_mode):
                    raise DocumentError(f"its lock {path.name} is not a regular file")
            except FileNotFoundError:
                pass
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _SAFE, 0o600)
            try:
                mine = os.fstat(fd)
                if not stat.S_ISREG(mine.st_mode):
                    raise DocumentError(f"its lock {path.name} is not a regular file")
                if not _lock(fd):
                    os.close(fd)
                    return None
                try:
                    now = os.lstat(path)
                except FileNotFoundError:
                    now = None
                if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                    return cls(path, fd)
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # removed or replaced while being locked: take the new one
        return None

    def intact(self) -> bool:
        """Still held, on the file at its path (not, say, on a file someone removed with its folder)."""
        try:
            a, b = os.fstat(self.fd), os.lstat(self.path)
        except (OSError, TypeError):
            return False
        return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)

    def release(self, remove: bool = True) -> None:
        """Give the lock up (and, with ``remove``, its file first: no one can be waiting for it)."""
        if self.fd is None:
            return
        if remove:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        os.close(self.fd)
        self.fd = None

    def __del__(self):
        if getattr(self, "fd", None) is not None:
            os.close(self.fd)


def _lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as e:
        if e.errno in (11, 13, 35):  # EAGAIN, EACCES, EWOULDBLOCK (macOS)
            return False
        raise
    return True


# ---------------------------------------------------------------------------------------------- writing
def copy_of(doc: Document, original: Path | None, name: str, positions: dict | None = None) -> dict:
    """What a recovery file holds, taken in the main thread: fresh lists and dicts (data tables' rows are the
    table's own JSON text, which never changes), so that the document can go on changing while another thread
    writes it. ``positions``: the neurons' places on the canvas, if they are not in the document's view yet."""
    document = doc.to_dict(encoded=True)
    view = copy.deepcopy(doc.view) if doc.view is not None else None
    if positions is not None:
        view = {**(view or {}), "positions": {k: [round(x, 1), round(y, 1)] for k, (x, y) in positions.items()}}
    if view is not None:
        document["view"] = view
    return {"format": FORMAT, "version": VERSION, "path": str(original) if original else None,
            "name": name, "saved": time.time(), "document": document}


def write_copy(path: Path, wrapper: dict, wanted: Callable[[], bool] | None = None,
               guard: AbstractContextManager | None = None) -> bool:
    """Write ``wrapper`` (from :func:`copy_of`) to ``path``: atomically, readable by the user only, and only if
    ``wanted()`` still holds when the file is complete (checked, and the file renamed into place, while holding
    ``guard``). Touches no Qt object: autosave calls it in a worker thread. Returns whether it wrote; raises
    OSError or ValueError."""
    if wanted is not None and not wanted():
        return False
    data = (dumps(wrapper) + "\n").encode("utf-8")
    if wanted is not None and not wanted():
        return False
    _private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # made 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with guard or nullcontext():
            if wanted is not None and not wanted():
                os.unlink(tmp)
                return False
            os.replace(tmp, path)
        return True
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_recovery(path: Path, doc: Document, original: Path | None, name: str) -> None:
    """Write a recovery copy of ``doc`` at once (in this thread); raises OSError if the folder cannot be written."""
    write_copy(path, copy_of(doc, original, name))


def remove(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except OSError:  # gone already, or e.g. the folder became unreadable: nothing of the user's is lost
            pass


# ---------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Recovered:
    file: Path  # the recovery file
    document: Document
    path: Path | None  # the document's own file, if it had one
    name: str
    saved: float  # when the copy was written (seconds since the epoch)
    lock: Lock | None = field(default=None, compare=False, repr=False)  # held: no one else offers it meanwhile

    def discard(self) -> None:
        """The copy is no longer needed (restored elsewhere or declined)."""
        remove(self.file)
        self.release()

    def release(self) -> None:
        """Leave the copy for a later session."""
        if self.lock is not None:
            self.lock.release()


def read_recovery(path: Path, lock: Lock | None = None) -> Recovered:
    """The copy in ``path``, checked as a document a user opens is; raises DocumentError (NewerCopy for a newer
    format) with the reason, or FileNotFoundError if it is gone."""
    raw = parse_json(_read_text(path))
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise DocumentError("not a bpgui recovery file")
    version = raw.get("version")
    if type(version) is not int:
        raise DocumentError("its version is not a whole number")
    if version > VERSION:
        raise NewerCopy(f"made by a newer bpgui (recovery format version {version}; this bpgui reads {VERSION})")
    if version != VERSION:
        raise DocumentError(f"recovery format version {version} is not supported")
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise DocumentError(f"unknown field {unknown[0]!r}")
    original = raw.get("path")
    if original is not None and not (isinstance(original, str) and 0 < len(original) <= MAX_PATH
                                     and "\0" not in original):
        raise DocumentError("'path' must be a file name or null")
    name = raw.get("name")
    if not (isinstance(name, str) and 0 < len(name) <= MAX_NAME):
        raise DocumentError(f"'name' must be text of 1 to {MAX_NAME} characters")
    saved = raw.get("saved")
    if not (isinstance(saved, (int, float)) and not isinstance(saved, bool) and math.isfinite(saved)
            and 0 <= saved <= LATEST_SAVED):
        raise DocumentError("'saved' must be a time between 1970 and 3000")
    if "document" not in raw:
        raise DocumentError("missing 'document'")
    doc = document_from_dict(raw["document"], fit_data=False)  # saved mid-edit: the data may not fit yet
    _check_view_numbers(doc.view)
    for text in (name, original or ""):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the next copy could not be written
            raise DocumentError("its name or path is not valid Unicode text") from None
    return Recovered(path, doc, Path(original) if original else None, name, float(saved), lock)


def _read_text(path: Path) -> str:
    """A regular file's text (never a pipe, device, folder or link: opening one may wait for ever)."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise DocumentError(f"it is {_kind(st.st_mode)}, not a file")
    if st.st_size > MAX_COPY_BYTES:
        raise DocumentError(f"it is too large ({st.st_size / 1e6:.0f} MB)")
    fd = os.open(path, os.O_RDONLY | _SAFE)
    with os.fdopen(fd, "rb") as f:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise DocumentError("it changed while being read")
        data = f.read(MAX_COPY_BYTES + 1)
    if len(data) > MAX_COPY_BYTES:
        raise DocumentError("it is too large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError("it is not UTF-8 text") from None


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return kind
    return "not a regular file"


def _check_view_numbers(view: Any) -> None:
    """Every number in the view becomes a finite float (a whole number of 400 digits does not), and each neuron's
    place lies on a canvas one can scroll to."""
    stack = [view]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, list):
            stack.extend(o)
        elif isinstance(o, (int, float)) and not isinstance(o, bool):
            try:
                if not math.isfinite(float(o)):
                    raise OverflowError
            except OverflowError:
                raise DocumentError("the view holds a number too large to use") from None
    positions = (view or {}).get("positions")
    if isinstance(positions, dict):
        for k, v in positions.items():
            if isinstance(v, list) and any(isinstance(c, (int, float)) and abs(c) > MAX_POSITION for c in v):
                raise DocumentError(f"the place of neuron {k!r} is off the canvas")


def set_aside(path: Path) -> Path:
    """Rename a copy that cannot be used to ``….damaged`` (never read again, never deleted); returns its name."""
    target = path.with_name(path.name + DAMAGED_SUFFIX)
    n = 1
    while os.path.lexists(target):
        n += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}-{n}")
    os.rename(path, target)
    return target


def orphaned_recoveries() -> tuple[list[Recovered], list[tuple[Path, str]]]:
    """The copies whose session has ended (each holding its lock until :meth:`Recovered.discard` or
    :meth:`Recovered.release`), and (where it now is, reason) for those that could not be used and were set
    aside. Never raises for anything found in the folder."""
    found: list[Recovered] = []
    bad: list[tuple[Path, str]] = []
    folder = recovery_dir()
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return found, bad
        _tighten(folder)
        names = sorted(e.name for e in os.scandir(folder))
    except OSError:
        return found, bad
    for name in names:
        if name.startswith(PREFIX) and name.endswith(SUFFIX):
            _take(folder / name, found, bad)
        elif name.startswith(PREFIX) and name.endswith(LOCK_SUFFIX):
            if name[: -len(LOCK_SUFFIX)] + SUFFIX not in names:
                _clear_lock(folder / name)
    return found, bad


def _take(f: Path, found: list[Recovered], bad: list[tuple[Path, str]]) -> None:
    lock = None
    try:
        lock = Lock.take(lock_path(f))
        if lock is None:
            return  # a running bpgui (in any namespace) holds it: its copy is its own
        found.append(read_recovery(f, lock))
    except FileNotFoundError:  # another session took it over meanwhile
        if lock is not None:
            lock.release()
    except Exception as e:  # whatever is wrong with it, start-up goes on
        reason = str(e) if isinstance(e, DocumentError) else f"{type(e).__name__}: {e}"
        try:
            bad.append((set_aside(f), reason))
        except OSError as err:
            bad.append((f, f"{reason} (and it cannot be set aside: {err.strerror or err})"))
        if lock is not None:
            lock.release()


def _clear_lock(path: Path) -> None:
    """A lock left with no copy (its session saved, then crashed): removed if no one holds it."""
    try:
        lock = Lock.take(path)
    except Exception:
        return
    if lock is not None:
        lock.release()
