"""Run one submission notebook in a fresh kernel, cell by cell, within limits.

This module only *executes*; it never scores and never touches the gradebook
(autograder.scoring and autograder.gradebook do that in the grader process).
Student code runs in the kernel, a separate process started in a private
working directory that holds a copy of the submission and nothing else.

The one place where a kernel process is launched is `KernelLauncher.wrap`:

    launcher.wrap(kernel_cmd, workdir, limits) -> argv

`LocalLauncher` (the default) applies the limits with `setrlimit` (address
space and CPU time) and then `exec`s the ordinary ipykernel command. A
sandboxed launcher (bubblewrap, issue 10) replaces it by wrapping the same
command differently and passing `launcher=` to `execute_submission`,
`KernelPool` or `autograder.grading.grade_submissions`.

Entry points:

    execute_submission(nb_path, workdir, limits, launcher=None) -> ExecutionResult   # blocking
    await execute_in_slot(slot, notebook, limits) -> ExecutionResult                 # on a started kernel
    KernelPool(size, limits, launcher, scratch)                                      # kernels started ahead of need

A launcher that tracks its kernels' processes (autograder.sandbox's, through
autograder.processes) hands each kernel's `KernelTree` to its slot: after the
last cell, processes the submission left running become a `leftover_process`
incident, and `stop_kernel` kills every one of them with the kernel, whatever
session or parent they have by then. `LocalLauncher` tracks nothing.

Cell by cell: each code cell runs with nbgrader's `Execute` client (nbclient)
and a timeout of min(per-cell limit, time left for the submission). A cell
that times out is interrupted and the next cell runs; a kernel that dies
(crash, `os._exit`, a signal, the memory limit) or ignores the interrupt
ends the run there: the cells before keep their outputs, the cells after are
marked `not_run`. Nothing here raises because of what a submission does.
"""

import asyncio
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute, LimitOutput
from traitlets import DottedObjectName, Type

from autograder.incidents import Incident
from autograder.polling import SlicedPollKernelClient
from autograder.quiet import log as quiet_log

#: Status of one cell after a run.
OK, ERROR, TIMEOUT, DIED, NOT_RUN, SKIPPED = "ok", "error", "timeout", "died", "not_run", "skipped"

#: Threads for numerical libraries inside each kernel: one, so N kernels use N cores.
_SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}

#: Run by `python -I -c` before the kernel: set resource limits, then exec the kernel command.
_LIMIT_THEN_EXEC = """\
import json, os, resource, sys
limits = json.loads(sys.argv[1])
for name, value in limits.items():
    if value:
        number = getattr(resource, name)
        resource.setrlimit(number, (value, value))
os.execv(sys.argv[2], sys.argv[2:])
"""


@dataclass(frozen=True)
class ExecutionLimits:
    """Limits for one submission.

    cell_timeout:  seconds one cell may run before it is interrupted (nbgrader's Execute.timeout).
    wall_clock:    seconds the whole submission may run (kernel start excluded).
    memory_bytes:  address-space limit of the kernel process (RLIMIT_AS), None for none.
    startup_timeout: seconds to wait for a kernel to become ready.
    max_output_lines: stream output kept per cell (nbgrader's LimitOutput.max_lines).
    max_output_chars: characters kept of any one output text (LimitOutput counts lines only,
                   so a single 20 MB line would otherwise land whole in autograded/).
    preload:       modules imported (without binding any name) into a kernel started
                   ahead of need, so their import cost is paid before the submission arrives.
    """

    cell_timeout: float = 120.0
    wall_clock: float = 900.0
    memory_bytes: int | None = 4 * 2**30
    startup_timeout: float = 60.0
    max_output_lines: int = 1000
    max_output_chars: int = 200_000
    preload: tuple = ("numpy",)

    def cpu_seconds(self):
        """RLIMIT_CPU for the kernel: a last resort against a loop that ignores interrupts."""
        return int(math.ceil(self.wall_clock)) + 30 if self.wall_clock else None


class LocalLauncher:
    """Start the kernel as an ordinary child process with rlimits, without a sandbox."""

    name = "local"

    def describe(self, limits):
        memory = f"{limits.memory_bytes / 2**30:.1f} GiB" if limits.memory_bytes else "unlimited"
        return f"local process (no sandbox), memory {memory}, cpu {limits.cpu_seconds()} s"

    def sandboxed(self):
        """Whether submissions are isolated from the course files (issue 10); here: no."""
        return False

    def wrap(self, kernel_cmd, workdir, limits):
        """The argv that starts the kernel command `kernel_cmd` in `workdir` under `limits`."""
        rlimits = {"RLIMIT_AS": limits.memory_bytes, "RLIMIT_CPU": limits.cpu_seconds()}
        return [sys.executable, "-I", "-c", _LIMIT_THEN_EXEC, json.dumps(rlimits), *kernel_cmd]

    def environment(self, workdir, limits):
        """Environment variables of the kernel process."""
        env = dict(os.environ)
        env.update(_SINGLE_THREAD_ENV)
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        return env


class _WrappedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, launching through a KernelLauncher.

    Its clients wait for messages in slices (autograder.polling): on a busy machine, jupyter_client's own
    asyncio client can sleep through a reply that has arrived until the cell's time limit runs out.
    """

    client_class = DottedObjectName("autograder.polling.SlicedPollKernelClient")
    client_factory = Type(SlicedPollKernelClient)

    def configure_launch(self, launcher, workdir, limits):
        self._launcher, self._workdir, self._limits = launcher, workdir, limits

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        return self._launcher.wrap(command, self._workdir, self._limits)


@dataclass
class KernelSlot:
    """A started kernel and its private folders.

    folder:  private to this kernel (connection file, workdir).
    workdir: the kernel's current directory; the submission is copied here.
    """

    folder: Path
    workdir: Path
    manager: AsyncKernelManager
    client: object
    launcher: object
    started: float = field(default_factory=time.monotonic)
    tree: object = None    # autograder.processes.KernelTree, where the launcher tracks the kernel's processes


@dataclass
class CellRun:
    """What happened to one cell: status (OK, ERROR, TIMEOUT, DIED, NOT_RUN, SKIPPED) and seconds."""

    index: int
    status: str
    seconds: float = 0.0


@dataclass
class ExecutionResult:
    """The executed notebook and what happened to each cell.

    notebook:  the notebook, with the outputs of every cell that ran.
    cells:     one CellRun per cell of `notebook`, in order.
    incidents: timeouts, a dead or unresponsive kernel, the wall clock.
    seconds:   time spent executing.
    launcher:  how the kernel was started (LocalLauncher.describe).
    """

    notebook: object
    cells: list
    incidents: list
    seconds: float
    launcher: str

    def status(self, index):
        return self.cells[index].status


async def start_kernel(folder, limits, launcher=None, workdir=None):
    """Start a kernel; return a ready KernelSlot.

    folder:  private folder for the connection file (and the default workdir).
    workdir: the kernel's current directory (default: `folder`/work, created).
    """
    launcher = launcher or LocalLauncher()
    folder = Path(folder)
    workdir = Path(workdir) if workdir is not None else folder / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    manager = _WrappedKernelManager(kernel_name="python3", log=quiet_log)
    manager.configure_launch(launcher, workdir, limits)
    manager.connection_file = str(folder / "kernel.json")
    # IPC sockets in the private folder: no TCP ports to race for, nothing on the network.
    manager.transport = "ipc"
    manager.ip = str(folder / "ipc")
    with open(folder / "kernel.log", "wb") as log:
        await manager.start_kernel(
            cwd=str(workdir),
            env=launcher.environment(workdir, limits),
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            stdout=log,
            stderr=log,
        )
    # Every process of this kernel, so that none outlives it (launchers of autograder.sandbox).
    tree = launcher.kernel_tree(manager.connection_file) if hasattr(launcher, "kernel_tree") else None
    if tree is not None:
        tree.attach(getattr(manager.provisioner, "pid", None))
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=limits.startup_timeout)
        if limits.preload:
            code = "; ".join(f"__import__({module!r})" for module in limits.preload)
            try:
                reply = await client.execute_reply(code, timeout=limits.startup_timeout, silent=True,
                                                   store_history=False)
            except TimeoutError as error:
                raise TimeoutError(f"preloading {limits.preload} at kernel start: {error}") from None
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"preloading {limits.preload} failed: {reply['content'].get('evalue')}")
    except BaseException:
        await _stop(manager, client)
        if tree is not None:
            await asyncio.to_thread(tree.close)
        raise
    client.allow_stdin = False
    return KernelSlot(folder, workdir, manager, client, launcher, tree=tree)


async def _stop(manager, client):
    try:
        client.stop_channels()
    except Exception:  # noqa: BLE001 - stopping is best effort
        pass
    try:
        if manager.has_kernel:
            await manager.shutdown_kernel(now=True)
        else:
            await manager.cleanup_resources()
    except Exception:  # noqa: BLE001
        pass


async def stop_kernel(slot, remove_folder=True):
    """Kill the kernel of `slot`, every process it started (whatever session or parent they have now),
    and remove its folder."""
    if slot.tree is not None:
        # The submission's processes first, while the kernel still lives: none of them can act on the
        # kernel's death (and without a cgroup the kernel is the subreaper that keeps them findable).
        await asyncio.to_thread(slot.tree.kill, True)
    await _stop(slot.manager, slot.client)
    if slot.tree is not None:
        await asyncio.to_thread(slot.tree.close)
    if remove_folder:
        await asyncio.to_thread(shutil.rmtree, slot.folder, True)


def _timed_out(cell):
    return any(output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError"
               for output in cell.get("outputs", []))


def _has_error(cell):
    return any(output.get("output_type") == "error" for output in cell.get("outputs", []))


def _cell_label(cell, index):
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return grade_id or f"cell {index}"


async def execute_in_slot(slot, notebook, limits, notebook_name=None, last_cell=None):
    """Execute `notebook` (a NotebookNode, changed in place) on the started kernel of `slot`.

    last_cell: if given, cells after this index are not run (status SKIPPED);
               the grader passes the last cell that can matter for a score.
    Returns an ExecutionResult. The kernel is left running (or dead); the
    caller stops it with stop_kernel.
    """
    started = time.monotonic()
    deadline = started + limits.wall_clock if limits.wall_clock else math.inf
    client = Execute(
        log=quiet_log,
        km=slot.manager,
        timeout=int(math.ceil(limits.cell_timeout)),
        interrupt_on_timeout=True,
        raise_on_iopub_timeout=True,
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(slot.workdir)}},
    )
    client.nb = notebook
    client.kc = slot.client
    output_limit = LimitOutput(max_lines=limits.max_output_lines, log=quiet_log)
    # A launcher with a test-integrity guard (autograder.sandbox, issue 10) watches every cell.
    session = slot.launcher.session(slot, notebook, notebook_name) if hasattr(slot.launcher, "session") else None
    runs, incidents = [], list(session.incidents) if session is not None else []
    stop_reason = None
    execution_count = 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip() or (last_cell is not None and index > last_cell):
            if cell.cell_type == "code":
                cell.outputs = []
            runs.append(CellRun(index, SKIPPED))
            continue
        if stop_reason is not None:
            cell.outputs = []
            runs.append(CellRun(index, NOT_RUN))
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_reason = WALL_CLOCK_REASON
            incidents.append(Incident("wall_clock", f"the submission used its {limits.wall_clock:g} s; "
                                      "this cell and the ones after it were not run",
                                      _cell_label(cell, index), notebook_name))
            cell.outputs = []
            runs.append(CellRun(index, NOT_RUN))
            continue
        client.timeout = max(1, int(math.ceil(min(limits.cell_timeout, remaining))))
        execution_count += 1
        cell_started = time.monotonic()
        status = None
        try:
            if session is not None:
                await session.before(cell, index)
            await client.async_execute_cell(cell, index, execution_count=execution_count)
            if session is not None:
                incidents.extend(await session.after(cell, index))
        except DeadKernelError:
            status = DIED
            stop_reason = "died"
            incidents.append(Incident("kernel_died", "the kernel died while running this cell (a crash, "
                                      "os._exit, a signal or the memory limit); later cells were not run",
                                      _cell_label(cell, index), notebook_name))
        except CellTimeoutError:
            status = TIMEOUT
            stop_reason = "unresponsive"
            incidents.append(Incident("kernel_unresponsive", "the cell ran out of time and the kernel did not "
                                      "respond to the interrupt; it was killed and later cells were not run",
                                      _cell_label(cell, index), notebook_name))
        except Exception as error:  # noqa: BLE001 - a broken kernel connection is the submission's end
            status = DIED
            stop_reason = "died"
            incidents.append(Incident("kernel_died", f"lost the kernel: {type(error).__name__}: {error}",
                                      _cell_label(cell, index), notebook_name))
        seconds = time.monotonic() - cell_started
        if status is None:
            if _timed_out(cell):
                status = TIMEOUT
                over_budget = time.monotonic() >= deadline - 0.5
                kind = "wall_clock" if over_budget and client.timeout < limits.cell_timeout else "timeout"
                limit = limits.wall_clock if kind == "wall_clock" else limits.cell_timeout
                incidents.append(Incident(kind, f"stopped after {limit:g} s (the time limit)",
                                          _cell_label(cell, index), notebook_name))
                if kind == "wall_clock":
                    stop_reason = WALL_CLOCK_REASON
            else:
                status = ERROR if _has_error(cell) else OK
        output_limit.preprocess_cell(cell, {}, index)
        _limit_characters(cell, limits.max_output_chars)
        runs.append(CellRun(index, status, seconds))
    if slot.tree is not None:
        incidents.extend(await asyncio.to_thread(_leftover_incidents, slot.tree, notebook_name))
    return ExecutionResult(notebook, runs, incidents, time.monotonic() - started,
                           slot.launcher.describe(limits))


def _leftover_incidents(tree, notebook_name):
    """One `leftover_process` incident if processes the submission started still run after its last cell."""
    left = tree.leftovers()
    if not left:
        return []
    shown = "; ".join(f"pid {pid}: {_shortened(command) or '?'}" for pid, command in left[:5])
    more = f" and {len(left) - 5} more" if len(left) > 5 else ""
    return [Incident("leftover_process", f"{len(left)} process(es) the submission started were still running "
                     f"after its last cell ({shown}{more}); they were killed with the kernel", None, notebook_name)]


def _shortened(command, keep=50):
    """A command line on one line, its middle left out if it is long (the start and the end say most)."""
    command = " ".join(command.split())
    return command if len(command) <= 2 * keep + 5 else f"{command[:keep]} ... {command[-keep:]}"


def _truncated(text, limit):
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return text[:limit] + f"\n... [output truncated by the grader: {len(text) - limit} more characters]"


def _limit_characters(cell, limit):
    """Cut every output text of `cell` (stream text, plain-text/HTML data, error value) to `limit` characters."""
    if not limit:
        return
    for output in cell.get("outputs", []):
        if "text" in output:
            output["text"] = _truncated(output["text"], limit)
        for mime in ("text/plain", "text/html"):
            if mime in output.get("data", {}):
                output["data"][mime] = _truncated(output["data"][mime], limit)
        if "evalue" in output:
            output["evalue"] = _truncated(output["evalue"], limit)
        if "traceback" in output:
            output["traceback"] = [_truncated(line, limit) for line in output["traceback"]]


WALL_CLOCK_REASON = "wall_clock"


async def execute_submission_async(nb_path, workdir, limits, launcher=None):
    """Start a kernel in `workdir`, execute the notebook at `nb_path`, stop the kernel."""
    nb_path = Path(nb_path)
    notebook = nbformat.read(nb_path, as_version=4)
    folder = Path(tempfile.mkdtemp(prefix="autograder-kernel-"))
    try:
        slot = await start_kernel(folder, limits, launcher, workdir=workdir)
        try:
            return await asyncio.wait_for(
                execute_in_slot(slot, notebook, limits, nb_path.stem),
                timeout=limits.wall_clock + limits.cell_timeout + 30 if limits.wall_clock else None,
            )
        finally:
            await stop_kernel(slot, remove_folder=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def execute_submission(nb_path, workdir, limits=None, launcher=None):
    """Blocking form of execute_submission_async: run the notebook at `nb_path`; return an ExecutionResult."""
    return asyncio.run(execute_submission_async(nb_path, workdir, limits or ExecutionLimits(), launcher))


class KernelPool:
    """Kernels started ahead of need: `size` kernels are always starting or ready.

    acquire() hands out the oldest started kernel (waiting if it is still
    starting) and immediately starts a replacement, so the next submission
    does not wait for a kernel to boot. Every kernel is used for exactly one
    submission and then killed (release()).
    """

    def __init__(self, size, limits, launcher=None, scratch=None):
        self.size = max(1, size)
        self.limits = limits
        self.launcher = launcher or LocalLauncher()
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="autograder-"))
        self._starting = deque()
        self._stopping = set()
        self._counter = 0

    def _start_one(self):
        self._counter += 1
        folder = self.scratch / f"kernel-{self._counter:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        self._starting.append(asyncio.ensure_future(start_kernel(folder, self.limits, self.launcher)))

    def fill(self):
        """Start kernels until `size` are starting or ready."""
        while len(self._starting) < self.size:
            self._start_one()

    async def acquire(self):
        """A ready KernelSlot (raises if the kernel could not be started)."""
        if not self._starting:
            self._start_one()
        task = self._starting.popleft()
        self.fill()
        return await task

    def release(self, slot):
        """Kill the kernel of a used slot in the background."""
        task = asyncio.ensure_future(stop_kernel(slot))
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def close(self):
        """Stop every kernel, ready or starting, and remove the scratch folder."""
        starting = list(self._starting)
        self._starting.clear()
        for task in starting:
            try:
                slot = await task
            except BaseException:  # noqa: BLE001 - a kernel that failed to start needs no stopping
                continue
            await stop_kernel(slot)
        if self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        await asyncio.to_thread(shutil.rmtree, self.scratch, True)


def with_limits(limits, **changes):
    """A copy of `limits` with some fields changed."""
    return replace(limits, **changes)


def result_after_abort(notebook, limits, launcher, seconds, notebook_name=None):
    """An ExecutionResult for a run that had to be abandoned (the guard around it fired).

    Cells that got an execution count ran (their outputs are kept); the others did not.
    """
    runs, cut = [], None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            runs.append(CellRun(index, SKIPPED))
        elif cell.get("execution_count") and cut is None:
            runs.append(CellRun(index, ERROR if _has_error(cell) else OK))
        else:
            if cut is None:
                cut = index
            cell.outputs = []
            runs.append(CellRun(index, NOT_RUN))
    where = _cell_label(notebook.cells[cut], cut) if cut is not None else None
    incident = Incident("kernel_unresponsive", "the run did not finish within its time limit and was abandoned; "
                        "cells from here on were not run", where, notebook_name)
    return ExecutionResult(notebook, runs, [incident], seconds, launcher.describe(limits))
