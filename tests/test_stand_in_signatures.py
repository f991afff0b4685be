"""Every stand-in and reference has the assignment's exact signature (issue #20, item 1).

Each unit module (utils/testing/unitN.py, autograder/hidden/unitN.py) that
defines `SIGNATURES = {name: "(parameters)"}` is found on disk, so modules
added later are covered without editing this file. For each name, the
parameter list must equal the `def` line of that function in the unit's
assignment, source/0N_*/*.ipynb, read with `ast` (names, order, kinds and
defaults, compared by value and type). `replaced` then refuses any stand-in
that differs from SIGNATURES (shown here for every name of every module), so
a stand-in can never again reject a keyword call such as `activation="relu"`.
"""

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

from utils.testing._common import GraderBugError, parse_signature, replaced

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"utils.testing": REPO / "utils" / "testing", "autograder.hidden": REPO / "autograder" / "hidden"}
UNIT = re.compile(r"^unit(\d+)$")


def unit_modules():
    """[(module name, unit number)] for every unitN module of utils.testing and autograder.hidden."""
    found = []
    for package, folder in PACKAGES.items():
        for info in pkgutil.iter_modules([str(folder)]):
            match = UNIT.match(info.name)
            if match:
                found.append((f"{package}.{info.name}", int(match.group(1))))
    return sorted(found)


def assignment_notebook(unit):
    """The unit's instructor notebook source/0N_*/*.ipynb."""
    matches = sorted(REPO.glob(f"source/{unit:02d}_*/*.ipynb"))
    assert len(matches) == 1, f"expected one notebook in source/{unit:02d}_*/, found {matches}"
    return matches[0]


def def_lines(notebook_path):
    """{function name: [parameter list text, ...]} of every def in the notebook's code cells.

    Solution (answer) cells come first, so their def lines are what a name means;
    methods are listed under their own name and as Class.method.
    """
    cells = json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]
    ordered = sorted((cell for cell in cells if cell["cell_type"] == "code"),
                     key=lambda cell: not cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))
    found = {}
    for cell in ordered:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        source = "\n".join("pass  # magic" if line.lstrip().startswith(("%", "!")) else line
                           for line in source.splitlines())
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        classes = {id(child): node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                   for child in node.body}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                text = "(" + ast.unparse(node.args) + ")"
                found.setdefault(node.name, []).append(text)
                if id(node) in classes:
                    found.setdefault(f"{classes[id(node)]}.{node.name}", []).append(text)
    return found


def described(signature):
    """Names, kinds and defaults (value and type) of an inspect.Signature: what the contract is."""
    return [(p.name, p.kind, type(p.default), p.default) for p in signature.parameters.values()]


def signatures_of(module_name):
    module = importlib.import_module(module_name)
    return getattr(module, "SIGNATURES", None)


def cases():
    """(module name, unit, function name, parameter list) for every SIGNATURES entry."""
    found = []
    for module_name, unit in unit_modules():
        signatures = signatures_of(module_name)
        for name, text in sorted((signatures or {}).items()):
            found.append(pytest.param(module_name, unit, name, text, id=f"{module_name}:{name}"))
    return found


def test_the_unit_modules_are_found_on_disk():
    names = {name for name, _ in unit_modules()}
    on_disk = {f"{package}.{path.stem}" for package, folder in PACKAGES.items()
               for path in folder.glob("unit*.py")}
    assert names == on_disk


@pytest.mark.parametrize("module_name, unit", unit_modules())
def test_every_unit_module_that_replaces_functions_declares_signatures(module_name, unit):
    """A unit module that uses `replaced` or `stand_in` must say which signatures it promises."""
    source = (REPO / Path(*module_name.split("."))).with_suffix(".py").read_text(encoding="utf-8")
    uses = re.search(r"\b(replaced|replaced_all|stand_in)\(", source)
    if uses:
        signatures = signatures_of(module_name)
        assert isinstance(signatures, dict) and signatures, (
            f"{module_name} calls {uses.group(1)}(...) but has no SIGNATURES dict")


@pytest.mark.parametrize("module_name, unit, name, text", cases())
def test_signature_equals_the_assignments_def_line(module_name, unit, name, text):
    notebook = assignment_notebook(unit)
    defined = def_lines(notebook).get(name)
    assert defined, f"{module_name}.SIGNATURES names {name!r}, which {notebook.relative_to(REPO)} never defines"
    expected = described(parse_signature(defined[0]))
    assert described(parse_signature(text)) == expected, (
        f"{module_name}.SIGNATURES[{name!r}] = {text!r}, but {notebook.relative_to(REPO)} defines "
        f"{name}{defined[0]}")


@pytest.mark.parametrize("module_name, unit, name, text", cases())
def test_replaced_refuses_a_stand_in_that_differs(module_name, unit, name, text):
    signatures = signatures_of(module_name)
    signature = parse_signature(text)
    parameters = list(signature.parameters.values())
    namespace = {}
    exec("def student():\n    pass\n", namespace)
    if parameters:
        renamed = parameters[0].replace(name=parameters[0].name + "_renamed")
        wrong = signature.replace(parameters=[renamed, *parameters[1:]])
    else:
        wrong = signature.replace(parameters=[parse_signature("(extra)").parameters["extra"]])

    def stand_in(*args, **kwargs):
        return None

    stand_in.__signature__ = wrong
    with pytest.raises(GraderBugError, match="bug in the test"):
        with replaced(namespace["student"], name, stand_in, signatures):
            pass
    assert name not in namespace

    stand_in.__signature__ = signature
    with replaced(namespace["student"], name, stand_in, signatures):
        assert namespace[name] is stand_in


def test_the_check_catches_the_unit5_bug_of_issue_20():
    """The stand-in of #20 named its third parameter activation_name; the assignment says activation."""
    assert described(parse_signature("(dA, cache, activation_name)")) != described(
        parse_signature(def_lines(assignment_notebook(5))["linear_activation_backward"][0]))
