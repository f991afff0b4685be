"""Unit 5 (05_l_layer_backward): proof that the grading is right.

One nbgrader autograde run grades the solution, the blank release, one
submission per typical mistake and a few submissions of correct answers
written in other styles. Each mistake is the solution with one or two lines
(or one answer cell) changed; it must lose exactly the points of the cells
that test what it breaks, and the feedback of the function's own test cell
must name it. Each correct alternative must get every point.

Which cells a mistake fails is part of the design:

* the test cells of the function that holds the mistake. The tests of a
  function that calls other graded functions (linear_activation_backward calls
  linear_backward, L_model_backward calls both, train_network calls
  L_model_backward) swap those for stand-ins while they run: finite-difference
  ones that know the test's own inputs only in the visible part
  (utils.testing.unit5), the instructor's reference in the hidden part
  (autograder.hidden.unit5). So a mistake in linear_backward is not charged
  again in Parts 2, 3 and 5. (train_network's test accepts each step made by
  the student's own update_parameters, so a wrong update is charged to
  test_update_parameters only.)
* the end-to-end cells that use all of the student's functions, when the
  mistake breaks them: `test_train_network_digits` (trains on the digits with
  the student's own stack) and `test_gradient_check_own_network` (checks the
  student's own L_model_backward against finite differences).

End-to-end outcomes worth a note. A linear_activation_backward that forgets
relu' still trains the digits network to about 96% (the gradient is wrong but
still points downhill), so that mistake costs only the layer tests and the
own-network gradient check, which is exactly what the gradient check is for.
Hidden layers passed through the sigmoid's backward step learn the digits to
94.7% at seed 0 (94-96% over seeds), just under the 95% asked: a machine that
rounds differently could land above it, so that one cell may go either way
(AT_THE_EDGE). A missing 1/m
multiplies the learning rate by the batch size and the training diverges.

The hard-coding holes of the end-to-end tests (#20): a train_network with the
learning rate or the output layer typed in, or whose batches ignore the passes
of the docstring, and a gradient_check that ignores seed or n_directions or
has the sigmoid typed in, each lose their cells. (A train_network that ignores
batch_size altogether is proven in tests/test_testing_unit5.py: here it would
train the digits full-batch for over a minute.)

The last tests run cells in-process: an answer that gets right values from
the numerical oracles of utils or from the shipped test helpers
(utils.testing.unit5) passes a visible part but earns nothing, because the
hidden part forbids them.
"""

import nbformat
import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    autograde,
    blank_submission,
    describe,
    notebook_path,
    solution_code,
    submission_with,
    with_bug,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "05_l_layer_backward"

AUTOGRADED_POINTS = {
    "test_linear_backward": 3,
    "test_linear_activation_backward_relu": 1,
    "test_linear_activation_backward_sigmoid": 1,
    "test_linear_activation_backward_tanh": 1,
    "test_L_model_backward_sigmoid": 2,
    "test_L_model_backward_softmax": 2,
    "test_update_parameters": 1,
    "test_train_network": 2,
    "test_train_network_digits": 3,
    "test_gradient_check": 2,
    "test_gradient_check_own_network": 1,
}

DIGITS = "test_train_network_digits"
OWN_CHECK = "test_gradient_check_own_network"
UPDATE = "test_update_parameters"
TRAIN = "test_train_network"
GRADIENT_CHECK = "test_gradient_check"
LAYER_TESTS = {
    "test_linear_activation_backward_relu",
    "test_linear_activation_backward_sigmoid",
    "test_linear_activation_backward_tanh",
}
L_MODEL_TESTS = {"test_L_model_backward_sigmoid", "test_L_model_backward_softmax"}

# The L_model_backward of well-known notebooks: keys dA1..dAL, dA{l+1} holding dJ/dA[l] (#20.2).
DA_KEYS_ONE_UP = '''
def L_model_backward(AL, Y, caches, output="sigmoid"):
    grads = {}
    L = len(caches)
    dZ = AL - Y
    grads["dA" + str(L)], grads["dW" + str(L)], grads["db" + str(L)] = linear_backward(dZ, caches[L - 1][0])
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 2)], caches[l], "relu")
        grads["dA" + str(l + 1)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    return grads
'''

# A sigmoid-only L_model_backward whose def line lost `output` (#20.2).
WITHOUT_OUTPUT = '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l], "relu")
    return grads
'''

# An update that writes to local variables and returns the untouched copy (#20.2).
UPDATE_LOST = '''
import copy


def update_parameters(params, grads, learning_rate):
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(L):
        W = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        b = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters
'''

# name: (answer cell, {solution line: buggy line} or the whole cell, cells that must fail,
#        {failing cell: phrases its feedback must contain})
MISTAKES = {
    "no_1_over_m": (
        "linear_backward",
        {
            "dW = dZ @ A_prev.T / m": "dW = dZ @ A_prev.T",
            "db = np.sum(dZ, axis=1, keepdims=True) / m": "db = np.sum(dZ, axis=1, keepdims=True)",
        },
        {"test_linear_backward", DIGITS, OWN_CHECK},
        {"test_linear_backward": ["dW is off by a factor of m = 7", "forgot to average"]},
    ),
    "dW_transposed": (
        "linear_backward",
        {"dW = dZ @ A_prev.T / m": "dW = A_prev @ dZ.T / m"},
        {"test_linear_backward", DIGITS, OWN_CHECK},
        {"test_linear_backward": ["dW is transposed", "the line computing dW"]},
    ),
    "db_without_keepdims": (
        "linear_backward",
        {"db = np.sum(dZ, axis=1, keepdims=True) / m": "db = np.sum(dZ, axis=1) / m"},
        {"test_linear_backward", DIGITS, OWN_CHECK},
        {"test_linear_backward": ["db has shape (3,)", "keepdims=True"]},
    ),
    "dA_prev_without_transpose": (
        "linear_backward",
        {"dA_prev = W.T @ dZ": "dA_prev = W @ dZ"},
        {"test_linear_backward", DIGITS, OWN_CHECK},
        {"test_linear_backward": ["linear_backward raised a shape error", ".T"]},
    ),
    "sigmoid_used_for_its_derivative": (
        "linear_activation_backward",
        {'"sigmoid": sigmoid_derivative': '"sigmoid": lambda Z: 1 / (1 + np.exp(-Z))'},
        {"test_linear_activation_backward_sigmoid"},
        {"test_linear_activation_backward_sigmoid": ["sigmoid(Z) was used where its derivative sigmoid'(Z) belongs"]},
    ),
    "dA_passed_as_dZ": (
        "linear_activation_backward",
        {"dZ = dA * derivatives[activation](Z)": "dZ = dA"},
        LAYER_TESTS | {OWN_CHECK},
        {test: ["dA was passed on as dZ"] for test in LAYER_TESTS},
    ),
    "whole_layer_cache_to_linear_backward": (
        "linear_activation_backward",
        {"return linear_backward(dZ, linear_cache)": "return linear_backward(dZ, cache)"},
        LAYER_TESTS | {DIGITS, OWN_CHECK},
        {test: ["linear_backward was called with inputs this test did not give it",
                "pass the layer's linear cache, cache[0] = (A_prev, W, b), on to linear_backward unchanged"]
         for test in LAYER_TESTS},
    ),
    "cache_of_the_wrong_layer": (
        "L_model_backward",
        {'caches[layer - 1], "relu")': 'caches[layer], "relu")'},
        L_MODEL_TESTS | {DIGITS, OWN_CHECK},
        {test: ["Layer l's cache is caches[l - 1]"] for test in L_MODEL_TESTS},
    ),
    "loop_stops_before_layer_1": (
        "L_model_backward",
        {"for layer in range(n_layers - 1, 0, -1):": "for layer in range(n_layers - 1, 1, -1):"},
        L_MODEL_TESTS | {DIGITS, OWN_CHECK},
        {test: ["dW1 is missing from grads", "must run down to layer 1"] for test in L_MODEL_TESTS},
    ),
    "sigmoid_output_through_sigmoid_derivative": (
        "L_model_backward",
        {
            "dZ = AL - Y.reshape(AL.shape)": (
                'dZ = AL - Y.reshape(AL.shape)\n    if output == "sigmoid":\n'
                "        dZ = dZ * sigmoid_derivative(caches[-1][1])"
            )
        },
        {"test_L_model_backward_sigmoid", OWN_CHECK},
        {"test_L_model_backward_sigmoid": ["AL - Y was multiplied by sigmoid'(ZL) again"]},
    ),
    # The most copied bug of this assignment (#20.2): the hidden layers through the sigmoid's backward step.
    "hidden_layers_through_sigmoid": (
        "L_model_backward",
        {'caches[layer - 1], "relu")': 'caches[layer - 1], "sigmoid")'},
        L_MODEL_TESTS | {DIGITS, OWN_CHECK},
        {test: ["the hidden layers were passed through the sigmoid's backward step",
                "linear_activation_backward(dA[l], caches[l - 1], 'relu')"] for test in L_MODEL_TESTS},
    ),
    "dA_keys_one_up": (
        "L_model_backward",
        DA_KEYS_ONE_UP,
        L_MODEL_TESTS,
        {test: ["grads numbers the dA keys one up", "the values are right; only the keys are off",
                "there is no dA3"] for test in L_MODEL_TESTS},
    ),
    "def_line_without_output": (
        "L_model_backward",
        WITHOUT_OUTPUT,
        L_MODEL_TESTS | {DIGITS, OWN_CHECK},
        {test: ["L_model_backward's def line has no parameter `output`",
                "def L_model_backward(AL, Y, caches, output='sigmoid')"] for test in L_MODEL_TESTS},
    ),
    "gradient_ascent": (
        "update_parameters",
        {"value - learning_rate * grads": "value + learning_rate * grads"},
        {UPDATE, DIGITS},
        {UPDATE: ["the gradient was added (+)"]},
    ),
    "update_returns_params_unchanged": (
        "update_parameters",
        UPDATE_LOST,
        {UPDATE, DIGITS},
        {UPDATE: ["W1 was returned unchanged", "an update written to a local variable"]},
    ),
    "update_lost_the_minus_and_W": (
        "update_parameters",
        {"value - learning_rate * grads": "learning_rate * grads"},
        {UPDATE, DIGITS},
        {UPDATE: ["the update lost W1 and the minus sign"]},
    ),
    "initialisation_ignores_seed": (
        "train_network",
        {"params = initialize_parameters(layer_dims, seed=seed)": "params = initialize_parameters(layer_dims)"},
        {TRAIN},
        {TRAIN: ["W1 at the first step", "initialize_parameters(layer_dims) always uses seed 0"]},
    ),
    # Hard-coding holes of the end-to-end tests (#20.4).
    "train_network_learning_rate_typed_in": (
        "train_network",
        {"params = update_parameters(params, grads, learning_rate)": "params = update_parameters(params, grads, 0.05)"},
        {TRAIN},
        {TRAIN: ["the step used a learning rate of 0.05, not the learning_rate argument 0.3"]},
    ),
    "train_network_sigmoid_typed_in": (
        "train_network",
        {'output = "softmax" if Y.shape[0] > 1 else "sigmoid"': 'output = "sigmoid"'},
        {TRAIN, DIGITS},
        {TRAIN: ["The output layer here is 'softmax' (Y has 3 rows)", "never a fixed one"]},
    ),
    "mini_batches_drawn_afresh_each_step": (
        "train_network",
        {"columns = order[position:position + size]": "columns = rng.choice(m, size, replace=False)"},
        {TRAIN},
        {TRAIN: ["again in the same pass through the data", "shuffle once per pass"]},
    ),
    "gradient_check_leaves_out_db": (
        "gradient_check",
        {"names = sorted(params)": 'names = [name for name in sorted(params) if name.startswith("W")]'},
        {GRADIENT_CHECK},
        {GRADIENT_CHECK: ["the db gradients were left out of the check"]},
    ),
    "gradient_check_ignores_seed": (
        "gradient_check",
        {"n_directions=n_directions, seed=seed)": "n_directions=n_directions, seed=0)"},
        {GRADIENT_CHECK},
        {GRADIENT_CHECK: ["for seeds 0, 1, 2 and 3", "seed is not passed on"]},
    ),
    "gradient_check_ignores_n_directions": (
        "gradient_check",
        {"n_directions=n_directions, seed=seed)": "n_directions=3, seed=seed)"},
        {GRADIENT_CHECK},
        {GRADIENT_CHECK: ["n_directions is not passed on to directional_check"]},
    ),
    "gradient_check_sigmoid_typed_in": (
        "gradient_check",
        {'return compute_cost(model_forward(X, p, hidden="relu", output=output)[0], Y, output)':
         'return compute_cost(model_forward(X, p, hidden="relu", output="sigmoid")[0], Y, "sigmoid")'},
        {GRADIENT_CHECK, OWN_CHECK},
        {OWN_CHECK: ["The output layer here is 'softmax'", "never a fixed one"]},
    ),
}

# Cells where a mistake's outcome sits at a threshold, so that another BLAS (rounding differently over 3000 steps)
# could flip it: either outcome is accepted there; every other cell must lose or keep its points exactly as designed.
AT_THE_EDGE = {"hidden_layers_through_sigmoid": {DIGITS}}  # 94.7% at seed 0, against the 95% asked

# Correct answers written in other styles: every autograded point. {name: {answer cell: code}}
ACCEPTED = {
    # #20.1: keyword calls (activation="relu"), the dAL route for the sigmoid, reversed(range(...)), str() keys.
    "L_model_backward_with_keywords": {"L_model_backward": '''
def L_model_backward(AL, Y, caches, output="sigmoid"):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    if output == "sigmoid":
        dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
        dA_prev, dW, db = linear_activation_backward(dA=dAL, cache=caches[L - 1], activation="sigmoid")
    else:
        dA_prev, dW, db = linear_backward(dZ=AL - Y, cache=caches[L - 1][0])
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev, dW, db
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache,
                                                                    activation="relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp
    return grads
'''},
    # np.dot and einsum, np.mean, the utils backward steps with keyword calls, a dict comprehension over
    # the layers, a full gradient check written with loops, numpy scalars in the settings.
    "other_styles": {
        "linear_backward": '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.einsum("im,jm->ij", dZ, A_prev) / m
    db = np.mean(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return (dA_prev, dW, db)
''',
        "linear_activation_backward": '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA=dA, Z=activation_cache)
    elif activation == "tanh":
        dZ = tanh_backward(dA, activation_cache)
    else:
        raise ValueError(activation)
    return linear_backward(dZ=dZ, cache=linear_cache)
''',
        "update_parameters": '''
def update_parameters(params, grads, learning_rate):
    L = len(params) // 2
    return {f"{kind}{l}": params[f"{kind}{l}"] - learning_rate * grads[f"d{kind}{l}"]
            for l in range(1, L + 1) for kind in ("W", "b")}
''',
        "digits_hyperparameters": '''
def digits_hyperparameters():
    return {"layer_dims": np.array([64, 128, 64, 10]), "learning_rate": np.float64(0.05),
            "num_iterations": np.int64(3000), "batch_size": np.int64(32)}
''',
        "gradient_check": '''
def gradient_check(params, X, Y, output="sigmoid", method="full", backward=None, n_directions=3, seed=0):
    if backward is None:
        backward = L_model_backward
    J = lambda p: compute_cost(model_forward(X, p, hidden="relu", output=output)[0], Y, output)
    AL, caches = model_forward(X, params, hidden="relu", output=output)
    grads = backward(AL, Y, caches, output=output)
    if method == "directional":
        return max(result.relative_error for result in directional_check(J, params, grads, n_directions=n_directions,
                                                                         seed=seed))
    epsilon = 1e-7
    analytic, numeric = [], []
    for name in params:
        value = params[name]
        for index in np.ndindex(value.shape):
            original = value[index]
            value[index] = original + epsilon
            J_plus = J(params)
            value[index] = original - epsilon
            J_minus = J(params)
            value[index] = original
            numeric.append((J_plus - J_minus) / (2 * epsilon))
            analytic.append(grads["d" + name][index])
    analytic, numeric = np.array(analytic).reshape(-1, 1), np.array(numeric).reshape(-1, 1)
    return np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
''',
    },
    # By-hand derivatives, an in-place update that returns params, and mini-batches in the style of
    # well-known notebooks: a last smaller batch, a fresh permutation per pass, costs as 0-d arrays,
    # keyword calls of L_model_backward and update_parameters.
    "by_hand_and_last_smaller_batch": {
        "linear_activation_backward": '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = np.array(dA, copy=True)
        dZ[Z <= 0] = 0
    elif activation == "sigmoid":
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    else:
        dZ = dA * (1 - np.tanh(Z) ** 2)
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db
''',
        "update_parameters": '''
def update_parameters(params, grads, learning_rate):
    for name in params:
        params[name] -= learning_rate * grads["d" + name]
    return params
''',
        "train_network": '''
def train_network(X, Y, layer_dims, learning_rate, num_iterations, seed=0, batch_size=None):
    output = "softmax" if Y.shape[0] > 1 else "sigmoid"
    params = initialize_parameters(layer_dims, seed=seed)
    m = X.shape[1]
    rng = np.random.default_rng(seed)
    batches = []
    costs = []
    for i in range(num_iterations):
        if batch_size is None:
            X_batch, Y_batch = X, Y
        else:
            if not batches:
                permutation = rng.permutation(m)
                batches = [permutation[k:k + batch_size] for k in range(0, m, batch_size)]
            columns = batches.pop(0)
            X_batch, Y_batch = X[:, columns], Y[:, columns]
        AL, caches = model_forward(X_batch, params, hidden="relu", output=output)
        costs.append(np.squeeze(compute_cost(AL, Y_batch, output)))
        grads = L_model_backward(AL, Y_batch, caches, output=output)
        params = update_parameters(params=params, grads=grads, learning_rate=learning_rate)
    return params, costs
''',
    },
}


def _submissions():
    solutions = solution_code(ASSIGNMENT)
    submissions = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT)}
    for name, (cell, replacements, *_) in MISTAKES.items():
        submissions[name] = submission_with(ASSIGNMENT, {cell: with_bug(solutions, cell, replacements)})
    for name, cells in ACCEPTED.items():
        submissions[name] = submission_with(ASSIGNMENT, cells)
    return submissions


@pytest.fixture(scope="module")
def results():
    return autograde(ASSIGNMENT, _submissions())


def test_grading_runs_without_problems(results):
    assert_no_grading_problems(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    assert_designed_points(results, AUTOGRADED_POINTS)


def test_solution_gets_every_autograded_point(results):
    assert_solution_gets_every_point(results, AUTOGRADED_POINTS)


def test_solution_runs_the_hidden_tests(results):
    for grade_id, text in results["solution"].feedback.items():
        assert "The hidden checks passed." in text, f"{grade_id}: the hidden part did not run to the end:\n{text}"


def test_blank_release_gets_zero_and_says_not_implemented(results):
    assert_blank_gets_zero(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    edge = AT_THE_EDGE.get(mistake)
    if not edge:
        assert_loses_exactly(results, mistake, MISTAKES[mistake][2])
        return
    result, failing = results[mistake], MISTAKES[mistake][2]
    assert result.failed - edge == failing - edge, describe({mistake: result})
    for grade_id, (points, max_points) in result.scores.items():
        if grade_id not in edge:
            assert points == (0 if grade_id in failing else max_points), f"{mistake}: {grade_id} scored {points}"


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])


@pytest.mark.parametrize("alternative", sorted(ACCEPTED))
def test_correct_answers_in_other_styles_get_every_point(results, alternative):
    result = results[alternative]
    assert result.total == result.max_total == sum(AUTOGRADED_POINTS.values()), describe({alternative: result})


# What a student might paste in as an answer: right values, computed with the numerical oracles students have in
# utils, or with the helpers of the shipped test module. {test cell: (graded function, code, what it calls)}
ORACLE_ANSWERS = {
    "test_linear_backward": ("linear_backward", """
from utils.forward import linear_forward
from utils.gradcheck import numerical_layer_gradient


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return (numerical_layer_gradient(lambda A: linear_forward(A, W, b)[0], A_prev.copy(), dZ),
            numerical_layer_gradient(lambda W_: linear_forward(A_prev, W_, b)[0], W.copy(), dZ) / m,
            numerical_layer_gradient(lambda b_: linear_forward(A_prev, W, b_)[0], b.copy(), dZ) / m)
""", "utils.gradcheck.numerical"),
    "test_linear_activation_backward_relu": ("linear_activation_backward", """
from utils.activations import activation as activation_function
from utils.gradcheck import numerical_layer_gradient


def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    return linear_backward(numerical_layer_gradient(activation_function(activation), Z.copy(), dA), linear_cache)
""", "utils.gradcheck.numerical"),
    "test_L_model_backward_sigmoid": ("L_model_backward", """
from utils.gradcheck import numerical_gradient, numerical_gradients
from utils.losses import compute_cost


def L_model_backward(AL, Y, caches, output="sigmoid"):
    X = caches[0][0][0]
    params = {}
    for layer, ((A_prev, W, b), Z) in enumerate(caches, start=1):
        params[f"W{layer}"], params[f"b{layer}"] = W.copy(), b.copy()
    cost = lambda p, A0=X: compute_cost(model_forward(A0, p, hidden="relu", output=output)[0], Y, output)
    grads = {"d" + name: value for name, value in numerical_gradients(cost, params).items()}
    for layer in range(1, len(caches) + 1):
        A_prev = caches[layer - 1][0][0]
        rest = {f"{kind}{k}": params[f"{kind}{k}"] for k in range(layer, len(caches) + 1) for kind in "Wb"}
        renamed = {f"{name[0]}{int(name[1:]) - layer + 1}": value for name, value in rest.items()}
        grads[f"dA{layer - 1}"] = Y.shape[1] * numerical_gradient(lambda A: cost(renamed, A), A_prev.copy())
    return grads
""", "utils.gradcheck.numerical"),
    "test_L_model_backward_softmax": ("L_model_backward", """
from utils.testing import unit5


def L_model_backward(AL, Y, caches, output="sigmoid"):
    return unit5._network(caches, AL - Y)
""", "utils.testing.unit5._network"),
    "test_linear_activation_backward_tanh": ("linear_activation_backward", """
from utils.testing import unit5


def linear_activation_backward(dA, cache, activation):
    grads = unit5._layer(dA, cache, activation)
    return grads["dA_prev"], grads["dW"], grads["db"]
""", "utils.testing.unit5._layer"),
}


def _cells(folder):
    notebook = nbformat.read(notebook_path(folder, ASSIGNMENT), as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }


def _solution_namespace():
    """A namespace like the student's kernel after running the solution: imports cell and every answer cell."""
    source = _cells("source")
    namespace = {}
    exec(source["imports"].source, namespace)
    for grade_id, code in solution_code(ASSIGNMENT).items():
        if source[grade_id].cell_type == "code":
            exec(code, namespace)
    return namespace


@pytest.mark.parametrize("test_cell", sorted(ORACLE_ANSWERS))
def test_an_answer_built_on_oracles_or_test_helpers_earns_nothing(test_cell, capsys):
    """Right values from utils.gradcheck or utils.testing pass the visible part but not the hidden part."""
    graded, answer, called = ORACLE_ANSWERS[test_cell]
    namespace = _solution_namespace()
    exec(answer, namespace)
    with pytest.raises(AssertionError) as failure:
        exec(_cells("source")[test_cell].source, namespace)
    printed = capsys.readouterr().out
    assert "The visible checks passed." in printed, f"{graded} built on {called} should pass the visible part"
    message = str(failure.value)
    assert message.startswith(f"{graded} called {called}"), message
