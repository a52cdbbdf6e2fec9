"""The run's line in the status bar: step, epoch, train (and test) loss, the accuracy of a network that classifies,
and the speed while training."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from ...core.accuracy import percent
from ...core.training_run import TrainingSnapshot


class RunStatus(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setToolTip("the live run: steps taken, epochs (passes over the training set), the loss on the "
                        "training (and test) set, the share of points classified right (for a loss of bce or "
                        "cross_entropy), and the training speed")

    def update_snapshot(self, snap: TrainingSnapshot) -> None:
        if snap.problem:
            self.setText(snap.problem)
            return
        loss = f"loss {snap.train_loss:.4g}" if snap.finite else "loss —"
        if snap.test_loss is not None:
            loss += f" · test {snap.test_loss:.4g}"
        if snap.accuracy is not None:
            loss += f" · accuracy {percent(snap.accuracy)}"
            if snap.test_accuracy is not None:
                loss += f" (test {percent(snap.test_accuracy)})"
        speed = f" · {snap.steps_per_second:,.0f} steps/s" if snap.playing else ""
        self.setText(f"step {snap.step:,} · epoch {snap.epoch:,} · {loss}{speed}")
