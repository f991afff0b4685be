"""Unit 1 (01_logistic_regression): proof that the grading is right.

One nbgrader autograde run grades the solution, the blank release and one
submission per typical mistake. Each mistake is the solution with one or two
lines changed, so it must lose exactly the points of the cells that test what
it breaks, and the feedback of those cells must name the mistake.

Which cells a mistake fails is part of the design: the function's own test
cells always (their hidden parts run the student's function on top of correct
parts, so a mistake costs points once), plus the end-to-end cell
`test_model_breast_cancer` when the mistake keeps the trained model from
classifying the real data.
"""

import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    grade_variants,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "01_logistic_regression"

AUTOGRADED_POINTS = {
    "test_initialize_with_zeros": 1,
    "test_propagate_cost": 2,
    "test_propagate_dw": 2,
    "test_propagate_db": 1,
    "test_optimize_update": 2,
    "test_optimize_costs": 1,
    "test_predict": 2,
    "test_model_outputs": 2,
    "test_model_breast_cancer": 2,
}

END_TO_END = "test_model_breast_cancer"

# propagate estimating the gradient with the tests' own referee instead of deriving it: right values, no derivation.
PROPAGATE_BY_NUMERICAL_GRADIENT = '''
def propagate(w, b, X, Y):
    from utils.gradcheck import numerical_gradient
    def cost_of(w_, b_):
        return float(np.mean(binary_cross_entropy_loss(sigmoid(w_.T @ X + b_), Y)))
    dw = numerical_gradient(lambda w_: cost_of(w_, b), np.array(w, dtype=float))
    db = float(numerical_gradient(lambda b_: cost_of(w, b_[0, 0]), np.array([[float(b)]]))[0, 0])
    return {"dw": dw, "db": db}, cost_of(w, b)
'''

# name: (answer cell, {solution line: buggy line} or the whole buggy cell, cells that must fail,
#        {failing cell: words its feedback must contain})
MISTAKES = {
    "propagate_by_numerical_gradient": (
        "propagate",
        PROPAGATE_BY_NUMERICAL_GRADIENT,
        {"test_propagate_dw", "test_propagate_db"},
        {
            "test_propagate_dw": ["propagate called", "numerical_gradient", "Compute the result yourself"],
            "test_propagate_db": ["propagate called", "numerical_gradient"],
        },
    ),
    "w_flat_1d": (
        "initialize_with_zeros",
        {"w = np.zeros((dim, 1))": "w = np.zeros(dim)"},
        {"test_initialize_with_zeros", END_TO_END},
        {"test_initialize_with_zeros": ["np.zeros(dim) is 1-D", "np.zeros((dim, 1))"], END_TO_END: ["shape", "make the tests above pass first"]},
    ),
    "cost_is_loss_row": (
        "propagate",
        {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))": "cost = binary_cross_entropy_loss(A, Y)"},
        {"test_propagate_cost"},
        {"test_propagate_cost": ["per-example losses L, not the cost J"]},
    ),
    "cost_summed_not_averaged": (
        "propagate",
        {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))": "cost = float(np.sum(binary_cross_entropy_loss(A, Y)))"},
        {"test_propagate_cost"},
        {"test_propagate_cost": ["factor of m"]},
    ),
    "dw_without_1_over_m": (
        "propagate",
        {"dw = X @ dZ.T / m": "dw = X @ dZ.T"},
        {"test_propagate_dw"},
        {"test_propagate_dw": ["factor of m", "forgot to average"]},
    ),
    "dw_transposed": (
        "propagate",
        {"dw = X @ dZ.T / m": "dw = dZ @ X.T / m"},
        {"test_propagate_dw", END_TO_END},
        {"test_propagate_dw": ["transposed"], END_TO_END: ["shape"]},
    ),
    "dw_elementwise_product": (
        "propagate",
        {"dw = X @ dZ.T / m": "dw = X * dZ / m"},
        {"test_propagate_dw", END_TO_END},
        {"test_propagate_dw": ["elementwise X * dZ", "matrix product"]},
    ),
    "db_as_array": (
        "propagate",
        {"db = float(np.sum(dZ) / m)": "db = np.sum(dZ, axis=1, keepdims=True) / m"},
        {"test_propagate_db"},
        {"test_propagate_db": ["(1, 1) array, not a float"]},
    ),
    "db_wrong_sign": (
        "propagate",
        {"db = float(np.sum(dZ) / m)": "db = float(np.sum(Y - A) / m)"},
        {"test_propagate_db", END_TO_END},
        {"test_propagate_db": ["the sign of dZ", "A - Y"]},
    ),
    "gradient_ascent": (
        "optimize",
        {
            'w = w - learning_rate * grads["dw"]': 'w = w + learning_rate * grads["dw"]',
            'b = b - learning_rate * grads["db"]': 'b = b + learning_rate * grads["db"]',
        },
        {"test_optimize_update", "test_optimize_costs", END_TO_END},
        {"test_optimize_update": ["gradient ascent"], "test_optimize_costs": ["gradient ascent"]},
    ),
    "cost_recorded_every_iteration": (
        "optimize",
        {"if iteration % 100 == 0:": "if True:"},
        {"test_optimize_costs"},
        {"test_optimize_costs": ["should record 3 costs", "iteration % 100 == 0"]},
    ),
    "predict_returns_probabilities": (
        "predict",
        {"Y_prediction = (A > 0.5).astype(float)": "Y_prediction = A"},
        {"test_predict", END_TO_END},
        {"test_predict": ["probabilities", "threshold"]},
    ),
    "predict_flipped": (
        "predict",
        {"Y_prediction = (A > 0.5).astype(float)": "Y_prediction = (A < 0.5).astype(float)"},
        {"test_predict", END_TO_END},
        {"test_predict": ["flipped"]},
    ),
    "accuracy_in_percent": (
        "model",
        {
            "train_accuracy = float(np.mean(Y_prediction_train == Y_train))": "train_accuracy = 100 * float(np.mean(Y_prediction_train == Y_train))",
            "test_accuracy = float(np.mean(Y_prediction_test == Y_test))": "test_accuracy = 100 * float(np.mean(Y_prediction_test == Y_test))",
        },
        {"test_model_outputs"},
        {"test_model_outputs": ["percentage"]},
    ),
    "predicts_with_untrained_parameters": (
        "model",
        {'w, b = params["w"], params["b"]': "pass  # the trained params are never used"},
        {"test_model_outputs", END_TO_END},
        {"test_model_outputs": ["not with the starting zeros"]},
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


def test_blank_release_gets_zero_and_says_not_implemented(results):
    assert_blank_gets_zero(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    assert_loses_exactly(results, mistake, MISTAKES[mistake][2])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])
