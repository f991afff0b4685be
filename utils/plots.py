"""Plots used across the lessons: cost curves and 2-D decision boundaries."""

import matplotlib.pyplot as plt
import numpy as np

from utils._validate import as_float_array


def plot_costs(costs, ax=None, label=None, every=1, log_scale=False):
    """Plot a cost curve.

    costs: sequence of floats, one per recorded iteration.
    every: how many iterations lie between two recorded costs (for the x axis).
    Returns the matplotlib Axes.
    """
    try:
        costs = np.asarray(costs, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("costs must be a sequence of numbers (one cost J per recorded iteration)") from None
    if costs.ndim != 1:
        raise ValueError(f"costs must be a flat sequence of floats, got shape {costs.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(np.arange(costs.size) * every, costs, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    if log_scale:
        ax.set_yscale("log")
    if label is not None:
        ax.legend()
    return ax


def plot_decision_boundary(predict, X, Y, ax=None, resolution=200, margin=0.5):
    """Colour the plane by a classifier's prediction and scatter the data on top.

    predict: a function mapping (2, k) points to (1, k) labels or probabilities
             (or (K, k) class scores; the argmax is taken).
    X:       (2, m) points; Y: (1, m) labels, or (K, m) one-hot.
    Returns the matplotlib Axes.
    """
    X = as_float_array("X", X, ndim=2)
    Y = as_float_array("Y", Y, ndim=2)
    if X.shape[0] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D inputs, X of shape (2, m); got {X.shape}")
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"X and Y must have the same number of examples (columns), got shapes {X.shape} and {Y.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    x_min, x_max = X[0].min() - margin, X[0].max() + margin
    y_min, y_max = X[1].min() - margin, X[1].max() + margin
    grid_x, grid_y = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    points = np.vstack([grid_x.ravel(), grid_y.ravel()])
    scores = np.asarray(predict(points), dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != points.shape[1]:
        raise ValueError(
            f"predict must map points of shape {points.shape} to (1, k) or (K, k) scores, "
            f"returned shape {scores.shape}"
        )
    surface = scores.argmax(axis=0) if scores.shape[0] > 1 else (scores[0] > 0.5).astype(float)
    ax.contourf(grid_x, grid_y, surface.reshape(grid_x.shape), alpha=0.3, cmap="coolwarm")
    labels = Y.argmax(axis=0) if Y.shape[0] > 1 else Y[0]
    ax.scatter(X[0], X[1], c=labels, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    return ax
