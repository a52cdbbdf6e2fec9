"""Contour segments against functions whose level sets are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core.contours import contour_segments


def bilinear(x, y, z, px, py):
    j = np.clip(np.searchsorted(x, px) - 1, 0, len(x) - 2)
    i = np.clip(np.searchsorted(y, py) - 1, 0, len(y) - 2)
    tx = (px - x[j]) / (x[j + 1] - x[j])
    ty = (py - y[i]) / (y[i + 1] - y[i])
    return ((1 - tx) * (1 - ty) * z[i, j] + tx * (1 - ty) * z[i, j + 1] + tx * ty * z[i + 1, j + 1]
            + (1 - tx) * ty * z[i + 1, j])


def test_a_circle():
    x = np.linspace(-2, 2, 81)
    y = np.linspace(-1.5, 1.5, 61)
    z = x[None, :] ** 2 + y[:, None] ** 2
    seg = contour_segments(x, y, z, 1.0)
    r = np.hypot(seg[..., 0], seg[..., 1])
    assert len(seg) > 60
    assert np.abs(r - 1).max() < 2e-3  # linear interpolation of r² along cell edges
    # the segments go all the way round
    angles = np.sort(np.arctan2(seg[:, 0, 1], seg[:, 0, 0]))
    assert np.diff(angles).max() < 0.2 and angles[0] < -3.0 and angles[-1] > 3.0


def test_a_straight_line_is_exact():
    x = np.linspace(0, 1, 11)
    y = np.linspace(0, 2, 7)
    z = 2 * x[None, :] - y[:, None]  # z = 0.3 on the line y = 2x - 0.3
    seg = contour_segments(x, y, z, 0.3)
    assert len(seg) > 0
    assert np.allclose(seg[..., 1], 2 * seg[..., 0] - 0.3, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-1, 1))
def test_every_endpoint_lies_on_the_level_of_the_interpolated_grid(seed, level):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.1, 1, 9))
    y = np.cumsum(rng.uniform(0.1, 1, 7))
    z = rng.normal(size=(7, 9))
    seg = contour_segments(x, y, z, level)
    pts = seg.reshape(-1, 2)
    # endpoints lie on cell edges, where bilinear interpolation is linear: z there is the level
    assert np.allclose(bilinear(x, y, z, pts[:, 0], pts[:, 1]), level, atol=1e-9)
    # every cell whose corners straddle the level has a segment; no others do
    straddles = 0
    for i in range(6):
        for j in range(8):
            corners = z[i:i + 2, j:j + 2]
            straddles += bool((corners > level).any() and not (corners > level).all())
    cells = {(int(np.searchsorted(y, (p[0, 1] + p[1, 1]) / 2)), int(np.searchsorted(x, (p[0, 0] + p[1, 0]) / 2)))
             for p in seg}
    assert len(cells) == straddles


def test_saddle_cells_give_two_segments_split_by_the_centre():
    x = y = np.array([0.0, 1.0])
    high = contour_segments(x, y, np.array([[1.0, -1.0], [-0.5, 2.0]]), 0.0)  # a, c high; mean 0.375 > 0
    assert len(high) == 2
    # centre high: the contour cuts off the low corners b = (1, 0) and d = (0, 1)
    mids = high.mean(axis=1)
    assert {tuple(np.round(m)) for m in mids} == {(1.0, 0.0), (0.0, 1.0)}
    low = contour_segments(x, y, np.array([[1.0, -3.0], [-3.0, 2.0]]), 0.0)  # mean -0.75 < 0
    assert {tuple(np.round(m)) for m in low.mean(axis=1)} == {(0.0, 0.0), (1.0, 1.0)}


def test_non_finite_cells_and_tiny_grids_are_empty():
    x = y = np.linspace(0, 1, 3)
    z = np.array([[0, 1, 0], [1, np.nan, 1], [0, 1, 0]], dtype=float)
    assert len(contour_segments(x, y, z, 0.5)) == 0
    assert contour_segments(x[:1], y, z[:, :1], 0.5).shape == (0, 2, 2)


@pytest.mark.parametrize("level", [-5.0, 5.0])
def test_a_level_outside_the_values_has_no_contour(level):
    x = y = np.linspace(0, 1, 5)
    assert len(contour_segments(x, y, np.outer(y, x), level)) == 0
