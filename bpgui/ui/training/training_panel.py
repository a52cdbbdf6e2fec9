"""The training panel: the run's buttons and its speed under them, its settings (learning rate and, under a schedule,
the η of the next step; optimizer and its hyperparameters, batch size, frozen biases, seed, loss), the folding
"More options" (weight decay, schedule, initialisation, where Play stops: :mod:`.training_options`) and the data
(generator, points, noise, test fraction, regenerate).

Every change is an undoable edit of the document (:meth:`DocumentModel.edit_settings`, or :meth:`edit` for the
loss), so it is saved with the document and reaches a running training thread at its next step.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core.datasets import GENERATOR_NAMES, generator_shape
from ...core.document import MAX_LEARNING_RATE, MAX_STEPS_PER_SECOND, GeneratorData, TableData
from ...core.limits import MAX_POINTS
from ...core.losses import LOSS_NAMES, LOSSES
from ...core.network import Change
from ...core.optimizers import HYPERPARAMETER_RANGES, HYPERPARAMETERS, OPTIMIZER_NAMES
from ..document.document_hub import DocumentHub
from ..document.document_model import DocumentModel
from ..style import MUTED_COLOR
from ..text import num, parse_number
from .learning_rate_slider import LearningRateSlider
from .training_options import TrainingOptions

#: the learning-rate slider spans 10^LR_MIN … 10^LR_MAX (in steps of 10^(1/LR_TICKS))
LR_MIN, LR_MAX = -5, 1
#: the speed slider's stops (steps per second, evenly spaced on a log scale: 1-1.5-2-3-5-7 per decade); the
#: position after the last one is "unlimited"
SPEEDS = tuple(m * 10**e for e in range(4) for m in (1, 1.5, 2, 3, 5, 7)) + (10_000,)
UNLIMITED = len(SPEEDS)

OPTIMIZER_TIPS = {
    "sgd": "plain gradient descent: p ← p − η·∂E/∂p",
    "momentum": "gradient descent with momentum: a running sum of past gradients keeps the steps going",
    "nesterov": "momentum that looks ahead along its own velocity",
    "adagrad": "divides each step by the root of that parameter's summed squared gradients",
    "rmsprop": "divides each step by a running mean of that parameter's squared gradients",
    "adam": "momentum plus per-parameter step sizes (running means of g and g²)",
}
HYPER_TIPS = {
    "momentum": "μ: how much of the previous velocity each step keeps",
    "rho": "ρ: decay of the running mean of squared gradients",
    "beta1": "β₁: decay of the running mean of gradients",
    "beta2": "β₂: decay of the running mean of squared gradients",
    "eps": "ε: added to the denominator so a zero gradient history cannot divide by zero",
}


class SciSpinBox(QDoubleSpinBox):
    """A spin box that shows its value as short as it can (1e-08, not 0.000000010000)."""

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text, pos):
        """A number in the box's range is acceptable; anything else is not taken (no silent clamping)."""
        v = parse_number(text)
        if v is None or not self.minimum() <= v <= self.maximum():
            return QValidator.Intermediate, text, pos
        return QValidator.Acceptable, text, pos


_SPEED_UNIT = re.compile(r"\s*(steps?\s*/\s*s(ec(ond)?)?|/\s*s)\s*$", re.IGNORECASE)
#: what the speed box takes for "no limit" (0 as in the old spin box)
_NO_LIMIT = ("unlimited", "no limit", "none", "max", "∞", "inf", "0")


def speed_text(steps_per_second: float | None) -> str:
    """"unlimited", "1 step/s", "0.5 steps/s", "20 steps/s", "10,000 steps/s"."""
    v = steps_per_second
    if v is None:
        return "unlimited"
    number = f"{int(v):,}" if v >= 1000 and v == int(v) else f"{v:g}"
    return f"{number} step/s" if v == 1 else f"{number} steps/s"


def parse_speed(text: str) -> tuple[bool, float | None]:
    """(True, steps per second or None for no limit) from what a person types ("20", "20 steps/s", "0.5",
    "unlimited", "1,000"), or (False, None)."""
    t = _SPEED_UNIT.sub("", text.strip()).replace(",", "").strip()
    if t.lower() in _NO_LIMIT:
        return True, None
    v = parse_number(t)
    if v is None or not 0.0 < v <= MAX_STEPS_PER_SECOND:
        return False, None
    return True, v


def speed_position(steps_per_second: float | None) -> int:
    """The speed slider's position nearest to a speed (on the log scale); unlimited is the far right."""
    if steps_per_second is None:
        return UNLIMITED
    if steps_per_second > SPEEDS[-1]:
        return len(SPEEDS) - 1
    return min(range(len(SPEEDS)), key=lambda i: abs(math.log(SPEEDS[i] / steps_per_second)))


class TrainingPanel(QWidget):
    #: a message for the status bar
    sigStatus = Signal(str)
    #: classroom mode: the advanced settings are out of sight (see :meth:`set_classroom`)
    classroom = False

    def __init__(self, hub: DocumentHub, actions, parent=None):
        super().__init__(parent)
        self.hub = hub
        self._lr_now: float | None = None  # the η of the run's next step, under a schedule
        lay = QVBoxLayout(self)
        # the run buttons: in one row where there is room, in two where the panel is narrow (a small window)
        self.run_buttons = []
        for act in actions:
            b = QToolButton()
            b.setDefaultAction(act)
            b.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
            b.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # the panel may be narrower than one row
            self.run_buttons.append(b)
        self._buttons = QGridLayout()
        self._buttons.setHorizontalSpacing(6)
        self._button_columns = 0
        self._arrange_buttons(len(self.run_buttons))
        lay.addLayout(self._buttons)
        # the speed, right under the buttons it governs: a log slider and the exact value (typed or shown)
        self.speed_slider = QSlider(Qt.Horizontal)
        self.speed_slider.setRange(0, UNLIMITED)
        self.speed_slider.setPageStep(3)
        self.speed_slider.setToolTip("how fast Play trains: 1 step per second at the left, as fast as the computer "
                                     "goes at the far right. Step and Step Epoch always do exactly one step / "
                                     "one epoch")
        self.speed_edit = QLineEdit()
        self.speed_edit.setFixedWidth(self.speed_edit.fontMetrics().horizontalAdvance("10,000 steps/s") + 16)
        self.speed_edit.setToolTip("the speed cap exactly: steps per second (e.g. 20 or 0.5), or 'unlimited' "
                                   "(press Enter)")
        row = QHBoxLayout()
        speed_label = QLabel("speed")
        speed_label.setBuddy(self.speed_slider)
        row.addWidget(speed_label)
        row.addWidget(self.speed_slider, 1)
        row.addWidget(self.speed_edit)
        lay.addLayout(row)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.lr_slider = LearningRateSlider(LR_MIN, LR_MAX)
        self.lr_slider.set_tooltip("the learning rate η, on a log scale (each notch ×1.12)")
        self.lr_edit = QLineEdit()
        self.lr_edit.setMaximumWidth(80)
        self.lr_edit.setToolTip(f"the learning rate η exactly: a number above 0 and at most {MAX_LEARNING_RATE:g}")
        row = QHBoxLayout()
        row.addWidget(self.lr_slider, 1)
        row.addWidget(self.lr_edit)
        form.addRow("learning rate", row)
        # under a schedule, the η of the next step (the field above holds η₀)
        self.lr_now = QLabel()
        self.lr_now.setStyleSheet(f"color: {MUTED_COLOR};")
        self.lr_now.setWordWrap(True)
        form.addRow("", self.lr_now)
        self.optimizer = QComboBox()
        for name in OPTIMIZER_NAMES:
            self.optimizer.addItem(name)
            self.optimizer.setItemData(self.optimizer.count() - 1, OPTIMIZER_TIPS[name], Qt.ToolTipRole)
        self.optimizer.setToolTip("how the gradient becomes a step")
        form.addRow("optimizer", self.optimizer)
        self.hyper: dict[str, QDoubleSpinBox] = {}
        for key in dict.fromkeys(k for h in HYPERPARAMETERS.values() for k in h):
            lo, hi, _ = HYPERPARAMETER_RANGES[key]
            s = SciSpinBox()
            s.setKeyboardTracking(False)
            s.setToolTip(HYPER_TIPS[key])
            if key == "eps":
                s.setDecimals(12)
                s.setRange(1e-12, 0.1)
                s.setSingleStep(1e-8)
            else:
                s.setDecimals(4)
                s.setRange(lo, hi - 1e-4)
                s.setSingleStep(0.01)
            self.hyper[key] = s
            form.addRow(key, s)
        self.batch = QSpinBox()
        self.batch.setRange(0, MAX_POINTS)
        self.batch.setSpecialValueText("full batch")
        self.batch.setKeyboardTracking(False)
        self.batch.setToolTip("samples per step: the whole training set (full batch) or a minibatch of this size")
        form.addRow("batch size", self.batch)
        self.freeze_biases = QCheckBox("freeze biases")
        self.freeze_biases.setToolTip("train the weights only; every bias keeps its value")
        form.addRow("", self.freeze_biases)
        self.seed = QLineEdit()
        self.seed.setValidator(QIntValidator(0, 2**31 - 1))  # typing; larger seeds from a file are shown as they are
        self.seed.setToolTip("the seed of Reset's random weights and of the minibatch order (press Enter)")
        form.addRow("seed", self.seed)
        self.loss = QComboBox()
        self.loss.addItems(LOSS_NAMES)
        self.loss.setToolTip("the loss E the network is trained to reduce")
        form.addRow("loss", self.loss)
        self.form = form
        lay.addLayout(form)
        self.options = TrainingOptions(hub)
        self.options.sigStatus.connect(self.sigStatus)
        lay.addWidget(self.options)

        box = QGroupBox("Data")
        dform = QFormLayout(box)
        self.data_form = dform
        dform.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.dataset = QComboBox()
        self.dataset.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.dataset.setMinimumContentsLength(12)
        self.dataset.setToolTip("the training data: a generator, or the table stored in the file")
        dform.addRow("dataset", self.dataset)
        self.points = QSpinBox()
        self.points.setRange(1, MAX_POINTS)
        self.points.setKeyboardTracking(False)
        self.points.setToolTip("how many points the generator draws (training and test together)")
        dform.addRow("points", self.points)
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 10.0)
        self.noise.setDecimals(3)
        self.noise.setSingleStep(0.01)
        self.noise.setKeyboardTracking(False)
        self.noise.setToolTip("standard deviation of the Gaussian noise added to the inputs")
        dform.addRow("noise", self.noise)
        self.test_fraction = QDoubleSpinBox()
        self.test_fraction.setRange(0.0, 0.9)
        self.test_fraction.setDecimals(2)
        self.test_fraction.setSingleStep(0.05)
        self.test_fraction.setKeyboardTracking(False)
        self.test_fraction.setToolTip("the share of points held out as a test set (never trained on)")
        dform.addRow("test fraction", self.test_fraction)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.setToolTip("draw new points (the next data seed)")
        self.data_info = QLabel()
        self.data_info.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.regenerate)
        row.addWidget(self.data_info, 1)
        dform.addRow(row)
        lay.addWidget(box)
        lay.addStretch(1)

        self.lr_slider.valueChanged.connect(self._on_lr_slider)
        self.lr_edit.editingFinished.connect(self._on_lr_edit)
        self.optimizer.activated.connect(self._on_optimizer)
        for key, s in self.hyper.items():
            s.valueChanged.connect(lambda v, k=key: self._on_hyper(k, v))
        self.batch.valueChanged.connect(self._on_batch)
        self.freeze_biases.toggled.connect(self._on_freeze)
        self.speed_slider.valueChanged.connect(self._on_speed_slider)
        self._speed_gesture = 0  # a drag of the speed slider is one undo step, the next drag another
        self.speed_slider.sliderPressed.connect(self._next_speed_gesture)
        self.speed_slider.sliderReleased.connect(self._next_speed_gesture)
        self.speed_edit.editingFinished.connect(self._on_speed_edit)
        self.seed.editingFinished.connect(self._on_seed)
        self.loss.activated.connect(self._on_loss)
        self.dataset.activated.connect(self._on_dataset)
        self.points.valueChanged.connect(lambda v: self._on_generator(n=v))
        self.noise.valueChanged.connect(lambda v: self._on_generator(noise=v))
        self.test_fraction.valueChanged.connect(lambda v: self._on_generator(test_fraction=v))
        self.regenerate.clicked.connect(self._on_regenerate)
        hub.sigSettingsChanged.connect(self.refresh)
        hub.sigNetworkChanged.connect(self._on_network_change)
        hub.sigDocumentReplaced.connect(self.refresh)
        self.refresh()

    def _arrange_buttons(self, columns: int) -> None:
        if columns == self._button_columns:
            return
        self._button_columns = columns
        for b in self.run_buttons:
            self._buttons.removeWidget(b)
        for i, b in enumerate(self.run_buttons):
            self._buttons.addWidget(b, i // columns, i % columns)
        for c in range(len(self.run_buttons)):
            self._buttons.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        margins = self.layout().contentsMargins()
        room = ev.size().width() - margins.left() - margins.right()
        one_row = sum(b.sizeHint().width() for b in self.run_buttons) + 6 * (len(self.run_buttons) - 1)
        self._arrange_buttons(len(self.run_buttons) if room >= one_row else 2)

    @property
    def model(self) -> DocumentModel:
        return self.hub.model

    # ------------------------------------------------------------------ model → widgets
    def _on_network_change(self, change: Change) -> None:
        if change.structural:
            self.refresh()

    def refresh(self, *_) -> None:
        doc = self.model.doc
        t, d = doc.training, doc.data
        widgets = [self.lr_slider, self.lr_edit, self.optimizer, self.batch, self.freeze_biases, self.speed_slider,
                   self.speed_edit,
                   self.seed, self.loss, self.dataset, self.points, self.noise, self.test_fraction,
                   *self.hyper.values()]
        for w in widgets:
            w.blockSignals(True)
        try:
            self._show_lr(t.learning_rate)
            self.optimizer.setCurrentText(t.optimizer)
            used = t.hyper_for_optimizer()
            for key, s in self.hyper.items():
                self.form.setRowVisible(s, key in used and not self.classroom)
                if key in used:
                    s.setValue(used[key])
            self.batch.setValue(t.batch_size or 0)
            self.freeze_biases.setChecked(not t.train_biases)
            self._show_speed(t.steps_per_second)
            self.seed.setText(str(t.seed))
            self.loss.setCurrentText(self.model.network.loss)
            formula = LOSSES[self.model.network.loss].formula
            self.loss.setToolTip(f"the loss E the network is trained to reduce: {formula}")
            self._fill_datasets()
            generated = isinstance(d, GeneratorData)
            for w in (self.points, self.noise, self.test_fraction):
                self.data_form.setRowVisible(w, generated)
            self.regenerate.setVisible(generated)
            if generated:
                self.points.setValue(d.n)
                self.noise.setValue(d.noise)
                self.test_fraction.setValue(d.test_fraction)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._show_data_info()

    def set_classroom(self, on: bool) -> None:
        """Classroom mode: hide the advanced settings (the optimizer's hyperparameters, More options, the data),
        or show them again as the document has them."""
        self.classroom = on
        for box in (self.data_form.parentWidget(), self.options):
            box.setVisible(not on)
        self.refresh()

    def _show_lr(self, lr: float) -> None:
        self.lr_slider.setValue(self.lr_slider.position(lr))
        self.lr_edit.setText(f"{lr:g}")
        self.lr_edit.setStyleSheet("")
        self._show_lr_now()

    def update_snapshot(self, snap) -> None:
        """The η of the run's next step, while a schedule changes it."""
        self._lr_now = snap.learning_rate_now if self.model.doc.training.schedule is not None else None
        self._show_lr_now()

    def _show_lr_now(self) -> None:
        schedule = self.model.doc.training.schedule
        self.form.setRowVisible(self.lr_now, schedule is not None)
        if schedule is None:
            return
        now = self._lr_now
        if now is None or not math.isfinite(now):
            now = self.model.doc.training.learning_rate
        self.lr_now.setText(f"now η = {num(now, 4)} ({schedule.describe()})")
        self.lr_now.setToolTip("the learning rate of the run's next step: the schedule's, from η₀ above at step 0")

    def _show_speed(self, steps_per_second: float | None) -> None:
        self.speed_slider.setValue(speed_position(steps_per_second))
        self.speed_edit.setText(speed_text(steps_per_second))
        self.speed_edit.setStyleSheet("")

    def _fill_datasets(self) -> None:
        d = self.model.doc.data
        n_in = len(self.model.network.inputs)
        self.dataset.clear()
        if isinstance(d, TableData):
            rows = len(d.inputs) + len(d.test_inputs)
            self.dataset.addItem(f"table ({rows:,} row{'s' if rows != 1 else ''})", None)
            self.dataset.setItemData(0, "the document's own table (imported from a CSV file, edited by clicks on "
                                        "the Outputs plot, or written in the file); File > Import Data… replaces it",
                                     Qt.ToolTipRole)
        for name in GENERATOR_NAMES:
            width, kind = generator_shape(name)
            self.dataset.addItem(f"{name} ({width}-D {kind})", name)
            i = self.dataset.count() - 1
            if width != n_in:
                self.dataset.setItemData(i, f"makes {width}-D inputs; the network has {n_in} input neurons",
                                         Qt.ToolTipRole)
        self.dataset.setCurrentIndex(0 if isinstance(d, TableData) else self.dataset.findData(d.generator))

    def _show_data_info(self) -> None:
        ds = self.model.dataset()
        if ds is None:
            self.data_info.setText(f"<span style='color:#b2182b'>{self.model.data_problem}</span>")
            return
        self.data_info.setText(f"{len(ds.x_train):,} training, {len(ds.x_test):,} test points")

    # ------------------------------------------------------------------ widgets → model
    def _edit_training(self, text: str, merge_key=None, **changes) -> None:
        cfg = replace(self.model.doc.training.copy(), **changes)
        self._report(self.model.edit_settings(text, training=cfg, merge_key=merge_key))

    def _report(self, error: str | None) -> None:
        if error:
            self.sigStatus.emit(error)
            self.refresh()

    def _on_lr_slider(self, v: int) -> None:
        self.lr_edit.setStyleSheet("")
        lr = float(f"{self.lr_slider.rate(v):.3g}")
        self.lr_edit.setText(f"{lr:g}")
        self._edit_training(f"Set learning rate to {lr:g}", merge_key=("learning_rate",), learning_rate=lr)

    def _on_lr_edit(self) -> None:
        text = self.lr_edit.text().strip()
        lr = parse_number(text)
        if lr is None or not 0.0 < lr <= MAX_LEARNING_RATE:
            self.lr_edit.setStyleSheet("background: #fddbc7")
            self.sigStatus.emit(f"the learning rate must be a number above 0 and at most {MAX_LEARNING_RATE:g}, "
                                f"not '{text}'")
            return
        self.lr_slider.blockSignals(True)
        self.lr_slider.setValue(self.lr_slider.position(lr))
        self.lr_slider.blockSignals(False)
        self.lr_edit.setStyleSheet("")
        if lr == self.model.doc.training.learning_rate:
            self.lr_edit.setText(f"{lr:g}")
            return
        self._edit_training(f"Set learning rate to {lr:g}", learning_rate=lr)

    def _on_optimizer(self, _i) -> None:
        name = self.optimizer.currentText()
        if name != self.model.doc.training.optimizer:
            self._edit_training(f"Use the {name} optimizer", optimizer=name)

    def _on_hyper(self, key: str, v: float) -> None:
        hyper = {**self.model.doc.training.hyperparameters, key: v}
        self._edit_training(f"Set {key} to {v:g}", merge_key=("hyper", key), hyperparameters=hyper)

    def _on_batch(self, v: int) -> None:
        self._edit_training("Use full batches" if v == 0 else f"Use minibatches of {v}", merge_key=("batch",),
                            batch_size=v or None)

    def _on_freeze(self, on: bool) -> None:
        self._edit_training("Freeze biases" if on else "Train biases", train_biases=not on)

    def _on_speed_slider(self, i: int) -> None:
        sps = None if i >= UNLIMITED else float(SPEEDS[i])
        self.speed_edit.setText(speed_text(sps))
        self.speed_edit.setStyleSheet("")
        self._set_speed(sps, merge_key=("speed", self._speed_gesture))

    def _next_speed_gesture(self) -> None:
        self._speed_gesture += 1

    def _on_speed_edit(self) -> None:
        text = self.speed_edit.text()
        ok, sps = parse_speed(text)
        if not ok:
            self.speed_edit.setStyleSheet("background: #fddbc7")
            self.sigStatus.emit(f"the speed must be a number of steps per second above 0 and at most "
                                f"{MAX_STEPS_PER_SECOND:,.0f}, or 'unlimited'; not '{text.strip()}'")
            return
        self.speed_slider.blockSignals(True)
        self._show_speed(sps)  # tidied ("20" → "20 steps/s"), the slider at the nearest stop
        self.speed_slider.blockSignals(False)
        self._set_speed(sps)

    def _set_speed(self, sps: float | None, merge_key=None) -> None:
        if sps != self.model.doc.training.steps_per_second:
            self._edit_training("Unlimited speed" if sps is None else f"Limit speed to {speed_text(sps)}",
                                merge_key=merge_key, steps_per_second=sps)

    def _on_seed(self) -> None:
        text = self.seed.text().strip()
        if text.isdigit() and int(text) != self.model.doc.training.seed:
            self._edit_training(f"Set seed to {text}", seed=int(text))

    def _on_loss(self, _i) -> None:
        loss = self.loss.currentText()
        if loss != self.model.network.loss:
            self._report(self.model.edit(f"Set loss to {loss}", lambda n, p: n.set_loss(loss)))

    def _on_dataset(self, _i) -> None:
        name = self.dataset.currentData()
        d = self.model.doc.data
        if name is None or (isinstance(d, GeneratorData) and d.generator == name):
            return
        base = d if isinstance(d, GeneratorData) else GeneratorData(name, 200, 0.05, 0.2, 0)
        self._report(self.model.edit_settings(f"Use the {name} data", data=replace(base, generator=name)))

    def _on_generator(self, **changes) -> None:
        d = self.model.doc.data
        if isinstance(d, GeneratorData):
            what = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in changes.items())
            self._report(self.model.edit_settings(f"Set data {what}", data=replace(d, **changes),
                                                  merge_key=("data",) + tuple(changes)))

    def _on_regenerate(self) -> None:
        d = self.model.doc.data
        if isinstance(d, GeneratorData):
            self._report(self.model.edit_settings("Regenerate the data", data=replace(d, seed=d.seed + 1)))
