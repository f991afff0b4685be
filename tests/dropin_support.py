"""Drop-in audit: every function students receive, put in place of a graded function, must fail its tests.

Students must never receive code that computes a graded answer (issue #15).
This checks it the hard way. For each graded function G of an assignment
(a top-level `def` in an answer cell of source/, methods added with
`@add_to_class(Cls)` included) and each function F shipped in the bundle's
`utils` (every module, `utils.testing.*` internals and stand-in factories
included, private ones too, and the methods of its classes) that can be
called with G's parameters, G's body is replaced by `return F(<G's
parameters>)` and G's test cells (visible and hidden parts, from source/)
are run. If every one of them passes, F is a drop-in answer: a failure.

G's test cells are the ones that fail when G's body is `raise
NotImplementedError()` (what a blank answer does); everything else of the
notebook is the solution, run once, top to bottom, in one namespace.

    report = audit(assignment, bundle_dir)     # {graded name: {"cells": [...], "tried": n, "drop_ins": [...]}}

Each assignment runs in a subprocess (`python -m tests.dropin_support ...`)
with the bundle's folder first on sys.path, so `utils` is the shipped copy;
hidden tests import `autograder.reference` / `autograder.hidden` from the
course. A test cell that runs longer than CELL_SECONDS counts as failed.
"""

import ast
import contextlib
import importlib
import inspect
import io
import json
import linecache
import os
import pkgutil
import signal
import subprocess
import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]
CELL_SECONDS = 60
_SHIPPED = "__shipped_function__"


# ---------------------------------------------------------------------------- in the test process


def audit(assignment, bundle_dir, timeout=1800):
    """Run the audit of one assignment in a subprocess; return its report (see the module docstring)."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    completed = subprocess.run(
        [sys.executable, "-m", "tests.dropin_support", assignment, str(bundle_dir)],
        cwd=COURSE_ROOT, capture_output=True, text=True, timeout=timeout, env=env,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"drop-in audit of {assignment} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    return json.loads(lines[-1])


# ---------------------------------------------------------------------------- in the worker


class _CellTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _CellTimeout(f"ran longer than {CELL_SECONDS} s")


def _source(cell):
    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    return "\n".join("pass  # magic" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines())


def _run(code, namespace, label):
    """exec `code` quietly; return None if it ran, else 'ErrorName: first line'."""
    linecache.cache[label] = (len(code), None, code.splitlines(True), label)  # inspect.getsource works
    signal.alarm(CELL_SECONDS)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(code, label, "exec"), namespace)
        return None
    except BaseException as error:  # noqa: BLE001 - any failure is a failed test (SystemExit included)
        if isinstance(error, KeyboardInterrupt):
            raise
        first = (str(error).strip().splitlines() or [""])[0]
        return f"{type(error).__name__}: {first[:200]}"
    finally:
        signal.alarm(0)


def _graded_functions(cells):
    """[(cell index, FunctionDef node, label)] of the top-level defs in answer cells."""
    found = []
    for index, cell in enumerate(cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("solution"):
            continue
        try:
            tree = ast.parse(_source(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owner = next((d.args[0].id for d in node.decorator_list if isinstance(d, ast.Call)
                              and getattr(d.func, "id", "") == "add_to_class" and d.args
                              and isinstance(d.args[0], ast.Name)), None)
                found.append((index, node.name, f"{owner}.{node.name}" if owner else node.name))
    return found


def _with_body(source, name, body):
    """The cell's source with the top-level def `name` given `body` (a list of statements)."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            docstring = node.body[:1] if (node.body and isinstance(node.body[0], ast.Expr)
                                          and isinstance(getattr(node.body[0], "value", None), ast.Constant)) else []
            node.body = docstring + body
    return ast.unparse(ast.fix_missing_locations(tree))


def _parameters(source, name):
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)
    arguments = node.args
    return [a.arg for a in arguments.posonlyargs + arguments.args], [a.arg for a in arguments.kwonlyargs]


def _delegating_body(positional, keyword):
    call = ", ".join(positional + [f"{k}={k}" for k in keyword])
    return ast.parse(f"return {_SHIPPED}({call})").body


def shipped_functions(package="utils"):
    """[(label, function)] of every function in `package`'s modules and their classes (private ones too)."""
    package_module = importlib.import_module(package)
    modules = [package_module]
    for info in pkgutil.walk_packages(package_module.__path__, prefix=f"{package}."):
        try:
            modules.append(importlib.import_module(info.name))
        except Exception:  # noqa: BLE001 - a module that does not import ships nothing callable
            continue
    found, seen = [], set()
    for module in modules:
        for name, value in sorted(vars(module).items()):
            candidates = []
            if inspect.isclass(value) and value.__module__ == module.__name__:
                for member_name, member in sorted(vars(value).items()):
                    inner = getattr(member, "__func__", member)
                    if inspect.isfunction(inner):
                        candidates.append((f"{module.__name__}.{name}.{member_name}", inner))
            elif callable(value) and getattr(value, "__module__", None) == module.__name__ and not inspect.isclass(value):
                candidates.append((f"{module.__name__}.{name}", value))
            for label, function in candidates:
                if id(function) not in seen:
                    seen.add(id(function))
                    found.append((label, function))
    return found


def _accepts(function, positional, keyword):
    try:
        inspect.signature(function).bind(*positional, **{k: None for k in keyword})
        return True
    except (TypeError, ValueError):
        return False


def worker(assignment, bundle_dir):
    """The audit of one assignment (see the module docstring); returns the report."""
    sys.path.insert(0, str(Path(bundle_dir).resolve()))
    signal.signal(signal.SIGALRM, _on_alarm)
    (path,) = sorted((COURSE_ROOT / "source" / assignment).glob("*.ipynb"))
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    os.chdir(path.parent)
    namespace = {"__name__": "__main__"}
    tests, baseline = [], {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        failure = _run(_source(cell), namespace, f"<{assignment} cell {index}>")
        if meta.get("grade") and not meta.get("solution"):
            tests.append(index)
            if failure:
                baseline[meta.get("grade_id", str(index))] = failure
    shipped = shipped_functions()
    report = {"_baseline_failures": baseline, "_shipped": len(shipped)}
    for index, name, label in _graded_functions(cells):
        original = _source(cells[index])
        positional, keyword = _parameters(original, name)

        def run_tests(indices):
            failed = {}
            for test in indices:
                outcome = _run(_source(cells[test]), namespace, f"<{assignment} cell {test}>")
                if outcome:
                    failed[test] = outcome
                    break
            return failed

        blank = _with_body(original, name, ast.parse("raise NotImplementedError()").body)
        _run(blank, namespace, f"<{assignment} blank {label}>")
        own = [test for test in tests if _run(_source(cells[test]), namespace, f"<{assignment} cell {test}>")]
        _run(original, namespace, f"<{assignment} cell {index}>")
        entry = {"cells": [cells[t]["metadata"]["nbgrader"]["grade_id"] for t in own], "tried": 0, "drop_ins": []}
        if own:
            delegating = _with_body(original, name, _delegating_body(positional, keyword))
            for function_label, function in shipped:
                if not _accepts(function, positional, keyword):
                    continue
                entry["tried"] += 1
                namespace[_SHIPPED] = function
                _run(delegating, namespace, f"<{assignment} {label} <- {function_label}>")
                if not run_tests(own):
                    entry["drop_ins"].append(function_label)
                _run(original, namespace, f"<{assignment} cell {index}>")
        namespace.pop(_SHIPPED, None)
        report[label] = entry
    return report


if __name__ == "__main__":
    result = worker(sys.argv[1], sys.argv[2])
    sys.stdout.write("\n" + json.dumps(result) + "\n")
