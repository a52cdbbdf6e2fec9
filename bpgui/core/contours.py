"""Contour lines of a function sampled on a grid (marching squares, vectorised).

Used off the UI thread for the decision boundary and the error surface's contour lines: the result is plain
line segments that a view draws in one call.
"""

from __future__ import annotations

import numpy as np

# For each of the 16 corner patterns of a cell (bit 0: (i, j), 1: (i, j+1), 2: (i+1, j+1), 3: (i+1, j) above the
# level), the cell edges its contour segments join. Edges: 0 bottom (i, j)-(i, j+1), 1 right (i, j+1)-(i+1, j+1),
# 2 top (i+1, j)-(i+1, j+1), 3 left (i, j)-(i+1, j). Saddles (5, 10): (pairs if the cell's mean is above the
# level, pairs if not).
_SEGMENTS = {
    1: [(3, 0)], 2: [(0, 1)], 3: [(3, 1)], 4: [(1, 2)], 6: [(0, 2)], 7: [(3, 2)], 8: [(2, 3)],
    9: [(2, 0)], 11: [(2, 1)], 12: [(1, 3)], 13: [(1, 0)], 14: [(0, 3)],
}
_SADDLE = {5: ([(0, 1), (2, 3)], [(3, 0), (1, 2)]), 10: ([(3, 0), (1, 2)], [(0, 1), (2, 3)])}


def contour_segments(x: np.ndarray, y: np.ndarray, z: np.ndarray, level: float) -> np.ndarray:
    """Segments of the contour ``z = level``, as an (M, 2, 2) array of ((x0, y0), (x1, y1)) in data units.

    ``z[i, j]`` is the value at (``x[j]``, ``y[i]``); ``x`` and ``y`` increase. Non-finite values make their
    cells empty.
    """
    z = np.asarray(z, dtype=float)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if z.ndim != 2 or z.shape[0] < 2 or z.shape[1] < 2:
        return np.zeros((0, 2, 2))
    above = z > level
    code = (above[:-1, :-1] * 1 + above[:-1, 1:] * 2 + above[1:, 1:] * 4 + above[1:, :-1] * 8).astype(np.int8)
    finite = np.isfinite(z)
    code[~(finite[:-1, :-1] & finite[:-1, 1:] & finite[1:, 1:] & finite[1:, :-1])] = 0
    cells = np.flatnonzero((code != 0) & (code != 15))  # only the cells the contour crosses
    if len(cells) == 0:
        return np.zeros((0, 2, 2))
    codes = code.ravel()[cells]
    rows, cols = np.divmod(cells, code.shape[1])
    a, b = z[rows, cols], z[rows, cols + 1]  # corners (i, j), (i, j+1)
    c, d = z[rows + 1, cols + 1], z[rows + 1, cols]  # (i+1, j+1), (i+1, j)
    xa, xb, ya, yb = x[cols], x[cols + 1], y[rows], y[rows + 1]

    def frac(p, q):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (level - p) / (q - p)
        return np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0)

    # where the contour crosses each edge of every crossed cell: (x, y) per edge, shape (4, 2, n)
    tb, tr, tt, tl = frac(a, b), frac(b, c), frac(d, c), frac(a, d)
    points = np.array([[xa + tb * (xb - xa), ya], [xb, ya + tr * (yb - ya)],
                       [xa + tt * (xb - xa), yb], [xa, ya + tl * (yb - ya)]])
    centre_high = (a + b + c + d) / 4 > level
    parts = []

    def emit(sel, pairs):
        for e0, e1 in pairs:
            parts.append(np.stack([points[e0][:, sel].T, points[e1][:, sel].T], axis=1))

    for k, pairs in _SEGMENTS.items():
        sel = np.flatnonzero(codes == k)
        if len(sel):
            emit(sel, pairs)
    for k, (high_centre, low_centre) in _SADDLE.items():
        sel = np.flatnonzero(codes == k)
        if len(sel):
            emit(sel[centre_high[sel]], high_centre)
            emit(sel[~centre_high[sel]], low_centre)
    return np.concatenate(parts) if parts else np.zeros((0, 2, 2))
