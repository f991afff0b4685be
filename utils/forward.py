"""Forward passes: one linear step, one layer, a whole network.

Notation (the README's): examples are columns. `A_prev` is `(n_{l-1}, m)`,
`W` is `(n_l, n_{l-1})`, `b` is `(n_l, 1)`, `Z` and `A` are `(n_l, m)`.
A linear cache is the tuple `(A_prev, W, b)`; a layer's cache is
`(linear_cache, Z)`. The backward passes that consume these caches are
what the assignments ask you to write, so they are not in `utils`.
"""

from utils._validate import as_float_array, require_choice, require_shape
from utils.activations import UNCHECKED_ACTIVATIONS, activation

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
    _require_compatible("W", W, "b", b, "A_prev", A_prev)
    return _linear(A_prev, W, b), (A_prev, W, b)


def linear_activation_forward(A_prev, W, b, activation_name):
    """A = g(W A_prev + b) for one layer.

    A_prev: (n_prev, m); W: (n, n_prev); b: (n, 1).
    activation_name: "relu", "tanh", "sigmoid", "linear" or "softmax".
    Returns (A, cache) with A of shape (n, m) and
    cache = (linear_cache, Z), linear_cache = (A_prev, W, b).
    """
    activation(activation_name)  # ValueError for an unknown name
    Z, linear_cache = linear_forward(A_prev, W, b)
    return UNCHECKED_ACTIVATIONS[activation_name](Z), (linear_cache, Z)


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
    X = as_float_array("X", X, ndim=2)
    # Check every array once, up front; the loop below then runs on checked arrays.
    layers = []
    n_prev, prev_name = X.shape[0], "X"
    for layer in range(1, n_layers + 1):
        W = as_float_array(f"params['W{layer}']", params[f"W{layer}"], ndim=2)
        b = as_float_array(f"params['b{layer}']", params[f"b{layer}"], ndim=2)
        if W.shape[1] != n_prev:
            raise ValueError(
                f"params['W{layer}'] has shape {W.shape} but {prev_name} has {n_prev} rows: "
                f"W{layer} needs shape (n_{layer}, {n_prev})"
            )
        require_shape(f"params['b{layer}']", b, (W.shape[0], 1))
        layers.append((W, b))
        n_prev, prev_name = W.shape[0], f"A{layer}"
    A = X
    caches = []
    for layer, (W, b) in enumerate(layers, start=1):
        g = UNCHECKED_ACTIVATIONS[output if layer == n_layers else hidden]
        Z = _linear(A, W, b)
        caches.append(((A, W, b), Z))
        A = g(Z)
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


def _require_compatible(W_name, W, b_name, b, A_name, A_prev):
    if W.shape[1] != A_prev.shape[0]:
        raise ValueError(
            f"{W_name} has shape {W.shape} but {A_name} has shape {A_prev.shape}: "
            f"{W_name} needs as many columns ({W.shape[1]}) as {A_name} has rows ({A_prev.shape[0]})"
        )
    require_shape(b_name, b, (W.shape[0], 1))


def _linear(A_prev, W, b):
    """W A_prev + b on checked arrays; adds b in place to save an (n, m) temporary."""
    Z = W @ A_prev
    Z += b
    return Z
