"""The Trainer: full-batch SGD steps against finite differences of a reference loss written here, the xor example,
minibatch order and seeding, epoch counting and frozen biases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bpgui.core import Network, Neuron, Trainer, TrainingConfig, generate, layered, load_document, table

EXAMPLES = Path(__file__).resolve().parents[1] / "resources" / "examples"

F = {
    "linear": lambda v: v, "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "tanh": math.tanh,
    "relu": lambda v: max(v, 0.0), "leaky_relu": lambda v: v if v > 0 else 0.01 * v,
    "softplus": lambda v: math.log1p(math.exp(v)), "gaussian": lambda v: math.exp(-v * v),
}


def reference_loss(net: Network, params: dict[str, float], x, t) -> float:
    """The batch loss, one sample and one neuron at a time."""
    total = 0.0
    inputs = [n.id for n in net if n.layer == 0]
    top = max(n.layer for n in net)
    outputs = [n.id for n in net if n.layer == top]
    for xs, ts in zip(x, t):
        out = dict(zip(inputs, map(float, xs)))
        for n in sorted((n for n in net if n.layer > 0), key=lambda n: n.layer):
            s = params[f"{n.id}.bias"] + sum(params[f"{a}->{b}"] * out[a] for a, b in net.edges if b == n.id)
            out[n.id] = F[n.activation](s)
        y = [out[o] for o in outputs]
        if net.loss == "half_sse":
            total += sum(0.5 * (tk - yk) ** 2 for tk, yk in zip(ts, y))
        elif net.loss == "bce":
            total += -sum(tk * math.log(yk) + (1 - tk) * math.log(1 - yk) for tk, yk in zip(ts, y))
        else:
            raise AssertionError(net.loss)
    return total / len(x)


def fd_gradient(net: Network, x, t, h=1e-3) -> dict[str, float]:
    """Central differences with one Richardson step (error O(h⁴))."""
    p0 = net.parameters()
    grads = {}
    for name, v in p0.items():
        def d(step, name=name, v=v):
            return (reference_loss(net, {**p0, name: v + step}, x, t)
                    - reference_loss(net, {**p0, name: v - step}, x, t)) / (2 * step)
        grads[name] = (4 * d(h / 2) - d(h)) / 3
    return grads


def small_net(loss="half_sse") -> Network:
    """2-3-2 tanh/linear with a skip edge x1 → y2 and fixed, non-zero weights and biases."""
    rng = np.random.default_rng(11)
    net = layered([2, 3, 2], "tanh", "linear" if loss == "half_sse" else "sigmoid", loss,
                  weights=lambda a, b: rng.normal(0, 0.8))
    net.add_edge("x1", "y2", -0.6)
    for n in net:
        if n.layer:
            net.set_bias(n.id, float(rng.normal(0, 0.3)))
    return net


def small_data(n=8, loss="half_sse"):
    rng = np.random.default_rng(12)
    x = rng.uniform(-1, 1, size=(n, 2))
    t = rng.normal(0, 1, size=(n, 2)) if loss == "half_sse" else (rng.uniform(size=(n, 2)) > 0.5) * 1.0
    return x, t


def trained_parameters(trainer: Trainer) -> dict[str, float]:
    trainer.write_back()
    return trainer.network.parameters()


# ---------------------------------------------------------------------------------------------- full batch
@pytest.mark.parametrize("loss", ["half_sse", "bce"])
def test_sgd_full_batch_step_is_minus_lr_times_fd_gradient(loss):
    net = small_net(loss)
    x, t = small_data(loss=loss)
    before = net.parameters()
    g = fd_gradient(net, x, t)
    trainer = Trainer(net, table(x, t), TrainingConfig(optimizer="sgd", learning_rate=0.3))
    assert trainer.step() == pytest.approx(reference_loss(net, before, x, t), rel=1e-12)
    after = trained_parameters(trainer)
    for name in before:
        step, want = after[name] - before[name], -0.3 * g[name]
        assert abs(step - want) <= 1e-6 * max(abs(step), abs(want)) + 1e-10, name
    # and the trainer's loss is the reference loss at the new parameters
    assert trainer.train_loss() == pytest.approx(reference_loss(net, after, x, t), rel=1e-12)


def test_tiny_learning_rate_loss_change_is_first_order():
    """E(p − η g) − E(p) = −η |g|² + O(η²)."""
    net = small_net()
    x, t = small_data()
    g = np.array(list(fd_gradient(net, x, t).values()))
    lr = 1e-6
    trainer = Trainer(net, table(x, t), TrainingConfig(optimizer="sgd", learning_rate=lr))
    e0 = trainer.train_loss()
    trainer.step()
    e1 = trainer.train_loss()
    assert e1 - e0 == pytest.approx(-lr * float(g @ g), rel=1e-4)
    assert e1 < e0


def test_xor_example_learns():
    doc = load_document(EXAMPLES / "xor.json")
    trainer = Trainer.from_document(doc)
    ds = doc.dataset()
    e0 = trainer.train_loss()
    assert e0 == pytest.approx(reference_loss(doc.network, doc.network.parameters(), ds.x_train, ds.t_train),
                               rel=1e-12)
    ticks = []
    trainer.train(400, callback=ticks.append)
    assert ticks == list(range(1, 401)) and trainer.step_count == 400
    e1 = trainer.train_loss()
    assert e1 < 0.1 * e0
    y = trainer.engine.predict(ds.x_train)[:, 0]
    np.testing.assert_array_equal(y > 0.5, ds.t_train[:, 0] > 0.5)
    assert trainer.parameters_finite()
    # the document's network only changes on write_back
    assert doc.network.weight("x1", "h1") == 0.126
    trainer.write_back()
    assert doc.network.weight("x1", "h1") != 0.126
    assert reference_loss(doc.network, doc.network.parameters(), ds.x_train, ds.t_train) == pytest.approx(e1, rel=1e-12)


def test_step_returns_the_loss_before_the_update():
    net = small_net()
    x, t = small_data()
    trainer = Trainer(net, table(x, t), TrainingConfig(optimizer="sgd", learning_rate=0.1))
    e = [trainer.train_loss()]
    for _ in range(3):
        assert trainer.step() == pytest.approx(e[-1], rel=1e-12)
        e.append(trainer.train_loss())
    assert e[0] > e[1] > e[2] > e[3]
    assert trainer.train(1) == pytest.approx(e[3], rel=1e-12)  # train() returns its last step's value
    assert math.isnan(trainer.train(0))
    assert trainer.step_count == 4


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
@pytest.mark.parametrize("batch_size", [None, 3])
def test_frozen_biases_never_move(optimizer, batch_size):
    net = small_net()
    x, t = small_data()
    before = net.parameters()
    cfg = TrainingConfig(optimizer=optimizer, learning_rate=0.05, train_biases=False, batch_size=batch_size)
    trainer = Trainer(net, table(x, t), cfg)
    trainer.train(15)
    after = trained_parameters(trainer)
    for name in before:
        if name.endswith(".bias"):
            assert after[name] == before[name], name
        else:
            assert after[name] != before[name], name


def test_frozen_biases_weights_still_take_the_sgd_step():
    net = small_net()
    x, t = small_data()
    before, g = net.parameters(), fd_gradient(net, x, t)
    trainer = Trainer(net, table(x, t), TrainingConfig(optimizer="sgd", learning_rate=0.2, train_biases=False))
    trainer.step()
    after = trained_parameters(trainer)
    for name in before:
        want = 0.0 if name.endswith(".bias") else -0.2 * g[name]
        assert after[name] - before[name] == pytest.approx(want, rel=1e-6, abs=1e-10), name


def test_test_loss_does_not_replace_the_training_batch():
    """With test_fraction 0.5 the test set is as large as the training set; evaluating it must not leave the
    test data in the full-batch buffer the next step trains on."""
    ds = generate("sine", n=40, test_fraction=0.5, seed=1)
    assert len(ds.x_test) == len(ds.x_train)
    rng = np.random.default_rng(3)
    net = layered([1, 4, 1], "tanh", "linear", weights=lambda a, b: rng.normal())
    before, g = net.parameters(), fd_gradient(net, ds.x_train, ds.t_train)
    trainer = Trainer(net, ds, TrainingConfig(optimizer="sgd", learning_rate=0.1))
    e_train, e_test = trainer.train_loss(), trainer.test_loss()
    assert e_train == pytest.approx(reference_loss(net, before, ds.x_train, ds.t_train), rel=1e-12)
    assert e_test == pytest.approx(reference_loss(net, before, ds.x_test, ds.t_test), rel=1e-12)
    assert abs(e_test - e_train) > 1e-3
    assert trainer.step() == pytest.approx(e_train, rel=1e-12)
    after = trained_parameters(trainer)
    for name in before:
        assert after[name] - before[name] == pytest.approx(-0.1 * g[name], rel=1e-6, abs=1e-10), name


def test_no_test_set_gives_none():
    net = small_net()
    trainer = Trainer(net, table(*small_data()), TrainingConfig())
    assert trainer.test_loss() is None


# ---------------------------------------------------------------------------------------------- minibatches
def indicator_setup(n=10, batch_size=3, seed=0, lr=0.5):
    """Input i is 1 only for sample i and feeds the one linear output through weight w_i = 0, targets are 1,
    biases frozen. A half_sse SGD step on batch B moves w_i by lr (1 − w_i)/|B| for i in B and leaves the
    others (w_i stays below 1 for lr < 1): the changed weights show exactly which samples each batch held."""
    net = Network("half_sse")
    for i in range(n):
        net._add_neuron_unchecked(Neuron(f"x{i}", 0))
    net._add_neuron_unchecked(Neuron("y", 1, "linear", 0.0))
    for i in range(n):
        net.add_edge(f"x{i}", "y", 0.0)
    cfg = TrainingConfig(optimizer="sgd", learning_rate=lr, batch_size=batch_size, train_biases=False, seed=seed)
    return Trainer(net, table(np.eye(n), np.ones((n, 1))), cfg)


def weights(trainer: Trainer, n: int) -> np.ndarray:
    return np.array([trainer.engine.get(f"x{i}->y") for i in range(n)])


def batches_of_one_epoch(trainer: Trainer, n: int) -> list[set[int]]:
    out = []
    for _ in range(trainer.steps_per_epoch):
        w0 = weights(trainer, n)
        trainer.step()
        dw = weights(trainer, n) - w0
        batch = set(np.flatnonzero(dw).tolist())
        # sample i was off target by 1 − w_i; each changed weight moved by lr (1 − w_i) / |B|
        np.testing.assert_allclose(dw[sorted(batch)], 0.5 * (1 - w0[sorted(batch)]) / len(batch), rtol=1e-12)
        out.append(batch)
    return out


@pytest.mark.parametrize("n, batch_size, sizes", [(10, 3, [3, 3, 3, 1]), (10, 5, [5, 5]), (7, 1, [1] * 7),
                                                  (6, 4, [4, 2])])
def test_every_epoch_visits_every_sample_once(n, batch_size, sizes):
    trainer = indicator_setup(n, batch_size)
    assert trainer.steps_per_epoch == len(sizes)
    orders = []
    for _epoch in range(3):
        batches = batches_of_one_epoch(trainer, n)
        assert [len(b) for b in batches] == sizes
        assert set().union(*batches) == set(range(n))
        orders.append(batches)
    if batch_size < n:
        assert orders[0] != orders[1] or orders[1] != orders[2]  # reshuffled each epoch


def test_minibatch_order_depends_on_the_seed_only():
    def first_epoch(seed):
        return batches_of_one_epoch(indicator_setup(12, 4, seed=seed), 12)
    assert first_epoch(3) == first_epoch(3)
    assert len({str(first_epoch(s)) for s in range(5)}) > 1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_minibatch_training_is_reproducible(optimizer):
    ds = generate("circles", n=60, noise=0.05, seed=2, n_outputs=1)

    def run(seed):
        net = layered([2, 5, 1], "tanh", "sigmoid", "bce", weights=lambda a, b: (hash(a + b) % 7 - 3) / 5)
        trainer = Trainer(net, ds, TrainingConfig(optimizer=optimizer, learning_rate=0.1, batch_size=8, seed=seed))
        trainer.train(20)
        return trained_parameters(trainer)

    a, b, c = run(5), run(5), run(6)
    assert a == b
    assert a != c
    assert all(math.isfinite(v) for v in a.values())


def test_minibatch_targets_follow_their_outputs():
    """Outputs a(tanh), b(linear), c(linear), d(tanh) are grouped a, d, b, c inside the engine. Every sample has
    the targets (1, 2, 3, 4) and all weights are 0, so any batch's step moves the biases by lr·t."""
    net = Network("half_sse")
    net._add_neuron_unchecked(Neuron("x", 0))
    for nid, act in zip("abcd", ("tanh", "linear", "linear", "tanh")):
        net._add_neuron_unchecked(Neuron(nid, 1, act, 0.0))
        net.add_edge("x", nid, 0.0)
    x, t = np.zeros((5, 1)), np.tile([1.0, 2.0, 3.0, 4.0], (5, 1))
    trainer = Trainer(net, table(x, t), TrainingConfig(optimizer="sgd", learning_rate=0.5, batch_size=2))
    assert trainer.step() == pytest.approx(0.5 * (1 + 4 + 9 + 16), rel=1e-15)
    trainer.write_back()
    assert [net.neuron(k).bias for k in "abcd"] == [0.5, 1.0, 1.5, 2.0]


# ---------------------------------------------------------------------------------------------- epochs
def test_full_batch_every_step_is_an_epoch():
    trainer = Trainer(small_net(), table(*small_data()), TrainingConfig())
    assert trainer.steps_per_epoch == 1 and trainer.epoch == 0 and trainer.step_count == 0
    for k in range(1, 4):
        trainer.step()
        assert trainer.step_count == k and trainer.epoch == k
    batch_too_large = Trainer(small_net(), table(*small_data(8)), TrainingConfig(batch_size=50))
    assert batch_too_large.steps_per_epoch == 1
    batch_too_large.train(2)
    assert batch_too_large.epoch == 2


@pytest.mark.parametrize("n, batch_size", [(10, 3), (10, 5), (10, 1), (9, 8)])
def test_epoch_counts_completed_passes(n, batch_size):
    trainer = indicator_setup(n, batch_size)
    per = trainer.steps_per_epoch
    assert per == -(-n // batch_size)
    assert trainer.epoch == 0
    for k in range(1, 3 * per + 2):
        trainer.step()
        assert trainer.step_count == k
        assert trainer.epoch == k // per, f"after {k} steps of {per} per epoch"
