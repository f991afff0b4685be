"""utils.testing.unit6 and autograder.hidden.unit6: the checks behind assignment 6, tested in-process.

* The solution of source/06_backprop_through_time and correct answers in other
  styles pass every visible and hidden test.
* Every typical mistake the checks know fails its test with the sentence that
  names it: those of the grading proof (tests/test_unit6_grading.py) and the
  rest, which only this file proves.
* The stand-in for rnn_cell_backward answers its own test's caches, right, and
  refuses any other cache or a da_next of the wrong shape, stating the rule.
* The problems are seeded and shaped as documented; the clipping checks never
  build a clipped gradient; the hidden sizes separate mistakes and include
  m = 1 and T_x = 1; the hidden tests forbid every function of utils.rnn.
"""

import contextlib
import inspect
import io

import numpy as np
import pytest

from autograder import reference
from autograder.hidden import unit6 as hidden
from tests.nbgrade_support import solution_code, with_bug
from tests.test_unit6_grading import ACCEPTED, ASSIGNMENT, MISTAKES
from utils import rnn
from utils.checks import ORACLES
from utils.testing import unit6
from utils.testing._common import signature_difference


def student(cell=None, replacements=None, answers=None):
    """The namespace of a student who ran the solution, with one answer changed (with_bug) or several replaced."""
    solutions = solution_code(ASSIGNMENT)
    namespace = {}
    exec("import numpy as np", namespace)
    codes = dict(solutions)
    if cell is not None:
        codes[cell] = with_bug(solutions, cell, replacements)
    codes.update({name: code.strip("\n") for name, code in (answers or {}).items()})
    for name, code in codes.items():
        if name.startswith(("rnn_", "clip_")):
            exec(code, namespace)
    return namespace


VISIBLE = {
    "test_rnn_cell_backward": lambda s: (
        unit6.test_rnn_cell_backward(s["rnn_cell_backward"], *unit6.cell_problem(601, 3, 5, 7)),
        unit6.test_rnn_cell_backward(s["rnn_cell_backward"], *unit6.cell_problem(602, 3, 5, 1))),
    "test_rnn_backward": lambda s: (
        unit6.test_rnn_backward(s["rnn_backward"], *unit6.sequence_problem(611, 3, 5, 7, 4)),
        unit6.test_rnn_backward(s["rnn_backward"], *unit6.sequence_problem(612, 3, 5, 1, 1))),
    "test_rnn_output_backward": lambda s: unit6.test_rnn_output_backward(
        s["rnn_output_backward"], *unit6.output_problem(621, 5, 4, 7, 4)),
    "test_clip_by_value": lambda s: unit6.test_clip_by_value(s["clip_by_value"], unit6.clipping_problem(631, 3, 5, 4, 1.0), 1.5),
    "test_clip_by_global_norm": lambda s: (
        unit6.test_clip_by_global_norm(s["clip_by_global_norm"], unit6.clipping_problem(632, 3, 5, 4, 1.0), 5.0),
        unit6.test_clip_by_global_norm(s["clip_by_global_norm"], unit6.clipping_problem(633, 3, 5, 4, 0.01), 5.0)),
    "test_rnn_together": lambda s: unit6.test_rnn_together(
        s["rnn_output_backward"], s["rnn_backward"], *unit6.network_problem(641, 3, 5, 4, 7, 5)),
}

HIDDEN = {
    "test_rnn_cell_backward": lambda s, seed: hidden.test_rnn_cell_backward(s["rnn_cell_backward"], seed),
    "test_rnn_backward": lambda s, seed: hidden.test_rnn_backward(s["rnn_backward"], seed),
    "test_rnn_output_backward": lambda s, seed: hidden.test_rnn_output_backward(s["rnn_output_backward"], seed),
    "test_clip_by_value": lambda s, seed: hidden.test_clip_by_value(s["clip_by_value"], seed),
    "test_clip_by_global_norm": lambda s, seed: hidden.test_clip_by_global_norm(s["clip_by_global_norm"], seed),
    "test_rnn_together": lambda s, seed: hidden.test_rnn_together(s["rnn_output_backward"], s["rnn_backward"], seed),
}


def failure_of(test, *args):
    """The AssertionError message of a test (None if it passed); its printed lines are swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            test(*args)
        except AssertionError as error:
            return str(error)
    return None


# ---- right answers pass -----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", [None, *sorted(ACCEPTED)])
@pytest.mark.parametrize("test", sorted(VISIBLE))
def test_right_answers_pass_the_visible_tests(style, test):
    assert failure_of(VISIBLE[test], student(answers=ACCEPTED.get(style))) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("test", sorted(HIDDEN))
def test_the_solution_passes_the_hidden_tests(test, seed):
    assert failure_of(HIDDEN[test], student(), seed) is None


# ---- every named mistake fails with its name --------------------------------------------------------------

# name: (answer cell, {solution line: buggy line}, visible test, phrases): the mistakes the grading proof leaves out.
MORE_MISTAKES = {
    "dWaa_transposed": ("rnn_cell_backward", {'"dWaa": dz @ a_prev.T / m,': '"dWaa": a_prev @ dz.T / m,'},
                        "test_rnn_cell_backward", ["dWaa is transposed", "the shape cannot tell"]),
    "da_prev_divided_by_m": ("rnn_cell_backward", {'"da_prev": params["Waa"].T @ dz,': '"da_prev": params["Waa"].T @ dz / m,'},
                             "test_rnn_cell_backward", ["da_prev is m = 7 times too small"]),
    "tanh_left_out": ("rnn_cell_backward", {"dz = da_next * (1 - a_next**2)": "dz = da_next"},
                      "test_rnn_cell_backward", ["tanh' is missing"]),
    "tanh_for_its_derivative": ("rnn_cell_backward", {"dz = da_next * (1 - a_next**2)": "dz = da_next * a_next"},
                                "test_rnn_cell_backward", ["tanh itself (a_next) was used where its derivative"]),
    "square_missing": ("rnn_cell_backward", {"dz = da_next * (1 - a_next**2)": "dz = da_next * (1 - a_next)"},
                       "test_rnn_cell_backward", ["the square is missing"]),
    "dba_without_keepdims": ("rnn_cell_backward",
                             {'"dba": np.sum(dz, axis=1, keepdims=True) / m,': '"dba": np.sum(dz, axis=1) / m,'},
                             "test_rnn_cell_backward", ["dba has shape (5,)", "keepdims=True"]),
    "cell_changes_its_cache": ("rnn_cell_backward", {"dz = da_next * (1 - a_next**2)": "a_next **= 2\n    dz = da_next * (1 - a_next)"},
                               "test_rnn_cell_backward", ["rnn_cell_backward changed da_next or the cache", "in-place"]),
    "dx_stored_one_slot_off": ("rnn_backward", {'gradients["dX"][:, :, t] = step["dx"]': 'gradients["dX"][:, :, t - 1] = step["dx"]'},
                               "test_rnn_backward", ["stored one slot early in dX (off by one)"]),
    "caches_in_reverse": ("rnn_backward", {"rnn_cell_backward(da[:, :, t] + da_prev, caches[t])":
                                           "rnn_cell_backward(da[:, :, t] + da_prev, caches[T_x - 1 - t])"},
                          "test_rnn_backward", ["the steps read each other's caches"]),
    "divided_by_T_x": ("rnn_backward", {'gradients["da0"] = da_prev': 'gradients["da0"] = da_prev\n    for key in ("dWax", "dWaa", "dba"):\n'
                                                                     "        gradients[key] = gradients[key] / T_x"},
                       "test_rnn_backward", ["the sums over time were divided by T_x"]),
    "shared_gradients_of_the_last_step_kept": ("rnn_backward", {
        'gradients["dWax"] += step["dWax"]': 'gradients["dWax"] = step["dWax"] if t == T_x - 1 else gradients["dWax"]',
        'gradients["dWaa"] += step["dWaa"]': 'gradients["dWaa"] = step["dWaa"] if t == T_x - 1 else gradients["dWaa"]',
        'gradients["dba"] += step["dba"]': 'gradients["dba"] = step["dba"] if t == T_x - 1 else gradients["dba"]'},
        "test_rnn_backward", ["taken from the last time step only"]),
    "cache_changed_by_rnn_backward": ("rnn_backward", {"da_prev = step[\"da_prev\"]": "da_prev = step[\"da_prev\"]\n        da[:, :, t] = 0.0"},
                                      "test_rnn_backward", ["rnn_backward changed da or the caches"]),
    "output_sign_flipped": ("rnn_output_backward", {"dz = Y_hat - Y": "dz = Y - Y_hat"},
                            "test_rnn_output_backward", ["the output gradient has the wrong sign"]),
    "output_through_softmax_derivative": ("rnn_output_backward", {"dz = Y_hat - Y": "dz = (Y_hat - Y) * Y_hat * (1 - Y_hat)"},
                                          "test_rnn_output_backward", ["was multiplied by y^ (1 - y^) again"]),
    "output_without_1_over_m": ("rnn_output_backward", {"dWya += dz[:, :, t] @ A[:, :, t].T / m": "dWya += dz[:, :, t] @ A[:, :, t].T"},
                                "test_rnn_output_backward", ["dWya is off by a factor of m = 7"]),
    "output_da_divided_by_m": ("rnn_output_backward", {"da[:, :, t] = Wya.T @ dz[:, :, t]": "da[:, :, t] = Wya.T @ dz[:, :, t] / m"},
                               "test_rnn_output_backward", ["da is m = 7 times too small"]),
    "output_divided_by_T_x": ("rnn_output_backward", {'return {"dWya": dWya, "dby": dby, "da": da}':
                                                      'return {"dWya": dWya / T_x, "dby": dby / T_x, "da": da}'},
                              "test_rnn_output_backward", ["the sums over time were divided by T_x"]),
    "clip_by_value_in_place": ("clip_by_value", {
        "return {name: np.clip(value, -max_value, max_value) for name, value in gradients.items()}":
        "for value in gradients.values():\n        np.clip(value, -max_value, max_value, out=value)\n    return dict(gradients)"},
        "test_clip_by_value", ["clip_by_value changed the gradients"]),
    "clip_by_value_rescales": ("clip_by_value", {
        "return {name: np.clip(value, -max_value, max_value) for name, value in gradients.items()}":
        "return {name: value * min(1.0, max_value / np.abs(value).max()) for name, value in gradients.items()}"},
        "test_clip_by_value", ["the whole tensor was rescaled: that is clipping by norm"]),
    "clip_by_norm_sum_of_norms": ("clip_by_global_norm", {
        "norm = np.sqrt(sum(np.sum(value**2) for value in gradients.values()))":
        "norm = sum(np.linalg.norm(value) for value in gradients.values())"},
        "test_clip_by_global_norm", ["the sum of the tensors' norms"]),
    "clip_by_norm_returns_its_input": ("clip_by_global_norm", {
        "return {name: value * factor for name, value in gradients.items()}":
        "for value in gradients.values():\n        value *= factor\n    return gradients"},
        "test_clip_by_global_norm", ["clip_by_global_norm changed the gradients"]),
    "clip_by_norm_wrong_factor": ("clip_by_global_norm", {
        "factor = min(1.0, max_norm / norm) if norm > 0 else 1.0": "factor = min(1.0, max_norm / norm**2)"},
        "test_clip_by_global_norm", ["after clipping, the global norm is"]),
}

#: The grading proof's mistakes, each with the visible test of its own cell (the first cell listed as failing, not TOGETHER).
PROOF_MISTAKES = {name: (cell, replacements, next(iter(sorted(failing - {"test_rnn_together"}))), named)
                  for name, (cell, replacements, failing, named) in MISTAKES.items()}


@pytest.mark.parametrize("name", sorted(PROOF_MISTAKES) + sorted(MORE_MISTAKES))
def test_each_mistake_fails_its_visible_test_and_is_named(name):
    cell, replacements, test, named = {**PROOF_MISTAKES, **MORE_MISTAKES}[name]
    if isinstance(named, dict):
        named = named[test]
    message = failure_of(VISIBLE[test], student(cell, replacements))
    assert message is not None, f"{name} passed {test}"
    for phrase in named:
        assert phrase in message, f"{name}: {phrase!r} not in\n{message}"


@pytest.mark.parametrize("name", ["no_sum_over_time", "state_gradient_not_carried_back", "time_walked_forwards",
                                  "dWaa_with_a_next_instead_of_a_prev", "clip_each_tensor_by_its_own_norm"])
def test_each_mistake_fails_its_hidden_test_and_is_named(name):
    cell, replacements, failing, named = MISTAKES[name]
    test = next(iter(sorted(failing - {"test_rnn_together"})))
    message = failure_of(HIDDEN[test], student(cell, replacements), 5)
    assert message is not None and all(phrase in message for phrase in named[test]), message
    assert "hidden test" in message


def test_a_mistake_that_only_shows_with_several_steps_passes_the_one_step_problem():
    """With T_x = 1 there is nothing to sum or carry: the one-step problem alone would not catch these mistakes."""
    for name in ("no_sum_over_time", "state_gradient_not_carried_back", "time_walked_forwards"):
        cell, replacements, *_ = MISTAKES[name]
        wrong = student(cell, replacements)
        assert failure_of(unit6.test_rnn_backward, wrong["rnn_backward"], *unit6.sequence_problem(612, 3, 5, 1, 1)) is None
        assert failure_of(unit6.test_rnn_backward, wrong["rnn_backward"], *unit6.sequence_problem(611, 3, 5, 7, 4))


# ---- the stand-in knows its own test's caches only --------------------------------------------------------


def test_the_stand_in_answers_its_caches_right_and_refuses_others():
    da, caches = unit6.sequence_problem(611, 3, 5, 7, 4)
    _, other = unit6.sequence_problem(700, 3, 5, 7, 4)
    fake = unit6.cell_backward_stand_in(caches)
    assert signature_difference(fake, unit6.SIGNATURES["rnn_cell_backward"]) is None
    for t, cache in enumerate(caches):
        answer, right = fake(da[:, :, t], cache), reference.rnn_cell_gradients(da[:, :, t], cache)
        for key in unit6.CELL_KEYS:
            np.testing.assert_allclose(answer[key], right[key], rtol=1e-6, atol=1e-9)
    with pytest.raises(AssertionError, match="inputs this test did not give it") as refused:
        fake(da[:, :, 0], other[0])
    assert "Rule: call rnn_cell_backward with each step's own cache, caches[t], unchanged" in str(refused.value)
    copied = tuple(np.array(item) if isinstance(item, np.ndarray) else item for item in caches[0])
    copied[0][0, 0] += 1.0                                   # a changed cache is a foreign cache
    with pytest.raises(AssertionError, match="inputs this test did not give it"):
        fake(da[:, :, 0], copied)
    with pytest.raises(AssertionError, match=r"da_next = an array of shape \(5, 6\).*shape \(5, 7\)"):
        fake(da[:, :6, 0], caches[0])
    with pytest.raises(AssertionError, match="da_next = a list"):
        fake(da[:, :, 0].tolist(), caches[0])
    assert fake(da_next=da[:, :, 1], cache=caches[1])["dWax"].shape == (5, 3)      # keywords work
    assert len(fake.calls) == 9                      # every call is recorded, refused ones too


def test_a_student_who_inlines_the_cell_is_not_charged_for_the_stand_in():
    """rnn_backward need not call rnn_cell_backward at all: the second accepted style inlines it."""
    assert "rnn_cell_backward(" not in ACCEPTED["loops_and_an_inlined_cell"]["rnn_backward"]
    assert failure_of(VISIBLE["test_rnn_backward"], student(answers=ACCEPTED["loops_and_an_inlined_cell"])) is None


# ---- problems and checks ----------------------------------------------------------------------------------


def test_problems_are_seeded_and_shaped():
    da_next, cache = unit6.cell_problem(1, 3, 5, 7)
    again = unit6.cell_problem(1, 3, 5, 7)
    assert da_next.shape == (5, 7) and len(cache) == 4
    a_next, a_prev, xt, params = cache
    assert a_next.shape == a_prev.shape == (5, 7) and xt.shape == (3, 7)
    np.testing.assert_array_equal(a_next, rnn.rnn_cell_forward(xt, a_prev, params)[0])
    np.testing.assert_array_equal(again[0], da_next)
    assert np.all(params["ba"] != 0)
    da, caches = unit6.sequence_problem(2, 3, 5, 7, 4)
    assert da.shape == (5, 7, 4) and len(caches) == 4 and all(cache[3] is caches[0][3] for cache in caches)
    Y_hat, Y, A, out_params = unit6.output_problem(3, 5, 4, 7, 4)
    assert Y_hat.shape == Y.shape == (4, 7, 4) and A.shape == (5, 7, 4)
    np.testing.assert_array_equal(Y.sum(axis=0), np.ones((7, 4)))
    np.testing.assert_array_equal(Y_hat, rnn.rnn_output_forward(A, out_params))
    Y_hat, Y, _, _ = unit6.output_problem(3, 5, 1, 7, 4, "sigmoid")
    assert Y_hat.shape == (1, 7, 4) and set(np.unique(Y)) <= {0.0, 1.0}
    X, Y, a0, params = unit6.network_problem(4, 3, 5, 4, 7, 5)
    assert X.shape == (3, 7, 5) and Y.shape == (4, 7, 5) and a0.shape == (5, 7)
    gradients = unit6.clipping_problem(5, 3, 5, 4, 1.0)
    assert {key: value.shape for key, value in gradients.items()} == {
        "dWax": (5, 3), "dWaa": (5, 5), "dba": (5, 1), "dWya": (4, 5), "dby": (4, 1)}


def test_the_visible_clipping_problems_are_above_and_below_the_bound():
    def norm(gradients):
        return np.sqrt(sum(np.sum(value**2) for value in gradients.values()))
    assert norm(unit6.clipping_problem(632, 3, 5, 4, 1.0)) > 5.0 > norm(unit6.clipping_problem(633, 3, 5, 4, 0.01))
    gradients = unit6.clipping_problem(631, 3, 5, 4, 1.0)
    assert all((value > 1.5).any() or (value < -1.5).any() for key, value in gradients.items() if key in ("dWaa", "dWya"))
    assert any((value < -1.5).any() for value in gradients.values()) and any((value > 1.5).any() for value in gradients.values())


def test_the_clipping_checks_check_and_never_build_the_answer():
    gradients = unit6.clipping_problem(9, 3, 5, 4, 1.0)
    norm = np.sqrt(sum(np.sum(value**2) for value in gradients.values()))
    with contextlib.redirect_stdout(io.StringIO()):
        assert unit6.check_clip_by_value({k: np.clip(v, -1.0, 1.0) for k, v in gradients.items()}, gradients, 1) is None
        assert unit6.check_clip_by_global_norm({k: v * (2.0 / norm) for k, v in gradients.items()}, gradients, 2.0) is None
        assert unit6.check_clip_by_global_norm({k: v.copy() for k, v in gradients.items()}, gradients, norm) is None
        with_zero = dict(gradients, dby=np.zeros((4, 1)))
        assert unit6.check_clip_by_global_norm({k: v * 0.5 for k, v in with_zero.items()}, with_zero,
                                               0.5 * np.sqrt(sum(np.sum(v**2) for v in with_zero.values()))) is None
    problems = {
        "a list for an array": ({**gradients, "dba": gradients["dba"].tolist()}, "should be a numpy array"),
        "a key missing": ({k: v for k, v in gradients.items() if k != "dby"}, "the gradients given had"),
        "a flattened array": ({**gradients, "dba": gradients["dba"].ravel()}, "has shape (5,)"),
        "integers": ({**gradients, "dba": np.zeros((5, 1), dtype=int)}, "has dtype int"),
    }
    for label, (result, phrase) in problems.items():
        message = failure_of(unit6.check_clip_by_value, result, gradients, 10.0)
        assert message is not None and phrase in message, (label, message)
    message = failure_of(unit6.check_clip_by_global_norm, {**gradients, "dby": gradients["dby"] + 1}, {**gradients}, 1e9)
    assert "not a multiple of the gradient given" in message
    zero = {"dW": np.ones((2, 2)), "db": np.zeros((2, 1))}
    message = failure_of(unit6.check_clip_by_global_norm, {"dW": np.ones((2, 2)), "db": np.ones((2, 1))}, zero, 10.0)
    assert "turned the zero gradient db into non-zero values" in message
    # the module's clipping functions are the problem, the checks (which return None) and the tests: no clipper
    assert {name for name in dir(unit6) if "clip" in name.lower() and callable(getattr(unit6, name))} == {
        "clipping_problem", "check_clip_by_value", "check_clip_by_global_norm", "test_clip_by_value",
        "test_clip_by_global_norm", "_clipped_dict", "_run_clipping"}


@pytest.mark.parametrize("check, args", [
    (unit6.check_rnn_cell_backward, lambda: unit6.cell_problem(1, 3, 5, 7)),
    (unit6.check_rnn_backward, lambda: unit6.sequence_problem(2, 3, 5, 7, 4)),
])
def test_a_result_that_is_not_a_dict_or_lacks_a_key_is_named(check, args):
    inputs = args()
    assert "should be a dict" in failure_of(check, (1, 2, 3), *inputs)
    message = failure_of(check, {"dWax": np.zeros((5, 3))}, *inputs)
    assert "has no key" in message and "'dWaa'" in message


def test_extra_keys_are_allowed_and_the_reference_passes_every_check():
    da_next, cache = unit6.cell_problem(1, 3, 5, 7)
    da, caches = unit6.sequence_problem(2, 3, 5, 7, 4)
    Y_hat, Y, A, params = unit6.output_problem(3, 5, 4, 7, 4)
    X, Y_net, a0, net = unit6.network_problem(4, 3, 5, 4, 7, 5)
    _, Y_hat_net, net_caches = rnn.rnn_forward(X, a0, net)
    with contextlib.redirect_stdout(io.StringIO()):
        unit6.check_rnn_cell_backward({**reference.rnn_cell_gradients(da_next, cache), "dz": 0}, da_next, cache)
        unit6.check_rnn_backward(reference.rnn_sequence_gradients(da, caches), da, caches)
        unit6.check_rnn_output_backward(reference.rnn_output_gradients(Y_hat, Y, A, params["Wya"]), Y_hat, Y, A, params)
        unit6.check_rnn_together(reference.rnn_model_backward(Y_hat_net, Y_net, net_caches, "softmax"), X, Y_net, a0, net)


# ---- the hidden module ------------------------------------------------------------------------------------


def test_hidden_sizes_separate_mistakes_and_include_one_example_and_one_step():
    rng = np.random.default_rng(0)
    for _ in range(20):
        sizes = hidden.rnn_sizes(rng)
        assert len(sizes) == 4
        for separating in sizes[:2]:
            assert len(set(separating.values())) == 5 and separating["m"] not in (1, 2, 4) and separating["T_x"] >= 2
        assert sizes[2]["m"] == 1 and sizes[3]["T_x"] == 1
    assert all(sizes["n_y"] == 1 for sizes in hidden.rnn_sizes(rng, n_y=1))


def test_hidden_tests_forbid_oracles_helpers_and_every_function_of_utils_rnn():
    forbidden = hidden.forbidden()
    rnn_functions = [value for value in vars(rnn).values() if inspect.isfunction(value) and value.__module__ == "utils.rnn"]
    assert rnn.rnn_cell_forward in forbidden and rnn.rnn_forward in forbidden and len(rnn_functions) >= 8
    assert all(function in forbidden for function in rnn_functions)
    assert all(item in forbidden for item in ORACLES)
    assert unit6.cell_backward_stand_in in forbidden and unit6._cell_oracle in forbidden
    assert reference.rnn_cell_gradients not in forbidden


def test_the_hidden_reference_stand_in_has_the_assignments_signature():
    assert signature_difference(hidden.reference_rnn_cell_backward, hidden.SIGNATURES["rnn_cell_backward"]) is None
    assert hidden.SIGNATURES == unit6.SIGNATURES


def test_the_hidden_tests_print_their_seed_and_replay_it():
    namespace = student()
    outputs = []
    for _ in range(2):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            hidden.test_rnn_backward(namespace["rnn_backward"], seed=1234)
        outputs.append(buffer.getvalue())
    assert outputs[0].startswith("hidden test, seed 1234") and outputs[0] == outputs[1]
    assert "The hidden checks passed." in outputs[0]


@pytest.mark.parametrize("name", ["state_gradient_not_carried_back", "time_walked_forwards", "no_sum_over_time"])
def test_the_look_at_line_of_the_loop_names_the_carry_the_order_and_the_sum(name):
    """Whichever of the loop's three jobs went wrong, the line the message sends the student to mentions it."""
    cell, replacements, _, _ = MISTAKES[name]
    message = failure_of(VISIBLE["test_rnn_backward"], student(cell, replacements))
    look_at = next(line for line in message.splitlines() if line.startswith("Look at:"))
    for phrase in ("from the last step to the first", "da[:, :, t] + da_prev", "adds up"):
        assert phrase in look_at, (name, look_at)
