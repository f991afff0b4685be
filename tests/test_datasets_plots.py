"""utils.datasets and utils.plots: offline data in the course layout, deterministic splits, plots."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from utils import datasets  # noqa: E402
from utils.plots import plot_costs, plot_decision_boundary  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_breast_cancer_is_binary_real_data_in_columns():
    X_train, Y_train, X_test, Y_test = datasets.load_breast_cancer()
    assert X_train.shape[0] == X_test.shape[0] == 30
    assert X_train.shape[1] + X_test.shape[1] == 569
    assert Y_train.shape == (1, X_train.shape[1]) and Y_test.shape == (1, X_test.shape[1])
    assert set(np.unique(np.hstack([Y_train, Y_test]))) == {0.0, 1.0}
    np.testing.assert_allclose(X_train.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=1), 1.0, rtol=1e-12)
    raw_train, *_ = datasets.load_breast_cancer(standardized=False)
    assert raw_train.min() >= 0 and raw_train.max() > 100  # e.g. areas in the raw features
    assert len(datasets.breast_cancer_feature_names()) == 30


def test_breast_cancer_split_is_stratified():
    _, Y_train, _, Y_test = datasets.load_breast_cancer()
    assert abs(Y_train.mean() - Y_test.mean()) < 0.01
    assert Y_test.shape[1] == pytest.approx(0.25 * 569, abs=2)


def test_digits_is_ten_class_real_data_with_one_hot_targets():
    X_train, Y_train, X_test, Y_test = datasets.load_digits()
    assert X_train.shape[0] == 64 and X_train.shape[1] + X_test.shape[1] == 1797
    assert Y_train.shape == (10, X_train.shape[1])
    np.testing.assert_array_equal(Y_train.sum(axis=0), 1.0)
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert set(Y_test.argmax(axis=0)) == set(range(10))


@pytest.mark.parametrize("loader", [datasets.load_breast_cancer, datasets.load_digits])
def test_loaders_are_deterministic_and_seeded(loader):
    first, again, other = loader(seed=0), loader(seed=0), loader(seed=1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@given(st.integers(3, 60), st.floats(0.1, 0.9), st.integers(0, 1000), st.booleans())
def test_train_test_split_partitions_the_examples(m, fraction, seed, stratify):
    X = np.arange(2 * m, dtype=float).reshape(2, m)
    Y = (np.arange(m) % 3 == 0).astype(float)[np.newaxis, :]
    X_train, Y_train, X_test, Y_test = datasets.train_test_split(X, Y, fraction, seed, stratify)
    columns = np.concatenate([X_train[0], X_test[0]])
    np.testing.assert_array_equal(np.sort(columns), X[0])  # every example exactly once
    np.testing.assert_array_equal(Y_train[0], Y[0, (X_train[0] / 1).astype(int)])  # labels travel with their X
    again = datasets.train_test_split(X, Y, fraction, seed, stratify)
    np.testing.assert_array_equal(again[0], X_train)


def test_standardize_uses_the_training_statistics_only():
    X_train = np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    X_test = np.array([[4.0], [6.0]])
    train, test = datasets.standardize(X_train, X_test)
    np.testing.assert_allclose(train[0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)])
    np.testing.assert_allclose(train[1], 0.0)  # a constant feature is centred, not divided by 0
    np.testing.assert_allclose(test[:, 0], [2 / np.sqrt(2 / 3), 1.0])


@pytest.mark.parametrize("make", [datasets.make_planar, datasets.make_moons])
@pytest.mark.parametrize("m", [7, 200])
def test_binary_synthetic_sets(make, m):
    X, Y = make(m=m, seed=3)
    assert X.shape == (2, m) and Y.shape == (1, m)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert abs(Y.sum() - m / 2) <= 0.5
    X_again, Y_again = make(m=m, seed=3)
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(Y, Y_again)
    assert not np.array_equal(X, make(m=m, seed=4)[0])


@pytest.mark.parametrize("m", [9, 301])
def test_spirals(m):
    X, Y, labels = datasets.make_spirals(m=m, n_classes=3, seed=0)
    assert X.shape == (2, m) and Y.shape == (3, m) and labels.shape == (m,)
    np.testing.assert_array_equal(Y.argmax(axis=0), labels)
    assert np.bincount(labels).max() - np.bincount(labels).min() <= 1


def test_plot_costs_draws_the_curve():
    ax = plot_costs([3.0, 2.0, 1.5], every=10, label="lr 0.1", log_scale=True)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [0, 10, 20])
    np.testing.assert_array_equal(line.get_ydata(), [3.0, 2.0, 1.5])
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "cost J"


@pytest.mark.parametrize("scores", ["probability", "classes"])
def test_plot_decision_boundary_colours_the_plane_by_the_prediction(scores):
    X, Y = datasets.make_moons(m=40, seed=0)
    calls = []

    def predict(points):
        calls.append(points.shape)
        above = (points[1] > 0.25).astype(float)[np.newaxis, :]
        return above if scores == "probability" else np.vstack([1 - above, above])

    ax = plot_decision_boundary(predict, X, Y, resolution=30)
    assert calls == [(2, 900)]
    assert len(ax.collections) >= 2  # the filled contour and the scatter of the data
    x_min, x_max = ax.get_xlim()
    assert x_min < X[0].min() and x_max > X[0].max()
