"""utils.testing._common and autograder.hidden._common: stand-ins, signatures, known inputs, hidden seeds.

Student code is simulated the way a notebook holds it: functions compiled
into a namespace dict of their own (the notebook's globals), so `replaced`
patches exactly what a student's function sees.
"""

import contextlib
import inspect
import re

import numpy as np
import pytest

from autograder.hidden import _common as hidden
from utils import checks
from utils.testing import _common
from utils.testing._common import (
    GraderBugError,
    parse_signature,
    replaced,
    replaced_all,
    same_value,
    signature_difference,
    stand_in,
    value_difference,
)

SIGNATURES = {
    "linear_backward": "(dZ, cache)",
    "linear_activation_backward": "(dA, cache, activation)",
    "optimize": "(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False)",
}

STUDENT_CODE = '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    dZ = dA * (Z > 0) if activation == "relu" else dA
    return linear_backward(dZ=dZ, cache=linear_cache)   # keyword call, as many students write it

def linear_backward(dZ, cache):
    raise NotImplementedError()
'''


def notebook(code=STUDENT_CODE):
    """A fresh 'notebook namespace' holding the student's functions."""
    namespace = {"__name__": "__main__"}
    exec(compile(code, "<cell>", "exec"), namespace)
    return namespace


def layer(seed=0, n_prev=5, n=3, m=7):
    rng = np.random.default_rng(seed)
    linear_cache = (rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)), rng.standard_normal((n, 1)))
    return rng.standard_normal((n, m)), (linear_cache, rng.standard_normal((n, m)))


def linear_stand_in(linear_cache, rule="pass the linear cache (cache[0]) on unchanged"):
    def answer(index, arguments):
        A_prev, W, _ = linear_cache
        dZ, m = arguments["dZ"], A_prev.shape[1]
        return W.T @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m

    return stand_in("linear_backward", SIGNATURES, [{"cache": linear_cache}], answer, rule)


# ----------------------------------------------------------------------------
# Signatures
# ----------------------------------------------------------------------------


def test_parse_signature_reads_names_kinds_and_literal_defaults():
    signature = parse_signature("(a, /, b, c=1.5, *rest, d='relu', e=None, **more)")
    parameters = list(signature.parameters.values())
    assert [p.name for p in parameters] == ["a", "b", "c", "rest", "d", "e", "more"]
    assert [p.kind for p in parameters] == [
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.VAR_KEYWORD,
    ]
    assert signature.parameters["c"].default == 1.5 and signature.parameters["d"].default == "relu"
    assert signature.parameters["e"].default is None
    assert signature.parameters["a"].default is inspect.Parameter.empty


@pytest.mark.parametrize("text", ["dZ, cache", "(dZ, cache", "(1, 2)", 42, "(x=np.zeros(3))"])
def test_parse_signature_refuses_what_is_not_a_literal_parameter_list_as_a_grader_bug(text):
    with pytest.raises(GraderBugError, match="bug in the test, not in your code"):
        parse_signature(text)


def test_signature_difference_names_each_kind_of_difference():
    def same(dZ, cache):
        pass

    def renamed(dZ, linear_cache):
        pass

    def keyword_only(dZ, *, cache):
        pass

    def int_default(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=0):
        pass

    def annotated(dZ: np.ndarray, cache: tuple) -> tuple:
        pass

    assert signature_difference(same, "(dZ, cache)") is None
    assert signature_difference(annotated, "(dZ, cache)") is None  # annotations are not the contract
    assert "(dZ, linear_cache)" in signature_difference(renamed, "(dZ, cache)")
    assert "keyword-only" in signature_difference(keyword_only, "(dZ, cache)")
    assert "default 0" in signature_difference(int_default, SIGNATURES["optimize"])  # False is not 0
    assert "no inspectable signature" in signature_difference(3, "(dZ, cache)")


# ----------------------------------------------------------------------------
# replaced
# ----------------------------------------------------------------------------


def test_replaced_puts_the_stand_in_where_the_students_function_looks_and_restores_it():
    namespace = notebook()
    student = namespace["linear_activation_backward"]
    own = namespace["linear_backward"]
    dA, cache = layer()
    fake = linear_stand_in(cache[0])
    with replaced(student, "linear_backward", fake, SIGNATURES) as active:
        assert active is fake and namespace["linear_backward"] is fake
        dA_prev, dW, db = student(dA, cache, "relu")  # the student's keyword call reaches the stand-in
    assert namespace["linear_backward"] is own
    dZ = dA * (cache[1] > 0)
    np.testing.assert_allclose(dW, dZ @ cache[0][0].T / 7)
    assert fake.calls[0]["cache"] is cache[0]


def test_replaced_restores_after_an_error_and_removes_a_name_that_was_absent():
    namespace = notebook()
    student = namespace["linear_activation_backward"]
    own = namespace["linear_backward"]
    dA, cache = layer()
    with pytest.raises(ZeroDivisionError):
        with replaced(student, "linear_backward", linear_stand_in(cache[0]), SIGNATURES):
            1 / 0
    assert namespace["linear_backward"] is own
    del namespace["linear_backward"]
    with replaced(student, "linear_backward", linear_stand_in(cache[0]), SIGNATURES):
        assert "linear_backward" in namespace
    assert "linear_backward" not in namespace


def test_replaced_refuses_a_stand_in_with_another_signature_as_a_grader_bug_before_patching():
    namespace = notebook()
    student = namespace["linear_activation_backward"]
    own = namespace["linear_backward"]

    def wrong(dZ, linear_cache):  # the unit 5 bug of issue #20: a renamed parameter
        return None

    with pytest.raises(GraderBugError) as info:
        with replaced(student, "linear_backward", wrong, SIGNATURES):
            pytest.fail("the block must not run")
    message = str(info.value)
    assert message.startswith("This is a bug in the test, not in your code")
    assert "linear_backward(dZ, cache)" in message and "(dZ, linear_cache)" in message
    assert not isinstance(info.value, AssertionError)  # never reads as the student's failure
    assert namespace["linear_backward"] is own


def test_replaced_needs_the_name_in_signatures():
    student = notebook()["linear_activation_backward"]
    with pytest.raises(GraderBugError, match="no entry in the unit's SIGNATURES"):
        with replaced(student, "propagate", lambda w, b, X, Y: None, SIGNATURES):
            pass
    with pytest.raises(GraderBugError, match="SIGNATURES dict"):
        with replaced(student, "linear_backward", lambda dZ, cache: None, ["(dZ, cache)"]):
            pass


def test_replaced_patches_the_globals_of_a_bound_method():
    namespace = notebook("class Node:\n    def grad(self, x):\n        return helper(x)\n\ndef helper(x):\n    return 0\n")
    node = namespace["Node"]()
    with replaced(node.grad, "helper", lambda x: x + 1, {"helper": "(x)"}):
        assert node.grad(1) == 2
    assert node.grad(1) == 0


def test_replaced_blames_the_student_when_their_function_is_not_a_function():
    with pytest.raises(AssertionError, match="should be a function written with `def`"):
        with replaced(3.0, "linear_backward", lambda dZ, cache: None, SIGNATURES):
            pass


def test_replaced_all_refuses_every_stand_in_before_patching_any():
    namespace = notebook()
    student = namespace["linear_activation_backward"]
    own = namespace["linear_backward"]
    dA, cache = layer()
    good = linear_stand_in(cache[0])
    with pytest.raises(GraderBugError):
        with replaced_all(student, {"linear_backward": good, "linear_activation_backward": lambda dA, c, a: 0},
                          SIGNATURES):
            pass
    assert namespace["linear_backward"] is own
    other = stand_in("linear_activation_backward", SIGNATURES, [{"activation": "relu"}], [1], "use relu")
    with replaced_all(student, {"linear_backward": good, "linear_activation_backward": other}, SIGNATURES):
        assert namespace["linear_backward"] is good and namespace["linear_activation_backward"] is other
    assert namespace["linear_backward"] is own and namespace["linear_activation_backward"] is student


# ----------------------------------------------------------------------------
# Known inputs
# ----------------------------------------------------------------------------


def test_value_difference_is_exact_and_structural():
    A = np.arange(6.0).reshape(2, 3)
    known = (A, {"W1": A.T, "b1": 0.5}, "relu")
    assert value_difference((A.copy(), {"W1": A.T.copy(), "b1": 0.5}, "relu"), known) is None
    assert same_value(np.float64(0.5), 0.5) and same_value(np.array([np.nan]), np.array([np.nan]))
    assert "list" in value_difference([A, {"W1": A.T, "b1": 0.5}, "relu"], known)
    assert "holds 2 items" in value_difference((A, {"W1": A.T, "b1": 0.5}), known)
    assert "shape (3, 2)" in value_difference(A.T.copy(), A)
    assert "other values" in value_difference(A + 1e-12, A)
    assert "keys" in value_difference({"W1": A.T}, {"W1": A.T, "b1": 0.5})
    assert "it[1]['b1'] is 0.6" in value_difference((A, {"W1": A.T, "b1": 0.6}, "relu"), known)
    assert "not a number" in value_difference(True, 1.0)
    assert "'sigmoid'" in value_difference("sigmoid", "relu")
    assert "list" in value_difference(A.tolist(), A)
    assert "other values" in value_difference(np.ones((2, 3), dtype=object), A)  # objects are not numbers


def test_value_difference_never_calls_the_students_objects():
    touched = []

    class Rigged(np.ndarray):
        def __eq__(self, other):
            touched.append("eq")
            return True

        def __array__(self, *args, **kwargs):
            touched.append("array")
            return super().__array__(*args, **kwargs)

    class Sneaky:
        def __eq__(self, other):
            touched.append("eq")
            return True

    A = np.ones((2, 3))
    assert "Rigged" in value_difference(A.view(Rigged), A)
    assert "Sneaky" in value_difference(Sneaky(), "relu")
    assert value_difference(Sneaky(), (A,)) is not None
    known = Sneaky()
    assert value_difference(known, known) is None and "another" in value_difference(Sneaky(), known)

    class Rich(float):
        def __float__(self):
            touched.append("float")
            return 0.5

    assert "not a number" in value_difference(Rich(0.5), 0.5)
    assert touched == []


# ----------------------------------------------------------------------------
# Stand-ins
# ----------------------------------------------------------------------------


def test_stand_in_answers_its_own_inputs_by_position_or_keyword():
    _, cache = layer()
    fake = linear_stand_in(cache[0])
    assert inspect.signature(fake) == parse_signature("(dZ, cache)")
    assert fake.__name__ == "linear_backward"
    dZ = np.ones((3, 7))
    by_position = fake(dZ, cache[0])
    by_keyword = fake(cache=cache[0], dZ=dZ)
    for a, b in zip(by_position, by_keyword):
        np.testing.assert_array_equal(a, b)
    assert len(fake.calls) == 2 and fake.calls[1]["dZ"] is dZ


@pytest.mark.parametrize(
    "foreign, phrase",
    [
        (lambda c: list(c), "list"),
        (lambda c: (c[0].T, c[1], c[2]), "cache[0] has shape (7, 5)"),
        (lambda c: (c[0] * 2, c[1], c[2]), "cache[0] has the test's shape (5, 7) but other values"),
        (lambda c: c[:2], "holds 2 items"),
    ],
)
def test_stand_in_refuses_foreign_inputs_and_states_the_rule(foreign, phrase):
    _, cache = layer()
    fake = linear_stand_in(cache[0])
    with pytest.raises(AssertionError) as info:
        fake(np.ones((3, 7)), foreign(cache[0]))
    message = str(info.value)
    assert phrase in message
    assert "Rule: pass the linear cache (cache[0]) on unchanged." in message
    assert message.startswith("linear_backward was called with inputs this test did not give it")


def test_stand_in_with_several_cases_and_fixed_answers_returns_copies():
    answers = [np.zeros((2, 2)), np.ones((2, 2))]
    fake = stand_in("linear_activation_backward", SIGNATURES,
                    [{"activation": "relu"}, {"activation": "sigmoid"}], answers, "use relu for hidden layers")
    first = fake(None, None, activation="sigmoid")
    np.testing.assert_array_equal(first, np.ones((2, 2)))
    first[...] = 7
    np.testing.assert_array_equal(fake(None, None, "sigmoid"), np.ones((2, 2)))
    assert [call["activation"] for call in fake.calls] == ["sigmoid", "sigmoid"]
    with pytest.raises(AssertionError, match=r"activation is 'tanh', not the test's 'relu'; activation is 'tanh', "
                                             r"not the test's 'sigmoid'"):
        fake(None, None, "tanh")


def test_stand_in_reports_a_call_that_does_not_bind_as_a_type_error_with_the_signature():
    _, cache = layer()
    fake = linear_stand_in(cache[0])
    with pytest.raises(TypeError, match=re.escape("(its signature is linear_backward(dZ, cache))")):
        fake(np.ones((3, 7)), cache[0], "relu")
    with pytest.raises(TypeError, match="missing a required argument: 'cache'"):
        fake(np.ones((3, 7)), linear_cache=cache[0])


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        ({"name": "propagate"}, "no entry"),
        ({"cases": []}, "non-empty list of dicts"),
        ({"cases": [{"linear_cache": 1}]}, "not parameters"),
        ({"answer": [1, 2]}, "2 fixed answers for 1 cases"),
    ],
)
def test_stand_in_refuses_a_malformed_test_as_a_grader_bug(kwargs, phrase):
    arguments = {"name": "linear_backward", "signatures": SIGNATURES, "cases": [{"cache": (1,)}], "answer": [0],
                 "rule": "r"}
    arguments.update(kwargs)
    with pytest.raises(GraderBugError, match=phrase):
        stand_in(**arguments)


# ----------------------------------------------------------------------------
# autograder.hidden._common
# ----------------------------------------------------------------------------


def test_hidden_rng_prints_its_seed_and_replays_it(capsys):
    seed, rng = hidden.hidden_rng()
    printed = capsys.readouterr().out
    assert printed == f"hidden test, seed {seed}\n" and 0 <= seed < 2**32
    first = rng.standard_normal(3)
    again_seed, again = hidden.hidden_rng(seed)
    assert again_seed == seed
    np.testing.assert_array_equal(again.standard_normal(3), first)
    seeds = {hidden.hidden_rng()[0] for _ in range(5)}
    assert len(seeds) == 5  # fresh each time


def test_hidden_sizes_and_m_separate_mistakes():
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = hidden.hidden_m(rng, avoid=(5, 6, 7))
        assert m in hidden.SEPARATING_M and m not in (5, 6, 7)
    sizes = hidden.hidden_sizes(rng, trials=4, n_layers=2, n_out=1)
    assert len(sizes) == 4
    for layer_dims, m in sizes:
        checks.require_separating_sizes(layer_dims, m)
        assert layer_dims[-1] == 1 and len(layer_dims) == 3
    with pytest.raises(ValueError, match="every separating m"):
        hidden.hidden_m(rng, avoid=hidden.SEPARATING_M)


def test_hidden_where_appends_the_sizes():
    assert hidden.hidden_where("linear_backward", n=3, m=7) == "linear_backward (hidden test, n = 3, m = 7)"
    assert hidden.hidden_where("predict") == "predict (hidden test)"


def test_forbidden_calls_cover_the_oracles_and_the_shipped_test_helpers_but_not_contextlib():
    forbidden = hidden.forbidden_calls("numerical_gradient")
    assert all(oracle in forbidden for oracle in checks.ORACLES)
    assert _common.value_difference in forbidden and _common.stand_in in forbidden
    assert inspect.unwrap(_common.replaced) in forbidden
    assert not any(getattr(item, "__code__", None) is contextlib.contextmanager(lambda: None).__code__
                   for item in forbidden)
    assert "numerical_gradient" in forbidden
    assert len(forbidden) == len({item if isinstance(item, str) else id(item) for item in forbidden})


def test_call_hidden_fails_a_function_that_leans_on_a_shipped_test_helper_and_passes_an_honest_one():
    namespace = notebook(
        "import numpy as np\n"
        "from utils.testing._common import same_value\n"
        "def honest(x):\n    return np.sum(x)\n"
        "def leaning(x):\n    return float(same_value(x, x))\n"
    )
    assert hidden.call_hidden(namespace["honest"], np.ones(3)) == 3.0
    with pytest.raises(AssertionError, match="leaning called utils.testing._common"):
        hidden.call_hidden(namespace["leaning"], np.ones(3))
    with contextlib.suppress(AssertionError):
        hidden.call_hidden(namespace["leaning"], np.ones(3))
    assert namespace["same_value"] is _common.same_value  # the spy was removed again


# ---- recognising a test's own inputs ----------------------------------------------------------------


def test_match_case_finds_the_first_case_given_is_and_names_every_difference_otherwise():
    A, B = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    cases = {"a": {"X": A, "activation": "relu"}, "b": {"X": B}}
    assert _common.match_case({"X": A, "activation": "relu", "dZ": 7}, cases) == ("a", None)  # dZ is free
    assert _common.match_case({"X": B, "activation": "tanh"}, cases) == ("b", None)  # "b" does not name it
    assert _common.match_case({"X": B.copy()}, [{"X": A}, {"X": B}]) == (1, None)  # a list is keyed by index
    key, misses = _common.match_case({"X": A + 1, "activation": "sigmoid"}, cases)
    assert key is None
    assert misses == [["X has the test's shape (2, 3) but other values", "activation is 'sigmoid', not the test's 'relu'"],
                      ["X has the test's shape (2, 3) but other values"]]
    assert _common.match_case({"X": A}, {}) == (None, [])


def test_closest_miss_prefers_fewer_differences_then_settings_then_values_then_structures():
    A = np.arange(6.0).reshape(2, 3)
    relu = {"X": A, "activation": "relu"}
    sigmoid = {"X": A + 1, "activation": "sigmoid"}

    def closest(given, cases, *default):
        key, misses = _common.match_case(given, cases)
        assert key is None
        return _common.closest_miss(misses, *default)

    # one label differs, not two
    assert closest({"X": A + 1, "activation": "tanh"}, [relu, sigmoid]) == "activation is 'tanh', not the test's 'sigmoid'"
    # a setting before values, values before a shape, a type or a length; ties go to the first case
    assert closest({"X": A + 1, "activation": "relu"}, [{"activation": "tanh"}, relu]) == \
        "activation is 'relu', not the test's 'tanh'"
    assert closest({"X": A + 1}, [{"X": A.T}, {"X": A}]) == "X has the test's shape (2, 3) but other values"
    assert closest({"X": A.tolist()}, [{"X": A}, {"X": A + 1}]) == "X is a list, not the test's array of shape (2, 3)"
    assert closest({"c": (A, A)}, [{"c": (A, A, A)}, {"c": (A, A + 1)}]) == "c[1] has the test's shape (2, 3) but other values"
    assert closest({"c": (A, A.T)}, [{"c": (A, A)}, {"c": (A, A, A)}]) == "c[1] has shape (3, 2), not the test's (2, 3)"
    assert closest({"b": np.float64(0.5)}, [{"b": [0.4]}, {"b": 0.4}]) == "b is 0.5, not the test's 0.4"
    assert _common.closest_miss([]) == "no visible test has such inputs"
    assert _common.closest_miss([], "no visible test uses loss='mse'") == "no visible test uses loss='mse'"


@pytest.mark.parametrize("given, known, kind", [
    ("sigmoid", "relu", "setting"), (np.float64(0.5), 0.4, "setting"), (3, 4.0, "setting"), (True, False, "setting"),
    (np.ones((2, 3)), np.zeros((2, 3)), "values"), ([1.0, 2.0], [1.0, 3.0], "values"),
    ({"W": np.ones(2)}, {"W": np.zeros(2)}, "values"), ((np.ones(2), "relu"), (np.ones(2), "tanh"), "values"),
    (np.ones((3, 2)), np.ones((2, 3)), "structure"), ([1.0], (1.0,), "structure"), ((1.0,), (1.0, 2.0), "structure"),
    ({"W": 1}, {"b": 1}, "structure"), ("0.4", 0.4, "structure"), ((np.ones(3), 1), (np.ones(2), 1), "structure"),
])
def test_difference_kind_says_how_far_a_value_is_from_the_known_one(given, known, kind):
    assert value_difference(given, known) is not None
    assert _common.difference_kind(given, known) == kind


def test_changed_test_cell_fails_the_student_test_and_says_how_to_undo_it():
    with pytest.raises(AssertionError) as failure:
        _common.changed_test_cell("test_linear_backward", "dZ has shape (3, 2), not the test's (2, 3)")
    assert str(failure.value).splitlines() == [
        "test_linear_backward knows only the inputs its test cell builds: dZ has shape (3, 2), not the test's (2, 3).",
        "Likely reason: the test cell was edited. Test cells belong to the assignment, not to your answer: undo the "
        "change (a fresh copy of the assignment has the original cell)."]
