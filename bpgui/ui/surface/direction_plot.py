"""Why −∇E: the slope D_uE = ∇E·u of the loss along every unit direction u in the plane of two parameters, against
the direction's angle. It is most negative along −∇E, and positive for every u with a positive dot product with ∇E.
With a weight decay E is the total E + R training minimises, and the caption says so."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ...core.explain import StepPrediction, directional_derivatives, steepest_descent_angle
from ..style import TEXT_COLOR, TRAIN_COLOR, caption_label, make_plot, plot_or_message
from ..text import num, rich_name, total_words

DOWNHILL_COLOR = "#2166ac"
UPHILL_COLOR = "#e08214"
DOWNHILL_FILL = (33, 102, 172, 70)
UPHILL_FILL = (224, 130, 20, 80)
ZERO_COLOR = "#969696"
STATIONARY = ("∇E ≈ 0: a stationary point. Every direction is flat to first order (∇E is 0 to within the rounding "
              "of its terms).")
NOT_FINITE = "the gradient is not finite here"


def steepest_descent(gx: float, gy: float) -> float:
    """The angle of −∇E in degrees, in (−180, 180]."""
    return math.degrees(steepest_descent_angle(gx, gy))


def direction_angles(gx: float, gy: float) -> np.ndarray:
    """Angles (degrees, −180…180) to draw D_uE at: every degree, and exactly at ±∇E and the two flat directions."""
    steepest = steepest_descent(gx, gy)
    special = (steepest + np.array([0.0, 90.0, 180.0, 270.0]) + 180.0) % 360.0 - 180.0
    return np.union1d(np.linspace(-180.0, 180.0, 361), special)


class DirectionPlot(QWidget):
    """D_uE = gx·cos θ + gy·sin θ against θ, downhill directions filled blue and uphill ones orange, with the
    directions of −∇E and ∇E marked; the first-order prediction of the next step beneath."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.setLabel("bottom", "direction θ of the unit step u")
        self.plot_item.setLabel("left", "slope D<sub>u</sub>E = ∇E · u")
        self.plot_item.getAxis("bottom").setTicks([[(a, f"{a}°".replace("-", "−")) for a in range(-180, 181, 90)],
                                                    [(a, "") for a in range(-135, 136, 90)]])
        self.plot_item.setXRange(-180, 180, padding=0.05)
        self.downhill = pg.PlotCurveItem(pen=None, fillLevel=0.0, brush=DOWNHILL_FILL)
        self.uphill = pg.PlotCurveItem(pen=None, fillLevel=0.0, brush=UPHILL_FILL)
        self.zero = pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen(ZERO_COLOR, width=1))
        self.curve = pg.PlotCurveItem(pen=pg.mkPen(TRAIN_COLOR, width=2))
        label = {"color": TEXT_COLOR, "fill": (255, 255, 255, 150)}
        self.descent = pg.InfiniteLine(angle=90, pen=pg.mkPen(DOWNHILL_COLOR, width=1.5, style=Qt.DashLine),
                                       label="−∇E: steepest descent", labelOpts={"position": 0.9, **label})
        self.ascent = pg.InfiniteLine(angle=90, pen=pg.mkPen(UPHILL_COLOR, width=1.5, style=Qt.DashLine),
                                      label="∇E: steepest ascent", labelOpts={"position": 0.1, **label})
        for z, item in enumerate((self.downhill, self.uphill, self.zero, self.curve, self.descent, self.ascent)):
            item.setZValue(z + 1)
            self.plot_item.addItem(item)

        self.caption = caption_label()
        self.prediction = caption_label()
        self.message, self._pages = plot_or_message(self, self.plot_widget, self.caption, self.prediction)
        self.clear()

    def clear(self) -> None:
        """No gradient and no prediction: empty plot, no text."""
        for curve in (self.curve, self.downhill, self.uphill):
            curve.setData([], [])
        self.descent.hide()
        self.ascent.hide()
        self._pages.setCurrentWidget(self.plot_widget)
        self.message.setText("")
        self.caption.setText("")
        self.prediction.setText("")
        self.prediction.hide()

    def set_gradient(self, x_name: str, y_name: str, gx: float, gy: float, stationary: bool = False,
                     decay=None) -> None:
        """Show D_uE for the gradient (``gx``, ``gy``) = (∂E/∂``x_name``, ∂E/∂``y_name``); ``stationary``: it is
        0 within rounding (every direction is flat); ``decay``: the weight decay whose total E + R E is, or None."""
        x, y = (f"<b>{rich_name(name)}</b>&nbsp;(θ&nbsp;=&nbsp;{angle}°)"
                for name, angle in ((x_name, 0), (y_name, 90)))
        plane = f"∇E = ({num(gx)}, {num(gy)}) in the plane of {x} and {y}."
        if decay is not None:
            plane += " " + total_words(decay)
        finite = bool(np.isfinite(gx) and np.isfinite(gy))
        if not finite or gx == gy == 0 or stationary:
            for curve in (self.curve, self.downhill, self.uphill):
                curve.setData([], [])
            self.descent.hide()
            self.ascent.hide()
            self.message.setText(STATIONARY if finite else NOT_FINITE)
            self._pages.setCurrentWidget(self.message)
            self.caption.setText(plane)
            return
        self._pages.setCurrentWidget(self.plot_widget)
        angles = direction_angles(gx, gy)
        slopes = directional_derivatives(gx, gy, np.radians(angles))
        self.curve.setData(angles, slopes)
        self.downhill.setData(angles, np.minimum(slopes, 0.0))
        self.uphill.setData(angles, np.maximum(slopes, 0.0))
        steepest = steepest_descent(gx, gy)
        self.descent.setPos(steepest)
        self.ascent.setPos(steepest - 180.0 if steepest > 0 else steepest + 180.0)
        self.descent.show()
        self.ascent.show()
        norm = float(np.hypot(gx, gy))
        self.plot_item.setYRange(-norm, norm, padding=0.08)
        down = f"<span style='color:{DOWNHILL_COLOR}'>■ downhill</span>"
        up = f"<span style='color:{UPHILL_COLOR}'>■ uphill</span>"
        self.caption.setText(f"{plane} Directions with a positive dot product with ∇E increase E ({up}), the others "
                             f"decrease it ({down}), fastest along −∇E: −|∇E|&nbsp;=&nbsp;{num(-norm)}.")

    def set_prediction(self, prediction: StepPrediction | None) -> None:
        """Show the next step's first-order prediction of ΔE beside the actual ΔE (None: hide it)."""
        if prediction is None:
            self.prediction.setText("")
            self.prediction.hide()
            return
        self.prediction.setText(
            f"<b>next step:</b> ΔE ≈ Σ ∂E/∂pᵢ Δpᵢ = <b>{num(prediction.predicted)}</b> (first order) · "
            f"actual ΔE = <b>{num(prediction.actual)}</b>")
        self.prediction.show()
