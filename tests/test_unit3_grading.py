"""Unit 3 (03_loss_vs_cost): proof that the grading is right.

One autograde run (stock nbgrader and autograder.grading, compared cell by
cell) grades the solution, the blank release, one submission per typical
mistake and one per set of correct answers written in other styles. Each
mistake is the solution with a line or two changed (or one answer cell
rewritten), so it must lose exactly the points of the cells that test what it
breaks, and the feedback of those cells must name the mistake in both
engines. Each set of correct answers must get every point.

Which cells a mistake fails is part of the design. Each part is graded on its
own: while Part 3 is tested, the Part 2 functions (dAL_loss_convention,
dAL_cost_convention) are stand-ins, and while Part 4 is tested,
backward_two_layer is a stand-in that knows the test batch's one-example
gradients. So a mistake in `dAL` costs the points of Part 2 only, and a
misplaced 1/m in the backward pass costs the Part 3 cells that look at the
tensors it changes. The stand-ins know their own test's inputs only
(utils.testing.unit3), so the release holds no numerical drop-in for a
graded function. The hidden halves (autograder.hidden.unit3) draw fresh
sizes (never the visible m = 7) and every (loss, output) pair, put the
grader's references underneath and run the student's code with call_hidden:
typing in the visible m or the default pair, and calling an oracle
(utils.gradcheck, utils.autodiff, utils.testing), lose the points the
visible half would have given (the cases below marked "hidden").

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
    autograde,
    blank_submission,
    describe,
    solution_code,
    submission_with,
    with_bug,
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

DCOST = "test_dcost_dlosses"
LOSS_CE = "test_dAL_loss_convention_cross_entropy"
COST_CE = "test_dAL_cost_convention_cross_entropy"
LOSS_MSE = "test_dAL_loss_convention_mse"
COST_MSE = "test_dAL_cost_convention_mse"
BACKWARD_DW = "test_backward_two_layer_dW_db"
BACKWARD_LOSS = "test_backward_two_layer_intermediates_loss_convention"
BACKWARD_COST = "test_backward_two_layer_intermediates_cost_convention"
BACKWARD_MSE = "test_backward_two_layer_squared_error"
AVERAGE = "test_average_of_example_gradients"
BACKWARD_CELLS = {BACKWARD_DW, BACKWARD_LOSS, BACKWARD_COST, BACKWARD_MSE}

AVERAGE_OVER_THE_WHOLE_BATCH = '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    AL, caches = model_forward(X, params, hidden="relu", output=output)
    grads = backward_two_layer(AL, Y, caches, loss=loss, output=output, convention="loss")
    return {key: grads[key] for key in ("dW1", "db1", "dW2", "db2")}
'''

# dAL estimated with the tests' own referee instead of derived: the right numbers, and no derivation (hidden).
DAL_BY_NUMERICAL_GRADIENT = '''
def dAL_loss_convention(AL, Y, loss, half=False):
    from utils.gradcheck import numerical_gradient
    if loss == "cross_entropy":
        losses = lambda A: binary_cross_entropy_loss(A, Y)
    else:
        losses = lambda A: squared_error_loss(A, Y, half=half)
    return numerical_gradient(lambda A: float(np.sum(losses(A))), np.array(AL, dtype=float))
'''

# dJ/dA borrowed from the visible tests' stand-in (utils.testing.unit3 ships it) instead of derived: it knows the
# visible inputs, so the visible test passes; the hidden test refuses the call.
DAL_COST_FROM_THE_TEST_HELPERS = '''
def dAL_cost_convention(AL, Y, loss, half=False):
    from utils.testing import unit3
    return unit3.dAL_stand_in("dAL_cost_convention", AL, Y, loss, half)(AL, Y, loss, half)
'''

# Every gradient from the course's autodiff engine (an oracle): right in both conventions, refused by the hidden tests.
BACKWARD_BY_AUTODIFF = '''
def backward_two_layer(AL, Y, caches, loss="cross_entropy", output="sigmoid", convention="loss"):
    from utils import autodiff
    (X, W1, b1), Z1 = caches[0]
    (A1, W2, b2), Z2 = caches[1]
    w1, c1, w2, c2 = (autodiff.Tensor(value) for value in (W1, b1, W2, b2))
    z1 = w1 @ X + c1
    a1 = autodiff.relu(z1)
    z2 = w2 @ a1 + c2
    a2 = autodiff.sigmoid(z2) if output == "sigmoid" else z2
    if loss == "cross_entropy":
        losses = -(autodiff.log(a2) * Y + autodiff.log(1 - a2) * (1 - Y))
    else:
        losses = ((a2 - Y) * (a2 - Y)).sum(axis=0, keepdims=True)
    autodiff.backpropagate(losses.mean())
    scale = AL.shape[1] if convention == "loss" else 1.0
    return {"dA2": a2.grad * scale, "dZ2": z2.grad * scale, "dA1": a1.grad * scale, "dZ1": z1.grad * scale,
            "dW1": w1.grad, "db1": c1.grad, "dW2": w2.grad, "db2": c2.grad}
'''

# The one-example calls made (so the visible watch is satisfied), then the batch gradient by finite differences.
AVERAGE_BY_NUMERICAL_GRADIENTS = '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    from utils.gradcheck import numerical_gradients
    for i in range(X.shape[1]):
        AL_i, caches_i = model_forward(X[:, i:i + 1], params, hidden="relu", output=output)
        backward_two_layer(AL_i, Y[:, i:i + 1], caches_i, loss=loss, output=output)
    losses = binary_cross_entropy_loss if loss == "cross_entropy" else squared_error_loss
    cost = lambda p: cost_from_losses(losses(model_forward(X, p, hidden="relu", output=output)[0], Y))
    copies = {key: value.copy() for key, value in params.items()}
    return {"d" + key: value for key, value in numerical_gradients(cost, copies).items()}
'''

# name: (answer cell, {solution line: buggy line} or the whole buggy cell, cells that must fail,
#        {failing cell: phrases its feedback must contain})
MISTAKES = {
    "backward_missing_1_over_m": (
        "backward_two_layer",
        {"        scale = 1.0 / m\n": "        scale = 1.0\n"},
        {BACKWARD_DW, BACKWARD_MSE},
        {
            BACKWARD_DW: ["the 1/m is missing", "convention='loss'", "loss convention"],
            BACKWARD_MSE: ["the 1/m is missing"],
        },
    ),
    "dAL_by_numerical_gradient": (
        "dAL_loss_convention",
        DAL_BY_NUMERICAL_GRADIENT,
        {LOSS_CE, LOSS_MSE},
        {
            LOSS_CE: ["dAL_loss_convention called", "numerical_gradient"],
            LOSS_MSE: ["dAL_loss_convention called", "numerical_gradient"],
        },
    ),
    "dAL_cost_from_the_test_helpers": (
        "dAL_cost_convention",
        DAL_COST_FROM_THE_TEST_HELPERS,
        {COST_CE, COST_MSE},
        {
            COST_CE: ["dAL_cost_convention called", "utils.testing.unit3.dAL_stand_in"],
            COST_MSE: ["dAL_cost_convention called", "utils.testing.unit3.dAL_stand_in"],
        },
    ),
    "dJ_dL_without_1_over_m": (
        "dcost_dlosses",
        {"return np.full(L.shape, 1.0 / m)": "return np.ones(L.shape)"},
        {DCOST},
        {DCOST: ["gradient of the SUM of the losses"]},
    ),
    "dJ_dL_m_typed_in": (                                   # hidden
        "dcost_dlosses",
        {"    m = L.shape[1]\n": "    m = 7\n"},
        {DCOST},
        {DCOST: ["typed in as 7, the visible tests' m", "L.shape[1]"]},
    ),
    "dAL_sign_flipped": (
        "dAL_loss_convention",
        {"return -(Y / AL - (1 - Y) / (1 - AL))": "return Y / AL - (1 - Y) / (1 - AL)"},
        {LOSS_CE},
        {LOSS_CE: ["sign flipped"]},
    ),
    "dAL_log_one_minus_a_lost_its_minus": (
        "dAL_loss_convention",
        {"return -(Y / AL - (1 - Y) / (1 - AL))": "return -(Y / AL + (1 - Y) / (1 - AL))"},
        {LOSS_CE},
        {LOSS_CE: ["the derivative of log(1 - a) lost its minus sign"]},
    ),
    "dAL_loss_convention_already_averaged": (
        "dAL_loss_convention",
        {"return -(Y / AL - (1 - Y) / (1 - AL))": "return -(Y / AL - (1 - Y) / (1 - AL)) / AL.shape[1]"},
        {LOSS_CE},
        {LOSS_CE: ["cost convention's dJ/dA", "no 1/m"]},
    ),
    "dAL_cost_convention_without_1_over_m": (
        "dAL_cost_convention",
        {"return dAL_loss_convention(AL, Y, loss, half=half) / m":
         "return dAL_loss_convention(AL, Y, loss, half=half)"},
        {COST_CE, COST_MSE},
        {
            COST_CE: ["loss convention's dL/dA", "divides it by m"],
            COST_MSE: ["loss convention's dL/dA"],
        },
    ),
    "dAL_cost_m_typed_in": (                                # hidden
        "dAL_cost_convention",
        {"    m = AL.shape[1]\n": "    m = 7\n"},
        {COST_CE, COST_MSE},
        {COST_CE: ["typed in as 7", "AL.shape[1]"], COST_MSE: ["typed in as 7"]},
    ),
    "mse_factor_2_missing": (
        "dAL_loss_convention",
        {"return (AL - Y) if half else 2 * (AL - Y)": "return AL - Y"},
        {LOSS_MSE},
        {LOSS_MSE: ["factor 2", "half=False", "is missing"]},
    ),
    "mse_half_keeps_factor_2": (
        "dAL_loss_convention",
        {"return (AL - Y) if half else 2 * (AL - Y)": "return 2 * (AL - Y)"},
        {LOSS_MSE},
        {LOSS_MSE: ["half=True", "1/2 cancels the 2"]},
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
    "backward_m_typed_in": (                                # hidden
        "backward_two_layer",
        {"    m = AL.shape[1]\n": "    m = 7\n"},
        {BACKWARD_DW, BACKWARD_MSE},
        {BACKWARD_DW: ["typed in as 7", "AL.shape[1]"], BACKWARD_MSE: ["typed in as 7"]},
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
        BACKWARD_CELLS,
        {
            BACKWARD_LOSS: ["sigmoid'(Z) was dropped"],
            BACKWARD_COST: ["sigmoid'(Z) was dropped"],
        },
    ),
    "backward_output_derivative_in_the_hidden_layer": (
        "backward_two_layer",
        {'    dZ1 = dA1 * derivative("relu")(Z1)\n': "    dZ1 = dA1 * derivative(output)(Z1)\n"},
        BACKWARD_CELLS,
        {
            BACKWARD_DW: ["the hidden layer used sigmoid'(Z1), the output layer's derivative"],
            BACKWARD_LOSS: ["the hidden layer used sigmoid'(Z1)"],
            BACKWARD_MSE: ["the factor relu'(Z1) was dropped"],
        },
    ),
    "backward_by_autodiff": (                               # hidden
        "backward_two_layer",
        BACKWARD_BY_AUTODIFF,
        BACKWARD_CELLS,
        {cell: ["backward_two_layer called utils.autodiff"] for cell in BACKWARD_CELLS},
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
        {AVERAGE: ["once per example", "a batch of 7 examples"]},
    ),
    "average_loss_and_output_not_passed_on": (
        "average_of_example_gradients",
        {'grads_i = backward_two_layer(AL_i, Y[:, i:i + 1], caches_i, loss=loss, output=output, convention="loss")':
         "grads_i = backward_two_layer(AL_i, Y[:, i:i + 1], caches_i)"},
        {AVERAGE},
        {AVERAGE: ["loss is 'cross_entropy', not the test's 'mse'",
                   "the loss and output average_of_example_gradients was given"]},
    ),
    "average_m_typed_in": (                                 # hidden
        "average_of_example_gradients",
        {"    m = X.shape[1]\n": "    m = 7\n"},
        {AVERAGE},
        {AVERAGE: ["once per example", "a number typed in"]},
    ),
    "average_by_numerical_gradients": (                     # hidden
        "average_of_example_gradients",
        AVERAGE_BY_NUMERICAL_GRADIENTS,
        {AVERAGE},
        {AVERAGE: ["average_of_example_gradients called utils.gradcheck.numerical_gradients"]},
    ),
}

# Correct answers written differently from the solution: each set (one submission) must get every autograded point.
ACCEPTED = {
    # The 1/m placed by hand, dZ2 shortcuts exactly where they hold, np.mean for db, einsum for dW1,
    # relu' from a comparison, and no call of the Part 2 functions at all.
    "backward_with_valid_shortcuts": {"backward_two_layer": '''
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
'''},
    # The cost convention written from scratch, with the cross-entropy derivative in the (A - Y) / (A (1 - A)) form.
    "dAL_cost_from_scratch": {"dAL_cost_convention": '''
def dAL_cost_convention(AL, Y, loss, half=False):
    m = AL.shape[1]
    if loss == "cross_entropy":
        return (AL - Y) / (AL * (1 - AL)) / m
    if loss == "mse":
        return (1.0 if half else 2.0) * (AL - Y) / m
    raise ValueError(loss)
'''},
    # One-example gradients taken in the cost convention (the same numbers when m = 1), positional
    # arguments, and np.mean over a stack.
    "average_cost_convention_and_np_mean": {"average_of_example_gradients": '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    per_example = []
    for i in range(X.shape[1]):
        AL_i, caches_i = model_forward(X[:, [i]], params, "relu", output)
        per_example.append(backward_two_layer(AL_i, Y[:, [i]], caches_i, loss, output, "cost"))
    return {key: np.mean([g[key] for g in per_example], axis=0) for key in ("dW1", "db1", "dW2", "db2")}
'''},
    # Keyword calls everywhere (into the stand-ins too), numpy scalars, loops over the examples, np.where.
    "keywords_loops_numpy_scalars": {
        "dcost_dlosses": '''
def dcost_dlosses(L):
    m = np.float64(L.shape[1])
    gradient = np.empty(L.shape)
    for i in range(L.shape[1]):
        gradient[0, i] = np.float64(1) / m
    return gradient
''',
        "dAL_loss_convention": '''
def dAL_loss_convention(AL, Y, loss, half=False):
    if loss == "cross_entropy":
        return np.where(Y == 1, -1 / AL, 1 / (1 - AL))
    elif loss == "mse":
        factor = np.float64(1) if half else np.float64(2)
        return np.multiply(factor, np.subtract(AL, Y))
    else:
        raise ValueError("unknown loss " + str(loss))
''',
        "dAL_cost_convention": '''
def dAL_cost_convention(AL, Y, loss, half=False):
    per_example = dAL_loss_convention(AL=AL, Y=Y, loss=loss, half=half)
    return per_example * np.float64(1.0 / AL.shape[1])
''',
        "backward_two_layer": '''
def backward_two_layer(AL, Y, caches, loss="cross_entropy", output="sigmoid", convention="loss"):
    ((X, W1, b1), Z1), ((A1, W2, b2), Z2) = caches
    m = np.float64(Y.shape[1])
    if convention == "cost":
        dA2 = dAL_cost_convention(AL=AL, Y=Y, loss=loss)
    else:
        dA2 = dAL_loss_convention(loss=loss, Y=Y, AL=AL, half=False)
    dZ2 = dA2 * derivative(output)(Z2)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = dA1 * relu_derivative(Z1)
    dW2, db2, dW1, db1 = np.zeros_like(W2), np.zeros_like(b2), np.zeros_like(W1), np.zeros_like(b1)
    for i in range(int(m)):               # the sum over the examples, one outer product at a time
        dW2 += np.outer(dZ2[:, i], A1[:, i])
        db2 += dZ2[:, i:i + 1]
        dW1 += np.outer(dZ1[:, i], X[:, i])
        db1 += dZ1[:, i:i + 1]
    if convention == "loss":
        dW2, db2, dW1, db1 = dW2 / m, db2 / m, dW1 / m, db1 / m
    return dict(dA2=dA2, dZ2=dZ2, dW2=dW2, db2=db2, dA1=dA1, dZ1=dZ1, dW1=dW1, db1=db1)
''',
        "average_of_example_gradients": '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    total = None
    for x, y in zip(X.T, Y.T):
        AL_i, caches_i = model_forward(X=x.reshape(-1, 1), params=params, hidden="relu", output=output)
        grads = backward_two_layer(AL=AL_i, Y=y.reshape(-1, 1), caches=caches_i, loss=loss, output=output,
                                   convention="cost")
        if total is None:
            total = {key: grads[key].copy() for key in ("dW1", "db1", "dW2", "db2")}
        else:
            for key in total:
                total[key] += grads[key]
    return {key: value / np.float64(X.shape[1]) for key, value in total.items()}
''',
    },
    # One forward pass for the whole batch, sliced into one-example caches; ones_like for dJ/dL.
    "one_forward_pass_sliced": {
        "dcost_dlosses": '''
def dcost_dlosses(L):
    return np.ones_like(L) / L.shape[1]
''',
        "average_of_example_gradients": '''
def average_of_example_gradients(X, Y, params, loss="cross_entropy", output="sigmoid"):
    AL, caches = model_forward(X, params, hidden="relu", output=output)    # one forward pass for the batch
    ((_, W1, b1), Z1), ((A1, W2, b2), Z2) = caches
    m = X.shape[1]
    sums = {"dW1": 0.0, "db1": 0.0, "dW2": 0.0, "db2": 0.0}
    for i in range(m):
        column = slice(i, i + 1)
        one = [((X[:, column], W1, b1), Z1[:, column]), ((A1[:, column], W2, b2), Z2[:, column])]
        grads = backward_two_layer(AL[:, column], Y[:, column], one, loss, output)
        sums = {key: sums[key] + grads[key] for key in sums}
    return {key: total / m for key, total in sums.items()}
''',
    },
}


def submissions():
    """{name: notebook}: the solution, the blank release, one per mistake and one per set of accepted answers."""
    solutions = solution_code(ASSIGNMENT)
    found = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT)}
    for name, (cell, replacements, *_) in MISTAKES.items():
        found[name] = submission_with(ASSIGNMENT, {cell: with_bug(solutions, cell, replacements)})
    for name, answers in ACCEPTED.items():
        found[name] = submission_with(ASSIGNMENT, {cell: code.strip("\n") for cell, code in answers.items()})
    return found


@pytest.fixture(scope="module")
def results():
    return autograde(ASSIGNMENT, submissions())


def test_grading_runs_without_problems(results):
    assert_no_grading_problems(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    assert_designed_points(results, AUTOGRADED_POINTS)


def test_solution_gets_every_autograded_point(results):
    assert_solution_gets_every_point(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("alternative", sorted(ACCEPTED))
def test_correct_alternatives_get_every_point(results, alternative):
    result = results[alternative]
    assert result.total == result.max_total == sum(AUTOGRADED_POINTS.values()), (
        describe({alternative: result}) + "\n" + "\n".join(result.feedback[cell] for cell in sorted(result.failed)))


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
