"""The checks that graded test cells call: feedback that names the mistake.

Each check compares your result with an expected value that the test hands
in (an oracle: a numerical gradient from `utils.gradcheck`, an identity, or
values computed by the grader). Nothing here computes a graded result.

A check looks at, in this order: the type (a numpy array, or a float for a
cost), the shape, the dtype, the values. It prints one line per tensor

    dW1      close   max abs diff 3.1e-16   rel err 2.2e-16

and raises `AssertionError` at the first problem, with a short message that
starts with the tensor's name and says what was expected, what you gave,
the most likely reason, and where to look.

Public API
----------
check_type(name, value, expected_type)          type only (exact types; no look-alikes)
check_array(name, student, expected, ...)       one array: type, shape, dtype, values
check_float(name, student, expected, ...)       a scalar such as the cost J (a float)
check_gradients(student, expected, ...)         a dict of gradients, one line each
check_does_not_call(func, args, forbidden)      run func(*args); fail if it called a forbidden function
run_student(func, *args, name=None)             call a student's function; turn shape errors into advice
activation_suspects(dA, Z, activation, ...)     typical wrong dZ values, for `suspects=`
suspects_from(oracle, alternatives)             an oracle evaluated at wrong inputs, for `suspects=`
suspects_through(oracle, suspects)              wrong intermediate values carried through an oracle
expected_under_convention(expected, convention, m)   rescale intermediate gradients for where the 1/m sits
separating_sizes(seed, n_layers)                layer widths and m that tell mistakes apart
require_separating_sizes(layer_dims, m)         ValueError unless the sizes tell mistakes apart
"""

import importlib
import inspect
import sys
from collections import namedtuple

import numpy as np

from utils import _diagnose, _names, autodiff
from utils._diagnose import Finding, shape_text
from utils.activations import activation as _activation_function
from utils.activations import derivative as _activation_derivative
from utils.gradcheck import (
    directional_check,
    numerical_gradient,
    numerical_gradients,
    numerical_layer_gradient,
    relative_error,
)

#: Default tolerances when the expected value is exact (computed in float64).
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9

#: Tolerances suited to a numerical (finite-difference) oracle.
NUMERICAL_RTOL = 1e-5
NUMERICAL_ATOL = 1e-7

#: Batch sizes m that cannot separate mistakes: with m = 1 averaging is
#: invisible, with m = 2 or 4 a factor m looks like the 2 of a square or m**2.
UNSEPARATING_M = (1, 2, 4)

#: Where the 1/m of J = (1/m) sum L sits in a backward pass:
#: "loss": in dW and db; dA and dZ are gradients of the summed loss (not averaged).
#: "cost": once at the top (dAL already averaged); dA and dZ are dJ/dA, dJ/dZ.
CONVENTIONS = ("loss", "cost")


Outcome = namedtuple("Outcome", "line message")
SeparatingSizes = namedtuple("SeparatingSizes", "layer_dims m")


# ----------------------------------------------------------------------------
# Messages and status lines
# ----------------------------------------------------------------------------


def _message(name, finding, where=None, detail=None):
    """3-6 lines: '<name> <headline>', the likely reason, where to look, details."""
    lines = [f"{name} {finding.headline}", f"Likely reason: {finding.reason}"]
    if where:
        lines.append(f"Look at: {where.rstrip('.')}.")
    if detail:
        lines.append(detail)
    return "\n".join(lines)


def _status(name, verdict, detail=""):
    return f"  {name:<8} {verdict:<7} {detail}".rstrip()


# ----------------------------------------------------------------------------
# Types
# ----------------------------------------------------------------------------


def _type_description(expected_type):
    if expected_type is float:
        return "a float (a Python number)"
    if expected_type is np.ndarray:
        return "a numpy array (np.ndarray)"
    if isinstance(expected_type, tuple):
        return " or ".join(_type_description(t) for t in expected_type)
    return f"a {expected_type.__name__}"


def _matches_type(value, expected_type):
    kind = type(value)
    if isinstance(expected_type, tuple):
        return any(_matches_type(value, t) for t in expected_type)
    if expected_type is float:
        return _diagnose.is_number(value)
    if expected_type is int:
        return kind in _diagnose.INT_TYPES or (_diagnose.is_number(value) and np.asarray(value).dtype.kind in "iu")
    if expected_type is bool:
        return kind in _diagnose.BOOL_TYPES
    if expected_type is np.ndarray:
        return kind is np.ndarray
    return issubclass(kind, expected_type)


def _type_hint(value, expected_type):
    kind = type(value)
    if value is None:
        return "the function has no `return` for it (a function without return gives None)."
    if expected_type is np.ndarray and issubclass(kind, list):
        return "it was built as a list; convert it with np.array(...) before returning it."
    if expected_type is float and kind is np.ndarray:
        if value.shape == (1, 1):
            return "a (1, 1) array is not a float: convert it with float(...) (or .item()) before returning it."
        return f"an array of shape {shape_text(value.shape)} is not a single number; return a float."
    if expected_type is float and kind in _diagnose.BOOL_TYPES:
        return "a comparison gives True/False; return the number itself."
    if issubclass(kind, tuple) and expected_type is not tuple:
        return "the function returns several values; check only the one asked for."
    return f"the function returns something else; it should return {_type_description(expected_type)}."


def check_type(name, value, expected_type, *, length=None, where=None):
    """Fail unless `value` is of `expected_type` (a type or a tuple of types); return `value`.

    Exact where it matters: np.ndarray means a plain ndarray (no subclass, no
    look-alike); float accepts Python and numpy floats and ints and 0-d arrays
    of them, but not bools, shaped arrays or subclasses with a rigged __eq__;
    int and bool likewise. Other types
    (dict, tuple, ...) accept subclasses.
    length: for sequences, the number of items required (e.g. 3 for (dA_prev, dW, db)).
    where:  a hint of where to look, e.g. "the return statement of linear_backward".
    """
    if not _matches_type(value, expected_type):
        actual = "None" if value is None else "a " + _diagnose.type_name(value)
        finding = Finding(
            f"should be {_type_description(expected_type)}, but it is {actual}.",
            _type_hint(value, expected_type),
        )
        raise AssertionError(_message(name, finding, where))
    if length is not None:
        actual = len(value) if issubclass(type(value), (tuple, list, dict)) else None
        if actual != length:
            raise AssertionError(
                _message(
                    name,
                    Finding(
                        f"should hold {length} items, but it holds {actual}.",
                        "check the return statement: it should return exactly the values the docstring lists.",
                    ),
                    where,
                )
            )
    return value


# ----------------------------------------------------------------------------
# Arrays
# ----------------------------------------------------------------------------


def _expected_array(expected):
    """The test's expected value as an ndarray (float64 unless it is an int or bool array)."""
    array = np.asarray(expected)
    if array.dtype.kind in "iub":
        return array
    if array.dtype.kind != "f":
        raise TypeError(f"expected must hold real numbers, got dtype {array.dtype} (this is a bug in the test)")
    return array.astype(np.float64)


def _compare(
    name, student, expected, *, m, suspects, rtol, atol, where, subject="this gradient", known=None, dtype=None
):
    """Outcome(status line, failure message or None) for one array (expected already an ndarray)."""
    if expected.ndim == 0 and _diagnose.is_real_number(student):
        student = np.asarray(student, dtype=np.float64)
    finding = _diagnose.array_type_finding(student, expected.shape)
    if finding:
        return Outcome(_status(name, "WRONG", f"type {_diagnose.type_name(student)}"), _message(name, finding, where))
    if student.shape != expected.shape:
        values = student.astype(np.float64) if student.dtype.kind in "fiub" else student
        finding = _diagnose.shape_finding(
            values, expected.astype(np.float64), m=m, suspects=suspects, rtol=rtol, atol=atol
        )
        line = _status(name, "WRONG", f"shape {shape_text(student.shape)}, expected {shape_text(expected.shape)}")
        return Outcome(line, _message(name, finding, where))
    if dtype == "real":
        finding = None
    else:
        finding = _diagnose.dtype_finding(student.dtype, expected.dtype if dtype is None else np.dtype(dtype))
    if finding:
        return Outcome(
            _status(name, "WRONG", f"dtype {student.dtype}, expected {expected.dtype}"), _message(name, finding, where)
        )
    values = np.array(student, dtype=np.float64)
    reference = expected.astype(np.float64)
    if np.array_equal(values, reference):
        return Outcome(_status(name, "exact"), None)
    finite = bool(np.all(np.isfinite(values)))
    difference = np.abs(values - reference) if finite else None
    max_difference = float(difference.max()) if finite and difference.size else float("nan")
    error = relative_error(values, reference) if finite else float("nan")
    numbers = f"max abs diff {max_difference:.1e}   rel err {error:.1e}"
    if _diagnose.values_close(values, reference, rtol, atol):
        return Outcome(_status(name, "close", numbers), None)
    finding = _diagnose.value_finding(
        values, reference, m=m, suspects=suspects, rtol=rtol, atol=atol, subject=subject, known=known
    )
    detail = None
    if finite and difference.size:
        index = np.unravel_index(int(np.argmax(difference)), difference.shape)
        where_text = "[" + ", ".join(str(int(i)) for i in index) + "]"
        detail = (
            f"Largest difference at {where_text}: yours {values[index]:.6g}, expected {reference[index]:.6g} "
            f"(relative error {error:.1e} overall)."
        )
    if finding is None:
        finding = Finding(
            f"has the right shape {shape_text(values.shape)} but wrong values.",
            "no common mistake matches; re-derive this step and check one entry by hand.",
        )
        square = values.ndim == 2 and values.shape[0] == values.shape[1] > 1
        if square:
            detail = (detail + "\n" if detail else "") + (
                f"Note: the shape {shape_text(values.shape)} is square, so a transposed result has the "
                "right shape too; check the order of factors and the .T."
            )
    return Outcome(_status(name, "WRONG", numbers), _message(name, finding, where, detail))


def check_array(
    name, student, expected, *, m=None, suspects=None, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, where=None, dtype=None
):
    """Check one array: type, then shape, then dtype, then values. Returns the student's array.

    name:     what to call it in messages, e.g. "dW1".
    student:  the student's result; must be a plain np.ndarray of real numbers.
    expected: the oracle's value (any shape; float64 unless ints/bools are meant).
    m:        the number of examples, to recognise a missing or doubled 1/m.
    suspects: {description of a typical mistake: the value it would produce};
              a match is named in the message.
    rtol, atol: close means np.allclose(student, expected, rtol, atol) or a
              relative error (utils.gradcheck.relative_error) of at most rtol.
              Against a numerical gradient use NUMERICAL_RTOL, NUMERICAL_ATOL.
    where:    a hint of where to look, e.g. "the line computing dW in linear_backward".
    dtype:    None: the dtype kind of `expected` (floats at least as precise; ints; bools);
              "real": any real dtype (float, int or bool; e.g. 0/1 labels), compared as numbers;
              or a numpy dtype whose kind is required.
    Prints one status line; raises AssertionError on the first problem.
    """
    outcome = _compare(
        name, student, _expected_array(expected), m=m, suspects=suspects, rtol=rtol, atol=atol, where=where, dtype=dtype
    )
    print(outcome.line)
    if outcome.message:
        raise AssertionError(outcome.message)
    return student


# ----------------------------------------------------------------------------
# Scalars (the cost J)
# ----------------------------------------------------------------------------


def check_float(name, student, expected, *, m=None, suspects=None, rtol=DEFAULT_RTOL, atol=1e-12, where=None):
    """Check a scalar such as the cost J: a real number, then its value.

    A number is a Python or numpy int or float, or a 0-d array of them (what
    np.squeeze and np.sum give). Arrays with a shape are rejected by name:
    shape (1, m) or (m,) "the per-example losses L, not the cost J", shape
    (1, 1) "a (1, 1) array, not a float".
    expected: the oracle's value (a float). m: the number of examples (to
    recognise a sum instead of a mean). suspects: {description: value}.
    Prints one status line; raises AssertionError on the first problem; returns float(student).
    """
    expected = float(np.asarray(expected, dtype=np.float64).reshape(()))
    is_cost = _diagnose.looks_like_cost(name)
    finding = _diagnose.float_type_finding(student, expected, m, is_cost=is_cost)
    if finding:
        detail = f"Expected: a Python float, here {expected:.6g}."
        shape = f" of shape {shape_text(student.shape)}" if type(student) is np.ndarray else ""
        print(_status(name, "WRONG", f"type {_diagnose.type_name(student)}{shape}"))
        raise AssertionError(_message(name, finding, where, detail))
    value = float(student)
    if value == expected:
        print(_status(name, "exact"))
        return value
    finite = bool(np.isfinite(value))
    difference = abs(value - expected)
    error = relative_error(value, expected) if finite else float("nan")
    numbers = f"abs diff {difference:.1e}   rel err {error:.1e}"
    if finite and (difference <= atol + rtol * abs(expected) or error <= rtol):
        print(_status(name, "close", numbers))
        return value
    print(_status(name, "WRONG", numbers))
    found = _diagnose.float_value_finding(value, expected, m=m, suspects=suspects, rtol=rtol, atol=atol, is_cost=is_cost)
    if found is None:
        found = Finding(
            f"is {value:.6g}; expected {expected:.6g} (relative error {error:.1e}).",
            "no common mistake matches; compute the loss of one example by hand and compare.",
        )
    raise AssertionError(_message(name, found, where, f"Yours {value:.8g}, expected {expected:.8g}."))


# ----------------------------------------------------------------------------
# Dicts of gradients and the 1/m convention
# ----------------------------------------------------------------------------


def is_parameter_gradient(key, parameter_keys=None):
    """True for dW.. and db.. (or for keys in `parameter_keys`): gradients the 1/m convention does not change."""
    if parameter_keys is not None:
        return key in parameter_keys
    return key.startswith(("dW", "db"))


def expected_under_convention(expected, convention, m, *, expected_convention="loss", parameter_keys=None):
    """Rescale the intermediate gradients (dA.., dZ..) of `expected` to another 1/m convention.

    expected:   {name: array} computed under `expected_convention`.
    convention: "loss" (the 1/m sits in dW and db; dA, dZ are gradients of the
                summed loss) or "cost" (the 1/m is applied once at the top, dAL
                already averaged; dA, dZ are dJ/dA, dJ/dZ).
    m:          the number of examples.
    dW and db are the same under both conventions and are returned unchanged.
    """
    for value in (convention, expected_convention):
        if value not in CONVENTIONS:
            raise ValueError(f"convention must be one of {CONVENTIONS}, got {value!r}")
    if convention == expected_convention:
        return dict(expected)
    scale = 1.0 / m if convention == "cost" else float(m)
    return {
        key: value if is_parameter_gradient(key, parameter_keys) else np.asarray(value, dtype=np.float64) * scale
        for key, value in expected.items()
    }


def _normalise_suspects(suspects, expected):
    """{name: {description: value}} from either that form or {description: {name: value} or array}."""
    if not suspects:
        return {}
    if all(key in expected and issubclass(type(value), dict) for key, value in suspects.items()):
        return {key: dict(value) for key, value in suspects.items()}
    per_tensor = {key: {} for key in expected}
    for description, value in suspects.items():
        if issubclass(type(value), dict):
            for key, tensor in value.items():
                if key in per_tensor:
                    per_tensor[key][description] = tensor
        else:
            for key in per_tensor:
                per_tensor[key][description] = value
    return per_tensor


def _detect_convention(student, expected, m, expected_convention, parameter_keys, rtol, atol):
    """The convention that the student's first usable intermediate gradient follows."""
    for key, value in expected.items():
        if is_parameter_gradient(key, parameter_keys) or key not in student:
            continue
        candidate = student[key]
        value = np.asarray(value, dtype=np.float64)
        if type(candidate) is not np.ndarray or candidate.shape != value.shape or candidate.dtype.kind != "f":
            continue
        candidate = np.array(candidate, dtype=np.float64)
        for convention in (expected_convention,) + tuple(c for c in CONVENTIONS if c != expected_convention):
            rescaled = expected_under_convention({key: value}, convention, m, expected_convention=expected_convention,
                                                 parameter_keys=parameter_keys)[key]
            if _diagnose.values_close(candidate, rescaled, rtol, atol):
                return convention
        return expected_convention
    return expected_convention


def _convention_finding(convention, m):
    """The Finding for an intermediate gradient that follows the other 1/m convention."""
    if convention == "loss":
        return Finding(
            f"is m = {m} times too small: it already carries the 1/m (applied at the top, dAL averaged).",
            "this check expects the 1/m in dW and db only, so dA and dZ are not averaged; "
            "put the 1/m in one place and make dA, dZ, dW, db agree with it.",
        )
    return Finding(
        f"is m = {m} times too large: it is not averaged, but the 1/m was meant to be applied at the top.",
        "with the 1/m at the top (dAL already averaged) every dA and dZ below carries it, "
        "and dW, db need no further 1/m.",
    )


_CONVENTION_TEXT = {
    "loss": "the 1/m in the parameters' gradients only; the others per example, not averaged",
    "cost": "the 1/m applied once at the top (the output's gradient already averaged); the parameters' without 1/m",
}


def check_gradients(
    student,
    expected,
    *,
    m=None,
    suspects=None,
    where=None,
    convention=None,
    expected_convention="loss",
    parameter_keys=None,
    rtol=DEFAULT_RTOL,
    atol=DEFAULT_ATOL,
    name="grads",
):
    """Check a dict of gradients: one status line per tensor, then fail on the first problem.

    student:  the student's dict, e.g. {"dA0": ..., "dW1": ..., "db1": ...}.
    expected: the oracle's dict; every key of `expected` is checked (extra student keys are ignored).
    m:        the number of examples (names a missing or doubled 1/m).
    suspects: typical mistakes, either {description: {key: value}} (what a wrong
              implementation returns) or {key: {description: value}}.
    where:    a hint of where to look: a string, or {key: string}.
    convention: where the student put the 1/m, for the intermediate gradients
              (keys other than dW.., db..): "loss", "cost", "either" (accept the
              one the student's first intermediate gradient follows) or None
              (same as expected_convention). dW and db must match either way.
    expected_convention: the convention `expected` was computed under ("loss" for the graders' reference answers).
    rtol, atol: as in check_array. name: what to call the dict itself.
    The failure message names the first wrong tensor and lists the others.
    """
    check_type(name, student, dict)
    student = dict(dict.items(student))  # a plain dict: no overridden __getitem__ or __contains__
    if convention is not None:
        if convention not in CONVENTIONS + ("either",):
            raise ValueError(f"convention must be 'loss', 'cost', 'either' or None, got {convention!r}")
        if m is None:
            raise ValueError("check_gradients needs m to apply a 1/m convention")
        if convention == "either":
            convention = _detect_convention(student, expected, m, expected_convention, parameter_keys, rtol, atol)
        expected = expected_under_convention(
            expected, convention, m, expected_convention=expected_convention, parameter_keys=parameter_keys
        )
        print(f"  (intermediate gradients checked with {_CONVENTION_TEXT[convention]})")
    per_tensor = _normalise_suspects(suspects, expected)
    known = {}
    if convention is not None:
        other = "cost" if convention == "loss" else "loss"
        for key, value in expected.items():
            if not is_parameter_gradient(key, parameter_keys):
                rescaled = expected_under_convention({key: value}, other, m, expected_convention=convention)[key]
                known[key] = [(rescaled, _convention_finding(convention, m))]
    failures = []
    for key, value in expected.items():
        hint = where.get(key) if issubclass(type(where), dict) else where
        if key not in student:
            present = ", ".join(sorted(str(k) for k in student)) or "nothing"
            print(_status(key, "MISSING"))
            failures.append(
                (
                    key,
                    _message(
                        key,
                        Finding(f"is missing from {name} (it has: {present}).", f"store it as {name}[{key!r}]."),
                        hint,
                    ),
                )
            )
            continue
        outcome = _compare(
            key,
            student[key],
            _expected_array(value),
            m=m,
            suspects=per_tensor.get(key),
            rtol=rtol,
            atol=atol,
            where=hint,
            known=known.get(key),
        )
        print(outcome.line)
        if outcome.message:
            failures.append((key, outcome.message))
    if failures:
        message = failures[0][1]
        if len(failures) > 1:
            message += "\nAlso wrong: " + ", ".join(key for key, _ in failures[1:]) + " (see the lines above)."
        raise AssertionError(message)
    return student


# ----------------------------------------------------------------------------
# Suspects: the values typical mistakes produce
# ----------------------------------------------------------------------------


def activation_suspects(dA, Z, activation, other_Z=None):
    """{description: wrong dZ} for the typical mistakes in dZ = dA * g'(Z); for `suspects=`.

    dA: the upstream gradient (n_l, m); Z: the layer's pre-activation (n_l, m);
    activation: "sigmoid", "relu", "tanh" or "linear";
    other_Z: another layer's Z of the same shape, for "g'(Z) from the wrong layer's cache".
    Only wrong values are returned (the correct dZ is not computed here; the
    wrong-layer value comes from the numerical oracle). Suspects that coincide
    with the right answer for some activation (e.g. relu'(A) = relu'(Z)) are left out.
    """
    dA = np.asarray(dA, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    function = _activation_function(activation)
    derivative = _activation_derivative(activation)
    suspects = {}
    if activation == "linear":
        return suspects  # g' = 1: every mistake below gives the right answer
    suspects[f"{activation}(Z) was used where its derivative {activation}'(Z) belongs"] = dA * function(Z)
    suspects[f"the factor {activation}'(Z) was dropped: dA was passed on as dZ"] = dA.copy()
    suspects[f"dA is missing: {activation}'(Z) alone, not multiplied by the upstream gradient dA"] = derivative(Z)
    if activation in ("sigmoid", "tanh"):
        suspects[f"{activation}' was evaluated at A = {activation}(Z) instead of at Z"] = dA * derivative(function(Z))
    if activation == "tanh":
        suspects["1 - Z**2 was used where tanh'(Z) = 1 - tanh(Z)**2 belongs"] = dA * (1.0 - Z * Z)
    if other_Z is not None:
        other_Z = np.array(other_Z, dtype=np.float64)
        if other_Z.shape == Z.shape:
            suspects[f"{activation}'(Z) was taken from another layer's Z (a cache from the wrong layer)"] = (
                numerical_layer_gradient(function, other_Z, dA)
            )
    return suspects


def suspects_from(oracle, alternatives):
    """{description: oracle(*args)} for wrong inputs: what a mistake would produce, from the oracle.

    oracle:       a solution-free function of the inputs returning the expected
                  result (an array or a dict of arrays), e.g. numerical gradients of a forward pass.
    alternatives: {description: args tuple}, e.g.
                  {"dA was passed where dZ belongs": (dA, cache),
                   "the cache of the wrong layer was used": (dZ, other_cache)}.
    """
    return {description: oracle(*args) for description, args in alternatives.items()}


def suspects_through(oracle, suspects):
    """{description: oracle(value)}: carry wrong intermediate values through a downstream oracle.

    E.g. the gradients of a layer that each wrong dZ of activation_suspects would produce:
    suspects_through(lambda dZ: linear_oracle(dZ, cache), activation_suspects(dA, Z, "relu")).
    """
    return {description: oracle(value) for description, value in suspects.items()}


#: The oracles in utils that a graded function must not call (for check_does_not_call).
ORACLES = (
    numerical_gradient,
    numerical_layer_gradient,
    numerical_gradients,
    directional_check,
    activation_suspects,
    suspects_from,
    suspects_through,
    autodiff.Tensor.__init__,  # any use of the autodiff engine makes a Tensor
    autodiff.backpropagate,
)


# ----------------------------------------------------------------------------
# Running a student's function
# ----------------------------------------------------------------------------


def _call_text(args, kwargs):
    shown = [f"<{_diagnose.type_name(value)}>" for value in args] + [f"{key}=..." for key in kwargs]
    return "(" + ", ".join(shown) + ")"


def _binding_advice(label, func, args, kwargs, error):
    """AssertionError text for a call that failed before the function's body ran (its def line differs)."""
    if not callable(func):
        return (f"{label} is not a function: it is a {_diagnose.type_name(func)}.\n"
                f"Likely reason: the name {label} was assigned something else after its def cell ran.\n"
                f"Look at: the cell that defines {label}; run it again.")
    try:
        yours = f"def {label}{inspect.signature(func)}"
    except (TypeError, ValueError):
        yours = None
    lines = [f"{label} could not be called the way the test calls it: {error}.",
             f"The test calls {label}{_call_text(args, kwargs)}"
             + (f", and your def line is `{yours}`." if yours else "."),
             "Likely reason: the def line was changed (a parameter renamed, added or removed); keep the "
             "def line the assignment gives, with its parameter names and defaults."]
    return "\n".join(lines)


def run_student(func, *args, name=None, **kwargs):
    """Call a student's function and return its result, turning common errors into advice.

    NotImplementedError -> AssertionError "<name> is not implemented yet".
    ValueError from broadcasting -> AssertionError "`*` multiplies elementwise;
    did you mean a matrix product (`@` / np.dot)?" (with the shapes involved).
    ValueError from a matrix product with mismatched shapes -> which dimensions must agree.
    TypeError from the call itself (the def line takes other parameters) ->
    AssertionError showing how the test calls it and the student's def line.
    NameError -> the same NameError, its message extended with what exists
    (`import copy`, `from utils.activations import ...`; utils._names).
    Other exceptions pass through unchanged.
    """
    label = name or getattr(func, "__name__", "your function")
    try:
        return func(*args, **kwargs)
    except NameError as error:
        _names.explain_name_error(error, getattr(func, "__globals__", None))
        raise
    except TypeError as error:
        if error.__traceback__ is not None and error.__traceback__.tb_next is None:
            raise AssertionError(_binding_advice(label, func, args, kwargs, error)) from None
        raise
    except NotImplementedError:
        raise AssertionError(
            f"{label} is not implemented yet.\n"
            "Replace the line `raise NotImplementedError()` with your code, then run this cell again."
        ) from None
    except ValueError as error:
        advice = _diagnose.shape_error_advice(str(error))
        if advice is None:
            raise
        message = f"{label} raised a shape error: {str(error).strip()}\n" + "\n".join(advice)
        raise AssertionError(message) from error


# ----------------------------------------------------------------------------
# Forbidden calls
# ----------------------------------------------------------------------------

_Forbidden = namedtuple("_Forbidden", "label reason obj code bare_name")


def _resolve_dotted(text):
    """'utils.gradcheck.numerical_gradient' -> the object, importing the longest module prefix."""
    parts = text.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ValueError(f"cannot resolve {text!r} to a function")


def _label(obj):
    module = getattr(obj, "__module__", None) or getattr(type(obj), "__module__", "")
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    return f"{module}.{qualname}" if module else qualname


def _resolve_forbidden(forbidden):
    items = forbidden.items() if issubclass(type(forbidden), dict) else ((item, None) for item in forbidden)
    entries = []
    for item, reason in items:
        if isinstance(item, str) and "." not in item:
            entries.append(_Forbidden(item, reason, None, None, item))
            continue
        obj = _resolve_dotted(item) if isinstance(item, str) else item
        code = getattr(obj, "__code__", None)
        label = item if isinstance(item, str) else _label(obj)
        entries.append(_Forbidden(label, reason, obj, code, None))
    return entries


class _Spy:
    """Stands in for a forbidden callable while the student's function runs: records, then delegates."""

    def __init__(self, original, entry, record):
        self._original = original
        self._entry = entry
        self._record = record

    def __call__(self, *args, **kwargs):
        self._record(self._entry)
        return self._original(*args, **kwargs)

    def __getattr__(self, attribute):
        return getattr(self._original, attribute)


def _patch_sites(entry, namespaces):
    """(namespace dict, key) pairs where the forbidden object is bound."""
    sites = []
    for namespace in namespaces:
        for key, value in list(namespace.items()):
            if value is entry.obj:
                sites.append((namespace, key))
    return sites


def _namespaces_to_patch(entries, student_globals):
    roots = {"utils", "__main__"}
    for entry in entries:
        module = getattr(entry.obj, "__module__", None)
        if module:
            roots.add(module.split(".")[0])
    namespaces = []
    for module_name, module in list(sys.modules.items()):
        if module is not None and module_name.split(".")[0] in roots:
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                namespaces.append(namespace)
    if student_globals is not None:
        namespaces.append(student_globals)
    unique = {id(namespace): namespace for namespace in namespaces}
    return list(unique.values())


def check_does_not_call(func, args, forbidden, *, kwargs=None, name=None):
    """Run func(*args, **kwargs) and fail if it called anything in `forbidden`; return its result.

    forbidden: callables (e.g. utils.gradcheck.numerical_gradient, np.linalg.inv,
               or ORACLES), dotted names ("utils.gradcheck.numerical_gradient"),
               or bare names ("numerical_gradient": any function of that name
               defined outside the student's own module); or a dict mapping
               each of these to the reason it is forbidden.
    Calls are caught two ways: a profiler watching for the forbidden code
    objects and C functions, and, for the duration of the call, every module
    attribute bound to a forbidden callable replaced by a recording stand-in.
    Everything is restored afterwards, even when the function raises.
    """
    label = name or getattr(func, "__name__", "your function")
    if not issubclass(type(args), (tuple, list)):
        args = (args,)
    entries = _resolve_forbidden(forbidden)
    called = []

    def record(entry):
        if entry not in called:
            called.append(entry)

    codes = {entry.code: entry for entry in entries if entry.code is not None}
    objects = {id(entry.obj): entry for entry in entries if entry.obj is not None}
    bare_names = {entry.bare_name: entry for entry in entries if entry.bare_name}
    student_globals = getattr(func, "__globals__", None)
    previous_profiler = sys.getprofile()

    def profiler(frame, event, arg):
        if event == "call":
            entry = codes.get(frame.f_code)
            if entry is None and frame.f_code.co_name in bare_names and frame.f_globals is not student_globals:
                entry = bare_names[frame.f_code.co_name]
            if entry is not None:
                record(entry)
        elif event == "c_call":
            entry = objects.get(id(arg))
            if entry is None and getattr(arg, "__name__", None) in bare_names:
                entry = bare_names[arg.__name__]
            if entry is not None:
                record(entry)
        if previous_profiler is not None:
            previous_profiler(frame, event, arg)

    patched = []
    try:
        namespaces = _namespaces_to_patch(entries, student_globals)
        for entry in entries:
            if entry.obj is None or not callable(entry.obj) or isinstance(entry.obj, type):
                continue
            spy = _Spy(entry.obj, entry, record)
            for namespace, key in _patch_sites(entry, namespaces):
                patched.append((namespace, key, entry.obj))
                namespace[key] = spy
        sys.setprofile(profiler)
        try:
            result = run_student(func, *args, name=label, **(kwargs or {}))
        finally:
            sys.setprofile(previous_profiler)
    except Exception:
        if not called:
            raise
        result = None
    finally:
        for namespace, key, original in reversed(patched):
            namespace[key] = original
    if called:
        names = ", ".join(entry.label for entry in called)
        reasons = [entry.reason for entry in called if entry.reason]
        reason = reasons[0] if reasons else "which this exercise asks you not to use"
        lines = [f"{label} called {names}, {reason.rstrip('.')}."]
        if not reasons:
            lines.append(
                "It is an oracle or the very function you are asked to write: "
                "the check would compare a result with itself."
            )
        lines.append("Compute the result yourself from the formula you derived.")
        message = "\n".join(lines)
        raise AssertionError(message)
    return result


# ----------------------------------------------------------------------------
# Sizes that separate mistakes
# ----------------------------------------------------------------------------


def require_separating_sizes(layer_dims, m):
    """Raise ValueError unless these sizes can tell common mistakes apart.

    layer_dims: [n_x, n_1, ..., n_L]; m: the number of examples.
    Rules: m not 1, 2 or 4; consecutive widths differ (no square W[l]); m differs
    from every width (so (n_l, m) never looks like W's (n_l, n_{l-1}), nor (1, m) like (n_l, 1)).
    """
    if m in UNSEPARATING_M:
        raise ValueError(f"m = {m} cannot reveal a missing or doubled 1/m; use m not in {UNSEPARATING_M}")
    for layer, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        if n_prev == n:
            raise ValueError(
                f"W{layer} would be square ({n}, {n_prev}): a transposed W{layer} would pass the shape check"
            )
    if m in layer_dims:
        raise ValueError(f"m = {m} equals a layer width in {list(layer_dims)}; pick m different from every width")


def separating_sizes(seed=0, n_layers=2, n_x=None, n_out=None):
    """SeparatingSizes(layer_dims, m): seeded sizes that pass require_separating_sizes.

    seed: any int (np.random.default_rng(seed), nothing global is touched).
    n_layers: L, the number of weight matrices; layer_dims has L + 1 entries.
    n_x, n_out: fix the input or output width (e.g. n_out=1 for a binary output).
    Widths are distinct values in 2..12, m is in 5..13 and differs from every width.
    """
    rng = np.random.default_rng(seed)
    for _ in range(1000):
        m = int(rng.choice([5, 6, 7, 9, 10, 11, 13]))
        pool = [k for k in range(2, 13) if k != m and k not in (n_x, n_out)]
        dims = [int(k) for k in rng.choice(pool, size=n_layers + 1, replace=False)]
        if n_x is not None:
            dims[0] = n_x
        if n_out is not None:
            dims[-1] = n_out
        try:
            require_separating_sizes(dims, m)
        except ValueError:
            continue
        return SeparatingSizes(dims, m)
    raise ValueError(f"no separating sizes with n_x={n_x}, n_out={n_out}")
