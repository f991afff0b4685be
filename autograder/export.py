"""`export`: the grades of the whole course as one CSV file, ready for an LMS upload.

    python -m autograder export --to grades.csv

Columns: student_id, name, one column per assignment (in name order), total,
reason. A score is nbgrader's own (`SubmittedAssignment.score`: autograded
points plus hand grading, with manual overrides). A student who has no
submission of an assignment, or whose submission was ungradable, gets 0 for
it; the `reason` column then says why for every such assignment
("01_logistic_regression: ungradable: ...", "... : not graded yet: ...",
"...: the collected file was rejected: ..."), and is empty otherwise.
Students are every student in the gradebook plus anyone `collect` saw.

A score is exported only if the gradebook still holds what the grader wrote
(the student's state record keeps it; autograder.gradebook.changes). A score
changed behind the grader's back (by hand in the database, or by a process a
submission started while grading ran with the sandbox off) is WITHHELD: the
cell and the student's total are left empty, the reason column says what
differs, `export_checked` returns it, and `python -m autograder export`
names it on stderr and exits with status 1.
"""

import csv

from autograder import collect, state
from autograder import gradebook as gradebook_store


def _number(value):
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def export_rows(course):
    """(header, rows) of the export table."""
    header, rows, _withheld = _table(course)
    return header, rows


def _table(course):
    """(header, rows, withheld): withheld is {(student, assignment): [difference, ...]}."""
    withheld = {}
    with course.gradebook() as gradebook:
        assignments = sorted(assignment.name for assignment in gradebook.assignments)
        names = {}
        for student in gradebook.students:
            full = " ".join(part for part in (student.first_name, student.last_name) if part)
            names[student.id] = full
        scores = {}
        for assignment in assignments:
            for submission in gradebook.find_assignment(assignment).submissions:
                scores[(submission.student.id, assignment)] = submission.score
        records = {assignment: state.load_all(course, assignment) for assignment in assignments}
        for assignment in assignments:
            for student, record in records[assignment].items():
                if record.final and (student, assignment) in scores:
                    differences = gradebook_store.changes(gradebook, record)
                    if differences:
                        withheld[(student, assignment)] = differences
    rejected = {assignment: collect.rejected_files(course, assignment) for assignment in assignments}
    for assignment in assignments:
        for student, display in collect.collected_names(course, assignment).items():
            if not names.get(student):
                names[student] = display if display != student else ""
        for student in rejected[assignment]:
            names.setdefault(student, "")
    header = ["student_id", "name", *assignments, "total", "reason"]
    rows = []
    for student in sorted(names):
        row, total, reasons = [student, names[student]], 0.0, []
        for assignment in assignments:
            record = records[assignment].get(student)
            score = scores.get((student, assignment), 0.0)
            if (student, assignment) in withheld:
                row.append("")
                total = None
                reasons.append(f"{assignment}: WITHHELD, the gradebook was changed after grading: "
                               + "; ".join(withheld[(student, assignment)]))
                continue
            if record is not None and record.status == state.UNGRADABLE:
                score = 0.0
                reasons.append(f"{assignment}: ungradable: {record.reason}")
            elif record is not None and record.status == state.FAILED:
                reasons.append(f"{assignment}: not graded yet: {(record.reason or '').splitlines()[0]}")
            elif (student, assignment) not in scores and student in rejected[assignment]:
                files = "; ".join(f"{name} ({why})" for name, why in rejected[assignment][student])
                reasons.append(f"{assignment}: the collected file was rejected: {files}")
            row.append(_number(score))
            if total is not None:
                total += score
        row += ["" if total is None else _number(total), " | ".join(reasons)]
        rows.append(row)
    return header, rows, withheld


def export_checked(course, path):
    """Write the export CSV to `path`; return (number of students, {(student, assignment): differences})."""
    header, rows, withheld = _table(course)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows), withheld


def export(course, path):
    """Write the export CSV to `path`; return the number of students (withheld scores are left empty)."""
    return export_checked(course, path)[0]
