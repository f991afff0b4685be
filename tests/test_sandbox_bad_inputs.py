"""Bad inputs inside the sandbox: none stops the batch, cells before a crash keep their points.

The pipeline's tests cover these cases with a plain kernel; here they run
through the bubblewrap launcher, whose kernel sits behind /bin/sh, bwrap and
a pid namespace, so interrupts, deaths and limits take a different path:
SystemExit, os._exit, SIGKILL and SIGSEGV (also from inside a test), memory
bombs (at once and step by step), an endless loop with and without SIGINT
ignored, 20 MB of output on one line and 200 000 lines, a renamed test cell,
a truncated notebook and a file that is not text. One class; the solution and
the wrong answer in it keep exactly the grades they get alone.

Each case tests its intent whatever the load (the machine may be busy with
other work): the class is graded in two calls. The two endless loops, whose
intent is the cell time limit, get a short one (TIMEOUT_LIMITS); everything
else gets a limit no cell of it can reach on a loaded machine (LIMITS), so a
memory bomb always ends as the MemoryError it raises, never as a timeout.
"""

import os

import nbformat
import pytest

from autograder import state
from autograder.executor import ExecutionLimits
from autograder.grading import grade_submissions
from autograder.sandbox import BubblewrapLauncher, self_test
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}
WRONG = dict(FULL, test_mean_cost=(0.0, 1.0))
FIRST_ONLY = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (0.0, 2.0),
              "test_linear_gradients_db": (0.0, 1.0)}
# No cell here is meant to time out. The slowest honest work is the step-by-step memory bomb: it
# zero-fills up to 2 GiB, about a second on an idle machine, and many times that when other
# processes fight for the cores and the memory; 120 s per cell cannot be reached by it.
LIMITS = ExecutionLimits(cell_timeout=120, wall_clock=600, memory_bytes=2 * 2**30, max_output_lines=1000)
# For the endless loops, whose intent is the cell limit. The fixture's other cells need a few
# milliseconds of CPU each, so 10 s leaves them a margin of several hundred times under any load.
TIMEOUT_LIMITS = ExecutionLimits(cell_timeout=10, wall_clock=300, memory_bytes=2 * 2**30, max_output_lines=1000)
TIMEOUT_CASES = ("endless", "endless_ignoring_sigint")

SANDBOX = BubblewrapLauncher()
REASON = self_test(SANDBOX)
if REASON is not None and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"):
    pytest.skip(f"bubblewrap cannot run here: {REASON}", allow_module_level=True)

#: student -> (code run in the linear_gradients answer cell after its function, expected scores, incident kind)
IN_ANSWER = {
    "sys_exit": ("import sys\nsys.exit()", FULL, None),
    "os_exit": ("import os\nos._exit(1)", FIRST_ONLY, "kernel_died"),
    "sigkill": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", FIRST_ONLY, "kernel_died"),
    "sigsegv": ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", FIRST_ONLY, "kernel_died"),
    "memory_bomb": ("_hog = bytearray(8 * 2**30)", FULL, None),
    # Frees what it took once it fails: how much memory a creep leaves free is otherwise down to chance
    # (thread arenas), and a kernel left without any can die in a later cell (libzmq aborts when an
    # allocation fails), which is the kernel-death cases' subject, not this one's.
    "memory_creep": ("_hog = []\ntry:\n    while True:\n        _hog.append(bytearray(2**26))\n"
                     "finally:\n    _hog.clear()", FULL, None),
    "endless": ("while True:\n    pass", FULL, "timeout"),
    "endless_ignoring_sigint": ("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                                FIRST_ONLY, "kernel_unresponsive"),
    "huge_line": ("print('x' * (20 * 2**20))", FULL, None),
    "many_lines": ("for _i in range(200_000):\n    print(_i)", FULL, None),
}

#: the student's function kills the kernel when a test calls it
DIES_IN_TEST = ("def linear_gradients(dZ, A_prev):\n    import os\n    os._exit(1)\n")


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("bad_inputs"))
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "wrong", classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}))
    for student, (code, _, _) in IN_ANSWER.items():
        classroom.submit(course, A, student, attacks.in_answer(course, code))
    classroom.submit(course, A, "dies_in_test", classroom.submission(course, A, {"linear_gradients": DIES_IN_TEST}))
    renamed = classroom.submission(course, A)
    for cell in renamed.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_mean_cost":
            cell.metadata.nbgrader["grade_id"] = "my_test"
    classroom.submit(course, A, "renamed_test", renamed)
    folder = classroom.submit(course, A, "truncated", classroom.submission(course, A))
    text = (folder / f"{A}.ipynb").read_text()
    (folder / f"{A}.ipynb").write_text(text[: len(text) // 2])
    folder = classroom.submit(course, A, "binary", classroom.submission(course, A))
    (folder / f"{A}.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    timeouts = grade_submissions(course, A, jobs=2, limits=TIMEOUT_LIMITS, launcher=SANDBOX,
                                 students=list(TIMEOUT_CASES))
    others = [student for student in course.submitted_students(A) if student not in TIMEOUT_CASES]
    records = grade_submissions(course, A, jobs=2, limits=LIMITS, launcher=SANDBOX, students=others)
    return course, {**records, **timeouts}


def _kinds(record):
    return {(incident.kind, incident.cell) for incident in record.incidents}


def test_every_submission_ends_in_a_recorded_state_and_honest_grades_are_exact(batch):
    course, records = batch
    assert set(records) == set(course.submitted_students(A))
    assert all(record.final for record in records.values()), {s: r.status for s, r in records.items()}
    assert records["solution"].scores == FULL and records["solution"].incidents == []
    assert records["wrong"].scores == WRONG and records["wrong"].incidents == []


@pytest.mark.parametrize("student", sorted(IN_ANSWER))
def test_each_bad_cell_costs_only_what_comes_after_it(batch, student):
    _, records = batch
    _, expected, kind = IN_ANSWER[student]
    record = records[student]
    assert record.scores == expected, (record.scores, record.incidents)
    if kind is not None:
        assert (kind, "linear_gradients") in _kinds(record), record.incidents
    assert not [i for i in record.incidents if i.kind in ("tampering", "guard_unavailable")], record.incidents


def test_memory_bombs_become_errors_in_their_own_cell(batch):
    course, _ = batch
    for student in ("memory_bomb", "memory_creep"):
        executed = nbformat.read(course.autograded_folder(student, A) / f"{A}.ipynb", as_version=4)
        (cell,) = [c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "linear_gradients"]
        assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["MemoryError"]


def test_a_kernel_that_dies_inside_a_test_loses_that_test_and_the_rest(batch):
    _, records = batch
    record = records["dies_in_test"]
    assert record.scores == FIRST_ONLY
    assert ("kernel_died", "test_linear_gradients_dW") in _kinds(record)


def test_huge_outputs_are_kept_within_the_line_limit(batch):
    course, _ = batch
    executed = nbformat.read(course.autograded_folder("many_lines", A) / f"{A}.ipynb", as_version=4)
    lines = sum(o.get("text", "").count("\n") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert lines <= LIMITS.max_output_lines + 50


def test_a_20_mb_line_is_cut_to_the_character_limit(batch):
    course, records = batch
    assert records["huge_line"].scores == FULL
    executed = nbformat.read(course.autograded_folder("huge_line", A) / f"{A}.ipynb", as_version=4)
    texts = [o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert max(map(len, texts)) <= LIMITS.max_output_chars + 200
    assert any("output truncated by the grader" in text for text in texts)


def test_a_renamed_test_cell_is_graded_from_the_instructors_version(batch):
    _, records = batch
    record = records["renamed_test"]
    assert record.scores == FULL
    kinds = _kinds(record)
    assert ("unknown_cell", "my_test") in kinds
    # matched back by its text (or, failing that, restored from the instructor's version)
    assert ("stripped_metadata", None) in kinds or ("missing_cell", "test_mean_cost") in kinds, kinds


def test_broken_files_are_ungradable_with_the_position_or_the_reason(batch):
    _, records = batch
    assert records["truncated"].status == state.UNGRADABLE
    assert "not valid JSON at line" in records["truncated"].reason and "column" in records["truncated"].reason
    assert records["binary"].status == state.UNGRADABLE
    assert "not UTF-8" in records["binary"].reason or "not valid JSON" in records["binary"].reason
