"""Assignment 2 (02_computation_graph): the hidden half of each graded test cell (instructor-only).

Each test cell of source/02_computation_graph ends with

    ### BEGIN HIDDEN TESTS
    from autograder.hidden import unit2 as hidden

    hidden.test_mul(Value)
    ### END HIDDEN TESTS

Every function draws fresh random inputs from a printed seed (hidden_rng),
runs the student's code through `call_hidden` (so code that calls a
finite-difference oracle, utils.autodiff or the shipped test helpers fails),
and checks the results with the visible module's checks and mistake names
(utils.testing.unit2), so a mistake is named the same way in both halves.
Sizes and numbers differ from the visible tests' own, so code that types in
the visible answers (or the visible m = 7, n_x = 3) fails here.

While backward() is graded, topological_order is the grader's reference
below (never a utils.testing stand-in, whose own calls would count as
forbidden), so a mistake in topological_order costs its own test only.

Public API
----------
SIGNATURES                                  the assignment's def lines (utils.testing.unit2's)
topological_order(self)                     the grader's reference, put in place with method_and_global_replaced
test_mul(Value), test_sub_div_neg(Value), test_exp_log_sigmoid(Value),
test_topological_order(Value), test_backward_shared_and_order(Value), test_backward_twice_resets(Value),
test_logistic_cost_graph_value(logistic_cost_graph, Value),
test_logistic_cost_graph_gradients(logistic_cost_graph, Value)
"""

import math

import numpy as np

from autograder import reference
from autograder.hidden._common import call_hidden, forbidden_calls, hidden_m, hidden_rng, hidden_where
from utils.activations import sigmoid as sigmoid_array
from utils.checks import NUMERICAL_ATOL, NUMERICAL_RTOL, check_array, check_float, check_type
from utils.losses import compute_cost
from utils.testing import unit2

SIGNATURES = unit2.SIGNATURES
TRIALS = 3


def topological_order(self):
    """The grader's topological order of self's graph: every node once, children first, self last.

    Post-order depth-first search with an explicit stack of child iterators (no recursion limit).
    """
    order, entered = [], {id(self)}
    stack = [(self, iter(self.children))]
    while stack:
        node, children = stack[-1]
        child = next((c for c in children if id(c) not in entered), None)
        if child is None:
            stack.pop()
            order.append(node)
        else:
            entered.add(id(child))
            stack.append((child, iter(child.children)))
    return order


def _watcher():
    """run(label, thunk): thunk() under call_hidden, with the forbidden list computed once per test."""
    forbidden = forbidden_calls()

    def run(label, thunk):
        return call_hidden(thunk, forbidden=forbidden, name=label)

    return run


def _floats(rng, size, low=-3.0, high=3.0, away_from_zero=0.0):
    """`size` floats uniform in [low, high], each at least `away_from_zero` from 0."""
    values = rng.uniform(low, high, size=size)
    if away_from_zero:
        values = np.sign(values + (values == 0)) * np.maximum(np.abs(values), away_from_zero)
    return [float(v) for v in values]


# ----------------------------------------------------------------------------
# Parts 1-3: one operation at a time, many at fresh numbers
# ----------------------------------------------------------------------------


class _Case:
    """One expression at fresh numbers: how to make it, what its node and its _backward must give.

    make:      a function of no arguments that evaluates the student's expression (a new node).
    operands:  [(name, node or number)] the node's children must be.
    data:      the expected node.data.
    nodes:     {name: node} whose .grad the rule changes; before: their .grad before it runs.
    added:     what a right _backward adds to each; upstream: out.grad.
    suspects:  {mistake: grads} specific to the operation (accumulation mistakes are added).
    """

    def __init__(self, label, method, make, operands, data, nodes, added, upstream, hint, suspects=None, where=None):
        self.label, self.method, self.make, self.operands, self.data = label, method, make, operands, data
        self.nodes, self.added, self.upstream, self.hint = nodes, added, upstream, hint
        self.suspects = suspects or {}
        self.where = where or method
        self.before = [node.grad for node in nodes.values()]


def _binary(value_class, symbol, method, x, y, a0, b0, g, added, hint, suspects=None):
    a, b = value_class(x), value_class(y)
    a.grad, b.grad = a0, b0
    apply = {"*": lambda p, q: p * q, "-": lambda p, q: p - q, "/": lambda p, q: p / q}[symbol]
    return _Case(f"a {symbol} b", method, lambda: apply(a, b), [("a", a), ("b", b)], apply(x, y), {"a": a, "b": b},
                 added, g, hint, suspects, where=hidden_where(method, a=f"{x:.4g}", b=f"{y:.4g}"))


def _with_number(value_class, expression, method, build, x, r, g, local):
    a = value_class(x)
    return _Case(expression, method, lambda: build(a), [("a", a), (f"{r:.4g}", r)], build(x), {"a": a}, [g * local], g,
                 unit2.LEAF_FOR_NUMBER, where=hidden_where(method, a=f"{x:.4g}", r=f"{r:.4g}"))


def _used_twice(value_class, label, method, apply, c, data, local_sum):
    node = value_class(c)
    return _Case(label, method, lambda: apply(node, node), [("c", node), ("c", node)], data, {"c": node},
                 [local_sum], 1.0, "both children must be c itself.", {unit2.ONE_USE_LOST: None},
                 where=hidden_where(method, c=f"{c:.4g}"))


def _check_cases(cases):
    """Run every case's expression, then every _backward, under call_hidden (two watched calls in all)."""
    run = _watcher()
    outs = run("your operators, on the hidden test's numbers,", lambda: [case.make() for case in cases])
    for case, out in zip(cases, outs):
        unit2.check_new_node(case.label, out, type(out), case.operands, case.data, hint=case.hint, where=case.where)
        out.grad = case.upstream
    run("the _backward functions of your operators", lambda: [out._backward() for out in outs])
    for case in cases:
        names = ("self", "other") if len(case.nodes) == 2 else ("self",)
        suspects = {**case.suspects, **unit2.accumulation_suspects(case.before, case.added, case.upstream, names)}
        grads = ", ".join(f"{name}.grad" for name in case.nodes)
        unit2.check_grads(f"[{grads}] after ({case.label})._backward() with out.grad = {case.upstream:.4g}",
                          case.nodes, [b + d for b, d in zip(case.before, case.added)],
                          suspects={k: v for k, v in suspects.items() if v is not None},
                          where=f"_backward inside {case.where}")


def _fresh_numbers(rng, operand_floor):
    """TRIALS tuples (x, y, a0, b0, g, r): operands and a number r at least operand_floor (r 0.5) from 0,
    gradients a0, b0 collected before and out.grad g in [-2, 2], at least 0.2 from 0."""
    for _ in range(TRIALS):
        x, y = _floats(rng, 2, away_from_zero=operand_floor)
        a0, b0, g = _floats(rng, 3, -2.0, 2.0, away_from_zero=0.2)
        yield x, y, a0, b0, g, _floats(rng, 1, away_from_zero=0.5)[0]


def test_mul(Value):
    """a * b, c * c, a * r and r * a at fresh numbers; no oracle or test helper called."""
    _, rng = hidden_rng()
    cases = []
    for x, y, a0, b0, g, r in _fresh_numbers(rng, operand_floor=0.3):
        cases += [
            _binary(Value, "*", "__mul__", x, y, a0, b0, g, [g * y, g * x],
                    "the node was built from other nodes than the operands themselves.",
                    {unit2.OWN_FACTOR: np.array([a0 + g * x, b0 + g * y])}),
            _used_twice(Value, "c * c", "__mul__", lambda p, q: p * q, x, x * x, 2 * x),
            _with_number(Value, "a * r", "__mul__", lambda v, r=r: v * r, x, r, g, r),
            _with_number(Value, "r * a", "__rmul__", lambda v, r=r: r * v, x, r, g, r),
        ]
    _check_cases(cases)
    print("hidden test_mul: all checks passed")


def _negation(value_class, x, a0, g):
    a = value_class(x)
    a.grad = a0
    return _Case("-a", "__neg__", lambda: -a, [("a", a)], -x, {"a": a}, [-g], g, unit2.OWN_OPERATION,
                 {unit2.NEG_SIGN: np.array([a0 + g])}, where=hidden_where("__neg__", a=f"{x:.4g}"))


def test_sub_div_neg(Value):
    """-a, a - b, a / b, c - c, c / c and the four expressions with a number, at fresh numbers."""
    _, rng = hidden_rng()
    cases = []
    for x, y, a0, b0, g, r in _fresh_numbers(rng, operand_floor=0.5):
        r = abs(r)
        cases += [
            _negation(Value, x, a0, g),
            _binary(Value, "-", "__sub__", x, y, a0, b0, g, [g, -g], unit2.OWN_OPERATION, unit2.sub_suspects(a0, b0, g)),
            _binary(Value, "/", "__truediv__", x, y, a0, b0, g, [g / y, -g * x / y**2], unit2.OWN_OPERATION,
                    unit2.div_suspects(x, y, a0, b0, g)),
            _used_twice(Value, "c - c", "__sub__", lambda p, q: p - q, y, 0.0, 0.0),
            _used_twice(Value, "c / c", "__truediv__", lambda p, q: p / q, y, 1.0, 0.0),
            _with_number(Value, "a - r", "__sub__", lambda v, r=r: v - r, y, r, g, 1.0),
            _with_number(Value, "r - a", "__rsub__", lambda v, r=r: r - v, y, r, g, -1.0),
            _with_number(Value, "a / r", "__truediv__", lambda v, r=r: v / r, y, r, g, 1.0 / r),
            _with_number(Value, "r / a", "__rtruediv__", lambda v, r=r: r / v, y, r, g, -r / y**2),
        ]
    _check_cases(cases)
    print("hidden test_sub_div_neg: all checks passed")


UNARY = {
    "exp": (math.exp, lambda t: math.exp(t), (-3.0, 3.0)),
    "log": (math.log, lambda t: 1.0 / t, (0.2, 5.0)),
    "sigmoid": (lambda t: 0.5 * (1.0 + math.tanh(t / 2.0)),
                lambda t: 0.25 / math.cosh(t / 2.0) ** 2, (-6.0, 6.0)),
}


def _unary(value_class, name, x, a0, g):
    function, derivative, _ = UNARY[name]
    a = value_class(x)
    a.grad = a0
    return _Case(f"a.{name}()", name, getattr(a, name), [("a", a)], function(x), {"a": a}, [g * derivative(x)], g,
                 "it must be ONE node whose only child is a itself.", unit2.unary_suspects(name, x, a0, g),
                 where=hidden_where(name, a=f"{x:.5g}"))


def test_exp_log_sigmoid(Value):
    """a.exp(), a.log(), a.sigmoid() at fresh numbers (sigmoid by tanh, an independent formula); sigmoid far out."""
    _, rng = hidden_rng()
    cases = []
    for _ in range(TRIALS):
        a0, g = _floats(rng, 2, -2.0, 2.0, away_from_zero=0.2)
        for name, (_, _, (low, high)) in UNARY.items():
            cases.append(_unary(Value, name, float(rng.uniform(low, high)), a0, g))
    _check_cases(cases)
    run = _watcher()
    for big in rng.uniform(50.0, 800.0, size=TRIALS):
        unit2.check_sigmoid_far_out(Value, -float(big), run=run)
        unit2.check_sigmoid_far_out(Value, float(big), run=run)
    print("hidden test_exp_log_sigmoid: all checks passed")


# ----------------------------------------------------------------------------
# Part 4: random graphs
# ----------------------------------------------------------------------------


def _random_recipe(rng, n_leaves):
    """[(kind, [input indices])]: 8 to 13 operations "*", "sin" or "+" over earlier nodes (leaves first)."""
    recipe = []
    for k in range(int(rng.integers(8, 14))):
        kind = str(rng.choice(["*", "sin", "+"]))
        arity = {"*": 2, "sin": 1, "+": 3}[kind]
        recipe.append((kind, [int(i) for i in rng.integers(0, n_leaves + k, size=arity)]))
    return recipe


def _forward(recipe, leaf_values):
    """The recipe's values, in plain floats: [leaves..., one per operation]."""
    values = list(leaf_values)
    for kind, inputs in recipe:
        args = [values[i] for i in inputs]
        values.append(args[0] * args[1] if kind == "*" else math.sin(args[0]) if kind == "sin" else sum(args))
    return values


def _graph(value_class, recipe, leaf_values):
    """{label: node} of the recipe built with unit2.operation (not the student's operators), in recipe order."""
    values = _forward(recipe, leaf_values)
    nodes = [value_class(v) for v in leaf_values]
    for k, (kind, inputs) in enumerate(recipe):
        args = tuple(nodes[i] for i in inputs)
        data = values[len(leaf_values) + k]
        if kind == "*":
            local = (args[1].data, args[0].data)
        elif kind == "sin":
            local = (math.cos(args[0].data),)
        else:
            local = (1.0,) * len(args)
        nodes.append(unit2.operation(value_class, data, args, local, kind))
    labels = [f"leaf{k}" for k in range(len(leaf_values))] + [f"n{k}" for k in range(len(recipe))]
    return dict(zip(labels, nodes))


def _reachable_part(graph):
    """The entries of `graph` reachable from its last node (the root), in the same order."""
    root = list(graph.values())[-1]
    seen, todo = set(), [root]
    while todo:
        node = todo.pop()
        if id(node) not in seen:
            seen.add(id(node))
            todo.extend(node.children)
    return {label: node for label, node in graph.items() if id(node) in seen}


def test_topological_order(Value):
    """topological_order on random graphs of 8-13 operations over 3 leaves (nodes used by several others)."""
    _, rng = hidden_rng()
    run = _watcher()
    for _ in range(TRIALS):
        recipe = _random_recipe(rng, 3)
        unit2.check_topological_order(_reachable_part(_graph(Value, recipe, _floats(rng, 3, -1.5, 1.5))), run=run)
    print("hidden test_topological_order: all checks passed")


def _numerical_leaf_gradients(recipe, leaf_values, step=1e-6):
    """d root / d leaf for each leaf, by centred differences of the float replay."""
    gradients = []
    for i in range(len(leaf_values)):
        up, down = list(leaf_values), list(leaf_values)
        up[i] += step
        down[i] -= step
        gradients.append((_forward(recipe, up)[-1] - _forward(recipe, down)[-1]) / (2 * step))
    return np.array(gradients)


def test_backward_shared_and_order(Value):
    """backward() on the shared graph at fresh x, y and on random graphs (against finite differences),
    with the grader's topological_order underneath."""
    _, rng = hidden_rng()
    run = _watcher()
    with unit2.method_and_global_replaced(Value, "topological_order", topological_order):
        x, y = _floats(rng, 2, -1.0, 1.0, away_from_zero=0.2)
        shared = unit2.shared_graph(Value, x, y)
        run("J.backward", shared["J"].backward)
        unit2.check_shared_graph_gradients(shared, where=hidden_where("backward", x=f"{x:.4g}", y=f"{y:.4g}"))
        for _ in range(TRIALS):
            recipe = _random_recipe(rng, 3)
            leaf_values = _floats(rng, 3, -1.5, 1.5)
            graph = _graph(Value, recipe, leaf_values)
            root = list(graph.values())[-1]
            run("root.backward", root.backward)
            leaves = [graph[f"leaf{k}"] for k in range(3)]
            for k, node in enumerate(leaves):
                check_type(f"leaf{k}.grad", node.grad, float, where="backward")
            check_array("leaf gradients of a random graph", np.array([float(node.grad) for node in leaves]),
                              _numerical_leaf_gradients(recipe, leaf_values), rtol=NUMERICAL_RTOL,
                              atol=NUMERICAL_ATOL, where=hidden_where("backward", operations=len(recipe)))
    print("hidden test_backward_shared_and_order: all checks passed")


def _without_reset(Value, x, y, calls, seed_by_adding):
    """[x.grad, y.grad] of the shared graph after `calls` sweeps that never reset (root seeded with = or +=)."""
    shared = unit2.shared_graph(Value, x, y)
    order = topological_order(shared["J"])
    for _ in range(calls):
        shared["J"].grad = shared["J"].grad + 1.0 if seed_by_adding else 1.0
        for node in reversed(order):
            node._backward()
    return np.array([shared["x"].grad, shared["y"].grad])


def test_backward_twice_resets(Value):
    """J.backward() two to four times on the shared graph at fresh x, y gives one call's gradients."""
    _, rng = hidden_rng()
    run = _watcher()
    x, y = _floats(rng, 2, -1.0, 1.0, away_from_zero=0.2)
    shared = unit2.shared_graph(Value, x, y)
    expected = unit2.shared_graph_gradients(shared)
    calls = int(rng.integers(2, 5))
    with unit2.method_and_global_replaced(Value, "topological_order", topological_order):
        for _ in range(calls):
            run("J.backward", shared["J"].backward)
    check_array(f"[x.grad, y.grad] after {calls} calls of J.backward()",
                np.array([float(shared["x"].grad), float(shared["y"].grad)]),
                np.array([expected["x"], expected["y"]]),
                suspects={unit2.NOT_RESET + "; here the root was seeded with J.grad = 1.0":
                          _without_reset(Value, x, y, calls, seed_by_adding=False),
                          unit2.NOT_RESET + "; here the root was seeded with J.grad += 1.0":
                          _without_reset(Value, x, y, calls, seed_by_adding=True)},
                where=hidden_where("backward", x=f"{x:.4g}", y=f"{y:.4g}", calls=calls))
    print("hidden test_backward_twice_resets: all checks passed")


# ----------------------------------------------------------------------------
# Part 5: fresh batches of other sizes than the visible tests'
# ----------------------------------------------------------------------------


def _hidden_problem(rng):
    """(w, b, X, Y, where): a batch with more features than the visible tests' 3, and m other than their 7."""
    n_x = int(rng.choice([4, 5, 6]))
    m = hidden_m(rng, avoid=(n_x, unit2.VISIBLE_M))
    w, b, X, Y = unit2.logistic_problem(int(rng.integers(2**31)), n_x, m)
    return w, b, X, Y, hidden_where("logistic_cost_graph", n_x=n_x, m=m)


def _hard_coded(value, m):
    """{HARD_CODED_M: what dividing by the visible m instead of this batch's m gives}."""
    return {unit2.HARD_CODED_M.format(m=unit2.VISIBLE_M): value * m / unit2.VISIBLE_M}


def test_logistic_cost_graph_value(logistic_cost_graph, Value):
    """J.data and the returned nodes on a fresh batch of other sizes; no oracle or test helper called."""
    _, rng = hidden_rng()
    run = _watcher()
    w, b, X, Y, where = _hidden_problem(rng)
    J, _, _ = unit2.build_cost_graph(logistic_cost_graph, Value, w, b, X, Y, run=run)
    m = X.shape[1]
    A, _ = reference.model_forward(X, {"W1": w.T.copy(), "b1": np.array([[b]])}, output="sigmoid")
    cost = compute_cost(A, Y, "sigmoid")
    check_float("J.data", J.data, cost, m=m, suspects={**unit2.cost_suspects(w, b, X, Y), **_hard_coded(cost, m)},
                      where=where)
    print("hidden test_logistic_cost_graph_value: all checks passed")


def test_logistic_cost_graph_gradients(logistic_cost_graph, Value):
    """dw and db after J.backward() on two fresh batches, against the grader's reference backward pass."""
    _, rng = hidden_rng()
    run = _watcher()
    for _ in range(2):
        w, b, X, Y, where = _hidden_problem(rng)
        J, w_values, b_value = unit2.build_cost_graph(logistic_cost_graph, Value, w, b, X, Y, run=run)
        m = X.shape[1]
        unit2.check_every_copy_uses(J, w_values, b_value, m)
        unit2.check_backward_rules_stored(J)
        run("J.backward", J.backward)
        A, caches = reference.model_forward(X, {"W1": w.T.copy(), "b1": np.array([[b]])}, output="sigmoid")
        grads = reference.model_backward(A, Y, caches, output="sigmoid")
        dZ = sigmoid_array(w.T @ X + b) - Y
        expected_dw, expected_db = grads["dW1"].T, float(grads["db1"][0, 0])
        unit2.check_cost_gradients(w_values, b_value, expected_dw, expected_db, X * dZ / m, dZ[0] / m,
                                   suspects_dw=_hard_coded(expected_dw, m),
                                   suspects_db=_hard_coded(np.array([expected_db]), m), where=where)
    print("hidden test_logistic_cost_graph_gradients: all checks passed")
