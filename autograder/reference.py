"""The instructor's reference implementation of the whole network.

Students never receive this file (it is not in the student bundle). Hidden
tests use it for expected values; the forward pass and losses come from
`utils`, which students do have.

Interface (relied on by hidden tests): init_params, model_forward,
model_backward, cost. Shapes follow the README: A[l] is (n_l, m), W[l] is
(n_l, n_{l-1}), b[l] is (n_l, 1); a layer cache is ((A_prev, W, b), Z).
The 1/m sits in dW and db (the loss convention of unit 3).
"""

import numpy as np

from utils.activations import derivative
from utils.forward import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from utils.forward import model_forward as _utils_model_forward
from utils.initialization import initialize_parameters
from utils.losses import compute_cost, one_hot
from utils._validate import as_float_array, require_choice


def init_params(layer_dims, seed=0):
    """Seeded parameters for widths [n_x, n_1, ..., n_L]; see utils.initialize_parameters."""
    return initialize_parameters(layer_dims, seed=seed, scale="he")


def model_forward(X, params, hidden="relu", output="sigmoid"):
    """(AL, caches) for X of shape (n_x, m); see utils.forward.model_forward."""
    return _utils_model_forward(X, params, hidden=hidden, output=output)


def cost(AL, Y, output):
    """The cost J (a float) for the output layer `output`: mean per-example loss."""
    return compute_cost(AL, Y, output)


def _targets(Y, AL, output):
    Y = np.asarray(Y)
    if output == "softmax" and Y.shape != AL.shape:
        return one_hot(Y, AL.shape[0])
    Y = as_float_array("Y", Y, ndim=2)
    if Y.shape != AL.shape:
        raise ValueError(f"Y has shape {Y.shape} but AL has shape {AL.shape}")
    return Y


def model_backward(AL, Y, caches, hidden="relu", output="sigmoid"):
    """Gradients of J = mean per-example loss for every layer.

    AL: (n_L, m) output of model_forward; Y: targets of the shape of AL
    (softmax also accepts class indices); caches: from model_forward.
    Returns {"dA0": (n_x, m), ..., "dW1": (n_1, n_x), "db1": (n_1, 1), ...}.
    The output layer uses dZ = AL - Y, which holds for sigmoid with binary
    cross-entropy, softmax with categorical cross-entropy and a linear output
    with squared error without the 1/2 (there dZ = 2 (AL - Y)).
    """
    require_choice("hidden", hidden, HIDDEN_ACTIVATIONS)
    require_choice("output", output, OUTPUT_ACTIVATIONS)
    AL = as_float_array("AL", AL, ndim=2)
    Y = _targets(Y, AL, output)
    m = AL.shape[1]
    n_layers = len(caches)
    grads = {}
    dZ = 2.0 * (AL - Y) if output == "linear" else AL - Y
    for layer in range(n_layers, 0, -1):
        (A_prev, W, _b), Z = caches[layer - 1]
        if layer < n_layers:
            dZ = grads[f"dA{layer}"] * derivative(hidden)(Z)
        grads[f"dW{layer}"] = dZ @ A_prev.T / m
        grads[f"db{layer}"] = dZ.sum(axis=1, keepdims=True) / m
        grads[f"dA{layer - 1}"] = W.T @ dZ
    return grads
