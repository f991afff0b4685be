"""What students receive: the bundle holds no solutions and works on its own."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import bundle
from tests import dropin_support, nbgrade_support

RUN_NOTEBOOK = Path(__file__).resolve().parent / "fixtures" / "run_notebook.py"
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
    assert (built / "utils" / "testing" / "_common.py").is_file()  # the visible tests' modules ship
    assert sorted(p.name for p in (built / "utils" / "testing").glob("*.py")) == sorted(
        p.name for p in (bundle.COURSE_ROOT / "utils" / "testing").glob("*.py"))
    assert not list(built.rglob("hidden")) and not list(built.rglob("reference.py"))
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
    (leaky / "autograder" / "hidden").mkdir()
    (leaky / "autograder" / "hidden" / "unit5.py").write_text("SIGNATURES = {}\n")
    # the hidden tests' helpers copied into the shipped package under another name
    shutil.copyfile(bundle.COURSE_ROOT / "autograder" / "hidden" / "_common.py", leaky / "utils" / "testing" / "helpers.py")
    problems = bundle.audit(leaky)
    assert any("autograder/reference.py" in p for p in problems), problems
    assert any("autograder/hidden/unit5.py" in p and "instructor material" in p for p in problems), problems
    assert any("extra.py" in p and "HIDDEN TESTS" in p for p in problems), problems
    assert "utils/testing/helpers.py: a copy of the instructor's autograder/hidden/_common.py" in problems, problems


def test_audit_catches_a_pointer_to_instructor_files(built, tmp_path):
    """A shipped docstring or lesson that names a file of the instructor's project sends a student nowhere:
    the audit names the file (and the cell of a notebook), the line and the whole path or module."""
    import shutil

    leaky = tmp_path / "pointers"
    shutil.copytree(built, leaky)
    common = leaky / "utils" / "testing" / "_common.py"
    common.write_text(common.read_text() + "\n# see tests/test_stand_in_signatures.py and benchmarks/README.md\n"
                      "# the hidden half is autograder.hidden.unit5; compare ../source/05_l_layer_backward/\n")
    lesson = sorted((leaky / "notebooks").glob("*.ipynb"))[0]
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("Intro.\nCompare with `./source/05/05.ipynb`."))
    nbformat.write(notebook, lesson)
    problems = bundle.audit(leaky)
    lines = len(common.read_text().splitlines())
    cell = len(notebook.cells) - 1
    expected = [
        f"utils/testing/_common.py line {lines - 1}: names 'tests/test_stand_in_signatures.py'",
        f"utils/testing/_common.py line {lines - 1}: names 'benchmarks/README.md'",
        f"utils/testing/_common.py line {lines}: names 'autograder.hidden.unit5'",
        f"utils/testing/_common.py line {lines}: names '../source/05_l_layer_backward/'",
        f"notebooks/{lesson.name} cell {cell} (markdown cell) line 2: names './source/05/05.ipynb'",
    ]
    for start in expected:
        assert any(p.startswith(start + ", part of the instructor's project") for p in problems), (start, problems)
    assert len([p for p in problems if "names '" in p]) == len(expected), problems
    # words that only look like the folders are not pointers, nor are paths in URLs or under other folders
    prose = leaky / "utils" / "prose.py"
    prose.write_text('"""The visible tests/hidden tests split. A source/sink pair. See the source. The autograder.\n'
                     'utils/testing/_common.py and release/01/x.ipynb ship; https://example.org/tests/x.py."""\n')
    assert not [p for p in bundle.audit(leaky) if "prose.py" in p]


def test_student_edition_jupyterlab_shows_a_students_tools(built):
    """nbgrader's instructor parts and the news prompt are off; Validate and the assignment list stay."""
    import json
    import tomllib

    page = json.loads((built / "jupyter-config" / "labconfig" / "page_config.json").read_text())
    disabled = {name for name, off in page["disabledExtensions"].items() if off}
    assert disabled == {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                        "@jupyter/nbgrader:course-list", "@jupyterlab/apputils-extension:announcements"}
    assert "@jupyter/nbgrader:validate-assignment" not in disabled and "@jupyter/nbgrader:assignment-list" not in disabled
    server = json.loads((built / "jupyter-config" / "jupyter_server_config.d" / bundle.SERVER_CONFIG_NAME).read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {"nbgrader.server_extensions.formgrader": False,
                                                          "nbgrader.server_extensions.course_list": False}
    # it sorts after nbgrader's own nbgrader.json, which enables everything, so it wins
    assert sorted([bundle.SERVER_CONFIG_NAME, "nbgrader.json"])[-1] == bundle.SERVER_CONFIG_NAME
    data_files = tomllib.loads((built / "pyproject.toml").read_text())["tool"]["setuptools"]["data-files"]
    # widget messages go to the kernel's main thread (test_browser shows what happens otherwise)
    overrides = json.loads((built / "jupyter-config" / "labconfig" / "default_setting_overrides.json").read_text())
    assert overrides == {"@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"}}
    assert "Kernel Comms over subshells" in " ".join((built / "README.md").read_text().split())
    assert data_files == {"etc/jupyter/labconfig": ["jupyter-config/labconfig/page_config.json",
                                                    "jupyter-config/labconfig/default_setting_overrides.json"],
                          "etc/jupyter/jupyter_server_config.d": [f"jupyter-config/jupyter_server_config.d/{bundle.SERVER_CONFIG_NAME}"]}
    assert "utils.testing" in tomllib.loads((built / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    # an editable install would leave the data files out
    assert "- -e ." not in (built / "environment.yml").read_text() and "      - .\n" in (built / "environment.yml").read_text()


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
def test_every_shipped_function_of_a_graded_shape_fails_the_graded_tests(built):
    """Every function the bundle ships (utils.testing internals and stand-in factories included) that can be
    called with a graded function's parameters, put in its place, fails that function's tests (tests/dropin_support)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(ASSIGNMENTS, pool.map(lambda a: dropin_support.audit(a, built), ASSIGNMENTS)))
    problems, tried = [], 0
    for assignment, report in reports.items():
        problems += [f"{assignment}: the solution fails {cell} in the audit's run: {why}"
                     for cell, why in report.pop("_baseline_failures").items()]
        report.pop("_shipped")
        for name, entry in report.items():
            tried += entry["tried"]
            if not entry["cells"]:
                problems.append(f"{assignment}: no test cell fails when {name} is blank")
            problems += [f"{assignment}: {function} passes every test of {name} in its place (a drop-in answer)"
                         for function in entry["drop_ins"]]
    assert tried > 0, "no shipped function was tried: the audit proves nothing"
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_drop_in_audit_catches_a_planted_answer(built, tmp_path):
    """The audit can fail: a shipped helper that computes dJ/dL for any L is found in place of dcost_dlosses."""
    import shutil

    assignment = "03_loss_vs_cost"
    if assignment not in ASSIGNMENTS:
        pytest.skip(f"{assignment} is not in source/")
    leaky = tmp_path / "leaky"
    shutil.copytree(built, leaky)
    (leaky / "utils" / "leak.py").write_text(
        "import numpy as np\n\n\ndef spread_evenly(L):\n    return np.ones_like(L) / L.shape[1]\n")
    report = dropin_support.audit(assignment, leaky)
    assert report["dcost_dlosses"]["drop_ins"] == ["utils.leak.spread_evenly"], report["dcost_dlosses"]


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
    code, log = _run([str(python), "-c", "import utils, utils.checks, utils.datasets, utils.testing; import autograder"],
                     env=env, cwd=tmp_path)
    assert code != 0 and "No module named 'autograder'" in log, "the fresh environment can import autograder"
    # The student edition's JupyterLab: installed into the environment (etc/jupyter), not into ~/.jupyter.
    assert (venv / "etc" / "jupyter" / "labconfig" / "page_config.json").is_file()
    installed = venv / "etc" / "jupyter" / "labconfig" / "default_setting_overrides.json"
    assert json.loads(installed.read_text()) == bundle.LAB_SETTING_OVERRIDES
    code, log = _run([str(venv / "bin" / "jupyter"), "labextension", "list"], env=env, cwd=tmp_path, timeout=300)
    disabled = log.split("Disabled extensions:")[-1]
    assert "@jupyter/nbgrader:formgrader" in disabled and "apputils-extension:announcements" in disabled, log
    assert "validate-assignment" not in disabled, log
    code, log = _run([str(venv / "bin" / "jupyter"), "server", "extension", "list"], env=env, cwd=tmp_path, timeout=300)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", log)
    assert re.search(r"nbgrader\.server_extensions\.formgrader disabled", plain), plain
    assert re.search(r"nbgrader\.server_extensions\.validate_assignment enabled", plain), plain
    for lesson in sorted((built / "notebooks").glob("*.ipynb")):
        # a blocking kernel client (tests/fixtures/run_notebook.py says why not nbconvert --execute)
        code, log = _run([str(python), str(RUN_NOTEBOOK), str(lesson)], env=env, cwd=lesson.parent, timeout=900)
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


def test_the_student_readme_carries_the_course_notation(built):
    """The lessons send students to the README's notation table; the bundle's README has the course's own."""
    readme = (built / "README.md").read_text()
    course = (bundle.COURSE_ROOT / "README.md").read_text()
    for row in ("| `dZ[l]`, `dA[l]` |", "| `dW[l]`, `db[l]` |", "| `da⟨t⟩`, `dx⟨t⟩`, `dX`, `da0` |", "| `K` |"):
        assert row in course, f"the course README lost its row {row!r}: update this test"
        assert row in readme, row
    assert "## Notation\n" in readme and "## Repository map" not in readme and "dX` means dJ/dX" not in readme
