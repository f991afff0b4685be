"""`python -m autograder bundle [--to DIR]`: the course as students receive it.

The bundle holds the release versions of every assignment, the lessons,
`utils` as an installable package of its own, a student README, a conda
environment.yml and a student nbgrader_config.py (so *Validate* works).
It holds nothing of the instructor's: no source/, no autograder/ (so no
hidden-test helpers, autograder.hidden), no gradebook, no solution or
hidden-test text, no stored outputs, no copy of an instructor file, and no
pointer to one (a path such as tests/... or a module such as autograder.x
would send a student to a file they cannot open).

JupyterLab in the student edition shows a student's tools: `pip install .`
puts jupyter-config/ into the environment's etc/jupyter, which turns off
nbgrader's instructor parts (formgrader, Create Assignment, course list) and
JupyterLab's news prompt, and keeps Validate.

`build_bundle` refuses to finish (BundleError) when a file it would ship
breaks one of those rules, naming the file and the rule.
"""

import argparse
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGET = COURSE_ROOT / "build" / "student_bundle"

#: Text that must never appear in a shipped file.
FORBIDDEN_TEXT = (
    "### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
)
#: A shipped file must not import the instructor's package (students do not have it).
IMPORTS_AUTOGRADER = re.compile(r"^\s*(from\s+autograder\b|import\s+autograder\b)", re.MULTILINE)
#: A shipped file must not send a student to the instructor's project, which students do not have: a path
#: in one of its folders (tests/, benchmarks/, tools/, source/, autograder/, .ci/; also after ./ or ../), as
#: the folder itself, a file or a subfolder/ (prose such as "visible tests/hidden tests" is not a path), or an
#: autograder module (autograder.hidden.unit5). Paths inside URLs and under other folders are not matched.
NAMES_INSTRUCTOR_PATH = re.compile(
    r"(?<![\w./-])(?:(?:\.\.?/)*(?:tests|benchmarks|tools|source|autograder|\.ci)/(?:[\w.-]+/)*(?:[\w-]+\.\w+)?"
    r"(?![\w-])|autograder(?:\.[a-z_]\w*)+)")
#: Names that must never appear as a path component of a shipped file.
FORBIDDEN_PARTS = ("source", "autograder", "submitted", "autograded", "feedback", "gradebook.db", ".ipynb_checkpoints", "__pycache__")

STUDENT_DEPENDENCIES = ("numpy", "jupyterlab", "nbgrader", "matplotlib", "ipywidgets", "tqdm")


class BundleError(Exception):
    """The bundle would ship something a student must not receive."""


def _project_dependencies():
    """The pinned requirement strings of pyproject.toml, for the student packages only."""
    import tomllib

    project = tomllib.loads((COURSE_ROOT / "pyproject.toml").read_text())["project"]
    wanted = []
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=~!\s\[]", requirement, maxsplit=1)[0].lower()
        if name in STUDENT_DEPENDENCIES:
            wanted.append(requirement)
    return wanted


def _student_pyproject(dependencies):
    listed = "\n".join(f'    "{requirement}",' for requirement in dependencies)
    return f'''[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "backprop-derived-utils"
version = "0.1.0"
description = "Backprop, derived: the building blocks and feedback checks the course's notebooks use."
requires-python = ">=3.11"
dependencies = [
{listed}
]

[tool.setuptools]
packages = ["utils", "utils.data", "utils.testing"]

[tool.setuptools.package-data]
"utils.data" = ["*.npz", "*.md"]

# JupyterLab as a student sees it: installed into this environment's etc/jupyter
# (not into anyone's ~/.jupyter). See jupyter-config/README.md.
[tool.setuptools.data-files]
"etc/jupyter/labconfig" = ["{LAB_CONFIG_DIR}/labconfig/page_config.json", "{LAB_CONFIG_DIR}/labconfig/{SETTING_OVERRIDES_NAME}"]
"etc/jupyter/jupyter_server_config.d" = ["{LAB_CONFIG_DIR}/jupyter_server_config.d/{SERVER_CONFIG_NAME}"]
'''


def _student_environment(dependencies):
    lines = [
        "# conda env create -f environment.yml && conda activate backprop-derived",
        "name: backprop-derived",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
    ]
    for requirement in dependencies:
        lines.append(f"  - {requirement.replace('==', '=')}")
    # Not editable: an editable install leaves out jupyter-config/ (the student edition's JupyterLab settings).
    lines += ["  - pip:", "      - ."]
    return "\n".join(lines) + "\n"


#: Where the bundle keeps the student edition's Jupyter configuration (laid out like an etc/jupyter folder).
LAB_CONFIG_DIR = "jupyter-config"
#: Sorts after nbgrader.json in jupyter_server_config.d, so its settings win.
SERVER_CONFIG_NAME = "zz-backprop-derived-student.json"

#: JupyterLab plugins a student does not need: nbgrader's instructor tools (formgrader, Create
#: Assignment, the course list) and the news/update announcements, whose prompt covers the notebook
#: on first start. Validate (@jupyter/nbgrader:validate-assignment) and the assignment list stay.
STUDENT_DISABLED_PLUGINS = (
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
    "@jupyterlab/apputils-extension:announcements",
)
#: nbgrader's server extensions behind those instructor tools.
STUDENT_DISABLED_SERVER_EXTENSIONS = ("nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list")

#: JupyterLab's defaults for the course, in its labconfig folder (default_setting_overrides.json: a user may still
#: change them). JupyterLab 4.4+ sends widget messages to kernel subshells by default, and ipykernel 7+ runs a
#: subshell on its own thread: a slider's callback then draws with matplotlib while the next cells draw on the
#: main thread, and matplotlib is not thread-safe (mathtext ParseException, figures with missing parts; seen in
#: lesson 1 under load, and upstream in jupyterlab/jupyterlab#19719). The course's widgets run on the main thread.
LAB_SETTING_OVERRIDES = {"@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"}}
SETTING_OVERRIDES_NAME = "default_setting_overrides.json"

LAB_CONFIG_README = """# JupyterLab for students

`pip install .` copies these files into the environment's `etc/jupyter/`
(they are JupyterLab's and Jupyter Server's own configuration for that
environment, not your personal settings):

- `labconfig/page_config.json` turns off nbgrader's instructor tools
  (formgrader, Create Assignment, the course list) and JupyterLab's news
  prompt; the Validate button and the assignment list stay;
- `labconfig/default_setting_overrides.json` makes widgets (sliders,
  dropdowns) talk to the kernel's main thread, not to a subshell thread of
  their own, where their plots would race the plots of the cells that run
  meanwhile (Settings > Kernels > "Kernel Comms over subshells": Disabled);
- `jupyter_server_config.d/{name}` turns off the formgrader's and the
  course list's server parts.

On a JupyterHub, installing this folder into the single-user image does the
same for every student. To use the instructor tools again in one
environment: `jupyter labextension enable @jupyter/nbgrader:formgrader`.
""".format(name=SERVER_CONFIG_NAME)


def student_page_config():
    """JupyterLab's page_config.json for the student edition."""
    return {"disabledExtensions": {plugin: True for plugin in STUDENT_DISABLED_PLUGINS}}


def student_server_config():
    """Jupyter Server configuration (jupyter_server_config.d) for the student edition."""
    return {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_DISABLED_SERVER_EXTENSIONS}}}


def write_setting_overrides(labconfig_dir):
    """Write LAB_SETTING_OVERRIDES into `labconfig_dir` (a Jupyter config path's labconfig/); returns the file.

    Used for the student edition and by `make lab` / `make test` for the course's own environment.
    """
    path = Path(labconfig_dir) / SETTING_OVERRIDES_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(LAB_SETTING_OVERRIDES, indent=2) + "\n")
    return path


def _write_lab_config(target):
    folder = Path(target) / LAB_CONFIG_DIR
    (folder / "labconfig").mkdir(parents=True)
    (folder / "jupyter_server_config.d").mkdir()
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(student_page_config(), indent=2) + "\n")
    write_setting_overrides(folder / "labconfig")
    (folder / "jupyter_server_config.d" / SERVER_CONFIG_NAME).write_text(
        json.dumps(student_server_config(), indent=2) + "\n")
    (folder / "README.md").write_text(LAB_CONFIG_README)


STUDENT_CONFIG = '''"""nbgrader configuration for students: lets JupyterLab's Validate button find the course."""

import os

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.Execute.timeout = 120
'''


NOTATION_HEADING = "## Notation (one for the whole course)"


def _course_notation():
    """The notation section of the course README (the lessons point students to its table), as `## Notation`."""
    readme = COURSE_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start = text.find(NOTATION_HEADING)
    if start < 0:
        raise BundleError(f"{readme} has no '{NOTATION_HEADING}' section, which the student README copies: "
                          "restore the heading (the lessons refer students to the README's notation table)")
    end = text.find("\n## ", start + len(NOTATION_HEADING))
    section = text[start:end if end >= 0 else len(text)].strip()
    return "## Notation" + section[len(NOTATION_HEADING):]


def _student_readme(assignments, lessons):
    notation = _course_notation()
    unit_rows = "\n".join(
        f"| {index} | `notebooks/{lesson}` | `release/{assignment}/` |"
        for index, (lesson, assignment) in enumerate(zip(lessons, assignments), start=1)
    )
    return f"""# Backprop, derived: student edition

You will derive backpropagation one step at a time, check every formula
numerically, and then write the code yourself in graded assignments.

## Install (one command)

With Python 3.11 or newer, in this folder:

```bash
python -m venv .venv && .venv/bin/pip install .
```

(or with conda: `conda env create -f environment.yml && conda activate backprop-derived`).

Either way, the install also sets JupyterLab up for the course in that
environment. If you open the notebooks in a JupyterLab of your own (4.4 or
newer) instead, set *Settings > Settings Editor > Kernels > Kernel Comms over
subshells* to **Disabled**. Otherwise a slider's plot can be drawn while
the next cells draw theirs, and one of them breaks.

## Work through the course

```bash
.venv/bin/jupyter lab
```

Work through the units in order. For each unit, first read and run the
lesson in `notebooks/`, then open the assignment in `release/`:

| unit | lesson | assignment |
| --- | --- | --- |
{unit_rows}

In an assignment, write your code where it says `# YOUR CODE HERE` (delete
the `raise NotImplementedError()` line) and your derivations where it says
`YOUR ANSWER HERE`. Run the test cell under each answer: when something is
off, the message says what was expected, what you gave, and the most likely
reason. When you are done, press **Validate** in the notebook's toolbar: it
runs the whole notebook from a fresh kernel and lists every test that still
fails. Some tests are hidden and only run when your instructor grades.

{notation}

## What `utils` gives you

Activations and their derivatives, forward passes, losses and costs,
numerical gradient checks, data sets and plots: building blocks, never the
answer to an assignment. `python -c "import utils; help(utils)"` lists them.
"""


def _check_notebook(path, notebook):
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            problems.append(f"{path}: cell {index} has stored outputs")
    return problems


def _cell_name(cell):
    """A cell's grade_id, or its type when it has none."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"{cell.get('cell_type', 'unknown')} cell"


def _pointers(relative, parts):
    """Problems for every instructor path or module named in `parts` [(where, text)]: file, cell, line, name."""
    problems = []
    for where, text in parts:
        for found in NAMES_INSTRUCTOR_PATH.finditer(text):
            line = text.count("\n", 0, found.start()) + 1
            problems.append(f"{relative}{' ' + where if where else ''} line {line}: names {found.group(0)!r}, part of "
                            "the instructor's project, which students do not have; describe it instead")
    return problems


def _instructor_files(course_root):
    """{sha256 of the text: path} of the instructor's Python files (autograder/, hidden tests' helpers
    included), so a copy shipped under another name is recognised. Tiny files (an empty __init__) are
    left out: they say nothing."""
    digests = {}
    for path in sorted((Path(course_root) / "autograder").rglob("*.py")):
        data = path.read_bytes()
        if len(data.strip()) >= 200:
            digests[hashlib.sha256(data.strip()).hexdigest()] = path.relative_to(course_root)
    return digests


def audit(bundle_dir, course_root=COURSE_ROOT):
    """Every rule the bundle must keep, checked on the files in `bundle_dir`; returns a list of problems."""
    bundle_dir = Path(bundle_dir)
    instructor = _instructor_files(course_root)
    problems = []
    for path in sorted(bundle_dir.rglob("*")):
        relative = path.relative_to(bundle_dir)
        if any(part in FORBIDDEN_PARTS for part in relative.parts):
            problems.append(f"{relative}: instructor material must not be shipped")
            continue
        if not path.is_file() or path.suffix in (".npz", ".png"):
            continue
        copied = instructor.get(hashlib.sha256(path.read_bytes().strip()).hexdigest())
        if copied:
            problems.append(f"{relative}: a copy of the instructor's {copied}")
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += [f"{relative}: contains {marker!r}" for marker in FORBIDDEN_TEXT if marker in text]
        if IMPORTS_AUTOGRADER.search(text):
            problems.append(f"{relative}: imports autograder, which students do not have")
        if path.suffix == ".ipynb":
            notebook = json.loads(text)
            problems += _check_notebook(relative, notebook)
            problems += _pointers(relative, [(f"cell {index} ({_cell_name(cell)})", "".join(cell.get("source", "")))
                                             for index, cell in enumerate(notebook.get("cells", []))])
        else:
            problems += _pointers(relative, [("", text)])
    return problems


def build_bundle(target=DEFAULT_TARGET, course_root=COURSE_ROOT):
    """Build the student bundle in `target` (replaced if it exists); return its path.

    Raises BundleError naming every file that breaks a rule.
    """
    target, course_root = Path(target), Path(course_root)
    if target.resolve() == course_root.resolve() or course_root.resolve() in target.resolve().parents and target.name in ("", "."):
        raise BundleError(f"refusing to build the bundle into {target}")
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(course_root / "utils", target / "utils", ignore=ignore)
    assignments = sorted({p.parent.name for p in (course_root / "release").glob("*/*.ipynb")})
    (target / "release").mkdir()
    for assignment in assignments:
        shutil.copytree(course_root / "release" / assignment, target / "release" / assignment, ignore=ignore)
    lessons = sorted(p.name for p in (course_root / "notebooks").glob("*.ipynb"))
    (target / "notebooks").mkdir()
    for lesson in lessons:
        shutil.copyfile(course_root / "notebooks" / lesson, target / "notebooks" / lesson)
    dependencies = _project_dependencies()
    (target / "pyproject.toml").write_text(_student_pyproject(dependencies))
    (target / "environment.yml").write_text(_student_environment(dependencies))
    (target / "nbgrader_config.py").write_text(STUDENT_CONFIG)
    _write_lab_config(target)
    (target / "README.md").write_text(_student_readme(assignments, lessons))
    problems = audit(target, course_root)
    if problems:
        raise BundleError("the student bundle would ship instructor material:\n  " + "\n  ".join(problems))
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m autograder bundle",
        description="Build the student course: release/, notebooks/, utils as its own package, a student README. "
        "No source/, no autograder/, no solutions.",
    )
    parser.add_argument("--to", type=Path, default=DEFAULT_TARGET, metavar="DIR",
                        help=f"where to build it (replaced if present; default: {DEFAULT_TARGET.relative_to(COURSE_ROOT)})")
    args = parser.parse_args(argv)
    try:
        path = build_bundle(args.to)
    except BundleError as error:
        print(f"bundle: {error}", file=sys.stderr)
        return 1
    files = sum(1 for p in path.rglob("*") if p.is_file())
    print(f"student bundle: {path} ({files} files). Zip it, push it as its own repository, or release it through nbgrader's exchange.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
