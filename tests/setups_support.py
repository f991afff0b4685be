"""Build the set-ups an instructor grades from: checkouts of the course, environments installed from them.

    tools = build_tools(folder)                         # setuptools/wheel for installing without isolation
    a = checkout(folder / "term1")                      # pyproject.toml, utils/, autograder/ (+ a source/ to keep secret)
    env = environment(folder / "env", a, tools)         # a venv with the course installed from `a` (editable)
    env = environment(folder / "env", a, tools, editable=False, copies=True)
    b = course(None, folder / "term2")                  # a full copy of the course, fixture assignment released
    code, out, err = finish(grade(env, b.root, "--jobs", "2"))   # `python -m autograder grade` run inside b

An environment reuses this test run's installed dependencies instead of
downloading them again: its site-packages gets a `.pth` file naming this
interpreter's site-packages (an extra sys.path entry outside the
environment, which the sandbox must show read-only as well). The course is
installed into it with pip, for real (`pip install [-e] CHECKOUT --no-deps`),
which writes setuptools' editable import hook or copies the packages into
site-packages. The only download is setuptools and wheel for that build
(PyPI, once per test run).
"""

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from autograder.course import Course
from tests.fixtures.pipeline import classroom

REPO = classroom.REPO

#: What `pip install` needs from a checkout of the course (pyproject's packages and its readme).
PROJECT_FILES = ("pyproject.toml", "README.md", "nbgrader_config.py")
PACKAGES = ("utils", "autograder")

#: Written into every checkout's source/: a solution file the sandbox must never show.
SECRET = "SECRET-solutions.txt"

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def _run(command, **kwargs):
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def build_tools(folder):
    """A folder with setuptools>=68 and wheel (pyproject's build requirements), for installs without isolation."""
    folder = Path(folder)
    if not (folder / "setuptools").is_dir():
        _run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target",
              str(folder), "setuptools>=68", "wheel"])
    return folder


def copy_packages(target):
    for name in PACKAGES:
        shutil.copytree(REPO / name, target / name, ignore=_IGNORE)


def checkout(folder):
    """A checkout of the course at `folder` (what pip installs from), with secrets the sandbox must hide."""
    folder = Path(folder)
    folder.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy(REPO / name, folder / name)
    copy_packages(folder)
    (folder / "source").mkdir()
    (folder / "source" / SECRET).write_text("the solutions of another term\n")
    (folder / "gradebook.db").write_text("another term's gradebook\n")
    return folder


def course(template, folder):
    """A full copy of the course at `folder` (its own utils/ and autograder/, as a second term's checkout
    has: `python -m autograder` run from inside it imports this copy) with the fixture assignment released.

    template: an earlier result of course() to copy (releasing again is slow), or None.
    """
    folder = Path(folder)
    if template is not None:
        shutil.copytree(template.root, folder, ignore=_IGNORE)
        return Course(folder)
    result = classroom.make_course(folder)
    copy_packages(result.root)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, result.root / name)
    return result


def environment(folder, project, tools, editable=True, copies=False, extra_paths=()):
    """A venv at `folder` with the course installed from `project` (editable or not; None: not installed)
    and `extra_paths` added to its sys.path by a .pth file; its python."""
    folder = Path(folder)
    _run([sys.executable, "-m", "venv", "--without-pip", *(["--copies"] if copies else []), str(folder)])
    python = folder / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    if extra_paths:
        (site / "extra_paths.pth").write_text("".join(f"{path}\n" for path in extra_paths))
    if project is None:
        return python
    env = dict(os.environ, PYTHONPATH=str(tools), PIP_DISABLE_PIP_VERSION_CHECK="1")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
          *(["--editable"] if editable else []), str(project)], env=env, cwd=str(folder.parent))
    return python


def grade(python, course_root, *options):
    """`python -m autograder grade ps_fixture` run from inside `course_root` with `python`, as an instructor does."""
    # nbgrader runs `alembic` from PATH: the environment's bin/ first, then this run's (where alembic is).
    path = os.pathsep.join([str(Path(python).parent), str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTHON")}
    env["PATH"] = path
    return subprocess.Popen([str(python), "-m", "autograder", "grade", classroom.FIXTURE, "--quiet", *options],
                            cwd=str(course_root), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=900):
    """Wait for a `grade` Popen; (return code, stdout, stderr)."""
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr
