"""Unit 1 (01_logistic_regression): proof that the grading is right.

One autograde run (nbgrader and the project's engine, tests/nbgrade_support.py)
grades the solution, the blank release, one submission per typical mistake and
one per correct answer written in another style. Each mistake is the solution
with a line or two changed, so it must lose exactly the points of the cells
that test what it breaks, with feedback that names the mistake; each correct
alternative must get every point.

Which cells a mistake fails is part of the design: the function's own test
cells always (their hidden parts run the student's function on top of the
grader's correct parts, so a mistake costs points once), plus the end-to-end
cell `test_model_breast_cancer` when the mistake keeps the model from training
with the arguments it was given, or from classifying the real data.

The end-to-end bounds and their margins (measured with the solution and each
mistake; "examples" counts data points of the 427 training / 142 test ones):

- visible (the default split, num_iterations=1000, learning_rate=0.3, at least
  88% right on each set, i.e. 376 training and 125 test examples): the
  solution gets 422 / 140 (46 / 15 examples to spare); a dw without 1/m, whose
  huge steps make its result depend on rounding, 417-423 / 134-137 over
  perturbed runs (41 / 9 to spare), and 422-425 / 134-136 with db without 1/m
  too; predict without the sigmoid, without b or without both 417-421 / 140;
  a wrong sign of db 357 training examples (19 short, so it fails); gradient
  ascent, flipped labels, probabilities and untrained parameters at most 37%.
- hidden (a fresh split, num_iterations in [300, 1500], learning_rate
  log-uniform in [0.05, 1], at least 80% right on each set): over 400 random
  draws the solution got at least 93.0% (test) and 98.1% (training), 18 and 77
  examples to spare; a dw without 1/m at least 89.4% / 95.1% (13 / 64 to
  spare), and 90.1% / 95.8% with db without 1/m too (300 draws); predict
  without the sigmoid and b at least 92.3% / 95.8%. (A wrong sign of db ranges
  from 75% to 97% on fresh splits; its cell is decided by the visible part,
  which it always fails.)
- hard-coded training values cannot pass: a watch between model and the
  student's optimize checks that num_iterations and learning_rate arrive as given.
"""

import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    describe,
    grade_variants,
    solution_code,
    with_bug,
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
PROPAGATE_CELLS = {"test_propagate_cost", "test_propagate_dw", "test_propagate_db"}

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

CALL_TO_OPTIMIZE = "optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost=print_cost)"
PREDICT_LINE = "A = sigmoid(w.T @ X + b)"

# name: (answer cell, {solution line: buggy line} or the whole buggy cell, cells that must fail,
#        {failing cell: words its feedback must contain})
MISTAKES = {
    "propagate_by_numerical_gradient": (
        "propagate",
        PROPAGATE_BY_NUMERICAL_GRADIENT,
        PROPAGATE_CELLS | {END_TO_END},
        {
            "test_propagate_dw": ["propagate called", "numerical_gradient", "Compute the result yourself"],
            "test_propagate_db": ["propagate called", "numerical_gradient"],
            "test_propagate_cost": ["propagate called", "numerical_gradient"],
            END_TO_END: ["model called", "numerical_gradient"],
        },
    ),
    "w_flat_1d": (
        "initialize_with_zeros",
        {"w = np.zeros((dim, 1))": "w = np.zeros(dim)"},
        {"test_initialize_with_zeros", END_TO_END},
        {"test_initialize_with_zeros": ["np.zeros(dim) is 1-D", "np.zeros((dim, 1))"],
         END_TO_END: ["shape", "make the tests above pass first"]},
    ),
    "cost_is_loss_row": (
        "propagate",
        {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))": "cost = binary_cross_entropy_loss(A, Y)"},
        {"test_propagate_cost"},
        {"test_propagate_cost": ["per-example losses L, not the cost J"]},
    ),
    "cost_as_1x1_array": (
        "propagate",
        {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))":
         "cost = np.sum(binary_cross_entropy_loss(A, Y), axis=1, keepdims=True) / m"},
        {"test_propagate_cost"},
        {"test_propagate_cost": ["(1, 1) array, not a float"]},
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
    "own_assert_without_message": (
        "propagate",
        {"dw = X @ dZ.T / m": "dw = dZ @ X.T / m\n    assert dw.shape == w.shape"},
        PROPAGATE_CELLS | {END_TO_END},
        {cell: ["an `assert` without a message failed in propagate", "assert dw.shape == w.shape"]
         for cell in PROPAGATE_CELLS | {END_TO_END}},
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
        {"test_propagate_db": ["the sign of dZ", "A - Y"], END_TO_END: ["training does not go downhill"]},
    ),
    "gradient_ascent": (
        "optimize",
        {
            'w = w - learning_rate * grads["dw"]': 'w = w + learning_rate * grads["dw"]',
            'b = b - learning_rate * grads["db"]': 'b = b + learning_rate * grads["db"]',
        },
        {"test_optimize_update", "test_optimize_costs", END_TO_END},
        {"test_optimize_update": ["gradient ascent"], "test_optimize_costs": ["gradient ascent"],
         END_TO_END: ["goes downhill"]},
    ),
    "cost_recorded_every_iteration": (
        "optimize",
        {"if iteration % 100 == 0:": "if True:"},
        {"test_optimize_costs"},
        {"test_optimize_costs": ["250 iterations should record 3 costs", "iteration % 100 == 0"]},
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
    "predict_without_sigmoid": (
        "predict",
        {PREDICT_LINE: "A = w.T @ X + b"},
        {"test_predict"},
        {"test_predict": ["the sigmoid is missing"]},
    ),
    "predict_without_b": (
        "predict",
        {PREDICT_LINE: "A = sigmoid(w.T @ X)"},
        {"test_predict"},
        {"test_predict": ["+ b is missing"]},
    ),
    "predict_without_sigmoid_and_b": (
        "predict",
        {PREDICT_LINE: "A = w.T @ X"},
        {"test_predict"},
        {"test_predict": ["the sigmoid and + b are both missing"]},
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
    # Exactly the values the end-to-end test used to pass (the defaults): they must not earn its points.
    "model_hard_codes_the_defaults": (
        "model",
        {CALL_TO_OPTIMIZE: "optimize(w, b, X_train, Y_train, 2000, 0.5, print_cost=print_cost)"},
        {"test_model_outputs", END_TO_END},
        {"test_model_outputs": ["num_iterations is 2000, not the test's 300", "passing on the num_iterations"],
         END_TO_END: ["model trained with num_iterations = 2000", "pass on the num_iterations that model was given"]},
    ),
    "model_hard_codes_a_learning_rate": (
        "model",
        {CALL_TO_OPTIMIZE: "optimize(w, b, X_train, Y_train, num_iterations, 0.05, print_cost=print_cost)"},
        {"test_model_outputs", END_TO_END},
        {"test_model_outputs": ["learning_rate is 0.05, not the test's 0.1"],
         END_TO_END: ["model trained with learning_rate = 0.05", "pass on the learning_rate"]},
    ),
}

# Correct answers written in other styles: (answer cell, the whole cell or {solution line: other line}).
DLS_PROPAGATE = '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    dw = 1 / m * np.dot(X, (A - Y).T)
    db = 1 / m * np.sum(A - Y)            # a numpy float64
    cost = np.squeeze(np.array(cost))     # a 0-d array
    grads = {"dw": dw, "db": db}
    return grads, cost
'''

EINSUM_PROPAGATE = '''
def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.einsum("im,ij->jm", X, w) + b)
    losses = binary_cross_entropy_loss(A, Y)
    dZ = A - Y
    return {"dw": np.einsum("im,jm->ij", X, dZ) / m, "db": np.einsum("jm->", dZ) / m}, np.mean(losses)
'''

LOOP_PROPAGATE = '''
def propagate(w, b, X, Y):
    n_x, m = X.shape
    dw = np.zeros((n_x, 1))
    db = 0.0
    cost = 0.0
    for i in range(m):
        z = float(w[:, 0] @ X[:, i]) + b
        a = 1 / (1 + np.exp(-z))
        y = Y[0, i]
        cost += -(y * np.log(a) + (1 - y) * np.log(1 - a)) / m
        dw += X[:, [i]] * (a - y) / m
        db += (a - y) / m
    return {"db": db, "dw": dw}, cost
'''

DLS_OPTIMIZE = '''
def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    w = copy.deepcopy(w)
    b = copy.deepcopy(b)
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w=w, b=b, X=X, Y=Y)
        dw = grads["dw"]
        db = grads["db"]
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print("Cost after iteration %i: %f" % (i, cost))
    params = {"w": w, "b": b}
    grads = {"dw": dw, "db": db}
    return params, grads, costs
'''

IN_PLACE_OPTIMIZE = '''
def optimize(w, b, X, Y, num_iterations, learning_rate, print_cost=False):
    w = w.copy()
    costs = []
    for iteration in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        if not iteration % 100:
            costs.append(np.float64(cost))
        w -= learning_rate * grads["dw"]
        b -= learning_rate * grads["db"]
    return {"w": w, "b": b}, grads, costs
'''

DLS_PREDICT = '''
def predict(w, b, X):
    m = X.shape[1]
    Y_prediction = np.zeros((1, m))
    w = w.reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    for i in range(A.shape[1]):
        if A[0, i] > 0.5:
            Y_prediction[0, i] = 1
        else:
            Y_prediction[0, i] = 0
    return Y_prediction
'''

BOOL_PREDICT = '''
def predict(w, b, X):
    return sigmoid(w.T @ X + b) > 0.5
'''

DLS_MODEL = '''
def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):
    w, b = initialize_with_zeros(X_train.shape[0])
    params, grads, costs = optimize(w, b, X_train, Y_train, num_iterations=num_iterations,
                                    learning_rate=learning_rate, print_cost=print_cost)
    w = params["w"]
    b = params["b"]
    Y_prediction_test = predict(w=w, b=b, X=X_test)
    Y_prediction_train = predict(w, b, X_train)
    d = {"costs": costs,
         "Y_prediction_test": Y_prediction_test,
         "Y_prediction_train": Y_prediction_train,
         "w": w,
         "b": b,
         "learning_rate": learning_rate,
         "num_iterations": num_iterations,
         "train_accuracy": 1 - np.mean(np.abs(Y_prediction_train - Y_train)),
         "test_accuracy": 1 - np.mean(np.abs(Y_prediction_test - Y_test))}
    return d
'''

ALTERNATIVES = {
    "initialize_numpy_scalar_b": ("initialize_with_zeros", {"b = 0.0": "b = np.float64(0)",
                                                            "w = np.zeros((dim, 1))": "w = np.zeros(shape=(dim, 1), dtype=float)"}),
    "cost_as_0d_array": ("propagate", {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))":
                                       "cost = np.squeeze(np.sum(binary_cross_entropy_loss(A, Y), axis=1, keepdims=True) / m)"}),
    "numpy_scalars_not_float": ("propagate", {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))":
                                              "cost = np.mean(binary_cross_entropy_loss(A, Y))",
                                              "db = float(np.sum(dZ) / m)": "db = np.sum(dZ) / m"}),
    "propagate_dls_style": ("propagate", DLS_PROPAGATE),
    "propagate_einsum": ("propagate", EINSUM_PROPAGATE),
    "propagate_loops": ("propagate", LOOP_PROPAGATE),
    "optimize_dls_style_copy_keywords": ("optimize", DLS_OPTIMIZE),
    "optimize_in_place": ("optimize", IN_PLACE_OPTIMIZE),
    "predict_loop_dls_style": ("predict", DLS_PREDICT),
    "predict_booleans": ("predict", BOOL_PREDICT),
    "model_dls_style_keywords": ("model", DLS_MODEL),
}


def accepted():
    """{name: (cell, code)} of the correct alternatives, line edits applied to the solution."""
    solutions = solution_code(ASSIGNMENT)
    return {name: (cell, with_bug(solutions, cell, change)) for name, (cell, change) in ALTERNATIVES.items()}


@pytest.fixture(scope="module")
def results():
    return grade_variants(ASSIGNMENT, MISTAKES, accepted())


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


@pytest.mark.parametrize("alternative", sorted(ALTERNATIVES))
def test_correct_answers_in_other_styles_get_every_point(results, alternative):
    result = results[alternative]
    assert result.total == result.max_total == sum(AUTOGRADED_POINTS.values()), describe({alternative: result})
