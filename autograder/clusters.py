"""Which engine a `grade --cluster` value names (without importing Dask: the embedded default needs none).

    parse_cluster(None)                 # ClusterSpec("embedded"), or the scheduler in DASK_SCHEDULER_ADDRESS
    parse_cluster("local:4")            # ClusterSpec("local", workers=4)
    parse_cluster("tcp://lab1:8786")    # ClusterSpec("scheduler", address="tcp://lab1:8786")
    parse_cluster("embedded")           # the embedded engine even where DASK_SCHEDULER_ADDRESS is set

autograder.distributed runs the batch on the cluster.
"""

import os
from dataclasses import dataclass

from autograder.course import CourseError

#: Dask's own environment variable for the scheduler a Client connects to.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"

#: Address schemes of Dask's communication layer that a scheduler may listen on.
SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")


class ClusterError(CourseError):
    """The cluster cannot be used as asked (the message says why and what to do)."""


@dataclass(frozen=True)
class ClusterSpec:
    """Where submissions run: kind "embedded", "local" (workers) or "scheduler" (address)."""

    kind: str
    workers: int = 0
    address: str = ""

    @property
    def embedded(self):
        return self.kind == "embedded"

    def describe(self):
        if self.kind == "local":
            return f"a local Dask cluster of {self.workers} worker process{'es' if self.workers != 1 else ''}"
        if self.kind == "scheduler":
            return f"the Dask scheduler at {self.address}"
        return "this process (embedded)"


def parse_cluster(text=None, environ=None):
    """The ClusterSpec of a --cluster value (None: DASK_SCHEDULER_ADDRESS if set, else embedded)."""
    environ = os.environ if environ is None else environ
    if text is None or not str(text).strip():
        address = environ.get(SCHEDULER_ENV, "").strip()
        return ClusterSpec("scheduler", address=address) if address else ClusterSpec("embedded")
    text = str(text).strip()
    if text in ("embedded", "none"):
        return ClusterSpec("embedded")
    if text.startswith("local:"):
        count = text[len("local:"):]
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(f"--cluster {text}: expected local:W with W a number of worker processes >= 1, "
                               "e.g. local:4")
        return ClusterSpec("local", workers=int(count))
    if text.startswith(SCHEMES):
        return ClusterSpec("scheduler", address=text)
    raise ClusterError(f"--cluster {text}: expected local:W (start W worker processes here), tcp://HOST:PORT "
                       f"(a running Dask scheduler) or embedded; {SCHEDULER_ENV} may name the scheduler too")
