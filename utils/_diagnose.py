"""Why a result is wrong: the diagnoses behind `utils.checks`.

Every function here compares a student's result with an expected value that
the caller already has (an oracle handed in by a test) and returns a
`Finding` naming the most likely mistake, or None. Nothing here computes a
gradient: the diagnoses are relations between two arrays (one is m times,
-1 times or the transpose of the other, sums to 1 along the other axis, ...),
plus the type and dtype rules (plain ndarrays and real numbers only; only
type() is consulted, never the student's __eq__ or __class__) and advice for
numpy's shape errors.

A `Finding` is two short sentences:

* `headline` completes "<name> ...", e.g. "is off by a factor of m = 7: ...";
* `reason` says the most likely cause and what to change.

Shapes: `student` and `expected` are float64 ndarrays (already validated).
"""

import re
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
    nonzero_expected = expected[~expected_zero]
    graded_values = nonzero_expected.size > 1 and not np.all(nonzero_expected == nonzero_expected[0])
    if graded_values and np.all(student_zero[wrong] != expected_zero[wrong]) and np.any(expected_zero[wrong]):
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


def looks_like_cost(name):
    """Whether a scalar called `name` is a cost (J), so cost-specific advice applies."""
    lowered = str(name).strip().lower()
    return lowered in ("j", "cost") or lowered.startswith("j ") or "cost" in lowered


def float_value_finding(student, expected, *, m=None, suspects=None, rtol=1e-6, atol=1e-12, is_cost=True):
    """The most likely mistake behind a wrong scalar (the cost J, or a scalar gradient such as db), or None."""
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
        if not is_cost and ((m is not None and m > 1 and (_near(factor, m) or _near(factor, 1.0 / m))) or _near(factor, 2.0) or _near(factor, 0.5)):
            return factor_finding(factor, m, subject="this gradient")
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
            if not is_cost:
                return Finding(
                    "has the right size but the wrong sign.",
                    "a minus sign is missing or extra: check the derivative you start from (for example A - Y, not Y - A).",
                )
            return Finding(
                "has the right size but the wrong sign.",
                "the minus sign in front of the cross-entropy (-(y log a + (1 - y) log(1 - a))) "
                "is missing; a cost is never negative.",
            )
        if _near(factor, 2.0) or _near(factor, 0.5):
            return factor_finding(factor, m, subject="the cost")
    return None


# ----------------------------------------------------------------------------
# Types and dtypes: only plain arrays and real numbers
# ----------------------------------------------------------------------------

FLOAT_TYPES = frozenset({float, np.float16, np.float32, np.float64, np.longdouble})
INT_TYPES = frozenset(
    {int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.intc, np.uintc}
)
BOOL_TYPES = frozenset({bool, np.bool_})


def is_real_number(value):
    """True for exactly a Python or numpy int or float (no bool, no subclass)."""
    kind = type(value)
    return kind in FLOAT_TYPES or kind in INT_TYPES


def is_number(value):
    """A real number where the contract says "a number": is_real_number, or a 0-d plain ndarray of
    ints or floats (np.squeeze(...) and np.sum(...) of an array give one). Not a bool, not shape (1, 1)."""
    if is_real_number(value):
        return True
    return type(value) is np.ndarray and value.shape == () and value.dtype.kind in "fiu"


def type_name(value):
    """'list', 'numpy.ndarray', 'mymodule.Rigged': the real type, whatever __class__ claims."""
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def non_numeric_dtype_finding(array):
    """Object, string, complex ... dtypes: a Finding, or None for real numbers and bools."""
    kind = array.dtype.kind
    if kind in "fiub":
        return None
    if kind == "O":
        return Finding(
            "is an array of Python objects (dtype object), not of numbers.",
            "np.array was given pieces of different shapes (or None); build the array from "
            "numbers of one shape.",
        )
    if kind == "c":
        return Finding(
            f"holds complex numbers (dtype {array.dtype}); only real numbers are allowed.",
            "a square root or power of a negative number, or an explicit complex dtype.",
        )
    return Finding(f"has dtype {array.dtype}, not numbers.", "return an array of floats.")


def array_type_finding(value, expected_shape):
    """Why `value` is not a plain ndarray of real numbers (a Finding), or None if it is."""
    kind = type(value)
    if value is None:
        return Finding(
            "is None, not an array.",
            "the function has no `return` for it (a function without return gives None).",
        )
    if kind in BOOL_TYPES:
        return Finding(
            "is a single True/False, not an array of numbers.", "a comparison was returned instead of the array."
        )
    if is_real_number(value):
        return Finding(
            f"is a single number ({type_name(value)}), not an array of shape {shape_text(expected_shape)}.",
            "np.sum / np.mean without axis= reduced everything to one number; keep the axis you need.",
        )
    if issubclass(kind, list):
        return Finding(
            "is a Python list, not a numpy array.",
            "it was built as a list; convert it with np.array(...) before returning it.",
        )
    if issubclass(kind, tuple):
        return Finding(
            f"is a tuple of {tuple.__len__(value)} items, not an array.",
            "the function returned several values (e.g. a result and its cache) where one array was expected.",
        )
    if issubclass(kind, np.matrix):
        return Finding(
            "is an np.matrix, not a plain numpy array.",
            "np.matrix was used; it multiplies differently and is deprecated: use np.array and @.",
        )
    if issubclass(kind, np.ndarray) and kind is not np.ndarray:
        return Finding(
            f"is a {type_name(value)} (a subclass of np.ndarray), not a plain numpy array.",
            "a special array type was returned; convert it with np.asarray(...).",
        )
    if kind is not np.ndarray:
        return Finding(
            f"is a {type_name(value)}, not a numpy array.",
            "the function returns something else; it should return a numpy array of floats (np.ndarray).",
        )
    return non_numeric_dtype_finding(value)


def dtype_finding(student_dtype, expected_dtype):
    """A Finding when the dtype kinds disagree (float vs int vs bool, or lower precision), else None."""
    want, have = expected_dtype.kind, student_dtype.kind
    if want == "f":
        if have == "f":
            if student_dtype.itemsize < expected_dtype.itemsize:
                return Finding(
                    f"has dtype {student_dtype}; expected {expected_dtype}.",
                    "lower precision loses the digits the check needs; do not convert with .astype "
                    "or create arrays with dtype=np.float32.",
                )
            return None
        if have == "b":
            return Finding(
                f"is a bool array (True/False); expected numbers ({expected_dtype}).",
                "a comparison such as Z > 0 gives booleans; convert with .astype(float) or multiply by it.",
            )
        return Finding(
            f"holds integers (dtype {student_dtype}); expected floats ({expected_dtype}).",
            "an array created from integers stays integer and truncates what is written into it; "
            "create it as float (e.g. np.zeros(shape), not np.zeros_like of an int array).",
        )
    if want in "iu" and have not in "iu":
        return Finding(
            f"has dtype {student_dtype}; expected integers ({expected_dtype}).",
            "these are counts or class labels; convert with .astype(int).",
        )
    if want == "b" and have != "b":
        return Finding(f"has dtype {student_dtype}; expected booleans.", "return the comparison itself (e.g. A > 0.5).")
    return None


def float_type_finding(student, expected, m, is_cost=True):
    """Why `student` is not a real number, with the cost's typical mistakes named; or None."""
    kind = type(student)
    if is_number(student):
        return None
    if kind is np.ndarray and student.dtype.kind in "fiu":
        shape = student.shape
        total = student.size
        mean_matches = (
            total > 1
            and bool(np.all(np.isfinite(student)))
            and bool(np.isclose(float(np.mean(student)), expected, rtol=1e-6, atol=1e-12))
        )
        if not is_cost and total > 1 and len(shape) <= 2 and min(shape) == 1 and (m is None or total == m):
            return Finding(
                f"is an array of shape {shape_text(shape)}: one value per example, not a single number.",
                "sum (or average, as the formula says) over the m examples and return a Python float.",
            )
        if total > 1 and len(shape) <= 2 and min(shape) == 1 and (m is None or total == m):
            return Finding(
                f"is an array of shape {shape_text(shape)}: the per-example losses L, not the cost J"
                + (" (their mean is right)." if mean_matches else "."),
                "J is a single float: the mean of L over the m examples, returned as a Python float.",
            )
        if shape == (1, 1):
            return Finding(
                "is a (1, 1) array, not a float.",
                ("J is a Python float" if is_cost else "it should be a Python float")
                + ": convert with float(...) (or .item()) before returning it.",
            )
        return Finding(
            f"is an array of shape {shape_text(shape)}, not a single float.",
            "the cost J is one number for the whole batch; average over the examples and return a float.",
        )
    if kind in BOOL_TYPES:
        return Finding("is True/False, not a number.", "return the number itself, not a comparison.")
    if student is None:
        return Finding(
            "is None, not a float.", "the function has no `return` for it (a function without return gives None)."
        )
    if kind is np.ndarray:
        return non_numeric_dtype_finding(student) or Finding(
            f"is an array of dtype {student.dtype}, not a float.", "return a Python float."
        )
    if issubclass(kind, (list, tuple)):
        return Finding(
            f"is a {kind.__name__}, not a float.",
            "the cost J is one number; if this holds per-example losses, average them and return a float.",
        )
    return Finding(
        f"is a {type_name(student)}, not a float.", "the function returns something else; return a Python float."
    )


def parse_shapes(text):
    """'shapes (3,5) (5,7)' -> [(3, 5), (5, 7)]: the shapes numpy names in an error message."""
    return [
        tuple(int(size) for size in inner.split(",") if size.strip())
        for inner in re.findall(r"\((\d+(?:,\s*\d+)*),?\)", text)
    ]


def shape_error_advice(error_text):
    """Advice for a numpy shape ValueError, or None for other ValueErrors."""
    if "could not be broadcast together" in error_text:
        shapes = [] if "remapped" in error_text else parse_shapes(error_text.split("shapes", 1)[-1])
        lines = ["`*` multiplies elementwise; did you mean a matrix product (`@` / np.dot)?"]
        if len(shapes) == 2 and len(shapes[0]) == 2 and len(shapes[1]) == 2:
            (a, b), (c, d) = shapes
            if b == c:
                lines.append(f"These shapes chain as a matrix product: ({a}, {b}) @ ({c}, {d}) -> ({a}, {d}).")
            elif a == c:
                lines.append(f"With a transpose they chain: X.T @ Y gives ({b}, {d}).")
            elif b == d:
                lines.append(f"With a transpose they chain: X @ Y.T gives ({a}, {c}).")
        lines.append("Elementwise operations (* + -) need equal shapes, or a dimension of 1 to broadcast.")
        return lines
    if "matmul" in error_text or "not aligned" in error_text:
        lines = [
            "A matrix product got shapes that do not chain: (a, b) @ (c, d) needs b == c.",
            "One factor probably needs a .T, or the factors are in the wrong order; print their shapes.",
        ]
        shapes = parse_shapes(error_text.split("not aligned")[0]) if "not aligned" in error_text else []
        if len(shapes) == 2 and len(shapes[0]) == 2 and len(shapes[1]) == 2:
            (a, b), (c, d) = shapes
            if a == c:
                lines.append(f"With a transpose they chain: X.T @ Y gives ({b}, {d}).")
            elif b == d:
                lines.append(f"With a transpose they chain: X @ Y.T gives ({a}, {c}).")
        return lines
    return None
