"""How far to go: E along the line of the next step, E(w + t·Δw) for t from 0 to 2, with its linear model
E + t·gᵀΔw and quadratic model E + t·gᵀΔw + ½t²·ΔwᵀHΔw; t = 1 is the optimizer's step."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from ...core.step_anatomy import StepAnatomy
from ..style import MUTED_COLOR, TEST_COLOR, TEXT_COLOR, TRAIN_COLOR, make_plot
from ..text import num
from .step_view import StepView

QUADRATIC_COLOR = "#7b3294"
BEST_COLOR = "#1a9850"


class StepLinePlot(StepView):
    """E(w + t·Δw) (solid), the linear (dashed) and quadratic (dotted) models, the optimizer's step at t = 1 and the
    lowest E sampled on the line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.setLabel("bottom", "t: how many of the optimizer's steps Δw along the line")
        self.plot_item.setLabel("left", "loss E(w + t·Δw)")
        self.legend = self.plot_item.addLegend(offset=(-8, 8), labelTextColor=TEXT_COLOR,
                                               brush=(255, 255, 255, 210), pen="#bdbdbd")
        self.curve = self.plot_item.plot(pen=pg.mkPen(TRAIN_COLOR, width=2.5), name="E along the step",
                                         connect="finite")
        self.linear = self.plot_item.plot(pen=pg.mkPen(TEST_COLOR, width=2, style=Qt.DashLine),
                                          name="linear: E + t·gᵀΔw")
        self.quadratic = self.plot_item.plot(pen=pg.mkPen(QUADRATIC_COLOR, width=2, style=Qt.DotLine),
                                             name="quadratic: + ½t²·ΔwᵀHΔw")
        self.step_mark = pg.ScatterPlotItem(size=12, brush=TRAIN_COLOR, pen=pg.mkPen("w", width=1.5))
        self.best_mark = pg.ScatterPlotItem(size=12, symbol="t", brush=BEST_COLOR, pen=pg.mkPen("w", width=1))
        self.step_line = pg.InfiniteLine(pos=1.0, angle=90, pen=pg.mkPen(MUTED_COLOR, width=1, style=Qt.DashLine),
                                         label="t = 1: the step", labelOpts={"position": 0.95, "color": TEXT_COLOR})
        for z, item in enumerate((self.step_line, self.step_mark, self.best_mark)):
            item.setZValue(10 + z)
            self.plot_item.addItem(item)
        self.legend.addItem(self.best_mark, "lowest E sampled")
        self.lay_out(self.plot_widget)
        self.clear()

    def clear(self, message: str = "") -> None:
        super().clear(message)
        for item in (self.curve, self.linear, self.quadratic, self.step_mark, self.best_mark):
            item.setData([], [])
        self.step_line.hide()

    def set_anatomy(self, a: StepAnatomy, note: str = "") -> None:
        self.show_plot()
        self.anatomy = a
        t, e = np.asarray(a.line_t), np.where(np.isfinite(a.line_loss), a.line_loss, np.nan)
        self.curve.setData(t, e)
        self.linear.setData(t, a.line_linear)
        self.quadratic.setData(t, a.line_quadratic)
        self.step_mark.setData([1.0], [a.loss_after])
        self.step_line.show()
        finite = np.isfinite(e)
        best = int(np.nanargmin(e)) if finite.any() else None
        if best is not None:
            self.best_mark.setData([t[best]], [e[best]])
        else:
            self.best_mark.setData([], [])
        # the range follows the true curve (a model running off far below it would flatten the picture)
        values = np.concatenate([e[finite], [a.loss, a.loss_after]])
        values = values[np.isfinite(values)]
        if len(values):
            lo, hi = float(values.min()), float(values.max())
            pad = max(hi - lo, 1e-12 * max(abs(hi), 1.0))
            self.plot_item.setYRange(lo - 0.25 * pad, hi + 0.15 * pad, padding=0)
        self.plot_item.setXRange(0.0, float(t[-1]), padding=0.03)
        best_text = ""
        if best is not None:
            where = ("at t = 1, the step itself" if abs(t[best] - 1.0) < 1e-12
                     else f"at t = {num(t[best])}" + (" (the end of the line: a longer step would go lower still)"
                                                      if best == len(t) - 1 else ""))
            best_text = f" The lowest E sampled on the line is {num(e[best], 5)}, {where}."
        self.caption.setText(
            f"{note}E along the step: t = 1 lands at E = <b>{num(a.loss_after, 5)}</b> (from {num(a.loss, 5)}; "
            f"ΔE = {num(a.actual_change)}, the linear model says {num(a.predicted_change)}, the quadratic "
            f"{num(a.predicted_change + 0.5 * a.step_curvature)}).{best_text}")
