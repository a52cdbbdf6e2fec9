"""The path two parameters take while training, as the surface view draws it: their values, the training loss and
the step at each recorded point (bounded: it thins itself out), and what the other parameters were when it
began, so that a view can say how far the landscape under the path has moved since."""

from __future__ import annotations

import numpy as np

#: the path keeps at most this many points (then every other one is dropped)
MAX_PATH = 5_000


class WeightPath:
    """Points (x, y, E, step), oldest first, at most ``capacity`` of them: when full, every other point is dropped
    (the first and the newest always stay)."""

    def __init__(self, capacity: int = MAX_PATH):
        self.capacity = max(4, capacity)
        self._points = np.zeros((1024, 4))
        self.size = 0
        self.start_names: tuple[str, ...] = ()
        self.start_values: np.ndarray | None = None  # every parameter's value at the first point

    def clear(self) -> None:
        self.size = 0
        self.start_names, self.start_values = (), None

    def add(self, x: float, y: float, loss: float, step: int, names=(), values=None) -> None:
        """A new point; ``names`` and ``values`` (every parameter's value) are kept for the first point."""
        if self.size == 0 and values is not None:
            self.start_names, self.start_values = tuple(names), np.array(values, dtype=float)
        if self.size == self.capacity:
            keep = np.r_[np.arange(0, self.size - 1, 2), self.size - 1]  # the first and the newest stay
            self._points[: len(keep)] = self._points[keep]
            self.size = len(keep)
        if self.size == len(self._points):  # grow in doublings: a frame adds a point, not a copy of all
            grown = np.zeros((2 * len(self._points), 4))
            grown[: self.size] = self._points[: self.size]
            self._points = grown
        self._points[self.size] = (x, y, loss, step)
        self.size += 1

    @property
    def x(self) -> np.ndarray:
        return self._points[: self.size, 0]

    @property
    def y(self) -> np.ndarray:
        return self._points[: self.size, 1]

    @property
    def loss(self) -> np.ndarray:
        return self._points[: self.size, 2]

    @property
    def steps(self) -> np.ndarray:
        return self._points[: self.size, 3]

    def largest_other_change(self, names, values, pair) -> tuple[str, float] | None:
        """The parameter other than the two of ``pair`` whose value (in ``values``, aligned with ``names``) is
        furthest from where it was when the path began, and by how much; None without a start to compare with
        (or with a structure that differs from the start's)."""
        if self.start_values is None or tuple(names) != self.start_names:
            return None
        change = np.abs(np.asarray(values, dtype=float) - self.start_values)
        others = [i for i, n in enumerate(names) if n not in pair]
        if not others:
            return None
        i = others[int(np.argmax(change[others]))]
        return names[i], float(change[i])
