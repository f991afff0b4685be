"""utils.testing.unit2 (assignment 2's visible test logic) and autograder.hidden.unit2 (its hidden half).

The student's side is the assignment's own code: the given cells and the
solutions of source/02_computation_graph, run in a fresh namespace as a
notebook would run them (`notebook()`), with one answer cell changed to make
a typical mistake. So these tests pin the checks to the real assignment;
tests/test_unit2_grading.py proves the same through nbgrader end to end.
"""

import json
import math
import re

import numpy as np
import pytest

from autograder.hidden import unit2 as hidden
from tests.nbgrade_support import notebook_path
from utils.gradcheck import numerical_gradient
from utils.testing import unit2
from utils.testing._common import GraderBugError, signature_difference

ASSIGNMENT = "02_computation_graph"
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def _code_cells():
    cells = json.loads(notebook_path("source", ASSIGNMENT).read_text(encoding="utf-8"))["cells"]
    return [(cell["metadata"]["nbgrader"]["grade_id"], cell) for cell in cells if cell["cell_type"] == "code"]


def notebook(**changes):
    """A namespace holding the assignment's given code and solutions; changes: {grade_id: {old: new}}."""
    namespace = {"__name__": "notebook"}
    for grade_id, cell in _code_cells():
        meta = cell["metadata"]["nbgrader"]
        if meta.get("grade") or grade_id == "value_add_demo":
            continue
        source = _MARKER.sub("", cell["source"])
        for old, new in changes.get(grade_id, {}).items():
            assert source.count(old) == 1, (grade_id, old)
            source = source.replace(old, new)
        exec(compile(source, f"<{grade_id}>", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def solved():
    return notebook()


def binary_inputs(Value):
    a, b = Value(2.5), Value(-1.5)
    a.grad, b.grad = 0.25, -0.5
    return a, b


def unary_input(Value):
    a = Value(0.8)
    a.grad = 0.25
    return a


MUL_LINES = "        self.grad += out.grad * other.data\n"


# ---------------------------------------------------------------------------------------------
# The assignment's signatures
# ---------------------------------------------------------------------------------------------


def test_signatures_are_the_solution_def_lines(solved):
    import inspect

    for name, text in unit2.SIGNATURES.items():
        function = solved["Value"].__dict__.get(name) or solved.get(name)
        assert function is not None, name
        assert signature_difference(function, text) is None, (name, inspect.signature(function))
    assert hidden.SIGNATURES is unit2.SIGNATURES


# ---------------------------------------------------------------------------------------------
# Parts 1-3
# ---------------------------------------------------------------------------------------------


def test_accumulation_suspects_are_what_each_wrong_rule_leaves():
    suspects = unit2.accumulation_suspects([0.25, -0.5], [-3.0, 5.0], 2.0)
    assert np.allclose(suspects[unit2.OVERWRITES], [-3.0, 5.0])
    assert np.allclose(suspects[unit2.MIXED.format(overwritten="self", added="other")], [-3.0, 4.5])
    assert np.allclose(suspects[unit2.MIXED.format(overwritten="other", added="self")], [-2.75, 5.0])
    assert np.allclose(suspects[unit2.NOT_STORED], [0.25, -0.5])
    assert np.allclose(suspects[unit2.NO_UPSTREAM], [0.25 - 1.5, -0.5 + 2.5])
    one = unit2.accumulation_suspects([0.25], [-2.0], 1.0, ("self",))
    assert set(one) == {unit2.OVERWRITES, unit2.NOT_STORED}   # out.grad = 1 cannot reveal a missing out.grad


def test_the_solution_passes_parts_1_to_3(solved, capsys):
    Value = solved["Value"]
    unit2.test_mul(*binary_inputs(Value))
    unit2.test_sub_div_neg(*binary_inputs(Value))
    unit2.test_exp_log_sigmoid(unary_input(Value))
    printed = capsys.readouterr().out
    for name in ("test_mul", "test_sub_div_neg", "test_exp_log_sigmoid"):
        assert f"{name}: all checks passed" in printed


@pytest.mark.parametrize("old, new, phrase", [
    (MUL_LINES, MUL_LINES.replace("+=", "="), "`=` on one line and `+=` on the other: the line for self overwrites"),
    ("        other.grad += out.grad * self.data\n", "        other.grad = out.grad * self.data\n",
     "`=` on one line and `+=` on the other: the line for other overwrites"),
    ("    out._backward = _backward\n", "    out._backward = _backward()\n", "CALLED the inner function"),
    ("    out._backward = _backward\n", "", unit2.NOT_STORED),
    ("        self.grad += out.grad * other.data\n        other.grad += out.grad * self.data\n",
     "        self.grad += out.grad * self.data\n        other.grad += out.grad * other.data\n", "OTHER factor"),
    ("        self.grad += out.grad * other.data\n        other.grad += out.grad * self.data\n",
     "        self.grad += other.data\n        other.grad += self.data\n", unit2.NO_UPSTREAM),
    ("    other = as_value(other)\n", "", "`a * 4` raised AttributeError"),
    ('    out = Value(self.data * other.data, (self, other), "*")\n',
     '    out = Value(self.data * other.data, (other, Value(1.0)), "*")\n', "it must be ONE new node whose children"),
])
def test_typical_mul_mistakes_are_named(old, new, phrase):
    Value = notebook(value_mul={old: new})["Value"]
    with pytest.raises(AssertionError) as failure:
        unit2.test_mul(*binary_inputs(Value))
    assert phrase in str(failure.value)


def test_the_mixed_rule_is_named_even_though_c_times_c_would_pass():
    # `=` on the first line and `+=` on the second gives c * c right from zero; only gradients collected
    # elsewhere expose it, which is why the test starts a and b with gradients of their own.
    Value = notebook(value_mul={MUL_LINES: MUL_LINES.replace("+=", "=")})["Value"]
    c = Value(3.0)
    square = c * c
    square.grad = 1.0
    square._backward()
    assert c.grad == 6.0


def test_a_missing_reflected_method_is_named():
    Value = notebook(value_mul={"    return as_value(other) * self\n": "    return NotImplemented\n"})["Value"]
    with pytest.raises(AssertionError, match=r"(?s)`4 \* a` raised TypeError .*__rmul__"):
        unit2.test_mul(*binary_inputs(Value))


@pytest.mark.parametrize("old, new, phrase", [
    ("        other.grad += -out.grad\n", "        other.grad += out.grad\n", "d(a - b)/db is -1"),
    ("other.grad += -out.grad * self.data / other.data**2", "other.grad += out.grad * self.data / other.data**2",
     "the minus sign is missing"),
    ("self.grad += out.grad / other.data\n", "self.grad = out.grad / other.data\n", "the line for self overwrites"),
    ("        self.grad += -out.grad\n", "        self.grad += out.grad\n", unit2.NEG_SIGN),
    ("    return as_value(other) - self\n", "    return self - as_value(other)\n", "__rsub__ computed self - other"),
    ('    out = Value(self.data - other.data, (self, other), "-")\n',
     '    return self + (-other)\n    out = None\n', "write it as its own operation"),
])
def test_typical_sub_div_neg_mistakes_are_named(old, new, phrase):
    Value = notebook(value_sub_div_neg={old: new})["Value"]
    with pytest.raises(AssertionError) as failure:
        unit2.test_sub_div_neg(*binary_inputs(Value))
    assert phrase in str(failure.value)


@pytest.mark.parametrize("old, new, phrase", [
    ("        self.grad += out.grad * out.data\n", "        self.grad += out.grad * self.data\n", "taken as a;"),
    ("        self.grad += out.grad / self.data\n", "        self.grad += out.grad / self.data**2\n", "1/a**2"),
    ("self.grad += out.grad * s * (1.0 - s)", "self.grad += out.grad * s", "taken as s = sigmoid(a)"),
    ("self.grad += out.grad * s * (1.0 - s)", "self.grad = out.grad * s * (1.0 - s)", unit2.OVERWRITES),
    ("    if self.data >= 0:\n        s = 1.0 / (1.0 + math.exp(-self.data))\n"
     "    else:\n        e = math.exp(self.data)\n        s = e / (1.0 + e)\n",
     "    s = 1.0 / (1.0 + math.exp(-self.data))\n", "OverflowError"),
])
def test_typical_exp_log_sigmoid_mistakes_are_named(old, new, phrase):
    Value = notebook(value_exp_log_sigmoid={old: new})["Value"]
    with pytest.raises(AssertionError) as failure:
        unit2.test_exp_log_sigmoid(unary_input(Value))
    assert phrase in str(failure.value)


@pytest.mark.parametrize("make", [
    lambda Value: (Value(3.0), Value(-1.5)),
    lambda Value: (Value(2.5), Value(-1.5)),          # no gradients collected before
])
def test_parts_1_and_2_know_only_their_own_inputs(solved, make):
    Value = solved["Value"]
    for test in (unit2.test_mul, unit2.test_sub_div_neg):
        with pytest.raises(AssertionError, match="(?s)knows only the inputs its test cell builds.*test cell was edited"):
            test(*make(Value))
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds"):
        unit2.test_exp_log_sigmoid(Value(0.9))


def test_unary_suspects_never_take_the_log_of_a_negative_number():
    for x in (-2.0, 0.5, 1.0, 3.0):
        assert unit2.unary_suspects("exp", x, 0.1, 2.0)
        assert unit2.unary_suspects("sigmoid", x, 0.1, 2.0)
    assert unit2.unary_suspects("log", 1.0, 0.1, 2.0)   # log(1) = 0: the 1/log(a) suspect is left out


# ---------------------------------------------------------------------------------------------
# Part 4
# ---------------------------------------------------------------------------------------------


def test_the_test_graphs_hold_what_their_docstrings_say(solved):
    Value = solved["Value"]
    graph = unit2.shared_graph(Value)
    x, y = graph["x"].data, graph["y"].data
    assert graph["J"].data == pytest.approx(math.exp(x * y) + (x * y) ** 2 + y)
    assert graph["q"].children == (graph["a"], graph["a"])
    chain = unit2.chain_graph(Value, x=1.1)
    assert list(chain) == ["x", "c1", "c2", "c3", "c4", "c5"]
    assert chain["c5"].data == pytest.approx(1.1**6)


def test_the_hand_derived_gradients_of_the_shared_graph_match_finite_differences(solved):
    Value = solved["Value"]
    for x, y in ((0.5, -1.2), (-0.7, 0.3)):
        expected = unit2.shared_graph_gradients(unit2.shared_graph(Value, x, y))
        numeric = numerical_gradient(lambda v: unit2.shared_graph(Value, v[0], v[1])["J"].data, np.array([x, y]))
        assert np.allclose([expected["x"], expected["y"]], numeric, rtol=1e-6)


def test_the_solution_passes_part_4(solved, capsys):
    Value = solved["Value"]
    unit2.test_topological_order(unit2.shared_graph(Value), unit2.chain_graph(Value), Value(2.0))
    unit2.test_backward_shared_and_order(unit2.shared_graph(Value), unit2.chain_graph(Value, x=1.1))
    unit2.test_backward_twice_resets(unit2.shared_graph(Value))
    assert capsys.readouterr().out.count("all checks passed") == 3


PREORDER = {"            order.append(node)\n": "            order.insert(0, node)\n"}


def test_a_wrong_topological_order_is_named_and_does_not_cost_the_backward_tests():
    Value = notebook(value_backward=PREORDER)["Value"]
    with pytest.raises(AssertionError, match="comes before its child|the root J must come last"):
        unit2.test_topological_order(unit2.shared_graph(Value), unit2.chain_graph(Value), Value(2.0))
    # backward() runs on the stand-in's known order, so it passes although topological_order is wrong.
    unit2.test_backward_shared_and_order(unit2.shared_graph(Value), unit2.chain_graph(Value, x=1.1))
    unit2.test_backward_twice_resets(unit2.shared_graph(Value))


@pytest.mark.parametrize("old, new, phrase", [
    ("    for node in reversed(order):\n", "    for node in order:\n", "swept in topological order (leaves first)"),
    ("    self.grad = 1.0\n", "", "J.grad was not set to 1.0"),
])
def test_typical_backward_mistakes_are_named(old, new, phrase):
    Value = notebook(value_backward={old: new})["Value"]
    with pytest.raises(AssertionError, match=re.escape(phrase)):
        unit2.test_backward_shared_and_order(unit2.shared_graph(Value), unit2.chain_graph(Value, x=1.1))


def test_a_backward_without_reset_is_named():
    Value = notebook(value_backward={"    for node in order:\n        node.grad = 0.0\n": ""})["Value"]
    unit2.test_backward_shared_and_order(unit2.shared_graph(Value), unit2.chain_graph(Value, x=1.1))
    with pytest.raises(AssertionError, match="does not reset the gradients"):
        unit2.test_backward_twice_resets(unit2.shared_graph(Value))


def test_the_stand_in_knows_only_the_test_graphs_and_states_the_rule(solved):
    Value = solved["Value"]
    shared = unit2.shared_graph(Value)
    with unit2.known_topological_order(shared) as fake:
        assert Value.topological_order is fake and solved["topological_order"] is fake
        assert shared["J"].topological_order() == list(shared.values())
        order = shared["J"].topological_order()
        order.reverse()                                  # the student may change the list it gets
        assert shared["J"].topological_order() == list(shared.values())
        with pytest.raises(AssertionError, match="Rule: backward\\(\\) takes its order from self.topological_order"):
            shared["a"].topological_order()
    assert Value.__dict__["topological_order"] is solved["topological_order"]


def test_a_backward_that_asks_for_another_order_is_told_the_rule():
    Value = notebook(value_backward={"    order = self.topological_order()\n":
                                     "    order = self.children[0].topological_order() + [self]\n"})["Value"]
    with pytest.raises(AssertionError, match="called with inputs this test did not give it"):
        unit2.test_backward_shared_and_order(unit2.shared_graph(Value), unit2.chain_graph(Value, x=1.1))


def test_replaced_method_restores_on_error_and_refuses_a_wrong_signature(solved):
    Value = solved["Value"]
    original = Value.__dict__["backward"]

    def backward(self):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError), unit2.replaced_method(Value, "backward", backward):
        Value(1.0).backward()
    assert Value.__dict__["backward"] is original

    def wrong(node):
        return []

    with pytest.raises(GraderBugError, match="signature"), unit2.replaced_method(Value, "topological_order", wrong):
        pass
    assert Value.__dict__["topological_order"] is solved["topological_order"]

    class Bare:
        pass

    with unit2.replaced_method(Bare, "backward", backward):
        assert Bare.backward is backward
    assert "backward" not in Bare.__dict__


def test_part_4_knows_only_its_own_graphs(solved):
    Value = solved["Value"]
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds"):
        unit2.test_backward_shared_and_order(unit2.shared_graph(Value, 0.4, -1.2), unit2.chain_graph(Value, x=1.1))
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds"):
        unit2.test_topological_order(unit2.shared_graph(Value), unit2.chain_graph(Value, length=4), Value(2.0))


# ---------------------------------------------------------------------------------------------
# Part 5
# ---------------------------------------------------------------------------------------------


def test_logistic_problem_is_seeded_and_has_both_labels():
    w, b, X, Y = unit2.logistic_problem(seed=201)
    assert w.shape == (3, 1) and isinstance(b, float) and X.shape == (3, 7) and Y.shape == (1, 7)
    assert 0 < Y.sum() < 7
    again = unit2.logistic_problem(seed=201)
    assert all(np.array_equal(p, q) for p, q in zip((w, X, Y), (again[0], again[2], again[3]))) and b == again[1]


def test_the_solution_passes_part_5(solved, capsys):
    Value, graph = solved["Value"], solved["logistic_cost_graph"]
    unit2.test_logistic_cost_graph_value(graph, Value, *unit2.logistic_problem(seed=201))
    unit2.test_logistic_cost_graph_gradients(graph, Value, *unit2.logistic_problem(seed=202))
    assert capsys.readouterr().out.count("all checks passed") == 2


@pytest.mark.parametrize("old, new, test, phrase", [
    ("J = total_loss / m", "J = total_loss", "value", "factor of m"),
    ("    for i in range(m):\n", "    for i in range(m):\n        w_values = [Value(float(v)) for v in w[:, 0]]\n",
     "gradients", "w_values[0] is used by 1 node of J's graph"),
    ("        loss = -(y * a.log() + (1.0 - y) * (1.0 - a).log())\n",
     "        loss = -(y * a.log())\n", "value", "the (1 - y) log(1 - a) term of the loss is missing"),
    ("        z = b_value\n", "        z = Value(0.0)\n", "value", "['b_value'] are not part of J's graph"),
])
def test_typical_cost_graph_mistakes_are_named(old, new, test, phrase):
    namespace = notebook(logistic_cost_graph={old: new})
    check = {"value": (unit2.test_logistic_cost_graph_value, 201),
             "gradients": (unit2.test_logistic_cost_graph_gradients, 202)}[test]
    with pytest.raises(AssertionError) as failure:
        check[0](namespace["logistic_cost_graph"], namespace["Value"], *unit2.logistic_problem(seed=check[1]))
    assert phrase in str(failure.value)


def test_part_5_knows_only_its_own_batches(solved):
    Value, graph = solved["Value"], solved["logistic_cost_graph"]
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds: w "):
        unit2.test_logistic_cost_graph_value(graph, Value, *unit2.logistic_problem(seed=202))
    w, b, X, Y = unit2.logistic_problem(seed=202)
    with pytest.raises(AssertionError, match="knows only the inputs its test cell builds: b"):
        unit2.test_logistic_cost_graph_gradients(graph, Value, w, b + 1.0, X, Y)


def test_a_blank_operator_that_part_5_needs_is_named():
    namespace = notebook(value_sub_div_neg={"    return as_value(other) - self\n": "    raise NotImplementedError()\n"})
    with pytest.raises(AssertionError, match="logistic_cost_graph needs __rsub__, which is not implemented yet"):
        unit2.test_logistic_cost_graph_value(namespace["logistic_cost_graph"], namespace["Value"],
                                             *unit2.logistic_problem(seed=201))
    blank = notebook(logistic_cost_graph={"    w_values = [": "    raise NotImplementedError()\n    w_values = ["})
    with pytest.raises(AssertionError, match="^logistic_cost_graph is not implemented yet"):
        unit2.test_logistic_cost_graph_value(blank["logistic_cost_graph"], blank["Value"],
                                             *unit2.logistic_problem(seed=201))


def test_a_node_whose_rule_was_called_instead_of_stored_is_named(solved):
    Value = notebook(value_mul={"    out._backward = _backward\n": "    out._backward = _backward()\n"})["Value"]
    J = Value(2.0) * 3.0 + 1.0
    with pytest.raises(AssertionError, match="operation '\\*' has _backward = None"):
        unit2.check_backward_rules_stored(J)
    unit2.check_backward_rules_stored(solved["Value"](2.0) * 3.0 + 1.0)


# ---------------------------------------------------------------------------------------------
# The hidden half
# ---------------------------------------------------------------------------------------------


def test_the_reference_topological_order_is_one_and_has_no_recursion_limit(solved):
    Value = solved["Value"]
    rng = np.random.default_rng(0)
    for _ in range(20):
        graph = hidden._reachable_part(hidden._graph(Value, hidden._random_recipe(rng, 3), [0.1, 0.2, 0.3]))
        order = hidden.topological_order(list(graph.values())[-1])
        position = {id(node): k for k, node in enumerate(order)}
        assert len(order) == len(graph) == len(position)
        assert all(position[id(child)] < position[id(node)] for node in graph.values() for child in node.children)
    node = Value(1.0)
    for _ in range(5000):
        node = node + 1.0
    assert len(hidden.topological_order(node)) == 10001


def test_the_hidden_tests_pass_the_solution(solved, capsys):
    Value = solved["Value"]
    for test in (hidden.test_mul, hidden.test_sub_div_neg, hidden.test_exp_log_sigmoid, hidden.test_topological_order,
                 hidden.test_backward_shared_and_order, hidden.test_backward_twice_resets):
        test(Value)
    hidden.test_logistic_cost_graph_value(solved["logistic_cost_graph"], Value)
    hidden.test_logistic_cost_graph_gradients(solved["logistic_cost_graph"], Value)
    printed = capsys.readouterr().out
    assert printed.count("hidden test, seed") == 8 and printed.count("all checks passed") == 8


def test_hidden_batches_never_have_the_visible_sizes():
    rng = np.random.default_rng(5)
    for _ in range(200):
        w, b, X, Y, where = hidden._hidden_problem(rng)
        assert X.shape[0] > unit2.VISIBLE_N_X and X.shape[1] != unit2.VISIBLE_M and X.shape[1] != X.shape[0]
        assert "hidden test" in where


def test_hidden_tests_refuse_the_test_helpers_and_the_autodiff_engine():
    helper = notebook(value_mul={
        '    out = Value(self.data * other.data, (self, other), "*")\n\n    def _backward():\n'
        "        self.grad += out.grad * other.data\n        other.grad += out.grad * self.data\n\n"
        "    out._backward = _backward\n    return out\n":
        "    from utils.testing import unit2\n"
        '    return unit2.operation(Value, self.data * other.data, (self, other), (other.data, self.data), "*")\n'})
    unit2.test_mul(*binary_inputs(helper["Value"]))                    # the visible test cannot tell
    with pytest.raises(AssertionError, match="called utils.testing.unit2.operation"):
        hidden.test_mul(helper["Value"])
    engine = notebook(value_exp_log_sigmoid={"        self.grad += out.grad / self.data\n":
                                             "        from utils import autodiff\n"
                                             "        t = autodiff.Tensor(np.array([self.data]))\n"
                                             "        autodiff.backpropagate(autodiff.log(t).sum())\n"
                                             "        self.grad += out.grad * float(t.grad[0])\n"})
    unit2.test_exp_log_sigmoid(unary_input(engine["Value"]))
    with pytest.raises(AssertionError, match="called utils.autodiff"):
        hidden.test_exp_log_sigmoid(engine["Value"])


def test_hidden_tests_name_the_visible_m_typed_in():
    namespace = notebook(logistic_cost_graph={"J = total_loss / m": "J = total_loss / 7"})
    unit2.test_logistic_cost_graph_value(namespace["logistic_cost_graph"], namespace["Value"],
                                         *unit2.logistic_problem(seed=201))
    with pytest.raises(AssertionError, match="typed in as 7, the visible test's m"):
        hidden.test_logistic_cost_graph_value(namespace["logistic_cost_graph"], namespace["Value"])
    with pytest.raises(AssertionError, match="typed in as 7, the visible test's m"):
        hidden.test_logistic_cost_graph_gradients(namespace["logistic_cost_graph"], namespace["Value"])


def test_hidden_backward_runs_on_the_reference_order_and_restores_it(solved):
    Value = notebook(value_backward=PREORDER)["Value"]
    own = Value.__dict__["topological_order"]
    hidden.test_backward_shared_and_order(Value)
    hidden.test_backward_twice_resets(Value)
    assert Value.__dict__["topological_order"] is own
