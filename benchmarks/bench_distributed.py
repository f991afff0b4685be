"""Grading beyond one machine: the embedded engine against Dask clusters, and what the coordinator costs.

    python -m benchmarks bench_distributed                  # 40 fixture submissions per contender (minutes)
    python -m benchmarks.bench_distributed --students 60 --assignment 01_logistic_regression
    python -m benchmarks.bench_distributed --quick          # tiny sizes: does it run?

All in one run, on one synthetic class (the rotation of bench_grading: the
solution, a blank and each typical mistake), each contender on its own copy
of the course, with the default bubblewrap sandbox:

1. **Throughput** of `python -m autograder grade A` (timed from the start of
   the process to its end, cluster start-up included) for the embedded engine
   (--jobs 2), `--cluster local:1 --jobs 2`, `--cluster local:2 --jobs 1` and
   `--cluster tcp://...` with two separately started `dask worker`s (--jobs 1
   each): two kernels at once in every case, on this 2-core machine. Figures:
   submissions per minute, and core-seconds per submission (2 cores x wall
   time / submissions: what a submission costs the machine, idle cores
   included). The contenders run in rotating order, --rounds times; the best
   round of each counts. The ratio embedded / today's engine is 1 by
   construction (the embedded path is today's code), so the first row is the
   baseline of the others.
2. **Scheduler overhead per task**: no-op tasks through the same windowed
   submit / as_completed / release loop (autograder.distributed.Cluster.map),
   on the tcp cluster.
3. **Coordinator memory over 1,000 submissions**: the tcp cluster, with the
   workers replaying one recorded run instead of starting kernels
   (`ReplayPlugin`), so that the coordinator does all of its real work (read
   and match each submission, submit, score, write autograded notebook,
   gradebook and state record) as fast as it can. Its resident set is
   sampled at 10%, 50% and 100%; a flat line means futures are released.
   This also gives the coordinator's own ceiling in submissions per minute.
4. **Gradebook write time per student**: autograder.gradebook.write_record on
   SQLite and on PostgreSQL (a real server, tests/pg_support.py), alternating.
5. **Recovery**: the tcp run again, one worker SIGKILLed when a third of the
   class is done; seconds from the kill to the last result, against the same
   span of the uninterrupted run.

Numbers go to build/bench/distributed.json. Not part of `make test`.
`--assignment` takes ps_fixture (the default), 01_logistic_regression (both
with their typical mistakes in the rotation) or any other assignment of
source/ (the solution and the blank only).

Measured (benchmarks/README.md has the tables and what they predict for
5,000 submissions): on the fixture class of 40, embedded 24.0 s, local:1
26.9 s, local:2 29.4 s, tcp 27.4 s (1.20 to 1.47 core-seconds per
submission); scheduler 5.4 ms per task; coordinator 1,121 submissions / min
with 147 -> 153 MiB over 1,000; gradebook write SQLite 20 ms, PostgreSQL
30 ms; 24.9 s from a worker's death to the last result (13.1 s
uninterrupted).
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import distributed, state  # noqa: E402
from autograder.course import Course  # noqa: E402
from benchmarks.bench_grading import build_course, synthetic_class  # noqa: E402
from tests.dask_support import DaskCluster  # noqa: E402
from tests.fixtures.pipeline import classroom  # noqa: E402
from tests.pg_support import PostgresServer  # noqa: E402

MIB = 2**20
CORES = 2


def grade(course, assignment, options, kill_after=None, cluster=None):
    """Run `grade`; (wall seconds, seconds from a worker's kill to the end or None)."""
    command = [sys.executable, "-m", "autograder", "grade", assignment, "--quiet", "--force",
               "--course", str(course.root), *options]
    log = tempfile.TemporaryFile(mode="w+")
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    killed_at = None
    if kill_after is not None:
        folder = state.state_folder(course, assignment)
        while process.poll() is None and len(list(folder.glob("*.json"))) < kill_after:
            time.sleep(0.05)
        if process.poll() is None:
            cluster.kill_busy_worker(predicate=lambda key: key.startswith("grade-"))
            killed_at = time.perf_counter()
    process.wait()
    ended = time.perf_counter()
    log.seek(0)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{log.read()[-3000:]}")
    return ended - started, (ended - killed_at) if killed_at else None


def end_times(course, assignment):
    """Seconds at which each record was written, from the first (sorted)."""
    times = sorted(path.stat().st_mtime for path in state.state_folder(course, assignment).glob("*.json"))
    return [moment - times[0] for moment in times]


def fresh_copy(template, name):
    root = Path(tempfile.mkdtemp(prefix=f"bench-distributed-{name}-")) / "course"
    shutil.copytree(template.root, root, ignore=shutil.ignore_patterns(".autograder", "autograded", "gradebook.db*"))
    return Course(root)


# ---------------------------------------------------------------- 2. scheduler overhead


def _noop(plugin_name, notebooks):
    return notebooks


def scheduler_overhead(cluster, tasks):
    """Seconds per no-op task through Cluster.map's loop (submit, as_completed, release)."""
    from autograder.clusters import ClusterSpec

    spec = ClusterSpec("scheduler", address=cluster.address)
    original_plugin, distributed.KernelPoolPlugin = distributed.KernelPoolPlugin, ReplayPlugin
    original_task, distributed.grade_task = distributed.grade_task, _noop
    try:
        with distributed.Cluster(spec, 1, None, "off", ()) as connection:
            started = time.perf_counter()
            count = sum(1 for _ in connection.map((f"s{index}", {}) for index in range(tasks)))
            seconds = time.perf_counter() - started
    finally:
        distributed.KernelPoolPlugin, distributed.grade_task = original_plugin, original_task
    assert count == tasks
    return seconds / tasks


# ---------------------------------------------------------------- 3. coordinator memory


class ReplayPlugin(distributed.KernelPoolPlugin):
    """A worker plugin that answers every task with one recorded run (no kernels): coordinator-bound grading."""

    recorded = None

    def __init__(self, name, jobs, limits, sandbox, files, recorded=None):
        super().__init__(name, jobs, limits, sandbox, files)
        self.recorded = recorded if recorded is not None else ReplayPlugin.recorded

    def __getstate__(self):
        return dict(super().__getstate__(), recorded=self.recorded)

    def setup(self, worker):
        self.address = worker.address
        self.jobs = self.jobs or worker.state.nthreads

    def status(self, timeout=None):
        return {"worker": self.address, "jobs": self.jobs, "error": None, "warning": None,
                "launcher": "replay (no kernels)", "sandboxed": True}

    def run(self, notebooks):
        import copy

        return copy.deepcopy(self.recorded)

    def teardown(self, worker):
        pass


def coordinator_memory(template, assignment, cluster, students):
    """Grade `students` submissions against replayed runs in this process; RSS samples and the rate."""
    from autograder.grading import grade_submissions
    from autograder.runner import SubmissionRun, run_submission  # noqa: F401 - the recorded run's type

    course = fresh_copy(template, "memory")
    shutil.rmtree(course.submitted)
    notebook = classroom.submission(course, assignment)
    for index in range(students):
        classroom.submit(course, assignment, f"many{index:05d}", notebook, "2026-01-10 09:00:00.000000 UTC")
    # one real run, recorded, replayed for everyone
    probe = fresh_copy(template, "probe")
    for student in probe.submitted_students(assignment)[1:]:
        shutil.rmtree(probe.submitted / student)
    recorded = {}
    original_map = distributed.Cluster.map

    def recording_map(self, items):
        for student, outcome in original_map(self, items):
            recorded.setdefault("run", outcome)
            yield student, outcome

    distributed.Cluster.map = recording_map
    try:
        grade_submissions(probe, assignment, cluster=cluster.address, jobs=1)
    finally:
        distributed.Cluster.map = original_map
    ReplayPlugin.recorded = recorded["run"]

    process = psutil.Process()
    samples = []
    folder = state.state_folder(course, assignment)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            done = len(list(folder.glob("*.json"))) if folder.is_dir() else 0
            samples.append((done, process.memory_info().rss))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    original_plugin = distributed.KernelPoolPlugin
    distributed.KernelPoolPlugin = ReplayPlugin
    sampler.start()
    started = time.perf_counter()
    try:
        records = grade_submissions(course, assignment, cluster=cluster.address, jobs=2)
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        distributed.KernelPoolPlugin = original_plugin
    assert len(records) == students and all(record.final for record in records.values())

    def at(fraction):
        wanted = fraction * students
        return next((rss for done, rss in samples if done >= wanted), samples[-1][1]) / MIB

    return {"students": students, "seconds": seconds, "per_minute": 60 * students / seconds,
            "rss_10": at(0.1), "rss_50": at(0.5), "rss_100": at(1.0),
            "peak": max(rss for _, rss in samples) / MIB}


# ---------------------------------------------------------------- 4. gradebook writes


def gradebook_writes(template, assignment, server, count):
    """Median seconds of write_record per student on SQLite and on PostgreSQL, alternating."""
    from autograder import database, gradebook
    from autograder.spec import load_spec, sync_assignment

    courses = {"SQLite": fresh_copy(template, "sqlite")}
    courses["PostgreSQL"] = Course(fresh_copy(template, "pg").root, db_url=server.new_database("bench"))
    records = {}
    for name, course in courses.items():
        database.ensure_schema(course)
        sync_assignment(course, assignment)
    spec = load_spec(courses["SQLite"], assignment)
    probe = next(iter(state.load_all(template, assignment).values()), None)
    if probe is None:
        raise RuntimeError("the template course has no graded record to write again")
    times = {name: [] for name in courses}
    open_books = {name: course.gradebook() for name, course in courses.items()}
    try:
        for index in range(count):
            for name in (list(courses) if index % 2 == 0 else list(reversed(courses))):
                record = state.StudentRecord.from_json(dict(probe.to_json(), student=f"w{index:05d}"))
                started = time.perf_counter()
                gradebook.write_record(open_books[name], record, spec)
                times[name].append(time.perf_counter() - started)
    finally:
        for book in open_books.values():
            book.close()
    for name in times:
        times[name].sort()
        records[name] = times[name][len(times[name]) // 2]
    return records


# ---------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--assignment", default=classroom.FIXTURE)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--memory-students", type=int, default=1000)
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args(argv)
    if options.quick:
        options.students, options.memory_students, options.writes, options.rounds = 4, 20, 10, 1

    scratch = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    staging = classroom.make_course(scratch / "staging", options.assignment)
    template = build_course(scratch / "template", options.assignment,
                            synthetic_class(staging, options.assignment, options.students))
    results = {"students": options.students, "assignment": options.assignment}
    # The workers import this module (ReplayPlugin, the no-op task), which is not installed.
    workers_env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with DaskCluster(workers=2, nthreads=1, worker_env=workers_env) as cluster, PostgresServer() as server:
        contenders = {
            "embedded (--jobs 2)": ["--jobs", "2"],
            "local:1 (--jobs 2)": ["--cluster", "local:1", "--jobs", "2"],
            "local:2 (--jobs 1)": ["--cluster", "local:2", "--jobs", "1"],
            "tcp://, 2 workers (--jobs 1)": ["--cluster", cluster.address, "--jobs", "1"],
        }
        courses = {name: fresh_copy(template, f"c{index}") for index, name in enumerate(contenders)}
        best = {name: float("inf") for name in contenders}
        for round_index in range(options.rounds):
            order = list(contenders)[round_index % len(contenders):] + list(contenders)[:round_index % len(contenders)]
            for name in order:
                seconds, _ = grade(courses[name], options.assignment, contenders[name])
                best[name] = min(best[name], seconds)
                print(f"  round {round_index + 1}: {name}: {seconds:.1f} s", flush=True)
        baseline = best["embedded (--jobs 2)"]
        print(f"\n{options.students} submissions of {options.assignment}, bubblewrap sandbox, 2 kernels at once\n")
        print("| engine | wall | submissions / min | core-seconds / submission | time / embedded |")
        print("| --- | --- | --- | --- | --- |")
        for name, seconds in best.items():
            print(f"| {name} | {seconds:.1f} s | {60 * options.students / seconds:.1f} | "
                  f"{CORES * seconds / options.students:.2f} | {seconds / baseline:.2f} |")
        results["throughput"] = best

        tcp = courses["tcp://, 2 workers (--jobs 1)"]
        clean = end_times(tcp, options.assignment)
        kill_after = max(1, options.students // 3)
        seconds, after_kill = grade(tcp, options.assignment, contenders["tcp://, 2 workers (--jobs 1)"],
                                    kill_after=kill_after, cluster=cluster)
        if after_kill is not None:
            clean_rest = clean[-1] - clean[kill_after - 1]
            print(f"\nRecovery: a worker SIGKILLed after {kill_after} results: {after_kill:.1f} s from the kill to "
                  f"the last result (uninterrupted: {clean_rest:.1f} s for the same results); whole batch "
                  f"{seconds:.1f} s against {best['tcp://, 2 workers (--jobs 1)']:.1f} s")
            results["recovery"] = {"after_kill": after_kill, "clean_rest": clean_rest, "batch": seconds}
        cluster.wait_for_workers(2)

        overhead = scheduler_overhead(cluster, 200 if options.quick else 2000)
        print(f"\nScheduler overhead per task (no-op tasks through Cluster.map): {overhead * 1e3:.2f} ms")
        results["overhead_per_task"] = overhead

        memory = coordinator_memory(template, options.assignment, cluster, options.memory_students)
        print(f"\nCoordinator over {memory['students']} submissions (replayed runs, no kernels): "
              f"{memory['seconds']:.1f} s = {memory['per_minute']:.0f} submissions / min; RSS at 10% "
              f"{memory['rss_10']:.0f} MiB, 50% {memory['rss_50']:.0f} MiB, 100% {memory['rss_100']:.0f} MiB, "
              f"peak {memory['peak']:.0f} MiB")
        results["coordinator"] = memory

        writes = gradebook_writes(courses["embedded (--jobs 2)"], options.assignment, server, options.writes)
        print("\nGradebook write per student (median): " + ", ".join(
            f"{name} {seconds * 1e3:.1f} ms" for name, seconds in writes.items()))
        results["gradebook_write"] = writes

    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "distributed.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
