"""Unit 2 (02_computation_graph): proof that the grading is right.

One nbgrader autograde run grades the solution, the blank release, one
submission per typical mistake and one per correct answer written in another
style. Each mistake is the solution with one answer cell edited the way
students get it wrong; it must lose exactly the test cells listed for it, and
the feedback of those cells must name the mistake. Each alternative must get
every point.

Which cells a mistake fails is part of the design:
- `+` is given (the worked example), so Part 1 grades `*` alone.
- Parts 1-3 test one operation at a time on nodes the test makes.
- While backward() is graded, topological_order is a stand-in that knows
  the test's graphs (the reference, in the hidden part), so a wrong
  topological order costs its own test, and the cost graph's.
- Part 5 runs the student's own operators and backward(), so a wrong local
  rule that the cost graph uses also costs its gradient test (the feedback
  says to look at Parts 1-4 first).
- The hidden halves draw other numbers and sizes than the visible tests
  (n_x > 3, m != 7) and run the student's code under call_hidden: typing in
  the visible sizes, or calling utils.autodiff or the shipped test helpers,
  loses the points the visible half would have given.
"""

import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    blank_submission,
    describe,
    grade_variants,
    solution_code,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "02_computation_graph"

AUTOGRADED_POINTS = {
    "test_mul": 2,
    "test_sub_div_neg": 3,
    "test_exp_log_sigmoid": 3,
    "test_topological_order": 2,
    "test_backward_shared_and_order": 3,
    "test_backward_twice_resets": 1,
    "test_logistic_cost_graph_value": 2,
    "test_logistic_cost_graph_gradients": 3,
}
MANUALLY_GRADED = "derivation_backward_rules"

MUL = "test_mul"
SUB_DIV = "test_sub_div_neg"
UNARY = "test_exp_log_sigmoid"
ORDER = "test_topological_order"
BACKWARD = "test_backward_shared_and_order"
TWICE = "test_backward_twice_resets"
COST_VALUE = "test_logistic_cost_graph_value"
COST_GRADIENTS = "test_logistic_cost_graph_gradients"

MUL_RULE = ("        self.grad += out.grad * other.data\n"
            "        other.grad += out.grad * self.data\n")

PREORDER_TOPOLOGICAL_ORDER = '''
@add_to_class(Value)
def topological_order(self):
    order, visited = [], set()

    def visit(node):
        if id(node) in visited:
            return
        visited.add(id(node))
        order.append(node)              # appended BEFORE its children: a pre-order, not a topological order
        for child in node.children:
            visit(child)

    visit(self)
    return order[::-1]


@add_to_class(Value)
def backward(self):
    order = self.topological_order()
    for node in order:
        node.grad = 0.0
    self.grad = 1.0
    for node in reversed(order):
        node._backward()
'''

RECURSIVE_TOPOLOGICAL_ORDER = '''
@add_to_class(Value)
def topological_order(self):
    order, visited = [], set()

    def visit(node):
        if id(node) not in visited:
            visited.add(id(node))
            for child in node.children:
                visit(child)
            order.append(node)

    visit(self)
    return order
'''

PUSH_ALONG_EVERY_PATH = RECURSIVE_TOPOLOGICAL_ORDER + '''

@add_to_class(Value)
def backward(self):
    for node in self.topological_order():
        node.grad = 0.0
    self.grad = 1.0

    def push(node):                    # follows every path: a shared node is swept once per path
        node._backward()
        for child in node.children:
            push(child)

    push(self)
'''

# One node whose _backward writes unit 1's formula with numpy: J.data and the leaves are right, but no
# graph of the m examples exists, so the gradient test refuses it (issue #20: no points for the closed form).
COST_IN_ONE_NUMPY_NODE = '''
from utils.losses import compute_cost


def logistic_cost_graph(w, b, X, Y):
    n_x, m = X.shape
    w_values = [Value(float(weight)) for weight in w[:, 0]]
    b_value = Value(float(b))
    A = activations.sigmoid(w.T @ X + b)
    J = Value(compute_cost(A, Y, "sigmoid"), tuple(w_values) + (b_value,), "cost")
    dZ = A - Y

    def _backward():
        for j, node in enumerate(w_values):
            node.grad += J.grad * float(X[j] @ dZ[0]) / m
        b_value.grad += J.grad * float(np.mean(dZ))

    J._backward = _backward
    return J, w_values, b_value
'''

# The local derivative of sigmoid taken from utils.autodiff, an oracle the hidden tests refuse.
SIGMOID_FROM_AUTODIFF = '''
from utils import autodiff
from utils.activations import sigmoid as sigmoid_array


@add_to_class(Value)
def exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.grad * out.data

    out._backward = _backward
    return out


@add_to_class(Value)
def log(self):
    out = Value(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += out.grad / self.data

    out._backward = _backward
    return out


@add_to_class(Value)
def sigmoid(self):
    out = Value(float(sigmoid_array(np.array([self.data]))[0]), (self,), "sigmoid")

    def _backward():
        t = autodiff.Tensor(np.array([self.data]))
        autodiff.backpropagate(autodiff.sigmoid(t).sum())
        self.grad += out.grad * float(t.grad[0])

    out._backward = _backward
    return out
'''

# `*` made with the test's own node builder (a shipped test helper the hidden tests refuse).
MUL_FROM_TEST_HELPER = '''
from utils.testing import unit2


@add_to_class(Value)
def __mul__(self, other):
    other = as_value(other)
    return unit2.operation(Value, self.data * other.data, (self, other), (other.data, self.data), "*")


@add_to_class(Value)
def __rmul__(self, other):
    return as_value(other) * self
'''

# name -> (answer cell, {solution line: buggy line} or the whole cell, cells that must fail, {cell: [phrases]})
MISTAKES = {
    "mul_overwrites_grad": (
        "value_mul",
        {MUL_RULE: MUL_RULE.replace("+=", "=")},
        {MUL, COST_GRADIENTS},
        {MUL: ["instead of adding to them"], COST_GRADIENTS: ["only one example's contribution"]},
    ),
    "mul_mixed_assign_and_add": (
        "value_mul",
        {"        self.grad += out.grad * other.data\n": "        self.grad = out.grad * other.data\n"},
        {MUL, COST_GRADIENTS},
        {MUL: ["_backward uses `=` on one line and `+=` on the other", "a value used twice loses a contribution"],
         COST_GRADIENTS: ["overwrites .grad (=) instead of adding to it (+=), perhaps on one line only"]},
    ),
    "mul_local_derivative_is_own_factor": (
        "value_mul",
        {MUL_RULE: "        self.grad += out.grad * self.data\n        other.grad += out.grad * other.data\n"},
        {MUL, COST_GRADIENTS},
        {MUL: ["the derivative with respect to one factor is the OTHER factor"]},
    ),
    "mul_backward_called_not_stored": (
        "value_mul",
        {"    out._backward = _backward\n": "    out._backward = _backward()\n"},
        {MUL, COST_GRADIENTS},
        {MUL: ["CALLED the inner function", "no parentheses"], COST_GRADIENTS: ["CALLED the inner function"]},
    ),
    "mul_number_not_wrapped": (
        "value_mul",
        {"    other = as_value(other)\n": ""},
        {MUL, COST_VALUE, COST_GRADIENTS},
        {MUL: ["`a * 4` raised AttributeError", "other = as_value(other)"]},
    ),
    "mul_made_with_a_test_helper": (
        "value_mul",
        MUL_FROM_TEST_HELPER,
        {MUL, COST_VALUE, COST_GRADIENTS},
        {MUL: ["called utils.testing.unit2.operation"], COST_VALUE: ["called utils.testing.unit2.operation"]},
    ),
    "sub_sign_of_second_operand": (
        "value_sub_div_neg",
        {"        other.grad += -out.grad\n": "        other.grad += out.grad\n"},
        {SUB_DIV, COST_GRADIENTS},
        {SUB_DIV: ["subtraction sign: d(a - b)/db is -1"]},
    ),
    "div_derivative_missing_minus": (
        "value_sub_div_neg",
        {"other.grad += -out.grad * self.data / other.data**2": "other.grad += out.grad * self.data / other.data**2"},
        {SUB_DIV},
        {SUB_DIV: ["d(a/b)/db = -a/b**2; the minus sign is missing"]},
    ),
    "div_mixed_add_and_assign": (
        "value_sub_div_neg",
        {"other.grad += -out.grad * self.data / other.data**2": "other.grad = -out.grad * self.data / other.data**2"},
        {SUB_DIV},
        {SUB_DIV: ["_backward uses `=` on one line and `+=` on the other: the line for other overwrites"]},
    ),
    "log_derivative_one_over_a_squared": (
        "value_exp_log_sigmoid",
        {"        self.grad += out.grad / self.data\n": "        self.grad += out.grad / self.data**2\n"},
        {UNARY, COST_GRADIENTS},
        {UNARY: ["d(log a)/da was taken as 1/a**2"]},
    ),
    "sigmoid_derivative_is_s": (
        "value_exp_log_sigmoid",
        {"self.grad += out.grad * s * (1.0 - s)": "self.grad += out.grad * s"},
        {UNARY, COST_GRADIENTS},
        {UNARY: ["sigmoid' was taken as s = sigmoid(a)"]},
    ),
    "sigmoid_overflows": (
        "value_exp_log_sigmoid",
        {"    if self.data >= 0:\n        s = 1.0 / (1.0 + math.exp(-self.data))\n"
         "    else:\n        e = math.exp(self.data)\n        s = e / (1.0 + e)\n":
         "    s = 1.0 / (1.0 + math.exp(-self.data))\n"},
        {UNARY},
        {UNARY: ["OverflowError"]},
    ),
    "sigmoid_derivative_from_autodiff": (
        "value_exp_log_sigmoid",
        SIGMOID_FROM_AUTODIFF,
        {UNARY, COST_GRADIENTS},
        {UNARY: ["called utils.autodiff"], COST_GRADIENTS: ["called utils.autodiff"]},
    ),
    "preorder_instead_of_topological_order": (
        "value_backward",
        PREORDER_TOPOLOGICAL_ORDER,
        {ORDER, COST_GRADIENTS},
        {ORDER: ["a post-order depth-first search"]},
    ),
    "backward_pushes_along_every_path": (
        "value_backward",
        PUSH_ALONG_EVERY_PATH,
        {BACKWARD, TWICE, COST_GRADIENTS},
        {BACKWARD: ["swept more than once"]},
    ),
    "backward_does_not_reset": (
        "value_backward",
        {"    for node in order:\n        node.grad = 0.0\n": ""},
        {TWICE},
        {TWICE: ["does not reset the gradients before the sweep"]},
    ),
    "cost_sums_instead_of_averaging": (
        "logistic_cost_graph",
        {"J = total_loss / m": "J = total_loss"},
        {COST_VALUE, COST_GRADIENTS},
        {COST_VALUE: ["factor of m"], COST_GRADIENTS: ["factor of m"]},
    ),
    "cost_weights_not_shared": (
        "logistic_cost_graph",
        {"    for i in range(m):\n": "    for i in range(m):\n"
         "        w_values = [Value(float(weight)) for weight in np.asarray(w, dtype=float).reshape(-1)]\n"},
        {COST_GRADIENTS},
        {COST_GRADIENTS: ["w_values[0] is used by 1 node of J's graph", "made inside the loop over examples"]},
    ),
    "cost_m_typed_in": (
        "logistic_cost_graph",
        {"J = total_loss / m": "J = total_loss / 7"},
        {COST_VALUE, COST_GRADIENTS},
        {COST_VALUE: ["typed in as 7, the visible test's m"], COST_GRADIENTS: ["typed in as 7, the visible test's m"]},
    ),
    "cost_n_x_typed_in": (
        "logistic_cost_graph",
        {"        for j in range(n_x):\n": "        for j in range(3):\n"},
        {COST_VALUE, COST_GRADIENTS},
        {COST_VALUE: ["the loop over the features stops early"],
         COST_GRADIENTS: ["the loop over the features stops early"]},
    ),
    "cost_closed_form_in_one_node": (
        "logistic_cost_graph",
        COST_IN_ONE_NUMPY_NODE,
        {COST_GRADIENTS},
        {COST_GRADIENTS: ["w_values[0] is used by 1 node of J's graph", "not built example by example"]},
    ),
}

# Correct answers written differently from the solution: each must get every autograded point.
ACCEPTED = {
    # isinstance instead of as_value; __rmul__ through `*` with the operands swapped.
    "mul_isinstance_style": ("value_mul", '''
@add_to_class(Value)
def __mul__(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


@add_to_class(Value)
def __rmul__(self, other):
    return self * other
'''),
    # numpy functions; sigmoid as 1 / (1 + e^-a) in numpy, which gives 0.0 with an overflow warning at a = -1000;
    # gradients become numpy floats.
    "numpy_exp_log_sigmoid": ("value_exp_log_sigmoid", '''
@add_to_class(Value)
def exp(self):
    out = Value(np.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += np.exp(self.data) * out.grad

    out._backward = _backward
    return out


@add_to_class(Value)
def log(self):
    out = Value(np.log(self.data), (self,), "log")

    def _backward():
        self.grad += out.grad * (1 / self.data)

    out._backward = _backward
    return out


@add_to_class(Value)
def sigmoid(self):
    s = 1 / (1 + np.exp(-np.float64(self.data)))
    out = Value(s, (self,), "sigmoid")

    def _backward():
        self.grad += out.grad * out.data * (1 - out.data)

    out._backward = _backward
    return out
'''),
    # sigmoid through the course's stable utils.activations.sigmoid on a one-element array.
    "sigmoid_from_utils_activations": ("value_exp_log_sigmoid", solution_code(ASSIGNMENT)["value_exp_log_sigmoid"].replace(
        "    if self.data >= 0:\n        s = 1.0 / (1.0 + math.exp(-self.data))\n"
        "    else:\n        e = math.exp(self.data)\n        s = e / (1.0 + e)\n",
        "    s = float(activations.sigmoid(np.array([self.data]))[0])\n")),
    # A recursive depth-first search; integer seeds and resets; the sweep over a reversed copy.
    "recursive_topological_order": ("value_backward", RECURSIVE_TOPOLOGICAL_ORDER + '''

@add_to_class(Value)
def backward(self):
    order = self.topological_order()
    for node in order:
        node.grad = 0
    self.grad = 1
    for node in order[::-1]:
        node._backward()
'''),
    # numpy scalars as data and on the left of `*`, sum() with a Value start, a mean written as * (1 / m).
    "cost_graph_numpy_scalars": ("logistic_cost_graph", '''
def logistic_cost_graph(w, b, X, Y):
    n_x, m = X.shape
    w_values = [Value(weight) for weight in w[:, 0]]
    b_value = Value(b)
    losses = []
    for i in range(m):
        z = sum((X[j, i] * w_values[j] for j in range(n_x)), b_value)
        a = z.sigmoid()
        y = Y[0, i]
        losses.append(-(y * a.log() + (1 - y) * (1 - a).log()))
    J = sum(losses) * (1 / m)
    return J, w_values, b_value
'''),
}


@pytest.fixture(scope="module")
def results():
    return grade_variants(ASSIGNMENT, MISTAKES, ACCEPTED)


def test_grading_runs_without_problems(results):
    assert_no_grading_problems(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    assert_designed_points(results, AUTOGRADED_POINTS)


def test_solution_gets_every_autograded_point(results):
    assert_solution_gets_every_point(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("alternative", sorted(ACCEPTED))
def test_correct_alternatives_get_every_point(results, alternative):
    result = results[alternative]
    assert result.total == result.max_total == sum(AUTOGRADED_POINTS.values()), (
        describe({alternative: result}) + "\n" + "\n".join(result.feedback[cell] for cell in sorted(result.failed)))


def test_blank_release_gets_zero_and_says_not_implemented(results):
    assert_blank_gets_zero(results, AUTOGRADED_POINTS)


def test_addition_is_given_and_the_derivation_is_graded_by_hand():
    solutions = solution_code(ASSIGNMENT)
    assert "Mark scheme" in solutions[MANUALLY_GRADED]
    assert "value_add" not in solutions, "`+` is the given worked example, not an answer cell"
    release = blank_submission(ASSIGNMENT)
    text = "\n".join(cell.source for cell in release.cells)
    assert "Mark scheme" not in text and "Model answer" not in text
    assert "def __add__(self, other):" in text and "self.grad += out.grad * 1.0" in text


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    assert_loses_exactly(results, mistake, MISTAKES[mistake][2])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])
