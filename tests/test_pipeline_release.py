"""`release` and `release --check`: generated from source/, normalised, compared, gradebook untouched."""

import json
import subprocess
import sys

import pytest

from autograder import release
from autograder.course import Course
from tests.fixtures.pipeline import classroom

A = classroom.FIXTURE


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return classroom.make_course(tmp_path_factory.mktemp("release"))


def test_release_generates_a_normalised_student_version_without_solutions(released):
    text = (released.release / A / f"{A}.ipynb").read_text()
    assert release.normalized_text(released.release / A / f"{A}.ipynb") == text
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "einsum" not in text
    assert "raise NotImplementedError()" in text
    assert not (released.root / "gradebook.db").exists()  # a throwaway gradebook was used


def test_check_passes_on_a_fresh_release(released):
    assert release.check(released) == []


def test_check_names_every_notebook_that_differs(released, tmp_path):
    course = Course(released.root)
    path = course.release / A / f"{A}.ipynb"
    original = path.read_text()
    try:
        notebook = json.loads(original)
        notebook["cells"][2]["source"] = "def mean_cost(L):\n    return 1.0"
        path.write_text(json.dumps(notebook))
        (course.release / A / "stale.ipynb").write_text(original)
        differences = {d.path: d.reason for d in release.check(course)}
        assert differences == {f"release/{A}/{A}.ipynb": "differs from what source/ generates",
                               f"release/{A}/stale.ipynb": "stale: release/ has it, source/ does not generate it"}
        completed = subprocess.run([sys.executable, "-m", "autograder", "release", "--check", "--quiet",
                                    "--course", str(course.root)], capture_output=True, text=True)
        assert completed.returncode == 1
        assert f"release/{A}/{A}.ipynb" in completed.stderr and "stale.ipynb" in completed.stderr
        path.unlink()
        assert {d.reason for d in release.check(course)} >= {"missing: source/ generates it, release/ lacks it"}
    finally:
        path.write_text(original)
        (course.release / A / "stale.ipynb").unlink(missing_ok=True)
    assert release.check(course) == []


def test_the_committed_release_matches_source():
    """What CI checks: release/ of this repository is what source/ generates."""
    course = Course(classroom.REPO)
    if not course.assignments():
        pytest.skip("no assignments in source/ yet")
    differences = release.check(course)
    assert differences == [], "\n".join(map(str, differences))
