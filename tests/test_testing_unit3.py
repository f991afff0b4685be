"""utils.testing.unit3 (assignment 3's visible test logic) and autograder.hidden.unit3 (its hidden half).

The student's side is the assignment's own code: the given cells and the
solutions of source/03_loss_vs_cost, run in a fresh namespace as a notebook
would run them (`notebook()`), with answer cells changed to make a typical
mistake. tests/test_unit3_grading.py proves the same through both grading
engines end to end; the cases here are quicker and cover what a proof
cannot see from outside: what the stand-ins refuse, that the test functions
know only their own problems, that the references are right, and that the
hidden sizes never repeat the visible m.
"""

import json
import re

import numpy as np
import pytest

from autograder.hidden import unit3 as hidden
from tests.nbgrade_support import notebook_path
from utils.forward import model_forward
from utils.gradcheck import numerical_gradient, numerical_gradients
from utils.losses import binary_cross_entropy_loss, cost_from_losses, squared_error_loss
from utils.testing import unit3
from utils.testing._common import GraderBugError, replaced, signature_difference

ASSIGNMENT = "03_loss_vs_cost"
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def notebook(**changes):
    """A namespace holding the assignment's given code and solutions; changes: {grade_id: {old: new} or code}."""
    cells = json.loads(notebook_path("source", ASSIGNMENT).read_text(encoding="utf-8"))["cells"]
    namespace = {"__name__": "notebook"}
    for cell in cells:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or meta.get("grade"):
            continue
        grade_id = meta.get("grade_id", "")
        source = _MARKER.sub("", cell["source"])
        change = changes.get(grade_id, {})
        if isinstance(change, str):
            source = change
        for old, new in dict(change if isinstance(change, dict) else {}).items():
            assert source.count(old) == 1, (grade_id, old)
            source = source.replace(old, new)
        exec(compile(source, f"<{grade_id or 'cell'}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def solved():
    return notebook()


def backward_inputs(seed=331):
    """(AL, Y, caches) of a visible two-layer problem (sigmoid output, cross-entropy)."""
    _, Y, _, AL, caches = unit3.two_layer_problem(seed, "cross_entropy", "sigmoid")
    return AL, Y, caches


def mse_inputs(seed, output):
    """(AL, Y, caches) of the visible squared-error problem: relu -> `output`, layer_dims (5, 3, 2)."""
    _, Y, _, AL, caches = unit3.two_layer_problem(seed, "mse", output, layer_dims=(5, 3, 2))
    return AL, Y, caches


# ---------------------------------------------------------------------------------------------
# Signatures and problems
# ---------------------------------------------------------------------------------------------


def test_signatures_are_the_solution_def_lines(solved):
    for name, text in unit3.SIGNATURES.items():
        assert signature_difference(solved[name], text) is None, name
    assert hidden.SIGNATURES is unit3.SIGNATURES
    for name, reference in (("dAL_loss_convention", hidden.reference_dAL_loss_convention),
                            ("dAL_cost_convention", hidden.reference_dAL_cost_convention),
                            ("backward_two_layer", hidden.reference_backward_two_layer),
                            ("backward_two_layer", hidden.recording_backward_two_layer([]))):
        assert signature_difference(reference, unit3.SIGNATURES[name]) is None, name


def test_a_stand_in_with_another_signature_is_refused_as_a_grader_bug(solved):
    def wrong(AL, Y, loss_name, half=False):
        return AL

    with pytest.raises(GraderBugError, match="does not have the assignment's signature"):
        with replaced(solved["dAL_cost_convention"], "dAL_loss_convention", wrong, unit3.SIGNATURES):
            pass


def test_problems_are_seeded_and_have_the_documented_shapes():
    assert unit3.losses_problem(301).shape == (1, 7)
    assert np.array_equal(unit3.losses_problem(301), unit3.losses_problem(301))
    AL, Y = unit3.output_problem(311, "cross_entropy")
    assert AL.shape == Y.shape == (1, 7) and set(np.unique(Y)) == {0.0, 1.0} and 0.05 <= AL.min() < AL.max() <= 0.95
    AL, Y = unit3.output_problem(321, "mse", n_L=3)
    assert AL.shape == Y.shape == (3, 7)
    with pytest.raises(ValueError, match="one output unit"):
        unit3.output_problem(1, "cross_entropy", n_L=2)
    with pytest.raises(ValueError, match="loss must be"):
        unit3.output_problem(1, "hinge")


@pytest.mark.parametrize("loss, output", unit3.PAIRS)
def test_two_layer_problems_avoid_relu_kinks_and_saturation(loss, output):
    for seed in range(20):
        layer_dims = (4, 6, 1 if loss == "cross_entropy" else 3)
        X, Y, params, AL, caches = unit3.two_layer_problem(seed, loss, output, layer_dims, m=9)
        assert X.shape == (4, 9) and AL.shape == Y.shape == (layer_dims[2], 9)
        assert np.abs(caches[0][1]).min() > 1e-3
        if output == "sigmoid":
            assert 0.02 < AL.min() and AL.max() < 0.98
        if loss == "cross_entropy":
            assert set(np.unique(Y)) <= {0.0, 1.0}
        again = unit3.two_layer_problem(seed, loss, output, layer_dims, m=9)
        assert all(np.array_equal(a, b) for a, b in zip((X, Y, AL), (again[0], again[1], again[3])))
    with pytest.raises(ValueError, match="must be one of"):
        unit3.two_layer_problem(1, "cross_entropy", "linear")


def test_every_visible_problem_is_one_the_registry_knows():
    for seed in unit3.TWO_LAYER_PROBLEMS:
        loss, output, layer_dims = unit3.TWO_LAYER_PROBLEMS[seed]
        assert unit3._known_two_layer("t", unit3.two_layer_problem(seed, loss, output, layer_dims)[3:4],
                                      ("AL",), loss, output) == seed
    for seed, (loss, n_L) in unit3.OUTPUT_PROBLEMS.items():
        assert unit3._known_output("t", *unit3.output_problem(seed, loss, n_L), loss) == ("output", seed)


# ---------------------------------------------------------------------------------------------
# The visible tests on the solution, on typical mistakes, and on foreign inputs
# ---------------------------------------------------------------------------------------------


def run_visible_tests(ns):
    """Every visible test of the assignment, with the cells' own inputs, on namespace ns."""
    unit3.test_dcost_dlosses(ns["dcost_dlosses"], unit3.losses_problem(seed=301))
    AL, Y = unit3.output_problem(seed=311, loss="cross_entropy")
    unit3.test_dAL_loss_convention(ns["dAL_loss_convention"], AL, Y, loss="cross_entropy")
    AL, Y = unit3.output_problem(seed=312, loss="cross_entropy")
    unit3.test_dAL_cost_convention(ns["dAL_cost_convention"], AL, Y, loss="cross_entropy")
    for half in (False, True):
        AL, Y = unit3.output_problem(seed=321, loss="mse", n_L=3)
        unit3.test_dAL_loss_convention(ns["dAL_loss_convention"], AL, Y, loss="mse", half=half)
        AL, Y = unit3.output_problem(seed=322, loss="mse", n_L=3)
        unit3.test_dAL_cost_convention(ns["dAL_cost_convention"], AL, Y, loss="mse", half=half)
    backward = ns["backward_two_layer"]
    _, Y, _, AL, caches = unit3.two_layer_problem(seed=331, loss="cross_entropy", output="sigmoid")
    unit3.test_backward_two_layer_dW_db(backward, AL, Y, caches, loss="cross_entropy", output="sigmoid")
    for seed, convention in ((341, "loss"), (342, "cost")):
        _, Y, _, AL, caches = unit3.two_layer_problem(seed=seed, loss="cross_entropy", output="sigmoid")
        unit3.test_backward_two_layer_intermediates(backward, AL, Y, caches, loss="cross_entropy",
                                                    output="sigmoid", convention=convention)
    for seed, output in ((351, "linear"), (352, "sigmoid")):
        _, Y, _, AL, caches = unit3.two_layer_problem(seed, loss="mse", output=output, layer_dims=(5, 3, 2))
        unit3.test_backward_two_layer_squared_error(backward, AL, Y, caches, output=output)
    for seed, loss, output, layer_dims in ((361, "cross_entropy", "sigmoid", (5, 3, 1)),
                                           (362, "mse", "linear", (5, 3, 2))):
        X, Y, params, _, _ = unit3.two_layer_problem(seed, loss, output, layer_dims)
        unit3.test_average_of_example_gradients(ns["average_of_example_gradients"], X, Y, params, loss=loss,
                                                output=output)


def test_the_solution_passes_every_visible_test_and_the_globals_are_restored(solved, capsys):
    before = {name: solved[name] for name in unit3.SIGNATURES}
    run_visible_tests(solved)
    assert {name: solved[name] for name in unit3.SIGNATURES} == before
    printed = capsys.readouterr().out
    assert "backward_two_layer was called once for each of the m = 7 examples" in printed
    assert "WRONG" not in printed


SOLUTION_DCOST = "return np.full(L.shape, 1.0 / m)"
SOLUTION_CE = "return -(Y / AL - (1 - Y) / (1 - AL))"


@pytest.mark.parametrize("changes, test, phrase", [
    ({"dcost_dlosses": {SOLUTION_DCOST: "return np.ones(L.shape)"}}, "dcost", unit3.SUM_OF_LOSSES),
    ({"dAL_loss_convention": {SOLUTION_CE: "return -(Y / AL + (1 - Y) / (1 - AL))"}}, "loss_ce", unit3.LOG_MINUS),
    ({"dAL_loss_convention": {SOLUTION_CE: SOLUTION_CE + " / AL.shape[1]"}}, "loss_ce", unit3.COST_IN_LOSS),
    ({"dAL_loss_convention": {"return (AL - Y) if half else 2 * (AL - Y)": "return 2 * (AL - Y)"}}, "loss_mse",
     unit3.HALF_KEEPS_2),
    ({"dAL_loss_convention": {"(AL - Y) if half else 2 * (AL - Y)": "(Y - AL) if half else 2 * (Y - AL)"}},
     "loss_mse", unit3.SIGN_FLIPPED),
    ({"dAL_cost_convention": {"half=half) / m": "half=half)"}}, "cost_ce", unit3.LOSS_IN_COST),
    ({"backward_two_layer": {"    dZ1 = dA1 * derivative(\"relu\")(Z1)\n": "    dZ1 = dA1\n"}}, "dW_db",
     unit3.RELU_DROPPED),
    ({"backward_two_layer": {'derivative("relu")(Z1)': 'derivative("sigmoid")(Z1)'}}, "dW_db", unit3.SIGMOID_IN_HIDDEN),
    ({"backward_two_layer": {'derivative("relu")(Z1)': 'derivative("sigmoid")(Z1)'}}, "intermediates",
     unit3.SIGMOID_IN_HIDDEN),
    ({"backward_two_layer": {"        scale = 1.0 / m\n": "        scale = 1.0\n"}}, "dW_db", "the 1/m is missing"),
    ({"average_of_example_gradients": {"total / m for": "total for"}}, "average", unit3.SUMMED),
    ({"backward_two_layer": {"        scale = 1.0\n": "        scale = 1.0 / m\n"}}, "mse",
     "the 1/m is applied twice: in the cost convention"),
    ({"backward_two_layer": {"        scale = 1.0\n": "        scale = 1.0 / m\n"}}, "mse",
     "Look at: the dW and db lines of backward_two_layer with convention='cost'"),
    ({"backward_two_layer": {"    dZ2 = dA2 * derivative(output)(Z2)\n": "    dZ2 = AL - Y\n"}}, "mse",
     "Look at: the dZ2 line (output='linear', loss='mse')"),
    ({"backward_two_layer": {"    dZ1 = dA1 * derivative(\"relu\")(Z1)\n": "    dZ1 = dA1\n"}}, "mse",
     "Look at: the dZ1 line (output='linear', loss='mse')"),
])
def test_each_visible_test_names_a_typical_mistake(changes, test, phrase):
    ns = notebook(**changes)
    runs = {
        "dcost": lambda: unit3.test_dcost_dlosses(ns["dcost_dlosses"], unit3.losses_problem(301)),
        "loss_ce": lambda: unit3.test_dAL_loss_convention(ns["dAL_loss_convention"],
                                                          *unit3.output_problem(311, "cross_entropy"), "cross_entropy"),
        "loss_mse": lambda: [unit3.test_dAL_loss_convention(ns["dAL_loss_convention"],
                                                            *unit3.output_problem(321, "mse", 3), "mse", half)
                             for half in (True, False)],
        "cost_ce": lambda: unit3.test_dAL_cost_convention(ns["dAL_cost_convention"],
                                                          *unit3.output_problem(312, "cross_entropy"), "cross_entropy"),
        "dW_db": lambda: unit3.test_backward_two_layer_dW_db(ns["backward_two_layer"],
                                                             *backward_inputs(), "cross_entropy", "sigmoid"),
        "intermediates": lambda: unit3.test_backward_two_layer_intermediates(
            ns["backward_two_layer"], *backward_inputs(341), "cross_entropy", "sigmoid", "loss"),
        "mse": lambda: unit3.test_backward_two_layer_squared_error(
            ns["backward_two_layer"], *mse_inputs(351, "linear"), output="linear"),
        "average": lambda: unit3.test_average_of_example_gradients(
            ns["average_of_example_gradients"], *unit3.two_layer_problem(361, "cross_entropy", "sigmoid")[:3],
            "cross_entropy", "sigmoid"),
    }
    with pytest.raises(AssertionError) as failure:
        runs[test]()
    assert phrase in str(failure.value)


def test_the_squared_error_test_prints_each_convention_header_once_and_each_gradient_once(solved, capsys):
    unit3.test_backward_two_layer_squared_error(solved["backward_two_layer"], *mse_inputs(352, "sigmoid"),
                                                output="sigmoid")
    printed = capsys.readouterr().out
    assert printed.count("(intermediate gradients checked with") == 2, printed
    for key in ("dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1"):
        assert len(re.findall(rf"^  {key} ", printed, re.MULTILINE)) == 2, (key, printed)


def test_a_blank_answer_says_not_implemented():
    ns = notebook(dcost_dlosses='def dcost_dlosses(L):\n    raise NotImplementedError()\n')
    with pytest.raises(AssertionError, match="dcost_dlosses is not implemented yet"):
        unit3.test_dcost_dlosses(ns["dcost_dlosses"], unit3.losses_problem(301))


def test_the_visible_tests_know_only_their_own_inputs(solved):
    edited = unit3.losses_problem(301)
    edited[0, 0] += 1.0
    with pytest.raises(AssertionError, match="(?s)knows only the inputs its test cell builds.*test cell was edited"):
        unit3.test_dcost_dlosses(solved["dcost_dlosses"], edited)
    AL, Y = unit3.output_problem(5, "cross_entropy")
    for test in (unit3.test_dAL_loss_convention, unit3.test_dAL_cost_convention):
        with pytest.raises(AssertionError, match="knows only the inputs"):
            test(solved[test.__name__[5:]], AL, Y, "cross_entropy")
    _, Y, _, AL, caches = unit3.two_layer_problem(5, "cross_entropy", "sigmoid")
    with pytest.raises(AssertionError, match="knows only the inputs"):
        unit3.test_backward_two_layer_dW_db(solved["backward_two_layer"], AL, Y, caches, "cross_entropy", "sigmoid")
    X, Y, params, _, _ = unit3.two_layer_problem(361, "cross_entropy", "sigmoid")
    with pytest.raises(AssertionError, match="X has the test's shape .5, 7. but other values"):
        unit3.test_average_of_example_gradients(solved["average_of_example_gradients"], X, Y, params, "mse", "sigmoid")
    with pytest.raises(AssertionError, match="no visible test uses loss='cross_entropy' with output='linear'"):
        unit3.test_average_of_example_gradients(solved["average_of_example_gradients"], X, Y, params,
                                                "cross_entropy", "linear")


# ---------------------------------------------------------------------------------------------
# The stand-ins: exact signatures, known inputs only, the rules they state
# ---------------------------------------------------------------------------------------------


def test_the_dAL_stand_ins_answer_their_own_inputs_by_keyword_too_and_refuse_others():
    AL, Y = unit3.output_problem(312, "cross_entropy")
    per_example = unit3.dAL_stand_in("dAL_loss_convention", AL, Y, "cross_entropy")
    expected = (AL - Y) / (AL * (1 - AL))
    assert np.allclose(per_example(AL, Y, "cross_entropy"), expected, rtol=1e-6)
    assert np.allclose(per_example(loss="cross_entropy", Y=Y.copy(), AL=AL.copy(), half=False), expected, rtol=1e-6)
    cost = unit3.dAL_stand_in("dAL_cost_convention", AL, Y, "cross_entropy")
    assert np.allclose(cost(AL, Y, "cross_entropy"), expected / 7, rtol=1e-6)
    with pytest.raises(AssertionError, match=r"(?s)AL has the test's shape \(1, 7\) but other values.*Rule: call "
                                             "dAL_loss_convention and dAL_cost_convention with the AL and Y"):
        per_example(AL * 0.9, Y, "cross_entropy")
    with pytest.raises(AssertionError, match="loss is 'mse', not the test's 'cross_entropy'"):
        per_example(AL, Y, "mse")
    with pytest.raises(AssertionError, match="half is True"):
        per_example(AL, Y, "cross_entropy", half=True)
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds"):
        unit3.dAL_stand_in("dAL_loss_convention", *unit3.output_problem(99, "cross_entropy"), "cross_entropy")
    with pytest.raises(ValueError, match="name must be one of"):
        unit3.dAL_stand_in("backward_two_layer", AL, Y, "cross_entropy")


def _one_example_call(X, params, i, output="sigmoid", **changes):
    AL, caches = model_forward(X[:, i:i + 1], params, hidden="relu", output=output)
    return {"AL": AL, "caches": caches, **changes}


def test_the_one_example_stand_in_answers_each_example_and_refuses_other_calls():
    X, Y, params, AL, caches = unit3.two_layer_problem(361, "cross_entropy", "sigmoid")
    fake = unit3.one_example_stand_in(X, Y, params, "cross_entropy", "sigmoid")
    grads = []
    for i in range(7):
        call = _one_example_call(X, params, i)
        grads.append(fake(call["AL"], Y[:, i:i + 1], call["caches"], convention="cost"))
    mean = {key: np.mean([g[key] for g in grads], axis=0) for key in unit3.PARAMETER_KEYS}
    batch = hidden.reference_backward_two_layer(AL, Y, caches)
    for key in unit3.PARAMETER_KEYS:
        assert np.allclose(mean[key], batch[key], rtol=1e-6, atol=1e-9), key
    unit3.check_one_example_calls(fake.calls, X, Y, params, "cross_entropy", "sigmoid")
    with pytest.raises(AssertionError, match="a batch of 7 examples"):
        fake(AL, Y, caches)
    call = _one_example_call(X, params, 0)
    with pytest.raises(AssertionError, match="output is 'linear', not the test's 'sigmoid'"):
        fake(call["AL"], Y[:, :1], call["caches"], output="linear")
    call = _one_example_call(X, params, 2, output="linear")       # the forward pass with the wrong output
    with pytest.raises(AssertionError, match="on example 2 with other inputs than that example's: AL"):
        fake(call["AL"], Y[:, 2:3], call["caches"])
    call = _one_example_call(X, params, 2)
    with pytest.raises(AssertionError, match="on example 2 with other inputs than that example's: Y"):
        fake(call["AL"], Y[:, 3:4] if Y[0, 3] != Y[0, 2] else 1 - Y[:, 2:3], call["caches"])
    other = _one_example_call(X * 1.5, params, 0)
    with pytest.raises(AssertionError, match="is not one column of X"):
        fake(other["AL"], Y[:, :1], other["caches"])
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds"):
        unit3.one_example_stand_in(X * 2, Y, params, "cross_entropy", "sigmoid")


def test_the_call_watch_names_missing_repeated_and_empty_calls():
    X, Y, params, _, _ = unit3.two_layer_problem(361, "cross_entropy", "sigmoid")
    calls = [dict(_one_example_call(X, params, i), Y=Y[:, i:i + 1], loss="cross_entropy", output="sigmoid")
             for i in (0, 1, 2, 3, 4, 5, 5)]
    with pytest.raises(AssertionError, match=r"examples \[6\] were left out and examples \[5\] were used more"):
        unit3.check_one_example_calls(calls, X, Y, params, "cross_entropy", "sigmoid")
    with pytest.raises(AssertionError, match="m = 7 calls, one for each column of X; it made 6"):
        unit3.check_one_example_calls(calls[:6], X, Y, params, "cross_entropy", "sigmoid")
    empty = dict(_one_example_call(X, params, 0), AL=np.zeros((1, 0)))
    with pytest.raises(AssertionError, match="(?s)no example at all.*once per example.*a number typed in"):
        unit3.check_one_example_calls(calls[:6] + [empty], X, Y, params, "cross_entropy", "sigmoid")


# ---------------------------------------------------------------------------------------------
# The hidden half
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss, output", unit3.PAIRS)
@pytest.mark.parametrize("convention", ["loss", "cost"])
def test_the_references_agree_with_finite_differences(loss, output, convention):
    X, Y, params, AL, caches = unit3.two_layer_problem(17, loss, output, (4, 6, 1 if loss == "cross_entropy" else 2),
                                                       m=9)
    losses = binary_cross_entropy_loss if loss == "cross_entropy" else squared_error_loss
    numeric = numerical_gradients(lambda p: cost_from_losses(losses(model_forward(X, p, hidden="relu",
                                                                                   output=output)[0], Y)), params)
    dJ_dA = numerical_gradient(lambda A: cost_from_losses(losses(A, Y)), AL.copy())
    grads = hidden.reference_backward_two_layer(AL, Y, caches, loss, output, convention)
    for key, value in numeric.items():
        assert np.allclose(grads["d" + key], value, rtol=1e-5, atol=1e-7), key
    scale = 9.0 if convention == "loss" else 1.0
    assert np.allclose(grads["dA2"], dJ_dA * scale, rtol=1e-5, atol=1e-7)
    for half in (False, True):
        if loss == "mse":
            dJ = numerical_gradient(lambda A: cost_from_losses(squared_error_loss(A, Y, half=half)), AL.copy())
            assert np.allclose(hidden.reference_dAL_cost_convention(AL, Y, "mse", half), dJ, rtol=1e-5, atol=1e-9)
    with pytest.raises(ValueError):
        hidden.reference_dAL_loss_convention(AL, Y, "hinge")


def test_hidden_sizes_never_use_the_visible_m():
    rng = np.random.default_rng(0)
    for _ in range(300):
        assert hidden._fresh_m(rng) != unit3.VISIBLE_M
        for loss in ("cross_entropy", "mse"):
            layer_dims, m = hidden._two_layer_sizes(rng, loss)
            assert m != unit3.VISIBLE_M and m not in layer_dims
            assert layer_dims[0] != layer_dims[1] != layer_dims[2]
            assert loss == "mse" or layer_dims[2] == 1


HIDDEN_TESTS = [
    ("test_dcost_dlosses", ("dcost_dlosses",), {}),
    ("test_dAL_loss_convention", ("dAL_loss_convention",), {"loss": "cross_entropy"}),
    ("test_dAL_loss_convention", ("dAL_loss_convention",), {"loss": "mse"}),
    ("test_dAL_cost_convention", ("dAL_cost_convention",), {"loss": "cross_entropy"}),
    ("test_dAL_cost_convention", ("dAL_cost_convention",), {"loss": "mse"}),
    ("test_backward_two_layer_dW_db", ("backward_two_layer",), {}),
    ("test_backward_two_layer_intermediates", ("backward_two_layer",), {"convention": "loss"}),
    ("test_backward_two_layer_intermediates", ("backward_two_layer",), {"convention": "cost"}),
    ("test_backward_two_layer_squared_error", ("backward_two_layer",), {}),
    ("test_average_of_example_gradients", ("average_of_example_gradients",), {}),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_solution_passes_every_hidden_test_and_each_prints_its_seed(solved, capsys, seed):
    before = {name: solved[name] for name in unit3.SIGNATURES}
    for test, names, kwargs in HIDDEN_TESTS:
        getattr(hidden, test)(*(solved[name] for name in names), seed=seed, **kwargs)
        assert f"hidden test, seed {seed}" in capsys.readouterr().out, test
    assert {name: solved[name] for name in unit3.SIGNATURES} == before


BACKWARD_BY_AUTODIFF = '''
def backward_two_layer(AL, Y, caches, loss="cross_entropy", output="sigmoid", convention="loss"):
    from utils import autodiff
    (X, W1, b1), Z1 = caches[0]
    (A1, W2, b2), Z2 = caches[1]
    w1, c1, w2, c2 = (autodiff.Tensor(value) for value in (W1, b1, W2, b2))
    a1 = autodiff.relu(w1 @ X + c1)
    z2 = w2 @ a1 + c2
    a2 = autodiff.sigmoid(z2) if output == "sigmoid" else z2
    losses = (-(autodiff.log(a2) * Y + autodiff.log(1 - a2) * (1 - Y)) if loss == "cross_entropy"
              else ((a2 - Y) * (a2 - Y)).sum(axis=0, keepdims=True))
    autodiff.backpropagate(losses.mean())
    return {"dW1": w1.grad, "db1": c1.grad, "dW2": w2.grad, "db2": c2.grad}
'''


@pytest.mark.parametrize("changes, test, args, phrase", [
    ({"backward_two_layer": BACKWARD_BY_AUTODIFF}, "test_backward_two_layer_dW_db", ("backward_two_layer",),
     "backward_two_layer called utils.autodiff"),
    ({"dAL_cost_convention": "def dAL_cost_convention(AL, Y, loss, half=False):\n"
                             "    from utils.testing import unit3\n"
                             "    fake = unit3.dAL_stand_in('dAL_cost_convention', AL, Y, loss, half)\n"
                             "    return fake(AL, Y, loss, half)\n"},
     "test_dAL_cost_convention", ("dAL_cost_convention",), "called utils.testing.unit3.dAL_stand_in"),
    ({"average_of_example_gradients": {"    m = X.shape[1]\n": "    m = 7\n"}}, "test_average_of_example_gradients",
     ("average_of_example_gradients",), "a number typed in"),
    ({"average_of_example_gradients": {'caches_i, loss=loss, output=output, convention="loss")': "caches_i)"}},
     "test_average_of_example_gradients", ("average_of_example_gradients",),
     "called backward_two_layer with loss='cross_entropy', but it was asked for loss='mse'"),
    ({"dcost_dlosses": "def dcost_dlosses(L):\n    from utils.gradcheck import numerical_gradient\n"
                       "    return numerical_gradient(cost_from_losses, L.copy())\n"},
     "test_dcost_dlosses", ("dcost_dlosses",), "dcost_dlosses called utils.gradcheck.numerical_gradient"),
    ({"dcost_dlosses": {"    m = L.shape[1]\n": "    m = 7\n"}}, "test_dcost_dlosses", ("dcost_dlosses",),
     "typed in as 7, the visible tests' m"),
    ({"backward_two_layer": {"    m = AL.shape[1]\n": "    m = 7\n"}}, "test_backward_two_layer_squared_error",
     ("backward_two_layer",), "typed in as 7"),
])
def test_each_hidden_test_names_oracles_and_typed_in_values(changes, test, args, phrase):
    ns = notebook(**changes)
    kwargs = {"loss": "cross_entropy"} if test == "test_dAL_cost_convention" else {}
    with pytest.raises(AssertionError) as failure:
        getattr(hidden, test)(*(ns[name] for name in args), seed=4, **kwargs)
    assert phrase in str(failure.value)
    assert all(ns[name] is not None for name in unit3.SIGNATURES)


def test_the_hidden_tests_accept_keyword_calls_and_numpy_scalars():
    ns = notebook(
        dAL_cost_convention="def dAL_cost_convention(AL, Y, loss, half=False):\n"
                            "    per_example = dAL_loss_convention(half=half, loss=loss, Y=Y, AL=AL)\n"
                            "    return per_example * np.float64(1 / AL.shape[1])\n",
        average_of_example_gradients={
            'backward_two_layer(AL_i, Y[:, i:i + 1], caches_i, loss=loss, output=output, convention="loss")':
            'backward_two_layer(caches=caches_i, AL=AL_i, Y=Y[:, i:i + 1], output=output, loss=loss,\n'
            '                                         convention="cost")'},
    )
    for seed in (5, 6):
        hidden.test_dAL_cost_convention(ns["dAL_cost_convention"], loss="mse", seed=seed)
        hidden.test_average_of_example_gradients(ns["average_of_example_gradients"], seed=seed)
