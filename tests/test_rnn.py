"""utils.rnn: the recurrent forward pass, its caches, the losses and the cost, and clear errors for bad input."""

import numpy as np
import pytest

from utils import rnn
from utils.activations import sigmoid, softmax
from utils.losses import binary_cross_entropy_loss, categorical_cross_entropy_loss


def problem(n_x=3, n_a=5, n_y=4, m=7, T_x=6, seed=0, output="softmax"):
    rng = np.random.default_rng(seed)
    params = rnn.initialize_rnn_parameters(n_x, n_a, n_y if output == "softmax" else 1, seed=seed + 1)
    params["ba"] = 0.1 * rng.standard_normal((n_a, 1))
    params["by"] = 0.1 * rng.standard_normal(params["by"].shape)
    X = rng.standard_normal((n_x, m, T_x))
    a0 = 0.5 * rng.standard_normal((n_a, m))
    if output == "softmax":
        Y = np.eye(n_y)[:, rng.integers(0, n_y, (m, T_x))]
    else:
        Y = (rng.random((1, m, T_x)) < 0.5).astype(float)
    return X, a0, params, Y


def test_initialisation_is_seeded_and_shaped():
    first = rnn.initialize_rnn_parameters(3, 5, 2, seed=7)
    again = rnn.initialize_rnn_parameters(3, 5, 2, seed=7)
    other = rnn.initialize_rnn_parameters(3, 5, 2, seed=8)
    assert {key: value.shape for key, value in first.items()} == {
        "Wax": (5, 3), "Waa": (5, 5), "ba": (5, 1), "Wya": (2, 5), "by": (2, 1)}
    assert tuple(first) == rnn.RNN_PARAMETERS
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["Waa"], other["Waa"])
    assert not first["ba"].any() and not first["by"].any()


def test_xavier_and_fixed_scales():
    wide = rnn.initialize_rnn_parameters(400, 300, 2, seed=0)
    assert wide["Wax"].std() == pytest.approx(np.sqrt(1 / 400), rel=0.05)
    assert wide["Waa"].std() == pytest.approx(np.sqrt(1 / 300), rel=0.05)
    fixed = rnn.initialize_rnn_parameters(400, 300, 2, seed=0, scale=0.2)
    assert fixed["Wax"].std() == pytest.approx(0.2, rel=0.05) and fixed["Waa"].std() == pytest.approx(0.2, rel=0.05)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_x": 0, "n_a": 3, "n_y": 2}, "n_x must be a positive whole number"),
    ({"n_x": 2, "n_a": 2.5, "n_y": 2}, "n_a must be a positive whole number"),
    ({"n_x": 2, "n_a": 3, "n_y": True}, "n_y must be a positive whole number"),
    ({"n_x": 2, "n_a": 3, "n_y": 2, "scale": "he"}, "scale must be 'xavier' or a positive float"),
    ({"n_x": 2, "n_a": 3, "n_y": 2, "scale": -1.0}, "scale must be 'xavier' or a positive float"),
])
def test_initialisation_refuses_bad_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rnn.initialize_rnn_parameters(**kwargs)


def test_one_cell_is_the_recurrence_and_caches_its_inputs():
    X, a0, params, _ = problem()
    xt = X[:, :, 0]
    a_next, cache = rnn.rnn_cell_forward(xt, a0, params)
    expected = np.tanh(params["Waa"] @ a0 + params["Wax"] @ xt + params["ba"])
    np.testing.assert_allclose(a_next, expected, rtol=1e-14, atol=1e-15)
    assert len(cache) == 4
    assert cache[0] is a_next and cache[1] is a0 and cache[2] is xt and cache[3] is params


def test_the_sequence_is_the_cell_applied_step_by_step():
    X, a0, params, _ = problem()
    A, Y_hat, caches = rnn.rnn_forward(X, a0, params)
    assert A.shape == (5, 7, 6) and Y_hat.shape == (4, 7, 6) and len(caches) == 6
    a_prev = a0
    for t in range(6):
        a_next, cache = rnn.rnn_cell_forward(X[:, :, t], a_prev, params)
        np.testing.assert_array_equal(A[:, :, t], a_next)
        np.testing.assert_array_equal(caches[t][0], a_next)
        np.testing.assert_array_equal(caches[t][1], a_prev)
        np.testing.assert_array_equal(caches[t][2], X[:, :, t])
        assert caches[t][3] is params
        np.testing.assert_allclose(Y_hat[:, :, t], softmax(params["Wya"] @ a_next + params["by"]), rtol=1e-13)
        a_prev = a_next
    assert caches[0][1] is a0
    for t in range(1, 6):
        assert caches[t][1] is caches[t - 1][0], "each step's a_prev is the previous step's a_next (the caches chain)"


def test_sigmoid_output_and_output_forward():
    X, a0, params, _ = problem(output="sigmoid")
    A, Y_hat, _ = rnn.rnn_forward(X, a0, params, output="sigmoid")
    assert Y_hat.shape == (1, 7, 6)
    np.testing.assert_allclose(Y_hat[:, :, 2], sigmoid(params["Wya"] @ A[:, :, 2] + params["by"]), rtol=1e-13)
    np.testing.assert_array_equal(rnn.rnn_output_forward(A, params, "sigmoid"), Y_hat)


def test_forward_leaves_its_inputs_alone():
    X, a0, params, _ = problem()
    before = (X.copy(), a0.copy(), {key: value.copy() for key, value in params.items()})
    rnn.rnn_forward(X, a0, params)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(a0, before[1])
    for key in params:
        np.testing.assert_array_equal(params[key], before[2][key])


def test_one_example_and_one_step():
    X, a0, params, Y = problem(m=1, T_x=1)
    A, Y_hat, caches = rnn.rnn_forward(X, a0, params)
    assert A.shape == (5, 1, 1) and Y_hat.shape == (4, 1, 1) and len(caches) == 1
    assert isinstance(rnn.rnn_cost(Y_hat, Y), float)


@pytest.mark.parametrize("output", rnn.RNN_OUTPUTS)
def test_losses_are_the_course_losses_at_every_step_and_the_cost_sums_over_time(output):
    X, a0, params, Y = problem(output=output)
    _, Y_hat, _ = rnn.rnn_forward(X, a0, params, output=output)
    L = rnn.rnn_losses(Y_hat, Y, output)
    assert L.shape == (1, 7, 6)
    per_step = binary_cross_entropy_loss if output == "sigmoid" else categorical_cross_entropy_loss
    for t in range(6):
        np.testing.assert_allclose(L[:, :, t], per_step(Y_hat[:, :, t], Y[:, :, t]), rtol=1e-13)
    J = rnn.rnn_cost(Y_hat, Y, output)
    assert isinstance(J, float)
    assert J == pytest.approx(sum(per_step(Y_hat[:, :, t], Y[:, :, t]).mean() for t in range(6)), rel=1e-13)
    assert J == pytest.approx(L.sum() / 7, rel=1e-13)


def test_a_certain_wrong_answer_costs_a_finite_amount():
    Y_hat = np.zeros((2, 1, 1))
    Y_hat[0] = 1.0
    Y = np.zeros((2, 1, 1))
    Y[1] = 1.0
    assert rnn.rnn_cost(Y_hat, Y, "softmax") == pytest.approx(-np.log(1e-15))


X_GOOD, A0_GOOD, PARAMS_GOOD, Y_GOOD = problem()


def params_with(**changes):
    changed = dict(PARAMS_GOOD, **changes)
    return {key: value for key, value in changed.items() if value is not None}


@pytest.mark.parametrize("call, fragments", [
    (lambda: rnn.rnn_forward(X_GOOD[:, :, 0], A0_GOOD, PARAMS_GOOD), ["X must be 3-dimensional", "(3, 7)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD.T, PARAMS_GOOD), ["a0 has shape (7, 5)", "(n_a, m) = (5, 7)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, params_with(Wax=PARAMS_GOOD["Wax"].T)), ["params['Wax'] must have shape (5, 3)", "(3, 5)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, params_with(ba=np.zeros(5))), ["params['ba'] must be 2-dimensional", "(5,)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, params_with(Waa=np.zeros((5, 4)))), ["params['Waa'] must have shape (5, 5)", "(5, 4)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, params_with(by=None)), ["params is missing ['by']"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, params_with(by=np.zeros((3, 1)))), ["params['by'] must have shape (4, 1)", "(3, 1)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, PARAMS_GOOD, output="sigmoid"), ["a sigmoid output has one unit", "(4, 5)"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, PARAMS_GOOD, output="relu"), ["output must be one of"]),
    (lambda: rnn.rnn_forward(X_GOOD, A0_GOOD, [1, 2]), ["params must be a dict"]),
    (lambda: rnn.rnn_forward(np.zeros((3, 7, 0)), A0_GOOD, PARAMS_GOOD), ["at least one time step"]),
    (lambda: rnn.rnn_forward(np.where(X_GOOD > 1, np.nan, X_GOOD), A0_GOOD, PARAMS_GOOD), ["X contains", "NaN"]),
    (lambda: rnn.rnn_cell_forward(X_GOOD[:, :, 0], A0_GOOD[:, :3], PARAMS_GOOD), ["a_prev has shape (5, 3)", "(5, 7)"]),
    (lambda: rnn.rnn_cell_forward(X_GOOD[:, :, 0].T, A0_GOOD, PARAMS_GOOD), ["params['Wax'] must have shape (5, 7)"]),
    (lambda: rnn.rnn_cell_forward(X_GOOD[0, :, 0], A0_GOOD, PARAMS_GOOD), ["xt must be 2-dimensional"]),
    (lambda: rnn.rnn_output_forward(np.zeros((4, 7, 6)), PARAMS_GOOD), ["params['Wya'] must have shape (?, 4)"]),
    (lambda: rnn.rnn_output_forward(np.zeros((5, 7, 6)), {"Wax": 1}), ["output layer's 'Wya'"]),
    (lambda: rnn.rnn_cost(np.full((4, 7, 6), 0.25), Y_GOOD[:, :, :5]), ["Y has shape (4, 7, 5) but Y_hat has shape (4, 7, 6)"]),
    (lambda: rnn.rnn_cost(np.full((4, 7, 6), 2.0), Y_GOOD), ["Y_hat must hold probabilities", "logits"]),
    (lambda: rnn.rnn_cost(np.full((4, 7, 6), 0.25), Y_GOOD, "sigmoid"), ["sigmoid output has one unit", "(4, 7, 6)"]),
    (lambda: rnn.rnn_losses(np.full((4, 7), 0.25), Y_GOOD[:, :, 0]), ["Y_hat must be 3-dimensional"]),
])
def test_bad_input_raises_a_value_error_naming_it(call, fragments):
    with pytest.raises(ValueError) as raised:
        call()
    for fragment in fragments:
        assert fragment in str(raised.value), f"{fragment!r} not in {raised.value}"


def test_integer_inputs_are_accepted_as_numbers():
    params = {key: np.round(value * 3).astype(int) for key, value in PARAMS_GOOD.items()}
    A, _, _ = rnn.rnn_forward(np.ones((3, 2, 2), dtype=int), np.zeros((5, 2), dtype=int), params)
    assert A.dtype == np.float64
