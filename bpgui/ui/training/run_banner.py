"""The banner above the canvas when training needs the user: it diverged or got stuck (with "Go back to step N",
the weights before the trouble), an internal error stopped it, or it paused where the user's "stop at" said. It
goes once training runs again."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class RunBanner(QFrame):
    """A message above the canvas, with an optional restore button."""

    #: a message for the status bar
    sigStatus = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #fdf1d6; border-bottom: 1px solid #e0b050; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.restore = QPushButton("Go back")
        self.restore.setToolTip("go back to the last weights before the loss went wrong, with their step and a "
                                "fresh optimizer")
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.restore)
        lay.addWidget(close)
        self.training = None
        self.hide()

    def show_message(self, text: str, restore: bool) -> None:
        self.text.setText(text)
        self.restore.setVisible(restore)
        self.show()

    def follow(self, training) -> None:
        """Show what ``training`` (a TrainingController) says of divergence and internal errors."""
        self.training = training
        training.sigPlayingChanged.connect(self._on_playing_changed)
        training.sigDiverged.connect(self._on_diverged)
        training.sigError.connect(self._on_error)
        training.sigStopped.connect(self._on_stopped)
        self.restore.clicked.connect(self.restore_finite)

    def _on_playing_changed(self, playing: bool) -> None:
        if playing and not self.training.diverged:
            self.hide()  # an old message (e.g. an internal error) is over once training runs again

    def _on_diverged(self, message: str) -> None:
        if message:
            snap = self.training.latest
            back = snap.restore_step if snap is not None else None
            self.restore.setText("Go back" if back is None else f"Go back to step {back:,}")
            self.show_message(message, restore=True)
            self.sigStatus.emit("training paused: see the message above the network")
        else:
            self.hide()

    def _on_stopped(self, message: str) -> None:
        """Play paused at the user's target: why, and that Play trains on past it."""
        self.setToolTip("")
        self.show_message(f"Training {message}. Play trains on past it; change the target under Training › "
                          "More options.", restore=False)
        self.sigStatus.emit(f"training {message}")

    def _on_error(self, message: str) -> None:
        self.show_message(message.split("\n", 1)[0], restore=False)
        self.setToolTip(message)

    def restore_finite(self) -> None:
        """Go back to the weights before the trouble (the run says which, and what that will have done)."""
        snap = self.training.latest
        note = snap.restore_note if snap is not None and snap.diverged else None
        self.training.restore_finite()
        self.hide()
        self.sigStatus.emit(note or "went back to the last good weights: try a smaller learning rate")
