"""Unit 6, backprop through time: what the visible test cells of `06_backprop_through_time` check.

A visible test cell builds its inputs with a problem function and hands the
student's function to one `test_...` function:

    from utils.testing import unit6

    da_next, cache = unit6.cell_problem(seed=601, n_x=3, n_a=5, m=7)
    unit6.test_rnn_cell_backward(rnn_cell_backward, da_next, cache)

Expected values come from finite differences of the forward pass in
`utils.rnn` (never from a backward formula). The typical mistakes
(suspects) are the same finite differences fed with what a mistake would
feed them: a wrong tanh', the state a<t> where a<t-1> belongs, a walk through
time in the wrong order, one step's gradient where the sum over the steps
belongs. While `test_rnn_backward` runs, the student's `rnn_cell_backward`
is replaced (utils.testing._common.replaced) by a stand-in that answers for
this test's own caches only, so a mistake in the cell is charged to the
cell's test alone. The clipping checks test properties (one common factor,
the norm reached, entries within the bound untouched) and never build the
clipped gradient themselves. The graders' hidden tests (instructor-only)
call the `check_...` functions below with fresh inputs.

Notation (the README's): x<t> is (n_x, m), X (n_x, m, T_x); a<t> is (n_a, m),
A (n_a, m, T_x); Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a),
by (n_y, 1). A cell cache is (a_next, a_prev, xt, params), caches[t - 1] is
step t's. The parameter gradients carry the 1/m of J = (1/m) sum_i sum_t L<t>(i);
da, dx, dX and da0 hold per-example derivatives (no 1/m).

Public API
----------
SIGNATURES                                       the assignment's def lines, {name: "(parameters)"}
cell_problem(seed, n_x, n_a, m)                  (da_next (n_a, m), cache) of one step
sequence_problem(seed, n_x, n_a, m, T_x)         (da (n_a, m, T_x), caches) of a whole sequence
output_problem(seed, n_a, n_y, m, T_x, output)   (Y_hat, Y, A, params) of the output layer
network_problem(seed, n_x, n_a, n_y, m, T_x, output)   (X, Y, a0, params) of a whole network
clipping_problem(seed, n_x, n_a, n_y, scale)     gradients {"dWax", "dWaa", "dba", "dWya", "dby"}
test_rnn_cell_backward, test_rnn_backward, test_rnn_output_backward, test_clip_by_value,
test_clip_by_global_norm, test_rnn_together       run the student's function(s) and check the result
check_rnn_cell_backward, check_rnn_backward, check_rnn_output_backward, check_clip_by_value,
check_clip_by_global_norm, check_rnn_together      the checks alone, for a result obtained elsewhere
cell_backward_stand_in(caches)                   the stand-in test_rnn_backward puts in place of rnn_cell_backward
"""

import copy

import numpy as np

from utils import _diagnose
from utils.checks import NUMERICAL_ATOL, NUMERICAL_RTOL, check_gradients, check_type, run_student
from utils.gradcheck import DEFAULT_STEP, numerical_gradient, numerical_gradients
from utils.rnn import initialize_rnn_parameters, rnn_cell_forward, rnn_cost, rnn_forward, rnn_losses, rnn_output_forward
from utils.testing._common import replaced, stand_in

__all__ = [
    "CELL_KEYS",
    "OUTPUT_KEYS",
    "SEQUENCE_KEYS",
    "SIGNATURES",
    "cell_backward_stand_in",
    "cell_problem",
    "check_clip_by_global_norm",
    "check_clip_by_value",
    "check_rnn_backward",
    "check_rnn_cell_backward",
    "check_rnn_output_backward",
    "check_rnn_together",
    "clipping_problem",
    "network_problem",
    "output_problem",
    "sequence_problem",
    "test_clip_by_global_norm",
    "test_clip_by_value",
    "test_rnn_backward",
    "test_rnn_cell_backward",
    "test_rnn_output_backward",
    "test_rnn_together",
]

#: The assignment's def lines (the course's test suite compares them with the instructor's solutions).
SIGNATURES = {
    "rnn_cell_backward": "(da_next, cache)",
    "rnn_backward": "(da, caches)",
    "rnn_output_backward": "(Y_hat, Y, A, Wya)",
    "clip_by_value": "(gradients, max_value)",
    "clip_by_global_norm": "(gradients, max_norm)",
}

#: The keys of each function's result, in the order the checks report them.
CELL_KEYS = ("dWax", "dWaa", "dba", "dx", "da_prev")
SEQUENCE_KEYS = ("dWax", "dWaa", "dba", "dX", "da0")
OUTPUT_KEYS = ("dWya", "dby", "da")
PARAMETER_KEYS = ("Wax", "Waa", "ba", "Wya", "by")

#: The rules the stand-ins and checks rely on; the assignment states each one where the student reads.
RULES = {
    "step_caches": "call rnn_cell_backward with each step's own cache, caches[t], unchanged",
    "unchanged": "do not change the arrays you are given (the caches, da, the gradients): compute new ones",
}

#: Tolerances of the clipping checks (the results are exact up to rounding).
CLIP_RTOL = 1e-9


# ----------------------------------------------------------------------------
# Problems: the inputs of the tests
# ----------------------------------------------------------------------------


def _parameters(rng, n_x, n_a, n_y):
    """Xavier weights (utils.rnn.initialize_rnn_parameters) and non-zero biases, so db is not checked trivially."""
    params = initialize_rnn_parameters(n_x, n_a, n_y, seed=int(rng.integers(2**31)))
    params["ba"] = rng.uniform(-0.5, 0.5, (n_a, 1))
    params["by"] = rng.uniform(-0.5, 0.5, (n_y, 1))
    return params


def cell_problem(seed, n_x, n_a, m):
    """(da_next, cache) for one step a<t> = tanh(Waa a<t-1> + Wax x<t> + ba).

    da_next: (n_a, m) standard normal, the gradient reaching a<t>.
    cache:   (a_next (n_a, m), a_prev (n_a, m), xt (n_x, m), params), as utils.rnn.rnn_cell_forward makes it;
             params holds Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1) and an output layer Wya (2, n_a), by (2, 1).
    """
    rng = np.random.default_rng(seed)
    params = _parameters(rng, n_x, n_a, 2)
    xt, a_prev = rng.standard_normal((n_x, m)), rng.uniform(-0.9, 0.9, (n_a, m))
    _, cache = rnn_cell_forward(xt, a_prev, params)
    return rng.standard_normal((n_a, m)), cache


def network_problem(seed, n_x, n_a, n_y, m, T_x, output="softmax"):
    """(X, Y, a0, params) of a recurrent network.

    X (n_x, m, T_x) standard normal; a0 (n_a, m) in (-0.9, 0.9); params with Xavier weights and
    non-zero biases; Y (n_y, m, T_x) one-hot (softmax) or 0/1 labels (sigmoid, n_y = 1).
    """
    rng = np.random.default_rng(seed)
    params = _parameters(rng, n_x, n_a, n_y)
    X, a0 = rng.standard_normal((n_x, m, T_x)), rng.uniform(-0.9, 0.9, (n_a, m))
    if output == "sigmoid":
        Y = (rng.random((n_y, m, T_x)) < 0.5).astype(float)
    else:
        Y = np.eye(n_y)[:, rng.integers(0, n_y, (m, T_x))]
    return X, Y, a0, params


def sequence_problem(seed, n_x, n_a, m, T_x):
    """(da, caches) for the walk back through a sequence of T_x steps.

    da:     (n_a, m, T_x) standard normal: what the outputs send back to each a<t>.
    caches: the T_x cell caches of utils.rnn.rnn_forward on a random network.
    """
    X, _, a0, params = network_problem(seed, n_x, n_a, 2, m, T_x)
    _, _, caches = rnn_forward(X, a0, params)
    return np.random.default_rng(seed + 1).standard_normal((n_a, m, T_x)), caches


def output_problem(seed, n_a, n_y, m, T_x, output="softmax"):
    """(Y_hat, Y, A, params) for the output layer y^<t> = softmax(Wya a<t> + by) (or sigmoid, n_y = 1).

    A (n_a, m, T_x) in (-0.95, 0.95), like tanh states; Y_hat = utils.rnn.rnn_output_forward(A, params, output);
    Y one-hot (softmax) or 0/1 (sigmoid); params holds Wya (n_y, n_a) and by (n_y, 1) (and the cell's parameters).
    """
    rng = np.random.default_rng(seed)
    params = _parameters(rng, 2, n_a, n_y)
    A = rng.uniform(-0.95, 0.95, (n_a, m, T_x))
    if output == "sigmoid":
        Y = (rng.random((n_y, m, T_x)) < 0.5).astype(float)
    else:
        Y = np.eye(n_y)[:, rng.integers(0, n_y, (m, T_x))]
    return rnn_output_forward(A, params, output), Y, A, params


def clipping_problem(seed, n_x, n_a, n_y, scale):
    """Gradients {"dWax", "dWaa", "dba", "dWya", "dby"} of an RNN's shapes, standard normal times `scale`.

    The tensors get different sizes of entries (dWaa the largest, dby the smallest), so that clipping
    each tensor by its own norm and clipping by the global norm give different results.
    """
    rng = np.random.default_rng(seed)
    shapes = {"dWax": (n_a, n_x), "dWaa": (n_a, n_a), "dba": (n_a, 1), "dWya": (n_y, n_a), "dby": (n_y, 1)}
    spread = {"dWax": 1.0, "dWaa": 3.0, "dba": 0.5, "dWya": 1.5, "dby": 0.2}
    return {key: scale * spread[key] * rng.standard_normal(shape) for key, shape in shapes.items()}


# ----------------------------------------------------------------------------
# Expected values, by finite differences of the forward pass
# ----------------------------------------------------------------------------


def _jacobian(function, x, step=DEFAULT_STEP):
    """d function(x) / dx as a (function(x).size, x.size) matrix, by centred differences; x nudged in place, restored."""
    columns = []
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + step
            up, x_up = np.array(function(x), dtype=float).ravel(), x[index]
            x[index] = original - step
            down, x_down = np.array(function(x), dtype=float).ravel(), x[index]
        finally:
            x[index] = original
        columns.append((up - down) / (x_up - x_down))
    return np.stack(columns, axis=1)


def _pre_activation(xt, a_prev, params):
    """z<t> = Waa a<t-1> + Wax x<t> + ba: the forward linear step of the cell."""
    return params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"]


def _cell_inputs(cache):
    """{result key: the array it differentiates} for one cell's cache, as float64 copies."""
    _, a_prev, xt, params = cache
    return {"dWax": np.array(params["Wax"], dtype=float), "dWaa": np.array(params["Waa"], dtype=float),
            "dba": np.array(params["ba"], dtype=float), "dx": np.array(xt, dtype=float),
            "da_prev": np.array(a_prev, dtype=float)}


def _jacobians(step_function, cache):
    """{result key: Jacobian of step_function(xt, a_prev, params) with respect to that input}, by finite differences."""
    inputs = _cell_inputs(cache)
    params = {key: np.array(value, dtype=float) for key, value in cache[3].items()}

    def nudged(key):
        def function(value):
            if key == "dx":
                return step_function(value, inputs["da_prev"], params)
            if key == "da_prev":
                return step_function(inputs["dx"], value, params)
            return step_function(inputs["dx"], inputs["da_prev"], dict(params, **{key[1:]: value}))
        return function

    return {key: _jacobian(nudged(key), inputs[key]) for key in CELL_KEYS}


def _contracted(jacobians, upstream, cache):
    """The five cell gradients for the upstream gradient (n_a, m): J^T upstream, the parameters' divided by m."""
    inputs = _cell_inputs(cache)
    m = inputs["dx"].shape[1]
    flat = np.asarray(upstream, dtype=float).ravel()
    result = {}
    for key in CELL_KEYS:
        gradient = (flat @ jacobians[key]).reshape(inputs[key].shape)
        result[key] = gradient / m if key.startswith(("dW", "db")) else gradient
    return result


def _cell_oracle(cache):
    """A function upstream -> the five gradients of one cell (tanh included), from its finite-difference Jacobians."""
    jacobians = _jacobians(lambda xt, a_prev, params: rnn_cell_forward(xt, a_prev, params)[0], cache)
    return lambda upstream: _contracted(jacobians, upstream, cache)


def _linear_oracle(cache):
    """A function dz -> the gradients of the cell's linear step z<t> = Waa a<t-1> + Wax x<t> + ba alone."""
    jacobians = _jacobians(_pre_activation, cache)
    return lambda dz: _contracted(jacobians, dz, cache)


# ----------------------------------------------------------------------------
# Part 1: one cell
# ----------------------------------------------------------------------------


def _cell_suspects(da_next, cache):
    """{description: {key: value}}: what the typical mistakes of rnn_cell_backward return."""
    a_next, a_prev, xt, params = (np.array(item, dtype=float) if i < 3 else item for i, item in enumerate(cache))
    z = _pre_activation(xt, a_prev, params)
    linear = _linear_oracle(cache)
    wrong_dz = {
        "tanh' was computed from the pre-activation as 1 - z**2; the derivative is 1 - tanh(z)**2, which is "
        "1 - a_next**2 with a_next = a<t> from the cache": da_next * (1.0 - z * z),
        "tanh' was evaluated at a<t>: tanh_derivative(a_next) computes 1 - tanh(a_next)**2, one tanh too many. "
        "a_next already is tanh(z), so tanh'(z) = 1 - a_next**2": da_next * (1.0 - np.tanh(a_next) ** 2),
        "tanh' is missing: da_next was used as dz; dz = da_next * (1 - a_next**2)": da_next,
        "tanh itself (a_next) was used where its derivative 1 - a_next**2 belongs": da_next * a_next,
        "the square is missing: 1 - a_next was used where tanh'(z) = 1 - a_next**2 belongs": da_next * (1.0 - a_next),
    }
    suspects = {description: linear(dz) for description, dz in wrong_dz.items()}
    right_dz = da_next * (1.0 - a_next * a_next)
    shifted = _linear_oracle((a_next, a_next, xt, params))(right_dz)
    suspects["dWaa used a<t> (a_next) where the state that came in, a<t-1> (a_prev), belongs"] = {"dWaa": shifted["dWaa"]}
    transposed = _linear_oracle((a_next, a_prev, xt, dict(params, Waa=np.array(params["Waa"], dtype=float).T)))(right_dz)
    suspects["Waa was not transposed: da_prev = Waa.T @ dz (Waa is square, so the shape cannot tell)"] = {
        "da_prev": transposed["da_prev"]}
    right = linear(right_dz)
    suspects["dWaa is transposed: dz @ a_prev.T, not a_prev @ dz.T (Waa is square, so the shape cannot tell)"] = {
        "dWaa": right["dWaa"].T}
    return suspects


CELL_WHERE = {
    "dWax": "the line computing dWax in rnn_cell_backward: (1/m) dz x<t>^T",
    "dWaa": "the line computing dWaa in rnn_cell_backward: (1/m) dz a<t-1>^T, with the state that came in",
    "dba": "the line computing dba in rnn_cell_backward: (1/m) times dz summed over the examples (axis=1, keepdims=True)",
    "dx": "the line computing dx in rnn_cell_backward: Wax^T dz, per example (no 1/m)",
    "da_prev": "the line computing da_prev in rnn_cell_backward: Waa^T dz, per example (no 1/m)",
}


def _require_keys(label, result, keys, where):
    """check_type(dict) and every key present (a message naming the missing ones)."""
    check_type(label, result, dict, where=where)
    missing = [key for key in keys if key not in dict.keys(result)]
    if missing:
        raise AssertionError(
            f"{label} has no key {', '.join(repr(key) for key in missing)} (it has: "
            f"{', '.join(repr(key) for key in result) or 'nothing'}).\n"
            f"Likely reason: the result is a dict with exactly the keys {', '.join(repr(key) for key in keys)}.\n"
            f"Look at: {where}.")


def check_rnn_cell_backward(result, da_next, cache, where=None):
    """Check rnn_cell_backward's result for (da_next, cache) against finite differences of utils.rnn.rnn_cell_forward.

    result: the student's dict {"da_prev", "dx", "dWax", "dWaa", "dba"}.
    where:  a prefix for the "Look at" hints (e.g. the hidden test's sizes), or None.
    Raises AssertionError naming the first wrong tensor and the likely mistake.
    """
    _require_keys("rnn_cell_backward's result", result, ("da_prev", "dx", "dWax", "dWaa", "dba"),
                  "the return statement of rnn_cell_backward")
    da_next = np.array(da_next, dtype=float)
    m = da_next.shape[1]
    expected = _cell_oracle(cache)(da_next)
    check_gradients(result, expected, m=m, suspects=_cell_suspects(da_next, cache), where=_where(CELL_WHERE, where),
                    convention="loss", rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, name="rnn_cell_backward's result")


def _where(hints, prefix):
    return {key: f"{prefix}: {text}" if prefix else text for key, text in hints.items()}


def _snapshot(value):
    return copy.deepcopy(value)


def _require_unchanged(name, label, before, after):
    """AssertionError if the student's function changed an input the test gave it."""
    if not _same(before, after):
        raise AssertionError(
            f"{name} changed {label}, which the test gave it.\nLikely reason: an in-place operation (`*=`, `+=`, "
            "`x[...] = ...`, `np.clip(..., out=...)`) on an array you were given; other steps (and the caller) "
            f"still need it.\nRule: {RULES['unchanged']}.")


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(_same(a[key], b[key]) for key in a)
    return a is b or a == b


def test_rnn_cell_backward(rnn_cell_backward, da_next, cache, run=run_student, where=None):
    """Run the student's rnn_cell_backward(da_next, cache) and check it (and that its inputs are left alone).

    run:   how to call the student's function, run(function, *args, name=...) (the hidden tests pass one that
           also forbids oracles); where: a prefix for the hints, e.g. the hidden test's sizes.
    """
    before = _snapshot((da_next, cache))
    result = run(rnn_cell_backward, da_next, cache, name="rnn_cell_backward")
    _require_unchanged("rnn_cell_backward", "da_next or the cache", before, (da_next, cache))
    check_rnn_cell_backward(result, before[0], before[1], where=where)


# ----------------------------------------------------------------------------
# Part 2: the whole sequence
# ----------------------------------------------------------------------------


def _sequence_oracle(caches, da):
    """Expected {"dWax", "dWaa", "dba", "dX", "da0"}: finite differences of sum_t <da<t>, a<t>> over the whole sequence.

    (caches first: in the order of rnn_backward's parameters this would be a drop-in answer.)
    """
    X = np.stack([np.array(cache[2], dtype=float) for cache in caches], axis=-1)
    a0 = np.array(caches[0][1], dtype=float)
    params = {key: np.array(value, dtype=float) for key, value in caches[0][3].items()}
    m = X.shape[1]

    def contracted(X_=X, a0_=a0, params_=params):
        return float(np.sum(da * rnn_forward(X_, a0_, params_)[0]))

    cell = {key: params[key] for key in ("Wax", "Waa", "ba")}
    numeric = numerical_gradients(lambda p: contracted(params_=dict(params, **p)), cell)
    return {"dWax": numeric["Wax"] / m, "dWaa": numeric["Waa"] / m, "dba": numeric["ba"] / m,
            "dX": numerical_gradient(lambda value: contracted(X_=value), X.copy()),
            "da0": numerical_gradient(lambda value: contracted(a0_=value), a0.copy())}


def _simulated_walk(da, cells, order="back", carry="add", shared="sum", first=0, reversed_caches=False):
    """What a walk through time returns when each step's cell backward is right but the walk is not.

    cells:  one function per step, upstream -> that cell's five gradients (finite differences).
    order:  "back" (t = T_x .. 1) or "forward" (t = 1 .. T_x, the carried gradient handed to t + 1).
    carry:  "add" (da<t> + carried), "drop" (da<t> only) or "replace" (da<t> at the first step handled, the carried one after).
    shared: "sum" over the steps, "last" (the last step the loop handled) or "final" (step T_x only).
    first:  the first python index the loop reaches (1 for a loop that stops before step 1).
    reversed_caches: step t reads the cache of step T_x + 1 - t.
    """
    n_a, m, T_x = da.shape
    steps = list(range(T_x - 1, first - 1, -1)) if order == "back" else list(range(first, T_x))
    shapes = {key: value.shape for key, value in cells[0](np.zeros((n_a, m))).items()}
    walk = {"dWax": np.zeros(shapes["dWax"]), "dWaa": np.zeros(shapes["dWaa"]), "dba": np.zeros(shapes["dba"]),
            "dX": np.zeros(shapes["dx"] + (T_x,))}
    carried = np.zeros((n_a, m))
    for count, t in enumerate(steps):
        upstream = {"add": da[:, :, t] + carried, "drop": da[:, :, t],
                    "replace": da[:, :, t] if count == 0 else carried}[carry]
        step = cells[T_x - 1 - t if reversed_caches else t](upstream)
        for key in ("dWax", "dWaa", "dba"):
            if shared == "sum":
                walk[key] = walk[key] + step[key]
            elif shared == "last" or (shared == "final" and t == T_x - 1):
                walk[key] = step[key]
        walk["dX"][:, :, t] = step["dx"]
        carried = step["da_prev"]
    walk["da0"] = carried
    return walk


def _sequence_suspects(da, caches, expected):
    """{description: {key: value}}: what the typical mistakes of rnn_backward return."""
    cells = [_cell_oracle(cache) for cache in caches]
    m, T_x = da.shape[1], da.shape[2]
    walks = {
        "the shared parameters' gradients were taken from one step only (the last one the loop handled, step 1): "
        "Wax, Waa and ba are used at every step, so their gradients sum over all T_x steps (+=)":
            _simulated_walk(da, cells, shared="last"),
        "the shared parameters' gradients were taken from the last time step only: Wax, Waa and ba are used at "
        "every step, so their gradients sum over all T_x steps (+=)": _simulated_walk(da, cells, shared="final"),
        "the hidden-state gradient was not carried back in time: each step used only its own da[:, :, t]; "
        "add the da_prev that step t + 1 handed back (da_next = da[:, :, t] + da_prev)": _simulated_walk(da, cells, carry="drop"),
        "the carried gradient replaced the outputs' gradient instead of being added to it: only the last step used "
        "da[:, :, t]; every step needs da_next = da[:, :, t] + da_prev": _simulated_walk(da, cells, carry="replace"),
        "time was walked forwards (t = 1, 2, ..., T_x): the gradient at a<t> needs step t + 1's, so the loop must "
        "run from the last step to the first (reversed(range(T_x)))": _simulated_walk(da, cells, order="forward"),
        "the loop stopped before the first time step (range(T_x - 1, 0, -1) skips python index 0): dx<1> is missing, "
        "the shared gradients lack step 1's part and da0 is the gradient of a<1>": _simulated_walk(da, cells, first=1),
        "the steps read each other's caches (step t got the cache of step T_x + 1 - t): the loop index t walks back "
        "in time, and step t's cache is caches[t]": _simulated_walk(da, cells, reversed_caches=True),
    }
    suspects = {description: walk for description, walk in walks.items()}
    suspects["the 1/m was applied twice: the cell's dWax, dWaa and dba already carry it, so rnn_backward only adds "
             "them up"] = {key: expected[key] / m for key in ("dWax", "dWaa", "dba")}
    if T_x > 1:
        suspects["the sums over time were divided by T_x: J sums the losses over the steps (it averages over the "
                 "examples only)"] = {key: expected[key] / T_x for key in ("dWax", "dWaa", "dba", "dX", "da0")}
        for shift, late in ((1, "late"), (-1, "early")):
            suspects[f"step t's dx was stored one slot {late} in dX (off by one): dX[:, :, t] holds the dx of the "
                     "cell whose cache is caches[t]"] = {"dX": np.roll(expected["dX"], shift, axis=2)}
    return suspects


SEQUENCE_WHERE = {
    "dWax": ("the loop of rnn_backward, which runs from the last step to the first: each step hands "
            "da[:, :, t] + da_prev (the da_prev that step t + 1 returned; zeros at the last step) to rnn_cell_backward, and dWax adds up that step's dWax"),
    "dWaa": ("the loop of rnn_backward, which runs from the last step to the first: each step hands "
            "da[:, :, t] + da_prev (the da_prev that step t + 1 returned; zeros at the last step) to rnn_cell_backward, and dWaa adds up that step's dWaa"),
    "dba": ("the loop of rnn_backward, which runs from the last step to the first: each step hands "
            "da[:, :, t] + da_prev (the da_prev that step t + 1 returned; zeros at the last step) to rnn_cell_backward, and dba adds up that step's dba"),
    "dX": "the loop of rnn_backward: dX[:, :, t] is the dx of the step whose cache is caches[t]",
    "da0": "the end of rnn_backward: da0 is the da_prev of the first step (t = 0), handed back last",
}


def check_rnn_backward(result, da, caches, where=None):
    """Check rnn_backward's result for (da, caches) against finite differences of utils.rnn.rnn_forward.

    result: the student's dict {"dX", "da0", "dWax", "dWaa", "dba"}.
    The expected values are the gradients of sum_t <da<t>, a<t>> (parameters divided by m).
    """
    _require_keys("rnn_backward's result", result, ("dX", "da0", "dWax", "dWaa", "dba"),
                  "the return statement of rnn_backward")
    da = np.array(da, dtype=float)
    expected = _sequence_oracle(caches, da)
    check_gradients(result, expected, m=da.shape[1], suspects=_sequence_suspects(da, caches, expected),
                    where=_where(SEQUENCE_WHERE, where), convention="loss", rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL,
                    name="rnn_backward's result")


def cell_backward_stand_in(caches, rule=RULES["step_caches"]):
    """A stand-in for rnn_cell_backward(da_next, cache) that knows these caches only.

    For one of the caches (passed on unchanged) and a da_next of shape (n_a, m) it returns the five
    gradients by finite differences of that cell; any other cache is refused with `rule`.
    """
    known = [copy.deepcopy(cache) for cache in caches]
    oracles = {}

    def answer(index, arguments):
        da_next = arguments["da_next"]
        shape = np.shape(known[index][0])
        if type(da_next) is not np.ndarray or da_next.shape != shape or da_next.dtype.kind not in "fiu":
            described = (f"an array of shape {da_next.shape}" if type(da_next) is np.ndarray
                         else f"a {_diagnose.type_name(da_next)}")
            raise AssertionError(
                f"rnn_cell_backward was given da_next = {described} with the cache of step {index + 1}; da_next is "
                f"the gradient reaching a<t>, a numpy array of a<t>'s shape {shape} (da[:, :, t] plus the da_prev "
                "of the step after).")
        if index not in oracles:
            oracles[index] = _cell_oracle(known[index])
        return oracles[index](da_next)

    return stand_in("rnn_cell_backward", SIGNATURES, [{"cache": cache} for cache in known], answer, rule)


def test_rnn_backward(rnn_backward, da, caches, run=run_student, where=None, cell=None):
    """Run the student's rnn_backward(da, caches), with a stand-in for rnn_cell_backward underneath, and check it.

    cell: what replaces rnn_cell_backward while it runs (default: cell_backward_stand_in(caches));
    run, where: as in test_rnn_cell_backward.
    """
    before = _snapshot((da, caches))
    with replaced(rnn_backward, "rnn_cell_backward", cell or cell_backward_stand_in(caches), SIGNATURES):
        result = run(rnn_backward, da, caches, name="rnn_backward")
    _require_unchanged("rnn_backward", "da or the caches", before, (da, caches))
    check_rnn_backward(result, before[0], before[1], where=where)


# ----------------------------------------------------------------------------
# Part 3: the output layer
# ----------------------------------------------------------------------------


def _output_oracle(A, Y, params, output, step=None):
    """Expected {"dWya", "dby", "da"}: finite differences of the summed losses (of one step only, if `step` is given)."""
    A = np.array(A, dtype=float)
    m = A.shape[1]
    weights = {"Wya": np.array(params["Wya"], dtype=float), "by": np.array(params["by"], dtype=float)}

    def summed(A_=A, weights_=weights):
        losses = rnn_losses(rnn_output_forward(A_, weights_, output), Y, output)
        return float(losses.sum() if step is None else losses[:, :, step].sum())

    numeric = numerical_gradients(lambda w: summed(weights_=w), weights)
    return {"dWya": numeric["Wya"] / m, "dby": numeric["by"] / m,
            "da": numerical_gradient(lambda value: summed(A_=value), A.copy())}


def _logits_oracle(A, params, dz):
    """The gradients of sum <dz<t>, Wya a<t> + by> (parameters divided by m): the output layer's linear step alone."""
    A = np.array(A, dtype=float)
    m = A.shape[1]
    weights = {"Wya": np.array(params["Wya"], dtype=float), "by": np.array(params["by"], dtype=float)}

    def contracted(A_=A, weights_=weights):
        n_a, m_, T_x = A_.shape
        logits = weights_["Wya"] @ A_.reshape(n_a, m_ * T_x) + weights_["by"]
        return float(np.sum(dz.reshape(logits.shape) * logits))

    numeric = numerical_gradients(lambda w: contracted(weights_=w), weights)
    return {"dWya": numeric["Wya"] / m, "dby": numeric["by"] / m,
            "da": numerical_gradient(lambda value: contracted(A_=value), A.copy())}


def _output_suspects(Y_hat, Y, A, params, output, expected):
    Y_hat, Y = np.array(Y_hat, dtype=float), np.array(Y, dtype=float)
    T_x = A.shape[2]
    suspects = {
        "y^ - y was multiplied by y^ (1 - y^) again: with cross-entropy, dz<t> = y^<t> - y<t> already is the gradient "
        "with respect to the logits Wya a<t> + by": _logits_oracle(A, params, (Y_hat - Y) * Y_hat * (1.0 - Y_hat)),
        "the output gradient has the wrong sign: dz<t> = y^<t> - y<t>, not y<t> - y^<t>": _logits_oracle(A, params, Y - Y_hat),
    }
    if T_x > 1:
        last = _output_oracle(A, Y, params, output, step=T_x - 1)
        suspects["dWya and dby were taken from the last step only: Wya and by are used at every step, so their "
                  "gradients sum over all T_x steps"] = {"dWya": last["dWya"], "dby": last["dby"]}
        suspects["the sums over time were divided by T_x: J sums the losses over the steps (it averages over the "
                 "examples only)"] = {"dWya": expected["dWya"] / T_x, "dby": expected["dby"] / T_x}
    return suspects


OUTPUT_WHERE = {
    "dWya": "the line computing dWya in rnn_output_backward: (1/m) sum over t of dz<t> a<t>^T",
    "dby": "the line computing dby in rnn_output_backward: (1/m) dz summed over the examples and the steps, shape (n_y, 1)",
    "da": "the line computing da in rnn_output_backward: da[:, :, t] = Wya^T dz<t>, per example (no 1/m)",
}


def check_rnn_output_backward(result, Y_hat, Y, A, params, output="softmax", where=None):
    """Check rnn_output_backward's result against finite differences of the summed losses through utils.rnn.

    result: the student's dict {"da", "dWya", "dby"}; params holds the Wya and by that made Y_hat from A.
    """
    _require_keys("rnn_output_backward's result", result, ("da", "dWya", "dby"),
                  "the return statement of rnn_output_backward")
    A = np.array(A, dtype=float)
    expected = _output_oracle(A, Y, params, output)
    check_gradients(result, expected, m=A.shape[1], suspects=_output_suspects(Y_hat, Y, A, params, output, expected),
                    where=_where(OUTPUT_WHERE, where), convention="loss",
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, name="rnn_output_backward's result")


def test_rnn_output_backward(rnn_output_backward, Y_hat, Y, A, params, output="softmax", run=run_student, where=None):
    """Run the student's rnn_output_backward(Y_hat, Y, A, params["Wya"]) and check it (run, where: as above)."""
    before = _snapshot((Y_hat, Y, A, params))
    result = run(rnn_output_backward, Y_hat, Y, A, params["Wya"], name="rnn_output_backward")
    _require_unchanged("rnn_output_backward", "Y_hat, Y, A or Wya", before, (Y_hat, Y, A, params))
    check_rnn_output_backward(result, *before, output=output, where=where)


# ----------------------------------------------------------------------------
# Part 4: clipping (checked by its properties; the checks never build the clipped gradient)
# ----------------------------------------------------------------------------


def _clipped_dict(name, result, gradients):
    """The student's result as a plain dict with the keys of `gradients`, each an array of the same shape."""
    check_type(f"{name}'s result", result, dict, where=f"the return statement of {name}: a new dict")
    result = dict(dict.items(result))
    if set(result) != set(gradients):
        raise AssertionError(
            f"{name}'s result has the keys {sorted(map(str, result))}, but the gradients given had "
            f"{sorted(gradients)}.\nLikely reason: the result is a dict with the same keys as `gradients`, "
            "every one of them clipped.\nLook at: the loop over the gradients' keys.")
    for key, value in gradients.items():
        check_type(f"{name}(...)[{key!r}]", result[key], np.ndarray, where=f"how {name} builds each clipped array")
        if result[key].shape != value.shape:
            raise AssertionError(
                f"{name}(...)[{key!r}] has shape {result[key].shape}; the gradient given has shape {value.shape}.\n"
                "Likely reason: clipping keeps every gradient's shape.\nLook at: how the clipped array is built.")
        if result[key].dtype.kind != "f":
            raise AssertionError(f"{name}(...)[{key!r}] has dtype {result[key].dtype}; it should hold floats like "
                                 f"the gradient given.\nLook at: how the clipped array is built.")
    return result


def _close(a, b):
    return np.allclose(a, b, rtol=CLIP_RTOL, atol=1e-12 * max(1.0, float(np.max(np.abs(b), initial=0.0))))


def check_clip_by_value(result, gradients, max_value, where="clip_by_value"):
    """Check clipping by value: entries above max_value become max_value, below -max_value become -max_value,
    the others are unchanged (compared entry by entry, for every key of `gradients`)."""
    result = _clipped_dict("clip_by_value", result, gradients)
    c = float(max_value)
    for key, g in gradients.items():
        r = result[key]
        inside, above, below = np.abs(g) <= c, g > c, g < -c
        print(f"  {key:<8} {int(above.sum())} entries above {c:g}, {int(below.sum())} below {-c:g}")
        if not _close(r[inside], g[inside]):
            if np.allclose(r, g * (c / max(np.abs(g).max(), c)), rtol=1e-6):
                reason = ("the whole tensor was rescaled: that is clipping by norm. Clipping by value clips each entry "
                          "into [-max_value, max_value] and leaves the entries inside alone")
            else:
                reason = "entries with |g| <= max_value must stay exactly as they are"
            raise AssertionError(f"clip_by_value changed {key}'s entries that were already within "
                                 f"[-{c:g}, {c:g}].\nLikely reason: {reason}.\nLook at: {where}.")
        if not _close(r[above], np.full(int(above.sum()), c)):
            raise AssertionError(f"clip_by_value left {key}'s entries above {c:g} at other values (e.g. "
                                 f"{r[above][0]:.4g} for {g[above][0]:.4g}).\nLikely reason: entries above max_value "
                                 f"become exactly max_value.\nLook at: {where}.")
        if not _close(r[below], np.full(int(below.sum()), -c)):
            unchanged = _close(r[below], g[below])
            reason = ("only the upper bound was applied (np.minimum): entries below -max_value must become -max_value "
                      "as well, np.clip(g, -max_value, max_value)") if unchanged else (
                      "entries below -max_value become exactly -max_value (the sign is kept)")
            raise AssertionError(f"clip_by_value left {key}'s entries below {-c:g} at other values (e.g. "
                                 f"{r[below][0]:.4g} for {g[below][0]:.4g}).\nLikely reason: {reason}.\nLook at: {where}.")


def _global_norm(gradients):
    return float(np.sqrt(sum(float(np.sum(np.asarray(value, dtype=float) ** 2)) for value in gradients.values())))


def check_clip_by_global_norm(result, gradients, max_norm, where="clip_by_global_norm"):
    """Check clipping by global norm by its properties: every tensor is its gradient times one common factor,
    1 when the global norm ||g|| = sqrt(sum of every squared entry) is at most max_norm, else max_norm / ||g||."""
    result = _clipped_dict("clip_by_global_norm", result, gradients)
    c, norm = float(max_norm), _global_norm(gradients)
    print(f"  global norm of the gradients given {norm:.6g}, max_norm {c:g}")
    factors = {}
    for key, g in gradients.items():
        r = result[key]
        squared = float(np.sum(g * g))
        factor = float(np.sum(r * g)) / squared if squared > 0 else 1.0
        if squared == 0 and not np.all(r == 0):
            raise AssertionError(f"clip_by_global_norm turned the zero gradient {key} into non-zero values.\n"
                                 f"Likely reason: clipping only multiplies by a positive factor.\nLook at: {where}.")
        if not _close(r, factor * g):
            raise AssertionError(
                f"clip_by_global_norm(...)[{key!r}] is not a multiple of the gradient given: its entries were changed "
                "one by one.\nLikely reason: the entries were clipped by value (np.clip or np.minimum); that turns "
                "the gradient. Clipping by norm multiplies every entry of every tensor by the same factor "
                f"max_norm / ||g||, which keeps the direction.\nLook at: {where}.")
        if squared > 0:
            factors[key] = factor
    shown = ", ".join(f"{key} by {value:.4g}" for key, value in factors.items())
    if norm <= c:
        if not all(abs(value - 1.0) <= 1e-9 for value in factors.values()):
            raise AssertionError(
                f"the global norm {norm:.6g} is at most max_norm = {c:g}, so every gradient must come back unchanged; "
                f"yours were scaled ({shown}).\nLikely reason: the factor is min(1, max_norm / ||g||): clipping "
                f"only ever shortens a gradient that is too long.\nLook at: {where}.")
        return
    if max(factors.values()) - min(factors.values()) > 1e-9 * max(abs(value) for value in factors.values()):
        raise AssertionError(
            f"the tensors were scaled by different factors ({shown}): each one was clipped by its own norm, which "
            "turns the gradient as a whole.\nLikely reason: the norm must be global, one number over every entry of "
            "every tensor, ||g|| = sqrt(sum of g**2 over all of them), and one factor max_norm / ||g|| applied to "
            f"all.\nLook at: {where}.")
    factor = next(iter(factors.values()))
    if abs(factor * norm - c) > 1e-9 * c:
        sum_of_norms = sum(float(np.linalg.norm(g)) for g in gradients.values())
        if abs(factor * sum_of_norms - c) <= 1e-9 * c:
            reason = ("the global norm was computed as the sum of the tensors' norms; it is the square root of the sum "
                      "of all squared entries, sqrt(sum over tensors of np.sum(g**2))")
        elif factor > 1:
            reason = "the factor must be max_norm / ||g||, which is below 1 when ||g|| > max_norm"
        else:
            reason = "scale by max_norm / ||g||, so that the clipped gradient's global norm is exactly max_norm"
        raise AssertionError(
            f"after clipping, the global norm is {factor * norm:.6g}; it should be max_norm = {c:g} (the gradients "
            f"given had {norm:.6g}).\nLikely reason: {reason}.\nLook at: {where}.")


def _run_clipping(function, name, gradients, threshold, run):
    before = _snapshot(gradients)
    result = run(function, gradients, threshold, name=name)
    _require_unchanged(name, "the gradients", before, gradients)
    if result is gradients:
        raise AssertionError(f"{name} returned the very dict it was given.\nLikely reason: it should build a new "
                             f"dict of new arrays.\nRule: {RULES['unchanged']}.")
    return result, before


def test_clip_by_value(clip_by_value, gradients, max_value, run=run_student, where="clip_by_value"):
    """Run the student's clip_by_value(gradients, max_value) and check it entry by entry (run, where: as above)."""
    result, before = _run_clipping(clip_by_value, "clip_by_value", gradients, max_value, run)
    check_clip_by_value(result, before, max_value, where=where)


def test_clip_by_global_norm(clip_by_global_norm, gradients, max_norm, run=run_student, where="clip_by_global_norm"):
    """Run the student's clip_by_global_norm(gradients, max_norm) and check its properties (run, where: as above)."""
    result, before = _run_clipping(clip_by_global_norm, "clip_by_global_norm", gradients, max_norm, run)
    check_clip_by_global_norm(result, before, max_norm, where=where)


# ----------------------------------------------------------------------------
# Part 5: the pieces together
# ----------------------------------------------------------------------------


def check_rnn_together(grads, X, Y, a0, params, output="softmax", where=None):
    """Check every gradient of the network, {"dWax", "dWaa", "dba", "dWya", "dby", "dX", "da0"}, against
    finite differences of the cost utils.rnn.rnn_cost (dX and da0 per example: m times dJ/d(.))."""
    m = X.shape[1]
    work = {key: np.array(value, dtype=float) for key, value in params.items()}

    def cost(X_=X, a0_=a0, params_=work):
        return rnn_cost(rnn_forward(X_, a0_, params_, output)[1], Y, output)

    numeric = numerical_gradients(lambda p: cost(params_=dict(work, **p)), {key: work[key] for key in PARAMETER_KEYS})
    expected = {f"d{key}": numeric[key] for key in PARAMETER_KEYS}
    expected["dX"] = m * numerical_gradient(lambda value: cost(X_=value), np.array(X, dtype=float))
    expected["da0"] = m * numerical_gradient(lambda value: cost(a0_=value), np.array(a0, dtype=float))
    hint = ("your functions together: rnn_output_backward's da goes into rnn_backward, which calls your "
            "rnn_cell_backward at every step; the tests of Parts 1 to 3 say which piece is wrong")
    check_gradients(grads, expected, m=m, where=f"{where}: {hint}" if where else hint, convention="loss",
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, name="the gradients of your network")


def test_rnn_together(rnn_output_backward, rnn_backward, X, Y, a0, params, output="softmax", run=run_student, where=None):
    """Forward with utils.rnn, then the student's rnn_output_backward and rnn_backward (their own
    rnn_cell_backward underneath), against finite differences of the cost J (run, where: as above)."""
    _, Y_hat, caches = rnn_forward(X, a0, params, output)
    A = np.stack([cache[0] for cache in caches], axis=-1)
    out = run(rnn_output_backward, Y_hat, Y, A, params["Wya"], name="rnn_output_backward")
    _require_keys("rnn_output_backward's result", out, ("da", "dWya", "dby"), "the return statement of rnn_output_backward")
    sequence = run(rnn_backward, out["da"], caches, name="rnn_backward")
    _require_keys("rnn_backward's result", sequence, ("dX", "da0", "dWax", "dWaa", "dba"), "the return statement of rnn_backward")
    grads = {key: sequence[key] for key in ("dWax", "dWaa", "dba", "dX", "da0")}
    grads.update(dWya=out["dWya"], dby=out["dby"])
    check_rnn_together(grads, X, Y, a0, params, output, where=where)
