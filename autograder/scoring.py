"""Scores and diagnoses from an executed notebook; runs in the grader process only.

A test cell scores by nbgrader's own rule (`nbgrader.utils.determine_grade`:
an error output scores 0, a numeric last value is partial credit, otherwise
full marks) with one change for fairness: output on stderr does not fail a
cell. Stock nbgrader fails any test cell that writes to stderr, so a correct
answer that triggers `warnings.warn` or a deprecation message would lose its
points; here only an error (an exception) does. A cell that never ran
(the kernel died or the time ran out before it) scores 0.

The diagnosis of a failed test is the first line of its AssertionError
message (utils.checks puts the most likely mistake there), the failing line
of a bare `assert`, or "<Error>: <first line>" for other exceptions. The
feedback text starts with the error message (the diagnosis, its likely
reason and where to look), then the cell's printed output, then the
traceback frames that lie in the student's own cells: frames in test cells
(which could show hidden tests) and in library files are left out.
"""

import re
from dataclasses import asdict, dataclass

from nbformat import NotebookNode
from nbgrader.utils import compute_checksum, determine_grade

from autograder.executor import DIED, NOT_RUN, TIMEOUT
from autograder.spec import ANSWER, MANUAL, TASK, TEST

PASSED, FAILED, PARTIAL, NOT_RUN_STATUS, TIMED_OUT, MANUAL_STATUS, NO_RESPONSE, MISSING = (
    "passed", "failed", "partial", "not_run", "timeout", "needs_manual_grade", "no_response", "missing")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"^\s*Cell In\s*\[(\d+)\]")
_MARKED_LINE = re.compile(r"^-+> *\d+ (.*)$", re.M)
_BARE_ASSERT = re.compile(r"^an `assert` without a message failed[^(]*\(Cell In\[(\d+)\]")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass
class CellScore:
    """The result of one graded cell for one submission.

    kind:        TEST (autograded), MANUAL or TASK (graded by hand).
    points:      the autograder's score (None: waits for a human).
    status:      PASSED, FAILED, PARTIAL, NOT_RUN_STATUS, TIMED_OUT, MANUAL_STATUS, NO_RESPONSE, MISSING.
    description: first line of the test's docstring (what is tested).
    diagnosis:   first line of the error message, or None.
    feedback:    printed output, error message and the student's own traceback frames.
    """

    notebook: str
    grade_id: str
    kind: str
    points: float | None
    max_points: float
    status: str
    description: str = ""
    diagnosis: str | None = None
    feedback: str = ""

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)


def strip_ansi(text):
    return _ANSI.sub("", text)


def mistake_key(diagnosis):
    """A diagnosis with its numbers masked, so the same mistake groups across random inputs."""
    return _NUMBER.sub("#", diagnosis).strip() if diagnosis else diagnosis


def describe(source):
    """The first line of a test cell's docstring (or of its source)."""
    for line in source.splitlines():
        line = line.strip()
        if line:
            return line.strip('"\'').strip() or line
    return ""


def _error(cell):
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output
    return None


def _failing_line(error, student_counts):
    """The line IPython's own traceback marks (`----> 9 assert ...`) when its last frame is the student's."""
    frames = [strip_ansi(entry) for entry in error.get("traceback", []) or [] if _CELL_FRAME.match(strip_ansi(entry))]
    if not frames or int(_CELL_FRAME.match(frames[-1]).group(1)) not in student_counts:
        return None
    marked = _MARKED_LINE.findall(frames[-1])
    return marked[-1].strip() if marked else None


def error_message(error, student_counts=()):
    """The error's message as a student may see it (ANSI removed).

    utils.testing's display names a bare `assert` by its line; when that line
    lies in a test cell (not one of `student_counts`), it could be hidden test
    code, so only "an `assert` in the test failed" is kept.
    """
    message = strip_ansi(error.get("evalue", "") or "")
    bare = _BARE_ASSERT.match(message)
    if bare and int(bare.group(1)) not in student_counts:
        return "an `assert` in the test failed (it has no message)"
    if error.get("ename") == "AssertionError" and message.strip() in ("", "(no message)"):
        line = _failing_line(error, student_counts)
        return f"an `assert` without a message failed: {line}" if line else "(no message)"
    return message


def diagnosis_of(error, student_counts=()):
    """First line of the message of an error output: the check's diagnosis.

    A bare `assert` (no message) in the student's own code is named by the
    line that failed.
    """
    if error is None:
        return None
    message = error_message(error, student_counts)
    first = next((line.strip() for line in message.splitlines() if line.strip()), "")
    name = error.get("ename", "Error")
    if name == "AssertionError":
        return "AssertionError (no message)" if first in ("", "(no message)") else first
    return f"{name}: {first}" if first else name


def _student_frames(error, student_counts):
    """Traceback frames located in the student's own cells (execution counts in `student_counts`).

    Works on IPython's own tracebacks and on utils.testing's diagnosis-first
    ones (one entry per frame, each starting "Cell In[N], line ...").
    """
    kept = []
    for entry in error.get("traceback", []):
        text = strip_ansi(entry)
        match = _CELL_FRAME.match(text)
        if match and int(match.group(1)) in student_counts:
            kept.append(text.rstrip())
    return kept


def feedback_text(cell, student_counts):
    """What a student may see about a test cell's run, the diagnosis first.

    The error's message (what is wrong, the likely reason, where to look),
    then the printed output (the checks' one line per tensor), then the
    traceback frames in the student's own cells.
    """
    parts = []
    error = _error(cell)
    if error is not None:
        message = error_message(error, student_counts)
        parts.append(f"{error.get('ename', 'Error')}: {message}".rstrip())
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(strip_ansi(output.get("text", "")).rstrip("\n"))
        elif kind in ("execute_result", "display_data") and "text/plain" in output.get("data", {}):
            parts.append(strip_ansi(output["data"]["text/plain"]))
    if error is not None:
        frames = _student_frames(error, student_counts)
        if frames:
            parts.append("In your code:\n" + "\n".join(frames))
    return "\n".join(part for part in parts if part)


def _without_stderr(cell):
    clean = NotebookNode(dict(cell))
    clean["outputs"] = [output for output in cell.get("outputs", [])
                        if not (output.get("output_type") == "stream" and output.get("name") == "stderr")]
    return clean


def _student_counts(notebook, spec):
    """Execution counts of cells the student wrote (answer cells and ordinary cells)."""
    locked = {cell.grade_id for cell in spec.cells if cell.kind not in (ANSWER,)}
    counts = set()
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and cell.get("execution_count") and grade_id not in locked:
            counts.add(cell.execution_count)
    return counts


def score_notebook(result, spec):
    """CellScores of every graded cell of NotebookSpec `spec` from an executor.ExecutionResult."""
    notebook = result.notebook
    index_of = {}
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            index_of[grade_id] = index
    student_counts = _student_counts(notebook, spec)
    scores = []
    for spec_cell in spec.graded_cells:
        what = describe(spec_cell.visible_source) if spec_cell.kind == TEST else "written answer, graded by hand"
        base = dict(notebook=spec.name, grade_id=spec_cell.grade_id, kind=spec_cell.kind,
                    max_points=spec_cell.points, description=what)
        index = index_of.get(spec_cell.grade_id)
        if index is None:
            scores.append(CellScore(points=0.0, status=MISSING, diagnosis="the cell is missing", **base))
            continue
        cell = notebook.cells[index]
        if spec_cell.kind in (MANUAL, TASK):
            points, _ = determine_grade(cell) if spec_cell.kind == MANUAL else (None, None)
            no_response = spec_cell.kind == MANUAL and "checksum" in cell.metadata.nbgrader and \
                cell.metadata.nbgrader["checksum"] == compute_checksum(cell)
            scores.append(CellScore(points=points, status=NO_RESPONSE if no_response else MANUAL_STATUS, **base))
            continue
        run = result.status(index)
        if run in (NOT_RUN, DIED):
            why = ("not run: the kernel died in this cell" if run == DIED
                   else "not run: the kernel died or the time ran out in an earlier cell")
            scores.append(CellScore(points=0.0, status=NOT_RUN_STATUS, diagnosis=why,
                                    feedback=feedback_text(cell, student_counts), **base))
            continue
        if run == TIMEOUT:
            scores.append(CellScore(points=0.0, status=TIMED_OUT, diagnosis="the test ran out of time",
                                    feedback=feedback_text(cell, student_counts), **base))
            continue
        try:
            points, max_points = determine_grade(_without_stderr(cell))
        except ValueError:
            # nbgrader reads a numeric last value as partial credit and refuses one above the
            # maximum; the cell raised no error, so it passed (autograder.matching never lets
            # a student edit a test cell, so the value is the instructor's).
            points, max_points = spec_cell.points, spec_cell.points
        points = float(points) if points is not None else 0.0
        status = PASSED if points >= max_points else (PARTIAL if points > 0 else FAILED)
        scores.append(CellScore(points=points, status=status,
                                diagnosis=None if status == PASSED else diagnosis_of(_error(cell), student_counts),
                                feedback=feedback_text(cell, student_counts), **base))
    return scores


def missing_notebook_scores(spec, reason):
    """Scores of a notebook that was not submitted or could not be read: 0 everywhere."""
    return [CellScore(notebook=spec.name, grade_id=cell.grade_id, kind=cell.kind, points=0.0,
                      max_points=cell.points, status=MISSING,
                      description=describe(cell.visible_source) if cell.kind == TEST else "written answer",
                      diagnosis=reason) for cell in spec.graded_cells]

