"""`feedback`: one HTML page per student and notebook, safe to hand out.

    python -m autograder feedback ASSIGNMENT

Writes feedback/<student>/<assignment>/<notebook>.html (nbgrader's layout,
so `nbgrader release_feedback` can distribute it). A page shows, in the
notebook's order: the student's own answer code, and for each test the
points, whether it passed, what it checks (the first line of its
docstring), the visible part of the test, and the diagnosis the checks
printed. A failed test shows its diagnosis first, right under its result:
the AssertionError message (what is wrong, the likely reason, where to
look), then the status lines, then the traceback frames in the student's
own cells; what it checks and the test's text follow. Hand-graded answers show the student's text
with the grader's score and comment from the gradebook. Incidents (a
restored cell, a timeout, a dead kernel) are listed at the top.

Hidden tests never appear: test cells are shown as students received them
(hidden regions removed), and the feedback text comes from
autograder.scoring, which drops traceback frames located in test cells.
Everything a student wrote is HTML-escaped.
"""

from pathlib import Path

import jinja2

from autograder import progress, state
from autograder.notebooks import UnreadableNotebook, read_notebook
from autograder.scoring import FAILED, NO_RESPONSE, NOT_RUN_STATUS, PARTIAL, PASSED, TIMED_OUT
from autograder.spec import ANSWER, MANUAL, TEST, load_spec

_TEMPLATE = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string("""\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ assignment }} / {{ notebook }}: feedback for {{ student }}</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
 pre { background: #f6f8fa; padding: .6rem; overflow-x: auto; white-space: pre-wrap; border-radius: 4px; }
 .cell { border-left: 4px solid #ccc; padding: .2rem 1rem; margin: 1.2rem 0; }
 .passed { border-color: #2e7d32; } .failed, .not_run, .timeout, .missing { border-color: #c62828; }
 .partial { border-color: #ef6c00; } .manual { border-color: #1565c0; }
 .badge { font-weight: bold; } .diagnosis { color: #b71c1c; font-weight: bold; }
 table { border-collapse: collapse; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #ddd; text-align: left; }
</style></head><body>
<h1>{{ assignment }}: {{ notebook }}</h1>
<p>Student <b>{{ student }}</b>. Autograded tests: <b>{{ "%g"|format(auto_points) }} / {{ "%g"|format(auto_max) }}</b>
{% if manual_max %}; graded by hand: <b>{{ manual_text }}</b> / {{ "%g"|format(manual_max) }}{% endif %}.</p>
{% if status_text %}<p class="diagnosis">{{ status_text }}</p>{% endif %}
{% if incidents %}
<h2>Notes from the grader</h2>
<ul>{% for incident in incidents %}<li>{% if incident.cell %}<code>{{ incident.cell }}</code>: {% endif %}{{ incident.message }}</li>{% endfor %}</ul>
{% endif %}
<h2>Summary</h2>
<table><tr><th>cell</th><th>what is checked</th><th>points</th><th>result</th></tr>
{% for item in items if item.graded %}
<tr><td><code>{{ item.grade_id }}</code></td><td>{{ item.description }}</td><td>{{ item.points_text }}</td><td>{{ item.result }}</td></tr>
{% endfor %}</table>
<h2>Your notebook, cell by cell</h2>
{% for item in items %}
<div class="cell {{ item.css }}">
{% if item.kind == "answer" %}
<p><b>Your answer</b> <code>{{ item.grade_id }}</code></p><pre>{{ item.source }}</pre>
{% elif item.kind == "test" %}
<p class="badge">Test <code>{{ item.grade_id }}</code>: {{ item.result }} ({{ item.points_text }} points)</p>
{% if item.diagnosis %}<p class="diagnosis">{{ item.diagnosis }}</p>{% endif %}
{% if item.feedback %}<pre class="feedback">{{ item.feedback }}</pre>{% endif %}
<p>{{ item.description }}</p>
<details><summary>the test as you received it</summary><pre>{{ item.source }}</pre></details>
{% else %}
<p class="badge">Your written answer <code>{{ item.grade_id }}</code>: {{ item.result }} ({{ item.points_text }} points)</p>
<pre>{{ item.source }}</pre>
{% if item.comment %}<p><b>Comment:</b> {{ item.comment }}</p>{% endif %}
{% endif %}
</div>
{% endfor %}
</body></html>
""")

_RESULT = {PASSED: "passed", FAILED: "failed", PARTIAL: "partly right", NOT_RUN_STATUS: "not run",
           TIMED_OUT: "ran out of time", NO_RESPONSE: "no answer", "missing": "missing",
           "needs_manual_grade": "waiting for a grader"}


def _gradebook_view(gradebook, assignment, student, notebook):
    """{grade_id: (score, max_score, scored?)} and {grade_id: comment} from an open Gradebook.

    scored? is False for a cell nobody has scored yet (a written answer before the hand
    grading): nbgrader then reports its score as 0, which is not a grade.
    """
    from nbgrader.api import MissingEntry

    scores, comments = {}, {}
    try:
        submitted = gradebook.find_submission_notebook(notebook, assignment, student)
    except MissingEntry:
        return scores, comments
    for grade in submitted.grades:
        scored = grade.manual_score is not None or grade.auto_score is not None
        scores[grade.name] = (grade.score, grade.max_score, scored)
    for comment in submitted.comments:
        if comment.comment:
            comments[comment.name] = comment.comment
    return scores, comments


def _without_repeated_diagnosis(feedback, diagnosis):
    """The feedback text without its first line when that line only repeats the diagnosis shown above it."""
    first, _, rest = (feedback or "").partition("\n")
    if diagnosis and first.strip() in (diagnosis, f"AssertionError: {diagnosis}"):
        return rest
    return feedback


def _items(notebook_spec, record, executed, scores, comments):
    by_id = {cell.grade_id: cell for cell in record.cells if cell.notebook == notebook_spec.name}
    executed_cells = {}
    if executed is not None:
        for cell in executed.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id:
                executed_cells[grade_id] = cell
    items = []
    for spec_cell in notebook_spec.cells:
        if spec_cell.kind not in (ANSWER, TEST, MANUAL):
            continue
        score = by_id.get(spec_cell.grade_id)
        item = {"grade_id": spec_cell.grade_id, "kind": "answer" if spec_cell.kind == ANSWER else
                ("test" if spec_cell.kind == TEST else "manual"), "graded": spec_cell.graded}
        cell = executed_cells.get(spec_cell.grade_id)
        if spec_cell.kind == ANSWER:
            item.update(source=cell.source if cell is not None else "(missing)", css="")
            items.append(item)
            continue
        points, max_points, scored = scores.get(spec_cell.grade_id,
                                                 (score.points if score else None, spec_cell.points, True))
        status = score.status if score else "missing"
        if spec_cell.kind == MANUAL and not scored:
            points, status = None, "needs_manual_grade"  # "? / 4, waiting for a grader", not "0 / 4"
        if spec_cell.kind == MANUAL and points is not None and status == "needs_manual_grade":
            status = PASSED if points >= max_points else PARTIAL
        diagnosis = score.diagnosis if score and status != PASSED else None
        item.update(
            description=score.description if score else "",
            points_text=f"{points:g} / {max_points:g}" if points is not None else f"? / {max_points:g}",
            result=_RESULT.get(status, status),
            css={"needs_manual_grade": "manual", NO_RESPONSE: "failed"}.get(status, status),
            diagnosis=diagnosis,
            feedback=_without_repeated_diagnosis(score.feedback if score else "", diagnosis),
            comment=comments.get(spec_cell.grade_id),
        )
        if spec_cell.kind == TEST:
            item["source"] = spec_cell.visible_source
        else:
            item["source"] = cell.source if cell is not None else "(missing)"
        items.append(item)
    return items


def render(course, spec, record, notebook_name, gradebook):
    """The feedback page (HTML text) of one student's notebook (`gradebook`: an open nbgrader Gradebook)."""
    notebook_spec = spec.notebooks[notebook_name]
    path = course.autograded_folder(record.student, spec.name) / f"{notebook_name}.ipynb"
    try:
        executed = read_notebook(path) if path.is_file() else None
    except UnreadableNotebook:
        executed = None
    scores, comments = _gradebook_view(gradebook, spec.name, record.student, notebook_name)
    items = _items(notebook_spec, record, executed, scores, comments)
    auto = [cell for cell in record.cells if cell.notebook == notebook_name and cell.kind == TEST]
    manual = [cell for cell in notebook_spec.graded_cells if cell.kind != TEST]
    manual_points = [scores[cell.grade_id][0] if cell.grade_id in scores and scores[cell.grade_id][2] else None
                     for cell in manual]
    manual_text = ("%g" % sum(p for p in manual_points if p is not None)
                   if manual_points and all(p is not None for p in manual_points) else "not graded yet")
    status_text = None
    if record.status == state.UNGRADABLE:
        status_text = f"This submission could not be graded: {record.reason}"
    elif record.status == state.FAILED:
        status_text = "Grading of this submission did not finish; it will be graded again."
    return _TEMPLATE.render(
        assignment=spec.name, notebook=notebook_name, student=record.student,
        auto_points=sum(cell.points or 0 for cell in auto), auto_max=sum(cell.max_points for cell in auto),
        manual_max=sum(cell.points for cell in manual), manual_text=manual_text,
        status_text=status_text,
        incidents=[incident for incident in record.incidents if incident.notebook in (None, notebook_name)],
        items=items,
    )


def generate(course, assignment, students=None):
    """Write the feedback pages of every graded student (or of `students`); return their paths."""
    spec = load_spec(course, assignment)
    records = state.load_all(course, assignment)
    chosen = [records[s] for s in sorted(records) if students is None or s in set(students)]
    written = []
    with course.gradebook() as gradebook:
        for record in progress.bar(chosen, desc=f"feedback {assignment}", unit="student"):
            folder = course.feedback_folder(record.student, assignment)
            for notebook_name in spec.notebooks:
                page = render(course, spec, record, notebook_name, gradebook)
                target = Path(folder) / f"{notebook_name}.html"
                state.atomic_write_text(target, page)
                written.append(target)
    return written
