"""The training options: weight decay, learning-rate schedules, initialisations and stopping rules.

Weight decay and the schedules are checked step for step against PyTorch's numbers in tests/data/
torch_reference.json, written by bench/make_torch_reference.py (PyTorch is not needed to run these tests)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from bpgui import cli
from bpgui.core import Engine, Trainer, TrainingConfig, layered, load_document, table
from bpgui.core.document import DocumentError, TableData, document_from_dict, parse_document
from bpgui.core.explain import chain_rule, predict_step, slice_1d
from bpgui.core.gradcheck import numeric_gradient
from bpgui.core.initialization import ZEROS_WARNING, Init, init_warning, initial_parameters
from bpgui.core.planes import naive_plane_loss, plane_loss, random_plane
from bpgui.core.regularization import WeightDecay, is_weight, penalty_on_plane
from bpgui.core.schedules import LearningRates, Schedule, learning_rates
from bpgui.core.step_anatomy import first_step_anatomy
from bpgui.core.stopping import Stopper, StopRule
from bpgui.core.surface import loss_surface, naive_loss_surface
from bpgui.core.training_run import TrainingRun
from bpgui.resources import example_paths

REFERENCE = json.loads((Path(__file__).parent / "data" / "torch_reference.json").read_text())
RTOL = 1e-10


def reference_config(case: dict) -> TrainingConfig:
    decay = case["weight_decay"]
    return TrainingConfig(
        optimizer=case["optimizer"], learning_rate=case["learning_rate"],
        hyperparameters=dict(case["hyperparameters"]),
        weight_decay=None if decay is None else WeightDecay(decay["kind"], decay["lambda"]),
        schedule=None if case["schedule"] is None else Schedule(**case["schedule"]))


def case_id(case: dict) -> str:
    decay = case["weight_decay"]
    sched = case["schedule"]
    return "-".join([case["optimizer"], decay["kind"] if decay else "no_decay", sched["kind"] if sched else "constant"])


def values(trainer_or_engine, names) -> np.ndarray:
    eng = getattr(trainer_or_engine, "engine", trainer_or_engine)
    p = eng.parameter_values()
    return np.array([p[n] for n in names])


# ---------------------------------------------------------------------------------------------- against PyTorch
def test_the_reference_covers_every_optimizer_with_both_decays_and_every_schedule():
    from bpgui.core.optimizers import OPTIMIZER_NAMES

    cases = REFERENCE["cases"]
    pairs = {(c["optimizer"], c["weight_decay"]["kind"]) for c in cases if c["weight_decay"] and not c["schedule"]}
    assert pairs == {(o, k) for o in OPTIMIZER_NAMES for k in ("l2", "l1")}
    assert {c["schedule"]["kind"] for c in cases if c["schedule"]} == {"step", "exponential", "cosine"}
    assert {r["schedule"]["kind"] for r in REFERENCE["rates"]} == {"step", "exponential", "cosine"}


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=case_id)
def test_training_matches_pytorch_step_for_step(case):
    doc = document_from_dict(REFERENCE["document"])
    trainer = Trainer(doc.network, doc.dataset(), reference_config(case))
    names = REFERENCE["names"]
    for k, (rate, loss, total, after) in enumerate(zip(case["rates"], case["losses"], case["totals"],
                                                       case["params"])):
        assert trainer.learning_rate_now == pytest.approx(rate, rel=1e-15), k
        assert trainer.train_loss() == pytest.approx(loss, rel=RTOL), k
        assert trainer.total_loss() == pytest.approx(total, rel=RTOL), k
        returned = trainer.step()
        assert returned == pytest.approx(total, rel=RTOL)  # a step returns the loss it minimises: E + R
        np.testing.assert_allclose(values(trainer, names), after, rtol=RTOL, atol=1e-14, err_msg=f"step {k + 1}")


@pytest.mark.parametrize("case", [c for c in REFERENCE["cases"] if c["schedule"]], ids=case_id)
def test_a_live_run_follows_the_schedule_and_reports_both_losses(case):
    doc = document_from_dict(REFERENCE["document"])
    run = TrainingRun(doc.network, doc.data, reference_config(case))
    names = REFERENCE["names"]
    order = [run.snapshot().names.index(n) for n in names]
    for k, rate in enumerate(case["rates"]):
        snap = run.snapshot()
        assert snap.step == k
        assert snap.learning_rate_now == pytest.approx(rate, rel=1e-15)
        assert snap.train_loss == pytest.approx(case["losses"][k], rel=RTOL)
        assert snap.total_loss == pytest.approx(case["totals"][k], rel=RTOL)
        assert run.run(1) == 1
        np.testing.assert_allclose(run.snapshot().values[order], case["params"][k], rtol=RTOL, atol=1e-14)
    snap = run.snapshot()
    np.testing.assert_allclose(snap.history_train, case["losses"], rtol=RTOL)
    np.testing.assert_allclose(snap.history_total, case["totals"], rtol=RTOL)
    if case["weight_decay"] is None:
        np.testing.assert_array_equal(snap.history_total, snap.history_train)
    else:
        assert (snap.history_total > snap.history_train).all()


def test_a_run_that_goes_back_or_is_rebuilt_keeps_counting_the_schedule_in_its_own_steps():
    case = next(c for c in REFERENCE["cases"] if c["schedule"] and c["schedule"]["kind"] == "step")
    doc = document_from_dict(REFERENCE["document"])
    run = TrainingRun(doc.network, doc.data, reference_config(case))
    run.run(7)
    assert run.snapshot().learning_rate_now == case["rates"][7]
    # new data (the same table) rebuilds the trainer: the schedule goes on from step 7
    run.set_data(doc.data)
    assert run.step_count == 7 and run.trainer.step_count == 0
    assert run.snapshot().learning_rate_now == case["rates"][7]
    run.run(3)
    assert run.snapshot().learning_rate_now == case["rates"][10]
    # Reset: step 0, the base rate again
    run.reset()
    assert run.snapshot().learning_rate_now == case["learning_rate"]
    # a new base rate mid-run: the schedule from the new base, at the same step
    run.run(6)
    cfg = reference_config(case)
    cfg.learning_rate = 0.2
    run.set_config(cfg)
    assert run.snapshot().learning_rate_now == pytest.approx(0.2 * 0.5 * 0.5, rel=1e-15)
    assert run.trainer.optimizer.learning_rate == run.snapshot().learning_rate_now  # peeks use it too
    # no schedule any more: the base rate
    cfg = cfg.copy()
    cfg.schedule = None
    run.set_config(cfg)
    assert run.snapshot().learning_rate_now == 0.2
    run.run(1)
    assert run.trainer.optimizer.learning_rate == 0.2


@pytest.mark.parametrize("seq", REFERENCE["rates"], ids=lambda r: json.dumps(r["schedule"]))
def test_schedules_give_pytorchs_rates_to_the_last_bit(seq):
    rates = learning_rates(Schedule(**seq["schedule"]), seq["base"], len(seq["rates"]))
    assert rates == seq["rates"]


def test_schedules_agree_with_their_closed_forms_and_cosine_comes_back_up():
    base = 0.3
    step = learning_rates(Schedule("step", every=4, factor=0.5), base, 20)
    assert step == pytest.approx([base * 0.5 ** (k // 4) for k in range(20)], rel=1e-14)
    expo = learning_rates(Schedule("exponential", factor=0.95), base, 50)
    assert expo == pytest.approx([base * 0.95**k for k in range(50)], rel=1e-13)
    T, lo = 10, 0.01
    cos = learning_rates(Schedule("cosine", steps=T, min=lo), base, 2 * T + 1)
    closed = [lo + (base - lo) * (1 + math.cos(math.pi * k / T)) / 2 for k in range(2 * T + 1)]
    assert cos == pytest.approx(closed, rel=1e-12)
    assert cos[T] == pytest.approx(lo, rel=1e-12) and cos[2 * T] == pytest.approx(base, rel=1e-12)
    assert cos[T + 3] > cos[T + 1] > cos[T]  # past T it goes back up, as PyTorch's does


def test_learning_rates_go_back_by_starting_again():
    rates = LearningRates(Schedule("cosine", steps=6, min=0.0), 1.0)
    forward = [rates.at(k) for k in range(15)]
    assert [rates.at(k) for k in (3, 12, 0, 14, 5)] == [forward[k] for k in (3, 12, 0, 14, 5)]
    assert LearningRates(None, 0.7).at(1000) == 0.7


# ---------------------------------------------------------------------------------------------- weight decay
def small_net(seed: int = 1):
    rng = np.random.default_rng(seed)
    net = layered([2, 3, 1], "tanh", "sigmoid", "bce", weights=lambda a, b: rng.uniform(-1.5, 1.5))
    for n in net:
        if n.layer:
            net.set_bias(n.id, float(rng.uniform(-0.5, 0.5)))
    x = rng.uniform(-1, 1, (12, 2))
    t = (x[:, :1] * x[:, 1:] > 0).astype(float)
    return net, x, t


@pytest.mark.parametrize("kind", ["l2", "l1"])
def test_the_engine_adds_the_penalty_to_weights_only(kind):
    net, x, t = small_net()
    decay = WeightDecay(kind, 0.07)
    e0, g0 = Engine(net).gradient(x, t)
    eng = Engine(net, decay)
    e1, g1 = eng.gradient(x, t)
    weights = {n: v for n, v in net.parameters().items() if is_weight(n)}
    r = sum(0.5 * 0.07 * w * w for w in weights.values()) if kind == "l2" else sum(0.07 * abs(w) for w in
                                                                                  weights.values())
    assert e1 == pytest.approx(e0 + r, rel=1e-14)
    assert eng.penalty() == pytest.approx(r, rel=1e-14)
    assert eng.loss_parts(x, t) == pytest.approx((e0, r), rel=1e-14)
    assert eng.data_loss_value(x, t) == pytest.approx(e0, rel=1e-15)
    for name, g in g1.items():
        w = net.get_parameter(name)
        extra = (0.07 * w if kind == "l2" else 0.07 * np.sign(w)) if is_weight(name) else 0.0
        assert g == pytest.approx(g0[name] + extra, rel=1e-13, abs=1e-16), name
        assert g == pytest.approx(numeric_gradient(eng, x, t, name), rel=1e-6, abs=1e-9), name
    ev = eng.evaluate(x, t)
    assert ev.loss == pytest.approx(e1, rel=1e-15) and ev.data_loss == pytest.approx(e0, rel=1e-15)
    assert ev.penalty == pytest.approx(r, rel=1e-14)
    assert all(ev.penalty_gradients[n] == 0.0 for n in net.parameter_names() if not is_weight(n))


def test_frozen_biases_stay_put_and_l1_leaves_a_zero_weight_to_the_data():
    net, x, t = small_net()
    net.set_weight("x1", "h1", 0.0)
    cfg = TrainingConfig("sgd", 0.1, train_biases=False, weight_decay=WeightDecay("l1", 0.5))
    trainer = Trainer(net.copy(), table(x, t), cfg)
    data_grad = Engine(net).gradient(x, t)[1]["x1->h1"]
    trainer.step()
    p = trainer.engine.parameter_values()
    assert p["x1->h1"] == pytest.approx(-0.1 * data_grad, rel=1e-14)  # sign(0) = 0: no push from the penalty
    assert all(p[n] == net.get_parameter(n) for n in net.parameter_names() if not is_weight(n))


def test_weight_decay_can_be_switched_on_mid_run():
    net, x, t = small_net()
    run = TrainingRun(net, TableData(x, t), TrainingConfig("sgd", 0.1))
    run.run(5)
    snap = run.snapshot()
    assert snap.total_loss == snap.train_loss
    cfg = TrainingConfig("sgd", 0.1, weight_decay=WeightDecay("l2", 0.1))
    run.set_config(cfg)
    snap = run.snapshot()
    w = np.array([v for n, v in snap.parameters.items() if is_weight(n)])
    assert snap.total_loss == pytest.approx(snap.train_loss + 0.05 * float(w @ w), rel=1e-13)
    engine = Engine(net.copy(), cfg.weight_decay)
    engine.params[:] = run.trainer.engine.params
    grads = engine.gradient(x, t)[1]
    np.testing.assert_allclose(snap.gradient, [grads[n] for n in snap.names], rtol=1e-13)


@pytest.mark.parametrize("kind", ["l2", "l1"])
def test_surfaces_and_slices_are_of_the_total(kind):
    net, x, t = small_net(3)
    decay = WeightDecay(kind, 0.2)
    xs, ys = np.linspace(-2, 2, 9), np.linspace(-1, 1.5, 7)
    for a, b in (("x1->h1", "h2->y1"), ("x2->h3", "h1.bias")):
        fast = loss_surface(net, x, t, a, b, xs, ys, decay=decay)
        naive = naive_loss_surface(net, x, t, a, b, xs, ys, decay=decay)
        np.testing.assert_allclose(fast, naive, rtol=1e-12)
        plain = loss_surface(net, x, t, a, b, xs, ys)
        assert (fast > plain).all()
    s = slice_1d(net, x, t, "h1->y1", np.array([net.get_parameter("h1->y1")]), decay=decay)
    assert s[0] == pytest.approx(Engine(net, decay).loss_value(x, t), rel=1e-12)
    plane = random_plane(net, seed=2)
    a, b = np.linspace(-1, 1, 5), np.linspace(-0.5, 0.5, 4)
    np.testing.assert_allclose(plane_loss(net, x, t, plane, a, b, decay=decay),
                               naive_plane_loss(net, x, t, plane, a, b, decay=decay), rtol=1e-12)


def test_penalty_on_a_plane_by_hand():
    decay = WeightDecay("l1", 2.0)
    o, u, v = np.array([1.0, -2.0, 0.5]), np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 1.0])
    r = penalty_on_plane(decay, o, u, v, [0.0, -1.0], [0.5])
    assert r[0].tolist() == [2.0 * (1 + 1.5 + 1.0), 2.0 * (0 + 1.5 + 1.0)]


@pytest.mark.parametrize("kind", ["l2", "l1"])
def test_the_chain_rule_prediction_and_step_anatomy_use_the_total(kind):
    net, x, t = small_net(4)
    decay = WeightDecay(kind, 0.3)
    total = Engine(net, decay).loss_value(x, t)
    c = chain_rule(net, x, t, "h2->y1", decay=decay)
    w = net.get_parameter("h2->y1")
    assert c.loss == pytest.approx(total, rel=1e-14)
    assert c.penalty_gradient == pytest.approx(0.3 * w if kind == "l2" else 0.3 * np.sign(w), rel=1e-15)
    assert c.gradient == pytest.approx(c.terms.mean() + c.penalty_gradient, rel=1e-12)
    assert c.numeric == pytest.approx(c.gradient, rel=1e-6)
    bias = chain_rule(net, x, t, "h2.bias", decay=decay)
    assert bias.penalty_gradient == 0.0 and bias.gradient == pytest.approx(bias.terms.mean(), rel=1e-12)
    p = predict_step(net, x, t, {"x1->h1": 1e-4}, decay=decay)
    assert p.loss_before == pytest.approx(total, rel=1e-14)
    assert p.actual == pytest.approx(p.predicted, rel=1e-3)
    raw = json.loads(example_paths()["xor"].read_text())
    raw["training"]["weight_decay"] = {"kind": kind, "lambda": 0.3}
    doc = document_from_dict(raw)
    a = first_step_anatomy(doc, directions=3)
    d = doc.dataset()
    eng = Engine(doc.network, doc.training.weight_decay)
    e, g = eng.gradient(d.x_train, d.t_train)
    assert a.loss == pytest.approx(e, rel=1e-14)
    np.testing.assert_allclose(a.gradient, [g[n] for n in a.names], rtol=1e-13)


# ---------------------------------------------------------------------------------------------- initialisation
BIG = [70, 70, 1]  # 4,970 edges, within the limit of 5,000


@pytest.fixture(scope="module")
def big_net():
    return layered(BIG, "relu", "linear", "half_sse")


def layer_weights(values: dict, layer_prefix: str) -> np.ndarray:
    return np.array([v for n, v in values.items() if is_weight(n) and n.split("->")[1].startswith(layer_prefix)])


@pytest.mark.parametrize("init, std, bound", [
    (Init("glorot"), math.sqrt(6 / 140) / math.sqrt(3), math.sqrt(6 / 140)),
    (Init("he"), math.sqrt(2 / 70), None),
    (Init("uniform", range=0.3), 0.3 / math.sqrt(3), 0.3),
    (Init("normal", std=0.05), 0.05, None),
], ids=["glorot", "he", "uniform", "normal"])
def test_each_initialisation_has_its_distribution(big_net, init, std, bound):
    v = initial_parameters(big_net, 11, init)
    w = layer_weights(v, "h")  # the 4,900 weights into the hidden layer: fan in 70, fan out 1
    assert len(w) == 4900
    # the sample's standard deviation is within 5% (more than 3 standard errors of ~1%) of the distribution's
    assert w.std() == pytest.approx(std, rel=0.05)
    assert abs(w.mean()) < 4 * std / math.sqrt(len(w))
    if bound is not None:
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert all(v[n] == 0.0 for n in big_net.parameter_names() if not is_weight(n))
    assert init_warning(init) is None
    assert initial_parameters(big_net, 11, init) == v  # seeded
    assert initial_parameters(big_net, 12, init) != v


def test_he_follows_each_neurons_fan_in():
    net = layered([50, 8, 1], "relu", "linear", "half_sse")
    v = initial_parameters(net, 0, Init("he"))
    into_output = layer_weights(v, "y")
    assert len(into_output) == 8 and np.abs(into_output).max() < 5 * math.sqrt(2 / 8)
    assert np.abs(into_output).max() > math.sqrt(2 / 50) * 2  # wider than the hidden layer's spread


def test_zeros_warns_about_symmetry_and_values_are_short():
    net = layered([2, 3, 1])
    v = initial_parameters(net, 5, Init("zeros"))
    assert set(v.values()) == {0.0}
    assert init_warning(Init("zeros")) == ZEROS_WARNING and "symmetry" in ZEROS_WARNING
    assert "same gradient" in ZEROS_WARNING
    for value in initial_parameters(net, 5, Init("normal", std=0.0123456)).values():
        assert len(f"{abs(value):.10e}".split("e")[0].rstrip("0").replace(".", "")) <= 4
    # glorot is today's Reset, unchanged
    from bpgui.core.training_run import initial_parameters as from_run

    assert from_run(net, 5) == initial_parameters(net, 5, Init("glorot")) == initial_parameters(net, 5)


# ---------------------------------------------------------------------------------------------- the document
def xor_raw() -> dict:
    return json.loads(example_paths()["xor"].read_text())


def with_training(**fields) -> dict:
    raw = xor_raw()
    raw["training"].update(fields)
    return raw


@pytest.mark.parametrize("fields", [
    {"weight_decay": {"kind": "l2", "lambda": 0.001}},
    {"weight_decay": {"kind": "l1", "lambda": 0}},
    {"schedule": {"kind": "step", "every": 100, "factor": 0.5}},
    {"schedule": {"kind": "exponential", "factor": 0.999}},
    {"schedule": {"kind": "cosine", "steps": 1000, "min": 0.001}},
    {"init": {"kind": "he"}},
    {"init": {"kind": "uniform", "range": 0.5}},
    {"init": {"kind": "normal", "std": 0.1}},
    {"init": {"kind": "zeros"}},
    {"weight_decay": {"kind": "l1", "lambda": 1e-4}, "schedule": {"kind": "exponential", "factor": 0.5},
     "init": {"kind": "uniform", "range": 2}},
])
def test_the_options_round_trip_through_a_file(tmp_path, fields):
    doc = document_from_dict(with_training(**fields))
    path = tmp_path / "n.json"
    from bpgui.core import save_document

    save_document(doc, path)
    saved = json.loads(path.read_text())["training"]
    for k, v in fields.items():
        assert saved[k] == {kk: (float(vv) if isinstance(vv, (int, float)) and kk in ("lambda", "factor", "min",
                                                                                      "range", "std") else vv)
                            for kk, vv in v.items()}
    again = load_document(path)
    assert again.training == doc.training


def test_older_files_read_as_before_and_save_without_the_new_keys():
    raw = xor_raw()
    doc = document_from_dict(raw)
    cfg = doc.training
    assert cfg.weight_decay is None and cfg.schedule is None and cfg.init == Init("glorot")
    assert set(cfg.to_dict()) == set(raw["training"])
    cosine = document_from_dict(with_training(schedule={"kind": "cosine", "steps": 10}))
    assert cosine.training.schedule.min == 0.0  # PyTorch's default eta_min
    nulls = document_from_dict(with_training(weight_decay=None, schedule=None, init=None))
    assert nulls.training == cfg


@pytest.mark.parametrize("fields, message", [
    ({"weight_decay": {"kind": "l2", "lambda": -0.1}}, "training.weight_decay.lambda must be a number from 0"),
    ({"weight_decay": {"kind": "l3", "lambda": 0.1}}, "training.weight_decay.kind: unknown name 'l3'"),
    ({"weight_decay": {"lambda": 0.1}}, "training.weight_decay: missing 'kind'"),
    ({"weight_decay": {"kind": "l2"}}, "training.weight_decay.lambda: an l2 weight decay needs its lambda"),
    ({"weight_decay": {"kind": "l2", "lambda": "big"}}, "training.weight_decay.lambda must be a number, not text"),
    ({"weight_decay": 0.1}, "training.weight_decay must be an object"),
    ({"weight_decay": {"kind": "l2", "lambda": 0.1, "bias": True}}, "training.weight_decay (l2): unknown key 'bias'"),
    ({"schedule": {"kind": "step", "every": 10, "factor": 0}}, "training.schedule.factor must be above 0"),
    ({"schedule": {"kind": "step", "every": 10, "factor": -0.5}}, "training.schedule.factor must be above 0"),
    ({"schedule": {"kind": "exponential", "factor": 1.5}}, "training.schedule.factor must be above 0 and at most 1"),
    ({"schedule": {"kind": "step", "every": 0, "factor": 0.5}}, "training.schedule.every must be between 1"),
    ({"schedule": {"kind": "step", "every": 2.5, "factor": 0.5}}, "training.schedule.every must be a whole number"),
    ({"schedule": {"kind": "step", "factor": 0.5}}, "training.schedule.every: a step schedule needs its every"),
    ({"schedule": {"kind": "cosine", "steps": 0}}, "training.schedule.steps must be between 1"),
    ({"schedule": {"kind": "cosine", "steps": 10, "min": -1}}, "training.schedule.min must be at least 0"),
    ({"schedule": {"kind": "cosine", "steps": 10, "factor": 0.5}},
     "training.schedule (cosine): unknown key 'factor' (allowed: kind, steps, min)"),
    ({"schedule": {"kind": "linear"}}, "training.schedule.kind: unknown name 'linear' (choose from step, "
                                       "exponential, cosine)"),
    ({"schedule": "cosine"}, "training.schedule must be an object"),
    ({"init": {"kind": "uniform"}}, "training.init.range: a uniform initialisation needs its range"),
    ({"init": {"kind": "uniform", "range": 0}}, "training.init.range must be above 0"),
    ({"init": {"kind": "normal", "std": -1}}, "training.init.std must be above 0"),
    ({"init": {"kind": "normal", "std": 1e9}}, "training.init.std must be above 0 and at most 1000"),
    ({"init": {"kind": "xavier"}}, "training.init.kind: unknown name 'xavier' (choose from glorot, he, uniform"),
    ({"init": {"kind": "he", "std": 1}}, "training.init (he): unknown key 'std' (allowed: kind)"),
    ({"init": {"kind": "glorot", "kind2": 1}}, "training.init (glorot): unknown key 'kind2'"),
])
def test_malformed_options_are_refused_naming_the_field(fields, message):
    with pytest.raises(DocumentError) as e:
        parse_document(json.dumps(with_training(**fields)))
    assert str(e.value).startswith(message), str(e.value)


def test_options_made_in_code_are_checked_too():
    with pytest.raises(ValueError, match="lambda must be"):
        WeightDecay("l2", math.nan)
    with pytest.raises(ValueError, match="factor must be above 0"):
        Schedule("exponential", factor=0.0)
    with pytest.raises(ValueError, match="steps: a exponential schedule has no steps"):
        Schedule("exponential", factor=0.5, steps=3)
    with pytest.raises(ValueError, match="every must be a whole number"):
        Schedule("step", every=True, factor=0.5)
    with pytest.raises(ValueError, match="range must be above 0"):
        Init("uniform", range=-1.0)


# ---------------------------------------------------------------------------------------------- stopping
def test_stopper_target_loss_patience_and_step_count():
    s = Stopper(StopRule(until_loss=0.1))
    assert s.observe(0, 0.5) is None and s.observe(10, 0.1000001) is None
    stop = s.observe(20, 0.1)
    assert stop.rule == "until_loss" and stop.step == 20 and "reached the target 0.1" in stop.message
    s = Stopper(StopRule(patience=3))
    tests = [1.0, 0.8, 0.9, 0.8, 0.85, 0.7, 0.71, 0.7, 0.72]  # 0.8 again is no improvement on 0.8
    stops = [s.observe(k, None, v) for k, v in enumerate(tests)]
    assert stops[:4] == [None] * 4
    assert stops[4].rule == "patience" and stops[4].step == 4
    assert "not improved for 3 evaluations (best 0.8 at step 1)" in stops[4].message
    s = Stopper(StopRule(patience=2))
    assert [s.observe(k, None, v) for k, v in enumerate([1.0, 0.9, 0.8, 0.7])] == [None] * 4
    assert Stopper(StopRule(max_steps=5)).observe(5, 1.0).rule == "max_steps"
    assert Stopper(StopRule(patience=1)).observe(0, None, math.nan) is None  # the first is the best so far
    with pytest.raises(ValueError, match="patience must be a whole number"):
        StopRule(patience=0)


def run_cli(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_train_stops_at_a_target_loss_and_says_so(tmp_path, capsys):
    out_path = tmp_path / "t.json"
    status, out, err = run_cli(capsys, "train", example_paths()["xor"], "--steps", 5000, "--until-loss", 0.3,
                               "-o", out_path)
    assert status == 0, err
    m = next(line for line in out.splitlines() if line.startswith("stopped at step "))
    step = int(m.split()[3].rstrip(":"))
    assert 0 < step < 5000 and "(--until-loss)" in m and "reached the target 0.3" in m
    assert f"trained {step} of 5000 steps" in out
    # full batch: an evaluation after every step, so the step before was still above the target
    doc = load_document(example_paths()["xor"])
    trainer = Trainer.from_document(doc)
    trainer.train(step - 1)
    assert trainer.train_loss() > 0.3
    trainer.step()
    assert trainer.train_loss() <= 0.3
    np.testing.assert_allclose(values(trainer, doc.network.parameter_names()),
                               [load_document(out_path).network.get_parameter(n)
                                for n in doc.network.parameter_names()], rtol=1e-15)


def test_cli_train_patience_watches_the_test_loss(tmp_path, capsys):
    raw = json.loads(example_paths()["sine"].read_text())
    raw["training"].update(optimizer="sgd", learning_rate=3.0, batch_size=8)
    src = tmp_path / "sine.json"
    src.write_text(json.dumps(raw))
    status, out, err = run_cli(capsys, "train", src, "--steps", 20000, "--patience", 2, "-o", tmp_path / "o.json")
    assert status == 0, err
    line = next(line for line in out.splitlines() if line.startswith("stopped at step "))
    assert "the test loss has not improved for 2 evaluations" in line and "(--patience)" in line
    step = int(line.split()[3].rstrip(":"))
    assert step < 20000 and step % 10 == 0  # 80 training points in batches of 8: an epoch is 10 steps


def test_cli_train_patience_needs_a_test_set_and_reports_reaching_the_step_count(tmp_path, capsys):
    status, out, err = run_cli(capsys, "train", example_paths()["xor"], "--steps", 10, "--patience", 3,
                               "-o", tmp_path / "o.json")
    assert status == 2 and "no test set" in err and err.count("\n") == 1
    assert not (tmp_path / "o.json").exists()
    status, out, err = run_cli(capsys, "train", example_paths()["xor"], "--steps", 10, "--until-loss", 1e-9,
                               "-o", tmp_path / "o.json")
    assert status == 0 and "stopped at step 10: it made the 10 steps asked for" in out


def test_cli_train_with_decay_and_schedule_reports_both_and_keeps_them(tmp_path, capsys):
    src = tmp_path / "xor.json"
    src.write_text(json.dumps(with_training(weight_decay={"kind": "l2", "lambda": 0.01},
                                            schedule={"kind": "exponential", "factor": 0.99})))
    status, out, err = run_cli(capsys, "train", src, "--steps", 50, "-o", tmp_path / "o.json")
    assert status == 0, err
    doc = load_document(src)
    trainer = Trainer.from_document(doc)
    total0 = trainer.total_loss()
    trainer.train(50)
    assert f"now {0.5 * 0.99**50:.6g}" in out
    assert f"total loss E + (λ/2)·Σw², λ = 0.01: {total0:.6g} -> {trainer.total_loss():.6g}" in out
    assert load_document(tmp_path / "o.json").training == doc.training
