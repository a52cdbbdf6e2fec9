"""Rows recorded against the training step, in bounded memory: the loss history and the recorded trajectory."""

from __future__ import annotations

import numpy as np


class ThinnedRecord:
    """At most ``capacity`` rows against step: when full, every other row is dropped and from then on only every
    ``stride``-th step is recorded (the stride doubles each time). ``columns`` gives each column's shape of one
    row (``()`` for a number)."""

    def __init__(self, capacity: int, *columns: tuple[int, ...]):
        self.capacity = max(2, capacity - capacity % 2)
        self.stride = 1
        self._steps = np.empty(self.capacity, dtype=np.int64)
        self._columns = [np.empty((self.capacity, *shape)) for shape in columns]
        self.size = 0

    def wants(self, step: int) -> bool:
        """Whether a row at ``step`` would be kept."""
        return step % self.stride == 0 and (self.size == 0 or step > self._steps[self.size - 1])

    def _record(self, step: int, *row) -> None:
        if step % self.stride:
            return
        while self.size == self.capacity:  # thin out to the steps on twice the stride (at most half of them)
            self.stride *= 2
            keep = np.flatnonzero(self._steps[: self.size] % self.stride == 0)
            for a in (self._steps, *self._columns):
                a[: len(keep)] = a[keep]
            self.size = len(keep)
        if step % self.stride:
            return
        i = self.size
        self._steps[i] = step
        for a, value in zip(self._columns, row):
            a[i] = value
        self.size += 1

    def clear(self) -> None:
        self.size = 0
        self.stride = 1

    def truncate(self, step: int) -> None:
        """Forget the rows at ``step`` and after (the run went back there)."""
        self.size = int(np.searchsorted(self._steps[: self.size], step))
