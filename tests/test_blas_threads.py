"""Training runs with numpy's BLAS on one thread (core/blas.py), and gives the process its number back after.

What is read is what the BLAS library itself reports (threadpoolctl's threadpool_info() calls its
get_num_threads), from inside the run: a step callback or the run's keep_going check. Before each test the number
is set to 3, whatever the machine's, so that "restored" and "limited" cannot be mistaken for each other (but for
one test that keeps the machine's number, and skips where that is already 1)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

from bpgui.core import blas  # noqa: E402
from bpgui.core.datasets import Dataset  # noqa: E402
from bpgui.core.document import TableData, TrainingConfig  # noqa: E402
from bpgui.core.network import layered  # noqa: E402
from bpgui.core.training import Trainer  # noqa: E402
from bpgui.core.training_run import TrainingRun  # noqa: E402

BEFORE = 3


def blas_threads() -> set[int]:
    """The numbers of threads of the BLAS libraries loaded (numpy's)."""
    return {lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture(autouse=True)
def three_threads(request):
    """BEFORE threads, set by this (the main) thread for the test; not for the tests that train in another
    thread (OpenBLAS's number is process-wide, so threadpoolctl lets only one thread at a time set it)."""
    if not blas_threads():
        pytest.skip("threadpoolctl finds no BLAS library in this numpy")
    if "no_limit_held" in request.fixturenames:
        yield
        return
    with threadpoolctl.threadpool_limits(BEFORE, user_api="blas"):
        assert blas_threads() == {BEFORE}
        yield


@pytest.fixture
def no_limit_held():
    """Marks a test that trains in a thread of its own, with no limit held by the main thread."""


def problem():
    rng = np.random.default_rng(0)
    net = layered([4, 6, 3], "tanh", "linear", "cross_entropy", weights=lambda a, b: rng.normal(0.0, 0.5))
    x = rng.normal(size=(30, 4))
    t = np.eye(3)[rng.integers(0, 3, 30)]
    return net, TableData(x, t), TrainingConfig(learning_rate=0.1)


def dataset(data: TableData) -> Dataset:
    return Dataset(data.inputs, data.targets)


def test_a_training_run_uses_one_blas_thread_and_gives_the_number_back():
    net, data, config = problem()
    run = TrainingRun(net, data, config)
    seen = []

    def keep_going():  # called by the run after every step
        seen.append(blas_threads())
        return True

    assert run.run(5, keep_going=keep_going) == 5
    assert seen == [{1}] * 5
    assert blas_threads() == {BEFORE}
    assert run.run_epoch() == 1  # the other way in: Step Epoch (full batch: one step)
    assert blas_threads() == {BEFORE}


def test_a_snapshot_uses_one_blas_thread_too(monkeypatch):
    """A snapshot makes a training step's products (loss, gradient and accuracy on the training set) up to 40
    times a second between the run's chunks; seen from its accuracy count."""
    from bpgui.core import training_run

    seen = []
    count = training_run._loaded_accuracy

    def probe(*args, **kwargs):
        seen.append(blas_threads())
        return count(*args, **kwargs)

    monkeypatch.setattr(training_run, "_loaded_accuracy", probe)
    net, data, config = problem()
    snap = TrainingRun(net, data, config).snapshot()
    assert snap.accuracy is not None and seen == [{1}]
    assert blas_threads() == {BEFORE}


def test_the_headless_training_loop_uses_one_blas_thread_and_gives_the_number_back():
    net, data, config = problem()
    trainer = Trainer(net, dataset(data), config)
    seen = []
    trainer.train(4, callback=lambda i: seen.append(blas_threads()))
    assert seen == [{1}] * 4
    assert blas_threads() == {BEFORE}


def test_the_number_comes_back_when_a_step_fails():
    net, data, config = problem()
    trainer = Trainer(net, dataset(data), config)

    def fail(i):
        assert blas_threads() == {1}
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        trainer.train(3, callback=fail)
    assert blas_threads() == {BEFORE}


def test_stretches_nest_and_each_gives_back_what_it_found():
    with blas.training_threads():
        assert blas_threads() == {1}
        with blas.training_threads():
            assert blas_threads() == {1}
        assert blas_threads() == {1}
    assert blas_threads() == {BEFORE}


def train_in_a_thread(before: int | None) -> tuple[list[set[int]], set[int]]:
    """Train as the window does, in a thread of its own (no limit held by any thread), optionally after setting
    ``before`` threads in that thread; the numbers seen at each step and after the run."""
    seen: list[set[int]] = []
    after: list[set[int]] = []

    def work():
        net, data, config = problem()
        run = TrainingRun(net, data, config)

        def train():
            run.run(4, keep_going=lambda: seen.append(blas_threads()) or True)
            after.append(blas_threads())

        if before is None:
            train()
        else:
            with threadpoolctl.threadpool_limits(before, user_api="blas"):
                train()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    return seen, after[0]


@pytest.mark.usefixtures("no_limit_held")
def test_a_run_in_another_thread_is_limited_too():
    seen, after = train_in_a_thread(BEFORE)
    assert seen == [{1}] * 4 and after == {BEFORE}


@pytest.mark.usefixtures("no_limit_held")
def test_a_run_in_another_thread_with_the_machines_number():
    machine = blas_threads()
    if machine == {1}:
        pytest.skip("numpy's BLAS uses one thread here anyway")
    seen, after = train_in_a_thread(None)
    assert seen == [{1}] * 4 and after == machine
    assert blas_threads() == machine
    # a run in this thread first must not keep the say over BLAS here: the next run in another thread is limited
    net, data, config = problem()
    TrainingRun(net, data, config).run(2)
    seen, after = train_in_a_thread(None)
    assert seen == [{1}] * 4 and after == machine


def test_none_leaves_blas_alone(monkeypatch):
    monkeypatch.setattr(blas, "TRAINING_THREADS", None)
    net, data, config = problem()
    seen = []
    TrainingRun(net, data, config).run(3, keep_going=lambda: seen.append(blas_threads()) or True)
    assert seen == [{BEFORE}] * 3


@pytest.mark.parametrize("stop_rule", [[], ["--until-loss", "1e-9"]])
def test_bpgui_train_steps_with_one_blas_thread(stop_rule, tmp_path, monkeypatch, capsys):
    """Both of ``bpgui train``'s loops: Trainer.train, and its own loop when a stop rule is given."""
    from bpgui import cli
    from bpgui.resources import example_paths

    seen = []
    step = Trainer.step

    def probe(self, *args, **kwargs):
        seen.append(blas_threads())
        return step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "step", probe)
    out = str(tmp_path / "o.json")
    status = cli.main(["train", str(example_paths()["xor"]), "--steps", "6", *stop_rule, "-o", out])
    assert status == 0, capsys.readouterr().err
    assert seen == [{1}] * 6
    assert blas_threads() == {BEFORE}
