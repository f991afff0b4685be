"""utils: the building blocks that Backprop, derived gives every student.

What is here (import from the submodules; the most used names also from `utils`):

* `utils.activations`: sigmoid, relu, tanh, identity, softmax, their
  elementwise derivatives g' (sigmoid_derivative, relu_derivative, ...) and
  the backward steps through an activation, dZ = dA * g'(Z)
  (relu_backward, sigmoid_backward, tanh_backward).
* `utils.forward`: linear_forward, linear_activation_forward, model_forward.
* `utils.losses`: per-example losses L (shape (1, m)) and the cost J (a float).
* `utils.initialization`: initialize_parameters(layer_dims, seed, scale).
* `utils.rnn`: the recurrent network of unit 6: the forward pass of one cell
  and of a whole sequence (with caches), the outputs, the cost, seeded
  initialisation.
* `utils.gradcheck`: numerical gradients, the directional check, relative_error.
* `utils.autodiff`: a small reverse-mode autodiff on arrays, for checking a
  hand-written backward pass (graded answers may not call it).
* `utils.checks`: the feedback checks that graded test cells call.
* `utils.testing`: the logic of the assignments' visible test cells, one
  module per unit (`utils.testing.unit1` ... `utils.testing.unit6`).
* `utils.datasets`: offline data sets in the course layout (examples are columns).
* `utils.plots`: cost curves and decision boundaries (imports matplotlib).

What is not here, on purpose: any backward pass or gradient that an
assignment asks you to write. Notation is the README's: `A[l]` is (n_l, m),
`W[l]` is (n_l, n_{l-1}), `b[l]` is (n_l, 1), and `dX` means dJ/dX.
"""

from utils.activations import (
    identity,
    identity_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    tanh,
    tanh_derivative,
)
from utils.forward import linear_activation_forward, linear_forward, model_forward
from utils.gradcheck import (
    DEFAULT_STEP,
    directional_check,
    gradient_report,
    numerical_gradient,
    numerical_gradients,
    numerical_layer_gradient,
    relative_error,
)
from utils.initialization import initialize_parameters
from utils.losses import (
    binary_cross_entropy_loss,
    categorical_cross_entropy_loss,
    compute_cost,
    compute_loss,
    cost_from_losses,
    one_hot,
    squared_error_loss,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_STEP",
    "gradient_report",
    "binary_cross_entropy_loss",
    "categorical_cross_entropy_loss",
    "compute_cost",
    "compute_loss",
    "cost_from_losses",
    "directional_check",
    "identity",
    "identity_derivative",
    "initialize_parameters",
    "linear_activation_forward",
    "linear_forward",
    "model_forward",
    "numerical_gradient",
    "numerical_gradients",
    "numerical_layer_gradient",
    "one_hot",
    "relative_error",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "softmax",
    "squared_error_loss",
    "tanh",
    "tanh_derivative",
]
