"""`report`: the class at a glance, as an HTML page with plots and as CSV files.

    python -m autograder report ASSIGNMENT [--out DIR]     # default DIR: build/reports/ASSIGNMENT

Written to DIR:

* report.html: counts per state, the distribution of autograded scores, the
  pass rate of every test cell, the most frequent diagnosed mistakes per
  cell, and incidents by kind; plots are matplotlib PNGs embedded in the page.
* scores.csv: student_id, status, autograded, autograded_max, gradebook_score, incidents, reason.
* cells.csv: notebook, grade_id, description, max_points, graded, passed, pass_rate, mean_points.
* mistakes.csv: grade_id, rank, count, share_of_failures, diagnosis, likely_reason, example.

A diagnosis is the first line of a failed test's AssertionError message (the
check's verdict, e.g. "dW is off by a factor of m = 7: ..."), with numbers
masked so the same mistake on different random inputs is counted together;
other exceptions count as "<Error>: <first line>". Next to each, the most
common "Likely reason:" line of the checks' message (which names the
mistake when the first line only says "matches a typical mistake"). Pass rates and mistakes
are over graded submissions (ungradable ones are counted separately).
"""

import base64
import csv
import html
import io
from collections import Counter

from autograder import progress, state
from autograder.scoring import PASSED, mistake_key
from autograder.spec import TEST, load_spec

TOP_MISTAKES = 5


def summarize(course, assignment):
    """The numbers behind the report: a dict of scores, cells, mistakes, incidents, counts."""
    spec = load_spec(course, assignment)
    records = state.load_all(course, assignment)
    gradebook_scores = {}
    with course.gradebook() as gradebook:
        from nbgrader.api import MissingEntry

        try:
            for submission in gradebook.find_assignment(assignment).submissions:
                gradebook_scores[submission.student.id] = submission.score
        except MissingEntry:
            pass
    graded = [r for r in records.values() if r.status in (state.GRADED, state.GRADED_WITH_INCIDENTS)]
    cells = []
    mistakes = []
    for notebook in spec.notebooks.values():
        for cell in notebook.graded_cells:
            if cell.kind != TEST:
                continue
            results = [c for r in graded for c in r.cells if c.grade_id == cell.grade_id and c.notebook == notebook.name]
            passed = sum(1 for c in results if c.status == PASSED)
            failures = [c for c in results if c.status != PASSED]
            counted = Counter(mistake_key(c.diagnosis) or "(no diagnosis)" for c in failures)
            examples, reasons = {}, {}
            for c in failures:
                key = mistake_key(c.diagnosis) or "(no diagnosis)"
                examples.setdefault(key, c.diagnosis or "")
                reasons.setdefault(key, Counter()).update(_likely_reasons(c.feedback))
            cells.append({
                "notebook": notebook.name, "grade_id": cell.grade_id,
                "description": next((c.description for c in results if c.description), ""),
                "max_points": cell.points, "graded": len(results), "passed": passed,
                "pass_rate": passed / len(results) if results else 0.0,
                "mean_points": sum(c.points or 0 for c in results) / len(results) if results else 0.0,
            })
            for rank, (key, count) in enumerate(counted.most_common(TOP_MISTAKES), start=1):
                reason = reasons[key].most_common(1)
                mistakes.append({"grade_id": cell.grade_id, "rank": rank, "count": count,
                                 "share_of_failures": count / len(failures), "diagnosis": key,
                                 "likely_reason": reason[0][0] if reason else "", "example": examples[key]})
    scores = []
    for student in progress.bar(sorted(records), desc=f"report {assignment}", unit="student"):
        record = records[student]
        scores.append({"student_id": student, "status": record.status, "autograded": record.total,
                       "autograded_max": record.max_total,
                       "gradebook_score": gradebook_scores.get(student, ""),
                       "incidents": len(record.incidents), "reason": (record.reason or "").splitlines()[0]
                       if record.reason else ""})
    incidents = Counter(incident.kind for record in records.values() for incident in record.incidents)
    counts = Counter(record.status for record in records.values())
    auto_max = sum(c.points for n in spec.notebooks.values() for c in n.graded_cells if c.kind == TEST)
    return {"assignment": assignment, "scores": scores, "cells": cells, "mistakes": mistakes,
            "incidents": incidents, "counts": counts, "auto_max": auto_max}


def _likely_reasons(feedback):
    """The 'Likely reason: ...' lines utils.checks puts under a diagnosis (numbers masked)."""
    return [mistake_key(line.split(":", 1)[1]) for line in (feedback or "").splitlines()
            if line.startswith("Likely reason:")]


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plots(summary):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    images = {}
    values = [row["autograded"] for row in summary["scores"] if row["status"] in (state.GRADED, state.GRADED_WITH_INCIDENTS)]
    figure, axes = pyplot.subplots(figsize=(7, 3.2))
    top = summary["auto_max"] or 1
    bins = [x - 0.5 for x in range(0, int(top) + 2)] if float(top).is_integer() and top <= 60 else 20
    axes.hist(values, bins=bins, color="#1565c0", edgecolor="white")
    axes.set_xlabel(f"autograded points (of {top:g})")
    axes.set_ylabel("students")
    axes.set_title("Score distribution")
    images["distribution"] = _png(figure)
    pyplot.close(figure)

    cells = summary["cells"]
    figure, axes = pyplot.subplots(figsize=(7, 0.45 * len(cells) + 1))
    names = [cell["grade_id"] for cell in cells][::-1]
    rates = [100 * cell["pass_rate"] for cell in cells][::-1]
    axes.barh(names, rates, color="#2e7d32")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of graded submissions passing")
    axes.set_title("Pass rate per test cell")
    images["pass_rate"] = _png(figure)
    pyplot.close(figure)
    return images


def _table(rows, columns):
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_show(row[c]))}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _show(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def render_html(summary, images):
    counts = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(summary["counts"].items()))
    mistakes = {}
    for row in summary["mistakes"]:
        mistakes.setdefault(row["grade_id"], []).append(row)
    sections = []
    for cell in summary["cells"]:
        rows = mistakes.get(cell["grade_id"], [])
        listing = _table(rows, ["count", "diagnosis", "likely_reason", "example"]) if rows else "<p>No failures.</p>"
        sections.append(f"<h3><code>{html.escape(cell['grade_id'])}</code>: {100 * cell['pass_rate']:.0f}% pass "
                        f"({cell['passed']}/{cell['graded']})</h3><p>{html.escape(cell['description'])}</p>{listing}")
    incidents = "".join(f"<li>{html.escape(kind)}: {count}</li>" for kind, count in summary["incidents"].most_common())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(summary['assignment'])}: class report</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; margin: .5rem 0 1rem; }} td, th {{ padding: .2rem .6rem; border-bottom: 1px solid #ddd;
text-align: left; vertical-align: top; }}</style></head><body>
<h1>{html.escape(summary['assignment'])}: the class at a glance</h1>
<p>{len(summary['scores'])} submissions: {html.escape(counts) or 'none'}.</p>
<h2>Score distribution</h2><img alt="score distribution" src="data:image/png;base64,{images['distribution']}">
<h2>Pass rate per test cell</h2><img alt="pass rate per test cell" src="data:image/png;base64,{images['pass_rate']}">
{_table(summary['cells'], ['grade_id', 'description', 'max_points', 'graded', 'passed', 'pass_rate', 'mean_points'])}
<h2>Most frequent diagnosed mistakes, per test cell</h2>
{''.join(sections)}
<h2>Incidents</h2><ul>{incidents or '<li>none</li>'}</ul>
</body></html>
"""


def _write_csv(path, rows, columns):
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def write_report(course, assignment, out):
    """Write report.html, scores.csv, cells.csv and mistakes.csv into `out`; return their paths."""
    summary = summarize(course, assignment)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "report.html"
    page.write_text(render_html(summary, _plots(summary)), encoding="utf-8")
    scores, cells, mistakes = out / "scores.csv", out / "cells.csv", out / "mistakes.csv"
    _write_csv(scores, summary["scores"], ["student_id", "status", "autograded", "autograded_max",
                                           "gradebook_score", "incidents", "reason"])
    _write_csv(cells, summary["cells"], ["notebook", "grade_id", "description", "max_points", "graded", "passed",
                                         "pass_rate", "mean_points"])
    _write_csv(mistakes, summary["mistakes"], ["grade_id", "rank", "count", "share_of_failures", "diagnosis",
                                               "likely_reason", "example"])
    return [page, scores, cells, mistakes]
