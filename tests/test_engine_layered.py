"""The engine's shortcut for layers whose edges all come from later rows (a net connected layer by layer): their
products start at the first source row and the bias is added on its own (engine.SKIP_ROWS). Checked against the
independent reference of test_engine.py, its finite differences, and the same engine with the shortcut off."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine import Reference, assert_close, fd_gradient

from bpgui.core import engine as engine_module
from bpgui.core.document import TrainingConfig
from bpgui.core.engine import Engine, Workspace
from bpgui.core.network import layered
from bpgui.core.training import Trainer

#: name -> (sizes, extra skip edges, which layers (1, 2, 3) take the shortcut)
CASES = {
    "layer by layer": ([12, 10, 9, 3], [], (False, True, True)),
    "an input into the outputs": ([12, 10, 9, 3], [("x1", "y1")], (False, True, False)),
    "the first hidden layer into the outputs": ([12, 10, 9, 3], [("h1_2", "y2")], (False, True, True)),
    "few inputs": ([3, 10, 9, 3], [], (False, False, True)),
}
OUTPUT = {"half_sse": "tanh", "bce": "sigmoid", "cross_entropy": "linear"}


def make_net(case: str, loss: str, seed: int = 0):
    sizes, skips, _ = CASES[case]
    rng = np.random.default_rng(seed)
    net = layered(sizes, "tanh", OUTPUT[loss], loss, weights=lambda a, b: rng.normal(0.0, 0.5))
    for a, b in skips:
        net.add_edge(a, b, float(rng.normal(0.0, 0.5)))
    net.set_parameters({f"{m.id}.bias": float(rng.normal(0.0, 0.5)) for m in net if m.layer > 0})
    n = 40
    x = rng.normal(size=(n, sizes[0]))
    if loss == "cross_entropy":
        t = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    elif loss == "bce":
        t = (rng.random((n, sizes[-1])) < 0.5).astype(float)
    else:
        t = rng.normal(size=(n, sizes[-1]))
    return net, x, t


def dense_engine(net, monkeypatch) -> Engine:
    """The same network compiled with the shortcut off (every product over every row before its layer)."""
    with monkeypatch.context() as m:
        m.setattr(engine_module, "SKIP_ROWS", 10**9)
        return Engine(net)


@pytest.mark.parametrize("loss", OUTPUT)
@pytest.mark.parametrize("case", CASES)
def test_shortcut_layers_match_the_reference_and_the_dense_products(case, loss, monkeypatch):
    net, x, t = make_net(case, loss)
    eng = Engine(net)
    ws = Workspace(eng, len(x))
    assert tuple(step[4] is not None for step in ws.fwd) == CASES[case][2]  # the case tests what it says
    e, grads = eng.gradient(x, t)
    ref = Reference(net)
    assert_close(e, ref.loss_value(x, t), "loss", rel=1e-12, abs_=1e-300)
    np.testing.assert_allclose(eng.predict(x), ref.outputs(x), rtol=1e-12, atol=1e-14)
    dense = dense_engine(net, monkeypatch)
    assert all(step[4] is None for step in Workspace(dense, 1).fwd)
    e_dense, g_dense = dense.gradient(x, t)
    assert e == pytest.approx(e_dense, rel=1e-13)
    for name, g in g_dense.items():
        assert grads[name] == pytest.approx(g, rel=1e-10, abs=1e-15), name
    if case == "the first hidden layer into the outputs":  # every weight and bias, against finite differences
        fd = fd_gradient(ref, x, t)
        assert set(fd) == set(grads)
        for name, g in fd.items():
            assert_close(grads[name], g, f"∂E/∂{name}")


@pytest.mark.parametrize("optimizer, decay", [("sgd", None), ("momentum", "l2"), ("adam", "l1")])
def test_training_with_the_shortcut_is_training_without_it(optimizer, decay, monkeypatch):
    """50 full-batch steps: the same parameters either way, and the weights of edges that do not exist (the
    rows the shortcut leaves out) stay exactly zero, with a weight decay too."""
    net, x, t = make_net("the first hidden layer into the outputs", "cross_entropy", seed=3)
    from bpgui.core.datasets import Dataset
    from bpgui.core.regularization import WeightDecay

    config = TrainingConfig(optimizer=optimizer, learning_rate=0.05,
                            weight_decay=None if decay is None else WeightDecay(decay, 0.01))
    fast = Trainer(net.copy(), Dataset(x, t), config)
    with monkeypatch.context() as m:
        m.setattr(engine_module, "SKIP_ROWS", 10**9)
        slow = Trainer(net.copy(), Dataset(x, t), config)
    assert any(step[4] is not None for step in fast._full.fwd)
    assert all(step[4] is None for step in slow._full.fwd)
    first = None
    for _ in range(50):
        e_fast, e_slow = fast.step(), slow.step()
        first = e_fast if first is None else first
        assert e_fast == pytest.approx(e_slow, rel=1e-12)
    assert e_fast < 0.9 * first  # it trained
    np.testing.assert_allclose(fast.engine.params, slow.engine.params, rtol=1e-9, atol=1e-13)
    off_edges = fast.engine.mask == 0
    assert off_edges.sum() > 100
    assert not fast.engine.W[off_edges].any()
