"""A data table read from a CSV file, for a network's inputs and outputs (``bpgui data`` and the window's File >
Import Data).

Cells are separated by commas, or by tabs when the first line holds a tab and no comma. The first row is a header
when any of its cells is not a number. Without named target columns the first columns feed the input neurons in
order and the rest are the targets; with them (by header name) the named columns are the targets and the others
the inputs, in file order. One target column that is not all numbers (or, for a network of several outputs, holds
whole numbers only, such as digits 0 … 9) holds class labels: one-hot vectors in sorted label order for K outputs
(at most K labels; whole numbers in numeric order), or 0 and 1 for two labels and one sigmoid output. Rows are
numbered as in a spreadsheet (the header, if any, is row 1).

:func:`csv_table` decides all of this; :func:`csv_preview` shows a file's first rows, each column's role and the
table (or why there is none) for the import dialog, from the same rules.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .document import TableData
from .limits import MAX_FILE_BYTES, MAX_POINTS, MAX_TABLE_VALUES

#: the data rows a preview shows
PREVIEW_ROWS = 8


class CSVError(ValueError):
    """A CSV file that cannot become the network's data; the message names the row and column where it helps,
    and so do ``row`` (as numbered in the message) and ``column`` (from 0), or None."""

    def __init__(self, message: str, row: int | None = None, column: int | None = None):
        super().__init__(message)
        self.row, self.column = row, column


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


def _delimiter(text: str) -> str:
    """A tab when the first line holds one and no comma (a TSV file), else a comma."""
    line = text.split("\n", 1)[0]
    return "\t" if "\t" in line and "," not in line else ","


@dataclass(frozen=True)
class CSVRows:
    """The records of a CSV text, split once: the import dialog makes a table from them at each choice."""

    rows: tuple[tuple[str, ...], ...]

    @property
    def header(self) -> list[str] | None:
        """The first row's cells (stripped) when it is a header: any cell in it is not a number."""
        if self.rows and any(_number(c) is None for c in self.rows[0]):
            return [c.strip() for c in self.rows[0]]
        return None

    @property
    def first(self) -> int:
        """The spreadsheet row number of the first data row."""
        return 2 if self.header is not None else 1

    @property
    def body(self) -> tuple[tuple[str, ...], ...]:
        return self.rows[self.first - 1 :]

    @property
    def width(self) -> int:
        """The first row's number of columns (every row must have as many)."""
        return len(self.rows[0]) if self.rows else 0


def csv_rows(text: str) -> CSVRows:
    """The records of the CSV text; blank lines at the end are dropped, one elsewhere is refused."""
    try:
        rows = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)):
            rows.append(tuple(row))
            if len(rows) > MAX_POINTS + 1 and any(rows[-1]):  # the header and MAX_POINTS rows at most
                raise CSVError(f"more than {MAX_POINTS:,} data rows (the limit)")
    except csv.Error as e:
        raise CSVError(f"not a CSV table ({e})") from None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    for r, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            raise CSVError(f"row {r} is blank", row=r)
    return CSVRows(tuple(rows))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _target_columns(rows: CSVRows, targets: list[str]) -> list[int]:
    """The columns (from 0) the header names ``targets``, in their order; each name must be one column's."""
    header = rows.header
    if header is None:
        raise CSVError("--targets names columns, but the file has no header row (its first row is all numbers)")
    target_cols: list[int] = []
    for t in targets:
        found = [c for c, h in enumerate(header) if h == t]
        if not found:
            raise CSVError(f"no column named {t!r} (the columns are {', '.join(map(repr, header))})")
        if len(found) > 1:
            raise CSVError(f"{len(found)} columns are named {t!r}")
        if found[0] in target_cols:
            raise CSVError(f"column {t!r} is named twice in --targets")
        target_cols.append(found[0])
    return target_cols


def _layout(rows: CSVRows, n_inputs: int, n_outputs: int, targets: list[str] | None) -> tuple[list[int], list[int]]:
    """The input columns and the target columns (from 0, in the order they feed the network)."""
    width = rows.width
    if targets is not None:
        target_cols = _target_columns(rows, targets)
        input_cols = [c for c in range(width) if c not in target_cols]
    else:
        if width <= n_inputs:
            labels = f" (or {n_inputs + 1} with one column of class labels)" if n_outputs > 1 else ""
            raise CSVError(f"{_plural(width, 'column')}; the network has {_plural(n_inputs, 'input neuron')} and "
                           f"{_plural(n_outputs, 'output')}, so the file needs {n_inputs + n_outputs} columns"
                           f"{labels}")
        input_cols = list(range(n_inputs))
        target_cols = list(range(n_inputs, width))
    if len(input_cols) != n_inputs:
        raise CSVError(f"{_plural(len(input_cols), 'input column')}; the network has "
                       f"{_plural(n_inputs, 'input neuron')}")
    if not target_cols:
        raise CSVError("no target column")
    return input_cols, target_cols


def _label_column(body, target_cols: list[int], n_outputs: int) -> int | None:
    """The one target column, when it holds class labels: a cell that is not a number, or, for a network of several
    outputs, whole numbers only."""
    if len(target_cols) != 1:
        return None
    c = target_cols[0]
    cells = [row[c] for row in body if c < len(row)]
    if any(_number(v) is None for v in cells) or (n_outputs > 1 and _whole_numbers(cells)):
        return c
    return None


def _label_cells(cells) -> list[str]:
    """The class label of each cell: stripped; whole numbers written alike ("1" and "1.0" are one label)."""
    cells = [v.strip() for v in cells]
    if all(_number(v) is not None for v in cells):
        return [str(int(float(v))) for v in cells]
    return cells


def _sorted_labels(cells: list[str]) -> list[str]:
    """The distinct labels in the order of the outputs: numeric for whole numbers (2 before 10), else text order."""
    if all(_number(v) is not None for v in cells):
        return sorted(set(cells), key=int)
    return sorted(set(cells))


def csv_table(text: str | CSVRows, n_inputs: int, n_outputs: int, sigmoid_output: bool = False,
              targets: list[str] | None = None, test_fraction: float = 0.0, seed: int = 0) -> TableData:
    """The table in CSV ``text`` (or its rows) for a network of ``n_inputs`` inputs and ``n_outputs`` outputs
    (``sigmoid_output``: its one output is a sigmoid), with a seeded ``test_fraction`` of the rows (rounded down)
    held out as a test set, each part in file order."""
    if not 0.0 <= test_fraction < 1.0:
        raise CSVError(f"the test fraction must be at least 0 and below 1, not {test_fraction}")
    parsed = text if isinstance(text, CSVRows) else csv_rows(text)
    rows, header, first, body, width = parsed.rows, parsed.header, parsed.first, parsed.body, parsed.width
    if not rows:
        raise CSVError("the file is empty")
    if not body:
        raise CSVError("the file holds a header row but no data rows")
    if len(body) > MAX_POINTS:
        raise CSVError(f"{len(body):,} data rows; the limit is {MAX_POINTS:,}")
    for r, row in enumerate(rows, 1):
        if len(row) != width:
            raise CSVError(f"row {r} has {len(row)} columns; row 1 has {width}", row=r)

    def name(c: int) -> str:  # c from 0
        return f"column {c + 1}" + (f" ({header[c]!r})" if header is not None and header[c] else "")

    input_cols, target_cols = _layout(parsed, n_inputs, n_outputs, targets)
    if (len(body) * (n_inputs + n_outputs)) > MAX_TABLE_VALUES:
        raise CSVError(f"the table would hold {len(body) * (n_inputs + n_outputs):,} numbers; the limit is "
                       f"{MAX_TABLE_VALUES:,}")

    def numbers(c: int) -> np.ndarray:
        out = np.empty(len(body))
        for i, row in enumerate(body):
            v = _number(row[c])
            if v is None or not math.isfinite(v):
                raise CSVError(f"row {first + i}, {name(c)}: {row[c].strip()!r} is not a finite number",
                               row=first + i, column=c)
            out[i] = v
        return out

    x = np.column_stack([numbers(c) for c in input_cols])
    c = _label_column(body, target_cols, n_outputs)
    if c is not None:
        cells = _label_cells(row[c] for row in body)
        labels = _sorted_labels(cells)
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
            raise CSVError(f"{_plural(len(target_cols), 'target column')}; the network has "
                           f"{_plural(n_outputs, 'output neuron')}")
        t = np.column_stack([numbers(c) for c in target_cols])
    n = len(body)
    n_test = int(n * test_fraction)  # below n, since test_fraction < 1: a row or more always trains
    if n_test == 0:
        return TableData(x, t)
    order = np.random.default_rng(seed).permutation(n)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return TableData(x[train], t[train], x[test], t[test])


def csv_shape(text: str | CSVRows, targets: list[str] | None = None) -> tuple[int, int, list[str] | None]:
    """The network shape the CSV ``text`` (or its rows) asks for: (input columns, target columns, class labels or
    None). The targets are the columns named by ``targets`` or else the last column; one target column that is not
    all numbers, or holds whole numbers only (0 and 1, or 3 labels or more), holds class labels (sorted as
    :func:`csv_table` sorts them). For fitting a network to a file (:func:`~bpgui.core.fit_network.fit_network`);
    :func:`csv_table` then checks every cell."""
    parsed = text if isinstance(text, CSVRows) else csv_rows(text)
    if not parsed.rows:
        raise CSVError("the file is empty")
    width, body = parsed.width, parsed.body
    if not body:
        raise CSVError("the file holds a header row but no data rows")
    if width < 2:
        raise CSVError("1 column: the file needs an input column and a target column")
    if targets is None:
        cols = [width - 1]
    else:
        cols = _target_columns(parsed, targets)
        if len(cols) == width:
            raise CSVError("every column is a target: no input column")
    if len(cols) == 1:
        cells = [row[cols[0]] for row in body if len(row) == width]
        if any(_number(v) is None for v in cells):
            return width - len(cols), 1, _sorted_labels(_label_cells(cells))
        if _whole_numbers(cells):
            labels = _sorted_labels(_label_cells(cells))
            if len(labels) >= 3 or labels == ["0", "1"]:
                return width - 1, 1, labels
    return width - len(cols), len(cols), None


# ---------------------------------------------------------------------------------------------- preview
@dataclass(frozen=True)
class ColumnRole:
    """What a column feeds: ``kind`` "input" (input neuron ``index``), "target" (output ``index``) or "labels"
    (class labels, one-hot over the outputs or 0/1 for one sigmoid output; ``index`` 0)."""

    kind: str
    index: int


@dataclass(frozen=True)
class CSVPreview:
    """A CSV file as the import dialog shows it: the column names (the header's, or "column 1", ...), each
    column's role (None when the columns do not fit the network), the first data rows' cells, the number of
    data rows, the class labels (sorted: the order of the outputs), and the table, or the reason there is
    none (``problem``, from :func:`csv_table`) with its place when it has one: ``problem_row`` (numbered as in
    the message), ``problem_column`` (from 0, or None for the whole row) and that row's cells when it is not
    among the rows shown (``problem_cells``)."""

    names: tuple[str, ...]
    has_header: bool
    roles: tuple[ColumnRole | None, ...]
    rows: tuple[tuple[str, ...], ...]
    n_rows: int
    labels: tuple[str, ...]
    n_inputs: int
    n_outputs: int
    table: TableData | None
    problem: str | None
    problem_row: int | None = None
    problem_column: int | None = None
    problem_cells: tuple[str, ...] | None = None

    @property
    def one_hot(self) -> bool:
        """The labels become one-hot vectors (else 0 and 1 for one sigmoid output)."""
        return self.n_outputs > 1

    def summary(self) -> str:
        """One line: "150 rows: 120 train, 30 test; 4 inputs, 3 classes → one-hot"."""
        rows = f"{self.n_rows:,} row{'s' if self.n_rows != 1 else ''}"
        if self.table is None:
            return rows
        train, test = len(self.table.inputs), len(self.table.test_inputs)
        if self.labels:
            k = len(self.labels)
            outputs = (f"{k} classes → one-hot" + (f" over {self.n_outputs} outputs" if k < self.n_outputs else "")
                       if self.one_hot else f"{k} classes → 0/1")
        else:
            outputs = _plural(self.n_outputs, "target")
        return f"{rows}: {train:,} train, {test:,} test; {_plural(self.n_inputs, 'input')}, {outputs}"


def csv_preview(text: str | CSVRows, n_inputs: int, n_outputs: int, sigmoid_output: bool = False,
                targets: list[str] | None = None, test_fraction: float = 0.0, seed: int = 0,
                shown_rows: int = PREVIEW_ROWS) -> CSVPreview:
    """The preview of CSV ``text`` (or its rows) for the import dialog; the arguments are :func:`csv_table`'s,
    whose table (or refusal) it holds."""
    try:
        parsed = text if isinstance(text, CSVRows) else csv_rows(text)
    except CSVError as e:
        return CSVPreview((), False, (), (), 0, (), n_inputs, n_outputs, None, str(e), e.row)
    header, body = parsed.header, parsed.body
    width = max((len(r) for r in parsed.rows), default=0)
    names = tuple(header[c] if header is not None and c < len(header) and header[c] else f"column {c + 1}"
                  for c in range(width))
    roles: list[ColumnRole | None] = [None] * width
    labels: tuple[str, ...] = ()
    try:
        input_cols, target_cols = _layout(parsed, n_inputs, n_outputs, targets)
    except CSVError:
        pass
    else:
        label_col = _label_column(body, target_cols, n_outputs)
        for k, c in enumerate(input_cols):
            roles[c] = ColumnRole("input", k)
        for k, c in enumerate(target_cols):
            roles[c] = ColumnRole("labels" if c == label_col else "target", k)
        if label_col is not None:
            labels = tuple(_sorted_labels(_label_cells(row[label_col] for row in body if label_col < len(row))))
    place: tuple[int | None, int | None, tuple[str, ...] | None] = (None, None, None)
    try:
        table, problem = csv_table(parsed, n_inputs, n_outputs, sigmoid_output, targets, test_fraction, seed), None
    except CSVError as e:
        table, problem = None, str(e)
        if e.row is not None:
            beyond = e.row - parsed.first >= shown_rows  # past the rows on show
            cells = tuple(c.strip() for c in parsed.rows[e.row - 1]) if beyond else None
            place = (e.row, e.column, cells)
    shown = tuple(tuple(c.strip() for c in row) for row in body[:shown_rows])
    return CSVPreview(names, header is not None, tuple(roles), shown, len(body), labels, n_inputs, n_outputs,
                      table, problem, *place)
