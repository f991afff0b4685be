"""Seeded parameter initialisation."""

import numpy as np


def initialize_parameters(layer_dims, seed=0, scale="he"):
    """Random weights and zero biases for a fully connected network.

    layer_dims: [n_x, n_1, ..., n_L], the width of every layer, input first.
    seed:       seed for np.random.default_rng, so the same call gives the same numbers.
    scale:      "he" (sqrt(2 / n_{l-1}), for relu), "xavier" (sqrt(1 / n_{l-1}),
                for tanh/sigmoid) or a float standard deviation.
    Returns {"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL": (n_L, n_{L-1}), "bL": (n_L, 1)}.
    """
    dims = _widths(layer_dims)
    rng = np.random.default_rng(seed)
    params = {}
    for layer in range(1, len(dims)):
        fan_in = dims[layer - 1]
        if scale == "he":
            std = np.sqrt(2.0 / fan_in)
        elif scale == "xavier":
            std = np.sqrt(1.0 / fan_in)
        elif isinstance(scale, (int, float)) and scale > 0:
            std = float(scale)
        else:
            raise ValueError(f"scale must be 'he', 'xavier' or a positive float, got {scale!r}")
        params[f"W{layer}"] = rng.standard_normal((dims[layer], fan_in)) * std
        params[f"b{layer}"] = np.zeros((dims[layer], 1))
    return params


def _widths(layer_dims):
    """layer_dims as a list of ints; ValueError unless it lists at least two positive whole numbers."""
    try:
        dims = list(layer_dims)
    except TypeError:
        raise ValueError(f"layer_dims must be a list of layer widths [n_x, n_1, ..., n_L], got {layer_dims!r}") from None
    whole = all(
        not isinstance(n, (bool, np.bool_))
        and isinstance(n, (int, np.integer, float, np.floating))
        and float(n).is_integer()
        for n in dims
    )
    if len(dims) < 2 or not whole or min(dims) < 1:
        raise ValueError(f"layer_dims must list at least two positive whole widths [n_x, n_1, ..., n_L], got {dims}")
    return [int(n) for n in dims]
