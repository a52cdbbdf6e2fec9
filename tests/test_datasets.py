"""Data generators and tables: seeding, sizes, the train/test split, labels, one-hot targets and errors; the
sample of rows a view draws of a large data set."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpgui.core import GENERATOR_NAMES, DataError, Dataset, generate, table
from bpgui.core.datasets import MAX_POINTS, generator_shape, sample_rows

CLASSIFIERS = ("xor", "circles", "gaussians", "spiral")


def arrays(d: Dataset):
    return d.x_train, d.t_train, d.x_test, d.t_test


def test_generator_names():
    assert set(GENERATOR_NAMES) == {"xor", "circles", "gaussians", "spiral", "sine"}
    assert [generator_shape(g) for g in GENERATOR_NAMES] == [
        (1 if g == "sine" else 2, "regression" if g == "sine" else "classification") for g in GENERATOR_NAMES
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
    width = 1 if name == "sine" else 2
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
        ({"name": "moons"}, "unknown data generator 'moons'"),
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
