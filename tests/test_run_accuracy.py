"""Accuracy in the live run (core/training_run.py): the snapshot's train and test accuracy against counts made
here, by hand on a small table and with Engine.predict on a replayed run; the history's accuracy beside its losses,
thinned alike; None and NaN for regression; and documents with the new generators (moons, plane, bump) that load
and train."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bpgui.core import Engine, Trainer, parse_document
from bpgui.core.datasets import GENERATOR_NAMES, generator_shape
from bpgui.core.training_run import LossHistory, TrainingRun

# y = σ(2·x1 − x2): class 1 where 2·x1 ≥ x2
TABLE = {
    "inputs": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5], [0.5, 2.0], [2.0, 3.0]],
    "targets": [[1.0], [0.0], [0.0], [0.0], [1.0], [1.0]],
    "test_inputs": [[3.0, 1.0], [-2.0, -1.0], [0.0, -1.0]],
    "test_targets": [[1.0], [1.0], [0.0]],
}


def table_document(loss="bce", data=None, optimizer="sgd", learning_rate=0.5, batch_size=None):
    output = {"id": "y", "layer": 1, "activation": "sigmoid" if loss == "bce" else "linear", "bias": 0.0}
    doc = {
        "format": "bpgui-network", "version": 1, "loss": loss,
        "neurons": [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0}, output],
        "edges": [{"from": "x1", "to": "y", "weight": 2.0}, {"from": "x2", "to": "y", "weight": -1.0}],
        "data": data or TABLE,
        "training": {"optimizer": optimizer, "learning_rate": learning_rate, "batch_size": batch_size, "seed": 0},
    }
    return parse_document(json.dumps(doc))


def start(doc) -> TrainingRun:
    return TrainingRun(doc.network, doc.data, doc.training)


def counted(net, x, t) -> float:
    """The share classified right, counted here: y ≥ ½ against t ≥ ½ for one output, argmax against argmax for
    more (outputs from Engine.predict, on a copy of the network)."""
    y = Engine(net).predict(x)
    if y.shape[1] == 1:
        return float(np.mean((y[:, 0] >= 0.5) == (t[:, 0] >= 0.5)))
    return float(np.mean(y.argmax(axis=1) == t.argmax(axis=1)))


# ---------------------------------------------------------------------------------------------- snapshot
def test_snapshot_accuracy_against_a_hand_count():
    run = start(table_document())
    snap = run.snapshot()
    # 2·x1 − x2 over the training rows: 2, −1, 1, −2.5, −1, 1 → classes 1, 0, 1, 0, 0, 1 against targets
    # 1, 0, 0, 0, 1, 1: rows 1, 2, 4 and 6 right → 4 of 6
    assert snap.accuracy == pytest.approx(4 / 6)
    # test rows: 5, −3, 1 → classes 1, 0, 1 against 1, 1, 0 → 1 of 3
    assert snap.test_accuracy == pytest.approx(1 / 3)


def test_snapshot_accuracy_of_two_softmax_outputs_by_hand():
    doc = {
        "format": "bpgui-network", "version": 1, "loss": "cross_entropy",
        "neurons": [{"id": "x1", "layer": 0}, {"id": "x2", "layer": 0},
                    {"id": "b", "layer": 1, "bias": 0.0}, {"id": "a", "layer": 1, "bias": 0.5}],
        "edges": [{"from": "x1", "to": "a", "weight": 1.0}, {"from": "x2", "to": "b", "weight": 1.0}],
        # outputs listed b before a: target column 0 is b's class
        "data": {"inputs": [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0], [2.0, 2.0]],
                 "targets": [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]},
    }
    run = start(parse_document(json.dumps(doc)))
    snap = run.snapshot()
    # net b = x2, net a = x1 + ½: (1 vs ½) b, (0 vs 1.5) a, (0 vs ½) a, (2 vs 2.5) a; targets b, b, a, a → 3 of 4
    assert snap.accuracy == pytest.approx(3 / 4)
    assert snap.test_accuracy is None  # no test set


def test_regression_has_no_accuracy():
    for loss in ("half_sse", "mse"):
        run = start(table_document(loss=loss))
        run.run(5)
        snap = run.snapshot()
        assert snap.accuracy is None and snap.test_accuracy is None
        assert len(snap.history_accuracy) == 5 and np.isnan(snap.history_accuracy).all()
        assert np.isnan(snap.history_test_accuracy).all()


def test_a_run_that_cannot_train_has_no_accuracy():
    doc = table_document()
    run = TrainingRun(doc.network, parse_document(json.dumps({
        "format": "bpgui-network", "version": 1,
        "neurons": [{"id": "x1", "layer": 0}, {"id": "y", "layer": 1}], "edges": [],
        "data": {"inputs": [[1.0]], "targets": [[1.0]]}}), fit_data=False).data, doc.training)
    snap = run.snapshot()
    assert snap.problem and snap.accuracy is None and snap.test_accuracy is None
    assert len(snap.history_accuracy) == 0


# ---------------------------------------------------------------------------------------------- history
@pytest.mark.parametrize("batch_size", [None, 2, 4])
def test_history_accuracy_is_the_count_at_each_recorded_step(batch_size):
    doc = table_document(batch_size=batch_size, learning_rate=2.0)
    run = start(doc)
    assert run.run(30) == 30
    snap = run.snapshot()
    # a replay with a plain Trainer: the parameters before each step, and the accuracy counted here
    trainer = Trainer(doc.network.copy(), doc.dataset(), doc.training.copy())
    ds = doc.dataset()
    want, want_test = [], []
    for _ in range(30):
        net = doc.network.copy()
        trainer.engine.write_to(net)
        want.append(counted(net, ds.x_train, ds.t_train))
        want_test.append(counted(net, ds.x_test, ds.t_test))
        trainer.step()
    np.testing.assert_array_equal(snap.history_steps, np.arange(30))
    np.testing.assert_allclose(snap.history_accuracy, want, rtol=0, atol=1e-15)
    np.testing.assert_allclose(snap.history_test_accuracy, want_test, rtol=0, atol=1e-15)
    assert want[0] == pytest.approx(4 / 6) and want_test[0] == pytest.approx(1 / 3)  # the hand count at step 0
    assert len(set(want)) > 1  # training moved the accuracy, so the history follows the steps
    net = doc.network.copy()
    trainer.engine.write_to(net)
    assert snap.accuracy == pytest.approx(counted(net, ds.x_train, ds.t_train))


def test_circles_accuracy_climbs_and_matches_predict():
    from bpgui.core import load_document
    from bpgui.resources import example_paths

    doc = load_document(example_paths()["circles"])
    run = start(doc)
    run.run(300)
    snap = run.snapshot()
    net = doc.network.copy()
    net.set_parameters(snap.parameters)
    ds = doc.dataset()
    assert snap.accuracy == pytest.approx(counted(net, ds.x_train, ds.t_train))
    assert snap.test_accuracy == pytest.approx(counted(net, ds.x_test, ds.t_test))
    assert snap.accuracy > 0.9 and snap.history_accuracy[0] < 0.8
    # the accuracy counts points: a multiple of 1/240 (train) and 1/60 (test)
    assert snap.accuracy * 240 == pytest.approx(round(snap.accuracy * 240))
    assert np.allclose(snap.history_test_accuracy * 60, np.round(snap.history_test_accuracy * 60))


def test_history_accuracy_is_thinned_with_the_losses():
    h = LossHistory(capacity=8)
    for s in range(100):
        if h.wants(s):
            h.add(s, float(s), None if s % 2 else -float(s), s / 1000, None if s % 3 else s / 2000)
    steps, train, test = h.arrays()
    acc, test_acc = h.accuracy_arrays()
    assert len(steps) == len(acc) == len(test_acc) <= 8 and h.stride > 1
    np.testing.assert_array_equal(train, steps)
    np.testing.assert_array_equal(acc, steps / 1000)
    for s, a in zip(steps.tolist(), test_acc.tolist()):
        assert (np.isnan(a) if s % 3 else a == s / 2000), s
    # a history without accuracies (regression) has NaN there
    h2 = LossHistory()
    h2.add(0, 1.0, None)
    assert np.isnan(h2.accuracy_arrays()[0]).all()


def test_restore_drops_the_accuracy_after_the_checkpoint():
    run = start(table_document(learning_rate=0.5))
    run.run(20)
    before = run.snapshot()
    run.history.truncate(10)
    after = run.snapshot()
    assert len(after.history_accuracy) == 10
    np.testing.assert_array_equal(after.history_accuracy, before.history_accuracy[:10])


# ---------------------------------------------------------------------------------------------- generators
def generator_document(name: str) -> str:
    width, kind = generator_shape(name)
    inputs = [{"id": f"x{i + 1}", "layer": 0} for i in range(width)]
    hidden = [{"id": f"h{i + 1}", "layer": 1, "activation": "tanh"} for i in range(4)]
    out = {"id": "y", "layer": 2, "activation": "sigmoid" if kind == "classification" else "linear"}
    edges = [{"from": a["id"], "to": h["id"], "weight": 0.3 * (-1) ** k * (j + 1)}
             for j, a in enumerate(inputs) for k, h in enumerate(hidden)]
    edges += [{"from": h["id"], "to": "y", "weight": 0.5 * (-1) ** k} for k, h in enumerate(hidden)]
    return json.dumps({
        "format": "bpgui-network", "version": 1, "loss": "bce" if kind == "classification" else "half_sse",
        "neurons": inputs + hidden + [out], "edges": edges,
        "data": {"generator": name, "n": 120, "noise": 0.05, "test_fraction": 0.25, "seed": 1},
        "training": {"optimizer": "adam", "learning_rate": 0.05},
    })


@pytest.mark.parametrize("name", GENERATOR_NAMES)
def test_a_document_with_each_generator_loads_and_trains(name):
    doc = parse_document(generator_document(name))
    run = start(doc)
    first = run.snapshot()
    assert run.run(60) == 60
    snap = run.snapshot()
    assert snap.problem is None and snap.diverged is None
    assert snap.train_loss < first.train_loss
    width, kind = generator_shape(name)
    assert snap.test_loss is not None
    assert (snap.grid_y is None) == (width == 1)
    if kind == "classification":
        assert 0.0 <= snap.test_accuracy <= 1.0 and np.isfinite(snap.history_accuracy).all()
        assert snap.boundary is not None
    else:  # values to fit: no accuracy, and no decision contour over a 2-D input plane
        assert snap.accuracy is None and snap.boundary is None


@pytest.mark.parametrize("loss, outputs", [("bce", 1), ("bce", 2), ("cross_entropy", 3)])
def test_the_runs_accuracy_of_a_loaded_batch_is_core_accuracy_of_predict(loss, outputs):
    """The run counts from the buffers of the forward pass it just made (compiled output order, and a shortcut
    for one sigmoid output); the same as accuracy() of Engine.predict, outputs listed out of order, and rows whose
    outputs are not a number count as wrong."""
    from bpgui.core.accuracy import accuracy, predicted_classes
    from bpgui.core.engine import Workspace
    from bpgui.core.network import Network
    from bpgui.core.training_run import _loaded_accuracy

    rng = np.random.default_rng(outputs)
    net = Network(loss)
    net.add_neuron("x1", 0)
    net.add_neuron("x2", 0)
    act = "sigmoid" if loss == "bce" else "linear"
    ids = [f"y{k}" for k in range(outputs)][::-1]  # listed last to first
    for nid in ids:
        net.add_neuron(nid, 1, activation=act, bias=float(rng.normal()))
        for x in ("x1", "x2"):
            net.add_edge(x, nid, float(rng.normal(0, 2)))
    eng = Engine(net)
    x = rng.normal(size=(200, 2))
    x[[3, 50]] = np.nan
    labels = rng.integers(0, max(outputs, 2), 200)
    t = labels[:, None].astype(float) if outputs == 1 else np.eye(outputs)[labels]
    ws = Workspace(eng, len(x))
    ws.load(x, t)
    eng.forward(ws)
    want = accuracy(eng.predict(x), t)
    assert _loaded_accuracy(eng, ws) == pytest.approx(want, abs=1e-15)
    # the run's way, given the targets' classes (found once per run), counts the same
    assert _loaded_accuracy(eng, ws, predicted_classes(t)) == pytest.approx(want, abs=1e-15)
    assert 0.2 < want < 0.9  # not trivially all right or all wrong


def test_a_classifying_loss_on_values_to_fit_has_no_accuracy():
    """bce takes targets anywhere in [0, 1], e.g. the bump's heights; counting "t ≥ ½" as a class there would
    report an accuracy of a question the data never asked."""
    from bpgui.core.accuracy import has_accuracy

    doc = parse_document(generator_document("moons").replace('"moons"', '"bump"'))
    assert doc.network.loss == "bce"
    run = start(doc)
    run.run(5)
    snap = run.snapshot()
    assert snap.problem is None and snap.accuracy is None and snap.test_accuracy is None
    assert np.isnan(snap.history_accuracy).all()
    assert not has_accuracy("bce", doc.dataset().t_train) and has_accuracy("bce", np.array([[0.0], [1.0]]))
    assert not has_accuracy("half_sse", np.array([[0.0], [1.0]]))
