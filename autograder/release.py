"""`release`: generate the student versions in release/ from source/, or check them.

    python -m autograder release [ASSIGNMENT]      # regenerate release/<assignment>/ (all by default)
    python -m autograder release --check           # exit 1 naming every notebook that differs

Generation is nbgrader's own (`NbGraderAPI.generate_assignment`: solutions and
hidden tests removed, cells locked, checksums computed) with a throwaway
gradebook in a temporary folder, so releasing never touches the course's
gradebook.db. The generated notebooks are then normalised with
tools/normalize_notebooks.py, which is how the committed release/ is stored;
`--check` generates into a temporary folder and compares normalised texts
(and other files byte for byte).
"""

import importlib.util
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder import progress

NORMALIZER = Path(__file__).resolve().parents[1] / "tools" / "normalize_notebooks.py"


class ReleaseError(Exception):
    """nbgrader could not generate an assignment."""


def _normalizer():
    """tools/normalize_notebooks.py, imported by path (it is a script, not a package module)."""
    if not NORMALIZER.is_file():
        raise ReleaseError(f"{NORMALIZER} is missing: release needs the project's notebook normaliser")
    spec = importlib.util.spec_from_file_location("_normalize_notebooks", NORMALIZER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalized_text(path):
    """The normalised JSON text of the notebook at `path`."""
    normalizer = _normalizer()
    return normalizer.dumps(normalizer.normalize(json.loads(Path(path).read_text(encoding="utf-8"))))


def generate(course, assignment, release_root):
    """Generate `assignment` into release_root/<assignment>/ with a throwaway gradebook; normalise it."""
    release_root = Path(release_root)
    with tempfile.TemporaryDirectory(prefix="autograder-release-db-") as scratch:
        api = course.api(release_directory=str(release_root), db_url=f"sqlite:///{Path(scratch) / 'gradebook.db'}")
        outcome = api.generate_assignment(assignment, force=True, create=True)
    if not outcome.get("success"):
        raise ReleaseError(f"nbgrader could not generate {assignment}:\n{outcome.get('log', '')}{outcome.get('error', '')}")
    folder = release_root / assignment
    for path in sorted(folder.glob("*.ipynb")):
        path.chmod(0o644)
        path.write_text(normalized_text(path), encoding="utf-8")
    return folder


def release(course, assignments=None):
    """Regenerate release/<assignment>/ for each assignment (default: all in source/). Returns the folders."""
    names = list(assignments or course.assignments())
    folders = []
    for assignment in progress.bar(names, desc="release", unit="assignment"):
        course.source_notebooks(assignment)  # a clear error for an unknown assignment
        folders.append(generate(course, assignment, course.release))
    return folders


@dataclass(frozen=True)
class Difference:
    """One file of release/ that is not what source/ generates: path (relative to the course) and why."""

    path: str
    reason: str

    def __str__(self):
        return f"{self.path}: {self.reason}"


# Folders that editors and Python write beside notebooks (JupyterLab saves a checkpoint when a
# notebook is opened); they are never part of a release and .gitignore keeps them out of git.
NOT_RELEASED = frozenset({".ipynb_checkpoints", "__pycache__"})


def _files(folder):
    return {
        path.relative_to(folder).as_posix(): path
        for path in folder.rglob("*")
        if path.is_file() and not NOT_RELEASED & set(path.relative_to(folder).parts)
    }


def check(course, assignments=None):
    """Differences between the committed release/ and what source/ generates (empty list: up to date)."""
    names = list(assignments or course.assignments())
    differences = []
    with tempfile.TemporaryDirectory(prefix="autograder-release-check-") as scratch:
        for assignment in progress.bar(names, desc="release --check", unit="assignment"):
            course.source_notebooks(assignment)
            generated = _files(generate(course, assignment, Path(scratch)))
            committed_folder = course.release / assignment
            committed = _files(committed_folder) if committed_folder.is_dir() else {}
            relative = Path(course.release.name) / assignment
            for name in sorted(set(generated) | set(committed)):
                shown = (relative / name).as_posix()
                if name not in committed:
                    differences.append(Difference(shown, "missing: source/ generates it, release/ lacks it"))
                elif name not in generated:
                    differences.append(Difference(shown, "stale: release/ has it, source/ does not generate it"))
                elif name.endswith(".ipynb"):
                    try:
                        same = normalized_text(committed[name]) == generated[name].read_text(encoding="utf-8")
                    except (ValueError, KeyError) as error:
                        differences.append(Difference(shown, f"not a readable notebook: {error}"))
                        continue
                    if not same:
                        differences.append(Difference(shown, "differs from what source/ generates"))
                elif committed[name].read_bytes() != generated[name].read_bytes():
                    differences.append(Difference(shown, "differs from the file in source/"))
    return differences

