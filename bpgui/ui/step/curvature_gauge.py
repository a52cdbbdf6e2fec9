"""Is the step size safe here? η·λ_max against 2: plain gradient descent is stable on the quadratic model of E only
for η < 2/λ_max (λ_max: the Hessian's largest eigenvalue, the sharpest curvature at the current weights)."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ...core.step_anatomy import StepAnatomy
from ..style import MUTED_COLOR, TEXT_COLOR, caption_label
from ..text import num

WARNING = ("this step size is past the stability limit of plain gradient descent here: expect E to rise")
SAFE_COLOR = "#1a9850"
EDGE_COLOR = "#f2a900"
DANGER_COLOR = "#d73027"
#: the bar's scale runs from 0 to at least this (the limit 2 sits two thirds along)
SCALE = 3.0


def gauge_value(a: StepAnatomy) -> float | None:
    """η·λ_max (None when λ_max is not a positive finite number: no direction curves up)."""
    lam = a.curvature.lambda_max
    if not (math.isfinite(lam) and lam > 0):
        return None
    return a.learning_rate * lam


class GaugeBar(QWidget):
    """A small bar: η·λ_max filled from 0 (green below 1, amber up to 2, red past 2), ticks at 1 and 2."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.value: float | None = None
        self.setMinimumWidth(120)

    def sizeHint(self):
        return QSize(180, 18)

    def set_value(self, value: float | None) -> None:
        self.value = value
        self.update()

    def paintEvent(self, _ev):
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 3, -1, -3)
        p.setPen(QPen(QColor(MUTED_COLOR), 1))
        p.setBrush(QColor("#f0f0f0"))
        p.drawRect(r)
        v = self.value
        if v is not None:
            top = max(SCALE, v * 1.1) if v <= 1e6 else SCALE
            color = SAFE_COLOR if v < 1 else EDGE_COLOR if v < 2 else DANGER_COLOR
            p.setPen(Qt.NoPen)
            p.setBrush(QColor(color))
            p.drawRect(QRectF(r.left(), r.top(), r.width() * min(v / top, 1.0), r.height()))
            p.setPen(QPen(QColor(TEXT_COLOR), 1.5))
            for mark in (1.0, 2.0):
                x = r.left() + r.width() * mark / top
                p.drawLine(int(x), int(r.top()) - 2, int(x), int(r.bottom()) + 2)
        p.end()


class CurvatureGauge(QWidget):
    """η·λ_max as a bar and in words, with the step sizes 1/λ_max and 2/λ_max, and a warning past the limit."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bar = GaugeBar()
        self.label = QLabel()
        self.label.setTextFormat(Qt.RichText)
        self.label.setStyleSheet(f"color: {TEXT_COLOR};")
        self.detail = caption_label(background=None)
        self.warning = caption_label(background="#fde0dc")
        self.warning.setStyleSheet(self.warning.styleSheet() + f" color: {DANGER_COLOR}; font-weight: bold;")
        row = QHBoxLayout()
        row.setContentsMargins(6, 2, 6, 0)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(row)
        layout.addWidget(self.detail)
        layout.addWidget(self.warning)
        self.clear()

    @property
    def warning_shown(self) -> bool:
        return not self.warning.isHidden()

    def clear(self) -> None:
        self.bar.set_value(None)
        self.label.setText("η·λ<sub>max</sub>: —")
        self.detail.setText("")
        self.warning.hide()

    def set_anatomy(self, a: StepAnatomy) -> None:
        lam = a.curvature.lambda_max
        value = gauge_value(a)
        self.bar.set_value(value)
        eta = f"η&nbsp;=&nbsp;{num(a.learning_rate)}"
        if value is None:
            self.label.setText("η·λ<sub>max</sub>: —")
            self.detail.setText(f"λ<sub>max</sub> = {num(lam)}: no direction curves up here, so the curvature sets no "
                                f"limit on the step size ({eta}).")
            self.warning.hide()
            return
        self.label.setText(f"η·λ<sub>max</sub> = <b>{num(value)}</b> (stable below 2)")
        sgd = a.optimizer == "sgd"
        note = ("" if sgd else f" The limit is plain gradient descent's; {a.optimizer} scales its steps its own way, "
                "so read it as a guide.")
        self.detail.setText(f"λ<sub>max</sub> = {num(lam)} · {eta} · 1/λ<sub>max</sub> = {num(1 / lam)} (the "
                            f"quadratic model's best step along the sharpest direction) · 2/λ<sub>max</sub> = "
                            f"{num(2 / lam)} (the stability limit).{note}")
        past = a.learning_rate > 2 / lam
        self.warning.setText(f"η = {num(a.learning_rate)} > 2/λ<sub>max</sub> = {num(2 / lam)}: {WARNING}.")
        self.warning.setVisible(past and sgd)
