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

The numerical stand-ins that the visible tests define are right, only slow:
a student could paste one in as an answer. The last test proves that this
earns nothing in the function's own cell (the hidden part forbids the
numerical oracles). It runs the cells in-process, because a numerical
backward pass inside the digits training would take hours.
"""

import ast

import nbformat
import pytest

from tests.nbgrade_support import (
    autograde,
    blank_submission,
    describe,
    notebook_path,
    solution_code,
    submission_with,
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


def _with_bug(solutions, cell, replacements):
    code = solutions[cell]
    for line, buggy in replacements.items():
        assert code.count(line) == 1, f"the solution of {cell} no longer contains exactly one {line!r}; update MISTAKES"
        code = code.replace(line, buggy)
    return code


@pytest.fixture(scope="module")
def results():
    solutions = solution_code(ASSIGNMENT)
    submissions = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT)}
    for name, (cell, replacements, _, _) in MISTAKES.items():
        submissions[name] = submission_with(ASSIGNMENT, {cell: _with_bug(solutions, cell, replacements)})
    return autograde(ASSIGNMENT, submissions)


def test_grading_runs_without_problems(results):
    problems = {student: result.problems for student, result in results.items() if result.problems}
    assert not problems, describe(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    scores = results["solution"].scores
    assert {grade_id: max_points for grade_id, (_, max_points) in scores.items()} == AUTOGRADED_POINTS, describe(results)


def test_solution_gets_every_autograded_point(results):
    solution = results["solution"]
    assert solution.total == solution.max_total == sum(AUTOGRADED_POINTS.values()), describe(results)


def test_solution_runs_the_hidden_tests(results):
    for grade_id, text in results["solution"].feedback.items():
        assert "The hidden checks passed." in text, f"{grade_id}: the hidden part did not run to the end:\n{text}"


def test_blank_release_gets_zero_and_says_not_implemented(results):
    blank = results["blank"]
    assert blank.total == 0 and blank.failed == set(AUTOGRADED_POINTS), describe(results)
    for grade_id, text in blank.feedback.items():
        assert "not implemented yet" in text, f"{grade_id}: {text}"


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    _, _, failing, _ = MISTAKES[mistake]
    result = results[mistake]
    assert result.failed == failing, describe({mistake: result})
    for grade_id, (points, max_points) in result.scores.items():
        assert points == (0 if grade_id in failing else max_points), f"{mistake}: {grade_id} scored {points}/{max_points}"


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    _, _, _, named = MISTAKES[mistake]
    for grade_id, phrases in named.items():
        text = results[mistake].feedback[grade_id]
        for phrase in phrases:
            assert phrase in text, f"{mistake}: the feedback of {grade_id} does not say {phrase!r}:\n{text}"


# graded test cell: (graded function, release cell whose visible code defines the stand-in, the stand-in's name)
STAND_INS = {
    "test_linear_backward": ("linear_backward", "test_linear_activation_backward_relu", "numerical_linear_backward"),
    "test_linear_activation_backward_relu": (
        "linear_activation_backward",
        "test_L_model_backward_sigmoid",
        "numerical_linear_activation_backward",
    ),
    "test_L_model_backward_sigmoid": ("L_model_backward", "test_train_network", "numerical_L_model_backward"),
}


def _cells(folder):
    notebook = nbformat.read(notebook_path(folder, ASSIGNMENT), as_version=4)
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }


def _pasted_answer(code, stand_in, graded):
    """The imports and function definitions of a test cell, with `stand_in` renamed `graded`: what a student
    who pasted the stand-in (and its helpers) into the answer cell would submit."""
    keep = [node for node in ast.parse(code).body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))]
    for node in keep:
        if isinstance(node, ast.FunctionDef) and node.name == stand_in:
            node.name = graded
    return ast.unparse(ast.Module(body=keep, type_ignores=[]))


@pytest.mark.parametrize("test_cell", sorted(STAND_INS))
def test_a_stand_in_copied_from_the_visible_tests_earns_nothing(test_cell, capsys):
    graded, defining_cell, stand_in = STAND_INS[test_cell]
    source, release = _cells("source"), _cells("release")
    namespace = {}
    exec(source["imports"].source, namespace)
    for grade_id, code in solution_code(ASSIGNMENT).items():
        if source[grade_id].cell_type == "code":
            exec(code, namespace)
    exec(_pasted_answer(release[defining_cell].source, stand_in, graded), namespace)
    with pytest.raises(AssertionError) as failure:
        exec(source[test_cell].source, namespace)
    assert "The visible checks passed." in capsys.readouterr().out, f"the stand-in {stand_in} should pass the visible part"
    message = str(failure.value)
    assert message.startswith(f"{graded} called utils.gradcheck.numerical"), message
