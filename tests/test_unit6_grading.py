"""Unit 6 (06_backprop_through_time): proof that the grading is right.

One autograde run (nbgrader's, and the project's engine beside it; see
tests/nbgrade_support.py) grades the solution, the blank release, one
submission per typical mistake and two submissions of correct answers written
in other styles. Each mistake is the solution with one or a few lines
changed; it must lose exactly the points of the cells that test what it
breaks, and the feedback of its own test cell must name it.

Which cells a mistake fails is part of the design:

* the test cell of the function that holds the mistake. `test_rnn_backward`
  replaces rnn_cell_backward by a stand-in (visible part) or the instructor's
  reference (hidden part) while it runs, so a mistake in the cell is not
  charged there again;
* `test_rnn_together`, which runs the student's rnn_output_backward and
  rnn_backward on their own rnn_cell_backward and compares every gradient of
  J with finite differences: every mistake of Parts 1 to 3 fails it, by
  design (it is the check that the pieces fit), and no clipping mistake does.

Answers that get right values from an oracle (finite differences of
utils.rnn's forward pass, utils.gradcheck, the shipped test helpers) pass a
visible part but earn nothing: the hidden part forbids those calls. That
proof runs the cells in-process, as does the one for the release's test
cells staying specifications (short, calling utils.testing.unit6).
Every other mistake the checks name is proven in tests/test_testing_unit6.py,
in-process, against the same check functions.
"""

import ast
import json

import nbformat
import pytest

from tests.nbgrade_support import (
    assert_blank_gets_zero,
    assert_designed_points,
    assert_loses_exactly,
    assert_named_in_feedback,
    assert_no_grading_problems,
    assert_solution_gets_every_point,
    autograde,
    blank_submission,
    notebook_path,
    solution_code,
    submission_with,
    with_bug,
)

pytestmark = pytest.mark.slow

ASSIGNMENT = "06_backprop_through_time"

CELL, SEQUENCE, OUTPUT = "test_rnn_cell_backward", "test_rnn_backward", "test_rnn_output_backward"
BY_VALUE, BY_NORM, TOGETHER = "test_clip_by_value", "test_clip_by_global_norm", "test_rnn_together"

AUTOGRADED_POINTS = {CELL: 3, SEQUENCE: 4, OUTPUT: 2, BY_VALUE: 1, BY_NORM: 2, TOGETHER: 1}

CLIP_BY_NORM_BODY = (
    "    norm = np.sqrt(sum(np.sum(value**2) for value in gradients.values()))\n"
    "    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0\n"
    "    return {name: value * factor for name, value in gradients.items()}"
)

# name: (answer cell, {solution line: buggy line}, cells that must fail, {failing cell: phrases its feedback must contain})
MISTAKES = {
    # Part 1: one cell
    "no_1_over_m_in_the_cell": (
        "rnn_cell_backward",
        {'"dWax": dz @ xt.T / m,': '"dWax": dz @ xt.T,', '"dWaa": dz @ a_prev.T / m,': '"dWaa": dz @ a_prev.T,',
         '"dba": np.sum(dz, axis=1, keepdims=True) / m,': '"dba": np.sum(dz, axis=1, keepdims=True),'},
        {CELL, TOGETHER},
        {CELL: ["dWax is off by a factor of m = 7", "forgot to average"]},
    ),
    "tanh_derivative_from_the_pre_activation": (
        "rnn_cell_backward",
        {"dz = da_next * (1 - a_next**2)": 'z = params["Waa"] @ a_prev + params["Wax"] @ xt + params["ba"]\n'
                                           "    dz = da_next * (1 - z**2)"},
        {CELL, TOGETHER},
        {CELL: ["tanh' was computed from the pre-activation as 1 - z**2"]},
    ),
    "tanh_derivative_of_a_next": (
        "rnn_cell_backward",
        {"dz = da_next * (1 - a_next**2)": "dz = da_next * (1 - np.tanh(a_next) ** 2)"},
        {CELL, TOGETHER},
        {CELL: ["tanh' was evaluated at a<t>", "1 - a_next**2"]},
    ),
    "dWaa_with_a_next_instead_of_a_prev": (
        "rnn_cell_backward",
        {'"dWaa": dz @ a_prev.T / m,': '"dWaa": dz @ a_next.T / m,'},
        {CELL, TOGETHER},
        {CELL: ["dWaa used a<t> (a_next) where the state that came in, a<t-1> (a_prev), belongs"]},
    ),
    "Waa_not_transposed": (
        "rnn_cell_backward",
        {'"da_prev": params["Waa"].T @ dz,': '"da_prev": params["Waa"] @ dz,'},
        {CELL, TOGETHER},
        {CELL: ["Waa was not transposed", "the shape cannot tell"]},
    ),
    # Part 2: the walk through time
    "no_sum_over_time": (
        "rnn_backward",
        {'gradients["dWax"] += step["dWax"]': 'gradients["dWax"] = step["dWax"]',
         'gradients["dWaa"] += step["dWaa"]': 'gradients["dWaa"] = step["dWaa"]',
         'gradients["dba"] += step["dba"]': 'gradients["dba"] = step["dba"]'},
        {SEQUENCE, TOGETHER},
        {SEQUENCE: ["taken from one step only", "sum over all T_x steps"]},
    ),
    "state_gradient_not_carried_back": (
        "rnn_backward",
        {"rnn_cell_backward(da[:, :, t] + da_prev, caches[t])": "rnn_cell_backward(da[:, :, t], caches[t])"},
        {SEQUENCE, TOGETHER},
        {SEQUENCE: ["the hidden-state gradient was not carried back in time"]},
    ),
    "carried_gradient_not_added_to_the_outputs": (
        "rnn_backward",
        {"rnn_cell_backward(da[:, :, t] + da_prev, caches[t])":
         "rnn_cell_backward(da[:, :, t] if t == T_x - 1 else da_prev, caches[t])"},
        {SEQUENCE, TOGETHER},
        {SEQUENCE: ["replaced the outputs' gradient instead of being added to it"]},
    ),
    "time_walked_forwards": (
        "rnn_backward",
        {"for t in reversed(range(T_x)):": "for t in range(T_x):"},
        {SEQUENCE, TOGETHER},
        {SEQUENCE: ["time was walked forwards"]},
    ),
    "loop_misses_the_first_step": (
        "rnn_backward",
        {"for t in reversed(range(T_x)):": "for t in range(T_x - 1, 0, -1):"},
        {SEQUENCE, TOGETHER},
        {SEQUENCE: ["the loop stopped before the first time step", "dx<1> is missing"]},
    ),
    "1_over_m_twice": (
        "rnn_backward",
        {'gradients["da0"] = da_prev': 'gradients["da0"] = da_prev\n    for key in ("dWax", "dWaa", "dba"):\n'
                                       "        gradients[key] = gradients[key] / m"},
        {SEQUENCE, TOGETHER},
        {SEQUENCE: ["the 1/m was applied twice"]},
    ),
    # Part 3: the output layer
    "output_parameters_from_the_last_step_only": (
        "rnn_output_backward",
        {"dWya += dz[:, :, t] @ A[:, :, t].T / m": "dWya = dz[:, :, t] @ A[:, :, t].T / m",
         "dby += np.sum(dz[:, :, t], axis=1, keepdims=True) / m": "dby = np.sum(dz[:, :, t], axis=1, keepdims=True) / m"},
        {OUTPUT, TOGETHER},
        {OUTPUT: ["dWya and dby were taken from the last step only"]},
    ),
    # Part 4: clipping
    "clip_by_value_upper_bound_only": (
        "clip_by_value",
        {"np.clip(value, -max_value, max_value)": "np.minimum(value, max_value)"},
        {BY_VALUE},
        {BY_VALUE: ["only the upper bound was applied"]},
    ),
    "clip_each_tensor_by_its_own_norm": (
        "clip_by_global_norm",
        {CLIP_BY_NORM_BODY: "    return {name: value * min(1.0, max_norm / np.linalg.norm(value)) "
                            "for name, value in gradients.items()}"},
        {BY_NORM},
        {BY_NORM: ["each one was clipped by its own norm", "turns the gradient as a whole"]},
    ),
    "clip_by_norm_done_by_value": (
        "clip_by_global_norm",
        {CLIP_BY_NORM_BODY: "    return {name: np.clip(value, -max_norm, max_norm) for name, value in gradients.items()}"},
        {BY_NORM},
        {BY_NORM: ["its entries were changed one by one", "keeps the direction"]},
    ),
    "clip_by_norm_scales_short_gradients_up": (
        "clip_by_global_norm",
        {"factor = min(1.0, max_norm / norm) if norm > 0 else 1.0": "factor = max_norm / norm"},
        {BY_NORM},
        {BY_NORM: ["must come back unchanged", "only ever shortens"]},
    ),
}

# Correct answers in other styles: every answer cell at once, in each submission.
VECTORISED = {
    "rnn_cell_backward": '''
def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, params = cache
    m = np.float64(xt.shape[1])
    dz = np.multiply(da_next, 1.0 - np.square(a_next))
    return dict(dWax=np.einsum("im,jm->ij", dz, xt) / m, dWaa=np.einsum("im,jm->ij", dz, a_prev) / m,
                dba=np.einsum("im->i", dz)[:, np.newaxis] / m, dx=np.einsum("ij,im->jm", params["Wax"], dz),
                da_prev=np.einsum("ij,im->jm", params["Waa"], dz))
''',
    "rnn_backward": '''
def rnn_backward(da, caches):
    T_x = da.shape[2]
    totals, dx_list = {}, [None] * T_x
    carried = np.zeros_like(da[:, :, 0])
    for t in range(T_x - 1, -1, -1):
        step = rnn_cell_backward(da_next=da[..., t] + carried, cache=caches[t])
        totals = {key: totals.get(key, 0.0) + step[key] for key in ("dWax", "dWaa", "dba")}
        dx_list[t] = step["dx"]
        carried = step["da_prev"]
    return {**totals, "dX": np.stack(dx_list, axis=-1), "da0": carried}
''',
    "rnn_output_backward": '''
def rnn_output_backward(Y_hat, Y, A, Wya):
    m = np.float64(A.shape[1])
    dz = Y_hat - Y
    return {"da": np.einsum("ya,ymt->amt", Wya, dz), "dWya": np.einsum("ymt,amt->ya", dz, A) / m,
            "dby": dz.sum(axis=(1, 2)).reshape(-1, 1) / m}
''',
    "clip_by_value": '''
def clip_by_value(gradients, max_value):
    return {name: np.minimum(np.maximum(value, -max_value), max_value) for name, value in gradients.items()}
''',
    "clip_by_global_norm": '''
def clip_by_global_norm(gradients, max_norm):
    flat = np.concatenate([value.ravel() for value in gradients.values()])
    norm = np.linalg.norm(flat)
    scale = np.where(norm > max_norm, max_norm / norm, 1.0)
    return {name: scale * value for name, value in gradients.items()}
''',
}

LOOPS = {
    "rnn_cell_backward": '''
def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, params = cache
    n_a, m = a_next.shape
    gradients = {"dWax": np.zeros(params["Wax"].shape), "dWaa": np.zeros((n_a, n_a)), "dba": np.zeros((n_a, 1)),
                 "dx": np.zeros(xt.shape), "da_prev": np.zeros(a_prev.shape)}
    for i in range(m):
        dz = da_next[:, i] * (1 - a_next[:, i] * a_next[:, i])
        gradients["dWax"] += np.outer(dz, xt[:, i]) / m
        gradients["dWaa"] += np.outer(dz, a_prev[:, i]) / m
        gradients["dba"][:, 0] += dz / m
        gradients["dx"][:, i] = params["Wax"].T.dot(dz)
        gradients["da_prev"][:, i] = params["Waa"].T.dot(dz)
    return gradients
''',
    "rnn_backward": '''
def rnn_backward(da, caches):
    # the cell's backward step written out here instead of calling rnn_cell_backward
    n_a, m, T_x = da.shape
    params = caches[0][3]
    dX = np.zeros((params["Wax"].shape[1], m, T_x))
    dWax, dWaa, dba = 0 * params["Wax"], 0 * params["Waa"], 0 * params["ba"]
    da_prev = np.zeros((n_a, m))
    t = T_x - 1
    while t >= 0:
        a_next, a_prev, xt, _ = caches[t]
        dz = (da[:, :, t] + da_prev) * (1 - a_next**2)
        dWax = dWax + dz @ xt.T / m
        dWaa = dWaa + dz @ a_prev.T / m
        dba = dba + dz.sum(axis=1, keepdims=True) / m
        dX[:, :, t] = params["Wax"].T @ dz
        da_prev = params["Waa"].T @ dz
        t -= 1
    return {"dX": dX, "da0": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
''',
    "rnn_output_backward": '''
def rnn_output_backward(Y_hat, Y, A, Wya):
    n_a, m, T_x = A.shape
    result = {"da": np.zeros((n_a, m, T_x)), "dWya": np.zeros(Wya.shape), "dby": np.zeros((Wya.shape[0], 1))}
    for t in range(T_x):
        for i in range(m):
            dz = Y_hat[:, i, t] - Y[:, i, t]
            result["da"][:, i, t] = Wya.T @ dz
            result["dWya"] += np.outer(dz, A[:, i, t]) / m
            result["dby"][:, 0] += dz / m
    return result
''',
    "clip_by_value": '''
def clip_by_value(gradients, max_value):
    clipped = {}
    for name in gradients:
        value = gradients[name].copy()
        value[value > max_value] = max_value
        value[value < -max_value] = -max_value
        clipped[name] = value
    return clipped
''',
    "clip_by_global_norm": '''
import math


def clip_by_global_norm(gradients, max_norm):
    total = 0.0
    for value in gradients.values():
        for entry in value.flat:
            total += float(entry) ** 2
    norm = math.sqrt(total)
    clipped = {}
    for name, value in gradients.items():
        clipped[name] = value.copy()
        if norm > max_norm:
            clipped[name] *= max_norm / norm
    return clipped
''',
}

ACCEPTED = {"vectorised_einsum_keywords_numpy_scalars": VECTORISED, "loops_and_an_inlined_cell": LOOPS}


@pytest.fixture(scope="module")
def results():
    solutions = solution_code(ASSIGNMENT)
    submissions = {"solution": submission_with(ASSIGNMENT, {}), "blank": blank_submission(ASSIGNMENT)}
    for name, (cell, replacements, *_) in MISTAKES.items():
        submissions[name] = submission_with(ASSIGNMENT, {cell: with_bug(solutions, cell, replacements)})
    for name, answers in ACCEPTED.items():
        submissions[name] = submission_with(ASSIGNMENT, {cell: code.strip("\n") for cell, code in answers.items()})
    return autograde(ASSIGNMENT, submissions)


def test_grading_runs_without_problems(results):
    assert_no_grading_problems(results)


def test_the_graded_cells_and_points_are_the_designed_ones(results):
    assert_designed_points(results, AUTOGRADED_POINTS)


def test_solution_gets_every_autograded_point(results):
    assert_solution_gets_every_point(results, AUTOGRADED_POINTS)


def test_solution_runs_the_hidden_tests(results):
    for grade_id, text in results["solution"].feedback.items():
        assert "The hidden checks passed." in text, f"{grade_id}: the hidden part did not run to the end:\n{text}"
        assert "hidden test, seed" in text, f"{grade_id}: the hidden part did not print its seed:\n{text}"


def test_blank_release_gets_zero_and_says_not_implemented(results):
    assert_blank_gets_zero(results, AUTOGRADED_POINTS)


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_loses_exactly_its_cells(results, mistake):
    assert_loses_exactly(results, mistake, MISTAKES[mistake][2])


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_each_mistake_is_named_in_the_feedback(results, mistake):
    assert_named_in_feedback(results, mistake, MISTAKES[mistake][3])


@pytest.mark.parametrize("style", sorted(ACCEPTED))
def test_correct_answers_in_other_styles_get_every_point(results, style):
    assert_loses_exactly(results, style, set())


def test_the_issues_mistakes_are_all_proven():
    """Issue #17 names the mistakes the tests must name; each has a submission above."""
    required = {"no_sum_over_time", "state_gradient_not_carried_back", "carried_gradient_not_added_to_the_outputs",
                "tanh_derivative_from_the_pre_activation", "tanh_derivative_of_a_next", "time_walked_forwards",
                "dWaa_with_a_next_instead_of_a_prev", "1_over_m_twice", "no_1_over_m_in_the_cell",
                "loop_misses_the_first_step", "clip_each_tensor_by_its_own_norm", "clip_by_norm_done_by_value"}
    assert required <= set(MISTAKES)


# ---- in-process: oracles earn nothing; the release's test cells are specifications ----------------------------


def _cells(folder):
    notebook = nbformat.read(notebook_path(folder, ASSIGNMENT), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})}


def _solution_namespace():
    """A namespace like the student's kernel after running the solution: imports cell and every answer cell."""
    source = _cells("source")
    namespace = {}
    exec(source["imports"].source, namespace)
    for grade_id, code in solution_code(ASSIGNMENT).items():
        if source[grade_id].cell_type == "code":
            exec(code, namespace)
    return namespace


# What a student might paste in: right values, computed from the forward pass or with shipped helpers.
ORACLE_ANSWERS = {
    "cell_by_numerical_layer_gradient": (CELL, "rnn_cell_backward", '''
from utils.gradcheck import numerical_layer_gradient
from utils.rnn import rnn_cell_forward


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, params = cache
    m = xt.shape[1]
    out = lambda x_, a_, p_: rnn_cell_forward(x_, a_, p_)[0]
    grads = {"dx": numerical_layer_gradient(lambda v: out(v, a_prev, params), xt.copy(), da_next),
             "da_prev": numerical_layer_gradient(lambda v: out(xt, v, params), a_prev.copy(), da_next)}
    for key in ("Wax", "Waa", "ba"):
        grads["d" + key] = numerical_layer_gradient(
            lambda v: out(xt, a_prev, dict(params, **{key: v})), params[key].copy(), da_next) / m
    return grads
'''),
    "cell_by_hand_written_finite_differences_of_utils_rnn": (CELL, "rnn_cell_backward", '''
from utils.rnn import rnn_cell_forward


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, params = cache
    m = xt.shape[1]
    inputs = {"dx": xt.copy(), "da_prev": a_prev.copy(), "dWax": params["Wax"].copy(),
              "dWaa": params["Waa"].copy(), "dba": params["ba"].copy()}

    def value():
        p = dict(params, Wax=inputs["dWax"], Waa=inputs["dWaa"], ba=inputs["dba"])
        return float(np.sum(da_next * rnn_cell_forward(inputs["dx"], inputs["da_prev"], p)[0]))

    grads = {}
    for key, x in inputs.items():
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + 1e-6
            up = value()
            x[i] = old - 1e-6
            down = value()
            x[i] = old
            g[i] = (up - down) / 2e-6
        grads[key] = g / m if key.startswith(("dW", "db")) else g
    return grads
'''),
    "sequence_with_the_shipped_stand_in": (SEQUENCE, "rnn_backward", '''
from utils.testing import unit6


def rnn_backward(da, caches):
    cell = unit6.cell_backward_stand_in(caches)
    n_a, m, T_x = da.shape
    out = {"dX": np.zeros((caches[0][2].shape[0], m, T_x)), "dWax": 0, "dWaa": 0, "dba": 0}
    carried = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = cell(da[:, :, t] + carried, caches[t])
        out["dX"][:, :, t] = step["dx"]
        for key in ("dWax", "dWaa", "dba"):
            out[key] = out[key] + step[key]
        carried = step["da_prev"]
    out["da0"] = carried
    return out
'''),
    "sequence_by_finite_differences_of_rnn_forward": (SEQUENCE, "rnn_backward", '''
from utils.gradcheck import numerical_gradient, numerical_gradients
from utils.rnn import rnn_forward


def rnn_backward(da, caches):
    X = np.stack([cache[2] for cache in caches], axis=-1)
    a0 = caches[0][1].copy()
    params = {key: np.array(value, dtype=float) for key, value in caches[0][3].items()}
    m = X.shape[1]
    f = lambda X_, a_, p_: float(np.sum(da * rnn_forward(X_, a_, p_)[0]))
    numeric = numerical_gradients(lambda p: f(X, a0, dict(params, **p)), {k: params[k] for k in ("Wax", "Waa", "ba")})
    return {"dWax": numeric["Wax"] / m, "dWaa": numeric["Waa"] / m, "dba": numeric["ba"] / m,
            "dX": numerical_gradient(lambda v: f(v, a0, params), X.copy()),
            "da0": numerical_gradient(lambda v: f(X, v, params), a0.copy())}
'''),
}


@pytest.mark.parametrize("label", sorted(ORACLE_ANSWERS))
def test_an_answer_built_on_an_oracle_earns_nothing(label, capsys):
    """Right values from the forward pass or a shipped helper pass the visible part, not the hidden one."""
    test_cell, graded, answer = ORACLE_ANSWERS[label]
    namespace = _solution_namespace()
    exec(answer, namespace)
    with pytest.raises(AssertionError) as failure:
        exec(_cells("source")[test_cell].source, namespace)
    assert "The visible checks passed." in capsys.readouterr().out, f"{label} should pass the visible part"
    assert str(failure.value).startswith(f"{graded} called "), str(failure.value)


def test_the_release_test_cells_are_specifications():
    """Each visible test cell: a docstring first, then at most 15 lines, calling only utils.testing.unit6."""
    for grade_id, cell in _cells("release").items():
        if not cell.metadata["nbgrader"].get("grade") or cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        assert isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant), grade_id
        lines = [line for line in cell.source.splitlines()[1:] if line.strip()]
        assert len(lines) <= 15, f"{grade_id} has {len(lines)} visible lines"
        imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
        assert all(isinstance(node, ast.ImportFrom) and node.module == "utils.testing" for node in imports), grade_id
        assert not any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in ast.walk(tree)), grade_id


def test_the_release_names_every_rule_the_tests_rely_on():
    """The stand-in's rule and the no-changes rule are stated where the student reads."""
    from utils.testing import unit6

    text = json.dumps([cell.source for cell in _cells("release").values()]) + \
        json.dumps(nbformat.read(notebook_path("release", ASSIGNMENT), as_version=4).cells[0].source)
    assert "call `rnn_cell_backward` with each step's own cache" in text      # unit6.RULES["step_caches"]
    assert "leave the arrays it is given unchanged" in text                      # unit6.RULES["unchanged"]
    assert set(unit6.RULES) == {"step_caches", "unchanged"}, "a new rule must be stated in the assignment too"
