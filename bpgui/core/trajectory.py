"""The real path of a training run: every parameter at recorded steps, bounded like the loss history.

* :class:`TrajectoryRecorder` — rows (step, every parameter, E) kept in at most ``capacity`` rows: when full,
  every other row is dropped and from then on only every ``stride``-th step is kept (the stride doubles each
  time), as :class:`~bpgui.core.training_run.LossHistory` does. The newest row is always kept as well (``last``),
  so a path ends where the run is, even between strides.
* :class:`Trajectory` — the frozen result: ``names``, ``steps`` (increasing), ``values`` (one row per step, in
  ``names`` order) and ``loss``; :meth:`Trajectory.to_npz` / :func:`load_trajectory` for ``.npz`` files.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import numpy as np

from .thinned_record import ThinnedRecord

#: rows at most, and at most this many bytes of values (a big network keeps fewer rows)
CAPACITY = 1024
MAX_BYTES = 32 << 20


class TrajectoryError(ValueError):
    """A trajectory file that cannot be read or does not fit the network."""


def _read_only(a: np.ndarray, dtype=np.float64) -> np.ndarray:
    a = np.array(a, dtype=dtype, copy=True)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Trajectory:
    names: tuple[str, ...]  # parameter names, document order
    steps: np.ndarray  # (T,) increasing int64
    values: np.ndarray  # (T, P): row i = every parameter at steps[i]
    loss: np.ndarray  # (T,) E on the training set at each row

    def __len__(self) -> int:
        return len(self.steps)

    def to_npz(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, names=np.array(self.names, dtype=str), steps=self.steps, values=self.values, loss=self.loss)
        return buf.getvalue()

    def check_names(self, names, what: str = "the trajectory") -> None:
        """TrajectoryError unless ``names`` are this path's parameter names, in the same order."""
        names = tuple(names)
        if names == self.names:
            return
        missing = [n for n in names if n not in self.names]
        extra = [n for n in self.names if n not in names]
        if missing or extra:
            detail = (f"it has no '{missing[0]}'" if missing else f"it has '{extra[0]}', which the network has not")
        else:
            detail = "its parameters are in another order"
        raise TrajectoryError(f"{what} is of another network ({detail})")


def load_trajectory(source) -> Trajectory:
    """A trajectory from an ``.npz`` file (a path, or bytes), checked: TrajectoryError otherwise."""
    if not isinstance(source, (bytes, bytearray)):
        try:
            with open(source, "rb") as f:
                source = f.read()
        except OSError as e:
            raise TrajectoryError(f"cannot read it ({e.strerror or e})") from None
    try:
        with np.load(io.BytesIO(source), allow_pickle=False) as z:
            arrays = {k: z[k] for k in ("names", "steps", "values", "loss") if k in z.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as e:
        raise TrajectoryError(f"not a trajectory file ({e})") from None
    missing = [k for k in ("names", "steps", "values", "loss") if k not in arrays]
    if missing:
        raise TrajectoryError(f"not a trajectory file (no '{missing[0]}' array)")
    names, steps, values, loss = (arrays[k] for k in ("names", "steps", "values", "loss"))
    if names.ndim != 1 or names.dtype.kind != "U" or len(set(names.tolist())) != len(names):
        raise TrajectoryError("'names' must be a list of distinct parameter names")
    t = len(steps)
    if steps.ndim != 1 or t == 0 or steps.dtype.kind not in "iu" or np.any(np.diff(steps) <= 0) or steps[0] < 0:
        raise TrajectoryError("'steps' must be a non-empty list of increasing whole numbers from 0 up")
    if values.shape != (t, len(names)) or values.dtype.kind != "f" or not np.isfinite(values).all():
        raise TrajectoryError(f"'values' must be {t} rows of {len(names)} finite numbers (one per step and name)")
    if loss.shape != (t,) or loss.dtype.kind != "f":
        raise TrajectoryError(f"'loss' must be {t} numbers (one per step)")
    return Trajectory(tuple(names.tolist()), _read_only(steps, np.int64), _read_only(values), _read_only(loss))


class TrajectoryRecorder(ThinnedRecord):
    """Parameter rows against step, at most ``capacity`` (thinned like the loss history) plus the newest."""

    def __init__(self, names, capacity: int = CAPACITY):
        self.names = tuple(names)
        p = max(1, len(self.names))
        super().__init__(max(2, min(capacity, MAX_BYTES // (8 * p))), (len(self.names),), ())
        self._values, self._loss = self._columns
        self._last: tuple[int, np.ndarray, float] | None = None  # the newest row, kept or not

    def add(self, step: int, values: np.ndarray, loss: float) -> None:
        """The parameters (in ``names`` order) and E at ``step``. A step at or before the newest means the run
        went back: the rows from ``step`` on are forgotten first."""
        if self._last is not None and step <= self._last[0]:
            self.truncate(step)
        self._last = (step, np.array(values, dtype=np.float64), float(loss))
        self._record(step, values, loss)

    def clear(self) -> None:
        super().clear()
        self._last = None

    def truncate(self, step: int) -> None:
        """Forget the rows at ``step`` and after (the run went back there)."""
        super().truncate(step)
        if self._last is not None and self._last[0] >= step:
            self._last = None
            if self.size:
                i = self.size - 1
                self._last = (int(self._steps[i]), self._values[i].copy(), float(self._loss[i]))

    @property
    def last_step(self) -> int | None:
        return None if self._last is None else self._last[0]

    def trajectory(self, current: tuple[int, np.ndarray, float] | None = None) -> Trajectory:
        """Read-only copies of the kept rows, the newest row last; ``current`` (step, values, E), a row after
        every recorded one, is appended without being recorded (e.g. where a run is now)."""
        n = self.size
        steps, values, loss = self._steps[:n], self._values[:n], self._loss[:n]
        for extra in (self._last, current):
            if extra is None or (len(steps) and extra[0] <= steps[-1]):
                continue
            step, row, e = extra
            steps = np.append(steps, step)
            values = np.vstack([values, np.asarray(row, dtype=np.float64)[None, :]])
            loss = np.append(loss, e)
        return Trajectory(self.names, _read_only(steps, np.int64), _read_only(values.reshape(-1, len(self.names))),
                          _read_only(loss))
