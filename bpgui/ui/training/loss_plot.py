"""The loss curve: train and test loss against step, on a log or linear scale, with the values at the step under
the mouse; with a weight decay, the total E + R that training minimises beside the data loss E; on request, the
train and test accuracy of a network that classifies, on a right-hand axis from 0 to 100 %."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

from ...core.accuracy import percent
from ...core.training_run import TrainingSnapshot
from ..style import TEST_COLOR, TEXT_COLOR, TRAIN_COLOR, make_plot

#: on the log scale, losses below this (e.g. exactly 0) are drawn at it
LOG_FLOOR = 1e-12
#: pixels between a hovered point and its text
HOVER_GAP = 6
#: the accuracy curves and their axis (train solid, test dashed, as the losses)
ACCURACY_COLOR = "#1b7837"
#: the accuracy toggle's tip, while the network classifies and while it does not
ACCURACY_TIP = ("Show the share of training (solid) and test (dashed) points classified right, on a right-hand "
                "axis from 0 to 100 %")
NO_ACCURACY_TIP = ("Accuracy is counted for networks that classify (loss bce or cross_entropy) data with classes, "
                   "not values to fit")
#: the name of the total E + R (with a weight decay), written at the end of its curve
TOTAL_NAME = "train total E + R"
#: where the legend sits (pixels from the plot area's corner): top right, or bottom left when the total's name is
#: at the end of its curve
LEGEND, LEGEND_WITH_TOTAL = (-8, 8), (8, -8)


class LossAxis(pg.AxisItem):
    """The loss axis. On the log scale its ticks within a decade come in two levels, 2× and 5× before the other
    multiples, so that crowded labels are dropped a level at a time (pyqtgraph puts all nine in one level, whose
    labels overlap in a small plot)."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        ticks = [(spacing, values) for spacing, values in stdTicks if spacing >= 1.0]  # whole decades
        if len(ticks) < 3:
            decades = np.arange(np.floor(minVal), np.ceil(maxVal))[:, None]
            for multiples in ((2, 5) if ticks else (1, 2, 5), (3, 4, 6, 7, 8, 9)):
                values = (decades + np.log10(multiples)).ravel()
                ticks.append((None, values[(values > minVal) & (values < maxVal)].tolist()))
        return ticks


class LossPlot(QWidget):
    """Train loss (solid) and test loss (dashed) against step, the train total E + R (thin, dashed, named at its
    end) while the history has a weight decay's penalty in it, and on request (:attr:`accuracy_action`, off at
    first) the train and test accuracy in percent on a right-hand axis. Hovering shows the values at the nearest
    step."""

    def __init__(self, parent=None):
        super().__init__(parent)
        # pyqtgraph's own "Plot Options" menu has a log switch of its own; the checkbox below is the one switch
        self.plot_widget, self.plot_item = make_plot(axisItems={"left": LossAxis("left")})
        self.plot_item.setLabel("bottom", "step")
        self.plot_item.setLabel("left", "loss E")
        self.legend = self.plot_item.addLegend(offset=LEGEND, labelTextColor=TEXT_COLOR, colCount=2,
                                               brush=(255, 255, 255, 210), pen="#bdbdbd")
        self.train_curve = self.plot_item.plot(pen=pg.mkPen(TRAIN_COLOR, width=2), name="train")
        self.test_curve = self.plot_item.plot(pen=pg.mkPen(TEST_COLOR, width=2, style=Qt.DashLine), name="test")
        # with a weight decay: what training minimises, E + R, thin and dashed over the data loss E; named at the
        # end of the curve, above it (where the falling curves leave room), not in the legend, which would cover
        # the curves of a small plot; the legend moves to the bottom left (below the curves' high start), out of
        # the name's way
        self.total_curve = pg.PlotDataItem(pen=pg.mkPen(TRAIN_COLOR, width=1, style=Qt.DashLine))
        self.plot_item.addItem(self.total_curve)
        self.total_label = pg.TextItem(TOTAL_NAME, color=TRAIN_COLOR, anchor=(1, 1))
        self.plot_item.addItem(self.total_label, ignoreBounds=True)
        self.total_label.hide()
        self.hover_marker = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1))
        self.hover_marker.setZValue(20)
        self.hover_text = pg.TextItem(color=TEXT_COLOR, fill=(255, 255, 255, 225), border="#969696")
        self.hover_text.setZValue(21)
        for item in (self.hover_marker, self.hover_text):
            self.plot_item.addItem(item, ignoreBounds=True)
            item.hide()
        self.log_check = QCheckBox("log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic axis")
        self.log_check.toggled.connect(self._apply_log)
        self._make_accuracy_axis()

        controls = QHBoxLayout()
        controls.setContentsMargins(6, 0, 6, 0)
        controls.addStretch(1)
        controls.addWidget(self.accuracy_check)
        controls.addWidget(self.log_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(controls)

        # the history on show, as the snapshot gave it (unclipped)
        self._steps = np.zeros(0, dtype=np.int64)
        self._train = np.zeros(0)
        self._test = np.zeros(0)
        self._total = np.zeros(0)  # E + R on the training set (the train loss again without a weight decay)
        self._accuracy = np.zeros(0)  # in percent, NaN where there is none
        self._test_accuracy = np.zeros(0)
        self._test_in_legend = True
        self._mouse: QPointF | None = None  # scene position of the mouse while it is over the plot area
        self.plot_widget.scene().sigMouseMoved.connect(self._mouse_moved)
        # a resting mouse points at another step when the axes rescale
        self.plot_item.vb.sigRangeChanged.connect(lambda *_: self._update_hover())
        self.plot_item.vb.sigResized.connect(lambda *_: self._update_hover())  # e.g. wider tick labels
        for signal in (self.plot_item.vb.sigResized, self.plot_item.vb.sigRangeChanged):  # other pixel sizes
            signal.connect(lambda *_: self._place_total_label())
        # The axes follow the data in coarse steps (nice step counts, whole decades), not every frame: a new range
        # means new ticks, which cost more to paint than the curves. Zooming or panning by hand stops the
        # following; the plot's "A" button starts it again.
        self._follow = True
        self._range: tuple | None = None
        self.plot_item.vb.sigRangeChangedManually.connect(self._stop_following)
        self.plot_item.autoBtn.clicked.connect(self._start_following)
        self.log_check.setChecked(True)
        self._set_accuracy_available(False)  # until a snapshot says the network classifies

    def _make_accuracy_axis(self) -> None:
        """The accuracy curves in a view box of their own (y from 0 to 100 %, x linked to the loss's), under the
        loss's view box so that the mouse pans and zooms the loss as before; the toggle as a checkbox and as an
        action for the menus."""
        pi = self.plot_item
        self.accuracy_box = pg.ViewBox(enableMouse=False, enableMenu=False)
        self.accuracy_box.setParentItem(pi)  # a child of the plot: exported with it
        self.accuracy_box.setZValue(pi.vb.zValue() - 1)
        self.accuracy_box.setXLink(pi.vb)
        self.accuracy_box.setYRange(0.0, 100.0, padding=0.03)
        right = pi.getAxis("right")
        right.linkToView(self.accuracy_box)
        right.setPen(ACCURACY_COLOR)
        right.setTextPen(ACCURACY_COLOR)
        right.setStyle(autoReduceTextSpace=False)
        right.enableAutoSIPrefix(False)
        right.setTickSpacing(25, 25)
        pi.setLabel("right", "accuracy %", color=ACCURACY_COLOR)
        pi.vb.sigResized.connect(lambda *_: self.accuracy_box.setGeometry(pi.vb.geometry()))
        self.accuracy_curve = pg.PlotDataItem(pen=pg.mkPen(ACCURACY_COLOR, width=1.5))
        self.test_accuracy_curve = pg.PlotDataItem(pen=pg.mkPen(ACCURACY_COLOR, width=1.5, style=Qt.DashLine))
        self.accuracy_marker = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1), brush=ACCURACY_COLOR)
        self.accuracy_marker.setZValue(20)
        self.accuracy_marker.hide()
        for item in (self.accuracy_curve, self.test_accuracy_curve, self.accuracy_marker):
            self.accuracy_box.addItem(item)
        self.accuracy_check = QCheckBox("accuracy")
        self.accuracy_action = QAction("&Accuracy in the Loss Plot", self, checkable=True)
        self.accuracy_action.setStatusTip(ACCURACY_TIP)
        # the two stay in step; the action is the one that acts
        self.accuracy_check.toggled.connect(self.accuracy_action.setChecked)
        self.accuracy_action.toggled.connect(self.accuracy_check.setChecked)
        self.accuracy_action.toggled.connect(self._apply_accuracy)
        pi.vb.menu.addSeparator()
        pi.vb.menu.addAction(self.accuracy_action)  # the plot's right-click menu

    # ------------------------------------------------------------------ public
    def is_accuracy_shown(self) -> bool:
        return self.accuracy_action.isChecked()

    def set_accuracy_shown(self, on: bool) -> None:
        """Show (True) or hide the accuracy curves and their axis."""
        self.accuracy_action.setChecked(on)

    def is_log(self) -> bool:
        return self.log_check.isChecked()

    def set_log(self, on: bool) -> None:
        """Logarithmic (True) or linear loss axis."""
        self.log_check.setChecked(on)

    def update_snapshot(self, snap: TrainingSnapshot) -> None:
        """Show the snapshot's loss history; does nothing if it is the history already on show."""
        steps, train, test = snap.history_steps, snap.history_train, snap.history_test
        acc, test_acc = snap.history_accuracy, snap.history_test_accuracy
        if acc is None or len(acc) != len(steps):
            acc = test_acc = np.full(len(steps), np.nan)
        total = snap.history_total
        if total is None or len(total) != len(steps):
            total = train
        self._set_accuracy_available(snap.accuracy is not None or bool(np.isfinite(acc).any()))
        if (np.array_equal(steps, self._steps) and np.array_equal(train, self._train, equal_nan=True)
                and np.array_equal(test, self._test, equal_nan=True)
                and np.array_equal(total, self._total, equal_nan=True)):
            return
        self._steps, self._train, self._test, self._total = steps, train, test, total
        self._accuracy, self._test_accuracy = 100.0 * acc, 100.0 * test_acc
        self._redraw()

    def follow(self, hub, training) -> None:
        """Show ``training``'s loss history; empty when another document opens (``hub``: the DocumentHub)."""
        training.sigSnapshot.connect(self.update_snapshot)
        hub.sigDocumentReplaced.connect(self.clear)

    def clear(self, *_) -> None:
        """No history: empty curves, no hover text."""
        self._steps, self._train, self._test = np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
        self._total = np.zeros(0)
        self._accuracy, self._test_accuracy = np.zeros(0), np.zeros(0)
        self._redraw()

    # ------------------------------------------------------------------ drawing
    def _shown(self, loss: np.ndarray) -> np.ndarray:
        """Loss values as the curves take them: clipped to LOG_FLOOR on the log scale (NaN stays NaN)."""
        return np.maximum(loss, LOG_FLOOR) if self.is_log() else loss

    def _redraw(self) -> None:
        self.train_curve.setData(self._steps, self._shown(self._train))
        has_test = bool(np.isfinite(self._test).any())
        if has_test:
            self.test_curve.setData(self._steps, self._shown(self._test))
        else:
            self.test_curve.setData([], [])
        if has_test != self._test_in_legend:
            if has_test:
                self.legend.addItem(self.test_curve, "test")
            else:
                self.legend.removeItem(self.test_curve)
            self._test_in_legend = has_test
        has_total = self.has_total()
        self.total_curve.setData(*((self._steps, self._shown(self._total)) if has_total else ([], [])))
        offset = LEGEND_WITH_TOTAL if has_total else LEGEND
        if self.legend.opts["offset"] != offset:
            self.legend.setOffset(offset)
        self._draw_accuracy()
        self._fit_range()
        self._place_total_label()
        self._update_hover()

    def _place_total_label(self) -> None:
        """The total's name ends where its curve ends, above the curve's highest point under the name (a curve
        still falling is higher to the left of its end)."""
        finite = np.flatnonzero(np.isfinite(self._total))
        if not self.has_total() or len(finite) == 0:
            self.total_label.setVisible(False)
            return
        i = finite[-1]
        end = float(self._steps[i])
        px = self.plot_item.vb.viewPixelSize()[0]
        width = self.total_label.boundingRect().width() * px if px > 0 else 0.0
        under = finite[self._steps[finite] >= end - width]
        top = max(self._view_y(float(self._total[j])) for j in under)
        self.total_label.setPos(end, top)
        self.total_label.setVisible(True)

    def has_total(self) -> bool:
        """The history on show has a total E + R apart from the data loss E (a weight decay was on)."""
        t = self._total
        return len(t) == len(self._train) and bool(np.any(np.isfinite(t) & (t != self._train)))

    def _draw_accuracy(self) -> None:
        """The accuracy curves, while shown. They are not in the legend: their axis names them, in their colour,
        and solid and dashed are train and test as for the loss (four entries would cover the curves in a small
        plot)."""
        shown = self.is_accuracy_shown()
        for curve, values in ((self.accuracy_curve, self._accuracy), (self.test_accuracy_curve, self._test_accuracy)):
            if shown and np.isfinite(values).any():
                curve.setData(self._steps, values)
            else:
                curve.setData([], [])

    def _set_accuracy_available(self, available: bool) -> None:
        """The toggle works for networks that classify; for others it is greyed out and says why."""
        if available == self.accuracy_action.isEnabled() and self.accuracy_check.toolTip():
            return
        self.accuracy_action.setEnabled(available)
        self.accuracy_check.setEnabled(available)
        tip = ACCURACY_TIP if available else NO_ACCURACY_TIP
        self.accuracy_check.setToolTip(tip)
        self.accuracy_action.setToolTip(tip)
        self._apply_accuracy(self.is_accuracy_shown())

    def _apply_accuracy(self, on: bool) -> None:
        """Show or hide the right-hand axis and the accuracy curves."""
        visible = on and self.accuracy_action.isEnabled()
        self.plot_item.showAxis("right", visible)
        self.accuracy_box.setVisible(visible)
        self._draw_accuracy()
        self._update_hover()

    def _fit_range(self) -> None:
        if not self._follow:
            return
        self.plot_item.disableAutoRange()
        log = self.is_log()
        steps = self._steps
        values = np.concatenate([self._train, self._test] + ([self._total] if self.has_total() else []))
        values = values[np.isfinite(values)]
        if log:
            values = values[values > 0]
        if len(steps) == 0 or len(values) == 0:  # nothing to fit to: a plain range rather than pyqtgraph's 1 to 10
            x_hi, y = 100, ((-2.0, 0.0) if log else (0.0, 1.0))
        else:
            x_hi = self._range[0] if self._range else 0
            if not (steps[-1] <= x_hi < 8 * max(steps[-1], 10)):  # grown out of the range, or far inside it
                x_hi = _nice_ceiling(max(10.0, 1.25 * steps[-1]))
            if log:
                lo, hi = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
                y = (float(lo), float(hi if hi > lo else lo + 1))
            else:
                top = _nice_ceiling(1.1 * values.max()) if values.max() > 0 else 1.0
                y = (min(0.0, float(values.min())), top)
        if (x_hi, y) != self._range:
            self._range = (x_hi, y)
            self.plot_item.setRange(xRange=(0, x_hi), yRange=y, padding=0.02)

    def _stop_following(self, *_) -> None:
        self._follow = False

    def _start_following(self) -> None:
        self._follow = True
        self._range = None
        self._fit_range()

    def _apply_log(self, on: bool) -> None:
        self.plot_item.setLogMode(y=on)
        self.plot_item.getAxis("right").setLogMode(False, False)  # the accuracy's axis stays linear
        self._range = None
        self._redraw()

    # ------------------------------------------------------------------ hover
    def _mouse_moved(self, scene_pos: QPointF) -> None:
        inside = self.plot_item.vb.sceneBoundingRect().contains(scene_pos)
        self._mouse = scene_pos if inside else None
        self._update_hover()

    def leaveEvent(self, event):
        self._mouse = None
        self._update_hover()
        super().leaveEvent(event)

    def _view_y(self, loss: float) -> float:
        """Where a loss value sits on the view's y axis (log10 of it on the log scale)."""
        return float(np.log10(max(loss, LOG_FLOOR))) if self.is_log() else loss

    def _hover_accuracy(self, i: int, step: int) -> tuple[float | None, float | None]:
        """The train and test accuracy (percent, None where there is none) at row ``i`` of the history while they
        are shown, with their markers; (None, None) and no markers otherwise."""
        shown = self.accuracy_box.isVisible()
        found = [float(a[i]) if shown and len(a) > i and np.isfinite(a[i]) else None
                 for a in (self._accuracy, self._test_accuracy)]
        values = [v for v in found if v is not None]
        self.accuracy_marker.setData([step] * len(values), values)
        self.accuracy_marker.setVisible(bool(values))
        return found[0], found[1]

    def _update_hover(self) -> None:
        """Text and markers for the recorded step nearest the mouse, or nothing when the mouse is elsewhere."""
        steps = self._steps
        if self._mouse is None or len(steps) == 0:
            self.hover_text.setVisible(False)
            self.hover_marker.hide()
            self.accuracy_marker.hide()
            self.legend.show()
            return
        vb = self.plot_item.vb
        x = vb.mapSceneToView(self._mouse).x()
        j = int(np.searchsorted(steps, x))  # the first step at or right of the mouse
        i = j if j < len(steps) and (j == 0 or steps[j] - x < x - steps[j - 1]) else j - 1
        step, train, test = int(steps[i]), float(self._train[i]), float(self._test[i])
        total = float(self._total[i]) if self.has_total() else None
        if total is None:
            text = f"step {step:,} · train {train:.4g}" + ("" if np.isnan(test) else f" · test {test:.4g}")
        else:  # the data loss E, the penalty R and their total
            text = (f"step {step:,} · train E {train:.4g}" + ("" if np.isnan(test) else f" · test {test:.4g}")
                    + f"\ntotal E + R {total:.4g} (R = {total - train:.4g})")
        accuracy, test_accuracy = self._hover_accuracy(i, step)
        if accuracy is not None:
            text += f"\naccuracy {percent(accuracy / 100.0)}"
            if test_accuracy is not None:
                text += f" · test {percent(test_accuracy / 100.0)}"
        marked = [(loss, color) for loss, color in ((train, TRAIN_COLOR), (test, TEST_COLOR),
                                                    (total if total is not None else np.nan, TRAIN_COLOR))
                  if np.isfinite(loss)]
        ys = [self._view_y(loss) for loss, _ in marked]
        self.hover_marker.setData([step] * len(ys), ys, brush=[color for _, color in marked])
        self.hover_marker.setVisible(bool(ys))
        self.hover_text.setText(text)
        y0, y1 = vb.viewRange()[1]
        y = ys[0] if ys else (y0 + y1) / 2
        # a little below the point in the top half, above it in the bottom half; starting at the point, but shifted
        # left as far as needed to stay inside the plot
        point = vb.mapViewToScene(QPointF(step, y)).x()
        box = self.hover_text.boundingRect()
        area = vb.sceneBoundingRect()
        left = max(area.left(), min(point, area.right() - box.width()))
        gap = HOVER_GAP / box.height()
        self.hover_text.setAnchor(((point - left) / box.width(), -gap if y > (y0 + y1) / 2 else 1 + gap))
        self.hover_text.setPos(step, y)
        self.hover_text.setVisible(True)  # not show(): TextItem.setVisible fits the text to the view's scale
        self.legend.hide()  # the text names the curves; the legend would cover it in a small plot


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``x``."""
    e = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * e >= x:
            return m * e
    return 10 * e
