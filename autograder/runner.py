"""Run one submission's notebooks on a pool of started kernels: the part of grading that may happen elsewhere.

The embedded engine (autograder.grading) calls this in the `grade` process;
a Dask worker (autograder.distributed) calls it on another machine. Both
hand it only plain data, so a worker needs the course's environment but
neither the course folder nor a shared filesystem:

    files = read_data_files(course, assignment)        # ((relative path, bytes), ...) of source/<assignment>/
    run = await run_submission(pool, {"ps": (notebook, last_cell)}, limits, files)
    run.results["ps"]                                  # an executor.ExecutionResult (notebook, cells, incidents)
    run.failure                                        # (notebook name, message) if no kernel would start

Nothing here scores or writes the gradebook: the coordinating process does
that (autograder.scoring, autograder.gradebook), in one place and one order.
"""

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.executor import execute_in_slot, result_after_abort

#: Seconds past a submission's wall clock and one cell's time before its run is abandoned.
ABANDON_GRACE = 60


def read_data_files(course, assignment):
    """((relative posix path, bytes), ...): the non-notebook files of source/<assignment>/ (data files),
    as nbgrader copies them for autograding, read once."""
    from nbgrader.utils import find_all_files

    folder = course.source / assignment
    ignore = list(course.coursedir().ignore) + ["*.ipynb"]
    return tuple((Path(path).relative_to(folder).as_posix(), Path(path).read_bytes())
                 for path in sorted(find_all_files(str(folder), ignore)))


def install_files(workdir, files):
    """Write the data files into a kernel's working folder."""
    for relative, data in files:
        target = Path(workdir) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


async def run_notebook(slot, pool, notebook, name, last_cell, limits, files):
    """Execute `notebook` on the started kernel of `slot` (then released to `pool`); an ExecutionResult.

    last_cell: the index of the last cell to run (None: all of them).
    A run that outlives its wall clock by ABANDON_GRACE seconds is abandoned
    (executor.result_after_abort); the kernel is killed either way.
    """
    started = time.monotonic()
    try:
        install_files(slot.workdir, files)
        nbformat.write(notebook, slot.workdir / f"{name}.ipynb")
        guard = limits.wall_clock + limits.cell_timeout + ABANDON_GRACE if limits.wall_clock else None
        try:
            return await asyncio.wait_for(execute_in_slot(slot, notebook, limits, name, last_cell), guard)
        except asyncio.TimeoutError:
            return result_after_abort(notebook, limits, slot.launcher, time.monotonic() - started, name)
    finally:
        pool.release(slot)


@dataclass
class SubmissionRun:
    """What running one submission gave.

    results:  {notebook name: ExecutionResult}, in the order they ran.
    failure:  (notebook name, message) when a kernel could not be started for that notebook
              (the grader's problem: the submission is recorded as failed and retried).
    launcher: how the kernels were started (the launcher's describe()).
    worker:   where it ran ("" in the grade process itself).
    seconds:  time from the first kernel acquired to the last result.
    """

    results: dict = field(default_factory=dict)
    failure: tuple | None = None
    launcher: str = ""
    worker: str = ""
    seconds: float = 0.0


async def run_submission(pool, notebooks, limits, files, worker=""):
    """Run each notebook of a submission on a kernel of `pool`; a SubmissionRun.

    notebooks: {name: (reconciled NotebookNode, last cell index or None)}.
    """
    run = SubmissionRun(launcher=pool.launcher.describe(limits), worker=worker)
    started = time.monotonic()
    for name, (notebook, last_cell) in notebooks.items():
        try:
            slot = await pool.acquire()
        except Exception as error:  # noqa: BLE001 - the grader's problem, not the student's
            run.failure = (name, f"{type(error).__name__}: {error}")
            break
        run.results[name] = await run_notebook(slot, pool, notebook, name, last_cell, limits, files)
    run.seconds = time.monotonic() - started
    return run
