"""Unit 3, loss L versus cost J: the logic behind the visible tests of 03_loss_vs_cost, written once.

Each `test_<part>` function grades one test cell: it runs the student's
function (passed in, never looked up by name) on the inputs the cell shows,
checks what the part's instructions promise, prints one line per checked
tensor, and raises AssertionError with the diagnosis (what is wrong, the
likely reason, where to look) at the first problem.

    from utils.testing import unit3
    X, Y, params, AL, caches = unit3.two_layer_problem(seed=331, loss="cross_entropy", output="sigmoid")
    unit3.test_backward_two_layer_dW_db(backward_two_layer, AL, Y, caches, loss="cross_entropy", output="sigmoid")

Shapes, in the course's notation: examples are columns; L is the row of
per-example losses (1, m) and J = (1/m) sum_i L(i) a float; AL and Y are
(n_2, m) (n_2 = 1 for cross-entropy); X is (n_x, m), W1 (n_1, n_x), b1
(n_1, 1), W2 (n_2, n_1), b2 (n_2, 1); a layer cache is ((A_prev, W, b), Z)
and `caches` is the list [cache of layer 1, cache of layer 2] that
utils.forward.model_forward returns.

The two conventions (the unit's subject): "loss" puts the 1/m in every dW
and db, so dA and dZ are per-example derivatives dL(i)/d(.)(i); "cost"
applies it once at the top, dA2 = dJ/dA2, so every dA and dZ below is a
true gradient of J and dW, db need no further 1/m. dW and db are the same
in both.

Where the expected values come from. Nothing here computes a graded answer
for inputs other than its own tests': the test functions, the stand-ins and
the expected values know only the visible tests' problems (LOSSES_SEEDS,
OUTPUT_PROBLEMS, TWO_LAYER_PROBLEMS), and refuse anything else. Expected
values are finite differences (utils.gradcheck) of J for those problems,
never a backward formula. While a function is graded, the other graded
functions it calls are stand-ins (utils.testing._common.stand_in) that
answer only this test's calls, so each mistake costs its own part's points:

- dAL_cost_convention and backward_two_layer see stand-ins for
  dAL_loss_convention / dAL_cost_convention (dAL_stand_in);
- average_of_example_gradients sees a stand-in for backward_two_layer that
  knows each one-example gradient of the test's batch (one_example_stand_in).

The checks, suspect builders and mistake descriptions below are shared with
the instructor's hidden tests, which feed them the
grader's references and fresh inputs, so a mistake reads the same in both.

Public API
----------
SIGNATURES, RULES                               the assignment's def lines; the rules the stand-ins enforce
losses_problem(seed, m=7)                       L (1, m)
output_problem(seed, loss, n_L=1, m=7)          (AL, Y), each (n_L, m)
two_layer_problem(seed, loss, output, layer_dims=(5, 3, 1), m=7)   (X, Y, params, AL, caches)
test_dcost_dlosses(dcost_dlosses, L)                                   Part 1
test_dAL_loss_convention(dAL_loss_convention, AL, Y, loss, half=False) Part 2
test_dAL_cost_convention(dAL_cost_convention, AL, Y, loss, half=False) Part 2
test_backward_two_layer_dW_db(backward_two_layer, AL, Y, caches, loss, output)            Part 3
test_backward_two_layer_intermediates(backward_two_layer, AL, Y, caches, loss, output, convention)
test_backward_two_layer_squared_error(backward_two_layer, AL, Y, caches, output)
test_average_of_example_gradients(average_of_example_gradients, X, Y, params, loss, output)  Part 4
dAL_stand_in(name, AL, Y, loss, half=False)     stand-in for a Part 2 function (visible problems only)
one_example_stand_in(X, Y, params, loss, output)  stand-in for backward_two_layer (visible problems only)

Shared with the hidden tests: run_dAL, run_backward_two_layer, run_average (the
student's function with the other parts replaced), check_dcost_dlosses, check_dAL,
check_parameter_gradients, check_conventions_agree, check_intermediates,
check_squared_error, check_average, check_one_example_call, check_one_example_calls;
one_over_m_suspects, hidden_layer_suspects, declared_convention and the mistake descriptions (SUM_OF_LOSSES,
COST_IN_LOSS, LOSS_IN_COST, LOG_MINUS, FACTOR_2_MISSING, HALF_KEEPS_2, SIGN_FLIPPED,
SUMMED, HARD_CODED_M, RELU_DROPPED, RELU_NOT_DERIVATIVE, SIGMOID_IN_HIDDEN).
"""

import copy

import numpy as np

from utils.activations import activation as activation_function
from utils.activations import relu, sigmoid_derivative
from utils.checks import (
    NUMERICAL_ATOL,
    NUMERICAL_RTOL,
    activation_suspects,
    check_array,
    check_gradients,
    run_student,
)
from utils.forward import model_forward
from utils.gradcheck import numerical_gradient, numerical_gradients
from utils.initialization import initialize_parameters
from utils.losses import binary_cross_entropy_loss, cost_from_losses, squared_error_loss
from utils.testing._common import (
    changed_test_cell,
    closest_miss,
    match_case,
    replaced,
    replaced_all,
    stand_in,
    value_difference,
)

__all__ = [
    "COST_IN_LOSS",
    "FACTOR_2_MISSING",
    "HALF_KEEPS_2",
    "HARD_CODED_M",
    "INTERMEDIATE_KEYS",
    "LOG_MINUS",
    "LOSS_IN_COST",
    "OUTPUT_PROBLEMS",
    "PAIRS",
    "PARAMETER_KEYS",
    "RELU_DROPPED",
    "RELU_NOT_DERIVATIVE",
    "RULES",
    "SIGNATURES",
    "SIGMOID_IN_HIDDEN",
    "SIGN_FLIPPED",
    "SUMMED",
    "SUM_OF_LOSSES",
    "TWO_LAYER_PROBLEMS",
    "VISIBLE_M",
    "check_average",
    "check_conventions_agree",
    "check_dAL",
    "check_dcost_dlosses",
    "check_intermediates",
    "check_one_example_call",
    "check_one_example_calls",
    "check_parameter_gradients",
    "check_squared_error",
    "dAL_stand_in",
    "declared_convention",
    "hidden_layer_suspects",
    "losses_problem",
    "one_example_stand_in",
    "one_over_m_suspects",
    "output_problem",
    "run_average",
    "run_backward_two_layer",
    "run_dAL",
    "test_average_of_example_gradients",
    "test_backward_two_layer_dW_db",
    "test_backward_two_layer_intermediates",
    "test_backward_two_layer_squared_error",
    "test_dAL_cost_convention",
    "test_dAL_loss_convention",
    "test_dcost_dlosses",
    "two_layer_problem",
]

#: The assignment's def lines (the course's test suite compares them with the instructor's solutions).
SIGNATURES = {
    "dcost_dlosses": "(L)",
    "dAL_loss_convention": "(AL, Y, loss, half=False)",
    "dAL_cost_convention": "(AL, Y, loss, half=False)",
    "backward_two_layer": "(AL, Y, caches, loss='cross_entropy', output='sigmoid', convention='loss')",
    "average_of_example_gradients": "(X, Y, params, loss='cross_entropy', output='sigmoid')",
}

#: The rules the stand-ins rely on; the assignment states each one where the student reads (Parts 2, 3 and 4).
RULES = {
    "dAL": "call dAL_loss_convention and dAL_cost_convention with the AL and Y your function was given, unchanged, "
           "and the same loss (and half); backward_two_layer uses half=False",
    "one_example": "call backward_two_layer once per example i, on that one example: the AL and caches that "
                   "model_forward(X[:, i:i+1], params, hidden=\"relu\", output=output) returns, Y[:, i:i+1], and "
                   "the loss and output average_of_example_gradients was given",
}

#: The number of examples of every visible test (the hidden tests never use it).
VISIBLE_M = 7
#: (loss, output) pairs backward_two_layer and average_of_example_gradients accept.
PAIRS = (("cross_entropy", "sigmoid"), ("mse", "linear"), ("mse", "sigmoid"))
PARAMETER_KEYS = ("dW1", "db1", "dW2", "db2")
INTERMEDIATE_KEYS = ("dA2", "dZ2", "dA1", "dZ1")

#: The visible tests' own problems; the test functions and stand-ins know these and nothing else.
LOSSES_SEEDS = (301,)
#: {seed: (loss, n_L)} for output_problem (m = VISIBLE_M).
OUTPUT_PROBLEMS = {311: ("cross_entropy", 1), 312: ("cross_entropy", 1), 321: ("mse", 3), 322: ("mse", 3)}
#: {seed: (loss, output, layer_dims)} for two_layer_problem (m = VISIBLE_M).
TWO_LAYER_PROBLEMS = {
    331: ("cross_entropy", "sigmoid", (5, 3, 1)),
    341: ("cross_entropy", "sigmoid", (5, 3, 1)),
    342: ("cross_entropy", "sigmoid", (5, 3, 1)),
    351: ("mse", "linear", (5, 3, 2)),
    352: ("mse", "sigmoid", (5, 3, 2)),
    361: ("cross_entropy", "sigmoid", (5, 3, 1)),
    362: ("mse", "linear", (5, 3, 2)),
}

# ----------------------------------------------------------------------------
# Typical mistakes, named once (the hidden tests use the same words)
# ----------------------------------------------------------------------------

SUM_OF_LOSSES = "every entry is 1: that is the gradient of the SUM of the losses, not of their mean J"
HARD_CODED_M = ("the number of examples was typed in as {typed}, the visible tests' m; this test has m = {m}: "
                "take it from the inputs ({source}.shape[1])")
COST_IN_LOSS = "this is the cost convention's dJ/dA (divided by m); the loss convention has no 1/m"
LOSS_IN_COST = "this is the loss convention's dL/dA: the cost convention divides it by m"
LOG_MINUS = "the derivative of log(1 - a) lost its minus sign: it is -1/(1 - a)"
FACTOR_2_MISSING = ("the factor 2 from differentiating (A - Y)**2 is missing (utils' squared error has no 1/2 "
                    "unless half=True)")
HALF_KEEPS_2 = "with half=True the 1/2 cancels the 2 from differentiating the square; yours still has the 2"
SIGN_FLIPPED = "the sign is flipped: it is (A - Y), not (Y - A): the loss grows when A moves away from Y"
SUMMED = "the one-example gradients were summed, not averaged: the gradient of J = (1/m) sum L is their MEAN"
_A_MINUS_Y_LINEAR = ("dZ2 = A2 - Y drops the factor 2: with a linear output and squared error WITHOUT the 1/2, "
                     "dZ2 = 2 (A2 - Y) per example")
_A_MINUS_Y_SIGMOID = ("dZ2 = A2 - Y is the shortcut for matched pairs (sigmoid + cross-entropy, softmax + "
                      "cross-entropy, identity + squared error); with a sigmoid output and squared error it is "
                      "wrong: dZ2 = dA2 * sigmoid'(Z2)")
_TWICE_A_MINUS_Y = "dZ2 = 2 (A2 - Y): the factor sigmoid'(Z2) is missing (the output is not linear)"
#: Typical mistakes in dZ1 = dA1 * relu'(Z1), the hidden layer's step.
RELU_DROPPED = "the factor relu'(Z1) was dropped: dA1 was passed on as dZ1 (dZ1 = dA1 * relu'(Z1))"
RELU_NOT_DERIVATIVE = "relu(Z1) was used where its derivative relu'(Z1) belongs (dZ1 = dA1 * relu'(Z1))"
SIGMOID_IN_HIDDEN = ("the hidden layer used sigmoid'(Z1), the output layer's derivative, where relu'(Z1) belongs: "
                     "the hidden layer is relu whatever the output is (derivative(\"relu\"))")


def one_over_m_suspects(expected, m, convention):
    """{mistake: {key: value}} for dW1, db1, dW2, db2 with the 1/m missing or applied twice, in this convention.

    expected: {key: the right gradient} (at least PARAMETER_KEYS); m: the number of examples.
    """
    if convention == "loss":
        missing = ("the 1/m is missing: in the loss convention dA2 = dL/dA has no 1/m, "
                   "so every dW and db must divide by m")
        doubled = ("the 1/m is applied twice: dA2 already carries a 1/m (the cost convention's dAL) "
                   "and dW, db divide by m again")
    else:
        missing = ("the 1/m is missing: in the cost convention it is applied once at the top, "
                   "dA2 = dJ/dA = (dL/dA) / m (use dAL_cost_convention)")
        doubled = ("the 1/m is applied twice: in the cost convention dA2 = dJ/dA already carries the 1/m, "
                   "so dW and db must not divide by m again")
    return {missing: {key: m * expected[key] for key in PARAMETER_KEYS},
            doubled: {key: expected[key] / m for key in PARAMETER_KEYS}}


def hidden_layer_suspects(dA1, caches, m, convention):
    """{mistake: {"dW1", "db1", "dZ1"}} for the typical mistakes in dZ1 = dA1 * relu'(Z1).

    dA1: the right dJ/dA1 (the cost convention's, (n_1, m)); caches: the problem's caches (X and Z1 are read);
    dZ1 is given in `convention` (m times larger for "loss"); dW1 and db1 are the same in both.
    """
    X, Z1 = caches[0][0][0], caches[0][1]
    wrong = {RELU_DROPPED: dA1, RELU_NOT_DERIVATIVE: dA1 * relu(Z1), SIGMOID_IN_HIDDEN: dA1 * sigmoid_derivative(Z1)}
    scale = float(m) if convention == "loss" else 1.0
    return {text: {"dW1": dZ1 @ X.T, "db1": dZ1.sum(axis=1, keepdims=True), "dZ1": dZ1 * scale}
            for text, dZ1 in wrong.items()}


def declared_convention(convention):
    """Where to look when dA, dZ do not follow the convention backward_two_layer was called with."""
    if convention == "loss":
        return ("backward_two_layer was called with convention='loss': dA2 must be dL/dA from dAL_loss_convention "
                "(no 1/m), and dZ2, dA1, dZ1 follow from it without any 1/m")
    return ("backward_two_layer was called with convention='cost': dA2 must be dJ/dA from dAL_cost_convention "
            "(with the 1/m), and dZ2, dA1, dZ1 carry that 1/m")


# ----------------------------------------------------------------------------
# Problems (inputs only; any seed and size)
# ----------------------------------------------------------------------------


def losses_problem(seed, m=VISIBLE_M):
    """L: (1, m) per-example losses, uniform in [0.1, 2), drawn from np.random.default_rng(seed)."""
    return np.random.default_rng(seed).uniform(0.1, 2.0, size=(1, m))


def output_problem(seed, loss, n_L=1, m=VISIBLE_M):
    """(AL, Y), each (n_L, m), drawn from np.random.default_rng(seed).

    loss "cross_entropy": n_L = 1, AL probabilities in [0.05, 0.95], Y 0/1 labels with both present.
    loss "mse": AL and Y standard normal.
    """
    rng = np.random.default_rng(seed)
    if loss == "cross_entropy":
        if n_L != 1:
            raise ValueError(f"binary cross-entropy has one output unit, got n_L = {n_L}")
        AL = rng.uniform(0.05, 0.95, size=(1, m))
        Y = (rng.uniform(size=(1, m)) < 0.5).astype(float)
        Y[0, rng.permutation(m)[:2]] = (0.0, 1.0)  # both labels occur
        return AL, Y
    if loss == "mse":
        return rng.standard_normal((n_L, m)), rng.standard_normal((n_L, m))
    raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {loss!r}")


def two_layer_problem(seed, loss="cross_entropy", output="sigmoid", layer_dims=(5, 3, 1), m=VISIBLE_M):
    """(X, Y, params, AL, caches) of a relu -> `output` network, drawn from `seed`; relu kinks avoided.

    layer_dims: (n_x, n_1, n_2); n_2 = 1 for cross-entropy.
    X (n_x, m) standard normal; params {"W1": (n_1, n_x), "b1": (n_1, 1), "W2": (n_2, n_1), "b2": (n_2, 1)};
    AL, caches = model_forward(X, params, hidden="relu", output=output), so every |Z1| > 1e-3 and, for a
    sigmoid output, AL is in (0.02, 0.98); Y (n_2, m): 0/1 labels for cross-entropy, uniform in [0, 1)
    for a sigmoid output with squared error, standard normal for a linear output.
    """
    if (loss, output) not in PAIRS:
        raise ValueError(f"(loss, output) must be one of {PAIRS}, got {(loss, output)}")
    n_x, n_1, n_2 = layer_dims
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    for attempt in range(100):
        params = initialize_parameters([n_x, n_1, n_2], seed=seed + attempt, scale="xavier")
        params["b1"] = rng.uniform(-0.3, 0.3, size=(n_1, 1))
        params["b2"] = rng.uniform(-0.3, 0.3, size=(n_2, 1))
        AL, caches = model_forward(X, params, hidden="relu", output=output)
        if np.abs(caches[0][1]).min() > 1e-3 and (output != "sigmoid" or (AL.min() > 0.02 and AL.max() < 0.98)):
            break
    if loss == "cross_entropy":
        Y = (rng.uniform(size=(n_2, m)) < 0.5).astype(float)
    elif output == "sigmoid":
        Y = rng.uniform(size=(n_2, m))
    else:
        Y = rng.standard_normal((n_2, m))
    return X, Y, params, AL, caches


# ----------------------------------------------------------------------------
# The visible problems, recognised (and their expected values, by finite differences)
# ----------------------------------------------------------------------------


def _known(test, given, candidates, none_left="no visible test has such inputs"):
    """The key of the candidate {label: value} that `given` {label: value} is; else the test cell was changed."""
    key, misses = match_case(given, candidates)
    if key is None:
        changed_test_cell(test, closest_miss(misses, none_left))
    return key


def _known_losses(test, L):
    return _known(test, {"L": L}, {seed: {"L": losses_problem(seed)} for seed in LOSSES_SEEDS})


def _known_output(test, AL, Y, loss):
    """The seed of the visible output problem (AL, Y) with this loss; includes the two-layer problems' (AL, Y)."""
    candidates = {("output", seed): dict(zip(("AL", "Y"), output_problem(seed, kind, n_L)))
                  for seed, (kind, n_L) in OUTPUT_PROBLEMS.items() if kind == loss}
    candidates.update({("two_layer", seed): {"AL": problem[3], "Y": problem[1]}
                       for seed, (kind, _, _) in TWO_LAYER_PROBLEMS.items() if kind == loss
                       for problem in [_two_layer(seed)]})
    return _known(test, {"AL": AL, "Y": Y}, candidates, f"no visible test uses loss={loss!r}")


def _two_layer(seed):
    loss, output, layer_dims = TWO_LAYER_PROBLEMS[seed]
    return two_layer_problem(seed, loss, output, layer_dims)


def _known_two_layer(test, given, labels, loss, output):
    """The seed of the visible two-layer problem whose inputs `labels` (names from two_layer_problem) are `given`."""
    order = ("X", "Y", "params", "AL", "caches")
    candidates = {seed: {label: _two_layer(seed)[order.index(label)] for label in labels}
                  for seed, (kind, out, _) in TWO_LAYER_PROBLEMS.items() if (kind, out) == (loss, output)}
    return _known(test, dict(zip(labels, given)), candidates,
                  f"no visible test uses loss={loss!r} with output={output!r}")


def _loss_function(loss, half=False):
    if loss == "cross_entropy":
        return binary_cross_entropy_loss
    return lambda A, Y: squared_error_loss(A, Y, half=half)


def _output_cost_gradient(key, half=False):
    """dJ/dAL by finite differences of J = cost_from_losses(loss(AL, Y)) for the visible problem `key`."""
    kind, seed = key
    if kind == "output":
        loss, n_L = OUTPUT_PROBLEMS[seed]
        AL, Y = output_problem(seed, loss, n_L)
    else:
        loss = TWO_LAYER_PROBLEMS[seed][0]
        _, Y, _, AL, _ = _two_layer(seed)
    losses = _loss_function(loss, half)
    return numerical_gradient(lambda A: cost_from_losses(losses(A, Y)), AL.copy())


def _two_layer_gradients(seed):
    """{key: dJ/d(key)} for the visible two-layer problem `seed`: every gradient of J, by finite differences.

    The cost convention's values: dW1, db1, dW2, db2, and dA2, dZ2, dA1, dZ1 as true gradients of J.
    """
    loss, output, _ = TWO_LAYER_PROBLEMS[seed]
    X, Y, params, AL, caches = _two_layer(seed)
    losses = _loss_function(loss)
    g_out, g_hidden = activation_function(output), activation_function("relu")
    (_, _, _), Z1 = caches[0]
    (A1, W2, b2), Z2 = caches[1]

    def J(A2):
        return cost_from_losses(losses(A2, Y))

    true = {"d" + key: value for key, value in
            numerical_gradients(lambda p: J(model_forward(X, p, hidden="relu", output=output)[0]), params).items()}
    true["dA2"] = numerical_gradient(J, AL.copy())
    true["dZ2"] = numerical_gradient(lambda Z: J(g_out(Z)), Z2.copy())
    true["dA1"] = numerical_gradient(lambda A: J(g_out(W2 @ A + b2)), A1.copy())
    true["dZ1"] = numerical_gradient(lambda Z: J(g_out(W2 @ g_hidden(Z) + b2)), Z1.copy())
    return true


def _one_example_gradients(seed):
    """[{dW1, db1, dW2, db2} of example i's own cost], i = 0 .. m-1, for the visible two-layer problem `seed`.

    By finite differences of each one-example cost.
    """
    loss, output, _ = TWO_LAYER_PROBLEMS[seed]
    X, Y, params, _, _ = _two_layer(seed)
    losses = _loss_function(loss)
    found = []
    for i in range(X.shape[1]):
        x, y = X[:, i:i + 1], Y[:, i:i + 1]

        def cost(p, x=x, y=y):
            return cost_from_losses(losses(model_forward(x, p, hidden="relu", output=output)[0], y))

        found.append({"d" + key: value for key, value in numerical_gradients(cost, params).items()})
    return found


# ----------------------------------------------------------------------------
# Stand-ins (visible problems only)
# ----------------------------------------------------------------------------

_PART2 = ("dAL_loss_convention", "dAL_cost_convention")


def dAL_stand_in(name, AL, Y, loss, half=False):
    """A stand-in for dAL_loss_convention or dAL_cost_convention (`name`) that knows one visible test's AL and Y.

    It answers dL/dA (loss convention, m * dJ/dA) or dJ/dA (cost convention), worked out by finite
    differences of J, for the call (AL, Y, loss, half) only, and refuses every other call with RULES["dAL"].
    AL, Y must be one of the visible tests' own (AssertionError otherwise).
    """
    if name not in _PART2:
        raise ValueError(f"name must be one of {_PART2}, got {name!r}")
    key = _known_output(f"the stand-in for {name}", AL, Y, loss)
    dJ_dA = _output_cost_gradient(key, half)
    answer = dJ_dA * AL.shape[1] if name == "dAL_loss_convention" else dJ_dA
    case = {"AL": AL.copy(), "Y": Y.copy(), "loss": loss, "half": bool(half)}
    return stand_in(name, SIGNATURES, cases=[case], answer=[answer], rule=RULES["dAL"])


def _dAL_stand_ins(AL, Y, loss):
    """{name: stand-in} for both Part 2 functions, for backward_two_layer's call (half=False)."""
    return {name: dAL_stand_in(name, AL, Y, loss) for name in _PART2}


def one_example_stand_in(X, Y, params, loss, output):
    """A stand-in for backward_two_layer that knows the one-example gradients of one visible test's batch.

    Called on example i of X, Y (see RULES["one_example"]), it returns {dW1, db1, dW2, db2} of that
    example's own cost, worked out by finite differences (the same in both conventions: m = 1). A call
    with a batch, another loss or output, or inputs that are not one of the test's examples is refused.
    Its `calls` attribute lists every call's arguments (check_one_example_calls reads them).
    """
    seed = _known_two_layer("the stand-in for backward_two_layer", (X, Y, params), ("X", "Y", "params"), loss, output)
    gradients = _one_example_gradients(seed)

    def answer(_, arguments):
        i = check_one_example_call(arguments, X, Y, params, loss, output)
        return {key: value.copy() for key, value in gradients[i].items()}

    return stand_in("backward_two_layer", SIGNATURES, cases=[{"loss": loss, "output": output}], answer=answer,
                    rule=RULES["one_example"])


# ----------------------------------------------------------------------------
# Running the student's function with the other parts replaced (shared with the hidden tests)
# ----------------------------------------------------------------------------


def run_dAL(function, AL, Y, loss, half=False, dAL_loss_convention=None, run=run_student):
    """function(AL, Y, loss[, half=half]) on copies; half is passed for "mse" only.

    dAL_loss_convention: what the global of that name is while it runs (for dAL_cost_convention), or None.
    run: run(function, *args, name=..., **kwargs), run_student or the hidden tests' watched call.
    """
    name = getattr(function, "__name__", "dAL")
    keywords = {"half": half} if loss == "mse" else {}
    if dAL_loss_convention is None:
        return run(function, AL.copy(), Y.copy(), loss, name=name, **keywords)
    with replaced(function, "dAL_loss_convention", dAL_loss_convention, SIGNATURES):
        return run(function, AL.copy(), Y.copy(), loss, name=name, **keywords)


def run_backward_two_layer(backward_two_layer, AL, Y, caches, loss, output, convention, part2, run=run_student):
    """backward_two_layer(AL, Y, caches, loss=loss, output=output, convention=convention) on copies, Part 2 replaced.

    part2: {"dAL_loss_convention": ..., "dAL_cost_convention": ...}, what those globals are while it runs.
    """
    with replaced_all(backward_two_layer, part2, SIGNATURES):
        return run(backward_two_layer, AL.copy(), Y.copy(), copy.deepcopy(caches), name="backward_two_layer",
                   loss=loss, output=output, convention=convention)


def run_average(average_of_example_gradients, X, Y, params, loss, output, backward, run=run_student):
    """average_of_example_gradients(X, Y, params, loss=loss, output=output) on copies, with `backward` in place
    of backward_two_layer."""
    params = {key: value.copy() for key, value in params.items()}
    with replaced(average_of_example_gradients, "backward_two_layer", backward, SIGNATURES):
        return run(average_of_example_gradients, X.copy(), Y.copy(), params, name="average_of_example_gradients",
                   loss=loss, output=output)


# ----------------------------------------------------------------------------
# Checks (shared with the hidden tests)
# ----------------------------------------------------------------------------


def check_dcost_dlosses(dL, expected, m, suspects=None, where="dcost_dlosses: J is the mean of the m losses"):
    """dL (1, m) equals expected (entry i = dJ/dL(i) = 1/m); suspects: more {mistake: value}."""
    check_array("dJ/dL", dL, expected, m=m, suspects={SUM_OF_LOSSES: np.ones(expected.shape), **(suspects or {})},
                rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, where=where)


def _dAL_suspects(per_example, AL, Y, loss, half, convention):
    """{mistake: value} for dAL in `convention`, given the right per-example dL/dA (no 1/m)."""
    m = per_example.shape[1]
    scale = 1.0 if convention == "loss" else 1.0 / m
    suspects = {COST_IN_LOSS: per_example / m} if convention == "loss" else {LOSS_IN_COST: per_example}
    if loss == "cross_entropy":
        suspects[LOG_MINUS] = -(Y / AL + (1 - Y) / (1 - AL)) * scale
    else:
        if half:
            suspects[HALF_KEEPS_2] = 2 * per_example * scale
        else:
            suspects[FACTOR_2_MISSING] = per_example / 2 * scale
        suspects[SIGN_FLIPPED] = -per_example * scale
    return suspects


def check_dAL(dAL, per_example, AL, Y, loss, half, convention, suspects=None, where=None):
    """dAL against the right value in `convention`, from per_example = dL/dA (column i: dL(i)/da(i), no 1/m).

    "loss": dAL must equal per_example; "cost": per_example / m. The typical mistakes (the other
    convention, a lost minus, the factor 2 of the square, the sign) are named; suspects: more.
    """
    m = per_example.shape[1]
    expected = per_example if convention == "loss" else per_example / m
    label = f"dAL ({convention} convention" + (f", mse, half={half})" if loss == "mse" else ")")
    branch = "branch" if convention == "loss" else "case"
    check_array(label, dAL, expected, m=m,
                suspects={**_dAL_suspects(per_example, AL, Y, loss, half, convention), **(suspects or {})},
                rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL,
                where=where or f"the {loss} {branch} of dAL_{convention}_convention")


def check_parameter_gradients(grads, expected, m, convention, caches, suspects=None, where=None):
    """grads' dW1, db1, dW2, db2 equal expected's (the gradient of J, the same in both conventions).

    expected: every gradient of J (the cost convention's dA1 is read, to name mistakes in the relu step);
    caches: the problem's caches; suspects: more {mistake: {key: value}}.
    """
    hidden_layer = hidden_layer_suspects(expected["dA1"], caches, m, convention)
    check_gradients(grads, {key: expected[key] for key in PARAMETER_KEYS}, m=m,
                    suspects={**one_over_m_suspects(expected, m, convention), **hidden_layer, **(suspects or {})},
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL,
                    where=where or f"the dW and db lines of backward_two_layer with convention={convention!r}")


def check_conventions_agree(grads_loss, grads_cost, m):
    """The dW and db of the two conventions agree (each already checked against J's gradient)."""
    print("the two conventions give the same dW and db:")
    check_gradients(grads_cost, {key: grads_loss[key] for key in PARAMETER_KEYS}, m=m, name="grads (cost convention)",
                    where="backward_two_layer: the 1/m must appear exactly once on the way to every dW and db")


def check_intermediates(grads, expected, m, convention, caches, output, where=None):
    """grads' dA2, dZ2, dA1, dZ1 in `convention`; expected holds them as true gradients of J (the cost convention).

    caches: the problem's caches (Z1, Z2 are read, to name the mistakes in dZ = dA * g'(Z)).
    """
    scale = float(m) if convention == "loss" else 1.0
    dZ2_suspects = activation_suspects(expected["dA2"] * scale, caches[1][1], output)
    suspects = {text: {"dZ2": value} for text, value in dZ2_suspects.items()}
    suspects.update(hidden_layer_suspects(expected["dA1"], caches, m, convention))
    check_gradients(grads, {key: expected[key] for key in INTERMEDIATE_KEYS}, m=m, convention=convention,
                    expected_convention="cost", suspects=suspects,
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, where=where or declared_convention(convention))


def check_squared_error(grads, expected, AL, Y, caches, output, convention, suspects=None):
    """Squared error: all eight gradients in `convention`, dZ2 first (the A2 - Y shortcuts named).

    expected: every gradient of J (the cost convention's intermediates); caches: the problem's;
    suspects: more {mistake: {key: value}} for dW, db. A wrong dZ2 is reported first. A wrong intermediate
    (dA2, dZ2, dA1, dZ1) points at its own line and the convention; a wrong dW or db at the dW and db lines.
    """
    m, Z2 = AL.shape[1], caches[1][1]
    scale = float(m) if convention == "loss" else 1.0
    if output == "linear":
        dZ2_suspects = {_A_MINUS_Y_LINEAR: (AL - Y) * scale / m}
    else:
        dZ2_suspects = {_A_MINUS_Y_SIGMOID: (AL - Y) * scale / m, _TWICE_A_MINUS_Y: 2 * (AL - Y) * scale / m}
    dZ2_suspects.update(activation_suspects(expected["dA2"] * scale, Z2, output))
    per_key = {"dZ2": dZ2_suspects}
    for mistakes in (one_over_m_suspects(expected, m, convention),
                     hidden_layer_suspects(expected["dA1"], caches, m, convention), suspects or {}):
        for text, values in mistakes.items():
            for key, value in values.items():
                per_key.setdefault(key, {})[text] = value
    problem = f"(output={output!r}, loss='mse')"
    where = {key: (f"the dW and db lines of backward_two_layer with convention={convention!r} {problem}"
                   if key in PARAMETER_KEYS else f"the {key} line {problem}; " + declared_convention(convention))
             for key in expected}
    # dZ2 first (the A2 - Y shortcut), then the order backward_two_layer computes them: a mistake is reported
    # at the first line it makes wrong (a dropped relu' at dZ1, not at the dW1 it also spoils).
    order = ("dZ2", "dA2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")
    ordered = {key: expected[key] for key in sorted(expected, key=lambda k: order.index(k) if k in order else len(order))}
    check_gradients(grads, ordered, m=m, convention=convention, expected_convention="cost",
                    suspects={key: values for key, values in per_key.items() if key in ordered},
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, where=where)


def check_average(grads, expected, m, suspects=None):
    """average_of_example_gradients' dW1, db1, dW2, db2 equal the batch gradient of J; a sum is named."""
    check_gradients(grads, {key: expected[key] for key in PARAMETER_KEYS}, m=m,
                    suspects={SUMMED: {key: m * expected[key] for key in PARAMETER_KEYS}, **(suspects or {})},
                    rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL, where="the last step of average_of_example_gradients")


def _input_of(caches):
    """caches[0][0][0], the input X of the first layer's cache, or None if caches has another structure."""
    try:
        return caches[0][0][0]
    except (TypeError, IndexError, KeyError):
        return None


def _leaves(value, label):
    """[(label, leaf)] of nested lists and tuples, e.g. caches -> [("caches[0][0][0]", X), ...]."""
    if type(value) in (list, tuple):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, f"{label}[{index}]")]
    return [(label, value)]


def _close_structure(given, known, label):
    """How `given` differs from `known` (arrays nested in lists or tuples), up to rounding; or None.

    Lists and tuples are interchangeable (a cache rebuilt by hand is fine); every array must be a float
    ndarray of the known shape whose values agree to 1e-10 (relative).
    """
    given_leaves, known_leaves = _leaves(given, label), _leaves(known, label)
    if [name for name, _ in given_leaves] != [name for name, _ in known_leaves]:
        return f"{label} does not have the structure of model_forward's {label}"
    for (name, value), (_, expected) in zip(given_leaves, known_leaves):
        if type(value) is not np.ndarray or value.shape != expected.shape or value.dtype.kind != "f":
            return value_difference(value, expected, name) or f"{name} is not the test's"
        if not np.allclose(value, expected, rtol=1e-10, atol=1e-12):
            return f"{name} has other values than the test's"
    return None


def _require_one_column(AL):
    """AssertionError unless AL (a call's argument) holds exactly one example: a batch, or none, is named."""
    if type(AL) is not np.ndarray or AL.ndim != 2 or AL.shape[1] == 1:
        return
    if AL.shape[1] > 1:
        raise AssertionError(
            f"average_of_example_gradients called backward_two_layer with a batch of {AL.shape[1]} examples "
            f"(AL of shape {AL.shape}); it must call it once per example, each time with ONE example "
            f"(AL of shape ({AL.shape[0]}, 1)).\nLikely reason: it ran the backward pass on the whole batch. "
            "Loop over i, slicing X[:, i:i+1] and Y[:, i:i+1].\nLook at: the loop in average_of_example_gradients."
        )
    raise AssertionError(
        f"average_of_example_gradients called backward_two_layer with no example at all (AL of shape {AL.shape}); "
        "it must call it once per example, for each column of X and no more.\nLikely reason: the loop runs past "
        "the last column of X: loop over range(m) with m = X.shape[1], never a "
        "number typed in.\nLook at: the loop in average_of_example_gradients."
    )


def check_one_example_call(arguments, X, Y, params, loss, output):
    """The example i that one call of backward_two_layer (its arguments, a dict) was made for, else AssertionError.

    The call must follow RULES["one_example"]: AL of one column, caches and AL of model_forward on
    X[:, i:i+1] (up to rounding: slicing a batch's forward pass is fine), Y[:, i:i+1], this loss and output.
    """
    _require_one_column(arguments["AL"])
    for name, wanted in (("loss", loss), ("output", output)):
        if value_difference(arguments[name], wanted) is not None:
            raise AssertionError(
                f"average_of_example_gradients called backward_two_layer with {name}={arguments[name]!r}, but it "
                f"was asked for {name}={wanted!r}.\nLikely reason: {name} was typed in (or left to its default); "
                "pass loss and output on to model_forward and backward_two_layer."
            )
    x = _input_of(arguments["caches"])
    matches = [i for i in range(X.shape[1]) if _close_structure(x, X[:, i:i + 1], "x") is None]
    if not matches:
        raise AssertionError(
            "average_of_example_gradients called backward_two_layer with caches whose input (caches[0][0][0]) "
            f"is not one column of X.\nRule: {RULES['one_example']}.\nLook at: the model_forward call in the loop."
        )
    i = matches[0]
    AL_i, caches_i = model_forward(X[:, i:i + 1], params, hidden="relu", output=output)
    found = (_close_structure(arguments["caches"], caches_i, "caches") or _close_structure(arguments["AL"], AL_i, "AL")
             or value_difference(arguments["Y"], Y[:, i:i + 1], "Y"))
    if found:
        raise AssertionError(
            f"average_of_example_gradients called backward_two_layer on example {i} with other inputs than that "
            f"example's: {found}.\nRule: {RULES['one_example']}."
        )
    return i


def check_one_example_calls(calls, X, Y, params, loss, output):
    """backward_two_layer was called once for every example of X, and for nothing else.

    calls: the arguments of each call (dicts, as stand_in's `calls` lists them).
    """
    m = X.shape[1]
    for arguments in calls:
        _require_one_column(arguments["AL"])
    advice = ("\nLikely reason: the loop does not run over range(m) with m = X.shape[1] (a number typed in, or an "
              "off-by-one).\nLook at: the loop in average_of_example_gradients.")
    if len(calls) != m:
        raise AssertionError(
            f"average_of_example_gradients should call backward_two_layer once per example: m = {m} calls, one for "
            f"each column of X; it made {len(calls)}." + advice
        )
    seen = [check_one_example_call(arguments, X, Y, params, loss, output) for arguments in calls]
    if sorted(seen) != list(range(m)):
        missing = [i for i in range(m) if i not in seen]
        repeated = sorted({i for i in seen if seen.count(i) > 1})
        raise AssertionError(
            f"average_of_example_gradients should call backward_two_layer once per example; examples {missing} "
            f"were left out and examples {repeated} were used more than once." + advice
        )
    print(f"  backward_two_layer was called once for each of the m = {m} examples")


# ----------------------------------------------------------------------------
# The visible tests
# ----------------------------------------------------------------------------


def test_dcost_dlosses(dcost_dlosses, L):
    """dcost_dlosses(L): shape (1, m), entry i is dJ/dL(i) (against finite differences of J = mean of L)."""
    _known_losses("test_dcost_dlosses", L)
    expected = numerical_gradient(cost_from_losses, L.copy())
    check_dcost_dlosses(run_student(dcost_dlosses, L.copy()), expected, m=L.shape[1])


def test_dAL_loss_convention(dAL_loss_convention, AL, Y, loss, half=False):
    """dAL_loss_convention(AL, Y, loss[, half]): column i is dL(i)/da(i) = m * dJ/dAL (no 1/m)."""
    key = _known_output("test_dAL_loss_convention", AL, Y, loss)
    per_example = AL.shape[1] * _output_cost_gradient(key, half)
    check_dAL(run_dAL(dAL_loss_convention, AL, Y, loss, half), per_example, AL, Y, loss, half, "loss")


def test_dAL_cost_convention(dAL_cost_convention, AL, Y, loss, half=False):
    """dAL_cost_convention(AL, Y, loss[, half]) is dJ/dAL, with a stand-in for dAL_loss_convention underneath."""
    key = _known_output("test_dAL_cost_convention", AL, Y, loss)
    per_example = AL.shape[1] * _output_cost_gradient(key, half)
    result = run_dAL(dAL_cost_convention, AL, Y, loss, half, dAL_loss_convention=dAL_stand_in(
        "dAL_loss_convention", AL, Y, loss, half))
    check_dAL(result, per_example, AL, Y, loss, half, "cost")


def _known_backward_problem(test, AL, Y, caches, loss, output):
    seed = _known_two_layer(test, (AL, Y, caches), ("AL", "Y", "caches"), loss, output)
    return seed, _two_layer_gradients(seed)


def test_backward_two_layer_dW_db(backward_two_layer, AL, Y, caches, loss, output):
    """backward_two_layer in both conventions: dW1, db1, dW2, db2 are the gradient of J, so the two agree."""
    _, true = _known_backward_problem("test_backward_two_layer_dW_db", AL, Y, caches, loss, output)
    m = AL.shape[1]
    grads = {}
    for convention in ("loss", "cost"):
        print(f"convention={convention!r}:")
        grads[convention] = run_backward_two_layer(backward_two_layer, AL, Y, caches, loss, output, convention,
                                                   _dAL_stand_ins(AL, Y, loss))
        check_parameter_gradients(grads[convention], true, m, convention, caches)
    check_conventions_agree(grads["loss"], grads["cost"], m)


def test_backward_two_layer_intermediates(backward_two_layer, AL, Y, caches, loss, output, convention):
    """backward_two_layer's dA2, dZ2, dA1, dZ1 follow `convention`: per-example ("loss") or gradients of J ("cost")."""
    _, true = _known_backward_problem("test_backward_two_layer_intermediates", AL, Y, caches, loss, output)
    grads = run_backward_two_layer(backward_two_layer, AL, Y, caches, loss, output, convention,
                                   _dAL_stand_ins(AL, Y, loss))
    check_intermediates(grads, true, AL.shape[1], convention, caches, output)


def test_backward_two_layer_squared_error(backward_two_layer, AL, Y, caches, output):
    """backward_two_layer with squared error (half=False) in both conventions: dZ2 uses g'(Z2); all eight right."""
    _, true = _known_backward_problem("test_backward_two_layer_squared_error", AL, Y, caches, "mse", output)
    for convention in ("loss", "cost"):
        print(f"output={output!r}, squared error, convention={convention!r}:")
        grads = run_backward_two_layer(backward_two_layer, AL, Y, caches, "mse", output, convention,
                                       _dAL_stand_ins(AL, Y, "mse"))
        check_squared_error(grads, true, AL, Y, caches, output, convention)


def test_average_of_example_gradients(average_of_example_gradients, X, Y, params, loss, output):
    """average_of_example_gradients calls backward_two_layer once per example; the mean is the batch gradient of J."""
    seed = _known_two_layer("test_average_of_example_gradients", (X, Y, params), ("X", "Y", "params"), loss, output)
    print(f"loss={loss!r}, output={output!r}:")
    backward = one_example_stand_in(X, Y, params, loss, output)
    grads = run_average(average_of_example_gradients, X, Y, params, loss, output, backward)
    check_one_example_calls(backward.calls, X, Y, params, loss, output)
    check_average(grads, _two_layer_gradients(seed), X.shape[1])
