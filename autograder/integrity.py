"""Test integrity: the grader's side of the in-kernel guard, and checks made before anything runs.

The guard itself (autograder.kernel_guard) lives in each kernel; the launchers
of autograder.sandbox install it. This module is what the executor calls
around the cells of one notebook run (`GuardSession`), plus two checks that
need no kernel:

* `reference_uses(notebook)`: student cells that mention the grader's package
  (`import autograder`, `autograder.reference`, the string "autograder.…").
* `shadowing_incidents(folder, spec)`: files in a submission folder that would
  shadow a module the tests import (`utils.py`, a `numpy/` package, a `.pth`
  file...). Such files are never copied into the kernel's working folder (only
  the notebook is), so the submission is graded against the real modules; the
  incident says so.

Policy, per notebook run:

* Before each autograded test cell the grader arms the guard (restoring the
  kernel to its sealed state); after it, asks for the verdict. Any tampering
  found (listed in the guard's docstring), a missing or forged answer, an
  error the test raised that the grader never saw, or a use of the grader's
  reference solution by student code makes that test cell score 0: an
  `IntegrityError` output is appended to it, so nbgrader's own rule gives 0
  and the feedback says why. Tampering is sticky: every later test cell of
  the notebook scores 0 too ("tampering detected earlier"), since a
  submission that tampers once cannot be trusted for the rest of the run.
  One `tampering` incident names the cell where it was found and what was
  found.
* After each locked instructor cell (e.g. the imports cell) the guard is told
  the names the cell defined; a later rebinding of a module name or of a
  `utils.checks`/numpy name (`check_array = lambda *a, **k: None`, `np = ...`)
  is tampering; other names are restored silently before each test.
* The grader's reference solution (autograder.reference) is importable in
  the kernel only while a test cell runs, is removed from sys.modules and the
  user namespace after it, and a student cell that imports or names it is
  tampering (recorded as such). Hidden tests can in addition forbid calling it
  with `utils.checks.check_does_not_call(func, args, [reference functions])`.

Limits, stated plainly: the guard runs in the student's interpreter. It closes
the ways the issue lists and the introspection that leads to its own state
(gc, ctypes, frames of other threads, trace functions, new audit hooks,
/proc/*/mem), and it fails closed, but a student who knows this code and can
read raw process memory (e.g. with numpy stride tricks) could in principle
recover its key. Scores are computed by the grader from what the kernel
returns, never written from inside the kernel, and the sandbox keeps the
gradebook out of reach whatever happens in the kernel.
"""

import ast
import asyncio
import hashlib
import hmac
import os
import re
import sys
from pathlib import Path

from nbformat import NotebookNode

from autograder.incidents import Incident

#: Packages whose every attribute is protected (any change is tampering).
STRICT_PACKAGES = ("numpy", "utils", "autograder")

#: The grader's package; only autograder.reference of it exists in the sandbox.
REFERENCE_PACKAGE = "autograder"



def _modules_of(package):
    """`package` and the modules in its folder (found on disk, not imported): utils.testing.unit1, ..."""
    import importlib.util
    import pkgutil

    try:
        spec = importlib.util.find_spec(package)
    except ImportError:
        return ()
    if spec is None or not spec.submodule_search_locations:
        return ()
    found = sorted(info.name for info in pkgutil.iter_modules(spec.submodule_search_locations))
    return (package, *(f"{package}.{name}" for name in found))


#: Imported in every kernel before student code, so they are protected from the start. utils.testing
#: (the visible tests' modules; importing it installs the diagnosis-first error display) and
#: autograder.hidden (the hidden tests' helpers, kept out of reach like the reference) are listed
#: module by module, so a unit's module added later is covered too: `preload(view)` lists them as
#: the kernel's interpreter finds them (autograder.kernel_env), PRELOAD as this process does.
PRELOAD_FIXED = ("numpy", "numpy.linalg", "numpy.random", "utils", "utils.checks", "utils.gradcheck",
                 "utils.activations", "utils.forward", "utils.losses", "utils.initialization", "utils.datasets")
PRELOAD_LISTED = ("utils.testing", "autograder.hidden")
PRELOAD = (*PRELOAD_FIXED, *_modules_of("utils.testing"), "autograder.reference", *_modules_of("autograder.hidden"))


def preload(view):
    """PRELOAD as the kernel whose interpreter reported `view` finds the modules."""
    listed = {package: ((package, *view.modules_of(package)) if view.package_folder(package) else ())
              for package in PRELOAD_LISTED}
    return (*PRELOAD_FIXED, *listed["utils.testing"], "autograder.reference", *listed["autograder.hidden"])

#: Names IPython itself adds to and removes from builtins while a cell runs.
IGNORED_BUILTINS = ("_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__")

#: sys attributes whose identity matters to a test's result.
CRITICAL_SYS = ("stdout", "stderr", "stdin", "__stdout__", "__stderr__", "displayhook", "excepthook",
                "breakpointhook", "unraisablehook", "meta_path", "path_hooks", "modules")

#: Values IPython and ipykernel swap around every request (input, getpass, the excepthook, the
#: stream's history-capturing write); none of them decides a test's result, so changes are ignored.
VOLATILE = ("builtins.input", "getpass.getpass", "sys.excepthook", "OutStream.write")

#: Attributes of IPython's objects that must stay the same (besides every attribute holding code).
CRITICAL_KEYS = ("displayhook", "display_pub", "compile", "input_transformer_manager", "ast_transformers",
                 "input_transformers_post", "events", "builtin_trap", "display_trap", "InteractiveTB",
                 "SyntaxTB", "kernel", "_user_ns", "user_module", "session", "shell", "iopub_socket",
                 "iopub_thread", "shell_stream", "control_stream", "pub_thread", "pub_socket", "callbacks",
                 "cleanup_transforms", "line_transforms", "token_transformers", "prefilter_manager")

#: Audit events refused after the seal: they lead to the guard's state or change how code runs.
BLOCKED_EVENTS = ("sys.addaudithook", "sys._current_frames", "gc.get_referrers", "gc.get_referents",
                  "gc.get_objects", "sys.settrace", "sys.setprofile", "sys.monitoring.register_callback",
                  "sys.monitoring.use_tool_id", "sys.remote_exec")

#: ctypes events still allowed (loading a library, making buffers); everything else touches raw memory.
ALLOWED_CTYPES = ("ctypes.dlopen", "ctypes.create_string_buffer", "ctypes.create_unicode_buffer",
                  "ctypes.get_errno", "ctypes.set_errno")

#: Seconds to wait for the guard to answer one request (after one timeout the kernel is not asked again).
ANSWER_TIMEOUT = 30.0

#: Kinds of incidents this module records (see autograder.incidents).
TAMPERING, SHADOW_MODULE, GUARD_UNAVAILABLE = "tampering", "shadow_module", "guard_unavailable"

#: Suffixes of files Python can import (or that change what it imports).
_IMPORTABLE = (".py", ".pyc", ".pyw", ".so", ".pyd", ".pth", ".egg", ".zip", ".whl")

_REFERENCE_TEXT = re.compile(rf"^{REFERENCE_PACKAGE}(\.|$)")


def _package_folder(name):
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return str(Path(list(spec.submodule_search_locations)[0]).resolve())


def trusted_roots(view=None):
    """Folders whose code is the environment's, not the submission's (with a trailing slash).

    view: the kernel's (autograder.kernel_env.KernelView); without it, this process's own environment.
    """
    if view is not None:
        return view.trusted_roots()
    roots = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix, "/usr",
             str(Path(sys.executable).resolve().parent.parent)}
    for name in ("utils", REFERENCE_PACKAGE):
        folder = _package_folder(name)
        if folder:
            roots.add(folder)
    return sorted(os.path.join(str(root), "") for root in roots)


def guard_options(folder, view=None):
    """The options `kernel_guard.install` gets for a kernel whose private folder is `folder`.

    view: what the kernel's interpreter imports (autograder.kernel_env); the preloaded modules and the
    trusted folders come from it, not from this process (which may see another copy of the course).
    """
    return {
        "folder": str(folder),
        "strict": list(STRICT_PACKAGES),
        "reference": REFERENCE_PACKAGE,
        "preload": list(PRELOAD if view is None else preload(view)),
        "trusted_roots": trusted_roots(view),
        "ignored_builtins": list(IGNORED_BUILTINS),
        "critical_sys": list(CRITICAL_SYS),
        "blocked_events": list(BLOCKED_EVENTS),
        "allowed_ctypes": list(ALLOWED_CTYPES),
        "critical_keys": list(CRITICAL_KEYS),
        "volatile": list(VOLATILE),
    }


# ---------------------------------------------------------------------- checks without a kernel


def _nbgrader(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell):
    """An autograded test cell (nbgrader grade without solution)."""
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_instructor_cell(cell):
    """A locked code cell that is not a test (imports, setup): the names it defines are the instructor's."""
    meta = _nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("locked")) and not meta.get("grade") \
        and not meta.get("solution")


def _mentions_reference(source):
    """Where `source` (a student's cell) names the grader's package, or []."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [line.strip() for line in source.splitlines()
                if re.search(rf"\b{REFERENCE_PACKAGE}\b", line.split("#")[0])][:1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _REFERENCE_TEXT.match(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and _REFERENCE_TEXT.match(node.module):
            found.append(node.module)
        elif isinstance(node, ast.Name) and node.id == REFERENCE_PACKAGE:
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and node.attr == REFERENCE_PACKAGE:
            found.append(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _REFERENCE_TEXT.match(node.value):
            found.append(repr(node.value))
    return found


def reference_uses(notebook):
    """{cell index: [what names the grader's package]} for the cells a student wrote."""
    uses = {}
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code" or _nbgrader(cell).get("locked"):
            continue
        found = _mentions_reference(cell.get("source", ""))
        if found:
            uses[index] = found
    return uses


def instructor_names(source):
    """(name, critical) for the names a locked cell binds: imports (critical for modules and for
    utils.checks and numpy names), functions and classes (restored silently)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [((alias.asname or alias.name.split(".")[0]), True) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            critical = module == "numpy" or module.startswith(("numpy.", "utils.checks"))
            names += [(alias.asname or alias.name, critical) for alias in node.names if alias.name != "*"]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append((node.name, False))
    return tuple(dict(names).items())


def _imported_top_level(spec):
    names = set()
    for notebook in spec.notebooks.values():
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names


def shadowing_files(folder, module_names):
    """Files under `folder` that Python could import instead of a module in `module_names`."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        top = relative.parts[0]
        stem = top.split(".")[0]
        if path.is_file() and path.suffix in (".pth",):
            found.append(relative.as_posix())
        elif stem in module_names and (path.is_dir() and path == folder / top
                                       or path.is_file() and len(relative.parts) == 1
                                       and path.suffix in _IMPORTABLE):
            found.append(relative.as_posix() + ("/" if path.is_dir() else ""))
    return found


def shadowing_incidents(folder, spec):
    """Incidents for files in a submission folder that would shadow modules its tests import."""
    modules = set(STRICT_PACKAGES) | {"IPython", "ipykernel", "nbgrader"} | _imported_top_level(spec)
    files = shadowing_files(folder, modules)
    if not files:
        return []
    return [Incident(SHADOW_MODULE, f"the submission ships {', '.join(files)}, which could shadow modules the "
                     "tests import; only the notebook is copied to where it runs, so it was graded against "
                     "the course's own modules")]


# ---------------------------------------------------------------------- the session with the guard


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def expected_text(source):
    """What IPython compiles for `source` (its static input transformations), stripped."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source).strip()
    except Exception:  # noqa: BLE001 - IPython would fail the same way; compare the raw text then
        return source.strip()


def _label(cell, index):
    return _nbgrader(cell).get("grade_id") or f"cell {index}"


def _summary(findings, limit=6):
    shown = list(dict.fromkeys(findings))
    text = "; ".join(shown[:limit])
    return text + (f"; and {len(shown) - limit} more" if len(shown) > limit else "")


class GuardSession:
    """The grader's side of the guard for one notebook run on one kernel.

    launcher.session(slot, notebook, name) creates it; the executor calls
    `await before(cell, index)` and `await after(cell, index)` around every
    code cell and adds `incidents` (known before any cell runs) and what
    `after` returns to the run's incidents.
    """

    def __init__(self, launcher, slot, notebook, notebook_name=None):
        self.slot = slot
        self.notebook_name = notebook_name
        self.guard_expected = bool(getattr(launcher, "guard", False))
        self.key = launcher.guard_key(slot.manager.connection_file) if self.guard_expected else None
        self.folder = Path(slot.manager.connection_file).parent
        self.incidents = list(launcher.incidents())
        self.tampered_at = None
        self._nonce = int.from_bytes(os.urandom(6), "big")
        self._alive = None
        self._armed = None
        self._reference_cells = reference_uses(notebook)
        self._later = []
        self._stuck = False

    # -- protocol

    def _next_nonce(self):
        self._nonce += 1
        return self._nonce

    def _tag(self, parts):
        return hmac.new(self.key, repr(parts).encode("utf-8"), "sha256").hexdigest()

    async def _request(self, event, parts):
        """Send `sys.audit(event, *parts, tag)` silently; return the guard's answer fields or None."""
        if self._stuck:
            return None
        nonce = parts[0]
        code = f"__import__('sys').audit({event!r}, {', '.join(repr(part) for part in parts)}, " \
               f"{self._tag(parts)!r})"
        answer = self.folder / f".guard-{nonce}"
        try:
            # the sliced shell channel (autograder.polling): a missed wake-up costs a second, not ANSWER_TIMEOUT
            reply = await self.slot.client.execute_reply(
                code, timeout=ANSWER_TIMEOUT, silent=True, store_history=False, allow_stdin=False,
                stop_on_error=False)
        except (TimeoutError, asyncio.TimeoutError):
            self._stuck = True
            return None
        except Exception:  # noqa: BLE001 - a dead kernel: the executor notices on the next cell
            return None
        del reply
        try:
            data = answer.read_text(encoding="utf-8")  # a few hundred bytes, written before the reply came
            answer.unlink()
        except (OSError, UnicodeDecodeError):
            return None
        tag, _, text = data.partition("\n")
        if not hmac.compare_digest(tag, hmac.new(self.key, text.encode("utf-8"), "sha256").hexdigest()):
            return None
        try:
            fields = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return None
        return fields if isinstance(fields, tuple) else None

    async def _ensure_alive(self):
        """Ping the guard once, before any student code runs; without an answer the session is off."""
        if self._alive is None:
            self._alive = False
            if self.key is None and self.guard_expected:
                self._later.append(Incident(GUARD_UNAVAILABLE, "the test-integrity guard has no key for this "
                                            "kernel; tests ran without it", None, self.notebook_name))
            elif self.key is not None:
                fields = await self._request("autograder.ping", (self._next_nonce(),))
                self._alive = fields == ("alive",)
                if not self._alive:
                    why = ""
                    try:
                        lines = (self.folder / ".guard-error").read_text(encoding="utf-8").strip().splitlines()
                        why = f" ({lines[-1]})" if lines else ""
                    except OSError:
                        pass
                    self._later.append(Incident(GUARD_UNAVAILABLE, "the test-integrity guard did not answer "
                                                f"before the notebook ran{why}; tests ran without it", None,
                                                self.notebook_name))
        return self._alive

    # -- around cells

    async def before(self, cell, index):
        """Called before every code cell runs. Never raises: a failure of the grader's own code is
        recorded as `guard_unavailable` (a grader problem) and the run goes on without the guard."""
        try:
            await self._before(cell, index)
        except Exception as error:  # noqa: BLE001 - the grader's bug must not become the student's crash
            self._give_up(error)

    async def after(self, cell, index):
        """Called after every code cell that ran (the kernel is alive); returns new incidents. Never raises."""
        later, self._later = self._later, []
        try:
            return later + await self._after(cell, index)
        except Exception as error:  # noqa: BLE001
            self._give_up(error)
            later, self._later = later + self._later, []
            return later

    def _give_up(self, error):
        self._alive = False
        self._later.append(Incident(GUARD_UNAVAILABLE, f"the grader's integrity check failed "
                                    f"({type(error).__name__}: {error}); later tests ran without it", None,
                                    self.notebook_name))

    async def _before(self, cell, index):
        if not await self._ensure_alive() or not is_test_cell(cell):
            return
        nonce = self._next_nonce()
        source = cell.get("source", "")
        fields = await self._request("autograder.arm", (nonce, _sha(source), _sha(expected_text(source))))
        if fields is None or len(fields) != 2 or fields[0] != "armed":
            self._armed = (nonce, ["the grader could not arm the integrity check before this test (its request "
                                   "was intercepted or the kernel did not answer)"])
        else:
            self._armed = (nonce, list(fields[1]))

    async def _after(self, cell, index):
        if not self._alive:
            return []
        if is_instructor_cell(cell):
            names = instructor_names(cell.get("source", ""))
            if names:
                fields = await self._request("autograder.bind", (self._next_nonce(), names))
                if fields != ("bound",):
                    return self._tamper(cell, index, ["the integrity check was intercepted after an instructor's "
                                                      "cell"])
            return []
        if not is_test_cell(cell):
            return []
        armed, self._armed = self._armed, None
        findings = list(armed[1]) if armed else ["the test was not armed"]
        uses = {i: found for i, found in self._reference_cells.items() if i < index}
        for where, found in sorted(uses.items()):
            findings.append(f"cell {where} uses the grader's reference solution ({', '.join(found)})")
        self._reference_cells = {i: f for i, f in self._reference_cells.items() if i >= index}
        fields = await self._request("autograder.verdict", (self._next_nonce(),))
        if fields is None or len(fields) != 6 or fields[0] != "verdict":
            findings.append("the integrity check after this test got no valid answer (intercepted)")
        else:
            _, was_armed, more, raw_ok, error_name, _is_assertion = fields
            findings += list(more)
            if not was_armed:
                findings.append("the guard was not armed for this test (its request was intercepted)")
            if not raw_ok:
                findings.append("the last cell IPython ran was not this test")
            if error_name is not None and not any(output.get("output_type") == "error"
                                                  for output in cell.get("outputs", [])):
                findings.append(f"the test raised {error_name}, but the error never reached the grader")
        if findings:
            return self._tamper(cell, index, findings)
        if self.tampered_at is not None:
            self._zero(cell, f"tampering was detected earlier in this notebook ({self.tampered_at}); "
                             "this test scores 0")
        return []

    def _zero(self, cell, message):
        """Make the test score 0 by nbgrader's rule: an error output, first so the feedback leads with it."""
        cell.setdefault("outputs", []).insert(0, NotebookNode({
            "output_type": "error", "ename": "IntegrityError", "evalue": message,
            "traceback": [f"IntegrityError: {message}"]}))

    def _tamper(self, cell, index, findings):
        label = _label(cell, index)
        summary = _summary(findings)
        if self.tampered_at is None:
            self.tampered_at = label
        if is_test_cell(cell):
            self._zero(cell, f"the submission tampered with the test environment ({summary}); this test "
                             "scores 0")
        return [Incident(TAMPERING, f"{summary}; this test and every later one in the notebook score 0",
                         label, self.notebook_name)]
