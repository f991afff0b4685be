"""Unit 4 (elementwise derivations): proof that the autograder grades right.

One `autograde` call grades the solution, the blank release, and one submission
per typical mistake. Each mistake must lose exactly the points of the cells it
breaks, and the feedback of each broken cell must name the mistake.
"""

import textwrap

import pytest

from tests.nbgrade_support import autograde, blank_submission, describe, submission_with

pytestmark = pytest.mark.slow

ASSIGNMENT = "04_elementwise_derivations"

VECTORIZED_CELLS = {"test_linear_grads_vectorized_dW", "test_linear_grads_vectorized_db", "test_linear_grads_vectorized_dA_prev"}
CE_CELLS = {"test_softmax_cross_entropy_grad_one_hot", "test_softmax_cross_entropy_grad_indices"}


def _vectorized(dW="dZ @ A_prev.T / m", db="np.sum(dZ, axis=1, keepdims=True) / m", dA_prev="W.T @ dZ"):
    return textwrap.dedent(f"""
        def linear_grads_vectorized(dZ, A_prev, W):
            m = dZ.shape[1]
            dW = {dW}
            db = {db}
            dA_prev = {dA_prev}
            return dA_prev, dW, db
        """)


def _loops(dW_k_range="n_prev", dA_prev_term="W[j, k] * dZ[j, i]"):
    return textwrap.dedent(f"""
        def linear_grads_loops(dZ, A_prev, W):
            n_l, m = dZ.shape
            n_prev = A_prev.shape[0]
            dW = np.zeros((n_l, n_prev))
            db = np.zeros((n_l, 1))
            dA_prev = np.zeros((n_prev, m))
            for j in range(n_l):
                for k in range({dW_k_range}):
                    dW[j, k] = np.sum(dZ[j, :] * A_prev[k, :]) / m
                db[j, 0] = np.sum(dZ[j, :]) / m
            for k in range(n_prev):
                for i in range(m):
                    for j in range(n_l):
                        dA_prev[k, i] += {dA_prev_term}
            return dA_prev, dW, db
        """)


def _jacobian(body):
    return textwrap.dedent(f"""
        def softmax_jacobian(z):
            p = softmax(np.asarray(z, dtype=float).reshape(-1, 1))
            {body}
        """)


def _rows(dW="A_prev_rows.T @ dZ_rows / m", db="np.sum(dZ_rows, axis=0, keepdims=True) / m"):
    return textwrap.dedent(f"""
        def linear_backward_rows(dZ_rows, A_prev_rows, W_rows):
            m = dZ_rows.shape[0]
            return dZ_rows @ W_rows.T, {dW}, {db}
        """)


CHECK_DIMENSIONS_WITHOUT_PRODUCT = textwrap.dedent("""
    def check_dimensions(shapes):
        n_l, n_prev = shapes["W"]
        m = shapes["A_prev"][1]
        if shapes["b"] != (n_l, 1):
            raise ValueError(f"b has shape {shapes['b']}")
        if shapes["Z"] != (n_l, m):
            raise ValueError(f"Z has shape {shapes['Z']}")
        for grad, var in (("dW", "W"), ("db", "b"), ("dA_prev", "A_prev"), ("dZ", "Z")):
            if grad in shapes and shapes[grad] != shapes[var]:
                raise ValueError(f"{grad} has shape {shapes[grad]}, {var} has {shapes[var]}")
    """)

CHECK_DIMENSIONS_WITH_ASSERT = textwrap.dedent("""
    def check_dimensions(shapes):
        n_l, n_prev = shapes["W"]
        assert shapes["A_prev"][0] == n_prev, "W and A_prev do not line up"
        m = shapes["A_prev"][1]
        assert shapes["b"] == (n_l, 1), "b is wrong"
        assert shapes["Z"] == (n_l, m), "Z is wrong"
        for grad, var in (("dW", "W"), ("db", "b"), ("dA_prev", "A_prev"), ("dZ", "Z")):
            assert grad not in shapes or shapes[grad] == shapes[var], f"{grad} is wrong"
    """)

# name: (replacements {answer grade_id: code}, {failed test cell: [phrases its feedback must contain]})
MISTAKES = {
    "dW_transposed": (
        {"linear_grads_vectorized": _vectorized(dW="A_prev @ dZ.T / m")},
        {"test_linear_grads_vectorized_dW": ["dW is transposed"]},
    ),
    "no_1_over_m_in_dW_and_db": (
        {"linear_grads_vectorized": _vectorized(dW="dZ @ A_prev.T", db="np.sum(dZ, axis=1, keepdims=True)")},
        {"test_linear_grads_vectorized_dW": ["factor of m"], "test_linear_grads_vectorized_db": ["factor of m"]},
    ),
    "dA_prev_divided_by_m": (
        {"linear_grads_vectorized": _vectorized(dA_prev="W.T @ dZ / m")},
        {"test_linear_grads_vectorized_dA_prev": ["factor of 1/m", "averaged twice"]},
    ),
    "db_without_keepdims": (
        {"linear_grads_vectorized": _vectorized(db="np.sum(dZ, axis=1) / m")},
        {"test_linear_grads_vectorized_db": ["keepdims=True"]},
    ),
    "db_summed_over_wrong_axis": (
        {"linear_grads_vectorized": _vectorized(db="np.sum(dZ, axis=0, keepdims=True) / m")},
        {"test_linear_grads_vectorized_db": ["summed over the wrong axis"]},
    ),
    "dA_prev_without_transpose": (  # W @ dZ cannot be computed with non-square W: every vectorised cell fails
        {"linear_grads_vectorized": _vectorized(dA_prev="W @ dZ")},
        {cell: ["shape error", "needs a .T"] for cell in VECTORIZED_CELLS},
    ),
    "star_instead_of_matrix_product": (
        {"linear_grads_vectorized": _vectorized(dW="dZ * A_prev.T / m")},
        {cell: ["`*` multiplies elementwise", "matrix product"] for cell in VECTORIZED_CELLS},
    ),
    "loops_use_a_matrix_product": (
        {"linear_grads_loops": _vectorized().replace("linear_grads_vectorized", "linear_grads_loops")},
        {"test_linear_grads_loops_no_matrix_product": ["uses a matrix product", "the @ operator"]},
    ),
    "loop_over_the_wrong_range": (
        {"linear_grads_loops": _loops(dW_k_range="n_l")},
        {"test_linear_grads_loops_values": ["never filled in", "range("]},
    ),
    "loop_indexes_the_wrong_axis": (
        {"linear_grads_loops": _loops(dA_prev_term="W[k, j] * dZ[j, i]")},
        {"test_linear_grads_loops_values": ["IndexError", "indexes the wrong axis"]},
    ),
    "jacobian_sign_of_outer_product_flipped": (
        {"softmax_jacobian": _jacobian("return np.diagflat(p) + p @ p.T")},
        {"test_softmax_jacobian": ["diag(p) + p p^T", "must sum to 0"]},
    ),
    "jacobian_outer_product_only": (
        {"softmax_jacobian": _jacobian("return p @ p.T")},
        {"test_softmax_jacobian": ["only the outer product p p^T"]},
    ),
    "jacobian_star_on_1d_vectors": (
        {"softmax_jacobian": _jacobian("p = p.ravel()\n            return np.diag(p) - p * p")},
        {"test_softmax_jacobian": ["`*` was used on 1-D vectors"]},
    ),
    "jacobian_overflows_on_large_logits": (  # right on the visible inputs; only the hidden test catches it
        {"softmax_jacobian": textwrap.dedent("""
            def softmax_jacobian(z):
                e = np.exp(np.asarray(z, dtype=float).reshape(-1, 1))
                p = e / e.sum()
                return np.diagflat(p) - p @ p.T
            """)},
        {"test_softmax_jacobian": ["NaN", "overflow"]},
    ),
    "cross_entropy_grad_divided_by_m": (
        {"softmax_cross_entropy_grad": textwrap.dedent("""
            def softmax_cross_entropy_grad(Z, Y):
                Y = np.asarray(Y)
                Y_one_hot = Y if Y.shape == Z.shape else one_hot(Y, Z.shape[0])
                return (softmax(Z) - Y_one_hot) / Z.shape[1]
            """)},
        {cell: ["factor of 1/m"] for cell in CE_CELLS},
    ),
    "class_indices_subtracted_as_numbers": (
        {"softmax_cross_entropy_grad": "def softmax_cross_entropy_grad(Z, Y):\n    return softmax(Z) - Y\n"},
        {"test_softmax_cross_entropy_grad_indices": ["subtracted as numbers", "one_hot"]},
    ),
    "row_layout_in_column_order": (
        {"linear_backward_rows": _rows(dW="dZ_rows.T @ A_prev_rows / m")},
        {"test_linear_backward_rows": ["dW_rows is transposed"]},
    ),
    "row_layout_db_over_the_units": (
        {"linear_backward_rows": _rows(db="np.sum(dZ_rows, axis=1, keepdims=True) / m")},
        {"test_linear_backward_rows": ["summed over axis 1", "examples are axis 0"]},
    ),
    "check_dimensions_misses_the_product": (
        {"check_dimensions": CHECK_DIMENSIONS_WITHOUT_PRODUCT},
        {"test_check_dimensions_catches_mismatches": ["did not raise", "A_prev has more rows than W has columns"]},
    ),
    "check_dimensions_uses_assert": (
        {"check_dimensions": CHECK_DIMENSIONS_WITH_ASSERT},
        {"test_check_dimensions_catches_mismatches": ["raised AssertionError", "`assert` statement", "raise ValueError"]},
    ),
}


# Correct answers written differently from the solution: they must get every point (no false failures).
ALTERNATIVE_ANSWERS = {
    "linear_grads_loops": _loops(),
    "linear_grads_vectorized": textwrap.dedent("""
        def linear_grads_vectorized(dZ, A_prev, W):
            return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / dZ.shape[1], dZ.mean(axis=1, keepdims=True)
        """),
    "check_dimensions": textwrap.dedent("""
        def check_dimensions(shapes):
            wanted = {"W", "b", "A_prev", "Z"}
            for name in shapes:
                if name not in wanted | {"d" + w for w in wanted}:
                    raise ValueError(f"unexpected name '{name}'")
            for name in sorted(wanted):
                if name not in shapes:
                    raise ValueError(f"'{name}' is required")
            for name in ("dW", "db", "dA_prev", "dZ"):
                if name in shapes and shapes[name] != shapes[name[1:]]:
                    raise ValueError(f"shape mismatch: '{name}' is {shapes[name]}, should be {shapes[name[1:]]}")
            if shapes["W"][1] != shapes["A_prev"][0]:
                raise ValueError(f"cannot multiply W{shapes['W']} by A_prev{shapes['A_prev']}")
            expected = {"b": (shapes["W"][0], 1), "Z": (shapes["W"][0], shapes["A_prev"][1])}
            for name, shape in expected.items():
                if shapes[name] != shape:
                    raise ValueError(f"shape mismatch: '{name}' is {shapes[name]}, should be {shape}")
        """),
    "softmax_jacobian": textwrap.dedent("""
        def softmax_jacobian(z):
            z = np.ravel(z)
            e = np.exp(z - z.max())
            p = e / e.sum()
            return np.diag(p) - np.outer(p, p)
        """),
    "softmax_cross_entropy_grad": textwrap.dedent("""
        def softmax_cross_entropy_grad(Z, Y):
            dZ = softmax(Z)
            Y = np.asarray(Y)
            if Y.shape == dZ.shape:
                return dZ - Y
            dZ[Y.ravel(), np.arange(dZ.shape[1])] -= 1.0
            return dZ
        """),
    "linear_backward_rows": textwrap.dedent("""
        def linear_backward_rows(dZ_rows, A_prev_rows, W_rows):
            dA_prev, dW, db = linear_grads_vectorized(dZ_rows.T, A_prev_rows.T, W_rows.T)
            return dA_prev.T, dW.T, db.T
        """),
}


@pytest.fixture(scope="module")
def results():
    submissions = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT),
                   "alternative_answers": submission_with(ASSIGNMENT, ALTERNATIVE_ANSWERS)}
    for name, (replacements, _) in MISTAKES.items():
        submissions[name] = submission_with(ASSIGNMENT, replacements)
    graded = autograde(ASSIGNMENT, submissions)
    assert all(not result.problems for result in graded.values()), describe(graded)
    return graded


def test_solution_gets_every_point(results):
    solution = results["solution"]
    assert solution.total == solution.max_total == 23, describe(results)
    assert not solution.failed


def test_correct_answers_written_differently_get_every_point(results):
    alternative = results["alternative_answers"]
    assert alternative.total == alternative.max_total, describe({"alternative_answers": alternative})


def test_blank_release_gets_zero_without_grading_errors(results):
    blank = results["blank"]
    assert blank.total == 0, describe({"blank": blank})
    assert blank.failed == set(blank.scores), describe({"blank": blank})
    assert "not implemented" in blank.feedback["test_linear_grads_vectorized_dW"]


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_the_right_points_with_feedback_that_names_it(results, mistake):
    _, expected_failures = MISTAKES[mistake]
    result = results[mistake]
    assert result.failed == set(expected_failures), describe({mistake: result})
    lost = sum(results["solution"].scores[cell][1] for cell in expected_failures)
    assert result.total == result.max_total - lost
    for cell, phrases in expected_failures.items():
        feedback = result.feedback[cell]
        for phrase in phrases:
            assert phrase in feedback, f"{mistake}: the feedback of {cell} does not say {phrase!r}:\n{feedback}"
