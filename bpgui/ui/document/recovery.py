"""Autosave and recovery: while a document has unsaved changes, a copy of it is kept in the user's data folder
(never beside their file), so that work survives a crash or a ``kill -9``.

A recovery file is JSON: ``{"format": "bpgui-recovery", "version": 1, "pid": ..., "path": ..., "name": ...,
"saved": ..., "document": {...}}`` with the document in the usual format. Each window writes its own file
(named after the process and the window); a clean close removes it. At start-up, files left by processes that
are no longer running are offered for recovery.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from ...core.document import Document, DocumentError, atomic_write_bytes, document_from_dict, dumps

FORMAT = "bpgui-recovery"
_counter = itertools.count(1)


def recovery_dir() -> Path:
    """``$BPGUI_RECOVERY_DIR`` if set, else ``recovery`` in the user's data folder (e.g. ~/.local/share/bpgui/bpgui)."""
    if os.environ.get("BPGUI_RECOVERY_DIR"):
        return Path(os.environ["BPGUI_RECOVERY_DIR"])
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or str(Path.home() / ".bpgui")
    return Path(base) / "recovery"


def new_recovery_path() -> Path:
    return recovery_dir() / f"recovery-{os.getpid()}-{next(_counter)}.json"


def write_recovery(path: Path, doc: Document, original: Path | None, name: str) -> None:
    """Write (atomically) a recovery copy of ``doc``; raises OSError if the folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wrapper = {"format": FORMAT, "version": 1, "pid": os.getpid(), "path": str(original) if original else None,
               "name": name, "saved": time.time(), "document": doc.to_dict(encoded=True)}
    atomic_write_bytes(path, (dumps(wrapper) + "\n").encode())


@dataclass(frozen=True)
class Recovered:
    file: Path  # the recovery file
    document: Document
    path: Path | None  # the document's own file, if it had one
    name: str
    saved: float  # when the copy was written (seconds since the epoch)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphaned_recoveries() -> tuple[list[Recovered], list[tuple[Path, str]]]:
    """Recovery files whose process is gone: the readable ones, and (file, reason) for the unreadable ones."""
    found, bad = [], []
    folder = recovery_dir()
    if not folder.is_dir():
        return found, bad
    for f in sorted(folder.glob("recovery-*.json")):
        try:
            raw = json.loads(f.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise DocumentError("not a bpgui recovery file")
            pid = raw.get("pid")
            if isinstance(pid, int) and _alive(pid):
                continue  # another bpgui is running and owns it
            doc = document_from_dict(raw.get("document"), fit_data=False)  # saved mid-edit: it may not fit yet
            path = raw.get("path")
            found.append(Recovered(f, doc, Path(path) if isinstance(path, str) else None,
                                   str(raw.get("name") or "untitled"), float(raw.get("saved") or 0.0)))
        except (OSError, ValueError, DocumentError) as e:
            bad.append((f, str(e)))
    return found, bad


def remove(path: Path | None) -> None:
    if path is not None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # e.g. the folder became unreadable: nothing of the user's is lost by leaving it
            pass
