"""File > Import Data's preview: a CSV file's first rows with each column's role for the network (which input
neuron it feeds, which output it is the target of, or class labels made one-hot), the target columns to choose
(when the file has a header), the test fraction and its seed, a one-line summary, and, when the table does not
fit the network, the reason (from :func:`~bpgui.core.csv_data.csv_preview`, the rules ``bpgui data`` follows)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...core.csv_data import (
    PREVIEW_ROWS,
    ColumnRole,
    CSVError,
    CSVPreview,
    CSVRows,
    csv_preview,
    csv_rows,
    csv_shape,
)
from ...core.document import TableData
from ...core.fit_network import fit_to_table_shape
from ...core.network import Network, NetworkError
from ..style import MUTED_COLOR, TEXT_COLOR

#: a column's colours by role: (background, the header's text)
ROLE_COLORS = {"input": ("#deebf7", "#08519c"), "target": ("#fdd9b5", "#a63603"), "labels": ("#e5f5e0", "#006d2c")}
#: the reason a table does not fit, in the canvas's red for negative numbers
PROBLEM_COLOR = "#b2182b"
#: the background of the cell (or row) the reason names
PROBLEM_FILL = "#fddbc7"
#: names listed before "…" (a network may have hundreds of inputs)
MAX_NAMES = 6
#: the dialog's first size: as wide as this, as tall as its rows need up to this (it fits a 1024×640 screen)
DIALOG_WIDTH, MAX_DIALOG_HEIGHT = 760, 560
#: the largest seed the spin box takes (Qt's spin boxes hold 32-bit integers)
MAX_DIALOG_SEED = 2**31 - 1


def _names(neurons, limit: int = MAX_NAMES) -> str:
    ids = [n.id for n in neurons]
    return ", ".join(ids[:limit]) + (", …" if len(ids) > limit else "")


class ImportDataDialog(QDialog):
    """The preview of the CSV ``text`` read from ``path`` for ``network``. Import (OK) hands the table and the
    network fitted to the file (or None when the network stays as it is) to ``apply(table, network)``, which returns
    None or the reason it cannot be used (then the dialog stays open and shows it).

    "Fit the network to the file" resizes the network's input and output layers to the file's columns
    (:func:`~bpgui.core.fit_network.fit_to_table_shape`); when the file does not fit the network as it is but would
    fit it so, a line below the reason says so."""

    def __init__(self, path: Path, text: str, network: Network,
                 apply: Callable[[TableData, Network | None], str | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self._apply = apply
        self.network = network
        self.fitted: Network | None = None  # the network fitted to the file, while "fit" is ticked
        self._use(network)
        self._source = text
        try:
            self._source = csv_rows(text)  # split once; a refusal is the preview's problem
        except CSVError:
            pass
        self.setWindowTitle(f"Import Data — {self.path.name}")
        self.setSizeGripEnabled(True)
        self._build(network)
        first = self._preview(None)
        self._default_targets = self._targets_of(first)
        self._fill(first)
        self.update_preview()
        self._fit_height()
        (self.ok if self.ok.isEnabled() else self.buttons.button(QDialogButtonBox.Cancel)).setFocus()

    def _use(self, network: Network) -> None:
        """Preview the file for ``network`` (its input and output neurons)."""
        self.inputs = [n.id for n in network.inputs]
        self.outputs = [n.id for n in network.outputs]
        self.sigmoid_output = len(network.outputs) == 1 and network.outputs[0].activation == "sigmoid"

    @staticmethod
    def _targets_of(preview: CSVPreview) -> list[int]:
        return [c for c, r in enumerate(preview.roles) if r is not None and r.kind != "input"]

    def _fit_for(self, targets: list[str] | None) -> Network | None:
        """The network fitted to the file with these target columns (None: the last), or None when it cannot be."""
        try:
            return fit_to_table_shape(self.network, *csv_shape(self._source, targets), seed=self.seed.value())
        except (CSVError, NetworkError):
            return None

    def _network_text(self) -> str:
        net = self.fitted or self.network
        n_in, n_out = len(net.inputs), len(net.outputs)
        out_kind = {"bce": " (sigmoid)", "cross_entropy": " (softmax)"}.get(net.loss, "")
        if self.fitted is None:
            kind = " (sigmoid)" if self.sigmoid_output else ""
            return (f"The network has {n_in} input{'s' if n_in != 1 else ''} ({escape(_names(net.inputs))}) and "
                    f"{n_out} output{'s' if n_out != 1 else ''}{kind} ({escape(_names(net.outputs))}).")
        return (f"Fitted to the file, the network will have {n_in} input{'s' if n_in != 1 else ''} and "
                f"{n_out} output{'s' if n_out != 1 else ''}{out_kind}, loss {net.loss}; its hidden layers and "
                f"their weights stay (new weights are random, from the seed).")

    def _on_fit(self, on: bool) -> None:
        """Fit the network to the file, or go back to the network as it is; the target columns start over from
        the default of either."""
        targets = self.chosen_targets() if on and self._has_header else None
        self.fitted = self._fit_for(targets) if on else None
        if on and self.fitted is None:
            self.fitted = self._fit_for(None)
        self._use(self.fitted or self.network)
        default = self._targets_of(self._preview(None))
        self._default_targets = default
        self.targets.blockSignals(True)
        for c in range(self.targets.count()):
            self.targets.item(c).setCheckState(Qt.Checked if c in default else Qt.Unchecked)
        self.targets.blockSignals(False)
        self.network_label.setText(self._network_text())
        self.update_preview()

    def _fit_height(self) -> None:
        """As tall as the rows on show need (so no empty table below them), within MAX_DIALOG_HEIGHT; the table
        may shrink later."""
        t = self.table
        self.table.resizeColumnsToContents()
        needed = (t.horizontalHeader().sizeHint().height() + t.verticalHeader().length() + 2 * t.frameWidth()
                  + (t.horizontalScrollBar().sizeHint().height() if t.columnCount() > 6 else 0))
        t.setFixedHeight(max(needed, 80))
        lay = self.layout()  # the height at this width: wrapped lines take fewer rows than at the size hint's
        height = lay.totalHeightForWidth(DIALOG_WIDTH) if lay.hasHeightForWidth() else self.sizeHint().height()
        self.resize(DIALOG_WIDTH, min(height, MAX_DIALOG_HEIGHT))
        t.setMinimumHeight(80)
        t.setMaximumHeight(16_777_215)  # QWIDGETSIZE_MAX: the table takes what the user makes room for

    # ------------------------------------------------------------------ layout
    def _build(self, network: Network) -> None:
        lay = QVBoxLayout(self)
        self.file_label = QLabel(f"<b>{escape(self.path.name)}</b> <span style='color:{MUTED_COLOR}'>in "
                                 f"{escape(str(self.path.parent))}</span>")
        self.file_label.setToolTip(str(self.path))
        self.file_label.setTextFormat(Qt.RichText)
        self.network_label = QLabel(self._network_text())
        self.network_label.setWordWrap(True)
        self.fit = QCheckBox("&Fit the network to the file")
        self.fit.setToolTip("resize the network's input layer to the file's input columns and its output layer to "
                            "the targets (a column of class labels: one sigmoid output for 2 labels, one softmax "
                            "output per label for more); the hidden layers and their weights stay. One undo step "
                            "with the data.")
        self.fit.toggled.connect(self._on_fit)
        lay.addWidget(self.file_label)
        lay.addWidget(self.network_label)
        lay.addWidget(self.fit)

        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setFocusPolicy(Qt.NoFocus)
        self.table.setWordWrap(False)
        self.table.setToolTip("the file's first rows; each column's header says what it feeds")
        self.table.horizontalHeader().sectionClicked.connect(self._on_header_clicked)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        lay.addWidget(self.table, 1)
        self.rows_label = QLabel()
        self.rows_label.setStyleSheet(f"color: {MUTED_COLOR};")
        lay.addWidget(self.rows_label)

        form = QFormLayout()
        self.targets = QListWidget()
        self.targets.setFlow(QListWidget.LeftToRight)
        self.targets.setWrapping(True)
        self.targets.setResizeMode(QListWidget.Adjust)
        self.targets.setSpacing(2)
        self.targets.setToolTip("the columns the network learns to output (a column of words: class labels); "
                                "the other columns feed the inputs, in file order")
        self.targets.itemChanged.connect(self.update_preview)
        self.targets_note = QLabel()
        self.targets_note.setWordWrap(True)
        self.targets_note.setStyleSheet(f"color: {MUTED_COLOR};")
        targets = QWidget()
        tlay = QVBoxLayout(targets)
        tlay.setContentsMargins(0, 0, 0, 0)
        tlay.addWidget(self.targets)
        tlay.addWidget(self.targets_note)
        form.addRow("target columns", targets)
        self.test_fraction = QDoubleSpinBox()
        self.test_fraction.setRange(0.0, 0.99)
        self.test_fraction.setSingleStep(0.05)
        self.test_fraction.setDecimals(2)
        self.test_fraction.setToolTip("hold out this share of the rows (chosen at random by the seed) as a test "
                                      "set: the network never trains on them, and the Loss view shows its loss "
                                      "on them")
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_DIALOG_SEED)
        self.seed.setToolTip("the seed of the random test split: the same seed, the same split")
        self.test_fraction.valueChanged.connect(self.update_preview)
        self.seed.valueChanged.connect(self.update_preview)
        split = QHBoxLayout()
        split.addWidget(self.test_fraction)
        split.addSpacing(12)
        split.addWidget(QLabel("seed"))
        split.addWidget(self.seed)
        split.addStretch(1)
        form.addRow("test fraction", split)
        lay.addLayout(form)

        self.summary = QLabel()
        self.summary.setStyleSheet(f"color: {TEXT_COLOR}; font-weight: bold;")
        self.classes = QLabel()
        self.classes.setWordWrap(True)
        self.classes.setStyleSheet(f"color: {MUTED_COLOR};")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.problem.setStyleSheet(f"color: {PROBLEM_COLOR};")
        self.fit_hint = QLabel()
        self.fit_hint.setWordWrap(True)
        self.fit_hint.setStyleSheet(f"color: {TEXT_COLOR};")
        for w in (self.summary, self.classes, self.problem, self.fit_hint):
            lay.addWidget(w)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.Ok)
        self.ok.setText("&Import")
        self.ok.setToolTip("replace the document's data with this table (one undo step)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _fill(self, preview: CSVPreview) -> None:
        """The rows and the target choice, once: only the roles (and the row with a problem) change afterwards."""
        self._first = 2 if preview.has_header else 1
        self._shown = len(preview.rows)
        self.table.setColumnCount(len(preview.names))
        self._set_rows(preview.rows, [self._first + i for i in range(self._shown)])
        self.table.verticalHeader().setToolTip("the row's number in the file (the header is row 1)")
        shown = len(preview.rows)
        self._rows_text = (f"the first {shown} of {preview.n_rows:,} data rows" if preview.n_rows > shown
                           else f"{preview.n_rows:,} data row{'s' if preview.n_rows != 1 else ''}")
        self.targets.blockSignals(True)
        header = self._source.header if isinstance(self._source, CSVRows) else None
        for c, name in enumerate(preview.names):
            item = QListWidgetItem(name)
            item.setData(Qt.UserRole, header[c] if header is not None and c < len(header) else name)
            item.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled)
            item.setCheckState(Qt.Checked if c in self._default_targets else Qt.Unchecked)
            self.targets.addItem(item)
        self.targets.blockSignals(False)
        self._has_header = preview.has_header
        self.targets.setVisible(preview.has_header)
        if preview.has_header:
            self.targets_note.setText("tick a column here, or click its header in the table, to make it a "
                                      "target; the others feed the inputs")
        else:
            self.targets_note.setText(f"the file has no header row: its first {len(self.inputs)} columns feed "
                                      "the inputs, the rest are the targets (add a header row to choose)")
        rows = max(1, min(3, -(-len(preview.names) // 6)))  # about six names a line
        self.targets.setFixedHeight(rows * (self.targets.fontMetrics().height() + 10) + 6)

    def _set_rows(self, rows, numbers: list[int]) -> None:
        t = self.table
        t.setRowCount(len(rows))
        t.setVerticalHeaderLabels([str(n) for n in numbers])
        for r, row in enumerate(rows):
            for c in range(t.columnCount()):
                t.setItem(r, c, QTableWidgetItem(row[c] if c < len(row) else ""))

    # ------------------------------------------------------------------ the preview
    def chosen_targets(self) -> list[str] | None:
        """The target columns' names as ``csv_table`` takes them, or None for its default (the columns after
        the inputs)."""
        if not self._has_header:
            return None
        checked = [c for c in range(self.targets.count()) if self.targets.item(c).checkState() == Qt.Checked]
        if checked == self._default_targets:
            return None
        return [self.targets.item(c).data(Qt.UserRole) for c in checked]  # the header's names, even empty ones

    def _preview(self, targets: list[str] | None) -> CSVPreview:
        return csv_preview(self._source, len(self.inputs), len(self.outputs), self.sigmoid_output, targets,
                           self.test_fraction.value(), self.seed.value(), shown_rows=PREVIEW_ROWS)

    def update_preview(self, *_) -> None:
        if self.fit.isChecked():  # the fitted shape follows the chosen targets
            fitted = self._fit_for(self.chosen_targets())
            if fitted is not None and (self.fitted is None or not fitted.same_as(self.fitted)):
                self.fitted = fitted
                self._use(fitted)
                self.network_label.setText(self._network_text())
        p = self.preview = self._preview(self.chosen_targets())
        self._set_problem_row(p)
        for c, (name, role) in enumerate(zip(p.names, p.roles)):
            text, tip = self._role_text(role, p)
            item = QTableWidgetItem(f"{name}\n{text}")
            item.setToolTip(f"{name}: {tip}")
            background, foreground = ROLE_COLORS.get(role.kind if role else "", ("#f0f0f0", MUTED_COLOR))
            item.setBackground(QBrush(QColor(background)))
            item.setForeground(QBrush(QColor(foreground)))
            self.table.setHorizontalHeaderItem(c, item)
            for r in range(self.table.rowCount()):
                cell = self.table.item(r, c)
                if cell is not None:
                    cell.setBackground(QBrush(QColor(background if role else "white")))
                    cell.setForeground(QBrush(QColor(TEXT_COLOR)))
                    cell.setToolTip("")
        self._mark_problem(p)
        self.table.resizeColumnsToContents()
        self.summary.setText(p.summary())
        self.summary.setVisible(p.table is not None)  # else the row count is above, and the reason below
        self.classes.setText(self._classes_text(p))
        self.classes.setVisible(bool(self.classes.text()))
        self.problem.setText(f"Does not fit: {p.problem}" if p.problem else "")
        self.problem.setVisible(p.problem is not None)
        hint = ""
        if p.problem is not None and not self.fit.isChecked():
            fitted = self._fit_for(self.chosen_targets())
            if fitted is not None:
                n_in, n_out = len(fitted.inputs), len(fitted.outputs)
                hint = (f"Tick “Fit the network to the file” to give the network {n_in} input"
                        f"{'s' if n_in != 1 else ''} and {n_out} output{'s' if n_out != 1 else ''} "
                        f"(loss {fitted.loss}) for it.")
        self.fit_hint.setText(hint)
        self.fit_hint.setVisible(bool(hint))
        self.ok.setEnabled(p.table is not None)

    def _set_problem_row(self, p: CSVPreview) -> None:
        """The row with the problem, below the first rows when it is further down the file."""
        t = self.table
        t.setRowCount(self._shown)  # without the last preview's
        self.rows_label.setText(self._rows_text)
        if p.problem_cells is not None:
            self.rows_label.setText(f"{self._rows_text}, and row {p.problem_row:,}, where the table does not fit")
            t.setRowCount(self._shown + 1)
            t.setVerticalHeaderItem(self._shown, QTableWidgetItem(str(p.problem_row)))
            for c in range(t.columnCount()):
                cell = p.problem_cells[c] if c < len(p.problem_cells) else ""
                t.setItem(self._shown, c, QTableWidgetItem(cell))

    def _mark_problem(self, p: CSVPreview) -> None:
        """The cell (or the whole row) the reason names, in red."""
        t = self.table
        if p.problem_row is None:
            return
        r = p.problem_row - self._first if p.problem_cells is None else self._shown
        columns = range(t.columnCount()) if p.problem_column is None else [p.problem_column]
        for c in columns:
            item = t.item(r, c)
            if item is not None:
                item.setBackground(QBrush(QColor(PROBLEM_FILL)))
                item.setForeground(QBrush(QColor(PROBLEM_COLOR)))
                item.setToolTip(p.problem)
        if p.problem_cells is not None:
            t.verticalHeaderItem(self._shown).setForeground(QBrush(QColor(PROBLEM_COLOR)))

    def _role_text(self, role: ColumnRole | None, p: CSVPreview) -> tuple[str, str]:
        """The header's second line and its tooltip."""
        if role is None:
            return "(does not fit)", "the columns do not fit the network: see the reason below"
        if role.kind == "input":
            name = self.inputs[role.index]
            return f"→ {name}", f"feeds input neuron {name}"
        if role.kind == "target":
            name = self.outputs[role.index] if role.index < len(self.outputs) else "(no output)"
            return f"target of {name}", f"the target of output neuron {name}"
        if p.one_hot:
            return "labels → one-hot", "class labels: each becomes 1 at its output neuron, 0 at the others"
        return f"labels → 0/1 ({self.outputs[0]})", f"class labels: the first (sorted) is 0, the second 1 at " \
                                                      f"output neuron {self.outputs[0]}"

    def _classes_text(self, p: CSVPreview) -> str:
        if not p.labels or p.table is None:
            return ""
        if p.one_hot:
            pairs = [f"{lab} → {out}" for lab, out in zip(p.labels, self.outputs)]
        else:
            pairs = [f"{lab} → {v}" for lab, v in zip(p.labels, (0, 1))]
        more = len(pairs) > 2 * MAX_NAMES
        return "classes: " + " · ".join(pairs[: 2 * MAX_NAMES]) + (" · …" if more else "")

    def _on_header_clicked(self, column: int) -> None:
        if self._has_header and column < self.targets.count():
            item = self.targets.item(column)
            item.setCheckState(Qt.Unchecked if item.checkState() == Qt.Checked else Qt.Checked)

    # ------------------------------------------------------------------ import
    def accept(self) -> None:
        if self.preview.table is None:
            return
        problem = self._apply(self.preview.table, self.fitted if self.fit.isChecked() else None)
        if problem:
            self.problem.setText(f"Cannot import: {problem}")
            self.problem.setVisible(True)
            return
        super().accept()
