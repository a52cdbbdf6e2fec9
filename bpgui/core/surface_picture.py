"""What a picture of an error surface shows: log₁₀ E, the colour levels and the contour lines (plain NumPy, so the
surface thread makes it and the window only draws)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .contours import contour_segments
from .surface import Surface

#: contour lines per surface
CONTOURS = 12


@dataclass(frozen=True)
class SurfacePicture:
    """log₁₀ E (non-finite as the top of the scale), the colour levels, and the contour segments."""

    image: np.ndarray
    levels: tuple[float, float]
    contours: np.ndarray


def surface_picture(surf: Surface) -> SurfacePicture | None:
    """log₁₀ E over the 1st–99th percentile, with CONTOURS contour lines between (None if nothing is finite)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(np.where(surf.loss > 0, surf.loss, np.nan))
    finite = logs[np.isfinite(logs)]
    if len(finite) == 0:
        return None
    lo, hi = float(np.percentile(finite, 1)), float(np.percentile(finite, 99))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    shown = np.where(np.isfinite(logs), logs, hi).astype(np.float32)  # infinite losses drawn as the highest
    seg = [contour_segments(surf.x, surf.y, shown, level) for level in np.linspace(lo, hi, CONTOURS + 2)[1:-1]]
    return SurfacePicture(shown, (lo, hi), np.concatenate(seg))
