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


# ----------------------------------------------------------------------------
# The recurrent network of unit 6 (backprop through time)
# ----------------------------------------------------------------------------
#
# Interface (relied on by the hidden tests of 06_backprop_through_time):
# rnn_forward, rnn_cost, rnn_model_backward; and, one piece at a time,
# rnn_cell_gradients, rnn_sequence_gradients, rnn_output_gradients.
# Shapes and the cell cache (a_next, a_prev, xt, params) are utils.rnn's.
# The 1/m follows the course's loss convention here too: the parameter
# gradients dWax, dWaa, dba, dWya, dby are dJ/d(parameter) for
# J = (1/m) sum_i sum_t L<t>(i); the state and input gradients da, da0, dX
# hold per-example derivatives (column i is dL(i)/d(.)(i) with
# L(i) = sum_t L<t>(i)), which is m times dJ/d(.), like model_backward's dA.

from utils import rnn as _rnn  # noqa: E402  (kept beside the code that uses it)


def rnn_forward(X, a0, params, output="softmax"):
    """(A, Y_hat, caches) for X (n_x, m, T_x) and a0 (n_a, m); see utils.rnn.rnn_forward."""
    return _rnn.rnn_forward(X, a0, params, output)


def rnn_cost(Y_hat, Y, output):
    """J = (1/m) sum_i sum_t L<t>(i), a float: per-step losses summed over time, averaged over examples."""
    return _rnn.rnn_cost(Y_hat, Y, output)


def rnn_cell_gradients(da_next, cache):
    """The backward step of one cell a<t> = tanh(Waa a<t-1> + Wax x<t> + ba).

    da_next: (n_a, m) per-example gradient with respect to a<t> (everything that reaches it).
    cache:   (a_next, a_prev, xt, params) from utils.rnn.rnn_cell_forward.
    Returns {"da_prev": (n_a, m), "dx": (n_x, m), "dWax": (n_a, n_x), "dWaa": (n_a, n_a), "dba": (n_a, 1)};
    tanh'(z) is 1 - a_next**2, and the 1/m sits in dWax, dWaa and dba only.
    """
    a_next, a_prev, xt, params = cache
    m = xt.shape[1]
    dz = da_next * (1.0 - a_next * a_next)
    return {
        "da_prev": params["Waa"].T @ dz,
        "dx": params["Wax"].T @ dz,
        "dWax": dz @ xt.T / m,
        "dWaa": dz @ a_prev.T / m,
        "dba": dz.sum(axis=1, keepdims=True) / m,
    }


def rnn_sequence_gradients(da, caches):
    """Backprop through time over the hidden states, last step first.

    da:     (n_a, m, T_x) per-example gradients reaching each a<t> from the outputs (da[:, :, t - 1] for step t).
    caches: the T_x cell caches of rnn_forward.
    Returns {"dX": (n_x, m, T_x), "da0": (n_a, m), "dWax", "dWaa", "dba"}: the shared parameters'
    gradients summed over the steps; the gradient reaching a<t-1> from step t carried back and added
    to the outputs' da there.
    """
    da = as_float_array("da", da, ndim=3)
    n_a, m, T_x = da.shape
    if len(caches) != T_x:
        raise ValueError(f"da has {T_x} time steps but there are {len(caches)} caches")
    n_x = caches[0][2].shape[0]
    grads = {
        "dX": np.zeros((n_x, m, T_x)),
        "dWax": np.zeros((n_a, n_x)),
        "dWaa": np.zeros((n_a, n_a)),
        "dba": np.zeros((n_a, 1)),
    }
    carried = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = rnn_cell_gradients(da[:, :, t] + carried, caches[t])
        grads["dX"][:, :, t] = step["dx"]
        for key in ("dWax", "dWaa", "dba"):
            grads[key] += step[key]
        carried = step["da_prev"]
    grads["da0"] = carried
    return grads


def rnn_output_gradients(Y_hat, Y, A, Wya):
    """The output layer's part: dz<t> = y^<t> - y<t> at every step (softmax or sigmoid with cross-entropy).

    Y_hat, Y: (n_y, m, T_x); A: (n_a, m, T_x) hidden states; Wya: (n_y, n_a).
    Returns {"da": (n_a, m, T_x) per-example Wya^T dz<t>, "dWya": (n_y, n_a), "dby": (n_y, 1)},
    dWya and dby summed over the steps and averaged over the examples.
    """
    Y_hat = as_float_array("Y_hat", Y_hat, ndim=3)
    Y = as_float_array("Y", Y, ndim=3)
    A = as_float_array("A", A, ndim=3)
    if Y.shape != Y_hat.shape:
        raise ValueError(f"Y has shape {Y.shape} but Y_hat has shape {Y_hat.shape}")
    n_y, m, T_x = Y_hat.shape
    n_a = A.shape[0]
    dZ = (Y_hat - Y).reshape(n_y, m * T_x)  # every step's columns side by side
    flat_A = A.reshape(n_a, m * T_x)
    return {
        "da": (Wya.T @ dZ).reshape(n_a, m, T_x),
        "dWya": dZ @ flat_A.T / m,
        "dby": dZ.sum(axis=1, keepdims=True) / m,
    }


def rnn_model_backward(Y_hat, Y, caches, output):
    """Every gradient of J = (1/m) sum_i sum_t L<t>(i) for the network of rnn_forward.

    Y_hat: (n_y, m, T_x) outputs; Y: targets of that shape (one-hot for softmax, 0/1 for sigmoid);
    caches: from rnn_forward; output: "softmax" or "sigmoid".
    Returns {"dWax", "dWaa", "dba", "dWya", "dby": dJ/d(parameter), shapes of the parameters;
             "da0": (n_a, m), "dX": (n_x, m, T_x): per example (m times dJ/d(.), the loss convention)}.
    """
    require_choice("output", output, _rnn.RNN_OUTPUTS)
    if not caches:
        raise ValueError("caches is empty: rnn_forward makes one cache per time step")
    A = np.stack([cache[0] for cache in caches], axis=-1)
    params = caches[0][3]
    out = rnn_output_gradients(Y_hat, Y, A, params["Wya"])
    grads = rnn_sequence_gradients(out["da"], caches)
    grads["dWya"], grads["dby"] = out["dWya"], out["dby"]
    return grads
