"""utils.autodiff: every operation's gradient against numerical gradients, and the engine kept out of graded answers.

Each operation f is checked through a contraction with a random upstream
gradient G (the shape of f's result): backpropagate(sum(G * f(x))) must give
x.grad equal to the centred-difference gradient of that scalar with respect
to x (utils.gradcheck), within a relative error of 1e-7 in float64. Shapes
and values come from hypothesis; broadcast operands of every kind ((n, 1),
(1, m), (m,), 0-d, a plain number) are among them.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import reference
from utils import autodiff
from utils.autodiff import Tensor, backpropagate, graph_nodes
from utils.checks import ORACLES, check_does_not_call
from utils.forward import model_forward
from utils.gradcheck import numerical_gradient, relative_error
from utils.losses import compute_cost

TOLERANCE = 1e-7
#: Entries of relu's input closer than this to 0 would let a nudge of h = 1e-6 straddle the kink.
RELU_MARGIN = 1e-3
#: 100 eps / h: the absolute error a centred difference with h = 1e-6 may carry per unit of the function's size.
ROUNDING = 100 * np.finfo(np.float64).eps / 1e-6

values = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


def arrays(shape, elements=values):
    return hnp.arrays(np.float64, shape, elements=elements)


def gradient_through(function, *inputs, upstream_seed=0):
    """backpropagate(sum(G * function(*tensors))): the .grad of each input, and the contracted scalar as a function of each input.

    G is a fixed random array of the result's shape, so every entry of the result matters.
    Returns (analytic grads, numerical grads, |scalar|): two lists, one entry per input, and the scalar's size.
    """
    tensors = [Tensor(x) for x in inputs]
    result = function(*tensors)
    upstream = np.random.default_rng(upstream_seed).standard_normal(result.shape)
    contracted_result = (result * upstream).sum()
    backpropagate(contracted_result)
    analytic = [t.grad for t in tensors]

    def contracted(*arrays_):
        return float(np.sum(function(*[Tensor(a) for a in arrays_]).data * upstream))

    numeric = []
    for index, x in enumerate(inputs):
        others = list(inputs)

        def of_x(x_, index=index, others=others):
            others = list(others)
            others[index] = x_
            return contracted(*others)

        numeric.append(numerical_gradient(of_x, np.array(x, dtype=np.float64)))
    return analytic, numeric, abs(float(contracted_result.data))


def assert_gradients_match(analytic, numeric, scale=1.0):
    """Relative error below TOLERANCE, or, for a gradient too small to resolve, within the rounding bound.

    scale: the size of the contracted scalar; each numerical entry carries a rounding error of
    about eps * scale / h, so a gradient near that size (a saturated tanh) cannot be resolved
    to a relative 1e-7 by any implementation.
    """
    for index, (a, n) in enumerate(zip(analytic, numeric)):
        assert a.shape == n.shape, f"input {index}: gradient of shape {a.shape}, expected {n.shape}"
        rounding = ROUNDING * np.sqrt(max(a.size, 1)) * max(scale, 1.0)
        assert relative_error(a, n) < TOLERANCE or np.linalg.norm(a - n) < rounding, (
            f"input {index}: relative error {relative_error(a, n):.1e}\n{a}\n{n}")


# -- broadcasting elementwise arithmetic --------------------------------------------------------

BROADCAST_SHAPES = {
    "same shape": lambda n, m: (n, m),
    "column (n, 1), like b": lambda n, m: (n, 1),
    "row (1, m)": lambda n, m: (1, m),
    "1-D (m,)": lambda n, m: (m,),
    "0-d": lambda n, m: (),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@st.composite
def broadcast_pairs(draw, nonzero_second=False):
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    kind = draw(st.sampled_from(sorted(BROADCAST_SHAPES)))
    swap = draw(st.booleans())
    full = draw(arrays((n, m)))
    second_elements = st.floats(0.5, 2.0) if nonzero_second else values
    partial = draw(arrays(BROADCAST_SHAPES[kind](n, m), second_elements))
    if nonzero_second:
        return full, partial  # the divisor stays away from 0
    return (partial, full) if swap else (full, partial)


@pytest.mark.parametrize("symbol", sorted(BINARY))
@given(data=st.data())
def test_broadcasting_arithmetic_sums_the_gradient_over_the_broadcast_axes(symbol, data):
    a, b = data.draw(broadcast_pairs(nonzero_second=symbol == "/"))
    analytic, numeric, scale = gradient_through(BINARY[symbol], a, b)
    assert analytic[0].shape == np.shape(a) and analytic[1].shape == np.shape(b)
    assert_gradients_match(analytic, numeric, scale)


def test_a_bias_column_gets_the_gradient_summed_over_the_examples():
    rng = np.random.default_rng(3)
    Z, b = Tensor(rng.standard_normal((3, 7))), Tensor(rng.standard_normal((3, 1)))
    upstream = rng.standard_normal((3, 7))
    backpropagate(((Z + b) * upstream).sum())
    assert b.grad.shape == (3, 1)
    assert np.allclose(b.grad, upstream.sum(axis=1, keepdims=True))


@given(x=arrays((3, 4)), number=st.floats(-3, 3))
def test_plain_numbers_and_arrays_on_either_side(x, number):
    t = Tensor(x)
    for result in (number + t, t + number, number - t, t - number, number * t, t * number, -t, x + t, x * t, t - x):
        assert isinstance(result, Tensor) and result.shape == x.shape
    backpropagate((number - t * number + x * t).sum())
    assert np.allclose(t.grad, x - number)


# -- matrix product, transpose, reductions -------------------------------------------------------


@given(data=st.data())
def test_matrix_product(data):
    n, k, p = (data.draw(st.integers(1, 4)) for _ in range(3))
    a, b = data.draw(arrays((n, k))), data.draw(arrays((k, p)))
    analytic, numeric, scale = gradient_through(lambda x, y: x @ y, a, b)
    assert_gradients_match(analytic, numeric, scale)


@given(data=st.data())
def test_matrix_product_with_a_plain_array_on_either_side_and_transpose(data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    a, constant = data.draw(arrays((n, k))), data.draw(arrays((k, n)))
    analytic, numeric, scale = gradient_through(lambda x: (constant @ x).T @ (x.T @ constant.T).T, a)
    assert_gradients_match(analytic, numeric, scale)


def test_matrix_product_refuses_vectors_and_mismatched_shapes():
    with pytest.raises(ValueError, match=r"2-D operands.*\(3,\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"inner dimensions.*\(2, 3\) @ \(2, 3\)"):
        Tensor(np.ones((2, 3))) @ np.ones((2, 3))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@given(data=st.data())
def test_reductions(reduction, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    x = data.draw(arrays(shape))
    analytic, numeric, scale = gradient_through(lambda t: getattr(t, reduction)(axis=axis, keepdims=keepdims), x)
    expected = getattr(np, reduction)(x, axis=axis, keepdims=keepdims)
    assert getattr(Tensor(x), reduction)(axis=axis, keepdims=keepdims).shape == np.shape(expected)
    assert_gradients_match(analytic, numeric, scale)


def test_reductions_refuse_a_bad_axis():
    for axis in (2, -3, 1.0, True):
        with pytest.raises(ValueError, match="axis must be None or an int"):
            Tensor(np.ones((2, 3))).sum(axis=axis)


# -- elementwise functions ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "log", "exp"])
@given(data=st.data())
def test_elementwise_functions(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=5))
    elements = st.floats(0.05, 5.0) if name == "log" else st.floats(-6.0, 6.0)
    x = data.draw(arrays(shape, elements))
    if name == "relu":
        assume(np.all(np.abs(x) > RELU_MARGIN))
    analytic, numeric, scale = gradient_through(getattr(autodiff, name), x)
    assert_gradients_match(analytic, numeric, scale)


def test_relu_derivative_at_zero_is_zero_and_log_refuses_non_positive_entries():
    x = Tensor(np.array([[-1.0, 0.0, 2.0]]))
    backpropagate(autodiff.relu(x).sum())
    assert np.array_equal(x.grad, [[0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="log needs entries > 0, got 1 entries <= 0"):
        autodiff.log(Tensor(np.array([1.0, 0.0])))


# -- the graph and the backward pass ---------------------------------------------------------------


def test_a_tensor_used_twice_collects_both_contributions_and_grads_restart_from_zero():
    x = Tensor(np.array([[1.5, -2.0]]))
    y = x * x + x                      # x feeds the product twice and the sum once
    for _ in range(2):                 # a second call recomputes, it does not add to the first
        backpropagate(y.sum())
        assert np.allclose(x.grad, 2 * x.data + 1)


def test_graph_nodes_puts_every_tensor_after_its_parents_once():
    a, b = Tensor(np.ones((2, 2))), Tensor(np.ones((2, 1)))
    c = a @ a + b
    d = autodiff.relu(c) * c          # a diamond: c reaches d along two paths
    order = graph_nodes(d.sum())
    position = {id(node): index for index, node in enumerate(order)}
    assert len(order) == len(position)
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]
    assert {id(a), id(b), id(c), id(d)} <= set(position)


def test_deep_chains_do_not_hit_the_recursion_limit():
    x = Tensor(np.array([0.5]))
    y = x
    for _ in range(5000):
        y = y * 1.0
    backpropagate(y.sum())
    assert x.grad.tolist() == [1.0]


def test_backpropagate_needs_one_number():
    with pytest.raises(ValueError, match=r"one number.*shape \(2, 3\).*\.sum\(\) or \.mean\(\)"):
        backpropagate(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="needs a Tensor, got ndarray"):
        backpropagate(np.ones(1))


def test_numpy_array_on_the_left_defers_to_the_tensor():
    x = Tensor(np.ones((2, 3)))
    for result in (np.ones((2, 3)) + x, np.ones((2, 3)) - x, np.ones((2, 3)) * x, np.ones((4, 2)) @ x):
        assert isinstance(result, Tensor)


# -- a whole network, against the course's forward pass and the instructor's reference ------------


@pytest.mark.parametrize("output", ["sigmoid", "linear"])
def test_a_tiny_network_matches_the_reference_backward_pass(output):
    rng = np.random.default_rng(7)
    dims, m = [4, 5, 3, 1 if output == "sigmoid" else 2], 7
    X = rng.standard_normal((dims[0], m))
    Y = (rng.random((dims[-1], m)) < 0.5).astype(float) if output == "sigmoid" else rng.standard_normal((dims[-1], m))
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1])) * 0.7
        params[f"b{layer}"] = rng.standard_normal((dims[layer], 1)) * 0.3
    tensors = {name: Tensor(value) for name, value in params.items()}
    A = Tensor(X)
    for layer in range(1, len(dims)):
        Z = tensors[f"W{layer}"] @ A + tensors[f"b{layer}"]
        A = autodiff.tanh(Z) if layer < len(dims) - 1 else (autodiff.sigmoid(Z) if output == "sigmoid" else Z)
    if output == "sigmoid":
        losses = -(Y * autodiff.log(A) + (1 - Y) * autodiff.log(1 - A)).sum(axis=0, keepdims=True)
    else:
        losses = ((A - Y) * (A - Y)).sum(axis=0, keepdims=True)   # the course's squared error: no 1/2
    J = losses.mean()
    AL, caches = model_forward(X, params, hidden="tanh", output=output)
    assert abs(float(J.data) - compute_cost(AL, Y, output)) < 1e-12
    backpropagate(J)
    expected = reference.model_backward(AL, Y, caches, hidden="tanh", output=output)
    for name, tensor in tensors.items():
        assert relative_error(tensor.grad, expected["d" + name]) < 1e-12, name


# -- kept out of graded answers --------------------------------------------------------------------


def _layer_gradients_by_autodiff(dZ, cache):
    """What a student might submit for linear_backward: the engine computes (dA_prev, dW, db)."""
    A_prev, W, b = (Tensor(x) for x in cache)
    m = dZ.shape[1]
    backpropagate(((W @ A_prev + b) * dZ).sum() / m)
    return A_prev.grad * m, W.grad, b.grad


def _layer_gradients_through_the_module(dZ, cache):
    A_prev, W, b = (autodiff.Tensor(x) for x in cache)
    output = ((W @ A_prev + b) * dZ).sum()
    autodiff.backpropagate(output)
    return A_prev.grad, W.grad / dZ.shape[1], b.grad / dZ.shape[1]


def _layer_gradients_by_hand(dZ, cache):
    A_prev, W, b = cache
    m = dZ.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, dZ.sum(axis=1, keepdims=True) / m


@pytest.mark.parametrize("answer", [_layer_gradients_by_autodiff, _layer_gradients_through_the_module])
def test_graded_checks_refuse_an_answer_that_uses_the_engine(answer):
    rng = np.random.default_rng(0)
    cache = (rng.standard_normal((5, 7)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1)))
    dZ = rng.standard_normal((3, 7))
    for got, expected in zip(answer(dZ, cache), _layer_gradients_by_hand(dZ, cache)):
        assert relative_error(got, expected) < 1e-12        # the engine does compute the graded answer...
    with pytest.raises(AssertionError, match=r"called utils\.autodiff\.") as caught:
        check_does_not_call(answer, (dZ, cache), ORACLES)   # ...and the graded tests' check refuses it
    assert "Compute the result yourself" in str(caught.value)
    dA_prev, dW, db = check_does_not_call(_layer_gradients_by_hand, (dZ, cache), ORACLES)   # by hand: allowed
    assert dW.shape == (3, 5)


# -- exp, log_softmax, detach ------------------------------------------------------------------------


def test_exp_has_the_conventions_of_the_other_elementwise_functions():
    x = Tensor(np.array([[0.0, 1.0], [-2.0, 0.5]]))
    y = autodiff.exp(x)
    assert isinstance(y, Tensor) and y.op == "exp" and y.parents == (x,) and y.data.dtype == np.float64
    assert np.allclose(y.data, np.exp(x.data))
    backpropagate((y * 3.0).sum())
    assert np.allclose(x.grad, 3.0 * np.exp(x.data))          # the VJP of exp is g * exp(x)
    assert autodiff.exp(2.0).shape == () and abs(float(autodiff.exp(0).data) - 1.0) == 0.0


@given(data=st.data())
def test_log_softmax(data):
    n, m = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    z = data.draw(arrays((n, m), st.floats(-5.0, 5.0)))
    analytic, numeric, scale = gradient_through(autodiff.log_softmax, z)
    assert_gradients_match(analytic, numeric, scale)
    expected = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
    assert np.allclose(autodiff.log_softmax(Tensor(z)).data, expected, rtol=0, atol=1e-12)


def test_cross_entropy_from_log_softmax_has_the_gradient_softmax_minus_y_and_does_not_overflow():
    rng = np.random.default_rng(4)
    for scale in (1.0, 1000.0):                                  # exp(1000) overflows without the shift
        Z = Tensor(scale * rng.standard_normal((4, 6)))
        Y = np.eye(4)[:, rng.integers(0, 4, 6)]
        losses = -(Y * autodiff.log_softmax(Z)).sum(axis=0)       # (m,): one loss per example
        assert losses.shape == (6,) and np.all(np.isfinite(losses.data))
        backpropagate(losses.sum())
        shifted = np.exp(Z.data - Z.data.max(axis=0, keepdims=True))
        assert np.allclose(Z.grad, shifted / shifted.sum(axis=0, keepdims=True) - Y, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"log_softmax needs a 2-D tensor.*\(3,\)"):
        autodiff.log_softmax(Tensor(np.ones(3)))


def test_detach_keeps_the_value_and_stops_the_gradient():
    x = Tensor(np.array([[1.5, -2.0, 0.25]]))
    frozen = autodiff.detach(x * 2.0)
    assert frozen.parents == () and frozen.vjp is None and frozen.op == "leaf"
    assert np.array_equal(frozen.data, 2.0 * x.data) and frozen.data is not x.data
    backpropagate((frozen * x).sum())                      # only the direct path reaches x: d(c * x)/dx = c
    assert np.array_equal(x.grad, 2.0 * x.data)
    assert np.array_equal(frozen.grad, x.data)              # the detached leaf still gets its own gradient
    backpropagate((x * x).sum())                            # without detach: 2x from both factors
    assert np.array_equal(x.grad, 2.0 * x.data)
    assert all(node is not x for node in graph_nodes((autodiff.detach(x) * autodiff.detach(x)).sum()))   # x left the graph
    assert np.array_equal(autodiff.detach(np.array([1.0, 2.0])).data, [1.0, 2.0]) and autodiff.detach(3).shape == ()


def test_detaching_a_carried_state_every_k_steps_is_truncated_backprop():
    """A scalar recurrence a<t> = tanh(w a<t-1> + x<t>), J = sum_t a<t>: detach every k steps vs a hand-truncated walk."""
    rng = np.random.default_rng(5)
    xs, w0, T, k = rng.standard_normal(7), 0.8, 7, 3

    def gradient(k):
        w, a, J = Tensor(w0), Tensor(0.3), 0.0
        for t in range(T):
            if k and t and t % k == 0:
                a = autodiff.detach(a)
            a = autodiff.tanh(w * a + xs[t])
            J = J + a
        backpropagate(J)
        return float(w.grad)

    states = [0.3]
    for t in range(T):
        states.append(np.tanh(w0 * states[-1] + xs[t]))
    by_hand = 0.0
    for end in range(1, T + 1):            # the loss a<end>, walked back to the start of its own chunk only
        start = ((end - 1) // k) * k + 1
        carried = 1.0
        for t in range(end, start - 1, -1):
            dz = carried * (1 - states[t] ** 2)
            by_hand += dz * states[t - 1]
            carried = dz * w0
    assert abs(gradient(k) - by_hand) < 1e-12
    assert abs(gradient(None) - gradient(k)) > 1e-3            # the truncated gradient is not the full one
    full_numeric = numerical_gradient(lambda v: float(sum(_scalar_states(v, xs, 0.3))), np.array(w0))
    assert abs(gradient(None) - float(full_numeric)) < 1e-7


def _scalar_states(w, xs, a):
    states = []
    for x in xs:
        a = np.tanh(w * a + x)
        states.append(a)
    return states


@pytest.mark.parametrize("operation", ["exp", "detach", "log_softmax"])
def test_graded_checks_refuse_the_new_operations(operation):
    def answer(dZ, cache):
        A_prev, W, b = cache
        getattr(autodiff, operation)(np.ones((2, 2)))
        return _layer_gradients_by_hand(dZ, cache)

    rng = np.random.default_rng(1)
    cache = (rng.standard_normal((5, 7)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1)))
    with pytest.raises(AssertionError, match=r"called utils\.autodiff\."):
        check_does_not_call(answer, (rng.standard_normal((3, 7)), cache), ORACLES)
