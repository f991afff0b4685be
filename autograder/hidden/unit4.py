"""Assignment 4 (04_elementwise_derivations): the hidden half of each graded test cell (instructor-only).

Each test cell of source/04_elementwise_derivations ends with

    ### BEGIN HIDDEN TESTS
    from autograder.hidden import unit4 as hidden

    hidden.test_linear_grads_vectorized_dW(linear_grads_vectorized)
    ### END HIDDEN TESTS

Every function draws fresh inputs from a printed seed (hidden_rng), with
sizes that differ from every size of the visible tests (n_prev = 5, n_l = 3,
m = 7; K = 5 for the Jacobian, K = 4 and m = 7 for the cross-entropy) and
from each other, so a typed-in size or a transposed result cannot pass. It
runs the student's function through `call_hidden` (code that calls a
finite-difference oracle, utils.autodiff or any function of utils.testing
fails), and checks the result with the visible module's checks and mistake
names (utils.testing.unit4) against exact values computed here.

A failure on the hidden sizes is run once more on fresh inputs of the
visible test's sizes: if the function is right there, the feedback says that
a size is typed in (the usual reason a function passes its visible test and
fails its hidden one).

While linear_backward_rows is graded, linear_grads_vectorized and
linear_grads_loops are the grader's reference below (never a utils.testing
stand-in, whose own calls would count as forbidden), so a mistake in Part 1
or 2 costs points only in their own cells.

Public API
----------
SIGNATURES                                          the assignment's def lines (utils.testing.unit4's)
reference_layer_gradients(dZ, A_prev, W)            the grader's (dA_prev, dW, db), the assignment's signature
NoMatrixProducts                                    an ndarray that refuses matrix products (Part 1's hidden check)
layer_sizes(rng)                                    fresh (n_prev, n_l, m) for the layer tests
test_linear_grads_loops_values(linear_grads_loops), test_linear_grads_loops_no_matrix_product(linear_grads_loops),
test_linear_grads_vectorized_dW / _db / _dA_prev(linear_grads_vectorized),
test_check_dimensions_accepts_consistent_shapes(check_dimensions),
test_check_dimensions_catches_mismatches(check_dimensions),
test_softmax_jacobian(softmax_jacobian), test_softmax_cross_entropy_grad_one_hot / _indices(softmax_cross_entropy_grad),
test_linear_backward_rows(linear_backward_rows)
"""

import contextlib
import io

import numpy as np

from autograder.hidden._common import SEPARATING_M, call_hidden, forbidden_calls, hidden_rng, replaced_all
from utils.activations import softmax
from utils.losses import one_hot
from utils.testing import unit4

SIGNATURES = unit4.SIGNATURES
TRIALS = 2

#: The sizes of the visible tests; the hidden tests never use them.
VISIBLE_LAYER = {"n_prev": 5, "n_l": 3, "m": 7}
VISIBLE_JACOBIAN = {"K": 5}
VISIBLE_CROSS_ENTROPY = {"K": 4, "m": 7}
_VISIBLE_VALUES = frozenset({3, 4, 5, 7})
#: The last line of utils.checks.check_does_not_call's message when a forbidden function was called.
FORBIDDEN_CALL = "Compute the result yourself from the formula you derived."


# ----------------------------------------------------------------------------
# References (the assignment's signatures; never shipped)
# ----------------------------------------------------------------------------


def reference_layer_gradients(dZ, A_prev, W):
    """The grader's (dA_prev, dW, db) of Z = W A_prev + b: (W^T dZ, dZ A_prev^T / m, row sums of dZ / m)."""
    m = dZ.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def _expected_layer(dZ, A_prev, W):
    return dict(zip(("dA_prev", "dW", "db"), reference_layer_gradients(dZ, A_prev, W)))


# ----------------------------------------------------------------------------
# Sizes, runs and the typed-in diagnosis
# ----------------------------------------------------------------------------


def layer_sizes(rng):
    """{"n_prev", "n_l", "m"}: distinct sizes, none of them a visible one (3, 4, 5, 7), m in SEPARATING_M."""
    widths = [k for k in range(2, 13) if k not in _VISIBLE_VALUES]
    n_prev, n_l = (int(k) for k in rng.choice(widths, size=2, replace=False))
    m = int(rng.choice([k for k in SEPARATING_M if k not in _VISIBLE_VALUES | {n_prev, n_l}]))
    return {"n_prev": n_prev, "n_l": n_l, "m": m}


def _class_sizes(rng, with_m):
    """{"K"} (and "m"): K classes in 3..9 and m examples, none of them a visible size."""
    K = int(rng.choice([k for k in range(3, 10) if k not in _VISIBLE_VALUES]))
    if not with_m:
        return {"K": K}
    return {"K": K, "m": int(rng.choice([k for k in SEPARATING_M if k not in _VISIBLE_VALUES | {K}]))}


def _runner():
    """runner(function, *args, name=None): call_hidden with the forbidden list computed once."""
    forbidden = forbidden_calls()

    def run(function, *args, name=None):
        return call_hidden(function, *args, forbidden=forbidden, name=name)

    return run


def _shown(sizes):
    return ", ".join(f"{key} = {value}" for key, value in sizes.items())


def _first_lines(error, count=3):
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return "\n".join(lines[:count]) or type(error).__name__


def _passes(trial, sizes, rng):
    """True if trial(sizes, rng) runs without an error (its printing swallowed)."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            trial(sizes, rng)
    except Exception:  # noqa: BLE001 - any failure means: not right at these sizes either
        return False
    return True


def _trials(name, trial, draws, rng, visible, how):
    """trial(sizes, rng) for each sizes in draws; a failure the visible sizes do not show is named as a typed-in size.

    name: the graded function; visible: the visible test's sizes; how: where
    the sizes come from (e.g. "n_l, m = dZ.shape").
    """
    for sizes in draws:
        print(f"  {_shown(sizes)}")
        try:
            trial(sizes, rng)
        except Exception as error:
            if not _passes(trial, visible, np.random.default_rng(int(rng.integers(2**32)))):
                raise
            raise AssertionError(
                f"{name} is right for the visible test's sizes ({_shown(visible)}) but not for this hidden test's "
                f"({_shown(sizes)}): a size is typed in.\nLikely reason: a number of the visible test (such as "
                f"{', '.join(str(value) for value in visible.values())}) was written into the code; take every "
                f"size from the inputs ({how}).\nLook at: every number in {name} other than 0 and 1.\n"
                f"What went wrong with the hidden sizes: {_first_lines(error)}"
            ) from None


def _layer_inputs(sizes, rng):
    n_prev, n_l, m = sizes["n_prev"], sizes["n_l"], sizes["m"]
    return {"dZ": rng.standard_normal((n_l, m)), "A_prev": rng.standard_normal((n_prev, m)),
            "W": rng.standard_normal((n_l, n_prev))}


# ----------------------------------------------------------------------------
# Parts 1 and 2
# ----------------------------------------------------------------------------


def test_linear_grads_loops_values(linear_grads_loops):
    _, rng = hidden_rng()
    run = _runner()

    def trial(sizes, rng):
        inputs = _layer_inputs(sizes, rng)
        result = unit4.run_loops(linear_grads_loops, inputs, runner=run)
        grads = unit4.layer_grads(result, "linear_grads_loops", [inputs["A_prev"].shape, inputs["W"].shape,
                                                                  (sizes["n_l"], 1)])
        unit4.check_layer_grads(grads, _expected_layer(**inputs), sizes["m"], where=unit4.LOOPS_WHERE)

    draws = [layer_sizes(rng) for _ in range(TRIALS)]
    _trials("linear_grads_loops", trial, draws, rng, VISIBLE_LAYER, "n_l, m = dZ.shape; n_prev = A_prev.shape[0]")


class NoMatrixProducts(np.ndarray):
    """An array that refuses matrix products (@, np.dot, np.einsum, ...), also inside helper functions."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in (np.matmul, getattr(np, "vecdot", None)):
            raise RuntimeError("matrix product on a guarded array")
        inputs = tuple(x.view(np.ndarray) if isinstance(x, NoMatrixProducts) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(x.view(np.ndarray) if isinstance(x, NoMatrixProducts) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if func in (np.dot, np.einsum, np.tensordot, np.inner, np.outer, np.vdot, np.kron, np.linalg.multi_dot):
            raise RuntimeError(f"matrix product np.{func.__name__} on a guarded array")
        return super().__array_function__(func, types, args, kwargs)

    def dot(self, *args, **kwargs):
        raise RuntimeError("matrix product .dot on a guarded array")


def test_linear_grads_loops_no_matrix_product(linear_grads_loops):
    """Part 1 on arrays that refuse matrix products: one in a helper function is caught too."""
    _, rng = hidden_rng()
    sizes = layer_sizes(rng)
    print(f"  {_shown(sizes)}")
    guarded = [array.view(NoMatrixProducts) for array in _layer_inputs(sizes, rng).values()]
    try:
        call_hidden(linear_grads_loops, *guarded)
    except RuntimeError as error:
        if "guarded array" not in str(error):
            return  # wrong values or indices are the business of test_linear_grads_loops_values
        raise AssertionError(
            f"linear_grads_loops (or a function it calls) computes a {error}.\nLikely reason: a matrix product "
            "hidden in a helper function or a method such as .dot.\nLook at: this part asks for explicit loops "
            "over the indices, no matrix products."
        ) from None
    except AssertionError as error:
        if FORBIDDEN_CALL in str(error) or "not implemented yet" in str(error):
            raise  # an oracle called (or a blank answer): no point for loops that are not there
        return  # a shape error: the values test's business
    except Exception:  # noqa: BLE001 - other errors are the values test's business
        return
    print("  loops    ok      no matrix product, also on guarded arrays")


def _test_vectorized(linear_grads_vectorized, key):
    _, rng = hidden_rng()
    run = _runner()

    def trial(sizes, rng):
        inputs = _layer_inputs(sizes, rng)
        result = unit4.call_unchanged(linear_grads_vectorized, "linear_grads_vectorized", inputs, runner=run)
        grads = unit4.layer_grads(result, "linear_grads_vectorized", [inputs["A_prev"].shape, inputs["W"].shape,
                                                                       (sizes["n_l"], 1)])
        unit4.check_layer_grads(grads, _expected_layer(**inputs), sizes["m"], keys=(key,))

    draws = [layer_sizes(rng) for _ in range(TRIALS)]
    _trials("linear_grads_vectorized", trial, draws, rng, VISIBLE_LAYER, "m = dZ.shape[1]")


def test_linear_grads_vectorized_dW(linear_grads_vectorized):
    _test_vectorized(linear_grads_vectorized, "dW")


def test_linear_grads_vectorized_db(linear_grads_vectorized):
    _test_vectorized(linear_grads_vectorized, "db")


def test_linear_grads_vectorized_dA_prev(linear_grads_vectorized):
    _test_vectorized(linear_grads_vectorized, "dA_prev")


# ----------------------------------------------------------------------------
# Part 4
# ----------------------------------------------------------------------------


def test_check_dimensions_accepts_consistent_shapes(check_dimensions):
    """Consistent layers of fresh sizes, each with a random subset of the optional gradients."""
    _, rng = hidden_rng()
    run = _runner()

    def trial(sizes, rng):
        shapes = unit4.layer_shapes(sizes["n_prev"], sizes["n_l"], sizes["m"])
        keep = {name for name in ("dW", "db", "dA_prev", "dZ") if rng.random() < 0.5}
        unit4.check_accepts(check_dimensions, {name: shape for name, shape in shapes.items()
                                               if not name.startswith("d") or name in keep}, runner=run)

    draws = [layer_sizes(rng) for _ in range(3)]
    _trials("check_dimensions", trial, draws, rng, VISIBLE_LAYER, "n_l, n_prev = shapes['W']; m = shapes['A_prev'][1]")


def test_check_dimensions_catches_mismatches(check_dimensions):
    _, rng = hidden_rng()
    run = _runner()

    def trial(sizes, rng):
        unit4.check_catches(check_dimensions, sizes["n_prev"], sizes["n_l"], sizes["m"], runner=run)

    _trials("check_dimensions", trial, [layer_sizes(rng)], rng, VISIBLE_LAYER,
            "n_l, n_prev = shapes['W']; m = shapes['A_prev'][1]")


# ----------------------------------------------------------------------------
# Parts 5 and 6
# ----------------------------------------------------------------------------


def _exact_jacobian(z):
    p = softmax(np.asarray(z, dtype=np.float64).reshape(-1, 1))
    return np.diagflat(p) - p @ p.T


def test_softmax_jacobian(softmax_jacobian):
    """Fresh K, z given as (K,) and (K, 1), then z + 1000 (the same Jacobian; exp(1000) overflows)."""
    _, rng = hidden_rng()
    run = _runner()

    def trial(sizes, rng):
        K = sizes["K"]
        z = rng.normal(scale=2.0, size=K)
        exact = _exact_jacobian(z)
        suspects = unit4.jacobian_suspects(z, exact)
        for shape in ((K,), (K, 1)):
            jacobian = unit4.call_unchanged(softmax_jacobian, "softmax_jacobian", {"z": z.reshape(shape)}, runner=run)
            unit4.check_jacobian(f"softmax_jacobian(z of shape {shape})", jacobian, exact, suspects)
        # softmax is shift-invariant, so the Jacobian at z + 1000 is the one at z; it must not overflow.
        jacobian = unit4.call_unchanged(softmax_jacobian, "softmax_jacobian", {"z": z + 1000.0}, runner=run)
        unit4.check_jacobian("softmax_jacobian(z + 1000)", jacobian, exact, None,
                             where="exp(1000) overflows: use the given softmax (it subtracts the max), not np.exp")

    _trials("softmax_jacobian", trial, [_class_sizes(rng, with_m=False)], rng, VISIBLE_JACOBIAN, "K = z.size")


def _cross_entropy_inputs(sizes, rng):
    K, m = sizes["K"], sizes["m"]
    Z = rng.normal(scale=2.0, size=(K, m))
    labels = rng.integers(0, K, size=m)
    labels[: min(K, m)] = rng.permutation(K)[: min(K, m)]   # every class appears (when m >= K)
    return Z, labels[rng.permutation(m)]


#: Where to look, per target form.
_CROSS_ENTROPY_WHERE = {
    "one-hot": "softmax_cross_entropy_grad, the one-hot case; use the given softmax, which is stable for large logits",
    "indices": "softmax_cross_entropy_grad, the class-index case: subtract 1 at row y(i) of column i",
}


def _test_cross_entropy(softmax_cross_entropy_grad, form):
    """Fresh K and m; form "one-hot": Y one-hot, the logits also times 1000; "indices": shapes (m,) and (1, m)."""
    _, rng = hidden_rng()
    run = _runner()

    def trial(sizes, rng):
        Z, labels = _cross_entropy_inputs(sizes, rng)
        Y = one_hot(labels, sizes["K"])
        if form == "one-hot":
            cases = [(f"dZ (one-hot Y, logits x {scale:g})", Z * scale, Y) for scale in (1.0, 1000.0)]
        else:
            cases = [(f"dZ (class indices of shape {targets.shape})", Z, targets)
                     for targets in (labels, labels.reshape(1, -1))]
        for label, logits, targets in cases:
            exact = softmax(logits) - Y
            dZ = unit4.call_unchanged(softmax_cross_entropy_grad, "softmax_cross_entropy_grad",
                                      {"Z": logits, "Y": targets}, runner=run)
            unit4.check_cross_entropy_grad(label, dZ, exact, sizes["m"],
                                           unit4.cross_entropy_suspects(logits, labels, exact),
                                           _CROSS_ENTROPY_WHERE[form])

    _trials("softmax_cross_entropy_grad", trial, [_class_sizes(rng, with_m=True)], rng, VISIBLE_CROSS_ENTROPY,
            "K, m = Z.shape")


def test_softmax_cross_entropy_grad_one_hot(softmax_cross_entropy_grad):
    _test_cross_entropy(softmax_cross_entropy_grad, "one-hot")


def test_softmax_cross_entropy_grad_indices(softmax_cross_entropy_grad):
    _test_cross_entropy(softmax_cross_entropy_grad, "indices")


# ----------------------------------------------------------------------------
# Part 7
# ----------------------------------------------------------------------------


def test_linear_backward_rows(linear_backward_rows):
    """Fresh sizes; the row-layout gradients are the transposed column-layout ones (the reference's)."""
    _, rng = hidden_rng()
    run = _runner()
    references = {"linear_grads_vectorized": reference_layer_gradients, "linear_grads_loops": reference_layer_gradients}

    def trial(sizes, rng):
        column = _layer_inputs(sizes, rng)
        rows = {"dZ_rows": column["dZ"].T.copy(), "A_prev_rows": column["A_prev"].T.copy(),
                "W_rows": column["W"].T.copy()}
        expected = {f"{key}_rows": value.T for key, value in _expected_layer(**column).items()}
        with replaced_all(linear_backward_rows, references, SIGNATURES):
            result = unit4.call_unchanged(linear_backward_rows, "linear_backward_rows", rows, runner=run)
        grads = unit4.row_grads(result, [rows["A_prev_rows"].shape, rows["W_rows"].shape, (1, sizes["n_l"])])
        unit4.check_row_grads(grads, expected, sizes["m"], suspects=unit4.rows_suspects(rows["dZ_rows"]))

    draws = [layer_sizes(rng) for _ in range(TRIALS)]
    _trials("linear_backward_rows", trial, draws, rng, VISIBLE_LAYER, "m, n_l = dZ_rows.shape")
