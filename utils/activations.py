"""Activation functions g and their derivatives g'.

All act elementwise on an array `Z` of any shape and return an array of the
same shape, except `softmax`, which normalises over axis 0 (the class axis:
`Z` is `(K, m)`, one column per example).

`relu_backward(dA, Z)`, `sigmoid_backward(dA, Z)` and `tanh_backward(dA, Z)`
are the backward steps through an activation, dZ = dA * g'(Z), for an
upstream gradient dA of the shape of Z.

The derivative of softmax is a Jacobian, not an elementwise g'; deriving it
is part of unit 4, so it is deliberately not here (and there is no
softmax_backward).
"""

import numpy as np

from utils._validate import as_float_array, require_choice


def sigmoid(Z):
    """The logistic function 1 / (1 + exp(-Z)), stable for large |Z|.

    Z: array of any shape. Returns an array of the same shape, in (0, 1)
    (exactly 0.0 or 1.0 only where float64 cannot tell the difference).
    """
    return _sigmoid(as_float_array("Z", Z))


def relu(Z):
    """max(0, Z), elementwise. Z: any shape; returns the same shape."""
    return _relu(as_float_array("Z", Z))


def tanh(Z):
    """Hyperbolic tangent, elementwise. Z: any shape; returns the same shape."""
    return np.tanh(as_float_array("Z", Z))


def identity(Z):
    """The identity (a linear output layer). Z: any shape; returns a copy."""
    return as_float_array("Z", Z).copy()


def softmax(Z):
    """Softmax over the class axis (axis 0).

    Z: logits of shape (K, m), one column per example.
    Returns probabilities of shape (K, m); every column sums to 1. Subtracting
    each column's maximum first keeps exp() finite for logits around +-1000.
    """
    return _softmax(as_float_array("Z", Z, ndim=2))


def sigmoid_derivative(Z):
    """g'(Z) for the sigmoid: sigmoid(Z) * (1 - sigmoid(Z)). Same shape as Z.

    Computed as e / (1 + e)**2 with e = exp(-|Z|), the same number written so
    that 1 - sigmoid(Z) is never formed: for large Z that subtraction would
    cancel almost every digit (at Z = 30 only about three would be left).
    """
    exp_minus_abs = _exp_minus_abs(as_float_array("Z", Z))
    denominator = exp_minus_abs + 1.0
    denominator *= denominator
    exp_minus_abs /= denominator
    return _scalar_if_0d(exp_minus_abs)


def relu_derivative(Z):
    """g'(Z) for relu: 1 where Z > 0, else 0 (relu'(0) is taken as 0). Same shape as Z."""
    Z = as_float_array("Z", Z)
    return (Z > 0).astype(np.float64)


def tanh_derivative(Z):
    """g'(Z) for tanh: 1 - tanh(Z)**2. Same shape as Z."""
    t = np.array(tanh(Z), dtype=np.float64)  # a 0-d input gives a numpy scalar; work on an array
    t *= t  # in place: one (n, m) array for the whole computation
    np.subtract(1.0, t, out=t)
    return _scalar_if_0d(t)


def identity_derivative(Z):
    """g'(Z) for the identity: ones of the shape of Z."""
    Z = as_float_array("Z", Z)
    return np.ones_like(Z)


# Backward steps through an activation: dZ = dA * g'(Z). Building blocks with
# the names well-known notebooks use (their second argument is the activation
# cache, which in this course is Z itself), not graded answers: the graded
# functions chain them with the linear step.


def _backward_step(name, g_prime, dA, Z):
    """dA * g'(Z) after checking that dA and Z are arrays of the same shape."""
    dA = as_float_array("dA", dA)
    Z = as_float_array("Z", Z)
    if dA.shape != Z.shape:
        raise ValueError(
            f"{name}: dA has shape {dA.shape} but Z has shape {Z.shape}; dA is the gradient with respect to "
            f"A = g(Z), so it has the shape of Z, (n_l, m). Is Z the pre-activation of the same layer "
            f"(the second item of its cache)?"
        )
    return dA * g_prime(Z)


def relu_backward(dA, Z):
    """The backward step through relu: dZ = dA * relu'(Z), with relu'(Z) = 1 where Z > 0, else 0.

    dA: (n_l, m) gradient with respect to the layer's output A = relu(Z).
    Z:  (n_l, m) the layer's pre-activation (the second item of a layer cache).
    Returns dZ, a new float64 array of shape (n_l, m); dA and Z are not modified.
    Raises ValueError if dA and Z are not real arrays of the same shape.
    """
    return _backward_step("relu_backward", relu_derivative, dA, Z)


def sigmoid_backward(dA, Z):
    """The backward step through the sigmoid: dZ = dA * sigmoid(Z) * (1 - sigmoid(Z)).

    dA, Z: (n_l, m) arrays, as for relu_backward (the same checks). Returns dZ, a new (n_l, m) float64 array.
    """
    return _backward_step("sigmoid_backward", sigmoid_derivative, dA, Z)


def tanh_backward(dA, Z):
    """The backward step through tanh: dZ = dA * (1 - tanh(Z)**2).

    dA, Z: (n_l, m) arrays, as for relu_backward (the same checks). Returns dZ, a new (n_l, m) float64 array.
    """
    return _backward_step("tanh_backward", tanh_derivative, dA, Z)


# The same functions without input checks, for callers that computed Z
# themselves from checked arrays (the forward passes): Z is a float64 ndarray.

# They work in place where they can: on large arrays every temporary costs a
# fresh allocation (and page faults), a cost the course's authors measured in
# a full forward + backward step against its matrix products alone.


def _exp_minus_abs(Z):
    """exp(-|Z|), a new array in (0, 1]: it never overflows."""
    out = np.array(np.abs(Z), dtype=np.float64)  # np.abs of a 0-d array is a scalar: keep an array
    np.negative(out, out=out)
    np.exp(out, out=out)
    return out


def _sigmoid(Z):
    # For Z >= 0 this is 1 / (1 + exp(-Z)); for Z < 0 it is exp(Z) / (1 + exp(Z)),
    # which keeps full relative precision for very negative Z.
    exp_minus_abs = _exp_minus_abs(Z)
    out = np.where(Z >= 0, 1.0, exp_minus_abs)
    exp_minus_abs += 1.0
    out /= exp_minus_abs
    return _scalar_if_0d(out)


def _scalar_if_0d(out):
    """A numpy float for a 0-d result (as np.tanh and np.maximum give), the array otherwise."""
    return out[()] if out.ndim == 0 else out


def _relu(Z):
    return np.maximum(Z, 0.0)


def _softmax(Z):
    exp_z = Z - Z.max(axis=0, keepdims=True)
    np.exp(exp_z, out=exp_z)
    exp_z /= exp_z.sum(axis=0, keepdims=True)
    return exp_z


#: name -> activation function, for the layer forward passes.
ACTIVATIONS = {
    "sigmoid": sigmoid,
    "relu": relu,
    "tanh": tanh,
    "linear": identity,
    "softmax": softmax,
}

#: name -> elementwise derivative g'. Softmax has none (see the module docstring).
DERIVATIVES = {
    "sigmoid": sigmoid_derivative,
    "relu": relu_derivative,
    "tanh": tanh_derivative,
    "linear": identity_derivative,
}


def activation(name):
    """The activation function called `name` ("sigmoid", "relu", "tanh", "linear", "softmax")."""
    require_choice("activation", name, ACTIVATIONS)
    return ACTIVATIONS[name]


def derivative(name):
    """The elementwise derivative g' of the activation `name` ("sigmoid", "relu", "tanh", "linear")."""
    require_choice("activation", name, DERIVATIVES)
    return DERIVATIVES[name]


#: name -> activation without input checks (see `_sigmoid`); for utils.forward.
UNCHECKED_ACTIVATIONS = {
    "sigmoid": _sigmoid,
    "relu": _relu,
    "tanh": np.tanh,
    "linear": np.copy,
    "softmax": _softmax,
}
