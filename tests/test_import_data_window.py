"""File > Import Data on the real window: the real action, the real file dialog (driven as a user would: the path
typed into it), the preview dialog, and what the document, the undo history and the training run make of the
imported table. The tables expected are written out by hand, not computed by the parser under test."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QMenu, QMessageBox

from bpgui.core.document import Document, TableData, TrainingConfig
from bpgui.core.limits import MAX_FILE_BYTES
from bpgui.core.network import layered
from bpgui.ui.document.document_model import DocumentModel
from bpgui.ui.document.import_data_dialog import PROBLEM_COLOR, PROBLEM_FILL, ROLE_COLORS, ImportDataDialog

#: the data each test document starts with (a table with no test set: an imported test set is new)
OLD_INPUTS = [[0.5, -1.0], [2.0, 0.25]]


def network(kind: str):
    """"linear": 2 inputs → 1 linear output (mse); "sigmoid": 2 inputs → 1 sigmoid output (bce);
    "iris": 4 inputs → 3 outputs (cross-entropy); "one": 1 input → 1 linear output (mse)."""
    w = lambda a, b: 0.5 if a.startswith("x1") else -0.25  # noqa: E731
    if kind == "linear":
        return layered([2, 1], "linear", "linear", "mse", weights=w)
    if kind == "sigmoid":
        return layered([2, 1], "linear", "sigmoid", "bce", weights=w)
    if kind == "iris":
        return layered([4, 3], "linear", "linear", "cross_entropy", weights=w)
    return layered([1, 1], "linear", "linear", "mse", weights=w)


def document(kind: str = "linear") -> DocumentModel:
    net = network(kind)
    n_in, n_out = len(net.inputs), len(net.outputs)
    x = np.array([row[:1] * n_in for row in OLD_INPUTS]) if n_in != 2 else np.array(OLD_INPUTS)
    data = TableData(x, np.full((2, n_out), 0.5))
    model = DocumentModel(Document(net, data, TrainingConfig("sgd", 0.05)))
    model.display_name = f"{kind} test"
    return model


def when_shown(kind, act, errors: list, timeout: float = 10.0) -> None:
    """Run ``act(widget)`` on the first visible top-level ``kind`` once the event loop shows one (a modal dialog's
    own loop runs it). A failure closes the widget (so that a blocking ``exec`` returns) and goes to ``errors``."""
    deadline = time.monotonic() + timeout

    def poll():
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, kind) and widget.isVisible():
                try:
                    act(widget)
                except Exception as e:  # noqa: BLE001 - reported by the test
                    errors.append(e)
                    widget.reject()
                return
        if time.monotonic() < deadline:
            QTimer.singleShot(10, poll)
        else:
            errors.append(TimeoutError(f"no {kind.__name__} was shown"))

    QTimer.singleShot(0, poll)


def type_path(dialog: QFileDialog, path: Path, seen: dict) -> None:
    seen["folder"] = dialog.directory().absolutePath()
    seen["filter"] = dialog.nameFilters()
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    edit.setText(str(path))
    QTest.keyClick(edit, Qt.Key_Return)


def choose_file(w, path: Path) -> dict:
    """File > Import Data… with ``path`` typed into the real file dialog; what the dialog showed."""
    seen, errors = {}, []
    when_shown(QFileDialog, lambda d: type_path(d, path, seen), errors)
    w.window_actions.import_data.trigger()
    if errors:
        raise errors[0]
    assert "folder" in seen, "the file dialog was not shown"
    return seen


def import_dialog(w, path: Path) -> ImportDataDialog:
    choose_file(w, path)
    dialog = w.data_import.dialog
    assert isinstance(dialog, ImportDataDialog) and dialog.isVisible()
    return dialog


def click(widget) -> None:
    QTest.mouseClick(widget, Qt.LeftButton)


def write(tmp_path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def same_table(data, inputs, targets, test_inputs=None, test_targets=None) -> bool:
    expected = TableData(np.array(inputs, float), np.array(targets, float),
                         None if test_inputs is None else np.array(test_inputs, float),
                         None if test_targets is None else np.array(test_targets, float))
    return isinstance(data, TableData) and data == expected


def history(w) -> tuple:
    st = w.model.undo_stack
    return st.count(), st.index(), w.model.is_modified()


# ---------------------------------------------------------------------------------------------- the menu
def test_import_data_sits_in_the_file_menu_after_open_with_a_tip_and_its_own_shortcut(make_window):
    w = make_window(wait=None)
    file_menu = next(m for m in w.menuBar().findChildren(QMenu) if m.title() == "&File")
    texts = [a.text() for a in file_menu.actions()]
    assert texts[texts.index("&Open…") + 1] == "&Import Data…"
    action = w.window_actions.import_data
    assert action.shortcut() == QKeySequence("Ctrl+Shift+I") and "CSV" in action.toolTip()
    others = [a for a in w.findChildren(type(action)) if a is not action and not a.shortcut().isEmpty()]
    assert all(a.shortcut() != action.shortcut() for a in others)


# ---------------------------------------------------------------------------------------------- good files
GOOD = [
    ("header.csv", "a,b,t\n1,2,3\n4,5,6\n", "linear", [[1, 2], [4, 5]], [[3], [6]]),
    ("plain.csv", "1,2,3\n4,5,6\n", "linear", [[1, 2], [4, 5]], [[3], [6]]),
    ("bom_crlf.csv", b"\xef\xbb\xbfa,b,t\r\n1,2,3\r\n4,5,6\r\n", "linear", [[1, 2], [4, 5]], [[3], [6]]),
    ("quoted.csv", '"a","b, with comma","t"\n"1",2,"3"\n4,"5",6\n', "linear", [[1, 2], [4, 5]], [[3], [6]]),
    ("blank_end.csv", "a,b,t\n1,2,3\n4,5,6\n\n\n", "linear", [[1, 2], [4, 5]], [[3], [6]]),
    ("tabs.tsv", "a\tb\tt\n1\t2\t3\n4\t5\t6\n", "linear", [[1, 2], [4, 5]], [[3], [6]]),
    ("labels.csv", "a,b,c,d,kind\n1,2,3,4,dog\n5,6,7,8,cat\n9,10,11,12,emu\n", "iris",
     [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], [[0, 1, 0], [1, 0, 0], [0, 0, 1]]),
    ("yes_no.csv", "a,b,label\n1,2,yes\n3,4,no\n", "sigmoid", [[1, 2], [3, 4]], [[1], [0]]),
]


@pytest.mark.parametrize("name, text, kind, inputs, targets", GOOD, ids=[g[0] for g in GOOD])
def test_a_good_file_becomes_the_documents_data_as_one_undo_step(make_window, tmp_path, name, text, kind, inputs,
                                                                  targets):
    w = make_window(document(kind), wait=None)
    old = w.model.doc.data
    steps = w.model.undo_stack.count()
    dialog = import_dialog(w, write(tmp_path, name, text))
    assert dialog.ok.isEnabled() and not dialog.problem.isVisible()
    assert dialog.summary.text().startswith(f"{len(inputs)} rows: {len(inputs)} train, 0 test")
    click(dialog.ok)
    assert not dialog.isVisible() and w.data_import.dialog is None
    assert same_table(w.model.doc.data, inputs, targets)
    assert w.model.undo_stack.count() == steps + 1 and w.model.undo_stack.undoText() == f"Import {name}"
    assert w.status.text().startswith(f"imported {name} (")
    w.window_actions.undo.trigger()
    assert w.model.doc.data is old  # exactly the table it had
    w.window_actions.redo.trigger()
    assert same_table(w.model.doc.data, inputs, targets)


def test_the_preview_shows_each_columns_role_the_classes_and_the_summary(make_window, tmp_path):
    lines = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for k, species in enumerate(["setosa", "versicolor", "virginica"]):
        lines += [f"{5 + k}.{i:02d},3.{i:02d},{1 + 2 * k}.0,0.{k + 2},{species}" for i in range(50)]
    w = make_window(document("iris"), wait=None)
    dialog = import_dialog(w, write(tmp_path, "iris.csv", "\n".join(lines) + "\n"))
    t = dialog.table
    headers = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
    assert headers == ["sepal_length\n→ x1", "sepal_width\n→ x2", "petal_length\n→ x3", "petal_width\n→ x4",
                       "species\nlabels → one-hot"]
    assert t.horizontalHeaderItem(0).background().color() == QColor(ROLE_COLORS["input"][0])
    assert t.horizontalHeaderItem(4).background().color() == QColor(ROLE_COLORS["labels"][0])
    assert t.rowCount() == 8 and t.item(0, 0).text() == "5.00" and t.item(7, 1).text() == "3.07"
    assert [t.verticalHeaderItem(r).text() for r in (0, 7)] == ["2", "9"]  # the rows' numbers in the file
    assert dialog.rows_label.text() == "the first 8 of 150 data rows"
    assert dialog.classes.text() == "classes: setosa → y1 · versicolor → y2 · virginica → y3"
    assert dialog.summary.text() == "150 rows: 150 train, 0 test; 4 inputs, 3 classes → one-hot"
    dialog.test_fraction.setValue(0.2)
    assert dialog.summary.text() == "150 rows: 120 train, 30 test; 4 inputs, 3 classes → one-hot"
    click(dialog.ok)
    d = w.model.doc.data
    assert len(d.inputs) == 120 and len(d.test_inputs) == 30
    assert w.status.text() == "imported iris.csv (150 rows: 120 train, 30 test; 4 inputs, 3 classes → one-hot)"


def test_the_target_columns_are_chosen_by_their_headers(make_window, tmp_path):
    """The dialog's --targets: by default the column after the inputs ("b") is the target; clicking the header of
    "y" makes it a target too, and unticking "b" makes b an input again."""
    w = make_window(document("linear"), wait=None)
    dialog = import_dialog(w, write(tmp_path, "cols.csv", "y,a,b\n3,1,2\n6,4,5\n"))
    t = dialog.table

    def headers():
        return [t.horizontalHeaderItem(c).text().split("\n")[1] for c in range(t.columnCount())]

    assert headers() == ["→ x1", "→ x2", "target of y1"]
    click_header(dialog, 0)
    assert dialog.targets.item(0).checkState() == Qt.Checked
    assert not dialog.ok.isEnabled() and "1 input column; the network has 2 input neurons" in dialog.problem.text()
    lst = dialog.targets
    QTest.mouseClick(lst.viewport(), Qt.LeftButton, Qt.NoModifier, lst.visualItemRect(lst.item(2)).center())
    QTest.keyClick(lst, Qt.Key_Space)  # tick or untick the current column
    assert lst.item(2).checkState() == Qt.Unchecked
    assert headers() == ["target of y1", "→ x1", "→ x2"] and dialog.ok.isEnabled()
    click(dialog.ok)
    assert same_table(w.model.doc.data, [[1, 2], [4, 5]], [[3], [6]])


def click_header(dialog, column: int) -> None:
    header = dialog.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(header.viewport(), Qt.LeftButton, Qt.NoModifier, QPoint(x, header.height() // 2))


def test_a_column_with_an_empty_header_cell_can_be_the_target(make_window, tmp_path):
    w = make_window(document("linear"), wait=None)
    dialog = import_dialog(w, write(tmp_path, "unnamed.csv", "t,,a\n3,1,2\n6,4,5\n"))
    assert dialog.targets.item(1).text() == "column 2"
    click_header(dialog, 1)
    click_header(dialog, 2)
    assert dialog.ok.isEnabled(), dialog.problem.text()
    click(dialog.ok)
    assert same_table(w.model.doc.data, [[3, 2], [6, 5]], [[1], [4]])


def test_a_file_without_a_header_offers_no_target_choice(make_window, tmp_path):
    w = make_window(document("linear"), wait=None)
    dialog = import_dialog(w, write(tmp_path, "plain.csv", "1,2,3\n4,5,6\n"))
    assert not dialog.targets.isVisible() and "no header row" in dialog.targets_note.text()
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(3)] == [
        "column 1\n→ x1", "column 2\n→ x2", "column 3\ntarget of y1"]
    dialog.reject()


def set_spin(spin, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key_Tab)


def import_split(w, path: Path, fraction: str, seed: str) -> TableData:
    dialog = import_dialog(w, path)
    set_spin(dialog.test_fraction, fraction)
    set_spin(dialog.seed, seed)
    click(dialog.ok)
    return w.model.doc.data


def test_a_seeded_test_set_holds_every_row_once_and_the_same_seed_splits_the_same(make_window, tmp_path):
    n = 40
    path = write(tmp_path, "rows.csv", "x,t\n" + "".join(f"{i},{10 * i}\n" for i in range(n)))
    w = make_window(document("one"), wait=None)
    d = import_split(w, path, "0.25", "7")
    assert len(d.inputs) == 30 and len(d.test_inputs) == 10
    train, test = d.inputs[:, 0].tolist(), d.test_inputs[:, 0].tolist()
    assert sorted(train + test) == list(range(n))  # every row once
    assert train == sorted(train) and test == sorted(test)  # each part in the file's order
    assert d.targets[:, 0].tolist() == [10 * x for x in train]
    assert d.test_targets[:, 0].tolist() == [10 * x for x in test]
    again = import_split(w, path, "0.25", "7")
    assert again == d
    other = import_split(w, path, "0.25", "8")
    assert len(other.test_inputs) == 10 and other.test_inputs[:, 0].tolist() != test
    seen = choose_file(w, path)  # the file dialog opens where the last file came from
    assert Path(seen["folder"]) == tmp_path and "CSV files (*.csv *.tsv *.txt)" in seen["filter"]
    w.data_import.dialog.reject()


# ---------------------------------------------------------------------------------------------- bad files
BAD = [
    ("ragged.csv", "a,b,t\n1,2,3\n4,5\n", "linear", "row 3 has 2 columns; row 1 has 3", (3, None)),
    ("word.csv", "a,b,t\n1,2,3\n4,x,6\n", "linear", "row 3, column 2 ('b'): 'x' is not a finite number", (3, 1)),
    ("empty.csv", "", "linear", "the file is empty", None),
    ("header_only.csv", "a,b,t\n", "linear", "the file holds a header row but no data rows", None),
    ("wide.csv", "a,b,c,t\n1,2,3,4\n", "linear", "2 target columns; the network has 1 output neuron", None),
    ("narrow.csv", "a,b\n1,2\n", "linear", "2 columns; the network has 2 input neurons and 1 output, "
     "so the file needs 3 columns", None),
    ("labels.csv", "a,b,kind\n1,2,cat\n3,4,dog\n5,6,emu\n", "sigmoid",
     "column 3 ('kind') holds 3 class labels; one sigmoid output takes exactly 2", None),
    ("labels_iris.csv", "a,b,c,d,k\n1,2,3,4,p\n1,2,3,4,q\n1,2,3,4,r\n1,2,3,4,s\n", "iris",
     "column 5 ('k') holds 4 class labels; the network has 3 outputs", None),
    ("far_down.csv", "a,b,t\n" + "1,2,3\n" * 20 + "4,,6\n", "linear", "row 22, column 2 ('b'): '' is not a finite "
     "number", (22, 1)),
]


@pytest.mark.parametrize("name, text, kind, reason, place", BAD, ids=[b[0] for b in BAD])
def test_a_file_that_does_not_fit_shows_the_reason_and_changes_nothing(make_window, tmp_path, name, text, kind,
                                                                       reason, place):
    w = make_window(document(kind), wait=None)
    old, before = w.model.doc.data, history(w)
    dialog = import_dialog(w, write(tmp_path, name, text))
    assert dialog.problem.isVisible() and dialog.problem.text() == f"Does not fit: {reason}"
    assert not dialog.ok.isEnabled()
    click(dialog.ok)  # disabled: nothing happens
    assert dialog.isVisible()
    if place is not None:  # the cell (or row) named, in red, on show even far down the file
        row, column = place
        t = dialog.table
        r = next(r for r in range(t.rowCount()) if t.verticalHeaderItem(r).text() == str(row))
        for c in range(t.columnCount()):
            marked = t.item(r, c).background().color() == QColor(PROBLEM_FILL)
            assert marked == (column is None or c == column), (r, c)
        if row > 9:
            assert dialog.rows_label.text() == f"the first 8 of 21 data rows, and row {row}, where the table does " \
                                               "not fit"
    click(dialog.buttons.button(dialog.buttons.StandardButton.Cancel))
    assert not dialog.isVisible()
    assert w.model.doc.data is old and history(w) == before
    assert w.status.text() == "import cancelled: the data is as it was"


def test_the_reason_is_drawn_in_red_and_the_dialog_fits_a_small_screen(make_window, tmp_path):
    w = make_window(document("iris"), size=(1024, 640), wait=None)
    dialog = import_dialog(w, write(tmp_path, "word.csv", "a,b,c,d,k\n1,2,3,4,p\n1,x,3,4,q\n"))
    qimage = dialog.grab().toImage()
    label = dialog.problem
    origin = label.mapTo(dialog, QPoint(0, 0))
    red = QColor(PROBLEM_COLOR)
    reddish = sum(
        1 for x in range(label.width()) for y in range(label.height())
        if (c := qimage.pixelColor(origin.x() + x, origin.y() + y)).red() > 120 and c.green() < 90 and c.blue() < 90)
    assert reddish > 30, (reddish, red.name())
    assert dialog.width() <= 1024 and dialog.height() <= 640
    dialog.reject()


UNREADABLE = [
    ("binary.csv", b"\x89PNG\r\n\x1a\n\0\0\0", "not a text file (it holds NUL bytes)"),
    ("latin1.csv", "a,b,t\nä,2,3\n".encode("latin-1"), "not a text file (it is not UTF-8)"),
]


@pytest.mark.parametrize("name, content, reason", UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_an_unreadable_file_gets_a_message_box_naming_it_and_changes_nothing(make_window, tmp_path, name, content,
                                                                           reason):
    w = make_window(document("linear"), wait=None)
    old, before = w.model.doc.data, history(w)
    path = write(tmp_path, name, content)
    boxes, errors = [], []
    when_shown(QMessageBox, lambda box: boxes.append(box.text()) or box.accept(), errors, timeout=20)
    choose_file(w, path)
    if errors:
        raise errors[0]
    assert boxes == [f"{path}: {reason}"]
    assert w.data_import.dialog is None and w.model.doc.data is old and history(w) == before


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.mkdir(), "is a folder, not a file"),
    (lambda p: None, "no such file"),
    (lambda p: p.open("wb").truncate(MAX_FILE_BYTES + 1), "the file is too large (the limit is 32 MB)"),
], ids=["folder", "missing", "too large"])
def test_a_folder_a_missing_file_and_a_huge_one_are_reported(make_window, tmp_path, make, reason):
    """The file dialog itself offers no folder and no missing file (it checks), but a file can go between the
    choice and the reading: the reading reports them too."""
    w = make_window(document("linear"), wait=None)
    old, before = w.model.doc.data, history(w)
    path = tmp_path / "gone.csv"
    make(path)
    boxes, errors = [], []
    when_shown(QMessageBox, lambda box: boxes.append((box.windowTitle(), box.text())) or box.accept(), errors)
    assert w.data_import.import_path(path) is None
    if errors:
        raise errors[0]
    assert boxes == [("Cannot import", f"{path}: {reason}")]
    assert w.model.doc.data is old and history(w) == before


# ---------------------------------------------------------------------------------------------- training
def mse_at(values: dict[str, float], x: np.ndarray, t: np.ndarray) -> float:
    """The mse of the 2-input linear network with these parameters, written out by hand."""
    y = values["x1->y1"] * x[:, 0] + values["x2->y1"] * x[:, 1] + values["y1.bias"]
    return float(np.mean((t[:, 0] - y) ** 2))


def test_the_run_reports_the_test_loss_of_the_imported_test_set(make_window, qtbot, tmp_path):
    w = make_window(document("linear"))
    assert w.training.latest.test_loss is None  # the document's own table has no test set
    rng = np.random.default_rng(4)
    rows = np.round(rng.normal(size=(20, 3)), 3)
    path = write(tmp_path, "noisy.csv", "a,b,t\n" + "".join(f"{a},{b},{t}\n" for a, b, t in rows))
    d = import_split(w, path, "0.25", "3")
    assert len(d.test_inputs) == 5
    test_rows = {tuple(r) for r in np.hstack([d.test_inputs, d.test_targets])}
    assert test_rows <= {tuple(r) for r in rows}

    def reported(snap) -> bool:
        return snap.test_loss is not None and snap.test_loss == pytest.approx(
            mse_at(snap.parameters, d.test_inputs, d.test_targets), rel=1e-12)

    assert w.wait_for_snapshot(reported)
    snap = w.training.latest
    assert snap.train_loss == pytest.approx(mse_at(snap.parameters, d.inputs, d.targets), rel=1e-12)
    assert f"test {snap.test_loss:.4g}" in w.run_status.text()
    step = snap.step
    w.window_actions.step.trigger()  # one step on the 15 training rows; the test loss follows the new weights
    assert w.wait_for_snapshot(lambda s: s.step == step + 1 and reported(s))
    assert w.training.latest.test_loss != snap.test_loss


# ---------------------------------------------------------------------------------------------- fitting the network
def tick(box) -> None:
    """A click on a check box's square (its centre may lie right of its text, where a click does nothing)."""
    QTest.mouseClick(box, Qt.LeftButton, Qt.NoModifier, QPoint(8, box.height() // 2))


def test_fit_resizes_the_network_to_a_file_of_digit_labels_as_one_undo_step_with_the_data(make_window, tmp_path):
    w = make_window(document("linear"), wait=None)
    old_net, old_data, before = w.model.network.copy(), w.model.doc.data, history(w)
    rows = [[r, (3 * r) % 7, (5 * r) % 11, r % 4] for r in range(12)]  # 3 inputs, classes 0 … 3 in the last column
    path = write(tmp_path, "digits.csv", "p,q,r,digit\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    dialog = import_dialog(w, path)
    assert not dialog.ok.isEnabled() and not dialog.fit.isChecked()
    assert dialog.fit_hint.isVisible() and "3 inputs and 4 outputs (loss cross_entropy)" in dialog.fit_hint.text()
    tick(dialog.fit)
    assert dialog.fit.isChecked() and dialog.ok.isEnabled(), dialog.problem.text()
    assert not dialog.fit_hint.isVisible()
    assert "will have 3 inputs and 4 outputs (softmax)" in dialog.network_label.text()
    assert dialog.classes.text().startswith("classes: 0 → ")
    click(dialog.ok)
    net = w.model.network
    assert len(net.inputs) == 3 and len(net.outputs) == 4 and net.loss == "cross_entropy"
    assert same_table(w.model.doc.data, [r[:3] for r in rows], [np.eye(4)[r[3]].tolist() for r in rows])
    assert history(w)[0] == before[0] + 1 and "now has 3 inputs and 4 outputs" in w.status.text()
    # the resized layers are laid out afresh: the kept x1, x2 and y1 line up with the new neurons, in order
    for layer in (net.inputs, net.outputs):
        ys = [w.scene.neuron_items[n.id].pos().y() for n in layer]
        assert ys == sorted(ys) and len(set(ys)) == len(ys), ys
    w.window_actions.undo.trigger()  # one step takes back the network and the data
    assert w.model.network.same_as(old_net) and w.model.doc.data is old_data
    w.window_actions.redo.trigger()
    assert len(w.model.network.inputs) == 3 and len(w.model.doc.data.inputs) == 12


def test_unticking_fit_goes_back_to_the_network_as_it_is(make_window, tmp_path):
    w = make_window(document("iris"), wait=None)
    path = write(tmp_path, "two.csv", "a,b,kind\n1,2,cat\n3,4,dog\n")
    dialog = import_dialog(w, path)
    assert not dialog.ok.isEnabled()
    tick(dialog.fit)
    assert dialog.ok.isEnabled() and "2 inputs and 1 output (sigmoid), loss bce" in dialog.network_label.text()
    tick(dialog.fit)
    assert not dialog.ok.isEnabled() and dialog.network_label.text().startswith("The network has 4 inputs")
    click(dialog.buttons.button(dialog.buttons.StandardButton.Cancel))
    assert len(w.model.network.inputs) == 4


def test_the_data_box_counts_the_imported_tables_training_and_test_rows(make_window, tmp_path):
    w = make_window(document("one"), wait=None)
    path = write(tmp_path, "t.csv", "a,t\n" + "".join(f"{i},{2 * i}\n" for i in range(1200)))
    dialog = import_dialog(w, path)
    dialog.test_fraction.setValue(0.25)
    click(dialog.ok)
    panel = w.training_panel
    assert panel.dataset.currentText() == "table (1,200 rows)"
    assert panel.data_info.text() == "900 training, 300 test points"
