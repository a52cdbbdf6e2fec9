"""Why −∇E in all dimensions at once: the slope gᵀu of E along many unit directions u — K random ones and each
single parameter's axis moved downhill (−|gᵢ|) — against the floor −|∇E|, which only u = −∇E/|∇E| reaches
(Cauchy–Schwarz). The two-parameter picture is :mod:`bpgui.ui.surface.direction_plot`."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from ...core.step_anatomy import StepAnatomy
from ..style import TEXT_COLOR, make_plot
from ..text import num, rich_name
from .step_state import DOWNHILL_COLOR, UPHILL_COLOR
from .step_view import StepView

RANDOM_ROW = 1.0
SINGLE_ROW = 0.0
FLOOR_COLOR = "#d73027"
JITTER = 0.28  # how far the points of a row spread up and down (rows are 1 apart)


class DirectionSlopes(StepView):
    """Two strips of points on a slope axis: the K random directions' slopes (top) and the single parameters'
    −|gᵢ| (bottom), with −|∇E| as a red floor line and 0 as a grey one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_widget, self.plot_item = make_plot()
        self.plot_item.setLabel("bottom", "slope of E along a unit direction u: gᵀu")
        self.plot_item.setMouseEnabled(y=False)
        self.plot_item.getAxis("left").setWidth(96)  # room for the rows' names
        self.random_points = pg.ScatterPlotItem(size=7, pen=None)
        self.single_points = pg.ScatterPlotItem(size=9, brush=DOWNHILL_COLOR, pen=pg.mkPen("w", width=1))
        self.zero = pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen("#969696", width=1))
        label = {"color": TEXT_COLOR, "fill": (255, 255, 255, 200)}
        self.floor = pg.InfiniteLine(angle=90, pen=pg.mkPen(FLOOR_COLOR, width=2),
                                     label="−|∇E|: along −∇E", labelOpts={"position": 0.93, **label})
        for z, item in enumerate((self.zero, self.floor, self.random_points, self.single_points)):
            item.setZValue(z + 1)
            self.plot_item.addItem(item)
        self.lay_out(self.plot_widget)
        self.clear()

    def clear(self, message: str = "") -> None:
        super().clear(message)
        self.random_points.setData([], [])
        self.single_points.setData([], [])
        self.floor.hide()
        self.plot_item.getAxis("left").setTicks([[]])

    def set_anatomy(self, a: StepAnatomy, note: str = "") -> None:
        self.show_plot()
        self.anatomy = a
        rng = np.random.default_rng(0)  # the same spread every frame: points do not jump about
        slopes = np.asarray(a.random_slopes)
        slopes = slopes[np.isfinite(slopes)]
        k = len(slopes)
        single = -np.abs(np.asarray(a.gradient))
        self.random_points.setData(slopes, RANDOM_ROW + rng.uniform(-JITTER, JITTER, k),
                                   brush=[DOWNHILL_COLOR if s < 0 else UPHILL_COLOR for s in slopes])
        self.single_points.setData(single, SINGLE_ROW + rng.uniform(-JITTER, JITTER, len(single)),
                                   data=list(a.names))
        floor = a.steepest_slope
        self.floor.setPos(floor)
        self.floor.show()
        self.plot_item.getAxis("left").setTicks([[(RANDOM_ROW, f"{k} random"), (SINGLE_ROW, "single params")]])
        lo = min(floor, float(slopes.min()) if k else floor)
        hi = max(0.0, float(slopes.max()) if k else 0.0)
        self.plot_item.setXRange(lo, hi, padding=0.06)
        self.plot_item.setYRange(-0.6, 1.6, padding=0)
        best_random = f"{num(float(slopes.min()))}" if k else "—"
        best = a.best_single_parameter
        self.caption.setText(
            f"{note}best of {k} random: <b>{best_random}</b> vs −∇E: <b>{num(floor)}</b> · best single parameter "
            f"({rich_name(best)}): {num(a.best_single_parameter_slope)}. No unit direction goes down faster than "
            f"−|∇E| (gᵀu ≥ −|g|·|u|); in {len(a.names)} dimensions a random direction is nearly flat, "
            f"<span style='color:{DOWNHILL_COLOR}'>■</span> downhill or <span style='color:{UPHILL_COLOR}'>■</span> "
            f"uphill about equally often.")
