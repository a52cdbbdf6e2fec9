"""A data table read from a CSV file, for a network's inputs and outputs (``bpgui data``).

The first row is a header when any of its cells is not a number. Without named target columns the first
columns feed the input neurons in order and the rest are the targets; with them (by header name) the named
columns are the targets and the others the inputs, in file order. One target column that is not all numbers (or,
for a network of several outputs, holds whole numbers only, such as digits 0 … 9) holds class labels: one-hot
vectors in sorted label order for K outputs (at most K labels; whole numbers in numeric order), or 0 and 1 for
two labels and one sigmoid output. Rows are numbered as in a spreadsheet (the header, if any, is row 1).
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np

from .document import TableData
from .limits import MAX_FILE_BYTES, MAX_POINTS, MAX_TABLE_VALUES


class CSVError(ValueError):
    """A CSV file that cannot become the network's data; the message names the row and column where it helps."""


def read_csv_text(path: str | os.PathLike) -> str:
    """The file's text (UTF-8, a BOM allowed); raises CSVError for a folder, a missing, binary or huge file."""
    p = Path(path)
    try:
        if p.is_dir():
            raise CSVError("is a folder, not a file")
        if p.is_fifo() or p.is_socket():
            raise CSVError("is a pipe or socket, not a file")
        with p.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except CSVError:
        raise
    except FileNotFoundError:
        raise CSVError("no such file") from None
    except ValueError:
        raise CSVError("is not a valid file name") from None
    except PermissionError:
        raise CSVError("permission denied") from None
    except OSError as e:
        raise CSVError(f"cannot read the file ({e.strerror or e})") from None
    if len(data) > MAX_FILE_BYTES:
        raise CSVError(f"the file is too large (the limit is {MAX_FILE_BYTES // 2**20} MB)")
    if b"\0" in data:
        raise CSVError("not a text file (it holds NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CSVError("not a text file (it is not UTF-8)") from None


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _whole_numbers(cells) -> bool:
    """Whether every cell is a whole number (class labels such as 0 … 9 when one target column feeds K outputs)."""
    for cell in cells:
        v = _number(cell)
        if v is None or not math.isfinite(v) or v != int(v):
            return False
    return True


def _rows(text: str) -> list[list[str]]:
    """The records of the CSV text; blank lines at the end are dropped, one elsewhere is refused."""
    try:
        rows = []
        for row in csv.reader(io.StringIO(text, newline="")):
            rows.append(row)
            if len(rows) > MAX_POINTS + 1 and any(rows[-1]):  # the header and MAX_POINTS rows at most
                raise CSVError(f"more than {MAX_POINTS:,} data rows (the limit)")
    except csv.Error as e:
        raise CSVError(f"not a CSV table ({e})") from None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    for r, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            raise CSVError(f"row {r} is blank")
    return rows


def csv_table(text: str, n_inputs: int, n_outputs: int, sigmoid_output: bool = False,
              targets: list[str] | None = None, test_fraction: float = 0.0, seed: int = 0) -> TableData:
    """The table in CSV ``text`` for a network of ``n_inputs`` inputs and ``n_outputs`` outputs (``sigmoid_output``:
    its one output is a sigmoid), with a seeded ``test_fraction`` of the rows (rounded down) held out as a test
    set, each part in file order."""
    if not 0.0 <= test_fraction < 1.0:
        raise CSVError(f"the test fraction must be at least 0 and below 1, not {test_fraction}")
    rows = _rows(text)
    if not rows:
        raise CSVError("the file is empty")
    header = None
    if any(_number(c) is None for c in rows[0]):
        header = [c.strip() for c in rows[0]]
    first = 2 if header is not None else 1  # the spreadsheet row number of the first data row
    body = rows[first - 1 :]
    if not body:
        raise CSVError("the file holds a header row but no data rows")
    if len(body) > MAX_POINTS:
        raise CSVError(f"{len(body):,} data rows; the limit is {MAX_POINTS:,}")
    width = len(rows[0])
    for r, row in enumerate(rows, 1):
        if len(row) != width:
            raise CSVError(f"row {r} has {len(row)} columns; row 1 has {width}")

    def name(c: int) -> str:  # c from 0
        return f"column {c + 1}" + (f" ({header[c]!r})" if header is not None and header[c] else "")

    if targets is not None:
        if header is None:
            raise CSVError("--targets names columns, but the file has no header row (its first row is all numbers)")
        target_cols = []
        for t in targets:
            found = [c for c, h in enumerate(header) if h == t]
            if not found:
                raise CSVError(f"no column named {t!r} (the columns are {', '.join(map(repr, header))})")
            if len(found) > 1:
                raise CSVError(f"{len(found)} columns are named {t!r}")
            if found[0] in target_cols:
                raise CSVError(f"column {t!r} is named twice in --targets")
            target_cols.append(found[0])
        input_cols = [c for c in range(width) if c not in target_cols]
    else:
        if width <= n_inputs:
            outs = f"{n_outputs} output{'s' if n_outputs != 1 else ''}"
            raise CSVError(f"{width} column{'s' if width != 1 else ''}; the network has {n_inputs} input "
                           f"neuron{'s' if n_inputs != 1 else ''} and {outs}, "
                           f"so the file needs {n_inputs + n_outputs} columns (or {n_inputs + 1} with one column of "
                           f"class labels)")
        input_cols = list(range(n_inputs))
        target_cols = list(range(n_inputs, width))
    if len(input_cols) != n_inputs:
        raise CSVError(f"{len(input_cols)} input column{'s' if len(input_cols) != 1 else ''}; the network has "
                       f"{n_inputs} input neuron{'s' if n_inputs != 1 else ''}")
    if not target_cols:
        raise CSVError("no target column")
    if (len(body) * (n_inputs + n_outputs)) > MAX_TABLE_VALUES:
        raise CSVError(f"the table would hold {len(body) * (n_inputs + n_outputs):,} numbers; the limit is "
                       f"{MAX_TABLE_VALUES:,}")

    def numbers(c: int) -> np.ndarray:
        out = np.empty(len(body))
        for i, row in enumerate(body):
            v = _number(row[c])
            if v is None or not math.isfinite(v):
                raise CSVError(f"row {first + i}, {name(c)}: {row[c].strip()!r} is not a finite number")
            out[i] = v
        return out

    x = np.column_stack([numbers(c) for c in input_cols])
    labelled = len(target_cols) == 1 and (any(_number(row[target_cols[0]]) is None for row in body)
                                          or (n_outputs > 1 and _whole_numbers(row[target_cols[0]] for row in body)))
    if labelled:
        c = target_cols[0]
        cells = [row[c].strip() for row in body]
        if all(_number(v) is not None for v in cells):  # whole-number labels: "1" and "1.0" are one; 2 before 10
            cells = [str(int(float(v))) for v in cells]
            labels = sorted(set(cells), key=int)
        else:
            labels = sorted(set(cells))
        index = {lab: k for k, lab in enumerate(labels)}
        codes = np.array([index[v] for v in cells])
        if n_outputs == 1:
            if not sigmoid_output:
                raise CSVError(f"{name(c)} holds class labels; they need one sigmoid output (two labels) or one "
                               f"output neuron per label, not one linear output")
            if len(labels) != 2:
                raise CSVError(f"{name(c)} holds {len(labels)} class labels; one sigmoid output takes exactly 2")
            t = codes[:, None].astype(float)
        else:
            if len(labels) > n_outputs:
                raise CSVError(f"{name(c)} holds {len(labels)} class labels; the network has {n_outputs} outputs")
            t = np.eye(n_outputs)[codes]
    else:
        if len(target_cols) != n_outputs:
            raise CSVError(f"{len(target_cols)} target column{'s' if len(target_cols) != 1 else ''}; the network "
                           f"has {n_outputs} output neuron{'s' if n_outputs != 1 else ''}")
        t = np.column_stack([numbers(c) for c in target_cols])
    n = len(body)
    n_test = int(n * test_fraction)  # below n, since test_fraction < 1: a row or more always trains
    if n_test == 0:
        return TableData(x, t)
    order = np.random.default_rng(seed).permutation(n)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return TableData(x[train], t[train], x[test], t[test])


def csv_shape(text: str, targets: list[str] | None = None) -> tuple[int, int, list[str] | None]:
    """The network shape the CSV ``text`` asks for: (input columns, target columns, class labels or None). The
    targets are the columns named by ``targets`` or else the last column; one target column that is not all
    numbers, or holds whole numbers only (0 and 1, or 3 labels or more), holds class labels (sorted as
    :func:`csv_table` sorts them).
    For fitting a network to a file (:func:`~bpgui.core.fit_network.fit_network`); :func:`csv_table` then checks
    every cell."""
    rows = _rows(text)
    if not rows:
        raise CSVError("the file is empty")
    width = len(rows[0])
    header = [c.strip() for c in rows[0]] if any(_number(c) is None for c in rows[0]) else None
    body = rows[1:] if header is not None else rows
    if not body:
        raise CSVError("the file holds a header row but no data rows")
    if width < 2:
        raise CSVError("1 column: the file needs an input column and a target column")
    if targets is None:
        cols = [width - 1]
    else:
        if header is None:
            raise CSVError("--targets names columns, but the file has no header row (its first row is all numbers)")
        cols = [c for c, h in enumerate(header) if h in targets]
        missing = [t for t in targets if t not in header]
        if missing:
            raise CSVError(f"no column named {missing[0]!r} (the columns are {', '.join(map(repr, header))})")
        if len(cols) == width:
            raise CSVError("every column is a target: no input column")
    if len(cols) == 1:
        cells = [row[cols[0]].strip() for row in body if len(row) == width]
        if any(_number(v) is None for v in cells):
            return width - 1, 1, sorted(set(cells))
        if _whole_numbers(cells):
            labels = sorted({str(int(float(v))) for v in cells}, key=int)
            if len(labels) >= 3 or labels == ["0", "1"]:
                return width - 1, 1, labels
    return width - len(cols), len(cols), None
