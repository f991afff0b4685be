"""The diagnosis first: failing cells in a real kernel, the grader's scoring, and the guard.

A real ipykernel (through nbclient, as JupyterLab and nbgrader run it)
executes cells that fail the way students' cells do; the error output's
first traceback entry must be the diagnosis, the rest only the student's
own frames. Then the guarded grader: utils.testing's display is accepted
(an honest wrong answer gets the diagnosis-first feedback, no incident),
and a submission that monkeypatches utils.testing is caught as tampering.
"""

import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from autograder import scoring
from tests.fixtures.pipeline import classroom
from utils.testing import _display

ANSI = re.compile(r"\x1b\[[0-9;]*m")

CELLS = {
    "imports": "import numpy as np\nimport utils.testing\nfrom utils.checks import check_array, run_student",
    "student": (
        "def linear_backward(dZ, cache):\n"
        "    A_prev, W, b = cache\n"
        "    assert dZ.shape == W.shape\n"
        "    return W.T @ dZ, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)\n"
    ),
    "bare_assert": "run_student(linear_backward, np.ones((3, 7)), (np.ones((5, 7)), np.ones((3, 5)), np.ones((3, 1))))",
    "check": "check_array('dW', np.full((3, 5), 7.0), np.ones((3, 5)), m=7, where='the line computing dW')",
    "name_error": "def optimize(w):\n    return copy.deepcopy(w)\n\nrun_student(optimize, np.ones(3))",
    "inside": "def f(x):\n    return x[10]\n\nrun_student(f, [1, 2])",
    "full": "%tb",
}


def plain(text):
    return ANSI.sub("", text)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The cells above run in one real kernel, errors allowed; {name: executed cell}."""
    notebook = new_notebook(cells=[new_code_cell(source) for source in CELLS.values()])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(notebook, timeout=300, startup_timeout=300, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(classroom.REPO)}})
    client.execute()
    return dict(zip(CELLS, notebook.cells))


def error_of(cell):
    (error,) = [output for output in cell.outputs if output.output_type == "error"]
    return error


def test_a_failed_check_shows_its_diagnosis_first_and_only_the_students_frames(executed):
    error = error_of(executed["check"])
    entries = [plain(entry) for entry in error.traceback]
    assert entries[0].startswith("AssertionError: dW is off by a factor of m = 7")
    assert "Likely reason: you forgot to average" in entries[0].splitlines()[1]
    assert "Look at: the line computing dW." in entries[0]
    assert error.ename == "AssertionError" and error.evalue.startswith("dW is off by a factor of m = 7")
    assert re.match(r"Cell In\[\d+\], line 1, in <module>\n    check_array\('dW'", entries[1])
    assert len(entries) == 3 and "not shown; %tb shows them" in entries[2]
    text = "\n".join(entries)
    assert "checks.py" not in text and "interactiveshell" not in text
    status = "".join(output.text for output in executed["check"].outputs if output.output_type == "stream")
    assert status.startswith("  dW       WRONG")  # the per-tensor line, printed just above


def test_a_bare_assert_shows_its_own_line(executed):
    error = error_of(executed["bare_assert"])
    first = plain(error.traceback[0])
    assert first.startswith("AssertionError: an `assert` without a message failed in linear_backward (Cell In[")
    assert "    assert dZ.shape == W.shape" in first
    assert any("in linear_backward\n    assert dZ.shape == W.shape" in plain(entry) for entry in error.traceback[1:])
    counts = {executed["student"].execution_count}
    assert scoring.diagnosis_of(error, counts).startswith("an `assert` without a message failed in linear_backward")
    # the same bare assert inside a test cell could be hidden test code: the grader never shows its line
    assert scoring.diagnosis_of(error, set()) == "an `assert` in the test failed (it has no message)"


def test_a_name_error_points_to_what_exists(executed):
    error = error_of(executed["name_error"])
    first = plain(error.traceback[0])
    assert first.startswith("NameError: name 'copy' is not defined\nHow to fix it: `copy` is a standard module: "
                            "add `import copy`")
    assert plain(error.traceback[-2]).endswith("in optimize\n    return copy.deepcopy(w)")


def test_an_error_inside_the_students_function_points_at_its_line(executed):
    entries = [plain(entry) for entry in error_of(executed["inside"]).traceback]
    assert entries[0] == "IndexError: list index out of range"
    assert entries[-2].endswith("in f\n    return x[10]")


def test_tb_still_prints_the_full_traceback(executed):
    text = plain("\n".join(error_of(executed["full"]).traceback))  # IPython's own, in full
    assert "Traceback (most recent call last)" in text and "utils/checks.py" in text and "IndexError" in text


def test_install_is_idempotent_and_leaves_another_handler_alone():
    calls = []

    class Shell:
        custom_exceptions = ()

        def set_custom_exc(self, exceptions, handler):
            calls.append(exceptions)
            self.custom_exceptions = exceptions

    shell = Shell()
    assert _display.install(shell) and _display.install(shell)
    assert calls == [(Exception,)]
    other = Shell()
    other.custom_exceptions = (KeyError,)
    assert not _display.install(other) and calls == [(Exception,)]
    assert not _display.install(None) or _display.install(None)  # outside IPython: no shell, nothing to do


def test_a_failing_formatter_falls_back_to_ipythons_own_traceback(monkeypatch):
    shown = []

    class Shell:
        def _showtraceback(self, *args):
            shown.append(("ours", args))

        def showtraceback(self, exc_tuple, tb_offset=None):
            shown.append(("ipython", exc_tuple[0]))

    def broken(*args, **kwargs):
        raise RuntimeError("formatter bug")

    monkeypatch.setattr(_display, "structured_diagnosis", broken)
    try:
        raise ValueError("x")
    except ValueError as error:
        _display.show_diagnosis(Shell(), ValueError, error, error.__traceback__)
    assert shown == [("ipython", ValueError)]


def test_library_files_are_not_the_students():
    assert _display.is_library_file(np.__file__)
    assert _display.is_library_file(_display.__file__)
    assert _display.is_library_file("<frozen importlib._bootstrap>")
    assert not _display.is_library_file("/tmp/ipykernel_12/3456.py")
    assert not _display.is_library_file("<ipython-input-3-abc>")


# ----------------------------------------------------------------------------
# The guarded grader
# ----------------------------------------------------------------------------

A = classroom.FIXTURE
WRONG_MEAN_COST = "import numpy as np\n\ndef mean_cost(L):\n    return float(np.sum(L))\n"
PATCH_TESTING = WRONG_MEAN_COST + (
    "\nimport utils.testing._common\n"
    "utils.testing._common.value_difference = lambda given, known, label='it': None\n"
)
DROP_DISPLAY = WRONG_MEAN_COST + "\nget_ipython().set_custom_exc((), None)\n"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    from autograder.executor import ExecutionLimits
    from autograder.grading import grade_submissions
    from tests.test_sandbox_integrity import guarded_launcher

    course = classroom.make_course(tmp_path_factory.mktemp("display"))
    for name, code in (("honest", WRONG_MEAN_COST), ("patch_testing", PATCH_TESTING),
                       ("drop_display", DROP_DISPLAY)):
        classroom.submit(course, A, name, classroom.submission(course, A, {"mean_cost": code}))
    return grade_submissions(course, A, jobs=2, limits=ExecutionLimits(cell_timeout=60, wall_clock=300),
                             launcher=guarded_launcher())


@pytest.mark.slow
def test_the_guard_accepts_the_display_and_the_feedback_starts_with_the_diagnosis(guarded):
    record = guarded["honest"]
    assert not record.incidents, record.incidents
    assert record.scores["test_mean_cost"][0] == 0
    feedback = record.feedback["test_mean_cost"]
    assert feedback.startswith("AssertionError: "), feedback
    assert "factor" in feedback.splitlines()[0]


@pytest.mark.slow
@pytest.mark.parametrize("attack", ["patch_testing", "drop_display"])
def test_tampering_with_utils_testing_is_an_incident(guarded, attack):
    from autograder.integrity import TAMPERING

    record = guarded[attack]
    kinds = [incident.kind for incident in record.incidents]
    assert TAMPERING in kinds, record.incidents
    assert all(points == 0 for points, _ in record.scores.values()), record.scores
