"""Unit 4 (04_elementwise_derivations): proof that the grading is right.

One autograde run (nbgrader and the project's engine, tests/nbgrade_support.py)
grades the solution, the blank release, one submission per typical mistake and
three submissions of correct answers written in other styles. Each mistake is
the solution with one answer cell changed, so it must lose exactly the points
of the cells that test that function, with feedback that names the mistake;
each correct alternative must get every point.

Which cells a mistake fails is part of the design: a function's own cells,
never another part's (Part 7 runs on stand-ins for Parts 1 and 2 in its
visible test and on the grader's reference in its hidden one). Mistakes that
the visible tests cannot see fail in the hidden part of their cell: sizes
typed in (the hidden sizes are never the visible ones, and a function that is
right at the visible sizes but not at the hidden ones is told that a size is
typed in), a matrix product reached in a way the source does not show (arrays
that refuse matrix products), overflow at large logits.

The cases added for issue #20: the sizes typed in (m = 7 in Part 2 and Part 7,
the loops' sizes, K = 5 in the Jacobian, K = 4 in one_hot), answers measured
with the course's numerical gradient or its autodiff engine, a matrix product
in a helper function, and a check_dimensions whose message lists the whole dict.
"""

import textwrap

import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    autograde,
    blank_submission,
    describe,
    solution_code,
    submission_with,
    with_bug,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "04_elementwise_derivations"

AUTOGRADED_POINTS = {
    "test_linear_grads_loops_values": 3,
    "test_linear_grads_loops_no_matrix_product": 1,
    "test_linear_grads_vectorized_dW": 2,
    "test_linear_grads_vectorized_db": 1,
    "test_linear_grads_vectorized_dA_prev": 2,
    "test_check_dimensions_accepts_consistent_shapes": 1,
    "test_check_dimensions_catches_mismatches": 3,
    "test_softmax_jacobian": 3,
    "test_softmax_cross_entropy_grad_one_hot": 2,
    "test_softmax_cross_entropy_grad_indices": 2,
    "test_linear_backward_rows": 3,
}

LOOPS_VALUES = "test_linear_grads_loops_values"
NO_PRODUCT = "test_linear_grads_loops_no_matrix_product"
DW, DB, DA_PREV = ("test_linear_grads_vectorized_dW", "test_linear_grads_vectorized_db",
                   "test_linear_grads_vectorized_dA_prev")
VECTORIZED_CELLS = {DW, DB, DA_PREV}
ACCEPTS, CATCHES = "test_check_dimensions_accepts_consistent_shapes", "test_check_dimensions_catches_mismatches"
JACOBIAN = "test_softmax_jacobian"
ONE_HOT, INDICES = "test_softmax_cross_entropy_grad_one_hot", "test_softmax_cross_entropy_grad_indices"
CE_CELLS = {ONE_HOT, INDICES}
ROWS = "test_linear_backward_rows"
TYPED_IN = "a size is typed in"


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

# Every rule checked, but the message is the whole dict: it names every entry, so it does not say which is wrong.
CHECK_DIMENSIONS_DUMPS_THE_DICT = textwrap.dedent("""
    def check_dimensions(shapes):
        names = {"W", "b", "A_prev", "Z", "dW", "db", "dA_prev", "dZ"}
        if not set(shapes) <= names or not {"W", "b", "A_prev", "Z"} <= set(shapes):
            raise ValueError(f"unexpected or missing names in {shapes}")
        n_l, n_prev = shapes["W"]
        m = shapes["A_prev"][1]
        wanted = {"W": (n_l, n_prev), "b": (n_l, 1), "A_prev": (n_prev, m), "Z": (n_l, m)}
        wanted.update({"d" + name: shape for name, shape in wanted.items()})
        if any(tuple(shape) != wanted[name] for name, shape in shapes.items()):
            raise ValueError(f"inconsistent shapes: {shapes}")
    """)

# Right values measured instead of derived: the course's oracle (caught by the visible and the hidden tests).
CROSS_ENTROPY_BY_NUMERICAL_GRADIENT = textwrap.dedent("""
    def softmax_cross_entropy_grad(Z, Y):
        from utils.gradcheck import numerical_gradient
        from utils.losses import categorical_cross_entropy_loss
        Y = np.asarray(Y)
        Y_hot = Y if Y.shape == Z.shape else one_hot(Y, Z.shape[0])
        total_loss = lambda logits: float(np.sum(categorical_cross_entropy_loss(softmax(logits), Y_hot)))
        return numerical_gradient(total_loss, np.array(Z, dtype=float))
    """)

VECTORIZED_BY_AUTODIFF = textwrap.dedent("""
    def linear_grads_vectorized(dZ, A_prev, W):
        from utils.autodiff import Tensor, backpropagate
        m = dZ.shape[1]
        A, weights = Tensor(A_prev), Tensor(W)
        bias = Tensor(np.zeros((W.shape[0], 1)))
        J = ((weights @ A + bias) * dZ).sum() / m
        backpropagate(J)
        return A.grad * m, weights.grad, bias.grad
    """)

# The inner sums go through a helper that uses np.dot: linear_grads_loops itself names no product.
LOOPS_WITH_A_PRODUCT_IN_A_HELPER = textwrap.dedent("""
    def row_product(u, v):
        return np.dot(u, v)

    def linear_grads_loops(dZ, A_prev, W):
        n_l, m = dZ.shape
        n_prev = A_prev.shape[0]
        dW = np.zeros((n_l, n_prev))
        db = np.zeros((n_l, 1))
        dA_prev = np.zeros((n_prev, m))
        for j in range(n_l):
            db[j, 0] = np.sum(dZ[j, :]) / m
            for k in range(n_prev):
                dW[j, k] = row_product(dZ[j, :], A_prev[k, :]) / m
        for k in range(n_prev):
            for i in range(m):
                dA_prev[k, i] = row_product(W[:, k], dZ[:, i])
        return dA_prev, dW, db
    """)

# name: (answer cell, replacements (whole code or {solution line: buggy line}), failing cells, {cell: [phrases]})
MISTAKES = {
    "dW_transposed": (
        "linear_grads_vectorized", _vectorized(dW="A_prev @ dZ.T / m"), {DW}, {DW: ["dW is transposed"]}),
    "no_1_over_m_in_dW_and_db": (
        "linear_grads_vectorized", _vectorized(dW="dZ @ A_prev.T", db="np.sum(dZ, axis=1, keepdims=True)"),
        {DW, DB}, {DW: ["factor of m"], DB: ["factor of m"]}),
    "dA_prev_divided_by_m": (
        "linear_grads_vectorized", _vectorized(dA_prev="W.T @ dZ / m"), {DA_PREV},
        {DA_PREV: ["factor of 1/m", "averaged twice"]}),
    "db_without_keepdims": (
        "linear_grads_vectorized", _vectorized(db="np.sum(dZ, axis=1) / m"), {DB}, {DB: ["keepdims=True"]}),
    "db_summed_over_wrong_axis": (
        "linear_grads_vectorized", _vectorized(db="np.sum(dZ, axis=0, keepdims=True) / m"), {DB},
        {DB: ["summed over the wrong axis"]}),
    "dA_prev_without_transpose": (  # W @ dZ cannot be computed with non-square W: every vectorised cell fails
        "linear_grads_vectorized", _vectorized(dA_prev="W @ dZ"), VECTORIZED_CELLS,
        {cell: ["shape error", "needs a .T"] for cell in VECTORIZED_CELLS}),
    "star_instead_of_matrix_product": (
        "linear_grads_vectorized", _vectorized(dW="dZ * A_prev.T / m"), VECTORIZED_CELLS,
        {cell: ["`*` multiplies elementwise", "matrix product"] for cell in VECTORIZED_CELLS}),
    "loops_use_a_matrix_product": (
        "linear_grads_loops", _vectorized().replace("linear_grads_vectorized", "linear_grads_loops"), {NO_PRODUCT},
        {NO_PRODUCT: ["uses a matrix product", "the @ operator"]}),
    "loop_over_the_wrong_range": (
        "linear_grads_loops", _loops(dW_k_range="n_l"), {LOOPS_VALUES}, {LOOPS_VALUES: ["never filled in", "range("]}),
    "loop_indexes_the_wrong_axis": (
        "linear_grads_loops", _loops(dA_prev_term="W[k, j] * dZ[j, i]"), {LOOPS_VALUES},
        {LOOPS_VALUES: ["IndexError", "indexes the wrong axis"]}),
    "jacobian_sign_of_outer_product_flipped": (
        "softmax_jacobian", _jacobian("return np.diagflat(p) + p @ p.T"), {JACOBIAN},
        {JACOBIAN: ["diag(p) + p p^T", "must sum to 0"]}),
    "jacobian_outer_product_only": (
        "softmax_jacobian", _jacobian("return p @ p.T"), {JACOBIAN}, {JACOBIAN: ["only the outer product p p^T"]}),
    "jacobian_star_on_1d_vectors": (
        "softmax_jacobian", _jacobian("p = p.ravel()\n            return np.diag(p) - p * p"), {JACOBIAN},
        {JACOBIAN: ["`*` was used on 1-D vectors"]}),
    "jacobian_overflows_on_large_logits": (  # right on the visible inputs; only the hidden test catches it
        "softmax_jacobian", textwrap.dedent("""
            def softmax_jacobian(z):
                e = np.exp(np.asarray(z, dtype=float).reshape(-1, 1))
                p = e / e.sum()
                return np.diagflat(p) - p @ p.T
            """), {JACOBIAN}, {JACOBIAN: ["NaN", "overflow"]}),
    "cross_entropy_grad_divided_by_m": (
        "softmax_cross_entropy_grad", textwrap.dedent("""
            def softmax_cross_entropy_grad(Z, Y):
                Y = np.asarray(Y)
                Y_one_hot = Y if Y.shape == Z.shape else one_hot(Y, Z.shape[0])
                return (softmax(Z) - Y_one_hot) / Z.shape[1]
            """), CE_CELLS, {cell: ["factor of 1/m"] for cell in CE_CELLS}),
    "class_indices_subtracted_as_numbers": (
        "softmax_cross_entropy_grad", "def softmax_cross_entropy_grad(Z, Y):\n    return softmax(Z) - Y\n", {INDICES},
        {INDICES: ["subtracted as numbers", "one_hot"]}),
    "row_layout_in_column_order": (
        "linear_backward_rows", _rows(dW="dZ_rows.T @ A_prev_rows / m"), {ROWS}, {ROWS: ["dW_rows is transposed"]}),
    "row_layout_db_over_the_units": (
        "linear_backward_rows", _rows(db="np.sum(dZ_rows, axis=1, keepdims=True) / m"), {ROWS},
        {ROWS: ["summed over axis 1", "examples are axis 0"]}),
    "check_dimensions_misses_the_product": (
        "check_dimensions", CHECK_DIMENSIONS_WITHOUT_PRODUCT, {CATCHES},
        {CATCHES: ["did not raise", "A_prev has more rows than W has columns"]}),
    "check_dimensions_uses_assert": (
        "check_dimensions", CHECK_DIMENSIONS_WITH_ASSERT, {CATCHES},
        {CATCHES: ["raised AssertionError", "`assert` statement", "raise ValueError"]}),
    # ---- added for issue #20: hard-coded sizes, oracles, hidden products, messages that name nothing
    "vectorized_m_typed_in": (  # right for the visible m = 7; the hidden sizes say a size is typed in
        "linear_grads_vectorized", {"    m = dZ.shape[1]\n": "    m = 7\n"}, {DW, DB},
        {DW: [TYPED_IN, "m = 7"], DB: [TYPED_IN]}),
    "loops_sizes_typed_in": (
        "linear_grads_loops", {"    n_l, m = dZ.shape\n": "    n_l, m = 3, 7\n",
                               "    n_prev = A_prev.shape[0]\n": "    n_prev = 5\n"}, {LOOPS_VALUES},
        {LOOPS_VALUES: [TYPED_IN, "n_l, m = dZ.shape"]}),
    "jacobian_K_typed_in": (
        "softmax_jacobian", {"    return np.diagflat(p) - p @ p.T\n": "    return np.eye(5) * p - p @ p.T\n"},
        {JACOBIAN}, {JACOBIAN: [TYPED_IN, "K = 5"]}),
    "cross_entropy_K_typed_in": (  # only the class-index form needs K
        "softmax_cross_entropy_grad", {"one_hot(Y, probabilities.shape[0])": "one_hot(Y, 4)"}, {INDICES},
        {INDICES: [TYPED_IN, "K, m = Z.shape"]}),
    "rows_m_typed_in": (
        "linear_backward_rows", {"    m = dZ_rows.shape[0]\n": "    m = 7\n"}, {ROWS}, {ROWS: [TYPED_IN]}),
    "cross_entropy_by_numerical_gradient": (
        "softmax_cross_entropy_grad", CROSS_ENTROPY_BY_NUMERICAL_GRADIENT, CE_CELLS,
        {cell: ["numerical_gradient", "Compute the result yourself"] for cell in CE_CELLS}),
    "vectorized_by_autodiff": (
        "linear_grads_vectorized", VECTORIZED_BY_AUTODIFF, VECTORIZED_CELLS,
        {cell: ["utils.autodiff"] for cell in VECTORIZED_CELLS}),
    "loops_matrix_product_in_a_helper": (  # the visible test reads the helpers' source too
        "linear_grads_loops", LOOPS_WITH_A_PRODUCT_IN_A_HELPER, {NO_PRODUCT},
        {NO_PRODUCT: ["uses a matrix product", "dot (in row_product, which it calls)"]}),
    "check_dimensions_message_lists_every_entry": (
        "check_dimensions", CHECK_DIMENSIONS_DUMPS_THE_DICT, {CATCHES}, {CATCHES: ["lists every entry"]}),
}

# ---- correct answers written differently from the solution: every point (no false failures)

# The alternatives kept from the first proof: np.dot, mean, np.diag - np.outer, fancy indexing, Part 7 through Part 2.
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

# einsum, keywords (also through Part 7's stand-in), numpy scalars, broadcasting instead of np.diag/np.outer,
# one-hot targets turned into class indices, a rule table for check_dimensions.
EINSUM_KEYWORDS_SCALARS = {
    "linear_grads_loops": textwrap.dedent("""
        def linear_grads_loops(dZ, A_prev, W):
            n_l, m = dZ.shape
            n_prev = A_prev.shape[0]
            dW = np.zeros(shape=(n_l, n_prev))
            db = np.zeros(shape=(n_l, 1))
            dA_prev = np.zeros_like(A_prev, dtype=float)
            examples = np.float64(m)
            for j in range(n_l):
                db[j, 0] = sum(dZ[j, i] for i in range(m)) / examples
                for k in range(n_prev):
                    dW[j, k] = sum(dZ[j, i] * A_prev[k, i] for i in range(m)) / examples
            k = 0
            while k < n_prev:
                for i in range(m):
                    dA_prev[k, i] = np.sum(W[:, k] * dZ[:, i])
                k += 1
            return (dA_prev, dW, db)
        """),
    "linear_grads_vectorized": textwrap.dedent("""
        def linear_grads_vectorized(dZ, A_prev, W):
            m = np.float64(dZ.shape[1])
            dW = np.einsum("ji,ki->jk", dZ, A_prev) / m
            db = np.einsum("ji->j", dZ).reshape(-1, 1) / m
            dA_prev = np.einsum("jk,ji->ki", W, dZ)
            return dA_prev, dW, db
        """),
    "check_dimensions": textwrap.dedent("""
        def check_dimensions(shapes):
            allowed = {"W", "b", "A_prev", "Z", "dW", "db", "dA_prev", "dZ"}
            for name in shapes:
                if name not in allowed:
                    raise ValueError(f"unknown name {name!r}")
            for name in ("W", "b", "A_prev", "Z"):
                if name not in shapes:
                    raise ValueError(f"missing {name}")
            W, A_prev = tuple(shapes["W"]), tuple(shapes["A_prev"])
            if len(W) != 2 or len(A_prev) != 2 or W[1] != A_prev[0]:
                raise ValueError(f"W {W} and A_prev {A_prev} do not line up")
            wanted = {"b": (W[0], 1), "Z": (W[0], A_prev[1])}
            wanted.update({"d" + name: wanted.get(name, tuple(shapes[name])) for name in ("W", "b", "A_prev", "Z")})
            for name, shape in wanted.items():
                if name in shapes and tuple(shapes[name]) != shape:
                    raise ValueError(f"{name}: got {tuple(shapes[name])}, expected {shape}")
        """),
    "softmax_jacobian": textwrap.dedent("""
        def softmax_jacobian(z):
            p = softmax(Z=np.reshape(z, (-1, 1)))[:, 0]
            return p[:, np.newaxis] * (np.eye(p.size) - p[np.newaxis, :])
        """),
    "softmax_cross_entropy_grad": textwrap.dedent("""
        def softmax_cross_entropy_grad(Z, Y):
            Y = np.asarray(Y)
            K, m = Z.shape
            labels = np.argmax(Y, axis=0) if Y.shape == (K, m) else Y.reshape(m)
            dZ = softmax(Z)
            dZ[labels, np.arange(m)] -= 1
            return dZ
        """),
    "linear_backward_rows": textwrap.dedent("""
        def linear_backward_rows(dZ_rows, A_prev_rows, W_rows):
            dA_prev, dW, db = linear_grads_vectorized(dZ=dZ_rows.T, A_prev=A_prev_rows.T, W=W_rows.T)
            return dA_prev.T, dW.T, db.T
        """),
}

# Loops where the part allows them (the Jacobian entry by entry, the cross-entropy example by example), np.eye
# for one-hot columns, Part 7 through Part 1 with keywords in another order (the loops' stand-in answers them).
LOOPS_EVERYWHERE = {
    "softmax_jacobian": textwrap.dedent("""
        def softmax_jacobian(z):
            p = softmax(np.array(z, dtype=float).reshape(len(z), 1))
            K = p.shape[0]
            J = np.zeros((K, K))
            for r in range(K):
                for s in range(K):
                    J[r, s] = p[r, 0] * ((1.0 if r == s else 0.0) - p[s, 0])
            return J
        """),
    "softmax_cross_entropy_grad": textwrap.dedent("""
        def softmax_cross_entropy_grad(Z, Y):
            K, m = Z.shape
            Y = np.asarray(Y)
            if Y.shape != (K, m):
                Y = np.eye(K)[np.ravel(Y)].T
            P = softmax(Z)
            dZ = np.empty_like(P)
            for i in range(m):
                dZ[:, i] = P[:, i] - Y[:, i]
            return dZ
        """),
    "linear_backward_rows": textwrap.dedent("""
        def linear_backward_rows(dZ_rows, A_prev_rows, W_rows):
            column = linear_grads_loops(W=W_rows.T, A_prev=A_prev_rows.T, dZ=dZ_rows.T)
            return tuple(gradient.T for gradient in column)
        """),
}

ALTERNATIVES = {
    "alternative_answers": ALTERNATIVE_ANSWERS,
    "einsum_keywords_numpy_scalars": EINSUM_KEYWORDS_SCALARS,
    "loops_everywhere": LOOPS_EVERYWHERE,
}


def mistake_code(name):
    """The answer cell's code of mistake `name` (the solution with the mistake put in)."""
    cell, replacements, *_ = MISTAKES[name]
    return with_bug(solution_code(ASSIGNMENT), cell, replacements)


@pytest.fixture(scope="module")
def results():
    submissions = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT)}
    for name, (cell, *_) in MISTAKES.items():
        submissions[name] = submission_with(ASSIGNMENT, {cell: mistake_code(name)})
    for name, cells in ALTERNATIVES.items():
        submissions[name] = submission_with(ASSIGNMENT, cells)
    return autograde(ASSIGNMENT, submissions)


def test_grading_runs_without_problems(results):
    assert_no_grading_problems(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    assert_designed_points(results, AUTOGRADED_POINTS)


def test_solution_gets_every_autograded_point(results):
    assert_solution_gets_every_point(results, AUTOGRADED_POINTS)


def test_blank_release_gets_zero_and_says_not_implemented(results):
    assert_blank_gets_zero(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    assert_loses_exactly(results, mistake, MISTAKES[mistake][2])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])


@pytest.mark.parametrize("alternative", sorted(ALTERNATIVES))
def test_correct_answers_in_other_styles_get_every_point(results, alternative):
    result = results[alternative]
    assert result.total == result.max_total == sum(AUTOGRADED_POINTS.values()), describe({alternative: result})
