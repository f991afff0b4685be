"""Killing the grader in the middle of a batch, then rerunning, gives the gradebook of an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from autograder import state
from autograder.grading import grade_submissions
from tests.fixtures.pipeline import classroom

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
STAMP = "2026-01-10 09:00:00.000000 UTC"


def _class(course):
    notebooks = {"solution": classroom.submission(course, A),
                 "blank": classroom.submission(course, A, fill_solutions=False),
                 "with_stderr": classroom.with_stderr(course),
                 "crash": classroom.crash_after_first_answer(course),
                 "deleted_test": classroom.deleted_test(course)}
    for name, (grade_id, code, _) in classroom.FIXTURE_MISTAKES.items():
        notebooks[name] = classroom.submission(course, A, {grade_id: code})
    for student, notebook in notebooks.items():
        classroom.submit(course, A, student, notebook, STAMP)
    return sorted(notebooks)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("uninterrupted"))
    students = _class(course)
    grade_submissions(course, A, jobs=2)
    return students, classroom.gradebook_snapshot(course, A)


def _kill_when(course, condition, timeout=120):
    """Start `python -m autograder grade` and SIGKILL it when condition() holds; return its process tree."""
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, "--jobs", "2", "--quiet",
                                "--course", str(course.root)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    tree = []
    while time.monotonic() < deadline and process.poll() is None and not condition():
        try:
            tree = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the grader finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return tree


def _records(course):
    return list(state.state_folder(course, A).glob("*.json"))


@pytest.mark.parametrize("moment", ["after_two_students", "while_starting"])
def test_kill_then_rerun_gives_the_same_gradebook(tmp_path, uninterrupted, moment):
    students, expected = uninterrupted
    course = classroom.make_course(tmp_path)
    _class(course)
    started = time.monotonic()
    if moment == "after_two_students":
        kernels = _kill_when(course, lambda: len(_records(course)) >= 2)
    else:
        kernels = _kill_when(course, lambda: time.monotonic() - started > 1.5)
    assert len(_records(course)) < len(students), "the kill came after the batch was done"
    # the kernels of the killed grader end too (they watch their parent)
    gone, alive = psutil.wait_procs(kernels, timeout=20)
    assert alive == [], [p.cmdline() for p in alive]

    records = grade_submissions(course, A, jobs=2)
    assert sorted(records) == students and all(record.final for record in records.values())
    assert classroom.gradebook_snapshot(course, A) == expected
