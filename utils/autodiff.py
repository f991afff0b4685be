"""A small reverse-mode automatic differentiation engine on numpy arrays.

The course writes every backward pass by hand. This module does the same
bookkeeping automatically, the way PyTorch's autograd, JAX's `grad` and
TensorFlow's `GradientTape` do, so that a hand-written backward pass can be
compared with it. It is assignment 2's idea (a node that remembers how it
was computed) applied to whole arrays instead of single numbers.

    W, b, A_prev = Tensor(W_array), Tensor(b_array), Tensor(A_prev_array)
    Z = W @ A_prev + b          # (n_l, n_prev) @ (n_prev, m) + (n_l, 1) -> (n_l, m)
    J = relu(Z).mean()          # a Tensor holding one number
    backpropagate(J)            # fills the .grad of every tensor J depends on
    W.grad                      # dJ/dW, an array of shape (n_l, n_prev)

Each operation makes a new `Tensor` that records its operands (`parents`)
and its *vector-Jacobian product* `vjp`: a function that takes the gradient
arriving at the result, g = dJ/d(result) (the result's shape), and returns
dJ/d(parent) for each parent (each parent's shape). For C = A @ B it returns
(g @ B.T, A.T @ g); for an elementwise A = relu(Z) it returns (g * relu'(Z),).
The Jacobian itself is never built (see unit 4).

Operations, with their shapes:

* `a + b`, `a - b`, `a * b`, `a / b`, `-a`: elementwise, with numpy
  broadcasting; either operand may be a Tensor, an ndarray or a number.
* `a @ b`: matrix product of two 2-D operands, (n, k) @ (k, p) -> (n, p).
* `a.T`: transpose of a 2-D tensor.
* `a.sum(axis=None, keepdims=False)`, `a.mean(...)`: over all entries
  (a 0-d result) or along one axis.
* `relu(a)`, `sigmoid(a)`, `tanh(a)`, `log(a)`, `exp(a)`: elementwise, any
  shape. relu'(0) is taken as 0, as everywhere in the course; log needs
  entries > 0.
* `log_softmax(z)`: (n, m) -> (n, m), the log of the softmax of each
  column, built from the operations above; `-(Y * log_softmax(Z)).sum(axis=0)`
  is the cross-entropy loss of each example, shape (m,).
* `detach(a)`: a new leaf holding a's value, with no parents, so no gradient
  flows back through it (PyTorch's `a.detach()`, JAX's
  `jax.lax.stop_gradient`). Truncated backprop through time is detaching the
  carried hidden state every k steps.

Broadcasting in the forward pass means a sum in the backward pass: when an
operand was stretched along an axis (b of shape (n_l, 1) added to a
(n_l, m) array is copied across the m columns), every copy sends back a
gradient, and the operand's gradient is their sum over that axis,
keepdims-style, so that it has the operand's shape again.

`backpropagate(output)` needs an output holding a single number (such as
the cost J). It visits the graph in reverse topological order (each tensor
after every tensor computed from it) and sets `.grad` of every tensor in the
graph to d output / d tensor, an array of that tensor's shape; a tensor used
several times collects the sum of its contributions. Every call starts the
gradients of its graph from zero (PyTorch instead adds to `.grad` across
calls until you zero it).

What this module is for: checking a backward pass written by hand. It is
not what an assignment asks you to write, and graded tests refuse answers
that use it (it is among `utils.checks.ORACLES`).
"""

import numpy as np

from utils._validate import as_float_array
from utils.activations import sigmoid as _sigmoid_array


class Tensor:
    """A float64 array that remembers how it was computed.

    data:    the array computed by the forward pass (float64, any shape; a
             leaf's data is a copy of what it was given).
    grad:    after `backpropagate(output)`: d output / d self, an array of the
             shape of data. None before.
    parents: the tensors this one was computed from (empty for a leaf).
    vjp:     for a computed tensor, the function g -> (dJ/d parent, ...) that
             maps the gradient g of this tensor (its shape) to one gradient
             per parent (each of that parent's shape). None for a leaf.
    op:      a short label of the operation ("@", "+", "relu", ...; "leaf").

    Make leaves with Tensor(array); the operations make the rest.
    """

    # numpy hands `ndarray + Tensor` (and -, *, /, @) to the Tensor's reflected method instead of
    # broadcasting over it as an object array.
    __array_ufunc__ = None

    def __init__(self, data, parents=(), vjp=None, op="leaf"):
        self.data = np.array(as_float_array("data", data, allow_nan=True), dtype=np.float64)
        self.grad = None
        self.parents = tuple(parents)
        self.vjp = vjp
        self.op = op

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Tensor(shape={self.shape}, op={self.op!r})"

    # -- elementwise arithmetic, with broadcasting ---------------------------------------------

    def __add__(self, other):
        other = _as_tensor(other)
        return Tensor(self.data + other.data, (self, other),
                      lambda g: (_sum_to_shape(g, self.shape), _sum_to_shape(g, other.shape)), "+")

    def __radd__(self, other):
        return _as_tensor(other) + self

    def __sub__(self, other):
        other = _as_tensor(other)
        return Tensor(self.data - other.data, (self, other),
                      lambda g: (_sum_to_shape(g, self.shape), _sum_to_shape(-g, other.shape)), "-")

    def __rsub__(self, other):
        return _as_tensor(other) - self

    def __neg__(self):
        return Tensor(-self.data, (self,), lambda g: (-g,), "neg")

    def __mul__(self, other):
        other = _as_tensor(other)
        return Tensor(self.data * other.data, (self, other),
                      lambda g: (_sum_to_shape(g * other.data, self.shape), _sum_to_shape(g * self.data, other.shape)),
                      "*")

    def __rmul__(self, other):
        return _as_tensor(other) * self

    def __truediv__(self, other):
        other = _as_tensor(other)
        return Tensor(self.data / other.data, (self, other),
                      lambda g: (_sum_to_shape(g / other.data, self.shape),
                                 _sum_to_shape(-g * self.data / other.data**2, other.shape)),
                      "/")

    def __rtruediv__(self, other):
        return _as_tensor(other) / self

    # -- matrix product and transpose ----------------------------------------------------------

    def __matmul__(self, other):
        other = _as_tensor(other)
        if self.data.ndim != 2 or other.data.ndim != 2:
            raise ValueError(
                f"@ needs two 2-D operands (matrices), got shapes {self.shape} and {other.shape}; "
                "make a vector a column of shape (n, 1) or a row of shape (1, n)"
            )
        if self.shape[1] != other.shape[0]:
            raise ValueError(
                f"@ needs the inner dimensions to agree: {self.shape} @ {other.shape} "
                f"({self.shape[1]} columns against {other.shape[0]} rows)"
            )
        # C = A @ B, C[i, j] = sum_k A[i, k] B[k, j]: dA = g @ B.T (n, p)(p, k), dB = A.T @ g (k, n)(n, p).
        return Tensor(self.data @ other.data, (self, other), lambda g: (g @ other.data.T, self.data.T @ g), "@")

    def __rmatmul__(self, other):
        return _as_tensor(other) @ self

    @property
    def T(self):
        """The transpose of a 2-D tensor: (n, p) -> (p, n)."""
        if self.data.ndim != 2:
            raise ValueError(f".T is defined here for 2-D tensors only, got shape {self.shape}")
        return Tensor(self.data.T, (self,), lambda g: (g.T,), "T")

    # -- reductions ----------------------------------------------------------------------------

    def sum(self, axis=None, keepdims=False):
        """Sum over all entries (axis=None, a 0-d result) or along one axis (an int)."""
        axis = _check_axis(axis, self.data.ndim)
        shape = self.shape
        return Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,),
                      lambda g: (_spread(g, shape, axis, keepdims),), "sum")

    def mean(self, axis=None, keepdims=False):
        """Mean over all entries (axis=None) or along one axis: the sum divided by the number of entries summed."""
        axis = _check_axis(axis, self.data.ndim)
        shape = self.shape
        count = self.data.size if axis is None else shape[axis]
        return Tensor(self.data.mean(axis=axis, keepdims=keepdims), (self,),
                      lambda g: (_spread(g, shape, axis, keepdims) / count,), "mean")


# -- elementwise functions: the local derivative is diagonal, so the VJP is a Hadamard product ----


def relu(x):
    """max(0, x) elementwise; its VJP is g * (x > 0) (relu'(0) = 0)."""
    x = _as_tensor(x)
    return Tensor(np.maximum(x.data, 0.0), (x,), lambda g: (g * (x.data > 0),), "relu")


def sigmoid(x):
    """1 / (1 + exp(-x)) elementwise; its VJP is g * s * (1 - s) with s = sigmoid(x)."""
    x = _as_tensor(x)
    s = _sigmoid_array(x.data.reshape(-1)).reshape(x.shape)   # utils.activations.sigmoid refuses 0-d arrays
    return Tensor(s, (x,), lambda g: (g * s * (1.0 - s),), "sigmoid")


def tanh(x):
    """tanh(x) elementwise; its VJP is g * (1 - tanh(x)**2)."""
    x = _as_tensor(x)
    t = np.tanh(x.data)
    return Tensor(t, (x,), lambda g: (g * (1.0 - t * t),), "tanh")


def log(x):
    """The natural logarithm elementwise, for entries > 0; its VJP is g / x."""
    x = _as_tensor(x)
    if not np.all(x.data > 0):
        raise ValueError(f"log needs entries > 0, got {int(np.sum(~(x.data > 0)))} entries <= 0 (shape {x.shape})")
    return Tensor(np.log(x.data), (x,), lambda g: (g / x.data,), "log")


def exp(x):
    """e**x elementwise, any shape; its VJP is g * exp(x) (the result itself)."""
    x = _as_tensor(x)
    e = np.exp(x.data)
    return Tensor(e, (x,), lambda g: (g * e,), "exp")


def log_softmax(z):
    """log(softmax(z)) of each column of z: (n, m) -> (n, m), built from -, exp, sum and log.

    Column i gives log(exp(z[:, i]) / sum_j exp(z[j, i])). Each column's largest entry
    (a constant array of shape (1, m), no gradient) is subtracted first so that exp
    cannot overflow; the result does not depend on that shift, so neither does its gradient. The cross-entropy of
    one-hot labels Y (n, m) is -(Y * log_softmax(z)).sum(axis=0), one loss per column;
    its gradient with respect to z is softmax(z) - Y, column by column.
    """
    z = _as_tensor(z)
    if z.data.ndim != 2:
        raise ValueError(f"log_softmax needs a 2-D tensor (classes, examples), got shape {z.shape}")
    shifted = z - z.data.max(axis=0, keepdims=True)                      # (n, m) - (1, m)
    return shifted - log(exp(shifted).sum(axis=0, keepdims=True))        # (n, m) - (1, m)


def detach(x):
    """A new leaf holding x's value (a copy, same shape), with no parents: no gradient flows back through it.

    x: a Tensor, an ndarray or a number. backpropagate stops here, so whatever x was
    computed from gets no gradient along this path (the leaf's own .grad is still
    filled in). It is PyTorch's `x.detach()` and JAX's `jax.lax.stop_gradient(x)`.
    Truncated backprop through time is exactly this, applied every k steps to the
    hidden state carried into the next step: the forward values are unchanged, and
    the gradient stops at each chunk's start.
    """
    return Tensor(x.data if isinstance(x, Tensor) else x)


# -- the backward pass -------------------------------------------------------------------------


def graph_nodes(output):
    """Every tensor that `output` depends on, itself included, in a topological order.

    Each tensor comes after all of its parents (inputs first, output last), so
    the reversed list visits each tensor after every tensor computed from it.
    Iterative depth-first search, so deep graphs do not hit Python's recursion limit.
    """
    if not isinstance(output, Tensor):
        raise ValueError(f"graph_nodes needs a Tensor, got {type(output).__name__}")
    order, seen = [], set()
    stack = [(output, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in node.parents if id(parent) not in seen)
    return order


def backpropagate(output):
    """Set `.grad` = d output / d tensor on every tensor of output's graph.

    output: a Tensor holding one number (size 1), such as the cost J.
    Walks graph_nodes(output) backwards: output.grad = 1, then each tensor
    hands its gradient to its vjp and adds the results to its parents' .grad.
    Returns None; read the gradients from the tensors' .grad.
    """
    if not isinstance(output, Tensor):
        raise ValueError(f"backpropagate needs a Tensor, got {type(output).__name__}")
    if output.data.size != 1:
        raise ValueError(
            f"backpropagate needs an output holding one number (such as the cost J), got shape {output.shape}; "
            "reduce it first, e.g. with .sum() or .mean()"
        )
    order = graph_nodes(output)
    for node in order:
        node.grad = np.zeros_like(node.data)
    output.grad = np.ones_like(output.data)
    for node in reversed(order):
        if node.vjp is None:
            continue
        for parent, gradient in zip(node.parents, node.vjp(node.grad)):
            parent.grad += gradient  # +=: a tensor used twice collects both contributions


# -- helpers -----------------------------------------------------------------------------------


def _as_tensor(value):
    """value itself if it is a Tensor, otherwise a new leaf (a constant operand such as Y or 1)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def _check_axis(axis, ndim):
    if axis is None:
        return None
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be None or an int in [{-ndim}, {ndim}), got {axis!r}")
    return int(axis) % ndim


def _sum_to_shape(gradient, shape):
    """Sum `gradient` over the axes along which an operand of `shape` was broadcast; returns that shape.

    gradient: the gradient of the broadcast result. Leading axes that the operand
    did not have are summed away; axes where the operand has size 1 (and the result
    does not) are summed with keepdims. E.g. (n_l, m) -> (n_l, 1) sums over the m columns.
    """
    extra = gradient.ndim - len(shape)
    if extra:
        gradient = gradient.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and gradient.shape[axis] != 1)
    if stretched:
        gradient = gradient.sum(axis=stretched, keepdims=True)
    return gradient.reshape(shape)


def _spread(gradient, shape, axis, keepdims):
    """The gradient of a sum over `axis`, copied back to every entry that was summed (result: `shape`)."""
    if axis is not None and not keepdims:
        gradient = np.expand_dims(gradient, axis)
    return np.broadcast_to(gradient, shape).copy()
