"""utils.testing.unit5 and autograder.hidden.unit5: the unit-5 test logic, in-process.

The answers under test come from the assignment's own solution cells (the
namespace a student's kernel has after running them) or are small variants
written here. Expected values in this file are computed analytically or by
autograder.reference, independently of the finite differences the module uses.
"""

import re

import numpy as np
import pytest

from autograder import reference
from autograder.hidden import _common as hidden_common
from autograder.hidden import unit5 as hidden
from tests.nbgrade_support import notebook_path, solution_code
from utils.forward import model_forward
from utils.initialization import initialize_parameters
from utils.testing import unit5
from utils.checks import run_student
from utils.testing._common import GraderBugError, replaced

ASSIGNMENT = "05_l_layer_backward"


@pytest.fixture(scope="module")
def solution():
    """{name: function} after running the imports cell and every answer cell of the source notebook."""
    import nbformat

    cells = nbformat.read(notebook_path("source", ASSIGNMENT), as_version=4).cells
    imports = next(cell.source for cell in cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "imports")
    namespace = {}
    exec(imports, namespace)
    for grade_id, code in solution_code(ASSIGNMENT).items():
        if grade_id != "derivation_layer_backward":
            exec(code, namespace)
    return namespace


def changed(cell, old, new):
    """The solution of answer cell `cell` with the line `old` (which occurs once) replaced by `new`."""
    code = solution_code(ASSIGNMENT)[cell]
    assert code.count(old) == 1, (cell, old)
    return code.replace(old, new)


def variant(solution, code):
    """A fresh namespace like the solution's, with `code` run in it (a student's other answer)."""
    namespace = {key: value for key, value in solution.items() if key != "__builtins__"}
    exec(code, namespace)
    return namespace


def failure(function, *args, **kwargs):
    """The AssertionError message of function(*args, **kwargs), which must fail."""
    with pytest.raises(AssertionError) as raised:
        function(*args, **kwargs)
    return str(raised.value)


def analytic_linear(dZ, cache):
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m


# ---- problems ---------------------------------------------------------------------------------------


def test_problems_have_the_documented_shapes_and_repeat_for_a_seed():
    dZ, (A_prev, W, b) = unit5.linear_problem(1, n_prev=5, n=3, m=7)
    assert (dZ.shape, A_prev.shape, W.shape, b.shape) == ((3, 7), (5, 7), (3, 5), (3, 1))
    assert np.array_equal(unit5.linear_problem(1, 5, 3, 7)[0], dZ)
    dA, ((A_prev, W, b), Z) = unit5.layer_problem(2, 6, 3, 7, "relu")
    assert (dA.shape, A_prev.shape, W.shape, b.shape, Z.shape) == ((3, 7), (6, 7), (3, 6), (3, 1), (3, 7))
    assert np.abs(Z).min() > 1e-3
    X, Y, params, AL, caches = unit5.network_problem(3, [6, 5, 3, 4], 9, "softmax")
    assert X.shape == (6, 9) and Y.shape == (4, 9) and np.array_equal(Y.sum(axis=0), np.ones(9))
    assert [cache[1].shape for cache in caches] == [(5, 9), (3, 9), (4, 9)] and len(params) == 6
    assert all(np.abs(Z).min() > 1e-3 for _, Z in caches[:-1]) and 0.02 < AL.min() and AL.max() < 0.98
    X, Y, *_ = unit5.network_problem(3, [6, 5, 3, 1], 9, "sigmoid")
    assert set(np.unique(Y)) == {0.0, 1.0}
    params, grads = unit5.update_problem(4, [5, 4, 3, 1])
    assert sorted(grads) == sorted(["d" + key for key in params] + ["dA0", "dA1", "dA2"])
    assert all(grads["d" + key].shape == value.shape for key, value in params.items())
    X, Y = unit5.training_problem(5, n_x=4, m=11, n_out=3)
    assert X.shape == (4, 11) and Y.shape == (3, 11) and np.array_equal(Y.sum(axis=0), np.ones(11))


# ---- expected values against analytic ones and the reference --------------------------------------


def test_finite_difference_expectations_agree_with_the_analytic_gradients():
    """On the registered problems (the only ones they answer), against analytic values and the reference."""
    dZ, cache = unit5.linear_problem(501, 5, 3, 7)
    step = unit5._linear_step(dZ, cache)
    for got, want in zip((step["dA_prev"], step["dW"], step["db"]), analytic_linear(dZ, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    for seed, sizes in unit5.LAYER_PROBLEMS.items():
        dA, cache = unit5.layer_problem(seed, *sizes)
        layer = unit5._layer(dA, cache, sizes[3])
        want = hidden.reference_linear_activation_backward(dA, cache, sizes[3])
        for got, expected in zip((layer["dA_prev"], layer["dW"], layer["db"]), want):
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
        other = np.ones_like(dA)  # any dA goes with a registered cache (the stand-ins need that)
        step = unit5._linear_step(other, cache[0])
        for got, want in zip((step["dA_prev"], step["dW"], step["db"]), analytic_linear(other, cache[0])):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("seed", [521, 522])
def test_network_expectation_and_the_sigmoid_walk_agree_with_the_reference(seed):
    dims, m, output = unit5.NETWORK_PROBLEMS[seed]
    X, Y, params, AL, caches = unit5.network_problem(seed, list(dims), m, output)
    expected = reference.model_backward(AL, Y, caches, hidden="relu", output=output)
    for key, value in unit5._network(caches, AL - Y).items():
        np.testing.assert_allclose(value, expected[key], rtol=1e-5, atol=1e-8, err_msg=key)
    wrong = reference.model_backward(AL, Y, caches, hidden="sigmoid", output=output)  # sigmoid' on relu layers
    for key, value in unit5._walk(caches, AL - Y, "sigmoid").items():
        np.testing.assert_allclose(value, wrong[key], rtol=1e-5, atol=1e-8, err_msg=key)


# ---- stand-ins know their own test's inputs only ----------------------------------------------------


def test_linear_backward_stand_in_answers_its_caches_only():
    dZ, cache = unit5.linear_problem(501, 5, 3, 7)
    _, other = unit5.linear_problem(22, 5, 3, 7)
    fake = unit5.linear_backward_stand_in([cache])
    for got, want in zip(fake(dZ=dZ, cache=tuple(x.copy() for x in cache)), analytic_linear(dZ, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
    message = failure(fake, dZ, other)
    assert "linear_backward was called with inputs this test did not give it" in message
    assert "Rule: pass the layer's linear cache, cache[0] = (A_prev, W, b), on to linear_backward unchanged." in message
    assert "holds 2 items" in failure(fake, dZ, (cache, dZ))
    assert "not a tuple" in failure(fake, dZ, list(cache))
    assert "got dZ of shape (7, 3) with the cache of layer 1, whose Z has shape (3, 7)" in failure(fake, dZ.T, cache)
    assert "linear_backward got dZ = a list" in failure(fake, dZ.tolist(), cache)


def test_layer_stand_in_takes_keyword_calls_and_refuses_what_it_does_not_know():
    """#20.1: the stand-in has the assignment's signature, so activation="relu" reaches it."""
    X, Y, params, AL, caches = unit5.network_problem(521, [6, 5, 3, 1], 9, "sigmoid")
    fake = unit5.layer_backward_stand_in(caches)
    dA1 = np.ones((5, 9))
    got = fake(dA=dA1, cache=caches[0], activation="relu")
    want = hidden.reference_linear_activation_backward(dA1, caches[0], "relu")
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
    assert fake.calls[0]["activation"] == "relu"
    assert "a softmax layer has no elementwise g'" in failure(fake, dA1, caches[0], "softmax")
    assert "takes one of ['relu', 'sigmoid', 'tanh']" in failure(fake, dA1, caches[0], "leaky")
    assert "got dA of shape (5, 9) with the cache of layer 2, whose A has shape (3, 9)" in failure(
        fake, dA1, caches[1], "relu")
    *_, other = unit5.network_problem(24, [6, 5, 3, 1], 9, "sigmoid")
    assert "Rule: give layer l the cache model_forward made for it, caches[l - 1], unchanged" in failure(
        fake, dA1, other[0], "relu")
    with pytest.raises(TypeError, match=r"its signature is linear_activation_backward\(dA, cache, activation\)"):
        fake(dA1, caches[0], activation_name="relu")


def test_L_model_backward_stand_in_answers_batches_of_its_data_only():
    X, Y = unit5.training_problem(541, 4, 11, 1)
    fake = unit5.L_model_backward_stand_in(X, Y, "sigmoid")
    params = initialize_parameters([4, 5, 3, 1], seed=1)
    columns = [7, 2, 5]
    AL, caches = model_forward(X[:, columns], params, hidden="relu", output="sigmoid")
    grads = fake(AL, Y[:, columns], caches, output="sigmoid")
    expected = reference.model_backward(AL, Y[:, columns], caches, hidden="relu", output="sigmoid")
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-5, atol=1e-8, err_msg=key)
    assert len(fake.steps) == 1 and fake.steps[0]["caches"][0][0][0] is not caches[0][0][0]
    foreign_AL, foreign = model_forward(X[:, columns] + 1.0, params, hidden="relu", output="sigmoid")
    assert "got examples that are not columns of this test's X" in failure(fake, foreign_AL, Y[:, columns], foreign)
    assert "not the same columns as those of X" in failure(fake, AL, 1.0 - Y[:, columns], caches)
    assert "output='softmax' for a Y of 1 row(s)" in failure(fake, AL, Y[:, columns], caches, "softmax")
    assert "an AL that is not what model_forward returned" in failure(fake, AL + 0.01, Y[:, columns], caches)
    assert "not the list model_forward returns" in failure(fake, AL, Y[:, columns], caches[0])


# ---- def lines ---------------------------------------------------------------------------------------


def test_a_def_line_that_lost_a_parameter_is_named():
    namespace = {}
    exec("def L_model_backward(AL, Y, caches):\n    return {}\n", namespace)
    message = failure(unit5.require_def_line, namespace["L_model_backward"], "L_model_backward", (1, 2, 3, "sigmoid"))
    assert message.startswith("L_model_backward's def line has no parameter `output`, so the test's call "
                              "L_model_backward(AL, Y, caches, output) cannot reach it.")
    assert "def L_model_backward(AL, Y, caches, output='sigmoid') (output is \"sigmoid\" or \"softmax\"" in message
    exec("def update_parameters(params, grads, learning_rate, extra):\n    return params\n", namespace)
    message = failure(unit5.require_def_line, namespace["update_parameters"], "update_parameters", (1, 2, 3))
    assert "does not fit your def line `def update_parameters(params, grads, learning_rate, extra)`" in message
    exec("def linear_backward(dZ, cache, verbose=False):\n    pass\n", namespace)
    unit5.require_def_line(namespace["linear_backward"], "linear_backward", (1, 2))  # an added default is fine


def test_walk_errors_point_at_the_caches():
    def broken():
        return [][3]

    message = failure(unit5.explain_walk_errors, broken)
    assert message.startswith("L_model_backward failed: IndexError: list index out of range")
    assert "Layer l's cache is caches[l - 1]" in message


# ---- the visible tests on right and wrong answers ---------------------------------------------------


def test_linear_backward_right_and_wrong(solution):
    dZ, cache = unit5.linear_problem(501, 5, 3, 7)
    unit5.test_linear_backward(solution["linear_backward"], dZ, cache)
    divided = variant(solution, "def linear_backward(dZ, cache):\n    A, W, b = cache\n    m = A.shape[1]\n"
                                "    return W.T @ dZ / m, dZ @ A.T / m, dZ.sum(axis=1, keepdims=True) / m\n")
    assert "dA_prev was divided by m" in failure(unit5.test_linear_backward, divided["linear_backward"], dZ, cache)
    as_list = variant(solution, "def linear_backward(dZ, cache):\n    A, W, b = cache\n    m = A.shape[1]\n"
                                "    return [W.T @ dZ, dZ @ A.T / m, dZ.sum(axis=1, keepdims=True) / m]\n")
    assert "should be a tuple" in failure(unit5.test_linear_backward, as_list["linear_backward"], dZ, cache)


def test_layer_backward_with_keywords_passes_and_a_whole_cache_breaks_the_rule(solution):
    keywords = variant(solution, "def linear_activation_backward(dA, cache, activation):\n"
                                 "    return linear_backward(dZ=relu_backward(dA, cache[1]), cache=cache[0])\n")
    dA, cache = unit5.layer_problem(511, 6, 3, 7, "relu")
    unit5.test_linear_activation_backward(keywords["linear_activation_backward"], dA, cache, "relu")
    assert keywords["linear_backward"] is solution["linear_backward"]  # the stand-in is gone afterwards
    whole = variant(solution, "def linear_activation_backward(dA, cache, activation):\n"
                              "    return linear_backward(dA * relu_derivative(cache[1]), cache)\n")
    message = failure(unit5.test_linear_activation_backward, whole["linear_activation_backward"], dA, cache, "relu")
    assert "Rule: pass the layer's linear cache" in message


DLS_KEYWORDS = '''
def L_model_backward(AL, Y, caches, output="sigmoid"):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = linear_activation_backward(
        dAL, caches[L - 1], activation="sigmoid")
    for l in reversed(range(L - 1)):
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = linear_activation_backward(
            grads["dA" + str(l + 1)], caches[l], activation=HIDDEN)
    return grads
'''


DA_KEYS_ONE_UP = DLS_KEYWORDS.replace("HIDDEN", '"relu"').replace(  # dA{l+1} holds dJ/dA[l]
    'grads["dA" + str(L - 1)], grads["dW" + str(L)]', 'grads["dA" + str(L)], grads["dW" + str(L)]').replace(
    'grads["dA" + str(l)], grads["dW" + str(l + 1)]', 'grads["dA" + str(l + 1)], grads["dW" + str(l + 1)]').replace(
    'grads["dA" + str(l + 1)], caches[l]', 'grads["dA" + str(l + 2)], caches[l]')


def test_L_model_backward_keyword_calls_pass_and_typical_mistakes_are_named(solution):
    X, Y, params, AL, caches = unit5.network_problem(521, [6, 5, 3, 1], 9, "sigmoid")
    right = variant(solution, DLS_KEYWORDS.replace("HIDDEN", '"relu"'))
    unit5.test_L_model_backward(right["L_model_backward"], AL, Y, caches, "sigmoid")
    wrong = variant(solution, DLS_KEYWORDS.replace("HIDDEN", '"sigmoid"'))
    message = failure(unit5.test_L_model_backward, wrong["L_model_backward"], AL, Y, caches, "sigmoid")
    assert message.startswith("dW2 ") and "the hidden layers were passed through the sigmoid's backward step" in message
    one_up = variant(solution, DA_KEYS_ONE_UP)
    message = failure(unit5.test_L_model_backward, one_up["L_model_backward"], AL, Y, caches, "sigmoid")
    assert message.startswith("grads numbers the dA keys one up: grads['dA3'] holds the gradient with respect to A[2]")
    assert "only the keys are off" in message and "there is no dA3" in message


def test_update_parameters_mistakes_are_named(solution):
    params, grads = unit5.update_problem(531, [5, 4, 3, 1])
    unit5.test_update_parameters(solution["update_parameters"], params, grads, 0.07)
    cases = {
        "return dict(params)": "W1 was returned unchanged",
        'return {k: learning_rate * grads["d" + k] for k in params}': "the update lost W1 and the minus sign",
        'return {k: v + learning_rate * grads["d" + k] for k, v in params.items()}': "the gradient was added (+)",
        'return {k: v - grads["d" + k] for k, v in params.items()}': "the learning rate is missing",
    }
    for body, named in cases.items():
        wrong = variant(solution, f"def update_parameters(params, grads, learning_rate):\n    {body}\n")
        assert named in failure(unit5.test_update_parameters, wrong["update_parameters"], params, grads, 0.07), body


# ---- train_network ---------------------------------------------------------------------------------------

TRAIN_SOURCE_LINES = {
    "seed": ("params = initialize_parameters(layer_dims, seed=seed)", "params = initialize_parameters(layer_dims)"),
    "batch": ("size = m if batch_size is None else min(int(batch_size), m)", "size = m"),
    "rate": ("update_parameters(params, grads, learning_rate)", "update_parameters(params, grads, 0.05)"),
    "after": ("        costs.append(compute_cost(AL, Y[:, columns], output))\n", ""),
    "fresh": ("columns = order[position:position + size]", "columns = rng.choice(m, size, replace=False)"),
}


def train_variant(solution, change):
    code = changed("train_network", *TRAIN_SOURCE_LINES[change])
    if change == "after":
        code = code.replace("params = update_parameters(params, grads, learning_rate)",
                            "params = update_parameters(params, grads, learning_rate)\n"
                            "        costs.append(compute_cost(model_forward(X[:, columns], params, hidden='relu', "
                            "output=output)[0], Y[:, columns], output))")
    return variant(solution, code)["train_network"]


@pytest.fixture(scope="module")
def problems():
    return {"full": unit5.training_problem(541, 4, 11, 1), "batches": unit5.training_problem(542, 4, 11, 3)}


def run_training(train_network, update_parameters, problems, kind):
    X, Y = problems[kind]
    if kind == "full":
        unit5.test_train_network(train_network, update_parameters, X, Y, [4, 5, 3, 1], 0.3, 4, 3)
    else:
        unit5.test_train_network(train_network, update_parameters, X, Y, [4, 5, 3], 0.1, 6, 3, batch_size=5)


@pytest.mark.parametrize("change, kind, named", [
    ("seed", "full", "initialize_parameters(layer_dims) always uses seed 0"),
    ("batch", "batches", "step 0 used 11 examples (11 different ones); with batch_size=5 every step uses"),
    ("rate", "full", "the step used a learning rate of 0.05, not the learning_rate argument 0.3"),
    ("after", "full", "the cost was recorded after the update"),
    ("fresh", "batches", "again in the same pass through the data"),
])
def test_train_network_holes_and_mistakes_are_named(solution, problems, change, kind, named):
    """#20.4: the values the test passes (seed, batch_size, learning_rate) cannot be ignored or typed in."""
    run_training(solution["train_network"], solution["update_parameters"], problems, kind)
    message = failure(run_training, train_variant(solution, change), solution["update_parameters"], problems, kind)
    assert named in message, message


def test_train_network_follows_your_update_or_the_definition(solution, problems):
    """A wrong update_parameters is charged to its own test: train_network may use it; an inline right update too."""
    ascent = variant(solution, 'def update_parameters(params, grads, learning_rate):\n'
                               '    return {k: v + learning_rate * grads["d" + k] for k, v in params.items()}\n')
    run_training(solution["train_network"], ascent["update_parameters"], problems, "full")
    inline = variant(solution, changed("train_network", "params = update_parameters(params, grads, learning_rate)",
                                       'params = {k: v - learning_rate * grads["d" + k] for k, v in params.items()}'))
    run_training(inline["train_network"], ascent["update_parameters"], problems, "batches")


def test_the_last_smaller_batch_of_a_pass_is_accepted():
    batches = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10], [3, 1, 4, 0, 2]]
    unit5._check_batches(batches, 11, 5, "here")
    assert "again in the same pass" in failure(unit5._check_batches, [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8]], 11, 5, "here")
    assert "used 3 examples" in failure(unit5._check_batches, [[0, 1, 2, 3, 4], [5, 6, 7]], 11, 5, "here")
    assert "without a batch_size every step uses all m = 11" in failure(unit5._check_batches, [[0, 1]], 11, None, "x")


def test_digits_counts_the_steps_it_asked_for(solution):
    short = variant(solution, "def digits_hyperparameters():\n"
                              "    return {'layer_dims': [64, 10, 10], 'learning_rate': 0.1, 'num_iterations': 5}\n")
    lazy = variant(solution, "def train_network(X, Y, layer_dims, learning_rate, num_iterations, seed=0,\n"
                             "                  batch_size=None):\n"
                             "    return initialize_parameters(layer_dims, seed=seed), [1.0, 0.5]\n")
    message = failure(unit5.test_digits, lazy["train_network"], short["digits_hyperparameters"], 0, 0.95)
    assert message.startswith("costs should hold 5 items, but it holds 2.")
    message = failure(unit5.test_digits, solution["train_network"], short["digits_hyperparameters"], 0, 0.95)
    assert "is below 95%" in message and "for any seed" in message


def test_part_5_states_the_graders_limit_and_the_warnings_threshold_as_configured():
    """The text students read names the course's per-cell limit (nbgrader_config.py) and test_digits' threshold."""
    import json

    from autograder.course import Course

    limit = Course(notebook_path("source", ASSIGNMENT).parents[2]).cell_timeout
    for folder in ("source", "release"):
        cells = json.loads(notebook_path(folder, ASSIGNMENT).read_text(encoding="utf-8"))["cells"]
        intro = next("".join(c["source"]) for c in cells
                     if c["metadata"].get("nbgrader", {}).get("grade_id") == "part5_intro")
        intro = " ".join(intro.split())
        assert f"the grader's time limit ({limit:g} s in this course" in intro, (folder, intro)
        assert f"warns you when one run takes more than {unit5.SLOW_TRAINING_SECONDS:g} s" in intro, (folder, intro)


def test_digits_warns_of_a_slow_training_and_what_it_risks(solution, capsys, monkeypatch):
    short = variant(solution, "def digits_hyperparameters():\n"
                              "    return {'layer_dims': [64, 10, 10], 'learning_rate': 0.1, 'num_iterations': 5}\n")
    unit5.test_digits(solution["train_network"], short["digits_hyperparameters"], 0, 0.0)
    assert "Warning" not in capsys.readouterr().out
    monkeypatch.setattr(unit5, "SLOW_TRAINING_SECONDS", 0.0)
    unit5.test_digits(solution["train_network"], short["digits_hyperparameters"], 0, 0.0)
    printed = capsys.readouterr().out
    assert "Warning: training took more than 0 s" in printed
    assert "trains twice" in printed and "scores 0" in printed and "fewer iterations" in printed


# ---- gradient_check -------------------------------------------------------------------------------------


SEEDED = "n_directions=n_directions, seed=seed)"


def gradient_check_variant(solution, old, new):
    return variant(solution, changed("gradient_check", old, new))["gradient_check"]


def test_gradient_check_right_and_its_holes(solution):
    X, Y, params, *_ = unit5.network_problem(551, [5, 4, 3, 1], 9, "sigmoid")
    unit5.test_gradient_check(solution["gradient_check"], params, X, Y, "sigmoid")
    no_seed = gradient_check_variant(solution, SEEDED, SEEDED.replace("seed=seed", "seed=0"))
    assert "seed is not passed on" in failure(unit5.test_gradient_check, no_seed, params, X, Y, "sigmoid")
    no_db = gradient_check_variant(solution, "names = sorted(params)",
                                   "names = [n for n in sorted(params) if 'W' in n]")
    assert "the db gradients were left out" in failure(unit5.test_gradient_check, no_db, params, X, Y, "sigmoid")
    typed = gradient_check_variant(solution, 'output=output)[0], Y, output)', 'output="sigmoid")[0], Y, "sigmoid")')
    X, Y, params, *_ = unit5.network_problem(562, [6, 5, 3, 4], 9, "softmax")
    message = failure(unit5.test_gradient_check_own_network, typed, params, X, Y, "softmax", "softmax")
    assert "The output layer here is 'softmax' (Y has 4 rows)" in message


def test_hidden_directional_check_names_an_ignored_n_directions_or_seed(solution, capsys):
    X, Y, params, *_ = unit5.network_problem(77, [5, 4, 3, 1], 9, "sigmoid")
    numeric = hidden.cost_gradients(params, X, Y, "sigmoid")
    hidden.check_directional_exactly(solution["gradient_check"], params, X, Y, "sigmoid", numeric, "here")
    sorted_order = gradient_check_variant(solution, "results = directional_check(cost, params,",
                                          "results = directional_check(cost, {k: params[k] for k in sorted(params)},")
    hidden.check_directional_exactly(sorted_order, params, X, Y, "sigmoid", numeric, "here")
    fixed_n = gradient_check_variant(solution, SEEDED, SEEDED.replace("n_directions=n_directions", "n_directions=3"))
    message = failure(hidden.check_directional_exactly, fixed_n, params, X, Y, "sigmoid", numeric, "here")
    assert "n_directions is not passed on to directional_check" in message
    fixed_seed = gradient_check_variant(solution, SEEDED, SEEDED.replace("seed=seed", "seed=0"))
    message = failure(hidden.check_directional_exactly, fixed_seed, params, X, Y, "sigmoid", numeric, "here")
    assert "seed is not passed on to directional_check" in message


def test_wrong_beyond_the_first_direction_is_invisible_to_one_direction_only():
    X, Y, params, *_ = unit5.network_problem(78, [5, 4, 3, 1], 9, "sigmoid")
    numeric = hidden.cost_gradients(params, X, Y, "sigmoid")
    wrong = hidden.wrong_beyond_the_first_direction(params, numeric, seed=4)
    one = hidden._directional_values(params, X, Y, "sigmoid", wrong, 1, 4)["given"]
    three = hidden._directional_values(params, X, Y, "sigmoid", wrong, 3, 4)["given"]
    assert one < 1e-6 < 0.01 < three


# ---- the hidden tests: the solution passes, oracles and shipped helpers are caught ------------------


def test_the_hidden_tests_pass_the_solution(solution, capsys):
    hidden.test_linear_backward(solution["linear_backward"])
    for name in unit5.LAYER_ACTIVATIONS:
        hidden.test_linear_activation_backward(solution["linear_activation_backward"], name)
    for output in ("sigmoid", "softmax"):
        hidden.test_L_model_backward(solution["L_model_backward"], output)
    hidden.test_update_parameters(solution["update_parameters"])
    hidden.test_train_network(solution["train_network"], solution["update_parameters"])
    hidden.test_gradient_check(solution["gradient_check"])
    hidden.test_gradient_check_own_network(solution["gradient_check"])
    out = capsys.readouterr().out
    assert out.count("The hidden checks passed.") == 10
    assert len(re.findall(r"^hidden test, seed \d+$", out, re.M)) == 10


def test_the_hidden_train_network_test_does_not_charge_a_wrong_update_parameters(solution, monkeypatch, capsys):
    """#20: with the student's gradient-ascent update_parameters underneath, hidden seed 7 overflowed to NaN within
    the run and failed a right train_network; the reference update is underneath now."""
    ascent = variant(solution, "def update_parameters(params, grads, learning_rate):\n"
                               "    return {k: v + learning_rate * grads['d' + k] for k, v in params.items()}\n"
                               + solution_code(ASSIGNMENT)["train_network"])
    monkeypatch.setattr(hidden, "hidden_rng", lambda seed=None: (7, np.random.default_rng(7)))
    with np.errstate(all="ignore"):
        hidden.test_train_network(ascent["train_network"], ascent["update_parameters"])
    assert capsys.readouterr().out.endswith("The hidden checks passed.\n")
    assert "the gradient was added (+)" in failure(hidden.test_update_parameters, ascent["update_parameters"])


def test_the_hidden_references_have_the_assignments_signatures():
    namespace = {}
    exec("def student():\n    pass\n", namespace)
    with replaced(namespace["student"], "linear_backward", hidden.reference_linear_backward, hidden.SIGNATURES):
        pass
    with replaced(namespace["student"], "linear_activation_backward", hidden.reference_linear_activation_backward,
                  hidden.SIGNATURES):
        pass
    with replaced(namespace["student"], "L_model_backward", hidden.reference_recorder(), hidden.SIGNATURES):
        pass
    with replaced(namespace["student"], "update_parameters", hidden.reference_update_parameters, hidden.SIGNATURES):
        pass
    with pytest.raises(GraderBugError):
        with replaced(namespace["student"], "L_model_backward", lambda AL, Y, caches: None, hidden.SIGNATURES):
            pass


def test_shipped_helpers_are_forbidden_in_hidden_tests(solution):
    forbidden = hidden_common.forbidden_calls()
    codes = {getattr(item, "__code__", None) for item in forbidden}
    for name in ("_linear_step", "_layer", "_network", "_walk", "_cost_gradients", "_update_suspects",
                 "linear_backward_stand_in", "layer_backward_stand_in", "L_model_backward_stand_in",
                 "test_linear_backward", "check_L_model_backward"):
        assert getattr(unit5, name).__code__ in codes, name
    cheat = variant(solution, "from utils.testing import unit5 as u\n"
                              "def linear_backward(dZ, cache):\n"
                              "    g = u._linear_step(dZ, cache)\n"
                              "    return g['dA_prev'], g['dW'], g['db']\n")
    message = failure(hidden.test_linear_backward, cheat["linear_backward"])
    assert message.startswith("linear_backward called utils.testing.unit5._linear_step")


# ---- nothing shipped answers a fresh input: the helpers know the registered problems only -------------

REFUSED = "answers only for the inputs of this notebook's own test cells"


def refused(function, *args, **kwargs):
    """The refusal message of function(*args, **kwargs), which must be the registry's refusal."""
    message = failure(function, *args, **kwargs)
    assert REFUSED in message and "test helpers" in message and "write your function from the formulas" in message, (
        message)
    return message


def fresh_network(output="sigmoid"):
    """A network problem of a fresh seed and shape: no visible test's."""
    return unit5.network_problem(8, [4, 6, 2] if output == "sigmoid" else [4, 6, 3], 5, output)


def test_the_registries_are_the_visible_tests_own_problems():
    """Every seed the visible cells use is registered with their sizes (a cell and its registry cannot drift)."""
    import nbformat

    cells = nbformat.read(notebook_path("source", ASSIGNMENT), as_version=4).cells
    tests = "\n".join(cell.source for cell in cells if cell.metadata.get("nbgrader", {}).get("grade")
                      and not cell.metadata["nbgrader"].get("solution"))
    calls = {
        "linear_problem": {seed: f"seed={seed}, n_prev={n_prev}, n={n}, m={m}"
                           for seed, (n_prev, n, m) in unit5.LINEAR_PROBLEMS.items()},
        "layer_problem": {seed: f'seed={seed}, n_prev={n_prev}, n={n}, m={m}, activation="{name}"'
                          for seed, (n_prev, n, m, name) in unit5.LAYER_PROBLEMS.items()},
        "network_problem": {seed: f'seed={seed}, layer_dims={list(dims)}, m={m}, output="{output}"'
                            for seed, (dims, m, output) in unit5.NETWORK_PROBLEMS.items()},
        "update_problem": {seed: f"seed={seed}, layer_dims={list(dims)}"
                           for seed, dims in unit5.UPDATE_PROBLEMS.items()},
        "training_problem": {seed: f"seed={seed}, n_x={n_x}, m={m}, n_out={n_out}"
                             for seed, (n_x, m, n_out) in unit5.TRAINING_PROBLEMS.items()},
    }
    for function, by_seed in calls.items():
        for seed, arguments in by_seed.items():
            assert f"unit5.{function}({arguments})" in tests, (function, seed)


def test_the_expected_values_refuse_fresh_inputs():
    dZ, cache = unit5.linear_problem(11, 5, 3, 7)
    message = refused(unit5._linear_step, dZ, cache)
    assert message.startswith("utils.testing.unit5._linear_step answers only for the inputs of this notebook's own "
                              "test cells, and these are not theirs: linear_cache[0] has the test's shape (5, 7) but "
                              "other values.")
    refused(unit5._linear_step, dZ[:, :4], tuple(item[:, :4] if item.shape[1] == 7 else item for item in cache))
    dA, cache = unit5.layer_problem(12, 6, 3, 7, "relu")
    refused(unit5._layer, dA, cache, "relu")
    dA, cache = unit5.layer_problem(511, 6, 3, 7, "relu")
    assert "activation is 'sigmoid', not the test's 'relu'" in refused(unit5._layer, dA, cache, "sigmoid")
    for output in ("sigmoid", "softmax"):
        X, Y, params, AL, caches = fresh_network(output)
        refused(unit5._network, caches, AL - Y)
        refused(unit5._walk, caches, AL - Y, "relu")
        refused(unit5._cost_gradients, params, X, Y, output)
    X, Y, params, AL, caches = unit5.network_problem(551, [5, 4, 3, 1], 9, "sigmoid")
    assert "output is 'softmax', not the test's 'sigmoid'" in refused(unit5._cost_gradients, params, X, Y, "softmax")
    nudged = {key: value + (key == "b2") * 1e-3 for key, value in params.items()}
    assert "params['b2'] has the test's shape (3, 1) but other values" in refused(
        unit5._cost_gradients, nudged, X, Y, "sigmoid")
    params, grads = unit5.update_problem(9, [5, 4, 3, 1])
    refused(unit5._update_suspects, "W1", params, grads, 0.1)


def test_the_expected_values_on_the_registered_problems_are_the_references():
    for seed in (521, 522, 551):
        dims, m, output = unit5.NETWORK_PROBLEMS[seed]
        X, Y, params, AL, caches = unit5.network_problem(seed, list(dims), m, output)
        expected = reference.model_backward(AL, Y, caches, hidden="relu", output=output)
        numeric = unit5._cost_gradients(params, X, Y, output)
        assert sorted(numeric) == sorted(key for key in expected if not key.startswith("dA"))
        for key, value in numeric.items():
            np.testing.assert_allclose(value, expected[key], rtol=1e-5, atol=1e-8, err_msg=key)
    params, grads = unit5.update_problem(531, [5, 4, 3, 1])
    suspects = unit5._update_suspects("W2", params, grads, 0.07)
    assert list(suspects) == list(unit5.update_mistakes("W2"))
    lost = suspects["the update lost W2 and the minus sign: the new W2 is W2 - learning_rate * dW2, not "
                    "learning_rate * dW2"]
    np.testing.assert_allclose(params["W2"] - 0.07 * lost, 0.07 * grads["dW2"])  # after = learning_rate * dW2


def test_the_hidden_tests_expected_values_agree_with_the_visible_ones():
    """autograder.hidden.unit5's expected values (reference, for fresh inputs) are the shipped finite differences'
    on the registered problems, so a mistake reads the same in both."""
    def agree(got, want):
        assert sorted(got) == sorted(want)
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-8, err_msg=key)

    dZ, cache = unit5.linear_problem(501, 5, 3, 7)
    agree(hidden.linear_step(dZ, cache), unit5._linear_step(dZ, cache))
    for seed, sizes in unit5.LAYER_PROBLEMS.items():
        dA, cache = unit5.layer_problem(seed, *sizes)
        agree(hidden.layer(dA, cache, sizes[3]), unit5._layer(dA, cache, sizes[3]))
    for seed in (521, 522):
        dims, m, output = unit5.NETWORK_PROBLEMS[seed]
        X, Y, params, AL, caches = unit5.network_problem(seed, list(dims), m, output)
        wrong = Y - AL
        agree(hidden.network(caches, wrong), unit5._network(caches, wrong))
        agree(hidden.walk(caches, AL - Y, "sigmoid"), unit5._walk(caches, AL - Y, "sigmoid"))
    X, Y, params, *_ = unit5.network_problem(551, [5, 4, 3, 1], 9, "sigmoid")
    agree(hidden.cost_gradients(params, X, Y, "sigmoid"), unit5._cost_gradients(params, X, Y, "sigmoid"))
    params, grads = unit5.update_problem(531, [5, 4, 3, 1])
    for name in params:
        agree(hidden.update_suspects(name, params, grads, 0.07), unit5._update_suspects(name, params, grads, 0.07))


def test_the_training_backward_pass_answers_batches_of_a_visible_X_only():
    """_network answers any parameters on columns of a registered X (the training stand-in needs that), no other."""
    X, Y = unit5.training_problem(542, 4, 11, 3)
    params = initialize_parameters([4, 5, 3], seed=2)
    AL, caches = model_forward(X[:, [9, 0, 4]], params, hidden="relu", output="softmax")
    grads = unit5._network(caches, AL - Y[:, [9, 0, 4]])
    expected = reference.model_backward(AL, Y[:, [9, 0, 4]], caches, hidden="relu", output="softmax")
    for key, value in expected.items():
        np.testing.assert_allclose(grads[key], value, rtol=1e-5, atol=1e-8, err_msg=key)
    shifted = [((A_prev + (layer == 0), W, b), Z) for layer, ((A_prev, W, b), Z) in enumerate(caches)]
    assert "the inputs caches[0][0][0] are not columns of a visible test's X" in refused(
        unit5._network, shifted, AL - Y[:, [9, 0, 4]])


def test_the_stand_in_factories_refuse_fresh_inputs():
    _, cache = unit5.linear_problem(21, 5, 3, 7)
    refused(unit5.linear_backward_stand_in, [cache])
    *_, caches = fresh_network()
    refused(unit5.layer_backward_stand_in, caches)
    refused(unit5.linear_backward_stand_in, [layer[0] for layer in caches])
    X, Y = unit5.training_problem(25, 4, 11, 1)
    refused(unit5.L_model_backward_stand_in, X, Y, "sigmoid")
    X, Y = unit5.training_problem(541, 4, 11, 1)
    assert "Y has the test's shape (1, 11) but other values" in refused(unit5.L_model_backward_stand_in, X, 1 - Y,
                                                                          "sigmoid")


def test_the_visible_tests_refuse_fresh_inputs_before_running_the_answer(solution):
    """A test given other inputs than its cell's says so (and runs nothing of the student's)."""
    def never(*args, **kwargs):
        raise RuntimeError("the student's function ran")

    dZ, cache = unit5.linear_problem(11, 5, 3, 7)
    refused(unit5.test_linear_backward, never, dZ, cache)
    refused(unit5.check_linear_backward, solution["linear_backward"](dZ, cache), dZ, cache)
    dA, cache = unit5.layer_problem(12, 6, 3, 7, "tanh")
    refused(unit5.test_linear_activation_backward, never, dA, cache, "tanh")
    X, Y, params, AL, caches = fresh_network("softmax")
    refused(unit5.test_L_model_backward, never, AL, Y, caches, "softmax")
    refused(unit5.check_L_model_backward, solution["L_model_backward"](AL, Y, caches, "softmax"), AL, Y, caches,
            "softmax")
    refused(unit5.test_gradient_check, never, params, X, Y, "softmax")
    params, grads = unit5.update_problem(9, [5, 4, 3, 1])
    refused(unit5.test_update_parameters, never, params, grads, 0.1)
    X, Y = unit5.training_problem(25, 4, 11, 1)
    refused(unit5.test_train_network, never, solution["update_parameters"], X, Y, [4, 5, 3, 1], 0.3, 4, 3)


# Answers built on the shipped helpers: right on the visible tests' inputs, refused on any other.
# {name: (graded function, code, the visible test cell's call, the hidden test's call)}
HELPER_ANSWERS = {
    "_linear_step": ("linear_backward", """
def linear_backward(dZ, cache):
    step = unit5._linear_step(dZ, cache)
    return step["dA_prev"], step["dW"], step["db"]
""", "linear"),
    "linear_backward_stand_in": ("linear_backward", """
def linear_backward(dZ, cache):
    return unit5.linear_backward_stand_in([cache])(dZ, cache)
""", "linear"),
    "_layer": ("linear_activation_backward", """
def linear_activation_backward(dA, cache, activation):
    step = unit5._layer(dA, cache, activation)
    return step["dA_prev"], step["dW"], step["db"]
""", "layer"),
    "layer_backward_stand_in": ("linear_activation_backward", """
def linear_activation_backward(dA, cache, activation):
    return unit5.layer_backward_stand_in([cache])(dA, cache, activation)
""", "layer"),
    "_network": ("L_model_backward", """
def L_model_backward(AL, Y, caches, output="sigmoid"):
    return unit5._network(caches, AL - Y)
""", "network"),
    "_walk": ("L_model_backward", """
def L_model_backward(AL, Y, caches, output="sigmoid"):
    return unit5._walk(caches, AL - Y, "relu")
""", "network"),
    "L_model_backward_stand_in": ("L_model_backward", """
def L_model_backward(AL, Y, caches, output="sigmoid"):
    return unit5.L_model_backward_stand_in(caches[0][0][0], Y, output)(AL, Y, caches, output)
""", "network"),
    "_update_suspects": ("update_parameters", """
def update_parameters(params, grads, learning_rate):
    return {name: learning_rate * unit5._update_suspects(name, params, grads, learning_rate)[
        unit5.update_mistakes(name)[3]] for name in params}
""", "update"),
    "_cost_gradients": ("gradient_check", """
def gradient_check(params, X, Y, output="sigmoid", method="full", backward=None, n_directions=3, seed=0):
    AL, caches = model_forward(X, params, hidden="relu", output=output)
    grads = (backward or L_model_backward)(AL, Y, caches, output)
    numeric = unit5._cost_gradients(params, X, Y, output)
    names = sorted(params)
    if method == "full":
        return relative_error(np.concatenate([np.ravel(grads["d" + k]) for k in names]),
                              np.concatenate([np.ravel(numeric["d" + k]) for k in names]))
    return max(r.relative_error for r in directional_check(
        lambda p: compute_cost(model_forward(X, p, hidden="relu", output=output)[0], Y, output), params, grads,
        n_directions=n_directions, seed=seed))
""", "gradient"),
}


def run_part(kind, namespace, where):
    """The visible test (where="visible") or the hidden test (where="hidden") of a part, on `namespace`'s answer."""
    if kind == "linear":
        if where == "hidden":
            return hidden.test_linear_backward(namespace["linear_backward"])
        return unit5.test_linear_backward(namespace["linear_backward"], *unit5.linear_problem(501, 5, 3, 7))
    if kind == "layer":
        if where == "hidden":
            return hidden.test_linear_activation_backward(namespace["linear_activation_backward"], "sigmoid")
        return unit5.test_linear_activation_backward(namespace["linear_activation_backward"],
                                                     *unit5.layer_problem(512, 6, 3, 7, "sigmoid"), "sigmoid")
    if kind == "network":
        if where == "hidden":
            return hidden.test_L_model_backward(namespace["L_model_backward"], "softmax")
        *_, AL, caches = problem = unit5.network_problem(522, [6, 5, 3, 4], 9, "softmax")
        return unit5.test_L_model_backward(namespace["L_model_backward"], AL, problem[1], caches, "softmax")
    if kind == "update":
        if where == "hidden":
            return hidden.test_update_parameters(namespace["update_parameters"])
        return unit5.test_update_parameters(namespace["update_parameters"], *unit5.update_problem(531, [5, 4, 3, 1]),
                                            0.07)
    if where == "hidden":
        return hidden.test_gradient_check(namespace["gradient_check"])
    X, Y, params, *_ = unit5.network_problem(551, [5, 4, 3, 1], 9, "sigmoid")
    return unit5.test_gradient_check(namespace["gradient_check"], params, X, Y, "sigmoid")


@pytest.mark.parametrize("helper", sorted(HELPER_ANSWERS))
def test_an_answer_built_on_a_shipped_helper_passes_only_the_visible_inputs(solution, helper, monkeypatch, capsys):
    """Each helper is right on its own test's inputs (the visible test passes), and in the hidden test it fails on
    the refusal itself, even with the hidden tests' call detection switched off."""
    graded, code, kind = HELPER_ANSWERS[helper]
    namespace = variant(solution, "from utils.testing import unit5\n" + code)
    if helper == "L_model_backward_stand_in":  # it knows the training tests' X only, not Part 3's networks
        refused(run_part, kind, namespace, "visible")
    else:
        run_part(kind, namespace, "visible")
    monkeypatch.setattr(hidden, "call_hidden", lambda func, *args, forbidden=None, name=None, **kwargs: run_student(
        func, *args, name=name, **kwargs))
    message = refused(run_part, kind, namespace, "hidden")
    assert f"utils.testing.unit5.{helper} answers only" in message or helper.endswith("stand_in"), message


def test_a_train_network_built_on_the_training_stand_in_is_refused_on_the_digits(solution):
    """The stand-in that trains the visible test's network refuses the digits (and any fresh data)."""
    code = changed("train_network", "grads = L_model_backward(AL, Y[:, columns], caches, output)",
                   "grads = unit5.L_model_backward_stand_in(X, Y, output)(AL, Y[:, columns], caches, output)")
    borrowed = variant(solution, "from utils.testing import unit5\n" + code)
    short = variant(solution, "def digits_hyperparameters():\n    return {'layer_dims': [64, 10, 10], "
                              "'learning_rate': 0.1, 'num_iterations': 2, 'batch_size': 8}\n")
    refused(unit5.test_digits, borrowed["train_network"], short["digits_hyperparameters"], 0, 0.95)
