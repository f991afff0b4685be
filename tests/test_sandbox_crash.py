"""Killing the sandboxed grader at a random moment of a batch of malicious submissions, then rerunning,
gives the gradebook of an uninterrupted run, and leaves no sandbox, kernel or student process behind.

(tests/test_pipeline_crash.py kills the grader at two chosen moments of an
honest batch; here the moment is random, printed for reproduction, and the
batch holds a crashing kernel, a tampering attack, a detached process, an
attempt to write the gradebook and an endless loop.)
"""

import os
import random
import signal
import subprocess
import sys
import time

import psutil
import pytest

from autograder import state
from autograder.executor import ExecutionLimits
from autograder.grading import grade_submissions
from autograder.sandbox import BubblewrapLauncher, self_test
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks
from tests.process_support import processes_with

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
STAMP = "2026-01-10 09:00:00.000000 UTC"
# Only the endless loop is meant to reach it: the fixture's other cells need a few milliseconds of CPU
# each, so 15 s leaves them a wide margin on a loaded machine (and sets the endless loop's cost).
CELL_TIMEOUT = 15
TOKEN = f"autograder-crash-{os.getpid()}"

SANDBOX = BubblewrapLauncher()
REASON = self_test(SANDBOX)
if REASON is not None and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"):
    pytest.skip(f"bubblewrap cannot run here: {REASON}", allow_module_level=True)

DETACHED = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "{TOKEN}"], start_new_session=True)
"""

WRITER = """
import sqlite3
try:
    sqlite3.connect({gradebook!r}).execute("UPDATE grade SET auto_score = max_score")
except sqlite3.Error as error:
    print(type(error).__name__)
"""


def _class(course):
    notebooks = {
        "solution": classroom.submission(course, A),
        "wrong": classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}),
        "os_exit": attacks.in_answer(course, "import os\nos._exit(1)"),
        "endless": attacks.in_answer(course, "while True:\n    pass"),
        "input_transformer": attacks.tampering(course, "input_transformer"),
        "detached": attacks.with_cell(course, DETACHED),
        "writer": attacks.with_cell(course, WRITER.format(gradebook=str(course.gradebook_path)), after="mean_cost",
                                    replacements={"mean_cost": attacks.WRONG_MEAN_COST}),
    }
    for student, notebook in notebooks.items():
        classroom.submit(course, A, student, notebook, STAMP)
    return sorted(notebooks)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("uninterrupted"))
    students = _class(course)
    started = time.monotonic()
    grade_submissions(course, A, jobs=2, limits=ExecutionLimits(cell_timeout=CELL_TIMEOUT), launcher=SANDBOX)
    return students, classroom.gradebook_snapshot(course, A), time.monotonic() - started


def _descendants(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _strays():
    return processes_with(TOKEN)


def test_kill_at_a_random_moment_then_rerun_gives_the_same_gradebook(tmp_path, uninterrupted):
    students, expected, seconds = uninterrupted
    course = classroom.make_course(tmp_path)
    _class(course)
    seed = random.randrange(2**32)
    moment = random.Random(seed).uniform(1.0, max(1.5, 0.8 * seconds))
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", A, "--jobs", "2", "--quiet",
                                "--cell-timeout", str(CELL_TIMEOUT), "--course", str(course.root)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    tree, started = [], time.monotonic()
    while process.poll() is None and time.monotonic() - started < moment:
        tree = _descendants(process.pid) or tree
        time.sleep(0.02)
    assert process.poll() is None, f"the grader finished before {moment:.1f} s (seed {seed})"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list(state.state_folder(course, A).glob("*.json")))
    assert done < len(students), f"the kill at {moment:.1f} s came after the batch was done (seed {seed})"

    # the sandboxes die with the grader: no bwrap, kernel or detached student process is left
    _, alive = psutil.wait_procs(tree, timeout=20)
    assert alive == [], (seed, [p.cmdline() for p in alive if p.is_running()])
    deadline = time.monotonic() + 10
    while _strays() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _strays() == [], seed

    records = grade_submissions(course, A, jobs=2, limits=ExecutionLimits(cell_timeout=CELL_TIMEOUT),
                                launcher=SANDBOX)
    assert sorted(records) == students and all(record.final for record in records.values())
    assert classroom.gradebook_snapshot(course, A) == expected, f"killed at {moment:.1f} s (seed {seed})"
