"""Assignment 2 (02_computation_graph): the logic behind its visible tests.

Each visible test cell of the assignment builds its inputs and makes one call:

    a, b = Value(2.5), Value(-1.5)
    a.grad, b.grad = 0.25, -0.5
    unit2.test_mul(a, b)

The test functions know their own inputs only (the numbers, graphs and
batches below); given anything else they say that the test cell was changed.
The checks, graph builders and mistake descriptions are shared with the
instructor's hidden tests, which draw fresh
random inputs.

Public API
----------
SIGNATURES                                        the assignment's def lines, for stand-ins
test_mul(a, b)                                    Part 1: `*` and `__rmul__`
test_sub_div_neg(a, b)                            Part 2: `-`, `/`, negation and their reflections
test_exp_log_sigmoid(a)                           Part 3: exp(), log(), sigmoid()
test_topological_order(shared, chain, leaf)       Part 4: topological_order()
test_backward_shared_and_order(shared, chain)     Part 4: backward() sweeps in reverse topological order
test_backward_twice_resets(shared)                Part 4: backward() resets the gradients first
test_logistic_cost_graph_value(logistic_cost_graph, Value, w, b, X, Y)       Part 5: J.data and its leaves
test_logistic_cost_graph_gradients(logistic_cost_graph, Value, w, b, X, Y)   Part 5: dw and db after J.backward()

operation(Value, data, inputs, local_derivatives, op)   a node made by the test, not by the student's operators
shared_graph(Value, x, y) / chain_graph(Value, x, length)   the test graphs, {label: node}, root last
logistic_problem(seed, n_x, m)                      (w, b, X, Y) for Part 5
check_new_node, check_grads, run_backward_rule, check_sigmoid_far_out, check_topological_order,
check_shared_graph_gradients, check_cost_graph_nodes, check_every_copy_uses,
check_backward_rules_stored, check_cost_gradients, build_cost_graph
                                                  the checks (the hidden tests call them too)
with_number(expression, method, thunk)            evaluate `a * 4` & co., naming a missing reflected method
accumulation_suspects(before, added, upstream)    what a _backward that does not ADD would leave
known_topological_order(*graphs)                  backward() runs on a known-correct topological order
replaced_method(cls, name, function)              `replaced` for a method of the student's class

Rules the tests rely on (each is stated in the assignment's instructions):
every operation makes ONE new node whose children are its operands; a
_backward ADDS (+=) out.grad * local derivative to each child's .grad;
backward() takes its order from self.topological_order() called on the node
it was called on (while backward() is tested, that method is a stand-in that
knows only the test's graph); logistic_cost_graph builds one copy of the
prediction graph per example from the very nodes it returns.
"""

import math
import traceback
from contextlib import contextmanager

import numpy as np

from utils.activations import sigmoid as _sigmoid_array
from utils.checks import NUMERICAL_ATOL, NUMERICAL_RTOL, check_array, check_float, check_type, run_student
from utils.gradcheck import numerical_gradient
from utils.losses import compute_cost
from utils.testing._common import (
    GraderBugError,
    changed_test_cell,
    replaced,
    signature_difference,
    stand_in,
    value_difference,
)

__all__ = [
    "SIGNATURES",
    "accumulation_suspects",
    "build_cost_graph",
    "chain_graph",
    "check_backward_rules_stored",
    "check_cost_gradients",
    "check_cost_graph_nodes",
    "check_every_copy_uses",
    "check_grads",
    "check_new_node",
    "check_shared_graph_gradients",
    "check_sigmoid_far_out",
    "check_topological_order",
    "known_topological_order",
    "logistic_problem",
    "method_and_global_replaced",
    "operation",
    "replaced_method",
    "run_backward_rule",
    "shared_graph",
    "test_backward_shared_and_order",
    "test_backward_twice_resets",
    "test_exp_log_sigmoid",
    "test_logistic_cost_graph_gradients",
    "test_logistic_cost_graph_value",
    "test_mul",
    "test_sub_div_neg",
    "test_topological_order",
    "with_number",
]

#: The assignment's def lines (the course's test suite compares them with the instructor's solutions).
SIGNATURES = {
    "__mul__": "(self, other)",
    "__rmul__": "(self, other)",
    "__neg__": "(self)",
    "__sub__": "(self, other)",
    "__rsub__": "(self, other)",
    "__truediv__": "(self, other)",
    "__rtruediv__": "(self, other)",
    "exp": "(self)",
    "log": "(self)",
    "sigmoid": "(self)",
    "topological_order": "(self)",
    "backward": "(self)",
    "logistic_cost_graph": "(w, b, X, Y)",
}

# ----------------------------------------------------------------------------
# The visible tests' own inputs
# ----------------------------------------------------------------------------

#: Parts 1 and 2: {label: (data, the .grad it already holds from elsewhere in a bigger graph)}.
BINARY_START = {"a": (2.5, 0.25), "b": (-1.5, -0.5)}
#: Part 3.
UNARY_START = {"a": (0.8, 0.25)}
#: out.grad when the test calls out._backward().
UPSTREAM = 2.0
#: The plain number combined with a Value on either side.
NUMBER = 4.0
#: out.grad for the expressions with a plain number.
NUMBER_UPSTREAM = 1.5
#: Inputs that make sigmoid overflow when it is computed as 1 / (1 + exp(-a)) only.
HUGE = (-1000.0, 1000.0)
#: Part 4's graphs.
SHARED_XY = (0.5, -1.2)
CHAIN_X_ORDER, CHAIN_X_BACKWARD, CHAIN_LENGTH = 1.5, 1.1, 5
#: Part 5's batches: logistic_problem(seed, VISIBLE_N_X, VISIBLE_M).
VALUE_SEED, GRADIENT_SEED = 201, 202
VISIBLE_N_X, VISIBLE_M = 3, 7

# ----------------------------------------------------------------------------
# Typical mistakes, named once (the hidden tests use the same words)
# ----------------------------------------------------------------------------

OVERWRITES = ("the rule overwrote the gradients (x.grad = ...) instead of adding to them (x.grad += ...): "
              "a node used twice, or a weight shared by the m examples, keeps only its last contribution")
MIXED = ("_backward uses `=` on one line and `+=` on the other: the line for {overwritten} overwrites its "
         ".grad (=) while the line for {added} adds (+=), so a value used twice loses a contribution; "
         "use += on both lines")
NOT_STORED = ("nothing was added: out._backward is still the do-nothing function every Value starts with; "
              "assign your inner function to it (out._backward = _backward, no parentheses)")
NO_UPSTREAM = "out.grad was not multiplied in: the chain rule needs out.grad * local derivative"
ONE_USE_LOST = ("only one of the two contributions arrived: one line of _backward overwrote the other "
                "(`=` on one line and `+=` on the other?), so a value used twice loses a contribution")
OWN_FACTOR = "d(a*b)/da was taken as a (it is b: the derivative with respect to one factor is the OTHER factor)"
REFLECTED_SUB = "__rsub__ computed self - other instead of other - self (Python calls it for 4 - a as a.__rsub__(4))"
REFLECTED_DIV = ("__rtruediv__ computed self / other instead of other / self (Python calls it for 4 / a as "
                 "a.__rtruediv__(4))")
HARD_CODED_M = ("the number of examples was typed in as {m}, the visible test's m; take it from the "
                "inputs, m = X.shape[1]")


def accumulation_suspects(before, added, upstream, names=("self", "other")):
    """{mistake: the .grad values it would leave}, for a _backward that does not simply ADD.

    before:   the .grad of each child before out._backward() ran, e.g. [a.grad, b.grad].
    added:    what a right _backward adds to each (out.grad * local derivative).
    upstream: out.grad (to name a rule that forgot to multiply it in).
    names:    what the lines of _backward are called, ("self", "other") or ("self",).
    Only what the test already knows goes in: these are wrong answers built from it.
    """
    before = np.asarray(before, dtype=np.float64)
    added = np.asarray(added, dtype=np.float64)
    suspects = {OVERWRITES: added}
    if len(names) == 2:
        suspects[MIXED.format(overwritten=names[0], added=names[1])] = np.array([added[0], before[1] + added[1]])
        suspects[MIXED.format(overwritten=names[1], added=names[0])] = np.array([before[0] + added[0], added[1]])
    suspects[NOT_STORED] = before
    if upstream not in (0.0, 1.0):
        suspects[NO_UPSTREAM] = before + added / upstream
    return suspects


# ----------------------------------------------------------------------------
# Running the student's code
# ----------------------------------------------------------------------------


def _run(label, thunk):
    """thunk() with run_student's advice (not implemented yet, a NameError, a shape error).

    A NotImplementedError raised by another of the student's methods than the one `label` names
    (Part 5 reaching an operator of Part 2 that is still blank) names that method.
    """
    def call():
        try:
            return thunk()
        except NotImplementedError as error:
            frames = traceback.extract_tb(error.__traceback__)
            blank = frames[-1].name if frames else None
            if blank and blank not in label and blank != "<lambda>":
                raise AssertionError(
                    f"{label} needs {blank}, which is not implemented yet.\nReplace the line "
                    f"`raise NotImplementedError()` in {blank} with your code (its part comes earlier), then run "
                    "this cell again."
                ) from None
            raise

    return run_student(call, name=label)


def with_number(expression, method, thunk, run=_run):
    """run(expression, thunk) for an expression that combines a Value with a plain number, naming the usual errors.

    A missing reflected method (TypeError "unsupported operand type") and a number used as if it
    were a Value (AttributeError, e.g. `other.data`) become advice.
    """
    try:
        return run(f"{method} ({expression})", thunk)
    except TypeError as error:
        if "unsupported operand" not in str(error):
            raise
        raise AssertionError(
            f"`{expression}` raised TypeError ({error}).\nLikely reason: with a plain number on the left, "
            f"Python calls {method} of the Value on the right; define it (it can reuse the operator you "
            "already wrote)."
        ) from None
    except AttributeError as error:
        raise AssertionError(
            f"`{expression}` raised AttributeError ({error}).\nLikely reason: the plain number was used as if "
            "it were a Value; start the method with other = as_value(other) (or "
            "`other if isinstance(other, Value) else Value(other)`)."
        ) from None


def _require_start(test, nodes, known):
    """Fail unless the nodes are the test's own: {label: node}, known {label: (data, grad)}."""
    for label, node in nodes.items():
        data, grad = known[label]
        if not hasattr(node, "data") or not hasattr(node, "grad"):
            changed_test_cell(test, f"{label} is a {type(node).__name__}, not a Value")
        found = value_difference(node.data, data, f"{label}.data") or value_difference(node.grad, grad, f"{label}.grad")
        if found:
            changed_test_cell(test, found)


def _labels(nodes):
    return {id(node): label for label, node in nodes.items()}


def _shown(children, labels):
    return "(" + ", ".join(labels.get(id(child), repr(child)) for child in children) + ")"


# ----------------------------------------------------------------------------
# Checks shared with the hidden tests
# ----------------------------------------------------------------------------


def check_new_node(label, node, value_class, operands, data, *, hint, where=None):
    """node is ONE new `value_class` whose children are exactly `operands`, with `data`, and a callable _backward.

    label:    the expression, e.g. "a * b".
    operands: [(name, operand)]; an operand is a node (that very object must be a child)
              or a plain number (a new leaf holding it must be a child); the order is free.
    data:     the expected node.data (a float), or None to leave it unchecked here.
    hint:     the likely reason when the children are wrong.
    Returns node.
    """
    look = f"\nLook at: {where.rstrip('.')}." if where else ""
    check_type(label, node, value_class, where=where)
    children = getattr(node, "children", None)
    labels = {id(operand): name for name, operand in operands if isinstance(operand, value_class)}
    matched = isinstance(children, tuple) and len(children) == len(operands)
    free = list(children) if matched else []
    for _, operand in operands if matched else ():
        if isinstance(operand, value_class):
            index = next((k for k, child in enumerate(free) if child is operand), None)
        else:
            index = next((k for k, child in enumerate(free) if isinstance(child, value_class)
                          and id(child) not in labels and child.data == float(operand)), None)
        if index is None:
            matched = False
            break
        free.pop(index)
    if not matched:
        wanted = ", ".join(name if isinstance(operand, value_class) else f"a new leaf holding {operand:g}"
                           for name, operand in operands)
        shown = _shown(children, labels) if isinstance(children, tuple) else repr(children)
        raise AssertionError(
            f"{label} has children {shown}; it must be ONE new node whose children are {wanted}: "
            f"Value(result, children, op).\nLikely reason: {hint}{look}"
        )
    if data is not None:
        check_float(f"({label}).data", node.data, data, where=where)
    if not callable(getattr(node, "_backward", None)):
        raise AssertionError(
            f"({label})._backward is {node._backward!r}, not a function.\nLikely reason: the line "
            "`out._backward = _backward()` CALLED the inner function (and stored what it returned, None); "
            f"store the function itself: out._backward = _backward (no parentheses).{look}"
        )
    return node


def check_grads(label, nodes, expected, *, suspects=None, where=None, rtol=1e-9, atol=1e-12):
    """The .grad of each node ({name: node}) is a float and [grads] equals `expected` (a list of floats)."""
    for name, node in nodes.items():
        check_type(f"{name}.grad", node.grad, float, where=where)
    check_array(label, np.array([float(node.grad) for node in nodes.values()]), np.asarray(expected, dtype=np.float64),
                suspects=suspects, where=where, rtol=rtol, atol=atol)


def run_backward_rule(label, node, upstream, run=_run):
    """Set node.grad = upstream and run the student's node._backward() (no arguments) with run(label, thunk)."""
    node.grad = upstream
    run(f"({label})._backward", node._backward)


def check_topological_order(graph, run=_run):
    """The root's topological_order() lists every node of `graph` once, each after its children, the root last.

    graph: {label: node}, every node reachable from the root, which is the last entry.
    run:   run(label, thunk) runs the student's code (the hidden tests watch what it calls).
    """
    labels = _labels(graph)
    root_label = list(graph)[-1]
    order = run(f"{root_label}.topological_order", graph[root_label].topological_order)
    check_type(f"{root_label}.topological_order()", order, list,
               where="the return statement of topological_order (return a list)")
    listed = [labels.get(id(node), repr(node)) for node in order]
    shown = f"{root_label}.topological_order() is {listed}"
    missing = [label for label in graph if label not in listed]
    assert not missing, (
        f"{shown}: it misses {missing}.\nLikely reason: every node the root depends on, and the root itself, "
        "must be listed; visit the children of every node, not only of the root."
    )
    repeated = sorted({label for label in listed if listed.count(label) > 1})
    assert not repeated, (
        f"{shown}: {repeated} appear more than once.\n"
        "Likely reason: a node reached along two paths was added twice; remember which nodes you have visited."
    )
    strangers = [label for label in listed if label not in graph]
    assert not strangers, (
        f"{shown}: it lists nodes that are not in the graph ({strangers}).\n"
        "Likely reason: new Value objects were made while listing; list the existing nodes themselves."
    )
    position = {label: k for k, label in enumerate(listed)}
    for label, node in graph.items():
        for child in node.children:
            assert position[labels[id(child)]] < position[label], (
                f"{shown}: {label} comes before its child {labels[id(child)]}.\n"
                "Likely reason: a node was appended before its children; append a node only after all of its "
                "children (a post-order depth-first search)."
            )
    assert listed[-1] == root_label, f"{shown}: the root {root_label} must come last."
    print(f"  {root_label}.topological_order() = {listed}: every node once, children first")


def _nodes_of(root):
    """The nodes reachable from root through .children (root included), each once, in no particular order."""
    seen, nodes, todo = set(), [], [root]
    while todo:
        node = todo.pop()
        if id(node) not in seen:
            seen.add(id(node))
            nodes.append(node)
            todo.extend(node.children)
    return nodes


def _reachable(root):
    """The ids of the nodes reachable from root (root included)."""
    return {id(node) for node in _nodes_of(root)}


def check_cost_graph_nodes(J, w_values, b_value, w, b, value_class):
    """J is a node; w_values a list of n_x nodes holding w[:, 0]; b_value holds b; all of them are in J's graph.

    w: (n_x, 1) array; b: a float.
    """
    n_x = w.shape[0]
    where = "the return statement of logistic_cost_graph: return J, w_values, b_value"
    check_type("J", J, value_class, where=where)
    check_type("w_values", w_values, list, length=n_x, where=where)
    for j, node in enumerate(w_values):
        check_type(f"w_values[{j}]", node, value_class, where=where)
    check_type("b_value", b_value, value_class, where=where)
    check_array("[w_values[j].data for each j]", np.array([node.data for node in w_values]), w[:, 0])
    check_float("b_value.data", b_value.data, b)
    reachable = _reachable(J)
    outside = [f"w_values[{j}]" for j, node in enumerate(w_values) if id(node) not in reachable]
    outside += ["b_value"] if id(b_value) not in reachable else []
    assert not outside, (
        f"{outside} are not part of J's graph.\nLikely reason: J was computed from other Value objects (new ones "
        "made inside the loop?) or from plain numbers; build every copy from these very nodes. If only some "
        "weights are missing, the loop over the features stops early: loop over range(n_x) with n_x = X.shape[0], "
        "never a number typed in."
    )


def check_every_copy_uses(J, w_values, b_value, m):
    """Each weight node and the bias node is used by at least m nodes of J's graph: one per copy.

    The cost graph is m copies of the prediction graph z(i) = sum_j w_j x_j(i) + b sharing w and b,
    so each of them feeds (at least) one node in every copy.
    """
    users = {}
    for node in _nodes_of(J):
        for child in set(map(id, node.children)):
            users[child] = users.get(child, 0) + 1
    for label, node in [(f"w_values[{j}]", node) for j, node in enumerate(w_values)] + [("b_value", b_value)]:
        count = users.get(id(node), 0)
        assert count >= m, (
            f"{label} is used by {count} node{'s' if count != 1 else ''} of J's graph, but each of the m = {m} "
            "copies of the prediction graph must use it (z(i) = sum_j w_j x_j(i) + b for every example i), so "
            "that its gradient collects the contributions of all m examples.\n"
            "Likely reason: new nodes were made inside the loop over examples (create w_values and b_value "
            "once, before the loop, and use them in every copy), or J was not built example by example with "
            "your operators.\nLook at: the loop over the examples in logistic_cost_graph."
        )


def check_backward_rules_stored(root):
    """Every node of root's graph has a callable _backward (a node whose rule was called instead is named)."""
    for node in _nodes_of(root):
        if not callable(getattr(node, "_backward", None)):
            raise AssertionError(
                f"A node of J's graph made by the operation {getattr(node, 'op', '?')!r} has _backward = "
                f"{node._backward!r}, not a function, so J.backward() cannot call it.\nLikely reason: that "
                "operation's line `out._backward = _backward()` CALLED the inner function (and stored what it "
                "returned, None); store the function itself: out._backward = _backward (no parentheses).\n"
                "Look at: the operation's method (its own test in Parts 1-3 names it too)."
            )


def check_cost_gradients(w_values, b_value, expected_dw, expected_db, per_example_dw, per_example_db, *,
                         suspects_dw=None, suspects_db=None, where=None):
    """After J.backward(): dw = [w_values[j].grad] as a column equals expected_dw, b_value.grad equals expected_db.

    expected_dw:    (n_x, 1); expected_db: a float.
    per_example_dw: (n_x, m), column i = example i's contribution to dJ/dw (x(i) dz(i) / m);
    per_example_db: (m,), example i's contribution to dJ/db (dz(i) / m). A result that holds
                    only one example's contribution is named.
    Returns (dw, db) as arrays of shapes (n_x, 1) and (1,).
    """
    for j, node in enumerate(w_values):
        check_type(f"w_values[{j}].grad", node.grad, float)
    check_type("b_value.grad", b_value.grad, float)
    dw = np.array([[float(node.grad)] for node in w_values])    # (n_x, 1), the shape of w
    db = np.array([float(b_value.grad)])
    m = per_example_dw.shape[1]
    one_copy = ("only one example's contribution (example {i}) reached {name}: either {name} is not shared (the "
                "other copies used different Value objects; create the nodes once, before the loop), or an "
                "operator's _backward overwrites .grad (=) instead of adding to it (+=), perhaps on one line only")
    where = where or "the local rules of your operators (do the tests of Parts 1-4 pass?), then how each copy uses {}"
    single_dw = {one_copy.format(i=i, name="w_values"): per_example_dw[:, i:i + 1] for i in range(m)}
    single_db = {one_copy.format(i=i, name="b_value"): per_example_db[i:i + 1] for i in range(m)}
    check_array("dw = [w_values[j].grad] as a column", dw, expected_dw, m=m,
                suspects={**single_dw, **(suspects_dw or {})}, where=where.format("w_values"))
    check_array("db = b_value.grad", db, np.array([expected_db]), m=m,
                suspects={**single_db, **(suspects_db or {})}, where=where.format("b_value"))
    return dw, db


# ----------------------------------------------------------------------------
# Nodes and graphs built by the test (independent of the student's operators)
# ----------------------------------------------------------------------------


def operation(value_class, data, inputs, local_derivatives, op):
    """A node made by the test: value_class(data, inputs, op) whose _backward adds out.grad * local to each input.

    inputs: a tuple of nodes; local_derivatives: one float per input.
    """
    out = value_class(data, inputs, op)

    def _backward():
        for node, local in zip(inputs, local_derivatives):
            node.grad += out.grad * local

    out._backward = _backward
    return out


def shared_graph(value_class, x=SHARED_XY[0], y=SHARED_XY[1]):
    """{label: node} for J = exp(x*y) + (x*y)**2 + y: a = x*y feeds p = exp(a) and q = a*a, y feeds a and J.

    The labels are in a topological order (x, y, a, p, q, J); q's children are (a, a).
    """
    x, y = value_class(x), value_class(y)
    a = operation(value_class, x.data * y.data, (x, y), (y.data, x.data), "*")
    p = operation(value_class, math.exp(a.data), (a,), (math.exp(a.data),), "exp")
    q = operation(value_class, a.data * a.data, (a, a), (a.data, a.data), "square")
    J = operation(value_class, p.data + q.data + y.data, (p, q, y), (1.0, 1.0, 1.0), "+")
    return {"x": x, "y": y, "a": a, "p": p, "q": q, "J": J}


def chain_graph(value_class, x=CHAIN_X_ORDER, length=CHAIN_LENGTH):
    """{label: node} for c1 = x*x, c2 = c1*x, ..., c_length = c_(length-1)*x: x feeds every node (c_length = x**(length+1))."""
    node = value_class(x)
    graph = {"x": node}
    for k in range(1, length + 1):
        node = operation(value_class, node.data * x, (node, graph["x"]), (x, node.data), "*")
        graph[f"c{k}"] = node
    return graph


def logistic_problem(seed, n_x=VISIBLE_N_X, m=VISIBLE_M):
    """(w, b, X, Y) drawn from np.random.default_rng(seed): w (n_x, 1), b a float, X (n_x, m), Y (1, m) of 0/1 with both labels."""
    rng = np.random.default_rng(seed)
    w = rng.normal(scale=0.8, size=(n_x, 1))
    b = float(rng.normal(scale=0.5))
    X = rng.normal(size=(n_x, m))
    Y = np.zeros((1, m))
    Y[0, rng.permutation(m)[: int(rng.integers(1, m))]] = 1.0
    return w, b, X, Y


# ----------------------------------------------------------------------------
# Methods of the student's class replaced while a test runs
# ----------------------------------------------------------------------------

_ABSENT = object()


@contextmanager
def replaced_method(value_class, name, function, signatures=SIGNATURES):
    """While the block runs, `value_class.<name>` is `function`; restored afterwards, also on error.

    The method counterpart of utils.testing._common.replaced: `function` must
    have the assignment's signature signatures[name] (GraderBugError otherwise).
    """
    if name not in signatures:
        raise GraderBugError(f"{name!r} has no entry in the unit's SIGNATURES.")
    difference = signature_difference(function, signatures[name])
    if difference is not None:
        raise GraderBugError(
            f"the stand-in that replaces {name} in this test does not have the assignment's signature "
            f"{name}{signatures[name]}: {difference}."
        )
    saved = value_class.__dict__.get(name, _ABSENT)
    setattr(value_class, name, function)
    try:
        yield function
    finally:
        if saved is _ABSENT:
            delattr(value_class, name)
        else:
            setattr(value_class, name, saved)


@contextmanager
def method_and_global_replaced(value_class, name, function, signatures=SIGNATURES):
    """`value_class.<name>` AND the global `name` that value_class.backward sees are `function` for the block.

    A backward() may call self.topological_order() (the method) or topological_order(self) (the
    notebook's global of the same name); both reach `function`.
    """
    with replaced_method(value_class, name, function, signatures), \
            replaced(value_class.backward, name, function, signatures):
        yield function


TOPOLOGICAL_ORDER_RULE = ("backward() takes its order from self.topological_order(), called on the node "
                          "backward() was called on")


@contextmanager
def known_topological_order(*graphs):
    """While the block runs, topological_order is a stand-in that knows only these graphs' roots.

    graphs: {label: node} dicts whose labels are in a topological order, root last (shared_graph,
    chain_graph). So a mistake in topological_order costs points only in its own test.
    Yields the stand-in (its .calls lists each call's arguments).
    """
    roots = [list(graph.values())[-1] for graph in graphs]
    orders = [list(graph.values()) for graph in graphs]
    value_class = type(roots[0])
    fake = stand_in("topological_order", SIGNATURES, cases=[{"self": root} for root in roots],
                    answer=lambda index, arguments: list(orders[index]), rule=TOPOLOGICAL_ORDER_RULE)
    with method_and_global_replaced(value_class, "topological_order", fake):
        yield fake


# ----------------------------------------------------------------------------
# Part 1: *
# ----------------------------------------------------------------------------

LEAF_FOR_NUMBER = "the number must become a new leaf (as_value), and the other child must be a itself."


def _binary_start(test, a, b):
    """(the student's class, (x, y, a0, b0, g)) for the test's own a and b (refused if the cell was edited)."""
    _require_start(test, {"a": a, "b": b}, BINARY_START)
    return type(a), (a.data, b.data, a.grad, b.grad, UPSTREAM)


def test_mul(a, b):
    """a * b: one new node (children a and b), _backward ADDS out.grad times the other factor; c * c; a * 4, 4 * a.

    a, b: Value(2.5) and Value(-1.5), holding .grad 0.25 and -0.5 already (BINARY_START).
    """
    value_class, (x, y, a0, b0, g) = _binary_start("test_mul", a, b)
    where = "_backward inside __mul__"
    out = check_new_node("a * b", _run("__mul__ (a * b)", lambda: a * b), value_class, [("a", a), ("b", b)], x * y,
                         hint="the node was built from other nodes than the operands themselves.", where="__mul__")
    run_backward_rule("a * b", out, g)
    suspects = accumulation_suspects([a0, b0], [g * y, g * x], g)
    suspects[OWN_FACTOR] = np.array([a0 + g * x, b0 + g * y])
    check_grads(f"[a.grad, b.grad] after (a * b)._backward() with out.grad = {g}", {"a": a, "b": b},
                [a0 + g * y, b0 + g * x], suspects=suspects, where=where)

    c = value_class(3.0)
    square = check_new_node("c * c", _run("__mul__ (c * c)", lambda: c * c), value_class, [("c", c), ("c", c)], 9.0,
                            hint="both children must be c itself.", where="__mul__")
    run_backward_rule("c * c", square, 1.0)
    check_grads("c.grad after (c * c)._backward() with c = Value(3.0)", {"c": c}, [6.0],
                suspects={ONE_USE_LOST: np.array([3.0])}, where=where)

    for expression, method, thunk in (("a * 4", "__mul__", lambda: a * NUMBER), ("4 * a", "__rmul__", lambda: NUMBER * a)):
        node = check_new_node(expression, with_number(expression, method, thunk), value_class,
                              [("a", a), ("4", NUMBER)], x * NUMBER, hint=LEAF_FOR_NUMBER, where=method)
        a.grad = 0.0
        run_backward_rule(expression, node, NUMBER_UPSTREAM)
        check_grads(f"a.grad after ({expression})._backward() with out.grad = {NUMBER_UPSTREAM}", {"a": a},
                    [NUMBER_UPSTREAM * NUMBER], where=f"_backward inside {method}")
    print("test_mul: all checks passed")


# ----------------------------------------------------------------------------
# Part 2: -, / and negation
# ----------------------------------------------------------------------------

OWN_OPERATION = ("it was written as a combination of other operations (such as a + (-b) or a * (1 / b)); "
                 "write it as its own operation, with its own local derivatives.")


def sub_suspects(a0, b0, g):
    """{mistake: [a.grad, b.grad]} for a - b (before: a0, b0; out.grad g): the signs."""
    return {
        "subtraction sign: d(a - b)/db is -1, so b.grad must DEcrease by out.grad": np.array([a0 + g, b0 + g]),
        "subtraction sign on the wrong operand: d(a - b)/da = +1 and d(a - b)/db = -1": np.array([a0 - g, b0 + g]),
    }


def div_suspects(x, y, a0, b0, g):
    """{mistake: [a.grad, b.grad]} for a / b at a = x, b = y (before: a0, b0; out.grad g): sign, factor, square, swap."""
    right_a, right_b = a0 + g / y, b0 - g * x / y**2
    return {
        "division: d(a/b)/db = -a/b**2; the minus sign is missing": np.array([right_a, b0 + g * x / y**2]),
        "division: d(a/b)/db = -a/b**2; the factor a is missing (-1/b**2)": np.array([right_a, b0 - g / y**2]),
        "division: d(a/b)/db = -a/b**2; b is not squared (-a/b)": np.array([right_a, b0 - g * x / y]),
        "division: d(a/b)/da = 1/b, not b": np.array([a0 + g * y, right_b]),
        "division: the two local derivatives are swapped between a and b": np.array([a0 - g * x / y**2, b0 + g / y]),
    }


NEG_SIGN = "the sign is missing: d(-a)/da = -1"


def test_sub_div_neg(a, b):
    """-a, a - b, a / b: one node each (children = the operands), signs right, ADDED into .grad; c - c, c / c; numbers.

    a, b: Value(2.5) and Value(-1.5), holding .grad 0.25 and -0.5 already (BINARY_START).
    """
    value_class, (x, y, a0, b0, g) = _binary_start("test_sub_div_neg", a, b)
    both = [("a", a), ("b", b)]

    negated = check_new_node("-a", _run("__neg__ (-a)", lambda: -a), value_class, [("a", a)], -x, hint=OWN_OPERATION,
                             where="__neg__")
    run_backward_rule("-a", negated, g)
    check_grads(f"a.grad after (-a)._backward() with out.grad = {g}", {"a": a}, [a0 - g],
                suspects={NEG_SIGN: np.array([a0 + g]), **accumulation_suspects([a0], [-g], g, ("self",))},
                where="_backward inside __neg__")

    a.grad = a0
    difference = check_new_node("a - b", _run("__sub__ (a - b)", lambda: a - b), value_class, both, x - y,
                                hint=OWN_OPERATION, where="__sub__")
    run_backward_rule("a - b", difference, g)
    check_grads(f"[a.grad, b.grad] after (a - b)._backward() with out.grad = {g}", {"a": a, "b": b},
                [a0 + g, b0 - g], suspects={**sub_suspects(a0, b0, g), **accumulation_suspects([a0, b0], [g, -g], g)},
                where="_backward inside __sub__")

    a.grad, b.grad = a0, b0
    quotient = check_new_node("a / b", _run("__truediv__ (a / b)", lambda: a / b), value_class, both, x / y,
                              hint=OWN_OPERATION, where="__truediv__")
    run_backward_rule("a / b", quotient, g)
    check_grads(f"[a.grad, b.grad] after (a / b)._backward() with out.grad = {g}", {"a": a, "b": b},
                [a0 + g / y, b0 - g * x / y**2],
                suspects={**div_suspects(x, y, a0, b0, g), **accumulation_suspects([a0, b0], [g / y, -g * x / y**2], g)},
                where="_backward inside __truediv__")

    # One value on both sides: c - c and c / c do not depend on c at all.
    for label, method, operator_of, data, one_use in (("c - c", "__sub__", lambda v: v - v, 0.0, -1.0),
                                                      ("c / c", "__truediv__", lambda v: v / v, 1.0, -1.0 / 3.0)):
        c = value_class(3.0)
        out = check_new_node(label, _run(f"{method} ({label})", lambda: operator_of(c)), value_class, [("c", c), ("c", c)], data,
                             hint=OWN_OPERATION, where=method)
        run_backward_rule(label, out, 1.0)
        check_grads(f"c.grad after ({label})._backward() with c = Value(3.0)", {"c": c}, [0.0],
                    suspects={ONE_USE_LOST: np.array([one_use])}, where=f"_backward inside {method}")

    a = value_class(x)
    cases = (("a - 4", "__sub__", lambda: a - NUMBER, x - NUMBER, 1.0),
             ("4 - a", "__rsub__", lambda: NUMBER - a, NUMBER - x, -1.0),
             ("a / 4", "__truediv__", lambda: a / NUMBER, x / NUMBER, 1.0 / NUMBER),
             ("4 / a", "__rtruediv__", lambda: NUMBER / a, NUMBER / x, -NUMBER / x**2))
    nodes = [with_number(expression, method, thunk) for expression, method, thunk, _, _ in cases]
    for node, (expression, method, _, _, _) in zip(nodes, cases):
        check_type(expression, node, value_class, where=method)
    check_array("[(a - 4).data, (4 - a).data, (a / 4).data, (4 / a).data] with a = Value(2.5)",
                np.array([float(node.data) for node in nodes]), np.array([case[3] for case in cases]),
                suspects={REFLECTED_SUB + "; and " + REFLECTED_DIV: np.array([x - NUMBER, x - NUMBER, x / NUMBER, x / NUMBER]),
                          REFLECTED_SUB: np.array([x - NUMBER, x - NUMBER, x / NUMBER, NUMBER / x]),
                          REFLECTED_DIV: np.array([x - NUMBER, NUMBER - x, x / NUMBER, x / NUMBER])},
                where="__rsub__ and __rtruediv__")
    for node, (expression, method, _, _, local) in zip(nodes, cases):
        check_new_node(expression, node, value_class, [("a", a), ("4", NUMBER)], None, hint=LEAF_FOR_NUMBER,
                       where=method)
        a.grad = 0.0
        run_backward_rule(expression, node, NUMBER_UPSTREAM)
        check_grads(f"a.grad after ({expression})._backward() with out.grad = {NUMBER_UPSTREAM}", {"a": a},
                    [NUMBER_UPSTREAM * local], where=f"_backward inside {method}")
    print("test_sub_div_neg: all checks passed")


# ----------------------------------------------------------------------------
# Part 3: exp, log, sigmoid
# ----------------------------------------------------------------------------


def unary_suspects(name, x, a0, g):
    """{mistake: [a.grad]} for a.<name>() at a = x (before: a0; out.grad g), name in exp, log, sigmoid."""
    if name == "exp":
        table = {"d(exp a)/da was taken as a; it is exp(a), the node's own value": g * x}
    elif name == "log":
        table = {
            "d(log a)/da was taken as 1/a**2; it is 1/a": g / x**2,
            "d(log a)/da was taken as -1/a; it is +1/a": -g / x,
            "d(log a)/da was taken as log(a) (the value, not the derivative); it is 1/a": g * math.log(x),
        }
        if x != 1.0:
            table["d(log a)/da was taken as 1/log(a) (the output instead of the input); it is 1/a"] = g / math.log(x)
    else:
        s = float(_sigmoid_array(np.array([x]))[0])
        table = {
            "sigmoid' was taken as s = sigmoid(a); it is s * (1 - s)": g * s,
            "sigmoid' was evaluated at a instead of at s: a * (1 - a); it is s * (1 - s) with s = sigmoid(a)":
                g * x * (1 - x),
            "sigmoid' was taken as 1 - s; it is s * (1 - s)": g * (1 - s),
        }
    return {description: np.array([a0 + added]) for description, added in table.items()}


def test_exp_log_sigmoid(a):
    """a.exp(), a.log(), a.sigmoid(): one node each (child a), local derivative ADDED into a.grad; sigmoid finite at +-1000.

    a: Value(0.8), holding .grad 0.25 already (UNARY_START).
    """
    _require_start("test_exp_log_sigmoid", {"a": a}, UNARY_START)
    value_class = type(a)
    x, a0, g = a.data, a.grad, UPSTREAM
    s = 1.0 / (1.0 + math.exp(-x))
    expected = {"exp": (math.exp(x), math.exp(x)), "log": (math.log(x), 1.0 / x), "sigmoid": (s, s * (1.0 - s))}
    for name, (data, local) in expected.items():
        a.grad = a0
        out = check_new_node(f"a.{name}()", _run(f"{name} (a.{name}())", getattr(a, name)), value_class, [("a", a)], data,
                             hint="it must be ONE node whose only child is a itself (not a chain of operations).",
                             where=name)
        run_backward_rule(f"a.{name}()", out, g)
        suspects = {**unary_suspects(name, x, a0, g), **accumulation_suspects([a0], [g * local], g, ("self",))}
        check_grads(f"a.grad after a.{name}()._backward() with a = Value({x}), out.grad = {g}", {"a": a},
                    [a0 + g * local], suspects=suspects, where=f"_backward inside {name}")
    for big in HUGE:
        check_sigmoid_far_out(value_class, big)
    print("test_exp_log_sigmoid: all checks passed")


def check_sigmoid_far_out(value_class, big, run=_run):
    """Value(big).sigmoid().data is 0 (big < 0) or 1 (big > 0) within 1e-12, with no OverflowError.

    numpy's overflow warning (np.exp(1000) is inf, and 1 / (1 + inf) is exactly 0) is silenced
    here: that answer is right, and a warning on stderr would fail the cell in stock nbgrader.
    """
    try:
        with np.errstate(over="ignore"):
            out = run(f"Value({big:g}).sigmoid", value_class(big).sigmoid)
    except OverflowError:
        raise AssertionError(
            f"Value({big:g}).sigmoid() raised OverflowError.\nLikely reason: math.exp of a large number overflows; "
            "for a < 0 compute exp(a) / (1 + exp(a)), which only takes exp of a negative number."
        ) from None
    check_type(f"Value({big:g}).sigmoid()", out, value_class, where="sigmoid")
    check_float(f"Value({big:g}).sigmoid().data", out.data, 0.0 if big < 0 else 1.0, atol=1e-12, where="sigmoid")


# ----------------------------------------------------------------------------
# Part 4: topological_order and backward
# ----------------------------------------------------------------------------


def _require_graph(test, graph, builder, *arguments):
    """Fail unless `graph` has the labels and leaf values of builder(*arguments)'s graph."""
    labels = list(graph) if isinstance(graph, dict) else None
    known = builder(*arguments)
    if labels != list(known):
        changed_test_cell(test, f"the graph has the nodes {labels}, the test's has {list(known)}")
    for label, node in graph.items():
        found = value_difference(getattr(node, "data", None), known[label].data, f"{label}.data")
        if found:
            changed_test_cell(test, found)


def test_topological_order(shared, chain, leaf):
    """topological_order on the test's graphs: every node once, each after all of its children, the root last.

    shared: shared_graph(Value); chain: chain_graph(Value); leaf: Value(2.0), whose order is [leaf].
    """
    value_class = type(leaf)
    _require_graph("test_topological_order", shared, shared_graph, value_class)
    _require_graph("test_topological_order", chain, chain_graph, value_class)
    _require_start("test_topological_order", {"leaf": leaf}, {"leaf": (2.0, 0.0)})
    check_topological_order(shared)
    check_topological_order(chain)
    check_topological_order({"leaf": leaf})
    print("test_topological_order: all checks passed")


def shared_graph_gradients(graph):
    """{label: d J / d node} for shared_graph's J at the graph's own x and y (the chain rule, by hand)."""
    x, y, a = graph["x"].data, graph["y"].data, graph["a"].data
    d_a = math.exp(a) + 2.0 * a       # a reaches J along two paths: through p and through q
    return {"J": 1.0, "p": 1.0, "q": 1.0, "a": d_a, "x": d_a * y, "y": d_a * x + 1.0}


def backward_order_suspects(graph):
    """{mistake: [J, p, q, a, x, y] gradients} for a backward() on shared_graph that sweeps in a wrong order."""
    x, y, a = graph["x"].data, graph["y"].data, graph["a"].data
    e_a, two_a = math.exp(a), 2.0 * a
    d_a = e_a + two_a

    def with_only(seen):
        """The gradients if a had collected only `seen` when it pushed down to x and y."""
        return np.array([1.0, 1.0, 1.0, d_a, seen * y, seen * x + 1.0])

    early = ("a pushed its gradient down to x and y when only its user {0} had added to it ({1} came later): "
             "sweep the nodes in REVERSE topological order, so that every user of a node is swept before the node")
    return {
        "J.grad was not set to 1.0 before the sweep, so nothing flows": np.zeros(6),
        early.format("p", "q"): with_only(e_a),
        early.format("q", "p"): with_only(two_a),
        "the nodes were swept in topological order (leaves first), not in reverse: nothing had arrived at a node "
        "when it pushed its gradient down": np.array([1.0, 1.0, 1.0, 0.0, 0.0, 1.0]),
        "a node was swept more than once, pushing its gradient down again along every path (sweep each node of the "
        "topological order exactly once)": with_only(e_a + 2 * d_a),
    }


SHARED_ORDER = ("J", "p", "q", "a", "x", "y")


def check_shared_graph_gradients(graph, where=None):
    """After J.backward(): every node of shared_graph holds d J / d node (a float)."""
    for label, node in graph.items():
        check_type(f"{label}.grad", node.grad, float, where=where)
    expected = shared_graph_gradients(graph)
    check_array("gradients [J, p, q, a, x, y]", np.array([float(graph[k].grad) for k in SHARED_ORDER]),
                np.array([expected[k] for k in SHARED_ORDER]), suspects=backward_order_suspects(graph), where=where)


def test_backward_shared_and_order(shared, chain):
    """J.backward() on the test's graphs, with a known-correct topological_order: root seeded with 1, reverse order.

    shared: shared_graph(Value); chain: chain_graph(Value, x=1.1) (c5 = x**6, so x.grad = 6 x**5 from 6 paths).
    """
    value_class = type(shared["x"])
    _require_graph("test_backward_shared_and_order", shared, shared_graph, value_class)
    _require_graph("test_backward_shared_and_order", chain, chain_graph, value_class, CHAIN_X_BACKWARD)
    with known_topological_order(shared, chain):
        _run("J.backward", shared["J"].backward)
        check_shared_graph_gradients(shared, where="backward")
        root = list(chain.values())[-1]
        _run("c5.backward", root.backward)
    x = chain["x"]
    check_type("x.grad", x.grad, float, where="backward")
    check_array("x.grad for c5 = x**6 built as x*x*x*x*x*x", np.array([float(x.grad)]),
                np.array([(CHAIN_LENGTH + 1) * x.data**CHAIN_LENGTH]), where="backward")
    print("test_backward_shared_and_order: all checks passed")


NOT_RESET = ("backward() does not reset the gradients before the sweep, so the second call added to the first "
             "(set .grad = 0.0 on every node of the topological order first)")


def test_backward_twice_resets(shared):
    """J.backward() twice gives the gradients of one call; K = x*x on the same leaf x starts from zero at x.

    shared: shared_graph(Value). topological_order is a known-correct stand-in while backward() runs.
    """
    value_class = type(shared["x"])
    _require_graph("test_backward_twice_resets", shared, shared_graph, value_class)
    x, y, J = shared["x"], shared["y"], shared["J"]
    expected = shared_graph_gradients(shared)
    d_a, wanted = expected["a"], np.array([expected["x"], expected["y"]])
    K = operation(value_class, x.data * x.data, (x, x), (x.data, x.data), "square")
    with known_topological_order(shared, {"x": x, "K": K}):
        _run("J.backward", J.backward)
        check_array("[x.grad, y.grad] after ONE call of J.backward()", np.array([float(x.grad), float(y.grad)]),
                    wanted, where="backward() itself: the gradients are already wrong after one call "
                                  "(see test_backward_shared_and_order)")
        _run("J.backward", J.backward)
        check_array("[x.grad, y.grad] after calling J.backward() twice", np.array([float(x.grad), float(y.grad)]),
                    wanted, suspects={
                        NOT_RESET: 2.0 * wanted,
                        NOT_RESET + "; here the root was seeded with J.grad = 1.0": np.array(
                            [4 * d_a * y.data, 4 * d_a * x.data + 2.0]),
                        NOT_RESET + "; here the root was seeded with J.grad += 1.0": np.array(
                            [5 * d_a * y.data, 5 * d_a * x.data + 3.0]),
                    }, where="backward")
        check_array("[a.grad, J.grad] after calling J.backward() twice",
                    np.array([float(shared["a"].grad), float(J.grad)]), np.array([d_a, 1.0]),
                    suspects={NOT_RESET: np.array([3.0 * d_a, 1.0]), NOT_RESET + " ": np.array([4.0 * d_a, 2.0])},
                    where="backward")
        left_over = float(x.grad)
        _run("K.backward", K.backward)
    check_array("x.grad after K.backward() with K = x*x (x was also in J's graph)", np.array([float(x.grad)]),
                np.array([2 * x.data]), suspects={
                    "backward() does not reset the gradients first: x still holds its gradient from J":
                        np.array([2 * x.data + left_over])}, where="backward")
    print("test_backward_twice_resets: all checks passed")


# ----------------------------------------------------------------------------
# Part 5: the cost graph of logistic regression
# ----------------------------------------------------------------------------


def _require_batch(test, given, seed):
    known = logistic_problem(seed)
    for label, value, expected in zip(("w", "b", "X", "Y"), given, known):
        found = value_difference(value, expected, label)
        if found:
            changed_test_cell(test, found)


def build_cost_graph(logistic_cost_graph, value_class, w, b, X, Y, run=_run):
    """Run the student's logistic_cost_graph on copies of the inputs and check the nodes it returns.

    Returns (J, w_values, b_value).
    """
    result = run("logistic_cost_graph", lambda: logistic_cost_graph(w.copy(), b, X.copy(), Y.copy()))
    check_type("logistic_cost_graph(w, b, X, Y)", result, (tuple, list), length=3,
               where="the return statement of logistic_cost_graph: return J, w_values, b_value")
    J, w_values, b_value = result
    check_cost_graph_nodes(J, w_values, b_value, w, b, value_class)
    return J, w_values, b_value


def cost_suspects(w, b, X, Y):
    """{mistake: J} for the cost of this batch: a missing term, a missing bias, a missing minus sign."""
    A = _sigmoid_array(w.T @ X + b)
    return {
        "only the y log a term: the (1 - y) log(1 - a) term of the loss is missing": float(np.mean(-Y * np.log(A))),
        "z without the bias b": compute_cost(_sigmoid_array(w.T @ X), Y, "sigmoid"),
        "the minus sign of the loss is missing: L = -(y log a + (1 - y) log(1 - a))": -compute_cost(A, Y, "sigmoid"),
    }


def test_logistic_cost_graph_value(logistic_cost_graph, value_class, w, b, X, Y):
    """J.data is the logistic cost of the batch; the returned weight and bias nodes hold w and b and are in J's graph.

    w, b, X, Y: logistic_problem(201): w (3, 1), b a float, X (3, 7), Y (1, 7).
    """
    _require_batch("test_logistic_cost_graph_value", (w, b, X, Y), VALUE_SEED)
    J, _, _ = build_cost_graph(logistic_cost_graph, value_class, w, b, X, Y)
    m = X.shape[1]
    check_float("J.data", J.data, compute_cost(_sigmoid_array(w.T @ X + b), Y, "sigmoid"), m=m,
                suspects=cost_suspects(w, b, X, Y), where="the loss of each copy and the average that joins them")
    print("test_logistic_cost_graph_value: all checks passed")


def test_logistic_cost_graph_gradients(logistic_cost_graph, value_class, w, b, X, Y):
    """After J.backward(): every copy uses the shared nodes, dw = X dZ^T / m and db = mean(dZ), also by finite differences.

    w, b, X, Y: logistic_problem(202): w (3, 1), b a float, X (3, 7), Y (1, 7).
    """
    _require_batch("test_logistic_cost_graph_gradients", (w, b, X, Y), GRADIENT_SEED)
    J, w_values, b_value = build_cost_graph(logistic_cost_graph, value_class, w, b, X, Y)
    m = X.shape[1]
    check_every_copy_uses(J, w_values, b_value, m)
    check_backward_rules_stored(J)
    _run("J.backward", J.backward)
    dZ = _sigmoid_array(w.T @ X + b) - Y                 # unit 1: dZ = A - Y, (1, m)
    dw, db = check_cost_gradients(w_values, b_value, X @ dZ.T / m, float(np.mean(dZ)), X * dZ / m, dZ[0] / m)

    def cost_at(w_nudged, b_nudged):
        return compute_cost(_sigmoid_array(w_nudged.T @ X + b_nudged[0]), Y, "sigmoid")

    b_box = np.array([b])
    check_array("dw against a numerical gradient", dw, numerical_gradient(lambda v: cost_at(v, b_box), w.copy()),
                rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    check_array("db against a numerical gradient", db, numerical_gradient(lambda v: cost_at(w, v), b_box.copy()),
                rtol=NUMERICAL_RTOL, atol=NUMERICAL_ATOL)
    print("test_logistic_cost_graph_gradients: all checks passed")
