"""The documented limits (bpgui/core/limits.py) are real: enforced with a message, and every file bpgui writes at
them is one it opens again. Time and memory at the limits are measured by bench/bench_limits.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import bpgui.core.document as document
import bpgui.core.network as network
from bpgui.core import layered
from bpgui.core.document import (
    Document,
    DocumentError,
    GeneratorData,
    TableData,
    TrainingConfig,
    load_document,
    save_document,
)
from bpgui.core.limits import MAX_EDGES, MAX_FILE_BYTES, MAX_NEURON_POINTS, MAX_POINTS, MAX_TABLE_VALUES
from bpgui.core.network import NetworkError
from bpgui.core.training_run import TrainingRun


def table_document(rows: int, n_in: int, values) -> Document:
    net = layered([n_in, 1], output_activation="linear", weights=lambda a, b: 0.5)
    x = values(rows, n_in)
    return Document(net, TableData(x, values(rows, 1)), TrainingConfig())


# ---------------------------------------------------------------------------------------------- the file format
def test_a_wide_table_is_saved_a_row_per_line_and_opens_again(tmp_path):
    """The reported failure: rows wider than a line were written one number per line, six times the bytes."""
    doc = table_document(60, 300, lambda n, k: (np.arange(n * k).reshape(n, k) % 2).astype(float))
    path = tmp_path / "wide.json"
    save_document(doc, path)
    text = path.read_text()
    data = text[text.index('"data"') : text.index('"training"')]
    assert data.count("\n") < 60 * 2 + 10  # a line per row (inputs and targets), and a few more
    compact = len(json.dumps(doc.to_dict()))
    assert len(text) < 1.1 * compact
    assert np.array_equal(load_document(path).data.inputs, doc.data.inputs)


def test_the_largest_table_bpgui_accepts_saves_below_the_file_limit_and_opens_again(tmp_path):
    """Worst case: MAX_TABLE_VALUES numbers that each need the longest text a float can have."""
    rows = MAX_TABLE_VALUES // 10
    assert rows <= MAX_POINTS and rows * 10 <= MAX_NEURON_POINTS

    def longest(n, k):
        rng = np.random.default_rng(1)
        return -(1 + rng.random((n, k))) * 1e-100  # e.g. -1.2345678901234567e-100: 24 characters

    doc = table_document(rows, 9, longest)
    assert len(json.dumps(float(doc.data.inputs[0, 0]))) >= 23
    path = tmp_path / "largest.json"
    save_document(doc, path)
    assert path.stat().st_size <= MAX_FILE_BYTES
    again = load_document(path)
    assert np.array_equal(again.data.inputs, doc.data.inputs) and np.array_equal(again.data.targets,
                                                                                 doc.data.targets)


def test_a_save_bpgui_could_not_open_again_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    doc = table_document(200, 2, lambda n, k: np.full((n, k), 0.25))
    path = tmp_path / "doc.json"
    path.write_text("old")
    monkeypatch.setattr(document, "MAX_FILE_BYTES", 4000)
    with pytest.raises(DocumentError, match="more than the 0 MB bpgui can open"):
        save_document(doc, path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]


def test_the_window_keeps_work_it_could_not_save(make_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    path = tmp_path / "net.json"
    save_document(load_document(document_path("xor")), path)
    w = make_window(path, size=None)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    assert w.model.edit("w", lambda n, p: n.set_weight("x1", "h1", 3.25)) is None
    before = path.read_bytes()
    monkeypatch.setattr(document, "MAX_FILE_BYTES", 100)
    assert w.files.save() is False
    assert "bpgui can open" in shown[-1]
    assert path.read_bytes() == before and w.model.is_modified()


def document_path(name):
    from bpgui.resources import example_paths

    return example_paths()[name]


# ---------------------------------------------------------------------------------------------- the limits
def test_a_network_refuses_an_edge_past_the_limit(monkeypatch):
    monkeypatch.setattr(network, "MAX_EDGES", 6)
    net = layered([2, 3, 1])  # 9 edges, made without the check
    net.remove_edge("x1", "h1")
    net.remove_edge("x2", "h1")
    net.remove_edge("x1", "h2")
    with pytest.raises(NetworkError, match="at most 6 edges"):
        net.add_edge("x1", "h1")


def test_a_document_with_more_edges_than_the_limit_is_refused():
    raw = json.loads(document_path("xor").read_text())
    raw["edges"] = raw["edges"] * (MAX_EDGES // len(raw["edges"]) + 1)
    with pytest.raises(DocumentError, match="edges"):
        document.document_from_dict(raw)


def test_points_times_neurons_past_the_limit_is_refused_with_the_reason():
    net = layered([2, MAX_NEURON_POINTS // MAX_POINTS, 1])  # one neuron too many for MAX_POINTS points
    assert MAX_POINTS * len(net.neurons) > MAX_NEURON_POINTS
    data = GeneratorData("circles", n=MAX_POINTS)
    doc = Document(net, data, TrainingConfig())
    with pytest.raises(DocumentError, match="points × neurons may be at most"):
        document.parse_document(doc.to_json())
    run = TrainingRun(net, data, TrainingConfig())  # the window: a message, no work started
    assert run.trainer is None and "points × neurons" in run.problem
    fewer = GeneratorData("circles", n=MAX_NEURON_POINTS // len(net.neurons))
    assert TrainingRun(net, fewer, TrainingConfig()).trainer is not None


def test_a_table_past_the_number_limit_is_refused(monkeypatch):
    monkeypatch.setattr(document, "MAX_TABLE_VALUES", 100)
    doc = table_document(40, 2, lambda n, k: np.full((n, k), 0.5))  # 120 numbers
    with pytest.raises(DocumentError, match="the table holds 120 numbers"):
        document.parse_document(doc.to_json())


def test_out_of_memory_is_one_line_not_a_traceback(tmp_path):
    """A child process with too little memory for the document's work: a plain message, exit status 2."""
    net = layered([2, 40, 1], weights=lambda a, b: 0.1)
    path = tmp_path / "big.json"
    save_document(Document(net, GeneratorData("circles", n=MAX_POINTS), TrainingConfig()), path)
    code = textwrap.dedent(f"""
        import resource, sys
        import numpy  # the libraries' own memory first
        from bpgui.cli import main
        import bpgui.core.engine, bpgui.core.training
        size = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize:"))
        limit = (size + 100 * 1024) * 1024  # 100 MB more address space than is in use now
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        sys.exit(main(["train", {str(path)!r}, "--steps", "3", "--quiet", "-o", {str(tmp_path / "out.json")!r}]))
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    if p.returncode == 0:
        pytest.skip("the run fitted in memory on this machine")
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("bpgui: error: out of memory") and "Traceback" not in p.stderr
    assert not (tmp_path / "out.json").exists()


def test_a_file_of_more_numbers_than_any_document_holds_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    """32 MB of small numbers took 6 s and 800 MB to parse only to be refused: now it is not parsed at all."""
    raw = json.loads(document_path("xor").read_text())
    n = document.MAX_VALUES // 3 + 1
    raw["data"] = {"inputs": [[0, 0]] * n, "targets": [[1]] * n}
    path = tmp_path / "many.json"
    path.write_text(json.dumps(raw, separators=(",", ":")))
    parsed = []
    monkeypatch.setattr(document, "parse_json", lambda text: parsed.append(text))
    with pytest.raises(DocumentError, match="more than any document within bpgui's limits"):
        load_document(path)
    assert parsed == []
