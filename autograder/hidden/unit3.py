"""Unit 3 (03_loss_vs_cost): the hidden tests (instructor-only; never shipped).

Each `test_<part>` function is the hidden half of one test cell of
03_loss_vs_cost:

    ### BEGIN HIDDEN TESTS
    from autograder.hidden import unit3 as hidden
    hidden.test_backward_two_layer_dW_db(backward_two_layer)
    ### END HIDDEN TESTS

It draws fresh inputs from a seed it prints: sizes that separate mistakes
and never the visible tests' m = 7 (so typing in the visible m, or the
visible sizes, fails here), every (loss, output) pair where a part takes
one (so typing in the default pair fails too). It puts the grader's
references below in place of the other graded functions the student's one
calls (through `replaced`, with the assignment's signatures, so keyword
calls work), runs the student's function with `call_hidden` (which fails it
if it calls a finite-difference oracle, utils.autodiff or anything in
utils.testing), and checks the result with the visible module's checks and
mistake names (utils.testing.unit3), so the feedback reads the same.

Public API
----------
SIGNATURES                                   the assignment's def lines (utils.testing.unit3's)
reference_dAL_loss_convention, reference_dAL_cost_convention, reference_backward_two_layer
                                             the grader's answers (exact signatures; analytic, no oracle)
recording_backward_two_layer(calls)          reference_backward_two_layer that appends each call's arguments
test_dcost_dlosses(dcost_dlosses)
test_dAL_loss_convention(dAL_loss_convention, loss), test_dAL_cost_convention(dAL_cost_convention, loss)
test_backward_two_layer_dW_db(backward_two_layer)
test_backward_two_layer_intermediates(backward_two_layer, convention)
test_backward_two_layer_squared_error(backward_two_layer)
test_average_of_example_gradients(average_of_example_gradients)
Each test function also takes seed=None (replay a student's failure with the printed seed).
"""

import numpy as np

from autograder.hidden._common import call_hidden, forbidden_calls, hidden_m, hidden_rng, hidden_sizes, hidden_where
from utils.activations import derivative
from utils.testing import unit3

SIGNATURES = unit3.SIGNATURES
#: Fresh problems per check.
TRIALS = 2
#: The pair that backward_two_layer and average_of_example_gradients default to (and the Part 3 tests use).
DEFAULT_PAIR = ("cross_entropy", "sigmoid")


# ----------------------------------------------------------------------------
# References (the assignment's signatures; never shipped)
# ----------------------------------------------------------------------------


def reference_dAL_loss_convention(AL, Y, loss, half=False):
    """dL/dAL, column i = dL(i)/da(i): (A - Y) / (A (1 - A)) for cross-entropy, (2 or 1) (A - Y) for mse."""
    if loss == "cross_entropy":
        return (AL - Y) / (AL * (1.0 - AL))
    if loss == "mse":
        return (1.0 if half else 2.0) * (AL - Y)
    raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {loss!r}")


def reference_dAL_cost_convention(AL, Y, loss, half=False):
    """dJ/dAL = dL/dAL / m."""
    return reference_dAL_loss_convention(AL, Y, loss, half) / AL.shape[1]


def reference_backward_two_layer(AL, Y, caches, loss="cross_entropy", output="sigmoid", convention="loss"):
    """The eight gradients of the relu -> output network, with the 1/m where `convention` puts it."""
    (X, _, _), Z1 = caches[0]
    (A1, W2, _), Z2 = caches[1]
    m = AL.shape[1]
    top, bottom = (1.0, 1.0 / m) if convention == "loss" else (1.0 / m, 1.0)
    dA2 = reference_dAL_loss_convention(AL, Y, loss) * top
    dZ2 = dA2 * derivative(output)(Z2)
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (Z1 > 0)
    return {"dA2": dA2, "dZ2": dZ2, "dW2": bottom * (dZ2 @ A1.T), "db2": bottom * dZ2.sum(axis=1, keepdims=True),
            "dA1": dA1, "dZ1": dZ1, "dW1": bottom * (dZ1 @ X.T), "db1": bottom * dZ1.sum(axis=1, keepdims=True)}


def recording_backward_two_layer(calls):
    """reference_backward_two_layer, with the assignment's signature, appending each call's arguments to `calls`.

    A call without any example (AL of shape (n_2, 0)) returns zeros; check_one_example_calls names it afterwards.
    """
    def backward_two_layer(AL, Y, caches, loss="cross_entropy", output="sigmoid", convention="loss"):
        calls.append({"AL": AL, "Y": Y, "caches": caches, "loss": loss, "output": output, "convention": convention})
        if np.shape(AL)[1:] == (0,):  # no example (a loop past the last column): named after the run
            return {key: np.zeros_like(value) for key, value in (("dW1", caches[0][0][1]), ("db1", caches[0][0][2]),
                                                                 ("dW2", caches[1][0][1]), ("db2", caches[1][0][2]))}
        return reference_backward_two_layer(AL, Y, caches, loss, output, convention)
    return backward_two_layer


PART2_REFERENCES = {"dAL_loss_convention": reference_dAL_loss_convention,
                    "dAL_cost_convention": reference_dAL_cost_convention}


# ----------------------------------------------------------------------------
# Fresh inputs
# ----------------------------------------------------------------------------


def _runner():
    """run(function, *args, name=..., **kwargs): call_hidden with the forbidden list computed once."""
    forbidden = forbidden_calls()

    def run(function, *args, name=None, **kwargs):
        return call_hidden(function, *args, forbidden=forbidden, name=name, **kwargs)

    return run


def _seed(rng):
    return int(rng.integers(2**31))


def _fresh_m(rng, avoid=()):
    """A separating m that is not the visible tests' m (nor any of `avoid`)."""
    return hidden_m(rng, avoid=(unit3.VISIBLE_M, *avoid))


def _two_layer_sizes(rng, loss):
    """((n_x, n_1, n_2), m): separating sizes (n_2 = 1 for cross-entropy), m never the visible m."""
    while True:
        (sizes,) = hidden_sizes(rng, trials=1, n_layers=2, n_out=1 if loss == "cross_entropy" else None)
        if sizes.m != unit3.VISIBLE_M:
            return tuple(sizes.layer_dims), sizes.m


def _two_layer(rng, loss, output):
    """(X, Y, params, AL, caches) of a fresh network and its sizes {"n_x", "n_1", "n_2", "m"} (printed)."""
    layer_dims, m = _two_layer_sizes(rng, loss)
    X, Y, params, AL, caches = unit3.two_layer_problem(_seed(rng), loss, output, layer_dims, m)
    sizes = dict(zip(("n_x", "n_1", "n_2"), layer_dims), m=m)
    print(f"hidden network: loss={loss!r}, output={output!r}, " + ", ".join(f"{k} = {v}" for k, v in sizes.items()))
    return (X, Y, params, AL, caches), sizes


def _typed_in(expected, m, source):
    """{HARD_CODED_M: value}: what typing in the visible m gives instead of this test's m.

    expected: the right array, or {key: array} (then the value is a dict too); source: where m comes from.
    """
    scale = m / unit3.VISIBLE_M
    value = ({key: expected[key] * scale for key in unit3.PARAMETER_KEYS} if isinstance(expected, dict)
             else expected * scale)
    return {unit3.HARD_CODED_M.format(typed=unit3.VISIBLE_M, m=m, source=source): value}


# ----------------------------------------------------------------------------
# Parts 1 and 2
# ----------------------------------------------------------------------------


def test_dcost_dlosses(dcost_dlosses, seed=None):
    """dcost_dlosses on fresh rows of losses (m never 7)."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for _ in range(TRIALS):
        m = _fresh_m(rng)
        L = unit3.losses_problem(_seed(rng), m) * rng.uniform(0.5, 2.0)
        dL = run(dcost_dlosses, L.copy(), name="dcost_dlosses")
        expected = np.full((1, m), 1.0 / m)
        unit3.check_dcost_dlosses(dL, expected, m, suspects=_typed_in(expected, m, "L"),
                                  where=hidden_where("dcost_dlosses: J is the mean of the m losses", m=m))


def _output_cases(rng, loss):
    """[(AL, Y, half, sizes)]: fresh outputs; for mse each draw with half=False and half=True."""
    cases = []
    for _ in range(TRIALS):
        m = _fresh_m(rng)
        n_L = 1 if loss == "cross_entropy" else int(rng.choice([n for n in (1, 2, 3, 5, 6) if n != m]))
        AL, Y = unit3.output_problem(_seed(rng), loss, n_L, m)
        for half in ((False,) if loss == "cross_entropy" else (False, True)):
            cases.append((AL, Y, half, {"n_L": n_L, "m": m}))
    return cases


def test_dAL_loss_convention(dAL_loss_convention, loss, seed=None):
    """dAL_loss_convention's `loss` branch on fresh outputs (m never 7; for mse several n_L, both halves)."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for AL, Y, half, sizes in _output_cases(rng, loss):
        per_example = reference_dAL_loss_convention(AL, Y, loss, half)
        result = unit3.run_dAL(dAL_loss_convention, AL, Y, loss, half, run=run)
        unit3.check_dAL(result, per_example, AL, Y, loss, half, "loss",
                        where=hidden_where(f"the {loss} branch of dAL_loss_convention", **sizes))


def test_dAL_cost_convention(dAL_cost_convention, loss, seed=None):
    """dAL_cost_convention's `loss` case on fresh outputs, the reference dAL_loss_convention underneath."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for AL, Y, half, sizes in _output_cases(rng, loss):
        per_example = reference_dAL_loss_convention(AL, Y, loss, half)
        result = unit3.run_dAL(dAL_cost_convention, AL, Y, loss, half,
                               dAL_loss_convention=reference_dAL_loss_convention, run=run)
        unit3.check_dAL(result, per_example, AL, Y, loss, half, "cost",
                        suspects=_typed_in(per_example / sizes["m"], sizes["m"], "AL"),
                        where=hidden_where(f"the {loss} case of dAL_cost_convention", **sizes))


# ----------------------------------------------------------------------------
# Part 3
# ----------------------------------------------------------------------------


def test_backward_two_layer_dW_db(backward_two_layer, seed=None):
    """dW, db of backward_two_layer (sigmoid + cross-entropy) in both conventions, on fresh networks."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for _ in range(TRIALS):
        (X, Y, params, AL, caches), sizes = _two_layer(rng, *DEFAULT_PAIR)
        m = sizes["m"]
        expected = reference_backward_two_layer(AL, Y, caches, *DEFAULT_PAIR, convention="cost")
        grads = {}
        for convention in ("loss", "cost"):
            print(f"convention={convention!r}:")
            grads[convention] = unit3.run_backward_two_layer(backward_two_layer, AL, Y, caches, *DEFAULT_PAIR,
                                                             convention, PART2_REFERENCES, run=run)
            unit3.check_parameter_gradients(
                grads[convention], expected, m, convention, caches, suspects=_typed_in(expected, m, "AL"),
                where=hidden_where(f"the dW and db lines of backward_two_layer with convention={convention!r}",
                                   **sizes))
        unit3.check_conventions_agree(grads["loss"], grads["cost"], m)


def test_backward_two_layer_intermediates(backward_two_layer, convention, seed=None):
    """dA2, dZ2, dA1, dZ1 of backward_two_layer (sigmoid + cross-entropy) in `convention`, on fresh networks."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for _ in range(TRIALS):
        (X, Y, params, AL, caches), sizes = _two_layer(rng, *DEFAULT_PAIR)
        expected = reference_backward_two_layer(AL, Y, caches, *DEFAULT_PAIR, convention="cost")
        grads = unit3.run_backward_two_layer(backward_two_layer, AL, Y, caches, *DEFAULT_PAIR, convention,
                                             PART2_REFERENCES, run=run)
        unit3.check_intermediates(grads, expected, sizes["m"], convention, caches, DEFAULT_PAIR[1],
                                  where=hidden_where(unit3.declared_convention(convention), **sizes))


def test_backward_two_layer_squared_error(backward_two_layer, seed=None):
    """backward_two_layer with squared error, linear and sigmoid outputs, both conventions, on fresh networks."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for output in ("linear", "sigmoid"):
        (X, Y, params, AL, caches), sizes = _two_layer(rng, "mse", output)
        m = sizes["m"]
        expected = reference_backward_two_layer(AL, Y, caches, "mse", output, convention="cost")
        for convention in ("loss", "cost"):
            print(f"output={output!r}, squared error, convention={convention!r}:")
            grads = unit3.run_backward_two_layer(backward_two_layer, AL, Y, caches, "mse", output, convention,
                                                 PART2_REFERENCES, run=run)
            unit3.check_squared_error(grads, expected, AL, Y, caches, output, convention,
                                      suspects=_typed_in(expected, m, "AL"))


# ----------------------------------------------------------------------------
# Part 4
# ----------------------------------------------------------------------------


def test_average_of_example_gradients(average_of_example_gradients, seed=None):
    """average_of_example_gradients for every (loss, output) pair on fresh batches, the reference underneath."""
    _, rng = hidden_rng(seed)
    run = _runner()
    for loss, output in unit3.PAIRS:
        (X, Y, params, AL, caches), sizes = _two_layer(rng, loss, output)
        m = sizes["m"]
        calls = []
        grads = unit3.run_average(average_of_example_gradients, X, Y, params, loss, output,
                                  recording_backward_two_layer(calls), run=run)
        unit3.check_one_example_calls(calls, X, Y, params, loss, output)
        expected = reference_backward_two_layer(AL, Y, caches, loss, output)
        unit3.check_average(grads, expected, m, suspects=_typed_in(expected, m, "X"))
