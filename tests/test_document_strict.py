"""The loader refuses what JSON allows but a document must not hold: a key given twice in one object (json would
keep the last one silently) and a neuron's place on the canvas that is not a usable number."""

from __future__ import annotations

import json

import pytest

from bpgui import cli
from bpgui.core.document import DocumentError, parse_document, parse_json
from bpgui.resources import example_paths


def xor_text() -> str:
    return example_paths()["xor"].read_text(encoding="utf-8")


@pytest.mark.parametrize("text, message", [
    ('{"a": 1,\n "b": 2,\n "a": 3}', "the key 'a' is given twice in one object at line 3, column 2"),
    ('{"x": {"s": "a{b\\"}", "k": [1, {"z": 1}], "s": 0}}', "the key 's' is given twice in one object at line 1, "
     "column 43"),
    ('[{"q": 1}, {"q": 1, "q\\u0020": 2, "q": 3}]', "the key 'q' is given twice in one object at line 1, column 35"),
])
def test_a_key_given_twice_is_refused_with_its_place(text, message):
    with pytest.raises(DocumentError) as e:
        parse_json(text)
    assert str(e.value) == message


@pytest.mark.parametrize("old, new", [
    ('"loss": ', '"loss": "half_sse", "loss": '),  # the top level
    ('"id": "h1"', '"id": "h1", "id": "h9"'),  # one neuron
    ('"learning_rate"', '"seed": 1, "learning_rate"'),  # training
])
def test_a_document_with_a_key_given_twice_is_refused(old, new):
    text = xor_text()
    assert old in text
    with pytest.raises(DocumentError, match=r"is given twice in one object at line \d+, column \d+$"):
        parse_document(text.replace(old, new, 1))


def test_a_table_of_many_rows_still_loads():
    """The check runs per object: the rows of a table are lists and pass untouched."""
    doc = json.loads(xor_text())
    doc["data"] = {"inputs": [[i % 7, i % 3] for i in range(100_000)], "targets": [[i % 2] for i in range(100_000)]}
    assert parse_document(json.dumps(doc)).data.inputs.shape == (100_000, 2)


def _with_view(view_json: str) -> str:
    doc = json.loads(xor_text())
    doc.pop("view", None)
    return json.dumps(doc)[:-1] + ', "view": ' + view_json + "}"


@pytest.mark.parametrize("view, message", [
    ('{"positions": {"h1": [10' + "0" * 400 + ', 5]}}', "view.positions.h1[1] must be a number from -1e+09 to "
     "1e+09, not 100000000000... (402 digits)"),
    ('{"positions": {"h1": [5, -2e9]}}', "view.positions.h1[2] must be a number from -1e+09 to 1e+09, "
     "not -2000000000.0"),
    ('{"positions": {"h1": [5, 1e308]}}', "view.positions.h1[2] must be a number from -1e+09 to 1e+09, not 1e+308"),
    ('{"zoom": 1' + "0" * 400 + "}", "view.zoom must be a finite number"),
])
def test_view_numbers_that_the_window_cannot_use_are_refused(view, message):
    with pytest.raises(DocumentError) as e:
        parse_document(_with_view(view))
    assert str(e.value) == message


def test_view_positions_at_the_limit_load():
    doc = parse_document(_with_view('{"positions": {"h1": [-1e9, 1000000000], "x1": [0.5, 7]}}'))
    assert doc.view["positions"]["h1"] == [-1e9, 1000000000]


def test_inspect_refuses_an_absurd_position(tmp_path, capsys):
    """Before: inspect accepted it and the window crashed with OverflowError."""
    path = tmp_path / "far.json"
    path.write_text(_with_view('{"positions": {"h1": [1' + "0" * 400 + ", 0]}}"), encoding="utf-8")
    assert cli.main(["inspect", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"bpgui: error: {path}: view.positions.h1[1] must be a number from")
    assert err.count("\n") == 1
