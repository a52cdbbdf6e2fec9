"""The 1-D slice E(p) through the current point, the other parameters held still: the curve, its tangent of slope
∂E/∂p, and where one gradient step p − η·∂E/∂p lands on the tangent and on the curve. With a weight decay E is the
total E + R training minimises, and the plot says so."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..style import MUTED_COLOR, TEST_COLOR, TRAIN_COLOR, caption_label, make_plot
from ..text import distinct, loss_name, num, rich_name

DROP_COLOR = MUTED_COLOR
#: fraction of the curve's span added above and below it (and left and right of the slice)
PAD = 0.08


class SlicePlot(QWidget):
    """E along one parameter p with the others held still, its tangent at the current point and one step's
    landing point, with a caption that gives the numbers."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.setLabel("left", "loss E")
        self.curve = self.plot_item.plot(pen=pg.mkPen(TRAIN_COLOR, width=2), connect="finite")
        self.tangent = pg.PlotCurveItem(pen=pg.mkPen(TEST_COLOR, width=2, style=Qt.DashLine))
        self.drop = pg.PlotCurveItem(pen=pg.mkPen(DROP_COLOR, width=1))  # tangent's landing point → curve's
        self.current = pg.ScatterPlotItem(size=10, brush=TRAIN_COLOR, pen=pg.mkPen("w", width=1.5))
        self.tangent_landing = pg.ScatterPlotItem(size=9, brush="w", pen=pg.mkPen(TEST_COLOR, width=2))
        self.curve_landing = pg.ScatterPlotItem(size=9, brush="w", pen=pg.mkPen(TRAIN_COLOR, width=2))
        for z, item in enumerate((self.drop, self.tangent, self.tangent_landing, self.curve_landing, self.current)):
            item.setZValue(z + 1)
            self.plot_item.addItem(item)
        self.caption = caption_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.caption)
        self.clear()

    def clear(self) -> None:
        """No slice: empty plot and caption."""
        for item in (self.curve, self.tangent, self.drop, self.current, self.tangent_landing, self.curve_landing):
            item.setData([], [])
        self.plot_item.setLabel("bottom", "")
        self.caption.setText("")

    def set_slice(self, name: str, values: np.ndarray, losses: np.ndarray, current: float, loss: float,
                  gradient: float, learning_rate: float, decay=None) -> None:
        """Show E(``name``) = ``losses`` at ``values`` (non-finite losses are gaps), the current point
        (``current``, ``loss``) with its tangent of slope ``gradient``, and where the step −η·∂E/∂p lands.
        ``values`` should be increasing and cover the current point and the landing point. ``decay``: the weight
        decay (core.regularization.WeightDecay) whose total E + R the losses are, or None."""
        values = np.asarray(values, dtype=float)
        losses = np.where(np.isfinite(losses), losses, np.nan)
        self.plot_item.setLabel("bottom", name)
        self.plot_item.setLabel("left", "loss " + loss_name(decay))
        self.curve.setData(values, losses)
        has_step = bool(np.isfinite(gradient) and np.isfinite(loss))
        self.current.setData(*([[current], [loss]] if np.isfinite(loss) else [[], []]))
        step = -learning_rate * gradient if has_step else 0.0
        landing = current + step
        predicted = loss - learning_rate * gradient**2 if has_step else np.nan  # the tangent at the landing point
        actual = self.curve_at(landing)

        finite = losses[np.isfinite(losses)]
        ys = np.concatenate([finite, [y for y in (loss, actual) if np.isfinite(y)]])
        lo, hi = (float(ys.min()), float(ys.max())) if len(ys) else (0.0, 1.0)
        if np.isfinite(predicted) and lo - (hi - lo) <= predicted <= hi + (hi - lo):  # keep a steep tangent's
            lo, hi = min(lo, predicted), max(hi, predicted)  # far-off landing point out of the range
        span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
        y_range = (lo - PAD * span, hi + PAD * span)
        xs = values[np.isfinite(values)]
        x_lo, x_hi = (min(xs.min(), current), max(xs.max(), current)) if len(xs) else (current - 1, current + 1)
        x_pad = PAD / 4 * ((x_hi - x_lo) or 1.0)
        x_range = (x_lo - x_pad, x_hi + x_pad)
        self.plot_item.setRange(xRange=x_range, yRange=y_range, padding=0)

        if has_step:
            tx = self._tangent_span(current, loss, gradient, x_range, y_range)
            self.tangent.setData(tx, loss + gradient * (tx - current))
            self.tangent_landing.setData([landing], [predicted])
        else:
            self.tangent.setData([], [])
            self.tangent_landing.setData([], [])
        if has_step and np.isfinite(actual):
            self.curve_landing.setData([landing], [actual])
            self.drop.setData([landing, landing], [predicted, actual])
        else:
            self.curve_landing.setData([], [])
            self.drop.setData([], [])
        text = self._caption(name, current, loss, gradient, learning_rate, actual, decay)
        if decay is not None:
            text += f"<br>E + R is the total {decay.formula()}."
        self.caption.setText(text)

    def curve_at(self, p: float) -> float:
        """E at ``p`` interpolated linearly between the slice's points (NaN outside it or next to a gap)."""
        values, losses = self.curve.xData, self.curve.yData
        if values is None or len(values) == 0 or not values[0] <= p <= values[-1]:
            return np.nan
        return float(np.interp(p, values, losses))

    @staticmethod
    def _tangent_span(p0: float, e0: float, slope: float, x_range, y_range) -> np.ndarray:
        """The two ends of the tangent through (p0, e0) within the visible x and y ranges."""
        lo, hi = x_range
        if slope != 0:
            a, b = sorted((p0 + (y_range[0] - e0) / slope, p0 + (y_range[1] - e0) / slope))
            lo, hi = max(lo, a), min(hi, b)
        return np.array([lo, hi])

    @staticmethod
    def _caption(name, p0, e0, gradient, rate, e1, decay=None) -> str:
        curve = f"<span style='color:{TRAIN_COLOR}'>━</span>"
        tangent = f"<span style='color:{TEST_COLOR}'>╌</span>"
        head = (f"{curve} {loss_name(decay)} along p = <b>{rich_name(name)}</b>, the others held still · "
                f"{tangent} tangent<br>")
        if not np.isfinite(gradient) or not np.isfinite(e0):
            return head + "∂E/∂p is not finite here: no step to show"
        if gradient == 0:
            return head + (f"∂E/∂p = 0: the slice is flat here to first order, so a gradient step leaves p at "
                           f"{num(p0, 4)} (E {num(e0, 4)})")
        step = -rate * gradient
        a, b = distinct(p0, p0 + step, 3)
        text = f"∂E/∂p = {num(gradient)} · a step of −η·∂E/∂p = {num(step)} moves p from {a} to {b}: "
        if np.isfinite(e1):
            before, after = distinct(e0, e1, 4)
            text += f"E {before} → {after}"
        else:
            text += f"E {num(e0, 4)} → (not on the slice)"
        return head + text + f" (the tangent predicts {num(e0 - rate * gradient**2, 4)})"
