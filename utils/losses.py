"""Per-example losses L and the cost J.

A loss is a function of ONE example; applied to a batch it returns the row
of m per-example losses, shape (1, m). The cost J is their average, a Python
float. Keeping the two apart is the point of unit 3.

Targets: binary `Y` is (1, m) of 0/1; categorical `Y` is either one-hot
(K, m) or class indices (1, m) / (m,) of integers in [0, K).
"""

import numpy as np

from utils._validate import as_float_array, require_choice, require_same_shape

#: Probabilities are clipped to [PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR]
#: before taking logs, so log(0) gives a large finite loss, not inf or nan.
PROBABILITY_FLOOR = 1e-15


def binary_cross_entropy_loss(A, Y):
    """L = -(Y log A + (1 - Y) log(1 - A)), one value per example.

    A: (1, m) predicted probabilities that y = 1.
    Y: (1, m) labels, 0 or 1.
    Returns L of shape (1, m).
    """
    A = _probabilities(A)
    Y = as_float_array("Y", Y, ndim=2)
    require_same_shape("A", A, "Y", Y)
    A = np.clip(A, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return -(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A))


def _probabilities(A):
    """A as a checked 2-D float array whose entries lie in [0, 1]."""
    A = as_float_array("A", A, ndim=2)
    if A.size and (A.min() < 0.0 or A.max() > 1.0):
        raise ValueError(
            f"A must hold probabilities in [0, 1], got values from {A.min():.3g} to {A.max():.3g} "
            f"(shape {A.shape}); did you pass the pre-activation Z instead of g(Z)?"
        )
    return A


def one_hot(labels, n_classes):
    """Class indices -> one-hot columns.

    labels: (m,) or (1, m) integers in [0, n_classes).
    Returns (n_classes, m) float array with a single 1 per column.
    """
    if isinstance(n_classes, (bool, np.bool_)) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[0] == 1:
        labels = labels[0]
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (m,) or (1, m), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.floating):
            raise ValueError(f"labels must be integer class indices, got dtype {labels.dtype} (shape {labels.shape})")
        if not np.all(np.isfinite(labels)) or not np.all(np.mod(labels, 1) == 0):
            raise ValueError(f"labels must be whole numbers (class indices), got non-integer or NaN entries (shape {labels.shape})")
        labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values from {labels.min()} to {labels.max()}")
    encoded = np.zeros((n_classes, labels.size))
    encoded[labels, np.arange(labels.size)] = 1.0
    return encoded


def categorical_cross_entropy_loss(A, Y):
    """L = -sum_k Y_k log A_k over the class axis, one value per example.

    A: (K, m) predicted class probabilities (columns sum to 1).
    Y: one-hot (K, m), or class indices of shape (1, m) or (m,).
    Returns L of shape (1, m). With indices, L is -log A[y_i, i]: the same
    number as the one-hot form, without the multiplications by zero.
    """
    A = _probabilities(A)
    Y = np.asarray(Y) if isinstance(Y, np.ndarray) else as_float_array("Y", Y)
    A = np.clip(A, PROBABILITY_FLOOR, 1.0)
    if Y.shape == A.shape:
        Y = as_float_array("Y", Y)
        return -(Y * np.log(A)).sum(axis=0, keepdims=True)
    if Y.shape in ((A.shape[1],), (1, A.shape[1])):
        try:
            indices = one_hot(Y, A.shape[0]).argmax(axis=0)
        except ValueError as error:
            raise ValueError(f"Y as class indices for A of shape {A.shape}: {error}") from None
        return -np.log(A[indices, np.arange(A.shape[1])])[np.newaxis, :]
    raise ValueError(
        f"Y must be one-hot with the shape of A {A.shape}, or class indices of shape "
        f"({A.shape[1]},) or (1, {A.shape[1]}); got {Y.shape}"
    )


def squared_error_loss(A, Y, half=False):
    """L = sum_k (A_k - Y_k)**2 over the output units, one value per example.

    A, Y: (n_L, m). half=True uses the 1/2 (A - Y)**2 convention, whose
    derivative has no factor 2. Returns L of shape (1, m).
    """
    A = as_float_array("A", A, ndim=2)
    Y = as_float_array("Y", Y, ndim=2)
    require_same_shape("A", A, "Y", Y)
    squared = ((A - Y) ** 2).sum(axis=0, keepdims=True)
    return 0.5 * squared if half else squared


def cost_from_losses(L):
    """J = (1/m) sum_i L(i): the average of the per-example losses, as a float.

    L: (1, m) per-example losses. Returns a Python float.
    """
    L = as_float_array("L", L, ndim=2)
    if L.shape[0] != 1:
        raise ValueError(f"L must be a row of per-example losses, shape (1, m); got {L.shape}")
    return float(L.mean())


LOSSES = {
    "sigmoid": binary_cross_entropy_loss,
    "softmax": categorical_cross_entropy_loss,
    "linear": squared_error_loss,
}


def compute_loss(AL, Y, output):
    """The per-example loss that goes with an output layer, shape (1, m).

    output: "sigmoid" (binary cross-entropy), "softmax" (categorical
    cross-entropy) or "linear" (squared error, no 1/2).
    """
    require_choice("output", output, LOSSES)
    return LOSSES[output](AL, Y)


def compute_cost(AL, Y, output):
    """The cost J, a Python float: the mean over examples of `compute_loss`."""
    return cost_from_losses(compute_loss(AL, Y, output))
