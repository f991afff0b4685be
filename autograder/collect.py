"""`collect`: bring submissions into nbgrader's submitted/<student>/<assignment>/ layout.

    python -m autograder collect ASSIGNMENT PATH

PATH is a zip file or a folder. Every file in it is classified by its path
(relative to PATH or inside the zip) with these patterns, first match wins:

Student folders (any source of submissions, e.g. a shared drive)
    <student_id>/<file>.ipynb
    <student_id>/<ASSIGNMENT>/<file>.ipynb
    student_id: letters, digits, '.', '_', '@', '-' (not starting with '.').
    Submission time: the file's modification time.

Canvas ("Download Submissions", a flat zip)
    <name>_<user_id>_<submission_id>_<file>
    <name>_late_<user_id>_<submission_id>_<file>         (submitted after the due date)
    <file> may carry Canvas's resubmission suffix: ps1-1.ipynb, ps1-2.ipynb
    (the highest number is the latest). Student id: the Canvas user id.
    e.g. doejane_late_48213_1093822_01_logistic_regression-2.ipynb

Moodle ("Download all submissions")
    <Full Name>_<participant_id>_assignsubmission_file_/<file>    (one folder per student)
    <Full Name>_<participant_id>_assignsubmission_file_<file>     (flat, "download in folders" off)
    Student id: the participant id (what Moodle's grading worksheet uses).
    Online-text submissions (assignsubmission_onlinetext_) are skipped with a note.
    Submission time (Canvas and Moodle): the zip entry's time, taken as UTC.

Which notebook a file is: its name without the Canvas suffix if the assignment
has a notebook of that name; otherwise, if the assignment has a single
notebook, that one (a renamed file, e.g. "Copy of ps1.ipynb", noted);
otherwise the closest notebook name (fuzzy ratio >= 80); otherwise skipped.

Rules: anything that matches no pattern, is not a notebook, does not parse
as one (the message names the position), or is larger than MAX_FILE_BYTES is
reported by name and skipped. When a student has several files for the same
notebook, the latest (time, then resubmission number, then submission id)
wins and the others are reported. A file already in submitted/ is never
overwritten silently: an identical file is left alone, an older incoming file
is skipped with a warning, and a newer one replaces it with a warning after
the old file is moved to .autograder/replaced/<assignment>/<student>/<time>/.
What happened is also logged to .autograder/collect/<assignment>.json (the
export reads the reasons of rejected files from there).
"""

import json
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from rapidfuzz import fuzz

from autograder import progress
from autograder.notebooks import UnreadableNotebook, parse_notebook
from autograder.state import atomic_write_bytes, atomic_write_text

MAX_FILE_BYTES = 50 * 2**20
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"

STUDENT_ID = re.compile(r"^[A-Za-z0-9_@-][A-Za-z0-9._@-]*$")
CANVAS = re.compile(r"^(?P<name>[^_/]+)_(?:(?P<late>late)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.IGNORECASE)
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$")
RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<attempt>\d+)$")
#: Files that archivers add; skipped without a report line.
JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|\.ipynb_checkpoints/)")


@dataclass
class Entry:
    """One file of the download: its path, its bytes (read on demand) and its time."""

    path: str
    size: int
    modified: datetime
    read: object


@dataclass
class Candidate:
    """A file recognised as a student's notebook."""

    entry: Entry
    student: str
    name: str
    source: str          # "folder", "canvas" or "moodle"
    filename: str
    attempt: int = 0
    submission: int = 0
    late: bool = False
    notebook: str | None = None
    note: str | None = None


@dataclass
class CollectReport:
    collected: dict = field(default_factory=dict)     # student -> [notebook file names]
    replaced: list = field(default_factory=list)      # warnings: earlier submissions replaced
    kept: list = field(default_factory=list)          # warnings: incoming file older than the collected one
    unchanged: list = field(default_factory=list)
    problems: list = field(default_factory=list)      # (path, reason) of files skipped
    notes: list = field(default_factory=list)

    def summary(self):
        lines = [f"collected {sum(len(v) for v in self.collected.values())} notebooks of "
                 f"{len(self.collected)} students"]
        if self.unchanged:
            lines.append(f"{len(self.unchanged)} already collected and unchanged")
        lines += [f"warning: {text}" for text in self.replaced + self.kept]
        lines += [f"note: {text}" for text in self.notes]
        if self.problems:
            lines.append(f"skipped {len(self.problems)} files:")
            lines += [f"  {path}: {reason}" for path, reason in self.problems]
        return "\n".join(lines)


def _entries_from_zip(path):
    archive = zipfile.ZipFile(path)
    entries = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        try:
            modified = datetime(*info.date_time, tzinfo=timezone.utc)
        except ValueError:
            modified = datetime.now(timezone.utc)
        entries.append(Entry(info.filename, info.file_size, modified,
                             lambda info=info: archive.read(info)))
    return entries


def _entries_from_folder(folder):
    entries = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            full = Path(root) / name
            if full.is_symlink():
                entries.append(Entry(full.relative_to(folder).as_posix(), 0, datetime.now(timezone.utc), None))
                continue
            stat = full.stat()
            entries.append(Entry(full.relative_to(folder).as_posix(), stat.st_size,
                                 datetime.fromtimestamp(stat.st_mtime, timezone.utc),
                                 lambda full=full: full.read_bytes()))
    return sorted(entries, key=lambda entry: entry.path)


def classify(path, assignment):
    """(Candidate fields, None) for a path that matches a pattern, or (None, reason)."""
    parts = PurePosixPath(path).parts
    if any(part in ("..", "") for part in parts) or PurePosixPath(path).is_absolute():
        return None, "unsafe path"
    top = parts[0]
    moodle = MOODLE.match(top)
    if moodle:
        if moodle.group("plugin") != "file":
            return None, f"Moodle {moodle.group('plugin')} submission, not a file"
        filename = parts[-1] if len(parts) > 1 else moodle.group("file")
        if not filename:
            return None, "Moodle entry without a file name"
        return dict(student=moodle.group("user"), name=moodle.group("name"), source="moodle",
                    filename=filename), None
    if len(parts) == 1:
        canvas = CANVAS.match(top)
        if canvas:
            return dict(student=canvas.group("user"), name=canvas.group("name"), source="canvas",
                        filename=canvas.group("file"), submission=int(canvas.group("submission")),
                        late=bool(canvas.group("late"))), None
        return None, "matches no pattern (student folder, Canvas or Moodle)"
    if len(parts) == 2 or (len(parts) == 3 and parts[1] == assignment):
        if not STUDENT_ID.match(top):
            return None, f"folder name {top!r} is not a usable student id"
        return dict(student=top, name=top, source="folder", filename=parts[-1]), None
    return None, "matches no pattern (too deep for a student folder)"


def _match_notebook(filename, notebooks):
    """(notebook name, attempt, note) for a submitted file name, or (None, 0, reason)."""
    stem, suffix = os.path.splitext(filename)
    if suffix.lower() != ".ipynb":
        return None, 0, "not a notebook (.ipynb)"
    attempt = 0
    resubmission = RESUBMISSION.match(stem)
    if stem not in notebooks and resubmission and resubmission.group("stem") in notebooks:
        stem, attempt = resubmission.group("stem"), int(resubmission.group("attempt"))
    if stem in notebooks:
        return stem, attempt, None
    if resubmission:
        attempt = int(resubmission.group("attempt"))
    if len(notebooks) == 1:
        return notebooks[0], attempt, f"{filename} taken as {notebooks[0]}.ipynb (the assignment's only notebook)"
    scored = sorted((fuzz.ratio(stem, name), name) for name in notebooks)
    if scored and scored[-1][0] >= 80:
        return scored[-1][1], attempt, f"{filename} taken as {scored[-1][1]}.ipynb (closest name)"
    return None, 0, f"no notebook of this assignment is called like it ({', '.join(notebooks)})"


def _stamp(moment):
    return moment.astimezone(timezone.utc).strftime(TIMESTAMP_FORMAT)


def _existing_time(folder):
    from nbgrader.utils import parse_utc

    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (FileNotFoundError, ValueError, TypeError):
        return None


def collect(course, assignment, path):
    """Copy the submissions found at `path` (zip or folder) into submitted/; return a CollectReport."""
    path = Path(path)
    notebooks = course.notebook_names(assignment)
    report = CollectReport()
    if zipfile.is_zipfile(path):
        entries = _entries_from_zip(path)
    elif path.is_dir():
        entries = _entries_from_folder(path)
    else:
        raise FileNotFoundError(f"{path} is neither a zip file nor a folder")

    candidates = []
    for entry in entries:
        if JUNK.search(entry.path):
            continue
        fields, reason = classify(entry.path, assignment)
        if fields is None:
            report.problems.append((entry.path, reason))
            continue
        if entry.read is None:
            report.problems.append((entry.path, "a symbolic link"))
            continue
        notebook, attempt, note = _match_notebook(fields["filename"], notebooks)
        if notebook is None:
            report.problems.append((entry.path, note))
            continue
        if entry.size > MAX_FILE_BYTES:
            report.problems.append((entry.path, f"too large ({entry.size / 2**20:.0f} MB > "
                                    f"{MAX_FILE_BYTES / 2**20:.0f} MB)"))
            continue
        candidate = Candidate(entry, attempt=attempt, notebook=notebook, note=note, **fields)
        candidates.append(candidate)

    # the latest file per (student, notebook)
    chosen = {}
    for candidate in candidates:
        key = (candidate.student, candidate.notebook)
        order = (candidate.entry.modified, candidate.attempt, candidate.submission)
        previous = chosen.get(key)
        if previous is None:
            chosen[key] = candidate
            continue
        previous_order = (previous.entry.modified, previous.attempt, previous.submission)
        newer, older = (candidate, previous) if order >= previous_order else (previous, candidate)
        chosen[key] = newer
        report.replaced.append(f"{older.entry.path} replaced by the later {newer.entry.path} "
                               f"(student {candidate.student})")

    log = _load_log(course, assignment)
    now = datetime.now(timezone.utc)
    for (student, notebook), candidate in progress.bar(sorted(chosen.items()), desc=f"collect {assignment}",
                                                       unit="file"):
        data = candidate.entry.read()
        try:
            parse_notebook(data)
        except UnreadableNotebook as error:
            report.problems.append((candidate.entry.path, str(error)))
            log["rejected"].setdefault(student, []).append({"file": candidate.entry.path, "reason": str(error)})
            continue
        if candidate.note:
            report.notes.append(f"{candidate.entry.path}: {candidate.note}")
        folder = course.submission_folder(student, assignment)
        target = folder / f"{notebook}.ipynb"
        incoming_time = candidate.entry.modified
        if target.is_file():
            if target.read_bytes() == data:
                report.unchanged.append(candidate.entry.path)
                continue
            existing_time = _existing_time(folder)
            if existing_time is not None and existing_time.replace(tzinfo=timezone.utc) > incoming_time:
                report.kept.append(f"{candidate.entry.path} is older than the submission already collected for "
                                   f"{student} ({_stamp(existing_time.replace(tzinfo=timezone.utc))}); kept that one")
                continue
            backup = course.state_root / "replaced" / assignment / student / now.strftime("%Y%m%dT%H%M%S%fZ")
            backup.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup / target.name)
            if (folder / "timestamp.txt").is_file():
                shutil.copy2(folder / "timestamp.txt", backup / "timestamp.txt")
            report.replaced.append(f"{student}/{target.name}: the earlier submission was replaced by "
                                   f"{candidate.entry.path} (the old file is kept in "
                                   f"{backup.relative_to(course.root)})")
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
        atomic_write_text(folder / "timestamp.txt", _stamp(incoming_time) + "\n")
        report.collected.setdefault(student, []).append(target.name)
        log["students"][student] = {"name": candidate.name, "source": candidate.source, "late": candidate.late,
                                    "file": candidate.entry.path, "timestamp": _stamp(incoming_time)}
        log["rejected"].pop(student, None)
    _save_log(course, assignment, log)
    return report


def log_path(course, assignment):
    return course.state_root / "collect" / f"{assignment}.json"


def _load_log(course, assignment):
    try:
        log = json.loads(log_path(course, assignment).read_text())
    except (FileNotFoundError, ValueError):
        log = {}
    log.setdefault("students", {})
    log.setdefault("rejected", {})
    return log


def _save_log(course, assignment, log):
    atomic_write_text(log_path(course, assignment), json.dumps(log, indent=1, sort_keys=True) + "\n")


def collected_names(course, assignment):
    """{student: display name} from the collect log (empty if nothing was collected that way)."""
    return {student: info.get("name", student) for student, info in _load_log(course, assignment)["students"].items()}


def rejected_files(course, assignment):
    """{student: [(file, reason), ...]} of files rejected by collect for students with no accepted file since."""
    return {student: [(item["file"], item["reason"]) for item in items]
            for student, items in _load_log(course, assignment)["rejected"].items()}
