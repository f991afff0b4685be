"""utils.testing.unit1 and autograder.hidden.unit1: unit 1's test logic, checked without nbgrader.

Student code is simulated as a notebook holds it: the assignment's imports
cell and answer cells (the solution from source/, or a variant with one line
changed) run in one namespace dict, so stand-ins and watches patch exactly
what a student's function sees. The slow, end-to-end proof that the cells
grade right is tests/test_unit1_grading.py.
"""

import io
import json
import math
from contextlib import redirect_stdout

import numpy as np
import pytest

from autograder.hidden import unit1 as hidden
from tests.nbgrade_support import notebook_path, solution_code, with_bug
from utils.activations import sigmoid
from utils.datasets import load_breast_cancer
from utils.testing import unit1
from utils.gradcheck import numerical_gradient
from utils.testing._common import GraderBugError, same_value, signature_difference

ASSIGNMENT = "01_logistic_regression"
BOWL_START = (np.array([[-1.0], [0.5], [1.0]]), -0.25, np.ones((3, 7)), np.ones((1, 7)))


def imports_cell():
    cells = json.loads(notebook_path("source", ASSIGNMENT).read_text())["cells"]
    (cell,) = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "imports"]
    return "".join(cell["source"])


def notebook(**changes):
    """A namespace holding the imports and every answer function; changes: {cell: {line: other line} or code}."""
    solutions = solution_code(ASSIGNMENT)
    namespace = {"__name__": "__main__"}
    exec(compile(imports_cell(), "<imports>", "exec"), namespace)
    for cell, code in solutions.items():
        if cell.startswith("derivation"):
            continue
        if cell in changes:
            code = with_bug(solutions, cell, changes[cell])
        exec(compile(code, f"<{cell}>", "exec"), namespace)
    return namespace


def quietly(function, *args, **kwargs):
    with redirect_stdout(io.StringIO()):
        return function(*args, **kwargs)


@pytest.fixture(scope="module")
def solution():
    return notebook()


# ---------------------------------------------------------------- the imports cell


def test_the_imports_cell_gives_what_pasted_code_expects():
    namespace = notebook()
    assert namespace["copy"].deepcopy is __import__("copy").deepcopy
    assert namespace["np"] is np and namespace["sigmoid"] is sigmoid


# ---------------------------------------------------------------- problems and stored values


def test_logistic_problem_is_seeded_and_separates_mistakes():
    w, b, X, Y = unit1.logistic_problem(seed=102)
    again = unit1.logistic_problem(seed=102)
    assert all(same_value(a, c) for a, c in zip((w, b, X, Y), again))
    assert w.shape == (3, 1) and X.shape == (3, 7) and Y.shape == (1, 7) and type(b) is float
    assert set(np.unique(Y)) <= {0.0, 1.0}
    assert not same_value(X, unit1.logistic_problem(seed=103)[2])


def test_the_stored_predict_values_are_those_of_its_own_inputs():
    """The labels and suspects test_predict stores equal what the formulas give for PREDICT_PROBLEM."""
    w, b, X = unit1.PREDICT_PROBLEM
    u = w.T @ X
    z = u + b
    np.testing.assert_array_equal(unit1._PREDICT_LABELS, (sigmoid(z) > 0.5).astype(float))
    formulas = unit1.predict_mistakes(sigmoid(z), (z > 0).astype(float), (z > 0.5).astype(float),
                                      (u > 0).astype(float), (u > 0.5).astype(float))
    assert formulas.keys() == unit1._PREDICT_MISTAKES.keys()
    for description, value in formulas.items():
        np.testing.assert_allclose(unit1._PREDICT_MISTAKES[description], value, rtol=1e-11, err_msg=description)


def labels_of_mistakes(w, b, X):
    u = w.T @ X
    return {"no sigmoid": u + b > 0.5, "no b": u > 0, "neither": u > 0.5}


def test_the_predict_inputs_tell_every_mistake_apart():
    """Visible and hidden inputs: each mistake's labels differ from the right ones and from each other."""
    inputs = [unit1.PREDICT_PROBLEM]
    for seed in range(200):
        inputs.append(quietly(hidden._predict_problem, np.random.default_rng(seed)))
    for w, b, X in inputs:
        right = sigmoid(w.T @ X + b) > 0.5
        wrong = labels_of_mistakes(w, b, X)
        thresholds = np.array([-b, 0.5 - b, 0.0, 0.5])
        assert np.min(np.abs((w.T @ X).T - thresholds)) > 0.01, "no u = w^T x where a rounding could flip a label"
        for name, labels in wrong.items():
            assert not np.array_equal(labels, right), (name, b)
        assert len({labels.tobytes() for labels in wrong.values()}) == 3, b


def test_bowl_closed_form_is_gradient_descent_on_the_bowl():
    w, b, X, Y = BOWL_START
    bowl = unit1.bowl_propagate(X, Y)
    w_k, b_k = w.copy(), b
    for k in range(12):
        expected_w, expected_b, expected_cost = unit1._bowl_after(w, b, k, 0.3)
        grads, cost = bowl(w_k, b_k, X, Y)
        np.testing.assert_allclose(w_k, expected_w, rtol=1e-12)
        assert math.isclose(b_k, expected_b, rel_tol=1e-12) and math.isclose(cost, expected_cost, rel_tol=1e-12)
        w_k, b_k = w_k - 0.3 * grads["dw"], b_k - 0.3 * grads["db"]


def test_the_bowl_refuses_other_data_and_states_the_rule():
    w, b, X, Y = BOWL_START
    bowl = unit1.bowl_propagate(X, Y)
    with pytest.raises(AssertionError, match="X has shape .* not the test's .*\n.*Rule: optimize calls propagate"):
        bowl(w, b, X[:, :5], Y)
    grads, _ = bowl(w=w, b=b, X=X.copy(), Y=Y)  # keywords, and an equal copy of the test's data, are fine
    assert grads["dw"].shape == (3, 1)


def test_cost_count():
    assert [unit1.cost_count(n) for n in (1, 100, 101, 250, 300)] == [1, 1, 2, 3, 3]


# ---------------------------------------------------------------- the visible tests, solution and mistakes


def visible_tests(namespace):
    """Every visible test of the assignment, with the inputs its cell gives."""
    return {
        "initialize": lambda: [unit1.test_initialize_with_zeros(namespace["initialize_with_zeros"], dim) for dim in (3, 17)],
        "cost": lambda: unit1.test_propagate_cost(namespace["propagate"], *unit1.logistic_problem(seed=101)),
        "dw": lambda: unit1.test_propagate_dw(namespace["propagate"], *unit1.logistic_problem(seed=102)),
        "db": lambda: unit1.test_propagate_db(namespace["propagate"], *unit1.logistic_problem(seed=103)),
        "update": lambda: unit1.test_optimize_update(namespace["optimize"], *BOWL_START, 7, 0.3),
        "costs": lambda: unit1.test_optimize_costs(namespace["optimize"], *BOWL_START, 250, 0.003),
        "predict": lambda: unit1.test_predict(namespace["predict"], *unit1.PREDICT_PROBLEM),
        "model": lambda: unit1.test_model_outputs(namespace["model"], *unit1.model_problem(seed=106), 300, 0.1),
    }


def test_the_solution_passes_every_visible_test(solution):
    for name, run in visible_tests(solution).items():
        quietly(run)


@pytest.mark.parametrize("changes, test, phrase", [
    ({"initialize_with_zeros": {"w = np.zeros((dim, 1))": "w = np.zeros(dim)"}}, "initialize", "np.zeros(dim) is 1-D"),
    ({"propagate": {"cost = float(np.mean(binary_cross_entropy_loss(A, Y)))":
                    "cost = np.sum(binary_cross_entropy_loss(A, Y), axis=1, keepdims=True) / m"}},
     "cost", "(1, 1) array, not a float"),
    ({"propagate": {"dw = X @ dZ.T / m": "dw = X * dZ / m"}}, "dw", "elementwise X * dZ"),
    ({"propagate": {"dw = X @ dZ.T / m": "dw = X @ dZ.T"}}, "dw", "factor of m"),
    ({"propagate": {'grads = {"dw": dw, "db": db}': 'grads = {"dW": dw, "db": db}'}}, "dw", "grads has no 'dw'"),
    ({"propagate": {"return grads, cost": "return grads"}}, "db", "what propagate returns"),
    ({"propagate": {"db = float(np.sum(dZ) / m)": "db = float(np.sum(Y - A) / m)"}}, "db", "the sign of dZ"),
    ({"optimize": {'w = w - learning_rate * grads["dw"]': 'w = w + learning_rate * grads["dw"]'}},
     "update", "gradient ascent"),
    ({"optimize": {"for iteration in range(num_iterations):": "for iteration in range(num_iterations - 1):"}},
     "update", "one step too few"),
    ({"optimize": {"grads, cost = propagate(w, b, X, Y)": "grads, cost = propagate(w, b, X[:, :1], Y[:, :1])"}},
     "update", "Rule: optimize calls propagate(w, b, X, Y) with the X and Y it was given"),
    ({"optimize": {"if iteration % 100 == 0:": "if iteration % 100 == 1:"}}, "costs", "the cost after the step"),
    ({"predict": {"A = sigmoid(w.T @ X + b)": "A = w.T @ X + b"}}, "predict", "the sigmoid is missing"),
    ({"predict": {"A = sigmoid(w.T @ X + b)": "A = sigmoid(w.T @ X)"}}, "predict", "+ b is missing"),
    ({"predict": {"A = sigmoid(w.T @ X + b)": "A = w.T @ X"}}, "predict", "sigmoid and + b are both missing"),
    ({"predict": {"Y_prediction = (A > 0.5).astype(float)": "Y_prediction = (A > 0).astype(float)"}},
     "predict", "every label is 1"),
    ({"model": {"w, b = initialize_with_zeros(X_train.shape[0])": "w, b = initialize_with_zeros(X_train.shape[1])"}},
     "model", "dim is 37, not the test's 3"),
    ({"model": {"num_iterations, learning_rate, print_cost=print_cost": "2000, 0.5, print_cost=print_cost"}},
     "model", "num_iterations is 2000, not the test's 300"),
    ({"model": {"Y_prediction_test = predict(w, b, X_test)": "Y_prediction_test = Y_prediction_train[:, :13]"}},
     "model", "model called predict 1 time; it should call it 2 times"),
    ({"model": {'"num_iterations": num_iterations,': '"iterations": num_iterations,'}}, "model", "lacks the keys"),
])
def test_each_visible_test_names_a_typical_mistake(changes, test, phrase):
    run = visible_tests(notebook(**changes))[test]
    with pytest.raises(AssertionError) as failure:
        quietly(run)
    assert phrase in str(failure.value), str(failure.value)


def test_a_blank_answer_says_not_implemented():
    blank = "def {name}{signature}:\n    raise NotImplementedError()\n"
    namespace = notebook(**{cell: blank.format(name=cell, signature=unit1.SIGNATURES[cell])
                            for cell in unit1.SIGNATURES})
    for name, run in visible_tests(namespace).items():
        with pytest.raises(AssertionError, match="not implemented yet"):
            quietly(run)


# An edited test cell is the student's to undo, not a bug in the course: an AssertionError that says so.


def test_the_propagate_tests_know_only_their_own_inputs(solution):
    w, b, X, Y = unit1.logistic_problem(seed=104)
    for test in (unit1.test_propagate_cost, unit1.test_propagate_dw, unit1.test_propagate_db):
        with pytest.raises(AssertionError) as failure:
            test(solution["propagate"], w, b, X, Y)
        assert not isinstance(failure.value, GraderBugError)
        assert str(failure.value).startswith(f"{test.__name__} knows only the inputs its test cell builds: w has "
                                             "the test's shape (3, 1) but other values.\nLikely reason: the test "
                                             "cell was edited."), str(failure.value)
    # one changed input of a visible problem is named
    w, b, X, Y = unit1.logistic_problem(seed=102)
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds: b is 0.5, not the test's"):
        unit1.test_propagate_dw(solution["propagate"], w, 0.5, X, Y)


def test_test_predict_knows_only_its_own_inputs(solution):
    w, b, X = unit1.PREDICT_PROBLEM
    with pytest.raises(AssertionError, match="test_predict knows only the inputs its test cell builds: b is") as failure:
        unit1.test_predict(solution["predict"], w, b + 1.0, X)
    assert not isinstance(failure.value, GraderBugError)


def test_the_bowl_refuses_a_start_of_another_size(solution):
    for test in (unit1.test_optimize_update, unit1.test_optimize_costs):
        with pytest.raises(AssertionError, match=rf"{test.__name__} knows only the inputs its test cell builds: "
                                                 r"the bowl has n_x = 3 features, and the test cell gave w of shape "
                                                 r"\(4, 1\)") as failure:
            test(solution["optimize"], np.zeros((4, 1)), 0.0, np.ones((4, 7)), np.ones((1, 7)), 7, 0.3)
        assert not isinstance(failure.value, GraderBugError)


def test_stand_ins_are_restored_after_the_model_test(solution):
    parts = {name: solution[name] for name in ("initialize_with_zeros", "optimize", "predict")}
    quietly(unit1.test_model_outputs, solution["model"], *unit1.model_problem(seed=106), 300, 0.1)
    assert all(solution[name] is function for name, function in parts.items())


# ---------------------------------------------------------------- the watch and the end-to-end test


def test_the_watch_records_calls_and_lets_the_students_optimize_work():
    seen = []

    def students_optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
        seen.append((num_iterations, learning_rate))
        return "result"

    watch = unit1.optimize_watch(students_optimize)
    assert watch(1, 2, 3, 4, num_iterations=5, learning_rate=0.25) == "result"
    assert watch(1, 2, 3, 4, 6, 0.5, True) == "result"
    assert seen == [(5, 0.25), (6, 0.5)]
    assert [call["print_cost"] for call in watch.calls] == [False, True]
    assert signature_difference(watch, unit1.SIGNATURES["optimize"]) is None


def test_the_end_to_end_test_passes_the_solution_and_restores_optimize(solution):
    own = solution["optimize"]
    with redirect_stdout(io.StringIO()) as printed:
        unit1.test_model_on_real_data(solution["model"], own, *load_breast_cancer(), num_iterations=1000,
                                      learning_rate=0.3, min_accuracy=0.88)
    assert solution["optimize"] is own
    assert "training accuracy 0.988" in printed.getvalue() and "test accuracy 0.986" in printed.getvalue()


@pytest.mark.parametrize("changes, phrase", [
    ({"model": {"num_iterations, learning_rate, print_cost=print_cost": "2000, 0.5, print_cost=print_cost"}},
     "model trained with num_iterations = 2000, but this test called model with num_iterations = 1000"),
    ({"model": {"num_iterations, learning_rate, print_cost=print_cost": "num_iterations, 0.1, print_cost=print_cost"}},
     "model trained with learning_rate = 0.1"),
    ({"model": {"X_train, Y_train, num_iterations": "X_train[:, :300], Y_train[:, :300], num_iterations"}},
     "model did not train on X_train, Y_train"),
    ({"propagate": {"db = float(np.sum(dZ) / m)": "db = float(np.sum(Y - A) / m)"}},
     "the predictions on the training set are right for 83.6%"),
    ({"initialize_with_zeros": {"w = np.zeros((dim, 1))": "w = np.zeros(dim)"}},
     "model raised ValueError while training on the breast cancer data"),
])
def test_the_end_to_end_test_fails_hard_coding_and_broken_training(changes, phrase):
    namespace = notebook(**changes)
    with pytest.raises(AssertionError) as failure:
        quietly(unit1.test_model_on_real_data, namespace["model"], namespace["optimize"], *load_breast_cancer(),
                num_iterations=1000, learning_rate=0.3, min_accuracy=0.88)
    assert phrase in str(failure.value), str(failure.value)


def test_a_students_own_assert_reaches_the_display_unchanged():
    namespace = notebook(propagate={"dw = X @ dZ.T / m": "dw = dZ @ X.T / m\n    assert dw.shape == w.shape"})
    with pytest.raises(AssertionError) as failure:
        quietly(unit1.test_model_on_real_data, namespace["model"], namespace["optimize"], *load_breast_cancer(),
                num_iterations=1000, learning_rate=0.3, min_accuracy=0.88)
    assert str(failure.value) == ""
    last = failure.traceback[-1]
    assert last.frame.code.name == "propagate"  # the display shows this line: the student's own assert


# ---------------------------------------------------------------- the hidden tests


def hidden_tests(namespace):
    return {
        "initialize": lambda: hidden.test_initialize_with_zeros(namespace["initialize_with_zeros"]),
        "cost": lambda: hidden.test_propagate_cost(namespace["propagate"]),
        "dw": lambda: hidden.test_propagate_dw(namespace["propagate"]),
        "db": lambda: hidden.test_propagate_db(namespace["propagate"]),
        "update": lambda: hidden.test_optimize_update(namespace["optimize"]),
        "costs": lambda: hidden.test_optimize_costs(namespace["optimize"]),
        "predict": lambda: hidden.test_predict(namespace["predict"]),
        "model": lambda: hidden.test_model_outputs(namespace["model"]),
        "real data": lambda: hidden.test_model_on_real_data(namespace["model"], namespace["optimize"]),
    }


def test_the_solution_passes_every_hidden_test_and_each_prints_its_seed(solution):
    for name, run in hidden_tests(solution).items():
        with redirect_stdout(io.StringIO()) as printed:
            run()
        assert printed.getvalue().startswith("hidden test, seed "), name


def test_the_references_agree_with_the_solution(solution):
    rng = np.random.default_rng(5)
    w, b, X, Y = rng.normal(size=(4, 1)), 0.3, rng.normal(size=(4, 9)), (rng.random((1, 9)) < 0.5).astype(float)
    grads, cost = solution["propagate"](w, b, X, Y)
    expected, expected_cost = hidden.reference_propagate(w, b, X, Y)
    np.testing.assert_allclose(expected["dw"], grads["dw"], rtol=1e-12)
    assert math.isclose(expected["db"], grads["db"], rel_tol=1e-12) and math.isclose(expected_cost, cost, rel_tol=1e-12)
    params, _, costs = hidden.reference_optimize(w, b, X, Y, 250, 0.1)
    ours, _, our_costs = solution["optimize"](w, b, X, Y, 250, 0.1)
    np.testing.assert_allclose(params["w"], ours["w"], rtol=1e-12)
    np.testing.assert_allclose(costs, our_costs, rtol=1e-12)
    np.testing.assert_array_equal(hidden.reference_predict(w, b, X), solution["predict"](w, b, X))
    for name in ("initialize_with_zeros", "propagate", "optimize", "predict"):
        assert signature_difference(getattr(hidden, f"reference_{name}"), unit1.SIGNATURES[name]) is None


@pytest.mark.parametrize("test", ["cost", "dw", "db"])
def test_hidden_propagate_tests_fail_code_that_calls_an_oracle_or_the_visible_module(test):
    for code in ('A = sigmoid(w.T @ X + b)\n    numerical_gradient(lambda v: 0.0, np.zeros((1, 1)))',
                 "A = sigmoid(w.T @ X + b)\n    unit1._cost(w, b, X, Y)"):
        namespace = notebook(propagate={"A = sigmoid(w.T @ X + b)": code})
        namespace.update(numerical_gradient=numerical_gradient, unit1=unit1)
        with pytest.raises(AssertionError, match="propagate called"):
            quietly(hidden_tests(namespace)[test])


def test_hidden_optimize_test_fails_an_optimize_that_calls_the_visible_module():
    namespace = notebook(optimize={"grads, cost = propagate(w, b, X, Y)":
                                   "grads, cost = propagate(w, b, X, Y)\n        unit1.logistic_problem(0)"})
    namespace["unit1"] = unit1
    with pytest.raises(AssertionError, match="optimize called .*logistic_problem"):
        quietly(hidden_tests(namespace)["update"])


@pytest.mark.parametrize("changes, test, phrase", [
    ({"propagate": {"dw = X @ dZ.T / m": "dw = dZ @ X.T / m"}}, "dw", "dw"),
    ({"optimize": {'b = b - learning_rate * grads["db"]': 'b = b + learning_rate * grads["db"]'}}, "update",
     "gradient ascent: b + learning_rate * db, steps uphill (w's update is right"),
    ({"optimize": {'w = w - learning_rate * grads["dw"]': 'w = w + learning_rate * grads["dw"]'}}, "update",
     "gradient ascent: w + learning_rate * dw, steps uphill"),
    ({"optimize": {"costs.append(cost)": "costs.append(propagate(w - learning_rate * grads['dw'], "
                                         "b - learning_rate * grads['db'], X, Y)[1])"}}, "costs", "after the step"),
    ({"predict": {"A = sigmoid(w.T @ X + b)": "A = w.T @ X"}}, "predict", "sigmoid and + b are both missing"),
    ({"predict": {"A = sigmoid(w.T @ X + b)": "A = sigmoid(w.T @ X)"}}, "predict", "+ b is missing"),
    ({"predict": {"A = sigmoid(w.T @ X + b)": "A = w.T @ X + b"}}, "predict", "the sigmoid is missing"),
    ({"model": {'w, b = params["w"], params["b"]': "pass"}}, "model", "the starting zeros, not the trained"),
    ({"model": {"num_iterations, learning_rate, print_cost=print_cost": "100, learning_rate, print_cost=print_cost"}},
     "model", "model trained with num_iterations = 100"),
    ({"model": {"num_iterations, learning_rate, print_cost=print_cost": "2000, 0.5, print_cost=print_cost"}},
     "real data", "model trained with num_iterations = 2000"),
])
def test_each_hidden_test_names_a_typical_mistake(changes, test, phrase):
    with pytest.raises(AssertionError) as failure:
        quietly(hidden_tests(notebook(**changes))[test])
    assert phrase in str(failure.value), str(failure.value)


def test_hidden_end_to_end_accepts_b_as_a_size_one_array():
    """A db kept as a (1, 1) array makes b one; the end-to-end test grades training, not that (test_propagate_db does)."""
    namespace = notebook(propagate={"db = float(np.sum(dZ) / m)": "db = np.sum(dZ, axis=1, keepdims=True) / m"})
    quietly(hidden_tests(namespace)["real data"])


def test_the_documented_visible_margins_hold():
    """tests/test_unit1_grading.py states these counts of right labels (427 training / 142 test examples)."""
    counts = {}
    for name, changes in (("solution", {}), ("db_wrong_sign", {"propagate": {"db = float(np.sum(dZ) / m)":
                                                                             "db = float(np.sum(Y - A) / m)"}})):
        namespace = notebook(**changes)
        X_train, Y_train, X_test, Y_test = load_breast_cancer()
        result = namespace["model"](X_train, Y_train, X_test, Y_test, num_iterations=1000, learning_rate=0.3)
        counts[name] = (int(np.sum(result["Y_prediction_train"] == Y_train)),
                        int(np.sum(result["Y_prediction_test"] == Y_test)))
    bound = (math.ceil(0.88 * 427), math.ceil(0.88 * 142))
    assert bound == (376, 125)
    assert counts["solution"] == (422, 140)
    assert counts["db_wrong_sign"][0] == 357
