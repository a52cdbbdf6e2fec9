"""The Lessons dock: the list of lessons (a ✓ for those finished), and the open lesson one step at a time — its
text, the question and the learner's answer (a number, a choice, or a point dragged on the Surface), Check and its
verdict, Show me, and Back, Next and Restart. It only shows and asks: :class:`~.lesson_runner.LessonRunner` does
what the buttons say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.lessons import Lesson, Prediction, Reveal, Verdict
from ..style import MUTED_COLOR, TEXT_COLOR

RIGHT_COLORS = ("#1b7837", "#d9f0d3")  # text, background
WRONG_COLORS = ("#b2182b", "#fddbc7")
POINT_SENTENCE = ("Drag the white marker on the Surface to where you think the point goes, then press Check.")
NUMBER_HINT = "a number, such as 0.08, -1e-3 or 8.2e-2"
#: the step's text stands beside its question in a panel at least this wide (pixels), above it in a narrower one
WIDE = 540
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_guess(text: str) -> float | None:
    """A number as a person types it: "0.08", "-1e-3", "8.2e-2", "−0.5" (a real minus sign), " .5 "; None for
    anything else (no "nan", "inf" or Python's "1_0")."""
    t = text.strip().replace("−", "-").replace("\u2009", "").replace(" ", "")
    if not _NUMBER.match(t):
        return None
    v = float(t)
    return v if math.isfinite(v) else None


def reveal_text(reveal: Reveal, view_titles: dict[str, str]) -> tuple[str, str]:
    """What Show me does: a few words for its button, and a sentence for its tip."""
    if reveal.do == "step":
        n = reveal.count
        return ("one step" if n == 1 else f"{n:,} steps",
                "take one training step" if n == 1 else f"take {n:,} training steps at once")
    if reveal.do == "play":
        return f"play {reveal.count:,} steps", f"play {reveal.count:,} training steps, one after another"
    title = view_titles.get(reveal.view, reveal.view)
    return f"the {title} view", f"bring the {title} view to the front"


@dataclass(frozen=True)
class LessonEntry:
    """A line of the list: a lesson file, what it is called, and how far the learner got."""

    path: Path
    title: str
    summary: str = ""
    steps: int = 0
    step: int = 0  # the step the learner was on
    finished: bool = False
    error: str | None = None  # why it cannot be opened


def _label(rich: bool = True) -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.RichText if rich else Qt.PlainText)
    label.setStyleSheet(f"color: {TEXT_COLOR};")
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


def _scroll(layout) -> QScrollArea:
    """``layout`` in a frameless area that scrolls up and down when it is too small."""
    body = QWidget()
    body.setLayout(layout)
    layout.setContentsMargins(6, 2, 6, 2)
    scroll = QScrollArea()
    scroll.setWidget(body)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    return scroll


class LessonPanel(QWidget):
    #: open this lesson (its file)
    sigOpen = Signal(object)
    #: the learner asks to open a lesson file of their own
    sigOpenFile = Signal()
    sigCheck = Signal()
    sigShowMe = Signal()
    sigBack = Signal()
    sigNext = Signal()
    sigRestart = Signal()
    #: back to the list of lessons
    sigList = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._make_list_page())
        self.pages.addWidget(self._make_step_page())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.pages)
        self.prediction: Prediction | None = None
        self.index = 0  # the step on show
        self.reveal_label = "Show me"
        self.entries: list[LessonEntry] = []

    # ------------------------------------------------------------------ the list
    def _make_list_page(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        head = _label()
        head.setText("<span style='font-size: large'><b>Lessons</b></span> — predict what the network will do, "
                     "then see it happen.")
        self.lesson_list = QListWidget()
        self.lesson_list.setWordWrap(True)
        self.lesson_list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.lesson_list.setToolTip("the lessons; a ✓ marks those you finished. Double-click one to open it")
        self.lesson_list.itemActivated.connect(lambda _item: self._open_selected())
        self.lesson_list.currentRowChanged.connect(self._on_row)
        self.start = QPushButton("Start")
        self.start.setDefault(True)
        self.start.setToolTip("open the chosen lesson where you left it (its network replaces the one open now)")
        self.start.clicked.connect(self._open_selected)
        self.open_file = QPushButton("Open Lesson File…")
        self.open_file.setToolTip("open a lesson of your own (a .json file in bpgui's lesson format)")
        self.open_file.clicked.connect(self.sigOpenFile)
        row = QHBoxLayout()
        row.addWidget(self.start)
        row.addStretch(1)
        row.addWidget(self.open_file)
        lay.addWidget(head)
        lay.addWidget(self.lesson_list, 1)
        lay.addLayout(row)
        return page

    def set_lessons(self, entries: list[LessonEntry]) -> None:
        row = max(0, self.lesson_list.currentRow())
        self.entries = list(entries)
        self.lesson_list.clear()
        for e in entries:
            if e.error is not None:
                text = f"✗ {e.path.name}\n    cannot be opened: {e.error}"
            else:
                mark = "✓" if e.finished else "  "
                where = f" (step {e.step + 1} of {e.steps})" if 0 < e.step < e.steps and not e.finished else ""
                text = f"{mark} {e.title}{where}" + (f"\n    {e.summary}" if e.summary else "")
            item = QListWidgetItem(text)
            item.setToolTip(e.error or e.summary or e.title)
            if e.error is not None:
                item.setFlags(item.flags() & ~Qt.ItemIsEnabled)
            self.lesson_list.addItem(item)
        if entries:
            self.lesson_list.setCurrentRow(min(row, len(entries) - 1))
        self._on_row(self.lesson_list.currentRow())

    def _on_row(self, row: int) -> None:
        ok = 0 <= row < len(self.entries) and self.entries[row].error is None
        self.start.setEnabled(ok)
        if ok:
            e = self.entries[row]
            self.start.setText("Continue" if 0 < e.step < e.steps and not e.finished else "Start")

    def _open_selected(self) -> None:
        row = self.lesson_list.currentRow()
        if 0 <= row < len(self.entries) and self.entries[row].error is None:
            self.sigOpen.emit(self.entries[row].path)

    def show_list(self) -> None:
        self.pages.setCurrentIndex(0)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        wide = ev.size().width() >= WIDE
        self.columns.setDirection(QBoxLayout.LeftToRight if wide else QBoxLayout.TopToBottom)

    # ------------------------------------------------------------------ a step
    def _make_step_page(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.setContentsMargins(6, 4, 6, 0)
        self.where = _label()
        self.where.setStyleSheet(f"color: {MUTED_COLOR};")
        self.to_list = QPushButton("All Lessons")
        self.to_list.setToolTip("back to the list of lessons (this one remembers where you are)")
        self.to_list.clicked.connect(self.sigList)
        head.addWidget(self.where, 1)
        head.addWidget(self.to_list)
        outer.addLayout(head)

        # the text beside the question where the dock is wide (under the canvas and the left docks), above it
        # where it is narrow; each scrolls on its own, so the text stays in sight while the answer grows
        self.columns = QBoxLayout(QBoxLayout.LeftToRight)
        self.columns.setContentsMargins(0, 0, 0, 0)
        self.columns.setSpacing(4)
        left = QVBoxLayout()
        self.step_title = _label()
        self.text = _label()
        left.addWidget(self.step_title)
        left.addWidget(self.text)
        left.addStretch(1)

        self.question_box = QFrame()
        self.question_box.setObjectName("question")
        self.question_box.setStyleSheet("QFrame#question { border: 1px solid #bdbdbd; border-radius: 4px; "
                                        "background: #f7f7f7; }")
        q = QVBoxLayout(self.question_box)
        q.setContentsMargins(8, 6, 8, 6)
        self.question = _label()
        self.question.setStyleSheet(f"color: {TEXT_COLOR}; background: transparent;")
        q.addWidget(self.question)
        self.number = QLineEdit()
        self.number.setPlaceholderText(NUMBER_HINT)
        self.number.setToolTip(f"your prediction: {NUMBER_HINT} (Enter checks it)")
        self.number.returnPressed.connect(self.sigCheck)
        self.number.textEdited.connect(lambda _t: self.number.setStyleSheet(""))
        self.choices = QWidget()
        self.choice_layout = QVBoxLayout(self.choices)
        self.choice_layout.setContentsMargins(0, 0, 0, 0)
        self.choice_group = QButtonGroup(self)
        q.addWidget(self.choices)
        self.point_hint = _label()
        self.point_hint.setStyleSheet(f"color: {TEXT_COLOR}; background: transparent;")
        self.point_hint.setText(escape(POINT_SENTENCE))
        q.addWidget(self.point_hint)
        row = QHBoxLayout()
        self.check = QPushButton("Check")
        self.check.setToolTip("compare your prediction with what the network says now")
        self.check.clicked.connect(self.sigCheck)
        row.addWidget(self.number, 1)
        row.addWidget(self.check, 0, Qt.AlignLeft)
        q.addLayout(row)
        self.verdict = _label()
        self.verdict.hide()
        q.addWidget(self.verdict)

        right = QVBoxLayout()
        right.addWidget(self.question_box)
        self.message = _label()  # what Show me did, or why it cannot
        right.addWidget(self.message)
        right.addStretch(1)
        self.text_scroll = _scroll(left)
        self.scroll = _scroll(right)
        self.columns.addWidget(self.text_scroll, 1)
        self.columns.addWidget(self.scroll, 1)
        outer.addLayout(self.columns, 1)

        nav = QHBoxLayout()
        nav.setContentsMargins(6, 0, 6, 4)
        self.back = QPushButton("Back")
        self.back.setToolTip("the previous step (the network stays as it is now)")
        self.back.clicked.connect(self.sigBack)
        self.restart = QPushButton("Restart")
        self.restart.setToolTip("the lesson from its first step, on its network as it was")
        self.restart.clicked.connect(self.sigRestart)
        self.next = QPushButton("Next")
        self.next.clicked.connect(self.sigNext)
        self.show_me = QPushButton("Show me")
        self.show_me.clicked.connect(self.sigShowMe)
        nav.addWidget(self.back)
        nav.addWidget(self.restart)
        nav.addStretch(1)
        nav.addWidget(self.show_me)
        nav.addSpacing(12)
        nav.addWidget(self.next)
        outer.addLayout(nav)
        return page

    def show_step(self, lesson: Lesson, index: int, prediction: Prediction | None,
                  reveal_words: tuple[str, str] | None) -> None:
        """Show step ``index`` of ``lesson`` with its ``prediction`` (the step's, its options filled in)
        unanswered; ``reveal_words`` say what Show me does (see :func:`reveal_text`; None: the step has no Show
        me)."""
        step = lesson.steps[index]
        n = len(lesson.steps)
        self.index = index
        self.pages.setCurrentIndex(1)
        self.where.setText(f"{escape(lesson.title)} · step {index + 1} of {n}")
        self.step_title.setText(f"<span style='font-size: large'><b>{escape(step.title)}</b></span>"
                                if step.title else "")
        self.step_title.setVisible(bool(step.title))
        self.text.setText("<div style='font-size: large'>" + escape(step.text).replace("\n", "<br>") + "</div>")
        self.prediction = prediction
        self._show_question(prediction)
        self.show_me.setVisible(reveal_words is not None)
        self.reveal_label = f"Show me: {reveal_words[0]}" if reveal_words else "Show me"
        self.show_me.setToolTip(f"see what happens: {reveal_words[1]}"
                                + (" (after Check)" if prediction is not None else "") if reveal_words else "")
        self.set_show_me(prediction is None, self.reveal_label)
        self.show_message(None)
        self.back.setEnabled(index > 0)
        last = index == n - 1
        self.next.setText("Finish" if last else "Next")
        self.next.setToolTip("the lesson is done: back to the list, with a ✓" if last else "the next step")
        self.scroll.verticalScrollBar().setValue(0)
        self.text_scroll.verticalScrollBar().setValue(0)

    def _show_question(self, p: Prediction | None) -> None:
        self.question_box.setVisible(p is not None)
        self.verdict.hide()
        for b in self.choice_group.buttons():  # gone at once (deleteLater waits for the event loop's turn)
            self.choice_group.removeButton(b)
            self.choice_layout.removeWidget(b)
            b.hide()
            b.deleteLater()
        if p is None:
            return
        self.question.setText(f"<span style='font-size: large'><b>{escape(p.question)}</b></span>")
        self.number.setVisible(p.kind == "number")
        self.number.clear()
        self.number.setStyleSheet("")
        self.choices.setVisible(p.kind == "choice")
        self.point_hint.setVisible(p.kind == "point")
        for label, value in p.options:
            b = QRadioButton(label)
            b.setProperty("value", value)
            b.setToolTip(f"your prediction: {label}")
            self.choice_group.addButton(b)
            self.choice_layout.addWidget(b)
        self.check.setEnabled(True)
        if p.kind == "number":
            self.number.setFocus()

    def guess(self):
        """The learner's number (a float) or choice (its value), or None when there is none (yet); a number that
        cannot be read is marked. A point is read from the Surface's marker, not here."""
        p = self.prediction
        if p is None:
            return None
        if p.kind == "number":
            v = parse_guess(self.number.text())
            if v is None:
                self.number.setStyleSheet(f"background: {WRONG_COLORS[1]}")
            return v
        if p.kind == "choice":
            b = self.choice_group.checkedButton()
            return b.property("value") if b is not None else None
        return None

    def choice_button(self, value: str) -> QRadioButton | None:
        for b in self.choice_group.buttons():
            if b.property("value") == value:
                return b
        return None

    def show_verdict(self, verdict: Verdict | None, text: str | None = None) -> None:
        """The verdict of a Check (green when right, red when not), or a ``text`` saying why there is none."""
        if verdict is None:
            self.verdict.setStyleSheet(f"color: {TEXT_COLOR}; background: transparent; padding: 4px;")
            self.verdict.setText(escape(text or ""))
        else:
            fg, bg = RIGHT_COLORS if verdict.right else WRONG_COLORS
            self.verdict.setStyleSheet(f"color: {fg}; background: {bg}; border-radius: 3px; padding: 4px;")
            mark = "✓ " if verdict.right else "✗ "
            self.verdict.setText(f"<span style='font-size: large'>{mark}{escape(verdict.text)}</span>")
        self.verdict.setProperty("right", None if verdict is None else verdict.right)
        self.verdict.show()
        self._bring_into_sight(self.verdict)

    def set_show_me(self, enabled: bool, text: str | None = None) -> None:
        self.show_me.setEnabled(enabled)
        self.show_me.setText(text or self.reveal_label)

    def show_message(self, html: str | None) -> None:
        self.message.setVisible(bool(html))
        self.message.setText(html or "")
        if html:
            self._bring_into_sight(self.message)

    def _bring_into_sight(self, widget: QWidget) -> None:
        """Scroll the step to ``widget`` once it is laid out (a small window may not show all of it)."""
        QTimer.singleShot(0, lambda: self.scroll.ensureWidgetVisible(widget, 0, 6))

    def set_busy(self, busy: bool) -> None:
        """While Show me runs: nothing else to press but All Lessons."""
        for b in (self.check, self.back, self.next, self.restart):
            b.setEnabled(not busy)
        if not busy:
            self.back.setEnabled(self.index > 0)
