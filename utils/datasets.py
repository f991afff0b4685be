"""Data sets that work offline, in the course layout (examples are columns).

Real data ship inside the package (see utils/data/README.md); synthetic 2-D
sets are generated from a seed. Every split is deterministic: the same seed
gives the same train and test examples.

Each loader returns (X_train, Y_train, X_test, Y_test) with X of shape
(n_x, m) and Y of shape (1, m) (binary) or (K, m) one-hot (multi-class).
"""

from importlib import resources

import numpy as np

from utils._validate import as_float_array
from utils.losses import one_hot


def _load_npz(name):
    with resources.files("utils.data").joinpath(name).open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}


def train_test_split(X, Y, test_fraction=0.25, seed=0, stratify=True):
    """Split column-layout data into train and test sets, deterministically.

    X: (n_x, m); Y: (k, m). With stratify=True each class (the argmax of a
    one-hot Y, or the value of a binary Y) keeps its proportion in both parts.
    Returns (X_train, Y_train, X_test, Y_test).
    """
    _require_fraction(test_fraction)
    X = as_float_array("X", X, ndim=2)
    Y = as_float_array("Y", Y, ndim=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} examples (columns) but Y has {Y.shape[1]}: shapes {X.shape} and {Y.shape}"
        )
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    labels = Y.argmax(axis=0) if Y.shape[0] > 1 else Y[0]
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if stratify else [np.arange(m)]
    test = []
    for group in groups:
        group = rng.permutation(group)
        test.extend(group[: int(round(test_fraction * group.size))])
    test = np.sort(np.asarray(test, dtype=np.int64))
    train = np.setdiff1d(np.arange(m), test)
    train = rng.permutation(train)
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def standardize(X_train, X_test):
    """Scale every feature to mean 0 and variance 1, using the training set's statistics only.

    X_train: (n_x, m_train); X_test: (n_x, m_test). Returns both, standardised.
    """
    X_train = as_float_array("X_train", X_train, ndim=2)
    X_test = as_float_array("X_test", X_test, ndim=2)
    if X_train.shape[0] != X_test.shape[0]:
        raise ValueError(
            f"X_train and X_test must have the same number of features (rows), got shapes {X_train.shape} and {X_test.shape}"
        )
    mean = X_train.mean(axis=1, keepdims=True)
    std = X_train.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    return (X_train - mean) / std, (X_test - mean) / std


def load_breast_cancer(test_fraction=0.25, seed=0, standardized=True):
    """Breast Cancer Wisconsin: a real binary data set, 30 features, 569 examples.

    Returns (X_train, Y_train, X_test, Y_test): X is (30, m), Y is (1, m) of
    0 (malignant) / 1 (benign). With standardized=True features are scaled
    with the training set's mean and standard deviation.
    """
    raw = _load_npz("breast_cancer.npz")
    X = raw["X"].T.astype(np.float64)
    Y = raw["y"].astype(np.float64)[np.newaxis, :]
    X_train, Y_train, X_test, Y_test = train_test_split(X, Y, test_fraction, seed)
    if standardized:
        X_train, X_test = standardize(X_train, X_test)
    return X_train, Y_train, X_test, Y_test


def breast_cancer_feature_names():
    """The 30 feature names of the breast cancer data, in row order of X."""
    return [str(name) for name in _load_npz("breast_cancer.npz")["feature_names"]]


def load_digits(test_fraction=0.25, seed=0):
    """Handwritten digits: a real 10-class data set of 8x8 images, 1797 examples.

    Returns (X_train, Y_train, X_test, Y_test): X is (64, m) with pixel values
    scaled to [0, 1]; Y is one-hot (10, m). Reshape a column to (8, 8) to see
    the image; Y.argmax(axis=0) gives the digits.
    """
    raw = _load_npz("digits.npz")
    X = raw["X"].T.astype(np.float64) / 16.0
    Y = one_hot(raw["y"], 10)
    return train_test_split(X, Y, test_fraction, seed)


def make_planar(m=400, seed=0, noise=0.2):
    """A 2-D 'flower' of two interleaved classes, not linearly separable.

    Returns (X, Y): X is (2, m), Y is (1, m) of 0/1.
    """
    _require_count("m", m, 2)
    _require_noise(noise)
    rng = np.random.default_rng(seed)
    X = np.zeros((2, m))
    Y = np.zeros((1, m))
    sizes = (m // 2, m - m // 2)
    for label, size in enumerate(sizes):
        columns = slice(label * sizes[0], label * sizes[0] + size)
        angle = np.linspace(label * np.pi, (label + 1) * np.pi, size) + rng.normal(0, noise, size)
        radius = 4.0 * np.sin(4.0 * angle) + rng.normal(0, noise, size)
        X[:, columns] = np.vstack([radius * np.sin(angle), radius * np.cos(angle)])
        Y[0, columns] = label
    order = rng.permutation(X.shape[1])
    return X[:, order], Y[:, order]


def make_moons(m=400, seed=0, noise=0.15):
    """Two interleaving half circles. Returns (X, Y): X is (2, m), Y is (1, m) of 0/1."""
    _require_count("m", m, 2)
    _require_noise(noise)
    rng = np.random.default_rng(seed)
    upper = m // 2
    lower = m - upper
    theta_upper = rng.uniform(0, np.pi, upper)
    theta_lower = rng.uniform(0, np.pi, lower)
    X = np.hstack([
        np.vstack([np.cos(theta_upper), np.sin(theta_upper)]),
        np.vstack([1.0 - np.cos(theta_lower), 0.5 - np.sin(theta_lower)]),
    ])
    X += rng.normal(0, noise, X.shape)
    Y = np.hstack([np.zeros((1, upper)), np.ones((1, lower))])
    order = rng.permutation(m)
    return X[:, order], Y[:, order]


def make_spirals(m=300, n_classes=3, seed=0, noise=0.2):
    """Interleaved spiral arms, one per class.

    Returns (X, Y, labels): X is (2, m), Y is one-hot (n_classes, m),
    labels is (m,) of class indices.
    """
    _require_count("n_classes", n_classes, 1)
    _require_count("m", m, 2 * n_classes)
    _require_noise(noise)
    rng = np.random.default_rng(seed)
    points, labels = [], []
    for label in range(n_classes):
        size = m // n_classes + (1 if label < m % n_classes else 0)  # the sizes add up to m
        radius = np.linspace(0.05, 1.0, size)
        angle = np.linspace(label * 4.0, (label + 1) * 4.0, size) + rng.normal(0, noise, size)
        points.append(np.vstack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(size, label))
    X = np.hstack(points)
    labels = np.concatenate(labels)
    order = rng.permutation(labels.size)
    return X[:, order], one_hot(labels[order], n_classes), labels[order]


def _require_fraction(test_fraction):
    if isinstance(test_fraction, (bool, np.bool_)) or not isinstance(test_fraction, (int, float, np.integer, np.floating)) \
            or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction!r}")


def _require_count(name, value, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}")


def _require_noise(noise):
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not 0.0 <= noise < np.inf:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
