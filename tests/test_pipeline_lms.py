"""An LMS download with odd file names, collected, graded and exported end to end."""

import csv
import zipfile

import nbformat
import pytest

from autograder import collect, export, state
from autograder.grading import grade_submissions
from tests.fixtures.pipeline import classroom

pytestmark = pytest.mark.slow

A = classroom.FIXTURE


def test_canvas_zip_with_odd_names_is_collected_graded_and_exported(tmp_path):
    course = classroom.make_course(tmp_path / "course")
    right = nbformat.writes(classroom.submission(course, A)).encode()
    _, sum_code, _ = classroom.FIXTURE_MISTAKES["sum_not_mean"]
    wrong = nbformat.writes(classroom.submission(course, A, {"mean_cost": sum_code})).encode()
    grade_id, code, _ = classroom.FIXTURE_MISTAKES["no_one_over_m"]
    no_m = nbformat.writes(classroom.submission(course, A, {grade_id: code})).encode()
    files = {
        "doejane_48213_1093000_ps_fixture.ipynb": (wrong, (2026, 1, 9, 10, 0, 0)),
        "doejane_late_48213_1093830_ps_fixture-1.ipynb": (right, (2026, 1, 11, 12, 0, 0)),
        "smithjohn_51234_1093900_Copy of ps_fixture (1).ipynb": (no_m, (2026, 1, 10, 8, 0, 0)),
        "o'brien_77777_1094001_PS_Fixture.ipynb": (right, (2026, 1, 10, 8, 30, 0)),
        "leeann_60001_1094000_ps_fixture.ipynb": (right[: len(right) // 2], (2026, 1, 10, 8, 0, 0)),
        "leeann_60001_1094002_notes.docx": (b"PK\x03\x04", (2026, 1, 10, 8, 0, 0)),
    }
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name, (data, when) in files.items():
            handle.writestr(zipfile.ZipInfo(name, date_time=when), data)

    report = collect.collect(course, A, archive)
    assert sorted(report.collected) == ["48213", "51234", "77777"]
    assert {path for path, _ in report.problems} == {"leeann_60001_1094000_ps_fixture.ipynb",
                                                     "leeann_60001_1094002_notes.docx"}

    records = grade_submissions(course, A, jobs=2)
    assert records["48213"].failed == set() and records["48213"].total == 4.0  # the later, right file
    assert records["77777"].status == state.GRADED and records["77777"].total == 4.0
    assert records["51234"].failed == {"test_linear_gradients_dW", "test_linear_gradients_db"}

    target = tmp_path / "grades.csv"
    export.export(course, target)
    rows = {row["student_id"]: row for row in csv.DictReader(target.open())}
    assert rows["48213"][A] == "4" and rows["48213"]["name"] == "doejane"
    assert rows["51234"][A] == "1"
    assert rows["60001"][A] == "0" and "rejected" in rows["60001"]["reason"]
    assert "not valid JSON" in rows["60001"]["reason"]
