"""The recorded outcome of grading one submission, stored atomically per student.

Every submission ends in one of these states, written to
`.autograder/state/<assignment>/<student>.json` in the course root:

* GRADED: every notebook ran and was scored;
* GRADED_WITH_INCIDENTS: scored, and something is worth knowing (a cell
  restored, a test cell edited, a timeout, a kernel that died part way: see
  `incidents`, each naming its cell);
* UNGRADABLE: nothing could be run (e.g. no notebook is readable); `reason`
  says why, and the gradebook holds 0 for it;
* FAILED: the grader itself could not finish (e.g. no kernel would start);
  not final: the next `grade` run retries it.

The file is written last, after the autograded notebook and the gradebook,
with write-to-temporary + fsync + rename, so a record exists only for a
submission whose grading completed. `grade` skips a student whose record is
final and whose submission (`fingerprint`) and assignment (`spec_fingerprint`)
are unchanged.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.incidents import GRADER_PROBLEMS, Incident
from autograder.scoring import CellScore, MANUAL_STATUS, NO_RESPONSE
from autograder.spec import TEST

GRADED, GRADED_WITH_INCIDENTS, UNGRADABLE, FAILED = "graded", "graded_with_incidents", "ungradable", "failed"
FINAL = (GRADED, GRADED_WITH_INCIDENTS, UNGRADABLE)


@dataclass
class StudentRecord:
    """The grading outcome of one student's submission of one assignment.

    cells:   CellScores of every graded cell (autograded tests and hand-graded cells).
    scores:  {grade_id: (points, max_points)} of the autograded test cells.
    total, max_total: sums over `scores` (hand-graded cells are in the gradebook, not here).
    feedback: {grade_id: text} for the autograded test cells.
    written: the values the grader wrote to the gradebook (autograder.gradebook.write_record), so that
             `grade` and `export` can tell when the gradebook was changed behind its back.
    """

    student: str
    assignment: str
    status: str
    reason: str | None = None
    incidents: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    fingerprint: str = ""
    spec_fingerprint: str = ""
    timestamp: str | None = None
    graded_at: str = ""
    seconds: float = 0.0
    launcher: str = ""
    written: dict = field(default_factory=dict)  # what the grader wrote: {notebook: {grade_id: {field: value}}}

    @property
    def final(self):
        return self.status in FINAL

    @property
    def scores(self):
        return {cell.grade_id: (cell.points or 0.0, cell.max_points) for cell in self.cells if cell.kind == TEST}

    @property
    def feedback(self):
        return {cell.grade_id: cell.feedback for cell in self.cells if cell.kind == TEST}

    @property
    def diagnoses(self):
        return {cell.grade_id: cell.diagnosis for cell in self.cells if cell.kind == TEST and cell.diagnosis}

    @property
    def total(self):
        """Points of the autograded test cells."""
        return sum(points for points, _ in self.scores.values())

    @property
    def max_total(self):
        """Maximum points of the autograded test cells (hand-graded cells are not included)."""
        return sum(max_points for _, max_points in self.scores.values())

    @property
    def hand_graded_max(self):
        """Maximum points of the cells a human grades."""
        return sum(cell.max_points for cell in self.cells if cell.kind != TEST)

    @property
    def failed(self):
        """grade_ids of autograded cells without full points."""
        return {grade_id for grade_id, (points, max_points) in self.scores.items() if points < max_points}

    @property
    def problems(self):
        """What went wrong in the grading itself, not in the submission (should be empty)."""
        found = [str(incident) for incident in self.incidents if incident.kind in GRADER_PROBLEMS]
        if self.status == FAILED and self.reason:
            found.insert(0, self.reason)
        return found

    @property
    def needs_manual_grading(self):
        return [cell.grade_id for cell in self.cells if cell.status in (MANUAL_STATUS,)]

    @property
    def unanswered(self):
        return [cell.grade_id for cell in self.cells if cell.status == NO_RESPONSE]

    def to_json(self):
        data = dict(self.__dict__)
        data["incidents"] = [incident.to_json() for incident in self.incidents]
        data["cells"] = [cell.to_json() for cell in self.cells]
        return data

    @classmethod
    def from_json(cls, data):
        data = dict(data)
        data["incidents"] = [Incident.from_json(item) for item in data.get("incidents", [])]
        data["cells"] = [CellScore.from_json(item) for item in data.get("cells", [])]
        return cls(**data)


def state_folder(course, assignment):
    return course.state_root / "state" / assignment


def record_path(course, assignment, student):
    return state_folder(course, assignment) / f"{student}.json"


def atomic_write_bytes(path, data):
    """Write `data` to `path` so that a reader sees the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text):
    atomic_write_bytes(path, text.encode("utf-8"))


def save(course, record):
    atomic_write_text(record_path(course, record.assignment, record.student),
                      json.dumps(record.to_json(), indent=1, sort_keys=True) + "\n")


def load(course, assignment, student):
    """The StudentRecord of `student`, or None."""
    path = record_path(course, assignment, student)
    try:
        return StudentRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError):
        return None  # an unreadable record is as good as none: the submission is graded again


def load_all(course, assignment):
    """{student: StudentRecord} of every recorded submission of `assignment`."""
    folder = state_folder(course, assignment)
    records = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            record = load(course, assignment, path.stem)
            if record is not None:
                records[record.student] = record
    return records


def fingerprint(folder):
    """A hash of every file in a submission folder (names and bytes)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]
