"""utils.forward, utils.losses and utils.initialization: values, shapes, caches, log(0), m = 1."""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from utils.activations import relu, sigmoid, softmax, tanh
from utils.forward import count_layers, linear_activation_forward, linear_forward, model_forward
from utils.gradcheck import numerical_gradient, relative_error
from utils.initialization import initialize_parameters
from utils.losses import (
    PROBABILITY_FLOOR,
    binary_cross_entropy_loss,
    categorical_cross_entropy_loss,
    compute_cost,
    compute_loss,
    cost_from_losses,
    one_hot,
    squared_error_loss,
)

M = 7  # examples; never 1, 2 or 4 unless the test is about them


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            yield


# ---------------------------------------------------------------- forward


def test_linear_forward_computes_W_A_plus_b_and_caches_the_inputs(rng):
    A_prev, W, b = rng.standard_normal((5, M)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
    Z, cache = linear_forward(A_prev, W, b)
    np.testing.assert_allclose(Z, W @ A_prev + b, rtol=1e-14)
    assert Z.shape == (3, M)
    assert cache[0] is A_prev and cache[1] is W and cache[2] is b  # float64 arrays are cached as given


def test_linear_forward_leaves_b_unchanged(rng):
    A_prev, W, b = rng.standard_normal((5, M)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
    b_before = b.copy()
    linear_forward(A_prev, W, b)
    np.testing.assert_array_equal(b, b_before)


@pytest.mark.parametrize("name, g", [("relu", relu), ("tanh", tanh), ("sigmoid", sigmoid), ("softmax", softmax)])
def test_linear_activation_forward_applies_g_to_Z(rng, name, g):
    A_prev, W, b = rng.standard_normal((5, M)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
    A, (linear_cache, Z) = linear_activation_forward(A_prev, W, b, name)
    np.testing.assert_allclose(Z, W @ A_prev + b, rtol=1e-14)
    np.testing.assert_array_equal(A, g(Z))
    assert linear_cache[0] is A_prev
    assert A is not Z


def test_linear_output_layer_returns_a_copy_of_Z(rng):
    A, (_, Z) = linear_activation_forward(rng.standard_normal((5, M)), rng.standard_normal((3, 5)), np.zeros((3, 1)), "linear")
    np.testing.assert_array_equal(A, Z)
    assert A is not Z


@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=5),
    st.integers(1, 6),
    st.sampled_from(["relu", "tanh", "sigmoid", "linear"]),
    st.sampled_from(["sigmoid", "softmax", "linear"]),
    st.integers(0, 2**32 - 1),
)
def test_model_forward_chains_the_layers(layer_dims, m, hidden, output, seed):
    params = initialize_parameters(layer_dims, seed=seed, scale=0.7)
    rng = np.random.default_rng(seed)
    for layer in range(1, len(layer_dims)):
        params[f"b{layer}"] = rng.standard_normal(params[f"b{layer}"].shape) * 0.1
    X = rng.standard_normal((layer_dims[0], m))
    AL, caches = model_forward(X, params, hidden, output)
    assert len(caches) == len(layer_dims) - 1
    A = X
    for layer, ((A_prev, W, b), Z) in enumerate(caches, start=1):
        np.testing.assert_array_equal(A_prev, A)
        assert W is params[f"W{layer}"] and b is params[f"b{layer}"]
        A, (_, Z_expected) = linear_activation_forward(A, W, b, output if layer == len(caches) else hidden)
        np.testing.assert_allclose(Z, Z_expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(AL, A, rtol=1e-12, atol=1e-15)
    assert AL.shape == (layer_dims[-1], m)


def test_model_forward_with_a_single_example(rng):
    params = initialize_parameters([4, 3, 2], seed=1)
    AL, caches = model_forward(rng.standard_normal((4, 1)), params, "relu", "softmax")
    assert AL.shape == (2, 1) and caches[0][1].shape == (3, 1)
    assert AL.sum() == pytest.approx(1.0)


def test_count_layers():
    assert count_layers(initialize_parameters([3, 4, 5, 1])) == 3


# ---------------------------------------------------------------- losses


def test_binary_cross_entropy_matches_its_definition(rng):
    A = rng.uniform(0.05, 0.95, (1, M))
    Y = (rng.random((1, M)) > 0.5).astype(float)
    L = binary_cross_entropy_loss(A, Y)
    assert L.shape == (1, M)
    np.testing.assert_allclose(L, -(Y * np.log(A) + (1 - Y) * np.log(1 - A)), rtol=1e-14)


def test_categorical_cross_entropy_one_hot_and_indices_agree(rng):
    A = softmax(rng.standard_normal((4, M)))
    labels = rng.integers(0, 4, M)
    from_one_hot = categorical_cross_entropy_loss(A, one_hot(labels, 4))
    np.testing.assert_allclose(from_one_hot, -np.log(A[labels, np.arange(M)])[np.newaxis, :], rtol=1e-14)
    np.testing.assert_allclose(categorical_cross_entropy_loss(A, labels), from_one_hot, rtol=1e-14)
    np.testing.assert_allclose(categorical_cross_entropy_loss(A, labels[np.newaxis, :]), from_one_hot, rtol=1e-14)
    np.testing.assert_allclose(categorical_cross_entropy_loss(A, labels.astype(float)), from_one_hot, rtol=1e-14)


def test_squared_error_with_and_without_the_half(rng):
    A, Y = rng.standard_normal((3, M)), rng.standard_normal((3, M))
    full = squared_error_loss(A, Y)
    np.testing.assert_allclose(full, ((A - Y) ** 2).sum(axis=0, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(squared_error_loss(A, Y, half=True), full / 2, rtol=1e-14)


def test_cost_is_the_mean_of_the_losses_as_a_float(rng):
    L = rng.random((1, M))
    J = cost_from_losses(L)
    assert type(J) is float
    assert J == pytest.approx(L.sum() / M, rel=1e-15)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_compute_cost_dispatches_on_the_output_layer(rng, output):
    n = 1 if output == "sigmoid" else 3
    Z = rng.standard_normal((n, M))
    AL = {"sigmoid": sigmoid, "softmax": softmax, "linear": lambda z: z}[output](Z)
    Y = one_hot(rng.integers(0, n, M), n) if output == "softmax" else (rng.random((n, M)) > 0.5).astype(float)
    loss = {"sigmoid": binary_cross_entropy_loss, "softmax": categorical_cross_entropy_loss, "linear": squared_error_loss}[output]
    np.testing.assert_array_equal(compute_loss(AL, Y, output), loss(AL, Y))
    assert compute_cost(AL, Y, output) == cost_from_losses(loss(AL, Y))


@given(hnp.arrays(np.float64, st.tuples(st.just(1), st.integers(1, 6)), elements=st.floats(-3, 3)), st.integers(0, 1000))
def test_sigmoid_cost_gradient_is_A_minus_Y_over_m(Z, seed):
    """The numerical gradient of J(sigmoid(Z)) is (A - Y) / m: the losses and the cost fit together."""
    Y = (np.random.default_rng(seed).random(Z.shape) > 0.5).astype(float)
    numeric = numerical_gradient(lambda z: compute_cost(sigmoid(z), Y, "sigmoid"), Z.copy())
    assert relative_error((sigmoid(Z) - Y) / Z.shape[1], numeric) <= 1e-7


def test_log_of_zero_inside_the_costs_stays_finite(no_warnings):
    """Probabilities of exactly 0 and 1, on the wrong side: large, finite losses, no warnings."""
    worst = -np.log(PROBABILITY_FLOOR)
    L = binary_cross_entropy_loss(np.array([[0.0, 1.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0, 1.0]]))
    assert np.all(np.isfinite(L))
    np.testing.assert_allclose(L[0, :2], [worst, worst], rtol=1e-2)
    assert L[0, 2] < 1e-12 and L[0, 3] < 1e-12
    A = np.array([[1.0, 0.0], [0.0, 1.0]])
    L = categorical_cross_entropy_loss(A, np.array([1, 1]))
    np.testing.assert_allclose(L, [[worst, 0.0]], atol=1e-12)
    assert np.isfinite(compute_cost(A, np.array([[0, 0]]), "softmax"))
    assert np.isfinite(compute_cost(sigmoid(np.array([[1000.0, -1000.0]])), np.array([[0.0, 1.0]]), "sigmoid"))
    assert np.isfinite(compute_cost(softmax(np.array([[1000.0], [-1000.0]])), np.array([1]), "softmax"))


def test_losses_with_a_single_example():
    assert binary_cross_entropy_loss(np.array([[0.5]]), np.array([[1.0]])).shape == (1, 1)
    assert compute_cost(np.array([[0.5]]), np.array([[1.0]]), "sigmoid") == pytest.approx(np.log(2))
    assert compute_cost(np.array([[0.25], [0.75]]), np.array([1]), "softmax") == pytest.approx(-np.log(0.75))
    assert compute_cost(np.array([[2.0]]), np.array([[0.5]]), "linear") == pytest.approx(2.25)


def test_one_hot():
    encoded = one_hot(np.array([2, 0, 1, 2]), 3)
    np.testing.assert_array_equal(encoded, [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(one_hot(np.array([[1, 0]]), 2), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])


# ---------------------------------------------------------------- initialisation


def test_initialize_parameters_shapes_seed_and_scale():
    params = initialize_parameters([400, 300, 2], seed=3)
    assert {key: value.shape for key, value in params.items()} == {
        "W1": (300, 400), "b1": (300, 1), "W2": (2, 300), "b2": (2, 1)
    }
    assert params["W1"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert not params["b1"].any() and not params["b2"].any()
    again = initialize_parameters([400, 300, 2], seed=3)
    np.testing.assert_array_equal(params["W1"], again["W1"])
    assert not np.array_equal(params["W1"], initialize_parameters([400, 300, 2], seed=4)["W1"])
    assert initialize_parameters([400, 300, 2], scale="xavier")["W1"].std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    assert initialize_parameters([400, 300, 2], scale=0.01)["W1"].std() == pytest.approx(0.01, rel=0.02)
