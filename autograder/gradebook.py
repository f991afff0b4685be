"""Writing grades into nbgrader's gradebook (grader process only), and backing it up.

Scores go through nbgrader's own `Gradebook` API, field by field as nbgrader's
SaveAutoGrades would write them: `auto_score` per graded cell, with
`needs_manual_grade` set when a human has to look (a hand-graded answer, or a
cell a grader had already overridden), and the "No response." auto-comment
on untouched answer cells. Manual scores already in the gradebook are never
changed. One student's grades are committed in one transaction.

What the grader wrote is kept: `write_record` returns, per graded cell, the
values it wrote and the ones it checked (`WRITTEN` fields), and the grader
stores them in the student's state record (`StudentRecord.written`, under
.autograder/state/). `changes(gradebook, record)` compares that with what
the gradebook holds now, field by field; `grade` runs it over the whole
assignment after every batch (any difference becomes a `gradebook_changed`
incident) and `export` withholds a score that differs. Checked: every grade's
auto_score and max_score, the set of graded cells, and for autograded test
cells also manual_score and extra_credit (a human's override of an autograded
cell after grading is reported too; hand-graded cells' manual scores are the
instructor's and are not checked).

`backup(course)` copies gradebook.db with sqlite's online backup (consistent
even while another process reads it) to gradebook.db.bak-<time> next to it,
keeping the newest KEEP_BACKUPS.
"""

import sqlite3
import warnings
from datetime import datetime

from sqlalchemy.exc import SAWarning

from nbgrader.utils import parse_utc

from autograder.scoring import NO_RESPONSE
from autograder.state import UNGRADABLE

KEEP_BACKUPS = 10


def backup(course):
    """Copy the gradebook to gradebook.db.bak-<UTC time>; return the copy's path (None if no gradebook yet)."""
    path = course.gradebook_path
    if path is None or not path.is_file():
        return None
    stamp = datetime.utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    backups = sorted(path.parent.glob(f"{path.name}.bak-*"))
    for old in backups[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


def submitted_students(gradebook, assignment):
    """Student ids that have a submission of `assignment` in the gradebook."""
    from nbgrader.api import MissingEntry

    try:
        return {submission.student.id for submission in gradebook.find_assignment(assignment).submissions}
    except MissingEntry:
        return set()


#: Fields of a grade the grader records when it writes (all cells; test cells add manual/extra credit).
WRITTEN = ("auto_score", "max_score")
WRITTEN_TEST = ("auto_score", "max_score", "manual_score", "extra_credit")


def write_record(gradebook, record, spec):
    """Store a StudentRecord's scores in an open nbgrader Gradebook (one commit).

    Returns what was written, {notebook: {grade_id: {field: value}}}, for `StudentRecord.written`.
    """
    with warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy warn about its own autoflush order; harmless.
        warnings.simplefilter("ignore", SAWarning)
        _write_record(gradebook, record, spec)
        return read_grades(gradebook, spec.name, record.student, spec.notebooks, _test_cells(record))


def _test_cells(record):
    from autograder.spec import TEST

    return {(cell.notebook, cell.grade_id) for cell in record.cells if cell.kind == TEST}


def _number(value):
    return None if value is None else float(value)


def read_grades(gradebook, assignment, student, notebooks, test_cells):
    """{notebook: {grade_id: {field: value}}} as the gradebook holds them now (WRITTEN / WRITTEN_TEST fields)."""
    from nbgrader.api import MissingEntry

    grades = {}
    for notebook_name in notebooks:
        try:
            submitted = gradebook.find_submission_notebook(notebook_name, assignment, student)
        except MissingEntry:
            continue
        grades[notebook_name] = {
            grade.name: {name: _number(getattr(grade, name))
                         for name in (WRITTEN_TEST if (notebook_name, grade.name) in test_cells else WRITTEN)}
            for grade in submitted.grades}
    return grades


def changes(gradebook, record):
    """How the gradebook differs from what the grader wrote for `record` (sentences; [] when equal).

    A record without `written` (graded before the grader kept it) has nothing to compare with.
    """
    if not record.written:
        return []
    gradebook.db.expire_all()  # read what the database holds now, not the session's copy
    test_cells = {(notebook, grade_id) for notebook, grades in record.written.items()
                  for grade_id, fields in grades.items() if "manual_score" in fields}
    found = read_grades(gradebook, record.assignment, record.student, record.written, test_cells)
    differences = []
    for notebook, grades in sorted(record.written.items()):
        held = found.get(notebook)
        if held is None:
            differences.append(f"{notebook}: the submission is no longer in the gradebook")
            continue
        for grade_id in sorted(set(grades) | set(held)):
            if grade_id not in held:
                differences.append(f"{notebook}/{grade_id}: the grade is missing")
            elif grade_id not in grades:
                differences.append(f"{notebook}/{grade_id}: a grade the grader did not write "
                                   f"(auto score {_shown(held[grade_id]['auto_score'])})")
            else:
                for name, wrote in grades[grade_id].items():
                    now = held[grade_id].get(name)
                    if now == wrote:
                        continue
                    field = f"{notebook}/{grade_id}: {name.replace('_', ' ')} is {_shown(now)}"
                    if name in ("auto_score", "max_score"):
                        differences.append(f"{field}, the grader wrote {_shown(wrote)}")
                    else:  # grading again keeps a manual score: say so, or regrading would accept the change
                        differences.append(f"{field}, it was {_shown(wrote)} when the grader wrote the score "
                                           "(unless you set it yourself, remove it in the formgrader before "
                                           "grading again, which keeps manual scores)")
    return differences


def _shown(value):
    return "empty" if value is None else f"{value:g}"


def _write_record(gradebook, record, spec):
    gradebook.update_or_create_student(record.student)
    timestamp = parse_utc(record.timestamp) if record.timestamp else None
    if timestamp is not None:
        gradebook.update_or_create_submission(spec.name, record.student, timestamp=timestamp)
    else:
        gradebook.update_or_create_submission(spec.name, record.student)
    scores = {(cell.notebook, cell.grade_id): cell for cell in record.cells}
    for notebook_name in spec.notebooks:
        submitted = gradebook.find_submission_notebook(notebook_name, spec.name, record.student)
        for grade in submitted.grades:
            cell = scores.get((notebook_name, grade.name))
            if record.status == UNGRADABLE or cell is None:
                grade.auto_score = 0.0
            else:
                grade.auto_score = cell.points
            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        for comment in submitted.comments:
            cell = scores.get((notebook_name, comment.name))
            unanswered = cell is not None and cell.status == NO_RESPONSE
            comment.auto_comment = "No response." if unanswered else None
    gradebook.db.commit()
