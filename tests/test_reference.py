"""autograder.reference: every gradient against numerical gradients, for every network kind.

For hidden in {relu, tanh} and output in {sigmoid, softmax, linear}, on
random widths, depths, batch sizes (m = 1 included) and values, the analytic
gradients of `model_backward` must match centred differences of the cost
(utils.gradcheck) with a relative error of at most 1e-7 in float64:

* dW{l}, db{l} against the numerical gradient of J with respect to W[l], b[l];
* dA{l} against m times the numerical gradient of J with respect to A[l]
  (the reference keeps dA per example; see its docstring), where J is
  computed by running the layers above l on a nudged A[l].

Tensors too small to resolve: each numerical entry carries a rounding error
of about eps * |J| / h (2e-10 |J| with h = 1e-6), so a gradient tensor whose
norm is near that (hypothesis finds them: a weight of 1e-6, a saturated tanh,
a db whose examples cancel exactly) cannot be resolved to a relative 1e-7 by
any implementation, right or wrong. The relative test applies to every tensor
whose norm is at least RESOLVABLE * sqrt(size) * max(|J|, 1); a smaller one
(including an exact zero, such as a dead relu layer) must instead agree with
the numerical gradient within the rounding bound ROUNDING * sqrt(size) *
max(|J|, 1) in absolute terms.

Which examples are kept, and why (`assume`):

* Outputs clear of the probability floor: the costs clip probabilities to
  [1e-15, 1 - 1e-15] so that log(0) stays finite, which makes J flat where
  an output saturates while dZ = AL - Y is not.
* Sigmoid outputs clear of saturation (SIGMOID_MARGIN, about 1e-2): near a = 1
  the cost's log(1 - a) amplifies a's own rounding error, and the centred
  difference cannot resolve the gradient to 1e-7 there.
* Relu has a kink at 0: a nudge of size h that moves some hidden Z[l] across
  0 makes the centred difference meaningless there (it returns anything
  between the two one-sided slopes). Examples where some hidden |Z| < 1e-3 are
  therefore rejected; with the values drawn here a nudge of h = 1e-6 moves Z
  by less than 1e-5, so no difference straddles the kink.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import reference
from utils.forward import model_forward as utils_model_forward
from utils.gradcheck import DEFAULT_STEP, numerical_gradient, numerical_gradients, relative_error
from utils.losses import compute_cost

TOLERANCE = 1e-7
RELU_MARGIN = 1e-3
#: Tensors with norm >= RESOLVABLE * sqrt(size) * max(|J|, 1) get the relative test (see above).
RESOLVABLE = 1e-2
#: Smaller tensors must agree within ROUNDING * sqrt(size) * max(|J|, 1): 1000 eps / h.
ROUNDING = 1e3 * np.finfo(np.float64).eps / 1e-6
#: Output probabilities must lie in [OUTPUT_MARGIN, 1 - OUTPUT_MARGIN] (far from the 1e-15 floor).
OUTPUT_MARGIN = 1e-9
#: A sigmoid output's cross-entropy needs 1 - a (or a) to be resolvable: a = sigmoid(z) carries a rounding
#: error of about eps, so log(1 - a) carries eps / (1 - a), and its centred difference eps / (2 h (1 - a)).
#: Keeping that a tenth of TOLERANCE needs min(a, 1 - a) >= eps / (2 h TOLERANCE / 10), about 1.1e-2.
#: (Hypothesis found a = 0.99988: the numerical dW1 was off by 1.7e-7 relative, though the reference is exact.)
SIGMOID_MARGIN = np.finfo(np.float64).eps / (2 * DEFAULT_STEP * TOLERANCE / 10)
HIDDEN = ("relu", "tanh")
OUTPUTS = ("sigmoid", "softmax", "linear")


@st.composite
def networks(draw, hidden, output, index_targets=False):
    """(X, Y, params) for a random network: 1 or 2 hidden layers, m from 1 to 6."""
    n_x = draw(st.integers(1, 4), label="n_x")
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2), label="hidden widths")
    if output == "sigmoid":
        n_L = 1
    else:
        n_L = draw(st.integers(2, 4) if output == "softmax" else st.integers(1, 3), label="n_L")
    m = draw(st.integers(1, 6), label="m")
    dims = [n_x, *widths, n_L]
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = draw(hnp.arrays(np.float64, (dims[layer], dims[layer - 1]), elements=st.floats(-1.5, 1.5)))
        params[f"b{layer}"] = draw(hnp.arrays(np.float64, (dims[layer], 1), elements=st.floats(-0.5, 0.5)))
    X = draw(hnp.arrays(np.float64, (n_x, m), elements=st.floats(-2.0, 2.0)), label="X")
    if output == "sigmoid":
        Y = draw(hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])), label="Y")
    elif output == "softmax":
        labels = draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, n_L - 1)), label="labels")
        Y = labels if index_targets else np.eye(n_L)[:, labels]
    else:
        Y = draw(hnp.arrays(np.float64, (n_L, m), elements=st.floats(-2.0, 2.0)), label="Y")
    return X, Y, params


def hidden_Z_clear_of_kinks(caches, hidden):
    if hidden != "relu":
        return True
    return all(np.min(np.abs(Z)) >= RELU_MARGIN for _, Z in caches[:-1])


def layers_above(params, layer):
    """The layers layer+1 .. L of params, renumbered from 1 (a network whose input is A[layer])."""
    n_layers = sum(1 for key in params if key.startswith("W"))
    return {
        f"{kind}{new}": params[f"{kind}{old}"]
        for new, old in enumerate(range(layer + 1, n_layers + 1), start=1)
        for kind in ("W", "b")
    }


def must_hold(condition):
    """`assume` for the fixed examples outside hypothesis: there the example must qualify."""
    assert condition, "this fixed example does not meet the conditions of the property test"


def check_all_gradients(X, Y, params, hidden, output, require=assume):
    """The property itself; `require` rejects unsuitable examples (module docstring)."""
    AL, caches = reference.model_forward(X, params, hidden, output)
    require(hidden_Z_clear_of_kinks(caches, hidden))
    if output in ("sigmoid", "softmax"):
        require(np.all((AL >= OUTPUT_MARGIN) & (AL <= 1.0 - OUTPUT_MARGIN)))
    if output == "sigmoid":
        require(np.all((AL >= SIGMOID_MARGIN) & (AL <= 1.0 - SIGMOID_MARGIN)))
    grads = reference.model_backward(AL, Y, caches, hidden, output)
    m = X.shape[1]
    n_layers = len(caches)
    J = reference.cost(AL, Y, output)

    def cost_of(current):
        return reference.cost(reference.model_forward(X, current, hidden, output)[0], Y, output)

    numeric = numerical_gradients(cost_of, params)
    expected_keys = {f"d{key}" for key in params} | {f"dA{layer}" for layer in range(n_layers)}
    assert set(grads) == expected_keys
    for key in params:
        assert grads[f"d{key}"].shape == params[key].shape
        assert_gradients_agree(f"d{key}", grads[f"d{key}"], numeric[key], J, f"{hidden}/{output}")
    for layer in range(n_layers):
        A = (X if layer == 0 else caches[layer][0][0]).copy()
        above = layers_above(params, layer)

        def cost_from_A(nudged_A, above=above):
            return reference.cost(reference.model_forward(nudged_A, above, hidden, output)[0], Y, output)

        dA_numeric = numerical_gradient(cost_from_A, A)  # dJ/dA[l]; the reference's dA is m times this
        assert_gradients_agree(f"dA{layer}", grads[f"dA{layer}"] / m, dA_numeric, J, f"{hidden}/{output}")


def assert_gradients_agree(name, analytic, numeric, J, kind):
    """Relative error <= TOLERANCE where resolvable, else within the rounding bound (module docstring)."""
    scale = np.sqrt(analytic.size) * max(abs(J), 1.0)
    if np.linalg.norm(analytic) >= RESOLVABLE * scale:
        error = relative_error(analytic, numeric)
        assert error <= TOLERANCE, f"{name}: relative error {error:.2e} ({kind})"
    else:
        difference = np.linalg.norm(analytic - numeric)
        assert difference <= ROUNDING * scale, f"{name}: tiny gradient off by {difference:.2e} ({kind})"


def property_for(hidden, output, index_targets=False):
    @given(networks(hidden, output, index_targets))
    def test(network):
        check_all_gradients(*network, hidden, output)

    return test


test_relu_sigmoid = property_for("relu", "sigmoid")
test_relu_softmax = property_for("relu", "softmax")
test_relu_softmax_with_class_indices = property_for("relu", "softmax", index_targets=True)
test_relu_linear = property_for("relu", "linear")
test_tanh_sigmoid = property_for("tanh", "sigmoid")
test_tanh_softmax = property_for("tanh", "softmax")
test_tanh_linear = property_for("tanh", "linear")


def test_every_combination_has_a_property_test():
    names = {name for name in globals() if name.startswith("test_")}
    for hidden in HIDDEN:
        for output in OUTPUTS:
            assert f"test_{hidden}_{output}" in names


@pytest.mark.parametrize("output", OUTPUTS)
def test_a_single_example_m_1(output):
    rng = np.random.default_rng(3)
    n_L = 1 if output == "sigmoid" else 3
    params = reference.init_params([4, 5, n_L], seed=1)
    X = rng.standard_normal((4, 1))
    Y = {"sigmoid": np.array([[1.0]]), "softmax": np.array([[0.0], [1.0], [0.0]]), "linear": rng.standard_normal((3, 1))}[output]
    check_all_gradients(X, Y, params, "tanh", output, require=must_hold)


def test_class_indices_and_one_hot_targets_give_the_same_gradients():
    rng = np.random.default_rng(5)
    params = reference.init_params([3, 5, 4], seed=2)
    X = rng.standard_normal((3, 7))
    labels = rng.integers(0, 4, 7)
    AL, caches = reference.model_forward(X, params, "relu", "softmax")
    from_indices = reference.model_backward(AL, labels, caches, "relu", "softmax")
    from_one_hot = reference.model_backward(AL, np.eye(4)[:, labels], caches, "relu", "softmax")
    for key in from_one_hot:
        np.testing.assert_array_equal(from_indices[key], from_one_hot[key])
    assert reference.cost(AL, labels, "softmax") == pytest.approx(reference.cost(AL, np.eye(4)[:, labels], "softmax"))


def test_reference_forward_and_cost_are_the_ones_students_have():
    rng = np.random.default_rng(0)
    params = reference.init_params([6, 5, 1], seed=4)
    X = rng.standard_normal((6, 7))
    Y = (rng.random((1, 7)) > 0.5).astype(float)
    AL, caches = reference.model_forward(X, params, "relu", "sigmoid")
    AL_utils, caches_utils = utils_model_forward(X, params, "relu", "sigmoid")
    np.testing.assert_array_equal(AL, AL_utils)
    assert reference.cost(AL, Y, "sigmoid") == compute_cost(AL, Y, "sigmoid")
    assert isinstance(reference.cost(AL, Y, "sigmoid"), float)


def test_init_params_is_seeded_and_shaped():
    first = reference.init_params([5, 3, 2], seed=7)
    again = reference.init_params([5, 3, 2], seed=7)
    other = reference.init_params([5, 3, 2], seed=8)
    assert {key: value.shape for key, value in first.items()} == {"W1": (3, 5), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1)}
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.array_equal(first["W1"], other["W1"])


def test_backward_does_not_modify_the_caches():
    rng = np.random.default_rng(1)
    params = reference.init_params([3, 4, 2], seed=0)
    X = rng.standard_normal((3, 5))
    AL, caches = reference.model_forward(X, params, "relu", "linear")
    snapshot = [(tuple(a.copy() for a in linear), Z.copy()) for linear, Z in caches]
    reference.model_backward(AL, rng.standard_normal((2, 5)), caches, "relu", "linear")
    for (linear, Z), (linear_before, Z_before) in zip(caches, snapshot):
        for array, before in zip(linear, linear_before):
            np.testing.assert_array_equal(array, before)
        np.testing.assert_array_equal(Z, Z_before)


@pytest.mark.parametrize(
    "hidden, output, message",
    [("sigmoidal", "sigmoid", "hidden must be one of"), ("relu", "tanh", "output must be one of")],
)
def test_unknown_activation_names_raise(hidden, output, message):
    params = reference.init_params([2, 3, 1], seed=0)
    AL, caches = reference.model_forward(np.ones((2, 3)), params, "relu", "sigmoid")
    with pytest.raises(ValueError, match=message):
        reference.model_backward(AL, np.ones((1, 3)), caches, hidden, output)


def test_targets_of_the_wrong_shape_raise():
    params = reference.init_params([2, 3, 2], seed=0)
    AL, caches = reference.model_forward(np.ones((2, 5)), params, "relu", "linear")
    with pytest.raises(ValueError, match=r"Y has shape \(5, 2\) but AL has shape \(2, 5\)"):
        reference.model_backward(AL, np.ones((5, 2)), caches, "relu", "linear")


def test_a_saturated_sigmoid_output_is_outside_what_centred_differences_resolve():
    """The example hypothesis found (a = sigmoid(9) = 0.99988, y = 0) is now rejected, not failed."""
    X, Y = np.ones((3, 1)), np.zeros((1, 1))
    params = {"W1": np.ones((3, 3)), "b1": np.zeros((3, 1)), "W2": np.ones((1, 3)), "b2": np.zeros((1, 1))}
    with pytest.raises(AssertionError, match="does not meet the conditions"):
        check_all_gradients(X, Y, params, "relu", "sigmoid", require=must_hold)
