"""Forward passes: one linear step, one layer, a whole network.

Notation (the README's): examples are columns. `A_prev` is `(n_{l-1}, m)`,
`W` is `(n_l, n_{l-1})`, `b` is `(n_l, 1)`, `Z` and `A` are `(n_l, m)`.
A linear cache is the tuple `(A_prev, W, b)`; a layer's cache is
`(linear_cache, Z)`. The backward passes that consume these caches are
what the assignments ask you to write, so they are not in `utils`.
"""

from utils._validate import as_float_array, require_choice, require_shape
from utils.activations import activation

HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OUTPUT_ACTIVATIONS = ("sigmoid", "softmax", "linear")


def linear_forward(A_prev, W, b):
    """Z = W A_prev + b.

    A_prev: (n_prev, m) activations of the previous layer.
    W:      (n, n_prev) weights.
    b:      (n, 1) biases, broadcast over the m columns.
    Returns (Z, linear_cache) with Z of shape (n, m) and
    linear_cache = (A_prev, W, b).
    """
    A_prev = as_float_array("A_prev", A_prev, ndim=2)
    W = as_float_array("W", W, ndim=2)
    b = as_float_array("b", b, ndim=2)
    if W.shape[1] != A_prev.shape[0]:
        raise ValueError(
            f"W has shape {W.shape} but A_prev has shape {A_prev.shape}: "
            f"W needs as many columns ({W.shape[1]}) as A_prev has rows ({A_prev.shape[0]})"
        )
    require_shape("b", b, (W.shape[0], 1))
    Z = W @ A_prev + b
    return Z, (A_prev, W, b)


def linear_activation_forward(A_prev, W, b, activation_name):
    """A = g(W A_prev + b) for one layer.

    A_prev: (n_prev, m); W: (n, n_prev); b: (n, 1).
    activation_name: "relu", "tanh", "sigmoid", "linear" or "softmax".
    Returns (A, cache) with A of shape (n, m) and
    cache = (linear_cache, Z), linear_cache = (A_prev, W, b).
    """
    g = activation(activation_name)
    Z, linear_cache = linear_forward(A_prev, W, b)
    return g(Z), (linear_cache, Z)


def model_forward(X, params, hidden="relu", output="sigmoid"):
    """Forward pass through an L-layer network.

    X:      (n_x, m) inputs, one column per example.
    params: {"W1": (n_1, n_x), "b1": (n_1, 1), ..., "WL": (n_L, n_{L-1}), "bL": (n_L, 1)}.
    hidden: activation of layers 1..L-1: "relu", "tanh", "sigmoid" or "linear".
    output: activation of layer L: "sigmoid", "softmax" or "linear".
    Returns (AL, caches): AL is (n_L, m); caches is a list of the L layer
    caches, caches[l - 1] = ((A_prev, W_l, b_l), Z_l).
    """
    require_choice("hidden", hidden, HIDDEN_ACTIVATIONS)
    require_choice("output", output, OUTPUT_ACTIVATIONS)
    n_layers = count_layers(params)
    A = as_float_array("X", X, ndim=2)
    caches = []
    for layer in range(1, n_layers + 1):
        name = output if layer == n_layers else hidden
        A, cache = linear_activation_forward(A, params[f"W{layer}"], params[f"b{layer}"], name)
        caches.append(cache)
    return A, caches


def count_layers(params):
    """The number L of layers in `params` (keys W1, b1, ..., WL, bL); ValueError if inconsistent."""
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys W1, b1, ..., got {type(params).__name__}")
    n_layers = 0
    while f"W{n_layers + 1}" in params:
        n_layers += 1
    if n_layers == 0:
        raise ValueError(f"params has no key 'W1'; its keys are {sorted(params)}")
    missing = [f"b{layer}" for layer in range(1, n_layers + 1) if f"b{layer}" not in params]
    if missing:
        raise ValueError(f"params is missing {missing}")
    return n_layers
