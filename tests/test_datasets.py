"""Data generators and tables: seeding, sizes, the train/test split, labels, one-hot targets and errors; the
sample of rows a view draws of a large data set."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core import GENERATOR_NAMES, DataError, Dataset, generate, table
from bpgui.core.datasets import BUMP_WIDTH, MAX_POINTS, generator_shape, names_classes, sample_rows

CLASSIFIERS = ("xor", "circles", "gaussians", "spiral", "moons")
REGRESSIONS = {"sine": 1, "plane": 2, "bump": 2}  # name: input width


def arrays(d: Dataset):
    return d.x_train, d.t_train, d.x_test, d.t_test


def test_generator_names():
    assert set(GENERATOR_NAMES) == set(CLASSIFIERS) | set(REGRESSIONS)
    assert [generator_shape(g) for g in GENERATOR_NAMES] == [
        (REGRESSIONS[g], "regression") if g in REGRESSIONS else (2, "classification") for g in GENERATOR_NAMES
    ]


@pytest.mark.parametrize("name", GENERATOR_NAMES)
@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_seeded(name, noise):
    a = generate(name, n=60, noise=noise, test_fraction=0.25, seed=3)
    b = generate(name, n=60, noise=noise, test_fraction=0.25, seed=3)
    c = generate(name, n=60, noise=noise, test_fraction=0.25, seed=4)
    for u, v in zip(arrays(a), arrays(b)):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.x_test, c.x_test)


@pytest.mark.parametrize("name", GENERATOR_NAMES)
@pytest.mark.parametrize("n, fraction, n_test", [(50, 0.3, 15), (10, 0.25, 2), (7, 0.99, 6), (1, 0.5, 0),
                                                 (40, 0.0, 0), (3, 0.34, 1)])
def test_sizes_and_split(name, n, fraction, n_test):
    width = REGRESSIONS.get(name, 2)
    d = generate(name, n=n, test_fraction=fraction, seed=1)
    assert d.x_train.shape == (n - n_test, width) and d.t_train.shape == (n - n_test, 1)
    assert d.x_test.shape == (n_test, width) and d.t_test.shape == (n_test, 1)
    assert d.n_inputs == width and d.n_outputs == 1
    # the split only holds points out: train + test is the whole set drawn without a test set
    whole = generate(name, n=n, test_fraction=0.0, seed=1)
    rows = np.concatenate([np.column_stack([d.x_train, d.t_train]), np.column_stack([d.x_test, d.t_test])])
    full = np.column_stack([whole.x_train, whole.t_train])
    np.testing.assert_array_equal(np.unique(rows, axis=0), np.unique(full, axis=0))
    assert len(np.unique(rows, axis=0)) == n  # no point is both a training and a test point


def test_xor_labels():
    d = generate("xor", n=400, seed=5)
    x, t = d.x_train, d.t_train[:, 0]
    np.testing.assert_array_equal(t, (x[:, 0] * x[:, 1] < 0).astype(float))
    assert 0.3 < t.mean() < 0.7
    assert np.all(np.abs(x) >= 0.05) and np.all(np.abs(x) <= 1.05)  # kept off the axes


def test_circles_labels():
    d = generate("circles", n=301, seed=2)
    x, t = d.x_train, d.t_train[:, 0]
    r = np.hypot(x[:, 0], x[:, 1])
    assert t.sum() == 150  # n // 2 inner points
    assert np.all(r[t == 1] <= 0.5)
    assert np.all((r[t == 0] >= 0.7) & (r[t == 0] <= 1.0))


def test_gaussians_labels():
    d = generate("gaussians", n=4000, seed=2)
    x, t = d.x_train, d.t_train[:, 0]
    assert t.sum() == 2000
    np.testing.assert_allclose(x[t == 1].mean(axis=0), [0.5, 0.5], atol=0.03)
    np.testing.assert_allclose(x[t == 0].mean(axis=0), [-0.5, -0.5], atol=0.03)
    np.testing.assert_allclose(x[t == 1].std(axis=0), [0.25, 0.25], atol=0.03)


def test_spiral_labels():
    d = generate("spiral", n=300, seed=2)
    x, t = d.x_train, d.t_train[:, 0]
    assert t.sum() == 150
    # radius r = 0.1 + 0.9 s grows with the angle a = 3.5π s (+ π for class 1)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.all((r >= 0.1) & (r <= 1.0))
    a = 3.5 * np.pi * (r - 0.1) / 0.9 + np.pi * t
    np.testing.assert_allclose(x, np.column_stack([r * np.cos(a), r * np.sin(a)]), atol=1e-12)


def test_sine_targets():
    d = generate("sine", n=200, test_fraction=0.2, seed=9)
    for x, t in ((d.x_train, d.t_train), (d.x_test, d.t_test)):
        assert np.all(np.abs(x) <= 1.0)
        np.testing.assert_allclose(t[:, 0], np.sin(np.pi * x[:, 0]), rtol=0, atol=1e-15)


def test_moons_labels():
    d = generate("moons", n=301, seed=2)
    x, t = d.x_train, d.t_train[:, 0]
    assert t.sum() == 150  # n // 2 points on the lower moon
    # undo the scale by 2/3 and the half turn of the lower moon: every point is on the upper unit half circle
    # centred at (−0.5, −0.25)
    u = 1.5 * x * np.where(t == 1, -1.0, 1.0)[:, None] + [0.5, 0.25]
    np.testing.assert_allclose(np.hypot(u[:, 0], u[:, 1]), 1.0, rtol=0, atol=1e-12)
    assert np.all(u[:, 1] >= 0.0)
    # within [-1, 1] × [-1/2, 1/2], and reaching near its corners
    assert np.all(np.abs(x[:, 0]) <= 1 + 1e-12) and np.all(np.abs(x[:, 1]) <= 0.5 + 1e-12)
    assert x[:, 0].min() < -0.95 and x[:, 0].max() > 0.95
    # the upper moon's ends dip below the lower moon's top: the two interleave
    assert x[t == 0, 1].min() < x[t == 1, 1].max()
    # ... but the classes never touch: the nearest pair of points of opposite classes is a clear gap apart
    gap = np.hypot(*(x[t == 0][:, None, :] - x[t == 1][None, :, :]).transpose(2, 0, 1)).min()
    assert gap > 0.1


def test_plane_targets():
    d = generate("plane", n=500, test_fraction=0.2, seed=9)
    for x, t in ((d.x_train, d.t_train), (d.x_test, d.t_test)):
        assert np.all(np.abs(x) <= 1.0)
        np.testing.assert_allclose(t[:, 0], (x[:, 0] + x[:, 1]) / 2, rtol=0, atol=1e-15)
    everything = np.concatenate([d.t_train, d.t_test])[:, 0]
    assert -1.0 <= everything.min() < -0.8 and 0.8 < everything.max() <= 1.0
    assert abs(everything.mean()) < 0.05  # as often above as below 0


def test_bump_targets():
    assert BUMP_WIDTH == 0.4
    d = generate("bump", n=2000, test_fraction=0.2, seed=9)
    for x, t in ((d.x_train, d.t_train), (d.x_test, d.t_test)):
        assert np.all(np.abs(x) <= 1.0)
        r2 = x[:, 0] ** 2 + x[:, 1] ** 2
        np.testing.assert_allclose(t[:, 0], np.exp(-r2 / 0.32), rtol=1e-14, atol=0)
    t = d.t_train[:, 0]
    assert 0.0 < t.min() < 0.01 and 0.98 < t.max() <= 1.0
    # the bump's mass: the mean of exp(−r²/(2σ²)) over [-1, 1]² is (σ√(2π) erf(1/(σ√2)) / 2)²
    mean = (0.4 * math.sqrt(2 * math.pi) * math.erf(1 / (0.4 * math.sqrt(2))) / 2) ** 2
    assert t.mean() == pytest.approx(mean, abs=0.02)


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("n", [200, 201])
def test_classes_are_balanced(name, n):
    d = generate(name, n=n, test_fraction=0.25, seed=7)
    labels = np.concatenate([d.t_train, d.t_test])[:, 0]
    if name == "xor":  # the quadrant decides: about half
        assert abs(labels.mean() - 0.5) < 0.1
    else:
        assert labels.sum() == n // 2


@pytest.mark.parametrize("name", [g for g in GENERATOR_NAMES if g != "gaussians"])  # normal tails: unbounded
def test_the_inputs_fill_about_the_unit_square(name):
    x = generate(name, n=2000, seed=1).x_train
    lo, hi = x.min(axis=0), x.max(axis=0)
    assert np.all(lo >= -1.05 - 1e-12) and np.all(hi <= 1.05 + 1e-12)  # xor's points are pushed 0.05 off the axes
    assert np.all(lo < -0.45) and np.all(hi > 0.45)  # moons are half as tall as wide: down to y = ±0.5


@pytest.mark.parametrize("name", ["plane", "bump"])
def test_noise_is_gaussian_on_the_inputs_of_2d_regressions(name):
    clean = generate(name, n=4000, seed=4)
    noisy = generate(name, n=4000, noise=0.1, seed=4)
    # the same points and targets (taken before the noise), in another order (the shuffle comes after the noise):
    # the targets, all different, pair them up
    a, b = np.argsort(clean.t_train[:, 0]), np.argsort(noisy.t_train[:, 0])
    np.testing.assert_array_equal(clean.t_train[a], noisy.t_train[b])
    shift = noisy.x_train[b] - clean.x_train[a]
    assert shift.std(axis=0) == pytest.approx([0.1, 0.1], rel=0.05)
    assert np.abs(shift.mean(axis=0)).max() < 0.01


def test_noise_moves_moons_points_off_their_half_circles():
    d = generate("moons", n=4000, noise=0.05, seed=4)
    t = d.t_train[:, 0]
    u = 1.5 * d.x_train * np.where(t == 1, -1.0, 1.0)[:, None] + [0.5, 0.25]
    radial = np.hypot(u[:, 0], u[:, 1]) - 1.0
    # isotropic noise of 0.05, scaled by 1.5 back to the unit circle: about 0.075 across it
    assert radial.std() == pytest.approx(0.075, rel=0.1)
    assert t.sum() == 2000  # the labels stay


def test_which_targets_name_classes():
    for name in CLASSIFIERS:
        assert names_classes(generate(name, n=50, seed=0).t_train)
        assert names_classes(generate(name, n=50, seed=0, n_outputs=2).t_train)
    for name in REGRESSIONS:
        assert not names_classes(generate(name, n=50, seed=0).t_train)
    assert names_classes(np.array([[-1.0], [1.0], [1.0]]))  # labels ±1 for a tanh output
    assert names_classes(np.array([[0.01, 0.99], [0.99, 0.01]]))  # two soft one-hot columns: the larger one
    assert not names_classes(np.array([[0.0], [0.5], [1.0]]))  # three values in one column
    assert not names_classes(np.zeros((3, 3)))
    assert not names_classes(np.zeros((0, 1)))


def test_noise_moves_inputs_not_labels():
    clean = generate("xor", n=2000, seed=4)
    noisy = generate("xor", n=2000, noise=0.2, seed=4)
    assert not np.array_equal(np.sort(clean.x_train, axis=0), np.sort(noisy.x_train, axis=0))
    agree = (noisy.x_train[:, 0] * noisy.x_train[:, 1] < 0) == (noisy.t_train[:, 0] == 1)
    assert 0.6 < agree.mean() < 0.99  # labels were computed before the noise: some points cross the axes
    assert noisy.t_train.sum() == pytest.approx(clean.t_train.sum(), rel=0.1)
    sine = generate("sine", n=2000, noise=0.1, seed=4)
    residual = sine.t_train[:, 0] - np.sin(np.pi * sine.x_train[:, 0])
    assert 0.05 < residual.std() < 0.5


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_one_hot_for_two_outputs(name):
    labels = generate(name, n=80, test_fraction=0.25, seed=6, n_outputs=1)
    onehot = generate(name, n=80, test_fraction=0.25, seed=6, n_outputs=2)
    np.testing.assert_array_equal(labels.x_train, onehot.x_train)
    for lab, oh in ((labels.t_train, onehot.t_train), (labels.t_test, onehot.t_test)):
        assert oh.shape == (len(lab), 2)
        np.testing.assert_array_equal(oh[:, 1], lab[:, 0])
        np.testing.assert_array_equal(oh[:, 0], 1.0 - lab[:, 0])
        assert set(np.unique(oh)) == {0.0, 1.0}
    assert onehot.n_outputs == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "half_moons"}, "unknown data generator 'half_moons'"),
        ({"n": 0}, "1 to 100000 points, not 0"),
        ({"n": -5}, "not -5"),
        ({"n": MAX_POINTS + 1}, f"not {MAX_POINTS + 1}"),
        ({"test_fraction": 1.0}, "test_fraction must be at least 0 and below 1"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"test_fraction": -0.1}, "test_fraction"),
        ({"test_fraction": math.nan}, "test_fraction"),
        ({"noise": -0.1}, "noise must be zero or more"),
        ({"noise": math.nan}, "noise must be zero or more"),
        ({"n_outputs": 3}, "two classes: use 1 output neuron \\(labels\\) or 2 \\(one-hot\\), not 3"),
        ({"n_outputs": 0}, "two classes"),
        ({"name": "sine", "n_outputs": 2}, "the sine data has 1 target column; the network has 2 outputs"),
        ({"name": "plane", "n_outputs": 2}, "the plane data has 1 target column; the network has 2 outputs"),
        ({"name": "bump", "n_outputs": 3}, "the bump data has 1 target column; the network has 3 outputs"),
        ({"name": "moons", "n_outputs": 3}, "the moons data has two classes"),
    ],
)
def test_generator_errors(kwargs, message):
    args = {"name": "xor", "n": 20, **kwargs}
    with pytest.raises(DataError, match=message):
        generate(**args)


def test_table():
    d = table([[0, 0], [0, 1], [1, 0]], [[0], [1], [1]])
    assert d.x_train.dtype == float and d.x_train.shape == (3, 2) and d.t_train.shape == (3, 1)
    assert d.x_test.shape == (0, 2) and d.t_test.shape == (0, 1)
    assert (d.n_inputs, d.n_outputs) == (2, 1)
    np.testing.assert_array_equal(d.t_train[:, 0], [0.0, 1.0, 1.0])


@pytest.mark.parametrize(
    "inputs, targets",
    [
        ([[0, 0], [1, 1]], [[0]]),  # row counts differ
        ([0, 1], [[0], [1]]),  # 1-D inputs
        ([[0], [1]], [0, 1]),  # 1-D targets
        (np.zeros((0, 2)), np.zeros((0, 1))),  # no rows
    ],
)
def test_table_errors(inputs, targets):
    with pytest.raises(DataError, match="same positive number of input and target rows"):
        table(inputs, targets)


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


@pytest.mark.parametrize("n", [2.5, "10", True])
def test_a_point_count_that_is_not_a_whole_number_is_a_data_error(n):
    with pytest.raises(DataError):
        generate("xor", n=n)


# ---------------------------------------------------------------------------------------------- sampling rows
def test_sample_rows_keeps_every_row_when_there_are_few():
    assert sample_rows([1, 0, 1], 3).tolist() == [0, 1, 2]
    assert sample_rows(np.zeros(5, dtype=int), 100).tolist() == [0, 1, 2, 3, 4]


def test_sample_rows_keeps_each_groups_share_and_is_seeded():
    groups = np.repeat([0, 1, 2, 3], [60_000, 20_000, 15_000, 5_000])
    rows = sample_rows(groups, 2000, seed=0)
    assert len(rows) == 2000 and np.all(np.diff(rows) > 0)
    assert np.bincount(groups[rows]).tolist() == [1200, 400, 300, 100]  # 60 %, 20 %, 15 %, 5 % of 2,000
    assert np.array_equal(sample_rows(groups, 2000, seed=0), rows)
    assert not np.array_equal(sample_rows(groups, 2000, seed=1), rows)


def test_a_rare_group_keeps_a_row():
    groups = np.zeros(100_000, dtype=int)
    groups[12_345] = 1  # 1 in 100,000: its share of 10 rows rounds to none
    rows = sample_rows(groups, 10)
    assert len(rows) == 10 and 12_345 in rows


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 300), min_size=1, max_size=5), k=st.integers(5, 400), seed=st.integers(0, 9))
def test_sample_rows_property(counts, k, seed):
    groups = np.random.default_rng(seed).permutation(np.repeat(np.arange(len(counts)), counts))
    rows = sample_rows(groups, k, seed)
    n = len(groups)
    assert len(rows) == min(n, k) and len(set(rows.tolist())) == len(rows) and np.all(np.diff(rows) > 0)
    taken = np.bincount(groups[rows], minlength=len(counts)) if len(rows) else np.zeros(len(counts))
    for c, t in zip(counts, taken):
        if n <= k:
            assert t == c
        else:  # its share, give or take the rounding and the one row every group keeps
            assert (t >= 1) == (c >= 1)
            assert abs(t - k * c / n) < 1 + len(counts)
