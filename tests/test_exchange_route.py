"""The student side at scale: nbgrader's exchange, without a hub, into a shared PostgreSQL gradebook.

The instructor releases with `nbgrader release_assignment`; two students
fetch it into homes of their own and submit (`--student`, as JupyterHub's
single-user servers identify them); the instructor runs `nbgrader collect`
and then our `grade` and `export`. The exchange is a temporary folder
(Exchange.root), and every command, nbgrader's and ours, uses the same
PostgreSQL gradebook.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.fixtures.pipeline import classroom
from tests.pg_support import postgres  # noqa: F401 - the session fixture

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
BIN = Path(sys.executable).parent
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}


def _run(command, cwd, **env):
    environment = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env)
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, command))}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_release_fetch_submit_collect_then_grade(tmp_path, postgres):
    course = classroom.make_course(tmp_path / "course")
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)  # nbgrader wants a world-writable exchange, as on a hub's shared volume
    db_url = postgres.new_database("exchange")
    nbgrader = [str(BIN / "nbgrader")]
    shared = [f"--Exchange.root={exchange}", f"--CourseDirectory.db_url={db_url}"]

    _run(nbgrader + ["release_assignment", A, *shared], cwd=course.root)

    answers = {"alice": classroom.solution_code(course, A), "bob": {}}  # bob submits what he fetched
    for student, code in answers.items():
        home = tmp_path / f"home_{student}"
        home.mkdir()
        _run(nbgrader + ["fetch_assignment", A, "--course", "backprop-derived", f"--Exchange.root={exchange}"],
             cwd=home)
        (path,) = (home / A).glob("*.ipynb")
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in code:
                cell.source = code[grade_id]
        nbformat.write(notebook, path)
        _run(nbgrader + ["submit", A, "--course", "backprop-derived", f"--student={student}",
                         f"--Exchange.root={exchange}"], cwd=home)

    _run(nbgrader + ["collect", A, *shared], cwd=course.root)
    assert course.submitted_students(A) == ["alice", "bob"]

    done = _run([sys.executable, "-m", "autograder", "grade", A, "--quiet", "--course", str(course.root),
                 "--db-url", db_url], cwd=course.root)
    assert "2 submissions" in done.stdout, done.stdout

    from autograder.course import Course
    from autograder.grading import load_results

    records = load_results(Course(course.root, db_url=db_url), A)
    assert records["alice"].scores == FULL
    assert records["bob"].total == 0 and set(records["bob"].scores) == set(FULL)
    # the exchange's timestamps reached the shared gradebook, where nbgrader's own tools read them
    snapshot = classroom.gradebook_snapshot(Course(course.root, db_url=db_url), A)
    for student in answers:
        stamp = (course.submission_folder(student, A) / "timestamp.txt").read_text().strip()
        assert snapshot[(student, "timestamp")].startswith(stamp[:19]), (snapshot[(student, "timestamp")], stamp)
    # our export and report read the same shared gradebook
    grades = tmp_path / "grades.csv"
    _run([sys.executable, "-m", "autograder", "export", "--to", str(grades), "--quiet", "--course", str(course.root),
          "--db-url", db_url], cwd=course.root)
    rows = {line.split(",")[0]: line for line in grades.read_text().splitlines()[1:]}
    assert set(rows) == {"alice", "bob"}, grades.read_text()
    assert not (course.root / "gradebook.db").exists(), "a SQLite gradebook was written instead of PostgreSQL"
    listed = _run(nbgrader + ["list", "--inbound", "--course", "backprop-derived", f"--Exchange.root={exchange}"],
                  cwd=course.root)
    assert "alice" in listed.stdout + listed.stderr and "bob" in listed.stdout + listed.stderr
