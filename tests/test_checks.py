"""utils.checks: every diagnosis names its mistake, and correct alternatives pass.

Each diagnosis test builds a realistic buggy implementation (the code a
student might write), runs it on seeded inputs, compares it with a
solution-free oracle (numerical gradients from utils.gradcheck, or an
identity), and asserts that the message names the mistake. The correct
implementations written here live in tests/, which students never receive.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import utils.gradcheck
from utils import checks
from utils.activations import relu, relu_derivative, sigmoid, softmax
from utils.checks import (
    NUMERICAL_ATOL,
    NUMERICAL_RTOL,
    activation_suspects,
    check_array,
    check_does_not_call,
    check_float,
    check_gradients,
    check_type,
    expected_under_convention,
    require_separating_sizes,
    run_student,
    separating_sizes,
    suspects_from,
    suspects_through,
)
from utils.gradcheck import numerical_gradient, numerical_layer_gradient
from utils.losses import binary_cross_entropy_loss

M = 7  # examples; never 1, 2 or 4
N, N_PREV = 3, 5  # W is (N, N_PREV): not square


# ----------------------------------------------------------------------------
# Inputs and solution-free oracles
# ----------------------------------------------------------------------------


def layer_inputs(seed=0, n=N, n_prev=N_PREV, m=M):
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal((n_prev, m))
    W = rng.standard_normal((n, n_prev))
    b = rng.standard_normal((n, 1))
    dZ = rng.standard_normal((n, m))
    return A_prev, W, b, dZ


def linear_oracle(dZ, cache, m=None):
    """Gradients of J = sum(dZ * Z) / m for Z = W A_prev + b, from the forward pass alone."""
    A_prev, W, b = (np.array(x, dtype=np.float64) for x in cache)
    m = A_prev.shape[1] if m is None else m
    upstream = dZ / m
    return {
        "dA_prev": numerical_layer_gradient(lambda a: W @ a + b, A_prev.copy(), dZ),
        "dW": numerical_layer_gradient(lambda w: w @ A_prev + b, W.copy(), upstream),
        "db": numerical_layer_gradient(lambda c: W @ A_prev + c, b.copy(), upstream),
    }


def check_linear(result, expected, **kwargs):
    dA_prev, dW, db = check_type("linear_backward's result", result, tuple, length=3)
    check_gradients({"dA_prev": dA_prev, "dW": dW, "db": db}, expected, m=M, **kwargs)


def message_of(callable_, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        callable_(*args, **kwargs)
    return str(info.value)


def assert_readable(message, name):
    lines = message.splitlines()
    assert lines[0].startswith(name), message
    assert 2 <= len(lines) <= 6, message


# ----------------------------------------------------------------------------
# Buggy (and correct) student implementations
# ----------------------------------------------------------------------------


def linear_backward_correct(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_backward_einsum(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return np.einsum("ki,kj->ij", W, dZ), np.einsum("ij,kj->ik", dZ, A_prev) / m, np.einsum("ij->i", dZ)[:, None] / m


def linear_backward_dot(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.mean(dZ, axis=1, keepdims=True)


def linear_backward_loops(dZ, cache):
    A_prev, W, _b = cache
    n, m = dZ.shape
    n_prev = A_prev.shape[0]
    dA_prev = np.zeros((n_prev, m))
    dW = np.zeros((n, n_prev))
    db = np.zeros((n, 1))
    for i in range(m):
        for j in range(n):
            db[j, 0] += dZ[j, i] / m
            for k in range(n_prev):
                dW[j, k] += dZ[j, i] * A_prev[k, i] / m
                dA_prev[k, i] += W[j, k] * dZ[j, i]
    return dA_prev, dW, db


def linear_backward_forgets_one_over_m(dZ, cache):
    A_prev, W, _b = cache
    return W.T @ dZ, dZ @ A_prev.T, np.sum(dZ, axis=1, keepdims=True)


def linear_backward_averages_twice(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    dZ = dZ / m  # "average first" ...
    return W.T @ dZ * m, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m  # ... and again


def linear_backward_transposed(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, A_prev @ dZ.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_backward_no_keepdims(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1) / m


def linear_backward_db_axis0(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=0, keepdims=True) / m


def linear_backward_db_all_axes(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.full_like(b, np.sum(dZ) / m)


def linear_backward_star(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return W.T * dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_backward_matmul_order(dZ, cache):
    A_prev, W, _b = cache
    m = A_prev.shape[1]
    return dZ @ W, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_backward_loop_stops_early(dZ, cache):
    A_prev, W, _b = cache
    n, m = dZ.shape
    dA_prev = np.zeros((A_prev.shape[0], m))
    for i in range(m - 1):  # off by one
        dA_prev[:, i] = W.T @ dZ[:, i]
    return dA_prev, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def linear_backward_not_implemented(dZ, cache):
    raise NotImplementedError()


def bce_dAL_sign_flipped(AL, Y):
    return Y / AL - (1 - Y) / (1 - AL)


def sigmoid_backward_uses_sigmoid(dA, Z):
    return dA * sigmoid(Z)


def sigmoid_backward_drops_derivative(dA, Z):
    return dA


def relu_backward_from_A(dA, Z):
    A = relu(Z)
    dZ = dA.copy()
    dZ[A <= 0] = 0.0
    return dZ


def cost_per_example(AL, Y):
    return -(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[1] * Y.shape[1]


def cost_as_1x1(AL, Y):
    m = Y.shape[1]
    return -(Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T) / m


def cost_summed(AL, Y):
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))


def cost_correct(AL, Y):
    return float(-np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)))


def softmax_rows(Z):
    exp_z = np.exp(Z - Z.max(axis=1, keepdims=True))
    return exp_z / exp_z.sum(axis=1, keepdims=True)


def softmax_unstable(Z):
    exp_z = np.exp(Z)
    return exp_z / exp_z.sum(axis=0, keepdims=True)


def bce_inputs(seed=1, m=M):
    rng = np.random.default_rng(seed)
    AL = sigmoid(rng.standard_normal((1, m)))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return AL, Y


def bce_cost_oracle(AL, Y):
    return float(np.mean(binary_cross_entropy_loss(AL, Y)))


# ----------------------------------------------------------------------------
# Correct alternatives are not flagged
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "implementation", [linear_backward_correct, linear_backward_einsum, linear_backward_dot, linear_backward_loops]
)
def test_equivalent_forms_pass_against_the_numerical_oracle(implementation, capsys):
    A_prev, W, b, dZ = layer_inputs()
    expected = linear_oracle(dZ, (A_prev, W, b))
    check_linear(run_student(implementation, dZ, (A_prev, W, b)), expected)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(("close" in line or "exact" in line) for line in lines), lines


def test_relu_mask_from_A_instead_of_Z_is_accepted():
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((N, M))
    Z[0, 0] = 0.0  # relu'(0) = 0 either way
    dA = rng.standard_normal((N, M))
    expected = numerical_layer_gradient(relu, Z.copy(), dA)
    expected[0, 0] = 0.0  # the centred difference at the kink is 1/2; relu'(0) is taken as 0
    check_array("dZ", run_student(relu_backward_from_A, dA, Z), expected, suspects=activation_suspects(dA, Z, "relu"))


def _two_layer_problem(seed=3):
    sizes = separating_sizes(seed, n_layers=2, n_out=1)
    n_x, n_1, n_2 = sizes.layer_dims
    m = sizes.m
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((n_2, m)) < 0.5).astype(np.float64)
    params = {
        "W1": rng.standard_normal((n_1, n_x)),
        "b1": rng.standard_normal((n_1, 1)),
        "W2": rng.standard_normal((n_2, n_1)),
        "b2": rng.standard_normal((n_2, 1)),
    }
    return X, Y, params, m


def _two_layer_forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    return Z1, A1, Z2, sigmoid(Z2)


def _two_layer_oracle(X, Y, params):
    """Numerical dW, db of the cost; dA1, dA0 of the summed loss (the loss convention)."""

    def cost(_params):
        return float(np.mean(binary_cross_entropy_loss(_two_layer_forward(X, params)[3], Y)))

    grads = {"d" + key: value for key, value in utils.gradcheck.numerical_gradients(cost, params).items()}
    Z1, A1, Z2, AL = _two_layer_forward(X, params)
    dZ2 = numerical_layer_gradient(lambda z: binary_cross_entropy_loss(sigmoid(z), Y), Z2.copy(), np.ones_like(Y))
    grads["dA1"] = numerical_layer_gradient(lambda a: params["W2"] @ a + params["b2"], A1.copy(), dZ2)
    return grads


def _two_layer_backward(X, Y, params, one_over_m_at_top):
    Z1, A1, Z2, AL = _two_layer_forward(X, params)
    m = X.shape[1]
    scale = 1.0 / m if one_over_m_at_top else 1.0
    dZ2 = (AL - Y) * scale
    dA1 = params["W2"].T @ dZ2
    dZ1 = dA1 * (1 - A1**2)
    per_param = 1.0 if one_over_m_at_top else 1.0 / m
    return {
        "dA1": dA1,
        "dW2": dZ2 @ A1.T * per_param,
        "db2": dZ2.sum(axis=1, keepdims=True) * per_param,
        "dW1": dZ1 @ X.T * per_param,
        "db1": dZ1.sum(axis=1, keepdims=True) * per_param,
    }


@pytest.mark.parametrize("declared", ["cost", "either"])
def test_one_over_m_at_the_top_is_accepted_under_the_declared_convention(declared, capsys):
    X, Y, params, m = _two_layer_problem()
    expected = _two_layer_oracle(X, Y, params)
    grads = _two_layer_backward(X, Y, params, one_over_m_at_top=True)
    check_gradients(grads, expected, m=m, convention=declared, rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    assert "1/m applied once at the top" in capsys.readouterr().out


def test_one_over_m_in_dW_and_db_is_accepted_under_either(capsys):
    X, Y, params, m = _two_layer_problem()
    grads = _two_layer_backward(X, Y, params, one_over_m_at_top=False)
    check_gradients(grads, _two_layer_oracle(X, Y, params), m=m, convention="either", rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    assert "1/m in the parameters' gradients only" in capsys.readouterr().out


def test_convention_mismatch_names_the_convention():
    X, Y, params, m = _two_layer_problem()
    grads = _two_layer_backward(X, Y, params, one_over_m_at_top=True)
    message = message_of(check_gradients, grads, _two_layer_oracle(X, Y, params), m=m, convention="loss")
    assert_readable(message, "dA1")
    assert f"m = {m} times too small" in message and "1/m in dW and db only" in message
    grads = _two_layer_backward(X, Y, params, one_over_m_at_top=False)
    message = message_of(check_gradients, grads, _two_layer_oracle(X, Y, params), m=m, convention="cost")
    assert f"m = {m} times too large" in message and "at the top" in message


def test_parameter_gradients_must_match_under_any_convention():
    X, Y, params, m = _two_layer_problem()
    grads = _two_layer_backward(X, Y, params, one_over_m_at_top=True)
    grads["dW1"] = grads["dW1"] / m  # 1/m at the top and again in dW1
    message = message_of(check_gradients, grads, _two_layer_oracle(X, Y, params), m=m, convention="either",
                         rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    assert message.startswith("dW1 is off by a factor of 1/m") and "averaged twice" in message


def test_expected_under_convention_rescales_only_intermediate_gradients():
    expected = {"dA1": np.ones((3, 7)), "dW1": np.ones((3, 5)), "db1": np.ones((3, 1))}
    rescaled = expected_under_convention(expected, "cost", 7)
    assert np.allclose(rescaled["dA1"], 1 / 7) and rescaled["dW1"] is expected["dW1"]
    back = expected_under_convention(rescaled, "loss", 7, expected_convention="cost")
    assert np.allclose(back["dA1"], 1.0)
    with pytest.raises(ValueError):
        expected_under_convention(expected, "average", 7)


def test_check_float_accepts_python_int_and_numpy_floats():
    assert check_float("J", 3, 3.0) == 3.0
    assert check_float("J", np.float64(0.25), 0.25) == 0.25
    assert check_float("J", np.float32(0.25), 0.25) == 0.25
    AL, Y = bce_inputs()
    check_float("J", run_student(cost_correct, AL, Y), bce_cost_oracle(AL, Y), m=M)


# ----------------------------------------------------------------------------
# Diagnoses by name
# ----------------------------------------------------------------------------


def test_forgot_one_over_m():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_forgets_one_over_m, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)),
                         where="the lines computing dW and db in linear_backward")
    assert_readable(message, "dW")
    assert "off by a factor of m = 7" in message and "forgot to average over the m examples" in message
    assert "Look at: the lines computing dW and db in linear_backward." in message
    assert "Also wrong: db" in message


def test_averaged_twice():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_averages_twice, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert message.startswith("dW is off by a factor of 1/m = 1/7") and "averaged twice" in message


def test_sign_flipped():
    AL, Y = bce_inputs()
    expected = numerical_layer_gradient(lambda a: binary_cross_entropy_loss(a, Y), AL.copy(), np.ones_like(Y))
    message = message_of(check_array, "dAL", run_student(bce_dAL_sign_flipped, AL, Y), expected,
                         m=M, rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    assert_readable(message, "dAL")
    assert "opposite sign" in message and "sign flipped" in message


def test_transposed_shape():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_transposed, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert_readable(message, "dW")
    assert "is transposed: shape (5, 3), expected (3, 5)" in message


def test_transposed_square_values_and_square_warning():
    A_prev, W, b, dZ = layer_inputs(n=4, n_prev=4)
    result = run_student(linear_backward_transposed, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert "dW is the transpose of the expected value" in message and "square" in message
    # a square result that is wrong some other way carries a note that transposes hide in square shapes
    rng = np.random.default_rng(5)
    message = message_of(check_array, "dW", rng.standard_normal((4, 4)), rng.standard_normal((4, 4)))
    assert "is square, so a transposed result has the right shape" in message


def test_db_without_keepdims():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_no_keepdims, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert_readable(message, "db")
    assert "shape (3,), a 1-D array; expected the column (3, 1)" in message and "keepdims=True" in message


def test_db_summed_over_the_wrong_axis():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_db_axis0, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert message.startswith("db has shape (1, 7), one entry per example") and "wrong axis" in message


def test_db_summed_over_all_axes():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_db_all_axes, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert message.startswith("db has the same value in every entry: the sum over all entries")


def test_db_without_the_sum_over_examples():
    A_prev, W, b, dZ = layer_inputs()
    message = message_of(check_array, "db", dZ / M, linear_oracle(dZ, (A_prev, W, b))["db"], m=M)
    assert "one column per example" in message and "sum over the m examples is missing" in message


def test_cost_returned_as_per_example_loss():
    AL, Y = bce_inputs()
    message = message_of(check_float, "J", run_student(cost_per_example, AL, Y), bce_cost_oracle(AL, Y), m=M)
    assert_readable(message, "J")
    assert "shape (1, 7): the per-example losses L, not the cost J" in message


def test_cost_returned_as_1x1_array():
    AL, Y = bce_inputs()
    message = message_of(check_float, "J", run_student(cost_as_1x1, AL, Y), bce_cost_oracle(AL, Y), m=M)
    assert "is a (1, 1) array, not a float" in message and "float(" in message


def test_cost_summed_instead_of_averaged():
    AL, Y = bce_inputs()
    message = message_of(check_float, "J", run_student(cost_summed, AL, Y), bce_cost_oracle(AL, Y), m=M)
    assert message.startswith("J is off by a factor of m = 7") and "mean" in message


def test_cost_suspects():
    message = message_of(check_float, "accuracy", 85.0, 0.85,
                         suspects={"a percentage; the accuracy is a fraction between 0 and 1": 85.0})
    assert message.startswith("accuracy matches what a typical mistake produces") and "percentage" in message


def test_cost_sign_and_nan():
    AL, Y = bce_inputs()
    J = bce_cost_oracle(AL, Y)
    assert "wrong sign" in message_of(check_float, "J", -J, J, m=M)
    assert "log(0)" in message_of(check_float, "J", float("nan"), J, m=M)


def test_sigmoid_used_instead_of_its_derivative():
    rng = np.random.default_rng(6)
    Z, dA = rng.standard_normal((N, M)), rng.standard_normal((N, M))
    expected = numerical_layer_gradient(sigmoid, Z.copy(), dA)
    message = message_of(check_array, "dZ", run_student(sigmoid_backward_uses_sigmoid, dA, Z), expected,
                         suspects=activation_suspects(dA, Z, "sigmoid"), rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    assert_readable(message, "dZ")
    assert "sigmoid(Z) was used where its derivative sigmoid'(Z) belongs" in message


def test_activation_derivative_dropped():
    rng = np.random.default_rng(7)
    Z, dA = rng.standard_normal((N, M)), rng.standard_normal((N, M))
    expected = numerical_layer_gradient(np.tanh, Z.copy(), dA)
    message = message_of(check_array, "dZ", run_student(sigmoid_backward_drops_derivative, dA, Z), expected,
                         suspects=activation_suspects(dA, Z, "tanh"), rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    assert "tanh'(Z) was dropped" in message


def test_relu_derivative_from_another_layers_Z():
    rng = np.random.default_rng(8)
    Z, other_Z, dA = (rng.standard_normal((N, M)) for _ in range(3))

    def relu_backward_wrong_cache(dA, Z):
        return dA * relu_derivative(other_Z)

    expected = numerical_layer_gradient(relu, Z.copy(), dA)
    message = message_of(check_array, "dZ1", run_student(relu_backward_wrong_cache, dA, Z), expected,
                         suspects=activation_suspects(dA, Z, "relu", other_Z=other_Z))
    assert "another layer's Z" in message
    # without suspects, the zero pattern still points at the mask
    message = message_of(check_array, "dZ1", relu_backward_wrong_cache(dA, Z), expected)
    assert "zeros in the wrong places" in message and "mask" in message


def test_dA_passed_where_dZ_expected_and_wrong_cache():
    # a network 6 -> 3 -> 6 -> 3: layers 1 and 3 have caches of the same shapes
    rng = np.random.default_rng(9)
    cache_1 = (rng.standard_normal((6, M)), rng.standard_normal((3, 6)), rng.standard_normal((3, 1)))
    cache_3 = (rng.standard_normal((6, M)), rng.standard_normal((3, 6)), rng.standard_normal((3, 1)))
    Z1 = cache_1[1] @ cache_1[0] + cache_1[2]
    dA1 = rng.standard_normal((3, M))
    dZ1 = numerical_layer_gradient(np.tanh, Z1.copy(), dA1)

    def skips_activation(dA, cache):
        return linear_backward_correct(dA, cache[0])

    def wrong_layer(dA, cache):
        return linear_backward_correct(dA * (1 - np.tanh(Z1) ** 2), cache_3)

    suspects = suspects_from(
        linear_oracle,
        {"dA was passed to the linear step where dZ = dA * g'(Z) belongs": (dA1, cache_1),
         "the cache of another layer was used": (dZ1, cache_3)},
    )
    expected = linear_oracle(dZ1, cache_1)
    for buggy, words in ((skips_activation, "dA was passed to the linear step"), (wrong_layer, "cache of another layer")):
        result = run_student(buggy, dA1, (cache_1, Z1))
        message = message_of(check_linear, result, expected, suspects=suspects)
        assert words in message, message


def test_dZ_passed_where_dA_expected():
    # model_backward computes dZ_L = AL - Y, then hands it to the layer step that multiplies by sigmoid'(Z) again
    rng = np.random.default_rng(15)
    cache = (rng.standard_normal((N_PREV, M)), rng.standard_normal((1, N_PREV)), rng.standard_normal((1, 1)))
    Z = cache[1] @ cache[0] + cache[2]
    Y = (rng.random((1, M)) < 0.5).astype(np.float64)
    dZ = numerical_layer_gradient(lambda z: binary_cross_entropy_loss(sigmoid(z), Y), Z.copy(), np.ones_like(Y))

    def layer_backward_given_dZ_as_dA(dA, cache, Z):
        return linear_backward_correct(dA * sigmoid(Z) * (1 - sigmoid(Z)), cache)

    def linear_oracle_of(upstream):
        return linear_oracle(upstream, cache)

    suspects = suspects_through(
        linear_oracle_of,
        {"dZ was passed where dA belongs, so sigmoid'(Z) was applied twice":
         numerical_layer_gradient(sigmoid, Z.copy(), dZ)},
    )
    result = run_student(layer_backward_given_dZ_as_dA, dZ, cache, Z)
    message = message_of(check_linear, result, linear_oracle_of(dZ), suspects=suspects)
    assert "applied twice" in message


def test_suspects_per_tensor_form():
    A_prev, W, b, dZ = layer_inputs()
    expected = linear_oracle(dZ, (A_prev, W, b))
    result = dict(zip(("dA_prev", "dW", "db"), linear_backward_forgets_one_over_m(dZ, (A_prev, W, b))))
    suspects = {"dW": {"the 1/m was left out of dW": expected["dW"] * M}}
    message = message_of(check_gradients, result, expected, suspects=suspects, where={"dW": "the dW line"})
    assert message.startswith("dW matches what a typical mistake produces") and "the dW line" in message


def test_softmax_wrong_axis_and_overflow():
    rng = np.random.default_rng(10)
    Z = rng.standard_normal((5, M))
    expected = softmax(Z)
    message = message_of(check_array, "A", run_student(softmax_rows, Z), expected)
    assert_readable(message, "A")
    assert "normalised over the wrong axis" in message and "axis=0" in message
    large = Z * 1000.0
    with np.errstate(over="ignore", invalid="ignore"):
        overflowing = run_student(softmax_unstable, large)
    message = message_of(check_array, "A", overflowing, softmax(large))
    assert "overflow" in message and "Subtract each column's max before exp" in message


def test_softmax_shifted_by_the_row_max():
    def softmax_row_shift(Z):
        exp_z = np.exp(Z - Z.max(axis=1, keepdims=True))
        return exp_z / exp_z.sum(axis=0, keepdims=True)

    Z = np.random.default_rng(16).standard_normal((5, M))
    message = message_of(check_array, "A", run_student(softmax_row_shift, Z), softmax(Z))
    assert "columns that sum to 1" in message and "one number per column" in message


def test_elementwise_star_where_matrix_product_meant():
    A_prev, W, b, dZ = layer_inputs()
    message = message_of(run_student, linear_backward_star, dZ, (A_prev, W, b))
    assert message.startswith("linear_backward_star raised a shape error")
    assert "`*` multiplies elementwise; did you mean a matrix product (`@` / np.dot)?" in message
    assert "(5, 3) @ (3, 7) -> (5, 7)" in message


def test_matrix_product_with_shapes_that_do_not_chain():
    A_prev, W, b, dZ = layer_inputs()
    message = message_of(run_student, linear_backward_matmul_order, dZ, (A_prev, W, b))
    assert "do not chain" in message and ".T" in message

    def dW_with_dot(dZ, A_prev):
        return np.dot(dZ, A_prev)

    message = message_of(run_student, dW_with_dot, dZ, A_prev)
    assert "do not chain" in message and "X @ Y.T gives (3, 5)" in message


def test_not_implemented_yet():
    A_prev, W, b, dZ = layer_inputs()
    message = message_of(run_student, linear_backward_not_implemented, dZ, (A_prev, W, b), name="linear_backward")
    assert message.startswith("linear_backward is not implemented yet")


def test_other_exceptions_pass_through():
    def broken(x):
        return x.undefined_attribute

    with pytest.raises(AttributeError):
        run_student(broken, np.ones(3))


def test_loop_that_stops_early():
    A_prev, W, b, dZ = layer_inputs()
    result = run_student(linear_backward_loop_stops_early, dZ, (A_prev, W, b))
    message = message_of(check_linear, result, linear_oracle(dZ, (A_prev, W, b)))
    assert message.startswith("dA_prev is 0 in 5 of 35 entries") and "range" in message


def test_one_wrong_column_is_located():
    rng = np.random.default_rng(11)
    expected = rng.standard_normal((N, M))
    student = expected.copy()
    student[:, 3] += 1.0
    message = message_of(check_array, "dA", student, expected)
    assert "wrong only in column 3" in message


def test_factor_two_and_unnamed_factor():
    rng = np.random.default_rng(12)
    expected = rng.standard_normal((N, M))
    assert "twice the expected value" in message_of(check_array, "dAL", 2 * expected, expected, m=M)
    assert "times 3 everywhere" in message_of(check_array, "dAL", 3 * expected, expected, m=M)


def test_generic_wrong_values_still_say_where_the_largest_difference_is():
    rng = np.random.default_rng(13)
    expected = rng.standard_normal((N, N_PREV))
    message = message_of(check_array, "dW1", rng.standard_normal((N, N_PREV)), expected)
    assert_readable(message, "dW1")
    assert "wrong values" in message and "Largest difference at [" in message


# ----------------------------------------------------------------------------
# Types: only real numbers; never the student's __eq__
# ----------------------------------------------------------------------------


class RiggedArray(np.ndarray):
    calls = 0

    def __eq__(self, other):
        RiggedArray.calls += 1
        return True

    def __array__(self, *args, **kwargs):
        RiggedArray.calls += 1
        return np.zeros(1)


class LookAlike:
    """Pretends to be an ndarray equal to everything."""

    calls = 0
    shape = (N, N_PREV)
    dtype = np.dtype(np.float64)

    @property
    def __class__(self):
        return np.ndarray

    def __eq__(self, other):
        LookAlike.calls += 1
        return True

    def __array__(self, *args, **kwargs):
        LookAlike.calls += 1
        return np.zeros((N, N_PREV))


class RiggedFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def test_rigged_objects_are_rejected_without_calling_them():
    expected = np.ones((N, N_PREV))
    rigged = np.zeros((N, N_PREV)).view(RiggedArray)
    RiggedArray.calls = 0
    message = message_of(check_array, "dW", rigged, expected)
    assert "subclass of np.ndarray" in message and RiggedArray.calls == 0
    lookalike = LookAlike()
    assert isinstance(lookalike, np.ndarray)  # it fools isinstance ...
    message = message_of(check_array, "dW", lookalike, expected)
    assert "not a numpy array" in message and LookAlike.calls == 0  # ... but not the check
    assert "should be a numpy array (np.ndarray), but it is a " in message_of(check_type, "dW", lookalike, np.ndarray)
    assert "RiggedFloat, not a float" in message_of(check_float, "J", RiggedFloat(0.0), 1.0)
    assert "should be a float" in message_of(check_type, "J", RiggedFloat(0.0), float)


@pytest.mark.parametrize(
    "value, words",
    [
        ([[1.0] * N_PREV] * N, "convert it with np.array"),
        (None, "no `return`"),
        (np.array([[object()] * N_PREV] * N), "dtype object"),
        (np.ones((N, N_PREV), dtype=bool), "bool array"),
        (np.ones((N, N_PREV), dtype=np.int64), "holds integers"),
        (np.ones((N, N_PREV), dtype=complex), "complex"),
        (np.ones((N, N_PREV), dtype=np.float32), "float32"),
        (np.ones((N, N_PREV)).view(np.matrix), "np.matrix"),
        (2.5, "a single number"),
        ((np.ones((N, N_PREV)), "cache"), "a tuple of 2 items"),
    ],
)
def test_only_plain_real_float_arrays_are_accepted(value, words):
    message = message_of(check_array, "dW", value, np.ones((N, N_PREV)))
    assert_readable(message, "dW")
    assert words in message, message


def test_labels_in_any_real_dtype_with_dtype_real():
    expected = np.array([[0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0]])
    for labels in (expected.astype(int), expected.astype(bool), expected.copy()):
        check_array("Y_prediction", labels, expected, dtype="real")
    message = message_of(check_array, "Y_prediction", 1 - expected.astype(int), expected, dtype="real")
    assert message.startswith("Y_prediction ") and "relu" not in message  # labels are not a gradient mask
    assert "holds integers" in message_of(check_array, "Y_prediction", expected.astype(int), expected)
    assert activation_suspects(np.ones((N, M)), np.ones((N, M)), "linear") == {}


def test_check_type():
    assert check_type("grads", {"dW1": 1}, dict) == {"dW1": 1}
    assert check_type("J", 3, float) == 3
    assert "True/False" in message_of(check_type, "J", True, float)
    assert "(1, 1) array" in message_of(check_type, "J", np.ones((1, 1)), float)
    assert "should hold 3 items, but it holds 2" in message_of(check_type, "result", (1, 2), tuple, length=3)
    assert "np.array" in message_of(check_type, "dW", [1.0], np.ndarray)
    assert "Look at: the return statement." in message_of(check_type, "dW", None, np.ndarray, where="the return statement")


def test_missing_gradient_key():
    rng = np.random.default_rng(14)
    expected = {"dW1": rng.standard_normal((N, N_PREV)), "db1": rng.standard_normal((N, 1))}
    message = message_of(check_gradients, {"dW1": expected["dW1"]}, expected)
    assert message.startswith("db1 is missing from grads (it has: dW1)")


def test_check_gradients_prints_every_line_before_failing(capsys):
    A_prev, W, b, dZ = layer_inputs()
    result = linear_backward_forgets_one_over_m(dZ, (A_prev, W, b))
    with pytest.raises(AssertionError):
        check_linear(result, linear_oracle(dZ, (A_prev, W, b)))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["dA_prev", "close"], ["dW", "WRONG"], ["db", "WRONG"]]
    assert "rel err" in lines[1] and "max abs diff" in lines[1]


# ----------------------------------------------------------------------------
# check_does_not_call
# ----------------------------------------------------------------------------


def _squares(x):
    return float(np.sum(x * x))


def gradient_via_module_attribute(x):
    return utils.gradcheck.numerical_gradient(_squares, x)


def gradient_via_imported_name(x):
    return numerical_gradient(_squares, x)


def gradient_via_default_argument(x, oracle=numerical_gradient):
    return oracle(_squares, x)


def gradient_by_hand(x):
    return 2 * x


def test_forbidden_calls_are_caught_however_they_are_reached():
    x = np.arange(3.0)
    for cheat in (gradient_via_module_attribute, gradient_via_imported_name, gradient_via_default_argument):
        message = message_of(check_does_not_call, cheat, (x,), [numerical_gradient])
        assert message.startswith(f"{cheat.__name__} called utils.gradcheck.numerical_gradient"), message
    message = message_of(check_does_not_call, gradient_via_module_attribute, (x,), ["utils.gradcheck.numerical_gradient"])
    assert "utils.gradcheck.numerical_gradient" in message
    message = message_of(check_does_not_call, gradient_via_module_attribute, (x,), ["numerical_gradient"])
    assert "called numerical_gradient" in message
    message = message_of(check_does_not_call, gradient_via_imported_name, (x,), checks.ORACLES)
    assert "numerical_gradient" in message


def test_forbidden_numpy_callables_and_reasons():
    def softmax_with_exp(Z):
        return np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)

    def inverse(W):
        return np.linalg.inv(W)

    message = message_of(check_does_not_call, softmax_with_exp, (np.ones((3, 5)),), {np.exp: "which this test rules out"})
    assert "called numpy.exp, which this test rules out" in message
    assert "numpy.linalg.inv" in message_of(check_does_not_call, inverse, (np.eye(3),), [np.linalg.inv])


def test_clean_function_returns_its_result_and_everything_is_restored():
    x = np.arange(3.0)
    profiler_before = sys.getprofile()
    oracle_before = utils.gradcheck.numerical_gradient
    exp_before = np.exp
    result = check_does_not_call(gradient_by_hand, (x,), [numerical_gradient, np.exp, np.dot])
    assert np.array_equal(result, 2 * x)
    assert sys.getprofile() is profiler_before
    assert utils.gradcheck.numerical_gradient is oracle_before and np.exp is exp_before
    assert globals()["numerical_gradient"] is oracle_before


def test_restored_even_when_the_student_raises():
    def raises(x):
        np.exp(x)
        raise RuntimeError("student bug")

    exp_before = np.exp
    with pytest.raises(RuntimeError, match="student bug"):
        check_does_not_call(raises, (np.ones(2),), [numerical_gradient])
    assert np.exp is exp_before and sys.getprofile() is None
    message = message_of(check_does_not_call, raises, (np.ones(2),), [np.exp])  # the forbidden call is reported first
    assert "called numpy.exp" in message
    assert np.exp is exp_before and sys.getprofile() is None


def test_does_not_call_uses_run_student_advice():
    A_prev, W, b, dZ = layer_inputs()
    message = message_of(check_does_not_call, linear_backward_not_implemented, (dZ, (A_prev, W, b)), [numerical_gradient],
                         name="linear_backward")
    assert message.startswith("linear_backward is not implemented yet")


# ----------------------------------------------------------------------------
# Sizes, seeding, dependencies
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_separating_sizes(seed):
    sizes = separating_sizes(seed, n_layers=3)
    assert sizes == separating_sizes(seed, n_layers=3)
    require_separating_sizes(sizes.layer_dims, sizes.m)
    assert sizes.m not in (1, 2, 4) and len(sizes.layer_dims) == 4
    assert separating_sizes(seed, n_layers=2, n_out=1).layer_dims[-1] == 1


@pytest.mark.parametrize("dims, m", [([5, 3, 1], 4), ([5, 3, 3], 7), ([5, 7, 1], 7)])
def test_require_separating_sizes_rejects(dims, m):
    with pytest.raises(ValueError):
        require_separating_sizes(dims, m)


def test_checks_leave_the_global_random_state_alone():
    state = np.random.get_state()[1].copy()
    separating_sizes(3)
    rng = np.random.default_rng(0)
    Z, dA = rng.standard_normal((N, M)), rng.standard_normal((N, M))
    activation_suspects(dA, Z, "relu", other_Z=Z + 1)
    assert np.array_equal(np.random.get_state()[1], state)


def test_importable_with_numpy_only():
    code = "import sys, utils.checks; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------
# Properties: for any separating sizes, right passes and each mistake is named
# ----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_named_diagnoses_hold_for_any_separating_sizes(seed):
    n_prev, n = separating_sizes(seed, n_layers=1).layer_dims
    m = separating_sizes(seed, n_layers=1).m
    A_prev, W, b, dZ = layer_inputs(seed, n=n, n_prev=n_prev, m=m)
    cache = (A_prev, W, b)
    expected = linear_oracle(dZ, cache)
    for implementation in (linear_backward_correct, linear_backward_einsum, linear_backward_loops):
        dA_prev, dW, db = implementation(dZ, cache)
        check_gradients({"dA_prev": dA_prev, "dW": dW, "db": db}, expected, m=m)
    named = {
        linear_backward_forgets_one_over_m: f"dW is off by a factor of m = {m}",
        linear_backward_averages_twice: f"dW is off by a factor of 1/m = 1/{m}",
        linear_backward_transposed: "dW is transposed",
        linear_backward_no_keepdims: "db has shape",
        linear_backward_db_axis0: f"db has shape (1, {m}), one entry per example",
    }
    for buggy, words in named.items():
        dA_prev, dW, db = buggy(dZ, cache)
        message = message_of(check_gradients, {"dA_prev": dA_prev, "dW": dW, "db": db}, expected, m=m)
        assert message.startswith(words), (buggy.__name__, message)
    dA_prev, dW, db = linear_backward_correct(dZ, cache)
    message = message_of(check_gradients, {"dA_prev": -dA_prev, "dW": dW, "db": db}, expected, m=m)
    assert message.startswith("dA_prev has the right size but the opposite sign"), message


def test_check_float_on_a_scalar_gradient_gives_gradient_advice():
    """db is a float too, but it is not a cost: no advice about cross-entropy or J."""
    from utils.checks import check_float

    with pytest.raises(AssertionError) as flipped:
        check_float("db", -0.25, 0.25)
    assert "wrong sign" in str(flipped.value) and "cross-entropy" not in str(flipped.value)
    with pytest.raises(AssertionError) as boxed:
        check_float("db", np.array([[0.25]]), 0.25)
    assert "(1, 1) array" in str(boxed.value) and "J is" not in str(boxed.value)
    with pytest.raises(AssertionError) as summed:
        check_float("db", 0.25 * 7, 0.25, m=7)
    assert "factor of m" in str(summed.value) and "per-example losses" not in str(summed.value)
    with pytest.raises(AssertionError) as cost_sign:
        check_float("J", -0.5, 0.5)
    assert "cross-entropy" in str(cost_sign.value)


# ----------------------------------------------------------------------------
# Numbers: 0-d arrays and numpy scalars are numbers; (1, 1) and larger are not
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [0.25, np.float64(0.25), np.float32(0.25), np.array(0.25), np.squeeze(np.array([[0.25]])),
                                    np.sum(np.array([0.125, 0.125])), np.array(0.25, dtype=np.float32)])
def test_check_float_accepts_every_kind_of_scalar(number):
    assert check_float("J", number, 0.25) == 0.25
    assert check_type("J", number, float) is number


def test_check_float_accepts_a_0d_array_from_np_squeeze_in_a_cost():
    def cost_with_squeeze(AL, Y):
        m = Y.shape[1]
        cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL), axis=1, keepdims=True) / m   # (1, 1)
        return np.squeeze(cost)   # the common idiom: a 0-d array

    AL, Y = bce_inputs()
    result = run_student(cost_with_squeeze, AL, Y)
    assert type(result) is np.ndarray and result.shape == ()
    check_float("J", result, bce_cost_oracle(AL, Y), m=M)


@pytest.mark.parametrize("shape, phrase", [((1, 1), "is a (1, 1) array, not a float"),
                                            ((1, M), "the per-example losses L, not the cost J"),
                                            ((2, 3), "is an array of shape (2, 3), not a single float")])
def test_check_float_still_rejects_arrays_with_a_shape(shape, phrase):
    message = message_of(check_float, "J", np.full(shape, 0.25), 0.25, m=M)
    assert phrase in message


def test_check_float_rejects_a_0d_bool_or_object_array_and_a_wrong_0d_value():
    assert "is an array of dtype bool, not a float" in message_of(check_float, "J", np.array(True), 1.0)
    assert "dtype object" in message_of(check_float, "J", np.array(0.25, dtype=object), 0.25)
    message = message_of(check_float, "J", np.array(0.5), 0.25, m=M)
    assert "Yours 0.5, expected 0.25" in message


def test_check_type_int_accepts_0d_int_arrays_but_not_floats():
    assert check_type("n", np.array(3), int) is not None
    assert "should be a int" in message_of(check_type, "n", np.array(3.0), int)


# ----------------------------------------------------------------------------
# run_student: NameErrors point to what exists; a changed def line is named
# ----------------------------------------------------------------------------


def _student(code, name):
    namespace = {"np": np}
    exec(compile(code, "<student cell>", "exec"), namespace)
    return namespace[name]


@pytest.mark.parametrize("missing, advice", [
    ("copy", "add `import copy`"),
    ("math", "add `import math`"),
    ("np", "add `import numpy as np`"),
    ("deepcopy", "`from copy import deepcopy`"),
    ("sigmoid", "`from utils.activations import sigmoid`"),
    ("linear_activation_forward", "`from utils.forward import linear_activation_forward`"),
    ("L_model_forward", "`from utils.forward import model_forward`"),
    ("initialize_parameters_deep", "`from utils.initialization import initialize_parameters`"),
    ("linear_backwrd", "did you mean `linear_backward`?"),
    ("never_defined_anywhere", "If `never_defined_anywhere` is defined in an earlier cell, run that cell first"),
])
def test_run_student_extends_a_name_error_with_what_exists(missing, advice):
    code = f"def linear_backward(dZ, cache):\n    return 1\n\ndef optimize(w):\n    return {missing}.deepcopy(w)\n"
    func = _student(code, "optimize")
    func.__globals__.pop("np") if missing == "np" else None
    with pytest.raises(NameError) as info:
        run_student(func, [1.0])
    message = str(info.value)
    assert message.startswith(f"name '{missing}' is not defined")
    assert advice in message, message
    assert info.value.__traceback__.tb_next is not None  # still points at the student's line


def test_backward_helpers_point_to_utils_activations():
    for name in ("relu_backward", "sigmoid_backward", "tanh_backward"):
        func = _student(f"def layer(dA, Z):\n    return {name}(dA, Z)\n", "layer")
        with pytest.raises(NameError) as info:
            run_student(func, np.ones((2, 3)), np.ones((2, 3)))
        assert f"add `from utils.activations import {name}` (it is {name}(dA, Z))" in str(info.value)


def test_name_error_advice_is_added_once_and_unbound_locals_get_their_own():
    from utils import _names

    error = NameError("name 'copy' is not defined", name="copy")
    _names.explain_name_error(error)
    _names.explain_name_error(error)
    assert str(error).count("How to fix it") == 1
    func = _student("def f(flag):\n    if flag:\n        dW = 1\n    return dW\n", "f")
    with pytest.raises(UnboundLocalError, match="read before the line that assigns it"):
        run_student(func, False)


def test_run_student_names_a_changed_def_line():
    func = _student("def L_model_backward(AL, Y, caches):\n    return {}\n", "L_model_backward")
    message = message_of(run_student, func, np.ones((1, 7)), np.ones((1, 7)), [], output="sigmoid")
    assert message.startswith("L_model_backward could not be called the way the test calls it")
    assert "unexpected keyword argument 'output'" in message
    assert "The test calls L_model_backward(<numpy.ndarray>, <numpy.ndarray>, <list>, output=...)" in message
    assert "your def line is `def L_model_backward(AL, Y, caches)`" in message
    message = message_of(run_student, 3.0, 1, name="linear_backward")
    assert message.startswith("linear_backward is not a function: it is a float")


def test_run_student_passes_a_type_error_from_inside_the_function_through():
    func = _student("def f(x):\n    return len(x)\n", "f")
    with pytest.raises(TypeError, match="has no len"):
        run_student(func, 3)
