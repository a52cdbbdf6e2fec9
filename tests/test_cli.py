"""The ``bpgui`` command: inspect, train and examples, in-process through ``main(argv)`` and, for the real entry
point (exit status, stderr), a few times through ``python -m bpgui``."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import bpgui
from bpgui import cli
from bpgui.core import Engine, load_document
from bpgui.resources import example_paths

EXAMPLES = example_paths()
MALFORMED = Path(__file__).parent / "malformed"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_process(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpgui", *map(str, argv)], capture_output=True, text=True,
                          timeout=120, **kwargs)


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(name):
        raise ValueError(f"{name} in the output is not JSON")

    return json.loads(text, parse_constant=refuse)


def assert_one_error_line(err: str, start: str = "bpgui: error: ") -> str:
    assert err.startswith(start), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err[len("bpgui: error: "):-1]


def train_loss(path) -> float:
    doc = load_document(path)
    data = doc.dataset()
    return Engine(doc.network).loss_value(data.x_train, data.t_train)


def central_differences(path, h: float = 1e-5) -> dict[str, float]:
    """∂E/∂p for every parameter, by perturbing the parameter in a compiled engine (independent of backward())."""
    doc = load_document(path)
    data = doc.dataset()
    engine = Engine(doc.network)
    grads = {}
    for name in engine.parameter_names:
        v = engine.get(name)
        engine.set(name, v + h)
        plus = engine.loss_value(data.x_train, data.t_train)
        engine.set(name, v - h)
        minus = engine.loss_value(data.x_train, data.t_train)
        engine.set(name, v)
        grads[name] = (plus - minus) / (2 * h)
    return grads


# ---------------------------------------------------------------------------------------------- examples
def test_examples_lists_the_bundled_networks(capsys):
    status, out, err = run(capsys, "examples")
    assert status == 0 and err == ""
    listed = {}
    for line in out.splitlines():
        name, path = line.split(None, 1)
        listed[name] = Path(path)
    assert {"xor", "circles", "sine", "backprop_by_hand"} <= set(listed)
    for name, path in listed.items():
        assert path.is_file() and path.stem == name
        load_document(path)


def test_version_through_the_real_entry_point():
    r = run_process("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"bpgui {bpgui.__version__}\n"
    assert r.stderr == ""


# ---------------------------------------------------------------------------------------------- inspect
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_inspect_json_matches_finite_differences(name, capsys):
    path = EXAMPLES[name]
    status, out, err = run(capsys, "inspect", "--json", path)
    assert status == 0 and err == ""
    result = strict_json(out)
    doc = load_document(path)
    data = doc.dataset()
    net = doc.network

    assert isinstance(result["loss"], float) and math.isfinite(result["loss"])
    assert result["loss"] == pytest.approx(train_loss(path), rel=1e-12, abs=1e-15)
    assert result["samples"] == len(data.x_train)
    outputs = result["outputs"]
    assert isinstance(outputs, list) and len(outputs) == len(data.x_train)
    assert all(isinstance(row, list) and len(row) == len(net.outputs) for row in outputs)
    np.testing.assert_allclose(outputs, Engine(net).predict(data.x_train), rtol=1e-12, atol=1e-15)
    assert result["inputs"] == data.x_train.tolist() and result["targets"] == data.t_train.tolist()
    assert result["parameters"] == net.parameters()

    grads = result["gradients"]
    assert list(grads) == net.parameter_names()
    numeric = central_differences(path)
    for pname, g in grads.items():
        assert isinstance(g, float)
        assert g == pytest.approx(numeric[pname], rel=1e-5, abs=1e-8), pname
    # δ of every non-input neuron, one value per sample, each the sample's own; the bias gradient is their mean
    n = len(data.x_train)
    assert set(result["deltas"]) == set(result["mean_deltas"]) == {n.id for n in net if n.layer > 0}
    for nid, d in result["deltas"].items():
        assert len(d) == n
        assert result["mean_deltas"][nid] == pytest.approx(math.fsum(d) / n, rel=1e-12, abs=1e-15)
        assert result["mean_deltas"][nid] == pytest.approx(grads[f"{nid}.bias"], rel=1e-9, abs=1e-12)
    # E is the mean of the samples' own losses
    assert len(result["sample_losses"]) == n
    assert math.fsum(result["sample_losses"]) / n == pytest.approx(result["loss"], rel=1e-12)


@pytest.mark.parametrize("name", ["xor", "backprop_by_hand"])
def test_inspect_deltas_are_each_samples_own(name, capsys):
    """Sample n (item n − 1 of each list) against the engine on that one row alone: its loss, and its δ as the
    one row's bias gradients (∂Eₙ/∂bⱼ = δⱼ⁽ⁿ⁾), with no 1/N of the whole set in them."""
    path = EXAMPLES[name]
    result = strict_json(run(capsys, "inspect", "--json", path)[1])
    doc = load_document(path)
    data = doc.dataset()
    engine = Engine(doc.network)
    for r in range(len(data.x_train)):
        row = data.x_train[r : r + 1], data.t_train[r : r + 1]
        loss, grads = engine.gradient(*row)
        assert result["sample_losses"][r] == pytest.approx(loss, rel=1e-12)
        for nid, d in result["deltas"].items():
            assert d[r] == pytest.approx(grads[f"{nid}.bias"], rel=1e-12, abs=1e-15), (nid, r)


def test_inspect_reproduces_the_backprop_example_worked_by_hand(capsys):
    """Matt Mazur's "A Step by Step Backpropagation Example": E_total = 0.298371109, ∂E/∂w5 = 0.082167041."""
    status, out, _ = run(capsys, "inspect", "--json", EXAMPLES["backprop_by_hand"])
    assert status == 0
    result = strict_json(out)
    assert result["loss_function"] == "half_sse"
    assert result["loss"] == pytest.approx(0.298371109, abs=5e-10)
    assert result["outputs"][0] == pytest.approx([0.75136507, 0.772928465], abs=5e-9)
    g = result["gradients"]
    assert g["h1->o1"] == pytest.approx(0.082167041, abs=5e-10)  # w5
    assert g["i1->h1"] == pytest.approx(0.000438568, abs=5e-10)  # w1
    # the others follow from the updated weights he lists (η = 0.5, 9 decimals): ∂E/∂w = (w - w⁺) / η
    for pname, w, w_new in [("h2->o1", 0.45, 0.408666186), ("h1->o2", 0.5, 0.511301270),
                            ("h2->o2", 0.55, 0.561370121), ("i2->h1", 0.2, 0.19956143), ("i1->h2", 0.25, 0.24975114)]:
        assert g[pname] == pytest.approx((w - w_new) / 0.5, abs=2e-8), pname


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_inspect_tables_name_every_neuron_and_parameter(name, capsys):
    path = EXAMPLES[name]
    status, out, err = run(capsys, "inspect", path)
    assert status == 0 and err == ""
    net = load_document(path).network
    words = set(out.split())
    for n in net:
        assert n.id in words, n.id
    for pname in net.parameter_names():
        assert pname in words, pname
    assert f"E = {train_loss(path):.10g}" in out
    # the parameter table's gradients are the true ones (to the 6 digits shown)
    numeric = central_differences(path)
    table = out.split("\nparameters", 1)[1].splitlines()[3:]
    assert [row.split()[0] for row in table] == net.parameter_names()
    for row in table:
        pname, value, grad = row.split()
        assert float(value) == pytest.approx(net.parameters()[pname], rel=1e-5, abs=1e-12)
        assert float(grad) == pytest.approx(numeric[pname], rel=2e-5, abs=1e-8), pname


def neuron_table(out: str) -> tuple[list[str], dict[str, list[str]]]:
    """The header and the rows (by neuron) of inspect's table of δ."""
    lines = out.split("\nneurons: ", 1)[1].split("\n\n", 1)[0].splitlines()
    return lines[1].split(), {row.split()[0]: row.split() for row in lines[3:]}


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_inspect_delta_table_is_per_sample_with_a_mean_column(name, capsys):
    """The δ table numbers samples from 1 (δ[1] is the first sample, as in the window); its δ are each sample's
    own, as in --json; "mean δ" is the mean over all samples, not only the ones shown, and is ∂E/∂bias."""
    path = EXAMPLES[name]
    out = run(capsys, "inspect", path)[1]
    result = strict_json(run(capsys, "inspect", "--json", path)[1])
    n = result["samples"]
    shown = min(n, 4)
    assert f"{n} training samples (numbered from 1, as in the window)" in out
    assert "E = " in out and "(1/N) Σₙ Eₙ" in out
    header, rows = neuron_table(out)
    assert header[5:] == [f"δ[{i}]" for i in range(1, shown + 1)] + ["mean", "δ"]
    assert (n > shown) == (f"(the first {shown} of {n} samples)" in out)
    for nid, d in result["deltas"].items():
        cells = rows[nid]
        for i in range(shown):
            assert float(cells[5 + i]) == pytest.approx(d[i], rel=1e-5, abs=1e-12), (nid, i)
        assert float(cells[5 + shown]) == pytest.approx(math.fsum(d) / n, rel=1e-5, abs=1e-12)
        assert float(cells[5 + shown]) == pytest.approx(result["gradients"][f"{nid}.bias"], rel=1e-5, abs=1e-12)
    # the outputs table: sample numbers from 1, and each sample's own loss Eₙ
    lines = out.split("\noutputs\n", 1)[1].splitlines()
    assert lines[0].split()[0] == "sample" and lines[0].split()[-1] == "Eₙ"
    for i, line in enumerate(lines[2:2 + min(n, 10)]):
        cells = line.split()
        assert cells[0] == str(i + 1)
        assert float(cells[-1]) == pytest.approx(result["sample_losses"][i], rel=1e-5)


NON_FINITE = {
    "format": "bpgui-network", "version": 1,
    "neurons": [{"id": "x", "layer": 0}, {"id": "h", "layer": 1, "activation": "linear", "bias": 0.0},
                {"id": "y", "layer": 2, "activation": "linear", "bias": 0.0}],
    "edges": [{"from": "x", "to": "h", "weight": 1e300}, {"from": "h", "to": "y", "weight": 1e300}],
    "loss": "half_sse",
    "data": {"inputs": [[1.0], [0.5]], "targets": [[0.0], [1.0]]},
}


def test_inspect_json_stays_valid_json_when_the_loss_overflows(tmp_path, capsys):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(NON_FINITE))
    status, out, err = run(capsys, "inspect", "--json", path)
    assert status == 0 and err == ""
    result = strict_json(out)  # no NaN / Infinity tokens
    assert result["loss"] is None
    assert result["outputs"] == [[None], [None]]
    assert result["parameters"] == {"x->h": 1e300, "h->y": 1e300, "h.bias": 0.0, "y.bias": 0.0}
    assert set(result["gradients"]) == {"x->h", "h->y", "h.bias", "y.bias"}
    assert all(v is None or math.isfinite(v) for v in result["gradients"].values())


def test_inspect_tables_show_an_overflowing_loss(tmp_path, capsys):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(NON_FINITE))
    status, out, err = run(capsys, "inspect", path)
    assert status == 0 and err == ""
    assert "E = inf" in out


def test_inspect_through_the_real_entry_point():
    r = run_process("inspect", "--json", EXAMPLES["xor"])
    assert r.returncode == 0 and r.stderr == ""
    assert strict_json(r.stdout)["samples"] == 4


@pytest.mark.parametrize("name", ["binary_not_utf8.json", "weight_nan_literal.json", "edge_unknown_neuron.json"])
def test_a_malformed_file_through_the_real_entry_point(name):
    path = str(MALFORMED / name)
    r = run_process("inspect", path)
    assert r.returncode == 2
    assert r.stdout == ""
    assert_one_error_line(r.stderr, f"bpgui: error: {path}: ")


def test_an_endless_file_is_refused_without_exhausting_memory():
    """/dev/zero claims to be empty and never ends: the reader must stop at its size limit."""
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    import resource

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    r = run_process("inspect", "/dev/zero", preexec_fn=limit_memory, env=env)
    assert r.returncode == 2, r.stderr[-500:]
    assert "too large" in assert_one_error_line(r.stderr, "bpgui: error: /dev/zero: ")


def test_inspect_errors(tmp_path, capsys):
    status, out, err = run(capsys, "inspect", tmp_path / "missing.json")
    assert (status, out) == (2, "")
    assert assert_one_error_line(err) == f"{tmp_path / 'missing.json'}: no such file"
    status, out, err = run(capsys, "inspect")
    assert (status, out) == (2, "")
    assert "required: file" in assert_one_error_line(err)


# ---------------------------------------------------------------------------------------------- explain
EXPLAIN_KEYS = {"loss", "optimizer", "learning_rate", "parameters", "predicted_change", "actual_change",
                "gradient_norm", "line", "curvature", "directions"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_explain_json_against_finite_differences_and_the_optimizers_first_step(name, capsys):
    path = EXAMPLES[name]
    status, out, err = run(capsys, "explain", "--json", path)
    assert status == 0 and err == ""
    r = strict_json(out)
    assert set(r) == EXPLAIN_KEYS
    doc = load_document(path)
    cfg = doc.training
    assert r["optimizer"] == cfg.optimizer and r["learning_rate"] == cfg.learning_rate
    assert r["loss"] == pytest.approx(train_loss(path), rel=1e-12)
    params = r["parameters"]
    names = [p["name"] for p in params]
    assert names == [n for n in doc.network.parameter_names() if cfg.train_biases or not n.endswith(".bias")]
    numeric = central_differences(path)
    values = doc.network.parameters()
    lr, eps = cfg.learning_rate, cfg.hyper_for_optimizer().get("eps")
    for p in params:
        assert set(p) == {"name", "value", "gradient", "step", "contribution"}
        assert p["value"] == values[p["name"]]
        assert p["gradient"] == pytest.approx(numeric[p["name"]], rel=1e-5, abs=1e-8), p["name"]
        g = p["gradient"]
        # the first step from a fresh state: sgd −ηg; adam m̂ = g, v̂ = g², so −ηg/(|g| + ε)
        expected = {"sgd": -lr * g, "adam": -lr * g / (abs(g) + (eps or 0.0))}[cfg.optimizer]
        assert p["step"] == pytest.approx(expected, rel=1e-12, abs=1e-300)
        assert p["contribution"] == p["gradient"] * p["step"]
    assert r["predicted_change"] == pytest.approx(math.fsum(p["contribution"] for p in params), rel=1e-12)
    after = engine_loss_at(path, {p["name"]: p["value"] + p["step"] for p in params})
    assert r["actual_change"] == pytest.approx(after - r["loss"], rel=1e-12, abs=1e-16)
    assert r["predicted_change"] < 0 and r["actual_change"] < 0
    norm = math.sqrt(math.fsum(numeric[n] ** 2 for n in names))
    assert r["gradient_norm"] == pytest.approx(norm, rel=1e-5)

    line = r["line"]
    assert set(line) == {"t", "loss", "linear", "quadratic"}
    assert line["t"] == pytest.approx(np.linspace(0, 2, 41).tolist(), abs=1e-15)
    assert all(len(v) == 41 for v in line.values())
    for i in (0, 13, 40):
        s = line["t"][i]
        e = engine_loss_at(path, {p["name"]: p["value"] + s * p["step"] for p in params})
        assert line["loss"][i] == pytest.approx(e, rel=1e-12)
        assert line["linear"][i] == pytest.approx(r["loss"] + s * r["predicted_change"], rel=1e-12)

    c = r["curvature"]
    assert set(c) == {"lambda_max", "lambda_min", "along_step", "along_gradient", "stable_learning_rate"}
    assert c["lambda_min"] <= c["along_step"] <= c["lambda_max"]
    assert c["lambda_min"] <= c["along_gradient"] <= c["lambda_max"]
    assert c["stable_learning_rate"] == pytest.approx(2 / c["lambda_max"], rel=1e-12)
    # the quadratic model's t² term is ½ ΔwᵀHΔw = ½ along_step · |Δw|²
    dw2 = math.fsum(p["step"] ** 2 for p in params)
    quad = r["loss"] + 2 * r["predicted_change"] + 0.5 * 4 * c["along_step"] * dw2
    assert line["quadratic"][40] == pytest.approx(quad, rel=1e-9)

    d = r["directions"]
    assert set(d) == {"steepest", "best_single_parameter", "random", "count"}
    assert d["count"] == len(d["random"]) == 100
    assert d["steepest"] == pytest.approx(-norm, rel=1e-5)
    assert d["best_single_parameter"] == pytest.approx(-max(abs(numeric[n]) for n in names), rel=1e-5)
    assert d["steepest"] <= d["best_single_parameter"] and all(d["steepest"] < s for s in d["random"])


def test_explain_options(capsys):
    path = EXAMPLES["xor"]
    args = ("explain", "--json", path, "--directions", "7", "--seed", "3", "--line-to", "1.5", "--line-points", "4")
    status, out, _ = run(capsys, *args)
    assert status == 0
    r = strict_json(out)
    assert r["line"]["t"] == [0.0, 0.5, 1.0, 1.5] and len(r["line"]["loss"]) == 4
    assert r["directions"]["count"] == 7 and len(r["directions"]["random"]) == 7
    assert r["line"]["loss"][2] == pytest.approx(r["loss"] + r["actual_change"], rel=1e-14)
    _, again, _ = run(capsys, *args)
    assert strict_json(again)["directions"] == r["directions"]
    _, other, _ = run(capsys, *args[:6], "4", *args[7:])
    assert strict_json(other)["directions"]["random"] != r["directions"]["random"]
    _, none, _ = run(capsys, "explain", "--json", path, "--directions", "0")
    assert strict_json(none)["directions"] == {**r["directions"], "random": [], "count": 0}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_explain_table_is_sorted_by_contribution_and_ends_with_the_summary(name, capsys):
    path = EXAMPLES[name]
    status, out, err = run(capsys, "explain", path)
    assert status == 0 and err == ""
    _, js, _ = run(capsys, "explain", "--json", path)
    r = strict_json(js)
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("parameter "))
    rows = []
    for line in lines[head + 2:]:
        if not line.strip():
            break
        rows.append(line.split())
    assert sorted(row[0] for row in rows) == sorted(p["name"] for p in r["parameters"])
    contributions = [float(row[4]) for row in rows]
    assert contributions == sorted(contributions)
    assert f"predicted ΔE = Σ g·Δw = {r['predicted_change']:.6g}" in out
    assert f"actual ΔE = E(w+Δw) − E(w) = {r['actual_change']:.6g}" in out
    assert f"λ_max = {r['curvature']['lambda_max']:.6g}" in out
    assert f"2/λ_max = {r['curvature']['stable_learning_rate']:.6g}" in out
    assert f"steepest, −∇E/|∇E|: {r['directions']['steepest']:.6g}" in out


def test_explain_json_stays_valid_json_when_the_loss_overflows(tmp_path, capsys):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(NON_FINITE))
    status, out, err = run(capsys, "explain", "--json", path)
    assert status == 0 and err == ""
    r = strict_json(out)
    assert r["loss"] is None and r["curvature"]["stable_learning_rate"] is None
    assert [p["value"] for p in r["parameters"]] == [1e300, 1e300, 0.0, 0.0]
    status, out, err = run(capsys, "explain", path)
    assert status == 0 and err == "" and "E = inf" in out


def test_explain_errors(tmp_path, capsys):
    path = EXAMPLES["xor"]
    for argv, message in (
        ((tmp_path / "missing.json",), f"{tmp_path / 'missing.json'}: no such file"),
        ((path, "--line-points", "1"), "argument --line-points: must be between 2 and 10001, not 1"),
        ((path, "--directions", "-1"), "argument --directions: must be between 0 and 100000, not -1"),
        ((path, "--line-to", "0"), "argument --line-to: must be a positive number up to 1000, not 0"),
        ((path, "--line-to", "nan"), "argument --line-to: must be a positive number up to 1000, not nan"),
        ((path, "--seed", "x"), "argument --seed: 'x' is not a whole number"),
    ):
        status, out, err = run(capsys, "explain", *argv)
        assert (status, out) == (2, "")
        assert assert_one_error_line(err) == message


def test_explain_through_the_real_entry_point(tmp_path):
    r = run_process("explain", "--json", EXAMPLES["circles"], "--directions", "5")
    assert r.returncode == 0 and r.stderr == ""
    assert strict_json(r.stdout)["directions"]["count"] == 5
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    r = run_process("explain", bad)
    assert r.returncode == 2 and r.stdout == ""
    assert_one_error_line(r.stderr, f"bpgui: error: {bad}: ")


# ---------------------------------------------------------------------------------------------- train
VIEW = {"positions": {"x1": [10.5, -3], "y1": [200, 0.1]}, "zoom": 0.30000000000000004, "title": "héllo ☃",
        "nested": [[1, 2], {"a": None, "b": True}]}


@pytest.fixture
def circles(tmp_path) -> Path:
    """The circles example with a view section and hyperparameters, in a private folder."""
    raw = json.loads(EXAMPLES["circles"].read_text(encoding="utf-8"))
    raw["view"] = VIEW
    raw["training"]["beta2"] = 0.99
    path = tmp_path / "circles.json"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return path


def without_parameters(doc_dict: dict) -> dict:
    d = json.loads(json.dumps(doc_dict))
    for n in d["neurons"]:
        n.pop("bias", None)
    for e in d["edges"]:
        e.pop("weight")
    return d


def test_train_lowers_the_loss_and_keeps_everything_else(circles, tmp_path, capsys):
    out_path = tmp_path / "trained.json"
    status, out, err = run(capsys, "train", circles, "--steps", 60, "-o", out_path)
    assert status == 0, err
    assert err == ""  # no progress bar when stderr is not a terminal
    before, after = load_document(circles), load_document(out_path)
    e0, e1 = train_loss(circles), train_loss(out_path)
    assert e1 < e0 - 0.01
    m = re.search(r"loss \(bce\): (\S+) -> (\S+), test loss (\S+)", out)
    assert m, out
    assert float(m[1]) == pytest.approx(e0, rel=1e-5) and float(m[2]) == pytest.approx(e1, rel=1e-5)
    assert f"wrote {out_path}" in out
    # only weights and biases changed: same neurons in the same order, same edges, data, training and view
    assert without_parameters(after.to_dict()) == without_parameters(before.to_dict())
    assert after.view == VIEW and after.training == before.training
    assert after.training.hyperparameters == {"beta2": 0.99}
    changed = [k for k, v in before.network.parameters().items() if after.network.parameters()[k] != v]
    assert len(changed) >= len(before.network.parameters()) - 1
    # the output is a canonical document
    assert out_path.read_text(encoding="utf-8") == after.to_json()


def test_train_can_overwrite_its_input(circles, capsys):
    before = circles.read_bytes()
    status, _, err = run(capsys, "train", circles, "--steps", 5, "-o", circles)
    assert status == 0, err
    assert circles.read_bytes() != before
    assert sorted(os.listdir(circles.parent)) == ["circles.json"]


def test_train_is_reproducible(circles, tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for out_path in (a, b):
        status, _, err = run(capsys, "train", circles, "--steps", 40, "--batch-size", 16, "--seed", 5, "-o", out_path)
        assert status == 0, err
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize(
    "base, override, key, value",
    [
        ([], ["--learning-rate", "0.2"], "learning_rate", 0.2),
        ([], ["--optimizer", "momentum"], "optimizer", "momentum"),
        ([], ["--batch-size", "16"], "batch_size", 16),
        (["--batch-size", "16"], ["--seed", "99"], "seed", 99),
        (["--batch-size", "16", "--seed", "99"], ["--batch-size", "full"], "batch_size", None),
    ],
)
def test_train_overrides_change_the_result_and_are_recorded(circles, tmp_path, capsys, base, override, key, value):
    plain, overridden = tmp_path / "plain.json", tmp_path / "overridden.json"
    status, _, err = run(capsys, "train", circles, "--steps", 30, *base, "-o", plain)
    assert status == 0, err
    status, _, err = run(capsys, "train", circles, "--steps", 30, *base, *override, "-o", overridden)
    assert status == 0, err
    p, o = load_document(plain), load_document(overridden)
    assert o.training.to_dict()[key] == value
    assert p.training.to_dict()[key] != value
    assert json.loads(overridden.read_text())["training"][key] == value
    assert p.network.parameters() != o.network.parameters()
    # nothing but the overridden option differs in the training section
    rest = {k: v for k, v in o.training.to_dict().items() if k != key}
    assert rest == {k: v for k, v in p.training.to_dict().items() if k != key}


BAD_OPTIONS = [
    (["--steps", "0"], "argument --steps: must be between 1 and"),
    (["--steps", "-3"], "argument --steps"),
    (["--steps", "ten"], "argument --steps: 'ten' is not a whole number"),
    (["--steps", "5", "--learning-rate", "0"], "argument --learning-rate: must be a positive number"),
    (["--steps", "5", "--learning-rate", "-1"], "argument --learning-rate: must be a positive number"),
    (["--steps", "5", "--learning-rate", "nan"], "argument --learning-rate"),
    (["--steps", "5", "--learning-rate", "inf"], "argument --learning-rate"),
    (["--steps", "5", "--learning-rate", "1e7"], "argument --learning-rate"),  # above the document's limit
    (["--steps", "5", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
    (["--steps", "5", "--batch-size", "0"], "argument --batch-size: must be between 1 and"),
    (["--steps", "5", "--batch-size", "1000000"], "argument --batch-size"),  # above the document's limit
    (["--steps", "5", "--seed", "-1"], "argument --seed"),
    (["--steps", "5", "--bogus"], "unrecognized arguments: --bogus"),
    (["--learning-rate", "0.1"], "the following arguments are required: --steps"),
]


@pytest.mark.parametrize("output_exists", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("options, message", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_train_rejects_bad_options_and_writes_nothing(circles, tmp_path, capsys, options, message, output_exists):
    out_path = tmp_path / "out.json"
    if output_exists:
        out_path.write_bytes(b"keep me")
    status, out, err = run(capsys, "train", circles, *options, "-o", out_path)
    assert (status, out) == (2, "")
    assert message in assert_one_error_line(err)
    if output_exists:
        assert out_path.read_bytes() == b"keep me"
    else:
        assert not out_path.exists()
    assert sorted(os.listdir(tmp_path)) == sorted(["circles.json"] + (["out.json"] if output_exists else []))


def test_train_without_an_output_fails(circles, capsys):
    status, out, err = run(capsys, "train", circles, "--steps", 5)
    assert (status, out) == (2, "")
    assert "the following arguments are required: -o/--output" in assert_one_error_line(err)
    assert os.listdir(circles.parent) == ["circles.json"]


def test_train_into_a_missing_folder_fails(circles, tmp_path, capsys):
    target = tmp_path / "nowhere" / "out.json"
    status, out, err = run(capsys, "train", circles, "--steps", 5, "-o", target)
    assert (status, out) == (2, "")
    assert "does not exist" in assert_one_error_line(err, f"bpgui: error: {target}: ")
    assert not target.parent.exists()


def test_train_onto_a_folder_fails(circles, tmp_path, capsys):
    target = tmp_path / "folder"
    target.mkdir()
    status, out, err = run(capsys, "train", circles, "--steps", 5, "-o", target)
    assert (status, out) == (2, "")
    assert assert_one_error_line(err) == f"{target}: is a folder, not a file"
    assert os.listdir(target) == []


@pytest.mark.parametrize("output_exists", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("source, message", [
    ("missing.json", "no such file"),
    (MALFORMED / "edge_backwards.json", "goes backwards"),
    (MALFORMED / "empty.json", "the file is empty"),
])
def test_train_with_a_bad_input_writes_nothing(tmp_path, capsys, source, message, output_exists):
    source = tmp_path / source if isinstance(source, str) else source
    out_path = tmp_path / "out.json"
    if output_exists:
        out_path.write_bytes(b"keep me")
    status, out, err = run(capsys, "train", source, "--steps", 5, "-o", out_path)
    assert (status, out) == (2, "")
    assert message in assert_one_error_line(err, f"bpgui: error: {source}: ")
    if output_exists:
        assert out_path.read_bytes() == b"keep me"
    else:
        assert not out_path.exists()


def test_train_when_the_save_fails_reports_it_and_keeps_the_old_file(circles, tmp_path, capsys, monkeypatch):
    out_path = tmp_path / "out.json"
    out_path.write_bytes(b"keep me")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    status, out, err = run(capsys, "train", circles, "--steps", 5, "-o", out_path)
    assert (status, out) == (2, "")
    assert assert_one_error_line(err) == f"{out_path}: cannot save: No space left on device"
    assert out_path.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == ["circles.json", "out.json"]


DIVERGE = ["--steps", "200", "--optimizer", "sgd", "--learning-rate", "1e5"]


def test_diverging_training_fails_and_writes_nothing(tmp_path, capsys):
    out_path = tmp_path / "out.json"
    out_path.write_bytes(b"keep me")
    status, out, err = run(capsys, "train", EXAMPLES["sine"], *DIVERGE, "-o", out_path)
    assert status != 0 and out == ""
    assert "training diverged" in assert_one_error_line(err)
    assert "smaller learning rate" in err
    assert out_path.read_bytes() == b"keep me"


def test_diverging_training_through_the_real_entry_point(tmp_path):
    """The process exits non-zero with one clear line: no NumPy warnings on stderr, no file."""
    out_path = tmp_path / "out.json"
    r = run_process("train", EXAMPLES["sine"], *DIVERGE, "-o", out_path)
    assert r.returncode != 0
    assert r.stdout == ""
    message = assert_one_error_line(r.stderr)
    assert message.startswith("training diverged") and "Nothing was written" in message
    assert os.listdir(tmp_path) == []


def test_train_through_the_real_entry_point(tmp_path):
    out_path = tmp_path / "out.json"
    r = run_process("train", EXAMPLES["xor"], "--steps", "50", "--quiet", "-o", out_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert train_loss(out_path) < train_loss(EXAMPLES["xor"])


# ---------------------------------------------------------------------------------------------- surface
def engine_loss_at(path, values: dict[str, float]) -> float:
    """The training loss of a document with some parameters changed, by the engine (one forward pass)."""
    doc = load_document(path)
    data = doc.dataset()
    engine = Engine(doc.network)
    for name, v in values.items():
        engine.set(name, v)
    return engine.loss_value(data.x_train, data.t_train)


@pytest.mark.parametrize("name, px, py", [("circles", "x1->h1", "h3->y1"), ("xor", "h1.bias", "x2->h2"),
                                          ("backprop_by_hand", "h1->o1", "h2->o2")])
def test_surface_writes_the_loss_over_the_grid(name, px, py, tmp_path, capsys):
    path = EXAMPLES[name]
    out_path = tmp_path / "s.npz"
    status, out, err = run(capsys, "surface", path, "--x", px, "--y", py, "--grid", 7, "-o", out_path)
    assert status == 0 and err == ""
    with np.load(out_path) as f:
        assert sorted(f.files) == ["loss", "names", "origin", "u", "v", "x", "y"]  # the plane: see test_planes_cli
        x, y, loss = f["x"], f["y"], f["loss"]
    assert x.dtype == y.dtype == loss.dtype == np.float64
    assert x.shape == y.shape == (7,) and loss.shape == (7, 7)
    net = load_document(path).network
    cx, cy = net.get_parameter(px), net.get_parameter(py)
    np.testing.assert_allclose(x, np.linspace(cx - 2, cx + 2, 7), rtol=1e-15, atol=1e-15)  # the default span, 2
    np.testing.assert_allclose(y, np.linspace(cy - 2, cy + 2, 7), rtol=1e-15, atol=1e-15)
    assert (x[3], y[3]) == (cx, cy)
    assert loss[3, 3] == pytest.approx(train_loss(path), rel=1e-12)
    rng = np.random.default_rng(1)
    for i, j in zip(rng.integers(0, 7, 8), rng.integers(0, 7, 8)):
        assert loss[i, j] == pytest.approx(engine_loss_at(path, {px: x[j], py: y[i]}), rel=1e-9), (i, j)
    assert out == f"wrote {out_path} (7x7 surface of {px} and {py}, E {loss.min():.3g}..{loss.max():.3g})\n"
    assert os.listdir(tmp_path) == ["s.npz"]


def test_surface_default_grid_span_and_ranges(tmp_path, capsys):
    path = EXAMPLES["circles"]
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    status, out, err = run(capsys, "surface", path, "--x", "h1.bias", "--y", "y1.bias", "-o", a)
    assert status == 0, err
    assert "(64x64 surface of h1.bias and y1.bias" in out
    status, _, err = run(capsys, "surface", path, "--x", "h1.bias", "--y", "y1.bias", "--grid", 5,
                         "--x-range", "-3", "1", "--y-range", "0.5", "2.5", "-o", b)
    assert status == 0, err
    with np.load(a) as f:
        assert f["loss"].shape == (64, 64)
        cx = load_document(path).network.get_parameter("h1.bias")
        assert f["x"][0] == pytest.approx(cx - 2) and f["x"][-1] == pytest.approx(cx + 2)
    with np.load(b) as f:
        np.testing.assert_array_equal(f["x"], np.linspace(-3, 1, 5))
        np.testing.assert_array_equal(f["y"], np.linspace(0.5, 2.5, 5))
        for i, j in [(0, 0), (4, 1), (2, 3), (1, 4)]:
            expected = engine_loss_at(path, {"h1.bias": f["x"][j], "y1.bias": f["y"][i]})
            assert f["loss"][i, j] == pytest.approx(expected, rel=1e-9)
    status, _, err = run(capsys, "surface", path, "--x", "h1.bias", "--y", "y1.bias", "--grid", 3, "--span", "0.25",
                         "-o", b)
    assert status == 0, err
    with np.load(b) as f:
        np.testing.assert_allclose(f["x"], cx + np.array([-0.25, 0, 0.25]), rtol=1e-15)


BAD_SURFACE = [
    (["--x", "x9->h1", "--y", "h1.bias"], "unknown parameter 'x9->h1' (unknown neuron 'x9')"),
    (["--x", "h1.bias", "--y", "x1->y1"], "unknown parameter 'x1->y1' (there is no edge 'x1' -> 'y1')"),
    (["--x", "x1.bias", "--y", "h1.bias"], "'x1.bias': input neuron 'x1' has no bias"),
    (["--x", "h1", "--y", "h1.bias"], "'h1' is not a parameter name"),
    (["--x", "h1.bias", "--y", "h1.bias"], "the x and y parameters must differ (both are 'h1.bias')"),
    (["--y", "h1.bias"], "--plane weights needs --x and --y"),
    (["--x", "h1.bias", "--y", "h2.bias", "--grid", "1"], "argument --grid: must be between 2 and 1024, not 1"),
    (["--x", "h1.bias", "--y", "h2.bias", "--grid", "1025"], "argument --grid"),
    (["--x", "h1.bias", "--y", "h2.bias", "--span", "0"], "the span must be a positive finite number, not 0.0"),
    (["--x", "h1.bias", "--y", "h2.bias", "--span", "-1"], "the span must be a positive finite number"),
    (["--x", "h1.bias", "--y", "h2.bias", "--span", "nan"], "the span must be a positive finite number, not nan"),
    (["--x", "h1.bias", "--y", "h2.bias", "--span", "wide"], "argument --span: 'wide' is not a number"),
    (["--x", "h1.bias", "--y", "h2.bias", "--x-range", "0", "1"], "--x-range and --y-range go together"),
    (["--x", "h1.bias", "--y", "h2.bias", "--x-range", "0", "1", "--y-range", "1", "1"],
     "the y range must be two finite numbers with low < high, not 1 to 1"),
    (["--x", "h1.bias", "--y", "h2.bias", "--x-range", "2", "-2", "--y-range", "0", "1"],
     "the x range must be two finite numbers with low < high, not 2 to -2"),
    (["--x", "h1.bias", "--y", "h2.bias", "--x-range", "0", "inf", "--y-range", "0", "1"], "not 0 to inf"),
    (["--x", "h1.bias", "--y", "h2.bias", "--x-range", "0", "1", "--y-range", "0", "1", "--span", "1"],
     "use either --span or --x-range and --y-range, not both"),
    (["--x", "h1.bias", "--y", "h2.bias", "--x-range", "0"], "argument --x-range: expected 2 arguments"),
]


@pytest.mark.parametrize("output_exists", [False, True], ids=["new", "existing"])
@pytest.mark.parametrize("options, message", BAD_SURFACE, ids=[" ".join(o) for o, _ in BAD_SURFACE])
def test_surface_rejects_bad_options_and_writes_nothing(circles, tmp_path, capsys, options, message, output_exists):
    out_path = tmp_path / "out.npz"
    if output_exists:
        out_path.write_bytes(b"keep me")
    status, out, err = run(capsys, "surface", circles, *options, "-o", out_path)
    assert (status, out) == (2, "")
    assert message in assert_one_error_line(err)
    if output_exists:
        assert out_path.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == sorted(["circles.json"] + (["out.npz"] if output_exists else []))


@pytest.mark.parametrize("target, message", [
    ("out.png", "out.png: only .npz is supported"),
    ("out", "out: only .npz is supported"),
    ("nowhere/out.npz", "the folder"),
    ("", "is a folder, not a file"),
])
def test_surface_output_path_errors(circles, tmp_path, capsys, target, message):
    status, out, err = run(capsys, "surface", circles, "--x", "h1.bias", "--y", "h2.bias", "-o", tmp_path / target)
    assert (status, out) == (2, "")
    assert message in assert_one_error_line(err)
    assert sorted(os.listdir(tmp_path)) == ["circles.json"]


def test_surface_with_a_bad_document_writes_nothing(tmp_path, capsys):
    out_path = tmp_path / "out.npz"
    source = MALFORMED / "edge_backwards.json"
    status, out, err = run(capsys, "surface", source, "--x", "h1.bias", "--y", "h2.bias", "-o", out_path)
    assert (status, out) == (2, "")
    assert "goes backwards" in assert_one_error_line(err, f"bpgui: error: {source}: ")
    assert os.listdir(tmp_path) == []


def test_surface_when_the_write_fails_keeps_the_old_file(circles, tmp_path, capsys, monkeypatch):
    out_path = tmp_path / "out.npz"
    out_path.write_bytes(b"keep me")

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    status, out, err = run(capsys, "surface", circles, "--x", "h1.bias", "--y", "h2.bias", "-o", out_path)
    assert (status, out) == (2, "")
    assert assert_one_error_line(err) == f"{out_path}: cannot write (No space left on device)"
    assert out_path.read_bytes() == b"keep me"
    assert sorted(os.listdir(tmp_path)) == ["circles.json", "out.npz"]


def test_surface_through_the_real_entry_point(tmp_path):
    out_path = tmp_path / "s.npz"
    r = run_process("surface", EXAMPLES["xor"], "--x", "x1->h1", "--y", "x2->h1", "--grid", "16", "-o", out_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and r.stdout.startswith(f"wrote {out_path} (16x16 surface of x1->h1 and x2->h1, E ")
    with np.load(out_path) as f:
        assert f["loss"].shape == (16, 16) and np.isfinite(f["loss"]).all()
    r = run_process("surface", EXAMPLES["xor"], "--x", "x1->h9", "--y", "x2->h1", "-o", out_path.with_name("b.npz"))
    assert r.returncode == 2 and r.stdout == ""
    assert "unknown parameter 'x1->h9'" in assert_one_error_line(r.stderr)
    assert os.listdir(tmp_path) == ["s.npz"]
