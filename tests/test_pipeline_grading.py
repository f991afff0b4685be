"""End to end on a class built here: grade, then feedback, export and report on the graded class.

The class is the fixture assignment (tests/fixtures/pipeline) in a temporary
course: the solution, a blank notebook, one submission per typical mistake,
and one per incident the grader must survive (stderr output, duplicated,
deleted, edited and stripped cells, a crashing kernel, an endless loop, a
corrupt file). It is graded once, with two jobs, and every test reads the result.
"""

import csv
import html
from collections import Counter

import nbformat
import pytest
from nbgrader.utils import determine_grade

from autograder import export, feedback, report, state
from autograder.executor import ExecutionLimits
from autograder.grading import grade_submissions, load_results
from autograder.scoring import NOT_RUN_STATUS, PASSED
from tests.fixtures.pipeline import classroom

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
TESTS = {"test_mean_cost": 1.0, "test_linear_gradients_dW": 2.0, "test_linear_gradients_db": 1.0}
INCIDENT_CASES = ("with_stderr", "duplicated_answer", "split_answer", "deleted_test", "stripped_metadata",
                  "edited_test", "crash_after_first_answer", "endless_loop")
# The endless loop's cell is the only one meant to reach the cell limit. Every other cell of the
# fixture needs a few milliseconds of CPU, so 10 s per cell (and 300 s per submission) leaves honest
# work a margin of hundreds of times even when other processes load every core.
LIMITS = ExecutionLimits(cell_timeout=10, wall_clock=300)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("class"))
    solution = classroom.submission(course, A, {"explain_one_over_m": "J is the mean of the m losses."})
    classroom.submit(course, A, "solution", solution, "2026-01-10 09:00:00.000000 UTC")
    classroom.submit(course, A, "blank", classroom.submission(course, A, fill_solutions=False))
    for name, (grade_id, code, _fails) in classroom.FIXTURE_MISTAKES.items():
        classroom.submit(course, A, name, classroom.submission(course, A, {grade_id: code}))
    for name in INCIDENT_CASES:
        classroom.submit(course, A, name, getattr(classroom, name)(course))
    folder = classroom.submit(course, A, "corrupt", classroom.submission(course, A))
    (folder / f"{A}.ipynb").write_text(classroom.CORRUPT_NOTEBOOK)
    (course.submission_folder("no_notebook", A) / "notes.txt").parent.mkdir(parents=True)
    (course.submission_folder("no_notebook", A) / "notes.txt").write_text("I could not finish")
    script = classroom.submission(course, A, {"mean_cost": 'def mean_cost(L):\n    """<script>alert(1)</script>"""\n'
                                              '    return float(np.mean(L))\n'})
    classroom.submit(course, A, "html_in_answer", script)
    records = grade_submissions(course, A, jobs=2, limits=LIMITS)
    return course, records


def test_every_submission_ends_in_a_recorded_state(graded):
    course, records = graded
    assert set(records) == set(course.submitted_students(A))
    assert all(record.final for record in records.values()), {s: r.status for s, r in records.items()}
    assert load_results(course, A).keys() == records.keys()


def test_solution_gets_full_marks_and_blank_gets_zero(graded):
    _, records = graded
    solution, blank = records["solution"], records["blank"]
    assert solution.status == state.GRADED and solution.incidents == []
    assert solution.scores == {grade_id: (points, points) for grade_id, points in TESTS.items()}
    assert blank.status == state.GRADED
    assert blank.total == 0 and blank.failed == set(TESTS)
    assert all("not implemented" in text for text in blank.diagnoses.values()), blank.diagnoses


@pytest.mark.parametrize("mistake", sorted(classroom.FIXTURE_MISTAKES))
def test_each_typical_mistake_fails_exactly_its_tests_with_its_diagnosis(graded, mistake):
    _, records = graded
    _grade_id, _code, expected = classroom.FIXTURE_MISTAKES[mistake]
    record = records[mistake]
    assert record.failed == set(expected), (record.failed, record.diagnoses)
    for test, words in expected.items():
        assert words in record.diagnoses[test], record.diagnoses[test]


def test_stderr_from_correct_code_keeps_the_points_stock_nbgrader_would_take(graded):
    course, records = graded
    assert records["with_stderr"].scores["test_mean_cost"] == (1.0, 1.0)
    executed = nbformat.read(course.autograded_folder("with_stderr", A) / f"{A}.ipynb", as_version=4)
    (cell,) = [c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mean_cost"]
    assert any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs)
    assert determine_grade(cell)[0] == 0  # what nbgrader's own rule gives the same cell


def _kinds(record):
    return {(incident.kind, incident.cell) for incident in record.incidents}


@pytest.mark.parametrize("case, incident, total", [
    ("duplicated_answer", ("duplicated_cell", "mean_cost"), 4.0),
    ("split_answer", ("duplicated_cell", "linear_gradients"), 4.0),
    ("deleted_test", ("missing_cell", "test_linear_gradients_dW"), 4.0),
    ("stripped_metadata", ("stripped_metadata", None), 4.0),
    ("edited_test", ("edited_cell", "test_mean_cost"), 3.0),
])
def test_damaged_notebooks_are_graded_on_what_matches(graded, case, incident, total):
    _, records = graded
    record = records[case]
    assert record.status == state.GRADED_WITH_INCIDENTS
    assert incident in _kinds(record)
    assert record.total == total, (record.scores, record.diagnoses)
    assert set(record.scores) == set(TESTS)


def test_a_deleted_test_is_restored_with_its_hidden_tests(graded):
    course, records = graded
    executed = nbformat.read(course.autograded_folder("deleted_test", A) / f"{A}.ipynb", as_version=4)
    (cell,) = [c for c in executed.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == "test_linear_gradients_dW"]
    assert "BEGIN HIDDEN TESTS" in cell.source
    assert records["deleted_test"].scores["test_linear_gradients_dW"] == (2.0, 2.0)


def test_a_crashed_kernel_loses_only_the_cells_after_the_crash(graded):
    _, records = graded
    record = records["crash_after_first_answer"]
    assert ("kernel_died", "linear_gradients") in _kinds(record)
    cells = {cell.grade_id: cell for cell in record.cells}
    assert cells["test_mean_cost"].status == PASSED and cells["test_mean_cost"].points == 1.0
    assert cells["test_linear_gradients_dW"].status == NOT_RUN_STATUS
    assert cells["test_linear_gradients_db"].status == NOT_RUN_STATUS


def test_an_endless_cell_times_out_and_the_rest_still_runs(graded):
    _, records = graded
    record = records["endless_loop"]
    assert ("timeout", "linear_gradients") in _kinds(record)
    assert record.scores["test_mean_cost"] == (1.0, 1.0)
    assert "NameError" in record.diagnoses["test_linear_gradients_dW"]


def test_unreadable_or_missing_notebooks_are_ungradable_with_the_reason(graded):
    _, records = graded
    corrupt = records["corrupt"]
    assert corrupt.status == state.UNGRADABLE
    assert "not valid JSON at line 1 column" in corrupt.reason
    assert records["no_notebook"].status == state.UNGRADABLE
    assert "was not submitted" in records["no_notebook"].reason


def test_gradebook_holds_the_recorded_scores_and_was_backed_up(graded):
    course, records = graded
    snapshot = classroom.gradebook_snapshot(course, A)
    for student, record in records.items():
        for cell in record.cells:
            auto_score, manual_score, needs_manual = snapshot[(student, A, cell.grade_id)]
            if cell.kind == "test":
                assert auto_score == cell.points and not needs_manual
            else:
                assert manual_score is None
    # the blank's hand-graded answer is untouched: 0 and "No response."; the solution's needs a grader
    assert snapshot[("blank", A, "explain_one_over_m")] == (0, None, False)
    assert snapshot[("blank", A, "explain_one_over_m", "comment")][0] == "No response."
    assert snapshot[("solution", A, "explain_one_over_m")] == (None, None, True)
    assert snapshot[("solution", "timestamp")].startswith("2026-01-10 09:00:00")
    assert list(course.gradebook_path.parent.glob("gradebook.db.bak-*"))


def test_rerun_skips_finished_students_and_force_regrades(graded):
    course, records = graded
    before = {student: record.graded_at for student, record in load_results(course, A).items()}
    paths = sorted(state.state_folder(course, A).glob("*.json"))
    stamps = {path: path.stat().st_mtime_ns for path in paths}
    again = grade_submissions(course, A, jobs=2, limits=LIMITS)
    assert {s: r.graded_at for s, r in again.items()} == before
    assert {path: path.stat().st_mtime_ns for path in paths} == stamps
    # a changed submission is graded again, alone
    classroom.submit(course, A, "blank", classroom.submission(course, A))
    again = grade_submissions(course, A, jobs=2, limits=LIMITS)
    changed = [path for path in paths if path.stat().st_mtime_ns != stamps[path]]
    assert [path.stem for path in changed] == ["blank"]
    assert again["blank"].total == 4.0
    forced = grade_submissions(course, A, jobs=2, limits=LIMITS, force=True, students=["solution"])
    assert forced["solution"].graded_at >= before["solution"] and forced["solution"].total == 4.0


def test_feedback_shows_diagnoses_never_hidden_tests_and_escapes_student_text(graded):
    course, _ = graded
    pages = feedback.generate(course, A)
    assert len(pages) == len(course.submitted_students(A))
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text and "SeedSequence" not in text and "einsum" not in text
    mistake = (course.feedback_folder("no_one_over_m", A) / f"{A}.html").read_text()
    assert "dW is off by a factor of m" in mistake and "failed" in mistake
    # the diagnosis is shown once, above the output, not again as the output's first line
    assert "AssertionError: dW is off by a factor of m" not in html.unescape(mistake)
    script = (course.feedback_folder("html_in_answer", A) / f"{A}.html").read_text()
    assert "<script>alert(1)</script>" not in script and "&lt;script&gt;alert(1)&lt;/script&gt;" in script
    corrupt = (course.feedback_folder("corrupt", A) / f"{A}.html").read_text()
    assert "could not be graded" in corrupt


def test_export_has_a_row_per_student_and_the_reason_for_ungradable_zeros(graded, tmp_path):
    course, records = graded
    target = tmp_path / "grades.csv"
    assert export.export(course, target) == len(records)
    rows = {row["student_id"]: row for row in csv.DictReader(target.open())}
    assert set(rows) == set(records)
    assert rows["solution"][A] == "4" and rows["solution"]["total"] == "4" and rows["solution"]["reason"] == ""
    assert rows["corrupt"][A] == "0" and "ungradable" in rows["corrupt"]["reason"]
    assert "not valid JSON" in rows["corrupt"]["reason"]


def test_report_counts_each_diagnosed_mistake(graded, tmp_path):
    course, records = graded
    paths = report.write_report(course, A, tmp_path / "report")
    page = (tmp_path / "report" / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    summary = report.summarize(course, A)
    expected = Counter()
    for record in records.values():
        if record.status in (state.GRADED, state.GRADED_WITH_INCIDENTS):
            for grade_id, diagnosis in record.diagnoses.items():
                if "factor of m" in diagnosis:
                    expected[grade_id] += 1
    counted = Counter()
    for row in summary["mistakes"]:
        if "factor of m" in row["diagnosis"]:
            counted[row["grade_id"]] += row["count"]
    # sum_not_mean fails the cost test that way; no_one_over_m both gradient tests
    assert counted == expected and counted["test_mean_cost"] >= 1 and counted["test_linear_gradients_dW"] >= 1
    rows = list(csv.DictReader((tmp_path / "report" / "cells.csv").open()))
    assert {row["grade_id"] for row in rows} == set(TESTS)
    assert all(path.is_file() for path in paths)


def test_grade_notebooks_grades_in_memory_notebooks_in_a_throwaway_course(graded):
    from autograder.grading import grade_notebooks

    course, _ = graded
    records = grade_notebooks(classroom.FIXTURE_SOURCE / A, {
        "right": classroom.submission(course, A),
        "no_m": classroom.submission(course, A, {"linear_gradients": classroom.FIXTURE_MISTAKES["no_one_over_m"][1]}),
    }, jobs=2)
    assert records["right"].total == records["right"].max_total == 4.0 and records["right"].problems == []
    assert records["no_m"].failed == {"test_linear_gradients_dW", "test_linear_gradients_db"}
    assert "factor of m" in records["no_m"].feedback["test_linear_gradients_dW"]


def test_cells_after_the_last_graded_cell_are_not_run(graded):
    course, records = graded
    executed = nbformat.read(course.autograded_folder("solution", A) / f"{A}.ipynb", as_version=4)
    demo = executed.cells[-1]
    assert "Try it (not graded)" in demo.source and demo.outputs == []
    test = [c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_mean_cost"][0]
    assert test.outputs  # the graded cells did run
    rerun = grade_submissions(course, A, jobs=1, limits=LIMITS, force=True, students=["solution"],
                              run_all_cells=True)
    executed = nbformat.read(course.autograded_folder("solution", A) / f"{A}.ipynb", as_version=4)
    assert "demo output" in "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    assert rerun["solution"].scores == records["solution"].scores
