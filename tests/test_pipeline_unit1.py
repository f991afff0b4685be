"""Unit 1 (01_logistic_regression), the first real assignment, graded end to end by the pipeline."""

import html
from collections import Counter

import pytest

from autograder import feedback, report, state
from autograder.grading import grade_submissions
from autograder.scoring import mistake_key
from tests.fixtures.pipeline import classroom

pytestmark = pytest.mark.slow

A = classroom.UNIT1


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    if not (classroom.REPO / "source" / A).is_dir():
        pytest.skip(f"source/{A} is not in the repository")
    course = classroom.make_course(tmp_path_factory.mktemp("unit1"), A)
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "blank", classroom.submission(course, A, fill_solutions=False))
    for name in classroom.UNIT1_MISTAKES:
        classroom.submit(course, A, name, classroom.unit1_mistake(course, name))
    classroom.submit(course, A, "no_1_over_m_again", classroom.unit1_mistake(course, "no_1_over_m"))
    return course, grade_submissions(course, A, jobs=2)


def test_solution_full_marks_blank_zero(graded):
    _, records = graded
    assert records["solution"].status == state.GRADED
    assert records["solution"].total == records["solution"].max_total > 0
    assert records["blank"].status == state.GRADED
    assert records["blank"].total == 0 and records["blank"].failed == set(records["blank"].scores)


@pytest.mark.parametrize("mistake", sorted(classroom.UNIT1_MISTAKES))
def test_each_mistake_fails_exactly_the_right_cells_with_the_right_feedback(graded, mistake):
    _, records = graded
    _grade_id, _edits, expected = classroom.UNIT1_MISTAKES[mistake]
    record = records[mistake]
    assert record.failed == set(expected), record.diagnoses
    for test, words in expected.items():
        assert words in record.feedback[test], (test, record.feedback[test])


def test_report_counts_the_diagnosis_of_each_mistake(graded, tmp_path):
    course, records = graded
    report.write_report(course, A, tmp_path)
    summary = report.summarize(course, A)
    counted = {(row["grade_id"], row["diagnosis"]): row["count"] for row in summary["mistakes"]}
    expected = Counter((grade_id, mistake_key(diagnosis)) for record in records.values()
                       for grade_id, diagnosis in record.diagnoses.items())
    assert counted == {key: count for key, count in expected.items() if key in counted}
    # two students forgot the 1/m: the dw test counts that diagnosis twice
    factor = [row for row in summary["mistakes"] if row["grade_id"] == "test_propagate_dw"
              and "factor of m" in row["diagnosis"]]
    assert len(factor) == 1 and factor[0]["count"] == 2
    cells = {row["grade_id"]: row for row in summary["cells"]}
    assert cells["test_propagate_dw"]["passed"] == len(records) - 3  # blank and the two without 1/m


def test_feedback_never_shows_unit1_hidden_tests(graded):
    course, _ = graded
    # lines students see anyway: the release, and answer code (feedback shows each student's own answers)
    source = "\n".join(cell.source for cell in classroom.submission(course, A, fill_solutions=False).cells)
    source += "\n" + "\n".join(classroom.solution_code(course, A).values())
    released = {line.strip() for line in source.splitlines()}
    hidden_only = set()
    for cell in (spec_cell for spec_cell in _spec(course).cells if "BEGIN HIDDEN TESTS" in spec_cell.source):
        for block in cell.source.split("### BEGIN HIDDEN TESTS")[1:]:
            body = block.split("### END HIDDEN TESTS")[0]
            hidden_only.update(line.strip() for line in body.splitlines()
                               if len(line.strip()) > 25 and line.strip() not in released)
    assert hidden_only
    for page in feedback.generate(course, A):
        text = html.unescape(page.read_text())
        assert "HIDDEN TESTS" not in text
        lines = {line.strip() for line in text.splitlines()}
        leaked = [line for line in hidden_only if line in lines]
        assert leaked == [], (page, leaked[:3])


def _spec(course):
    from autograder.spec import load_spec

    return load_spec(course, A).notebooks[A]


def test_report_names_the_likely_reason_behind_a_generic_diagnosis(graded, tmp_path):
    course, _ = graded
    summary = report.summarize(course, A)
    (row,) = [row for row in summary["mistakes"] if row["grade_id"] == "test_optimize_update"
              and row["count"] == 1 and "typical mistake" in row["diagnosis"]]
    assert "gradient ascent" in row["likely_reason"]


def test_a_written_answer_shows_waiting_for_a_grader_until_it_is_graded_by_hand(graded):
    # last in the file: it adds a student to the module's course and hand-grades it
    course, _ = graded
    assert any(cell.grade_id == DERIVATION for cell in _spec(course).cells), "update DERIVATION"
    written = "dL/dz = a - y, because dL/da = (a - y) / (a (1 - a)) and da/dz = a (1 - a)."
    classroom.submit(course, A, "wrote_it", classroom.submission(course, A, {DERIVATION: written}))
    grade_submissions(course, A, jobs=1, students=["wrote_it"])
    (page,) = feedback.generate(course, A, students=["wrote_it"])
    text = html.unescape(page.read_text())
    # nbgrader reports a cell nobody has scored as 0; the page must not show that as a grade
    assert "<td>? / 4</td><td>waiting for a grader</td>" in text and "graded by hand: <b>not graded yet</b>" in text
    with course.gradebook() as gradebook:
        gradebook.find_grade(DERIVATION, A, A, "wrote_it").manual_score = 3
        gradebook.db.commit()
    (page,) = feedback.generate(course, A, students=["wrote_it"])
    text = html.unescape(page.read_text())
    assert "<td>3 / 4</td><td>partly right</td>" in text and "graded by hand: <b>3</b>" in text
    # a blank answer (the blank student) is scored 0 by nbgrader itself: "no answer", 0 / 4
    (page,) = feedback.generate(course, A, students=["blank"])
    assert "<td>0 / 4</td><td>no answer</td>" in html.unescape(page.read_text())


DERIVATION = "derivation_dz_and_dw"
