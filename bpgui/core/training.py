"""Training: an engine, an optimizer and a batch schedule, stepped one update at a time.

One *step* is one optimizer update on one batch (the whole training set when ``batch_size`` is None); an
*epoch* is one pass over the training set. Minibatches are drawn in an order shuffled by a generator seeded
with ``training.seed``, so a run is reproducible.
"""

from __future__ import annotations

import numpy as np

from .datasets import Dataset
from .document import Document, TrainingConfig
from .engine import Engine, Workspace
from .network import Network
from .optimizers import make_optimizer


class Trainer:
    def __init__(self, network: Network, dataset: Dataset, config: TrainingConfig):
        self.network = network
        self.dataset = dataset
        self.config = config
        self.engine = Engine(network)
        self.optimizer = make_optimizer(config.optimizer, self.engine.params.size, config.learning_rate,
                                        **config.hyper_for_optimizer())
        self.rng = np.random.default_rng(config.seed)
        self.step_count = 0
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
    def steps_per_epoch(self) -> int:
        n = len(self._order)
        return -(-n // self.batch_size)

    def step(self, accept=None) -> float:
        """One update; returns the batch loss before it. With ``accept``, a callable given that loss, the update
        is made (and counted) only if it returns True."""
        ws = self._next_workspace()
        e = self.engine.loss_and_grad(ws)
        if accept is not None and not accept(e):
            return e
        if not self.config.train_biases:
            ws.G_bias.fill(0.0)
        self.optimizer.step(self.engine.params, ws.G.reshape(-1))
        self.step_count += 1
        if self._full is not None:
            self.epoch = self.step_count
        elif self._cursor >= len(self._order):  # this step finished a pass over the training set
            self.epoch += 1
        return e

    def train(self, steps: int, callback=None) -> float:
        """Run ``steps`` updates; ``callback(i)`` is called after each (e.g. for a progress bar)."""
        e = float("nan")
        for i in range(steps):
            e = self.step()
            if callback is not None:
                callback(i + 1)
        return e

    def train_loss(self) -> float:
        d = self.dataset
        return self.engine.loss_value(d.x_train, d.t_train)

    def test_loss(self) -> float | None:
        d = self.dataset
        if len(d.x_test) == 0:
            return None
        return self.engine.loss_value(d.x_test, d.t_test)

    def parameters_finite(self) -> bool:
        return bool(np.isfinite(self.engine.params).all())

    def write_back(self) -> None:
        """Copy the trained parameters into the network."""
        self.engine.write_to(self.network)
