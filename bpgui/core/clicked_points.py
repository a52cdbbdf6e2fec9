"""Points a person adds to a classification data set, or takes away, by clicking on the Outputs view.

Each edit makes a new data table (a table is never changed in place): the data as it is now, generator points
included, with one training row more or one row (training or test) less. A class is a target row: with one
output the label 0 or 1, with K outputs the one-hot row of K, so that
:func:`~.accuracy.predicted_classes` of the row gives the class back.
"""

from __future__ import annotations

import numpy as np

from .accuracy import CLASSIFICATION_LOSSES, is_classification
from .datasets import Dataset
from .document import TableData
from .limits import MAX_POINTS, MAX_TABLE_VALUES


class PointError(ValueError):
    """A point that cannot be added or removed; the message is meant for the user."""


def clicking_problem(loss: str, n_inputs: int) -> str | None:
    """Why clicking cannot add points to the data of a network with this loss and this many inputs, or None."""
    if not is_classification(loss):
        return (f"a clicked point is a class, and the loss {loss} does not classify (clicking works with "
                f"{' or '.join(CLASSIFICATION_LOSSES)})")
    if n_inputs != 2:
        return (f"a click gives 2 input values, and the network has {n_inputs} input{'s' if n_inputs != 1 else ''}"
                f"{': a point would need a value for each' if n_inputs > 2 else ''}")
    return None


def class_count(n_outputs: int) -> int:
    """How many classes a network with this many outputs tells apart: a label (2) or one-hot rows (K)."""
    return 2 if n_outputs == 1 else n_outputs


def class_target(cls: int, n_outputs: int) -> np.ndarray:
    """The target row of class ``cls``: [cls] for one output, else the one-hot row."""
    if not 0 <= cls < class_count(n_outputs):
        raise PointError(f"there is no class {cls}: the network tells {class_count(n_outputs)} classes apart")
    if n_outputs == 1:
        return np.array([float(cls)])
    row = np.zeros(n_outputs)
    row[cls] = 1.0
    return row


def _check_size(rows: int, width: int) -> None:
    if rows > MAX_POINTS:
        raise PointError(f"cannot add a point: the data would hold {rows:,} points, and bpgui takes at most "
                         f"{MAX_POINTS:,}")
    if rows * width > MAX_TABLE_VALUES:
        raise PointError(f"cannot add a point: the table would hold {rows * width:,} numbers ({rows:,} rows of "
                         f"{width}), and bpgui takes at most {MAX_TABLE_VALUES:,}")


def with_point(data: Dataset, point, cls: int) -> TableData:
    """The data with one more training row: inputs ``point`` (2 values), the target of class ``cls``."""
    x = np.asarray(point, dtype=float).reshape(1, -1)
    if x.shape[1] != data.n_inputs or not np.isfinite(x).all():
        raise PointError(f"a point needs {data.n_inputs} finite input values, not {x.ravel().tolist()}")
    t = class_target(cls, data.n_outputs)[None, :]
    _check_size(len(data.x_train) + len(data.x_test) + 1, data.n_inputs + data.n_outputs)
    return TableData(np.concatenate([data.x_train, x]), np.concatenate([data.t_train, t]),
                     data.x_test.copy(), data.t_test.copy())


def without_point(data: Dataset, row: int) -> TableData:
    """The data without row ``row``, counted through the training rows and then the test rows."""
    n_train, n_test = len(data.x_train), len(data.x_test)
    if not 0 <= row < n_train + n_test:
        raise PointError(f"there is no point {row}: the data holds {n_train + n_test} points")
    if row < n_train:
        if n_train == 1:
            raise PointError("cannot remove the last training point: the network needs at least one to train on")
        return TableData(np.delete(data.x_train, row, axis=0), np.delete(data.t_train, row, axis=0),
                         data.x_test.copy(), data.t_test.copy())
    i = row - n_train
    return TableData(data.x_train.copy(), data.t_train.copy(),
                     np.delete(data.x_test, i, axis=0), np.delete(data.t_test, i, axis=0))


def extra_row(a: np.ndarray, b: np.ndarray) -> int | None:
    """When one of the two arrays of rows is the other with one row more (anywhere) and nothing else changed, the
    index of that row in the longer one; else None. What a clicked point (or its undo) makes of the data's points."""
    if a.shape[1:] != b.shape[1:] or abs(len(a) - len(b)) != 1:
        return None
    short, long = (a, b) if len(a) < len(b) else (b, a)
    same = (short == long[: len(short)]).all(axis=1)
    extra = len(short) if same.all() else int(np.argmin(same))  # the first row that differs is the extra one
    return extra if np.array_equal(short[extra:], long[extra + 1 :]) else None
