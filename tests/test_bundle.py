"""What students receive: the bundle holds no solutions and works on its own."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import bundle
from tests import nbgrade_support

ASSIGNMENTS = sorted({p.parent.name for p in (bundle.COURSE_ROOT / "source").glob("*/*.ipynb")})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return bundle.build_bundle(tmp_path_factory.mktemp("bundle") / "course")


def _code_of(cell_source):
    """Cell source with IPython magics and shell escapes removed, so ast can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell_source.splitlines())


def _defined_names(code):
    """{name: source} of every function and class defined anywhere in `code`."""
    tree = ast.parse(code)
    return {
        node.name: ast.get_source_segment(code, node)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


def _graded_definitions(code):
    """Names of the top-level functions and classes an answer cell defines.

    A function decorated with `@add_to_class(Cls)` (a method written in its own
    cell) is named "Cls.name": it is a method, not a module-level function.
    """
    names = []
    for node in ast.parse(code).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        owner = next(
            (
                decorator.args[0].id
                for decorator in getattr(node, "decorator_list", [])
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "add_to_class"
                and decorator.args and isinstance(decorator.args[0], ast.Name)
            ),
            None,
        )
        names.append(f"{owner}.{node.name}" if owner else node.name)
    return names


def graded_names():
    """{name: (assignment, grade_id)} for every function or class an answer cell asks for."""
    names = {}
    for assignment in ASSIGNMENTS:
        for grade_id, code in nbgrade_support.solution_code(assignment).items():
            try:
                defined = _graded_definitions(_code_of(code))
            except SyntaxError:
                continue  # a markdown answer
            for name in defined:
                names[name] = (assignment, grade_id)
    return names


def bundle_definitions(bundle_dir):
    """[(where, name, source)] for every function and class in the bundle's Python files and lesson cells."""
    found = []
    for path in sorted(Path(bundle_dir).rglob("*.py")):
        code = path.read_text()
        found += [(str(path.relative_to(bundle_dir)), name, src) for name, src in _defined_names(code).items()]
    for path in sorted((Path(bundle_dir) / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            where = f"{path.relative_to(bundle_dir)} cell {index}"
            try:
                found += [(where, name, src) for name, src in _defined_names(_code_of(cell.source)).items()]
            except SyntaxError as error:
                pytest.fail(f"{where} is not valid Python: {error}")
    return found


def test_bundle_has_the_course_and_nothing_of_the_instructor(built):
    assert (built / "utils" / "__init__.py").is_file()
    assert (built / "utils" / "data" / "digits.npz").is_file()
    assert (built / "README.md").read_text().count("Validate") >= 1
    assert sorted(p.name for p in (built / "release").iterdir()) == ASSIGNMENTS
    assert {p.name for p in (built / "notebooks").glob("*.ipynb")} == {p.name for p in (bundle.COURSE_ROOT / "notebooks").glob("*.ipynb")}
    assert not (built / "source").exists() and not (built / "autograder").exists()
    assert not list(built.rglob("gradebook.db"))
    assert bundle.audit(built) == []


def test_audit_catches_instructor_material(built, tmp_path):
    import shutil

    leaky = tmp_path / "leaky"
    shutil.copytree(built, leaky)
    (leaky / "autograder").mkdir()
    (leaky / "autograder" / "reference.py").write_text("x = 1\n")
    (leaky / "notebooks" / "extra.py").write_text("# ### BEGIN HIDDEN TESTS\n")
    problems = bundle.audit(leaky)
    assert any("autograder/reference.py" in p for p in problems), problems
    assert any("extra.py" in p and "HIDDEN TESTS" in p for p in problems), problems


def test_graded_names_are_found():
    names = graded_names()
    if not ASSIGNMENTS:
        pytest.skip("no assignments in source/ yet")
    assert names, "no graded function was found in any answer cell: the drop-in check below would prove nothing"


def test_no_bundle_module_or_lesson_defines_a_graded_function(built):
    graded = graded_names()
    clashes = [
        f"{where} defines {name!r}, which {graded[name][0]} asks students to write (cell {graded[name][1]})"
        for where, name, _ in bundle_definitions(built)
        if name in graded
    ]
    assert not clashes, "drop-in answers in the student bundle:\n  " + "\n  ".join(clashes)


@pytest.mark.slow
def test_same_named_bundle_functions_fail_the_graded_tests(built):
    """Any bundle function named like a graded one, substituted for the student's answer, must fail."""
    graded = graded_names()
    substitutions = {}
    for where, name, source in bundle_definitions(built):
        if name in graded:
            assignment, grade_id = graded[name]
            substitutions.setdefault(assignment, {})[f"{where}:{name}"] = (grade_id, source)
    for assignment, variants in substitutions.items():
        submissions = {
            re.sub(r"\W+", "_", label): nbgrade_support.submission_with(assignment, {grade_id: source})
            for label, (grade_id, source) in variants.items()
        }
        results = nbgrade_support.autograde(assignment, submissions)
        passing = [sid for sid, result in results.items() if not result.failed]
        assert not passing, f"{assignment}: bundle functions pass the graded tests: {passing}"


def _run(command, **kwargs):
    completed = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return completed.returncode, completed.stdout + completed.stderr


@pytest.mark.slow
def test_bundle_installs_and_works_in_a_fresh_environment(built, tmp_path):
    venv = tmp_path / "venv"
    code, log = _run([sys.executable, "-m", "venv", str(venv)])
    assert code == 0, log
    python = venv / "bin" / "python"
    code, log = _run([str(python), "-m", "pip", "install", "--quiet", str(built)], timeout=1500)
    assert code == 0, f"pip install of the bundle failed:\n{log[-3000:]}"
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", PYTHONPATH="")
    env.pop("VIRTUAL_ENV", None)
    code, log = _run([str(python), "-c", "import utils, utils.checks, utils.datasets; import autograder"], env=env, cwd=tmp_path)
    assert code != 0 and "No module named 'autograder'" in log, "the fresh environment can import autograder"
    for lesson in sorted((built / "notebooks").glob("*.ipynb")):
        code, log = _run(
            [str(python), "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--output-dir", str(tmp_path / "ran"),
             "--ExecutePreprocessor.timeout=300", str(lesson)],
            env=env, cwd=lesson.parent, timeout=900,
        )
        assert code == 0, f"{lesson.name} does not run in the student environment:\n{log[-3000:]}"
    for assignment in ASSIGNMENTS:
        notebook = next((built / "release" / assignment).glob("*.ipynb"))
        code, log = _run([str(venv / "bin" / "nbgrader"), "validate", str(notebook)], env=env, cwd=built, timeout=900)
        assert "NotImplementedError" in log, f"{assignment}: the blank notebook does not fail on its tests:\n{log[-3000:]}"
        assert "ModuleNotFoundError" not in log and "ImportError" not in log, f"{assignment}: import error in the student environment:\n{log[-3000:]}"
        solved = tmp_path / "solved" / assignment / notebook.name
        solved.parent.mkdir(parents=True)
        nbformat.write(nbgrade_support.submission_with(assignment, {}), solved)
        code, log = _run([str(venv / "bin" / "nbgrader"), "validate", str(solved)], env=env, cwd=built, timeout=900)
        assert "Success! Your notebook passes all the tests." in log, f"{assignment}: the solved notebook does not validate:\n{log[-3000:]}"
