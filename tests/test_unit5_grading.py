"""Unit 5 (05_l_layer_backward): proof that the grading is right.

One nbgrader autograde run grades the solution, the blank release and one
submission per typical mistake. Each mistake is the solution with one or two
lines changed; it must lose exactly the points of the cells that test what it
breaks, and the feedback of the function's own test cell must name it.

Which cells a mistake fails is part of the design:

* the test cells of the function that holds the mistake. The tests of a
  function that calls other graded functions (linear_activation_backward calls
  linear_backward, L_model_backward calls both, train_network calls
  L_model_backward) swap those for stand-ins while they run: numerical ones in
  the visible part, the instructor's reference in the hidden part. So a
  mistake in linear_backward is not charged again in Parts 2, 3 and 5.
  (train_network's test follows the student's own update_parameters, so a
  wrong update is charged to test_update_parameters only.)
* the end-to-end cells that use all of the student's functions, when the
  mistake breaks them: `test_train_network_digits` (trains on the digits with
  the student's own stack) and `test_gradient_check_own_network` (checks the
  student's own L_model_backward against finite differences).

Two end-to-end outcomes deserve a note. A linear_activation_backward that
forgets relu' still trains the digits network to about 96% (the gradient is
wrong but still points downhill), so that mistake costs only the layer tests
and the own-network gradient check, which is exactly what the gradient check
is for. A missing 1/m multiplies the learning rate by the batch size, and the
training diverges (10% accuracy).

The visible tests put stand-ins in for the other graded functions; the last
test proves that each knows its own test's inputs only, so none of them is a
drop-in answer. An answer that gets right values from the numerical oracles
of utils passes a visible part but earns nothing: the hidden part forbids the
oracles. Those two proofs run the cells in-process, because a numerical
backward pass inside the digits training would take hours.
"""

import ast

import nbformat
import numpy as np
import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    grade_variants,
    notebook_path,
    solution_code,
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
LAYER_TESTS = {
    "test_linear_activation_backward_relu",
    "test_linear_activation_backward_sigmoid",
    "test_linear_activation_backward_tanh",
}
L_MODEL_TESTS = {"test_L_model_backward_sigmoid", "test_L_model_backward_softmax"}

# name: (answer cell, {solution line: buggy line}, cells that must fail, {failing cell: phrases its feedback must contain})
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
    "gradient_ascent": (
        "update_parameters",
        {"value - learning_rate * grads": "value + learning_rate * grads"},
        {"test_update_parameters", DIGITS},
        {"test_update_parameters": ["the gradient was added (+)"]},
    ),
    "initialisation_ignores_seed": (
        "train_network",
        {"params = initialize_parameters(layer_dims, seed=seed)": "params = initialize_parameters(layer_dims)"},
        {"test_train_network"},
        {"test_train_network": ["costs[0]", "initialize_parameters(layer_dims, seed=seed)"]},
    ),
    "gradient_check_leaves_out_db": (
        "gradient_check",
        {"names = sorted(params)": 'names = [name for name in sorted(params) if name.startswith("W")]'},
        {"test_gradient_check"},
        {"test_gradient_check": ["the db gradients were left out of the check"]},
    ),
}


@pytest.fixture(scope="module")
def results():
    return grade_variants(ASSIGNMENT, MISTAKES)


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
    assert_loses_exactly(results, mistake, MISTAKES[mistake][2])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])



# What a student might paste in as an answer: right values, computed with the numerical oracles students have in utils.
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
"""),
    "test_linear_activation_backward_relu": ("linear_activation_backward", """
from utils.activations import activation
from utils.gradcheck import numerical_layer_gradient


def linear_activation_backward(dA, cache, activation_name):
    linear_cache, Z = cache
    return linear_backward(numerical_layer_gradient(activation(activation_name), Z.copy(), dA), linear_cache)
"""),
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
        renamed = {f"{kind}{k - layer + 1}": value for name, value in rest.items() for kind, k in [(name[0], int(name[1:]))]}
        grads[f"dA{layer - 1}"] = Y.shape[1] * numerical_gradient(lambda A: cost(renamed, A), A_prev.copy())
    return grads
"""),
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
def test_an_answer_built_on_the_numerical_oracles_earns_nothing(test_cell, capsys):
    """Right values from utils.gradcheck pass the visible part but not the hidden part of the function's own cell."""
    graded, answer = ORACLE_ANSWERS[test_cell]
    namespace = _solution_namespace()
    exec(answer, namespace)
    with pytest.raises(AssertionError) as failure:
        exec(_cells("source")[test_cell].source, namespace)
    assert "The visible checks passed." in capsys.readouterr().out, f"the oracle-based {graded} should pass the visible part"
    message = str(failure.value)
    assert message.startswith(f"{graded} called utils.gradcheck.numerical"), message


def _definitions(code):
    """The imports and function definitions of a cell, without the statements that run its checks."""
    keep = [node for node in ast.parse(code).body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    return ast.unparse(ast.Module(body=keep, type_ignores=[]))


def test_the_stand_ins_in_the_release_know_their_tests_inputs_only():
    """The stand-ins the visible tests put in for other graded functions answer for their own test's inputs and refuse
    any other: pasted into an answer cell, none of them is a drop-in."""
    release = _cells("release")

    layer = _solution_namespace()
    exec(_definitions(release["test_linear_activation_backward_relu"].source), layer)
    dA, cache = layer["layer_problem"](1, 6, 3, 7, "relu")
    _, other = layer["layer_problem"](2, 6, 3, 7, "relu")
    with layer["linear_backward_stand_in"](cache[0]):
        stand_in = layer["linear_backward"]
        assert len(stand_in(dA, cache[0])) == 3
        with pytest.raises(AssertionError, match="stand-in that knows only that cache"):
            stand_in(dA, other[0])

    network = _solution_namespace()
    exec(_definitions(release["test_L_model_backward_sigmoid"].source), network)
    X, Y, params, AL, caches = network["network_problem"](1, [6, 5, 3, 1], 9, "sigmoid")
    *_, other_caches = network["network_problem"](2, [6, 5, 3, 1], 9, "sigmoid")
    with network["layer_stand_ins"](caches):
        dA2 = np.ones((3, 9))
        assert len(network["linear_backward"](AL - Y, caches[-1][0])) == 3
        assert len(network["linear_activation_backward"](dA2, caches[1], "relu")) == 3
        with pytest.raises(AssertionError, match="stand-in that knows only those"):
            network["linear_backward"](AL - Y, other_caches[-1][0])
        with pytest.raises(AssertionError, match="stand-in that knows only those"):
            network["linear_activation_backward"](dA2, other_caches[1], "relu")

    training = _solution_namespace()
    exec(_definitions(release["test_train_network"].source), training)
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((4, 11)), (rng.uniform(size=(1, 11)) < 0.5).astype(float)
    params = training["initialize_parameters"]([4, 5, 3, 1], seed=0)
    with training["L_model_backward_stand_in"](X, Y):
        stand_in = training["L_model_backward"]
        AL, caches = training["model_forward"](X[:, [7, 2, 5]], params, hidden="relu", output="sigmoid")
        assert set(stand_in(AL, Y[:, [7, 2, 5]], caches, "sigmoid")) >= {"dW1", "db1", "dA0"}
        AL, caches = training["model_forward"](X + 1.0, params, hidden="relu", output="sigmoid")
        with pytest.raises(AssertionError, match="stand-in that knows only those"):
            stand_in(AL, Y, caches, "sigmoid")
