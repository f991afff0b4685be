"""Assignment 4 (04_elementwise_derivations): the logic behind its visible tests, written once.

Each visible test cell of the assignment shows its inputs and makes one call:

    dZ, A_prev, W = unit4.layer_problem(seed=403)      # dZ (3, 7), A_prev (5, 7), W (3, 5)
    unit4.test_linear_grads_vectorized_dW(linear_grads_vectorized, dZ, A_prev, W)

Shapes, in the course's notation (examples are columns, except in Part 7):
dZ (n_l, m) per-example upstream gradient, A_prev (n_prev, m), W (n_l, n_prev),
b (n_l, 1); the layer's gradients (dA_prev, dW, db) have the shapes of
(A_prev, W, b), dW and db carry the 1/m once, dA_prev is per example. Part 7
stores one example per row: dZ_rows (m, n_l), A_prev_rows (m, n_prev),
W_rows (n_prev, n_l), b_rows (1, n_l). Softmax: logits Z (K, m) or one
example's z (K,) / (K, 1); targets one-hot Y (K, m) or class indices (m,) / (1, m).

Where the expected values come from. Nothing here computes a graded answer
for inputs other than its own test's:
- the layer gradients (Parts 1, 2 and 7): finite differences of the forward
  pass (utils.forward.linear_forward), only for the tests' own problems
  (layer_problem / rows_problem of LAYER_SEEDS / ROWS_SEED);
- softmax_jacobian and softmax_cross_entropy_grad: finite differences of
  softmax and of the cross-entropy, only for JACOBIAN_Z and
  softmax_problem(CROSS_ENTROPY_SEED), in functions that take no input;
- check_dimensions: consistent shapes must pass, and each listed mismatch
  must raise a ValueError that names the offending entries;
- Part 7: linear_grads_vectorized and linear_grads_loops are stand-ins
  (utils.testing._common.stand_in) that answer only this test's inputs,
  transposed.
A test given inputs other than its own says that the test cell was changed.
The graders' hidden tests fail an answer that calls
any function of this module, a finite-difference oracle or utils.autodiff.

Rules the tests rely on (each is stated in the assignment's instructions):
the layer functions return the tuple (dA_prev, dW, db) (rows: (dA_prev_rows,
dW_rows, db_rows)) and never change their input arrays in place; Part 1
uses no matrix product; check_dimensions raises ValueError (not assert,
not print) naming the offending entries, not listing every entry; Part 7 may
call linear_grads_vectorized or linear_grads_loops only on its inputs
transposed.

Public API
----------
SIGNATURES                                       the assignment's def lines (stand-ins must match them)
layer_problem(seed)                              the visible layer inputs (dZ, A_prev, W)
rows_problem(seed)                               the same, one example per row (dZ_rows, A_prev_rows, W_rows)
softmax_problem(seed)                            (Z, labels) for Part 6
JACOBIAN_Z                                       Part 5's logits
test_linear_grads_loops_values(linear_grads_loops, dZ, A_prev, W)
test_linear_grads_loops_no_matrix_product(linear_grads_loops)
test_linear_grads_vectorized_dW / _db / _dA_prev(linear_grads_vectorized, dZ, A_prev, W)
test_check_dimensions_accepts_consistent_shapes(check_dimensions, n_prev, n_l, m)
test_check_dimensions_catches_mismatches(check_dimensions, n_prev, n_l, m)
test_softmax_jacobian(softmax_jacobian, z)
test_softmax_cross_entropy_grad_one_hot(softmax_cross_entropy_grad, Z, Y)
test_softmax_cross_entropy_grad_indices(softmax_cross_entropy_grad, Z, labels)
test_linear_backward_rows(linear_backward_rows, dZ_rows, A_prev_rows, W_rows)

Shared with the hidden tests (they pass `runner=call_hidden` and their own expected values):
call_unchanged, run_loops, layer_grads, check_layer_grads, row_grads, check_row_grads,
matrix_products_in, notebook_helpers, layer_shapes, mismatch_cases, check_accepts, check_catches,
check_jacobian, jacobian_suspects, check_cross_entropy_grad, cross_entropy_suspects,
rows_suspects, column_layout_rule, and the mistake descriptions (constants below).
"""

import ast
import inspect
import re
import textwrap

import numpy as np

from utils.activations import softmax
from utils.checks import NUMERICAL_ATOL, NUMERICAL_RTOL, ORACLES, check_array, check_does_not_call, check_type
from utils.forward import linear_forward
from utils.gradcheck import numerical_gradient, numerical_layer_gradient
from utils.losses import categorical_cross_entropy_loss, one_hot
from utils.testing._common import GraderBugError, changed_test_cell, replaced_all, stand_in, value_difference

__all__ = [
    "CROSS_ENTROPY_SEED",
    "JACOBIAN_Z",
    "LAYER_SEEDS",
    "LAYER_SIZES",
    "ROWS_SEED",
    "SIGNATURES",
    "call_unchanged",
    "check_accepts",
    "check_catches",
    "check_cross_entropy_grad",
    "check_jacobian",
    "check_layer_grads",
    "check_row_grads",
    "column_layout_rule",
    "cross_entropy_suspects",
    "jacobian_suspects",
    "layer_grads",
    "layer_problem",
    "layer_shapes",
    "matrix_products_in",
    "mismatch_cases",
    "notebook_helpers",
    "row_grads",
    "rows_problem",
    "rows_suspects",
    "run_loops",
    "softmax_problem",
    "test_check_dimensions_accepts_consistent_shapes",
    "test_check_dimensions_catches_mismatches",
    "test_linear_backward_rows",
    "test_linear_grads_loops_no_matrix_product",
    "test_linear_grads_loops_values",
    "test_linear_grads_vectorized_dA_prev",
    "test_linear_grads_vectorized_dW",
    "test_linear_grads_vectorized_db",
    "test_softmax_cross_entropy_grad_indices",
    "test_softmax_cross_entropy_grad_one_hot",
    "test_softmax_jacobian",
]

#: The assignment's def lines (the course's test suite compares them with the instructor's solutions).
SIGNATURES = {
    "linear_grads_loops": "(dZ, A_prev, W)",
    "linear_grads_vectorized": "(dZ, A_prev, W)",
    "check_dimensions": "(shapes)",
    "softmax_jacobian": "(z)",
    "softmax_cross_entropy_grad": "(Z, Y)",
    "linear_backward_rows": "(dZ_rows, A_prev_rows, W_rows)",
}

# ----------------------------------------------------------------------------
# The visible tests' own inputs
# ----------------------------------------------------------------------------

#: (n_prev, n_l, m) of every visible layer problem: no two equal, so no transpose hides behind a shape.
LAYER_SIZES = (5, 3, 7)
#: The seeds of the visible layer problems: Part 1, Part 2 (its three cells share one problem).
LAYER_SEEDS = (401, 403)
#: Part 7's problem is layer_problem(ROWS_SEED), stored one example per row.
ROWS_SEED = 407
#: Part 5's logits, one example with K = 5 classes.
JACOBIAN_Z = np.array([0.5, -1.2, 2.0, 0.1, -0.3])
#: Part 6's problem: softmax_problem(CROSS_ENTROPY_SEED), K = 4 classes, m = 7 examples.
CROSS_ENTROPY_SEED = 406
_CROSS_ENTROPY_LABELS = (0, 3, 1, 1, 2, 0, 3)
_CROSS_ENTROPY_K = 4

_TUPLE_ORDER = ("dA_prev", "dW", "db")
_ROW_ORDER = ("dA_prev_rows", "dW_rows", "db_rows")

# ----------------------------------------------------------------------------
# Typical mistakes, named once (the hidden tests use the same words)
# ----------------------------------------------------------------------------

ROWS_DB_OVER_UNITS = "db_rows was summed over axis 1 (the units); in row layout the examples are axis 0"
JACOBIAN_PLUS = ("the sign of the outer-product term is flipped (diag(p) + p p^T); every row of the Jacobian must "
                 "sum to 0")
JACOBIAN_OUTER_ONLY = ("only the outer product p p^T: the diagonal term diag(p), from delta_rs, is missing, and the "
                       "sign is flipped")
JACOBIAN_MINUS_OUTER_ONLY = "only -p p^T: the diagonal term diag(p), from delta_rs, is missing"
JACOBIAN_DIAGONAL_ONLY = "only diag(p): the -p p^T term (from the sum in the denominator) is missing"
JACOBIAN_STAR_1D = ("`*` was used on 1-D vectors: p * p is elementwise (p_s**2 in every row), not the outer product "
                    "p p^T; use p as a (K, 1) column and p @ p.T (or np.outer)")
JACOBIAN_OF_EXP = "this is the Jacobian of the exponential alone, diag(exp(z)), not of softmax"
CE_NO_SOFTMAX = "softmax is missing: Z - Y uses the logits where the probabilities softmax(Z) belong"
CE_INDICES_AS_NUMBERS = ("the class indices were subtracted as numbers (softmax(Z) - y broadcasts the labels across "
                         "the rows); turn them into one-hot columns first (one_hot(y, K))")
CE_TARGETS_IGNORED = "the targets were ignored: softmax(Z) alone is not dZ"

LAYER_WHERE = {
    "dA_prev": "the line computing dA_prev: a product of W (n_l, n_prev) and dZ (n_l, m) that sums over the n_l "
               "units, no 1/m",
    "dW": "the line computing dW: a product of dZ (n_l, m) and A_prev (n_prev, m) that sums over the m examples, "
          "then 1/m",
    "db": "the line computing db: np.sum over axis 1 (the examples) with keepdims=True, then 1/m",
}
LOOPS_WHERE = {
    "dA_prev": "the loops for dA_prev: sum over j of W[j, k] * dZ[j, i], no 1/m",
    "dW": "the loops for dW: (1/m) * sum over i of dZ[j, i] * A_prev[k, i]",
    "db": "the loop for db: (1/m) * sum over i of dZ[j, i], into a (n_l, 1) column",
}
ROWS_WHERE = {
    "dA_prev_rows": "dA_prev_rows (m, n_prev): the row-layout product puts dZ_rows first, then W_rows transposed",
    "dW_rows": "dW_rows (n_prev, n_l): the transpose of the column-layout dW; (XY)^T = Y^T X^T reverses the order",
    "db_rows": "db_rows (1, n_l): sum over the examples, which are now axis 0, with keepdims=True, then 1/m",
}
JACOBIAN_WHERE = "entry [r, s] is p_r * (delta_rs - p_s): diag(p) minus the outer product p p^T"


def _visible_run(function, *args, name=None):
    """The visible tests' runner: the student's function, refusing the finite-difference oracles."""
    return check_does_not_call(function, args, ORACLES, name=name)


def _require(test, given, known):
    """Fail unless every given value is exactly the test's own: given / known are {label: value}."""
    for label, value in given.items():
        found = value_difference(value, known[label], label)
        if found:
            changed_test_cell(test, found)


# ----------------------------------------------------------------------------
# Running the student's function
# ----------------------------------------------------------------------------


def call_unchanged(function, name, inputs, runner=None):
    """runner(function, *copies of inputs); fail if the function changed one of them in place.

    inputs: {parameter name: array}, in the order of the function's parameters.
    runner: how to call it (the visible tests refuse the finite-difference
            oracles; the hidden tests pass their own runner).
    Returns the function's result.
    """
    runner = runner or _visible_run
    copies = {key: np.array(value, copy=True) for key, value in inputs.items()}
    result = runner(function, *copies.values(), name=name)
    for key, value in inputs.items():
        if value_difference(copies[key], np.asarray(value)):
            raise AssertionError(
                f"{name} changed its input {key} in place (e.g. {key} /= m or {key} -= ...).\n"
                f"Likely reason: an augmented assignment on an input array. Compute a new array instead "
                f"({key} / m): the caller still needs its own {key}.\nLook at: every line of {name} that "
                f"assigns to {key} or to a slice of it."
            )
    return result


def run_loops(linear_grads_loops, inputs, runner=None):
    """call_unchanged for Part 1, turning an IndexError (a loop over the wrong range) into advice."""
    try:
        return call_unchanged(linear_grads_loops, "linear_grads_loops", inputs, runner)
    except IndexError as error:
        raise AssertionError(
            f"linear_grads_loops raised IndexError: {error}\n"
            "Likely reason: a loop runs over the wrong range or indexes the wrong axis: j runs over the n_l rows "
            "of W and dZ, k over the n_prev rows of A_prev (the columns of W), i over the m examples (columns); "
            "take the sizes from the inputs (n_l, m = dZ.shape), never type them in."
        ) from None


def layer_grads(result, name, shapes, order=_TUPLE_ORDER):
    """The student's (dA_prev, dW, db) tuple as a dict, after checking it is a 3-tuple in the right order.

    shapes: the expected shapes, in `order`; a result holding them in another order is named.
    """
    returned = ", ".join(order)
    check_type(f"what {name} returns", result, tuple, length=3,
               where=f"the return statement of {name}: return {returned} (a tuple, in that order)")
    wanted = [tuple(shape) for shape in shapes]
    given = [np.shape(item) if isinstance(item, np.ndarray) else None for item in result]
    if given != wanted and None not in given and sorted(given) == sorted(wanted):
        raise AssertionError(
            f"{name} returned arrays of shapes {given}: the right arrays in the wrong order.\n"
            f"Likely reason: the return statement; the layer contract is return {returned} (shapes {wanted}).\n"
            f"Look at: the last line of {name}."
        )
    return dict(zip(order, result))


def row_grads(result, shapes):
    """layer_grads for Part 7: (dA_prev_rows, dW_rows, db_rows)."""
    return layer_grads(result, "linear_backward_rows", shapes, _ROW_ORDER)


def check_layer_grads(grads, expected, m, keys=_TUPLE_ORDER, suspects=None, where=None, **tolerances):
    """grads[key] against expected[key] for each key in `keys` (one status line each).

    expected: {"dA_prev" (n_prev, m), "dW" (n_l, n_prev), "db" (n_l, 1)}; m: the
    number of examples (names a missing or doubled 1/m); suspects: {key:
    {description: value}}; where: {key: hint} (LAYER_WHERE by default).
    """
    where = where or LAYER_WHERE
    suspects = suspects or {}
    for key in keys:
        check_array(key, grads[key], expected[key], m=m, suspects=suspects.get(key), where=where[key], **tolerances)


def check_row_grads(grads, expected, m, suspects=None, **tolerances):
    """check_layer_grads for Part 7's (dA_prev_rows, dW_rows, db_rows)."""
    check_layer_grads(grads, expected, m, keys=_ROW_ORDER, suspects=suspects, where=ROWS_WHERE, **tolerances)


# ----------------------------------------------------------------------------
# Parts 1 and 2: the layer gradients
# ----------------------------------------------------------------------------


def _layer(seed):
    """(dZ, A_prev, W, b) drawn from `seed` with the visible sizes LAYER_SIZES."""
    n_prev, n_l, m = LAYER_SIZES
    rng = np.random.default_rng(seed)
    dZ, A_prev = rng.standard_normal((n_l, m)), rng.standard_normal((n_prev, m))
    W, b = rng.standard_normal((n_l, n_prev)), rng.standard_normal((n_l, 1))
    return dZ, A_prev, W, b


def layer_problem(seed):
    """(dZ, A_prev, W) of a visible test: dZ (3, 7), A_prev (5, 7), W (3, 5), standard normal from `seed`.

    n_prev = 5, n_l = 3, m = 7 (LAYER_SIZES): no two sizes equal.
    """
    return _layer(seed)[:3]


def _layer_expected(seed):
    """{"dA_prev", "dW", "db"} of layer_problem(seed), a visible problem only, by finite differences.

    dA_prev is the gradient of sum(dZ * Z) with respect to A_prev (per example);
    dW and db are those of sum(dZ * Z) / m (gradients of the cost J).
    """
    if seed not in LAYER_SEEDS + (ROWS_SEED,):
        raise GraderBugError("the layer tests know only layer_problem(seed) for a seed in "
                             f"{LAYER_SEEDS + (ROWS_SEED,)}.")
    dZ, A_prev, W, b = _layer(seed)
    m = dZ.shape[1]
    return {
        "dA_prev": numerical_layer_gradient(lambda nudged: linear_forward(nudged, W, b)[0], A_prev.copy(), dZ),
        "dW": numerical_layer_gradient(lambda nudged: linear_forward(A_prev, nudged, b)[0], W.copy(), dZ / m),
        "db": numerical_layer_gradient(lambda nudged: linear_forward(A_prev, W, nudged)[0], b.copy(), dZ / m),
    }


def _known_layer(test, dZ, A_prev, W, seed):
    _require(test, {"dZ": dZ, "A_prev": A_prev, "W": W}, dict(zip(("dZ", "A_prev", "W"), layer_problem(seed))))


def _layer_shapes(dZ, A_prev, W):
    return [A_prev.shape, W.shape, (W.shape[0], 1)]


def test_linear_grads_loops_values(linear_grads_loops, dZ, A_prev, W):
    """linear_grads_loops(dZ, A_prev, W) returns (dA_prev, dW, db) matching finite differences of Z = W A_prev + b.

    dZ, A_prev, W: layer_problem(401). Also: the inputs are not changed in place.
    """
    _known_layer("test_linear_grads_loops_values", dZ, A_prev, W, seed=401)
    result = run_loops(linear_grads_loops, {"dZ": dZ, "A_prev": A_prev, "W": W})
    grads = layer_grads(result, "linear_grads_loops", _layer_shapes(dZ, A_prev, W))
    check_layer_grads(grads, _layer_expected(401), m=dZ.shape[1], where=LOOPS_WHERE, rtol=NUMERICAL_RTOL,
                      atol=NUMERICAL_ATOL)


#: What Part 1 may not use: numpy's and Python's matrix and vector products.
MATRIX_PRODUCTS = frozenset({"dot", "matmul", "einsum", "tensordot", "inner", "outer", "vdot", "multi_dot", "kron",
                             "vecdot"})


def _names_used(code):
    """Every global name a code object (and the functions defined inside it) refers to."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if inspect.iscode(constant):
            names |= _names_used(constant)
    return names


def notebook_helpers(function):
    """The notebook's own functions that `function` calls by name, directly or through one another.

    A helper is a global of function's namespace that is a plain function
    defined in that same namespace (a cell of the notebook); given
    functions (softmax, one_hot) live in their own modules and do not count.
    """
    namespace = getattr(function, "__globals__", None)
    if not isinstance(namespace, dict):
        return []
    found, todo, seen = [], [function], {id(function)}
    while todo:
        for name in sorted(_names_used(todo.pop().__code__)):
            value = namespace.get(name)
            if inspect.isfunction(value) and value.__globals__ is namespace and id(value) not in seen:
                seen.add(id(value))
                found.append(value)
                todo.append(value)
    return found


def _products_named(tree):
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
            used.add("the @ operator")
        elif isinstance(node, ast.Attribute) and node.attr in MATRIX_PRODUCTS:
            used.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MATRIX_PRODUCTS:
            used.add(node.func.id)
    return used


def matrix_products_in(function):
    """(blank, used, has_loop) for the source of `function` and of the notebook helpers it calls.

    blank: it still raises NotImplementedError; used: the matrix products named
    (sorted; "dot (in helper)" for one in a helper it calls); has_loop: it has a
    loop or a comprehension. Raises OSError if its own source cannot be read.
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    blank = any(isinstance(node, ast.Raise) and "NotImplementedError" in ast.dump(node) for node in ast.walk(tree))
    used = _products_named(tree)
    for helper in notebook_helpers(function):
        try:
            helper_tree = ast.parse(textwrap.dedent(inspect.getsource(helper)))
        except (OSError, TypeError, SyntaxError):
            continue  # a helper whose source is gone; the hidden test's guarded arrays still watch it
        used |= {f"{product} (in {helper.__name__}, which it calls)" for product in _products_named(helper_tree)}
    loop = any(isinstance(node, (ast.For, ast.While, ast.comprehension)) for node in ast.walk(tree))
    return blank, sorted(used), loop


def test_linear_grads_loops_no_matrix_product(linear_grads_loops):
    """linear_grads_loops has explicit loops; it and the helpers it calls name no matrix product (@, np.dot, ...)."""
    try:
        blank, used, loop = matrix_products_in(linear_grads_loops)
    except (OSError, TypeError, SyntaxError) as error:
        raise AssertionError(
            f"the source of linear_grads_loops cannot be read ({error}).\nLikely reason: it is not a function "
            "defined with def in a cell of this notebook.\nLook at: the cell that defines it; run it again."
        ) from None
    if blank:
        raise AssertionError("linear_grads_loops is not implemented yet.\n"
                             "Replace the line `raise NotImplementedError()` with your code, then run this cell again.")
    if used:
        raise AssertionError(
            f"linear_grads_loops uses a matrix product: {', '.join(used)}.\n"
            "Likely reason: this part asks for explicit loops over the indices (the matrix form is Part 2).\n"
            "Look at: accumulate dZ[j, i] * A_prev[k, i] over i in a loop, or take np.sum of the elementwise "
            "product of two rows."
        )
    if not loop:
        raise AssertionError("linear_grads_loops has no loop at all.\nLikely reason: this part asks for explicit "
                             "loops over the indices j, k and i.\nLook at: the body of linear_grads_loops.")
    print("  loops    ok      no matrix product in linear_grads_loops")


def _test_vectorized(linear_grads_vectorized, dZ, A_prev, W, key, test):
    _known_layer(test, dZ, A_prev, W, seed=403)
    result = call_unchanged(linear_grads_vectorized, "linear_grads_vectorized", {"dZ": dZ, "A_prev": A_prev, "W": W})
    grads = layer_grads(result, "linear_grads_vectorized", _layer_shapes(dZ, A_prev, W))
    check_layer_grads(grads, _layer_expected(403), m=dZ.shape[1], keys=(key,), rtol=NUMERICAL_RTOL,
                      atol=NUMERICAL_ATOL)


def test_linear_grads_vectorized_dW(linear_grads_vectorized, dZ, A_prev, W):
    """linear_grads_vectorized's dW = dJ/dW, shape (n_l, n_prev), matches finite differences (layer_problem(403))."""
    _test_vectorized(linear_grads_vectorized, dZ, A_prev, W, "dW", "test_linear_grads_vectorized_dW")


def test_linear_grads_vectorized_db(linear_grads_vectorized, dZ, A_prev, W):
    """linear_grads_vectorized's db = dJ/db, a (n_l, 1) column, matches finite differences (layer_problem(403))."""
    _test_vectorized(linear_grads_vectorized, dZ, A_prev, W, "db", "test_linear_grads_vectorized_db")


def test_linear_grads_vectorized_dA_prev(linear_grads_vectorized, dZ, A_prev, W):
    """linear_grads_vectorized's dA_prev (n_prev, m), per example, matches finite differences (layer_problem(403))."""
    _test_vectorized(linear_grads_vectorized, dZ, A_prev, W, "dA_prev", "test_linear_grads_vectorized_dA_prev")


# ----------------------------------------------------------------------------
# Part 4: check_dimensions
# ----------------------------------------------------------------------------


def layer_shapes(n_prev, n_l, m, gradients=True):
    """{name: shape} of one consistent layer: W, b, A_prev, Z, and with gradients dW, db, dA_prev, dZ."""
    shapes = {"W": (n_l, n_prev), "b": (n_l, 1), "A_prev": (n_prev, m), "Z": (n_l, m)}
    if gradients:
        shapes.update({"dW": (n_l, n_prev), "db": (n_l, 1), "dA_prev": (n_prev, m), "dZ": (n_l, m)})
    return shapes


def mismatch_cases(n_prev, n_l, m):
    """[(description, shapes, names the message must contain)]: one broken rule at a time.

    Each case changes a consistent layer_shapes(n_prev, n_l, m) so that exactly
    one rule of Part 4 fails (gradients follow their variable when the
    variable is the broken one).
    """
    good = layer_shapes(n_prev, n_l, m)
    changes = [
        ("A_prev has more rows than W has columns", {"A_prev": (n_prev + 1, m), "dA_prev": (n_prev + 1, m)},
         ["W", "A_prev"]),
        ("A_prev is transposed (examples as rows)",
         {"A_prev": (m, n_prev), "dA_prev": (m, n_prev), "Z": (n_l, n_prev), "dZ": (n_l, n_prev)}, ["W", "A_prev"]),
        ("b is a 1-D array (no keepdims)", {"b": (n_l,), "db": (n_l,)}, ["b"]),
        ("b is a row", {"b": (1, n_l), "db": (1, n_l)}, ["b"]),
        ("Z has one column too many", {"Z": (n_l, m + 1), "dZ": (n_l, m + 1)}, ["Z"]),
        ("Z is transposed", {"Z": (m, n_l), "dZ": (m, n_l)}, ["Z"]),
        ("dW is transposed", {"dW": (n_prev, n_l)}, ["dW"]),
        ("db is a 1-D array (np.sum without keepdims)", {"db": (n_l,)}, ["db"]),
        ("db was summed over the wrong axis", {"db": (1, m)}, ["db"]),
        ("dA_prev is transposed", {"dA_prev": (m, n_prev)}, ["dA_prev"]),
        ("dZ has the wrong number of examples", {"dZ": (n_l, m + 2)}, ["dZ"]),
    ]
    cases = []
    for description, change, must_name in changes:
        shapes = dict(good)
        shapes.update(change)
        cases.append((description, shapes, must_name))
    missing = dict(good)
    del missing["W"]
    cases.append(("W is missing", missing, ["W"]))
    typo = dict(good)
    typo["dw"] = typo.pop("dW")
    cases.append(("a misspelled name 'dw'", typo, ["dw"]))
    return cases


def _names_in(text, names):
    """The names that appear in text as whole names (dW does not count as W)."""
    return [name for name in names if re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text)]


def _lists_every_entry(text, shapes):
    """True if text names every entry of shapes and shows every entry's shape (e.g. the dict itself)."""
    return (len(_names_in(text, list(shapes))) == len(shapes)
            and all(str(tuple(shape)) in text for shape in shapes.values()))


def _check_dimensions_outcomes(check_dimensions, cases, runner):
    """What the student's check_dimensions did for each shapes dict of cases: None (it returned), the
    ValueError it raised, or another exception (kept, for _value_error to turn into advice).

    One runner call runs every case (the hidden runner watches for forbidden calls once).
    """
    def call():
        outcomes = []
        for shapes in cases:
            try:
                check_dimensions(dict(shapes))
            except (NotImplementedError, NameError):
                raise
            except Exception as error:  # noqa: BLE001 - judged case by case, in order, by _value_error
                outcomes.append(error)
                continue
            outcomes.append(None)
        return outcomes

    return (runner or _visible_run)(call, name="check_dimensions")


def _value_error(outcome, shapes):
    """The ValueError (or None) check_dimensions gave for shapes; AssertionError advice for any other exception."""
    if outcome is None or isinstance(outcome, ValueError):
        return outcome
    if isinstance(outcome, AssertionError):
        raise AssertionError(
            f"check_dimensions raised AssertionError ({outcome}) for the shapes {shapes}; it must raise "
            "ValueError for a mismatch and return None otherwise.\nLikely reason: an `assert` statement; use "
            "`raise ValueError(...)` (an AssertionError means a bug in the program, not bad input).\n"
            "Look at: every assert in check_dimensions."
        )
    raise AssertionError(
        f"check_dimensions raised {type(outcome).__name__} ({outcome}) for the shapes {shapes}; it must raise "
        "ValueError for a mismatch and return None otherwise.\nLikely reason: an error in the checker itself, "
        "e.g. indexing a shape that does not have that many entries, or a name that is missing.\n"
        "Look at: the line of check_dimensions the traceback points to."
    )


def check_accepts(check_dimensions, shapes, runner=None):
    """check_dimensions(shapes) must return None, without raising, for consistent shapes."""
    (outcome,) = _check_dimensions_outcomes(check_dimensions, [shapes], runner)
    error = _value_error(outcome, shapes)
    if error is not None:
        raise AssertionError(
            f"check_dimensions raised ValueError({str(error)!r}) for the consistent shapes {shapes}.\n"
            "Likely reason: a rule compares the wrong pair of numbers (e.g. W's rows with A_prev's rows), a size "
            "is typed in, or the optional gradients were treated as required.\nLook at: each comparison in "
            "check_dimensions."
        )
    print(f"  accepted {shapes}")


def check_catches(check_dimensions, n_prev, n_l, m, runner=None):
    """Every case of mismatch_cases(n_prev, n_l, m) must raise ValueError naming its offending entries.

    A message that lists every entry with its shape (such as the dict
    itself) does not say which is wrong, and fails.
    """
    cases = mismatch_cases(n_prev, n_l, m)
    outcomes = _check_dimensions_outcomes(check_dimensions, [shapes for _, shapes, _ in cases], runner)
    for (description, shapes, must_name), outcome in zip(cases, outcomes):
        error = _value_error(outcome, shapes)
        if error is None:
            raise AssertionError(
                f"check_dimensions did not raise for: {description}.\nShapes: {shapes}\n"
                "Likely reason: that rule is not checked. Every rule in the instructions needs its own check "
                "(the product W A_prev, b and Z against W and A_prev, each gradient against its variable, "
                "required and unknown names).\nLook at: the rules of Part 4, one by one."
            )
        text = str(error)
        unnamed = [name for name in must_name if name not in _names_in(text, must_name)]
        if unnamed:
            raise AssertionError(
                f"check_dimensions raised ValueError for: {description}, but the message does not name "
                f"{' and '.join(unnamed)}.\nYour message: {text!r}\nLikely reason: the message does not say which "
                "entry is wrong.\nLook at: name the offending entry (or both entries of a product) in the message, "
                "with the shapes involved."
            )
        if _lists_every_entry(text, shapes):
            raise AssertionError(
                f"check_dimensions raised ValueError for: {description}, but its message lists every entry with "
                f"its shape, so it does not say which one is wrong.\nYour message: {text!r}\nLikely reason: the "
                "whole dict was put into the message.\nLook at: name only the offending entry (or both entries "
                "of a product), with the shapes involved."
            )
        print(f"  caught   {description:45s} -> ValueError: {text[:70]}")


def test_check_dimensions_accepts_consistent_shapes(check_dimensions, n_prev, n_l, m):
    """check_dimensions returns None for a consistent layer of these sizes, with all gradients and with none."""
    for gradients in (True, False):
        check_accepts(check_dimensions, layer_shapes(n_prev, n_l, m, gradients))


def test_check_dimensions_catches_mismatches(check_dimensions, n_prev, n_l, m):
    """check_dimensions raises ValueError naming the offending entry for each case of mismatch_cases(n_prev, n_l, m)."""
    check_catches(check_dimensions, n_prev, n_l, m)


# ----------------------------------------------------------------------------
# Part 5: the softmax Jacobian
# ----------------------------------------------------------------------------


def jacobian_suspects(z, expected):
    """{description: Jacobian} of the typical mistakes at logits z (K,), written with p and the expected Jacobian."""
    z = np.asarray(z, dtype=np.float64).ravel()
    p = softmax(z.reshape(-1, 1)).ravel()
    diag_p = np.diag(p)
    return {
        JACOBIAN_PLUS: 2 * diag_p - expected,
        JACOBIAN_OUTER_ONLY: diag_p - expected,
        JACOBIAN_MINUS_OUTER_ONLY: expected - diag_p,
        JACOBIAN_DIAGONAL_ONLY: diag_p,
        JACOBIAN_STAR_1D: diag_p - (p * p)[np.newaxis, :],
        JACOBIAN_OF_EXP: np.diag(np.exp(np.minimum(z, 700.0))),
    }


def check_jacobian(label, jacobian, expected, suspects, where=JACOBIAN_WHERE, **tolerances):
    """One Jacobian (K, K) against the expected one; suspects: jacobian_suspects(z, expected)."""
    check_array(label, jacobian, expected, suspects=suspects, where=where, **tolerances)


def _jacobian_expected():
    """The Jacobian at JACOBIAN_Z by finite differences: row r is the gradient of p_r = softmax(z)[r]."""
    z = JACOBIAN_Z
    return np.stack([numerical_gradient(lambda nudged: softmax(nudged.reshape(-1, 1))[r, 0], z.copy())
                     for r in range(z.size)])


def test_softmax_jacobian(softmax_jacobian, z):
    """softmax_jacobian(z) matches finite differences of softmax at z = JACOBIAN_Z, given as (K,) and as (K, 1)."""
    _require("test_softmax_jacobian", {"z": z}, {"z": JACOBIAN_Z})
    expected = _jacobian_expected()
    suspects = jacobian_suspects(z, expected)
    K = z.size
    for shape in ((K,), (K, 1)):
        jacobian = call_unchanged(softmax_jacobian, "softmax_jacobian", {"z": z.reshape(shape)})
        check_jacobian(f"softmax_jacobian(z of shape {shape})", jacobian, expected, suspects,
                       rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    print("  rows sum to", np.round(np.sum(jacobian, axis=1), 12))


# ----------------------------------------------------------------------------
# Part 6: softmax with cross-entropy
# ----------------------------------------------------------------------------


def softmax_problem(seed):
    """(Z, labels) of Part 6's visible tests: logits Z (4, 7), normal with scale 1.5, and class indices (7,) in [0, 4).

    Only CROSS_ENTROPY_SEED is a visible problem.
    """
    rng = np.random.default_rng(seed)
    Z = rng.normal(scale=1.5, size=(_CROSS_ENTROPY_K, len(_CROSS_ENTROPY_LABELS)))
    return Z, np.array(_CROSS_ENTROPY_LABELS)


def cross_entropy_suspects(Z, labels, expected):
    """{description: dZ} of the typical mistakes for logits Z (K, m) and class indices labels (m,)."""
    Y = one_hot(labels, Z.shape[0])
    return {
        CE_NO_SOFTMAX: expected - softmax(Z) + Z,
        CE_INDICES_AS_NUMBERS: expected + Y - np.asarray(labels).reshape(1, -1),
        CE_TARGETS_IGNORED: expected + Y,
    }


def check_cross_entropy_grad(label, dZ, expected, m, suspects, where, **tolerances):
    """dZ (K, m) against the expected per-example gradient softmax(Z) - Y; m names a 1/m put in."""
    check_array(label, dZ, expected, m=m, suspects=suspects, where=where, **tolerances)


def _cross_entropy_expected():
    """dZ of softmax_problem(CROSS_ENTROPY_SEED) by finite differences of the summed per-example losses."""
    Z, labels = softmax_problem(CROSS_ENTROPY_SEED)
    Y = one_hot(labels, Z.shape[0])
    return numerical_gradient(lambda nudged: float(np.sum(categorical_cross_entropy_loss(softmax(nudged), Y))),
                              Z.copy())


def _known_softmax_problem(test, Z, labels):
    known_Z, known_labels = softmax_problem(CROSS_ENTROPY_SEED)
    _require(test, {"Z": Z, "labels": labels}, {"Z": known_Z, "labels": known_labels})


def test_softmax_cross_entropy_grad_one_hot(softmax_cross_entropy_grad, Z, Y):
    """softmax_cross_entropy_grad(Z, Y) with one-hot Y (K, m): dZ = softmax(Z) - Y per example, by finite differences.

    Z, Y: softmax_problem(406)'s logits and one_hot(labels, 4).
    """
    known_Z, labels = softmax_problem(CROSS_ENTROPY_SEED)
    _require("test_softmax_cross_entropy_grad_one_hot", {"Z": Z, "Y": Y},
             {"Z": known_Z, "Y": one_hot(labels, known_Z.shape[0])})
    expected = _cross_entropy_expected()
    dZ = call_unchanged(softmax_cross_entropy_grad, "softmax_cross_entropy_grad", {"Z": Z, "Y": Y})
    check_cross_entropy_grad("dZ (one-hot Y)", dZ, expected, Z.shape[1], cross_entropy_suspects(Z, labels, expected),
                             "softmax_cross_entropy_grad, the one-hot case", rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)


def test_softmax_cross_entropy_grad_indices(softmax_cross_entropy_grad, Z, labels):
    """softmax_cross_entropy_grad(Z, y) with class indices y of shape (m,) and (1, m) gives the one-hot form's dZ.

    Z, labels: softmax_problem(406).
    """
    _known_softmax_problem("test_softmax_cross_entropy_grad_indices", Z, labels)
    expected = _cross_entropy_expected()
    suspects = cross_entropy_suspects(Z, labels, expected)
    for targets in (labels, labels.reshape(1, -1)):
        dZ = call_unchanged(softmax_cross_entropy_grad, "softmax_cross_entropy_grad", {"Z": Z, "Y": targets})
        check_cross_entropy_grad(f"dZ (class indices of shape {targets.shape})", dZ, expected, Z.shape[1], suspects,
                                 "softmax_cross_entropy_grad, the class-index case: subtract 1 at row y(i) of column i",
                                 rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)


# ----------------------------------------------------------------------------
# Part 7: row layout
# ----------------------------------------------------------------------------


def rows_problem(seed):
    """(dZ_rows, A_prev_rows, W_rows): layer_problem(seed) stored one example per row, (7, 3), (7, 5), (5, 3).

    dZ_rows = dZ.T, A_prev_rows = A_prev.T, W_rows = W.T, as new C-ordered arrays.
    """
    return tuple(np.ascontiguousarray(array.T) for array in layer_problem(seed))


def _rows_expected():
    """{"dA_prev_rows", "dW_rows", "db_rows"} of rows_problem(ROWS_SEED) by finite differences of the row forward pass.

    Z_rows = A_prev_rows W_rows + b_rows is computed as the transpose of utils.forward.linear_forward.
    """
    dZ, A_prev, W, b = _layer(ROWS_SEED)
    dZ_rows, A_prev_rows, W_rows, b_rows = dZ.T.copy(), A_prev.T.copy(), W.T.copy(), b.T.copy()
    m = dZ_rows.shape[0]

    def row_forward(A_rows, W_r, b_r):
        return linear_forward(A_rows.T, W_r.T, b_r.T)[0].T

    return {
        "dA_prev_rows": numerical_layer_gradient(lambda nudged: row_forward(nudged, W_rows, b_rows),
                                                 A_prev_rows.copy(), dZ_rows),
        "dW_rows": numerical_layer_gradient(lambda nudged: row_forward(A_prev_rows, nudged, b_rows),
                                            W_rows.copy(), dZ_rows / m),
        "db_rows": numerical_layer_gradient(lambda nudged: row_forward(A_prev_rows, W_rows, nudged),
                                            b_rows.copy(), dZ_rows / m),
    }


def rows_suspects(dZ_rows):
    """{key: {description: value}} of Part 7's typical mistakes that a shape alone does not name."""
    m = dZ_rows.shape[0]
    return {"db_rows": {ROWS_DB_OVER_UNITS: np.sum(dZ_rows, axis=1, keepdims=True) / m}}


def column_layout_rule():
    """The rule Part 7's stand-ins state (also in Part 7's instructions)."""
    return ("linear_backward_rows may call linear_grads_vectorized or linear_grads_loops only on its own inputs "
            "transposed: (dZ_rows.T, A_prev_rows.T, W_rows.T)")


def _column_layout_stand_ins(dZ_rows, A_prev_rows, W_rows, column_gradients):
    """Stand-ins for Parts 1 and 2 that answer only this test's inputs, transposed, with column_gradients."""
    case = {"dZ": dZ_rows.T, "A_prev": A_prev_rows.T, "W": W_rows.T}
    return {name: stand_in(name, SIGNATURES, cases=[case], answer=[column_gradients], rule=column_layout_rule())
            for name in ("linear_grads_vectorized", "linear_grads_loops")}


def test_linear_backward_rows(linear_backward_rows, dZ_rows, A_prev_rows, W_rows):
    """linear_backward_rows returns (dA_prev_rows, dW_rows, db_rows) matching finite differences of the row layer.

    dZ_rows, A_prev_rows, W_rows: rows_problem(407). While it runs,
    linear_grads_vectorized and linear_grads_loops are stand-ins that know
    only these inputs transposed (so a mistake in Part 1 or 2 costs points
    only there); the results equal the transposed column-layout gradients.
    """
    known = dict(zip(("dZ_rows", "A_prev_rows", "W_rows"), rows_problem(ROWS_SEED)))
    _require("test_linear_backward_rows", {"dZ_rows": dZ_rows, "A_prev_rows": A_prev_rows, "W_rows": W_rows}, known)
    expected = _rows_expected()
    m = dZ_rows.shape[0]
    column = tuple(expected[key].T for key in _ROW_ORDER)
    with replaced_all(linear_backward_rows, _column_layout_stand_ins(dZ_rows, A_prev_rows, W_rows, column), SIGNATURES):
        result = call_unchanged(linear_backward_rows, "linear_backward_rows",
                                {"dZ_rows": dZ_rows, "A_prev_rows": A_prev_rows, "W_rows": W_rows})
    grads = row_grads(result, [A_prev_rows.shape, W_rows.shape, (1, W_rows.shape[1])])
    check_row_grads(grads, expected, m, suspects=rows_suspects(dZ_rows), rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
