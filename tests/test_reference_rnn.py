"""autograder.reference, the recurrent network: every gradient against numerical gradients.

For output in {softmax, sigmoid}, on random sizes (m = 1 and T_x = 1
included), weights, inputs and initial states, `rnn_model_backward` must
match centred differences of `rnn_cost` (utils.gradcheck) with a relative
error of at most 1e-7 in float64:

* dWax, dWaa, dba, dWya, dby against the numerical gradient of J;
* da0 and dX against m times the numerical gradient of J (they are per
  example, the course's loss convention; see the reference's comment).

The pieces are checked the same way: `rnn_cell_gradients` against finite
differences of one cell contracted with da_next, `rnn_sequence_gradients`
against those of sum_t <da<t>, a<t>> over the whole sequence, and
`rnn_output_gradients` against those of the summed losses. Tiny tensors (a
saturated tanh, a weight of 1e-6) get the absolute rounding bound of
tests/test_reference.py instead of the relative test, for the reason given
there; outputs must stay clear of the probability floor for the same reason.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import reference
from tests.test_reference import OUTPUT_MARGIN, assert_gradients_agree, must_hold
from utils import rnn
from utils.gradcheck import numerical_gradient, numerical_gradients, numerical_layer_gradient

PARAMETERS = rnn.RNN_PARAMETERS


def arrays(draw, shape, low, high, label):
    return draw(hnp.arrays(np.float64, shape, elements=st.floats(low, high)), label=label)


@st.composite
def sequences(draw, output):
    """(X, a0, params, Y) for a random recurrent network: sizes 1-4, m 1-5, T_x 1-4."""
    n_x = draw(st.integers(1, 4), label="n_x")
    n_a = draw(st.integers(1, 4), label="n_a")
    n_y = 1 if output == "sigmoid" else draw(st.integers(2, 4), label="n_y")
    m = draw(st.integers(1, 5), label="m")
    T_x = draw(st.integers(1, 4), label="T_x")
    params = {
        "Wax": arrays(draw, (n_a, n_x), -1.5, 1.5, "Wax"),
        "Waa": arrays(draw, (n_a, n_a), -1.5, 1.5, "Waa"),
        "ba": arrays(draw, (n_a, 1), -0.5, 0.5, "ba"),
        "Wya": arrays(draw, (n_y, n_a), -1.5, 1.5, "Wya"),
        "by": arrays(draw, (n_y, 1), -0.5, 0.5, "by"),
    }
    X = arrays(draw, (n_x, m, T_x), -2.0, 2.0, "X")
    a0 = arrays(draw, (n_a, m), -1.0, 1.0, "a0")
    if output == "softmax":
        labels = draw(hnp.arrays(np.int64, (m, T_x), elements=st.integers(0, n_y - 1)), label="labels")
        Y = np.eye(n_y)[:, labels]
    else:
        Y = draw(hnp.arrays(np.float64, (1, m, T_x), elements=st.sampled_from([0.0, 1.0])), label="Y")
    return X, a0, params, Y


def check_model_gradients(X, a0, params, Y, output, require=assume):
    """The property: every gradient of rnn_model_backward is the numerical gradient of rnn_cost."""
    A, Y_hat, caches = reference.rnn_forward(X, a0, params, output)
    require(np.all((Y_hat >= OUTPUT_MARGIN) & (Y_hat <= 1.0 - OUTPUT_MARGIN)))
    grads = reference.rnn_model_backward(Y_hat, Y, caches, output)
    m = X.shape[1]
    J = reference.rnn_cost(Y_hat, Y, output)

    def cost(X_=X, a0_=a0, params_=params):
        return reference.rnn_cost(reference.rnn_forward(X_, a0_, params_, output)[1], Y, output)

    assert set(grads) == {"dWax", "dWaa", "dba", "dWya", "dby", "da0", "dX"}
    numeric = numerical_gradients(lambda p: cost(params_=p), params)
    for key in PARAMETERS:
        assert grads[f"d{key}"].shape == params[key].shape
        assert_gradients_agree(f"d{key}", grads[f"d{key}"], numeric[key], J, output)
    assert grads["dX"].shape == X.shape and grads["da0"].shape == a0.shape
    # da0 and dX are per example: m times dJ/d(.)
    assert_gradients_agree("dX", grads["dX"] / m, numerical_gradient(lambda X_: cost(X_=X_), X.copy()), J, output)
    assert_gradients_agree("da0", grads["da0"] / m, numerical_gradient(lambda a_: cost(a0_=a_), a0.copy()), J, output)


@given(sequences("softmax"))
def test_softmax_output(network):
    check_model_gradients(*network, "softmax")


@given(sequences("sigmoid"))
def test_sigmoid_output(network):
    check_model_gradients(*network, "sigmoid")


@given(sequences("softmax"), st.integers(0, 2**31), st.floats(0.1, 3.0))
def test_one_cell_against_finite_differences(network, seed, scale):
    X, a0, params, _ = network
    xt = X[:, :, 0]
    _, cache = rnn.rnn_cell_forward(xt, a0, params)
    da_next = np.random.default_rng(seed).standard_normal(a0.shape) * scale
    grads = reference.rnn_cell_gradients(da_next, cache)
    m = xt.shape[1]

    def cell(xt_=xt, a_=a0, p_=params):
        return rnn.rnn_cell_forward(xt_, a_, p_)[0]

    F = float(np.sum(da_next * cell()))
    assert_gradients_agree("dx", grads["dx"], numerical_layer_gradient(lambda x_: cell(xt_=x_), xt.copy(), da_next), F, "cell")
    assert_gradients_agree("da_prev", grads["da_prev"], numerical_layer_gradient(lambda a_: cell(a_=a_), a0.copy(), da_next),
                           F, "cell")
    for key in ("Wax", "Waa", "ba"):
        work = {name: value.copy() for name, value in params.items()}
        numeric = numerical_layer_gradient(lambda W_: cell(p_=dict(work, **{key: W_})), work[key], da_next) / m
        assert_gradients_agree(f"d{key}", grads[f"d{key}"], numeric, F / m, "cell")


@given(sequences("softmax"), st.integers(0, 2**31))
def test_sequence_against_finite_differences(network, seed):
    """rnn_sequence_gradients(da, caches) is the gradient of sum_t <da<t>, a<t>> (params with 1/m)."""
    X, a0, params, _ = network
    A, _, caches = rnn.rnn_forward(X, a0, params)
    da = np.random.default_rng(seed).standard_normal(A.shape)
    grads = reference.rnn_sequence_gradients(da, caches)
    m = X.shape[1]

    def contracted(X_=X, a0_=a0, params_=params):
        return float(np.sum(da * rnn.rnn_forward(X_, a0_, params_)[0]))

    F = contracted()
    numeric = numerical_gradients(lambda p: contracted(params_=dict(params, **p)),
                                  {key: params[key] for key in ("Wax", "Waa", "ba")})
    for key, value in numeric.items():
        assert_gradients_agree(f"d{key}", grads[f"d{key}"], value / m, F / m, "sequence")
    assert_gradients_agree("dX", grads["dX"], numerical_gradient(lambda X_: contracted(X_=X_), X.copy()), F, "sequence")
    assert_gradients_agree("da0", grads["da0"], numerical_gradient(lambda a_: contracted(a0_=a_), a0.copy()), F, "sequence")


@given(sequences("softmax"))
def test_output_layer_against_finite_differences(network):
    X, a0, params, Y = network
    A, Y_hat, _ = rnn.rnn_forward(X, a0, params)
    assume(np.all((Y_hat >= OUTPUT_MARGIN) & (Y_hat <= 1.0 - OUTPUT_MARGIN)))
    grads = reference.rnn_output_gradients(Y_hat, Y, A, params["Wya"])
    m = X.shape[1]

    def summed_loss(A_=A, params_=params):
        return float(rnn.rnn_losses(rnn.rnn_output_forward(A_, params_), Y).sum())

    F = summed_loss()
    assert_gradients_agree("da", grads["da"], numerical_gradient(lambda A_: summed_loss(A_=A_), A.copy()), F, "output")
    numeric = numerical_gradients(lambda p: summed_loss(params_=dict(params, **p)), {key: params[key] for key in ("Wya", "by")})
    for key, value in numeric.items():
        assert_gradients_agree(f"d{key}", grads[f"d{key}"], value / m, F / m, "output")


@pytest.mark.parametrize("output", rnn.RNN_OUTPUTS)
@pytest.mark.parametrize("m, T_x", [(1, 1), (1, 5), (6, 1)])
def test_one_example_or_one_step(output, m, T_x):
    rng = np.random.default_rng(10 * m + T_x)
    n_y = 3 if output == "softmax" else 1
    params = rnn.initialize_rnn_parameters(2, 4, n_y, seed=3)
    params["ba"] = 0.2 * rng.standard_normal((4, 1))
    X, a0 = rng.standard_normal((2, m, T_x)), rng.standard_normal((4, m))
    Y = np.eye(3)[:, rng.integers(0, 3, (m, T_x))] if output == "softmax" else (rng.random((1, m, T_x)) < 0.5) * 1.0
    check_model_gradients(X, a0, params, Y, output, require=must_hold)


def small_network(seed):
    """(X, a0, params, Y): n_x = 3, n_a = 5, n_y = 4 classes, m = 7, T_x = 6."""
    rng = np.random.default_rng(seed)
    params = rnn.initialize_rnn_parameters(3, 5, 4, seed=0)
    X, a0 = rng.standard_normal((3, 7, 6)), rng.standard_normal((5, 7))
    return X, a0, params, np.eye(4)[:, rng.integers(0, 4, (7, 6))]


def test_shared_gradients_are_sums_of_per_step_contributions():
    """dWaa is the sum over t of the cell gradients each step hands in: nothing else contributes."""
    X, a0, params, _ = small_network(seed=4)
    A, _, caches = rnn.rnn_forward(X, a0, params)
    da = np.random.default_rng(4).standard_normal(A.shape)
    grads = reference.rnn_sequence_gradients(da, caches)
    carried, parts = np.zeros((5, 7)), []
    for t in reversed(range(6)):
        step = reference.rnn_cell_gradients(da[:, :, t] + carried, caches[t])
        parts.append(step["dWaa"])
        carried = step["da_prev"]
    np.testing.assert_allclose(grads["dWaa"], sum(parts), rtol=1e-12)
    assert not np.allclose(grads["dWaa"], parts[0]) and not np.allclose(grads["dWaa"], parts[-1])


def test_reference_forward_and_cost_are_the_ones_students_have():
    X, a0, params, Y = small_network(seed=0)
    mine, theirs = reference.rnn_forward(X, a0, params, "softmax"), rnn.rnn_forward(X, a0, params, "softmax")
    np.testing.assert_array_equal(mine[0], theirs[0])
    np.testing.assert_array_equal(mine[1], theirs[1])
    assert reference.rnn_cost(mine[1], Y, "softmax") == rnn.rnn_cost(theirs[1], Y, "softmax")


def test_backward_leaves_the_caches_alone():
    X, a0, params, Y = small_network(seed=1)
    _, Y_hat, caches = reference.rnn_forward(X, a0, params, "softmax")
    snapshot = [tuple(np.array(item, copy=True) for item in cache[:3]) for cache in caches]
    saved = {key: value.copy() for key, value in params.items()}
    reference.rnn_model_backward(Y_hat, Y, caches, "softmax")
    for cache, before in zip(caches, snapshot):
        for array, copy in zip(cache[:3], before):
            np.testing.assert_array_equal(array, copy)
    for key in params:
        np.testing.assert_array_equal(params[key], saved[key])


def test_bad_arguments_raise():
    X, a0, params, Y = small_network(seed=2)
    _, Y_hat, caches = reference.rnn_forward(X, a0, params, "softmax")
    with pytest.raises(ValueError, match="output must be one of"):
        reference.rnn_model_backward(Y_hat, Y, caches, "tanh")
    with pytest.raises(ValueError, match=r"Y has shape \(4, 7, 5\) but Y_hat has shape \(4, 7, 6\)"):
        reference.rnn_model_backward(Y_hat, Y[:, :, :5], caches, "softmax")
    with pytest.raises(ValueError, match="6 time steps but there are 5 caches"):
        reference.rnn_sequence_gradients(np.zeros((5, 7, 6)), caches[:5])
