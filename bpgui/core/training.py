"""Training: an engine, an optimizer and a batch schedule, stepped one update at a time.

One *step* is one optimizer update on one batch (the whole training set when ``batch_size`` is None); an
*epoch* is one pass over the training set. Minibatches are drawn in an order shuffled by a generator seeded
with ``training.seed``, so a run is reproducible.

The document's weight decay makes the loss each step minimises E + R (see regularization.py), and its schedule
sets the learning rate of each step (see schedules.py), counted in optimizer steps from ``step_offset`` (where a
live run that rebuilt its trainer had got to).
"""

from __future__ import annotations

import numpy as np

from .blas import training_threads
from .datasets import Dataset
from .document import Document, TrainingConfig
from .engine import Engine, Workspace
from .network import Network
from .optimizers import make_optimizer
from .schedules import LearningRates


class Trainer:
    def __init__(self, network: Network, dataset: Dataset, config: TrainingConfig):
        self.network = network
        self.dataset = dataset
        self.config = config
        self.engine = Engine(network, config.weight_decay)
        self.optimizer = make_optimizer(config.optimizer, self.engine.params.size, config.learning_rate,
                                        **config.hyper_for_optimizer())
        self.rng = np.random.default_rng(config.seed)
        self.step_count = 0
        self.step_offset = 0  # optimizer steps made before this trainer (the schedule counts from there)
        self._rates = LearningRates(config.schedule, config.learning_rate)
        self.epoch = 0
        n = len(dataset.x_train)
        self._x = np.ascontiguousarray(dataset.x_train.T)  # feature-major copies for fast batch gathering
        self._t = np.ascontiguousarray(dataset.t_train.T[self.engine._unperm])  # compiled output order
        b = config.batch_size
        self.batch_size = n if b is None or b >= n else b
        self._order = np.arange(n)
        self._cursor = n  # start a new epoch at the first step
        if self.batch_size == n:
            # its own buffers: engine.workspace(n) is shared with loss_value() and gradient() (e.g. a test set of n)
            self._full = Workspace(self.engine, n)
            self._full.load(dataset.x_train, dataset.t_train)
        else:
            self._full = None
        self.sync_learning_rate()

    @classmethod
    def from_document(cls, doc: Document) -> Trainer:
        return cls(doc.network, doc.dataset(), doc.training)

    def _next_workspace(self):
        if self._full is not None:
            self.epoch = self.step_count  # every step is an epoch
            return self._full
        n = len(self._order)
        if self._cursor >= n:
            self.rng.shuffle(self._order)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += len(idx)
        ws = self.engine.workspace(len(idx))
        np.take(self._x, idx, axis=1, out=ws.inputs)
        np.take(self._t, idx, axis=1, out=ws.T)
        return ws

    @property
    def learning_rate_now(self) -> float:
        """η of the next step: the schedule's (``config.schedule``) at the step count from the base rate
        ``config.learning_rate``; without a schedule, the optimizer's own rate."""
        cfg = self.config
        if cfg.schedule is None:
            return self.optimizer.learning_rate
        rates = self._rates
        if rates.schedule is not cfg.schedule or rates.base != cfg.learning_rate:  # new settings
            rates = self._rates = LearningRates(cfg.schedule, cfg.learning_rate)
        return rates.at(self.step_offset + self.step_count)

    def sync_learning_rate(self) -> None:
        """With a schedule, give the optimizer the next step's η (so that a peek at the next step sees it too)."""
        if self.config.schedule is not None:
            self.optimizer.learning_rate = self.learning_rate_now

    def start_at(self, step: int) -> None:
        """Count the schedule's steps from ``step`` (the optimizer steps made before this trainer's first)."""
        self.step_offset = step - self.step_count
        self.sync_learning_rate()

    @property
    def steps_per_epoch(self) -> int:
        n = len(self._order)
        return -(-n // self.batch_size)

    def step(self, accept=None) -> float:
        """One update; returns the batch loss before it (E + R with a weight decay). With ``accept``, a callable
        given that loss, the update is made (and counted) only if it returns True."""
        ws = self._next_workspace()
        e = self.engine.loss_and_grad(ws)
        if accept is not None and not accept(e):
            return e
        if not self.config.train_biases:
            ws.G_bias.fill(0.0)
        scheduled = self.config.schedule is not None
        if scheduled:
            self.sync_learning_rate()
        self.optimizer.step(self.engine.params, ws.G.reshape(-1))
        self.step_count += 1
        if scheduled:
            self.sync_learning_rate()
        if self._full is not None:
            self.epoch = self.step_count
        elif self._cursor >= len(self._order):  # this step finished a pass over the training set
            self.epoch += 1
        return e

    def train(self, steps: int, callback=None) -> float:
        """Run ``steps`` updates; ``callback(i)`` is called after each (e.g. for a progress bar). numpy's BLAS runs
        on one thread meanwhile (see core/blas.py)."""
        e = float("nan")
        with training_threads():
            for i in range(steps):
                e = self.step()
                if callback is not None:
                    callback(i + 1)
        return e

    def train_loss(self) -> float:
        """E on the whole training set (the data loss, without a weight decay's penalty)."""
        d = self.dataset
        return self.engine.data_loss_value(d.x_train, d.t_train)

    def total_loss(self) -> float:
        """E + R on the whole training set: what training minimises (E without a weight decay)."""
        d = self.dataset
        return self.engine.loss_value(d.x_train, d.t_train)

    def test_loss(self) -> float | None:
        """E on the test set (without the penalty); None without a test set."""
        d = self.dataset
        if len(d.x_test) == 0:
            return None
        return self.engine.data_loss_value(d.x_test, d.t_test)

    def parameters_finite(self) -> bool:
        return bool(np.isfinite(self.engine.params).all())

    def write_back(self) -> None:
        """Copy the trained parameters into the network."""
        self.engine.write_to(self.network)
