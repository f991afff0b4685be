"""Why a result is wrong: the diagnoses behind `utils.checks`.

Every function here compares a student's result with an expected value that
the caller already has (an oracle handed in by a test) and returns a
`Finding` naming the most likely mistake, or None. Nothing here computes a
gradient: the diagnoses are relations between two arrays (one is m times,
-1 times or the transpose of the other, sums to 1 along the other axis, ...).

A `Finding` is two short sentences:

* `headline` completes "<name> ...", e.g. "is off by a factor of m = 7: ...";
* `reason` says the most likely cause and what to change.

Shapes: `student` and `expected` are float64 ndarrays (already validated).
"""

from collections import namedtuple

import numpy as np

Finding = namedtuple("Finding", "headline reason")

#: How close a fitted factor must be to m, 1/m, -1, ... to be named (relative).
FACTOR_TOLERANCE = 1e-4


def shape_text(shape):
    """(3, 1) -> '(3, 1)', (3,) -> '(3,)', () -> '()' (a scalar)."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def values_close(student, expected, rtol, atol):
    """True when `student` matches `expected` within tolerance.

    Close means: every entry within atol + rtol * |expected| (np.allclose), or
    the whole array within relative error rtol (the course's relative_error,
    which forgives tiny absolute noise in near-zero entries of a numerical
    gradient). Shapes must already agree.
    """
    if not np.all(np.isfinite(student)):
        return False
    if np.allclose(student, expected, rtol=rtol, atol=atol):
        return True
    denominator = float(np.linalg.norm(student) + np.linalg.norm(expected))
    return denominator > 0 and float(np.linalg.norm(student - expected)) / denominator <= rtol


def match_suspect(student, suspects, rtol, atol):
    """The description of the first suspect whose value `student` matches, or None.

    suspects: {description: value}; values of another shape, or None, are skipped.
    """
    for description, value in (suspects or {}).items():
        if value is None:
            continue
        value = np.asarray(value, dtype=np.float64)
        if value.shape == student.shape and values_close(student, value, rtol, atol):
            return description
    return None


def suspect_finding(description):
    """The Finding for a matched suspect (a typical mistake the test anticipated)."""
    return Finding("matches what a typical mistake produces.", f"{description.rstrip('.')}.")


def _near(value, target):
    return abs(value - target) <= FACTOR_TOLERANCE * abs(target)


def fitted_factor(student, expected, rtol, atol):
    """The constant c with student == c * expected everywhere, or None if there is none."""
    norm_squared = float(np.sum(expected * expected))
    if norm_squared == 0.0:
        return None
    factor = float(np.sum(student * expected)) / norm_squared
    if factor == 0.0 or not np.isfinite(factor):
        return None
    scaled = factor * expected
    fit_rtol = max(10 * rtol, 1e-5)
    if values_close(student, scaled, fit_rtol, max(atol, 1e-9) * max(1.0, abs(factor))):
        return factor
    return None


def factor_finding(factor, m, subject="this gradient"):
    """Name a constant factor between a result and the expected value, or None for ~1."""
    if _near(factor, 1.0):
        return None
    if _near(factor, -1.0):
        return Finding(
            "has the right size but the opposite sign everywhere (sign flipped).",
            "a minus sign is missing or extra: check the derivative of the loss "
            "(-log a for the true class) and every subtraction on the way.",
        )
    if m is not None and m > 1:
        for target, sign_text in ((m, ""), (-m, ", and the sign is flipped")):
            if _near(factor, target):
                return Finding(
                    f"is off by a factor of m = {m}: yours is m times the expected value{sign_text}.",
                    f"you forgot to average over the m examples: the cost J = (1/m) * sum of L "
                    f"puts a 1/m into {subject} exactly once.",
                )
        for target, sign_text in ((1.0 / m, ""), (-1.0 / m, ", and the sign is flipped")):
            if _near(factor, target):
                return Finding(
                    f"is off by a factor of 1/m = 1/{m}: yours is m times too small{sign_text}.",
                    "you averaged twice: the 1/m is already applied once (in the upstream "
                    "gradient or earlier in this function), so do not divide by m again.",
                )
    for target, text in ((2.0, "twice"), (0.5, "half")):
        if _near(factor, target):
            return Finding(
                f"is {text} the expected value everywhere (a factor of {factor:g}).",
                "a factor 2 from differentiating a square, or the 1/2 in front of it, "
                "is missing or counted twice.",
            )
    return Finding(
        f"is the expected value times {factor:.4g} everywhere.",
        "a constant factor is missing or extra; check every constant and every division"
        + (f" (m = {m} here)." if m is not None else "."),
    )


def looks_like_probabilities(expected):
    """True for a (K, m) table with K > 1 whose columns are probability distributions."""
    return (
        expected.ndim == 2
        and expected.shape[0] > 1
        and expected.size > 0
        and bool(np.all(expected >= 0))
        and bool(np.allclose(expected.sum(axis=0), 1.0, rtol=0, atol=1e-9))
    )


def nonfinite_finding(student, expected):
    """NaN or inf in `student` (where `expected` is finite), or None."""
    finite = np.isfinite(student)
    if np.all(finite):
        return None
    n_nan = int(np.count_nonzero(np.isnan(student)))
    n_inf = int(student.size - np.count_nonzero(finite) - n_nan)
    counts = ", ".join(text for text in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} inf" if n_inf else "") if text)
    if looks_like_probabilities(expected):
        return Finding(
            f"contains {counts} entries where the expected probabilities are finite.",
            "overflow: exp of a large logit is inf, and inf / inf is NaN. Subtract each "
            "column's max before exp (softmax(Z) equals softmax(Z - max over the column)).",
        )
    return Finding(
        f"contains {counts} entries where the expected values are finite.",
        "usually exp of a large number overflowed (inf, then inf / inf = NaN), a log of 0, "
        "or a division by 0; print the intermediate arrays to see where it first appears.",
    )


def probability_axis_finding(student, expected):
    """Softmax-like results normalised over the wrong axis or the whole array, or None."""
    if not looks_like_probabilities(expected) or student.shape != expected.shape:
        return None
    columns_sum_to_one = np.allclose(student.sum(axis=0), 1.0, rtol=0, atol=1e-9)
    if columns_sum_to_one:
        if np.all(student >= 0):
            return Finding(
                "has columns that sum to 1, but the probabilities in them are wrong.",
                "the shift subtracted before exp must be one number per column (its max over axis=0, "
                "keepdims=True); a max over axis=1 shifts entries of one column differently.",
            )
        return None
    if np.allclose(student.sum(axis=1), 1.0, rtol=0, atol=1e-9):
        return Finding(
            "is normalised over the wrong axis: its rows sum to 1, its columns do not.",
            "each column is one example, so the sum in the denominator runs over the "
            "classes: axis=0, with keepdims=True.",
        )
    if np.isclose(student.sum(), 1.0, rtol=0, atol=1e-9):
        return Finding(
            "sums to 1 over the whole array instead of over each column.",
            "the denominator summed over every entry; sum over the classes only "
            "(axis=0, keepdims=True), one sum per example.",
        )
    return None


def transpose_value_finding(student, expected, rtol, atol):
    """For square shapes: `student` equals the transpose of `expected`, or None."""
    if student.ndim != 2 or student.shape[0] != student.shape[1] or student.shape[0] < 2:
        return None
    if values_close(expected, expected.T, rtol, atol):
        return None  # symmetric: a transpose cannot be told apart
    if values_close(student, expected.T, rtol, atol):
        return Finding(
            "is the transpose of the expected value.",
            "the shape is square, so this did not show as a shape error; check the order "
            "of the factors in the matrix product and where the .T goes.",
        )
    return None


def summed_everything_finding(student, expected, rtol, atol):
    """Every entry equals the sum of all expected entries, or is one repeated value; or None."""
    if student.size < 2:
        return None
    if not np.all(student == student.reshape(-1)[0]):
        return None
    total = float(np.sum(expected))
    if values_close(student.reshape(-1)[:1], np.array([total]), max(rtol, 1e-9), atol):
        return Finding(
            "has the same value in every entry: the sum over all entries.",
            "np.sum without axis= adds over every axis; sum over the examples only "
            "(axis=1, keepdims=True).",
        )
    return Finding(
        "has the same value in every entry, the expected value does not.",
        "a sum or mean over the wrong axis (or over everything) was broadcast back; "
        "check the axis= of each np.sum / np.mean.",
    )


def pattern_finding(student, expected, rtol, atol):
    """Findings about which entries are wrong (zeros left unfilled, one column, a mask), or None."""
    wrong = ~np.isclose(student, expected, rtol=rtol, atol=atol)
    if not wrong.any():
        return None
    student_zero = student == 0
    expected_zero = expected == 0
    n_wrong = int(np.count_nonzero(wrong))
    if np.all(student_zero[wrong]) and n_wrong < student.size:
        return Finding(
            f"is 0 in {n_wrong} of {student.size} entries where the expected value is not.",
            "those entries were never filled in: a loop that stops early (check range(...)) "
            "or an np.zeros that is only partly updated.",
        )
    if np.all(student_zero[wrong] != expected_zero[wrong]) and np.any(expected_zero[wrong]):
        return Finding(
            "is non-zero where it should be exactly 0 (and agrees elsewhere)"
            if np.all(expected_zero[wrong])
            else "has its zeros in the wrong places (and agrees elsewhere).",
            "a mask such as relu'(Z) (0 where Z <= 0) is missing, or built from the "
            "wrong array (another layer's Z, or dA instead of Z).",
        )
    if student.ndim == 2 and student.shape[1] > 1:
        columns = np.flatnonzero(wrong.any(axis=0))
        if columns.size == 1:
            return Finding(
                f"is wrong only in column {int(columns[0])} (example {int(columns[0])}); "
                "the other columns are right.",
                "a loop over the examples treats that one differently; check its range(...) "
                "bounds and indices.",
            )
    return None


def value_finding(
    student, expected, *, m=None, suspects=None, rtol=1e-6, atol=1e-9, subject="this gradient", known=None
):
    """The most likely mistake behind wrong values of the right shape, or None.

    known: [(value, Finding)] checked first, for mistakes with their own wording.
    Order: NaN/inf, known, the test's suspects, a constant factor (m, 1/m, -1, 2),
    softmax axis, transpose (square shapes), one value everywhere, patterns of
    wrong entries.
    """
    finding = nonfinite_finding(student, expected)
    if finding:
        return finding
    for value, finding in known or ():
        if values_close(student, np.asarray(value, dtype=np.float64), rtol, atol):
            return finding
    description = match_suspect(student, suspects, rtol, atol)
    if description:
        return suspect_finding(description)
    factor = fitted_factor(student, expected, rtol, atol)
    if factor is not None:
        finding = factor_finding(factor, m, subject)
        if finding:
            return finding
    for diagnose in (probability_axis_finding,):
        finding = diagnose(student, expected)
        if finding:
            return finding
    for diagnose in (transpose_value_finding, summed_everything_finding, pattern_finding):
        finding = diagnose(student, expected, rtol, atol)
        if finding:
            return finding
    return None


def shape_finding(student, expected, *, m=None, suspects=None, rtol=1e-6, atol=1e-9):
    """The most likely mistake behind a wrong shape (always a Finding)."""
    have, want = student.shape, expected.shape
    description = match_suspect(student, suspects, rtol, atol)
    if description:
        return suspect_finding(description)
    if len(want) == 2 and have == want[::-1]:
        if values_close(student, expected.T, rtol, atol):
            return Finding(
                f"is transposed: shape {shape_text(have)}, expected {shape_text(want)}, and its "
                "values are those of the expected result transposed.",
                "swap the order of the factors in the matrix product, or move the .T.",
            )
        return Finding(
            f"has the transposed shape {shape_text(have)}; expected {shape_text(want)}.",
            "check the order of the factors in each matrix product and where the .T goes.",
        )
    if len(want) == 2 and want[1] == 1 and have == (want[0],):
        return Finding(
            f"has shape {shape_text(have)}, a 1-D array; expected the column {shape_text(want)}.",
            "the sum dropped the summed axis: pass keepdims=True to np.sum (or reshape to (n, 1)).",
        )
    if len(want) == 2 and want[0] == 1 and have == (want[1],):
        return Finding(
            f"has shape {shape_text(have)}, a 1-D array; expected the row {shape_text(want)}.",
            "keep the row: pass keepdims=True to the sum over axis 0, or reshape to (1, m).",
        )
    if len(want) == 2 and want[1] == 1 and want[0] > 1:
        if len(have) == 2 and have[0] == 1 and have[1] != 1 and (m is None or have[1] == m):
            return Finding(
                f"has shape {shape_text(have)}, one entry per example; expected {shape_text(want)}, "
                "one entry per unit.",
                "it was summed over the wrong axis: examples are columns, so sum over axis=1 "
                "(with keepdims=True), not axis=0.",
            )
        if len(have) == 2 and have[0] == want[0] and have[1] > 1 and (m is None or have[1] == m):
            return Finding(
                f"has shape {shape_text(have)}, one column per example; expected {shape_text(want)}.",
                "the sum over the m examples is missing: np.sum(..., axis=1, keepdims=True).",
            )
        if have in ((), (1,), (1, 1)):
            return Finding(
                f"has shape {shape_text(have)}, a single number; expected {shape_text(want)}.",
                "np.sum without axis= adds over every axis; sum over the examples only "
                "(axis=1, keepdims=True).",
            )
    if len(want) == 2 and m is not None and len(have) == 2 and have == (want[0], m) and want[1] != m:
        return Finding(
            f"has shape {shape_text(have)}, one column per example; expected {shape_text(want)}.",
            "the m examples must be summed out; a matrix product over the example axis does that "
            "(an elementwise * keeps one column per example).",
        )
    if len(have) == 2 and len(want) >= 1 and have[0] == have[1] and have[0] in want and 1 in want:
        return Finding(
            f"has shape {shape_text(have)}; expected {shape_text(want)}.",
            "broadcasting mixed a column (n, 1) with a 1-D (n,) array or a row and made an n-by-n table; "
            "keep every array 2-D (keepdims=True) and print the shapes before the operation.",
        )
    return Finding(
        f"has shape {shape_text(have)}; expected {shape_text(want)}.",
        "print the shape of every intermediate array and compare with the shapes in the docstring.",
    )


def float_value_finding(student, expected, *, m=None, suspects=None, rtol=1e-6, atol=1e-12):
    """The most likely mistake behind a wrong scalar (e.g. the cost J), or None."""
    if not np.isfinite(student):
        return Finding(
            f"is {student} but should be a finite number.",
            "log(0) gives -inf (and 0 * -inf gives nan): this happens when a probability "
            "is exactly 0 or 1; an overflowing exp is the other usual suspect.",
        )
    student_array = np.array([student])
    description = match_suspect(student_array.reshape(()), suspects, rtol, atol)
    if description:
        return suspect_finding(description)
    if expected != 0:
        factor = student / expected
        if m is not None and m > 1 and _near(factor, m):
            return Finding(
                f"is off by a factor of m = {m}: yours is m times the expected value.",
                "you summed the per-example losses; the cost is their mean (divide by m).",
            )
        if m is not None and m > 1 and _near(factor, 1.0 / m):
            return Finding(
                f"is off by a factor of 1/m = 1/{m}: yours is m times too small.",
                "you divided by m twice: once is enough for the mean over the examples.",
            )
        if _near(factor, -1.0):
            return Finding(
                "has the right size but the wrong sign.",
                "the minus sign in front of the cross-entropy (-(y log a + (1 - y) log(1 - a))) "
                "is missing; a cost is never negative.",
            )
        if _near(factor, 2.0) or _near(factor, 0.5):
            return factor_finding(factor, m, subject="the cost")
    return None
