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
    a, b = z[:-1, :-1], z[:-1, 1:]  # (i, j), (i, j+1)
    c, d = z[1:, 1:], z[1:, :-1]  # (i+1, j+1), (i+1, j)
    code = ((a > level) * 1 + (b > level) * 2 + (c > level) * 4 + (d > level) * 8).astype(np.int8)
    finite = np.isfinite(a) & np.isfinite(b) & np.isfinite(c) & np.isfinite(d)
    code[~finite] = 0
    x0, x1 = x[:-1][None, :], x[1:][None, :]
    y0, y1 = y[:-1][:, None], y[1:][:, None]

    def frac(p, q):
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (level - p) / (q - p)
        return np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0)

    shape = code.shape

    def edge_point(e, rows, cols):
        """Where the contour crosses edge ``e`` of the cells (rows, cols)."""
        xa, xb = np.broadcast_to(x0, shape)[rows, cols], np.broadcast_to(x1, shape)[rows, cols]
        ya, yb = np.broadcast_to(y0, shape)[rows, cols], np.broadcast_to(y1, shape)[rows, cols]
        if e == 0:
            t = frac(a[rows, cols], b[rows, cols])
            return xa + t * (xb - xa), ya
        if e == 1:
            t = frac(b[rows, cols], c[rows, cols])
            return xb, ya + t * (yb - ya)
        if e == 2:
            t = frac(d[rows, cols], c[rows, cols])
            return xa + t * (xb - xa), yb
        t = frac(a[rows, cols], d[rows, cols])
        return xa, ya + t * (yb - ya)

    parts = []

    def emit(rows, cols, pairs):
        for e0, e1 in pairs:
            px, py = edge_point(e0, rows, cols)
            qx, qy = edge_point(e1, rows, cols)
            parts.append(np.stack([np.stack([px, py], -1), np.stack([qx, qy], -1)], 1))

    for k, pairs in _SEGMENTS.items():
        rows, cols = np.nonzero(code == k)
        if len(rows):
            emit(rows, cols, pairs)
    for k, (high_centre, low_centre) in _SADDLE.items():
        rows, cols = np.nonzero(code == k)
        if len(rows):
            centre = (a[rows, cols] + b[rows, cols] + c[rows, cols] + d[rows, cols]) / 4 > level
            emit(rows[centre], cols[centre], high_centre)
            emit(rows[~centre], cols[~centre], low_centre)
    if not parts:
        return np.zeros((0, 2, 2))
    return np.concatenate(parts)
