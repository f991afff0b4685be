"""A recurrent network: the forward pass of one cell and of a whole sequence, with caches.

Notation (the README's; angle brackets index time steps, t = 1 .. T_x):

    x<t>  (n_x, m)    input at step t; the sequence is X of shape (n_x, m, T_x)
    a<t>  (n_a, m)    hidden state, a<t> = tanh(Waa a<t-1> + Wax x<t> + ba); a<0> = a0 is given
    y^<t> (n_y, m)    output, softmax(Wya a<t> + by), or sigmoid for a single output unit (n_y = 1)

stacked along a third axis: A is (n_a, m, T_x) and Y_hat is (n_y, m, T_x).
Python counts from 0, the notation from 1: X[:, :, t - 1] is x<t>,
A[:, :, t - 1] is a<t>, and caches[t - 1] is the cache of step t.

The parameters are one dict shared by every time step:

    Wax (n_a, n_x)   Waa (n_a, n_a)   ba (n_a, 1)   Wya (n_y, n_a)   by (n_y, 1)

A cell's cache is the tuple (a_next, a_prev, xt, params): its output a<t>,
its inputs a<t-1> and x<t>, and the parameters. The backward passes that
consume these caches are what the assignment asks you to write, so they are
not here.

The loss of example i at step t is L<t>(i), cross-entropy between y^<t> and
y<t>; the cost is J = (1/m) sum_i sum_t L<t>(i): the losses are summed over
time and averaged over the examples (rnn_cost).
"""

import numpy as np

from utils._validate import as_float_array, require_choice, require_shape
from utils.activations import UNCHECKED_ACTIVATIONS
from utils.losses import PROBABILITY_FLOOR

#: The keys of an RNN's parameter dict.
RNN_PARAMETERS = ("Wax", "Waa", "ba", "Wya", "by")

#: The output layers rnn_forward knows (each with its matched cross-entropy loss).
RNN_OUTPUTS = ("softmax", "sigmoid")

__all__ = [
    "RNN_OUTPUTS",
    "RNN_PARAMETERS",
    "initialize_rnn_parameters",
    "rnn_cell_forward",
    "rnn_cost",
    "rnn_forward",
    "rnn_losses",
    "rnn_output_forward",
]


def initialize_rnn_parameters(n_x, n_a, n_y, seed=0, scale="xavier"):
    """Seeded random weights and zero biases for a recurrent network.

    n_x, n_a, n_y: input, hidden and output sizes (positive whole numbers).
    seed:  seed for np.random.default_rng, so the same call gives the same numbers.
    scale: "xavier" (each weight matrix with standard deviation sqrt(1 / fan_in):
           1/sqrt(n_x) for Wax, 1/sqrt(n_a) for Waa and Wya) or a positive float
           standard deviation for all three.
    Returns {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1), "Wya": (n_y, n_a), "by": (n_y, 1)}.
    """
    sizes = {}
    for name, value in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)):
        whole = (
            not isinstance(value, (bool, np.bool_))
            and isinstance(value, (int, np.integer, float, np.floating))
            and float(value).is_integer()
            and value >= 1
        )
        if not whole:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        sizes[name] = int(value)
    n_x, n_a, n_y = sizes["n_x"], sizes["n_a"], sizes["n_y"]
    if scale == "xavier":
        std_x, std_a = np.sqrt(1.0 / n_x), np.sqrt(1.0 / n_a)
    elif isinstance(scale, (int, float, np.integer, np.floating)) and not isinstance(scale, (bool, np.bool_)) and scale > 0:
        std_x = std_a = float(scale)
    else:
        raise ValueError(f"scale must be 'xavier' or a positive float, got {scale!r}")
    rng = np.random.default_rng(seed)
    return {
        "Wax": rng.standard_normal((n_a, n_x)) * std_x,
        "Waa": rng.standard_normal((n_a, n_a)) * std_a,
        "ba": np.zeros((n_a, 1)),
        "Wya": rng.standard_normal((n_y, n_a)) * std_a,
        "by": np.zeros((n_y, 1)),
    }


def _checked_parameters(params, n_x=None, need_output=False):
    """The cell's (and, if need_output, the output layer's) parameters as checked float arrays.

    Returns a dict with the same keys as `params` whose RNN arrays are float64
    (the caller's arrays when they already are, so caches keep them).
    """
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict with keys {', '.join(RNN_PARAMETERS)}, got {type(params).__name__}")
    needed = RNN_PARAMETERS if need_output else ("Wax", "Waa", "ba")
    missing = [key for key in needed if key not in params]
    if missing:
        raise ValueError(f"params is missing {missing}; its keys are {sorted(params)}")
    checked = dict(params)
    for key in needed:
        checked[key] = as_float_array(f"params['{key}']", params[key], ndim=2)
    Wax, Waa, ba = checked["Wax"], checked["Waa"], checked["ba"]
    n_a = Waa.shape[0]
    require_shape("params['Waa']", Waa, (n_a, n_a))
    require_shape("params['Wax']", Wax, (n_a, n_x))
    require_shape("params['ba']", ba, (n_a, 1))
    if need_output:
        Wya = checked["Wya"]
        require_shape("params['Wya']", Wya, (None, n_a))
        require_shape("params['by']", checked["by"], (Wya.shape[0], 1))
    if all(checked[key] is params[key] for key in needed):
        return params  # nothing converted: keep the caller's dict (the caches hold it)
    return checked


def _cell(xt, a_prev, params):
    """a<t> = tanh(Waa a<t-1> + Wax x<t> + ba) on checked arrays."""
    z = params["Waa"] @ a_prev
    z += params["Wax"] @ xt
    z += params["ba"]
    return np.tanh(z, out=z)


def rnn_cell_forward(xt, a_prev, params):
    """One step of the recurrence: a<t> = tanh(Waa a<t-1> + Wax x<t> + ba).

    xt:     (n_x, m) the input x<t> at this step.
    a_prev: (n_a, m) the previous hidden state a<t-1>.
    params: {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1), ...} (other keys are kept, unused).
    Returns (a_next, cache): a_next = a<t> of shape (n_a, m), and
    cache = (a_next, a_prev, xt, params), what the backward step needs.
    """
    xt = as_float_array("xt", xt, ndim=2)
    a_prev = as_float_array("a_prev", a_prev, ndim=2)
    params = _checked_parameters(params, n_x=xt.shape[0])
    n_a = params["Waa"].shape[0]
    if a_prev.shape != (n_a, xt.shape[1]):
        raise ValueError(
            f"a_prev has shape {a_prev.shape} but xt has shape {xt.shape} and Waa {params['Waa'].shape}: "
            f"a_prev must be (n_a, m) = ({n_a}, {xt.shape[1]})"
        )
    a_next = _cell(xt, a_prev, params)
    return a_next, (a_next, a_prev, xt, params)


def rnn_output_forward(A, params, output="softmax"):
    """The outputs of every step: y^<t> = softmax(Wya a<t> + by) (or sigmoid), stacked.

    A:      (n_a, m, T_x) hidden states a<1> .. a<T_x>.
    params: {"Wya": (n_y, n_a), "by": (n_y, 1), ...}.
    output: "softmax" (n_y classes, each column of each step sums to 1) or "sigmoid" (n_y = 1).
    Returns Y_hat of shape (n_y, m, T_x).
    """
    require_choice("output", output, RNN_OUTPUTS)
    A = as_float_array("A", A, ndim=3)
    if not isinstance(params, dict) or "Wya" not in params or "by" not in params:
        raise ValueError("params must be a dict holding the output layer's 'Wya' (n_y, n_a) and 'by' (n_y, 1)")
    Wya = as_float_array("params['Wya']", params["Wya"], ndim=2)
    by = as_float_array("params['by']", params["by"], ndim=2)
    require_shape("params['Wya']", Wya, (None, A.shape[0]))
    require_shape("params['by']", by, (Wya.shape[0], 1))
    if output == "sigmoid" and Wya.shape[0] != 1:
        raise ValueError(f"a sigmoid output has one unit (Wya of shape (1, n_a)); got Wya of shape {Wya.shape}")
    return _outputs(A, Wya, by, output)


def _outputs(A, Wya, by, output):
    """Y_hat (n_y, m, T_x) on checked arrays."""
    n_a, m, T_x = A.shape
    # One matrix product for every step: (n_y, n_a) @ (n_a, m * T_x).
    logits = (Wya @ A.reshape(n_a, m * T_x)) + by
    Y_hat = UNCHECKED_ACTIVATIONS[output](logits)
    return Y_hat.reshape(Wya.shape[0], m, T_x)


def rnn_forward(X, a0, params, output="softmax"):
    """The forward pass over a whole sequence.

    X:      (n_x, m, T_x) inputs, X[:, :, t - 1] = x<t>.
    a0:     (n_a, m) the initial hidden state a<0>.
    params: {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1), "Wya": (n_y, n_a), "by": (n_y, 1)}.
    output: "softmax" or "sigmoid" (n_y = 1).
    Returns (A, Y_hat, caches): A (n_a, m, T_x) with A[:, :, t - 1] = a<t>; Y_hat
    (n_y, m, T_x); caches, a list of T_x cell caches, caches[t - 1] =
    (a<t>, a<t-1>, x<t>, params) (the same params dict in every cache).
    """
    require_choice("output", output, RNN_OUTPUTS)
    X = as_float_array("X", X, ndim=3)
    a0 = as_float_array("a0", a0, ndim=2)
    n_x, m, T_x = X.shape
    if T_x < 1:
        raise ValueError(f"X must hold at least one time step, got shape {X.shape}")
    params = _checked_parameters(params, n_x=n_x, need_output=True)
    n_a = params["Waa"].shape[0]
    if a0.shape != (n_a, m):
        raise ValueError(f"a0 has shape {a0.shape} but X has shape {X.shape} and Waa {params['Waa'].shape}: "
                         f"a0 must be (n_a, m) = ({n_a}, {m})")
    if output == "sigmoid" and params["Wya"].shape[0] != 1:
        raise ValueError(f"a sigmoid output has one unit (Wya of shape (1, n_a)); got Wya of shape {params['Wya'].shape}")
    A = np.empty((n_a, m, T_x))
    caches = []
    a_prev = a0
    for t in range(T_x):
        xt = X[:, :, t]
        a_next = _cell(xt, a_prev, params)
        A[:, :, t] = a_next
        caches.append((a_next, a_prev, xt, params))
        a_prev = a_next
    return A, _outputs(A, params["Wya"], params["by"], output), caches


def _targets(Y_hat, Y, output):
    """Y_hat and Y checked for rnn_losses: probabilities and targets of the same 3-D shape."""
    require_choice("output", output, RNN_OUTPUTS)
    Y_hat = as_float_array("Y_hat", Y_hat, ndim=3)
    Y = as_float_array("Y", Y, ndim=3)
    if Y.shape != Y_hat.shape:
        raise ValueError(
            f"Y has shape {Y.shape} but Y_hat has shape {Y_hat.shape}; Y holds the targets of every step, "
            f"(n_y, m, T_x): one-hot columns for softmax, 0/1 for sigmoid"
        )
    if Y_hat.size and (Y_hat.min() < 0.0 or Y_hat.max() > 1.0):
        raise ValueError(f"Y_hat must hold probabilities in [0, 1], got values from {Y_hat.min():.3g} to "
                         f"{Y_hat.max():.3g}; did you pass the logits instead of the outputs?")
    if output == "sigmoid" and Y_hat.shape[0] != 1:
        raise ValueError(f"a sigmoid output has one unit: Y_hat must be (1, m, T_x), got {Y_hat.shape}")
    return Y_hat, Y


def rnn_losses(Y_hat, Y, output="softmax"):
    """The loss of every example at every step, L<t>(i), as an array of shape (1, m, T_x).

    Y_hat: (n_y, m, T_x) outputs of rnn_forward.
    Y:     targets of the same shape: one-hot columns (softmax) or 0/1 labels (sigmoid, n_y = 1).
    output: "softmax" (categorical cross-entropy -sum_k y_k log y^_k) or
            "sigmoid" (binary cross-entropy -(y log y^ + (1 - y) log(1 - y^))).
    Probabilities are clipped away from 0 (and, for the sigmoid, from 1) by 1e-15 before
    the log, as in utils.losses, so a certain wrong answer costs about 34.5, not inf.
    """
    Y_hat, Y = _targets(Y_hat, Y, output)
    if output == "softmax":
        return -(Y * np.log(np.clip(Y_hat, PROBABILITY_FLOOR, 1.0))).sum(axis=0, keepdims=True)
    P = np.clip(Y_hat, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return -(Y * np.log(P) + (1.0 - Y) * np.log(1.0 - P))


def rnn_cost(Y_hat, Y, output="softmax"):
    """The cost J = (1/m) sum_i sum_t L<t>(i), a Python float.

    The losses are summed over the T_x steps and averaged over the m examples
    (Y_hat, Y and output as in rnn_losses).
    """
    L = rnn_losses(Y_hat, Y, output)
    return float(L.sum() / L.shape[1])
