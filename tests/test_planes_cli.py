"""``bpgui train --trajectory`` and ``bpgui surface --plane``: files written and read back (in-process through
``main(argv)`` and through real child processes), and bad input refused in one line with nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bpgui import cli
from bpgui.core import Engine, load_document
from bpgui.core.planes import make_plane, plane_loss
from bpgui.core.trajectory import load_trajectory
from bpgui.resources import example_paths

EXAMPLES = example_paths()


def run(capsys, *argv) -> tuple[int, str, str]:
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def run_process(*argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bpgui", *map(str, argv)], capture_output=True, text=True,
                          timeout=120)


def one_error_line(err: str) -> str:
    assert err.startswith("bpgui: error: ") and err.count("\n") == 1 and err.endswith("\n"), err
    return err[len("bpgui: error: "):-1]


def params(doc) -> np.ndarray:
    return np.array([doc.network.get_parameter(n) for n in doc.network.parameter_names()])


def train_with_path(tmp_path, name="xor", steps=120, every=None, extra=()):
    out, path = tmp_path / "trained.json", tmp_path / "path.npz"
    r = run_process("train", EXAMPLES[name], "--steps", steps, "-o", out, "--trajectory", path,
                    *(("--every", every) if every else ()), *extra)
    assert r.returncode == 0, r.stderr
    return out, path, r


# ---------------------------------------------------------------------------------------------- train
@pytest.mark.parametrize("name, every", [("xor", None), ("circles", 7)])
def test_train_writes_the_trajectory(tmp_path, name, every):
    out, path, r = train_with_path(tmp_path, name, 120, every)
    assert r.stdout.splitlines()[-1].startswith(f"wrote {path} (")
    tr = load_trajectory(path)
    with np.load(path) as z:
        assert sorted(z.files) == ["loss", "names", "steps", "values"]
    start, trained = load_document(EXAMPLES[name]), load_document(out)
    assert tr.names == tuple(trained.network.parameter_names())
    assert tr.steps[0] == 0 and tr.steps[-1] == 120 and np.all(np.diff(tr.steps) > 0)
    if every:
        assert all(s % every == 0 for s in tr.steps[:-1])
    assert np.array_equal(tr.values[0], params(start))
    assert np.array_equal(tr.values[-1], params(trained))  # exactly the trained document
    d = start.dataset()
    for row, e in zip(tr.values, tr.loss):
        net = start.network.copy()
        net.set_parameters(dict(zip(tr.names, row.tolist())))
        assert e == pytest.approx(Engine(net).loss_value(d.x_train, d.t_train), rel=1e-12)


def test_train_trajectory_is_thinned_but_keeps_the_last_step(tmp_path, capsys):
    out, path = tmp_path / "t.json", tmp_path / "t.npz"
    status, _, err = run(capsys, "train", EXAMPLES["xor"], "--steps", 3001, "-o", out, "--trajectory", path,
                         "--quiet")
    assert status == 0, err
    tr = load_trajectory(path)
    assert len(tr) <= 1024 + 1 and tr.steps[0] == 0 and tr.steps[-1] == 3001
    assert np.array_equal(tr.values[-1], params(load_document(out)))


@pytest.mark.parametrize("target, message", [("path.txt", "written as .npz"), ("out.npz", None)])
def test_train_trajectory_bad_targets_write_nothing(tmp_path, capsys, target, message):
    out = tmp_path / ("out.npz" if target == "out.npz" else "out.json")
    status, stdout, err = run(capsys, "train", EXAMPLES["xor"], "--steps", 5, "-o", out, "--trajectory",
                              tmp_path / target)
    assert status == 2 and stdout == ""
    text = one_error_line(err)
    assert (message or "different files") in text
    assert list(tmp_path.iterdir()) == []


def test_every_without_a_trajectory_is_refused(tmp_path, capsys):
    status, stdout, err = run(capsys, "train", EXAMPLES["xor"], "--steps", 5, "-o", tmp_path / "o.json", "--every", 3)
    assert status == 2 and stdout == "" and "--every K goes with --trajectory" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------- surface
@pytest.mark.parametrize("plane", ["weights", "gradient", "pca", "random"])
def test_surface_on_every_plane(tmp_path, plane):
    trained, path, _ = train_with_path(tmp_path, "circles", 200, 5)
    out = tmp_path / f"{plane}.npz"
    xy = ("--x", "x1->h1", "--y", "h1.bias") if plane == "weights" else ()
    r = run_process("surface", trained, "--plane", plane, *xy, "--trajectory", path, "--grid", 9, "--seed", 4,
                    "-o", out)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    with np.load(out) as z:
        a = {k: z[k] for k in z.files}
    for k in ("x", "y", "loss", "names", "origin", "u", "v", "path_x", "path_y", "path_residual", "path_loss"):
        assert k in a, k
    doc = load_document(trained)
    net, d = doc.network, doc.dataset()
    names = tuple(a["names"].tolist())
    assert names == tuple(net.parameter_names())
    assert a["loss"].shape == (9, 9)
    for i in (0, 4, 8):
        for j in (0, 3, 8):
            point = a["origin"] + a["x"][j] * a["u"] + a["y"][i] * a["v"]
            n = net.copy()
            n.set_parameters(dict(zip(names, point.tolist())))
            assert a["loss"][i, j] == pytest.approx(Engine(n).loss_value(d.x_train, d.t_train), rel=1e-10)
    if plane in ("weights", "gradient", "pca"):
        assert np.linalg.norm(a["u"]) == pytest.approx(1.0) and np.linalg.norm(a["v"]) == pytest.approx(1.0)
        assert abs(a["u"] @ a["v"]) < 1e-12
    if plane == "weights":
        assert a["u"][names.index("x1->h1")] == 1.0 and a["v"][names.index("h1.bias")] == 1.0
        assert "surface of x1->h1 and h1.bias" in r.stdout
    tr = load_trajectory(path)
    assert len(a["path_x"]) == len(a["path_loss"]) == len(tr)
    assert np.allclose(a["path_loss"], tr.loss, rtol=1e-12)
    if plane == "pca":
        assert np.array_equal(a["origin"], tr.values[-1])
        assert a["path_x"][-1] == 0.0 and a["path_y"][-1] == 0.0
        assert "% of the path's variance" in r.stdout
        expected = make_plane("pca", net, d.x_train, d.t_train, trajectory=tr)
        assert np.array_equal(a["u"], expected.u)
        assert np.allclose(a["loss"], plane_loss(net, d.x_train, d.t_train, expected, a["x"], a["y"]), rtol=1e-12)


def test_surface_weights_plane_keeps_todays_arrays(tmp_path, capsys):
    out = tmp_path / "s.npz"
    status, stdout, err = run(capsys, "surface", EXAMPLES["xor"], "--x", "x1->h1", "--y", "x2->h1", "--grid", 5,
                              "--span", 0.5, "-o", out)
    assert status == 0, err
    with np.load(out) as z:
        doc = load_document(EXAMPLES["xor"])
        assert z["x"][2] == pytest.approx(doc.network.get_parameter("x1->h1"))
        assert z["y"][2] == pytest.approx(doc.network.get_parameter("x2->h1"))


def zero_gradient_document(tmp_path):
    raw = json.loads(EXAMPLES["xor"].read_text(encoding="utf-8"))
    for e in raw["edges"]:
        e["weight"] = 0.0
    raw["data"]["targets"] = [[0.5]] * len(raw["data"]["targets"])
    path = tmp_path / "flat.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["pca without path", "other network", "zero gradient", "x for gradient",
                                  "weights without x", "not a path", "missing path"])
def test_surface_bad_input_writes_nothing(tmp_path, capsys, case):
    xor_path = tmp_path / "xor_path.npz"
    assert run(capsys, "train", EXAMPLES["xor"], "--steps", 20, "-o", tmp_path / "x.json", "--trajectory",
               xor_path)[0] == 0
    junk = tmp_path / "junk.npz"
    junk.write_text("not an npz")
    args, expect = {
        "pca without path": ((EXAMPLES["xor"], "--plane", "pca"), "--plane pca needs --trajectory"),
        "other network": ((EXAMPLES["circles"], "--plane", "pca", "--trajectory", xor_path), "another network"),
        "zero gradient": ((zero_gradient_document(tmp_path), "--plane", "gradient"), "∇E is 0"),
        "x for gradient": ((EXAMPLES["xor"], "--plane", "gradient", "--x", "x1->h1"), "--plane weights"),
        "weights without x": ((EXAMPLES["xor"],), "needs --x and --y"),
        "not a path": ((EXAMPLES["xor"], "--plane", "pca", "--trajectory", junk), "not a trajectory file"),
        "missing path": ((EXAMPLES["xor"], "--plane", "pca", "--trajectory", tmp_path / "nope.npz"), "cannot read"),
    }[case]
    before = sorted(tmp_path.iterdir())
    out = tmp_path / "s.npz"
    status, stdout, err = run(capsys, "surface", *args, "-o", out)
    assert status == 2 and stdout == ""
    assert expect in one_error_line(err)
    assert sorted(tmp_path.iterdir()) == before


def test_surface_bad_input_through_the_real_entry_point(tmp_path):
    out = tmp_path / "s.npz"
    r = run_process("surface", zero_gradient_document(tmp_path), "--plane", "gradient", "-o", out)
    assert r.returncode == 2 and r.stdout == ""
    assert "cannot form the gradient plane" in one_error_line(r.stderr)
    assert not out.exists()
