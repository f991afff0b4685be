"""Fail closed: no submission runs without the sandbox unless the instructor asks, and no changed score is exported.

* `grade` with bubblewrap missing, failing, or not isolating (a stand-in
  `bwrap` that runs the command as it is) refuses before anything runs: exit
  status 2, the reason and what to do on stderr, no autograded notebook, no
  state record, no gradebook written. `grade_submissions` raises
  SandboxUnavailable the same way.
* `--sandbox off` (library: sandbox="off") grades, warns, and marks every
  record `not_sandboxed`.
* A gradebook changed behind the grader's back (here by SQL after the batch)
  is named as a `gradebook_changed` incident by the next `grade`, and
  `export` withholds the changed score (empty cell, reason, exit status 1)
  until `grade --force` writes the grader's score again.
"""

import csv
import os
import sqlite3
import stat
import subprocess
import sys

import pytest

from autograder import export, state
from autograder.executor import ExecutionLimits
from autograder.grading import grade_submissions
from autograder.sandbox import SandboxUnavailable, self_test, BubblewrapLauncher
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks

A = classroom.FIXTURE
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}
# Generous on purpose: the cells of the fixture take well under a second; these limits only stop a
# stuck kernel, so a busy machine cannot make honest work hit them.
LIMITS = ExecutionLimits(cell_timeout=60, wall_clock=300)

REASON = self_test(BubblewrapLauncher())
needs_sandbox = pytest.mark.skipif(REASON is not None and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"),
                                   reason=f"bubblewrap cannot run here: {REASON}")

#: Stand-ins for a broken bubblewrap: one that fails as bwrap does where user namespaces are not
#: allowed, and one that runs the command WITHOUT isolating it (the self-test must notice).
FAKE_BWRAP = {
    "fails": '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n',
    "does_not_isolate": '#!/bin/sh\nwhile [ "$#" -gt 0 ] && [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n',
}


def _class(root):
    course = classroom.make_course(root)
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "wrong", classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}))
    return course


def _grade(course, *options, env=None):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", A, "--quiet", "--jobs", "2",
                           "--course", str(course.root), *options],
                          capture_output=True, text=True, timeout=900, env=env)


def _nothing_ran(course):
    assert not course.autograded.exists() or not any(course.autograded.rglob("*.ipynb"))
    assert state.load_all(course, A) == {}
    assert not course.gradebook_path.exists()


def _fake_bwrap(folder, kind):
    path = folder / f"bwrap-{kind}"
    path.write_text(FAKE_BWRAP[kind])
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture(scope="module")
def ungraded(tmp_path_factory):
    """A class nobody may grade (the refusals below leave it as it is; each test checks that)."""
    return _class(tmp_path_factory.mktemp("refused"))


@pytest.mark.parametrize("kind", ["missing", *FAKE_BWRAP])
def test_grade_refuses_before_anything_runs_when_bubblewrap_is_missing_or_broken(ungraded, tmp_path, kind):
    course = ungraded
    bwrap = tmp_path / "no-such-bwrap" if kind == "missing" else _fake_bwrap(tmp_path, kind)
    done = _grade(course, env=dict(os.environ, BACKPROP_BWRAP=str(bwrap)))
    assert done.returncode == 2, (done.stdout, done.stderr)
    message = done.stderr
    assert "refusing to grade" in message and "Nothing was run" in message and "--sandbox off" in message
    assert "Traceback" not in message
    why = {"missing": "bubblewrap is not installed", "fails": "setting up uid map: Permission denied",
           "does_not_isolate": "bubblewrap self-test"}[kind]
    assert why in message, message
    _nothing_ran(course)


def test_grade_submissions_raises_before_anything_runs_without_a_working_sandbox(ungraded, tmp_path, monkeypatch):
    course = ungraded
    monkeypatch.setenv("BACKPROP_BWRAP", str(tmp_path / "no-such-bwrap"))
    with pytest.raises(SandboxUnavailable, match="bubblewrap is not installed.*sandbox=\"off\""):
        grade_submissions(course, A, jobs=2, limits=LIMITS)
    _nothing_ran(course)


def test_grading_without_isolation_happens_only_when_asked_and_marks_every_record(tmp_path, monkeypatch):
    course = _class(tmp_path / "course")
    # Asked for explicitly: grades even where bubblewrap is missing, and says so on every record.
    monkeypatch.setenv("BACKPROP_BWRAP", str(tmp_path / "no-such-bwrap"))
    records = grade_submissions(course, A, jobs=2, limits=LIMITS, sandbox="off")
    assert records["solution"].scores == FULL
    assert records["wrong"].scores == dict(FULL, test_mean_cost=(0.0, 1.0))
    for record in records.values():
        assert record.status == state.GRADED_WITH_INCIDENTS and record.launcher.startswith("NOT SANDBOXED")
        (incident,) = [i for i in record.incidents if i.kind == "not_sandboxed"]
        assert "switched off" in incident.message and "without isolation" in incident.message


def _tamper(course, sql):
    connection = sqlite3.connect(course.gradebook_path)
    try:
        connection.execute(sql)
        connection.commit()
    finally:
        connection.close()


def _export(course, target):
    done = subprocess.run([sys.executable, "-m", "autograder", "export", "--to", str(target),
                           "--course", str(course.root)], capture_output=True, text=True, timeout=300)
    return done, {row["student_id"]: row for row in csv.DictReader(target.open())}


@needs_sandbox
def test_a_gradebook_changed_behind_the_graders_back_is_reported_and_not_exported(tmp_path):
    course = _class(tmp_path / "course")
    done = _grade(course)
    assert done.returncode == 0, done.stderr
    first, rows = _export(course, tmp_path / "before.csv")
    assert first.returncode == 0, first.stderr
    assert (rows["solution"][A], rows["wrong"][A]) == ("4", "3")

    # Behind the grader's back: every autograded cell of "wrong" set to 1000, as the detached process did.
    _tamper(course, "UPDATE grade SET auto_score = 1000 WHERE notebook_id IN (SELECT submitted_notebook.id FROM "
                    "submitted_notebook JOIN submitted_assignment ON submitted_notebook.assignment_id = "
                    "submitted_assignment.id WHERE submitted_assignment.student_id = 'wrong')")
    again = _grade(course)  # nothing to grade again; the check after the batch still runs
    assert again.returncode == 1, again.stderr
    assert "gradebook no longer holds the scores the grader wrote" in again.stderr and "wrong" in again.stderr
    record = state.load(course, A, "wrong")
    (incident,) = [i for i in record.incidents if i.kind == "gradebook_changed"]
    assert "test_mean_cost: auto score is 1000, the grader wrote 0" in incident.message
    assert "--force --student wrong" in incident.message
    assert not [i for i in state.load(course, A, "solution").incidents if i.kind == "gradebook_changed"]

    withheld, rows = _export(course, tmp_path / "after.csv")
    assert withheld.returncode == 1
    assert "WITHHELD" in withheld.stderr and "wrong, ps_fixture" in withheld.stderr
    assert rows["wrong"][A] == "" and rows["wrong"]["total"] == ""
    assert "WITHHELD" in rows["wrong"]["reason"] and "auto score is 1000, the grader wrote 0" in rows["wrong"]["reason"]
    assert (rows["solution"][A], rows["solution"]["reason"]) == ("4", "")

    # A manual override of an autograded cell after grading is reported the same way (library call).
    _tamper(course, "UPDATE grade SET manual_score = 7 WHERE id = (SELECT grade.id FROM grade JOIN base_cell ON "
                    "grade.cell_id = base_cell.id JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
                    "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id WHERE "
                    "submitted_assignment.student_id = 'solution' AND base_cell.name = 'test_mean_cost')")
    count, withheld = export.export_checked(course, tmp_path / "manual.csv")
    rows = {row["student_id"]: row for row in csv.DictReader((tmp_path / "manual.csv").open())}
    assert count == 2 and set(withheld) == {("solution", A), ("wrong", A)}
    assert rows["solution"][A] == "" and "manual score is 7, it was empty" in rows["solution"]["reason"]
    assert "remove it in the formgrader" in rows["solution"]["reason"]

    # Grading again writes the grader's scores (manual scores stay the instructor's: 7 + 2 + 1 is accepted now).
    restored = _grade(course, "--force", "--student", "wrong", "--student", "solution")
    assert restored.returncode == 0, restored.stderr
    final, rows = _export(course, tmp_path / "restored.csv")
    assert final.returncode == 0, final.stderr
    assert (rows["solution"][A], rows["wrong"][A]) == ("10", "3")
    assert all(not [i for i in record.incidents if i.kind == "gradebook_changed"]
               for record in state.load_all(course, A).values())
