"""Wrong shapes, wrong dtypes and NaN inputs raise ValueError naming the argument and the shapes.

One table of bad calls across the public functions of utils (except
utils.checks, which has its own tests); each row lists fragments that the
message must contain: the argument's name and the shapes involved. The last
test makes sure that every public function of those modules appears in the
table or is exempted with a reason.
"""

import inspect

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import activations, datasets, forward, gradcheck, initialization, losses, plots  # noqa: E402

MODULES = (activations, forward, losses, initialization, gradcheck, datasets, plots)

#: Public functions that take no arrays (nothing to validate), with the reason.
EXEMPT = {
    "activation": "takes a name; tested in test_activations (unknown names raise)",
    "derivative": "takes a name; tested in test_activations (unknown names raise)",
    "load_breast_cancer": "reads shipped data; its arguments are checked by train_test_split",
    "load_digits": "reads shipped data; its arguments are checked by train_test_split",
    "breast_cancer_feature_names": "takes no arguments",
    "gradient_report": "a diagnostic: reports NaN entries and shape mismatches instead of raising",
}

rng = np.random.default_rng(0)
GOOD_Z = rng.standard_normal((2, 3))
WITH_NAN = GOOD_Z.copy()
WITH_NAN[1, 2] = np.nan
WITH_INF = GOOD_Z.copy()
WITH_INF[0, 0] = -np.inf
A_PREV, W, B = rng.standard_normal((5, 7)), rng.standard_normal((3, 5)), rng.standard_normal((3, 1))
PROBABILITIES = rng.uniform(0.1, 0.9, (1, 7))
LABELS = (rng.random((1, 7)) > 0.5).astype(float)
SOFTMAX_OUT = activations.softmax(rng.standard_normal((3, 7)))


def params_with(**changes):
    params = {"W1": rng.standard_normal((3, 4)), "b1": np.zeros((3, 1)),
              "W2": rng.standard_normal((2, 3)), "b2": np.zeros((2, 1))}
    params.update(changes)
    return {key: value for key, value in params.items() if value is not None}


def with_nan(shape, where=(0, 0)):
    array = np.ones(shape)
    array[where] = np.nan
    return array


def case(function, *args, expect, **kwargs):
    label = ", ".join(expect)[:60]
    return pytest.param(function, args, kwargs, expect, id=f"{function.__name__}: {label}")


ELEMENTWISE = [
    activations.sigmoid, activations.relu, activations.tanh, activations.identity, activations.softmax,
    activations.sigmoid_derivative, activations.relu_derivative, activations.tanh_derivative,
    activations.identity_derivative,
]

BACKWARD_STEPS = [activations.relu_backward, activations.sigmoid_backward, activations.tanh_backward]

CASES = [
    *[case(g, WITH_NAN, expect=["Z contains 1 NaN", "(2, 3)"]) for g in ELEMENTWISE],
    *[case(g, WITH_INF, expect=["Z contains 1 NaN or infinite", "(2, 3)"]) for g in ELEMENTWISE],
    *[case(g, np.array([["a", "b"]]), expect=["Z must hold numbers", "<U1", "(1, 2)"]) for g in ELEMENTWISE],
    *[case(g, GOOD_Z.astype(complex), expect=["Z must hold real numbers", "complex128", "(2, 3)"]) for g in ELEMENTWISE],
    *[case(g, GOOD_Z > 0, expect=["Z must hold numbers", "bool", "(2, 3)"]) for g in ELEMENTWISE],
    *[case(g, [[1.0, 2.0]], expect=["Z must be a numpy array", "list"]) for g in ELEMENTWISE],
    *[case(g, None, expect=["Z must be a float array", "NoneType"]) for g in ELEMENTWISE],
    case(activations.softmax, np.ones(3), expect=["Z must be 2-dimensional", "(3,)"]),
    *[case(step, GOOD_Z, GOOD_Z.T, expect=[f"{step.__name__}: dA has shape (2, 3)", "Z has shape (3, 2)", "cache"])
      for step in BACKWARD_STEPS],
    *[case(step, WITH_NAN, GOOD_Z, expect=["dA contains 1 NaN", "(2, 3)"]) for step in BACKWARD_STEPS],
    *[case(step, GOOD_Z, WITH_INF, expect=["Z contains 1 NaN or infinite", "(2, 3)"]) for step in BACKWARD_STEPS],
    *[case(step, [[1.0, 2.0]], GOOD_Z, expect=["dA must be a numpy array", "list"]) for step in BACKWARD_STEPS],
    *[case(step, GOOD_Z, None, expect=["Z must be a float array", "NoneType"]) for step in BACKWARD_STEPS],
    # forward
    case(forward.linear_forward, A_PREV, W.T, B, expect=["W has shape (5, 3)", "A_prev has shape (5, 7)"]),
    case(forward.linear_forward, A_PREV, W, B.ravel(), expect=["b must be 2-dimensional", "(3,)", "keepdims"]),
    case(forward.linear_forward, A_PREV, W, B.T, expect=["b must have shape (3, 1)", "(1, 3)"]),
    case(forward.linear_forward, A_PREV, with_nan((3, 5)), B, expect=["W contains 1 NaN", "(3, 5)"]),
    case(forward.linear_forward, A_PREV.ravel(), W, B, expect=["A_prev must be 2-dimensional", "(35,)"]),
    case(forward.linear_forward, A_PREV.astype(object), W, B, expect=["A_prev must hold numbers", "object", "(5, 7)"]),
    case(forward.linear_activation_forward, A_PREV, W, B, "swish", expect=["activation must be one of", "'swish'"]),
    case(forward.linear_activation_forward, A_PREV, W, B.T, "relu", expect=["b must have shape (3, 1)", "(1, 3)"]),
    case(forward.model_forward, np.ones((4, 7)), params_with(W2=np.ones((2, 5))),
         expect=["params['W2'] has shape (2, 5)", "A1 has 3 rows"]),
    case(forward.model_forward, np.ones((6, 7)), params_with(), expect=["params['W1'] has shape (3, 4)", "X has 6 rows"]),
    case(forward.model_forward, np.ones((4, 7)), params_with(b2=None), expect=["params is missing ['b2']"]),
    case(forward.model_forward, np.ones((4, 7)), params_with(b1=with_nan((3, 1))), expect=["params['b1'] contains 1 NaN", "(3, 1)"]),
    case(forward.model_forward, np.ones((4, 7)), params_with(b1=np.zeros(3)), expect=["params['b1'] must be 2-dimensional", "(3,)"]),
    case(forward.model_forward, with_nan((4, 7)), params_with(), expect=["X contains 1 NaN", "(4, 7)"]),
    case(forward.model_forward, np.ones((4, 7)), [np.ones((3, 4))], expect=["params must be a dict", "list"]),
    case(forward.model_forward, np.ones((4, 7)), params_with(), hidden="softmax", expect=["hidden must be one of", "'softmax'"]),
    case(forward.count_layers, {"b1": np.ones((3, 1))}, expect=["params has no key 'W1'", "['b1']"]),
    # losses
    case(losses.binary_cross_entropy_loss, PROBABILITIES, LABELS[:, :6], expect=["A and Y must have the same shape", "(1, 7)", "(1, 6)"]),
    case(losses.binary_cross_entropy_loss, PROBABILITIES.ravel(), LABELS, expect=["A must be 2-dimensional", "(7,)"]),
    case(losses.binary_cross_entropy_loss, PROBABILITIES * 3 - 1, LABELS, expect=["A must hold probabilities in [0, 1]", "(1, 7)", "Z instead of g(Z)"]),
    case(losses.binary_cross_entropy_loss, PROBABILITIES, with_nan((1, 7), (0, 3)), expect=["Y contains 1 NaN", "(1, 7)"]),
    case(losses.binary_cross_entropy_loss, with_nan((1, 7)), LABELS, expect=["A contains 1 NaN", "(1, 7)"]),
    case(losses.categorical_cross_entropy_loss, SOFTMAX_OUT, np.ones((7, 3)),
         expect=["Y must be one-hot with the shape of A (3, 7)", "(7,) or (1, 7)", "got (7, 3)"]),
    case(losses.categorical_cross_entropy_loss, SOFTMAX_OUT, np.array([0, 1, 2, 3, 0, 1, 2]),
         expect=["Y as class indices for A of shape (3, 7)", "[0, 3)"]),
    case(losses.categorical_cross_entropy_loss, SOFTMAX_OUT, np.array([0, 1, 2, np.nan, 0, 1, 2]),
         expect=["Y as class indices for A of shape (3, 7)", "whole numbers", "(7,)"]),
    case(losses.categorical_cross_entropy_loss, SOFTMAX_OUT, np.array(list("abcabca")),
         expect=["Y as class indices for A of shape (3, 7)", "<U1", "(7,)"]),
    case(losses.categorical_cross_entropy_loss, with_nan((3, 7)), np.eye(3)[:, [0, 1, 2, 0, 1, 2, 0]], expect=["A contains 1 NaN", "(3, 7)"]),
    case(losses.squared_error_loss, np.ones((2, 7)), np.ones((7, 2)), expect=["A and Y must have the same shape", "(2, 7)", "(7, 2)"]),
    case(losses.squared_error_loss, np.ones((2, 7)), with_nan((2, 7)), expect=["Y contains 1 NaN", "(2, 7)"]),
    case(losses.cost_from_losses, np.ones(7), expect=["L must be 2-dimensional", "(7,)"]),
    case(losses.cost_from_losses, np.ones((2, 7)), expect=["L must be a row of per-example losses", "(1, m)", "(2, 7)"]),
    case(losses.cost_from_losses, with_nan((1, 7)), expect=["L contains 1 NaN", "(1, 7)"]),
    case(losses.compute_loss, PROBABILITIES, LABELS, "tanh", expect=["output must be one of", "'tanh'"]),
    case(losses.compute_cost, PROBABILITIES, LABELS[:, :5], "sigmoid", expect=["A and Y must have the same shape", "(1, 7)", "(1, 5)"]),
    case(losses.one_hot, np.ones((2, 3), dtype=int), 3, expect=["labels must have shape (m,) or (1, m)", "(2, 3)"]),
    case(losses.one_hot, np.array([0, 3]), 3, expect=["labels must lie in [0, 3)"]),
    case(losses.one_hot, np.array([0, 1]), 0, expect=["n_classes must be a positive integer", "0"]),
    # initialisation
    case(initialization.initialize_parameters, [4], expect=["layer_dims must list at least two", "[4]"]),
    case(initialization.initialize_parameters, [4, 2.5], expect=["layer_dims must list at least two positive whole", "[4, 2.5]"]),
    case(initialization.initialize_parameters, [4, 3], scale="kaiming", expect=["scale must be 'he', 'xavier'", "'kaiming'"]),
    # gradcheck
    case(gradcheck.relative_error, np.ones((2, 3)), np.ones((3, 2)), expect=["equal shapes", "a of shape (2, 3)", "b of shape (3, 2)"]),
    case(gradcheck.relative_error, with_nan((2, 3)), np.ones((2, 3)), expect=["a contains 1 NaN", "(2, 3)"]),
    case(gradcheck.elementwise_relative_error, np.ones((2, 3)), np.ones(6), expect=["equal shapes", "(2, 3)", "(6,)"]),
    case(gradcheck.numerical_gradient, lambda x: 0.0, np.ones((2, 3), dtype=np.float32), expect=["x must be a float64", "float32", "(2, 3)"]),
    case(gradcheck.numerical_gradient, lambda x: 0.0, with_nan((2, 3)), expect=["x contains 1 NaN", "(2, 3)"]),
    case(gradcheck.numerical_layer_gradient, lambda x: x, np.ones((2, 3)), with_nan((2, 3)), expect=["upstream contains 1 NaN", "(2, 3)"]),
    case(gradcheck.numerical_layer_gradient, lambda x: x, np.ones((2, 3)), np.ones((3, 2)),
         expect=["forward returned shape (2, 3)", "upstream has shape (3, 2)"]),
    case(gradcheck.numerical_gradients, lambda p: 0.0, {"W1": np.ones((2, 3), dtype=int)}, expect=["params['W1'] must be a float64", "int64", "(2, 3)"]),
    case(gradcheck.directional_check, lambda p: 0.0, {"W1": np.ones((2, 3))}, {"dW1": np.ones((3, 2))},
         expect=["grads['dW1'] has shape (3, 2)", "params['W1'] has shape (2, 3)"]),
    case(gradcheck.directional_check, lambda p: 0.0, {"W1": with_nan((2, 3))}, {"dW1": np.ones((2, 3))},
         expect=["params['W1'] contains 1 NaN", "(2, 3)"]),
    # datasets
    case(datasets.train_test_split, np.ones((2, 5)), np.ones((1, 4)), expect=["X has 5 examples", "Y has 4", "(2, 5)", "(1, 4)"]),
    case(datasets.train_test_split, with_nan((2, 5)), np.ones((1, 5)), expect=["X contains 1 NaN", "(2, 5)"]),
    case(datasets.train_test_split, np.ones((2, 5)), np.ones((1, 5)), test_fraction=1.5, expect=["test_fraction must lie strictly between 0 and 1", "1.5"]),
    case(datasets.standardize, np.ones((3, 5)), np.ones((4, 2)), expect=["X_train and X_test", "(3, 5)", "(4, 2)"]),
    case(datasets.standardize, np.ones(5), np.ones((1, 2)), expect=["X_train must be 2-dimensional", "(5,)"]),
    case(datasets.make_planar, m=1, expect=["m must be an integer of at least 2", "1"]),
    case(datasets.make_moons, m=2.5, expect=["m must be an integer of at least 2", "2.5"]),
    case(datasets.make_moons, noise=-1.0, expect=["noise must be a finite number >= 0", "-1.0"]),
    case(datasets.make_spirals, m=4, n_classes=3, expect=["m must be an integer of at least 6", "4"]),
    # plots
    case(plots.plot_costs, np.ones((2, 3)), expect=["costs must be a flat sequence", "(2, 3)"]),
    case(plots.plot_decision_boundary, lambda P: P[:1], np.ones((3, 5)), np.ones((1, 5)),
         expect=["X of shape (2, m)", "(3, 5)"]),
    case(plots.plot_decision_boundary, lambda P: P[:1], np.ones((2, 5)), np.ones((1, 4)),
         expect=["X and Y must have the same number of examples", "(2, 5)", "(1, 4)"]),
    case(plots.plot_decision_boundary, lambda P: P.ravel(), np.ones((2, 5)), np.ones((1, 5)),
         expect=["predict must map points of shape (2, 40000)", "returned shape (80000,)"]),
]


@pytest.mark.parametrize("function, args, kwargs, expect", CASES)
def test_bad_input_raises_a_value_error_naming_it(function, args, kwargs, expect):
    with pytest.raises(ValueError) as raised:
        function(*args, **kwargs)
    message = str(raised.value)
    missing = [fragment for fragment in expect if fragment not in message]
    assert not missing, f"message {message!r} lacks {missing}"


def test_every_public_function_is_covered():
    covered = {param.values[0].__name__ for param in CASES}
    public = {
        name
        for module in MODULES
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
    }
    uncovered = public - covered - set(EXEMPT)
    assert not uncovered, f"add bad-input cases (or an exemption with a reason) for {sorted(uncovered)}"
    assert not set(EXEMPT) - public, "exemptions for functions that no longer exist"
