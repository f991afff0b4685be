"""utils.activations: values, the derivatives g' against numerical gradients, extreme inputs.

The derivative checks compare g'(Z) * upstream with the numerical gradient of
sum(upstream * g(Z)) (utils.gradcheck.numerical_layer_gradient) on random
shapes, and require a relative error of at most 1e-7 in float64.

Why relu's inputs stay away from 0: relu has a kink there. A centred
difference with step h straddles the kink whenever |z| < h and then returns
(z + h) / 2h, anything between 0 and 1, while relu'(z) is exactly 0 or 1.
That is a property of finite differences, not a bug in relu_derivative, so
the generated Z keep |z| >= 1e-3, far beyond the step (1e-6); the value at
exactly 0 is pinned separately (relu'(0) = 0).
Why |z| <= 3: a centred difference in float64 carries a rounding error of
about eps * |g(z)| / h, so relative to g'(z) it is eps / h * |g / g'|. Where
sigmoid and tanh flatten out that ratio grows (tanh at z = 5: |g / g'| is
about 5900, an error above 1e-6), and the check would measure rounding, not
the derivative. Within |z| <= 3 the bound stays below 3e-8. The saturated
region is covered separately: finite, warning-free values at z = +-1000.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from utils.activations import (
    ACTIVATIONS,
    DERIVATIVES,
    activation,
    derivative,
    identity,
    identity_derivative,
    relu,
    relu_backward,
    relu_derivative,
    sigmoid,
    sigmoid_backward,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_backward,
    tanh_derivative,
)
from utils.gradcheck import numerical_layer_gradient, relative_error

TOLERANCE = 1e-7
#: |z| >= RELU_MARGIN for relu (see the module docstring).
RELU_MARGIN = 1e-3

shapes = st.tuples(st.integers(1, 4), st.integers(1, 6))
moderate = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
away_from_zero = st.one_of(st.floats(-3.0, -RELU_MARGIN), st.floats(RELU_MARGIN, 3.0))


def inputs_for(name):
    elements = away_from_zero if name == "relu" else moderate
    return shapes.flatmap(
        lambda shape: st.tuples(
            hnp.arrays(np.float64, shape, elements=elements),
            hnp.arrays(np.float64, shape, elements=st.floats(-2.0, 2.0)),
        )
    )


@pytest.fixture
def no_warnings():
    """Turn every warning (and NumPy overflow, divide-by-zero, invalid) into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


def check_derivative(name, Z, upstream):
    g, g_prime = activation(name), derivative(name)
    analytic = upstream * g_prime(Z)
    numeric = numerical_layer_gradient(g, Z.copy(), upstream)
    assert analytic.shape == Z.shape
    assert relative_error(analytic, numeric) <= TOLERANCE, (name, Z, analytic, numeric)


@given(inputs_for("sigmoid"))
def test_sigmoid_derivative_matches_numerical_gradient(data):
    check_derivative("sigmoid", *data)


@given(inputs_for("relu"))
def test_relu_derivative_matches_numerical_gradient(data):
    check_derivative("relu", *data)


@given(inputs_for("tanh"))
def test_tanh_derivative_matches_numerical_gradient(data):
    check_derivative("tanh", *data)


@given(inputs_for("linear"))
def test_identity_derivative_matches_numerical_gradient(data):
    check_derivative("linear", *data)


def test_every_derivative_in_utils_is_checked_above():
    """A derivative added to utils without a property test above fails here."""
    assert set(DERIVATIVES) == {"sigmoid", "relu", "tanh", "linear"}
    assert set(ACTIVATIONS) == set(DERIVATIVES) | {"softmax"}


@given(hnp.arrays(np.float64, shapes, elements=st.floats(-30.0, 30.0)))
def test_values_match_their_definitions(Z):
    np.testing.assert_allclose(sigmoid(Z), 1.0 / (1.0 + np.exp(-Z)), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(relu(Z), np.where(Z > 0, Z, 0.0))
    np.testing.assert_allclose(tanh(Z), np.tanh(Z), rtol=0, atol=0)
    np.testing.assert_array_equal(identity(Z), Z)
    np.testing.assert_allclose(sigmoid_derivative(Z), sigmoid(Z) * sigmoid(-Z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(tanh_derivative(Z), 1.0 / np.cosh(Z) ** 2, rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(identity_derivative(Z), np.ones_like(Z))


@given(hnp.arrays(np.float64, shapes, elements=st.floats(-50.0, 50.0)), st.floats(-100.0, 100.0))
def test_softmax_columns_are_distributions_and_shift_invariant(Z, shift):
    P = softmax(Z)
    assert P.shape == Z.shape
    assert np.all(P >= 0) and np.all(P <= 1)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(softmax(Z + shift), P, rtol=1e-9, atol=1e-300)
    expected = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(P, expected, rtol=1e-10, atol=1e-300)


def test_softmax_normalises_over_the_class_axis_only():
    Z = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])  # (K, m) = (2, 3)
    P = softmax(Z)
    np.testing.assert_allclose(P.sum(axis=0), np.ones(3))
    assert not np.allclose(P.sum(axis=1), 1.0)


def test_extreme_logits_give_finite_values_without_warnings(no_warnings):
    Z = np.array([[1000.0, -1000.0, 0.0, 800.0], [-1000.0, 1000.0, 0.0, 800.0]])
    np.testing.assert_array_equal(sigmoid(Z)[0, :2], [1.0, 0.0])
    np.testing.assert_array_equal(sigmoid_derivative(Z)[0, :2], [0.0, 0.0])
    np.testing.assert_array_equal(tanh(Z)[0, :2], [1.0, -1.0])
    np.testing.assert_array_equal(tanh_derivative(Z)[0, :2], [0.0, 0.0])
    np.testing.assert_array_equal(relu(Z)[0, :2], [1000.0, 0.0])
    P = softmax(Z)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P, [[1.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.5, 0.5]], atol=0)
    np.testing.assert_allclose(softmax(np.array([[1000.0], [999.0]]))[:, 0], [1 / (1 + np.exp(-1)), 1 / (1 + np.e)])


def test_sigmoid_keeps_relative_precision_far_out_on_the_left(no_warnings):
    Z = np.array([[-30.0, -300.0, -700.0]])
    np.testing.assert_allclose(sigmoid(Z), np.exp(Z) / (1.0 + np.exp(Z)), rtol=1e-14)


def test_relu_at_zero_has_derivative_zero():
    Z = np.array([[0.0, -0.0, 1e-300, -1e-300]])
    np.testing.assert_array_equal(relu(Z), [[0.0, 0.0, 1e-300, 0.0]])
    np.testing.assert_array_equal(relu_derivative(Z), [[0.0, 0.0, 1.0, 0.0]])


def test_activations_do_not_modify_their_input():
    Z = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]])
    before = Z.copy()
    for name in ACTIVATIONS:
        activation(name)(Z)
    for name in DERIVATIVES:
        derivative(name)(Z)
    np.testing.assert_array_equal(Z, before)
    assert identity(Z) is not Z


def test_integer_and_float32_inputs_are_computed_in_float64():
    assert sigmoid(np.array([[0, 1]])).dtype == np.float64
    assert relu(np.array([[-1.5, 2.5]], dtype=np.float32)).dtype == np.float64
    assert tanh(0.5) == pytest.approx(np.tanh(0.5))


@pytest.mark.parametrize("lookup", [activation, derivative])
def test_unknown_names_are_rejected(lookup):
    with pytest.raises(ValueError, match="activation must be one of"):
        lookup("leaky_relu")
    with pytest.raises(ValueError, match="activation must be one of"):
        lookup(["relu"])


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(ValueError, match="softmax"):
        derivative("softmax")


# ---- the backward steps dZ = dA * g'(Z) -------------------------------------------------------

BACKWARD_STEPS = {"relu": relu_backward, "sigmoid": sigmoid_backward, "tanh": tanh_backward}


def check_backward_step(name, Z, dA):
    """relu_backward & co. against the numerical gradient of sum(dA * g(Z)) with respect to Z."""
    dZ = BACKWARD_STEPS[name](dA, Z)
    numeric = numerical_layer_gradient(activation(name), Z.copy(), dA)
    assert type(dZ) is np.ndarray and dZ.shape == Z.shape and dZ.dtype == np.float64
    assert relative_error(dZ, numeric) <= TOLERANCE, (name, Z, dA, dZ, numeric)


@pytest.mark.parametrize("name", sorted(BACKWARD_STEPS))
@given(data=st.data())
def test_backward_steps_match_numerical_gradients(name, data):
    check_backward_step(name, *data.draw(inputs_for(name)))


@pytest.mark.parametrize("name", sorted(BACKWARD_STEPS))
def test_backward_steps_are_dA_times_the_derivative(name):
    rng = np.random.default_rng(7)
    Z, dA = rng.standard_normal((3, 7)), rng.standard_normal((3, 7))
    np.testing.assert_array_equal(BACKWARD_STEPS[name](dA, Z), dA * derivative(name)(Z))
    np.testing.assert_array_equal(relu_backward(dA, np.zeros((3, 7))), np.zeros((3, 7)))  # relu'(0) = 0


@pytest.mark.parametrize("name", sorted(BACKWARD_STEPS))
def test_backward_steps_return_a_new_array_and_leave_their_inputs_alone(name):
    Z = np.array([[-1.0, 0.0, 2.0], [3.0, -4.0, 0.5]])
    dA = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    before_Z, before_dA = Z.copy(), dA.copy()
    dZ = BACKWARD_STEPS[name](dA, Z)
    dZ[...] = 99.0
    np.testing.assert_array_equal(Z, before_Z)
    np.testing.assert_array_equal(dA, before_dA)


@pytest.mark.parametrize("name", sorted(BACKWARD_STEPS))
def test_backward_steps_refuse_mismatched_shapes_and_non_arrays(name):
    step = BACKWARD_STEPS[name]
    with pytest.raises(ValueError, match=rf"{name}_backward: dA has shape \(3, 7\) but Z has shape \(7, 3\)"):
        step(np.ones((3, 7)), np.ones((7, 3)))
    with pytest.raises(ValueError, match="dA must be a numpy array"):
        step([[1.0, 2.0]], np.ones((1, 2)))
    with pytest.raises(ValueError, match="Z contains 1 NaN"):
        step(np.ones((1, 2)), np.array([[np.nan, 0.0]]))
    assert step(np.ones((2, 3), dtype=np.float32), np.ones((2, 3), dtype=int)).dtype == np.float64


@pytest.mark.parametrize("name", ["sigmoid", "relu", "tanh", "linear"])
@pytest.mark.parametrize("scalar", [0.5, -3.0, np.float64(2.0), np.array(-0.25)])
def test_a_number_in_gives_a_number_out_for_every_activation_and_derivative(name, scalar):
    """g(z) and g'(z) of a Python float, a numpy scalar or a 0-d array: one float, equal to the
    value for a one-element array (sigmoid and its derivative used to raise on these)."""
    for function in (activation(name), derivative(name)):
        value = function(scalar)
        assert np.ndim(value) == 0 and isinstance(value.item(), float), (function.__name__, type(value))
        assert value == function(np.array([[float(scalar)]]))[0, 0]
