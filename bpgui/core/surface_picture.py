"""What a picture of an error surface shows: log₁₀ E as colours on a steady scale, contour lines that show the
landscape's shape, and whether there is a landscape to show at all (plain NumPy, so the surface thread makes it
and the window only draws).

Three rules keep the picture honest:

* **the colour scale contains the current E** and spans at least MIN_DECADES, so a nearly flat landscape looks
  nearly flat (its shape is still in the contour lines, which follow the values on the grid);
* **the scale stays put** while a run goes on (:func:`steady_levels`): while training it only grows, when the
  values leave it, and then by whole tenths of a decade with room to spare; when paused it also narrows to values
  that fill little of it. Colours can be compared over time;
* **no rounding noise as landscape**: a grid that float32 cannot resolve (:func:`float32_resolves`, near a
  minimum) is computed again in float64, and a grid whose values differ by no more than float64 rounding
  (:func:`resolvable`) is not drawn; the caption says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .contours import contour_segments
from .surface import Surface

#: contour lines per surface
CONTOURS = 12
#: the colour scale spans at least this many decades of E
MIN_DECADES = 0.5
#: a kept scale is replaced when the values fill less than this share of it
MIN_FILL = 0.4
#: decades added beyond the values on a side they crossed, when the scale moves
HEADROOM = 0.5
#: float64 values of E closer than this many units of rounding (relative to max(1, |E|)) are one value; a float32
#: grid must tell values apart by this many times its error
ROUNDING_UNITS = 1e3
#: float32 grids agree with float64 to about this times max(1, |E|) (bench/bench_surface.py measures 2e-8)
FLOAT32_ERROR = 1e-6


@dataclass(frozen=True)
class SurfacePicture:
    """log₁₀ E (non-finite as the top of the scale), the colour levels (log₁₀ E at the two ends of the colour
    map), the contour segments, and what the grid spans: its smallest and largest finite E."""

    image: np.ndarray
    levels: tuple[float, float]
    contours: np.ndarray
    low: float
    high: float

    @property
    def variation(self) -> float:
        """How much E changes over the grid, relative to its largest value (0 for a flat grid)."""
        return (self.high - self.low) / self.high if self.high > 0 else 0.0


def float32_resolves(loss: np.ndarray) -> bool:
    """Whether a grid computed in float32 tells its values of E apart well enough to draw: its error (about
    FLOAT32_ERROR · max(1, |E|), measured at most 2e-8 of that) must be a thousandth or less of the smallest E (the
    colours are log₁₀ E) and of E's variation over the grid. Else compute it in float64."""
    finite = loss[np.isfinite(loss)]
    if finite.size < 2:
        return True  # nothing to resolve; float64 would draw the same
    lo, hi = float(finite.min()), float(finite.max())
    error = FLOAT32_ERROR * max(1.0, abs(lo), abs(hi))
    return lo >= ROUNDING_UNITS * error and hi - lo >= ROUNDING_UNITS * error


def resolvable(loss: np.ndarray) -> bool:
    """Whether the finite values of E on a grid differ by more than float64 rounding: if not, the grid holds one
    value, and any pattern in it is noise."""
    finite = loss[np.isfinite(loss)]
    if finite.size < 2:
        return False
    lo, hi = float(finite.min()), float(finite.max())
    return hi - lo > ROUNDING_UNITS * np.finfo(np.float64).eps * max(1.0, abs(lo), abs(hi))


def steady_levels(wanted: tuple[float, float], previous: tuple[float, float] | None,
                  may_shrink: bool = True) -> tuple[float, float]:
    """The colour levels to use for values spanning ``wanted`` (log₁₀ E): ``previous`` while it contains them and
    (when ``may_shrink``) they fill at least MIN_FILL of it; else ``wanted`` widened to MIN_DECADES and rounded
    outward to tenths. A scale the values left grows by HEADROOM beyond them on that side (E falling during
    training crosses the bottom again and again); without ``may_shrink`` (while training) it only grows."""
    lo, hi = wanted
    if previous is not None:
        plo, phi = previous
        fits = plo <= lo and hi <= phi
        if fits and (not may_shrink or (hi - lo) >= MIN_FILL * (phi - plo) - 1e-12):
            return previous
        if not may_shrink:
            lo, hi = min(lo, plo), max(hi, phi)
        if lo < plo:
            lo -= HEADROOM
        if hi > phi:
            hi += HEADROOM
    if hi - lo < MIN_DECADES:
        middle = (lo + hi) / 2
        lo, hi = middle - MIN_DECADES / 2, middle + MIN_DECADES / 2
    return math.floor(lo * 10 + 1e-9) / 10, math.ceil(hi * 10 - 1e-9) / 10


def surface_picture(surf: Surface, current_loss: float | None = None,
                    previous_levels: tuple[float, float] | None = None,
                    may_shrink: bool = True) -> SurfacePicture | None:
    """The picture of ``surf``: colours over the 1st–99th percentile of log₁₀ E, widened to contain
    ``current_loss`` (E at the current point) and kept steady against ``previous_levels`` (see
    :func:`steady_levels`); CONTOURS contour lines over the grid's own values. None when nothing is finite or the
    grid is flat to float64 rounding (:func:`resolvable`)."""
    if not resolvable(surf.loss):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.where(surf.loss > 0, surf.loss, np.nan))
    finite = logs[np.isfinite(logs)]
    if len(finite) == 0:
        return None
    lo, hi = float(np.percentile(finite, 1)), float(np.percentile(finite, 99))
    contour_lo, contour_hi = (lo, hi) if hi > lo else (float(finite.min()), float(finite.max()))
    if current_loss is not None and current_loss > 0 and math.isfinite(current_loss):
        here = math.log10(current_loss)
        lo, hi = min(lo, here), max(hi, here)
    levels = steady_levels((lo, hi), previous_levels, may_shrink)
    # E = 0 (an exact fit) at the bottom of the scale, infinite or undefined E at the top
    shown = np.where(np.isfinite(logs), logs, np.where(surf.loss <= 0, levels[0], levels[1])).astype(np.float32)
    if contour_hi > contour_lo:
        seg = [contour_segments(surf.x, surf.y, shown, level)
               for level in np.linspace(contour_lo, contour_hi, CONTOURS + 2)[1:-1]]
        contours = np.concatenate(seg)
    else:
        contours = np.zeros((0, 2, 2))
    positive = surf.loss[np.isfinite(surf.loss)]
    return SurfacePicture(shown, levels, contours, float(positive.min()), float(positive.max()))
