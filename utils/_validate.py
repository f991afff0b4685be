"""Input validation shared by the `utils` modules.

Every public function in `utils` checks its arrays with these helpers, so a
student who passes the wrong thing gets a `ValueError` that names the
argument and the shapes involved instead of a broadcasting surprise three
lines later.

The checks sit on the hot path of every forward pass, so the common case (a
float64 ndarray) is kept cheap: no conversion, and finiteness is tested with
one BLAS dot product instead of an elementwise `isfinite` pass (see
`all_finite`).
"""

import math

import numpy as np


def _described(value):
    """`type` (and shape and dtype, for arrays) of `value`, for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__


def all_finite(array):
    """True when no entry of the float64 array `array` is NaN or infinite.

    x . x is NaN or inf whenever some entry is, and is computed by one BLAS
    call without a temporary array, so it is about three times cheaper than
    `np.isfinite(array).all()`. It can also overflow to inf for entries beyond
    about 1e154; only then (or for arrays that are not contiguous) is the
    exact elementwise test run.
    """
    if array.size == 0:
        return True
    if array.flags.c_contiguous or array.flags.f_contiguous:
        flat = array.ravel(order="K")  # a view, no copy
        if math.isfinite(np.dot(flat, flat)):
            return True
    return bool(np.isfinite(array).all())


def as_float_array(name, value, ndim=None, allow_nan=False):
    """Return `value` as a float64 ndarray, or raise a `ValueError` naming `name`.

    name:      the argument's name, used in the message.
    value:     an ndarray of real numbers (any integer or float dtype), or a
               Python/NumPy number. Lists, booleans, strings, objects and
               complex numbers are refused.
    ndim:      the number of dimensions required, or None for any.
    allow_nan: accept NaN and infinite entries (refused by default).
    A float64 ndarray is returned as it is (no copy), so caches keep the
    caller's arrays.
    """
    if type(value) is np.ndarray and value.dtype == np.float64:
        array = value  # the common case: nothing to convert
    else:
        array = _converted(name, value)
    if ndim is not None and array.ndim != ndim:
        hint = ""
        if ndim == 2 and array.ndim == 1:
            hint = " (did you forget keepdims=True, or a reshape to (n, 1) or (1, m)?)"
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}{hint}")
    if not allow_nan and not all_finite(array):
        bad = int(array.size - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite entries (shape {array.shape})")
    return array


def _converted(name, value):
    """The slow path of `as_float_array`: check the type and dtype, convert to float64."""
    if value is None or isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a float array, got {_described(value)}")
    if not isinstance(value, (np.ndarray, float, int, np.floating, np.integer)):
        raise ValueError(
            f"{name} must be a numpy array, got {_described(value)}; "
            f"wrap it with np.asarray(...) first"
        )
    array = np.asarray(value)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        kind = "real numbers" if np.issubdtype(array.dtype, np.complexfloating) else "numbers"
        raise ValueError(f"{name} must hold {kind}, got dtype {array.dtype} (shape {array.shape})")
    return array.astype(np.float64, copy=False)


def require_shape(name, array, shape):
    """Raise `ValueError` unless `array.shape == shape` (None in `shape` matches any size)."""
    ok = array.ndim == len(shape) and all(
        want is None or have == want for have, want in zip(array.shape, shape)
    )
    if not ok:
        wanted = "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {wanted}, got {array.shape}")


def require_same_shape(name_a, a, name_b, b):
    """Raise `ValueError` unless `a` and `b` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}")


def require_choice(name, value, choices):
    """Raise `ValueError` unless `value` is one of `choices`."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
