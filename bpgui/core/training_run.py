"""A training run that can be edited while it runs: the state a live training thread owns.

:class:`TrainingRun` wraps a :class:`~bpgui.core.training.Trainer` with what an interactive run needs:

* **edits mid-run** — :meth:`adopt` takes a network the user edited (new values, or a new structure: parameters
  that survive keep their optimizer state), :meth:`set_config` a new learning rate, optimizer or batch size,
  :meth:`set_data` new data, without losing the step count or the loss history;
* **divergence** — a step whose loss or parameters are not finite, or whose loss grew :data:`BLOWUP` times above
  where the run (re)started, stops the run; the last parameters whose loss was finite are kept for
  :meth:`restore_finite`;
* **stalls** — a loss that jumped far above where the run (re)started and stays there (:class:`StallWatch`, e.g.
  saturated sigmoids after too large a step) pauses the run too; :meth:`restore_finite` then goes back to the
  last parameters before the jump. Either way the run goes back to that checkpoint's step, epoch and history;
* **a bounded loss history** (:class:`LossHistory`; with the accuracy beside the loss for classification networks)
  that thins itself out instead of growing without limit, and a bounded **trajectory** (every parameter at the
  recorded steps, :meth:`TrainingRun.trajectory`) thinned alike;
* **immutable snapshots** (:class:`TrainingSnapshot`, read-only copies) for views in other threads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .accuracy import accuracy, has_accuracy, predicted_classes
from .blas import training_threads
from .contours import contour_segments
from .datasets import Dataset, names_classes
from .document import DocumentError, GeneratorData, TableData, TrainingConfig, make_dataset
from .engine import Engine, Workspace
from .initialization import initial_parameters  # noqa: F401 - the window imports it from here
from .losses import LOSSES, constant_output_loss
from .network import Network
from .optimizers import Optimizer, make_optimizer
from .step_anatomy import StepAnatomy, step_anatomy
from .thinned_record import ThinnedRecord
from .training import Trainer
from .trajectory import Trajectory, TrajectoryRecorder

#: points of the input-plane grid on which snapshots carry the network's outputs (2-D inputs)
GRID = 64
#: points of the fitted curve (1-D inputs)
CURVE = 200
#: a run whose loss grows this many times above where it (re)started has blown up, even if still finite
BLOWUP = 100.0
#: the stall guard (see StallWatch): a loss this many times above where the run (re)started (or above the loss
#: of always answering the average, or FLOOR, if more) ...
RISE = 3.0
#: ... that has not fallen by PROGRESS (a fraction) for this many steps is stuck. Measured on the bundled examples
#: with six optimizers, learning rates 0.01-200, full and minibatches, from fresh and from trained weights: runs
#: that came back never stayed up without such progress for more than about 300 steps (xor with adagrad at 50)
STALL_STEPS = 500
PROGRESS = 0.1
#: losses below this count as this (a run at loss 0 has not "risen 3×" at 1e-9)
FLOOR = 0.01
#: |f′(net)| below this on every training point: a neuron is saturated, no gradient passes through it
FLAT = 1e-3


#: losses whose outputs are probabilities in [0, 1]
PROBABILITY_LOSSES = ("bce", "cross_entropy")


def shown_output(n_outputs: int) -> int:
    """The output that pictures of the input space show: the probability of class 1 for two (one-hot) outputs,
    else the first."""
    return 1 if n_outputs == 2 else 0


def output_range(loss: str, d: Dataset, k: int | None = None) -> tuple[float, float]:
    """The output values at the two ends of a colour map of output ``k`` (default: the shown output); their middle
    is the decision level: [0, 1] for probabilities, else the span of the targets (±0.5 around them if they are
    all equal)."""
    if loss in PROBABILITY_LOSSES:
        return 0.0, 1.0
    k = shown_output(d.n_outputs) if k is None else k
    t = np.concatenate([d.t_train[:, k], d.t_test[:, k]]) if len(d.t_test) else d.t_train[:, k]
    lo, hi = float(t.min()), float(t.max())
    middle, half = (lo + hi) / 2, (hi - lo) / 2 or 0.5
    return middle - half, middle + half


#: activations whose outputs lie in [0, 1] (a colour map of them is centred on 0.5), and in [-1, 1] (on 0); a
#: picture of any other (linear, relu, leaky_relu, softplus) spans ±its largest |output| over the grid
UNIT_ACTIVATIONS = ("sigmoid", "gaussian")
SIGNED_UNIT_ACTIVATIONS = ("tanh",)


def activation_range(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The output values at the two ends of a colour map of a neuron with this ``activation``, centred where its
    outputs change sign or class: [0, 1] for sigmoid and gaussian, [-1, 1] for tanh, else ±the largest finite
    |value| of ``values`` (±1 when they are all 0 or none is finite)."""
    if activation in UNIT_ACTIVATIONS:
        return 0.0, 1.0
    if activation in SIGNED_UNIT_ACTIVATIONS:
        return -1.0, 1.0
    finite = np.abs(values[np.isfinite(values)])
    m = float(finite.max()) if finite.size else 0.0
    m = m if m > 0.0 else 1.0
    return -m, m


@dataclass(frozen=True)
class NeuronGrids:
    """Every non-input neuron's output over a snapshot's grid (2-D inputs): what each one computes of the two
    inputs, as :attr:`TrainingSnapshot.grid_outputs` shows the network's. Hidden neurons: their output ``out =
    f(net)``; outputs: the network's output as it reports it (the softmax probability with cross_entropy), so
    that their pictures match the Outputs view."""

    ids: tuple[str, ...]  # document order
    outputs: np.ndarray  # M × G × G (row = y, as grid_outputs), read-only
    levels: np.ndarray  # M × 2: the values at the two ends of the colour map (see activation_range, output_range)

    def output(self, nid: str) -> np.ndarray:
        return self.outputs[self.ids.index(nid)]

    def level(self, nid: str) -> tuple[float, float]:
        lo, hi = self.levels[self.ids.index(nid)]
        return float(lo), float(hi)


class StallWatch:
    """Judges a run's full training loss, step by step from where the run (re)started: has it risen far above the
    start and stayed there?

    ``limit`` is RISE × the largest of the start, ``baseline`` (the loss of always answering the average: a
    network far above it does worse than ignoring its inputs) and FLOOR. A stretch of losses above the limit is a
    stall once it has lasted STALL_STEPS steps without the loss falling PROGRESS below where the stretch began (a
    fall starts the stretch afresh; a loss back at or under the limit ends it). Losses may come at any steps in
    increasing order (minibatch runs judge the full loss only at the steps their history records)."""

    def __init__(self, start: float, baseline: float):
        self.start = start
        self.limit = RISE * max(start, baseline, FLOOR)
        self.since: int | None = None  # the step where the current stretch above the limit began
        self.level = math.inf  # the loss there
        self.low = math.inf  # the lowest loss of the stretch

    def observe(self, step: int, loss: float) -> bool:
        """Take the loss before step ``step``; True when the run is stuck."""
        if loss <= self.limit:
            self.since = None
            return False
        if self.since is None or loss < (1.0 - PROGRESS) * self.level:
            self.since, self.level, self.low = step, loss, loss
            return False
        self.low = min(self.low, loss)
        return step - self.since >= STALL_STEPS


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.flags.writeable = False
    return a


class LossHistory(ThinnedRecord):
    """Train and test loss, train and test accuracy (classification networks) and the total loss E + R (with a
    weight decay; else the train loss again) against step, at most ``capacity`` points (see
    :class:`ThinnedRecord`: the five are kept and thinned together)."""

    def __init__(self, capacity: int = 2048):
        super().__init__(capacity, (), (), (), (), ())
        self._train, self._test, self._accuracy, self._test_accuracy, self._total = self._columns

    def add(self, step: int, train: float, test: float | None, accuracy: float | None = None,
            test_accuracy: float | None = None, total: float | None = None) -> None:
        nan = np.nan
        self._record(step, train, nan if test is None else test, nan if accuracy is None else accuracy,
                     nan if test_accuracy is None else test_accuracy, train if total is None else total)

    def total_array(self) -> np.ndarray:
        """A read-only copy aligned with :meth:`arrays`' steps: the total loss E + R (E without a weight decay)."""
        return _read_only(self._total[: self.size])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Read-only copies: steps, train loss, test loss (NaN where there is no test set)."""
        n = self.size
        return _read_only(self._steps[:n]), _read_only(self._train[:n]), _read_only(self._test[:n])

    def accuracy_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Read-only copies aligned with :meth:`arrays`' steps: train and test accuracy in [0, 1] (NaN where the
        network does not classify or there is no test set)."""
        n = self.size
        return _read_only(self._accuracy[:n]), _read_only(self._test_accuracy[:n])


@dataclass(frozen=True)
class TrainingSnapshot:
    """Everything a view draws, copied: safe to hand to another thread."""

    generation: int  # the last user edit the run has taken in (see TrainingRun.adopt)
    names: tuple[str, ...]  # parameter names, document order
    values: np.ndarray  # parameter values, aligned with names
    gradient: np.ndarray  # ∂E/∂p over the training set at ``values`` (NaN when diverged)
    step: int
    epoch: int
    train_loss: float  # the data loss E on the training set (without a weight decay's penalty)
    test_loss: float | None  # E on the test set
    history_steps: np.ndarray
    history_train: np.ndarray
    history_test: np.ndarray
    steps_per_second: float
    playing: bool
    diverged: str | None  # a message when the run stopped: a non-finite loss or parameter, a blow-up, a stall
    problem: str | None  # a message when the run cannot train at all (e.g. data and network disagree)
    # the network's outputs over the inputs: a grid (2-D inputs) or a curve (1-D inputs); None otherwise
    grid_x: np.ndarray | None = None  # G values of input 1
    grid_y: np.ndarray | None = None  # G values of input 2 (None for a curve)
    grid_outputs: np.ndarray | None = None  # G×G×K (row = y) for a grid, G×K for a curve
    boundary: np.ndarray | None = None  # the decision contour of a grid's shown output: (M, 2, 2) segments
    #: the parameters after the optimizer's next step (with its real state) on the full-batch gradient
    next_values: np.ndarray | None = None
    #: when the run stopped: the step restore_finite goes back to, and what that did (for the user)
    restore_step: int | None = None
    restore_note: str | None = None
    #: the anatomy of that next step over every trainable parameter, when asked for (see ``snapshot``)
    anatomy: StepAnatomy | None = None
    #: the real path so far (see TrainingRun.trajectory), when asked for (see ``snapshot``)
    trajectory: Trajectory | None = None
    #: the share in [0, 1] of training (test) points classified right, for networks that classify (loss bce or
    #: cross_entropy) data whose targets name classes (see core/accuracy.py); None otherwise, without a test set,
    #: or when the parameters are not finite
    accuracy: float | None = None
    test_accuracy: float | None = None
    #: the accuracy at the history's steps (NaN where there is none), aligned with ``history_steps``
    history_accuracy: np.ndarray | None = None
    history_test_accuracy: np.ndarray | None = None
    #: the inputs (indices from 0) that grid_x (and grid_y) run along; the others are held at their mean
    grid_inputs: tuple[int, ...] | None = None
    #: E + R on the training set, what training minimises (= train_loss without a weight decay); ``gradient``,
    #: ``next_values``, ``anatomy`` and ``trajectory`` are of this total
    total_loss: float = math.nan
    #: the total at the history's steps, aligned with ``history_steps``
    history_total: np.ndarray | None = None
    #: η of the next optimizer step (the schedule's, see core/schedules.py; else the learning rate)
    learning_rate_now: float = math.nan
    #: every non-input neuron's output over the grid (2-D grids only), when asked for (see ``snapshot``)
    grid_neurons: NeuronGrids | None = None

    @property
    def parameters(self) -> dict[str, float]:
        return dict(zip(self.names, self.values.tolist()))

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.values).all())


class TrainingRun:
    """The state of one live run. Not thread-safe: one thread owns it and applies every command in order."""

    def __init__(self, network: Network, data: TableData | GeneratorData, config: TrainingConfig):
        self.generation = 0
        self.history = LossHistory()
        self.path: TrajectoryRecorder | None = None  # set by _rebuild, for the run's parameter names
        self.diverged: str | None = None
        self.problem: str | None = None
        self._network = network.copy()
        self._data = data
        self._config = config.copy()
        self.trainer: Trainer | None = None
        self._shown_inputs: tuple[int, ...] | None = None  # the inputs the output pictures span (see output_axes)
        self._grid_ws: Workspace | None = None  # the grid's points loaded for self._grid_for's engine and grid
        self._grid_for: tuple | None = None
        # checkpoints, each with its place (step, epoch, minibatch cursor): the last parameters whose loss was
        # finite and sane (_good), and the last ones whose loss was not far up (_calm; see StallWatch)
        self._good = np.zeros(0)
        self._calm = np.zeros(0)
        self._candidate = np.zeros(0)
        self._good_at = self._calm_at = (0, 0, 0)
        self._trouble: str | None = None  # why the run stopped: "stall", "grew" (a blow-up) or "lost" (not finite)
        self._step0 = 0
        self._epoch0 = 0
        self._limit: float | None = None  # the blow-up threshold, set by the first step after a (re)start
        self._watch: StallWatch | None = None  # set with _limit
        self._start_loss = math.nan
        self._baseline = 0.0
        self._rebuild(keep_state=False)

    # ------------------------------------------------------------------ building
    def _rebuild(self, keep_state: bool) -> None:
        """A new trainer for the current network, data and config; parameters and (where names survive)
        optimizer state carry over from the old one when ``keep_state``."""
        old = self.trainer
        if old is not None:
            self._step0, self._epoch0 = self.step_count, self.epoch
        self._classifies = False
        try:
            dataset = make_dataset(self._data, self._network)
            trainer = Trainer(self._network, dataset, self._config)
        except (DocumentError, ValueError) as e:
            self.trainer = None
            self.problem = f"Cannot train: {e}"
            self._grid = None
            self._restart_guard()
            return
        self.problem = None
        trainer.start_at(self._step0)  # the schedule counts the run's steps
        if keep_state and old is not None:
            _carry_optimizer_state(old.optimizer, old.engine, trainer.optimizer, trainer.engine)
        self.trainer = trainer
        size = trainer.engine.params.size
        self._good = trainer.engine.params.copy()
        self._calm = trainer.engine.params.copy()
        self._good_at = self._calm_at = self._place()
        self._candidate = np.empty(size)
        self._baseline = constant_output_loss(self._network.loss, dataset.t_train)
        targets = np.concatenate([dataset.t_train, dataset.t_test]) if len(dataset.t_test) else dataset.t_train
        self._two_classes = names_classes(targets)  # else a decision contour means nothing (e.g. 2-D regression)
        self._classifies = has_accuracy(self._network.loss, targets)
        # each sample's class, for the accuracy recorded as the run goes (training set, test set)
        self._classes = ((predicted_classes(dataset.t_train), predicted_classes(dataset.t_test))
                         if self._classifies and dataset.n_outputs > 1 else (None, None))
        self._restart_guard()  # new data or a new net: measure blow-ups and stalls from here
        self._eval_ws = Workspace(trainer.engine, len(dataset.x_train))
        self._eval_ws.load(dataset.x_train, dataset.t_train)
        self._order = np.array([trainer.engine.index[n] for n in trainer.engine.parameter_names], dtype=np.intp)
        self._names = tuple(trainer.engine.parameter_names)
        if self.path is None or self.path.names != self._names:  # a new structure: a path in another space
            self.path = TrajectoryRecorder(self._names)
        self._grid = _output_inputs(dataset, self._shown_inputs)

    @property
    def network(self) -> Network:
        """The run's own network (structure and the values it was last given; not the trained values)."""
        return self._network

    @property
    def step_count(self) -> int:
        return self._step0 + (self.trainer.step_count if self.trainer else 0)

    @property
    def epoch(self) -> int:
        return self._epoch0 + (self.trainer.epoch if self.trainer else 0)

    @property
    def dataset(self) -> Dataset | None:
        return self.trainer.dataset if self.trainer else None

    @property
    def can_train(self) -> bool:
        return self.trainer is not None and self.diverged is None and self.problem is None

    def _place(self) -> tuple[int, int, int]:
        """Where the run is: step, epoch and the minibatch cursor (how far into the current epoch)."""
        return self.step_count, self.epoch, self.trainer._cursor

    def _restart_guard(self) -> None:
        """Measure blow-ups and stalls from here (after an edit, new settings, a restore): the first judged loss
        sets the limits, and the current parameters (if finite) are both checkpoints, unless the run is stopped
        (new settings then must not move where Restore goes back to)."""
        self._limit = None
        self._watch = None
        t = self.trainer
        if t is not None and self.diverged is None and np.isfinite(t.engine.params).all():
            np.copyto(self._good, t.engine.params)
            np.copyto(self._calm, t.engine.params)
            self._good_at = self._calm_at = self._place()

    # ------------------------------------------------------------------ commands
    def adopt(self, network: Network, generation: int | None = None) -> None:
        """Take in the user's edited network. Same structure: its values replace the trained ones and the
        optimizer state stays. New structure: a new engine; the optimizer state of surviving parameters stays."""
        if generation is not None:
            self.generation = generation
        same = (self.trainer is not None and self._network.same_structure(network))
        self._network = network.copy()
        if same:
            eng = self.trainer.engine
            for name, value in network.parameters().items():
                eng.params[eng.index[name]] = value
            self.trainer.network = self._network
        else:
            self._rebuild(keep_state=True)
        if self.trainer is not None and np.isfinite(self.trainer.engine.params).all():
            self.diverged = None
        self._restart_guard()  # an edit may raise the loss: measure blow-ups from here

    def set_values(self, values: dict[str, float], generation: int | None = None) -> None:
        """New values for some parameters (e.g. a weight the user drags); the others keep their trained values."""
        if generation is not None:
            self.generation = generation
        self._network.set_parameters(values)
        if self.trainer is not None:
            eng = self.trainer.engine
            for name, value in values.items():
                eng.params[eng.index[name]] = value
            if np.isfinite(eng.params).all():
                self.diverged = None
        self._restart_guard()

    def set_config(self, config: TrainingConfig) -> None:
        old = self._config
        self._config = config.copy()
        t = self.trainer
        if t is None:
            self._rebuild(keep_state=False)
            return
        t.config = self._config
        t.engine.weight_decay = self._config.weight_decay
        self._restart_guard()  # e.g. a larger learning rate: measure blow-ups from here
        if config.batch_size != old.batch_size or config.seed != old.seed:
            self._keep_params_rebuild()
            return
        try:  # the same checks a new run makes
            fresh = make_optimizer(config.optimizer, t.engine.params.size, config.learning_rate,
                                   **config.hyper_for_optimizer())
        except ValueError as e:
            self.problem = f"Cannot train: {e}"
            return
        self.problem = None
        if config.optimizer != old.optimizer or config.hyper_for_optimizer() != old.hyper_for_optimizer():
            t.optimizer = fresh
        else:  # only the learning rate (or its schedule, the weight decay): the optimizer keeps its state
            t.optimizer.learning_rate = fresh.learning_rate
        t.sync_learning_rate()

    def set_data(self, data: TableData | GeneratorData) -> None:
        self._data = data
        self._keep_params_rebuild()

    def _keep_params_rebuild(self) -> None:
        self._write_back()
        self._rebuild(keep_state=True)

    def _write_back(self) -> None:
        """The trained values (the last finite ones after a divergence) into the run's network."""
        t = self.trainer
        if t is None:
            return
        eng = t.engine
        values = eng.params if np.isfinite(eng.params).all() else self._good
        self._network.set_parameters({n: float(values[eng.index[n]]) for n in eng.parameter_names})
        self.diverged = None

    def reset(self, network: Network | None = None, generation: int | None = None) -> None:
        """Step 0, an empty history and fresh optimizer state, on ``network``'s weights (or the current ones)."""
        if network is not None:
            self._network = network.copy()
            if generation is not None:
                self.generation = generation
        else:
            self._write_back()
        self.trainer = None
        self._step0 = self._epoch0 = 0
        self.history.clear()
        if self.path is not None:
            self.path.clear()
        self.diverged = None
        self._rebuild(keep_state=False)

    def restore_finite(self) -> None:
        """After the run stopped: back to the last checkpoint before the trouble, with fresh optimizer state, at
        that checkpoint's step, epoch and place in the epoch (the history after it is dropped). After a stall that
        is the last one whose loss was not far up; else the last one whose loss was finite and sane."""
        t = self.trainer
        if t is None:
            return
        stall = self._trouble == "stall"
        values, (step, epoch, cursor) = (self._calm, self._calm_at) if stall else (self._good, self._good_at)
        np.copyto(t.engine.params, values)
        t.optimizer = make_optimizer(self._config.optimizer, t.engine.params.size, self._config.learning_rate,
                                     **self._config.hyper_for_optimizer())
        self._step0 = step - t.step_count
        self._epoch0 = epoch - t.epoch
        t.start_at(step)
        if t._full is None:
            t._cursor = cursor
        self.history.truncate(step)
        self.path.truncate(step)
        self.diverged = None
        self._trouble = None
        self._restart_guard()

    @property
    def restore_step(self) -> int | None:
        """The step restore_finite goes back to, while the run is stopped."""
        if self.diverged is None or self.trainer is None:
            return None
        return (self._calm_at if self._trouble == "stall" else self._good_at)[0]

    def resume(self) -> None:
        """Go on after a divergence: from the last finite parameters if the current ones or their loss are not
        finite, else from where the run is (a blown-up loss is then the new starting point)."""
        if self.diverged is None or self.trainer is None:
            return
        with np.errstate(all="ignore"):
            lost = not np.isfinite(self.trainer.engine.params).all() or not math.isfinite(self.trainer.train_loss())
        if lost:
            self.restore_finite()
        self.diverged = None
        self._trouble = None
        self._restart_guard()

    # ------------------------------------------------------------------ stepping
    def run(self, steps: int, deadline: float | None = None, keep_going: Callable[[], bool] | None = None) -> int:
        """Up to ``steps`` updates, stopping early at ``deadline`` (time.perf_counter), when ``keep_going()``
        turns false (both checked after every step), on divergence or on a stall. Returns the number of updates
        made. numpy's BLAS runs on one thread meanwhile (see core/blas.py)."""
        if not self.can_train:
            return 0
        with training_threads():
            return self._run(steps, deadline, keep_going)

    def _run(self, steps: int, deadline: float | None, keep_going: Callable[[], bool] | None) -> int:
        t = self.trainer
        eng = t.engine
        params = eng.params
        history = self.history
        path = self.path
        order = self._order
        full = t._full is not None
        d = t.dataset
        has_test = len(d.x_test) > 0
        classifies = self._classifies
        train_classes, test_classes = self._classes
        isfinite = math.isfinite
        clock = time.perf_counter
        done = 0
        stalled = False
        candidate_at = self._good_at

        def accept(e: float) -> bool:  # full batch: no update from a loss that went wrong
            if not isfinite(e):
                return False
            if full and self._limit is not None and e > self._limit:
                return False
            return True

        s = self.step_count
        while done < steps:
            record = s % history.stride == 0 and history.wants(s)
            train_full = train_data = test = acc = test_acc = None
            if record:  # each accuracy from the forward pass its loss just made, before another one reuses it
                if not full:  # the whole training set's E and E + R (minibatch losses are only a batch's)
                    train_data, penalty = eng.loss_parts(d.x_train, d.t_train)
                    train_full = train_data + penalty
                    if classifies:
                        acc = _loaded_accuracy(eng, eng.workspace(len(d.x_train)), train_classes)
                if has_test:
                    test = eng.data_loss_value(d.x_test, d.t_test)
                    if classifies:
                        test_acc = _loaded_accuracy(eng, eng.workspace(len(d.x_test)), test_classes)
            # keep the parameters every 8th step (on the step count, so that the history's steps are among them)
            # and where the guard restarts; promoted to checkpoints if their loss is sane
            row = params[order] if record else None  # the parameters at step s (a copy), before its update
            checkpoint = (s & 7) == 0 or self._limit is None
            if checkpoint:
                np.copyto(self._candidate, params)
                candidate_at = (s, self._epoch0 + t.epoch, t._cursor)
            e = t.step(accept)  # E + R
            if record and full:
                train_data = t._full.data_loss
                if classifies:  # the full batch's outputs at step s, before its update
                    acc = _loaded_accuracy(eng, t._full, train_classes)
            # blow-ups and stalls are judged on the training set's loss: one minibatch's loss can be far above
            # another's
            judged = e if full else train_full
            if judged is not None and self._limit is None and isfinite(judged):
                self._start_loss = judged
                self._limit = BLOWUP * max(judged, 0.01)
                self._watch = StallWatch(judged, self._baseline)
            sane = isfinite(e) and (judged is None or self._limit is None or judged <= self._limit)
            if not sane:  # the update was not made: the weights stay where the loss went wrong
                if record:
                    history.add(s, train_data, test, acc, test_acc, e if full else train_full)
                    path.add(s, row, e if full else train_full)
                loss = e if judged is None else judged
                self._trouble = "grew" if isfinite(loss) else "lost"
                self.diverged = _divergence_message(loss, self._start_loss, s, self._config.learning_rate)
                return done
            done += 1
            if checkpoint:
                self._good, self._candidate = self._candidate, self._good
                self._good_at = candidate_at
            if judged is not None and self._watch is not None:
                if checkpoint and judged <= self._watch.limit:
                    np.copyto(self._calm, self._good)
                    self._calm_at = candidate_at
                stalled = self._watch.observe(s, judged)
            if record:
                history.add(s, train_data, test, acc, test_acc, e if full else train_full)
                path.add(s, row, e if full else train_full)
            s += 1
            if stalled:
                self._trouble = "stall"
                self.diverged = self._stall_message(s)
                return done
            if (done & 7) == 0 and not np.isfinite(params).all():
                break  # non-finite weights make the next loss non-finite; checking them every 8 steps is enough
            if (deadline is not None and clock() >= deadline) or (keep_going is not None and not keep_going()):
                return done
        if done and not np.isfinite(params).all():
            self._trouble = "lost"
            self.diverged = _divergence_message(e, self._start_loss, s - 1, self._config.learning_rate)
        return done
    def run_epoch(self) -> int:
        """Updates up to the end of the current epoch (one full pass over the training set)."""
        if not self.can_train:
            return 0
        t = self.trainer
        n = len(t._order)
        if t._full is not None or t._cursor >= n:
            left = t.steps_per_epoch
        else:  # part way through an epoch: finish it
            left = -(-(n - t._cursor) // t.batch_size)
        return self.run(left)

    def _stall_message(self, step: int) -> str:
        w = self._watch
        flat = self._saturated_neurons()
        lr = self._config.learning_rate
        text = (f"Training paused at step {step:,}: the loss jumped from {w.start:.3g} to {w.low:.3g} or more and "
                f"has not come down in {STALL_STEPS:,} steps.")
        if flat:
            one = len(flat) == 1
            text += (f" {_and_list(flat)} {'is' if one else 'are'} saturated: {'its' if one else 'their'} activation "
                     f"is flat on every training point, so the weights into {'it' if one else 'them'} get no "
                     f"gradient.")
        return (text + f" The learning rate {lr:g} is probably too large: go back to the weights before the jump "
                f"and try {lr / 10:g} or smaller.")

    def _saturated_neurons(self) -> list[str]:
        """Neurons whose f′(net) is about 0 on every training point, where it stops the gradient: hidden ones,
        and outputs unless the loss gives ∂E/∂net directly (bce, cross-entropy)."""
        t = self.trainer
        d = t.dataset
        with np.errstate(all="ignore"):
            ev = t.engine.evaluate(d.x_train, d.t_train)
        gated = not LOSSES[self._network.loss].fused
        return [n.id for n in self._network if not n.is_input and (gated or n.layer != self._network.output_layer)
                and float(np.abs(ev.dout_dnet[n.id]).max()) < FLAT]

    def _restore_note(self) -> str | None:
        """What restore_finite does, in words, while the run is stopped."""
        step = self.restore_step
        if step is None:
            return None
        why = {"stall": "before the loss jumped", "grew": "before the loss grew"}.get(
            self._trouble, "the last weights whose loss was finite")
        return (f"Back at step {step:,}, {why}; the optimizer starts afresh. Lower the learning rate before you "
                f"train on.")

    # ------------------------------------------------------------------ reading
    def parameter_values(self) -> dict[str, float]:
        if self.trainer is None:
            return self._network.parameters()
        return self.trainer.engine.parameter_values()

    def snapshot(self, playing: bool = False, steps_per_second: float = 0.0,
                 anatomy: bool = False, trajectory: bool = False, neurons: bool = False) -> TrainingSnapshot:
        """What the views draw now; ``anatomy``: with the next step's :class:`StepAnatomy` (1-6 ms on the
        bundled examples, so only while a view shows it; None when the parameters are not finite); ``trajectory``: with
        the real path so far (only while a view draws it); ``neurons``: with every neuron's output over a 2-D grid
        (:class:`NeuronGrids`, from the same forward pass as the grid's outputs). numpy's BLAS runs on one thread
        meanwhile, as in :meth:`run`: a snapshot makes a training step's products, up to 40 times a second between
        the run's."""
        with training_threads():
            return self._snapshot(playing, steps_per_second, anatomy, trajectory, neurons)

    def _snapshot(self, playing: bool, steps_per_second: float, anatomy: bool, trajectory: bool,
                  neurons: bool) -> TrainingSnapshot:
        steps, train_h, test_h = self.history.arrays()
        acc_h, test_acc_h = self.history.accuracy_arrays()
        total_h = self.history.total_array()
        t = self.trainer
        if t is None:
            names = tuple(self._network.parameter_names())
            values = np.array([self._network.get_parameter(n) for n in names])
            nan = _read_only(np.full(len(names), np.nan))
            return TrainingSnapshot(self.generation, names, _read_only(values), nan, self.step_count, self.epoch,
                                    math.nan, None, steps, train_h, test_h, steps_per_second, False, self.diverged,
                                    self.problem, restore_step=self.restore_step, restore_note=self._restore_note(),
                                    history_accuracy=acc_h, history_test_accuracy=test_acc_h,
                                    history_total=total_h, learning_rate_now=self._config.learning_rate)
        eng = t.engine
        values = eng.params[self._order]
        acc = test_acc = None
        t.sync_learning_rate()
        with np.errstate(all="ignore"):
            next_values = None
            total = math.nan
            if np.isfinite(values).all():
                total = eng.loss_and_grad(self._eval_ws)
                train = self._eval_ws.data_loss
                if self._classifies:
                    acc = _loaded_accuracy(eng, self._eval_ws)
                g = self._eval_ws.G.reshape(-1)
                gradient = g[self._order]
                test = t.test_loss()
                if test is not None and self._classifies:
                    test_acc = _loaded_accuracy(eng, eng.workspace(len(t.dataset.x_test)))
                grid = self._outputs_on_grid(neurons)
                next_values = _read_only(self._peek_step(g)[self._order])
            else:
                train, test, grid = math.nan, None, None
                gradient = np.full(len(values), np.nan)
        gx = gy = go = boundary = cells = None
        if grid is not None:
            gx, gy, go, cells = grid
            if gy is not None and self._two_classes:
                lo, hi = output_range(self._network.loss, t.dataset)
                image = go[:, :, shown_output(go.shape[2])]
                boundary = _read_only(contour_segments(gx, gy, image, (lo + hi) / 2))
        return TrainingSnapshot(
            self.generation, self._names, _read_only(values), _read_only(gradient), self.step_count, self.epoch,
            float(train), test, steps, train_h, test_h, steps_per_second, playing, self.diverged, self.problem,
            gx, gy, go, boundary, next_values, self.restore_step, self._restore_note(),
            self.step_anatomy() if anatomy else None, self.trajectory() if trajectory else None,
            acc, test_acc, acc_h, test_acc_h, self._grid[3] if grid is not None else None, float(total), total_h,
            float(t.learning_rate_now), cells)

    def trajectory(self) -> Trajectory | None:
        """The real path so far: every parameter (names as in snapshots) at the steps the loss history records
        (bounded, thinned alike), ending at the current parameters and step. None when the run cannot train."""
        t = self.trainer
        if t is None or self.path is None:
            return None
        path = self.path
        step = self.step_count
        params = t.engine.params
        if (path.last_step is None or step > path.last_step) and np.isfinite(params).all():
            with np.errstate(all="ignore"):
                e = t.engine.loss_only(self._eval_ws)
            return path.trajectory(current=(step, params[self._order], e))
        return path.trajectory()

    def step_anatomy(self, **options) -> StepAnatomy | None:
        """The anatomy of the optimizer's next step, with its real state, on the full training set (as
        ``next_values`` of a snapshot; options as for :func:`~bpgui.core.step_anatomy.step_anatomy`). None when the
        run cannot train or its parameters are not finite. The run does not move."""
        t = self.trainer
        if t is None or not np.isfinite(t.engine.params).all():
            return None
        d = t.dataset
        t.sync_learning_rate()
        return step_anatomy(t.engine, d.x_train, d.t_train, t.optimizer, t.config.train_biases, **options)

    def _peek_step(self, g: np.ndarray) -> np.ndarray:
        """The flat parameters after one optimizer step on gradient ``g``, on copies (the run does not move)."""
        t = self.trainer
        g = g.copy()
        if not t.config.train_biases:
            g.reshape(t.engine.W.shape)[:, 0] = 0.0
        return t.engine.params + t.optimizer.next_step(g)

    def show_inputs(self, shown: tuple[int, ...] | None) -> None:
        """Picture the outputs over these one or two inputs (indices from 0), the others held at their mean; None
        for the default (see :func:`output_axes`). Kept across data and network changes while it fits."""
        self._shown_inputs = None if shown is None else tuple(shown)
        if self.trainer is not None:
            self._grid = _output_inputs(self.trainer.dataset, self._shown_inputs)

    def _outputs_on_grid(self, neurons: bool = False):
        """(gx, gy, the outputs, the neurons' NeuronGrids or None) over the grid, from one forward pass; None
        without a grid."""
        if self._grid is None:
            return None
        gx, gy, points, _axes = self._grid
        eng = self.trainer.engine
        if self._grid_for is None or self._grid_for[0] is not eng or self._grid_for[1] is not points:
            self._grid_ws = Workspace(eng, len(points))  # kept: the engine's weights are read in place
            self._grid_ws.load(points)
            self._grid_for = (eng, points)
        ws = self._grid_ws
        eng.forward(ws)
        out = eng.outputs(ws)
        if gy is None:
            return gx, None, _read_only(out), None
        shape = (len(gy), len(gx))
        cells = self._neuron_grids(ws, out, shape) if neurons else None
        return gx, gy, _read_only(out.reshape(*shape, -1)), cells

    def _neuron_grids(self, ws: Workspace, out: np.ndarray, shape: tuple[int, int]) -> NeuronGrids:
        """Every non-input neuron's output in the forward pass just made on the grid's workspace ``ws`` (``out``:
        the network's outputs there, document order)."""
        eng = self.trainer.engine
        net = self._network
        outputs = {nid: k for k, nid in enumerate(eng.output_ids)}
        ids = tuple(n.id for n in net if not n.is_input)
        images = np.empty((len(ids), *shape))
        levels = np.empty((len(ids), 2))
        for i, nid in enumerate(ids):
            k = outputs.get(nid)
            values = ws.A[eng.row[nid]] if k is None else out[:, k]
            images[i] = values.reshape(shape)
            levels[i] = (activation_range(net.neurons[nid].activation, images[i]) if k is None
                         else output_range(net.loss, self.trainer.dataset, k))
        return NeuronGrids(ids, _read_only(images), _read_only(levels))


# ---------------------------------------------------------------------------------------------- helpers
def _loaded_accuracy(eng: Engine, ws: Workspace, classes: np.ndarray | None = None) -> float | None:
    """The accuracy (see core/accuracy.py) of the outputs of the forward pass just made on the samples loaded in
    ``ws``; ``classes``: the loaded targets' classes, if known (``predicted_classes`` of them)."""
    if eng.K == 1 and eng.loss.name == "bce":
        # the common case, without accuracy()'s copies: with them, recording every step trained circles at 16,000
        # full-batch steps/s instead of 27,000; this way at 23,500
        y = ws.y[0]
        right = np.equal(y >= 0.5, ws.T[0] >= 0.5)
        right &= np.isfinite(y)
        return int(np.count_nonzero(right)) / ws.n
    perm = eng._perm  # compiled order → document order, for the outputs and the targets alike
    if classes is None or eng.K == 1 or ws.n == 0:
        return accuracy(eng.loss.outputs(ws.z, ws.y)[perm].T, ws.T[perm].T)
    # accuracy() without its copies, and the targets' classes found once per run: a 64-32-16-10 net on 1,000
    # samples, recording every step, trained at 1,380 steps/s; this way at 1,530 (not recording: 1,840)
    out = eng.loss.outputs(ws.z, ws.y)[perm]
    right = np.equal(out.T.argmax(axis=1), classes)
    right &= np.isfinite(out).all(axis=0)
    return int(np.count_nonzero(right)) / ws.n


def _carry_optimizer_state(old: Optimizer, old_engine: Engine, new: Optimizer, new_engine: Engine) -> None:
    """Copy per-parameter optimizer state (velocity, running averages) of parameters present in both."""
    if type(old) is not type(new):
        return
    pairs = [(old_engine.index[n], i) for n, i in new_engine.index.items() if n in old_engine.index]
    if not pairs:
        return
    src, dst = (np.array(v, dtype=np.intp) for v in zip(*pairs))
    for key, value in vars(old).items():
        if isinstance(value, np.ndarray) and not key.startswith("_"):
            getattr(new, key)[dst] = value[src]
    new.t = old.t


def output_axes(n_inputs: int, shown: tuple[int, ...] | None = None) -> tuple[int, ...] | None:
    """The inputs (indices from 0) a picture of the network's outputs spans: ``shown`` (one or two distinct
    inputs) when it fits ``n_inputs``, else every input of 1-D or 2-D data; None for wider data with no choice."""
    if shown is not None and 1 <= len(shown) <= 2 and len(set(shown)) == len(shown) \
            and all(0 <= i < n_inputs for i in shown):
        return tuple(int(i) for i in shown)
    return tuple(range(n_inputs)) if n_inputs in (1, 2) else None


def _output_inputs(d: Dataset, shown: tuple[int, ...] | None = None):
    """The fixed input points whose outputs snapshots carry: a grid over the 2-D extent of the inputs ``shown``
    (see :func:`output_axes`; with a margin) or a line over a 1-D extent, every other input held at its mean over
    the data. Returns (gx, gy or None, points, axes) or None."""
    x = np.concatenate([d.x_train, d.x_test]) if len(d.x_test) else d.x_train
    axes = output_axes(x.shape[1], shown)
    if axes is None:
        return None
    xs = x[:, list(axes)]
    lo, hi = xs.min(axis=0), xs.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    if len(axes) == 1:
        gx = np.linspace(lo[0], hi[0], CURVE)
        points = np.tile(x.mean(axis=0), (CURVE, 1))
        points[:, axes[0]] = gx
        return _read_only(gx), None, points, axes
    gx = np.linspace(lo[0], hi[0], GRID)
    gy = np.linspace(lo[1], hi[1], GRID)
    X, Y = np.meshgrid(gx, gy)
    points = np.tile(x.mean(axis=0), (GRID * GRID, 1))
    points[:, axes[0]] = X.ravel()
    points[:, axes[1]] = Y.ravel()
    return _read_only(gx), _read_only(gy), points, axes


def _and_list(names: list[str], most: int = 4) -> str:
    """"h1", "h1 and h2", "h1, h2 and h3", "h1, h2, h3, h4 and 2 more"."""
    if len(names) > most:
        return f"{', '.join(names[:most])} and {len(names) - most} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _divergence_message(loss: float, start: float, step: int, lr: float) -> str:
    if math.isnan(loss):
        what = "the loss became not a number (NaN)"
    elif math.isinf(loss):
        what = "the loss became infinite"
    elif loss > BLOWUP * max(start, 0.01):
        what = f"the loss grew from {start:.4g} to {loss:.4g}"
    else:
        what = "the weights became infinite or not a number"
    return (f"Training diverged at step {step:,}: {what}. The learning rate {lr:g} is probably too large; "
            f"try {lr / 10:g} or smaller.")
