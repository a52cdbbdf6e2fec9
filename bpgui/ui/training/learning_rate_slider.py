"""The learning-rate slider (log scale) with the curvature's marks on it: where η = 1/λ_max (the quadratic model's
best step along the sharpest direction) and η = 2/λ_max (past it, plain gradient descent is unstable on the
quadratic model), while the step views know λ_max."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSlider, QStyle, QStyleOptionSlider

from ..style import MUTED_COLOR
from ..text import num

#: slider notches per decade of η
LR_TICKS = 20
DANGER_COLOR = "#d73027"


class LearningRateSlider(QSlider):
    """A horizontal slider over log10(η) from 10^lo to 10^hi, notched LR_TICKS times per decade."""

    def __init__(self, lo: int, hi: int, parent=None):
        super().__init__(Qt.Horizontal, parent)
        self.setRange(lo * LR_TICKS, hi * LR_TICKS)
        self.lambda_max: float | None = None
        self._tip = ""

    @staticmethod
    def position(lr: float) -> int:
        return round(math.log10(lr) * LR_TICKS)

    @staticmethod
    def rate(position: int) -> float:
        return 10 ** (position / LR_TICKS)

    def set_tooltip(self, text: str) -> None:
        self._tip = text
        self._update_tooltip()

    def set_curvature(self, lambda_max: float | None) -> None:
        """Mark 1/λ_max and 2/λ_max (``lambda_max`` None, not finite or ≤ 0: no marks)."""
        if lambda_max is not None and not (math.isfinite(lambda_max) and lambda_max > 0):
            lambda_max = None
        if lambda_max != self.lambda_max:
            self.lambda_max = lambda_max
            self._update_tooltip()
            self.update()

    def marks(self) -> list[tuple[str, float]]:
        """The marks on show: (label, η), within the slider's range."""
        if self.lambda_max is None:
            return []
        out = []
        for label, k in (("1/λ", 1.0), ("2/λ", 2.0)):
            lr = k / self.lambda_max
            if self.minimum() <= math.log10(lr) * LR_TICKS <= self.maximum():
                out.append((label, lr))
        return out

    def past_limit(self) -> bool:
        """η beyond 2/λ_max: unstable for plain gradient descent on the quadratic model."""
        return self.lambda_max is not None and self.rate(self.value()) > 2 / self.lambda_max

    def _update_tooltip(self) -> None:
        tip = self._tip
        if self.lambda_max is not None:
            tip += (f"\nHere λ_max = {num(self.lambda_max)} (the sharpest curvature of E): marks at η = 1/λ_max = "
                    f"{num(1 / self.lambda_max)} and 2/λ_max = {num(2 / self.lambda_max)}, past which plain "
                    "gradient descent is unstable on the quadratic model")
        self.setToolTip(tip)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        marks = self.marks()
        if not marks:
            return
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self)
        span = groove.width() - handle.width()
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.75, 6.5))
        p.setFont(font)
        for label, lr in marks:
            v = min(max(self.position(lr), self.minimum()), self.maximum())
            x = groove.left() + handle.width() / 2 + QStyle.sliderPositionFromValue(
                self.minimum(), self.maximum(), v, span)
            color = QColor(DANGER_COLOR if label == "2/λ" else MUTED_COLOR)
            p.setPen(QPen(color, 2 if label == "2/λ" else 1.5))
            p.drawLine(QPointF(x, 1), QPointF(x, 6))
            p.drawLine(QPointF(x, self.height() - 6), QPointF(x, self.height() - 1))
            if label == "2/λ":
                w = p.fontMetrics().horizontalAdvance(label)
                p.drawText(QRectF(x + 2, 0, w + 2, p.fontMetrics().height()), Qt.AlignLeft | Qt.AlignTop, label)
        p.end()
