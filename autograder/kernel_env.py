"""What a grading kernel's interpreter imports, asked of that interpreter itself.

The grader and the kernels it starts can see different code. `python -m
autograder grade`, run in a copy of the course, finds `utils` and
`autograder` in its working directory, while the kernel (`python -I`, in a
private folder) finds them through the environment's install: an editable
install's import hook (setuptools' `__editable__…finder`, a `.pth` path
entry) pointing at another checkout, a non-editable copy in site-packages,
a conda environment outside every course, another environment's
site-packages named by a `.pth` file. Whatever the sandbox makes visible, and
whatever the test-integrity guard trusts, must be computed from the kernel's
view, not the grader's.

`probe(python, env)` runs PROBE with the kernel's interpreter exactly as a
kernel boots (`-I`, the kernel's environment variables, an empty private
working folder) and returns a `KernelView`:

    view = kernel_view(kernel_python(), env)
    view.package_folder("utils")        # Path("/home/me/term1/utils"), say
    view.package_folder("autograder")   # where autograder.reference and autograder.hidden come from
    view.roots                          # the interpreter's installation and environment (sys.prefix, ...)
    view.extra_paths                    # sys.path entries outside them (another site-packages, ...)
    view.editable                       # {package: folder} of editable installs' import hooks
    view.modules_of("utils.testing")    # ["utils.testing._common", "utils.testing.unit1", ...]
    view.origin("numpy")                # where a module is found ("<missing>" if nowhere)

The same PROBE runs inside the sandbox for its self-test (autograder.sandbox),
and `differences(outside, inside)` names every module the kernel would find
outside but not (or elsewhere) inside.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

#: Modules every grading kernel needs, besides the ones listed from packages (PACKAGES_LISTED).
ESSENTIAL = ("numpy", "ipykernel", "ipykernel.kernelapp", "utils", "utils.checks", "autograder",
             "autograder.reference", "autograder.hidden")

#: Packages whose every module the kernels preload (autograder.integrity), listed as the kernel sees them.
PACKAGES_LISTED = ("utils", "utils.testing", "autograder.hidden")

#: The course's own packages: bound on their own, never by binding the checkout that holds them.
COURSE_PACKAGES = ("utils", "autograder")

#: Run by the kernel's interpreter (`python -I -c PROBE REQUEST`), outside and inside the sandbox.
PROBE = r"""
import importlib, importlib.util, json, os, pkgutil, sys
request = json.loads(sys.argv[1])
report = {"executable": sys.executable, "version": sys.version.split()[0], "uid": os.getuid(), "prefix": sys.prefix,
          "prefixes": sorted({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}),
          "path": list(sys.path), "cwd": os.getcwd(), "modules": {}, "contents": {}, "imports": {},
          "editable": {}}

def where(name):
    try:
        spec = importlib.util.find_spec(name)
    except BaseException as error:
        return {"error": type(error).__name__ + ": " + str(error)}
    if spec is None:
        return None
    if spec.submodule_search_locations is not None:
        return {"folder": [str(p) for p in spec.submodule_search_locations]}
    return {"file": spec.origin}

for name in request["modules"]:
    report["modules"][name] = where(name)
for package in request["packages"]:
    found = report["modules"].get(package) or where(package)
    names = []
    if found and "folder" in found:
        names = sorted(package + "." + info.name for info in pkgutil.iter_modules(found["folder"]))
    report["contents"][package] = names
    for name in names:
        report["modules"][name] = where(name)
for name in request["imports"]:
    try:
        importlib.import_module(name)
        report["imports"][name] = None
    except BaseException as error:
        report["imports"][name] = type(error).__name__ + ": " + str(error)
for finder in sys.meta_path:
    mapping = getattr(sys.modules.get(getattr(finder, "__module__", None) or ""), "MAPPING", None)
    if isinstance(mapping, dict):
        report["editable"].update({k: v for k, v in mapping.items() if isinstance(k, str) and isinstance(v, str)})
report["visible"] = [path for path in request["hidden"] if os.path.lexists(path)]
if request["network"]:
    import socket
    probe = socket.socket()
    probe.settimeout(2)
    try:
        probe.connect(("1.1.1.1", 53))
        report["network"] = True
    except OSError:
        report["network"] = False
    finally:
        probe.close()
print("PROBE " + json.dumps(report), flush=True)
"""

MISSING = "<missing>"


class ProbeFailed(RuntimeError):
    """The kernel's interpreter could not answer the probe; the message says what it printed."""


def kernel_python(kernel_name="python3"):
    """The interpreter jupyter_client starts for `kernel_name` (as KernelManager.format_kernel_cmd does)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except NoSuchKernel:
        return sys.executable
    command = argv[0] if argv else "python"
    if command in {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}:
        return sys.executable  # what jupyter_client itself substitutes
    return shutil.which(command) or command


def _resolved(path):
    return Path(os.path.realpath(path))


def _inside(path, folders):
    return any(path == folder or path.is_relative_to(folder) for folder in folders)


@dataclass(frozen=True)
class KernelView:
    """What one interpreter imports, as it reported it (PROBE's report, plus the interpreter's path)."""

    python: str
    report: dict

    @property
    def executable(self):
        return self.report["executable"]

    def origin(self, name):
        """Where `name` is found: its folder (package) or file, MISSING, or the error finding it raised."""
        found = self.report["modules"].get(name)
        if found is None:
            return MISSING
        if "error" in found:
            return found["error"]
        return found["folder"][0] if "folder" in found else found["file"]

    def package_folder(self, name):
        """The folder of package `name` as the kernel names it, or None where the kernel cannot find it."""
        found = self.report["modules"].get(name)
        if not found or "folder" not in found or not found["folder"]:
            return None
        return Path(os.path.normpath(found["folder"][0]))

    def modules_of(self, package):
        """The modules in `package`'s folder, as the kernel lists them (not imported)."""
        return list(self.report["contents"].get(package, []))

    @property
    def roots(self):
        """The interpreter's installation and environment: sys.prefix & co. and the real executable's prefix."""
        names = [*self.report["prefixes"], str(_resolved(self.report["executable"]).parent.parent)]
        return [Path(path) for path in dict.fromkeys(os.path.normpath(name) for name in names)]

    @property
    def course_checkouts(self):
        """Folders holding the course's packages (resolved): never exposed whole (gradebooks, solutions)."""
        return {_resolved(folder).parent for folder in map(self.package_folder, COURSE_PACKAGES) if folder}

    @property
    def extra_paths(self):
        """sys.path entries that exist outside the roots and /usr, except course checkouts (as named)."""
        inside = [_resolved(root) for root in self.roots] + [Path("/usr")]
        found = []
        for entry in self.report["path"]:
            if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
                continue
            path = _resolved(entry)
            if _inside(path, inside) or path in self.course_checkouts:
                continue
            found.append(Path(os.path.normpath(entry)))
        return list(dict.fromkeys(found))

    @property
    def editable(self):
        """{top-level name: folder or file} of editable installs' import hooks, where it exists."""
        return {name: Path(os.path.normpath(path)) for name, path in sorted(self.report["editable"].items())
                if os.path.exists(path)}

    def exposed(self):
        """Paths (as the kernel names them) a sandbox must show read-only for the kernel to import what it
        imports outside: the roots, extra sys.path entries, editable installs' targets and `utils`. The
        `autograder` package is not in it: only its reference and hidden tests are shown (autograder.sandbox)."""
        paths = [*self.roots, *self.extra_paths]
        paths += [path for name, path in self.editable.items() if name != "autograder"]
        utils = self.package_folder("utils")
        if utils is not None:
            paths.append(utils)
        return [path for path in dict.fromkeys(paths) if not _resolved(path).is_relative_to("/usr")]

    def trusted_roots(self):
        """Folders holding the environment's code, not a submission's: the guard trusts code from these."""
        roots = {Path("/usr")}
        for path in [*self.exposed(), self.package_folder("autograder")]:
            if path is not None:
                roots.update({path, _resolved(path)})
        return sorted(os.path.join(str(root), "") for root in roots)

    def describe(self):
        """One line: the interpreter and where the course's packages come from."""
        packages = ", ".join(f"{name} from {self.package_folder(name) or MISSING}" for name in COURSE_PACKAGES)
        return f"{self.executable} (Python {self.report['version']}): {packages}"


def probe_request(hidden=(), network=False, imports=()):
    return {"modules": list(ESSENTIAL), "packages": list(PACKAGES_LISTED), "imports": list(imports),
            "hidden": [str(path) for path in hidden], "network": network}


def run_probe(command, env, cwd, timeout=120):
    """Run `command` (ending in `python -I -c`; PROBE and the request are appended by the caller); its report."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProbeFailed(f"{type(error).__name__}: {error}") from None
    for line in done.stdout.splitlines():
        if line.startswith("PROBE "):
            return json.loads(line[len("PROBE "):])
    detail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}, no output"])[-1]
    raise ProbeFailed(detail)


_views = {}
_views_lock = threading.Lock()


def kernel_view(python, env=None):
    """The KernelView of interpreter `python` started as a kernel is (`-I`, `env`, an empty working folder).

    Cached per interpreter and environment for the life of the process (an environment does not change
    during a batch). Raises ProbeFailed if the interpreter cannot run the probe.
    """
    env = dict(env if env is not None else os.environ)
    key = (os.path.abspath(python), json.dumps(sorted(env.items())))
    with _views_lock:
        if key in _views:
            return _views[key]
    workdir = Path(tempfile.mkdtemp(prefix="autograder-probe-"))
    try:
        report = run_probe([os.path.abspath(python), "-I", "-c", PROBE, json.dumps(probe_request())], env, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    view = KernelView(os.path.abspath(python), report)
    with _views_lock:
        _views[key] = view
    return view


def differences(outside, inside_report):
    """Sentences naming each module found outside the sandbox but not, or elsewhere, inside it ([] if none)."""
    found = []
    for name in sorted(outside.report["modules"]):
        here = outside.origin(name)
        if here == MISSING or here.startswith(("ModuleNotFoundError", "ImportError")):
            continue
        there = KernelView(outside.python, inside_report).origin(name)
        if there == MISSING:
            found.append(f"`{name}` is missing (the kernel's interpreter imports it from {here})")
        elif there != here:
            found.append(f"`{name}` comes from {there} instead of {here}")
    for name, error in sorted(inside_report.get("imports", {}).items()):
        if error is not None:
            found.append(f"`import {name}` fails: {error}")
    return found
