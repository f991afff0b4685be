"""Grading on Dask workers: one task per submission, sandboxed kernels pooled on each worker.

`grade A` with no option grades in the `grade` process itself (the embedded
engine of autograder.grading). With a cluster (autograder.clusters reads the option):

    grade A --cluster local:4              # four local worker processes (a LocalCluster), started and stopped
    grade A --cluster tcp://HOST:8786      # a running `dask scheduler` and its `dask worker`s
    DASK_SCHEDULER_ADDRESS=tcp://HOST:8786 grade A    # Dask's own variable, the same
    grade A --cluster embedded             # the embedded engine even where that variable is set

How a batch runs on a cluster (autograder.grading drives it):

* The coordinator (the `grade` process) reads and matches each submission,
  exactly as the embedded engine does, and submits one task per submission
  whose payload is self-contained: the matched notebooks and the index of the
  last cell to run. The assignment's data files, the limits and the sandbox
  mode travel once per worker, in a worker plugin. Workers need the course's
  environment (this package, the same versions), not the course folder and
  no shared filesystem.
* Each worker runs `KernelPoolPlugin`: an event loop in a thread of its own
  holding an executor.KernelPool of `jobs` sandboxed kernels, started ahead
  of need when the plugin is registered and kept across tasks; at most
  `jobs` submissions run at once per worker (`--jobs` means kernels per
  worker). The sandbox launcher is chosen on the worker
  (sandbox.choose_launcher), since bubblewrap must work where the kernels
  run; the coordinator asks every worker first and stops, naming the worker,
  if one cannot sandbox. Kernels are started from that one long-lived
  thread, so bubblewrap's --die-with-parent ties them to the worker process:
  a worker that dies takes its kernels with it.
* Tasks are submitted a window at a time (twice the cluster's threads) and
  each result is released once stored, so the coordinator's memory stays
  flat however large the class.
* Only the coordinator scores and writes: autograded notebooks, gradebook,
  state record, per submission, in that order, as results arrive; so
  kill-and-rerun gives the same gradebook as with the embedded engine.
* A worker that dies mid-task: Dask reruns its tasks elsewhere. A submission
  whose task was on a worker that died more than the scheduler's
  `distributed.scheduler.allowed-failures` times (default 3) comes back as
  `KilledWorker` and ends as a FAILED record with a `worker_died` incident;
  the batch goes on, and the next `grade` retries it. Dask counts a death
  against every task the worker held, so a bystander can come back as
  KilledWorker too: every such suspect is run once more at the end of the
  batch, alone on the cluster, and only one that still takes its worker down
  is recorded as failed. Workers declare their kernel slots as the worker
  resource `grading-kernels` (local clusters do; start your own with
  `--resources grading-kernels=J`), and every task asks for one, so a worker
  runs no more submissions at once than it has kernels for. Inside the
  sandbox a submission cannot reach its worker at all.
"""

import asyncio
import threading
import time
import uuid

from distributed.diagnostics.plugin import WorkerPlugin

from autograder.clusters import ClusterError

#: Seconds to wait for each worker to report how it starts kernels.
WORKER_READY_TIMEOUT = 300

#: The Dask worker resource that counts kernel slots: `dask worker --resources grading-kernels=J`.
#: Tasks ask for one, so the scheduler never hands a worker more submissions than it runs at once.
KERNELS = "grading-kernels"


# ---------------------------------------------------------------- on each worker


class KernelPoolPlugin(WorkerPlugin):
    """A Dask WorkerPlugin: an event loop thread with a KernelPool, kept across the batch's tasks.

    jobs:    kernels of the pool and submissions at once on this worker (None: the worker's threads).
    limits:  executor.ExecutionLimits of every submission.
    sandbox: the mode for sandbox.choose_launcher ("auto", "bubblewrap", "off"), chosen on the worker.
    files:   the assignment's data files ((relative path, bytes), ...), written beside each notebook.
    """

    idempotent = False

    def __init__(self, name, jobs, limits, sandbox, files):
        self.name, self.jobs, self.limits, self.sandbox, self.files = name, jobs, limits, sandbox, files
        self._loop = self._thread = self._started = None
        self.pool = self.launcher = self.address = self.error = self.warning = None

    def __getstate__(self):
        return {key: getattr(self, key) for key in ("name", "jobs", "limits", "sandbox", "files")}

    def __setstate__(self, state):
        self.__init__(**state)

    # Dask calls setup/teardown on the worker's event loop: hand the work to our own thread at once.
    def setup(self, worker):
        self.address = worker.address
        self.jobs = self.jobs or worker.state.nthreads
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"{self.name}-kernels", daemon=True)
        self._thread.start()
        self._started = asyncio.run_coroutine_threadsafe(self._start(), self._loop)

    async def _start(self):
        from autograder.executor import KernelPool
        from autograder.sandbox import choose_launcher

        try:
            self.launcher, self.warning = await asyncio.to_thread(choose_launcher, self.sandbox)
        except Exception as error:  # noqa: BLE001 - reported to the coordinator, which stops
            self.error = f"{type(error).__name__}: {error}"
            return
        self.semaphore = asyncio.Semaphore(self.jobs)
        self.pool = KernelPool(self.jobs, self.limits, self.launcher)
        self.pool.fill()

    def status(self, timeout=WORKER_READY_TIMEOUT):
        """{"worker", "jobs", "launcher", "sandboxed", "warning", "error"} once the launcher is chosen."""
        self._started.result(timeout)
        return {"worker": self.address, "jobs": self.jobs, "error": self.error, "warning": self.warning,
                "launcher": self.launcher.describe(self.limits) if self.launcher else None,
                "sandboxed": bool(self.launcher and self.launcher.sandboxed())}

    def run(self, notebooks):
        """Run one submission (called from a Dask task thread); a runner.SubmissionRun."""
        return asyncio.run_coroutine_threadsafe(self._run(notebooks), self._loop).result()

    async def _run(self, notebooks):
        from autograder.runner import SubmissionRun, run_submission

        await asyncio.wrap_future(self._started)
        if self.error is not None:
            return SubmissionRun(failure=(next(iter(notebooks), None), f"the worker {self.address} cannot "
                                          f"start kernels: {self.error}"), worker=self.address)
        async with self.semaphore:
            return await run_submission(self.pool, notebooks, self.limits, self.files, worker=self.address)

    def teardown(self, worker):
        if self._loop is None:
            return
        try:
            self._started.result(WORKER_READY_TIMEOUT)
            if self.pool is not None:
                asyncio.run_coroutine_threadsafe(self.pool.close(), self._loop).result(120)
        except Exception:  # noqa: BLE001 - the worker is going away; its kernels die with it
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def _plugin(name):
    from distributed import get_worker

    plugin = get_worker().plugins.get(name)
    if plugin is None:
        raise RuntimeError(f"the worker has no grading plugin {name!r} (was it started after the batch ended?)")
    return plugin


def grade_task(plugin_name, notebooks):
    """The Dask task of one submission: run its notebooks on this worker's kernel pool."""
    return _plugin(plugin_name).run(notebooks)


def worker_status(plugin_name, dask_worker=None):
    """Run on every worker by the coordinator: how it starts kernels (waits until it has decided)."""
    plugin = dask_worker.plugins.get(plugin_name) if dask_worker is not None else _plugin(plugin_name)
    if plugin is None:
        return {"worker": getattr(dask_worker, "address", "?"), "error": "the grading plugin is not installed"}
    return plugin.status()


# ---------------------------------------------------------------- the coordinator


class WorkerLost(Exception):
    """A submission's task was on workers that died too often (Dask's KilledWorker)."""


class Cluster:
    """A connection to the cluster of a ClusterSpec, with the batch's plugin on every worker.

        with Cluster(spec, jobs, limits, sandbox, files, label) as cluster:
            cluster.statuses                       # [worker_status(...), ...]
            for student, outcome in cluster.map(jobs_iterator):  # outcome: SubmissionRun or an exception
                ...
    """

    def __init__(self, spec, jobs, limits, sandbox, files, label="grade", log=None):
        self.spec, self.jobs, self.limits, self.sandbox, self.files = spec, jobs, limits, sandbox, files
        self.plugin_name = f"autograder-{label}-{uuid.uuid4().hex[:8]}"
        self.log = log or (lambda message: None)
        self.cluster = self.client = None
        self.statuses = []
        self.resources = None

    def __enter__(self):
        import logging

        from distributed import Client, LocalCluster

        try:
            if self.spec.kind == "local":
                import dask

                # Tasks last seconds: a worker gets no more than it can run (no prefetched task waits
                # behind a kernel, and a submission that kills its worker takes no bystander along).
                with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
                    self.cluster = LocalCluster(n_workers=self.spec.workers, threads_per_worker=self.jobs,
                                                processes=True, host="127.0.0.1", dashboard_address=None,
                                                silence_logs=logging.ERROR, resources={KERNELS: self.jobs})
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.spec.address, timeout=60)
        except (OSError, TimeoutError) as error:
            self.close()
            raise ClusterError(f"cannot reach {self.spec.describe()}: {error}. Is `dask scheduler` running "
                               "there, and can this machine reach its port?") from None
        try:
            self._install_plugin()
        except BaseException:
            self.close()
            raise
        return self

    def _install_plugin(self):
        from autograder.distributed import KernelPoolPlugin as Plugin  # the importable name, for pickling

        plugin = Plugin(self.plugin_name, self.jobs, self.limits, self.sandbox, self.files)
        workers = self.client.scheduler_info(n_workers=-1)["workers"]
        if not workers:
            self.log(f"no worker has joined {self.spec.describe()} yet; submissions wait until one does")
        self.client.register_plugin(plugin, name=self.plugin_name)
        if workers:
            self.statuses = list(self.client.run(worker_status, self.plugin_name).values())
        # Workers that declare their kernel slots get exactly that many tasks at a time.
        if workers and all(KERNELS in (worker.get("resources") or {}) for worker in workers.values()):
            self.resources = {KERNELS: 1}
        broken = [status for status in self.statuses if status.get("error")]
        if broken:
            raise ClusterError("these workers cannot grade (nothing was written):\n" + "\n".join(
                f"  {status['worker']}: {status['error']}" for status in broken))

    def threads(self):
        """Tasks the cluster runs at once now (at least 1)."""
        workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
        if self.jobs:
            return max(1, sum(min(self.jobs, worker.get("nthreads", 1)) for worker in workers))
        return max(1, sum(worker.get("nthreads", 1) for worker in workers))

    def map(self, items):
        """Submit (student, notebooks) from `items` a window at a time; yield (student, outcome) as they end.

        outcome: a runner.SubmissionRun, WorkerLost, or the exception the task raised.

        A task whose workers kept dying (Dask's KilledWorker) may only have shared a worker with
        the submission that killed it: Dask counts a death against every task the worker held.
        Such suspects are run again at the end, one at a time with nothing beside them, and only
        one that still takes its worker down comes back as WorkerLost.
        """
        from distributed import as_completed

        items = iter(items)
        futures = as_completed()
        students, suspects = {}, []
        last_window_check, window = 0.0, 2 * self.threads()

        def submit_next():
            try:
                student, notebooks = next(items)
            except StopIteration:
                return False
            future = self._submit(student, notebooks)
            students[future.key] = (student, notebooks)
            futures.add(future)
            return True

        for _ in range(window):
            if not submit_next():
                break
        for future in futures:
            student, notebooks = students.pop(future.key)
            outcome = self._outcome(future)
            if isinstance(outcome, WorkerLost):
                suspects.append((student, notebooks))
            else:
                yield student, outcome
            del notebooks
            if time.monotonic() - last_window_check > 5:  # workers come and go (adaptive clusters)
                last_window_check, window = time.monotonic(), 2 * self.threads()
            while len(students) < window and submit_next():
                pass
        for student, notebooks in suspects:
            self.log(f"{student}: its workers died while grading it; running it again on its own")
            yield student, self._outcome(self._submit(student, notebooks))

    def _submit(self, student, notebooks):
        return self.client.submit(grade_task, self.plugin_name, notebooks, pure=False,
                                  key=f"grade-{student}-{uuid.uuid4().hex[:8]}", resources=self.resources)

    @staticmethod
    def _outcome(future):
        """The task's SubmissionRun, or what went wrong as an exception (the future is released)."""
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        try:
            return future.result()
        except KilledWorker as error:
            return WorkerLost(str(error))
        except (FutureCancelledError, asyncio.CancelledError) as error:
            return RuntimeError(f"the task was cancelled ({error or 'scheduler lost'})")
        except Exception as error:  # noqa: BLE001 - one submission's problem; the batch goes on
            return error
        finally:
            future.release()

    def close(self):
        if self.client is not None:
            try:
                if self.spec.kind != "local":
                    self.client.unregister_worker_plugin(self.plugin_name)  # stops the workers' kernels
            except Exception:  # noqa: BLE001 - the scheduler may be gone; workers drop plugins on restart
                pass
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def __exit__(self, *exc):
        self.close()
