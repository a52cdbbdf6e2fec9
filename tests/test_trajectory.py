"""The recorded path (bpgui.core.trajectory): bounded and thinned like the loss history, the newest row always
kept, files read back and checked, and a live run's trajectory ending where the run is."""

from __future__ import annotations

import numpy as np
import pytest

from bpgui.core import Engine, load_document
from bpgui.core.training_run import TrainingRun
from bpgui.core.trajectory import Trajectory, TrajectoryError, TrajectoryRecorder, load_trajectory
from bpgui.resources import example_paths

EXAMPLES = example_paths()


def test_recorder_thins_like_the_loss_history_and_keeps_the_newest():
    rec = TrajectoryRecorder(("a", "b"), capacity=8)
    for s in range(0, 101):
        rec.add(s, np.array([s, -s], dtype=float), float(s) / 10)
    tr = rec.trajectory()
    assert tr.steps[0] == 0 and tr.steps[-1] == 100
    assert len(tr) <= rec.capacity + 1
    assert np.all(np.diff(tr.steps) > 0)
    assert all(s % rec.stride == 0 for s in tr.steps[:-1])
    assert rec.stride > 1
    assert np.array_equal(tr.values, np.column_stack([tr.steps, -tr.steps]).astype(float))
    assert np.array_equal(tr.loss, tr.steps / 10)
    assert not tr.values.flags.writeable


def test_recorder_truncates_when_the_run_goes_back():
    rec = TrajectoryRecorder(("a",), capacity=64)
    for s in range(10):
        rec.add(s, np.array([float(s)]), 0.0)
    rec.truncate(4)
    assert list(rec.trajectory().steps) == [0, 1, 2, 3]
    rec.add(2, np.array([20.0]), 0.0)  # at or before the newest: the run went back there
    tr = rec.trajectory()
    assert list(tr.steps) == [0, 1, 2] and tr.values[-1, 0] == 20.0
    extra = rec.trajectory(current=(7, np.array([7.0]), 1.0))
    assert list(extra.steps) == [0, 1, 2, 7]
    assert list(rec.trajectory().steps) == [0, 1, 2]  # not recorded


def test_recorder_is_bounded_in_bytes_for_big_networks():
    rec = TrajectoryRecorder(tuple(f"p{i}" for i in range(1_000_000)))
    assert rec.capacity * 1_000_000 * 8 <= 32 << 20


def test_file_round_trip_and_checks(tmp_path):
    tr = Trajectory(("a", "b"), np.array([0, 5, 9]), np.arange(6.0).reshape(3, 2), np.array([1.0, 0.5, 0.25]))
    path = tmp_path / "t.npz"
    path.write_bytes(tr.to_npz())
    back = load_trajectory(path)
    assert back.names == ("a", "b")
    assert np.array_equal(back.steps, tr.steps) and np.array_equal(back.values, tr.values)
    assert np.array_equal(back.loss, tr.loss)
    back.check_names(["a", "b"])
    with pytest.raises(TrajectoryError, match="another network.*no 'c'"):
        back.check_names(["a", "b", "c"])
    with pytest.raises(TrajectoryError, match="another order"):
        back.check_names(["b", "a"])


@pytest.mark.parametrize("arrays, message", [
    ({"names": np.array(["a"]), "steps": np.array([0]), "values": np.zeros((1, 1))}, "no 'loss'"),
    ({"names": np.array(["a"]), "steps": np.array([0, 0]), "values": np.zeros((2, 1)), "loss": np.zeros(2)},
     "increasing"),
    ({"names": np.array(["a"]), "steps": np.array([0, 1]), "values": np.zeros((2, 2)), "loss": np.zeros(2)},
     "rows of 1"),
    ({"names": np.array(["a"]), "steps": np.array([0]), "values": np.array([[np.nan]]), "loss": np.zeros(1)},
     "finite"),
    ({"names": np.array(["a", "a"]), "steps": np.array([0]), "values": np.zeros((1, 2)), "loss": np.zeros(1)},
     "distinct"),
])
def test_bad_files_are_refused(tmp_path, arrays, message):
    path = tmp_path / "t.npz"
    np.savez(path, **arrays)
    with pytest.raises(TrajectoryError, match=message):
        load_trajectory(path)


def test_not_a_file_or_not_npz(tmp_path):
    with pytest.raises(TrajectoryError, match="cannot read"):
        load_trajectory(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_text("hello")
    with pytest.raises(TrajectoryError, match="not a trajectory file"):
        load_trajectory(junk)


@pytest.mark.parametrize("batch", [None, 30])
def test_training_run_trajectory_ends_where_the_run_is(batch):
    doc = load_document(EXAMPLES["circles"])
    doc.training.batch_size = batch
    run = TrainingRun(doc.network, doc.data, doc.training)
    start = np.array([doc.network.get_parameter(n) for n in doc.network.parameter_names()])
    run.run(37)
    tr = run.trajectory()
    snap = run.snapshot()
    assert tr.names == snap.names
    assert tr.steps[0] == 0 and tr.steps[-1] == 37 == snap.step
    assert np.array_equal(tr.values[0], start)
    assert np.array_equal(tr.values[-1], snap.values)
    d = run.dataset
    net = doc.network.copy()
    for step, row, e in zip(tr.steps, tr.values, tr.loss):
        net.set_parameters(dict(zip(tr.names, row.tolist())))
        assert e == pytest.approx(Engine(net).loss_value(d.x_train, d.t_train), rel=1e-12), step
    run.reset()
    assert list(run.trajectory().steps) == [0]


def test_training_run_trajectory_is_bounded():
    doc = load_document(EXAMPLES["xor"])
    run = TrainingRun(doc.network, doc.data, doc.training)
    run.path = TrajectoryRecorder(run.path.names, capacity=16)
    run.run(500)
    tr = run.trajectory()
    assert len(tr) <= 16 + 2  # the kept rows, the newest recorded one and the current
    assert tr.steps[0] == 0 and tr.steps[-1] == 500
