"""Activation functions g and their derivatives g'.

All act elementwise on an array `Z` of any shape and return an array of the
same shape, except `softmax`, which normalises over axis 0 (the class axis:
`Z` is `(K, m)`, one column per example).

The derivative of softmax is a Jacobian, not an elementwise g'; deriving it
is part of unit 4, so it is deliberately not here.
"""

import numpy as np

from utils._validate import as_float_array, require_choice


def sigmoid(Z):
    """The logistic function 1 / (1 + exp(-Z)), stable for large |Z|.

    Z: array of any shape. Returns an array of the same shape, in (0, 1)
    (exactly 0.0 or 1.0 only where float64 cannot tell the difference).
    """
    Z = as_float_array("Z", Z)
    out = np.empty_like(Z)
    positive = Z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-Z[positive]))
    exp_z = np.exp(Z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def relu(Z):
    """max(0, Z), elementwise. Z: any shape; returns the same shape."""
    Z = as_float_array("Z", Z)
    return np.maximum(Z, 0.0)


def tanh(Z):
    """Hyperbolic tangent, elementwise. Z: any shape; returns the same shape."""
    Z = as_float_array("Z", Z)
    return np.tanh(Z)


def identity(Z):
    """The identity (a linear output layer). Z: any shape; returns a copy."""
    Z = as_float_array("Z", Z)
    return Z.copy()


def softmax(Z):
    """Softmax over the class axis (axis 0).

    Z: logits of shape (K, m), one column per example.
    Returns probabilities of shape (K, m); every column sums to 1. Subtracting
    each column's maximum first keeps exp() finite for logits around +-1000.
    """
    Z = as_float_array("Z", Z, ndim=2)
    shifted = Z - Z.max(axis=0, keepdims=True)
    exp_z = np.exp(shifted)
    return exp_z / exp_z.sum(axis=0, keepdims=True)


def sigmoid_derivative(Z):
    """g'(Z) for the sigmoid: sigmoid(Z) * (1 - sigmoid(Z)). Same shape as Z."""
    s = sigmoid(Z)
    return s * (1.0 - s)


def relu_derivative(Z):
    """g'(Z) for relu: 1 where Z > 0, else 0 (relu'(0) is taken as 0). Same shape as Z."""
    Z = as_float_array("Z", Z)
    return (Z > 0).astype(np.float64)


def tanh_derivative(Z):
    """g'(Z) for tanh: 1 - tanh(Z)**2. Same shape as Z."""
    t = tanh(Z)
    return 1.0 - t * t


def identity_derivative(Z):
    """g'(Z) for the identity: ones of the shape of Z."""
    Z = as_float_array("Z", Z)
    return np.ones_like(Z)


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
