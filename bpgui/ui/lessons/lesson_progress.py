"""How far the learner got in each lesson (the step they were on, and whether they finished it), kept in QSettings
so that a lesson opens where it was left, in this window or the next."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSettings

from ...core.lessons import bundled_lessons

GROUP = "lessons"


def lesson_key(path: Path) -> str:
    """A bundled lesson by its file's name (it stays when bpgui moves); any other file by its full path."""
    path = Path(path)
    if path.resolve() in {p.resolve() for p in bundled_lessons()}:
        return path.stem
    return "file-" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]


class LessonProgress:
    def __init__(self):
        self.settings = QSettings()

    def _key(self, path: Path, what: str) -> str:
        return f"{GROUP}/{lesson_key(path)}/{what}"

    def step(self, path: Path) -> int:
        """The step (from 0) the learner was on, 0 for a lesson not begun."""
        value = self.settings.value(self._key(path, "step"), 0)
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return 0

    def finished(self, path: Path) -> bool:
        value = self.settings.value(self._key(path, "finished"), False)
        return value is True or str(value).lower() == "true"

    def set_step(self, path: Path, index: int) -> None:
        self.settings.setValue(self._key(path, "step"), int(index))

    def set_finished(self, path: Path) -> None:
        self.settings.setValue(self._key(path, "finished"), True)
