"""The training panel's "More options": weight decay, the learning-rate schedule, how Reset draws the weights, and
where Play stops. A header that folds the group away (showing what is set) so that the panel fits a small window.

Weight decay, schedule and initialisation are the document's (``training.weight_decay``, ``schedule``, ``init``):
each change is one undoable edit (:meth:`DocumentModel.edit_settings`). Where Play stops is a window setting
(core.stopping.StopRule, sent with :attr:`TrainingOptions.sigStopRule`), kept across documents and not saved.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.initialization import INIT_KINDS, Init, init_warning
from ...core.regularization import MAX_LAMBDA, WeightDecay
from ...core.schedules import Schedule
from ...core.stopping import StopRule
from ..document.document_hub import DocumentHub
from ..document.document_model import DocumentModel
from ..text import num, parse_count, parse_number

BAD_INPUT = "background: #fddbc7"
WARNING_STYLE = "background: #fde0dc; color: #67001f; padding: 3px; border-radius: 3px;"

DECAY_TIPS = {
    "none": "no penalty: training minimises the data loss E alone",
    "l2": "E + (λ/2)·Σw² over the weights (not the biases): each step adds λ·w to a weight's gradient, pulling it "
          "towards 0 in proportion to its size (PyTorch's weight_decay)",
    "l1": "E + λ·Σ|w| over the weights (not the biases): each step adds λ·sign(w) to a weight's gradient, the same "
          "pull for every weight, so small weights reach 0",
}
SCHEDULE_TIPS = {
    "none": "the same learning rate η at every step",
    "step": "η ← η·γ every k steps: η₀·γ^⌊t/k⌋ at step t (PyTorch's StepLR)",
    "exponential": "η ← η·γ after every step: η₀·γᵗ at step t (PyTorch's ExponentialLR)",
    "cosine": "η = η_min + (η₀ − η_min)·(1 + cos(πt/T))/2 at step t: from η₀ down to η_min over T steps, then up "
              "again (PyTorch's CosineAnnealingLR)",
}
INIT_TIPS = {
    "glorot": "uniform in ±√(6 / (fan_in + fan_out)) for each edge (Glorot & Bengio 2010)",
    "he": "normal with standard deviation √(2 / fan_in) (He et al. 2015; suits relu)",
    "uniform": "uniform in ±r for every weight",
    "normal": "normal with mean 0 and standard deviation σ for every weight",
    "zeros": "every weight 0: every neuron of a layer gets the same gradient, so they stay equal (symmetry)",
}
#: the fields each schedule shows, and what a new choice of it starts with
SCHEDULE_DEFAULTS = {"step": {"every": 100, "factor": 0.5}, "exponential": {"factor": 0.999},
                     "cosine": {"steps": 1000, "min": 0.0}}
INIT_DEFAULTS = {"uniform": {"range": 0.5}, "normal": {"std": 0.5}}
DEFAULT_LAMBDA = 1e-3
DEFAULT_STOP_LOSS, DEFAULT_STOP_STEP = 0.01, 1000


def _edit(width_text: str, tip: str) -> QLineEdit:
    e = QLineEdit()
    e.setFixedWidth(e.fontMetrics().horizontalAdvance(width_text) + 14)
    e.setToolTip(tip)
    return e


def _small(text: str, tip: str = "") -> QLabel:
    label = QLabel(text)
    label.setToolTip(tip)
    return label


def options_summary(decay: WeightDecay | None, schedule: Schedule | None, init: Init,
                    stop: StopRule | None) -> str:
    """What is set, in a few words for the folded header ("" when nothing is)."""
    parts = []
    if decay is not None:
        parts.append(f"{decay.kind} λ {num(decay.lam)}")
    if schedule is not None:
        parts.append(schedule.kind)
    if init.kind != "glorot":
        parts.append(init.kind + (" ⚠" if init_warning(init) else ""))
    if stop is not None:
        parts.append("stop at " + " or ".join(
            ([f"loss {num(stop.until_loss)}"] if stop.until_loss is not None else [])
            + ([f"step {stop.max_steps:,}"] if stop.max_steps is not None else [])))
    return " · ".join(parts)


class TrainingOptions(QWidget):
    #: a message for the status bar
    sigStatus = Signal(str)
    #: where Play stops changed: a core.stopping.StopRule, or None for nowhere
    sigStopRule = Signal(object)

    def __init__(self, hub: DocumentHub, parent=None):
        super().__init__(parent)
        self.hub = hub
        self.stop_rule: StopRule | None = None
        self._last_schedule = {k: dict(v) for k, v in SCHEDULE_DEFAULTS.items()}
        self._last_init = {k: dict(v) for k, v in INIT_DEFAULTS.items()}
        self._last_lambda = DEFAULT_LAMBDA

        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # a long summary is cut, not widening
        self.toggle.setToolTip("weight decay, a learning-rate schedule, how Reset draws the weights, and where Play "
                               "stops (click to show or hide)")
        self.body = QWidget()
        form = QFormLayout(self.body)
        form.setContentsMargins(10, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form = form

        # weight decay: kind and λ
        self.decay_kind = self._combo(("none", "l2", "l1"), DECAY_TIPS,
                                      "weight decay: a penalty R on the weights added to the loss; training, the "
                                      "loss plot's total and every surface use E + R")
        self.decay_lambda_label = _small("λ", "the strength λ of the weight decay")
        self.decay_lambda = _edit("0.00001", f"λ, the strength of the weight decay: a number from 0 to "
                                             f"{MAX_LAMBDA:g} (press Enter)")
        form.addRow("weight decay", self._row(self.decay_kind, self.decay_lambda_label, self.decay_lambda))

        # schedule: kind, then the fields of that kind
        self.schedule_kind = self._combo(("none", "step", "exponential", "cosine"), SCHEDULE_TIPS,
                                         "how the learning rate η changes from step to step, counted in optimizer "
                                         "steps from Reset (η₀ is the learning rate above)")
        form.addRow("η schedule", self.schedule_kind)
        self.schedule_every = _edit("10,000", "k: multiply η by γ every k steps (a whole number; press Enter)")
        self.schedule_factor = _edit("0.9999", "γ: the factor η is multiplied by, above 0 and at most 1 (press "
                                               "Enter)")
        self.schedule_steps = _edit("10,000", "T: the steps from η₀ down to η_min (a whole number; press Enter)")
        self.schedule_min = _edit("0.0001", "η_min: the learning rate at step T, at least 0 (press Enter)")
        self.schedule_every_label = _small("every", self.schedule_every.toolTip())
        self.schedule_factor_label = _small("×γ", self.schedule_factor.toolTip())
        self.schedule_steps_label = _small("T", self.schedule_steps.toolTip())
        self.schedule_min_label = _small("η_min", self.schedule_min.toolTip())
        self.schedule_fields = QWidget()
        self.schedule_fields.setLayout(self._row(
            self.schedule_every_label, self.schedule_every, self.schedule_factor_label, self.schedule_factor,
            self.schedule_steps_label, self.schedule_steps, self.schedule_min_label, self.schedule_min))
        self.schedule_fields.layout().setContentsMargins(0, 0, 0, 0)
        form.addRow("", self.schedule_fields)

        # initialisation: kind and its range or standard deviation; zeros warns
        self.init_kind = self._combo(INIT_KINDS, INIT_TIPS, "how Reset draws fresh weights (seeded by the seed above; "
                                                            "biases start at 0)")
        self.init_scale_label = _small("±")
        self.init_scale = _edit("0.0001", "")
        form.addRow("initial weights", self._row(self.init_kind, self.init_scale_label, self.init_scale))
        self.init_warning = QLabel()
        self.init_warning.setWordWrap(True)
        self.init_warning.setStyleSheet(WARNING_STYLE)
        form.addRow(self.init_warning)

        # where Play stops (a window setting)
        self.stop_loss_check = QCheckBox("loss ≤")
        self.stop_loss_check.setToolTip("Play pauses once the training loss (the data loss E on the whole training "
                                        "set, without a weight decay's penalty) is at or below this. It is looked at "
                                        "after every epoch: after every step with full batches")
        self.stop_loss = _edit("0.00001", "the target training loss (press Enter)")
        self.stop_step_check = QCheckBox("step")
        self.stop_step_check.setToolTip("Play pauses once the run has made this many steps (counted from Reset)")
        self.stop_step = _edit("100,000", "the step to pause at (a whole number; press Enter)")
        form.addRow("stop Play at", self._row(self.stop_loss_check, self.stop_loss, 1))
        form.addRow("", self._row(self.stop_step_check, self.stop_step, 1))
        self.stop_loss.setText(num(DEFAULT_STOP_LOSS, 6))
        self.stop_step.setText(f"{DEFAULT_STOP_STEP:,}")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.toggle)
        lay.addWidget(self.body)

        self.toggle.toggled.connect(self._on_toggle)
        self.decay_kind.activated.connect(self._on_decay_kind)
        self.decay_lambda.editingFinished.connect(self._on_decay_lambda)
        self.schedule_kind.activated.connect(self._on_schedule_kind)
        for e in (self.schedule_every, self.schedule_factor, self.schedule_steps, self.schedule_min):
            e.editingFinished.connect(lambda e=e: self._on_schedule_field(e))
        self.init_kind.activated.connect(self._on_init_kind)
        self.init_scale.editingFinished.connect(self._on_init_scale)
        self.stop_loss_check.toggled.connect(lambda _on: self._on_stop_change())
        self.stop_step_check.toggled.connect(lambda _on: self._on_stop_change())
        self.stop_loss.editingFinished.connect(lambda: self._on_stop_field(self.stop_loss_check))
        self.stop_step.editingFinished.connect(lambda: self._on_stop_field(self.stop_step_check))
        hub.sigSettingsChanged.connect(self.refresh)
        hub.sigDocumentReplaced.connect(self._on_document)
        self._on_document()

    @staticmethod
    def _combo(kinds, tips: dict[str, str], tip: str) -> QComboBox:
        c = QComboBox()
        for k in kinds:
            c.addItem(k)
            c.setItemData(c.count() - 1, tips[k], Qt.ToolTipRole)
        c.setToolTip(tip)
        return c

    @staticmethod
    def _row(*widgets) -> QHBoxLayout:
        """The widgets side by side (a number: a stretch), combo boxes taking the room left."""
        row = QHBoxLayout()
        row.setSpacing(4)
        for w in widgets:
            if isinstance(w, int):
                row.addStretch(w)
            else:
                row.addWidget(w, 1 if isinstance(w, QComboBox) else 0)
        return row

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    def set_expanded(self, on: bool) -> None:
        self.toggle.setChecked(on)
        self._on_toggle(on)

    def is_expanded(self) -> bool:
        return self.toggle.isChecked()

    # ------------------------------------------------------------------ model → widgets
    def _on_document(self, *_) -> None:
        """Another document: unfolded when it sets any option, so that what it does is in view."""
        t = self.model.doc.training
        self.set_expanded(t.weight_decay is not None or t.schedule is not None or t.init != Init()
                          or self.stop_rule is not None or self.is_expanded())
        self.refresh()

    def refresh(self, *_) -> None:
        t = self.model.doc.training
        widgets = (self.decay_kind, self.schedule_kind, self.init_kind)
        for w in widgets:
            w.blockSignals(True)
        try:
            decay = t.weight_decay
            self.decay_kind.setCurrentText(decay.kind if decay else "none")
            for w in (self.decay_lambda_label, self.decay_lambda):
                w.setVisible(decay is not None)
            if decay is not None:
                self._last_lambda = decay.lam
                self._show(self.decay_lambda, num(decay.lam, 6))
                self.decay_kind.setToolTip(f"weight decay: the loss is {decay.formula()}")
            s = t.schedule
            self.schedule_kind.setCurrentText(s.kind if s else "none")
            self.schedule_fields.setVisible(s is not None)
            self.form.setRowVisible(self.schedule_fields, s is not None)
            shown = set() if s is None else set(SCHEDULE_DEFAULTS[s.kind])
            for name, label, edit in (("every", self.schedule_every_label, self.schedule_every),
                                      ("factor", self.schedule_factor_label, self.schedule_factor),
                                      ("steps", self.schedule_steps_label, self.schedule_steps),
                                      ("min", self.schedule_min_label, self.schedule_min)):
                label.setVisible(name in shown)
                edit.setVisible(name in shown)
                if name in shown:
                    value = getattr(s, name)
                    self._last_schedule[s.kind][name] = value
                    self._show(edit, f"{value:,}" if isinstance(value, int) else num(value, 6))
            if s is not None:
                self.schedule_factor_label.setText("×γ" if s.kind == "step" else "γ")
                self.schedule_kind.setToolTip(f"the learning rate: {s.describe()} ({SCHEDULE_TIPS[s.kind]})")
            init = t.init
            self.init_kind.setCurrentText(init.kind)
            field = {"uniform": "range", "normal": "std"}.get(init.kind)
            for w in (self.init_scale_label, self.init_scale):
                w.setVisible(field is not None)
            if field is not None:
                value = getattr(init, field)
                self._last_init[init.kind][field] = value
                self.init_scale_label.setText("±" if field == "range" else "σ")
                self._show(self.init_scale, num(value, 6))
                self.init_scale.setToolTip("r: every weight uniform in ±r, above 0 (press Enter)" if field == "range"
                                           else "σ: the standard deviation of every weight, above 0 (press Enter)")
            warning = init_warning(init)
            self.init_warning.setText(f"⚠ {warning}" if warning else "")
            self.form.setRowVisible(self.init_warning, warning is not None)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._show_summary()

    @staticmethod
    def _show(edit: QLineEdit, text: str) -> None:
        edit.setText(text)
        edit.setStyleSheet("")

    def _show_summary(self) -> None:
        t = self.model.doc.training
        summary = options_summary(t.weight_decay, t.schedule, t.init, self.stop_rule)
        open_ = self.is_expanded()
        self.toggle.setText("More options" + (f": {summary}" if summary and not open_ else ""))

    def _on_toggle(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self.body.setVisible(on)
        self._show_summary()

    # ------------------------------------------------------------------ widgets → model
    def _edit(self, text: str, **changes) -> None:
        cfg = replace(self.model.doc.training.copy(), **changes)
        error = self.model.edit_settings(text, training=cfg)
        if error:
            self.sigStatus.emit(error)
            self.refresh()

    def _refuse(self, edit: QLineEdit, message: str) -> None:
        edit.setStyleSheet(BAD_INPUT)
        self.sigStatus.emit(message)

    def _on_decay_kind(self, _i) -> None:
        kind = self.decay_kind.currentText()
        old = self.model.doc.training.weight_decay
        if kind == (old.kind if old else "none"):
            return
        if kind == "none":
            self._edit("No weight decay", weight_decay=None)
            return
        decay = WeightDecay(kind, old.lam if old else self._last_lambda)
        self._edit(f"Use {kind} weight decay (λ = {decay.lam:g})", weight_decay=decay)
        self.sigStatus.emit(f"training now minimises the total {decay.formula()}")

    def _on_decay_lambda(self) -> None:
        old = self.model.doc.training.weight_decay
        if old is None:
            return
        text = self.decay_lambda.text().strip()
        lam = parse_number(text)
        if lam is None or not 0.0 <= lam <= MAX_LAMBDA:
            self._refuse(self.decay_lambda, f"λ must be a number from 0 to {MAX_LAMBDA:g}, not '{text}'")
            return
        self.decay_lambda.setStyleSheet("")
        if lam != old.lam:
            self._edit(f"Set λ to {lam:g}", weight_decay=WeightDecay(old.kind, lam))

    def _on_schedule_kind(self, _i) -> None:
        kind = self.schedule_kind.currentText()
        old = self.model.doc.training.schedule
        if kind == (old.kind if old else "none"):
            return
        if kind == "none":
            self._edit("Constant learning rate", schedule=None)
            return
        s = Schedule(kind, **self._last_schedule[kind])
        self._edit(f"Schedule the learning rate: {s.describe()}", schedule=s)

    def _on_schedule_field(self, edit: QLineEdit) -> None:
        old = self.model.doc.training.schedule
        name = {self.schedule_every: "every", self.schedule_factor: "factor", self.schedule_steps: "steps",
                self.schedule_min: "min"}[edit]
        if old is None or name not in SCHEDULE_DEFAULTS[old.kind]:
            return
        text = edit.text().strip()
        value = parse_count(text) if name in ("every", "steps") else parse_number(text)
        try:
            if value is None:
                raise ValueError(f"{name} must be a {'whole ' if name in ('every', 'steps') else ''}number, "
                                 f"not '{text}'")
            s = replace(old, **{name: value})
        except ValueError as e:
            self._refuse(edit, f"the schedule's {e}")
            return
        edit.setStyleSheet("")
        if s != old:
            self._edit(f"Schedule the learning rate: {s.describe()}", schedule=s)

    def _on_init_kind(self, _i) -> None:
        kind = self.init_kind.currentText()
        if kind == self.model.doc.training.init.kind:
            return
        init = Init(kind, **self._last_init.get(kind, {}))
        self._edit(f"Initialise weights: {init.describe()}", init=init)
        warning = init_warning(init)
        self.sigStatus.emit(warning if warning else f"Reset now draws the weights {init.describe()}")

    def _on_init_scale(self) -> None:
        old = self.model.doc.training.init
        field = {"uniform": "range", "normal": "std"}.get(old.kind)
        if field is None:
            return
        text = self.init_scale.text().strip()
        value = parse_number(text)
        try:
            if value is None:
                raise ValueError(f"must be a number, not '{text}'")
            init = replace(old, **{field: value})
        except ValueError as e:
            what = "the range" if field == "range" else "the standard deviation"
            self._refuse(self.init_scale, f"{what} {str(e).removeprefix(field + ' ')}")
            return
        self.init_scale.setStyleSheet("")
        if init != old:
            self._edit(f"Initialise weights: {init.describe()}", init=init)

    # ------------------------------------------------------------------ where Play stops
    def _on_stop_field(self, check: QCheckBox) -> None:
        """A value typed (Enter): it is meant, so its box is ticked."""
        if self._stop_values() is None:
            return
        if check.isChecked():
            self._on_stop_change()
        else:
            check.setChecked(True)  # → _on_stop_change

    def _stop_values(self) -> tuple[float, int] | None:
        """The two fields' values, or None (with a message) when one is not a value."""
        loss_text, step_text = self.stop_loss.text().strip(), self.stop_step.text().strip()
        loss, step = parse_number(loss_text), parse_count(step_text)
        ok = True
        for edit, good in ((self.stop_loss, loss is not None), (self.stop_step, step is not None and step >= 1)):
            edit.setStyleSheet("" if good else BAD_INPUT)
            ok = ok and good
        if loss is None:
            self.sigStatus.emit(f"the target loss must be a number, not '{loss_text}'")
        elif step is None or step < 1:
            self.sigStatus.emit(f"the step to stop at must be a whole number of at least 1, not '{step_text}'")
        return (loss, step) if ok else None

    def _on_stop_change(self) -> None:
        values = self._stop_values()
        if values is None:
            return
        loss, step = values
        until = loss if self.stop_loss_check.isChecked() else None
        at = step if self.stop_step_check.isChecked() else None
        rule = None if until is None and at is None else StopRule(until_loss=until, max_steps=at)
        self.stop_loss.setText(num(loss, 6))
        self.stop_step.setText(f"{step:,}")
        if rule != self.stop_rule:
            self.stop_rule = rule
            self.sigStopRule.emit(rule)
            self._show_summary()
            if rule is not None:
                where = " or ".join(([f"the training loss reaches {loss:g}"] if until is not None else [])
                                    + ([f"step {step:,}"] if at is not None else []))
                self.sigStatus.emit(f"Play pauses at {where}")
