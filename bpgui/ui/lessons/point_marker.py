"""The learner's guess on the Surface view: a white marker they drag to where they think the point goes. Its
position is read in the surface's data coordinates (the two parameters' values)."""

from __future__ import annotations

import pyqtgraph as pg

#: where the marker first appears: this share of the visible width (height) beside the current point, so that it
#: does not hide the point (nor sit where the step lands)
OFFSET = (0.24, 0.16)
#: and at least this share away from the visible edges
MARGIN = 0.08


class PointMarker:
    def __init__(self, surface_view):
        self.view = surface_view
        self.item = pg.TargetItem(size=18, symbol="o", pen=pg.mkPen("#202020", width=2), brush="#ffffff",
                                  hoverBrush="#d9d9d9", movable=True, label="your guess",
                                  labelOpts={"color": "#ffffff", "fill": (20, 20, 20, 190), "offset": (14, -14),
                                             "anchor": (0, 1)})
        self.item.setZValue(25)  # above the current point, which the learner is not to drag now
        self.item.setToolTip("your guess: drag it to where you think the point goes, then press Check")
        self.item.hide()
        surface_view.plot_item.addItem(self.item, ignoreBounds=True)

    @property
    def shown(self) -> bool:
        return self.item.isVisible()

    def place(self, near: tuple[float, float] | None) -> None:
        """Show the marker beside ``near`` (the current point), inside the visible part of the surface."""
        rect = self.view.plot_item.vb.viewRect()
        w, h = rect.width(), rect.height()
        if near is None:
            x, y = rect.center().x(), rect.center().y()
        else:
            x0, x1 = rect.left() + MARGIN * w, rect.right() - MARGIN * w
            y0, y1 = rect.top() + MARGIN * h, rect.bottom() - MARGIN * h  # the view's y grows upwards
            lo_y, hi_y = min(y0, y1), max(y0, y1)
            x = near[0] + OFFSET[0] * w
            if x > x1:
                x = near[0] - OFFSET[0] * w
            y = near[1] + OFFSET[1] * abs(h)
            if y > hi_y:
                y = near[1] - OFFSET[1] * abs(h)
            x, y = min(max(x, x0), x1), min(max(y, lo_y), hi_y)
        self.item.setPos(x, y)
        self.item.show()

    def position(self) -> tuple[float, float]:
        p = self.item.pos()
        return float(p.x()), float(p.y())

    def hide(self) -> None:
        self.item.hide()
