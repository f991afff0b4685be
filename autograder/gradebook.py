"""Writing grades into nbgrader's gradebook (grader process only), and backing it up.

Scores go through nbgrader's own `Gradebook` API, field by field as nbgrader's
SaveAutoGrades would write them: `auto_score` per graded cell, with
`needs_manual_grade` set when a human has to look (a hand-graded answer, or a
cell a grader had already overridden), and the "No response." auto-comment
on untouched answer cells. Manual scores already in the gradebook are never
changed. One student's grades are committed in one transaction.

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


def write_record(gradebook, record, spec):
    """Store a StudentRecord's scores in an open nbgrader Gradebook (one commit)."""
    with warnings.catch_warnings():
        # nbgrader's add_submission makes SQLAlchemy warn about its own autoflush order; harmless.
        warnings.simplefilter("ignore", SAWarning)
        _write_record(gradebook, record, spec)


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
