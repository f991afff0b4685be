"""Isolation: a submission sees nothing of the course, writes nothing the grader trusts, leaves nothing behind.

One batch, graded in the bubblewrap sandbox, holds the honest baseline
(solution, wrong answer) and submissions that probe the course files and the
network, try to write the gradebook and the grader's folders, detach
processes that outlive grading, fork without end and fill /tmp. Every one
ends in a recorded state, the honest ones keep exactly their grades, and the
scores in the gradebook are the grader's. Without bubblewrap the sandbox
tests are skipped (set BACKPROP_REQUIRE_SANDBOX=1 to make that a failure);
grading refuses to start then (tests/test_sandbox_fail_closed.py), and
`--sandbox off`'s loud warning is tested either way.
"""

import ast
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import state
from autograder.executor import ExecutionLimits
from autograder.grading import grade_submissions
from autograder.sandbox import (BubblewrapLauncher, FallbackLauncher, SandboxUnavailable, choose_launcher,
                                self_test)
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks

# Top-level folders the read-only environment (the venv, utils/) lives in: /work, or /tmp for a CI clone.
_ENVIRONMENT_TOP = {path.parts[1] for path in (Path(sys.prefix).resolve(), Path(__file__).resolve().parents[1])}
_ENVIRONMENT_UNDER_TMP = {
    path.relative_to("/tmp").parts[0]
    for path in (Path(sys.prefix).resolve(), Path(__file__).resolve().parents[1])
    if path.is_relative_to("/tmp")
}

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}
WRONG = dict(FULL, test_mean_cost=(0.0, 1.0))
# No cell here is meant to time out: the slowest, filling the 256 MiB /tmp and forking up to the
# process cap (whose children sleep 10 s), take seconds on a loaded machine; 60 s per cell cannot be
# reached by them.
LIMITS = ExecutionLimits(cell_timeout=60, wall_clock=600, memory_bytes=2 * 2**30)
TOKEN = f"autograder-detached-{os.getpid()}"

SANDBOX = BubblewrapLauncher()
REASON = self_test(SANDBOX)
needs_sandbox = pytest.mark.skipif(REASON is not None and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"),
                                   reason=f"bubblewrap cannot run here: {REASON}")

PROBE = """
import json, os, socket
course = {course!r}
paths = {{
    "gradebook": course + "/gradebook.db",
    "gradebook, relative": "../../../gradebook.db",
    "source": course + "/source/ps_fixture/ps_fixture.ipynb",
    "source, relative": "../../source/ps_fixture/ps_fixture.ipynb",
    "another student": course + "/submitted/solution/ps_fixture/ps_fixture.ipynb",
    "autograded": course + "/autograded",
    "state": course + "/.autograder",
    "course root": course,
    "grader code": {grader!r},
    "home of root": "/root/.bashrc",
}}
found = {{name: os.path.exists(path) for name, path in paths.items()}}
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).close()
    network = "connected"
except OSError as error:
    network = type(error).__name__
with open("/tmp/" + {student!r}, "w") as stream:
    stream.write("mine")
kernels = os.listdir(os.path.dirname(os.path.dirname(os.getcwd())))
print("PROBE " + json.dumps({{"found": found, "uid": os.getuid(), "network": network, "kernels": kernels,
                              "tmp": sorted(os.listdir("/tmp")), "root": sorted(os.listdir("/"))}}))
"""

WRITER = """
import os, sqlite3
course = {course!r}
results = {{}}
for name, path in {{"gradebook": course + "/gradebook.db", "relative": "../../../gradebook.db",
                   "autograded": course + "/autograded/writer/ps_fixture/ps_fixture.ipynb",
                   "state": course + "/.autograder/state/ps_fixture/writer.json",
                   "feedback": course + "/feedback/writer/ps_fixture/pwned.html"}}.items():
    try:
        with open(path, "a") as stream:
            stream.write("pwned")
        results[name] = "written to " + os.path.realpath(path)
    except OSError as error:
        results[name] = type(error).__name__
try:
    connection = sqlite3.connect(course + "/gradebook.db")
    connection.execute("UPDATE grade SET auto_score = max_score")
    connection.commit()
    results["sql"] = "written"
except sqlite3.Error as error:
    results["sql"] = type(error).__name__
print("WRITER", results)
"""

FORK_BOMB = """
import os, time
children = 0
try:
    while children < 3000:
        if os.fork() == 0:
            time.sleep(10)  # long enough to reach the cap even when forking is slow on a loaded machine
            os._exit(0)
        children += 1
except OSError as error:
    print("FORKS", children, error.errno)
"""

FILL_TMP = """
written = 0
try:
    with open("/tmp/filler", "wb") as stream:
        while written < 2**31:
            stream.write(b"x" * 2**20)
            written += 2**20
except OSError as error:
    print("FILLED", written // 2**20, "MiB", error.errno)
"""


def _outputs(course, student):
    notebook = nbformat.read(course.autograded_folder(student, A) / f"{A}.ipynb", as_version=4)
    return "\n".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []) if output.get("output_type") == "stream")


def _line(text, prefix):
    return next(line[len(prefix):].strip() for line in text.splitlines() if line.startswith(prefix))


@pytest.fixture(scope="module")
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, listener):
    if REASON is not None:
        pytest.fail(f"BACKPROP_REQUIRE_SANDBOX is set but bubblewrap cannot run: {REASON}")
    course = classroom.make_course(tmp_path_factory.mktemp("isolation"))
    root = str(course.root)
    grader = str(sys.modules["autograder.sandbox"].__file__)
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "wrong", classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}))
    for student in ("probe", "probe_too"):
        code = PROBE.format(course=root, grader=grader, port=listener, student=student)
        classroom.submit(course, A, student, attacks.with_cell(course, code))
    classroom.submit(course, A, "writer", attacks.with_cell(course, WRITER.format(course=root), after="mean_cost",
                                                             replacements={"mean_cost": attacks.WRONG_MEAN_COST}))
    classroom.submit(course, A, "detached", attacks.with_cell(course, attacks.detached(TOKEN, root)))
    classroom.submit(course, A, "fill_tmp", attacks.with_cell(course, FILL_TMP))
    if SANDBOX.task_limit() == "cgroup" or os.geteuid() != 0:
        classroom.submit(course, A, "fork_bomb", attacks.with_cell(course, FORK_BOMB,
                                                                   after="test_linear_gradients_db"))
    before = classroom.gradebook_snapshot(course, A) if course.gradebook_path.exists() else {}
    records = grade_submissions(course, A, jobs=2, limits=LIMITS, launcher=SANDBOX)
    return course, records, before


@needs_sandbox
def test_every_submission_is_graded_and_honest_ones_keep_exactly_their_grades(batch):
    course, records, _ = batch
    assert all(record.final for record in records.values()), {s: r.status for s, r in records.items()}
    assert records["solution"].scores == FULL and records["solution"].incidents == []
    assert records["wrong"].scores == WRONG and records["wrong"].incidents == []
    for student in ("probe", "probe_too", "detached", "fill_tmp"):
        assert records[student].scores == FULL, (student, records[student].scores)
    assert all("bubblewrap sandbox" in record.launcher for record in records.values())


@needs_sandbox
def test_the_course_is_invisible_the_network_unreachable_and_tmp_private(batch):
    course, _, _ = batch
    for student in ("probe", "probe_too"):
        seen = json.loads(_line(_outputs(course, student), "PROBE "))
        assert not any(seen["found"].values()), seen["found"]
        assert seen["uid"] == 65534 or not SANDBOX.user_namespace
        assert seen["network"] != "connected"
        # /tmp: the sandbox's own home, this probe's file, and the folder holding this kernel only
        # (plus, for a course checked out under /tmp, the mount points of its read-only environment)
        assert [name for name in seen["tmp"] if not name.startswith("autograder-") and name not in _ENVIRONMENT_UNDER_TMP] \
            == ["home", student], seen
        assert len(seen["kernels"]) == 1, seen["kernels"]
        assert "proc" not in seen["root"] and not {"tmp", "usr", *_ENVIRONMENT_TOP} - set(seen["root"])


@needs_sandbox
def test_writes_to_the_gradebook_and_grader_folders_fail_and_scores_are_the_graders(batch):
    course, records, _ = batch
    results = ast.literal_eval(_line(_outputs(course, "writer"), "WRITER "))
    # the relative path lands in the sandbox's own /tmp (it is three levels up from the working copy)
    assert results.pop("relative") in ("written to /tmp/gradebook.db", "FileNotFoundError", "PermissionError")
    assert not any(result.startswith("written") for result in results.values()), results
    assert records["writer"].scores == WRONG
    snapshot = classroom.gradebook_snapshot(course, A)
    assert snapshot[("writer", A, "test_mean_cost")][0] == 0.0
    assert snapshot[("solution", A, "test_mean_cost")][0] == 1.0
    assert not [path for path in course.root.rglob("*") if path.is_file() and "pwned" in path.name]
    autograded = (course.autograded_folder("writer", A) / f"{A}.ipynb").read_text()
    assert not autograded.endswith("pwned")


@needs_sandbox
def test_no_process_of_a_submission_outlives_its_grading(batch):
    course, records, _ = batch
    assert "spawned" in _outputs(course, "detached")
    assert attacks.detached_processes(TOKEN, wait=0) == []
    (leftover,) = [i for i in records["detached"].incidents if i.kind == "leftover_process"]
    assert TOKEN + "-session" in leftover.message and TOKEN + "-bare" in leftover.message
    time.sleep(attacks.LATE_SECONDS + 1)  # the late writer would have written by now
    assert not (course.root / f"late-{TOKEN}").exists()
    assert classroom.gradebook_snapshot(course, A)[("solution", A, "test_mean_cost")][0] == 1.0


@needs_sandbox
def test_a_fork_bomb_is_contained_and_its_earlier_cells_keep_their_points(batch):
    course, records, _ = batch
    if "fork_bomb" not in records:
        pytest.skip("running as root without a writable pids cgroup: no limit would hold the fork bomb")
    record = records["fork_bomb"]
    assert record.final and record.scores == FULL, record.scores
    outputs = _outputs(course, "fork_bomb")
    assert "FORKS " in outputs, f"the fork bomb never hit the process limit; its outputs:\n{outputs[-3000:]}"
    forks = _line(outputs, "FORKS ").split()
    assert int(forks[0]) < SANDBOX.max_tasks, forks


@needs_sandbox
def test_filling_tmp_stops_at_the_tmpfs_size(batch):
    course, _, _ = batch
    filled = _line(_outputs(course, "fill_tmp"), "FILLED ").split()
    assert int(filled[0]) * 2**20 <= SANDBOX.tmp_bytes


NUMERICS = """
import numpy as np
rng = np.random.default_rng(0)
A, B = rng.normal(size=(30, 400)), rng.normal(size=(400, 30))
print((A @ B).sum().hex(), np.exp(A).sum().hex(), np.linalg.solve(A @ B + 400 * np.eye(30), A[:, :1]).sum().hex())
"""


@needs_sandbox
def test_numbers_computed_in_the_sandbox_are_bit_identical_to_the_graders_environment(tmp_path):
    # BLAS picks its kernels from the environment (e.g. OPENBLAS_CORETYPE); other kernels round
    # differently, which can move a borderline accuracy test across its threshold.
    (tmp_path / "work").mkdir()
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    outside = subprocess.run([sys.executable, "-c", NUMERICS], capture_output=True, text=True, env=environment)
    inside = subprocess.run([*SANDBOX.sandbox_args(tmp_path, tmp_path / "work"), "--", os.path.abspath(sys.executable),
                             "-c", NUMERICS], capture_output=True, text=True)
    assert inside.returncode == 0, inside.stderr
    assert inside.stdout == outside.stdout


def test_without_bubblewrap_nothing_falls_back_and_off_says_so_loudly_everywhere(tmp_path):
    for mode in ("auto", "bubblewrap"):
        with pytest.raises(SandboxUnavailable, match="not installed.*--sandbox off") as refused:
            choose_launcher(mode, bwrap=str(tmp_path / "no-bwrap"))
        assert refused.value.reason.startswith("bubblewrap is not installed")
    launcher, warning = choose_launcher("off", bwrap=str(tmp_path / "no-bwrap"))
    assert isinstance(launcher, FallbackLauncher) and not launcher.sandboxed()
    assert "WARNING" in warning and "WITHOUT isolation" in warning
    assert launcher.describe(LIMITS).startswith("NOT SANDBOXED (the sandbox was switched off (--sandbox off))")
    (incident,) = launcher.incidents()
    assert incident.kind == "not_sandboxed" and incident.message.startswith("not sandboxed: the sandbox was switched")


def test_grade_with_the_sandbox_off_warns_records_it_and_still_guards_the_tests(tmp_path):
    course = classroom.make_course(tmp_path)
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "input_transformer", attacks.tampering(course, "input_transformer"))
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--quiet", "--jobs", "2",
                           "--sandbox", "off", "--course", str(course.root)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "WARNING" in done.stderr and "WITHOUT isolation" in done.stderr
    records = state.load_all(course, A)
    for record in records.values():
        assert record.status == state.GRADED_WITH_INCIDENTS and record.launcher.startswith("NOT SANDBOXED")
        assert [i for i in record.incidents if i.kind == "not_sandboxed"]
    assert records["solution"].scores == FULL
    assert records["input_transformer"].scores["test_mean_cost"] == (0.0, 1.0)
    assert [i for i in records["input_transformer"].incidents if i.kind == "tampering"]
    assert "not sandboxed" in done.stdout.lower() or "not_sandboxed" in done.stdout
