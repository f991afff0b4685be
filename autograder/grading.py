"""`grade`: autograde every collected submission of an assignment, in parallel, resumably.

Programmatic API (also what `python -m autograder grade` runs):

    from autograder.grading import grade_submissions, load_results

    records = grade_submissions("/path/to/course", "01_logistic_regression", jobs=2)
    record = records["alice"]                # an autograder.state.StudentRecord
    record.status                            # "graded", "graded_with_incidents", "ungradable" or "failed"
    record.scores                            # {grade_id: (points, max_points)} of the autograded test cells
    record.total, record.max_total           # autograded points (hand-graded cells count 0 until graded)
    record.feedback                          # {grade_id: printed output + error message + the student's frames}
    record.diagnoses                         # {grade_id: first line of the AssertionError} of failed tests
    record.incidents                         # [Incident(kind, message, cell, notebook), ...]
    record.problems                          # problems of the grading itself (a kernel that would not start,
                                             # a test cell ending in a value); empty when all is well
    load_results(course, assignment)         # the same records, read back from disk, no grading

    grade_notebooks(source_folder, {"alice": notebook, ...}) # a throwaway course around in-memory notebooks

    grade_submissions(course, assignment, cluster="local:4")           # on Dask workers (autograder.distributed)
    grade_submissions(Course(root, db_url="postgresql://..."), ...)    # a shared PostgreSQL gradebook

How a batch runs (one grader process; student code runs only in kernels):

1. The grader takes the assignment's lock on the gradebook (autograder.database: one
   grader per assignment; a second one stops with GradebookBusy), creates nbgrader's
   schema if the database is new, learns the assignment from source/ if it has to
   (spec.sync_assignment), and backs the gradebook up before anything is written
   (database.backup: sqlite copy or pg_dump; refused without backup=False where none
   can be made).
2. Students whose recorded state is final and whose submission and assignment are
   unchanged are skipped (unless force).
3. Up to `jobs` submissions run at once (default: one per core). Each notebook of a
   submission is matched against the instructor's version (matching.reconcile),
   copied into a private working folder and run cell by cell in a kernel that the
   KernelPool started ahead of need (runner.run_submission, with the per-cell,
   per-submission and memory limits of `limits`). With a cluster, each submission is
   one Dask task run on a worker's own kernel pool (autograder.distributed); the rest
   of this list happens in this process either way. Cells after the last graded or answer
   cell (an ungraded demo at the end, say) cannot change a score and are not run
   unless run_all_cells is set (stock nbgrader runs them).
4. The grader scores the executed notebook (scoring.score_notebook) and writes, in this
   order: autograded/<student>/<assignment>/<notebook>.ipynb, the gradebook (one
   transaction), and the state record (state.save), which keeps what was written to the
   gradebook (`record.written`). Each write is atomic, and the record comes last, so
   killing the grader at any moment and running `grade` again gives the same gradebook
   as an uninterrupted run.
5. After the batch, every graded student's gradebook entries are compared with what the
   grader wrote (check_gradebook); a difference (a score written behind the grader's back)
   becomes a `gradebook_changed` incident in that student's record, and `export` withholds
   such a score.

Untrusted code never runs without the sandbox unless asked: with no `launcher`,
`grade_submissions` uses bubblewrap (sandbox="auto") and raises
sandbox.SandboxUnavailable, saying why and what to do, before any submission
runs when bubblewrap cannot work here. `sandbox="off"` grades without isolation
on purpose, and every record then carries a `not_sandboxed` incident.

No submission can stop the batch: whatever happens to one ends in its own record.
"""

import asyncio
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from autograder import database
from autograder import gradebook as gradebook_store
from autograder import progress, state
from autograder.clusters import ClusterSpec, parse_cluster
from autograder.course import Course
from autograder.executor import ExecutionLimits, KernelPool
from autograder.incidents import Incident
from autograder.integrity import shadowing_incidents
from autograder.matching import reconcile
from autograder.notebooks import UnreadableNotebook, read_notebook
from autograder.runner import SubmissionRun, read_data_files, run_submission
from autograder.scoring import missing_notebook_scores, score_notebook
from autograder.spec import ANSWER, TEST, load_spec, sync_assignment


def default_jobs():
    """One job per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def read_timestamp(folder):
    path = Path(folder) / "timestamp.txt"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return text or None


@dataclass
class _Prepared:
    """One submission, read and matched, ready to run."""

    student: str
    fingerprint: str
    timestamp: str | None
    notebooks: dict = field(default_factory=dict)    # name -> reconciled notebook
    incidents: list = field(default_factory=list)
    missing: dict = field(default_factory=dict)      # name -> reason it scores 0


def _prepare(course, spec, student):
    folder = course.submission_folder(student, spec.name)
    prepared = _Prepared(student, state.fingerprint(folder), read_timestamp(folder))
    # Files that would shadow modules the tests import are never copied to where the kernel runs (issue 10).
    prepared.incidents.extend(shadowing_incidents(folder, spec))
    for name, notebook_spec in spec.notebooks.items():
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            reason = f"{name}.ipynb was not submitted"
            prepared.missing[name] = reason
            prepared.incidents.append(Incident("missing_notebook", reason, None, name))
            continue
        try:
            notebook = read_notebook(path)
            matched, found = reconcile(notebook, notebook_spec, spec.name)
        except UnreadableNotebook as error:
            reason = f"{name}.ipynb: {error}"
            prepared.missing[name] = reason
            prepared.incidents.append(Incident("unreadable", reason, None, name))
            continue
        except Exception as error:  # noqa: BLE001 - nbgrader refused the metadata: ungradable, not fatal
            reason = f"{name}.ipynb could not be matched to the assignment: {type(error).__name__}: {error}"
            prepared.missing[name] = reason
            prepared.incidents.append(Incident("unreadable", reason, None, name))
            continue
        prepared.notebooks[name] = matched
        prepared.incidents.extend(found)
    return prepared


def _test_values(notebook, notebook_spec):
    """Incidents for test cells that end in a value (nbgrader would read it as partial credit)."""
    tests = {cell.grade_id for cell in notebook_spec.cells if cell.kind == TEST}
    found = []
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in tests and any(o.get("output_type") == "execute_result" for o in cell.get("outputs", [])):
            found.append(Incident("test_value", "the test cell ends in an expression with a value, which nbgrader "
                                  "reads as partial credit; end it with a statement", grade_id, notebook_spec.name))
    return found


def last_scoring_cell(notebook, notebook_spec):
    """Index of the last cell that can matter for a score: a graded, answer or task cell.

    Cells after it (an ungraded "try it" demo at the end of a notebook, say)
    cannot change any score, so the grader does not run them unless asked to.
    """
    scoring = {cell.grade_id for cell in notebook_spec.cells if cell.graded or cell.kind == ANSWER}
    last = None
    for index, cell in enumerate(notebook.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in scoring:
            last = index
    return last


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _Batch:
    """One `grade` run: the pool of kernels, the open gradebook, the progress bar."""

    def __init__(self, course, spec, limits, launcher, jobs, gradebook, bar, run_all_cells=False, lock=None):
        self.course, self.spec, self.limits, self.launcher = course, spec, limits, launcher
        self.run_all_cells = run_all_cells
        self.jobs, self.gradebook, self.bar, self.lock = jobs, gradebook, bar, lock
        self.files = read_data_files(course, spec.name)
        self.counts = {}
        self.records = {}

    async def run(self, students):
        queue = asyncio.Queue()
        for student in students:
            queue.put_nowait(student)
        pool = KernelPool(min(self.jobs, len(students)), self.limits, self.launcher)
        pool.fill()
        try:
            await asyncio.gather(*(self._worker(queue, pool) for _ in range(min(self.jobs, len(students)))))
        finally:
            await pool.close()

    async def _worker(self, queue, pool):
        while not queue.empty():
            student = queue.get_nowait()
            started = time.monotonic()
            try:
                record, executed = await self._grade(student, pool)
            except Exception:  # noqa: BLE001 - a bug or a broken kernel: this student fails, the batch goes on
                record, executed = self._failure(student, traceback.format_exc(limit=8)), {}
            self._finish(student, record, executed, started)

    def _finish(self, student, record, executed, started):
        """Store one student's result (notebooks, gradebook, record) and count it."""
        record.seconds = round(time.monotonic() - started, 3)
        try:
            self._store(record, executed)
        except database.CourseError:
            raise  # the grading lock was lost: stop before writing more
        except Exception:  # noqa: BLE001
            record = self._failure(student, "could not store the result:\n" + traceback.format_exc(limit=8))
            state.save(self.course, record)
        self.records[student] = record
        self.counts[record.status] = self.counts.get(record.status, 0) + 1
        self.bar.set_postfix({key.replace("_", " "): value for key, value in sorted(self.counts.items())},
                             refresh=False)
        self.bar.update(1)

    def _failure(self, student, reason):
        folder = self.course.submission_folder(student, self.spec.name)
        return state.StudentRecord(student, self.spec.name, state.FAILED, reason=reason,
                                   fingerprint=state.fingerprint(folder), spec_fingerprint=self.spec.fingerprint,
                                   timestamp=read_timestamp(folder), graded_at=_now())

    async def _grade(self, student, pool):
        prepared = _prepare(self.course, self.spec, student)
        if not prepared.notebooks:
            return self._ungradable(prepared), {}
        run = await run_submission(pool, self._to_run(prepared), self.limits, self.files)
        return self._record(prepared, run)

    def _to_run(self, prepared):
        """{notebook name: (notebook, last cell to run)}: what a kernel pool needs of a submission."""
        return {name: (prepared.notebooks[name], None if self.run_all_cells
                       else last_scoring_cell(prepared.notebooks[name], notebook_spec))
                for name, notebook_spec in self.spec.notebooks.items() if name in prepared.notebooks}

    def _new_record(self, prepared, launcher):
        record = state.StudentRecord(prepared.student, self.spec.name, state.GRADED,
                                     fingerprint=prepared.fingerprint, spec_fingerprint=self.spec.fingerprint,
                                     timestamp=prepared.timestamp, graded_at=_now(), launcher=launcher)
        record.incidents.extend(prepared.incidents)
        return record

    def _ungradable(self, prepared):
        record = self._new_record(prepared, self.launcher.describe(self.limits) if self.launcher else "")
        record.status = state.UNGRADABLE
        record.reason = "; ".join(prepared.missing.values()) or "nothing to grade"
        for name, notebook_spec in self.spec.notebooks.items():
            record.cells.extend(missing_notebook_scores(notebook_spec, prepared.missing.get(name, record.reason)))
        return record

    def _record(self, prepared, run):
        """Score a SubmissionRun (from this process's pool or a worker's); (record, executed notebooks)."""
        if run.failure is not None:
            name, message = run.failure
            where = f" on {run.worker}" if run.worker else ""
            record = self._failure(prepared.student, f"no kernel could be started{where}: {message}")
            record.incidents.append(Incident("kernel_start", message, None, name))
            return record, {}
        record = self._new_record(prepared, run.launcher)
        executed = {}
        for name, notebook_spec in self.spec.notebooks.items():
            if name not in prepared.notebooks:
                record.cells.extend(missing_notebook_scores(notebook_spec, prepared.missing[name]))
                continue
            result = run.results[name]
            record.incidents.extend(result.incidents)
            record.incidents.extend(_test_values(result.notebook, notebook_spec))
            record.cells.extend(score_notebook(result, notebook_spec))
            executed[name] = result.notebook
        if record.incidents:
            record.status = state.GRADED_WITH_INCIDENTS
        return record, executed

    def _store(self, record, executed):
        """autograded notebooks, then the gradebook, then the state record (the commit marker)."""
        if record.status == state.FAILED:
            state.save(self.course, record)
            return
        folder = self.course.autograded_folder(record.student, self.spec.name)
        for name, notebook in executed.items():
            state.atomic_write_text(folder / f"{name}.ipynb", nbformat.writes(notebook))
        submitted = self.course.submission_folder(record.student, self.spec.name)
        if (submitted / "timestamp.txt").is_file():
            state.atomic_write_bytes(folder / "timestamp.txt", (submitted / "timestamp.txt").read_bytes())
        if self.lock is not None:
            self.lock.check()
        # What was written is kept in the record, so a later change of the gradebook can be told apart.
        record.written = gradebook_store.write_record(self.gradebook, record, self.spec)
        state.save(self.course, record)


class _ClusterBatch(_Batch):
    """The same batch with each submission run as a Dask task (autograder.distributed).

    Submissions are read and matched here, run on the workers' kernel pools,
    and scored and stored here, one at a time, as their results arrive.
    """

    def __init__(self, *args, cluster, sandbox, **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster_spec, self.sandbox = cluster, sandbox

    def run_on_cluster(self, students):
        from autograder.distributed import Cluster, WorkerLost

        waiting = {}

        def submissions():
            for student in students:
                started = time.monotonic()
                try:
                    prepared = _prepare(self.course, self.spec, student)
                except Exception:  # noqa: BLE001 - this student fails, the batch goes on
                    self._finish(student, self._failure(student, traceback.format_exc(limit=8)), {}, started)
                    continue
                if not prepared.notebooks:
                    self._finish(student, self._ungradable(prepared), {}, started)
                    continue
                waiting[student] = (prepared, started)
                yield student, self._to_run(prepared)

        with Cluster(self.cluster_spec, self.jobs, self.limits, self.sandbox, self.files, label=self.spec.name,
                     log=_say) as cluster:
            _say(_cluster_summary(self.cluster_spec, cluster.statuses, self.sandbox))
            for student, outcome in cluster.map(submissions()):
                prepared, started = waiting.pop(student)
                if isinstance(outcome, SubmissionRun):
                    record, executed = self._record(prepared, outcome)
                elif isinstance(outcome, WorkerLost):
                    record, executed = self._failure(student, f"its worker died while grading it, too often: "
                                                              f"{outcome}"), {}
                    record.incidents.append(Incident(
                        "worker_died", "the Dask worker grading this submission died each time it ran, "
                        "also when it ran alone (the grader gave up; the next grade run tries again)"))
                else:
                    record, executed = self._failure(student, "".join(traceback.format_exception(outcome, limit=8))), {}
                self._finish(student, record, executed, started)


def _say(message):
    print(message, file=sys.stderr, flush=True)


def _cluster_summary(spec, statuses, sandbox):
    """One line on where grading runs; ClusterError if a worker would run student code unsandboxed."""
    from autograder.clusters import ClusterError

    if not statuses:
        return f"grading on {spec.describe()} (no worker yet)"
    jobs = sorted({status["jobs"] for status in statuses})
    launchers = sorted({status["launcher"] for status in statuses})
    unsandboxed = [status["worker"] for status in statuses if not status["sandboxed"]]
    if unsandboxed and sandbox != "off":
        raise ClusterError("these workers cannot run bubblewrap, so they would grade without the sandbox "
                           f"(nothing was graded): {', '.join(unsandboxed)}. Fix bubblewrap there "
                           "(see the README, Grading at scale), or pass --sandbox off on purpose.")
    warnings = sorted({status["warning"] for status in statuses if status.get("warning")})
    return (f"grading on {spec.describe()}: {len(statuses)} worker{'s' if len(statuses) != 1 else ''}, "
            f"{'/'.join(map(str, jobs))} {'sandboxed ' if not unsandboxed else ''}kernel"
            f"{'s' if jobs != [1] else ''} each ({'; '.join(launchers)})"
            + "".join(f"\n{warning}" for warning in warnings))


def _sandbox_mode(launcher, sandbox):
    """The sandbox mode the workers choose their launcher by (they cannot receive a launcher object)."""
    if launcher is None:
        return sandbox
    name = getattr(launcher, "name", "")
    if name == "bubblewrap":
        return "bubblewrap"
    if name in ("fallback", "local"):
        return "off"
    raise ValueError(f"a cluster cannot use the launcher {launcher!r}; pass sandbox='auto', 'bubblewrap' or 'off'")


def _as_course(course):
    return course if isinstance(course, Course) else Course(course)


def pending_students(course, spec, students, force, gradebook):
    """The students that need grading now (all with force; else those without an up-to-date final record)."""
    if force:
        return list(students)
    in_gradebook = gradebook_store.submitted_students(gradebook, spec.name)
    pending = []
    for student in students:
        record = state.load(course, spec.name, student)
        if (record is not None and record.final and student in in_gradebook
                and record.spec_fingerprint == spec.fingerprint
                and record.fingerprint == state.fingerprint(course.submission_folder(student, spec.name))):
            continue
        pending.append(student)
    return pending


def check_gradebook(course, assignment, gradebook, students=None):
    """Compare the gradebook with what the grader wrote; return {student: [difference, ...]} (only differing ones).

    Every final record of `assignment` (or of `students`) that holds what the grader wrote is
    compared with the gradebook (autograder.gradebook.changes). A student whose gradebook entries
    differ gets one `gradebook_changed` incident in the record (replacing an earlier one; removed
    again once the gradebook matches), so `grade`'s summary, the feedback and the report show it.
    """
    course = _as_course(course)
    changed = {}
    for student, record in sorted(state.load_all(course, assignment).items()):
        if students is not None and student not in students or not record.final:
            continue
        differences = gradebook_store.changes(gradebook, record)
        kept = [incident for incident in record.incidents if incident.kind != "gradebook_changed"]
        if differences:
            changed[student] = differences
            kept.append(Incident("gradebook_changed", "the gradebook no longer holds the scores the grader wrote: "
                                 + "; ".join(differences) + ". Something other than the grader changed them after "
                                 "grading (with the sandbox off, possibly a process the submission started). "
                                 "`export` withholds this score; to write the grader's scores again, run "
                                 f"`python -m autograder grade {assignment} --force --student {student}`"))
        if kept != record.incidents:
            record.incidents = kept
            if record.status in (state.GRADED, state.GRADED_WITH_INCIDENTS):
                record.status = state.GRADED_WITH_INCIDENTS if kept else state.GRADED
            state.save(course, record)
    return changed


def grade_submissions(course, assignment, jobs=None, force=False, students=None, limits=None, launcher=None,
                      run_all_cells=False, sandbox="auto", cluster=None, backup=True):
    """Grade the collected submissions of `assignment`; return {student: StudentRecord} for all of them.

    course:   a Course or the path of a course root.
    jobs:     submissions run at once (default: the number of cores).
    force:    grade again students whose record is final and up to date.
    students: grade only these student ids (default: every folder in submitted/).
    limits:   executor.ExecutionLimits (default: the course's per-cell timeout, 15 min per
              submission, 4 GiB of memory).
    launcher: how kernels are started (default: the one `sandbox` chooses); an explicit launcher is the
              caller's choice (executor.LocalLauncher() for plain rlimits, no guard, no sandbox).
    sandbox:  with no launcher, autograder.sandbox.choose_launcher(sandbox): "auto" (default) or
              "bubblewrap" run every kernel in bubblewrap with the integrity guard and raise
              SandboxUnavailable (why, and what to do) before anything runs if it cannot work here;
              "off" grades WITHOUT isolation on purpose (a warning, and a `not_sandboxed` incident
              in every record).
    run_all_cells: also run the cells after the last graded or answer cell (they cannot change a
              score, so by default they are skipped; stock nbgrader runs them).
    cluster:  None (DASK_SCHEDULER_ADDRESS if set, else this process), "embedded", "local:W" (W local
              Dask workers) or a scheduler address "tcp://HOST:PORT" (autograder.clusters). With a
              cluster, `jobs` is kernels per worker (default: local:W cores/W; a scheduler: each
              worker's threads), and each worker chooses its launcher by `sandbox` (or the kind of
              `launcher`), failing closed there too: a worker that cannot sandbox stops the batch
              before anything runs (distributed.ClusterError naming it).
    backup:   back the gradebook up before writing (database.backup); False writes without one.
    The gradebook is nbgrader's db_url (the course's nbgrader_config.py, or Course(root, db_url=...)).
    Raises database.GradebookBusy if another grader is grading `assignment` into the same gradebook.
    """
    course = _as_course(course)
    limits = limits or ExecutionLimits(cell_timeout=course.cell_timeout)
    where = cluster if isinstance(cluster, ClusterSpec) else parse_cluster(cluster)
    if where.embedded:
        if launcher is None:
            from autograder.sandbox import choose_launcher

            launcher, warning = choose_launcher(sandbox, course_root=course.root)  # SandboxUnavailable: nothing ran
            if warning:
                print(warning, file=sys.stderr)
        jobs = jobs or default_jobs()
    else:
        sandbox = _sandbox_mode(launcher, sandbox)  # each worker chooses (and checks) its own launcher
        if where.kind == "local":
            jobs = jobs or max(1, default_jobs() // where.workers)
    all_students = course.submitted_students(assignment)
    wanted = [s for s in all_students if students is None or s in set(students)]
    course.source_notebooks(assignment)
    with database.coordinator_lock(course, assignment) as lock:
        database.ensure_schema(course)
        backups = []

        def backup_once():
            if backup and not backups:
                backups.append(database.backup(course))

        sync_assignment(course, assignment, before_write=backup_once)
        spec = load_spec(course, assignment)
        with course.gradebook() as gradebook:
            pending = pending_students(course, spec, wanted, force, gradebook)
            if pending:
                backup_once()
                with progress.bar(total=len(pending), desc=f"grade {assignment}", unit="submission") as bar:
                    if where.embedded:
                        batch = _Batch(course, spec, limits, launcher, jobs, gradebook, bar, run_all_cells, lock)
                        asyncio.run(batch.run(pending))
                    else:
                        batch = _ClusterBatch(course, spec, limits, None, jobs, gradebook, bar, run_all_cells,
                                              lock, cluster=where, sandbox=sandbox)
                        batch.run_on_cluster(pending)
            # After every kernel has stopped: does the gradebook still hold what the grader wrote?
            check_gradebook(course, assignment, gradebook, set(wanted))
    records = state.load_all(course, assignment)
    return {student: records[student] for student in wanted if student in records}


def load_results(course, assignment):
    """{student: StudentRecord} as recorded by the last grading (nothing is run)."""
    return state.load_all(_as_course(course), assignment)


def grade_notebooks(source_folder, notebooks, jobs=None, limits=None, launcher=None, keep=None, sandbox="auto"):
    """Grade in-memory notebooks in a throwaway course; return {student: StudentRecord}.

    source_folder: source/<assignment>/ of a course (the assignment is its folder name; the
                   course's nbgrader_config.py, if any, is copied along).
    notebooks:     {student_id: NotebookNode}; each is submitted as the assignment's only notebook
                   (or pass {student_id: {notebook_name: NotebookNode}} for several).
    keep:          a folder to build the course in and keep (default: a temporary one, removed).
    launcher, sandbox: as for grade_submissions (bubblewrap unless sandbox="off" or a launcher is given).
    """
    source_folder = Path(source_folder).resolve()
    assignment = source_folder.name
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="autograder-course-"))
    try:
        shutil.copytree(source_folder, root / "source" / assignment, dirs_exist_ok=True)
        config = source_folder.parents[1] / "nbgrader_config.py"
        if config.is_file():
            shutil.copy(config, root / "nbgrader_config.py")
        names = sorted(path.stem for path in source_folder.glob("*.ipynb"))
        for student, submission in notebooks.items():
            folder = root / "submitted" / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            per_notebook = submission if isinstance(submission, dict) and "cells" not in submission else {names[0]: submission}
            for name, notebook in per_notebook.items():
                nbformat.write(notebook, folder / f"{name}.ipynb")
        return grade_submissions(Course(root), assignment, jobs=jobs, force=True, limits=limits, launcher=launcher,
                                 sandbox=sandbox)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
