"""Unit 1, logistic regression: the hidden tests (instructor-only; never shipped).

Each `test_<part>` function is the hidden half of one test cell of
01_logistic_regression. It draws fresh inputs from a seed it prints, puts the
grader's references (below; built on autograder.reference) in place of the
other parts the graded function calls, runs the student's function with
`call_hidden` (which fails it if it calls a numerical oracle or anything in
utils.testing), and checks the result with the same `check_*` functions as
the visible tests (utils.testing.unit1), so the feedback reads the same.

    ### BEGIN HIDDEN TESTS
    from autograder.hidden import unit1 as hidden
    hidden.test_propagate_dw(propagate)
    ### END HIDDEN TESTS

Public API: one test_<part>(student function(s)) per graded cell (see the
names below), and the references reference_initialize_with_zeros,
reference_propagate, reference_optimize and reference_predict, whose
signatures are the assignment's (SIGNATURES).
"""

import numpy as np

from autograder import reference
from autograder.hidden._common import call_hidden, hidden_rng, hidden_sizes, replaced, replaced_all
from utils.activations import sigmoid
from utils.checks import check_type
from utils.datasets import load_breast_cancer
from utils.testing import unit1
from utils.testing.unit1 import SIGNATURES

#: The hidden end-to-end test trains with num_iterations in [lo, hi] and learning_rate log-uniform in [lo, hi].
TRAINING_RANGE = {"num_iterations": (300, 1500), "learning_rate": (0.05, 1.0)}

#: The share of right labels the hidden end-to-end test requires, on both sets, of the predictions and of
#: the learned w, b. Over 400 random draws a correct model got at least 0.930 (test) and 0.981 (training);
#: the mistakes that pass the visible test got at least 0.894 / 0.951 (a dw without 1/m) and 0.923 / 0.958
#: (predict without the sigmoid and b): 13 or more test examples above the bound.
MIN_ACCURACY = 0.80


# ----------------------------------------------------------------------------
# References (the assignment's signatures; never shipped)
# ----------------------------------------------------------------------------


def reference_initialize_with_zeros(dim):
    return np.zeros((dim, 1)), 0.0


def reference_propagate(w, b, X, Y):
    params = {"W1": np.array(w, dtype=float).T, "b1": np.full((1, 1), float(np.asarray(b).reshape(-1)[0]))}
    A, caches = reference.model_forward(X, params, output="sigmoid")
    gradients = reference.model_backward(A, Y, caches, output="sigmoid")
    return {"dw": gradients["dW1"].T, "db": float(gradients["db1"][0, 0])}, reference.cost(A, Y, "sigmoid")


def reference_optimize(w, b, X, Y, num_iterations, learning_rate, print_cost=False):
    return _descend(w, b, X, Y, num_iterations, learning_rate, learning_rate)


def _descend(w, b, X, Y, num_iterations, rate_w, rate_b):
    """Gradient descent with its own step for w and for b (a negative step climbs): (params, grads, costs)."""
    costs = []
    grads = None
    for iteration in range(num_iterations):
        grads, cost = reference_propagate(w, b, X, Y)
        if iteration % 100 == 0:
            costs.append(cost)
        w = w - rate_w * grads["dw"]
        b = b - rate_b * grads["db"]
    return {"w": w, "b": b}, grads, costs


def reference_predict(w, b, X):
    return (sigmoid(np.asarray(w, dtype=float).T @ X + float(np.asarray(b).reshape(-1)[0])) > 0.5).astype(float)


def _every_cost(w, b, X, Y, num_iterations, learning_rate):
    """J before each of the num_iterations + 1 steps (for the 'after the step' suspect)."""
    costs = []
    for _ in range(num_iterations + 1):
        grads, cost = reference_propagate(w, b, X, Y)
        costs.append(cost)
        w, b = w - learning_rate * grads["dw"], b - learning_rate * grads["db"]
    return costs


# ----------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------


def _problem(rng, n_x=None):
    """(w, b, X, Y): fresh sizes that separate mistakes (no m equal to n_x, m not 1, 2, 4), fresh values."""
    (sizes,) = hidden_sizes(rng, trials=1, n_layers=1, n_x=n_x, n_out=1)
    n_x, m = sizes.layer_dims[0], sizes.m
    print(f"  n_x = {n_x}, m = {m}")
    w = rng.normal(scale=0.5, size=(n_x, 1))
    X = rng.normal(size=(n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    Y[0, :2] = (0.0, 1.0)  # both labels occur
    return w, float(rng.normal()), X, Y[:, rng.permutation(m)]


def _training(rng, low=120, high=460):
    num_iterations, learning_rate = int(rng.integers(low, high + 1)), float(rng.uniform(0.05, 0.8))
    print(f"  {num_iterations} iterations, learning_rate {learning_rate:.3f}")
    return num_iterations, learning_rate


# ----------------------------------------------------------------------------
# Parts 1 and 2
# ----------------------------------------------------------------------------


def test_initialize_with_zeros(initialize_with_zeros):
    _, rng = hidden_rng()
    for dim in rng.integers(5, 60, size=3):
        w, b = unit1.returned(call_hidden(initialize_with_zeros, int(dim)), "initialize_with_zeros", ("w", "b"))
        unit1.check_zeros(w, b, int(dim))


def _propagate(propagate, rng):
    w, b, X, Y = _problem(rng)
    result = call_hidden(propagate, w.copy(), b, X.copy(), Y.copy())
    grads, cost = unit1.returned(result, "propagate", ("grads", "cost"))
    return (w, b, X, Y), grads, cost


def test_propagate_cost(propagate):
    _, rng = hidden_rng()
    (w, b, X, Y), _, cost = _propagate(propagate, rng)
    unit1.check_cost(cost, reference_propagate(w, b, X, Y)[1], m=X.shape[1])


def test_propagate_dw(propagate):
    _, rng = hidden_rng()
    (w, b, X, Y), grads, _ = _propagate(propagate, rng)
    m = X.shape[1]
    dZ = sigmoid(w.T @ X + b) - Y
    suspects = {unit1.ELEMENTWISE_DW: X * dZ / m, unit1.ROW_DW: dZ @ X.T / m}
    unit1.check_dw(unit1.grads_entry(grads, "dw"), reference_propagate(w, b, X, Y)[0]["dw"], m, suspects)


def test_propagate_db(propagate):
    _, rng = hidden_rng()
    (w, b, X, Y), grads, _ = _propagate(propagate, rng)
    unit1.check_db(unit1.grads_entry(grads, "db"), reference_propagate(w, b, X, Y)[0]["db"], m=X.shape[1])


# ----------------------------------------------------------------------------
# Part 4: optimize, with a correct propagate underneath
# ----------------------------------------------------------------------------


def _optimize(optimize, w, b, X, Y, num_iterations, learning_rate):
    with replaced(optimize, "propagate", reference_propagate, SIGNATURES):
        result = call_hidden(optimize, w.copy(), b, X.copy(), Y.copy(), num_iterations, learning_rate)
    return unit1.returned(result, "optimize", ("params", "grads", "costs"))


def test_optimize_update(optimize):
    _, rng = hidden_rng()
    w, b, X, Y = _problem(rng)
    num_iterations, learning_rate = _training(rng)
    params, grads, _ = _optimize(optimize, w, b, X, Y, num_iterations, learning_rate)
    expected, expected_grads, _ = reference_optimize(w.copy(), b, X, Y, num_iterations, learning_rate)
    climbs = {signs: _descend(w.copy(), b, X, Y, num_iterations, signs[0] * learning_rate, signs[1] * learning_rate)[0]
              for signs in ((-1, -1), (-1, 1), (1, -1))}
    w_suspects = {f"{unit1.ASCENT_W}, and b too": climbs[-1, -1]["w"], unit1.ASCENT_W: climbs[-1, 1]["w"],
                  f"{unit1.ASCENT_B} (w's update is right, but the wrong b also changes where w goes)":
                  climbs[1, -1]["w"]}
    unit1.check_optimize_result(params, grads, expected, expected_grads["dw"], w_suspects,
                                {unit1.ASCENT_B: climbs[-1, -1]["b"]})


def test_optimize_costs(optimize):
    _, rng = hidden_rng()
    w, b, X, Y = _problem(rng)
    num_iterations, learning_rate = _training(rng, 120, 560)
    _, _, costs = _optimize(optimize, w, b, X, Y, num_iterations, learning_rate)
    every = _every_cost(w.copy(), b, X, Y, num_iterations, learning_rate)
    expected = every[:num_iterations:100]
    suspects = [{"the cost after the step instead of before it": every[k + 1]} for k in range(0, num_iterations, 100)]
    unit1.check_costs(costs, expected, num_iterations, suspects)


# ----------------------------------------------------------------------------
# Part 5: predict, on inputs where the sigmoid and b change labels
# ----------------------------------------------------------------------------


def _predict_problem(rng):
    """(w, b, X): random, with three columns moved so that every typical mistake gives its own labels.

    With u = w^T x the right label is u > -b; without the sigmoid u > 0.5 - b, without b u > 0,
    without both u > 0.5. |b| in [0.8, 1.6] keeps these four thresholds at least 0.3 apart; one column
    goes inside each of the three gaps between them, so all four labelings differ pairwise. No column
    lies within 0.02 of a threshold, where the order of a sum could decide a label.
    """
    (sizes,) = hidden_sizes(rng, trials=1, n_layers=1, n_out=1)
    n_x, m = sizes.layer_dims[0], sizes.m
    print(f"  n_x = {n_x}, m = {m}")
    w = rng.normal(size=(n_x, 1))
    b = float(rng.choice((-1.0, 1.0)) * rng.uniform(0.8, 1.6))
    X = rng.normal(size=(n_x, m))
    thresholds = np.sort([-b, 0.5 - b, 0.0, 0.5])
    u = (w.T @ X)[0]
    near = np.min(np.abs(u[:, None] - thresholds[None, :]), axis=1) < 0.02
    targets = u + 0.05 * near
    gaps = zip(thresholds[:-1], thresholds[1:])
    for column, (low, high) in zip(rng.choice(m, size=3, replace=False), gaps):
        targets[column] = low + (high - low) * float(rng.uniform(0.2, 0.8))
    X += w * ((targets - u) / float(np.sum(w * w)))[None, :]
    return w, b, X


def test_predict(predict):
    _, rng = hidden_rng()
    w, b, X = _predict_problem(rng)
    Y_prediction = call_hidden(predict, w.copy(), b, X.copy())
    u = w.T @ X
    expected = reference_predict(w, b, X)
    suspects = unit1.predict_mistakes(sigmoid(u + b), expected, no_sigmoid=(u + b > 0.5), no_b=(u > 0),
                                      neither=(u > 0.5))
    unit1.check_labels(Y_prediction, expected, suspects)


# ----------------------------------------------------------------------------
# Part 6: model with correct parts underneath, and on a fresh split of real data
# ----------------------------------------------------------------------------


def test_model_outputs(model):
    _, rng = hidden_rng()
    w_true, _, X_train, _ = _problem(rng)
    n_x = X_train.shape[0]
    m_test = int(rng.integers(9, 30))
    X_test = rng.normal(size=(n_x, m_test))
    Y_train = (w_true.T @ X_train + rng.normal(scale=0.5, size=(1, X_train.shape[1])) > 0).astype(float)
    Y_test = (w_true.T @ X_test + rng.normal(scale=0.5, size=(1, m_test)) > 0).astype(float)
    num_iterations, learning_rate = _training(rng)
    watch = unit1.optimize_watch(reference_optimize)
    parts = {"initialize_with_zeros": reference_initialize_with_zeros, "optimize": watch,
             "predict": reference_predict}
    with replaced_all(model, parts, SIGNATURES):
        result = call_hidden(model, X_train, Y_train, X_test, Y_test, num_iterations=num_iterations,
                             learning_rate=learning_rate)
    unit1.check_optimize_call(watch, X_train, Y_train, num_iterations, learning_rate)
    params, _, costs = reference_optimize(np.zeros((n_x, 1)), 0.0, X_train, Y_train, num_iterations, learning_rate)
    expected = {"costs": costs, "w": params["w"], "b": params["b"],
                "Y_prediction_train": reference_predict(params["w"], params["b"], X_train),
                "Y_prediction_test": reference_predict(params["w"], params["b"], X_test)}
    zeros = "the starting zeros, not the trained params['w'], params['b']"
    untrained = {"w": {zeros: np.zeros((n_x, 1))}, "b": {zeros: 0.0}}
    untrained.update({key: {f"predictions with {zeros}": reference_predict(np.zeros((n_x, 1)), 0.0, X)}
                      for key, X in (("Y_prediction_train", X_train), ("Y_prediction_test", X_test))})
    unit1.check_model_result(result, expected, num_iterations, learning_rate, Y_train, Y_test, suspects=untrained)


def _learned(result, n_x):
    """(w (n_x, 1), b float) that model reported; b may be a number or a size-1 array (a db kept as (1, 1))."""
    w = check_type("result['w']", unit1.model_entry(result, "w"), np.ndarray, where="model reports params['w']")
    if w.shape != (n_x, 1) or w.dtype.kind not in "fiu":
        raise AssertionError(f"result['w'] has shape {w.shape} and dtype {w.dtype}; expected ({n_x}, 1) floats.\n"
                             "Likely reason: w changed shape during training.\nLook at: the update of w in optimize.")
    b = unit1.model_entry(result, "b")
    if type(b) is np.ndarray and b.size == 1 and b.dtype.kind in "fiu":
        b = b.reshape(())
    check_type("result['b']", b, float, where="model reports params['b'], a number")
    return np.array(w, dtype=float), float(b)


def test_model_on_real_data(model, optimize):
    """A fresh random split of the breast cancer data and fresh num_iterations, learning_rate (TRAINING_RANGE)."""
    seed, rng = hidden_rng()
    X_train, Y_train, X_test, Y_test = load_breast_cancer(seed=seed)
    low, high = TRAINING_RANGE["num_iterations"]
    num_iterations = int(rng.integers(low, high + 1))
    learning_rate = float(np.exp(rng.uniform(*np.log(TRAINING_RANGE["learning_rate"]))))
    print(f"  a fresh train/test split; {num_iterations} iterations, learning_rate {learning_rate:.3f}")
    result, watch = unit1.train_watched(model, optimize, X_train, Y_train, X_test, Y_test, num_iterations,
                                        learning_rate, runner=call_hidden)
    unit1.check_real_data_result(result, watch, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate,
                                 MIN_ACCURACY)
    w, b = _learned(result, X_train.shape[0])
    for part, X, Y in (("training", X_train, Y_train), ("test", X_test, Y_test)):
        accuracy = float(np.mean((sigmoid(w.T @ X + b) > 0.5) == Y))
        print(f"  {part} accuracy of the learned w, b: {accuracy:.3f} (at least {MIN_ACCURACY:.2f} required)")
        if accuracy < MIN_ACCURACY:
            raise AssertionError(
                f"on this split the learned parameters classify {accuracy:.1%} of the {part} set correctly; a "
                f"correct model gets well over {MIN_ACCURACY:.0%}.\nLikely reason: training does not go downhill.\n"
                "Look at: the earlier parts; make the tests above pass first, then check that optimize goes downhill.")
