"""Unit 3 (03_loss_vs_cost): proof that the grading is right.

One nbgrader autograde run grades the solution, the blank release and one
submission per typical mistake. Each mistake is the solution with a line or
two changed (or one answer cell rewritten), so it must lose exactly the points
of the cells that test what it breaks, and the feedback of those cells must
name the mistake.

Which cells a mistake fails is part of the design. Each part is graded on its
own: while Part 3 is tested, the Part 2 functions (dAL_loss_convention,
dAL_cost_convention) are replaced by stand-ins, and while Part 4 is tested,
backward_two_layer is replaced by a recording stand-in. So a mistake in `dAL`
costs the points of Part 2 only, and a misplaced 1/m in the backward pass
costs the Part 3 cells that look at the tensors it changes. The stand-ins know
the right values for their test's inputs only (worked out before the
student's code runs), so the release holds no general numerical drop-in for
a graded function; borrowing the stand-in machinery, or the numerical oracle,
is caught by the hidden tests (two mistakes below prove it).

The unit's point is where the 1/m goes, so most mistakes put it in the wrong
place: missing, doubled, the other convention's, a sum where a mean belongs.
The two correct placements are both accepted (the solution uses both, through
the `convention` argument, and gets every point).
"""

import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    blank_submission,
    describe,
    grade_variants,
    solution_code,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "03_loss_vs_cost"

AUTOGRADED_POINTS = {
    "test_dcost_dlosses": 1,
    "test_dAL_loss_convention_cross_entropy": 1,
    "test_dAL_cost_convention_cross_entropy": 1,
    "test_dAL_loss_convention_mse": 1,
    "test_dAL_cost_convention_mse": 1,
    "test_backward_two_layer_dW_db": 2,
    "test_backward_two_layer_intermediates_loss_convention": 1,
    "test_backward_two_layer_intermediates_cost_convention": 1,
    "test_backward_two_layer_squared_error": 2,
    "test_average_of_example_gradients": 2,
}

MANUALLY_GRADED = "derivation_where_the_1_over_m_goes"

BACKWARD_DW = "test_backward_two_layer_dW_db"
BACKWARD_LOSS = "test_backward_two_layer_intermediates_loss_convention"
BACKWARD_COST = "test_backward_two_layer_intermediates_cost_convention"
BACKWARD_MSE = "test_backward_two_layer_squared_error"
AVERAGE = "test_average_of_example_gradients"

AVERAGE_OVER_THE_WHOLE_BATCH = '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    AL, caches = model_forward(X, params, hidden="relu", output=output)
    grads = backward_two_layer(AL, Y, caches, loss=loss, output=output, convention="loss")
    return {key: grads[key] for key in ("dW1", "db1", "dW2", "db2")}
'''

# Correct answers written differently from the solution: each must get every autograded point.
ACCEPTED = {
    # The 1/m placed by hand, dZ2 shortcuts exactly where they hold, np.mean for db, einsum for dW1,
    # relu' from a comparison, and no call of the Part 2 functions at all.
    "backward_with_valid_shortcuts": ("backward_two_layer", '''
def backward_two_layer(AL, Y, caches, loss="cross_entropy", output="sigmoid", convention="loss"):
    (X, W1, b1), Z1 = caches[0]
    (A1, W2, b2), Z2 = caches[1]
    m = AL.shape[1]
    top = 1.0 if convention == "loss" else 1.0 / m
    if loss == "cross_entropy":
        dA2 = -(Y / AL - (1 - Y) / (1 - AL)) * top
        dZ2 = (AL - Y) * top                       # sigmoid + cross-entropy
    else:
        dA2 = 2 * (AL - Y) * top
        dZ2 = dA2 if output == "linear" else dA2 * AL * (1 - AL)
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (Z1 > 0)
    if convention == "loss":
        dW2, db2 = dZ2 @ A1.T / m, np.mean(dZ2, axis=1, keepdims=True)
        dW1, db1 = np.einsum("im,jm->ij", dZ1, X) / m, np.mean(dZ1, axis=1, keepdims=True)
    else:
        dW2, db2 = dZ2 @ A1.T, np.sum(dZ2, axis=1, keepdims=True)
        dW1, db1 = np.einsum("im,jm->ij", dZ1, X), np.sum(dZ1, axis=1, keepdims=True)
    return {"dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
'''),
    # The cost convention written from scratch, with the cross-entropy derivative in the (A - Y) / (A (1 - A)) form.
    "dAL_cost_from_scratch": ("dAL_cost_convention", '''
def dAL_cost_convention(AL, Y, loss, half=False):
    m = AL.shape[1]
    if loss == "cross_entropy":
        return (AL - Y) / (AL * (1 - AL)) / m
    if loss == "mse":
        return (1.0 if half else 2.0) * (AL - Y) / m
    raise ValueError(loss)
'''),
    # One-example gradients taken in the cost convention (the same numbers when m = 1), positional
    # arguments, and np.mean over a stack.
    "average_cost_convention_and_np_mean": ("average_of_example_gradients", '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    per_example = []
    for i in range(X.shape[1]):
        AL_i, caches_i = model_forward(X[:, [i]], params, "relu", output)
        per_example.append(backward_two_layer(AL_i, Y[:, [i]], caches_i, loss, output, "cost"))
    return {key: np.mean([g[key] for g in per_example], axis=0) for key in ("dW1", "db1", "dW2", "db2")}
'''),
}

# dAL estimated with the tests' own referee instead of derived: the right numbers, and no derivation.
DAL_BY_NUMERICAL_GRADIENT = '''
def dAL_loss_convention(AL, Y, loss, half=False):
    from utils.gradcheck import numerical_gradient
    if loss == "cross_entropy":
        losses = lambda A: binary_cross_entropy_loss(A, Y)
    else:
        losses = lambda A: squared_error_loss(A, Y, half=half)
    return numerical_gradient(lambda A: float(np.sum(losses(A))), np.array(AL, dtype=float))
'''

# dJ/dA borrowed from the test cells' own stand-in machinery (which the release contains) instead of derived.
DAL_COST_FROM_THE_TEST_HELPERS = '''
def dAL_cost_convention(AL, Y, loss, half=False):
    with part2_stand_ins("dAL_cost_convention", AL=AL, Y=Y, loss=loss, half=half):
        return globals()["dAL_cost_convention"](AL, Y, loss, half=half)
'''

# name: (answer cell, {solution line: buggy line} or the whole buggy cell, cells that must fail,
#        {failing cell: phrases its feedback must contain})
MISTAKES = {
    "dAL_by_numerical_gradient": (
        "dAL_loss_convention",
        DAL_BY_NUMERICAL_GRADIENT,
        {"test_dAL_loss_convention_cross_entropy", "test_dAL_loss_convention_mse"},
        {
            "test_dAL_loss_convention_cross_entropy": ["dAL_loss_convention called", "numerical_gradient"],
            "test_dAL_loss_convention_mse": ["dAL_loss_convention called", "numerical_gradient"],
        },
    ),
    "dAL_cost_from_the_test_helpers": (
        "dAL_cost_convention",
        DAL_COST_FROM_THE_TEST_HELPERS,
        {"test_dAL_cost_convention_cross_entropy", "test_dAL_cost_convention_mse"},
        {
            "test_dAL_cost_convention_cross_entropy": ["dAL_cost_convention called", "numerical_gradient"],
            "test_dAL_cost_convention_mse": ["dAL_cost_convention called", "numerical_gradient"],
        },
    ),
    "dJ_dL_without_1_over_m": (
        "dcost_dlosses",
        {"return np.full(L.shape, 1.0 / m)": "return np.ones(L.shape)"},
        {"test_dcost_dlosses"},
        {"test_dcost_dlosses": ["gradient of the SUM of the losses"]},
    ),
    "dAL_sign_flipped": (
        "dAL_loss_convention",
        {"return -(Y / AL - (1 - Y) / (1 - AL))": "return Y / AL - (1 - Y) / (1 - AL)"},
        {"test_dAL_loss_convention_cross_entropy"},
        {"test_dAL_loss_convention_cross_entropy": ["sign flipped"]},
    ),
    "dAL_loss_convention_already_averaged": (
        "dAL_loss_convention",
        {"return -(Y / AL - (1 - Y) / (1 - AL))": "return -(Y / AL - (1 - Y) / (1 - AL)) / AL.shape[1]"},
        {"test_dAL_loss_convention_cross_entropy"},
        {"test_dAL_loss_convention_cross_entropy": ["cost convention's dJ/dA", "no 1/m"]},
    ),
    "dAL_cost_convention_without_1_over_m": (
        "dAL_cost_convention",
        {"return dAL_loss_convention(AL, Y, loss, half=half) / m": "return dAL_loss_convention(AL, Y, loss, half=half)"},
        {"test_dAL_cost_convention_cross_entropy", "test_dAL_cost_convention_mse"},
        {
            "test_dAL_cost_convention_cross_entropy": ["loss convention's dL/dA", "divides it by m"],
            "test_dAL_cost_convention_mse": ["loss convention's dL/dA"],
        },
    ),
    "mse_factor_2_missing": (
        "dAL_loss_convention",
        {"return (AL - Y) if half else 2 * (AL - Y)": "return AL - Y"},
        {"test_dAL_loss_convention_mse"},
        {"test_dAL_loss_convention_mse": ["factor 2", "half=False", "is missing"]},
    ),
    "mse_half_keeps_factor_2": (
        "dAL_loss_convention",
        {"return (AL - Y) if half else 2 * (AL - Y)": "return 2 * (AL - Y)"},
        {"test_dAL_loss_convention_mse"},
        {"test_dAL_loss_convention_mse": ["half=True", "1/2 cancels the 2"]},
    ),
    "backward_missing_1_over_m": (
        "backward_two_layer",
        {"        scale = 1.0 / m\n": "        scale = 1.0\n"},
        {BACKWARD_DW, BACKWARD_MSE},
        {
            BACKWARD_DW: ["convention='loss'", "the 1/m is missing", "loss convention"],
            BACKWARD_MSE: ["the 1/m is missing"],
        },
    ),
    "backward_doubled_1_over_m": (
        "backward_two_layer",
        {"        scale = 1.0\n    else:": "        scale = 1.0 / m\n    else:"},
        {BACKWARD_DW, BACKWARD_MSE},
        {
            BACKWARD_DW: ["convention='cost'", "the 1/m is applied twice", "already carries the 1/m"],
            BACKWARD_MSE: ["applied twice"],
        },
    ),
    "backward_cost_dA_while_declaring_loss": (
        "backward_two_layer",
        {
            "        dA2 = dAL_loss_convention(AL, Y, loss)\n        scale = 1.0 / m\n":
            "        dA2 = dAL_cost_convention(AL, Y, loss)\n        scale = 1.0\n",
        },
        {BACKWARD_LOSS, BACKWARD_MSE},
        {
            BACKWARD_LOSS: ["already carries the 1/m", "called with convention='loss'", "dAL_loss_convention"],
            BACKWARD_MSE: ["already carries the 1/m", "called with convention='loss'"],
        },
    ),
    "backward_dZ_is_A_minus_Y_everywhere": (
        "backward_two_layer",
        {"    dZ2 = dA2 * derivative(output)(Z2)\n": "    dZ2 = (AL - Y) if convention == 'loss' else (AL - Y) / m\n"},
        {BACKWARD_MSE},
        {BACKWARD_MSE: ["dZ2 = A2 - Y drops the factor 2"]},
    ),
    "backward_sigmoid_derivative_dropped": (
        "backward_two_layer",
        {"    dZ2 = dA2 * derivative(output)(Z2)\n": "    dZ2 = dA2\n"},
        {BACKWARD_DW, BACKWARD_LOSS, BACKWARD_COST, BACKWARD_MSE},
        {
            BACKWARD_LOSS: ["sigmoid'(Z) was dropped"],
            BACKWARD_COST: ["sigmoid'(Z) was dropped"],
        },
    ),
    "average_sums_instead_of_mean": (
        "average_of_example_gradients",
        {"return {key: total / m for key, total in totals.items()}": "return totals"},
        {AVERAGE},
        {AVERAGE: ["summed, not averaged", "their MEAN"]},
    ),
    "average_over_the_whole_batch": (
        "average_of_example_gradients",
        AVERAGE_OVER_THE_WHOLE_BATCH,
        {AVERAGE},
        {AVERAGE: ["once per example", "with m = [7]"]},
    ),
}


@pytest.fixture(scope="module")
def results():
    return grade_variants(ASSIGNMENT, MISTAKES, ACCEPTED)


def test_grading_runs_without_problems(results):
    assert_no_grading_problems(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    assert_designed_points(results, AUTOGRADED_POINTS)


def test_solution_gets_every_autograded_point(results):
    assert_solution_gets_every_point(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("alternative", sorted(ACCEPTED))
def test_correct_alternatives_get_every_point(results, alternative):
    result = results[alternative]
    assert result.total == result.max_total == sum(AUTOGRADED_POINTS.values()), describe({alternative: result})


def test_blank_release_gets_zero_and_says_not_implemented(results):
    assert_blank_gets_zero(results, AUTOGRADED_POINTS)


def test_the_derivation_cell_is_graded_by_hand_with_a_mark_scheme():
    solutions = solution_code(ASSIGNMENT)
    assert "Mark scheme" in solutions[MANUALLY_GRADED]
    release = blank_submission(ASSIGNMENT)
    text = "\n".join(cell.source for cell in release.cells)
    assert "Mark scheme" not in text and "Model answer" not in text


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    assert_loses_exactly(results, mistake, MISTAKES[mistake][2])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])
