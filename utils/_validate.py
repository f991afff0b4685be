"""Input validation shared by the `utils` modules.

Every public function in `utils` checks its arrays with these helpers, so a
student who passes the wrong thing gets a `ValueError` that names the
argument and the shapes involved instead of a broadcasting surprise three
lines later.
"""

import numpy as np


def as_float_array(name, value, ndim=None, allow_nan=False):
    """Return `value` as a float64 ndarray, or raise a `ValueError` naming `name`.

    name:  the argument's name, used in the message.
    value: an ndarray, or a Python/NumPy number.
    ndim:  the number of dimensions required, or None for any.
    """
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise ValueError(f"{name} must be a float array, got {type(value).__name__}")
    if not isinstance(value, (np.ndarray, float, int, np.floating, np.integer)):
        raise ValueError(
            f"{name} must be a numpy array, got {type(value).__name__}; "
            f"wrap it with np.asarray(...) first"
        )
    array = np.asarray(value)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-dimensional, got shape {array.shape}"
            + (" (did you forget keepdims=True or a reshape to (n, 1)?)" if ndim == 2 and array.ndim == 1 else "")
        )
    if not allow_nan and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite entries (shape {array.shape})")
    return array


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
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
