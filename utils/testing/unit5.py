"""Unit 5, the L-layer backward pass: what the visible test cells of `05_l_layer_backward` check.

A visible test cell builds its inputs with a problem function and hands the
student's function to one `test_...` function:

    from utils.testing import unit5

    dZ, cache = unit5.linear_problem(seed=501, n_prev=5, n=3, m=7)
    unit5.test_linear_backward(linear_backward, dZ, cache)

Expected values come from finite differences of the forward pass in
`utils.forward` (never from a backward formula); the typical mistakes
(suspects) are the same finite differences fed with the wrong inputs a
mistake would use. While a test runs, the graded functions the student's
function calls are replaced (utils.testing._common.replaced) by stand-ins
that answer for this test's own inputs only, so each mistake is charged to
its own part.

Nothing here computes a graded answer for inputs other than its own tests':
the expected values (_linear_step, _layer, _network, _walk, _cost_gradients,
_update_suspects) and the stand-in factories know only the visible tests'
problems (LINEAR_PROBLEMS, LAYER_PROBLEMS, NETWORK_PROBLEMS, UPDATE_PROBLEMS,
TRAINING_PROBLEMS, compared by value) and refuse anything else with an
AssertionError that says they are test helpers. The graders' hidden tests
(instructor-only) call the `check_...` functions
below with fresh inputs and their own expected values (the `expected=`,
`linear_step=`, `network=`, `walk=`, `suspects=` and `numeric=` arguments).

Notation (the README's): examples are columns; A[l] is (n_l, m), W[l] is
(n_l, n_{l-1}), b[l] is (n_l, 1). A linear cache is (A_prev, W, b), a layer
cache is ((A_prev, W, b), Z), `caches[l - 1]` is layer l's. `dX` has the shape
of X; dA and dZ hold per-example derivatives (no 1/m), dW and db carry the
1/m of the cost J = (1/m) sum_i L(i).

Public API
----------
SIGNATURES                                    the assignment's def lines, {name: "(parameters)"}
linear_problem(seed, n_prev, n, m)            (dZ (n, m), cache (A_prev (n_prev, m), W (n, n_prev), b (n, 1)))
layer_problem(seed, n_prev, n, m, activation) (dA (n, m), cache ((A_prev, W, b), Z (n, m)))
network_problem(seed, layer_dims, m, output)  (X, Y, params, AL, caches) of a relu network
update_problem(seed, layer_dims, m=7)         (params, grads) with dA keys among the grads
training_problem(seed, n_x, m, n_out)         (X (n_x, m), Y (n_out, m)): binary or one-hot labels
test_linear_backward, test_linear_activation_backward, test_L_model_backward, test_update_parameters,
test_train_network, test_digits, test_gradient_check, test_gradient_check_own_network
                                              run the student's function (stand-ins underneath) and check it
check_linear_backward, check_linear_activation_backward, check_L_model_backward,
check_update_parameters, check_training_run, check_gradient_check
                                              the checks alone, for a result obtained elsewhere
update_mistakes(name)                         the typical update_parameters mistakes, described
LINEAR_PROBLEMS, LAYER_PROBLEMS, NETWORK_PROBLEMS, UPDATE_PROBLEMS, TRAINING_PROBLEMS
                                              the visible tests' own problems, {seed: sizes}
require_def_line(function, name, args, kwargs)  fail with advice if the test's call cannot bind
"""

import copy
import functools
import inspect
import time

import numpy as np

from utils import _diagnose
from utils.activations import activation as activation_function
from utils.activations import sigmoid_derivative
from utils.checks import (
    NUMERICAL_ATOL,
    NUMERICAL_RTOL,
    activation_suspects,
    check_array,
    check_float,
    check_gradients,
    check_type,
    run_student,
    suspects_from,
    suspects_through,
)
from utils.datasets import load_digits
from utils.forward import linear_activation_forward, linear_forward, model_forward
from utils.gradcheck import numerical_gradient, numerical_gradients, numerical_layer_gradient
from utils.initialization import initialize_parameters
from utils.losses import compute_cost, one_hot
from utils.testing._common import (
    closest_miss,
    match_case,
    parse_signature,
    replaced,
    replaced_all,
    stand_in,
)

__all__ = [
    "LAYER_PROBLEMS",
    "LINEAR_PROBLEMS",
    "NETWORK_PROBLEMS",
    "SIGNATURES",
    "TRAINING_PROBLEMS",
    "UPDATE_PROBLEMS",
    "check_L_model_backward",
    "check_gradient_check",
    "check_linear_activation_backward",
    "check_linear_backward",
    "check_training_run",
    "check_update_parameters",
    "layer_problem",
    "linear_problem",
    "network_problem",
    "require_def_line",
    "test_L_model_backward",
    "test_digits",
    "test_gradient_check",
    "test_gradient_check_own_network",
    "test_linear_activation_backward",
    "test_linear_backward",
    "test_train_network",
    "test_update_parameters",
    "training_problem",
    "update_mistakes",
    "update_problem",
]

#: The assignment's def lines (the course's test suite compares them with the instructor's solutions).
SIGNATURES = {
    "linear_backward": "(dZ, cache)",
    "linear_activation_backward": "(dA, cache, activation)",
    "L_model_backward": "(AL, Y, caches, output='sigmoid')",
    "update_parameters": "(params, grads, learning_rate)",
    "train_network": "(X, Y, layer_dims, learning_rate, num_iterations, seed=0, batch_size=None)",
    "digits_hyperparameters": "()",
    "gradient_check": "(params, X, Y, output='sigmoid', method='full', backward=None, n_directions=3, seed=0)",
}

#: The activations linear_activation_backward handles.
LAYER_ACTIVATIONS = ("relu", "sigmoid", "tanh")

#: The rules the stand-ins rely on; the assignment states each one where the student reads.
RULES = {
    "linear_cache": "pass the layer's linear cache, cache[0] = (A_prev, W, b), on to linear_backward unchanged",
    "layer_caches": "give layer l the cache model_forward made for it, caches[l - 1], unchanged "
                    "(and its linear cache caches[l - 1][0] to linear_backward)",
    "batches": "call L_model_backward with the AL and caches model_forward returned for this step's batch "
               "of columns of X, and the same columns of Y",
}

#: What each parameter of a def line is for, to say why a missing one matters.
PARAMETER_ROLES = {
    "output": 'output is "sigmoid" or "softmax": the tests call it for both output layers',
    "activation": 'activation is "relu", "sigmoid" or "tanh": the tests call it for each',
    "seed": "seed makes the initialisation (and your shuffling) reproducible: the tests pass their own",
    "batch_size": "batch_size chooses full-batch or mini-batch steps: the tests use both",
    "backward": "backward is the backward pass to check: the tests hand in right and wrong ones",
}

WALK_HINT = ("Look at: the cache each step reads. Layer l's cache is caches[l - 1] (the list starts at 0), "
             "its dA[l] comes from layer l + 1, and it hands dA[l - 1] down.")


# ----------------------------------------------------------------------------
# Calling the student's function
# ----------------------------------------------------------------------------


def require_def_line(function, name, args=(), kwargs=None):
    """Fail with advice unless `function` accepts the test's call `name(*args, **kwargs)`.

    A def line that lost a parameter (e.g. `def L_model_backward(AL, Y, caches)`)
    is named: which parameter is missing, what it is for, and the def line the
    assignment gives. Functions without an inspectable signature are left to
    run_student.
    """
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args, **(kwargs or {}))
    except TypeError as error:
        expected = parse_signature(SIGNATURES[name])
        names = list(expected.parameters)
        call = ", ".join(names[: len(args)] + [f"{key}={key}" for key in (kwargs or {})])
        missing = [parameter for parameter in names if parameter not in signature.parameters]
        if missing:
            listed = ", ".join(f"`{parameter}`" for parameter in missing)
            head = f"{name}'s def line has no parameter {listed}, so the test's call {name}({call}) cannot reach it."
        else:
            head = f"the test's call {name}({call}) does not fit your def line `def {name}{signature}`: {error}."
        roles = [PARAMETER_ROLES[parameter] for parameter in missing if parameter in PARAMETER_ROLES]
        lines = [head,
                 f"Likely reason: the def line was changed. Keep the assignment's: def {name}{expected}"
                 + (f" ({'; '.join(roles)})." if roles else "."),
                 f"Look at: the def line of {name}."]
        raise AssertionError("\n".join(lines)) from None


def _run(function, name, *args, **kwargs):
    """run_student after require_def_line."""
    require_def_line(function, name, args, kwargs)
    return run_student(function, *args, name=name, **kwargs)


def _copied(value):
    """A deep copy of nested tuples, lists and dicts of arrays (what the student's function may change)."""
    return copy.deepcopy(value)


# ----------------------------------------------------------------------------
# Problems: the inputs of the tests
# ----------------------------------------------------------------------------


def linear_problem(seed, n_prev, n, m):
    """(dZ, cache) for one linear step Z = W A_prev + b, standard normal entries.

    Returns dZ of shape (n, m) and cache = (A_prev (n_prev, m), W (n, n_prev), b (n, 1)).
    """
    rng = np.random.default_rng(seed)
    A_prev, W, b = rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)), rng.standard_normal((n, 1))
    return rng.standard_normal((n, m)), (A_prev, W, b)


def layer_problem(seed, n_prev, n, m, activation):
    """(dA, cache) for one layer A = g(W A_prev + b), g = `activation` ("relu", "sigmoid" or "tanh").

    Returns dA of shape (n, m) and cache = ((A_prev (n_prev, m), W (n, n_prev), b (n, 1)), Z (n, m)),
    as utils.forward.linear_activation_forward makes it. Every |Z| > 1e-3, away from relu's kink.
    """
    rng = np.random.default_rng(seed)
    while True:
        A_prev = rng.standard_normal((n_prev, m))
        W, b = rng.standard_normal((n, n_prev)) / np.sqrt(n_prev), rng.uniform(-0.5, 0.5, (n, 1))
        _, cache = linear_activation_forward(A_prev, W, b, activation)
        if np.abs(cache[1]).min() > 1e-3:
            return rng.standard_normal((n, m)), cache


def network_problem(seed, layer_dims, m, output):
    """(X, Y, params, AL, caches) for a relu network with a "sigmoid" or "softmax" output layer.

    layer_dims: [n_x, n_1, ..., n_L]; X is (n_x, m); Y is (1, m) binary labels
    (both classes present) for "sigmoid", (n_L, m) one-hot for "softmax";
    params {"W1": (n_1, n_x), "b1": (n_1, 1), ...} with non-zero biases;
    (AL, caches) = model_forward(X, params, hidden="relu", output=output).
    Hidden Z stay away from relu's kink (|Z| > 1e-3, both signs present) and AL from 0 and 1.
    """
    rng = np.random.default_rng(seed)
    for _ in range(500):
        X = rng.standard_normal((layer_dims[0], m))
        params = initialize_parameters(layer_dims, seed=int(rng.integers(2**31)))
        for layer in range(1, len(layer_dims)):
            params[f"b{layer}"] = rng.uniform(-0.3, 0.3, size=(layer_dims[layer], 1))
        AL, caches = model_forward(X, params, hidden="relu", output=output)
        hidden_Z = [Z for (_, Z) in caches[:-1]]
        if (all(np.abs(Z).min() > 1e-3 and (Z > 0).any() and (Z < 0).any() for Z in hidden_Z)
                and AL.min() > 0.02 and AL.max() < 0.98):
            break
    if output == "sigmoid":
        Y = (rng.uniform(size=(1, m)) < 0.5).astype(float)
        Y[0, :2] = (0.0, 1.0)
    else:
        Y = one_hot(rng.integers(0, layer_dims[-1], size=m), layer_dims[-1])
    return X, Y, params, AL, caches


def update_problem(seed, layer_dims, m=7):
    """(params, grads) for one step of gradient descent.

    params: {"W1": (n_1, n_x), "b1": (n_1, 1), ...} with random (non-zero) biases.
    grads:  {"dW1", "db1", ...} with the shapes of the parameters, and also the
            "dA0", ..., "dA{L-1}" of shape (n_l, m) that L_model_backward returns.
    """
    rng = np.random.default_rng(seed)
    params = initialize_parameters(layer_dims, seed=seed)
    for layer in range(1, len(layer_dims)):
        params[f"b{layer}"] = rng.standard_normal(params[f"b{layer}"].shape)
    grads = {"d" + name: rng.standard_normal(value.shape) for name, value in params.items()}
    grads.update({f"dA{layer}": rng.standard_normal((layer_dims[layer], m)) for layer in range(len(layer_dims) - 1)})
    return params, grads


def training_problem(seed, n_x, m, n_out):
    """(X, Y) to train on: X (n_x, m) standard normal; Y (1, m) binary labels if n_out == 1, else (n_out, m) one-hot."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if n_out == 1:
        Y = (rng.uniform(size=(1, m)) < 0.5).astype(float)
        Y[0, :2] = (0.0, 1.0)
    else:
        Y = one_hot(rng.integers(0, n_out, size=m), n_out)
    return X, Y


# ----------------------------------------------------------------------------
# The visible tests' own problems: everything below that computes an answer knows these and nothing else
# ----------------------------------------------------------------------------

#: {seed: (n_prev, n, m)} of linear_problem: Part 1's test.
LINEAR_PROBLEMS = {501: (5, 3, 7)}
#: {seed: (n_prev, n, m, activation)} of layer_problem: Part 2's tests.
LAYER_PROBLEMS = {511: (6, 3, 7, "relu"), 512: (6, 3, 7, "sigmoid"), 513: (6, 3, 7, "tanh")}
#: {seed: (layer_dims, m, output)} of network_problem: Part 3's tests (521, 522) and test_gradient_check's (551).
NETWORK_PROBLEMS = {521: ((6, 5, 3, 1), 9, "sigmoid"), 522: ((6, 5, 3, 4), 9, "softmax"),
                    551: ((5, 4, 3, 1), 9, "sigmoid")}
#: {seed: layer_dims} of update_problem (m = 7): Part 4's test.
UPDATE_PROBLEMS = {531: (5, 4, 3, 1)}
#: {seed: (n_x, m, n_out)} of training_problem: test_train_network's.
TRAINING_PROBLEMS = {541: (4, 11, 1), 542: (4, 11, 3)}

REFUSAL = ("{helper} answers only for the inputs of this notebook's own test cells, and these are not theirs: "
           "{found}.\nLikely reason: it was called on other inputs, or a test cell was edited. The functions of "
           "utils.testing are test helpers that know the visible tests' own inputs; they compute no answer for "
           "yours: write your function from the formulas. If you edited a test cell, undo the change (a fresh copy "
           "of the assignment has the original cell).")


@functools.lru_cache(maxsize=None)
def _registered():
    """The registered problems, built once, only ever compared with (never handed out):
    {"linear": [linear caches], "layer": [(cache, activation)], "network": [(params, X, Y, output, caches)],
    "update": [(params, grads)], "training": [(X, Y)], "inputs": [{bytes of each column of a visible X}]}."""
    networks = [network_problem(seed, list(dims), m, output) for seed, (dims, m, output) in NETWORK_PROBLEMS.items()]
    layers = [(layer_problem(seed, *sizes)[1], sizes[3]) for seed, sizes in LAYER_PROBLEMS.items()]
    training = [training_problem(seed, *sizes) for seed, sizes in TRAINING_PROBLEMS.items()]
    linear = [linear_problem(seed, *sizes)[1] for seed, sizes in LINEAR_PROBLEMS.items()]
    linear += [cache[0] for cache, _ in layers]
    linear += [cache[0] for *_, caches in networks for cache in caches]
    inputs = [X for X, *_ in networks] + [X for X, _ in training]
    return {
        "linear": linear,
        "layer": layers,
        "network": [(params, X, Y, NETWORK_PROBLEMS[seed][2], caches)
                    for seed, (X, Y, params, _, caches) in zip(NETWORK_PROBLEMS, networks)],
        "update": [update_problem(seed, list(dims)) for seed, dims in UPDATE_PROBLEMS.items()],
        "training": training,
        "inputs": [{X[:, i].tobytes() for i in range(X.shape[1])} for X in inputs],
    }


def _refuse(helper, found):
    raise AssertionError(REFUSAL.format(helper=f"utils.testing.unit5.{helper}", found=found))


def _known(helper, given, candidates):
    """The index of the first candidate {label: value} that `given` {label: value} equals exactly; else refuse,
    naming a difference from the closest candidate (closest_miss)."""
    index, misses = match_case(given, candidates)
    if index is None:
        _refuse(helper, closest_miss(misses))
    return index


def _known_linear_cache(helper, linear_cache):
    return _known(helper, {"linear_cache": linear_cache},
                  [{"linear_cache": known} for known in _registered()["linear"]])


def _known_network(helper, caches):
    return _known(helper, {"caches": caches}, [{"caches": known[-1]} for known in _registered()["network"]])


def _known_inputs(helper, caches):
    """Refuse unless the network's inputs A0 = caches[0][0][0] are columns of a visible test's X."""
    A0 = caches[0][0][0]
    if type(A0) is np.ndarray and A0.ndim == 2 and A0.dtype.kind in "fiu":
        columns = {np.ascontiguousarray(A0[:, i], dtype=float).tobytes() for i in range(A0.shape[1])}
        if any(columns <= known for known in _registered()["inputs"]):
            return
    _refuse(helper, "the inputs caches[0][0][0] are not columns of a visible test's X")


def _known_update(helper, params, grads):
    """Refuse unless params and grads are those of a visible update problem (the same arrays, by value)."""
    return _known(helper, {"params": params, "grads": grads},
                  [{"params": known[0], "grads": known[1]} for known in _registered()["update"]])


def _linear_step(dZ, linear_cache):
    """{"dA_prev", "dW", "db"} the linear step hands back for dZ (n, m): finite differences of W A_prev + b.

    For the linear caches of the visible tests only (any dZ); others are refused.
    """
    _known_linear_cache("_linear_step", linear_cache)
    A_prev, W, b = linear_cache
    m = A_prev.shape[1]
    return {
        "dW": numerical_layer_gradient(lambda W_: linear_forward(A_prev, W_, b)[0], W.copy(), dZ) / m,
        "db": numerical_layer_gradient(lambda b_: linear_forward(A_prev, W, b_)[0], b.copy(), dZ) / m,
        "dA_prev": numerical_layer_gradient(lambda A_: linear_forward(A_, W, b)[0], A_prev.copy(), dZ),
    }


def _layer(dA, cache, activation):
    """{"dW", "db", "dA_prev"} of one layer A = g(W A_prev + b) for dA (n, m): finite differences of the whole layer.

    For the (cache, activation) of a visible test of Part 2 only (any dA); others are refused.
    """
    _known("_layer", {"cache": cache, "activation": activation},
           [{"cache": known, "activation": name} for known, name in _registered()["layer"]])
    (A_prev, W, b), _ = cache
    m = A_prev.shape[1]

    def forward(A_, W_, b_):
        return linear_activation_forward(A_, W_, b_, activation)[0]

    return {
        "dW": numerical_layer_gradient(lambda W_: forward(A_prev, W_, b), W.copy(), dA) / m,
        "db": numerical_layer_gradient(lambda b_: forward(A_prev, W, b_), b.copy(), dA) / m,
        "dA_prev": numerical_layer_gradient(lambda A_: forward(A_, W, b), A_prev.copy(), dA),
    }


def _params_of(caches):
    """{"W1": ..., "b1": ..., ...}: the parameters stored in a list of layer caches."""
    params = {}
    for layer, ((_, W, b), _) in enumerate(caches, start=1):
        params[f"W{layer}"], params[f"b{layer}"] = np.array(W, dtype=float), np.array(b, dtype=float)
    return params


def _logits(params, A, first_layer):
    """Z[L] of the relu network, computed forward from A = A[first_layer - 1]."""
    n_layers = len(params) // 2
    for layer in range(first_layer, n_layers + 1):
        Z, _ = linear_forward(A, params[f"W{layer}"], params[f"b{layer}"])
        A = np.maximum(Z, 0.0)
    return Z


def _network(caches, dZL):
    """What a backward pass that starts from the output gradient dZL (n_L, m) returns, by finite differences.

    {"dW{L}", "db{L}", "dA{L-1}", ..., "dW1", "db1", "dA0"}: dW, db are the gradients of
    (1/m) sum(dZL * Z[L]); dA[l] those of sum(dZL * Z[L]) (per example, no 1/m).
    Only for networks whose inputs caches[0][0][0] are columns of a visible test's X; others are refused.
    """
    _known_inputs("_network", caches)
    X = np.array(caches[0][0][0], dtype=float)
    params = _params_of(caches)
    m = X.shape[1]
    numeric = numerical_gradients(lambda p: np.sum(dZL * _logits(p, X, 1)) / m, _copied(params))
    expected = {}
    for layer in range(len(caches), 0, -1):
        A_prev = np.array(caches[layer - 1][0][0], dtype=float)
        expected[f"dW{layer}"] = numeric[f"W{layer}"]
        expected[f"db{layer}"] = numeric[f"b{layer}"]
        expected[f"dA{layer - 1}"] = numerical_gradient(lambda A: np.sum(dZL * _logits(params, A, layer)), A_prev)
    return expected


def _walk(caches, dZL, hidden):
    """The gradients of a walk down the layers from dZL whose hidden layers use g = `hidden`'s derivative.

    With hidden="sigmoid" on a relu network: what passing the hidden layers
    through the sigmoid's backward step gives (a typical mistake). The visible tests' networks only.
    """
    _known_network("_walk", caches)
    grads = {}
    dZ = dZL
    for layer in range(len(caches), 0, -1):
        linear_cache, Z = caches[layer - 1]
        if layer < len(caches):
            dZ = numerical_layer_gradient(activation_function(hidden), np.array(Z, dtype=float), grads[f"dA{layer}"])
        step = _linear_step(dZ, linear_cache)
        grads[f"dW{layer}"], grads[f"db{layer}"], grads[f"dA{layer - 1}"] = step["dW"], step["db"], step["dA_prev"]
    return grads


# ----------------------------------------------------------------------------
# Stand-ins: the right answer for this test's own inputs, and nothing else
# ----------------------------------------------------------------------------


def _require_upstream(name, label, value, shape, layer, hint=""):
    """AssertionError unless `value` (dZ or dA given to a stand-in) is a real array of `shape`."""
    if type(value) is not np.ndarray or value.dtype.kind not in "fiu":
        raise AssertionError(f"{name} got {label} = a {_diagnose.type_name(value)}; {label} is a numpy array of "
                             f"shape {shape}, the shape of this layer's {'Z' if label == 'dZ' else 'A'}.{hint}")
    if value.shape != shape:
        what = "Z" if label == "dZ" else "A"
        raise AssertionError(
            f"{name} got {label} of shape {value.shape} with the cache of layer {layer}, whose {what} has shape "
            f"{shape}: {label} has the shape of {what}.{hint}")


def linear_backward_stand_in(linear_caches, rule=RULES["linear_cache"], hint=""):
    """A stand-in for linear_backward(dZ, cache) that knows these linear caches (A_prev, W, b) only.

    linear_caches: one linear cache per layer, layer 1 first. For a known cache
    and a dZ of the shape of that layer's Z it returns (dA_prev, dW, db) by
    finite differences; any other cache is refused with `rule`. The caches
    must be the visible tests' own (AssertionError otherwise).
    """
    for cache in linear_caches:
        _known_linear_cache("linear_backward_stand_in", cache)
    known = [tuple(np.array(item, dtype=float) for item in cache) for cache in linear_caches]

    def answer(index, arguments):
        A_prev, W, b = known[index]
        _require_upstream("linear_backward", "dZ", arguments["dZ"], (W.shape[0], A_prev.shape[1]), index + 1, hint)
        step = _linear_step(np.array(arguments["dZ"], dtype=float), known[index])
        return step["dA_prev"], step["dW"], step["db"]

    return stand_in("linear_backward", SIGNATURES, [{"cache": cache} for cache in known], answer, rule)


def layer_backward_stand_in(caches, rule=RULES["layer_caches"], hint=""):
    """A stand-in for linear_activation_backward(dA, cache, activation) that knows these layer caches only.

    caches: the layer caches ((A_prev, W, b), Z), layer 1 first. For a known
    cache, activation "relu", "sigmoid" or "tanh" and a dA of the shape of
    that layer's A it returns (dA_prev, dW, db) by finite differences. The
    caches must be the visible tests' own (AssertionError otherwise).
    """
    for cache in caches:
        _known_linear_cache("layer_backward_stand_in", cache[0])
    known = [(tuple(np.array(item, dtype=float) for item in linear_cache), np.array(Z, dtype=float))
             for linear_cache, Z in caches]

    def answer(index, arguments):
        name = arguments["activation"]
        if name == "softmax":
            raise AssertionError(
                "linear_activation_backward was called with activation='softmax': a softmax layer has no "
                "elementwise g'. For a softmax output start from dZL = AL - Y and call linear_backward.")
        if not isinstance(name, str) or name not in LAYER_ACTIVATIONS:
            raise AssertionError(f"linear_activation_backward was called with activation={name!r}; "
                                 f"it takes one of {list(LAYER_ACTIVATIONS)}.")
        linear_cache, Z = known[index]
        _require_upstream("linear_activation_backward", "dA", arguments["dA"], Z.shape, index + 1, hint)
        dZ = numerical_layer_gradient(activation_function(name), Z.copy(), np.array(arguments["dA"], dtype=float))
        step = _linear_step(dZ, linear_cache)
        return step["dA_prev"], step["dW"], step["db"]

    return stand_in("linear_activation_backward", SIGNATURES, [{"cache": cache} for cache in known], answer, rule)


def _batch_columns(X_batch, Y_batch, X, Y, column_of=None):
    """The columns of X that X_batch consists of, if Y_batch holds the same columns of Y; else AssertionError."""
    column_of = column_of or {X[:, i].tobytes(): i for i in range(X.shape[1])}
    rule = f"Rule: {RULES['batches']}."
    if type(X_batch) is not np.ndarray or X_batch.ndim != 2 or X_batch.shape[0] != X.shape[0]:
        raise AssertionError(f"L_model_backward got caches whose first input A0 is not {X.shape[0]} rows of "
                             f"examples from this test's X.\n{rule}")
    columns = [column_of.get(np.asarray(X_batch[:, i], dtype=float).tobytes()) for i in range(X_batch.shape[1])]
    if None in columns:
        raise AssertionError(f"L_model_backward got examples that are not columns of this test's X.\n{rule}")
    if type(Y_batch) is not np.ndarray or Y_batch.shape != (Y.shape[0], len(columns)):
        raise AssertionError(f"L_model_backward got Y of shape {np.shape(Y_batch)} for a batch of {len(columns)} "
                             f"columns; expected {(Y.shape[0], len(columns))}.\n{rule}")
    if not np.array_equal(Y_batch, Y[:, columns]):
        raise AssertionError("L_model_backward got columns of Y that are not the same columns as those of X "
                             f"in the caches.\n{rule}")
    return columns


def _layer_caches(caches):
    """caches if it is a list of layer caches ((A_prev, W, b), Z) of arrays; else AssertionError."""
    ok = issubclass(type(caches), (list, tuple)) and len(caches) > 0 and all(
        issubclass(type(cache), tuple) and len(cache) == 2 and issubclass(type(cache[0]), tuple)
        and len(cache[0]) == 3 for cache in caches)
    if not ok:
        raise AssertionError("L_model_backward got caches that are not the list model_forward returns "
                             f"(one ((A_prev, W, b), Z) per layer).\nRule: {RULES['batches']}.")
    return caches


def _record(AL, Y, caches, output, grads):
    """A step of a training run: copies of what L_model_backward got and returned."""
    return {"AL": np.array(AL, dtype=float), "Y": np.array(Y, dtype=float), "caches": _copied(list(caches)),
            "output": output, "grads": _copied(grads)}


def L_model_backward_stand_in(X, Y, output):
    """A stand-in for L_model_backward(AL, Y, caches, output) that knows this test's X and Y only.

    It answers for any batch of columns of X with the same columns of Y (any
    parameters), by finite differences, when AL and caches are what
    model_forward returns for them; anything else is refused. Its `steps`
    attribute lists every call (see check_training_run). X and Y must be a
    visible test's own (training_problem of TRAINING_PROBLEMS).
    """
    _known("L_model_backward_stand_in", {"X": X, "Y": Y},
           [{"X": known_X, "Y": known_Y} for known_X, known_Y in _registered()["training"]])
    X_known, Y_known, output_known = X, Y, output
    column_of = {X[:, i].tobytes(): i for i in range(X.shape[1])}
    steps = []

    def recording_backward(AL, Y, caches, output="sigmoid"):  # noqa: N803 - the assignment's names
        _batch_columns(np.asarray(_layer_caches(caches)[0][0][0]), Y, X_known, Y_known, column_of)
        if output != output_known:
            raise AssertionError(f"L_model_backward was called with output={output!r} for a Y of "
                                 f"{Y_known.shape[0]} row(s): the output is \"softmax\" when Y has more than one row, "
                                 "else \"sigmoid\".")
        X_batch, params = np.array(caches[0][0][0], dtype=float), _params_of(caches)
        made, _ = model_forward(X_batch, params, hidden="relu", output=output)
        if type(AL) is not np.ndarray or AL.shape != made.shape or not np.allclose(AL, made, rtol=1e-10, atol=1e-12):
            raise AssertionError("L_model_backward got an AL that is not what model_forward returned for these caches."
                                 f"\nRule: {RULES['batches']}.")
        grads = _network(caches, made - Y)
        steps.append(_record(AL, Y, caches, output, grads))
        return _copied(grads)

    recording_backward.steps = steps
    return recording_backward


def fixed_backward(grads):
    """A backward pass (AL, Y, caches, output) for gradient_check's tests: copies of fixed grads, whatever its input."""

    def backward(AL, Y, caches, output="sigmoid"):  # noqa: N803 - the names gradient_check passes
        return _copied(grads)

    return backward


# ----------------------------------------------------------------------------
# Part 1: linear_backward
# ----------------------------------------------------------------------------

_LINEAR_WHERE = {"dW": "the line computing dW in linear_backward", "db": "the line computing db in linear_backward",
                 "dA_prev": "the line computing dA_prev in linear_backward"}


def check_linear_backward(result, dZ, cache, where=None, expected=None):
    """Check linear_backward's result for (dZ (n, m), cache (A_prev, W, b)): a tuple (dA_prev, dW, db).

    expected: the right {"dA_prev", "dW", "db"}; None for a visible test's own (finite differences).
    """
    check_type("linear_backward(dZ, cache)", result, tuple, length=3,
               where="the return statement: return dA_prev, dW, db")
    dA_prev, dW, db = result
    expected = _linear_step(dZ, cache) if expected is None else expected
    m = dZ.shape[1]
    suspects = {"dA_prev": {"dA_prev was divided by m: the 1/m belongs in dW and db only (dA_prev is per example)":
                            expected["dA_prev"] / m}}
    check_gradients({"dW": dW, "db": db, "dA_prev": dA_prev}, expected, m=m, suspects=suspects,
                    where=where or _LINEAR_WHERE, rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL,
                    name="linear_backward's result")


def test_linear_backward(linear_backward, dZ, cache):
    """linear_backward(dZ, cache) against finite differences of Z = W A_prev + b (the student gets copies)."""
    expected = _linear_step(dZ, cache)
    result = _run(linear_backward, "linear_backward", dZ.copy(), _copied(cache))
    check_linear_backward(result, dZ, cache, expected=expected)


# ----------------------------------------------------------------------------
# Part 2: linear_activation_backward
# ----------------------------------------------------------------------------


def check_linear_activation_backward(result, dA, cache, activation, where=None, expected=None, linear_step=None):
    """Check linear_activation_backward's result for (dA (n, m), cache ((A_prev, W, b), Z), activation).

    expected:    the right {"dA_prev", "dW", "db"}; linear_step(dZ, linear_cache): the same for the linear step
                 alone (it carries the typical wrong dZ through). None for a visible test's own (finite differences).
    """
    check_type(f"linear_activation_backward(dA, cache, {activation!r})", result, tuple, length=3,
               where="the return statement: return dA_prev, dW, db")
    dA_prev, dW, db = result
    linear_cache, Z = cache
    expected = _layer(dA, cache, activation) if expected is None else expected
    linear_step = linear_step or _linear_step
    suspects = suspects_through(lambda dZ: linear_step(dZ, linear_cache), activation_suspects(dA, Z, activation))
    where = where or f"linear_activation_backward: dZ = dA * {activation}'(Z), with Z from the layer's cache"
    check_gradients({"dW": dW, "db": db, "dA_prev": dA_prev}, expected, m=dA.shape[1],
                    suspects=suspects, where=where, rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL,
                    name="the layer's gradients")


def test_linear_activation_backward(linear_activation_backward, dA, cache, activation):
    """linear_activation_backward(dA, cache, activation), with a stand-in linear_backward that knows cache[0] only."""
    fake = linear_backward_stand_in([cache[0]])
    with replaced(linear_activation_backward, "linear_backward", fake, SIGNATURES):
        result = _run(linear_activation_backward, "linear_activation_backward", dA.copy(), _copied(cache), activation)
    check_linear_activation_backward(result, dA, cache, activation)


# ----------------------------------------------------------------------------
# Part 3: L_model_backward
# ----------------------------------------------------------------------------


def _output_suspects(AL, Y, ZL, output):
    """{description: wrong dZL} for the output layer."""
    if output == "sigmoid":
        return {
            "AL - Y was multiplied by sigmoid'(ZL) again: with cross-entropy, dZL = AL - Y already contains the "
            "sigmoid's derivative": (AL - Y) * sigmoid_derivative(ZL),
            "dAL = -(Y/AL - (1-Y)/(1-AL)) was used as dZL: it still has to go through sigmoid'(ZL)":
                -(Y / AL - (1 - Y) / (1 - AL)),
            "the output gradient has the wrong sign: dZL = AL - Y, not Y - AL": Y - AL,
        }
    return {
        "AL - Y was multiplied by AL (1 - AL), the diagonal of the softmax Jacobian: with cross-entropy, "
        "dZL = AL - Y exactly": (AL - Y) * AL * (1 - AL),
        "AL - Y was multiplied by sigmoid'(ZL): a softmax output has no elementwise g'; dZL = AL - Y":
            (AL - Y) * sigmoid_derivative(ZL),
        "the output gradient has the wrong sign: dZL = AL - Y, not Y - AL": Y - AL,
    }


def _dA_numbering_message(grads, expected, n_layers, rtol, atol):
    """The diagnosis for dA keys numbered one up (grads["dA{l+1}"] holding dJ/dA[l]), or None."""
    if type(grads) is not dict:
        return None

    def fits(key, reference):
        value = dict.get(grads, key)
        return type(value) is np.ndarray and value.shape == reference.shape

    if all(fits(f"dA{layer}", expected[f"dA{layer}"]) for layer in range(n_layers)):
        return None
    if not all(fits(f"dA{layer + 1}", expected[f"dA{layer}"]) for layer in range(n_layers)):
        return None
    right = all(_diagnose.values_close(np.array(grads[f"dA{layer + 1}"], dtype=float), expected[f"dA{layer}"],
                                       rtol, atol) for layer in range(n_layers))
    top = n_layers - 1
    return "\n".join([
        f"grads numbers the dA keys one up: grads['dA{n_layers}'] holds the gradient with respect to A[{top}] "
        f"(shape {expected[f'dA{top}'].shape}), ..., grads['dA1'] the one with respect to X = A[0]"
        + (" (the values are right; only the keys are off)." if right else "."),
        "Likely reason: in this course a gradient's key names what it differentiates: grads['dA{l}'] is dJ/dA[l], "
        "with the shape of A[l]. Layer l hands its dA_prev down as grads['dA{l-1}'], so the keys run from dA0 "
        f"(for the inputs X) to dA{top}, and there is no dA{n_layers}. (Some well-known notebooks number them one "
        "up; this course does not.)",
        "Look at: the lines of L_model_backward that store dA_prev: grads[f\"dA{l - 1}\"] = dA_prev."])


def check_L_model_backward(grads, AL, Y, caches, output, where_prefix="", network=None, walk=None):
    """Check L_model_backward's grads for a relu network (AL (n_L, m), Y, caches, output "sigmoid"/"softmax").

    network(caches, dZL): the grads of a backward pass started from the output gradient dZL;
    walk(caches, dZL, hidden): the same with g = `hidden` in the hidden layers (a typical mistake).
    None for a visible test's own networks (finite differences).
    """
    network, walk = network or _network, walk or _walk
    m = AL.shape[1]
    ZL = caches[-1][1]
    expected = network(caches, AL - Y)
    check_type("L_model_backward(...)", grads, dict, where="the return statement: return grads (a dict)")
    numbering = _dA_numbering_message(grads, expected, len(caches), NUMERICAL_RTOL, NUMERICAL_ATOL)
    if numbering:
        raise AssertionError(where_prefix + numbering)
    suspects = suspects_from(lambda dZL: network(caches, dZL),
                             {text: (value,) for text, value in _output_suspects(AL, Y, ZL, output).items()})
    if len(caches) > 1:
        suspects["the hidden layers were passed through the sigmoid's backward step: they are relu layers, so "
                 "each hidden layer l uses linear_activation_backward(dA[l], caches[l - 1], 'relu')"] = (
            walk(caches, AL - Y, "sigmoid"))
    where = {key: "L_model_backward: the output layer starts from dZL = AL - Y; then every relu layer l = L-1, ..., 1 "
                  "uses linear_activation_backward(dA[l], caches[l - 1], 'relu')" for key in expected}
    where.update({
        "dW1": "the layer loop of L_model_backward must run down to layer 1: range(L - 1, 0, -1) (or an equivalent)",
        "db1": "the layer loop of L_model_backward must run down to layer 1",
        "dA0": "the layer loop of L_model_backward must run down to layer 1, which hands down dA0"})
    where = {key: where_prefix + text for key, text in where.items()}
    check_gradients(grads, expected, m=m, suspects=suspects, where=where, convention="loss",
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)


def explain_walk_errors(call):
    """call(); an IndexError or KeyError, or a shape error, gets the hint about which cache each layer reads."""
    try:
        return call()
    except (IndexError, KeyError) as error:
        raise AssertionError(f"L_model_backward failed: {type(error).__name__}: {error}\n{WALK_HINT}").with_traceback(
            error.__traceback__) from None
    except AssertionError as error:
        if "shape error" not in str(error) or WALK_HINT in str(error):
            raise
        raise AssertionError(f"{error}\n{WALK_HINT}").with_traceback(error.__traceback__) from None


def test_L_model_backward(L_model_backward, AL, Y, caches, output):
    """L_model_backward(AL, Y, caches, output), with stand-ins for linear_backward and linear_activation_backward
    that know these caches only."""
    hint = f"\n{WALK_HINT}"
    fakes = {"linear_backward": linear_backward_stand_in([cache[0] for cache in caches], RULES["layer_caches"], hint),
             "linear_activation_backward": layer_backward_stand_in(caches, RULES["layer_caches"], hint)}
    with replaced_all(L_model_backward, fakes, SIGNATURES):
        grads = explain_walk_errors(
            lambda: _run(L_model_backward, "L_model_backward", AL.copy(), Y.copy(), _copied(caches), output))
    check_L_model_backward(grads, AL, Y, caches, output)


# ----------------------------------------------------------------------------
# Part 4: update_parameters
# ----------------------------------------------------------------------------


def update_mistakes(name):
    """The typical mistakes of update_parameters for the parameter `name`, in the order of _update_suspects' values."""
    return (
        "the gradient was added (+): gradient descent steps against it, W - learning_rate * dW",
        "the learning rate is missing: the step is the whole gradient",
        f"{name} was returned unchanged: update_parameters must return {name} - learning_rate * d{name} for every "
        "parameter (an update written to a local variable, or to a copy that is not returned, is lost)",
        f"the update lost {name} and the minus sign: the new {name} is {name} - learning_rate * d{name}, "
        f"not learning_rate * d{name}",
    )


def _update_suspects(name, params, grads, learning_rate):
    """{update_mistakes(name): wrong (before - after) / learning_rate} for one parameter of a visible test's
    update problem (others are refused: the last value is one step from the answer)."""
    _known_update("_update_suspects", params, grads)
    before, gradient = params[name], grads["d" + name]
    values = (-gradient, gradient / learning_rate, np.zeros_like(gradient),
              (before - learning_rate * gradient) / learning_rate)
    return dict(zip(update_mistakes(name), values))


def check_update_parameters(new, params, grads, learning_rate, where="update_parameters", suspects=None):
    """Check update_parameters' result `new` against params and grads: (old - new) / learning_rate = gradient.

    suspects(name, params, grads, learning_rate): {mistake: wrong (old - new) / learning_rate} for parameter
    `name`; None for a visible test's own problem (_update_suspects).
    """
    suspects = suspects or _update_suspects
    check_type("update_parameters(...)", new, dict, where="update_parameters returns the dict of new parameters")
    for name, before in params.items():
        if name not in new:
            raise AssertionError(f"{name} is missing from the returned parameters (they have: "
                                 f"{sorted(map(str, new))}).\nLook at: {where}: update every key of params.")
        after = check_type(name, new[name], np.ndarray, where=where)
        if after.shape != before.shape:
            raise AssertionError(f"the new {name} has shape {after.shape}, but {name} has shape {before.shape}.\n"
                                 f"Likely reason: {name} - learning_rate * d{name} keeps the shape of {name}; "
                                 f"check that d{name} comes from grads['d{name}'].\nLook at: {where}.")
        gradient = grads["d" + name]
        check_array(f"({name} - new {name}) / learning_rate", (before - after) / learning_rate, gradient, where=where,
                    suspects=suspects(name, params, grads, learning_rate))


def test_update_parameters(update_parameters, params, grads, learning_rate):
    """update_parameters(params, grads, learning_rate) on copies; the result is checked against the originals."""
    _known_update("test_update_parameters", params, grads)
    new = _run(update_parameters, "update_parameters", _copied(params), _copied(grads), learning_rate)
    check_update_parameters(new, params, grads, learning_rate)


# ----------------------------------------------------------------------------
# Part 5: train_network and digits_hyperparameters
# ----------------------------------------------------------------------------


def _check_batches(batches, m, batch_size, where):
    """Each step's columns: all m (full batch), or batch_size distinct ones, each used at most once per pass."""
    if batch_size is None or batch_size >= m:
        for step, columns in enumerate(batches):
            if sorted(columns) != list(range(m)):
                raise AssertionError(
                    f"step {step} used {len(columns)} examples ({len(set(columns))} different ones) with batch_size="
                    f"{batch_size}: without a batch_size every step uses all m = {m} examples.\nLook at: {where}.")
        return
    used = set()
    for step, columns in enumerate(batches):
        left = m - len(used)
        if used and len(columns) == left < batch_size and set(columns) == set(range(m)) - used:
            used = set()  # a last, smaller batch of the columns left ends the pass
            continue
        if left < batch_size:
            used = set()  # fewer than batch_size left: a new pass starts
        if len(columns) != batch_size or len(set(columns)) != len(columns):
            raise AssertionError(
                f"step {step} used {len(columns)} examples ({len(set(columns))} different ones); with "
                f"batch_size={batch_size} every step uses batch_size different examples (columns of X).\n"
                f"Look at: {where}: the slice of columns each step takes.")
        again = sorted(set(columns) & used)
        if again:
            raise AssertionError(
                f"step {step} used example {again[0]} again in the same pass through the data: a pass uses every "
                f"example at most once, in batches of batch_size = {batch_size} (a pass ends when fewer than "
                f"batch_size examples are left).\nLikely reason: the batches were drawn at random at every step; "
                f"shuffle once per pass and take consecutive slices.\nLook at: {where}.")
        used |= set(columns)
        if len(used) == m:
            used = set()


def _same_parameters(a, b):
    """True when the parameter dicts a and b hold arrays of the same shapes and (nearly) the same values."""
    return type(a) is dict and set(a) >= set(b) and all(
        type(a[key]) is np.ndarray and a[key].shape == value.shape
        and _diagnose.values_close(np.array(a[key], dtype=float), value, 1e-10, 1e-12) for key, value in b.items())


def _check_update_step(label, before, grads, after, learning_rate, update_parameters, where):
    """after must be update_parameters(before, grads, learning_rate) (yours) or before - learning_rate * grads."""
    try:
        yours = update_parameters(_copied(before), _copied(grads), learning_rate)
    except Exception:  # noqa: BLE001 - a broken update_parameters is judged by its own test
        yours = None
    if _same_parameters(yours, after):
        return
    for name, value in before.items():
        gradient = grads["d" + name]
        step = (value - after[name]) / learning_rate
        factor = float(np.vdot(step, gradient) / np.vdot(gradient, gradient)) if np.any(gradient) else 1.0
        suspects = {
            f"the parameters did not change at {label}: keep what update_parameters returns, "
            "params = update_parameters(params, grads, learning_rate)": np.zeros_like(gradient),
            f"the step used a learning rate of {factor * learning_rate:.4g}, not the learning_rate argument "
            f"{learning_rate:.4g}: pass train_network's learning_rate on to update_parameters": factor * gradient,
        }
        check_array(f"({name} - {name} after {label}) / learning_rate", step, gradient, suspects=suspects,
                    where=f"{where}: each step is update_parameters(params, grads, learning_rate) with the grads "
                          "L_model_backward returned for that step")


def _cost_list(costs, num_iterations):
    costs = list(np.ravel(costs)) if type(costs) is np.ndarray else costs
    return check_type("costs", costs, (list, tuple), length=num_iterations,
                      where="train_network records one cost per gradient step, in a list")


def check_training_run(result, steps, X, Y, layer_dims, learning_rate, num_iterations, seed, batch_size,
                       update_parameters, where="the loop of train_network"):
    """Check a run of train_network from what it returned and the L_model_backward calls it made.

    result: what train_network(X, Y, layer_dims, learning_rate, num_iterations, seed=seed,
            batch_size=batch_size) returned; X (n_x, m), Y (1, m) or (K, m).
    steps:  the calls of L_model_backward in order, each {"AL", "Y", "caches", "output", "grads"}
            (copies taken during the call; "grads" is what the call returned).
    Checked: the initial parameters are initialize_parameters(layer_dims, seed=seed); each step uses
    a batch of the data (all of it, or batch_size examples used at most once per pass) with the
    output layer that fits Y; costs[t] is the cost of step t's batch before its update; every step
    moves the parameters by update_parameters (yours) or by -learning_rate times the gradient.
    """
    output = "softmax" if Y.shape[0] > 1 else "sigmoid"
    check_type("train_network(...)", result, tuple, length=2, where="the return statement: return params, costs")
    params, costs = result
    costs = _cost_list(costs, num_iterations)
    if len(steps) != num_iterations:
        raise AssertionError(
            f"train_network called L_model_backward {len(steps)} times for num_iterations = {num_iterations}.\n"
            "Likely reason: every step runs model_forward, records the cost, calls L_model_backward once and "
            f"then update_parameters; the loop runs num_iterations times.\nLook at: {where}.")
    column_of = {X[:, i].tobytes(): i for i in range(X.shape[1])}
    batches = []
    for step in steps:
        caches = _layer_caches(step["caches"])
        if step["output"] != output:
            raise AssertionError(f"L_model_backward was called with output={step['output']!r} for a Y of "
                                 f"{Y.shape[0]} row(s): the output is \"softmax\" when Y has more than one row, else "
                                 f"\"sigmoid\".\nLook at: {where}.")
        batches.append(_batch_columns(np.asarray(caches[0][0][0]), step["Y"], X, Y, column_of))
    _check_batches(batches, X.shape[1], batch_size, where)
    check_type("params", params, dict, where="train_network returns (params, costs), params a dict")
    snapshots = [_params_of(step["caches"]) for step in steps] + [params]
    start = initialize_parameters(layer_dims, seed=seed)
    for name, value in start.items():
        if name not in snapshots[0]:
            raise AssertionError(
                f"the network of the first step has no {name}: train_network builds the network that layer_dims "
                f"{list(layer_dims)} describes.\nLook at: the first line of train_network: "
                "params = initialize_parameters(layer_dims, seed=seed).")
        suspects = {}
        if seed != 0:
            suspects["the parameters were initialised without seed=seed: initialize_parameters(layer_dims) always "
                     "uses seed 0"] = initialize_parameters(layer_dims)[name]
        check_array(f"{name} at the first step", snapshots[0].get(name), value, suspects=suspects,
                    where="train_network starts from initialize_parameters(layer_dims, seed=seed)")
    for t, step in enumerate(steps):
        X_batch = np.array(step["caches"][0][0][0], dtype=float)
        made, _ = model_forward(X_batch, snapshots[t], hidden="relu", output=output)
        if not np.allclose(step["AL"], made, rtol=1e-10, atol=1e-12):
            raise AssertionError(f"at step {t}, L_model_backward got an AL that is not model_forward's output for "
                                 f"that step's batch and parameters.\nRule: {RULES['batches']}.")
        suspects = {"the cost was recorded after the update: record J of the batch before updating":
                    compute_cost(model_forward(X_batch, _same_keys(snapshots[t + 1], start), hidden="relu",
                                               output=output)[0], step["Y"], output)}
        if batch_size is not None and X_batch.shape[1] < X.shape[1]:
            suspects["the cost of the whole data set was recorded: record J of the step's batch"] = compute_cost(
                model_forward(X, snapshots[t], hidden="relu", output=output)[0], Y, output)
        check_float(f"costs[{t}]", costs[t], compute_cost(made, step["Y"], output), rtol=1e-7, suspects=suspects,
                    where=f"{where}: costs[t] is compute_cost of step t's batch, before that step's update")
        _check_update_step(f"step {t}", snapshots[t], step["grads"], _same_keys(snapshots[t + 1], start),
                           learning_rate, update_parameters, where)
    mode = "full batch" if batch_size is None else f"batch_size={batch_size}"
    print(f"  train_network: {num_iterations} steps ({mode}): start, batches, costs and updates as specified")


def _same_keys(params, like):
    """params checked to hold every key of `like` as an array of the same shape (the trained parameters)."""
    for name, value in like.items():
        if name not in params:
            raise AssertionError(f"{name} is missing from the trained parameters (they have: "
                                 f"{sorted(map(str, params))}).")
        check_type(f"params[{name!r}]", params[name], np.ndarray)
        if params[name].shape != value.shape:
            raise AssertionError(f"params[{name!r}] has shape {params[name].shape}; layer_dims makes it {value.shape}.")
    return params


def test_train_network(train_network, update_parameters, X, Y, layer_dims, learning_rate, num_iterations, seed,
                       batch_size=None):
    """train_network(X, Y, layer_dims, learning_rate, num_iterations, seed=seed, batch_size=batch_size),
    with a stand-in L_model_backward that knows this X and Y only; the run is checked step by step."""
    output = "softmax" if Y.shape[0] > 1 else "sigmoid"
    fake = L_model_backward_stand_in(X, Y, output)
    with replaced(train_network, "L_model_backward", fake, SIGNATURES):
        try:
            result = _run(train_network, "train_network", X.copy(), Y.copy(), list(layer_dims), learning_rate,
                          num_iterations, seed=seed, batch_size=batch_size)
        except ValueError as error:
            raise _output_advice("train_network", error, output, Y.shape[0]) from None
    check_training_run(result, fake.steps, X, Y, layer_dims, learning_rate, num_iterations, seed, batch_size,
                       update_parameters)


def _digits_settings(digits_hyperparameters):
    settings = check_type("digits_hyperparameters()", _run(digits_hyperparameters, "digits_hyperparameters"), dict)
    allowed, required = {"layer_dims", "learning_rate", "num_iterations", "batch_size"}, {
        "layer_dims", "learning_rate", "num_iterations"}
    assert required <= set(settings) <= allowed, (
        f"digits_hyperparameters() returned the keys {sorted(map(str, settings))}; it needs {sorted(required)} "
        "and may add 'batch_size'")
    layer_dims = [int(n) for n in settings["layer_dims"]]
    assert len(layer_dims) >= 3 and layer_dims[0] == 64 and layer_dims[-1] == 10, (
        f"layer_dims {layer_dims} should start with 64 (the pixels), end with 10 (the classes) and have at least "
        "one hidden layer")
    return settings, layer_dims


#: test_digits warns above this many seconds for one training run: graded, the cell trains twice (seed 0 and the
#: hidden test's seed), perhaps on a slower machine, within the grader's per-cell limit (120 s in this course).
SLOW_TRAINING_SECONDS = 20


def test_digits(train_network, digits_hyperparameters, seed=0, min_accuracy=0.95, label=""):
    """Train on the digits with train_network(X_train, Y_train, seed=seed, **digits_hyperparameters());
    fail unless at least `min_accuracy` of the 450 test images are classified right. Returns the accuracy."""
    settings, layer_dims = _digits_settings(digits_hyperparameters)
    X_train, Y_train, X_test, Y_test = load_digits()
    start = time.perf_counter()
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = _run(train_network, "train_network", X_train, Y_train, seed=seed, **settings)
    except (ValueError, FloatingPointError) as error:
        if "NaN" not in str(error) and "inf" not in str(error):
            raise
        raise AssertionError(
            f"the training diverged: {error}\n"
            "Likely reason: the parameters grew without bound. Make test_update_parameters pass (a step must go "
            "against the gradient), check the 1/m in dW and db, then try a smaller learning_rate.") from None
    seconds = time.perf_counter() - start
    check_type("train_network(...)", result, tuple, length=2, where="the return statement: return params, costs")
    params, costs = result
    costs = _cost_list(costs, int(settings["num_iterations"]))
    _same_keys(check_type("params", params, dict), initialize_parameters(layer_dims))
    try:
        AL, _ = model_forward(X_test, params, hidden="relu", output="softmax")
    except ValueError as error:
        raise AssertionError(f"the trained parameters cannot classify the test images: {error}\n"
                             "Likely reason: they hold NaN or inf (the training diverged); the tests of parts 1-5 "
                             "say where.") from None
    accuracy = float(np.mean(AL.argmax(axis=0) == Y_test.argmax(axis=0)))
    print(f"{label}seed {seed}: {len(costs)} steps in {seconds:.1f} s; cost {float(costs[0]):.3f} -> "
          f"{float(np.mean(costs[-10:])):.4f}; test accuracy {accuracy:.1%}")
    if seconds > SLOW_TRAINING_SECONDS:
        print(f"Warning: training took more than {SLOW_TRAINING_SECONDS:g} s. When graded, this cell trains twice, perhaps on a slower "
              "machine, and a cell that outruns the grader's time limit is stopped and scores 0: use fewer "
              "iterations or a smaller network.")
    assert accuracy >= min_accuracy, (
        f"{label}test accuracy {accuracy:.1%} with seed {seed} is below {min_accuracy:.0%}. If the tests of parts 1-4 "
        "pass, tune digits_hyperparameters(): a smaller learning rate if the cost jumps around or grows, more "
        "iterations if it is still falling, mini-batches to take more steps per second; the training must work "
        "for any seed, not only seed 0.")
    return accuracy


# ----------------------------------------------------------------------------
# Part 6: gradient_check
# ----------------------------------------------------------------------------


def _cost_gradients(params, X, Y, output):
    """{"dW1": ..., "db1": ...}: finite differences of J = compute_cost(model_forward(X, params)) (the right grads).

    For a visible test's network problem only (NETWORK_PROBLEMS); others are refused.
    """
    _known("_cost_gradients", {"params": params, "X": X, "Y": Y, "output": output},
           [{"params": p, "X": X_, "Y": Y_, "output": out} for p, X_, Y_, out, _ in _registered()["network"]])

    def cost(p):
        return compute_cost(model_forward(X, p, hidden="relu", output=output)[0], Y, output)

    return {"d" + name: value for name, value in numerical_gradients(cost, _copied(params)).items()}


def slightly_wrong(grads, seed=0, spread=0.2):
    """grads with every entry scaled by a random factor in [1 - spread, 1 + spread]: wrong by a different
    amount along each direction."""
    rng = np.random.default_rng(seed)
    return {name: value * (1.0 + spread * rng.uniform(-1.0, 1.0, np.shape(value))) for name, value in grads.items()}


def _output_advice(function, error, output, rows):
    """AssertionError for a ValueError from utils inside `function`: most often the wrong output layer."""
    return AssertionError(
        f"{function} raised ValueError: {error}\nLikely reason: a function of utils refused its input. "
        f"The output layer here is {output!r} (Y has {rows} row{'s' if rows != 1 else ''}); model_forward, "
        f"compute_cost and L_model_backward must all get that same output, never a fixed one.\n"
        f"Look at: the calls in {function} that take output.").with_traceback(error.__traceback__)


def _error_of(gradient_check, what, params, X, Y, output, **kwargs):
    """gradient_check(params, X, Y, output, **kwargs), checked to be a float."""
    try:
        value = _run(gradient_check, "gradient_check", params, X, Y, output, **kwargs)
    except ValueError as error:
        raise _output_advice("gradient_check", error, output, Y.shape[0]) from None
    return check_type(what, value, float, where="gradient_check returns the relative error, a float")


def check_gradient_check(gradient_check, params, X, Y, output, where="gradient_check", numeric=None):
    """Hand gradient_check a right backward pass and wrong ones; the errors it returns must say which is which.

    numeric: the right {"dW1", "db1", ...} (finite differences of J); None for a visible test's own problem.
    Returns (the full check's error for the backward pass whose db are m times too big, those grads,
    the right grads), for the hidden tests' exact comparisons.
    """
    before = _copied(params)
    numeric = _cost_gradients(params, X, Y, output) if numeric is None else numeric
    m = X.shape[1]
    wrong_db = dict(numeric, **{name: m * value for name, value in numeric.items() if name.startswith("db")})
    flipped = {name: -value for name, value in numeric.items()}
    for method, threshold in (("full", 1e-7), ("directional", 1e-5)):
        # A directional check compares one number per direction; when that number happens to be near 0, rounding
        # makes its relative error large even for a right gradient. So it gets three seeds and the best counts.
        errors = [_error_of(gradient_check, f"gradient_check(..., method={method!r}, seed={seed})", params, X, Y,
                            output, method=method, backward=fixed_backward(numeric), seed=seed)
                  for seed in ((0,) if method == "full" else (0, 1, 2))]
        assert min(errors) < threshold, (
            f"with a backward pass that is right, gradient_check(method={method!r}) returned {min(errors):.2e}; "
            f"expected {'about 1e-9' if method == 'full' else 'at most 1e-5'}.\nLook at: {where}: J must be "
            "compute_cost of model_forward(X, params, hidden='relu', output=output), and the relative error compares "
            "analytic with numerical values")
        error = _error_of(gradient_check, "gradient_check(...)", params, X, Y, output, method=method,
                          backward=fixed_backward(flipped))
        check_float(f"gradient_check(..., method={method!r}) of a backward pass with every sign flipped", error, 1.0,
                    rtol=1e-3,
                    where=f"{where}: the relative error of the analytic gradients against the numerical ones")
    error = _error_of(gradient_check, "gradient_check(...)", params, X, Y, output, method="full",
                      backward=fixed_backward(wrong_db))
    if error < 1e-3:
        raise AssertionError(
            f"a backward pass whose db are all m times too big passed your full check (relative error {error:.1e}).\n"
            "Likely reason: the db gradients were left out of the check; a full check compares every dW AND every "
            f"db.\nLook at: {where}.")
    # Gradients 1% off: along one random direction the error is a small number that changes with the direction.
    # (It is exactly 1 only when the two directional derivatives differ in sign, about 1 direction in 300: four
    # seeds all giving 1 is out of reach.)
    noisy = slightly_wrong(numeric, spread=0.01)
    seeded = [_error_of(gradient_check, "gradient_check(...)", params, X, Y, output, method="directional",
                        backward=fixed_backward(noisy), n_directions=1, seed=seed) for seed in (0, 1, 2, 3)]
    if len(set(seeded)) == 1:
        raise AssertionError(
            f"gradient_check(method='directional', n_directions=1) gave the same error, {seeded[0]:.6g}, for seeds "
            "0, 1, 2 and 3 with a slightly wrong backward pass: the seed chooses the random direction, so the errors "
            "differ.\n"
            "Likely reason: seed is not passed on; call directional_check(..., n_directions=n_directions, "
            f"seed=seed).\nLook at: {where}.")
    for name, value in before.items():
        assert np.array_equal(params[name], value), (
            f"gradient_check changed params[{name!r}]: the checks must restore what they nudge")
    return error, wrong_db, numeric


def test_gradient_check(gradient_check, params, X, Y, output):
    """gradient_check with backward passes that are right, sign-flipped and wrong in db (full and directional)."""
    check_gradient_check(gradient_check, params, X, Y, output)


def test_gradient_check_own_network(gradient_check, params, X, Y, output, label):
    """gradient_check of your own L_model_backward (backward=None): full below 1e-7, directional below 1e-5."""
    for method, threshold in (("full", 1e-7), ("directional", 1e-5)):
        # the best of three seeds for the directional check (one direction can give a near-zero derivative)
        error = min(_error_of(gradient_check, f"gradient_check(..., method={method!r})", params, X, Y, output,
                              method=method, seed=seed) for seed in ((0,) if method == "full" else (0, 1, 2)))
        print(f"{label}, {method} check of your L_model_backward: relative error {error:.2e}")
        assert error < threshold, (
            f"the {method} check of your own L_model_backward ({label}) gives {error:.2e}, above {threshold:g}: "
            "your backward pass disagrees with finite differences (the tests of parts 1-3 say where), "
            "or gradient_check is wrong (see test_gradient_check).")
