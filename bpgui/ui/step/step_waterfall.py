"""The next step taken apart, one bar per parameter: a waterfall of the first-order terms gᵢ·Δwᵢ (sorted, most
helpful first) whose running sum ends at the prediction ΔE ≈ Σᵢ gᵢ·Δwᵢ, drawn beside the actual ΔE; with the
curvature gauge beneath. Hovering a bar marks its parameter on the canvas (``sigHoverParameter``)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal

from ...core.step_anatomy import StepAnatomy
from ...core.training_run import TrainingSnapshot
from ..style import MUTED_COLOR, TEST_COLOR, TEXT_COLOR, TRAIN_COLOR, make_plot
from ..text import num, rich_name
from .curvature_gauge import CurvatureGauge
from .step_state import DOWNHILL_COLOR, UPHILL_COLOR
from .step_view import StepView

#: bars drawn one per parameter; the rest are summed into one "N others" bar
MAX_BARS = 40
#: the least height of a row (pixels): a short view draws fewer bars, each still with its readable name
ROW_PIXELS = 12
BAR = 0.7  # a bar's thickness (rows are 1 apart)
OTHERS_COLOR = "#969696"


def waterfall_rows(a: StepAnatomy, max_bars: int = MAX_BARS) -> tuple[list[str], np.ndarray, list[str | None]]:
    """The rows of the waterfall: labels, terms and parameter names (None for the "others" row). The ``max_bars``
    largest terms by |gᵢ·Δwᵢ| sorted from the most negative up, then one row summing the rest, if any."""
    c = a.contributions
    order = np.argsort(-np.abs(c), kind="stable")
    shown, rest = order[:max_bars], order[max_bars:]
    shown = shown[np.argsort(c[shown], kind="stable")]
    names = [a.names[i] for i in shown]
    terms = c[shown]
    labels = list(names)
    params: list[str | None] = list(names)
    if len(rest):
        labels.append(f"{len(rest)} others")
        terms = np.append(terms, float(np.sum(c[rest])))
        params.append(None)
    return labels, terms, params


class StepWaterfall(StepView):
    """Horizontal bars, one row per parameter from the top: each bar runs from the running sum before its term to
    the sum after it, blue where the term lowers E and orange where it raises it; dashed lines at the first-order
    total and at the actual ΔE."""

    #: the parameter under the mouse (a name), or None when the mouse left the bars
    sigHoverParameter = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.invertY(True)
        self.plot_item.setLabel("bottom", "first-order change of E: running sum of g<sub>i</sub>·Δw<sub>i</sub>")
        self.plot_item.setMouseEnabled(y=False)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR)
        self.running = pg.PlotCurveItem(pen=pg.mkPen(MUTED_COLOR, width=1.5), connect="pairs")
        self.zero = pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen("#bdbdbd", width=1))
        label = {"color": TEXT_COLOR, "fill": (255, 255, 255, 200)}
        self.predicted_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(TRAIN_COLOR, width=1.5, style=Qt.DashLine),
                                              label="Σ g·Δw", labelOpts={"position": 0.96, **label})
        self.actual_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(TEST_COLOR, width=2, style=Qt.DotLine),
                                           label="actual ΔE", labelOpts={"position": 0.04, **label})
        self.hover_text = pg.TextItem(color=TEXT_COLOR, fill=(255, 255, 255, 230), border="#969696", anchor=(0, 1))
        for z, item in enumerate((self.zero, self.bars, self.running, self.predicted_line, self.actual_line)):
            item.setZValue(z + 1)
            self.plot_item.addItem(item)
        self.hover_text.setZValue(20)
        self.plot_item.addItem(self.hover_text, ignoreBounds=True)
        self.hover_text.hide()

        self.gauge = CurvatureGauge()
        self.lay_out(self.plot_widget, self.gauge)
        self.max_bars = MAX_BARS
        self.rows: list[str | None] = []  # the parameter of each row (None: the others)
        self._terms = np.zeros(0)
        self._note = ""
        self._hovered: str | None = None
        self._hover_row: int | None = None
        self.plot_widget.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot_item.vb.sigResized.connect(self._refit)
        self.clear()

    # ------------------------------------------------------------------ public
    def bars_that_fit(self) -> int:
        """``max_bars``, or fewer when the plot is too short to name each row readably (at least 3)."""
        height = self.plot_item.vb.height() if self.plot_widget.isVisible() else 0
        fit = int(height // ROW_PIXELS) - 1 if height > 0 else self.max_bars  # the others' row too
        return max(3, min(self.max_bars, fit))

    def _refit(self, *_) -> None:
        """The plot has a new height: as many rows as fit it."""
        if self.anatomy is not None and len(self.rows) != min(len(self.anatomy.names), self.bars_that_fit() + 1):
            self.set_anatomy(self.anatomy, self._note)

    def bar_lengths(self) -> np.ndarray:
        """The drawn bars' signed lengths, top row first (the terms gᵢ·Δwᵢ, and the others' sum)."""
        return np.asarray(self.bars.opts["width"], dtype=float)

    def clear(self, message: str = "") -> None:
        super().clear(message)
        self.rows = []
        self._terms = np.zeros(0)
        self.bars.setOpts(x0=[], y=[], width=[], brushes=[])
        self.running.setData([], [])
        for item in (self.predicted_line, self.actual_line, self.hover_text):
            item.hide()
        self.plot_item.getAxis("left").setTicks([[]])
        self.gauge.clear()
        self._set_hovered(None)

    def nothing_to_draw(self, snap: TrainingSnapshot) -> None:
        if snap.anatomy is not None and np.isfinite(snap.anatomy.curvature.lambda_max):
            self.gauge.set_anatomy(snap.anatomy)  # the curvature still has its say at a stationary point

    def set_anatomy(self, a: StepAnatomy, note: str = "") -> None:
        self.show_plot()
        self.anatomy = a
        self._note = note
        labels, terms, self.rows = waterfall_rows(a, self.bars_that_fit())
        self._terms = terms
        ends = np.cumsum(terms)
        starts = ends - terms
        rows = np.arange(len(terms), dtype=float)
        brushes = [OTHERS_COLOR if p is None else (DOWNHILL_COLOR if t <= 0 else UPHILL_COLOR)
                   for p, t in zip(self.rows, terms)]
        self.bars.setOpts(x0=starts, y=rows, width=terms, height=BAR, brushes=brushes, pens=[None] * len(terms))
        # the running sum: from each bar's end down to the next bar's start
        xs = np.repeat(ends[:-1], 2)
        ys = np.column_stack([rows[:-1] + BAR / 2, rows[1:] - BAR / 2]).ravel()
        self.running.setData(xs, ys)
        predicted, actual = a.predicted_change, a.actual_change
        self.predicted_line.setPos(predicted)
        self.actual_line.setPos(actual)
        self.predicted_line.show()
        self.actual_line.show()
        self.plot_item.getAxis("left").setTicks([[(float(i), text) for i, text in enumerate(labels)]])
        span = np.concatenate([[0.0, predicted, actual], starts, ends])
        span = span[np.isfinite(span)]
        self.plot_item.setXRange(float(span.min()), float(span.max()), padding=0.06)
        self.plot_item.setYRange(-0.6, len(rows) - 0.4, padding=0)
        self.caption.setText(note + self._caption(a))
        self.gauge.set_anatomy(a)
        self._update_hover_text()

    def _caption(self, a: StepAnatomy) -> str:
        n = len(a.names)
        c = a.contributions
        up = int(np.sum(c > 0))
        others = n - sum(p is not None for p in self.rows)
        shown = (f"The {n - others} largest of {n} terms by |g·Δw|, the other {others} summed in one bar. "
                 if others else "")
        if a.optimizer == "sgd":
            sign = ("Under sgd Δwᵢ = −η·gᵢ, so every term −η·gᵢ² is ≤ 0: each parameter's share lowers E "
                    "(to first order).")
        elif up:
            sign = (f"Under {a.optimizer} the step is not −η·g, so a term may be > 0: <span style='color:"
                    f"{UPHILL_COLOR}'>■</span> {up} of {n} parameters move uphill (to first order).")
        else:
            sign = f"Under {a.optimizer} the step is not −η·g, so a term may be > 0; here none is."

        return (f"{shown}{sign} Σ g·Δw = <b>{num(a.predicted_change)}</b> (first order) · actual ΔE = "
                f"<b>{num(a.actual_change)}</b> · E = {num(a.loss, 5)} → {num(a.loss_after, 5)}.")

    # ------------------------------------------------------------------ hover
    def _mouse_moved(self, scene_pos: QPointF) -> None:
        vb = self.plot_item.vb
        name = None
        row = None
        if self.rows and vb.sceneBoundingRect().contains(scene_pos):
            p = vb.mapSceneToView(scene_pos)
            i = int(round(p.y()))
            if 0 <= i < len(self.rows) and abs(p.y() - i) <= BAR / 2:
                row = i
                name = self.rows[i]
        self._hover_row = row
        self._set_hovered(name)
        self._update_hover_text()

    def leaveEvent(self, event):
        self._hover_row = None
        self._set_hovered(None)
        self.hover_text.hide()
        super().leaveEvent(event)

    def _set_hovered(self, name: str | None) -> None:
        if name != self._hovered:
            self._hovered = name
            self.sigHoverParameter.emit(name)

    def _update_hover_text(self) -> None:
        row = self._hover_row
        a = self.anatomy
        if a is None or row is None or row >= len(self.rows):
            self.hover_text.hide()
            return
        name = self.rows[row]
        if name is None:
            text = f"{len(a.names) - len(self.rows) + 1} others: Σ g·Δw = {num(self._terms[row])}"
        else:
            i = a.names.index(name)
            text = (f"{rich_name(name)}: g = {num(a.gradient[i])} · Δw = {num(a.step[i])} · "
                    f"g·Δw = {num(a.contributions[i])}")
        self.hover_text.setHtml(f"<span style='color:{TEXT_COLOR}'>{text}</span>")
        x0, _x1 = self.plot_item.vb.viewRange()[0]
        self.hover_text.setPos(x0, row - BAR / 2)
        self.hover_text.show()
