"""Unit 2 (02_computation_graph): proof that the grading is right.

One nbgrader autograde run grades the solution, the blank release and one
submission per typical mistake. Each mistake is the solution with one
answer cell edited the way students get it wrong; it must lose exactly the
test cells listed for it, and the feedback of the first of them must name
the mistake.
"""

import pytest

from tests.nbgrade_support import autograde, blank_submission, describe, solution_code, submission_with

pytestmark = pytest.mark.slow

ASSIGNMENT = "02_computation_graph"

ALL_TESTS = {
    "test_add_mul",
    "test_sub_div_neg",
    "test_exp_log_sigmoid",
    "test_topological_order",
    "test_backward_shared_and_order",
    "test_backward_twice_resets",
    "test_logistic_cost_graph_value",
    "test_logistic_cost_graph_gradients",
}
COST_GRADIENTS = "test_logistic_cost_graph_gradients"

PREORDER_BACKWARD = '''
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

RECURSIVE_BACKWARD = '''
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


def _edit(grade_id, old, new):
    """The solution of one answer cell with `old` replaced by `new` (which must occur exactly once)."""
    code = solution_code(ASSIGNMENT)[grade_id]
    assert code.count(old) == 1, f"{grade_id}: expected exactly one {old!r} in the solution"
    return {grade_id: code.replace(old, new)}


# name -> (replacements, test cells that must fail, {failing test cell: text its feedback must contain})
MISTAKES = {
    "add_overwrites_grad": (
        _edit("value_add_mul", "self.grad += out.grad\n        other.grad += out.grad",
              "self.grad = out.grad\n        other.grad = out.grad"),
        {"test_add_mul", COST_GRADIENTS},
        {"test_add_mul": "instead of adding to them"},
    ),
    "mul_local_derivative_is_own_factor": (
        _edit("value_add_mul", "self.grad += out.grad * other.data\n        other.grad += out.grad * self.data",
              "self.grad += out.grad * self.data\n        other.grad += out.grad * other.data"),
        {"test_add_mul", COST_GRADIENTS},
        {"test_add_mul": "the derivative with respect to one factor is the OTHER factor"},
    ),
    "sub_sign_of_second_operand": (
        _edit("value_sub_div_neg", "other.grad += -out.grad\n", "other.grad += out.grad\n"),
        {"test_sub_div_neg", COST_GRADIENTS},
        {"test_sub_div_neg": "subtraction sign: d(a - b)/db is -1"},
    ),
    "div_derivative_missing_minus": (
        _edit("value_sub_div_neg", "other.grad += -out.grad * self.data / other.data**2",
              "other.grad += out.grad * self.data / other.data**2"),
        {"test_sub_div_neg"},
        {"test_sub_div_neg": "d(a/b)/db = -a/b**2; the minus sign is missing"},
    ),
    "log_derivative_one_over_a_squared": (
        _edit("value_exp_log_sigmoid", "self.grad += out.grad / self.data\n",
              "self.grad += out.grad / self.data**2\n"),
        {"test_exp_log_sigmoid", COST_GRADIENTS},
        {"test_exp_log_sigmoid": "d(log a)/da was taken as 1/a**2"},
    ),
    "sigmoid_derivative_is_s": (
        _edit("value_exp_log_sigmoid", "self.grad += out.grad * s * (1.0 - s)", "self.grad += out.grad * s"),
        {"test_exp_log_sigmoid", COST_GRADIENTS},
        {"test_exp_log_sigmoid": "sigmoid' was taken as s = sigmoid(a)"},
    ),
    "sigmoid_overflows": (
        _edit("value_exp_log_sigmoid",
              "if self.data >= 0:\n        s = 1.0 / (1.0 + math.exp(-self.data))\n"
              "    else:\n        e = math.exp(self.data)\n        s = e / (1.0 + e)",
              "s = 1.0 / (1.0 + math.exp(-self.data))"),
        {"test_exp_log_sigmoid"},
        {"test_exp_log_sigmoid": "OverflowError"},
    ),
    "preorder_instead_of_topological_order": (
        {"value_backward": PREORDER_BACKWARD},
        {"test_topological_order", "test_backward_shared_and_order", "test_backward_twice_resets", COST_GRADIENTS},
        {
            "test_topological_order": "a post-order depth-first search",
            "test_backward_shared_and_order": "REVERSE topological order",
        },
    ),
    "recursive_push_along_every_path": (
        {"value_backward": RECURSIVE_BACKWARD},
        {"test_backward_shared_and_order", "test_backward_twice_resets", COST_GRADIENTS},
        {"test_backward_shared_and_order": "swept more than once"},
    ),
    "backward_does_not_reset": (
        _edit("value_backward", "    for node in order:\n        node.grad = 0.0\n", ""),
        {"test_backward_twice_resets"},
        {"test_backward_twice_resets": "does not reset the gradients before the sweep"},
    ),
    "cost_sums_instead_of_averaging": (
        _edit("logistic_cost_graph", "J = total_loss / m", "J = total_loss"),
        {"test_logistic_cost_graph_value", COST_GRADIENTS},
        {"test_logistic_cost_graph_value": "factor of m", COST_GRADIENTS: "factor of m"},
    ),
    "cost_weights_not_shared": (
        _edit("logistic_cost_graph", "    for i in range(m):\n",
              "    for i in range(m):\n"
              "        w_values = [Value(float(weight)) for weight in np.asarray(w, dtype=float).reshape(-1)]\n"),
        {COST_GRADIENTS},
        {COST_GRADIENTS: "only one example's contribution reached w_values"},
    ),
}


@pytest.fixture(scope="module")
def results():
    submissions = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT)}
    for name, (replacements, _, _) in MISTAKES.items():
        submissions[name] = submission_with(ASSIGNMENT, replacements)
    return autograde(ASSIGNMENT, submissions)


def test_grading_ran_without_problems(results):
    problems = {name: result.problems for name, result in results.items() if result.problems}
    assert not problems, describe(results)
    for name, result in results.items():
        assert set(result.scores) == ALL_TESTS, f"{name}: graded cells {sorted(result.scores)}"


def test_solution_gets_every_point(results):
    solution = results["solution"]
    assert solution.failed == set(), describe(results) + "\n" + "\n".join(
        solution.feedback[grade_id] for grade_id in sorted(solution.failed))
    assert solution.total == solution.max_total == 20, describe(results)


def test_blank_gets_zero(results):
    blank = results["blank"]
    assert blank.total == 0 and blank.failed == ALL_TESTS, describe(results)
    for grade_id in ALL_TESTS:
        assert "not implemented" in blank.feedback[grade_id] or "NotImplementedError" in blank.feedback[grade_id], (
            grade_id, blank.feedback[grade_id])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_mistake_loses_the_right_points_and_is_named(results, mistake):
    _, failing, named = MISTAKES[mistake]
    result = results[mistake]
    assert result.failed == failing, f"{mistake}: failed {sorted(result.failed)}, expected {sorted(failing)}\n" + describe(results)
    expected_points = sum(max_points for grade_id, (_, max_points) in result.scores.items() if grade_id not in failing)
    assert result.total == expected_points, describe(results)
    for grade_id, text in named.items():
        assert text in result.feedback[grade_id], f"{mistake}: feedback of {grade_id} does not say {text!r}:\n{result.feedback[grade_id]}"
