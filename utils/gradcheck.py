"""Numerical gradient checks: the oracle that needs only a forward pass.

Three checks, from thorough to cheap:

* `numerical_gradient(f, x)`: centred differences over every entry of `x`,
  for a scalar function f. Costs two evaluations of f per entry.
* `numerical_layer_gradient(forward, x, upstream)`: the same for an
  array-valued forward pass, contracted with an upstream gradient, i.e. the
  gradient of sum(upstream * forward(x)). This is exactly what a layer's
  backward pass must return for `x`, so a backward pass can be checked from
  its forward pass alone.
* `directional_check(f, params, grads)`: compares the analytic directional
  derivative sum_k <grads[k], u_k> with (f(p + h u) - f(p - h u)) / 2h along a
  few random unit directions u. Two evaluations per direction, whatever the
  number of parameters (the idea of JAX's `check_grads`).

Relative error, one definition for the whole course:

    relative_error(a, b) = ||a - b|| / max(||a|| + ||b||, floor)

with Euclidean norms over all entries and floor = 1e-12, so two zero arrays
compare as 0, not 0/0. In float64 with the default step, a correct gradient
of a smooth function gives about 1e-9 or less; above 1e-5 something is wrong.

The default step, DEFAULT_STEP = 1e-6, comes from a sweep of h from 1e-2 to
1e-10 that the course's authors measured on sigmoid, tanh and relu problems
(median and worst error over 20 seeds each); the reasons are at DEFAULT_STEP.
"""

from collections import namedtuple

import numpy as np

from utils._validate import as_float_array

#: Default finite-difference step for float64, chosen from that measured
#: sweep (worst errors: 6e-11 to 2e-10 at h = 1e-5, 4e-10 to 2e-9 at 1e-6,
#: 2e-8 at 1e-7, 2e-5 at 1e-10). Centred
#: differences trade truncation error (~h**2) against rounding error (~eps/h):
#: the smallest worst-case error is at h = 1e-5 (about 1e-10), but at 1e-6 it
#: is still about 2e-9, and a full check of a relu network crosses a kink at 0
#: seven times less often (0.2% of networks instead of 1.4%). 1e-6 is the
#: smallest step whose worst error stays within 1e-8.
DEFAULT_STEP = 1e-6

#: The floor in the denominator of `relative_error`.
RELATIVE_ERROR_FLOOR = 1e-12

DirectionalResult = namedtuple("DirectionalResult", "numeric analytic relative_error")


def relative_error(a, b, floor=RELATIVE_ERROR_FLOOR):
    """||a - b|| / max(||a|| + ||b||, floor), a float in [0, 1].

    a, b: arrays of the same shape (or floats). Norms are Euclidean over all
    entries. NaN or infinite entries raise ValueError (there is no meaningful
    relative error to report; look at the array instead).
    """
    a = as_float_array("a", a)
    b = as_float_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs equal shapes, got a of shape {a.shape} and b of shape {b.shape}")
    denominator = max(float(np.linalg.norm(a) + np.linalg.norm(b)), floor)
    return float(np.linalg.norm(a - b)) / denominator


def elementwise_relative_error(a, b, floor=RELATIVE_ERROR_FLOOR):
    """|a - b| / max(|a| + |b|, floor), entry by entry; same shape as a and b."""
    a = as_float_array("a", a)
    b = as_float_array("b", b)
    if a.shape != b.shape:
        raise ValueError(f"elementwise_relative_error needs equal shapes, got {a.shape} and {b.shape}")
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


def _require_nudgeable(name, x):
    """x must be a finite, writeable float64 ndarray: the checks change it in place."""
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        described = f"an array of dtype {x.dtype} and shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(
            f"{name} must be a float64 numpy array that the check can nudge in place, got {described}"
            + ("; convert it once with .astype(np.float64) and pass that array" if isinstance(x, np.ndarray) else "")
        )
    if not x.flags.writeable:
        raise ValueError(f"{name} (shape {x.shape}) is read-only, but the check must nudge it in place")
    as_float_array(name, x)  # NaN or infinite entries


def _require_step(step):
    if isinstance(step, (bool, np.bool_)) or not isinstance(step, (float, int, np.floating, np.integer)) or not step > 0:
        raise ValueError(f"step must be a positive number, got {step!r}")
    return float(step)


def _scalar(name, value, nudged, direction):
    """f's value as a float; ValueError unless it is a finite scalar.

    nudged, direction: what was nudged and which way ("up"/"down"), for the
    message only; nudged is an index tuple into x, or a description.
    """
    try:
        number = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        number = None
    if number is not None and number.size == 1 and np.isfinite(number.reshape(())):
        return float(number.reshape(()))
    where = f"x{list(nudged)}" if isinstance(nudged, tuple) else nudged
    if number is None:
        problem = f"must return a number, got {type(value).__name__}"
    elif number.size != 1:
        problem = f"must return a scalar, got an array of shape {number.shape}"
    else:
        problem = f"returned {float(number.reshape(()))}"
    raise ValueError(f"{name} {problem} (with {where} nudged {direction})")


def numerical_gradient(f, x, step=DEFAULT_STEP):
    """dF/dx by centred differences, entry by entry.

    f:    a function of x returning a scalar (a float or a size-1 array).
          It is called as f(x) with x nudged in place, so a closure that reads
          x (for example params["W1"]) works too.
    x:    float64 array of any shape (also a non-contiguous view); restored
          exactly before returning.
    step: the nudge h; (f(x + h e_i) - f(x - h e_i)) / 2h per entry i.
    Returns an array of the shape of x.
    """
    _require_nudgeable("x", x)
    step = _require_step(step)
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        try:
            x[index] = original + step
            x_plus = x[index]
            f_plus = _scalar("f", f(x), index, "up")
            x[index] = original - step
            x_minus = x[index]
            f_minus = _scalar("f", f(x), index, "down")
        finally:
            x[index] = original
        # Divide by the nudge actually stored, x_plus - x_minus (exact in
        # floating point), rather than 2h, which x + h may round away from.
        gradient[index] = (f_plus - f_minus) / (x_plus - x_minus)
    return gradient


def numerical_layer_gradient(forward, x, upstream, step=DEFAULT_STEP):
    """The gradient of sum(upstream * forward(x)) with respect to x.

    forward:  a function of x returning an array of the shape of `upstream`
              (called with x nudged in place).
    x:        float64 array of any shape; restored before returning.
    upstream: the gradient flowing in from above, dJ/d(forward(x)).
    Returns dJ/dx, an array of the shape of x. For a layer Z = W A_prev + b,
    numerical_layer_gradient(lambda W: W @ A_prev + b, W, dZ) is dW.
    """
    upstream = as_float_array("upstream", upstream)

    def contracted(value):
        out = np.asarray(forward(value), dtype=np.float64)
        if out.shape != upstream.shape:
            raise ValueError(f"forward returned shape {out.shape} but upstream has shape {upstream.shape}")
        return float(np.sum(out * upstream))

    return numerical_gradient(contracted, x, step)


def numerical_gradients(f, params, step=DEFAULT_STEP, keys=None):
    """Full numerical check of a whole network: {key: dF/dparams[key]}.

    f:      a function of the params dict returning the scalar cost J.
    params: {"W1": ..., "b1": ...}, float64 arrays nudged in place and restored.
    keys:   which entries to differentiate (default: all).
    Costs 2 evaluations of f per parameter entry.
    """
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of arrays, got {type(params).__name__}")
    keys = list(params) if keys is None else list(keys)
    missing = [key for key in keys if key not in params]
    if missing:
        raise ValueError(f"params has no entries {missing}; its keys are {list(params)}")
    for key in keys:
        _require_nudgeable(f"params[{key!r}]", params[key])
    return {key: numerical_gradient(lambda _value: f(params), params[key], step) for key in keys}


def directional_check(f, params, grads, n_directions=3, step=DEFAULT_STEP, seed=0):
    """Check `grads` along random unit directions: 2 evaluations of f each.

    f:      a function of the params dict returning the scalar cost J.
    params: {"W1": (n_1, n_0), ...} float64 arrays (nudged in place, then restored).
    grads:  analytic gradients; grads["d" + key] or grads[key] for each key of params.
    Returns a list of `DirectionalResult(numeric, analytic, relative_error)`,
    one per direction. A correct gradient gives relative errors near 1e-9.
    """
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise ValueError(
            f"params and grads must be dicts of arrays, got {type(params).__name__} and {type(grads).__name__}"
        )
    if isinstance(n_directions, (bool, np.bool_)) or not isinstance(n_directions, (int, np.integer)) or n_directions < 1:
        raise ValueError(f"n_directions must be a positive integer, got {n_directions!r}")
    step = _require_step(step)
    keys = list(params)
    for key in keys:
        _require_nudgeable(f"params[{key!r}]", params[key])
    analytic_grads = {}
    for key in keys:
        grad_key = "d" + key if "d" + key in grads else key
        if grad_key not in grads:
            raise ValueError(f"grads has no entry 'd{key}' for params[{key!r}]; its keys are {list(grads)}")
        grad = as_float_array(f"grads[{grad_key!r}]", grads[grad_key])
        if grad.shape != params[key].shape:
            raise ValueError(
                f"grads[{grad_key!r}] has shape {grad.shape} but params[{key!r}] has shape {params[key].shape}"
            )
        analytic_grads[key] = grad
    # One flat vector over all parameters: one random draw, one BLAS dot per direction.
    bounds = np.cumsum([0] + [params[key].size for key in keys])
    flat_original = np.concatenate([params[key].ravel() for key in keys])
    flat_grad = np.concatenate([analytic_grads[key].ravel() for key in keys])
    plus, minus, scratch = np.empty_like(flat_original), np.empty_like(flat_original), np.empty_like(flat_original)

    def set_params(flat):
        for key, start, stop in zip(keys, bounds[:-1], bounds[1:]):
            np.copyto(params[key], flat[start:stop].reshape(params[key].shape))

    rng = np.random.default_rng(seed)
    results = []
    try:
        for _ in range(n_directions):
            direction = rng.standard_normal(flat_original.size)
            direction /= np.sqrt(np.dot(direction, direction))  # a unit vector u
            np.multiply(direction, step, out=scratch)
            np.add(flat_original, scratch, out=plus)
            np.subtract(flat_original, scratch, out=minus)
            set_params(plus)
            f_plus = _scalar("f", f(params), "params", "along a random direction")
            set_params(minus)
            f_minus = _scalar("f", f(params), "params", "against a random direction")
            numeric = (f_plus - f_minus) / (2.0 * step)
            # The analytic side uses the displacement actually stored, (plus - minus) / 2h,
            # which rounding makes slightly different from u.
            np.subtract(plus, minus, out=scratch)
            analytic = float(np.dot(flat_grad, scratch)) / (2.0 * step)
            results.append(DirectionalResult(numeric, analytic, relative_error(numeric, analytic)))
    finally:
        set_params(flat_original)
    return results


def gradient_report(name, analytic, numeric, worst=3):
    """One readable paragraph comparing an analytic gradient with a numerical one.

    name:     the tensor's name, e.g. "dW1".
    analytic: your gradient; numeric: the numerical one (same shape).
    worst:    how many of the worst entries to list.
    Returns a string: the relative error, the largest absolute difference,
    and the `worst` entries by absolute difference with both values.
    """
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        return f"{name}: shape {analytic.shape}, but the numerical gradient has shape {numeric.shape}"
    difference = np.abs(analytic - numeric)
    lines = [
        f"{name}: relative error {relative_error(analytic, numeric):.2e}, "
        f"max abs difference {difference.max() if difference.size else 0.0:.2e} (shape {analytic.shape})"
    ]
    if difference.size:
        order = np.argsort(difference, axis=None)[::-1][:worst]
        for flat_index in order:
            index = np.unravel_index(flat_index, analytic.shape)
            lines.append(
                f"  {name}[{', '.join(str(int(i)) for i in index)}]: "
                f"yours {analytic[index]: .6g}, numerical {numeric[index]: .6g}"
            )
    return "\n".join(lines)
