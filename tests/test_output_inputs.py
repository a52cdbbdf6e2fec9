"""The inputs a picture of the outputs spans (``core.training_run.output_axes``): one or two chosen inputs of a wide
table, the others held at their mean, checked against the engine's own outputs at those points."""

from __future__ import annotations

import numpy as np
import pytest

from bpgui.core.document import TableData, TrainingConfig
from bpgui.core.engine import Engine
from bpgui.core.network import layered
from bpgui.core.training_run import CURVE, GRID, TrainingRun, output_axes


@pytest.mark.parametrize("n, shown, axes", [
    (1, None, (0,)), (2, None, (0, 1)), (5, None, None), (5, (3,), (3,)), (5, (4, 1), (4, 1)),
    (5, (1, 1), None), (5, (5,), None), (5, (0, 1, 2), None), (2, (1,), (1,)), (5, (), None),
])
def test_output_axes(n, shown, axes):
    assert output_axes(n, shown) == axes


def wide_run():
    rng = np.random.default_rng(2)
    net = layered([5, 3, 1], "tanh", "linear", "half_sse", weights=lambda a, b: float(rng.normal()))
    x = rng.normal(size=(40, 5)) * [1, 2, 3, 4, 5] + [0, 1, 2, 3, 4]
    return TrainingRun(net, TableData(x, rng.normal(size=(40, 1))), TrainingConfig("sgd", 0.01)), net, x


def test_a_wide_table_has_no_picture_until_inputs_are_chosen():
    run, _, _ = wide_run()
    snap = run.snapshot()
    assert snap.grid_outputs is None and snap.grid_inputs is None


def test_two_chosen_inputs_span_a_grid_with_the_others_at_their_mean():
    run, net, x = wide_run()
    run.show_inputs((3, 1))
    snap = run.snapshot()
    assert snap.grid_inputs == (3, 1)
    assert snap.grid_outputs.shape == (GRID, GRID, 1)
    lo, hi = x[:, 3].min(), x[:, 3].max()
    margin = 0.1 * (hi - lo)
    assert snap.grid_x[0] == pytest.approx(lo - margin) and snap.grid_x[-1] == pytest.approx(hi + margin)
    # the output at grid cell (row j = input 1, column i = input 3), every other input at its mean
    i, j = 10, 40
    point = x.mean(axis=0)
    point[3], point[1] = snap.grid_x[i], snap.grid_y[j]
    want = Engine(net).predict(point[None, :])[0, 0]
    assert snap.grid_outputs[j, i, 0] == pytest.approx(want, rel=1e-12)


def test_one_chosen_input_spans_a_curve_and_none_goes_back_to_no_picture():
    run, net, x = wide_run()
    run.show_inputs((2,))
    snap = run.snapshot()
    assert snap.grid_inputs == (2,) and snap.grid_y is None and snap.grid_outputs.shape == (CURVE, 1)
    point = x.mean(axis=0)
    point[2] = snap.grid_x[7]
    assert snap.grid_outputs[7, 0] == pytest.approx(Engine(net).predict(point[None, :])[0, 0], rel=1e-12)
    run.show_inputs(None)
    assert run.snapshot().grid_outputs is None
