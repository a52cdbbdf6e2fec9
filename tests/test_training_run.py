"""The live training run (bpgui.core.training_run) against independent references: replays with a plain Trainer,
central finite differences, Engine.predict, optimizer updates worked out here, and the Glorot bound computed from
the network's own edge lists.

Tests marked ``Regression:`` failed before the fix of the defect their docstring describes.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core import (
    DocumentError,
    Engine,
    GeneratorData,
    Network,
    Trainer,
    TrainingConfig,
    layered,
    load_document,
    numeric_gradient,
    parse_document,
)
from bpgui.core.document import TableData, make_dataset
from bpgui.core.losses import constant_output_loss
from bpgui.core.training_run import (
    RISE,
    STALL_STEPS,
    LossHistory,
    StallWatch,
    TrainingRun,
    TrainingSnapshot,
    initial_parameters,
)
from bpgui.resources import example_paths

EXAMPLES = example_paths()


# ---------------------------------------------------------------------------------------------- helpers
def example(name: str, **training):
    """An example document with some training settings replaced."""
    doc = load_document(EXAMPLES[name])
    for k, v in training.items():
        setattr(doc.training, k, v)
    return doc


def start(doc) -> TrainingRun:
    return TrainingRun(doc.network, doc.data, doc.training)


def with_values(net: Network, values: dict[str, float]) -> Network:
    net = net.copy()
    net.set_parameters(values)
    return net


def replay(doc, steps: int):
    """A plain Trainer stepped ``steps`` times: per step, the parameters (by name) before it and the full training
    and test losses there (index s = after s updates)."""
    trainer = Trainer(doc.network.copy(), doc.dataset(), doc.training.copy())
    params, train, test = [], [], []
    for s in range(steps + 1):
        params.append(trainer.engine.parameter_values())
        train.append(trainer.train_loss())
        test.append(trainer.test_loss())
        if s < steps:
            trainer.step()
    return params, train, test


def vector(values: dict[str, float], names) -> np.ndarray:
    return np.array([values[n] for n in names])


def state_by_name(run: TrainingRun) -> dict[str, dict[str, float]]:
    """The optimizer's per-parameter state (velocity, m, v, ...) keyed by array name, then parameter name.
    (Optimizer.state() also returns Adam's scratch buffer ``_tmp2``: private names are left out.)"""
    eng = run.trainer.engine
    return {key: {n: float(a[eng.index[n]]) for n in eng.parameter_names}
            for key, a in run.trainer.optimizer.state().items() if not key.startswith("_")}


def full_gradient(net: Network, dataset) -> dict[str, float]:
    return Engine(net).gradient(dataset.x_train, dataset.t_train)[1]


def assert_close_dicts(a: dict[str, float], b: dict[str, float], rel=1e-12, abs_=1e-15):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=rel, abs=abs_), k


# ---------------------------------------------------------------------------------------------- LossHistory
def drive(history: LossHistory, steps, value=lambda s: math.sin(s) + 2.0, test=lambda s: -float(s)):
    """Feed ``steps`` through wants/add as a run does; check the capacity after every add. Returns what was added."""
    added = {}
    for s in steps:
        if history.wants(s):
            history.add(s, value(s), test(s))
            added[s] = (value(s), test(s))
            assert history.size <= history.capacity
    return added


def test_history_stays_bounded_over_100k_steps_and_keeps_original_values():
    h = LossHistory()
    added = drive(h, range(100_000))
    steps, train, test = h.arrays()
    assert 0 < len(steps) <= 2048 and h.capacity == 2048
    assert len(steps) >= 1024  # thinned, not emptied
    assert (np.diff(steps) > 0).all()
    assert h.stride > 1 and (steps % h.stride == 0).all()
    # evenly spaced from step 0 up to the last multiple of the stride
    np.testing.assert_array_equal(steps, np.arange(0, 100_000, h.stride)[: len(steps)])
    assert steps[-1] == (99_999 // h.stride) * h.stride
    for s, e, t in zip(steps.tolist(), train.tolist(), test.tolist()):
        assert (e, t) == added[s]


@settings(max_examples=60, deadline=None)
@given(capacity=st.integers(2, 40), n=st.integers(1, 3000))
def test_history_decimation_invariants(capacity, n):
    h = LossHistory(capacity)
    values = np.random.default_rng(n).normal(size=n)
    added = drive(h, range(n), value=lambda s: float(values[s]), test=lambda s: None)
    steps, train, test = h.arrays()
    cap = capacity - capacity % 2
    assert len(steps) <= cap
    assert (np.diff(steps) > 0).all()
    assert (steps % h.stride == 0).all()
    np.testing.assert_array_equal(steps, np.arange(0, steps[-1] + 1, h.stride))
    assert steps[-1] == ((n - 1) // h.stride) * h.stride  # the newest point is as recent as the stride allows
    if h.stride > 1:  # decimated: at least half full
        assert len(steps) >= cap // 2
    else:
        assert len(steps) == n
    np.testing.assert_array_equal(train, [added[s][0] for s in steps.tolist()])
    assert np.isnan(test).all()  # None is stored as NaN


def test_history_arrays_are_read_only_copies():
    h = LossHistory(8)
    drive(h, range(5))
    steps, train, test = h.arrays()
    for a in (steps, train, test):
        with pytest.raises(ValueError):
            a[0] = 123
    drive(h, range(5, 100))  # later adds and decimation do not touch an earlier copy
    np.testing.assert_array_equal(steps, [0, 1, 2, 3, 4])


def test_history_clear():
    h = LossHistory(8)
    drive(h, range(100))
    assert h.stride > 1
    h.clear()
    assert h.size == 0 and h.stride == 1
    assert all(len(a) == 0 for a in h.arrays())
    added = drive(h, range(5))  # records from step 0 again, every step
    np.testing.assert_array_equal(h.arrays()[0], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(h.arrays()[1], [added[s][0] for s in range(5)])


def test_history_cleared_mid_run_keeps_steps_on_the_stride():
    """Regression (latent; TrainingRun itself clears only at step 0): LossHistory.add (the decimation in
    ``add``) keeps every other *index*, which are multiples of the new stride only when recording started at a
    multiple of it. Cleared mid-run and continued from step 7, a history of capacity 8 ends up with steps
    [7, 40, 80, 112, 160, 192] and stride 32: unevenly spaced, and 7, 40, 80, 160 are not multiples of the stride.
    Expected: after every decimation the kept steps are multiples of the stride (e.g. keep ``steps % stride == 0``).
    """
    h = LossHistory(8)
    drive(h, range(7))
    h.clear()
    drive(h, range(7, 200))
    steps = h.arrays()[0]
    assert (steps % h.stride == 0).all(), (steps.tolist(), h.stride)


# ---------------------------------------------------------------------------------------------- run()
def test_xor_loss_history_falls_and_matches_a_replayed_trainer():
    doc = example("xor")
    run = start(doc)
    assert run.run(600) == 600
    snap = run.snapshot()
    steps, train = snap.history_steps, snap.history_train
    np.testing.assert_array_equal(steps, np.arange(600))
    _, want, want_test = replay(doc, 600)
    # point s is the full-batch loss of the parameters after s updates
    np.testing.assert_allclose(train, want[:600], rtol=1e-12, atol=0)
    assert snap.train_loss == pytest.approx(want[600], rel=1e-12)
    assert train[-1] < 0.2 * train[0]
    assert np.mean(train[-50:]) < np.mean(train[:50])
    # no test set: NaN in the history, None in the snapshot
    assert all(t is None for t in want_test) and np.isnan(snap.history_test).all() and snap.test_loss is None
    # the trained values are the replayed ones
    params, _, _ = replay(doc, 600)
    assert_close_dicts(snap.parameters, params[600], rel=1e-12, abs_=1e-14)


def test_minibatch_history_records_the_full_training_and_test_loss():
    doc = example("circles", batch_size=30)
    run = start(doc)
    assert run.run(40) == 40
    _, train, test = replay(doc, 40)
    snap = run.snapshot()
    np.testing.assert_array_equal(snap.history_steps, np.arange(40))
    np.testing.assert_allclose(snap.history_train, train[:40], rtol=1e-12, atol=0)
    np.testing.assert_allclose(snap.history_test, test[:40], rtol=1e-12, atol=0)
    assert snap.test_loss == pytest.approx(test[40], rel=1e-12)
    assert snap.train_loss == pytest.approx(train[40], rel=1e-12)


def test_test_loss_in_history_equals_engine_loss_value_on_the_test_set():
    doc = example("circles")
    ds = doc.dataset()
    assert len(ds.x_test) == 60
    run = start(doc)
    params, _, _ = replay(doc, 25)
    for chunk in (1, 7, 17):
        run.run(chunk)
    assert run.step_count == 25
    snap = run.snapshot()
    for s, t in zip(snap.history_steps.tolist(), snap.history_test.tolist()):
        eng = Engine(with_values(doc.network, params[s]))
        assert t == pytest.approx(eng.loss_value(ds.x_test, ds.t_test), rel=1e-12), s
    eng = Engine(with_values(doc.network, params[25]))
    assert snap.test_loss == pytest.approx(eng.loss_value(ds.x_test, ds.t_test), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(chunks=st.lists(st.integers(0, 40), max_size=5))
def test_run_n_advances_exactly_n(chunks):
    run = start(example("xor"))
    total = 0
    for n in chunks:
        assert run.run(n) == n
        total += n
        assert run.step_count == total
        assert run.snapshot().step == total
    assert run.history.size == total


def test_deadline_stops_early():
    run = start(example("xor"))
    many = 300_000  # seconds of work: a run that ignored the deadline would fail below, not hang
    done = run.run(many, deadline=time.perf_counter() - 1.0)  # already passed
    assert 0 < done <= 8 and run.step_count == done
    t0 = time.perf_counter()
    done2 = run.run(many, deadline=t0 + 0.02)
    assert time.perf_counter() - t0 < 1.0
    assert 0 < done2 < many and run.step_count == done + done2
    assert run.history.size == done + done2
    calls = []
    done3 = run.run(many, keep_going=lambda: calls.append(1) or len(calls) < 3)  # false on the third call
    assert done3 == 3 and len(calls) == 3  # asked after every step (a pause must not wait for slow steps)


# ---------------------------------------------------------------------------------------------- run_epoch()
@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 260), offset=st.integers(0, 300))
def test_run_epoch_finishes_the_current_epoch(batch, offset):
    doc = example("circles", batch_size=batch)
    n = len(doc.dataset().x_train)
    assert n == 240
    b = min(batch, n)
    per_epoch = -(-n // b)
    run = start(doc)
    offset %= per_epoch
    run.run(offset)
    assert run.epoch == 0
    done = run.run_epoch()
    assert done == per_epoch - offset  # exactly to the end of the epoch
    assert run.epoch == 1 and run.step_count == per_epoch
    assert run.run_epoch() == per_epoch  # a whole one from an epoch boundary
    assert run.epoch == 2 and run.step_count == 2 * per_epoch


def test_run_epoch_full_batch_is_one_step():
    run = start(example("xor"))
    assert run.run_epoch() == 1 and run.epoch == 1 and run.step_count == 1


# ---------------------------------------------------------------------------------------------- snapshot()
def test_snapshot_arrays_are_read_only():
    run = start(example("circles"))
    run.run(3)
    snap = run.snapshot(playing=True, steps_per_second=12.5)
    assert isinstance(snap, TrainingSnapshot) and snap.playing and snap.steps_per_second == 12.5
    arrays = [snap.values, snap.gradient, snap.history_steps, snap.history_train, snap.history_test,
              snap.grid_x, snap.grid_y, snap.grid_outputs]
    if getattr(snap, "boundary", None) is not None and snap.boundary.size:
        arrays.append(snap.boundary)
    for a in arrays:
        with pytest.raises(ValueError):
            a[(0,) * a.ndim] = 1.0
    before = snap.values.copy()
    run.run(5)  # a snapshot is a copy: training on does not change it
    np.testing.assert_array_equal(snap.values, before)
    assert snap.step == 3


def mixed_network() -> Network:
    """xor with a relu and another tanh hidden neuron and a skip edge: the engine's compiled order (grouped by
    activation) differs from the document's parameter order."""
    doc = example("xor")
    net = doc.network.copy()
    net.add_neuron("h3", 1, "relu", 0.1)
    net.add_neuron("h4", 1, "tanh", -0.2)
    for a, b, w in (("x1", "h3", 0.3), ("x2", "h3", -0.7), ("x1", "h4", 0.9), ("x2", "h4", 0.4),
                    ("h3", "y1", 0.5), ("h4", "y1", -0.6), ("x1", "y1", 0.25)):
        net.add_edge(a, b, w)
    return net


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_snapshot_gradient_is_the_finite_difference_gradient_of_the_training_loss(name):
    doc = example(name)
    if name == "xor":
        doc.network = mixed_network()
    run = start(doc)
    run.run(30)
    snap = run.snapshot()
    assert snap.names == tuple(doc.network.parameter_names())
    eng = Engine(with_values(doc.network, snap.parameters))  # an engine of its own at the snapshot's values
    ds = doc.dataset()
    assert snap.train_loss == pytest.approx(eng.loss_value(ds.x_train, ds.t_train), rel=1e-12)
    for name_, g in zip(snap.names, snap.gradient.tolist()):
        fd = numeric_gradient(eng, ds.x_train, ds.t_train, name_, h=1e-5)
        assert g == pytest.approx(fd, rel=1e-5, abs=1e-8), name_
    assert np.abs(snap.gradient).max() > 1e-4  # not trivially zero


def test_snapshot_values_follow_the_document_parameter_order():
    doc = example("xor")
    doc.network = mixed_network()
    run = start(doc)
    run.run(12)
    snap = run.snapshot()
    names = doc.network.parameter_names()
    assert list(snap.names) == names
    params, _, _ = replay(doc, 12)
    np.testing.assert_allclose(snap.values, vector(params[12], names), rtol=1e-12, atol=1e-14)
    assert snap.parameters == dict(zip(names, snap.values.tolist()))
    assert run.parameter_values() == snap.parameters


def test_snapshot_grid_outputs_are_engine_predictions_on_the_grid():
    doc = example("circles")
    run = start(doc)
    run.run(20)
    snap = run.snapshot()
    gx, gy, out = snap.grid_x, snap.grid_y, snap.grid_outputs
    assert out.shape == (len(gy), len(gx), 1)
    ds = doc.dataset()
    x = np.concatenate([ds.x_train, ds.x_test])
    # the grid spans all the data (train and test), evenly spaced
    assert gx[0] < x[:, 0].min() and gx[-1] > x[:, 0].max()
    assert gy[0] < x[:, 1].min() and gy[-1] > x[:, 1].max()
    np.testing.assert_allclose(np.diff(gx), np.diff(gx)[0], rtol=1e-9)
    eng = Engine(with_values(doc.network, snap.parameters))
    points = [(gx[j], gy[i]) for i in range(len(gy)) for j in range(len(gx))]
    want = eng.predict(np.array(points)).reshape(len(gy), len(gx), 1)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-14)
    # spot checks one point at a time: row i is y, column j is x
    for i, j in ((0, 0), (0, 63), (63, 0), (10, 50), (50, 10)):
        assert out[i, j, 0] == pytest.approx(eng.predict([[gx[j], gy[i]]])[0, 0], rel=1e-12)
    assert out.std() > 1e-3  # a surface, not a constant


def test_snapshot_curve_for_1d_data_is_engine_predictions():
    doc = example("sine")
    run = start(doc)
    run.run(20)
    snap = run.snapshot()
    assert snap.grid_y is None and snap.grid_x.ndim == 1
    assert snap.grid_outputs.shape == (len(snap.grid_x), 1)
    ds = doc.dataset()
    x = np.concatenate([ds.x_train, ds.x_test])[:, 0]
    assert snap.grid_x[0] < x.min() and snap.grid_x[-1] > x.max()
    eng = Engine(with_values(doc.network, snap.parameters))
    np.testing.assert_allclose(snap.grid_outputs, eng.predict(snap.grid_x[:, None]), rtol=1e-12, atol=1e-14)
    for j in (0, 77, len(snap.grid_x) - 1):
        assert snap.grid_outputs[j, 0] == pytest.approx(float(np.asarray(eng.predict([[snap.grid_x[j]]]))[0, 0]),
                                                        rel=1e-12)


def test_no_grid_for_three_inputs():
    net = layered([3, 2, 1], "tanh", "linear", "half_sse", weights=lambda a, b: 0.3)
    rng = np.random.default_rng(0)
    data = TableData(rng.normal(size=(6, 3)), rng.normal(size=(6, 1)))
    snap = TrainingRun(net, data, TrainingConfig()).snapshot()
    assert snap.grid_x is None and snap.grid_y is None and snap.grid_outputs is None


def test_run_copies_its_inputs():
    """Changing the caller's network or config afterwards does not change the run."""
    doc = example("xor")
    cfg = doc.training.copy()
    run = TrainingRun(doc.network, doc.data, cfg)
    cfg.learning_rate = 100.0
    cfg.hyperparameters["momentum"] = 0.5
    doc.network.set_parameter("x1->h1", 9.0)
    p0 = run.parameter_values()
    assert p0["x1->h1"] == 0.126
    g = full_gradient(load_document(EXAMPLES["xor"]).network, doc.dataset())
    run.run(1)
    assert_close_dicts(run.parameter_values(), {n: p0[n] - 0.5 * g[n] for n in p0})


def test_training_config_copy_is_independent():
    cfg = TrainingConfig(optimizer="adam", learning_rate=0.1, hyperparameters={"beta1": 0.8}, steps_per_second=30.0)
    c = cfg.copy()
    assert c == cfg and c is not cfg and c.hyperparameters is not cfg.hyperparameters
    c.hyperparameters["beta1"] = 0.5
    c.steps_per_second = None
    assert cfg.hyperparameters == {"beta1": 0.8} and cfg.steps_per_second == 30.0


# ---------------------------------------------------------------------------------------------- adopt()
def test_adopt_same_structure_takes_the_values_and_keeps_momentum():
    doc = example("xor", optimizer="momentum", learning_rate=0.1)
    run = start(doc)
    run.run(10)
    state = state_by_name(run)["velocity"]
    assert any(abs(v) > 1e-6 for v in state.values())
    moved = {n: v + 0.05 * (i + 1) for i, (n, v) in enumerate(run.parameter_values().items())}
    edited = with_values(doc.network, moved)
    run.adopt(edited, generation=7)
    assert run.parameter_values() == edited.parameters()
    assert state_by_name(run)["velocity"] == state  # momentum kept
    assert run.step_count == 10 and run.snapshot().generation == 7
    # the next step is the momentum update from the adopted values: v ← 0.9 v + g; p ← p − η v
    g = full_gradient(edited, doc.dataset())
    p = edited.parameters()
    v = {n: 0.9 * state[n] + g[n] for n in p}
    run.run(1)
    assert_close_dicts(run.parameter_values(), {n: p[n] - 0.1 * v[n] for n in p})
    assert_close_dicts(state_by_name(run)["velocity"], v)
    # and the history point of step 10 is the loss of the adopted values
    ds = doc.dataset()
    assert run.snapshot().history_train[10] == pytest.approx(Engine(edited).loss_value(ds.x_train, ds.t_train),
                                                             rel=1e-12)


def test_adopt_added_edge_keeps_adam_state_by_name_and_continues():
    doc = example("xor", optimizer="adam", learning_rate=0.03)
    run = start(doc)
    run.run(10)
    old = state_by_name(run)
    edited = with_values(doc.network, run.parameter_values())
    edited.add_edge("x1", "y1", 0.25)
    run.adopt(edited, generation=3)
    assert run.problem is None and run.diverged is None
    assert run.parameter_values() == edited.parameters()
    new = state_by_name(run)
    for key in ("m", "v"):
        for n, value in new[key].items():
            assert value == (0.0 if n == "x1->y1" else old[key][n]), (key, n)
    assert run.trainer.optimizer.t == 10  # Adam's bias correction continues
    assert run.step_count == 10
    assert run.run(5) == 5 and run.step_count == 15
    snap = run.snapshot()
    assert snap.generation == 3 and "x1->y1" in snap.names
    np.testing.assert_array_equal(snap.history_steps, np.arange(15))
    ds = doc.dataset()
    assert snap.history_train[10] == pytest.approx(Engine(edited).loss_value(ds.x_train, ds.t_train), rel=1e-12)
    assert snap.history_train[9] == pytest.approx(replay(doc, 9)[1][9], rel=1e-12)  # the old part is kept


def test_adopt_removed_neuron_keeps_state_of_surviving_parameters():
    doc = example("xor", optimizer="momentum", learning_rate=0.1)
    run = start(doc)
    run.run(8)
    old = state_by_name(run)["velocity"]
    edited = with_values(doc.network, run.parameter_values())
    edited.remove_neuron("h2")
    run.adopt(edited)
    new = state_by_name(run)["velocity"]
    assert set(new) == {"x1->h1", "x2->h1", "h1->y1", "h1.bias", "y1.bias"}
    assert new == {n: old[n] for n in new}
    assert run.step_count == 8 and run.history.size == 8
    assert run.snapshot().names == tuple(edited.parameter_names())
    # the next step uses the kept velocity
    g = full_gradient(edited, doc.dataset())
    p = edited.parameters()
    run.run(1)
    assert_close_dicts(run.parameter_values(), {n: p[n] - 0.1 * (0.9 * old[n] + g[n]) for n in p})


# ---------------------------------------------------------------------------------------------- set_config()
def test_learning_rate_change_takes_effect_on_the_next_step():
    doc = example("xor")  # sgd, 0.5
    run = start(doc)
    run.run(5)
    cfg = doc.training.copy()
    cfg.learning_rate = 0.1
    run.set_config(cfg)
    cfg.learning_rate = 7.0  # the run took a copy
    p = run.parameter_values()
    g = full_gradient(with_values(doc.network, p), doc.dataset())
    run.run(1)
    assert_close_dicts(run.parameter_values(), {n: p[n] - 0.1 * g[n] for n in p})
    assert run.step_count == 6 and run.history.size == 6


def test_optimizer_change_gives_fresh_state():
    doc = example("xor", optimizer="momentum", learning_rate=0.1)
    run = start(doc)
    run.run(10)
    p = run.parameter_values()
    cfg = doc.training.copy()
    cfg.optimizer = "adam"
    cfg.learning_rate = 0.01
    run.set_config(cfg)
    assert run.parameter_values() == p and run.step_count == 10
    state = state_by_name(run)
    assert set(state) == {"m", "v"} and all(v == 0.0 for a in state.values() for v in a.values())
    assert run.trainer.optimizer.t == 0
    # Adam's first step from fresh state: m̂ = g, v̂ = g², so p ← p − η g / (|g| + ε)
    g = full_gradient(with_values(doc.network, p), doc.dataset())
    run.run(1)
    assert_close_dicts(run.parameter_values(), {n: p[n] - 0.01 * g[n] / (abs(g[n]) + 1e-8) for n in p},
                       rel=1e-10, abs_=1e-14)


def test_batch_size_change_keeps_parameters_step_and_history():
    doc = example("circles")  # adam, full batch
    run = start(doc)
    run.run(10)
    p = run.parameter_values()
    m = state_by_name(run)["m"]
    steps, train, _ = run.history.arrays()
    cfg = doc.training.copy()
    cfg.batch_size = 30
    run.set_config(cfg)
    assert run.parameter_values() == p
    assert run.step_count == 10 and run.epoch == 10
    assert state_by_name(run)["m"] == m  # same optimizer: its state stays
    assert run.run_epoch() == 8 and run.epoch == 11  # 240 training points in batches of 30
    snap = run.snapshot()
    np.testing.assert_array_equal(snap.history_steps, np.arange(18))
    np.testing.assert_array_equal(snap.history_train[:10], train)
    ds = doc.dataset()
    assert snap.history_train[10] == pytest.approx(
        Engine(with_values(doc.network, p)).loss_value(ds.x_train, ds.t_train), rel=1e-12)


def test_invalid_hyperparameter_stops_training():
    """Regression: TrainingRun.set_config (training_run.py, the ``except ValueError`` branch after make_optimizer) sets
    ``problem`` ("Cannot train: momentum: momentum must be ...") but leaves the old optimizer in place and
    ``can_train`` True, so run() keeps training with the previous optimizer (here SGD) while the problem is shown.
    Expected: run() returns 0 while ``problem`` is set (as it does for every other problem)."""
    doc = example("xor")
    run = start(doc)
    cfg = doc.training.copy()
    cfg.optimizer = "momentum"
    cfg.hyperparameters = {"momentum": 1.5}
    run.set_config(cfg)
    assert run.problem and "momentum" in run.problem
    assert run.run(5) == 0


def test_valid_config_clears_a_hyperparameter_problem():
    """Regression: after an invalid hyperparameter, a valid config builds a working optimizer but nothing clears
    ``problem`` (training_run.py, set_config's optimizer branch never resets it), so the stale "Cannot train: ..."
    message stays in every snapshot while training goes on. Expected: problem is None after the valid config."""
    doc = example("xor")
    run = start(doc)
    bad = doc.training.copy()
    bad.optimizer = "momentum"
    bad.hyperparameters = {"momentum": 1.5}
    run.set_config(bad)
    good = bad.copy()
    good.hyperparameters = {"momentum": 0.5}
    run.set_config(good)
    assert run.trainer.optimizer.momentum == 0.5
    assert run.problem is None


def test_negative_learning_rate_is_rejected_like_in_a_new_run():
    """Regression: a learning-rate-only change (training_run.py, set_config's last branch) assigns
    ``optimizer.learning_rate = float(config.learning_rate)`` unchecked, so -1 silently turns training into gradient
    ascent; the same config given to a new TrainingRun (or with any batch size change) gives a problem
    "Cannot train: learning rate must be a positive number". Expected: the same problem, and run() returns 0."""
    doc = example("xor")
    bad = doc.training.copy()
    bad.learning_rate = -1.0
    fresh = TrainingRun(doc.network, doc.data, bad)
    assert fresh.problem and "learning rate" in fresh.problem and fresh.run(1) == 0  # the reference behaviour
    run = start(doc)
    run.run(2)
    run.set_config(bad)
    assert run.problem and "learning rate" in run.problem
    assert run.run(1) == 0


# ---------------------------------------------------------------------------------------------- divergence
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_huge_learning_rate_diverges_stops_and_restores():
    doc = example("xor", learning_rate=1e3)
    run = start(doc)
    done = run.run(1000)
    assert 0 < done < 1000 and run.step_count == done
    assert run.diverged and "learning rate 1000" in run.diverged and "diverged" in run.diverged
    assert not run.can_train
    size = run.history.size
    assert run.run(50) == 0 and run.run_epoch() == 0  # nothing until restored or resumed
    assert run.step_count == done and run.history.size == size
    snap = run.snapshot()
    assert snap.diverged == run.diverged and snap.step == done
    back = snap.restore_step
    run.restore_finite()
    assert run.diverged is None and run.can_train
    assert run.step_count == back  # the step of the weights it went back to
    restored = run.parameter_values()
    assert all(math.isfinite(v) for v in restored.values())
    ds = doc.dataset()
    assert math.isfinite(Engine(with_values(doc.network, restored)).loss_value(ds.x_train, ds.t_train))
    # the restored values are ones the run went through (a replay's parameters after some k ≤ done updates)
    params, losses, _ = replay(doc, done)
    names = doc.network.parameter_names()
    matches = [k for k in range(done + 1) if np.allclose(vector(params[k], names), vector(restored, names),
                                                         rtol=1e-12, atol=1e-14)]
    assert back in matches and all(math.isfinite(losses[k]) for k in matches)
    assert state_by_name(run) == {}  # sgd: no state; fresh optimizer
    assert run.run(1) == 1 and run.step_count == back + 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_restore_finite_goes_back_to_the_last_good_values_not_the_start():
    """50 good steps at 0.5, then 1e3: restore_finite gives the last checkpoint (every 8th step, and the step where
    the new learning rate came in) whose loss was finite and within 100× the loss where the run last (re)started,
    from a replay, at that checkpoint's step; not the first parameters."""
    doc = example("xor")
    run = start(doc)
    run.run(50)
    cfg = doc.training.copy()
    cfg.learning_rate = 1e3
    run.set_config(cfg)
    run.run(1000)
    # the step whose loss blew up is not applied: the run stands at it
    assert run.diverged and f"step {run.step_count:,}" in run.diverged
    end = run.step_count
    trainer = Trainer(doc.network.copy(), doc.dataset(), doc.training.copy())
    params, losses = [], []
    for k in range(end + 1):
        params.append(trainer.engine.parameter_values())
        losses.append(trainer.train_loss())
        if k == 50:
            trainer.optimizer.learning_rate = 1e3
        trainer.step()
    # the history ends with the loss that stopped the run
    np.testing.assert_allclose(run.snapshot().history_train, losses[:end + 1], rtol=1e-12)
    limit = 100 * max(losses[50], 0.01)  # the new learning rate restarts the blow-up measure
    good = [k for k in range(50, end) if (k == 50 or k % 8 == 0) and math.isfinite(losses[k]) and losses[k] <= limit]
    assert good[-1] >= 50
    run.restore_finite()
    assert_close_dicts(run.parameter_values(), params[good[-1]], abs_=1e-14)
    assert run.step_count == good[-1] and run.diverged is None
    np.testing.assert_allclose(run.snapshot().history_train, losses[:good[-1]], rtol=1e-12)


def relu_regression(lr: float) -> TrainingRun:
    rng = np.random.default_rng(0)
    net = layered([1, 8, 1], "relu", "linear", "half_sse", weights=lambda a, b: rng.normal(0, 1))
    return TrainingRun(net, GeneratorData("sine", n=50, noise=0.0, test_fraction=0.2, seed=1),
                       TrainingConfig(optimizer="sgd", learning_rate=lr))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_non_finite_parameters_are_caught():
    run = relu_regression(1e200)  # the first update overflows
    p0 = run.parameter_values()
    done = run.run(100)
    assert done < 100 and run.diverged and "learning rate 1e+200" in run.diverged
    snap = run.snapshot()  # no exception
    # the update that made the loss non-finite is not applied; the weights may still be huge or non-finite
    assert not (snap.finite and math.isfinite(snap.train_loss))
    assert run.run(3) == 0
    run.resume()  # not finite: back to the last finite values
    assert run.diverged is None
    restored = run.snapshot()
    assert restored.finite and math.isfinite(restored.train_loss)
    assert restored.parameters == p0  # only the very first parameters had a finite loss
    cfg = TrainingConfig(optimizer="sgd", learning_rate=0.01)
    run.set_config(cfg)
    assert run.run(20) == 20 and run.diverged is None


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_resume_after_a_finite_blow_up_goes_on_from_where_it_is():
    run = relu_regression(1e6)
    run.run(100)
    assert run.diverged and "grew" in run.diverged
    here = run.parameter_values()
    assert all(math.isfinite(v) for v in here.values())
    run.resume()
    assert run.diverged is None and run.parameter_values() == here
    step = run.step_count
    assert run.run(1) == 1 and run.step_count == step + 1


def test_small_batches_of_a_converged_network_do_not_count_as_divergence():
    """Regression: run() (training_run.py, ``self._limit = BLOWUP * max(e, 0.01)`` and the ``e <= self._limit`` test)
    compares each *minibatch* loss with 100× the first minibatch loss. Batch losses of one network differ by far
    more than that: here a line fitted exactly except for one outlier, batch size 1, learning rate 1e-4. The first
    batch has loss 0 (limit 1), the outlier's batch has loss 50, and the run reports "Training diverged ... the loss
    grew from 0 to 50. The learning rate 0.0001 is probably too large" although the training loss has not moved.
    Expected: no divergence (e.g. judge blow-ups on the full training loss, or against the largest batch loss seen
    in the first epoch)."""
    net = layered([1, 1], "tanh", "linear", "half_sse", weights=lambda a, b: 2.0)
    x = np.linspace(-1, 1, 10)[:, None]
    t = 2.0 * x
    t[3, 0] += 10.0  # one outlier: its half squared error is 50
    data = TableData(x, t)
    run = TrainingRun(net, data, TrainingConfig(optimizer="sgd", learning_rate=1e-4, batch_size=1, seed=0))
    before = run.snapshot().train_loss
    assert before == pytest.approx(5.0)
    run.run(30)
    after = run.snapshot().train_loss
    assert abs(after - before) < 0.01 * before  # training has barely changed anything
    assert run.diverged is None, run.diverged


def test_new_data_is_not_taken_for_divergence():
    """Regression: set_data (training_run.py, set_data → _keep_params_rebuild) keeps ``_limit``, the blow-up threshold
    measured when the run started, while adopt() resets it because "an edit may raise the loss". A run started on
    a trained xor network (loss ≈ 0.002, limit 1.0) given the flipped labels (loss ≈ 6.2) stops at once with "the
    loss grew from 0.002 to 6.17. The learning rate 0.5 is probably too large". A new run on the same values and
    data trains normally. Expected: set_data (and set_config) measure blow-ups afresh, like adopt()."""
    doc = example("xor")
    trainer = Trainer(doc.network.copy(), doc.dataset(), doc.training)
    trainer.train(3000)
    trained = with_values(doc.network, trainer.engine.parameter_values())
    flipped = TableData(doc.data.inputs.copy(), 1.0 - doc.data.targets)
    reference = TrainingRun(trained, flipped, doc.training)
    assert reference.run(10) == 10 and reference.diverged is None  # the reference: a fresh run trains fine
    run = TrainingRun(trained, doc.data, doc.training)
    run.run(5)
    run.set_data(flipped)
    assert run.snapshot().train_loss > 5.0
    assert run.run(10) == 10 and run.diverged is None, run.diverged


# ---------------------------------------------------------------------------------------------- stalls
def full_losses(doc, steps: int) -> list[float]:
    """The full training loss before each of ``steps`` updates of a plain Trainer (index s: after s updates)."""
    trainer = Trainer(doc.network.copy(), doc.dataset(), doc.training.copy())
    losses = []
    for _ in range(steps):
        losses.append(trainer.train_loss())
        trainer.step()
    return losses


def test_the_reported_saturation_pauses_the_run_and_says_why():
    """Regression (issue: "a learning rate of 50 on XOR drives the loss from 0.70 to ~10 where it stays, flat, for
    260,000 steps: no pause, no message"). TrainingRun.run only stopped on a non-finite loss or a 100× rise, so the
    run trained on for ever at a loss 14× its start. Expected: it pauses once the loss has stayed far up (3× the
    start, no 10% fall) for STALL_STEPS steps, with a message that says what happened and what to do."""
    doc = example("xor", learning_rate=50.0)
    # the reference: a plain Trainer's losses jump at the second update (1.02, 10.3, 26.0, ...) and stay above 3×
    # the start, never 10% below 10.3; the lowest is 9.91
    losses = full_losses(doc, STALL_STEPS + 3)
    assert losses[0] == pytest.approx(0.7027, abs=1e-4) and losses[2] == pytest.approx(10.33, abs=0.01)
    assert losses[1] < 3 * losses[0] < min(losses[2:]) and min(losses[2:]) >= 0.9 * losses[2]
    assert min(losses[2:]) == pytest.approx(9.91, abs=0.005)
    run = start(doc)
    done = run.run(300_000)
    # stopped after the step at which the stretch (from step 2) reached STALL_STEPS steps
    assert done == STALL_STEPS + 3 and run.step_count == done
    assert run.diverged is not None and not run.can_train
    text = run.diverged
    assert f"step {done:,}" in text
    assert "jumped from 0.703 to 9.91 or more" in text and f"{STALL_STEPS:,} steps" in text
    assert "learning rate 50 " in text and "try 5 or smaller" in text
    assert "h1 and h2 are saturated" in text  # their tanh is flat on every point (y1 has a gradient under bce)
    ev = Engine(with_values(doc.network, run.parameter_values())).evaluate(doc.dataset().x_train,
                                                                           doc.dataset().t_train)
    assert np.abs(ev.dout_dnet["h1"]).max() < 1e-3 and np.abs(ev.dout_dnet["h2"]).max() < 1e-3
    assert run.run(10) == 0  # nothing until restored or resumed


def test_restore_after_a_stall_goes_back_to_before_the_jump_with_its_step():
    """Regression (issue: "after Restore, the status bar still says the old step and the message says 'finite'
    although every loss was finite"). restore_finite kept the step count and went back to the last checkpoint
    with a finite loss, which after a stall is a saturated one. Expected: back to the last checkpoint before the
    loss went up (here step 0: the next checkpoint, step 8, is after the jump at step 2), with its step, epoch
    and history, and a note that says so."""
    doc = example("xor", learning_rate=50.0)
    run = start(doc)
    run.run(10_000)
    snap = run.snapshot()
    assert snap.diverged and snap.restore_step == 0
    assert "before the loss jumped" in snap.restore_note and "finite" not in snap.restore_note
    run.restore_finite()
    assert run.diverged is None and run.can_train
    assert run.step_count == 0 and run.epoch == 0 and run.history.size == 0
    assert run.parameter_values() == doc.network.parameters()
    after = run.snapshot()
    assert after.step == 0 and after.restore_step is None and after.train_loss == pytest.approx(0.7027, abs=1e-4)
    # on from there at a sane learning rate: exactly the steps of a fresh run
    cfg = doc.training.copy()
    cfg.learning_rate = 0.5
    run.set_config(cfg)
    assert run.run(20) == 20 and run.step_count == 20
    np.testing.assert_allclose(run.snapshot().history_train, full_losses(example("xor"), 20), rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_restore_after_a_blow_up_rewinds_to_the_checkpoint_step():
    """Regression: after a divergence restore_finite went back to the last checkpoint's weights but left the step
    count (and the loss history) at the divergence. Expected: step, epoch and history of the checkpoint."""
    doc = example("xor", learning_rate=1e3)
    run = start(doc)
    run.run(1000)
    snap = run.snapshot()
    k = snap.restore_step
    assert snap.diverged and k is not None and k < run.step_count
    assert "finite" in snap.restore_note or "grew" in snap.restore_note
    run.restore_finite()
    assert run.step_count == k and run.epoch == k  # full batch: a step is an epoch
    params, _, _ = replay(doc, k)
    assert_close_dicts(run.parameter_values(), params[k], abs_=1e-14)
    assert run.history.arrays()[0].tolist() == list(range(k))


def test_minibatch_restore_rewinds_step_epoch_and_the_place_in_the_epoch():
    """After a stall with minibatches: Step Epoch from the restored state ends the epoch it was in, as it would
    have from there (the cursor goes back with the step)."""
    doc = example("circles", optimizer="sgd", learning_rate=10.0, batch_size=3)
    run = start(doc)
    n = len(doc.dataset().x_train)
    per_epoch = -(-n // 3)
    run.run(30_000)
    snap = run.snapshot()
    assert snap.diverged and "jumped" in snap.diverged, snap.diverged
    k = snap.restore_step
    assert k % per_epoch and k > per_epoch  # part way through a later epoch
    run.restore_finite()
    assert run.step_count == k and run.epoch == k // per_epoch
    left = per_epoch - k % per_epoch
    assert run.run_epoch() == left and run.epoch == k // per_epoch + 1


@pytest.mark.parametrize("name,training", [
    ("xor", {}), ("circles", {}), ("sine", {}), ("backprop_by_hand", {}),
    ("xor", {"optimizer": "adam", "learning_rate": 0.05}),
    ("xor", {"optimizer": "momentum", "learning_rate": 0.5}),
    ("circles", {"optimizer": "adam", "learning_rate": 0.05, "batch_size": 10}),
    ("sine", {"optimizer": "momentum", "learning_rate": 0.05, "batch_size": 8}),
    ("circles", {"optimizer": "rmsprop", "learning_rate": 0.01, "batch_size": 1}),
])
def test_ordinary_training_never_stalls(name, training):
    run = start(example(name, **training))
    assert run.run(3000) == 3000 and run.diverged is None, run.diverged


def test_a_loss_that_rises_for_a_while_and_comes_back_is_not_a_stall():
    """adagrad at 50 on xor: the loss rises to 70× its start and stays above 3× for about 300 steps, then falls
    to 0.69 (the reference: a plain Trainer). Not a stall: it came back before STALL_STEPS steps."""
    doc = example("xor", optimizer="adagrad", learning_rate=50.0)
    losses = np.array(full_losses(doc, 2000))
    high = np.flatnonzero(losses > 3 * losses[0])
    assert 250 < len(high) < STALL_STEPS and high[-1] < STALL_STEPS and losses[-1] < 1.2 * losses[0]
    assert losses.max() > 50 * losses[0]  # but not a blow-up (100×)
    run = start(doc)
    assert run.run(2000) == 2000 and run.diverged is None


def test_a_converged_run_with_a_larger_learning_rate_is_judged_against_the_constant_answer():
    """A trained xor network (loss ~0.002) given a larger learning rate: the guard restarts there, but a rise to
    some multiple of 0.002 is not "far up": the limit is 3× the loss of always answering the average (ln 2)."""
    doc = example("xor")
    trainer = Trainer(doc.network.copy(), doc.dataset(), doc.training)
    trainer.train(3000)
    run = TrainingRun(with_values(doc.network, trainer.engine.parameter_values()), doc.data,
                      example("xor", optimizer="adam", learning_rate=0.2).training)
    assert run.snapshot().train_loss < 0.01
    assert run.run(3000) == 3000 and run.diverged is None, run.diverged


def test_constant_output_loss_is_the_loss_of_answering_the_mean():
    """Hand-worked values, and the engine's loss of a network whose weights are 0 and whose output biases give
    the mean target (so it ignores its inputs)."""
    t_xor = np.array([[0.0], [1.0], [1.0], [0.0]])
    assert constant_output_loss("bce", t_xor) == pytest.approx(math.log(2), rel=1e-12)
    t = np.array([[1.0, -2.0], [3.0, 0.0], [2.0, 5.0]])
    var = t.var(axis=0)
    assert constant_output_loss("half_sse", t) == pytest.approx(0.5 * var.sum(), rel=1e-12)
    assert constant_output_loss("mse", t) == pytest.approx(var.mean(), rel=1e-12)
    onehot = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    assert constant_output_loss("cross_entropy", onehot) == pytest.approx(-(0.25 * math.log(0.25)
                                                                             + 0.75 * math.log(0.75)), rel=1e-12)
    x = np.array([[0.3, -1.0], [2.0, 0.5], [-0.7, 0.1], [1.0, 1.0]])
    t_bce = np.array([[0.0], [1.0], [1.0], [1.0]])
    for loss, out_act, target, bias in [("bce", "sigmoid", t_bce, [math.log(3)]),
                                        ("half_sse", "linear", t[:, :1], None),
                                        ("cross_entropy", "linear", onehot, [math.log(0.25), math.log(0.75)])]:
        k = target.shape[1]
        net = layered([2, k], "tanh", out_act, loss, weights=lambda a, b: 0.0)
        xs = x[: len(target)]
        means = target.mean(axis=0)
        for j, o in enumerate(net.outputs):
            net.set_parameters({f"{o.id}.bias": bias[j] if bias else float(means[j])})
        assert Engine(net).loss_value(xs, target) == pytest.approx(constant_output_loss(loss, target), rel=1e-9)


# the guard itself, on hand-made losses
def feed(watch: StallWatch, losses, first_step: int = 1) -> int | None:
    """The step at which ``watch`` calls a stall, or None."""
    for s, e in enumerate(losses, first_step):
        if watch.observe(s, e):
            return s
    return None


def test_stall_watch_limit_is_a_multiple_of_the_start_the_constant_answer_or_a_floor():
    assert StallWatch(0.7, 0.69).limit == pytest.approx(RISE * 0.7)
    assert StallWatch(0.002, 0.69).limit == pytest.approx(RISE * 0.69)
    assert StallWatch(0.0, 0.0).limit == pytest.approx(RISE * 0.01)


def test_stall_watch_calls_a_stall_after_exactly_stall_steps_above_the_limit():
    w = StallWatch(1.0, 0.5)
    assert feed(w, [10.0] * (STALL_STEPS + 5)) == 1 + STALL_STEPS
    w = StallWatch(1.0, 0.5)
    assert feed(w, [10.0] * STALL_STEPS) is None


def test_stall_watch_forgets_a_stretch_once_the_loss_comes_back():
    w = StallWatch(1.0, 0.5)
    losses = [10.0] * (STALL_STEPS - 1) + [2.9] + [10.0] * (STALL_STEPS - 1)
    assert feed(w, losses) is None  # 3.0 is the limit: 2.9 is back
    # the new stretch began at step STALL_STEPS + 1
    assert w.observe(2 * STALL_STEPS, 10.0) is False and w.observe(2 * STALL_STEPS + 1, 10.0) is True


def test_stall_watch_a_falling_loss_is_progress_and_an_oscillating_one_is_not():
    w = StallWatch(1.0, 0.5)
    falling = [20.0 * 0.99 ** (s // 10) for s in range(3 * STALL_STEPS)]  # −10% in about 100 steps
    assert min(falling) > 3.0 and feed(w, falling) is None
    w = StallWatch(1.0, 0.5)
    bouncing = [27.6 if s % 2 else 9.9 for s in range(2 * STALL_STEPS)]  # the reported case, step by step
    assert feed(w, bouncing) == 1 + STALL_STEPS


# ---------------------------------------------------------------------------------------------- problems
def test_data_network_mismatch_is_a_problem_until_fixed():
    doc = example("xor")
    run = start(doc)
    run.run(5)
    trained = with_values(doc.network, run.parameter_values())
    wide = trained.copy()
    wide.add_neuron("x3", 0)
    wide.add_edge("x3", "h1", 0.4)
    with pytest.raises(DocumentError):
        make_dataset(doc.data, wide)  # the reference: this data cannot feed this network
    run.adopt(wide, generation=2)
    assert run.problem and run.problem.startswith("Cannot train") and "3 inputs" in run.problem
    assert not run.can_train
    assert run.run(5) == 0 and run.run_epoch() == 0
    assert run.step_count == 5
    snap = run.snapshot()  # works without a trainer
    assert snap.problem == run.problem and snap.generation == 2 and snap.step == 5
    assert snap.names == tuple(wide.parameter_names()) and snap.parameters == wide.parameters()
    assert np.isnan(snap.gradient).all() and math.isnan(snap.train_loss) and snap.grid_outputs is None
    assert snap.history_steps.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        snap.values[0] = 1.0
    run.adopt(trained, generation=3)
    assert run.problem is None and run.can_train
    assert run.parameter_values() == trained.parameters()
    assert run.run(3) == 3 and run.step_count == 8
    snap = run.snapshot()
    np.testing.assert_array_equal(snap.history_steps, np.arange(8))
    ds = doc.dataset()
    assert snap.history_train[5] == pytest.approx(Engine(trained).loss_value(ds.x_train, ds.t_train), rel=1e-12)


def test_set_data_of_the_wrong_width_is_a_problem():
    doc = example("xor")
    run = start(doc)
    run.run(4)
    run.set_data(GeneratorData("sine", n=20))
    assert run.problem and "1-D" in run.problem and run.run(1) == 0
    run.set_data(GeneratorData("xor", n=40, seed=2))
    assert run.problem is None and run.run(2) == 2 and run.step_count == 6


def test_reset_goes_back_to_step_zero_with_fresh_state():
    doc = example("xor", optimizer="momentum", learning_rate=0.1)
    run = start(doc)
    run.run(10)
    fresh = with_values(doc.network, initial_parameters(doc.network, 5))
    run.reset(fresh, generation=9)
    assert run.step_count == 0 and run.epoch == 0 and run.history.size == 0 and run.history.stride == 1
    assert run.parameter_values() == fresh.parameters() and run.snapshot().generation == 9
    assert all(v == 0.0 for v in state_by_name(run)["velocity"].values())
    doc.network = fresh
    run.run(7)
    _, train, _ = replay(doc, 7)
    np.testing.assert_allclose(run.snapshot().history_train, train[:7], rtol=1e-12)


# ---------------------------------------------------------------------------------------------- initial_parameters
def glorot_limits(net: Network) -> dict[str, float]:
    """√(6 / (fan_out(src) + fan_in(dst))) per edge, the fans counted from the network's edge lists."""
    return {f"{a}->{b}": math.sqrt(6.0 / (len(net.outgoing(a)) + len(net.incoming(b)))) for a, b in net.edges}


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    net = layered(sizes, "tanh", "linear", "half_sse", weights=lambda a, b: 0.0)
    if len(sizes) > 2 and draw(st.booleans()):
        net.add_edge("x1", net.outputs[0].id, 0.0)  # a skip edge changes both fans
    return net


@settings(max_examples=60, deadline=None)
@given(net=networks(), seed=st.integers(0, 2**63 - 1))
def test_initial_parameters_are_seeded_glorot_weights_and_zero_biases(net, seed):
    p = initial_parameters(net, seed)
    assert list(p) == net.parameter_names()
    assert initial_parameters(net.copy(), seed) == p  # deterministic
    limits = glorot_limits(net)
    for name, v in p.items():
        if name.endswith(".bias"):
            assert v == 0.0
        else:
            # 4 decimals, rounded toward zero: never outside the bound
            assert abs(v) <= limits[name], (name, v, limits[name])
            assert round(v, 4) == v
    net.set_parameters(p)  # finite values a network accepts


def test_initial_parameters_differ_between_seeds_and_fill_the_range():
    net = layered([2, 6, 6, 1], "tanh", "sigmoid", "bce")
    a, b = initial_parameters(net, 1), initial_parameters(net, 2)
    assert a != b
    assert sum(a[n] != b[n] for n in a if "->" in n) >= 40  # 54 weights: nearly all differ
    limits = glorot_limits(net)
    ratios = np.array([v / limits[n] for s in range(20) for n, v in initial_parameters(net, s).items() if "->" in n])
    # uniform on [-1, 1]: both signs, the whole range, mean about 0
    assert ratios.min() < -0.95 and ratios.max() > 0.95 and abs(ratios.mean()) < 0.05
    assert abs(np.mean(np.abs(ratios)) - 0.5) < 0.03


def test_initial_weights_never_exceed_the_glorot_limit():
    """Regression (minor): initial_parameters (training_run.py, ``round(float(rng.uniform(-limit, limit)), 4)``) rounds
    to 4 decimals after drawing, which can push a weight just outside ±√(6 / (fan_in + fan_out)) that the docstring
    promises: for a 4-5-1 network the limit of an input weight is √(6/9) = 0.8164966, and seed 1600 gives
    x1->h2 = 0.8165. Expected: |w| ≤ limit (e.g. round towards zero, or clip to the limit rounded down)."""
    net = layered([4, 5, 1], "tanh", "linear", "half_sse")
    limits = glorot_limits(net)
    p = initial_parameters(net, 1600)
    over = {n: (v, limits[n]) for n, v in p.items() if "->" in n and abs(v) > limits[n]}
    assert not over, over


# ---------------------------------------------------------------------------------------------- document
def xor_raw() -> dict:
    return json.loads(EXAMPLES["xor"].read_text(encoding="utf-8"))


@settings(max_examples=60, deadline=None)
@given(sps=st.one_of(st.floats(min_value=0.0, max_value=1e6, exclude_min=True),
                     st.integers(1, 1_000_000), st.none()))
def test_steps_per_second_round_trips(sps):
    doc = load_document(EXAMPLES["xor"])
    doc.training.steps_per_second = sps
    text = doc.to_json()
    assert ("steps_per_second" in text) == (sps is not None)
    back = parse_document(text)
    assert back.training.steps_per_second == sps
    if sps is not None:
        assert isinstance(back.training.steps_per_second, float)
    assert parse_document(back.to_json()).training == back.training


def test_steps_per_second_null_means_no_limit():
    raw = xor_raw()
    raw["training"]["steps_per_second"] = None
    assert parse_document(json.dumps(raw)).training.steps_per_second is None


@pytest.mark.parametrize("bad", [0, 0.0, -1, -1e-3, 1e9, 1_000_001, "fast", True, [30], {"v": 1}])
def test_bad_steps_per_second_is_a_document_error(bad):
    raw = xor_raw()
    raw["training"]["steps_per_second"] = bad
    with pytest.raises(DocumentError, match=r"training\.steps_per_second"):
        parse_document(json.dumps(raw))


def test_a_snapshot_carries_the_path_only_when_asked():
    run = start(example("xor"))
    run.run(30)
    assert run.snapshot().trajectory is None
    snap = run.snapshot(trajectory=True)
    path = snap.trajectory
    assert path.names == snap.names and path.steps[-1] == snap.step == 30
    np.testing.assert_array_equal(path.values[-1], snap.values)  # it ends where the run is
    assert path.loss[-1] == pytest.approx(snap.train_loss, rel=1e-12)
