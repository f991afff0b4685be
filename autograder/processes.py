"""Every process of a grading kernel, so that none outlives it: cgroups, a subreaper, /proc.

A submission can start processes that leave the kernel's process group and
session (`setsid`, a double fork) and would survive the kernel being killed:
in issue 19 one such process rewrote the gradebook after the batch. Inside
bubblewrap the kernel's pid namespace takes them with it. This module makes
the same hold without the sandbox (`--sandbox off`) and lets the grader see
what a submission left running:

* `PidsCgroup`: where this process may create cgroups (root with cgroup v1's
  `pids` hierarchy, or v2 with the pids controller delegated), each kernel
  gets a cgroup of its own before it starts (`sh -c 'echo $$ >
  cgroup.procs; exec ...'`, and a kernel that cannot join does not start).
  Every descendant is in it whatever it does, and `pids.max` caps them.
* Otherwise (`KernelTree` without a cgroup): the kernel's boot program makes
  the kernel a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`), so orphans
  of its descendants are reparented to the kernel instead of init, and puts
  a token into its environment (`TOKEN_VARIABLE`), which its children
  inherit. The grader kills the kernel's descendants before it stops the
  kernel, and afterwards every process that carries the token.
  Limit, stated plainly: without cgroups, a process that removes the token
  from its environment and outlives a kernel that died before the grader
  stopped it is not found.

When the grader stops a kernel, it kills the submission's processes first,
while the kernel still lives, then the kernel, then anything left. A kernel
that dies on its own (a crash, os._exit) leaves its processes running until
the grader notices and stops the slot, a moment in which, without the
sandbox, they can still act (as any cell could while the kernel ran): the
gradebook check after the batch (autograder.grading.check_gradebook) is
the layer behind that.

Linux only (/proc); elsewhere a KernelTree finds nothing.

    tree = KernelTree(connection_file, cgroup=pids.new_group(96))   # or KernelTree(connection_file, token=...)
    tree.attach(pid_of_the_process_jupyter_client_started)
    tree.leftovers()    # [(pid, command line)] of the submission's processes still running
    tree.kill()         # kill them all (the kernel too unless keep_kernel=True); True when none is left
"""

import atexit
import os
import secrets
import signal
import threading
import time
from pathlib import Path

#: The environment variable (kernels without a cgroup) whose value names the kernel a process belongs to.
TOKEN_VARIABLE = "AUTOGRADER_KERNEL_TOKEN"

#: prctl option that makes a process the reaper of its descendants' orphans (linux/prctl.h).
PR_SET_CHILD_SUBREAPER = 36

PROC = Path("/proc")


def pid_alive(text):
    """True if `text` is the id of a running process."""
    try:
        os.kill(int(text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _stat(pid):
    """(parent pid, start time, state) of `pid` from /proc, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19]), fields[0]


def command_line(pid):
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)


def _environment_has(pid, needle):
    try:
        return needle in (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return False


def _all_pids():
    try:
        return [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return []


def descendants(pid):
    """Every live descendant of `pid` (from one scan of /proc's parent pids)."""
    children = {}
    for other in _all_pids():
        found = _stat(other)
        if found is not None:
            children.setdefault(found[0], []).append(other)
    found, stack = [], list(children.get(pid, []))
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


class PidsCgroup:
    """A `pids` cgroup per kernel, where this process may create cgroups (root with cgroup v1, or v2 at
    the root of the hierarchy): the only process-count limit that holds for root, which RLIMIT_NPROC
    exempts even inside a user namespace, and a record of every process of a kernel, wherever it
    reparents. `create()` returns None where cgroups are not writable."""

    #: An empty kernel group younger than this may still be waiting for its kernel to join it.
    EMPTY_GROUP_GRACE = 300.0

    def __init__(self, parent):
        self.parent = parent
        self._created = {}
        self._counter = 0
        self._lock = threading.Lock()
        atexit.register(self.cleanup)

    @classmethod
    def create(cls):
        for root in cls._candidates():
            cls._reap(root)
            try:
                parent = root / f"autograder-{os.getpid()}-{secrets.token_hex(3)}"
                parent.mkdir()
            except OSError:
                continue
            if (parent / "pids.max").exists() or cls._enable_v2(parent):
                return cls(parent)
            try:
                parent.rmdir()
            except OSError:
                pass
        return None

    @staticmethod
    def _reap(root):
        """Remove the cgroups of graders that died without cleaning up (e.g. killed with SIGKILL)."""
        for parent in root.glob("autograder-*-*"):
            if pid_alive(parent.name.split("-")[1]):
                continue
            for group in parent.glob("kernel-*"):
                try:
                    for pid in (group / "cgroup.procs").read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                    group.rmdir()
                except (OSError, ValueError):
                    pass
            try:
                parent.rmdir()
            except OSError:
                pass

    @staticmethod
    def _candidates():
        v1 = Path("/sys/fs/cgroup/pids")
        if (v1 / "cgroup.procs").is_file() and os.access(v1, os.W_OK):
            yield v1
        for v2 in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
            controllers = v2 / "cgroup.controllers"
            try:
                if "pids" in controllers.read_text().split() and os.access(v2, os.W_OK):
                    yield v2
            except OSError:
                continue

    @staticmethod
    def _enable_v2(parent):
        try:
            (parent.parent / "cgroup.subtree_control").write_text("+pids")
            (parent / "cgroup.subtree_control").write_text("+pids")
        except OSError:
            return False
        return True

    def new_group(self, max_tasks):
        """A fresh cgroup limited to `max_tasks` tasks (earlier, emptied ones are removed)."""
        with self._lock:
            self._counter += 1
            # Only old groups: a fresh one is empty until its kernel's shell joins it, and removing
            # it then would start that kernel with no process limit (a race seen with --jobs 2).
            self._remove_empty(min_age=self.EMPTY_GROUP_GRACE)
            group = self.parent / f"kernel-{self._counter:05d}"
            group.mkdir()
            (group / "pids.max").write_text(str(max_tasks))
            self._created[group.name] = time.monotonic()
            return group

    def _remove_empty(self, min_age=None):
        now = time.monotonic()
        for group in self.parent.glob("kernel-*"):
            if min_age is not None and now - self._created.get(group.name, 0.0) < min_age:
                continue
            try:
                group.rmdir()  # fails while it still has processes
                self._created.pop(group.name, None)
            except OSError:
                pass

    def cleanup(self, wait=5.0):
        """Kill whatever is left in the kernels' cgroups (nothing should be) and remove them."""
        deadline = time.monotonic() + wait
        with self._lock:
            while True:
                self._remove_empty()
                left = list(self.parent.glob("kernel-*"))
                if not left or time.monotonic() > deadline:
                    break
                for group in left:
                    _kill_pids(_group_pids(group))
                time.sleep(0.05)
            try:
                self.parent.rmdir()
            except OSError:
                pass


def _group_pids(group):
    try:
        return [int(pid) for pid in (group / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _kill_pids(pids, started=None):
    """SIGKILL each pid (skipping one whose start time no longer matches `started`, i.e. a reused pid)."""
    for pid in pids:
        if started is not None:
            now = _stat(pid)
            if now is None or now[1] != started.get(pid, now[1]):
                continue
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def join_cgroup_prefix(cgroup):
    """argv that moves itself into `cgroup` and then runs the rest (exit 97 if it cannot: fail closed)."""
    return ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" || { echo "sandbox: cannot join the pids cgroup '
            '$0" >&2; exit 97; }; trap "" INT; exec "$@"', str(cgroup)]


def make_subreaper():
    """Make this process the reaper of its descendants' orphans (Linux); False where that is impossible."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class KernelTree:
    """The processes of one kernel: its cgroup's, or (without one) the kernel's descendants and the
    processes carrying its token. `marker` (the kernel's connection file) is in the command line of
    the kernel and of what starts it (sh, bwrap), so they are told apart from the submission's."""

    def __init__(self, marker, cgroup=None, token=None):
        self.marker = str(marker)
        self.cgroup = cgroup
        self.token = token if token is not None or cgroup is not None else secrets.token_hex(16)
        self.pid = None

    @property
    def token_entry(self):
        return f"{TOKEN_VARIABLE}={self.token}".encode() if self.token else None

    def attach(self, pid):
        """The process jupyter_client started for the kernel."""
        self.pid = pid

    def members(self):
        """{pid: start time} of every live process of the kernel (zombies left out)."""
        if not PROC.is_dir():
            return {}
        if self.cgroup is not None:
            pids = set(_group_pids(self.cgroup))
        else:
            pids = set(descendants(self.pid)) if self.pid else set()
            if self.pid and _stat(self.pid) is not None:
                pids.add(self.pid)
            if self.token_entry:
                pids.update(pid for pid in _all_pids() if pid != os.getpid()
                            and _environment_has(pid, self.token_entry))
        found = {}
        for pid in pids:
            stat = _stat(pid)
            if stat is not None and stat[2] not in ("Z", "X"):
                found[pid] = stat[1]
        return found

    def _kernel_chain(self, members):
        return {pid for pid in members if pid == self.pid or self.marker in command_line(pid)}

    def leftovers(self):
        """[(pid, command line)] of processes the submission started that are still running."""
        members = self.members()
        chain = self._kernel_chain(members)
        return sorted((pid, command_line(pid)) for pid in members if pid not in chain)

    def kill(self, keep_kernel=False, timeout=5.0):
        """SIGKILL the kernel's processes until none is left (all but the kernel's own with keep_kernel);
        True when none is left. Repeated, since a process may fork while its siblings are killed."""
        deadline = time.monotonic() + timeout
        while True:
            members = self.members()
            if keep_kernel:
                chain = self._kernel_chain(members)
                members = {pid: started for pid, started in members.items() if pid not in chain}
            if not members:
                return True
            if time.monotonic() > deadline:
                return False
            _kill_pids(list(members), members)
            time.sleep(0.02)

    def close(self):
        """Kill what is left and remove the kernel's cgroup (if it has one)."""
        done = self.kill()
        if self.cgroup is not None:
            try:
                self.cgroup.rmdir()
            except OSError:
                pass
        return done
