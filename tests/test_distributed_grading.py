"""Grading on Dask workers into a PostgreSQL gradebook gives exactly what the embedded engine gives on SQLite.

One class, graded three ways, compared cell by cell (scores, comments,
timestamps, states and incident kinds):

1. embedded, SQLite (today's default);
2. `--cluster local:2`, PostgreSQL, and the coordinator SIGKILLed mid-batch,
   then run again: no process of the first run is left, and the gradebook is
   the one an uninterrupted run gives;
3. `--cluster tcp://...` with a separately started `dask scheduler` and two
   `dask worker`s, PostgreSQL, and one worker SIGKILLed mid-batch: its
   submissions are rerun elsewhere, its sandboxed kernels are gone, and the
   gradebook is the same. The second assignment goes through
   DASK_SCHEDULER_ADDRESS instead of --cluster.

The class: unit 1's solution, blank release and every typical mistake of
tests/test_unit1_grading.py, and on the pipeline's fixture assignment the
sandbox's bad submissions (tampering, a rigged __eq__, os._exit, SIGKILL,
an endless loop, a memory bomb, 20 MB of output, a detached process, a
corrupt file) plus a cell reading a data file of the assignment, which
reaches the workers inside the task's plugin, not through a shared folder.

Also: a submission that kills its worker (possible only without the
sandbox) ends as a `failed` record with a `worker_died` incident after Dask
gave up on it, and the batch goes on; two coordinators started at once on a
fresh database: one grades, the other stops with a clear message.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder import release, state
from autograder.clusters import ClusterError, ClusterSpec, parse_cluster
from autograder.course import Course
from autograder.grading import grade_submissions, load_results
from tests.dask_support import DaskCluster
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks
from tests.nbgrade_support import with_bug
from tests.pg_support import postgres  # noqa: F401 - the session fixture
from tests.process_support import processes_with
from tests.test_unit1_grading import MISTAKES as UNIT1_MISTAKES

REPO = Path(__file__).resolve().parents[1]
UNIT1 = "01_logistic_regression"
A = classroom.FIXTURE
STAMP = "2026-01-10 09:00:00.000000 UTC"
CELL_TIMEOUT = "5"  # for the fixture's bad submissions (endless loops)
TOKEN = f"autograder-distributed-{os.getpid()}"
DATA = "w = 0.25, read from a data file of the assignment\n"

DETACHED = f"""
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", "{TOKEN}"], start_new_session=True)
"""

#: Fixture students -> code run in the linear_gradients answer after its function.
IN_ANSWER = {
    "os_exit": "import os\nos._exit(1)",
    "sigkill": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "endless": "while True:\n    pass",
    "memory_bomb": "_hog = bytearray(8 * 2**30)",
    "huge_line": "print('x' * (20 * 2**20))",
}


# ---------------------------------------------------------------- --cluster values (quick)


def test_cluster_values_name_the_engine():
    assert parse_cluster(None, {}) == ClusterSpec("embedded")
    assert parse_cluster(None, {"DASK_SCHEDULER_ADDRESS": "tcp://lab1:8786"}) == \
        ClusterSpec("scheduler", address="tcp://lab1:8786")
    assert parse_cluster("embedded", {"DASK_SCHEDULER_ADDRESS": "tcp://lab1:8786"}).embedded
    assert parse_cluster("local:3", {}) == ClusterSpec("local", workers=3)
    assert parse_cluster("tls://10.0.0.5:8786", {}).address == "tls://10.0.0.5:8786"
    for wrong in ("local:0", "local:", "local:two", "lab1:8786", "8786"):
        with pytest.raises(ClusterError, match="expected local:W"):
            parse_cluster(wrong, {})


# ---------------------------------------------------------------- the class


def _unit1_class(course):
    from tests.nbgrade_support import solution_code

    solutions = solution_code(UNIT1)
    notebooks = {"u1_solution": classroom.submission(course, UNIT1),
                 "u1_blank": classroom.submission(course, UNIT1, fill_solutions=False)}
    for name, (cell, replacements, *_rest) in UNIT1_MISTAKES.items():
        notebooks[f"u1_{name}"] = classroom.submission(course, UNIT1, {cell: with_bug(solutions, cell, replacements)})
    return notebooks


def _fixture_class(course):
    notebooks = {"solution": classroom.submission(course, A),
                 "blank": classroom.submission(course, A, fill_solutions=False),
                 "input_transformer": attacks.tampering(course, "input_transformer"),
                 "rigged_eq": attacks.rigged_eq(course),
                 "detached": attacks.with_cell(course, DETACHED),
                 "reads_data": attacks.with_cell(course, "print(open('weights.txt').read())")}
    for student, code in IN_ANSWER.items():
        notebooks[student] = attacks.in_answer(course, code)
    return notebooks


def build_course(root):
    """A course holding unit 1 and the fixture (with a data file), and the whole class submitted."""
    course = classroom.make_course(root, UNIT1)
    shutil.copytree(classroom.FIXTURE_SOURCE / A, course.source / A)
    (course.source / A / "weights.txt").write_text(DATA)
    release.release(course, [A])
    for assignment, notebooks in ((UNIT1, _unit1_class(course)), (A, _fixture_class(course))):
        for student, notebook in notebooks.items():
            classroom.submit(course, assignment, student, notebook, STAMP)
    corrupt = course.submission_folder("corrupt", A)
    corrupt.mkdir(parents=True)
    (corrupt / f"{A}.ipynb").write_text(classroom.CORRUPT_NOTEBOOK)
    (corrupt / "timestamp.txt").write_text(STAMP)
    return course


def outcome(course, db_url=None):
    """What a grading run left: the gradebook of both assignments, and each record's state and incidents."""
    course = Course(course.root, db_url=db_url)
    found = {}
    for assignment in (UNIT1, A):
        found[assignment] = classroom.gradebook_snapshot(course, assignment)
        found[assignment + " states"] = {
            student: (record.status, sorted({(incident.kind, incident.cell) for incident in record.incidents}))
            for student, record in load_results(course, assignment).items()}
    return found


def grade_command(course, assignment, *options):
    command = [sys.executable, "-m", "autograder", "grade", assignment, "--quiet", "--course", str(course.root),
               *options]
    if assignment == A:
        command += ["--cell-timeout", CELL_TIMEOUT]
    return command


def run_grade(course, assignment, *options, env=None):
    done = subprocess.run(grade_command(course, assignment, *options), capture_output=True, text=True,
                          timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def strays():
    return processes_with(TOKEN)


def assert_gone(processes, what):
    _, alive = psutil.wait_procs(processes, timeout=30)
    alive = [process for process in alive if process.is_running() and process.status() != psutil.STATUS_ZOMBIE]
    assert alive == [], f"{what}: " + repr([process.cmdline() for process in alive])


class Descendants:
    """Watches the process trees under some pids (every 0.05 s, in a thread) while the block runs.

    last[pid]:  the processes under `pid` at the last look that found any (psutil.Process objects);
    names[pid]: the command names of every process ever seen under `pid`.
    """

    def __init__(self, *pids):
        self.pids = pids
        self.last = {pid: [] for pid in pids}
        self.names = {pid: set() for pid in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self):
        while not self._stop.is_set():
            self.look()
            time.sleep(0.05)

    def look(self):
        for pid in self.pids:
            try:
                children = psutil.Process(pid).children(recursive=True)
            except psutil.Error:
                continue
            if children:
                self.last[pid] = children
                for child in children:
                    try:
                        self.names[pid].add(child.name())
                    except psutil.Error:
                        pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_course(tmp_path_factory.mktemp("template") / "course")


def copy_of(template, tmp_path_factory, name):
    root = tmp_path_factory.mktemp(name) / "course"
    shutil.copytree(template.root, root)
    return Course(root)


@pytest.fixture(scope="module")
def embedded(template, tmp_path_factory):
    course = copy_of(template, tmp_path_factory, "embedded")
    run_grade(course, UNIT1)
    run_grade(course, A)
    return course, outcome(course)


# ---------------------------------------------------------------- the three engines agree


@pytest.mark.slow
def test_the_embedded_engine_grades_the_class_as_designed(embedded):
    course, found = embedded
    unit1 = load_results(course, UNIT1)
    assert unit1["u1_solution"].total == unit1["u1_solution"].max_total == 15
    assert unit1["u1_blank"].total == 0
    assert all(record.total < record.max_total for name, record in unit1.items() if name not in ("u1_solution",))
    fixture = load_results(course, A)
    assert fixture["corrupt"].status == state.UNGRADABLE
    assert fixture["input_transformer"].scores["test_mean_cost"] == (0.0, 1.0)
    kinds = {student: {kind for kind, _cell in incidents} for student, (_, incidents) in found[A + " states"].items()}
    assert "tampering" in kinds["input_transformer"] and "kernel_died" in kinds["sigkill"]
    assert "timeout" in kinds["endless"]
    assert all("bubblewrap sandbox" in record.launcher for record in fixture.values() if record.launcher)
    autograded = nbformat.read(course.autograded_folder("reads_data", A) / f"{A}.ipynb", as_version=4)
    assert DATA.strip() in str(autograded.cells)


@pytest.mark.slow
def test_local_cluster_on_postgres_killed_and_rerun_gives_the_same_gradebook(template, embedded, postgres,
                                                                            tmp_path_factory):
    course = copy_of(template, tmp_path_factory, "local")
    db_url = postgres.new_database("local")
    options = ("--cluster", "local:2", "--jobs", "1", "--db-url", db_url)
    process = subprocess.Popen(grade_command(course, UNIT1, *options), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    records = state.state_folder(course, UNIT1)
    deadline = time.monotonic() + 600
    with Descendants(process.pid) as tree:
        while process.poll() is None and time.monotonic() < deadline and len(list(records.glob("*.json"))) < 2:
            time.sleep(0.05)
        assert process.poll() is None, f"the grader ended before the kill: {process.stderr.read()[-3000:]}"
        os.kill(process.pid, signal.SIGKILL)  # the coordinator alone: its workers and their kernels must follow
    process.wait()
    assert len(list(records.glob("*.json"))) < len(course.submitted_students(UNIT1))
    assert any("bwrap" in name for name in tree.names[process.pid]), "no sandboxed kernel ran under the workers"
    assert_gone(tree.last[process.pid], "left behind by the killed coordinator")

    run_grade(course, UNIT1, *options)
    run_grade(course, A, *options)
    assert outcome(course, db_url) == embedded[1]
    assert not list(course.root.glob("gradebook.db*")), "the SQLite gradebook was written instead of PostgreSQL"
    assert list((course.state_root / "backups").glob("*.dump")), "no pg_dump backup before writing"


@pytest.mark.slow
def test_scheduler_and_workers_on_postgres_survive_a_killed_worker(template, embedded, postgres, tmp_path_factory):
    course = copy_of(template, tmp_path_factory, "tcp")
    db_url = postgres.new_database("tcp")
    with DaskCluster(workers=2, nthreads=2) as cluster:
        process = subprocess.Popen(grade_command(course, UNIT1, "--cluster", cluster.address, "--jobs", "2",
                                                 "--db-url", db_url),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        pids = cluster.worker_pids()
        with Descendants(*pids.values()) as kernels:
            address, pid = cluster.kill_busy_worker(predicate=lambda key: key.startswith("grade-"))
        stdout, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, cluster.log_tail() + stdout[-2000:] + stderr[-3000:]
        assert any("bwrap" in name for name in kernels.names[pid]), "no sandboxed kernel ran on the killed worker"
        assert_gone(kernels.last[pid], f"left behind by the killed worker {address}")
        assert "2 workers" in stderr and "2 sandboxed kernels each" in stderr and "bubblewrap" in stderr, stderr

        environment = dict(os.environ, DASK_SCHEDULER_ADDRESS=cluster.address)
        run_grade(course, A, "--db-url", db_url, env=environment)
        assert cluster.worker_pids().keys() != pids.keys(), "the nanny did not replace the killed worker"
    assert outcome(course, db_url) == embedded[1]
    deadline = time.monotonic() + 20
    while strays() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert strays() == [], "a detached student process outlived its sandbox"


# ---------------------------------------------------------------- failures and a second coordinator


@pytest.mark.slow
def test_a_submission_that_kills_its_worker_ends_failed_and_the_batch_goes_on(tmp_path):
    course = classroom.make_course(tmp_path / "course")
    killer = attacks.in_answer(course, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    for student, notebook in {"solution": classroom.submission(course, A), "killer": killer,
                              "blank": classroom.submission(course, A, fill_solutions=False)}.items():
        classroom.submit(course, A, student, notebook, STAMP)
    # Without the sandbox the kernel is the worker's child and can kill it; with it, it cannot.
    environment = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    done = run_grade(course, A, "--cluster", "local:2", "--jobs", "1", "--sandbox", "off", env=environment)
    records = load_results(course, A)
    assert records["killer"].status == state.FAILED
    assert [incident.kind for incident in records["killer"].incidents] == ["worker_died"]
    assert "died" in records["killer"].reason and "killer:" in done.stdout
    assert records["solution"].total == 4 and records["blank"].total == 0
    assert records["solution"].final and records["blank"].final


@pytest.mark.slow
def test_two_coordinators_on_a_fresh_database_one_grades_the_other_stops(tmp_path, postgres):
    course = classroom.make_course(tmp_path / "course")
    slow = attacks.with_cell(course, "import time\ntime.sleep(8)")
    for student, notebook in {"solution": classroom.submission(course, A), "slow": slow}.items():
        classroom.submit(course, A, student, notebook, STAMP)
    db_url = postgres.new_database("two")
    processes = [subprocess.Popen(grade_command(course, A, "--db-url", db_url), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(process.wait(timeout=600), *process.communicate()) for process in processes]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 3], results
    _, stdout, stderr = next(result for result in results if result[0] == 3)
    assert "another grader is grading 'ps_fixture' into this gradebook" in stderr and "pid" in stderr, stderr
    assert "Traceback" not in stderr
    records = load_results(Course(course.root, db_url=db_url), A)
    assert sorted(records) == ["slow", "solution"] and all(record.final for record in records.values())


@pytest.mark.slow
def test_a_worker_that_cannot_sandbox_stops_the_batch_before_anything_runs(tmp_path):
    course = classroom.make_course(tmp_path / "course")
    classroom.submit(course, A, "solution", classroom.submission(course, A), STAMP)
    environment = dict(os.environ, BACKPROP_BWRAP=str(tmp_path / "no-such-bwrap"))  # the workers inherit it
    done = subprocess.run(grade_command(course, A, "--cluster", "local:1"), capture_output=True, text=True,
                          timeout=600, env=environment)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-3000:]
    assert "these workers cannot grade (nothing was written)" in done.stderr and "tcp://127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr
    assert load_results(course, A) == {}

