"""Unit 5's hidden tests: fresh sizes and values, the instructor's reference underneath, no oracles.

The hidden part of each graded cell of `05_l_layer_backward` (removed from
the release, put back by nbgrader when grading) is one call:

    from autograder.hidden import unit5 as hidden
    hidden.test_linear_backward(linear_backward)

Each test prints its seed (`hidden test, seed N`), draws sizes that tell
mistakes apart, runs the student's function with `call_hidden` (which fails
it if it called a numerical oracle or anything of utils.testing), with the
reference functions below in place of the graded functions it calls, and
checks the result with the same checks as the visible test
(utils.testing.unit5), then prints "The hidden checks passed."

The expected values are this module's own (linear_step, layer, network,
walk, cost_gradients, update_suspects: autograder.reference and
utils.gradcheck), handed to the shared checks: the shipped helpers of
utils.testing.unit5 answer only for the visible tests' problems and refuse
fresh inputs.

The references replace students' functions through `replaced`, so they have
the assignment's exact signatures (SIGNATURES), and they use nothing of
utils.testing (that would count as a forbidden call of the student's).
Instructor-only: this module imports autograder.reference.
"""

import copy

import numpy as np

from autograder import reference
from autograder.hidden._common import call_hidden, hidden_rng, hidden_sizes, hidden_where, replaced, replaced_all
from utils.activations import derivative
from utils.checks import check_float, check_type, run_student
from utils.forward import model_forward
from utils.gradcheck import directional_check, numerical_gradients, relative_error
from utils.losses import compute_cost, one_hot
from utils.testing import unit5

#: The assignment's def lines (the same as the visible tests').
SIGNATURES = dict(unit5.SIGNATURES)

DONE = "The hidden checks passed."


# ----------------------------------------------------------------------------
# Expected values for fresh inputs (what the shared checks of unit5 take as expected=, network=, ...)
# ----------------------------------------------------------------------------


def _backward_from(dZL, caches, hidden="relu"):
    """reference.model_backward started from the output gradient dZL (n_L, m): a linear output with AL = 0 and
    Y = -dZL / 2, whose dZL = 2 (AL - Y). {"dA0", ..., "dW1", "db1", ...}, dA per example."""
    dZL = np.asarray(dZL, dtype=float)
    zeros = np.zeros_like(dZL)
    return reference.model_backward(zeros, zeros - dZL / 2, caches, hidden=hidden, output="linear")


def linear_step(dZ, linear_cache):
    """{"dA_prev", "dW", "db"} of the linear step with cache (A_prev, W, b) for dZ (n, m)."""
    grads = _backward_from(dZ, [(linear_cache, np.zeros_like(dZ, dtype=float))])
    return {"dA_prev": grads["dA0"], "dW": grads["dW1"], "db": grads["db1"]}


def layer(dA, cache, activation):
    """{"dA_prev", "dW", "db"} of one layer ((A_prev, W, b), Z) with g = activation, for dA (n, m)."""
    linear_cache, Z = cache
    return linear_step(dA * derivative(activation)(Z), linear_cache)


def network(caches, dZL):
    """The grads of a relu network's backward pass that starts from the output gradient dZL."""
    return _backward_from(dZL, caches)


def walk(caches, dZL, hidden):
    """The same with g = `hidden` in the hidden layers (hidden="sigmoid" on a relu network: a typical mistake)."""
    return _backward_from(dZL, caches, hidden)


def cost_gradients(params, X, Y, output):
    """{"dW1": ..., "db1": ...}: finite differences of J = compute_cost(model_forward(X, params), Y, output)."""
    def cost(p):
        return compute_cost(model_forward(X, p, hidden="relu", output=output)[0], Y, output)

    return {"d" + name: value for name, value in numerical_gradients(cost, copy.deepcopy(params)).items()}


def update_suspects(name, params, grads, learning_rate):
    """{unit5.update_mistakes(name): the wrong (before - after) / learning_rate each gives} for one parameter."""
    before, gradient = params[name], grads["d" + name]
    values = (-gradient, gradient / learning_rate, np.zeros_like(gradient),
              (before - learning_rate * gradient) / learning_rate)
    return dict(zip(unit5.update_mistakes(name), values))


# ----------------------------------------------------------------------------
# References with the assignment's signatures
# ----------------------------------------------------------------------------


def _require_shape(name, label, value, shape):
    if type(value) is not np.ndarray or value.shape != shape:
        raise AssertionError(f"{name} got {label} of shape {np.shape(value)}; this layer's {label} has shape {shape}.\n"
                             f"{unit5.WALK_HINT}")


def reference_linear_backward(dZ, cache):
    """(dA_prev, dW, db) of the linear step, from autograder.reference: a one-layer linear network, dZ = 2 (AL - Y)."""
    if type(cache) is not tuple or len(cache) != 3:
        raise AssertionError(f"linear_backward got a cache that is not a linear cache (A_prev, W, b).\n"
                             f"Rule: {unit5.RULES['linear_cache']}.")
    A_prev, W, _ = cache
    _require_shape("linear_backward", "dZ", dZ, (W.shape[0], A_prev.shape[1]))
    step = linear_step(dZ, cache)
    return step["dA_prev"], step["dW"], step["db"]


def reference_linear_activation_backward(dA, cache, activation):
    """(dA_prev, dW, db) of one layer: dZ = dA * g'(Z), then reference_linear_backward."""
    if activation not in unit5.LAYER_ACTIVATIONS:
        raise AssertionError(f"linear_activation_backward was called with activation={activation!r}; it takes one "
                             f"of {list(unit5.LAYER_ACTIVATIONS)} (a softmax output starts from dZL = AL - Y).")
    if type(cache) is not tuple or len(cache) != 2:
        raise AssertionError(f"linear_activation_backward got a cache that is not a layer cache ((A_prev, W, b), Z).\n"
                             f"Rule: {unit5.RULES['layer_caches']}.")
    linear_cache, Z = cache
    _require_shape("linear_activation_backward", "dA", dA, Z.shape)
    return reference_linear_backward(dA * derivative(activation)(Z), linear_cache)


def reference_update_parameters(params, grads, learning_rate):
    """A new dict: every params[name] - learning_rate * grads["d" + name] (the definition)."""
    return {name: value - learning_rate * grads["d" + name] for name, value in params.items()}


def reference_recorder():
    """L_model_backward from the reference, recording every call (copies) in its `steps` list."""
    steps = []

    def recording_backward(AL, Y, caches, output="sigmoid"):  # noqa: N803 - the assignment's names
        grads = reference.model_backward(AL, Y, caches, hidden="relu", output=output)
        steps.append({"AL": np.array(AL, dtype=float), "Y": np.array(Y, dtype=float),
                      "caches": copy.deepcopy(list(caches)), "output": output, "grads": copy.deepcopy(grads)})
        return grads

    recording_backward.steps = steps
    return recording_backward


# ----------------------------------------------------------------------------
# Parts 1-4
# ----------------------------------------------------------------------------


def test_linear_backward(linear_backward):
    """Three fresh linear steps."""
    _, rng = hidden_rng()
    for layer_dims, m in hidden_sizes(rng, trials=3, n_layers=1):
        n_prev, n = layer_dims
        dZ, cache = unit5.linear_problem(int(rng.integers(2**31)), n_prev, n, m)
        unit5.require_def_line(linear_backward, "linear_backward", (dZ, cache))
        result = call_hidden(linear_backward, dZ.copy(), copy.deepcopy(cache))
        unit5.check_linear_backward(result, dZ, cache, where=hidden_where("linear_backward", n_prev=n_prev, n=n, m=m),
                                    expected=linear_step(dZ, cache))
    print(DONE)


def test_linear_activation_backward(linear_activation_backward, activation):
    """Three fresh layers with `activation`, the reference linear_backward underneath."""
    _, rng = hidden_rng()
    with replaced(linear_activation_backward, "linear_backward", reference_linear_backward, SIGNATURES):
        for layer_dims, m in hidden_sizes(rng, trials=3, n_layers=1):
            n_prev, n = layer_dims
            dA, cache = unit5.layer_problem(int(rng.integers(2**31)), n_prev, n, m, activation)
            unit5.require_def_line(linear_activation_backward, "linear_activation_backward", (dA, cache, activation))
            result = call_hidden(linear_activation_backward, dA.copy(), copy.deepcopy(cache), activation)
            unit5.check_linear_activation_backward(
                result, dA, cache, activation,
                where=hidden_where(f"linear_activation_backward({activation!r})", n_prev=n_prev, n=n, m=m),
                expected=layer(dA, cache, activation), linear_step=linear_step)
    print(DONE)


def test_L_model_backward(L_model_backward, output):
    """Networks of 2, 3 and 4 layers with fresh sizes, the reference layer steps underneath."""
    _, rng = hidden_rng()
    references = {"linear_backward": reference_linear_backward,
                  "linear_activation_backward": reference_linear_activation_backward}
    with replaced_all(L_model_backward, references, SIGNATURES):
        for n_layers in (2, 3, 4):
            n_out = 1 if output == "sigmoid" else int(rng.integers(3, 7))
            ((layer_dims, m),) = hidden_sizes(rng, trials=1, n_layers=n_layers, n_out=n_out)
            X, Y, params, AL, caches = unit5.network_problem(int(rng.integers(2**31)), layer_dims, m, output)
            print(f"layer_dims {layer_dims}, m = {m}")
            arguments = (AL.copy(), Y.copy(), copy.deepcopy(caches), output)
            unit5.require_def_line(L_model_backward, "L_model_backward", arguments)
            grads = unit5.explain_walk_errors(lambda: call_hidden(L_model_backward, *arguments))
            unit5.check_L_model_backward(grads, AL, Y, caches, output,
                                         where_prefix=f"(hidden test, layer_dims {layer_dims}, m = {m}) ",
                                         network=network, walk=walk)
    print(DONE)


def test_update_parameters(update_parameters):
    """Networks of 2 and 4 layers with fresh widths and learning rates."""
    _, rng = hidden_rng()
    for n_layers in (2, 4):
        layer_dims = [int(k) for k in rng.choice(np.arange(2, 12), size=n_layers + 1, replace=False)]
        learning_rate = float(rng.uniform(0.01, 0.9))
        params, grads = unit5.update_problem(int(rng.integers(2**31)), layer_dims)
        unit5.require_def_line(update_parameters, "update_parameters", (params, grads, learning_rate))
        new = call_hidden(update_parameters, copy.deepcopy(params), copy.deepcopy(grads), learning_rate)
        unit5.check_update_parameters(new, params, grads, learning_rate,
                                      where=f"update_parameters with layer_dims {layer_dims} (hidden test)",
                                      suspects=update_suspects)
    print(DONE)


# ----------------------------------------------------------------------------
# Part 5
# ----------------------------------------------------------------------------


def _training_data(rng, layer_dims, m, output):
    X = rng.standard_normal((layer_dims[0], m))
    if output == "sigmoid":
        Y = (rng.uniform(size=(1, m)) < 0.5).astype(float)
        Y[0, :2] = (0.0, 1.0)
    else:
        Y = one_hot(rng.integers(0, layer_dims[-1], size=m), layer_dims[-1])
    return X, Y


def test_train_network(train_network, update_parameters):
    """Sigmoid and softmax networks of fresh sizes, learning rates and seeds: full batch, then mini-batches.

    The references of L_model_backward and update_parameters are underneath: a wrong update_parameters is charged
    to its own test (gradient ascent could overflow to NaN within a run and fail a right train_network).
    """
    _, rng = hidden_rng()
    for output in ("sigmoid", "softmax"):
        n_out = 1 if output == "sigmoid" else int(rng.integers(3, 6))
        ((layer_dims, m),) = hidden_sizes(rng, trials=1, n_layers=int(rng.integers(2, 4)), n_out=n_out)
        X, Y = _training_data(rng, layer_dims, m, output)
        learning_rate, seed = float(rng.uniform(0.05, 0.5)), int(rng.integers(1, 2**31))
        batch_size = int(rng.integers(2, m // 2 + 1))
        runs = ((None, 5), (batch_size, 3 * (m // batch_size) + 1))
        for size, num_iterations in runs:
            print(f"{output}: layer_dims {layer_dims}, m = {m}, learning_rate {learning_rate:.3f}, seed {seed}, "
                  f"batch_size {size}, {num_iterations} steps")
            recorder = reference_recorder()
            arguments = (X.copy(), Y.copy(), list(layer_dims), learning_rate, num_iterations)
            keywords = {"seed": seed, "batch_size": size}
            unit5.require_def_line(train_network, "train_network", arguments, keywords)
            references = {"L_model_backward": recorder, "update_parameters": reference_update_parameters}
            with replaced_all(train_network, references, SIGNATURES):
                result = call_hidden(train_network, *arguments, **keywords)
            unit5.check_training_run(result, recorder.steps, X, Y, layer_dims, learning_rate, num_iterations, seed,
                                     size, update_parameters,
                                     where=f"the loop of train_network (hidden test, {output} output)")
    print(DONE)


def test_digits(train_network, digits_hyperparameters):
    """The digits with a fresh training seed: at least 90% (the reference settings score 95-97% over many seeds)."""
    seed, rng = hidden_rng()
    unit5.test_digits(train_network, digits_hyperparameters, seed=int(rng.integers(1, 2**31)), min_accuracy=0.90,
                      label="hidden test, a fresh ")
    print(DONE)


# ----------------------------------------------------------------------------
# Part 6
# ----------------------------------------------------------------------------


def _directional_values(params, X, Y, output, grads, n_directions, seed):
    """{order: the largest relative error of directional_check}, for params in the given and in sorted key order."""
    def cost(p):
        return compute_cost(model_forward(X, p, hidden="relu", output=output)[0], Y, output)

    values = {}
    for order in ("given", "sorted"):
        keys = list(params) if order == "given" else sorted(params)
        ordered = {key: params[key].copy() for key in keys}
        values[order] = max(r.relative_error for r in directional_check(cost, ordered, grads, n_directions=n_directions,
                                                                        seed=seed))
    return values


def _close(a, b):
    return abs(a - b) <= 1e-4 * max(abs(a), abs(b)) + 1e-7


def wrong_beyond_the_first_direction(params, grads, seed):
    """grads plus an error that directional_check(..., seed=seed) sees along its 2nd and 3rd directions, not its 1st.

    The directions are drawn as directional_check draws them (np.random.default_rng(seed), one standard normal
    vector over all parameters, in params' key order, normalised). With n_directions=1 a right check of these
    grads gives about 0; one that always uses 3 directions (or another seed) gives a large error.
    """
    keys = list(params)
    size = sum(params[key].size for key in keys)
    rng = np.random.default_rng(seed)
    first, second, third = (vector / np.linalg.norm(vector) for vector in (rng.standard_normal(size) for _ in range(3)))
    error = second + third
    error -= np.dot(error, first) * first
    flat = np.concatenate([np.ravel(grads["d" + key]) for key in keys])
    error *= np.linalg.norm(flat) / np.linalg.norm(error)
    wrong, start = {}, 0
    for key in keys:
        stop = start + params[key].size
        wrong["d" + key] = grads["d" + key] + error[start:stop].reshape(params[key].shape)
        start = stop
    return wrong


def check_directional_exactly(gradient_check, params, X, Y, output, grads, where):
    """gradient_check(method="directional", n_directions=n, seed=s) must be the largest relative error of
    directional_check over those n directions of that seed: n_directions and seed must be passed on.

    Two calls with n_directions=1 and a backward pass wrong only beyond the first direction (about 0 if
    n_directions is used, large if not), and one with n_directions=5 and a slightly wrong backward pass.
    Params in the given or in sorted key order are both accepted.
    """
    settings = [(1, seed, wrong_beyond_the_first_direction(params, grads, seed)) for seed in (3, 7)]
    settings.append((5, 11, unit5.slightly_wrong(grads, seed=5)))
    explanations = {
        "n": "n_directions is not passed on to directional_check (these are the values for 3 directions)",
        "seed": "seed is not passed on to directional_check (these are the values for seed 0)",
    }
    wrong, consistent = [], set(explanations)
    for n_directions, seed, backward_grads in settings:
        value = check_type("gradient_check(...)", run_student(
            gradient_check, params, X, Y, output, method="directional", backward=unit5.fixed_backward(backward_grads),
            n_directions=n_directions, seed=seed), float, where="gradient_check returns the relative error, a float")
        expected = _directional_values(params, X, Y, output, backward_grads, n_directions, seed)
        if any(_close(value, v) for v in expected.values()):
            continue
        wrong.append(f"n_directions={n_directions}, seed={seed}: yours {value:.6g}, expected {expected['given']:.6g}")
        instead = {"n": _directional_values(params, X, Y, output, backward_grads, 3, seed),
                   "seed": _directional_values(params, X, Y, output, backward_grads, n_directions, 0)}
        consistent &= {key for key, values in instead.items() if any(_close(value, v) for v in values.values())}
    if wrong:
        reason = (" or ".join(explanations[key] for key in sorted(consistent)) if consistent else
                  "the directional check is not the largest relative error of "
                  "directional_check(cost, params, grads, n_directions=n_directions, seed=seed)")
        raise AssertionError(
            "gradient_check(..., method='directional') returned other values than directional_check over those "
            f"directions: {'; '.join(wrong)}.\nLikely reason: {reason}.\nLook at: {where}.")


def test_gradient_check(gradient_check):
    """Fresh sigmoid and softmax networks: right, flipped and wrong backward passes, the full check's exact value
    for wrong db, and the directional check's exact values for several n_directions and seeds."""
    _, rng = hidden_rng()
    for output in ("sigmoid", "softmax"):
        ((layer_dims, m),) = hidden_sizes(rng, trials=1, n_layers=int(rng.integers(2, 4)),
                                          n_out=1 if output == "sigmoid" else int(rng.integers(3, 6)))
        X, Y, params, _, _ = unit5.network_problem(int(rng.integers(2**31)), layer_dims, m, output)
        where = f"gradient_check (hidden test, {output}, layer_dims {layer_dims}, m = {m})"
        db_error, wrong_db, numeric = unit5.check_gradient_check(gradient_check, params, X, Y, output, where=where,
                                                                 numeric=cost_gradients(params, X, Y, output))
        names = sorted(params)
        expected_db_error = relative_error(np.concatenate([wrong_db["d" + k].ravel() for k in names]),
                                                 np.concatenate([numeric["d" + k].ravel() for k in names]))
        check_float("gradient_check(..., method='full') of a backward pass with every db m times too big",
                          db_error, expected_db_error, rtol=1e-4,
                          where=f"{where}: the full check is the relative_error of all dW1, db1, ..., dWL, dbL "
                                "concatenated into one vector")
        check_directional_exactly(gradient_check, params, X, Y, output, numeric, where)
    print(DONE)


def test_gradient_check_own_network(gradient_check):
    """gradient_check of the student's own L_model_backward on fresh sigmoid and softmax networks."""
    _, rng = hidden_rng()
    for output in ("sigmoid", "softmax"):
        ((layer_dims, m),) = hidden_sizes(rng, trials=1, n_layers=int(rng.integers(2, 5)),
                                          n_out=1 if output == "sigmoid" else int(rng.integers(3, 6)))
        X, Y, params, _, _ = unit5.network_problem(int(rng.integers(2**31)), layer_dims, m, output)
        unit5.test_gradient_check_own_network(gradient_check, params, X, Y, output,
                                              f"hidden test, {output}, layer_dims {layer_dims}, m = {m}")
    print(DONE)
