"""A real Dask scheduler and workers for the tests and benchmarks, as separate processes on loopback.

    with DaskCluster(workers=2, nthreads=2) as cluster:
        cluster.address                     # tcp://127.0.0.1:PORT, for `grade --cluster`
        cluster.worker_pids()               # {worker address: pid of the worker process}
        cluster.kill_busy_worker()          # SIGKILL a worker that is running a task; its address and pid

The scheduler is `dask scheduler`, each worker `dask worker ADDRESS` (with
its nanny, which restarts a worker that dies, and `--resources
grading-kernels=NTHREADS` as the README advises), each in a process group of
its own; `stop()` ends the groups (SIGTERM, then SIGKILL) and waits for them.
`scheduler_env` sets scheduler configuration through Dask's environment
variables, e.g. {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.pg_support import free_port

DASK = str(Path(sys.executable).parent / "dask")


class DaskCluster:
    def __init__(self, workers=2, nthreads=2, scheduler_env=None, worker_env=None):
        self.workers, self.nthreads = workers, nthreads
        self.scheduler_env, self.worker_env = scheduler_env or {}, worker_env or {}
        self.port = None
        self.processes = []
        self.logs = Path(tempfile.mkdtemp(prefix="autograder-dask-"))

    @property
    def address(self):
        return f"tcp://127.0.0.1:{self.port}"

    def _start(self, name, command, extra_env):
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, **extra_env)
        env.pop("DASK_SCHEDULER_ADDRESS", None)
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.processes.append((process, log))
        return process

    def start(self, timeout=120):
        self.port = free_port()
        self._start("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                  "--no-dashboard", "--no-show"], self.scheduler_env)
        for index in range(self.workers):
            self._start(f"worker{index}", [DASK, "worker", self.address, "--nthreads", str(self.nthreads),
                                           "--resources", f"grading-kernels={self.nthreads}",
                                           "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{index}",
                                           "--death-timeout", "60"], self.worker_env)
        self.wait_for_workers(self.workers, timeout)
        return self

    def client(self, **kwargs):
        from distributed import Client

        return Client(self.address, timeout=60, **kwargs)

    def wait_for_workers(self, count, timeout=120):
        with self.client() as client:
            client.wait_for_workers(count, timeout=timeout)

    def worker_pids(self):
        """{worker address: pid} of the worker processes (not their nannies)."""
        with self.client() as client:
            return client.run(os.getpid)

    def kill_busy_worker(self, timeout=120, predicate=None):
        """SIGKILL the first worker seen running a task (whose key satisfies `predicate`); (address, pid)."""
        with self.client() as client:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for address, keys in client.processing().items():
                    if keys and (predicate is None or any(predicate(key) for key in keys)):
                        pid = client.run(os.getpid, workers=[address])[address]
                        os.kill(pid, signal.SIGKILL)
                        return address, pid
                time.sleep(0.05)
        raise TimeoutError(f"no worker ran a task within {timeout} s")

    def stop(self):
        for process, _log in reversed(self.processes):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process, log in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
            log.close()
        self.processes = []

    def log_tail(self, characters=3000):
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-characters:]}"
                         for path in sorted(self.logs.glob("*.log")))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
