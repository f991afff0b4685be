"""Unit 1, logistic regression: the logic behind the assignment's visible tests, written once.

Each `test_<part>` function grades one test cell of the assignment
01_logistic_regression: it runs the student's function (passed in, never
looked up by name) on the inputs the cell shows, checks what the part's
instructions promise, prints one line per checked value, and raises
AssertionError with the diagnosis (what is wrong, the likely reason, where
to look) at the first problem.

    from utils.testing import unit1
    w, b, X, Y = unit1.logistic_problem(seed=102)
    unit1.test_propagate_dw(propagate, w, b, X, Y)

Shapes, in the course's notation: X (n_x, m) with one example per column,
Y (1, m) of 0/1 labels, w (n_x, 1), b a number, Z = w^T X + b and
A = sigmoid(Z) of shape (1, m), the cost J a number.

Where the expected values come from. Nothing here computes a graded answer
for inputs other than its own test's:
- propagate: a numerical (finite-difference) gradient of the cost, the
  referee the lesson trusts, for the tests' own problems only
  (logistic_problem of PROPAGATE_SEEDS); the hidden tests fail a propagate
  that calls it or anything else in this module;
- optimize: gradient descent on a bowl, J = (|w - w*|^2 + (b - b*)^2) / 2,
  which stands in for propagate (`bowl_propagate`) and has a closed form;
- predict: labels stored for the test's own (w, b, X) only;
- model: stand-ins for initialize_with_zeros, optimize and predict that
  answer only the calls the test expects (utils.testing._common.stand_in);
- model on real data: a bound on the share of right predictions on both
  sets, and a watch on the arguments model passes to the student's optimize.

The `check_*` functions and the suspect builders are shared with the hidden
tests, which feed them the grader's references.

Public API
----------
SIGNATURES                                          the assignment's def lines (stand-ins must match them)
logistic_problem(seed, n_x=3, m=7)                  (w, b, X, Y) for the propagate tests
test_initialize_with_zeros(initialize_with_zeros, dim)
test_propagate_cost(propagate, w, b, X, Y)
test_propagate_dw(propagate, w, b, X, Y)
test_propagate_db(propagate, w, b, X, Y)
bowl_propagate(X, Y)                                the bowl stand-in for propagate (knows only X, Y)
test_optimize_update(optimize, w, b, X, Y, num_iterations, learning_rate)
test_optimize_costs(optimize, w, b, X, Y, num_iterations, learning_rate)
test_predict(predict, w, b, X)                      only the cell's own (w, b, X): PREDICT_PROBLEM
model_problem(seed, n_x=3, m_train=37, m_test=13)   small random train and test sets
test_model_outputs(model, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate)
test_model_on_real_data(model, optimize, X_train, Y_train, X_test, Y_test, num_iterations,
                        learning_rate, min_accuracy)

Shared with the hidden tests: returned, grads_entry, model_entry (a function's result, checked);
check_zeros, check_cost, check_dw, check_db, check_optimize_result, check_costs, check_labels,
check_model_result, check_optimize_call, check_real_data_result (one part's result against
expected values); predict_mistakes and the descriptions ASCENT_W, ASCENT_B, ELEMENTWISE_DW, ROW_DW;
optimize_watch and train_watched (model run with the student's optimize watched).
"""

import math

import numpy as np

from utils.activations import sigmoid
from utils.checks import (
    NUMERICAL_ATOL,
    NUMERICAL_RTOL,
    check_array,
    check_float,
    check_type,
    run_student,
)
from utils.gradcheck import numerical_gradient
from utils.losses import binary_cross_entropy_loss
from utils.testing._common import (
    changed_test_cell,
    closest_miss,
    match_case,
    parse_signature,
    replaced,
    replaced_all,
    stand_in,
    value_difference,
)

__all__ = [
    "ASCENT_B",
    "ASCENT_W",
    "BOWL_BOTTOM",
    "ELEMENTWISE_DW",
    "MODEL_KEYS",
    "PREDICT_PROBLEM",
    "PROPAGATE_SEEDS",
    "ROW_DW",
    "SIGNATURES",
    "bowl_propagate",
    "check_costs",
    "check_db",
    "check_dw",
    "check_labels",
    "check_model_result",
    "check_optimize_call",
    "check_optimize_result",
    "check_real_data_result",
    "check_zeros",
    "check_cost",
    "cost_count",
    "grads_entry",
    "logistic_problem",
    "model_entry",
    "model_problem",
    "optimize_watch",
    "predict_mistakes",
    "returned",
    "test_initialize_with_zeros",
    "test_model_on_real_data",
    "test_model_outputs",
    "test_optimize_costs",
    "test_optimize_update",
    "test_predict",
    "test_propagate_cost",
    "test_propagate_db",
    "test_propagate_dw",
    "train_watched",
]

#: The assignment's def lines (parameter names and defaults); every stand-in and reference matches them.
SIGNATURES = {
    "initialize_with_zeros": "(dim)",
    "propagate": "(w, b, X, Y)",
    "optimize": "(w, b, X, Y, num_iterations, learning_rate, print_cost=False)",
    "predict": "(w, b, X)",
    "model": "(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False)",
}

#: The keys of the dictionary `model` returns (Part 6).
MODEL_KEYS = ("costs", "w", "b", "Y_prediction_train", "Y_prediction_test", "train_accuracy", "test_accuracy",
              "learning_rate", "num_iterations")

# ----------------------------------------------------------------------------
# Shared pieces: what a function returned, and the typical mistakes
# ----------------------------------------------------------------------------

_ZEROS_1D = "np.zeros(dim) is 1-D, shape (dim,); the weights are the column np.zeros((dim, 1))"
#: Descriptions of the typical mistakes in dw (shared with the hidden tests, which compute their values).
ELEMENTWISE_DW = "an elementwise X * dZ: one column per example, where the matrix product X @ dZ.T sums them"
ROW_DW = "dZ^T X: the gradient came out as a row, (1, n_x), not the column (n_x, 1)"
_SIGN_DZ = "the sign of dZ: the error signal is A - Y (prediction minus label), not Y - A"
#: Descriptions of gradient ascent, for the suspects of w and b (shared with the hidden tests).
ASCENT_W = "gradient ascent: w + learning_rate * dw, steps uphill"
ASCENT_B = "gradient ascent: b + learning_rate * db, steps uphill"
_PERCENT = "a percentage; the accuracy is the fraction of correct predictions, between 0 and 1"


def returned(result, name, parts):
    """The values a function returned, checked: `parts` names them, e.g. ("grads", "cost").

    One name: the result itself. Several: a tuple (or list) of exactly that
    many items, else AssertionError naming the return statement.
    """
    if len(parts) == 1:
        return result
    check_type(f"what {name} returns", result, (tuple, list), length=len(parts),
               where=f"the return statement of {name}: return {', '.join(parts)}")
    return tuple(result)


def grads_entry(grads, key, name="propagate"):
    """grads[key] from a student's dict of gradients; AssertionError if grads is no dict or lacks the key."""
    check_type("grads", grads, dict, where=f'{name} returns grads = {{"dw": dw, "db": db}}')
    grads = dict(dict.items(grads))  # a plain dict: no overridden __getitem__
    if key not in grads:
        present = ", ".join(repr(k) for k in grads) or "nothing"
        raise AssertionError(
            f"grads has no {key!r} (it has: {present}).\n"
            f'Likely reason: the dictionary is built with other keys; return grads = {{"dw": dw, "db": db}}.\n'
            f"Look at: the line building grads in {name}."
        )
    return grads[key]


def check_zeros(w, b, dim):
    """initialize_with_zeros' result for `dim` features: w the float column zeros (dim, 1), b the number 0."""
    check_array(f"w for dim={dim}", w, np.zeros((dim, 1)), suspects={_ZEROS_1D: np.zeros(dim)},
                where="initialize_with_zeros: w is the column np.zeros((dim, 1))")
    check_type("b", b, float, where="initialize_with_zeros: b is the float 0.0")
    check_float("b", b, 0.0, where="initialize_with_zeros: b is the float 0.0")


def check_cost(cost, expected, m):
    """The cost J: a number (not an array with a shape) equal to `expected`, the mean of the m losses."""
    check_float("cost", cost, expected, m=m, where="the line computing the cost in propagate")


def check_dw(dw, expected, m, suspects, **tolerances):
    """dw (n_x, 1) against the expected gradient; suspects: {description: what a mistake gives}."""
    check_array("dw", dw, expected, m=m, suspects=suspects, where="the line computing dw in propagate", **tolerances)


def check_db(db, expected, m, **tolerances):
    """db (a number) against the expected derivative; a flipped sign is named."""
    check_float("db", db, expected, m=m, suspects={_SIGN_DZ: -expected}, where="the line computing db in propagate",
                **tolerances)


# ----------------------------------------------------------------------------
# Part 1 and Part 2: initialize_with_zeros and propagate
# ----------------------------------------------------------------------------


#: The seeds of the visible propagate tests; their test functions know only these problems.
PROPAGATE_SEEDS = (101, 102, 103)


def logistic_problem(seed, n_x=3, m=7):
    """(w, b, X, Y): a small logistic-regression problem drawn from `seed`.

    w (n_x, 1) and X (n_x, m) standard normal, b = 0.4, Y (1, m) of 0./1.
    The sizes tell mistakes apart (m not 1, 2 or 4, and m != n_x).
    """
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(n_x, 1))
    X = rng.normal(size=(n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    return w, 0.4, X, Y


def test_initialize_with_zeros(initialize_with_zeros, dim):
    """initialize_with_zeros(dim) returns (w, b): w the float column np.zeros((dim, 1)), b the float 0.0."""
    w, b = returned(run_student(initialize_with_zeros, dim), "initialize_with_zeros", ("w", "b"))
    check_zeros(w, b, dim)


def _cost(w, b, X, Y):
    """J(w, b) for the test's inputs: the mean of the per-example losses (utils.losses)."""
    return float(np.mean(binary_cross_entropy_loss(sigmoid(w.T @ X + b), Y)))


def _propagate(test, propagate, w, b, X, Y):
    """(grads, cost) from the student's propagate, called on copies of the test's inputs.

    The inputs must be one of the visible tests' own problems (logistic_problem of PROPAGATE_SEEDS); otherwise
    `test` (its name) says that its test cell was changed.
    """
    labels = ("w", "b", "X", "Y")
    seed, misses = match_case(dict(zip(labels, (w, b, X, Y))),
                              {seed: dict(zip(labels, logistic_problem(seed))) for seed in PROPAGATE_SEEDS})
    if seed is None:
        changed_test_cell(test, closest_miss(misses))
    return returned(run_student(propagate, w.copy(), b, X.copy(), Y.copy()), "propagate", ("grads", "cost"))


def test_propagate_cost(propagate, w, b, X, Y):
    """propagate(w, b, X, Y)'s cost is J, the mean of the m per-example losses, a number."""
    _, cost = _propagate("test_propagate_cost", propagate, w, b, X, Y)
    check_cost(cost, _cost(w, b, X, Y), m=X.shape[1])


def test_propagate_dw(propagate, w, b, X, Y):
    """propagate(w, b, X, Y)'s grads["dw"] has the shape (n_x, 1) of w and matches a numerical gradient of J."""
    m = X.shape[1]
    grads, _ = _propagate("test_propagate_dw", propagate, w, b, X, Y)
    numerical_dw = numerical_gradient(lambda nudged: _cost(nudged, b, X, Y), w.copy())
    # What an elementwise X * dZ / m gives: each example's share of dw, one column per example, not summed.
    per_example = np.hstack([numerical_gradient(lambda nudged: _cost(nudged, b, X[:, [i]], Y[:, [i]]) / m, w.copy())
                             for i in range(m)])
    check_dw(grads_entry(grads, "dw"), numerical_dw, m, {ELEMENTWISE_DW: per_example},
             rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)


def test_propagate_db(propagate, w, b, X, Y):
    """propagate(w, b, X, Y)'s grads["db"] is a number that matches a numerical derivative of J."""
    grads, _ = _propagate("test_propagate_db", propagate, w, b, X, Y)
    numerical_db = float(numerical_gradient(lambda nudged: _cost(w, nudged, X, Y), np.array([[float(b)]]))[0, 0])
    check_db(grads_entry(grads, "db"), numerical_db, m=X.shape[1], rtol=NUMERICAL_RTOL)


# ----------------------------------------------------------------------------
# Part 4: optimize, on a bowl whose answer is known exactly
# ----------------------------------------------------------------------------

#: The bottom (w*, b*) of the bowl J(w, b) = (|w - w*|^2 + (b - b*)^2) / 2, for n_x = 3 features.
BOWL_BOTTOM = (np.array([[0.5], [-1.0], [2.0]]), 0.75)

_BOWL_RULE = ("optimize calls propagate(w, b, X, Y) with the X and Y it was given, unchanged "
              "(the tests replace propagate by other functions under that name)")


def bowl_propagate(X, Y):
    """A stand-in for propagate: the bowl J(w, b) = (|w - w*|^2 + (b - b*)^2) / 2 around BOWL_BOTTOM.

    It answers ({"dw": w - w*, "db": b - b*}, J) for any w, b, but only for
    this test's own X and Y (which it ignores otherwise); a call with other
    data raises AssertionError stating the rule. Gradient descent with step
    alpha then has a closed form: after k steps, w = w* + (1 - alpha)^k (w0 - w*).
    """
    w_bottom, b_bottom = BOWL_BOTTOM

    def answer(_, arguments):
        w, b = arguments["w"], arguments["b"]
        cost = 0.5 * float(np.sum((w - w_bottom) ** 2) + np.sum((b - b_bottom) ** 2))
        return {"dw": w - w_bottom, "db": b - b_bottom}, cost

    return stand_in("propagate", SIGNATURES, cases=[{"X": X, "Y": Y}], answer=answer, rule=_BOWL_RULE)


def _bowl_after(w, b, k, alpha):
    """(w, b, J) after k steps of gradient descent with step alpha on the bowl, from (w, b)."""
    w_bottom, b_bottom = BOWL_BOTTOM
    shrink = (1.0 - alpha) ** k
    w_k, b_k = w_bottom + shrink * (w - w_bottom), b_bottom + shrink * (float(b) - b_bottom)
    return w_k, b_k, 0.5 * (float(np.sum((w_k - w_bottom) ** 2)) + (b_k - b_bottom) ** 2)


def _require_bowl_start(test, w, X):
    if np.shape(w) != BOWL_BOTTOM[0].shape or np.shape(X)[:1] != (BOWL_BOTTOM[0].shape[0],):
        changed_test_cell(test, f"the bowl has n_x = {BOWL_BOTTOM[0].shape[0]} features, and the test cell gave "
                                f"w of shape {np.shape(w)} and X of shape {np.shape(X)}")


def _optimize_on_bowl(test, optimize, w, b, X, Y, num_iterations, learning_rate):
    """(params, grads, costs) of the student's optimize with the bowl in place of propagate (`test`: its name)."""
    _require_bowl_start(test, w, X)
    with replaced(optimize, "propagate", bowl_propagate(X, Y), SIGNATURES):
        result = run_student(optimize, w.copy(), b, X, Y, num_iterations, learning_rate)
    return returned(result, "optimize", ("params", "grads", "costs"))


def check_optimize_result(params, grads, expected_params, expected_dw, suspects=None, b_suspects=None):
    """optimize's params {"w", "b"} and the last iteration's grads["dw"] against the expected ones.

    suspects / b_suspects: {description: w} / {description: b} of typical mistakes.
    """
    check_type("params", params, dict, where='optimize returns params = {"w": w, "b": b}')
    params = dict(dict.items(params))
    for key in ("w", "b"):
        if key not in params:
            raise AssertionError(f'params has no {key!r}.\nLikely reason: return params = {{"w": w, "b": b}}.\n'
                                 "Look at: the line building params in optimize.")
    check_array("w", params["w"], expected_params["w"], suspects=suspects, where="the loop and the update of w in optimize")
    check_float("b", params["b"], expected_params["b"], suspects=b_suspects, where="the update of b in optimize")
    check_array("grads['dw']", grads_entry(grads, "dw", "optimize"), expected_dw,
                where="optimize returns the gradient of the last iteration, computed before the last step")


def cost_count(num_iterations):
    """How many costs optimize records: at iterations 0, 100, 200, ... below num_iterations."""
    return math.ceil(num_iterations / 100)


def check_costs(costs, expected, num_iterations, suspects=None):
    """optimize's costs: a list of numbers, J at iterations 0, 100, 200, ..., each before that step.

    expected: the list of expected costs; suspects: [{description: value}] per entry (or None).
    """
    check_type("costs", costs, list, where="optimize returns costs, a list")
    if len(costs) != len(expected):
        raise AssertionError(
            f"costs holds {len(costs)} values; {num_iterations} iterations should record {len(expected)} costs "
            f"(at iterations {', '.join(str(100 * k) for k in range(min(len(expected), 3)))}"
            f"{', ...' if len(expected) > 3 else ''}).\n"
            "Likely reason: record the cost only when iteration % 100 == 0, once per such iteration.\n"
            "Look at: the if statement around costs.append in optimize."
        )
    for index, (recorded, value) in enumerate(zip(costs, expected)):
        check_float(f"costs[{index}] (iteration {100 * index})", recorded, value,
                    suspects=suspects[index] if suspects else None,
                    where="when optimize records the cost (before the step, at iterations 0, 100, 200 and so on)")


def test_optimize_update(optimize, w, b, X, Y, num_iterations, learning_rate):
    """optimize takes num_iterations steps w <- w - learning_rate * dw, b <- b - learning_rate * db (on the bowl).

    Also: grads is the gradient of the last iteration, computed before its step.
    """
    params, grads, _ = _optimize_on_bowl("test_optimize_update", optimize, w, b, X, Y, num_iterations, learning_rate)
    n, alpha = num_iterations, learning_rate
    w_n, b_n, _ = _bowl_after(w, b, n, alpha)
    suspects = {
        ASCENT_W: _bowl_after(w, b, n, -alpha)[0],
        "one step too few: the loop should run num_iterations times": _bowl_after(w, b, n - 1, alpha)[0],
        "one step too many: the loop should run num_iterations times": _bowl_after(w, b, n + 1, alpha)[0],
    }
    last_dw = _bowl_after(w, b, n - 1, alpha)[0] - BOWL_BOTTOM[0]
    check_optimize_result(params, grads, {"w": w_n, "b": b_n}, last_dw, suspects,
                          {ASCENT_B: _bowl_after(w, b, n, -alpha)[1]})


def test_optimize_costs(optimize, w, b, X, Y, num_iterations, learning_rate):
    """optimize's costs lists J at iterations 0, 100, 200, ..., each taken before that iteration's step (on the bowl)."""
    _, _, costs = _optimize_on_bowl("test_optimize_costs", optimize, w, b, X, Y, num_iterations, learning_rate)
    iterations = range(0, num_iterations, 100)
    expected = [_bowl_after(w, b, k, learning_rate)[2] for k in iterations]
    suspects = [{
        "the cost after the step instead of before it": _bowl_after(w, b, k + 1, learning_rate)[2],
        "gradient ascent: the steps go uphill (w + learning_rate * dw), so the cost grows":
            _bowl_after(w, b, k, -learning_rate)[2],
    } for k in iterations]
    check_costs(costs, expected, num_iterations, suspects)


# ----------------------------------------------------------------------------
# Part 5: predict
# ----------------------------------------------------------------------------

#: The visible predict test's own inputs (w, b, X): u = w^T x falls in every interval where the sigmoid
#: or b changes a label (u in (-b, 0], (0, b], (b, 0.5] with b = 0.25), so each mistake gives other labels.
PREDICT_PROBLEM = (
    np.array([[1.5], [-2.0]]),
    0.25,
    np.array([[0.3, -1.2, 2.0, 0.2, 0.5, 0.6, -2.2, 0.9, 1.1],
              [0.5, 0.2, 1.0, 0.2, 0.3, 0.25, -1.5, 1.4, 0.3]]),
)

def predict_mistakes(probabilities, labels, no_sigmoid, no_b, neither):
    """{description: what predict returns} for its typical mistakes, from the test's own values.

    probabilities: sigmoid(w^T X + b), (1, m); labels: the right labels, (1, m);
    no_sigmoid / no_b / neither: the labels of (w^T X + b > 0.5), (w^T X > 0), (w^T X > 0.5).
    """
    m = np.shape(labels)[1]
    return {
        "probabilities sigmoid(w^T x + b) instead of 0/1 labels: threshold them at 0.5": probabilities,
        "the labels are flipped: 1 should go where the probability is above 0.5": 1.0 - labels,
        "the sigmoid is missing: z = w^T x + b was compared with 0.5; compare sigmoid(z) with 0.5 (or z with 0)":
            no_sigmoid,
        "+ b is missing: the bias shifts every z = w^T x + b before the sigmoid": no_b,
        "the sigmoid and + b are both missing: w^T x was compared with 0.5; the label is 1 where "
        "sigmoid(w^T x + b) > 0.5": neither,
        "every label is 1: a probability is always above 0, so threshold it at 0.5": np.ones((1, m)),
    }


# Stored for PREDICT_PROBLEM only (z = w^T x + b = -0.3, -1.95, 1.25, 0.15, 0.4, 0.65, -0.05, -1.2, 1.3).
_PREDICT_LABELS = np.array([[0, 0, 1, 1, 1, 1, 0, 0, 1]], dtype=float)
_PREDICT_MISTAKES = predict_mistakes(
    probabilities=np.array([[0.425557483188, 0.124553358187, 0.777299861175, 0.537429845344, 0.598687660112,
                             0.657010462673, 0.487502603516, 0.231475216501, 0.785834983043]]),
    labels=_PREDICT_LABELS,
    no_sigmoid=np.array([[0, 0, 1, 0, 0, 1, 0, 0, 1]], dtype=float),
    no_b=np.array([[0, 0, 1, 0, 1, 1, 0, 0, 1]], dtype=float),
    neither=np.array([[0, 0, 1, 0, 0, 0, 0, 0, 1]], dtype=float),
)


def check_labels(Y_prediction, expected, suspects):
    """predict's labels: a numpy array of shape (1, m) of 0/1 (floats, ints or bools) equal to `expected`."""
    check_type("Y_prediction", Y_prediction, np.ndarray, where="predict returns an array of shape (1, m)")
    check_array("Y_prediction", Y_prediction, expected, suspects=suspects, dtype="real", where="predict")


def test_predict(predict, w, b, X):
    """predict(w, b, X) returns a (1, m) array of 0/1 labels, 1 exactly where sigmoid(w^T x + b) > 0.5.

    Knows only PREDICT_PROBLEM (the labels are stored for those inputs).
    """
    for label, given, known in zip(("w", "b", "X"), (w, b, X), PREDICT_PROBLEM):
        difference = value_difference(given, known, label)
        if difference:
            changed_test_cell("test_predict", difference)
    Y_prediction = run_student(predict, w.copy(), b, X.copy())
    check_labels(Y_prediction, _PREDICT_LABELS, _PREDICT_MISTAKES)


# ----------------------------------------------------------------------------
# Part 6: model, with stand-ins for its parts, and on real data
# ----------------------------------------------------------------------------


def model_problem(seed, n_x=3, m_train=37, m_test=13):
    """(X_train, Y_train, X_test, Y_test): small random sets, X standard normal, Y of 0./1."""
    rng = np.random.default_rng(seed)
    X_train, X_test = rng.normal(size=(n_x, m_train)), rng.normal(size=(n_x, m_test))
    Y_train = (rng.random((1, m_train)) < 0.5).astype(float)
    Y_test = (rng.random((1, m_test)) < 0.5).astype(float)
    return X_train, Y_train, X_test, Y_test


def model_entry(result, key):
    """result[key] from the dictionary model returned; AssertionError naming the missing key otherwise."""
    check_type("the result of model", result, dict, where="model returns a dictionary")
    result = dict(dict.items(result))  # a plain dict: no overridden __getitem__ or __contains__
    if key not in result:
        missing = [name for name in MODEL_KEYS if name not in result]
        raise AssertionError(f"the dictionary model returns lacks the keys {missing}.\n"
                             f"Likely reason: it should hold {', '.join(MODEL_KEYS)}.\n"
                             "Look at: the return statement of model.")
    return result[key]


def check_model_result(result, expected, num_iterations, learning_rate, Y_train, Y_test, suspects=None):
    """model's dictionary: every key of MODEL_KEYS, each value as expected.

    expected: {"costs": [...], "w": (n_x, 1), "b": number, "Y_prediction_train": (1, m_train),
    "Y_prediction_test": (1, m_test)}; the accuracies are checked as the share of those labels equal to Y.
    suspects: {"w", "b", "Y_prediction_train" or "Y_prediction_test": {description: value}} of typical mistakes.
    """
    result = {key: model_entry(result, key) for key in MODEL_KEYS}
    check_float("result['num_iterations']", result["num_iterations"], num_iterations,
                where="model: result['num_iterations'] echoes the argument")
    check_float("result['learning_rate']", result["learning_rate"], learning_rate,
                where="model: result['learning_rate'] echoes the argument")
    costs = check_type("result['costs']", result["costs"], list,
                       where="model: result['costs'] is the list that optimize returned")
    if len(costs) != len(expected["costs"]):
        raise AssertionError(f"result['costs'] holds {len(costs)} values; optimize returned {len(expected['costs'])}.\n"
                             "Likely reason: report the costs list that optimize returned, as it is.\n"
                             "Look at: the line that stores costs in model's dictionary.")
    for index, (recorded, value) in enumerate(zip(costs, expected["costs"])):
        check_float(f"result['costs'][{index}]", recorded, value,
                    where="model: result['costs'] is the list that optimize returned")
    suspects = suspects or {}
    check_array("result['w']", result["w"], expected["w"], suspects=suspects.get("w"),
                where="model: report the trained params['w']")
    check_float("result['b']", result["b"], expected["b"], suspects=suspects.get("b"),
                where="model: report the trained params['b']")
    for part, Y in (("train", Y_train), ("test", Y_test)):
        labels = expected[f"Y_prediction_{part}"]
        check_array(f"result['Y_prediction_{part}']", result[f"Y_prediction_{part}"], labels, dtype="real",
                    suspects=suspects.get(f"Y_prediction_{part}"),
                    where=f"model: Y_prediction_{part} is what predict returns for X_{part}")
        accuracy = float(np.mean(labels == Y))
        check_float(f"{part}_accuracy", result[f"{part}_accuracy"], accuracy, suspects={_PERCENT: 100.0 * accuracy},
                    where=f"model: {part}_accuracy is the mean of (Y_prediction_{part} == Y_{part})")


def _model_stand_ins(X_train, Y_train, X_test, trained, num_iterations, learning_rate, labels):
    """Stand-ins for model's three parts that answer only the calls this test expects (see test_model_outputs)."""
    n_x = X_train.shape[0]
    initialize = stand_in("initialize_with_zeros", SIGNATURES, cases=[{"dim": n_x}],
                          answer=[(np.zeros((n_x, 1)), 0.0)],
                          rule="model starts from initialize_with_zeros(X_train.shape[0]), one weight per feature")
    train = stand_in(
        "optimize", SIGNATURES,
        cases=[{"w": np.zeros((n_x, 1)), "b": 0.0, "X": X_train, "Y": Y_train, "num_iterations": num_iterations,
                "learning_rate": learning_rate}],
        answer=[trained],
        rule="model trains with optimize(w, b, X_train, Y_train, num_iterations, learning_rate, ...): from the w, b "
             "that initialize_with_zeros gave, on the training set, passing on the num_iterations and "
             "learning_rate that model was given (not its defaults, not numbers of its own)")
    params = trained[0]
    label = stand_in(
        "predict", SIGNATURES,
        cases=[{"w": params["w"], "b": params["b"], "X": X_train}, {"w": params["w"], "b": params["b"], "X": X_test}],
        answer=list(labels),
        rule="model predicts on X_train and on X_test with the parameters that optimize returned "
             "(params['w'], params['b']), not with the starting zeros")
    return {"initialize_with_zeros": initialize, "optimize": train, "predict": label}


def test_model_outputs(model, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate):
    """model(X_train, Y_train, X_test, Y_test, num_iterations, learning_rate) puts the parts together.

    While it runs, initialize_with_zeros, optimize and predict are stand-ins
    that answer only the calls the part's instructions describe and return
    known values (so model is graded on its own); the dictionary model
    returns must report them, with the accuracies as fractions.
    """
    rng = np.random.default_rng(0)
    n_x = X_train.shape[0]
    trained = ({"w": rng.normal(size=(n_x, 1)), "b": 0.7}, {"dw": rng.normal(size=(n_x, 1)), "db": -0.2},
               [0.693147, 0.41, 0.33])
    # Known labels (not logistic regression): the first feature above 0.2.
    labels = ((X_train[:1] > 0.2).astype(float), (X_test[:1] > 0.2).astype(float))
    parts = _model_stand_ins(X_train, Y_train, X_test, trained, num_iterations, learning_rate, labels)
    with replaced_all(model, parts, SIGNATURES):
        result = run_student(model, X_train, Y_train, X_test, Y_test, num_iterations=num_iterations,
                             learning_rate=learning_rate)
    for name, times in (("initialize_with_zeros", 1), ("optimize", 1), ("predict", 2)):
        called = len(parts[name].calls)
        if called != times:
            raise AssertionError(
                f"model called {name} {called} time{'s' if called != 1 else ''}; it should call it {times} "
                f"time{'s' if times != 1 else ''}.\nLikely reason: model should use its parts: initialize_with_zeros "
                "once, optimize once (on the training set), predict on X_train and on X_test.\n"
                "Look at: the body of model.")
    params = trained[0]
    expected = {"costs": trained[2], "w": params["w"], "b": params["b"], "Y_prediction_train": labels[0],
                "Y_prediction_test": labels[1]}
    check_model_result(result, expected, num_iterations, learning_rate, Y_train, Y_test)


def optimize_watch(optimize):
    """A stand-in for optimize that records each call's arguments and lets the student's own `optimize` do the work.

    Returns the watch; its `calls` lists {parameter: value} per call.
    """
    signature = parse_signature(SIGNATURES["optimize"])
    calls = []

    def watch(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append(dict(bound.arguments))
        return optimize(*args, **kwargs)

    watch.__name__ = "optimize"
    watch.__signature__ = signature
    watch.calls = calls
    return watch


def check_optimize_call(watch, X_train, Y_train, num_iterations, learning_rate):
    """model called optimize (watched by `watch`, see optimize_watch) once, on X_train, Y_train, with its arguments."""
    if len(watch.calls) != 1:
        raise AssertionError(
            f"model called optimize {len(watch.calls)} times; it should call it once, to train on X_train, Y_train.\n"
            "Likely reason: model should use its parts (Part 6).\nLook at: the body of model.")
    (call,) = watch.calls
    for key, given in (("num_iterations", num_iterations), ("learning_rate", learning_rate)):
        if value_difference(call[key], given, key):
            raise AssertionError(
                f"model trained with {key} = {call[key]!r}, but this test called model with {key} = {given!r}.\n"
                f"Likely reason: model passes a number of its own (or its default) to optimize; pass on the "
                f"{key} that model was given.\nLook at: the call to optimize in model.")
    for key, given in (("X", X_train), ("Y", Y_train)):
        difference = value_difference(call[key], given, key)
        if difference:
            raise AssertionError(f"model did not train on X_train, Y_train: optimize's {difference}.\n"
                                 "Likely reason: optimize is called with other data.\n"
                                 "Look at: the call to optimize in model.")


def check_real_data_result(result, watch, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate,
                           min_accuracy):
    """model's result on real data: optimize called once with model's arguments, and good predictions.

    watch: the optimize_watch that stood between model and the student's optimize.
    min_accuracy: the share of right labels required in result["Y_prediction_train"] and in
    result["Y_prediction_test"] (each of shape (1, m) of that set).
    Returns (train accuracy, test accuracy).
    """
    check_optimize_call(watch, X_train, Y_train, num_iterations, learning_rate)
    accuracies = []
    for part, key, Y in (("training", "Y_prediction_train", Y_train), ("test", "Y_prediction_test", Y_test)):
        labels = check_type(f"result[{key!r}]", model_entry(result, key), np.ndarray, where="what predict returns")
        if labels.shape != Y.shape:
            raise AssertionError(
                f"{key} has shape {labels.shape}; expected {Y.shape}, one label per {part} example.\n"
                "Likely reason: a shape went wrong in an earlier part (w must stay (n_x, 1), and dw too).\n"
                "Look at: the earlier parts; make the tests above pass first.")
        accuracy = float(np.mean(np.asarray(labels, dtype=float) == Y))
        print(f"  {part} accuracy {accuracy:.3f} (at least {min_accuracy:.2f} required)")
        if not accuracy >= min_accuracy:
            raise AssertionError(
                f"the predictions on the {part} set are right for {accuracy:.1%} of the examples; a correct model "
                f"gets well over {min_accuracy:.0%} here.\nLikely reason: training does not go downhill, predict "
                "thresholds the wrong value, or model predicts with other parameters than the trained ones.\nLook at: the earlier parts; make the tests above pass first, then "
                "check that optimize goes downhill.")
        accuracies.append(accuracy)
    return tuple(accuracies)


def train_watched(model, optimize, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate, runner=None):
    """(result, watch): the student's model run with its own parts, optimize watched; a crash becomes advice.

    runner: how to call model (run_student by default; the hidden tests pass their own).
    """
    watch = optimize_watch(optimize)
    runner = runner or run_student
    try:
        with replaced(model, "optimize", watch, SIGNATURES):
            result = runner(model, X_train, Y_train, X_test, Y_test, num_iterations=num_iterations,
                            learning_rate=learning_rate)
    except (AssertionError, NotImplementedError, NameError):
        raise
    except Exception as error:
        raise AssertionError(
            f"model raised {type(error).__name__} while training on the breast cancer data: {error}\n"
            "Likely reason: a shape going wrong in an earlier part (w must stay (n_x, 1), dw too; db and b are "
            "numbers).\nLook at: the earlier parts; make the tests above pass first."
        ) from error
    return result, watch


def test_model_on_real_data(model, optimize, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate,
                            min_accuracy):
    """model, with all your parts, trained on real data with these arguments, predicts the test set well.

    optimize: the student's optimize; while model runs, a watch stands in
    for it, records the arguments model passes, and calls it.
    Requires: model calls optimize once, on X_train and Y_train, with the
    num_iterations and learning_rate it was given; result["Y_prediction_train"]
    and result["Y_prediction_test"] have one label per example, and at least
    `min_accuracy` of each are right.
    """
    result, watch = train_watched(model, optimize, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate)
    check_real_data_result(result, watch, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate,
                           min_accuracy)
