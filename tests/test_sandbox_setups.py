"""The sandbox in every supported set-up: the same class, the same result, whatever the environment.

Issue 19: with the environment installed (editable) from one checkout of the
course and grading done in another copy, bubblewrap's self-test failed with
"No module named 'utils'" and grading went on without the sandbox. The
sandbox now shows the kernel what the kernel's own interpreter imports.
Each set-up below grades, with `python -m autograder grade` run from inside
the course as an instructor does, a class holding the honest baseline and
the sandbox's malicious submissions, and must give what the sandboxed run in
tests/test_sandbox_isolation.py gives: honest scores exact, attacks at zero,
nothing of the course (or of the checkout the environment comes from)
visible, nothing written, no process left.

Set-ups (all under /tmp, where the sandbox mounts a private /tmp of its own):
* make install: the course's own .venv, installed editable from the course;
* another checkout: a second term's copy graded with the first term's
  environment (editable from the first term's checkout): the reported failure;
* conda route: an environment outside every course (a venv with copied
  binaries, like a conda prefix) into which environment.yml's `-e .[dev]`
  installed the first term's checkout;
* non-editable: `pip install .` (the packages copied into site-packages);
* shared: one environment grading two course copies at the same time;
* spaces: checkout, environment and course under paths with spaces.
"""

import json
import os
import tempfile
import time
from pathlib import Path

import pytest

from autograder import state
from autograder.sandbox import BubblewrapLauncher, self_test
from tests import setups_support as setups
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}
WRONG = dict(FULL, test_mean_cost=(0.0, 1.0))
TAMPERING = ("runtime_shadow", "reference_import", "patch_check_module")

REASON = self_test(BubblewrapLauncher())
if REASON is not None and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"):
    pytest.skip(f"bubblewrap cannot run here: {REASON}", allow_module_level=True)

PROBE = """
import json, os
paths = {paths!r}
print("PROBE " + json.dumps({{name: os.path.exists(path) for name, path in paths.items()}}))
"""

WRITER = """
import sqlite3
results = {{}}
for name, path in {paths!r}.items():
    try:
        with open(path, "a") as stream:
            stream.write("pwned")
        results[name] = "written"
    except OSError as error:
        results[name] = type(error).__name__
try:
    connection = sqlite3.connect({gradebook!r})
    connection.execute("UPDATE grade SET auto_score = 1000")
    connection.commit()
    results["sql"] = "written"
except sqlite3.Error as error:
    results["sql"] = type(error).__name__
print("WRITER " + repr(results))
"""


@pytest.fixture(scope="module")
def base():
    """A folder under /tmp (not merely the temporary folder, which may be elsewhere) for every set-up."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-setups-", dir="/tmp"))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def released(base):
    """The fixture assignment released once (nbgrader's generate_assignment is slow); copied for each course."""
    return setups.course(None, base / "released")


@pytest.fixture(scope="module")
def first_term(base):
    """The first term's checkout and its environment (.venv inside it, editable), as `make install` makes."""
    tools = setups.build_tools(base / "build-tools")
    checkout = setups.checkout(base / "term1")
    return tools, checkout, setups.environment(checkout / ".venv", checkout, tools)


def _submit_class(course, token, checkout):
    """The class: honest baseline, a probe, a writer, detached processes, tampering; returns the token."""
    root = str(course.root)
    secrets = {"gradebook": root + "/gradebook.db", "source": f"{root}/source/{A}/{A}.ipynb",
               "another student": f"{root}/submitted/solution/{A}/{A}.ipynb", "state": root + "/.autograder",
               "checkout's solutions": f"{checkout}/source/{setups.SECRET}",
               "checkout's gradebook": f"{checkout}/gradebook.db", "grader code": f"{root}/autograder/grading.py",
               "checkout's grader code": f"{checkout}/autograder/grading.py"}
    writes = {"gradebook": root + "/gradebook.db", "state": f"{root}/.autograder/state/{A}/writer.json",
              "checkout": f"{checkout}/pwned"}
    notebooks = {
        "solution": classroom.submission(course, A),
        "wrong": classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}),
        "probe": attacks.with_cell(course, PROBE.format(paths=secrets)),
        "writer": attacks.with_cell(course, WRITER.format(paths=writes, gradebook=root + "/gradebook.db"),
                                    after="mean_cost", replacements={"mean_cost": attacks.WRONG_MEAN_COST}),
        "detached": attacks.with_cell(course, attacks.detached(token, course.root)),
        **{attack: attacks.tampering(course, attack) for attack in TAMPERING},
    }
    for student, notebook in notebooks.items():
        classroom.submit(course, A, student, notebook)


def _printed(course, student, prefix):
    import nbformat

    notebook = nbformat.read(course.autograded_folder(student, A) / f"{A}.ipynb", as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            for line in output.get("text", "").splitlines():
                if line.startswith(prefix):
                    return line[len(prefix):]
    raise AssertionError(f"{student} printed no line starting with {prefix!r}")


def _check_class(course, returncode, stdout, stderr, token, checkout, utils_from):
    """The result of tests/test_sandbox_isolation.py's sandboxed run, in this set-up."""
    assert returncode == 0, (stdout[-2000:], stderr[-3000:])
    assert "WARNING" not in stderr and "NOT SANDBOXED" not in stderr, stderr[-3000:]
    records = state.load_all(course, A)
    assert len(records) == 5 + len(TAMPERING) and all(record.final for record in records.values())
    for record in records.values():
        assert record.launcher.startswith("bubblewrap sandbox"), record.launcher
        assert f"utils from {utils_from}" in record.launcher, (record.launcher, utils_from)
        assert not [i for i in record.incidents if i.kind in ("not_sandboxed", "kernel_start", "guard_unavailable")]
    assert records["solution"].scores == FULL and records["solution"].incidents == []
    assert records["wrong"].scores == WRONG and records["wrong"].incidents == []
    for attack in TAMPERING:
        assert records[attack].scores["test_mean_cost"] == (0.0, 1.0), (attack, records[attack].scores)
        assert [i for i in records[attack].incidents if i.kind == "tampering"], (attack, records[attack].incidents)
    assert records["probe"].scores == FULL and records["detached"].scores == FULL
    seen = json.loads(_printed(course, "probe", "PROBE "))
    assert not any(seen.values()), seen
    # Whatever the writer "wrote" landed in the sandbox's private /tmp (the course is under /tmp, so its
    # folders exist there as empty mount points): nothing of the real course or checkout changed.
    _printed(course, "writer", "WRITER ")  # it ran
    assert records["writer"].scores == WRONG
    assert not (Path(checkout) / "pwned").exists()
    assert b"pwned" not in (course.root / "gradebook.db").read_bytes()
    assert "pwned" not in state.record_path(course, A, "writer").read_text()
    assert attacks.detached_processes(token, wait=0) == []
    snapshot = classroom.gradebook_snapshot(course, A)
    assert snapshot[("solution", A, "test_mean_cost")][0] == 1.0 and snapshot[("writer", A, "test_mean_cost")][0] == 0.0


def _late_writes_never_came(courses, token):
    time.sleep(attacks.LATE_SECONDS + 1)
    for course in courses:
        assert not (course.root / f"late-{token}").exists()
        assert classroom.gradebook_snapshot(course, A)[("solution", A, "test_mean_cost")][0] == 1.0


def _grade_one(python, course, token, checkout, utils_from):
    _submit_class(course, token, checkout)
    code, out, err = setups.finish(setups.grade(python, course.root, "--jobs", "2"))
    _check_class(course, code, out, err, token, checkout, utils_from)
    _late_writes_never_came([course], token)


def test_make_install_in_the_course(base, first_term, released):
    tools, _, _ = first_term
    course = setups.course(released, base / "make-install" / "course")
    python = setups.environment(course.root / ".venv", course.root, tools)
    _grade_one(python, course, f"setup-make-{os.getpid()}", course.root, course.root / "utils")


def test_a_second_terms_copy_graded_with_the_first_terms_environment(base, first_term, released):
    _, checkout, python = first_term
    course = setups.course(released, base / "term2")
    _grade_one(python, course, f"setup-other-{os.getpid()}", checkout, checkout / "utils")


def test_the_conda_route_an_environment_outside_every_course(base, first_term, released):
    tools, checkout, _ = first_term
    python = setups.environment(base / "conda" / "envs" / "backprop-derived", checkout, tools, copies=True)
    course = setups.course(released, base / "conda-course")
    _grade_one(python, course, f"setup-conda-{os.getpid()}", checkout, checkout / "utils")


def test_a_non_editable_install(base, first_term, released):
    tools, checkout, _ = first_term
    python = setups.environment(base / "wheel-env", checkout, tools, editable=False)
    site = next((base / "wheel-env" / "lib").glob("python3*/site-packages"))
    course = setups.course(released, base / "wheel-course")
    _grade_one(python, course, f"setup-wheel-{os.getpid()}", checkout, site / "utils")


def test_one_environment_grading_two_course_copies_at_once(base, first_term, released):
    _, checkout, python = first_term
    token = f"setup-shared-{os.getpid()}"
    courses = [setups.course(released, base / "shared" / name) for name in ("section-a", "section-b")]
    for course in courses:
        _submit_class(course, token, checkout)
    graders = [setups.grade(python, course.root, "--jobs", "1") for course in courses]
    results = [setups.finish(grader) for grader in graders]
    for course, (code, out, err) in zip(courses, results):
        _check_class(course, code, out, err, token, checkout, checkout / "utils")
    _late_writes_never_came(courses, token)


def test_checkout_environment_and_course_under_paths_with_spaces(base, first_term, released):
    tools, _, _ = first_term
    folder = base / "my courses" / "deep learning"
    checkout = setups.checkout(folder / "term 1")
    python = setups.environment(checkout / ".venv", checkout, tools)
    course = setups.course(released, folder / "term 2")
    _grade_one(python, course, f"setup-spaces-{os.getpid()}", checkout, checkout / "utils")
