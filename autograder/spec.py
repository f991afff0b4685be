"""What the instructor's version of an assignment says, read once from nbgrader's gradebook.

`AssignmentSpec` is a plain, picklable snapshot of the gradebook's cells for
one assignment: for every cell with nbgrader metadata, its kind, points,
locked flag, checksum and source as nbgrader recorded it at generation time
(test cells *with* their hidden tests; answer cells as the student stub).
Cell order comes from the source notebook. Submissions are matched against
this (autograder.matching) and scored against it (autograder.scoring).

`sync_assignment(course, assignment)` makes sure the course gradebook knows
the assignment, running nbgrader's generate_assignment into a temporary
release folder (the committed release/ is left alone) when the assignment is
missing from the gradebook or its source notebooks changed since last time.
"""

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import CourseError

#: Cell kinds.
TEST, ANSWER, MANUAL, LOCKED, TASK = "test", "answer", "manual", "locked", "task"

_HIDDEN_TESTS = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.MULTILINE | re.DOTALL)


def without_hidden_tests(source):
    """`source` with every ### BEGIN/END HIDDEN TESTS region removed (what students see)."""
    return _HIDDEN_TESTS.sub("", source).rstrip("\n")


@dataclass(frozen=True)
class CellSpec:
    """One nbgrader cell of the instructor's version.

    kind:     TEST (autograded), ANSWER (code the student writes), MANUAL (an answer
              graded by hand, with points), LOCKED (instructions, setup), TASK.
    points:   maximum score for graded cells (TEST, MANUAL, TASK), else None.
    source:   nbgrader's recorded source (tests with hidden tests; answers as stubs).
    """

    grade_id: str
    cell_type: str
    kind: str
    locked: bool
    points: float | None
    source: str
    checksum: str | None

    @property
    def graded(self):
        return self.points is not None

    @property
    def visible_source(self):
        """The source a student sees (hidden tests removed)."""
        return without_hidden_tests(self.source)

    def nbgrader_metadata(self):
        """The cell's nbgrader metadata as the release version carries it."""
        meta = {
            "grade": self.kind in (TEST, MANUAL),
            "grade_id": self.grade_id,
            "locked": self.locked,
            "schema_version": 3,
            "solution": self.kind in (ANSWER, MANUAL),
            "task": self.kind == TASK,
        }
        if self.points is not None:
            meta["points"] = self.points
        return meta


@dataclass(frozen=True)
class NotebookSpec:
    name: str
    cells: tuple
    kernelspec: dict = field(default_factory=dict)

    def cell(self, grade_id):
        for cell in self.cells:
            if cell.grade_id == grade_id:
                return cell
        raise KeyError(grade_id)

    @property
    def graded_cells(self):
        return [cell for cell in self.cells if cell.graded]

    @property
    def max_score(self):
        return sum(cell.points for cell in self.graded_cells)


@dataclass(frozen=True)
class AssignmentSpec:
    name: str
    notebooks: dict
    fingerprint: str

    @property
    def max_score(self):
        return sum(notebook.max_score for notebook in self.notebooks.values())


def _source_order(path):
    """grade_ids of the source notebook in order (empty if it cannot be read)."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - order is a nicety; the gradebook is the truth
        return []
    return [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
            if "grade_id" in cell.get("metadata", {}).get("nbgrader", {})]


def load_spec(course, assignment):
    """The AssignmentSpec of `assignment` from the course gradebook (sync_assignment first)."""
    from nbgrader.api import MissingEntry

    notebooks = {}
    with course.gradebook() as gradebook:
        try:
            record = gradebook.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"assignment {assignment!r} is not in the gradebook") from None
        for notebook in record.notebooks:
            grade = {cell.name: cell for cell in notebook.grade_cells}
            solution = {cell.name for cell in notebook.solution_cells}
            task = {cell.name: cell for cell in notebook.task_cells}
            sources = {cell.name: cell for cell in notebook.source_cells}
            order = _source_order(course.source / assignment / f"{notebook.name}.ipynb")
            names = [name for name in order if name in sources]
            names += [name for name in sources if name not in names]
            cells = []
            for name in names:
                source_cell = sources[name]
                if name in task:
                    kind, points = TASK, float(task[name].max_score)
                elif name in grade and name in solution:
                    kind, points = MANUAL, float(grade[name].max_score)
                elif name in grade:
                    kind, points = TEST, float(grade[name].max_score)
                elif name in solution:
                    kind, points = ANSWER, None
                else:
                    kind, points = LOCKED, None
                cells.append(CellSpec(name, source_cell.cell_type, kind, bool(source_cell.locked), points,
                                      source_cell.source or "", source_cell.checksum))
            kernelspec = json.loads(notebook.kernelspec) if notebook.kernelspec else {}
            notebooks[notebook.name] = NotebookSpec(notebook.name, tuple(cells), kernelspec)
    digest = hashlib.sha256()
    for name in sorted(notebooks):
        for cell in notebooks[name].cells:
            digest.update(json.dumps([name, cell.grade_id, cell.kind, cell.points, cell.checksum]).encode())
    return AssignmentSpec(assignment, notebooks, digest.hexdigest()[:16])


def _source_hash(course, assignment):
    digest = hashlib.sha256()
    folder = course.source / assignment
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def sync_assignment(course, assignment, before_write=None):
    """Make the course gradebook match source/<assignment>/; return True if nbgrader was run.

    Runs nbgrader's generate_assignment (into a temporary release folder) when
    the gradebook lacks the assignment or the source changed since the last sync;
    `before_write()` is called first (the grader backs the gradebook up there).
    """
    from nbgrader.api import MissingEntry

    course.source_notebooks(assignment)
    marker = course.state_root / "sources" / f"{assignment}.sha256"
    current = _source_hash(course, assignment)
    known = False
    with course.gradebook() as gradebook:
        try:
            known = len(gradebook.find_assignment(assignment).notebooks) > 0
        except MissingEntry:
            known = False
    if known and marker.is_file() and marker.read_text().strip() == current:
        return False
    if before_write is not None:
        before_write()
    with tempfile.TemporaryDirectory(prefix="autograder-sync-") as scratch:
        outcome = course.api(release_directory=str(Path(scratch) / "release")).generate_assignment(
            assignment, force=True, create=True)
    if not outcome.get("success"):
        raise CourseError(f"nbgrader could not record {assignment} in the gradebook:\n"
                          f"{outcome.get('log', '')}{outcome.get('error', '')}")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(current + "\n")
    return True
