"""What the three step views share: a plot, with a message in its place when there is no step to draw, a caption
under it (that says when E is the total E + R of a weight decay); drawn from the snapshots while on show, at a
readable pace."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ...core.step_anatomy import StepAnatomy
from ...core.training_run import TrainingSnapshot
from ..style import caption_label, plot_or_message
from ..text import total_words
from .step_state import DrawPace, step_to_draw


class StepView(QWidget):
    """A step view: subclasses make ``plot_widget`` and call :meth:`lay_out`, then draw in :meth:`set_anatomy` and
    empty themselves in :meth:`clear` (which calls this one's)."""

    def lay_out(self, plot_widget, *below: QWidget) -> None:
        """The plot (or the message in its place), the caption, then ``below``."""
        self.plot_widget = plot_widget
        self.caption = caption_label()
        self.message, self._pages = plot_or_message(self, plot_widget, self.caption, *below)
        self.anatomy: StepAnatomy | None = None
        #: the view's dock is on show (its tab at the front, or floating); a hidden tab's widget still counts as
        #: visible to Qt, so the window sets this from the dock's visibilityChanged
        self.on_show = False
        self._pace = DrawPace()
        self._hub = None

    def follow(self, hub, training) -> None:
        """Draw each of ``training``'s snapshots while on show; empty when another document opens."""
        self._hub = hub
        training.sigSnapshot.connect(self.update_snapshot)
        hub.sigDocumentReplaced.connect(lambda *_: self.clear())

    def clear(self, message: str = "") -> None:
        """No step drawn; ``message`` (if any) in the plot's place."""
        self.anatomy = None
        self.message.setText(message)
        self._pages.setCurrentWidget(self.message if message else self.plot_widget)
        self.caption.setText("")

    def show_plot(self) -> None:
        self._pages.setCurrentWidget(self.plot_widget)

    def update_snapshot(self, snap: TrainingSnapshot) -> None:
        if not self.on_show or not self._pace.due(snap):  # hidden (the snapshots carry no anatomy), or too soon
            return
        a, note = step_to_draw(snap)
        if a is None:
            self.clear(note)
            self.nothing_to_draw(snap)
            return
        decay = self._hub.model.doc.training.weight_decay if self._hub is not None else None
        if decay is not None:  # the anatomy is of what training minimises
            note = total_words(decay) + " " + note
        self.set_anatomy(a, note)

    def nothing_to_draw(self, snap: TrainingSnapshot) -> None:
        """Called after :meth:`clear` when the snapshot has no step to draw (e.g. at a stationary point)."""

    def set_anatomy(self, a: StepAnatomy, note: str = "") -> None:
        raise NotImplementedError
