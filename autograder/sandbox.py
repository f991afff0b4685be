"""Start each submission's kernel in a bubblewrap sandbox, and refuse to grade where that cannot run.

Student notebooks are untrusted code. `BubblewrapLauncher` is a kernel
launcher for autograder.executor (the `KernelLauncher.wrap` seam): the
ordinary ipykernel command runs inside `bwrap` (Debian's `bubblewrap`
package; $BACKPROP_BWRAP names another program) with

* a filesystem built from nothing: /usr (and the /bin, /lib symlinks), a few
  files of /etc, and read-only binds of exactly what the kernel's own
  interpreter imports, as it reports it itself (autograder.kernel_env: run
  with `-I`, the kernel's environment and an empty working folder, never
  from the grader's working directory): the Python installation, the
  environment, any other sys.path entry (another site-packages named by a
  .pth file), the targets of editable installs' import hooks, the `utils`
  package, and over the kernel's own `autograder` package a minimal copy of
  it holding only reference.py and hidden/ (for hidden tests). A folder
  holding the course's packages (a checkout on sys.path) is never bound
  whole. So an environment installed, editable or not, from another
  checkout of the course, a conda environment outside every course, one
  environment shared by several courses, a course under /tmp or under a
  path with spaces all work. The course root is never bound, so
  gradebook.db, source/, release/, autograded/, feedback/, submitted/ and
  the other students' folders do not exist inside the sandbox (not even
  their names);
* one writable place: the kernel's private folder (connection file, IPC
  sockets, the working copy of this one submission), plus a private tmpfs
  /tmp of limited size;
* new user, pid, network, IPC, UTS and cgroup namespaces: the kernel runs as
  uid/gid 65534 (nobody) with no capabilities, sees only its own processes,
  and has no network (only a loopback device of its own). The kernel's ZMQ
  channels use `ipc` transport (Unix sockets in the private folder, which
  cross the namespace boundary because they are files);
* a cleared environment, except the variables that choose the numerical
  libraries' code paths (OPENBLAS_CORETYPE, ...: another BLAS kernel rounds
  differently, and a borderline test must score as it does outside);
* no /proc: nothing about other processes, and no /proc/self/mem;
* `--die-with-parent` and a pid namespace: when the kernel exits or is
  killed, the namespace's init process dies and the kernel takes every
  process of the submission with it, including ones that detached with
  setsid or double forks (the kernel's cgroup, where there is one, is
  emptied as well);
* resource limits set inside, before ipykernel starts: address space
  (RLIMIT_AS), CPU seconds, processes/threads, file size, no core dumps.
  The process count is a `pids` cgroup per kernel where this process may
  create cgroups (`PidsCgroup`): RLIMIT_NPROC alone does not bind root, even
  mapped to uid 65534 in a user namespace, because the kernel checks the
  real uid outside it. The wall clock is enforced by the executor;
* SIGINT reaches the kernel: jupyter_client interrupts a cell by signalling
  the kernel's process group, which also holds bwrap; bwrap runs with SIGINT
  ignored (it would die of it, and the kernel with it) and the boot program
  restores Python's handler.

`--new-session` is not used: jupyter_client already starts the kernel with
`setsid()`, so it has no controlling terminal to inject input into (the
TIOCSTI attack --new-session exists for), and a second session would take
the kernel out of the process group that jupyter_client sends SIGINT to,
turning every interrupted cell into a dead kernel.

The self-test (`self_test`, once per process and kernel interpreter) runs
the kernel's interpreter in the sandbox with the same probe: it must import
there every module it imports outside, from the same place (each one that is
missing or elsewhere is named, with where the kernel finds it outside), run
as uid 65534, reach no network, and see neither the grader's code nor a
file outside its binds. A bind that would show the course being graded or
the temporary folder is refused before anything runs, naming the sys.path
entry that holds it (checked for every course from the binds themselves).

Fail closed: where bubblewrap is missing or fails its self-test,
`choose_launcher("auto")` raises SandboxUnavailable (the reason, what to do,
and how to grade without isolation on purpose), and `grade` stops before any
submission runs. Only `--sandbox off` (`choose_launcher("off")`,
`grade_submissions(..., sandbox="off")`) gives a `FallbackLauncher`: resource
limits and a private temporary folder only, said loudly: a warning for the
command line, `describe()` starting with "NOT SANDBOXED", and a
`not_sandboxed` incident in every submission's record. Even then no process
of a submission outlives its kernel (autograder.processes: a cgroup per
kernel, or the kernel as subreaper with its processes marked), and the
grader checks the gradebook against what it wrote (autograder.gradebook).

Both launchers also install the test-integrity guard in the kernel
(autograder.kernel_guard, driven from the grader by autograder.integrity),
trusting and preloading the modules the kernel's interpreter finds, and
track every process of each kernel (`kernel_tree`; the executor reports
what a submission left running as a `leftover_process` incident and kills
it with the kernel).

    launcher, warning = choose_launcher("auto", course_root=course.root)   # SandboxUnavailable, or
    launcher, warning = choose_launcher("off")                             # no isolation, on purpose
    grade_submissions(course, assignment, launcher=launcher)
"""

import atexit
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from autograder import kernel_env
from autograder.incidents import Incident
from autograder.processes import KernelTree, PidsCgroup, join_cgroup_prefix, pid_alive

#: Where Debian's bubblewrap package installs bwrap.
DEFAULT_BWRAP = "/usr/bin/bwrap"

#: The unprivileged user inside the sandbox (nobody/nogroup).
SANDBOX_UID = SANDBOX_GID = 65534

#: Processes and threads one kernel may have (ipykernel itself uses about ten threads).
DEFAULT_MAX_TASKS = 96

#: Largest file a submission may write.
DEFAULT_MAX_FILE_BYTES = 256 * 2**20

#: Size of the private /tmp inside the sandbox (a tmpfs; it counts against the machine's memory).
DEFAULT_TMP_BYTES = 256 * 2**20

#: Modules the self-test imports inside the sandbox (and must find outside, in the kernel's interpreter).
SELF_TEST_IMPORTS = ("numpy", "ipykernel.kernelapp", "utils", "utils.checks", "autograder.reference")

#: Files of /etc the kernel needs (the dynamic linker, time zone, user names); bound when present.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "passwd", "group",
             "alternatives", "mime.types")

#: Environment variables passed into the sandbox (by prefix): they choose the numerical libraries'
#: code paths (e.g. OPENBLAS_CORETYPE), and a different BLAS kernel rounds differently, which can
#: move a borderline accuracy test across its threshold. Everything else is cleared.
PASSED_ENV_PREFIXES = ("OPENBLAS_", "GOTO_", "MKL_", "OMP_", "KMP_", "BLIS_", "VECLIB_", "NVPL_", "NPY_",
                       "NUMPY_", "LC_", "TZ")

#: Threads of numerical libraries: one per kernel, so N kernels use N cores.
_SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                  "NUMEXPR_NUM_THREADS": "1"}

#: Run inside the kernel process by `python -I -c`: limits, guard, then ipykernel in this process.
#: (In-process rather than exec: the guard's audit hook must live in the kernel's interpreter.)
_BOOT = """\
import json, os, resource, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
_config = json.loads(sys.argv[1])
for _name, _value in _config["rlimits"].items():
    if _value is not None:
        resource.setrlimit(getattr(resource, _name), (_value, _value))
if _config.get("token"):
    os.environ["AUTOGRADER_KERNEL_TOKEN"] = _config["token"]
if _config.get("subreaper"):
    import ctypes
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to the kernel
if _config.get("guard"):
    with open(_config["guard"], encoding="utf-8") as _stream:
        _source = _stream.read()
    os.unlink(_config["guard"])
    _namespace = {"__name__": "_autograder_kernel_guard"}
    exec(compile(_source, "<autograder kernel guard>", "exec"), _namespace)
    _namespace["install"](_config["secret"], _config["guard_options"])
    _namespace.clear()
    del _namespace, _source, _stream
sys.argv = ["ipykernel_launcher", *_config["kernel_args"]]
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
del _config, _name, _value
from ipykernel.kernelapp import IPKernelApp
_app = IPKernelApp.instance()
_app.initialize(sys.argv[1:])
_app.shell.run_cell("__import__('sys').audit('autograder.seal')", store_history=False, silent=True)
_app.start()
"""


#: bwrap runs with SIGINT ignored (see the module docstring); the boot program restores Python's handler.
_IGNORE_SIGINT = ("/bin/sh", "-c", 'trap "" INT; exec "$@"', "sh")


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot run here; the message says why, what to do, and how to grade without it on purpose."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(f"the sandbox cannot run here: {reason}. Nothing was run and nothing was written: "
                         "student notebooks are untrusted code and are not graded without isolation unless you "
                         "ask for it. Fix the cause above, or grade WITHOUT isolation on purpose (every record "
                         "is then marked not_sandboxed): `python -m autograder grade ASSIGNMENT --sandbox off`, "
                         "or grade_submissions(..., sandbox=\"off\")")


def _connection_file(kernel_cmd):
    """The connection file named by `-f` in an ipykernel command."""
    for flag, value in zip(kernel_cmd, kernel_cmd[1:]):
        if flag == "-f":
            return Path(value)
        if flag.startswith("-f="):
            return Path(flag[3:])
    raise ValueError(f"no connection file (-f) in the kernel command {kernel_cmd!r}")


def _kernel_args(kernel_cmd):
    """The arguments of `python -m ipykernel_launcher ARGS...` (what ipykernel parses)."""
    for position, (flag, value) in enumerate(zip(kernel_cmd, kernel_cmd[1:])):
        if flag == "-m" and value in ("ipykernel_launcher", "ipykernel"):
            return list(kernel_cmd[position + 2:])
    raise ValueError(f"not an ipykernel command: {kernel_cmd!r}")


def _sandbox_env(prefix):
    """The environment inside the sandbox (everything else is cleared); `prefix` is the kernel's sys.prefix."""
    env = {name: value for name, value in os.environ.items() if name.startswith(PASSED_ENV_PREFIXES)}
    env.update({
        "PATH": f"{Path(prefix) / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp/home", "TMPDIR": "/tmp",
        "LANG": os.environ.get("LANG", "C.UTF-8"), "MPLCONFIGDIR": "/tmp/home/matplotlib",
        "IPYTHONDIR": "/tmp/home/ipython", "PYTHONDONTWRITEBYTECODE": "1", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **_SINGLE_THREAD})
    return env


def _unavailable_view(python, error):
    return SandboxUnavailable(f"the kernel's interpreter {python} could not report what it imports ({error}); "
                              f"check that it runs: `{python} -c 'import ipykernel'`")


def _rlimits(limits, max_tasks, max_file_bytes):
    return {
        "RLIMIT_AS": limits.memory_bytes,
        "RLIMIT_CPU": limits.cpu_seconds(),
        "RLIMIT_NPROC": max_tasks,
        "RLIMIT_FSIZE": max_file_bytes,
        "RLIMIT_CORE": 0,
    }


class _GuardedLauncher:
    """What both launchers share: the kernel's boot program and the integrity guard's keys."""

    name = "base"

    def __init__(self, guard=True, max_tasks=DEFAULT_MAX_TASKS, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
        self.guard = guard
        self.max_tasks = max_tasks
        self.max_file_bytes = max_file_bytes
        self._keys = {}
        self._lock = threading.Lock()
        self._trees = {}
        self._pids = None
        self._pids_checked = False

    def task_limit(self):
        """How the process count is limited: "cgroup" (pids.max) or "rlimit" (RLIMIT_NPROC only)."""
        if not self._pids_checked:
            self._pids_checked = True
            self._pids = PidsCgroup.create()
        return "cgroup" if self._pids is not None else "rlimit"

    def _new_tree(self, kernel_cmd, token=None):
        """The KernelTree of a kernel about to start: a cgroup of its own where possible."""
        cgroup = None
        if self.task_limit() == "cgroup":
            try:
                cgroup = self._pids.new_group(self.max_tasks)
            except OSError:
                cgroup = None
        connection = str(_connection_file(kernel_cmd).resolve())
        tree = KernelTree(connection, cgroup, token)
        with self._lock:
            self._trees[connection] = tree
        return tree

    def kernel_tree(self, connection_file):
        """The KernelTree of the kernel using `connection_file`, handed over once (executor.start_kernel)."""
        with self._lock:
            return self._trees.pop(str(Path(connection_file).resolve()), None)

    def probe_environment(self):
        """The environment variables the kernel's interpreter gets (they decide nothing under -I but are the same)."""
        return dict(os.environ)

    def view(self, python=None):
        """What the kernel's interpreter imports (autograder.kernel_env.KernelView, asked of it; cached)."""
        python = python or kernel_env.kernel_python()
        try:
            return kernel_env.kernel_view(python, self.probe_environment())
        except kernel_env.ProbeFailed as error:
            raise _unavailable_view(python, error) from None

    def guard_key(self, connection_file):
        """The secret shared with the guard of the kernel using `connection_file` (None without guard)."""
        with self._lock:
            return self._keys.get(str(Path(connection_file).resolve()))

    def _boot_command(self, python, kernel_cmd, limits, folder, tree=None, subreaper=False):
        """`python -I -c BOOT CONFIG`: the process that becomes the kernel (a subreaper carrying `tree`'s
        token when asked: how its processes are found without a cgroup)."""
        config = {"rlimits": _rlimits(limits, self.max_tasks, self.max_file_bytes),
                  "kernel_args": _kernel_args(kernel_cmd), "guard": None,
                  "token": tree.token if tree is not None else None, "subreaper": subreaper}
        if self.guard:
            from autograder import integrity

            key = secrets.token_bytes(32)
            secret_path = folder / ".guard-key"
            guard_path = folder / ".guard.py"
            fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as stream:
                stream.write(key)
            shutil.copyfile(Path(__file__).with_name("kernel_guard.py"), guard_path)
            config.update(guard=str(guard_path), secret=str(secret_path),
                          guard_options=integrity.guard_options(folder, self.view(python)))
            with self._lock:
                self._keys[str(_connection_file(kernel_cmd).resolve())] = key
        return [os.path.abspath(python), "-I", "-c", _BOOT, json.dumps(config)]

    def session(self, slot, notebook, notebook_name=None):
        """The grader's side of the integrity guard for one notebook run (executor calls it)."""
        from autograder import integrity

        return integrity.GuardSession(self, slot, notebook, notebook_name)

    def incidents(self):
        """Incidents every submission run by this launcher gets (none when sandboxed)."""
        return []


class BubblewrapLauncher(_GuardedLauncher):
    """Run each kernel inside bubblewrap (see the module docstring for what is isolated)."""

    name = "bubblewrap"

    def __init__(self, bwrap=None, user_namespace=True, guard=True, max_tasks=DEFAULT_MAX_TASKS,
                 max_file_bytes=DEFAULT_MAX_FILE_BYTES, tmp_bytes=DEFAULT_TMP_BYTES):
        super().__init__(guard, max_tasks, max_file_bytes)
        self.bwrap = bwrap or os.environ.get("BACKPROP_BWRAP") or shutil.which("bwrap") or DEFAULT_BWRAP
        self.user_namespace = user_namespace
        self.tmp_bytes = tmp_bytes
        self._libraries = {}

    def sandboxed(self):
        return True

    def describe(self, limits):
        memory = f"{limits.memory_bytes / 2**30:.1f} GiB" if limits.memory_bytes else "unlimited"
        user = f"uid {SANDBOX_UID}" if self.user_namespace else "no user namespace"
        tasks = "pids cgroup" if self.task_limit() == "cgroup" else "RLIMIT_NPROC"
        return (f"bubblewrap sandbox (no network, no course files, private /tmp, {user}, pid namespace), "
                f"memory {memory}, cpu {limits.cpu_seconds()} s, {self.max_tasks} tasks ({tasks}); "
                f"kernel: {self.view().describe()}")

    def environment(self, workdir, limits):
        """Environment of the bwrap process itself (the sandbox's own is set with --setenv)."""
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}

    def probe_environment(self):
        return _sandbox_env(sys.prefix)

    def _reference_library(self, package):
        """A minimal `autograder` package made from the kernel's `package` folder: reference.py and hidden/ only.

        Bound over that folder in the sandbox, so hidden tests import the reference and helpers the
        kernel's environment provides, and nothing else of the grader (one copy per folder and process).
        """
        with self._lock:
            library = self._libraries.get(package)
            if library is not None and library.is_dir():
                return library / "autograder"
            for stale in Path(tempfile.gettempdir()).glob("autograder-reference-*-*"):
                if not pid_alive(stale.name.split("-")[2]):
                    shutil.rmtree(stale, ignore_errors=True)
            library = Path(tempfile.mkdtemp(prefix=f"autograder-reference-{os.getpid()}-"))
            target = library / "autograder"
            target.mkdir()
            (target / "__init__.py").write_text('"""Grader reference code available to hidden tests."""\n')
            if (package / "reference.py").is_file():
                shutil.copyfile(package / "reference.py", target / "reference.py")
            # The hidden tests' helpers (autograder.hidden), beside the reference they build on.
            if (package / "hidden").is_dir():
                shutil.copytree(package / "hidden", target / "hidden",
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            atexit.register(shutil.rmtree, library, True)
            self._libraries[package] = library
            return target

    def binds(self, view):
        """[(source, destination)] of the read-only binds that show the kernel what it imports, in order.

        Everything `view.exposed()` names (the interpreter, its environment, other sys.path entries,
        editable installs' targets, utils) at the path the kernel uses and, behind a symlink, at its real
        path too; parents before children; last, the minimal autograder package over the kernel's own.
        """
        pairs = {}
        for path in view.exposed():
            real = Path(os.path.realpath(path))
            for destination in dict.fromkeys((path, real)):
                pairs.setdefault(destination, real)
        ordered = sorted(pairs.items(), key=lambda item: (len(item[0].parts), str(item[0])))
        ordered = [(source, destination) for destination, source in ordered]
        package = view.package_folder("autograder")
        if package is not None:
            library = self._reference_library(Path(os.path.realpath(package)))
            for destination in dict.fromkeys((package, Path(os.path.realpath(package)))):
                ordered.append((library, destination))
        return ordered

    def mounts(self, folder, workdir, view=None):
        """bwrap arguments for the filesystem (read-only environment, the private folder)."""
        view = view or self.view()
        args = []
        for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ETC_FILES:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        # The private /tmp comes before the environment's binds: a course checked out under /tmp
        # (a CI clone) has its .venv, utils/ and autograder/ there, and a later tmpfs would hide them.
        args += ["--dev", "/dev", "--tmpfs", "/tmp"]
        if self.tmp_bytes:
            args[-2:-2] = ["--size", str(self.tmp_bytes)]
        for source, destination in self.binds(view):
            args += ["--ro-bind", str(source), str(destination)]
        args += ["--dir", "/tmp/home", "--bind", str(folder), str(folder)]
        if not workdir.is_relative_to(folder):
            args += ["--bind", str(workdir), str(workdir)]
        return args

    def check_course(self, course_root):
        """SandboxUnavailable if the binds would show the course being graded (no bwrap needed)."""
        reason = self.exposure(self.view(), [Path(course_root)])
        if reason:
            raise SandboxUnavailable(reason)

    def exposure(self, view, protected):
        """The first protected folder (the course, the grader's temporary folder) a bind would show, and why."""
        for source, destination in self.binds(view):
            for path in protected:
                path = Path(os.path.realpath(path))
                if path == source or path.is_relative_to(source):
                    return (f"the kernel's environment includes {destination}, which holds {path}: binding it "
                            "into the sandbox would show every submission those files (a sys.path entry, "
                            "perhaps from a .pth file in site-packages, or an environment inside that folder). "
                            "Keep the environment and its sys.path entries out of the course and temporary "
                            "folders")
        return None

    def sandbox_args(self, folder, workdir, cgroup=None, view=None):
        """bwrap's arguments, up to the command (started inside `cgroup` if given; `view`: the kernel's)."""
        view = view or self.view()
        prefix = list(_IGNORE_SIGINT)
        if cgroup is not None:
            # Fail closed: a kernel that cannot join its pids cgroup does not start at all.
            prefix = join_cgroup_prefix(cgroup)
        args = [*prefix, self.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
                "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
        if self.user_namespace:
            args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID)]
        args += ["--cap-drop", "ALL"]
        args += self.mounts(folder, workdir, view)
        args.append("--clearenv")
        for name, value in _sandbox_env(view.report["prefix"]).items():
            args += ["--setenv", name, value]
        args += ["--chdir", str(workdir)]
        return args

    def wrap(self, kernel_cmd, workdir, limits):
        folder = _connection_file(kernel_cmd).resolve().parent
        workdir = Path(workdir).resolve()
        tree = self._new_tree(kernel_cmd, token="")  # the pid namespace holds every process; no token needed
        view = self.view(kernel_cmd[0])
        return [*self.sandbox_args(folder, workdir, tree.cgroup, view), "--",
                *self._boot_command(kernel_cmd[0], kernel_cmd, limits, folder)]

    def check(self, course_root=None, timeout=120):
        """Run the kernel's interpreter in the sandbox; raise SandboxUnavailable (what, where, what to do) if
        it cannot import there what it imports outside, sees what it must not see, or is not isolated, or
        if a bind would show `course_root` (checked from the binds alone: `check_course`)."""
        if not (os.path.isfile(self.bwrap) and os.access(self.bwrap, os.X_OK)):
            raise SandboxUnavailable(f"bubblewrap is not installed ({self.bwrap} not found; "
                                     "on Debian: apt-get install bubblewrap)")
        python = kernel_env.kernel_python()
        view = self.view(python)
        missing = [name for name in SELF_TEST_IMPORTS if view.origin(name).startswith(("<", "ModuleNotFound"))]
        if missing:
            raise SandboxUnavailable(
                f"the kernel's interpreter {python} cannot import {', '.join(missing)} even without the sandbox "
                f"({view.describe()}); install the course into the environment the kernels use "
                "(`make install` in the course, or `pip install -e /path/to/course`)")
        folder = Path(tempfile.mkdtemp(prefix="autograder-selftest-"))
        outside = Path(tempfile.mkdtemp(prefix="autograder-selftest-outside-"))
        protected = [outside, Path(tempfile.gettempdir()), *([Path(course_root)] if course_root else [])]
        try:
            reason = self.exposure(view, protected)
            if reason:
                raise SandboxUnavailable(reason)
            workdir = folder / "work"
            workdir.mkdir()
            (outside / "marker").write_text("must not be visible in the sandbox\n")
            hidden = [str(Path(__file__).resolve()), str(outside / "marker")]
            request = kernel_env.probe_request(hidden, network=True, imports=SELF_TEST_IMPORTS)
            command = [*self.sandbox_args(folder, workdir, view=view), "--", os.path.abspath(python), "-I", "-c",
                       kernel_env.PROBE, json.dumps(request)]
            try:
                inside = kernel_env.run_probe(command, self.environment(workdir, None), folder, timeout)
            except kernel_env.ProbeFailed as error:
                raise SandboxUnavailable(f"bubblewrap failed its self-test: {error}") from None
            expected_uid = SANDBOX_UID if self.user_namespace else None
            if expected_uid is not None and inside["uid"] != expected_uid:
                raise SandboxUnavailable(f"bubblewrap self-test ran as uid {inside['uid']}, not {expected_uid}")
            if inside.get("network"):
                raise SandboxUnavailable("bubblewrap self-test could reach the network")
            if inside["visible"]:
                shown = []
                for path in inside["visible"][:5]:
                    through = [str(destination) for source, destination in self.binds(view)
                               if Path(os.path.realpath(path)).is_relative_to(source)]
                    shown.append(path + (f" (through the bind of {through[-1]}, a sys.path entry or part of the "
                                         "kernel's environment)" if through else ""))
                raise SandboxUnavailable("bubblewrap self-test could see files it must not see: " + ", ".join(shown))
            found = kernel_env.differences(view, inside)
            if found:
                raise SandboxUnavailable(
                    "inside the sandbox the kernel would not import what it imports outside: " + "; ".join(found)
                    + f" (kernel: {view.describe()}; bound read-only: "
                    + ", ".join(str(destination) for _, destination in self.binds(view))
                    + "). Grading without the sandbox would use other code than the tests expect; please report "
                    "this set-up, and meanwhile grade from an environment installed into the course you grade "
                    "(`make install`)")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(outside, ignore_errors=True)

class FallbackLauncher(_GuardedLauncher):
    """No sandbox, on purpose (`--sandbox off`): resource limits, a private temporary folder, the guard,
    every process of the kernel killed with it (autograder.processes), and a loud warning in every record.

    cgroups: True (default) puts each kernel in a cgroup of its own where this process may create them;
    False (or where it may not) makes the kernel a subreaper carrying a token instead.
    """

    name = "fallback"

    def __init__(self, reason, guard=True, max_tasks=DEFAULT_MAX_TASKS, max_file_bytes=DEFAULT_MAX_FILE_BYTES,
                 cgroups=True):
        super().__init__(guard, max_tasks, max_file_bytes)
        self.reason = reason
        if not cgroups:
            self._pids_checked = True  # never create one: the subreaper and token are used instead

    def sandboxed(self):
        return False

    def describe(self, limits):
        memory = f"{limits.memory_bytes / 2**30:.1f} GiB" if limits.memory_bytes else "unlimited"
        tree = ("a pids cgroup per kernel" if self.task_limit() == "cgroup"
                else "the kernel as subreaper, its processes marked")
        return (f"NOT SANDBOXED ({self.reason}): local process with resource limits "
                f"and a private temporary folder, memory {memory}, cpu {limits.cpu_seconds()} s; "
                f"every process it starts is killed with it ({tree})")

    def environment(self, workdir, limits):
        private_tmp = Path(workdir).resolve() / ".tmp"  # inside the private working copy, removed with it
        private_tmp.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(_SINGLE_THREAD)
        for name in ("TMPDIR", "TEMP", "TMP"):
            env[name] = str(private_tmp)
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        return env

    def wrap(self, kernel_cmd, workdir, limits):
        folder = _connection_file(kernel_cmd).resolve().parent
        tree = self._new_tree(kernel_cmd)
        if tree.cgroup is not None:
            return [*join_cgroup_prefix(tree.cgroup), *self._boot_command(kernel_cmd[0], kernel_cmd, limits, folder)]
        return self._boot_command(kernel_cmd[0], kernel_cmd, limits, folder, tree, subreaper=True)

    def incidents(self):
        return [Incident("not_sandboxed", f"not sandboxed: {self.reason}; this submission ran "
                         "without isolation (resource limits and a private temporary folder only)")]


_checked = {}
_checked_lock = threading.Lock()


def self_test(launcher, course_root=None):
    """None if `launcher` (a BubblewrapLauncher) works here, else the reason it does not.

    The run in the sandbox is made once per process, bwrap, user namespace and kernel interpreter;
    `course_root` (whose files no bind may show) is checked from the binds on every call.
    """
    key = (launcher.bwrap, launcher.user_namespace, kernel_env.kernel_python())
    if course_root is not None and os.path.isfile(launcher.bwrap):
        try:
            launcher.check_course(course_root)
        except SandboxUnavailable as error:
            return error.reason
    with _checked_lock:
        if key not in _checked:
            try:
                launcher.check()
                _checked[key] = None
            except SandboxUnavailable as error:
                _checked[key] = error.reason
        return _checked[key]


def choose_launcher(mode="auto", bwrap=None, course_root=None):
    """The launcher for `mode` and a warning to print (None when the sandbox is in use as intended).

    mode: "auto", "bubblewrap" bubblewrap (with a user namespace where possible), or SandboxUnavailable
                               saying why it cannot run: nothing falls back silently;
          "off"               FallbackLauncher on purpose (warned about: nothing is isolated).
    course_root: the course being graded; the self-test also checks that its files are invisible.
    """
    if mode == "off":
        launcher = FallbackLauncher("the sandbox was switched off (--sandbox off)")
        return launcher, f"WARNING: {launcher.reason}; student code runs WITHOUT isolation"
    if mode not in ("auto", "bubblewrap"):
        raise ValueError(f"unknown sandbox mode {mode!r} (auto, bubblewrap, off)")
    reasons = []
    for candidate in (BubblewrapLauncher(bwrap), BubblewrapLauncher(bwrap, user_namespace=False)):
        reason = self_test(candidate, course_root)
        if reason is None:
            if not candidate.user_namespace:
                return candidate, ("WARNING: bubblewrap runs without a user namespace here "
                                   f"({reasons[0]}); kernels keep the grader's user id inside the sandbox")
            return candidate, None
        reasons.append(reason)
    raise SandboxUnavailable(reasons[0])
