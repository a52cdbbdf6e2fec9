"""Runs a lesson in the window (Help > Lessons): opens its network like File > Open, and at each step applies the
step's setup, points at its ``look`` targets, works out the truth of its question from the live network when the
learner presses Check (:func:`~bpgui.core.lessons.quantity_value`, with training paused), and does what Show me
says — a number of steps at once, a number of steps played one after another, or a view brought to the front.
What the learner reached is kept (:mod:`.lesson_progress`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QFileDialog

from ...core.document import Document, DocumentError
from ...core.lessons import (
    NEXT_STEP_QUANTITIES,
    Lesson,
    LessonError,
    Prediction,
    bundled_lessons,
    check_lesson,
    judge,
    judge_point,
    quantity_value,
    read_lesson,
    surface_pair,
)
from ..document.document_model import DocumentModel
from ..text import num
from ..threads import process_events_until
from ..view_help import VIEW_HELP
from .lesson_panel import LessonEntry, LessonPanel, reveal_text
from .lesson_progress import LessonProgress
from .lesson_targets import LessonTargets
from .point_marker import PointMarker

#: how much the numbers that would give an answer away are blurred while a prediction waits (pixels)
ANSWER_BLUR = 9.0
#: the next-step quantities the live snapshot answers from its anatomy (asked for only then: 1-6 ms)
ANATOMY_QUANTITIES = ("loss_after_step", "uphill", "largest_share")
#: a played reveal lasts at most this long (seconds): a long one goes faster than the document's speed
PLAY_SECONDS = 6.0
#: the Lessons dock's first height: room for this many lines of text, at least the first and at most the second
#: share of the window's height
DOCK_LINES = 13
DOCK_SHARE = (0.34, 0.5)
#: and the Training dock's share of the room above it, on the left
TRAINING_SHARE = 0.68
#: how long a Check waits for a running training thread to stop (seconds)
SETTLE_SECONDS = 3.0


@dataclass
class RevealRun:
    """A Show me under way: ``count`` steps from step ``start`` (``play``: one at a time)."""

    kind: str
    count: int
    start: int
    start_loss: float
    token: int
    sent: int = 0  # steps asked of the training thread so far
    scheduled: bool = False  # the next played step waits on a timer


class LessonRunner(QObject):
    #: a message for the status bar
    sigStatus = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.hub = window.hub
        self.answers_hidden = False  # the answer widgets are blurred (a prediction waits for Check)
        self.training = window.training
        self.panel = LessonPanel()
        self.progress = LessonProgress()
        self.targets = LessonTargets(window)
        self.marker = PointMarker(window.surface_view)
        self.lesson: Lesson | None = None
        self.index = 0
        self.model: DocumentModel | None = None  # the lesson's copy of its network, while it is open
        self.prediction: Prediction | None = None  # the step's, its options filled in
        self.verdict = None  # the last Check's
        self.revealed = False  # Show me has run on this step
        self.reveal: RevealRun | None = None
        self.opened_files: list[Path] = []  # lessons opened from a file this session (listed after the bundled)
        #: the lessons' networks train without their speed cap (headless runs and tests, like make_window's
        #: ``unlimited``); a played reveal then goes as fast as the window draws
        self.lift_speed_cap = False
        self._token = 0  # bumped when a step opens: what a timer of an older step does is dropped
        self._replacing = False
        self._sized = False
        p = self.panel
        p.sigOpen.connect(self.open_lesson)
        p.sigOpenFile.connect(self.open_file_dialog)
        p.sigCheck.connect(self.check)
        p.sigShowMe.connect(self.show_me)
        p.sigBack.connect(lambda: self.go_to(self.index - 1))
        p.sigNext.connect(self.next_step)
        p.sigRestart.connect(self.restart)
        p.sigList.connect(self.show_list)
        self.hub.sigDocumentReplaced.connect(self._on_document_replaced)
        self.training.sigSnapshot.connect(self._on_snapshot)
        self.training.sigPlayingChanged.connect(self._on_playing)  # the list is read when it is first shown

    @property
    def dock(self) -> QDockWidget | None:
        parent = self.panel.parentWidget()
        return parent if isinstance(parent, QDockWidget) else None

    @property
    def step(self):
        return self.lesson.steps[self.index] if self.lesson is not None else None

    @property
    def attached(self) -> bool:
        """The lesson's network is the one open (the learner did not open another meanwhile)."""
        return self.model is not None and self.hub.model is self.model

    # ------------------------------------------------------------------ the list
    def show_panel(self) -> None:
        """Help > Lessons: the dock in front, on the list or on the open lesson's step."""
        if self.lesson is None:
            self.show_list()
        dock = self.dock
        if dock is not None:
            first = dock.isHidden() and not self._sized
            dock.show()
            dock.raise_()
            if first and not dock.isFloating():
                self._sized = True
                QTimer.singleShot(0, self._size_dock)
        self.panel.setFocus()

    def _size_dock(self) -> None:
        """The dock's first height: enough for a step's text and question. The room left above it goes to the
        Training panel first (the lessons point at its controls), then to Properties."""
        w, dock = self.window, self.dock
        lines = DOCK_LINES * self.panel.fontMetrics().lineSpacing()  # more in classroom mode's larger text
        w.resizeDocks([dock], [min(max(lines, int(DOCK_SHARE[0] * w.height())), int(DOCK_SHARE[1] * w.height()))],
                      Qt.Vertical)
        left = [w.findChild(QDockWidget, name) for name in ("training", "properties")]
        if all(d is not None and d.isVisible() and not d.isFloating() for d in left):
            room = left[0].height() + left[1].height()
            w.resizeDocks(left, [int(TRAINING_SHARE * room), room - int(TRAINING_SHARE * room)], Qt.Vertical)

    def show_list(self) -> None:
        self.hide_answers(False)
        self.refresh_list()
        self.panel.show_list()

    def refresh_list(self) -> None:
        entries = []
        for path in [*bundled_lessons(), *self.opened_files]:
            try:
                lesson = read_lesson(path)
            except LessonError as e:
                if str(e).startswith("not a bpgui lesson"):  # e.g. a lesson's network beside it
                    continue
                entries.append(LessonEntry(path, path.stem, error=str(e)))
                continue
            entries.append(LessonEntry(path, lesson.title, lesson.summary, len(lesson.steps),
                                       self.progress.step(path), self.progress.finished(path)))
        self.panel.set_lessons(entries)

    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open lesson", str(Path.home()),
                                              "bpgui lessons (*.json);;All files (*)")
        if path:
            self.open_lesson(Path(path))

    # ------------------------------------------------------------------ opening
    def open_lesson(self, path: Path) -> bool:
        """Open the lesson in ``path`` at the step the learner reached (its network replaces the open one, after
        the unsaved-changes question); a lesson that cannot be used says why and changes nothing."""
        path = Path(path)
        try:
            lesson = read_lesson(path)
            doc = check_lesson(lesson)
        except LessonError as e:
            self.window.show_error("Cannot open the lesson", f"{path.name}: {e}")
            return False
        same = self.lesson is not None and self.lesson.path == lesson.path and self.attached
        if not same and not self._load_document(lesson, doc):
            return False
        if path not in bundled_lessons() and path not in self.opened_files:
            self.opened_files.append(path)
        self.lesson = lesson
        start = self.progress.step(path)
        if self.progress.finished(path) or start >= len(lesson.steps):
            start = 0
        self.sigStatus.emit(f"lesson: {lesson.title}")
        self.go_to(start)
        return True

    def _load_document(self, lesson: Lesson, doc: Document | None = None) -> bool:
        """Open a fresh copy of the lesson's network; asks about unsaved changes unless the open network is the
        lesson's own copy. False when the learner kept theirs (or the file cannot be read)."""
        try:
            doc = doc or lesson.load_document()
        except LessonError as e:
            self.window.show_error("Cannot open the lesson's network", str(e))
            return False
        if self.lift_speed_cap:
            doc.training.steps_per_second = None  # not an edit: nothing to undo or save
        model = DocumentModel(doc)
        model.display_name = Path(lesson.document).stem
        self._replacing = True
        try:
            opened = self.window.files.open_copy(model, ask=not self.attached)
        finally:
            self._replacing = False
        if opened:
            self.model = model
        return opened

    def _on_document_replaced(self, model) -> None:
        if self._replacing or self.lesson is None:
            return
        self._end_reveal(None)
        self.hide_answers(False)
        if self.step is not None:
            self.panel.show_message("<i>Another network is open now: Restart to go on with the lesson on its "
                                    "own network.</i>")

    # ------------------------------------------------------------------ moving between steps
    def go_to(self, index: int) -> None:
        """Open step ``index``: its setup, its question unanswered, its targets pointed at."""
        if self.lesson is None or not 0 <= index < len(self.lesson.steps):
            return
        self._end_reveal(None)
        self._token += 1
        self.index = index
        step = self.step
        self.verdict = None
        self.revealed = False
        self.marker.hide()
        self.window.surface_view.hide_next_step(False)
        self._pause()
        if step.setup.get("reset") and not self._pristine():
            self._load_document(self.lesson)
        self._apply_setup(step.setup)
        self.prediction = self._prediction(step.predict)
        self.hide_answers(self.prediction is not None)
        words = reveal_text(step.reveal, {k: h.title for k, h in VIEW_HELP.items()}) if step.reveal else None
        self.panel.show_step(self.lesson, index, self.prediction, words)
        if self.prediction is not None and self.prediction.kind == "point":
            pair = surface_pair(self.lesson, index)
            if pair is not None and self.window.surface.pair != tuple(pair):
                self.window.surface.choose(*pair)
            self.window.surface_view.hide_next_step(True)  # the ring would give the answer away
            self.targets.raise_view("surface")
            self._place_marker(self._token)
        self.targets.show(step.look)
        self.progress.set_step(self.lesson.path, index)
        if not self.attached and self.model is not None:
            self._on_document_replaced(self.hub.model)

    def _pristine(self) -> bool:
        """The lesson's network is open as it was loaded: not edited, not trained."""
        model, snap = self.hub.model, self.training.latest
        return (self.attached and model.undo_stack.count() == 0 and model.training_before is None
                and (snap is None or snap.step == 0))

    def next_step(self) -> None:
        if self.lesson is None:
            return
        if self.index + 1 < len(self.lesson.steps):
            self.go_to(self.index + 1)
            return
        self._end_reveal(None)
        self.progress.set_finished(self.lesson.path)
        self.progress.set_step(self.lesson.path, 0)
        self.marker.hide()
        self.window.surface_view.hide_next_step(False)
        self.sigStatus.emit(f"lesson finished: {self.lesson.title}")
        self.lesson = None
        self.show_list()

    def restart(self) -> None:
        """The lesson from its first step, on a fresh copy of its network."""
        if self.lesson is None:
            return
        self._end_reveal(None)
        if self._load_document(self.lesson):
            self.go_to(0)

    def _apply_setup(self, setup: dict) -> None:
        model = self.hub.model
        cfg = model.doc.training
        changes, words = {}, []
        if "learning_rate" in setup:
            changes["learning_rate"] = setup["learning_rate"]
            words.append(f"η = {setup['learning_rate']:g}")
        if "optimizer" in setup:
            changes["optimizer"] = setup["optimizer"]
            words.append(setup["optimizer"])
        if "batch_size" in setup:
            changes["batch_size"] = setup["batch_size"] or None
            words.append("full batches" if not setup["batch_size"] else f"minibatches of {setup['batch_size']}")
        new = replace(cfg.copy(), **changes)
        if new != cfg:
            error = model.edit_settings(f"Lesson step {self.index + 1}: {', '.join(words)}", training=new)
            if error:
                self.sigStatus.emit(f"the lesson's settings cannot be used: {error}")
        pair = setup.get("surface")
        if pair is not None and all(model.network.has_parameter(p) for p in pair) \
                and self.window.surface.pair != tuple(pair):
            self.window.surface.choose(*pair)

    def _prediction(self, p: Prediction | None) -> Prediction | None:
        """The step's prediction; a choice of the largest share without options offers every weight."""
        if p is None or p.options or p.kind != "choice":
            return p
        weights = [n for n in self.hub.model.network.parameter_names() if "->" in n]
        return Prediction(p.kind, p.question, p.quantity, p.tolerance, p.relative, tuple((n, n) for n in weights))

    def _place_marker(self, token: int) -> None:
        """The marker beside the current point, once the surface around it is drawn."""
        if token != self._token:
            return
        surface = self.window.surface
        if not surface.settled:
            QTimer.singleShot(40, lambda: self._place_marker(token))
            return
        pair = surface.pair
        net = self.hub.model.network
        near = (net.get_parameter(pair[0]), net.get_parameter(pair[1])) if pair is not None else None
        self.marker.place(near)

    # ------------------------------------------------------------------ Check
    def _pause(self) -> None:
        if self.training.playing:
            self.training.pause()

    def _settle(self) -> bool:
        """Training paused and the network in the document as the training thread left it."""
        self._pause()
        t = self.training
        ok = process_events_until(lambda: t.latest is not None and not t.latest.playing and t.is_current(t.latest),
                                  SETTLE_SECONDS)
        self.hub.model.flush_training()
        return ok

    def check(self) -> None:
        """Judge the learner's prediction against what the live network says now."""
        p = self.prediction
        if p is None or self.reveal is not None:
            return
        if not self.attached:
            self.panel.show_verdict(None, "The lesson's network is not open any more: Restart to go on.")
            return
        if p.kind == "point":
            if not self.marker.shown:
                self._place_marker(self._token)
            guess = self.marker.position()
        else:
            guess = self.panel.guess()
            if guess is None:
                self.panel.show_verdict(None, "Type a number first, such as 0.08, -1e-3 or 8.2e-2."
                                        if p.kind == "number" else "Choose an answer first.")
                return
        self._settle()
        doc = self.model.doc
        pair = surface_pair(self.lesson, self.index)
        try:
            truth = self.truth(p.quantity, pair)
        except (LessonError, DocumentError, KeyError, ValueError) as e:
            self.panel.show_verdict(None, f"The answer cannot be worked out here: {e}")
            return
        if p.kind == "point":
            net = doc.network
            start = (net.get_parameter(pair[0]), net.get_parameter(pair[1]))
            verdict = judge_point(p, guess, truth, start)
        else:
            verdict = judge(p, guess, truth)
        self.verdict = verdict
        self.panel.show_verdict(verdict)
        self.hide_answers(False)
        if self.step.reveal is not None and not self.revealed:
            self.panel.set_show_me(True)

    def answer_widgets(self) -> list:
        """The widgets whose numbers would give a prediction's answer away: captions with ∂E/∂w and the step, the
        chain-rule table, the step views, the status bar's loss."""
        w = self.window
        return [w.surface_view.caption, w.slice_plot.caption, w.direction_plot.caption, w.chain_rule,
                w.step_waterfall, w.step_line, w.direction_slopes, w.run_status]

    def hide_answers(self, on: bool) -> None:
        """Blur the answer widgets while a prediction waits for Check (their place and size stay), or sharpen
        them again."""
        from PySide6.QtWidgets import QGraphicsBlurEffect

        for widget in self.answer_widgets():
            if on and widget.graphicsEffect() is None:
                blur = QGraphicsBlurEffect(widget)
                blur.setBlurRadius(ANSWER_BLUR)
                widget.setGraphicsEffect(blur)
            elif not on and widget.graphicsEffect() is not None:
                widget.setGraphicsEffect(None)
        self.answers_hidden = on

    def truth(self, quantity: str, pair: tuple[str, str] | None = None):
        """What the live network says ``quantity`` is (training paused): :func:`quantity_value` of the document;
        for what the optimizer's next step does, the live run's own answer (its real optimizer state)."""
        name = quantity.partition(":")[0]
        live = self._live_snapshot(anatomy=name in ANATOMY_QUANTITIES) if name in NEXT_STEP_QUANTITIES else None
        return quantity_value(self.hub.model.doc, quantity, pair, live=live)

    def _live_snapshot(self, anatomy: bool):
        """The training thread's latest snapshot of the network as it is (with the next step's anatomy when asked
        for: then it is asked of the thread, and waited for), or None."""
        t = self.training

        def ready() -> bool:
            s = t.latest
            return s is not None and t.is_current(s) and not s.playing and (not anatomy or s.anatomy is not None)

        if anatomy and not ready():
            wanted = t.anatomy_wanted
            t.want("anatomy", True)
            process_events_until(ready, SETTLE_SECONDS)
            t.want("anatomy", wanted)
        return t.latest if ready() else None

    # ------------------------------------------------------------------ Show me
    def show_me(self) -> None:
        step = self.step
        if step is None or step.reveal is None or self.reveal is not None:
            return
        r = step.reveal
        if r.do == "open":
            shown = self.targets.raise_view(r.view)
            QTimer.singleShot(0, lambda: shown and self.targets.flash(shown))
            self._done(f"The {VIEW_HELP[r.view].title} view is in front.")
            return
        if not self.attached:
            self.panel.show_message("The lesson's network is not open any more: Restart to go on.")
            return
        self._settle()
        start = self.training.latest.step if self.training.latest is not None else 0
        try:
            loss = quantity_value(self.model.doc, "loss")
        except (LessonError, DocumentError, KeyError, ValueError):
            loss = math.nan
        self.reveal = run = RevealRun(r.do, r.count, start, loss, self._token)
        self.panel.set_busy(True)
        if r.do == "step":
            self.panel.set_show_me(False, "Stepping…")
            run.sent = r.count
            self.training.train_steps(r.count)
        else:
            self.panel.set_show_me(False, f"Playing… 0 of {r.count:,}")
            self._play_one(run.token)

    def _on_snapshot(self, snap) -> None:
        run = self.reveal
        if run is None or not self.training.is_current(snap) or snap.step < run.start:
            return
        done = snap.step - run.start
        if snap.diverged or snap.problem or not snap.finite:
            self._end_reveal(f"Training stopped after {done:,} step{'s' if done != 1 else ''}: "
                             f"{snap.diverged or snap.problem or 'the weights are not finite'}")
            return
        if done >= run.count:
            self._end_reveal("")
        elif run.kind == "play" and done >= run.sent and not run.scheduled:  # the step asked for is in
            self.panel.set_show_me(False, f"Playing… {done:,} of {run.count:,}")
            sps = self.hub.model.doc.training.steps_per_second
            wait = 0.0 if sps is None else min(1.0 / sps, PLAY_SECONDS / run.count)
            run.scheduled = True
            QTimer.singleShot(int(wait * 1000), lambda token=run.token: self._play_one(token))

    def _play_one(self, token: int) -> None:
        """The next step of a played reveal (one at a time, so that it stops exactly after its count)."""
        run = self.reveal
        if run is not None and run.token == token and not self.training.playing:
            run.scheduled = False
            run.sent += 1
            self.training.step()

    def _on_playing(self, on: bool) -> None:
        if on and self.reveal is not None:
            self._end_reveal("Show me stopped: training plays on from here.")

    def _end_reveal(self, outcome: str | None) -> None:
        """Show me is over: ``outcome`` "" when it ran to its end, a message when it stopped early; None: drop a
        reveal under way without a word (another step opens)."""
        run, self.reveal = self.reveal, None
        if run is None:
            return
        self.panel.set_busy(False)
        if outcome is None:
            return
        if outcome:
            self._done(outcome)
            return
        try:
            loss = quantity_value(self.hub.model.doc, "loss")
        except (LessonError, DocumentError, KeyError, ValueError):
            loss = math.nan
        what = "1 step" if run.count == 1 else f"{run.count:,} steps"
        self._done(f"Done: {what}. E went from {num(run.start_loss, 4)} to {num(loss, 4)}.")

    def _done(self, message: str) -> None:
        self.revealed = True
        self.panel.set_show_me(False, "Shown")
        self.panel.show_message(message)
        self.window.surface_view.hide_next_step(False)
