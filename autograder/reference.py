"""The instructor's reference implementation of the whole network.

Students never receive this file (it is not in the student bundle). Hidden
tests use it for expected values; the forward pass and losses come from
`utils`, which students do have.

Interface (relied on by hidden tests): init_params, model_forward,
model_backward, cost. Shapes follow the README: A[l] is (n_l, m), W[l] is
(n_l, n_{l-1}), b[l] is (n_l, 1); a layer cache is ((A_prev, W, b), Z).
The 1/m sits in dW and db (the loss convention of unit 3): dW and db are
dJ/dW and dJ/db, while dA is per example (m times dJ/dA); see model_backward.
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
    """Y as float64 of the shape of AL; softmax also takes class indices (m,) or (1, m)."""
    if output == "softmax" and np.shape(Y) != AL.shape:
        return one_hot(Y, AL.shape[0])
    Y = as_float_array("Y", Y, ndim=2)
    if Y.shape != AL.shape:
        raise ValueError(f"Y has shape {Y.shape} but AL has shape {AL.shape}")
    return Y


def _hidden_derivative_times(dA, Z, hidden):
    """dZ = dA * g'(Z) for the hidden activation, without temporary (n_l, m) arrays."""
    if hidden == "relu":
        return dA * (Z > 0)  # relu'(Z) is 1 where Z > 0 and 0 elsewhere (0 at Z = 0)
    dZ = derivative(hidden)(Z)  # a new array: safe to scale in place
    dZ *= dA
    return dZ


def model_backward(AL, Y, caches, hidden="relu", output="sigmoid"):
    """Gradients for every layer, with the 1/m of the cost in dW and db.

    AL: (n_L, m) output of model_forward; Y: targets of the shape of AL
    (softmax also accepts class indices); caches: from model_forward.
    Returns {"dA0": (n_x, m), ..., "dW1": (n_1, n_x), "db1": (n_1, 1), ...}:

    * dW{l}, db{l} are dJ/dW[l], dJ/db[l] for the cost J = (1/m) sum_i L(i).
    * dA{l} (l = 0 .. L-1) follow the per-example convention of unit 3:
      column i is dL(i)/dA[l](i), which is m times dJ/dA[l]. The 1/m is
      applied once, when dW and db sum over the examples.

    The output layer starts from dZ = dL/dZ[L] = AL - Y, which holds for
    sigmoid with binary cross-entropy and softmax with categorical
    cross-entropy; a linear output with squared error (no 1/2) gives
    dZ = 2 (AL - Y).
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
            dZ = _hidden_derivative_times(grads[f"dA{layer}"], Z, hidden)
        dW = dZ @ A_prev.T
        dW /= m  # in place: no second (n_l, n_{l-1}) array
        grads[f"dW{layer}"] = dW
        grads[f"db{layer}"] = dZ.sum(axis=1, keepdims=True) / m
        grads[f"dA{layer - 1}"] = W.T @ dZ
    return grads
