"""Accuracy of classification networks, against hand counts, and in ``bpgui inspect --json``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bpgui import cli
from bpgui.core.accuracy import accuracy, is_classification, predicted_classes


def test_one_output_counts_y_at_least_a_half_as_class_one():
    outputs = np.array([[0.9], [0.5], [0.49], [0.1], [0.7]])
    targets = np.array([[1.0], [1.0], [1.0], [0.0], [0.0]])
    # right: 0.9→1 (1), 0.5→1 (1), 0.49→0 (1: wrong), 0.1→0 (0), 0.7→1 (0: wrong) → 3 of 5
    assert predicted_classes(outputs).tolist() == [1, 1, 0, 0, 1]
    assert accuracy(outputs, targets) == pytest.approx(3 / 5)


def test_several_outputs_compare_the_argmax_with_the_one_hot_label():
    outputs = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.3, 0.3, 0.4], [0.1, 0.1, 0.8]])
    targets = np.eye(3)[[1, 1, 2, 0]]
    assert accuracy(outputs, targets) == pytest.approx(2 / 4)


def test_rows_with_non_finite_outputs_count_as_wrong_and_no_rows_give_none():
    assert accuracy(np.array([[np.nan], [0.9]]), np.array([[0.0], [1.0]])) == pytest.approx(0.5)
    assert accuracy(np.zeros((0, 1)), np.zeros((0, 1))) is None


def test_only_bce_and_cross_entropy_classify():
    assert is_classification("bce") and is_classification("cross_entropy")
    assert not is_classification("half_sse") and not is_classification("mse")


def _table_document(tmp_path, loss="bce"):
    doc = {
        "format": "bpgui-network", "version": 1, "loss": loss,
        "neurons": [{"id": "x1", "layer": 0}, {"id": "y", "layer": 1, "activation": "sigmoid", "bias": 0.0}],
        "edges": [{"from": "x1", "to": "y", "weight": 2.0}],
        "data": {"inputs": [[1.0], [-1.0], [2.0], [-2.0]], "targets": [[1.0], [1.0], [0.0], [0.0]],
                 "test_inputs": [[3.0], [-3.0]], "test_targets": [[1.0], [1.0]]},
    }
    path = tmp_path / "net.json"
    path.write_text(json.dumps(doc))
    return path


def test_inspect_json_reports_test_loss_and_both_accuracies(tmp_path, capsys):
    path = _table_document(tmp_path)
    assert cli.main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # y = σ(2x): classes 1, 0, 1, 0 against targets 1, 1, 0, 0 → 2 of 4; test: 1, 0 against 1, 1 → 1 of 2
    assert out["accuracy"] == pytest.approx(0.5)
    assert out["test_accuracy"] == pytest.approx(0.5)
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    test_loss = -(np.log(s(6.0)) + np.log(s(-6.0))) / 2
    assert out["test_loss"] == pytest.approx(test_loss, rel=1e-12)


def test_inspect_json_has_no_accuracy_for_regression(tmp_path, capsys):
    path = _table_document(tmp_path, loss="half_sse")
    assert cli.main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "accuracy" not in out and "test_accuracy" not in out and "test_loss" in out


def test_percent_reads_one_decimal_and_never_rounds_to_all_or_none():
    from bpgui.core.accuracy import percent

    assert percent(0.935) == "93.5 %" and percent(1.0) == "100.0 %" and percent(0.0) == "0.0 %"
    assert percent(2 / 3) == "66.7 %"
    assert percent(9999 / 10000) == "99.9 %"  # one wrong in 10,000 is not all right
    assert percent(1 / 10000) == "0.1 %"


def test_train_prints_the_accuracy_before_and_after(tmp_path, capsys):
    from bpgui.core import Engine, load_document

    doc = json.loads(_table_document(tmp_path).read_text())
    doc["edges"][0]["weight"] = -1.0  # y = σ(−x): every point below starts in the wrong class
    doc["data"] = {"inputs": [[1.0], [-1.0], [2.0], [-2.0], [0.5]], "targets": [[1.0], [0.0], [1.0], [0.0], [1.0]],
                   "test_inputs": [[3.0], [-3.0]], "test_targets": [[1.0], [0.0]]}
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc))
    out_path = tmp_path / "trained.json"
    assert cli.main(["train", str(path), "--steps", "40", "-o", str(out_path)]) == 0
    out = capsys.readouterr().out
    # after: counted on the written network's outputs
    trained = load_document(out_path)
    data = trained.dataset()
    y = Engine(trained.network).predict(data.x_train)[:, 0]
    right = int(np.sum((y >= 0.5) == (data.t_train[:, 0] >= 0.5)))
    y_test = Engine(trained.network).predict(data.x_test)[:, 0]
    right_test = int(np.sum((y_test >= 0.5) == (data.t_test[:, 0] >= 0.5)))
    assert right > 0  # training changed it, so the figure after "->" is not the one before
    want = f"accuracy: 0.0 % -> {100 * right / 5:.1f} %, test accuracy {100 * right_test / 2:.1f} %"
    assert want in out.splitlines(), out


def test_train_prints_no_accuracy_for_regression(tmp_path, capsys):
    path = _table_document(tmp_path, loss="half_sse")
    assert cli.main(["train", str(path), "--steps", "3", "-o", str(tmp_path / "t.json")]) == 0
    out = capsys.readouterr().out
    assert "loss (half_sse)" in out and "accuracy:" not in out


def test_train_prints_no_accuracy_for_a_bce_network_on_values_to_fit(tmp_path, capsys):
    doc = json.loads(_table_document(tmp_path).read_text())
    doc["data"] = {"inputs": [[1.0], [-1.0], [2.0]], "targets": [[0.2], [0.7], [0.9]]}  # heights, not labels
    path = tmp_path / "soft.json"
    path.write_text(json.dumps(doc))
    assert cli.main(["train", str(path), "--steps", "3", "-o", str(tmp_path / "t.json")]) == 0
    out = capsys.readouterr().out
    assert "loss (bce)" in out and "accuracy:" not in out


def test_ten_one_hot_classes_have_an_accuracy_and_regression_heights_under_bce_have_none():
    from bpgui.core.accuracy import has_accuracy
    assert has_accuracy("cross_entropy", np.eye(10)[[3, 1, 4, 1, 5]])
    assert has_accuracy("bce", np.array([[0.0], [1.0]]))
    assert not has_accuracy("bce", np.array([[0.2], [0.5], [0.9]]))
    assert not has_accuracy("mse", np.eye(10)[[3, 1]])
