"""CSV import: ``bpgui.core.csv_data`` (header, column roles, class labels, the seeded test split, every refusal),
the document's ``test_inputs``/``test_targets``, and ``bpgui data`` end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bpgui import cli
from bpgui.core.csv_data import PREVIEW_ROWS, ColumnRole, CSVError, csv_preview, csv_rows, csv_table
from bpgui.core.document import DocumentError, TableData, load_document, parse_document
from bpgui.core.limits import MAX_POINTS
from bpgui.core.training import Trainer


def net_dict(n_in: int = 2, n_out: int = 1, activation: str = "linear") -> dict:
    ins = [f"x{i + 1}" for i in range(n_in)]
    outs = [f"y{k + 1}" for k in range(n_out)]
    return {
        "format": "bpgui-network", "version": 1,
        "neurons": [{"id": i, "layer": 0} for i in ins]
        + [{"id": o, "layer": 1, "activation": activation, "bias": 0.1} for o in outs],
        "edges": [{"from": i, "to": o, "weight": 0.5} for i in ins for o in outs],
        "data": {"inputs": [[0.0] * n_in], "targets": [[0.0] * n_out]},
    }


def write_net(tmp_path, **kw):
    p = tmp_path / "net.json"
    p.write_text(json.dumps(net_dict(**kw)))
    return p


def run(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


# ---------------------------------------------------------------------------------------------- parsing
def test_a_header_is_recognised_by_any_cell_that_is_not_a_number():
    with_header = csv_table("a,b,t\n1,2,3\n4,5,6\n", 2, 1)
    without = csv_table("1,2,3\n4,5,6\n", 2, 1)
    one_name = csv_table("1,b,3\n1,2,3\n", 2, 1)  # one cell that is not a number makes the row a header
    assert with_header == without
    assert np.array_equal(with_header.inputs, [[1, 2], [4, 5]]) and np.array_equal(with_header.targets, [[3], [6]])
    assert len(one_name.inputs) == 1


@pytest.mark.parametrize("text", [
    "\ufeffa,b,t\r\n1,2,3\r\n4,5,6\r\n",
    "a,b,t\r\n1,2,3\r\n4,5,6\r\n\r\n",
    '"a","b, with comma","t"\n"1",2,"3"\n4,"5",6\n',
    "a,b,t\n1,2,3\n4,5,6",
    "a,b,t\n1,2,3\n4,5,6\n\n\n",
])
def test_bom_crlf_quotes_and_a_blank_last_line_are_fine(text):
    d = csv_table(text, 2, 1)
    assert np.array_equal(d.inputs, [[1, 2], [4, 5]]) and np.array_equal(d.targets, [[3], [6]])


def test_without_targets_the_first_columns_are_the_inputs_and_the_rest_the_targets():
    d = csv_table("1,2,3,4\n5,6,7,8\n", 1, 3)
    assert np.array_equal(d.inputs, [[1], [5]]) and np.array_equal(d.targets, [[2, 3, 4], [6, 7, 8]])


def test_named_targets_are_taken_in_the_order_named_and_the_others_are_inputs_in_file_order():
    d = csv_table("t2,a,t1,b\n1,2,3,4\n5,6,7,8\n", 2, 2, targets=["t1", "t2"])
    assert np.array_equal(d.inputs, [[2, 4], [6, 8]]) and np.array_equal(d.targets, [[3, 1], [7, 5]])


def test_class_labels_become_one_hot_in_sorted_order_for_k_outputs():
    d = csv_table("a,label\n1,dog\n2,cat\n3,emu\n4,cat\n", 1, 4)
    assert np.array_equal(d.targets, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]])


def test_two_labels_become_0_and_1_for_one_sigmoid_output():
    d = csv_table("a,b,label\n1,2,yes\n3,4,no\n5,6,yes\n", 2, 1, sigmoid_output=True)
    assert np.array_equal(d.targets, [[1], [0], [1]])


def test_named_label_column():
    d = csv_table("kind,a,b\nB,1,2\nA,3,4\n", 2, 2, targets=["kind"])
    assert np.array_equal(d.inputs, [[1, 2], [3, 4]]) and np.array_equal(d.targets, [[0, 1], [1, 0]])


def test_the_test_split_is_seeded_disjoint_and_covers_every_row():
    n = 50
    text = "a,t\n" + "".join(f"{i},{i * 10}\n" for i in range(n))
    d = csv_table(text, 1, 1, test_fraction=0.3, seed=7)
    again = csv_table(text, 1, 1, test_fraction=0.3, seed=7)
    other = csv_table(text, 1, 1, test_fraction=0.3, seed=8)
    assert d == again and d != other
    train, test = d.inputs[:, 0], d.test_inputs[:, 0]
    assert len(test) == 15 and len(train) == 35
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(n))
    assert not set(train) & set(test)
    assert np.array_equal(d.targets[:, 0], train * 10) and np.array_equal(d.test_targets[:, 0], test * 10)
    assert list(train) == sorted(train) and list(test) == sorted(test)  # each part keeps the file's order


#: files that do not fit a network (2 inputs and 1 linear output unless ``kw`` says otherwise), with a part of
#: the reason given
REFUSALS = [
    ("", {}, "the file is empty"),
    ("\n\n", {}, "the file is empty"),
    ("a,b,t\n", {}, "a header row but no data rows"),
    ("a,b,t\n1,2,3\n4,5\n", {}, "row 3 has 2 columns; row 1 has 3"),
    ("a,b,t\n1,2,3\n\n4,5,6\n", {}, "row 3 is blank"),
    ("a,b,t\n1,2,3\n4,x,6\n", {}, "row 3, column 2 ('b'): 'x' is not a finite number"),
    ("a,b,t\n1,2,3\n4,inf,6\n", {}, "row 3, column 2 ('b'): 'inf' is not a finite number"),
    ("1,2,3\n4,5,nan\n", {}, "row 2, column 3: 'nan' is not a finite number"),
    ("a,t\n1,3\n", {}, "2 columns; the network has 2 input neurons and 1 output, so the file needs 3 columns"),
    ("a,b,t\n1,2,3\n", {"targets": ["a", "b", "t"]}, "0 input columns; the network has 2 input neurons"),
    ("a,b,t\n1,2,3\n", {"targets": ["t", "t"]}, "column 't' is named twice"),
    ("a,t,t\n1,2,3\n", {"n_in": 1, "targets": ["t"]}, "2 columns are named 't'"),
    ("a,b,c,t\n1,2,3,4\n", {}, "2 target columns; the network has 1 output neuron"),
    ("a,b\n1,2\n", {}, "2 columns; the network has 2 input neurons and 1 output, so the file needs 3 columns"),
    ("a,b\n1,2\n", {"n_out": 2}, "the file needs 4 columns (or 3 with one column of class labels)"),
    ("a,b,t\n1,2,3\n", {"targets": ["z"]}, "no column named 'z'"),
    ("1,2,3\n", {"targets": ["t"]}, "has no header row"),
    ("a,b,t\n1,2,x\n3,4,y\n5,6,z\n", {"sigmoid": True}, "holds 3 class labels; one sigmoid output takes exactly 2"),
    ("a,b,t\n1,2,x\n3,4,y\n", {}, "one linear output"),
    ("a,b,t,u\n1,2,x,1\n", {"n_out": 2}, "row 2, column 3 ('t'): 'x' is not a finite number"),
    ("a,t\n1,x\n2,y\n3,z\n", {"n_in": 1, "n_out": 2}, "holds 3 class labels; the network has 2 outputs"),
    ("a,b,t\n1,2,3\n", {"fraction": 1.0}, "must be at least 0 and below 1"),
]


@pytest.mark.parametrize("text, kw, message", REFUSALS)
def test_what_does_not_fit_is_refused_with_its_place(text, kw, message):
    with pytest.raises(CSVError, match=None) as e:
        csv_table(text, kw.get("n_in", 2), kw.get("n_out", 1), sigmoid_output=kw.get("sigmoid", False),
                  targets=kw.get("targets"), test_fraction=kw.get("fraction", 0.0))
    assert message in str(e.value)


def test_more_rows_than_the_limit_are_refused():
    text = "a,t\n" + "1,2\n" * (MAX_POINTS + 1)
    with pytest.raises(CSVError, match="limit"):
        csv_table(text, 1, 1)


def test_a_tab_separated_file_is_read_by_its_tabs():
    d = csv_table("a\tb\tt\n1\t2\t3\n4\t5\t6\n", 2, 1)
    assert np.array_equal(d.inputs, [[1, 2], [4, 5]]) and np.array_equal(d.targets, [[3], [6]])
    # a first line with a comma is comma-separated, tabs or not (a tab inside a quoted cell, here)
    d = csv_table('"a\tname",b,t\n1,2,3\n', 2, 1)
    assert np.array_equal(d.inputs, [[1, 2]])


# ---------------------------------------------------------------------------------------------- preview
def iris_like(n_per_class: int = 50) -> str:
    """A header, four measurements and a species; the species in file order setosa, versicolor, virginica."""
    lines = ["sepal_length,sepal_width,petal_length,petal_width,species"]
    for k, species in enumerate(["setosa", "versicolor", "virginica"]):
        for i in range(n_per_class):
            lines.append(f"{5 + k + i / 100:.2f},{3 + i / 100:.2f},{1 + 2 * k:.1f},{0.2 + k:.1f},{species}")
    return "\n".join(lines) + "\n"


def test_a_preview_shows_names_roles_first_rows_labels_and_a_summary():
    text = iris_like()
    p = csv_preview(text, 4, 3, test_fraction=0.2, seed=5)
    assert p.has_header and p.names == ("sepal_length", "sepal_width", "petal_length", "petal_width", "species")
    assert p.roles == (ColumnRole("input", 0), ColumnRole("input", 1), ColumnRole("input", 2),
                       ColumnRole("input", 3), ColumnRole("labels", 0))
    assert p.labels == ("setosa", "versicolor", "virginica") and p.one_hot
    assert p.n_rows == 150 and len(p.rows) == PREVIEW_ROWS
    assert p.rows[0] == ("5.00", "3.00", "1.0", "0.2", "setosa")
    assert p.rows[7] == ("5.07", "3.07", "1.0", "0.2", "setosa")
    assert p.problem is None and p.table == csv_table(text, 4, 3, test_fraction=0.2, seed=5)
    assert p.summary() == "150 rows: 120 train, 30 test; 4 inputs, 3 classes → one-hot"


def test_a_preview_without_a_header_names_columns_by_number():
    p = csv_preview(' 1, 2,3\n4,5,6\n', 2, 1)
    assert not p.has_header and p.names == ("column 1", "column 2", "column 3")
    assert p.rows == (("1", "2", "3"), ("4", "5", "6"))  # cells as written, without the spaces around them
    assert p.roles == (ColumnRole("input", 0), ColumnRole("input", 1), ColumnRole("target", 0))
    assert p.summary() == "2 rows: 2 train, 0 test; 2 inputs, 1 target"


def test_a_preview_with_named_targets_gives_each_its_output_in_the_order_named():
    p = csv_preview("t2,a,t1,b\n1,2,3,4\n", 2, 2, targets=["t1", "t2"])
    assert p.roles == (ColumnRole("target", 1), ColumnRole("input", 0), ColumnRole("target", 0),
                       ColumnRole("input", 1))
    assert p.summary() == "1 row: 1 train, 0 test; 2 inputs, 2 targets"


def test_a_preview_of_labels_for_one_sigmoid_output_and_for_more_outputs_than_labels():
    two = csv_preview("a,b,label\n1,2,yes\n3,4,no\n", 2, 1, sigmoid_output=True)
    assert two.labels == ("no", "yes") and not two.one_hot
    assert two.summary() == "2 rows: 2 train, 0 test; 2 inputs, 2 classes → 0/1"
    assert np.array_equal(two.table.targets, [[1], [0]])
    fewer = csv_preview("a,label\n1,cat\n2,dog\n", 1, 3)
    assert fewer.summary() == "2 rows: 2 train, 0 test; 1 input, 2 classes → one-hot over 3 outputs"


@pytest.mark.parametrize("text, kw, message", REFUSALS)
def test_a_preview_gives_the_tables_own_reason_when_it_does_not_fit(text, kw, message):
    args = (kw.get("n_in", 2), kw.get("n_out", 1))
    options = dict(sigmoid_output=kw.get("sigmoid", False), targets=kw.get("targets"),
                   test_fraction=kw.get("fraction", 0.0))
    p = csv_preview(text, *args, **options)
    with pytest.raises(CSVError) as e:
        csv_table(text, *args, **options)
    assert p.table is None and p.problem == str(e.value) and message in p.problem
    assert p.summary().endswith("rows") or p.summary().endswith("row")


def test_a_preview_still_shows_what_it_can_of_a_file_that_does_not_fit():
    ragged = csv_preview("a,b,t\n1,2,3\n4,5\n", 2, 1)
    assert ragged.rows == (("1", "2", "3"), ("4", "5")) and ragged.roles[2] == ColumnRole("target", 0)
    narrow = csv_preview("a,b\n1,2\n", 2, 1)  # too few columns: no roles
    assert narrow.names == ("a", "b") and narrow.roles == (None, None) and narrow.rows == (("1", "2"),)
    header_only = csv_preview("a,b,t\n", 2, 1)
    assert header_only.names == ("a", "b", "t") and header_only.rows == () and header_only.n_rows == 0
    blank = csv_preview("a,b,t\n1,2,3\n\n4,5,6\n", 2, 1)
    assert blank.names == () and blank.problem == "row 3 is blank"


def test_rows_split_once_give_the_same_tables_as_the_text():
    text = iris_like(4)
    rows = csv_rows(text)
    assert csv_table(rows, 4, 3, test_fraction=0.5, seed=2) == csv_table(text, 4, 3, test_fraction=0.5, seed=2)
    assert csv_preview(rows, 4, 3) == csv_preview(text, 4, 3)


# ---------------------------------------------------------------------------------------------- document
def test_a_document_with_a_test_set_round_trips_and_its_test_loss_is_computed():
    raw = net_dict(1, 1)
    raw["data"] = {"inputs": [[1.0], [2.0]], "targets": [[1.0], [2.0]], "test_inputs": [[3.0]],
                   "test_targets": [[5.0]]}
    doc = parse_document(json.dumps(raw))
    assert np.array_equal(doc.data.test_inputs, [[3.0]])
    again = parse_document(doc.to_json())
    assert again.data == doc.data and json.loads(doc.to_json())["data"] == raw["data"]
    ds = doc.dataset()
    assert np.array_equal(ds.x_test, [[3.0]]) and np.array_equal(ds.t_test, [[5.0]])
    # y = 0.5 x + 0.1 at x = 3 gives 1.6; the half squared error against 5 is 0.5 · 3.4²
    assert Trainer.from_document(doc).test_loss() == pytest.approx(0.5 * 3.4 ** 2)


def test_a_table_without_a_test_set_saves_as_before():
    doc = parse_document(json.dumps(net_dict(2, 1)))
    assert set(json.loads(doc.to_json())["data"]) == {"inputs", "targets"}
    assert Trainer.from_document(doc).test_loss() is None


@pytest.mark.parametrize("data, message", [
    ({"test_inputs": [[1.0, 2.0]]}, "go together"),
    ({"test_inputs": [[1.0]], "test_targets": [[1.0]]}, "test_inputs rows have 1 values"),
    ({"test_inputs": [[1.0, 2.0]], "test_targets": [[1.0], [2.0]]}, "1 test input rows but 2 test target rows"),
    ({"test_inputs": [], "test_targets": []}, "empty"),
])
def test_a_bad_test_set_is_refused(data, message):
    raw = net_dict(2, 1)
    raw["data"].update(data)
    with pytest.raises(DocumentError, match=message):
        parse_document(json.dumps(raw))


# ---------------------------------------------------------------------------------------------- bpgui data
def test_bpgui_data_writes_the_csv_table_and_the_document_loads_with_it(tmp_path, capsys):
    net = write_net(tmp_path, n_in=2, n_out=1)
    rows = np.round(np.random.default_rng(1).normal(size=(40, 3)), 6)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,t\n" + "".join(",".join(repr(float(v)) for v in r) + "\n" for r in rows))
    out = tmp_path / "out.json"
    status, stdout, err = run(capsys, "data", net, csv_path, "-o", out, "--test-fraction", "0.25", "--seed", "3")
    assert status == 0, err
    assert "30 training rows, 10 test rows" in stdout
    doc = load_document(out)
    d = doc.data
    assert isinstance(d, TableData) and len(d.inputs) == 30 and len(d.test_inputs) == 10
    got = np.vstack([np.hstack([d.inputs, d.targets]), np.hstack([d.test_inputs, d.test_targets])])
    assert sorted(map(tuple, got)) == sorted(map(tuple, rows))  # the same numbers exactly
    assert Trainer.from_document(doc).test_loss() is not None
    assert json.loads(out.read_text())["version"] == 1


def test_bpgui_data_with_named_label_targets(tmp_path, capsys):
    net = write_net(tmp_path, n_in=2, n_out=1, activation="sigmoid")
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("class,a,b\nred,1,2\nblue,3,4\n")
    out = tmp_path / "out.json"
    assert run(capsys, "data", net, csv_path, "-o", out, "--targets", "class")[0] == 0
    d = load_document(out).data
    assert np.array_equal(d.inputs, [[1, 2], [3, 4]]) and np.array_equal(d.targets, [[1], [0]])


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("a,b,t\n1,2,3\n4,5\n"), "row 3 has 2 columns"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0"), "not a text file"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: None, "no such file"),
    (lambda p: p.write_text(""), "the file is empty"),
    (lambda p: p.write_text("a,b,c,t\n1,2,3,4\n"), "2 target columns"),
])
def test_bpgui_data_refuses_with_one_line_and_writes_nothing(tmp_path, capsys, make, message):
    net = write_net(tmp_path)
    csv_path = tmp_path / "d.csv"
    make(csv_path)
    before = csv_path.read_bytes() if csv_path.is_file() else None
    out = tmp_path / "out.json"
    status, stdout, err = run(capsys, "data", net, csv_path, "-o", out)
    assert status == 2 and stdout == ""
    assert err.startswith(f"bpgui: error: {csv_path}: ") and err.count("\n") == 1 and message in err, err
    assert not out.exists()
    assert (csv_path.read_bytes() if csv_path.is_file() else None) == before


def test_bpgui_data_refuses_an_unknown_target_name_and_a_bad_fraction(tmp_path, capsys):
    net = write_net(tmp_path)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,t\n1,2,3\n")
    out = tmp_path / "out.json"
    status, _, err = run(capsys, "data", net, csv_path, "-o", out, "--targets", "nope")
    assert status == 2 and "no column named 'nope'" in err
    status, _, err = run(capsys, "data", net, csv_path, "-o", out, "--test-fraction", "1")
    assert status == 2 and "--test-fraction" in err
    status, _, err = run(capsys, "data", net, csv_path, "-o", csv_path)
    assert status == 2 and "the CSV file itself" in err
    assert not out.exists() and csv_path.read_text() == "a,b,t\n1,2,3\n"


def test_bpgui_data_through_the_real_entry_point(tmp_path):
    net = write_net(tmp_path)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,t\n1,2,3\n4,5,x\n")
    out = tmp_path / "out.json"
    r = subprocess.run([sys.executable, "-m", "bpgui", "data", str(net), str(csv_path), "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"bpgui: error: {csv_path}: ")
    assert not out.exists()


def test_bpgui_data_counts_one_row_as_one_row(tmp_path, capsys):
    net = write_net(tmp_path, n_in=2, n_out=1)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,t\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    status, stdout, err = run(capsys, "data", net, csv_path, "-o", tmp_path / "out.json", "--test-fraction", "0.25")
    assert status == 0, err
    assert "3 training rows, 1 test row from" in stdout


def test_one_column_of_whole_numbers_feeding_several_outputs_holds_class_labels_in_numeric_order():
    # digits as in optdigits: the last column is the class 0 … 9 (here 2, 10 and 1.0, one label with 1)
    t = csv_table("a,class\n5,2\n6,10\n7,1.0\n8,1\n", 1, 3)
    assert t.targets.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0]]


def test_whole_numbers_feeding_one_output_stay_numbers_and_fractions_are_no_labels():
    assert csv_table("a,t\n5,2\n6,10\n", 1, 1).targets.tolist() == [[2.0], [10.0]]
    with pytest.raises(CSVError, match="1 target column; the network has 3 output neurons"):
        csv_table("a,t\n5,2\n6,1.5\n", 1, 3)


def test_bpgui_data_fit_resizes_the_network_to_a_file_of_digit_labels(tmp_path, capsys):
    net = write_net(tmp_path, n_in=2, n_out=1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 17, size=(30, 6))
    labels = np.arange(30) % 4  # classes 0 … 3 as whole numbers in the last column
    csv_path = tmp_path / "digits.csv"
    csv_path.write_text("".join(",".join(map(str, r)) + f",{c}\n" for r, c in zip(x, labels)))
    out = tmp_path / "out.json"
    status, stdout, err = run(capsys, "data", net, csv_path, "-o", out, "--fit", "--test-fraction", "0.2")
    assert status == 0, err
    doc = load_document(out)
    assert len(doc.network.inputs) == 6 and len(doc.network.outputs) == 4
    assert doc.network.loss == "cross_entropy"
    d = doc.data
    got = np.vstack([np.hstack([d.inputs, d.targets]), np.hstack([d.test_inputs, d.test_targets])])
    want = np.hstack([x, np.eye(4)[labels]])
    assert sorted(map(tuple, got)) == sorted(map(tuple, want))


def test_bpgui_data_fit_makes_one_sigmoid_output_for_two_labels_and_linear_outputs_for_numbers(tmp_path, capsys):
    net = write_net(tmp_path, n_in=2, n_out=1)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,c,kind\n1,2,3,cat\n4,5,6,dog\n")
    out = tmp_path / "out.json"
    assert run(capsys, "data", net, csv_path, "-o", out, "--fit")[0] == 0
    doc = load_document(out)
    assert doc.network.loss == "bce" and [n.activation for n in doc.network.outputs] == ["sigmoid"]
    assert doc.data.targets.tolist() == [[0.0], [1.0]]
    csv_path.write_text("a,t,u\n1,2,3\n4,5,6\n")
    assert run(capsys, "data", net, csv_path, "-o", out, "--fit", "--targets", "t,u")[0] == 0
    doc = load_document(out)
    assert len(doc.network.inputs) == 1 and len(doc.network.outputs) == 2
    assert doc.data.targets.tolist() == [[2.0, 3.0], [5.0, 6.0]]


def test_a_column_count_that_does_not_fit_suggests_fit(tmp_path, capsys):
    net = write_net(tmp_path)
    csv_path = tmp_path / "d.csv"
    csv_path.write_text("a,b,c,t\n1,2,3,4\n")
    status, _, err = run(capsys, "data", net, csv_path, "-o", tmp_path / "o.json")
    assert status == 2 and "--fit resizes" in err and err.count("\n") == 1


@pytest.mark.parametrize("text, shape", [
    ("a,b,t\n1,2,0\n3,4,1\n", (2, 1, ["0", "1"])),  # 0/1: two classes
    ("a,b,t\n1,2,3\n3,4,7\n", (2, 1, None)),  # two other whole numbers: a number to fit
    ("a,b,t\n1,2,10\n3,4,2\n5,6,1\n", (2, 1, ["1", "2", "10"])),
    ("a,b,t\n1,2,0.5\n3,4,1\n5,6,2\n", (2, 1, None)),
    ("a,b,t\n1,2,y\n3,4,x\n", (2, 1, ["x", "y"])),
    ("1,2,3,4\n", (3, 1, None)),
])
def test_csv_shape_is_what_fit_builds_from(text, shape):
    from bpgui.core.csv_data import csv_shape
    assert csv_shape(text) == shape


def test_csv_shape_with_named_targets_and_its_refusals():
    from bpgui.core.csv_data import csv_shape
    assert csv_shape("t,a,u,b\n1,2,3,4\n", ["t", "u"]) == (2, 2, None)
    for text, targets, message in [("a,b\n1,2\n", ["z"], "no column named 'z'"), ("1,2\n", ["a"], "no header"),
                                   ("a,b\n1,2\n", ["a", "b"], "no input column"), ("a\n1\n", None, "1 column"),
                                   ("a,b\n", None, "no data rows"), ("", None, "empty")]:
        with pytest.raises(CSVError, match=message):
            csv_shape(text, targets)
