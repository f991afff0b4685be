"""The course folder: where things are, and nbgrader's view of it.

A course root holds `nbgrader_config.py`, `source/<assignment>/<notebook>.ipynb`,
`release/`, `submitted/<student>/<assignment>/`, `autograded/`, `feedback/`
and `gradebook.db` (nbgrader's layout), plus `.autograder/` for this
pipeline's own records (grading state, collect logs, replaced submissions,
gradebook backups are next to gradebook.db).

`Course(root)` reads the root's `nbgrader_config.py` exactly as nbgrader does
(so a test course only needs a copy of that file) and always sets
`CourseDirectory.root` to `root`.
"""

import copy
import os
import sys
from functools import cached_property
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"
#: This pipeline's own records, under the course root.
STATE_FOLDER = ".autograder"


class CourseError(Exception):
    """Something about the course folder that the instructor must fix (shown without a traceback)."""


def _ensure_venv_bin_on_path():
    """nbgrader runs `alembic` from PATH: make this interpreter's bin/ findable."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def find_course_root(start=None):
    """The nearest folder at or above `start` (default: the current one) with nbgrader_config.py."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise CourseError(f"no {CONFIG_FILE} in {here} or above it; pass --course DIR")


class Course:
    """One course folder.

    root:   the folder holding nbgrader_config.py.
    db_url: the gradebook (default: nbgrader's, sqlite:///<root>/gradebook.db).
    """

    def __init__(self, root, db_url=None):
        _ensure_venv_bin_on_path()
        self.root = Path(root).resolve()
        self._db_url = db_url

    # -- nbgrader configuration -------------------------------------------------
    @cached_property
    def file_config(self):
        """The traitlets Config of the course's nbgrader_config.py (empty if there is none)."""
        config = Config()
        if (self.root / CONFIG_FILE).is_file():
            loader = PyFileConfigLoader(CONFIG_FILE, path=str(self.root))
            config.merge(loader.load_config())
        return config

    def config(self, **course_directory):
        """A Config for nbgrader: the course file, root forced to `root`, plus CourseDirectory overrides."""
        config = copy.deepcopy(self.file_config)
        config.CourseDirectory.root = str(self.root)
        if self._db_url:
            config.CourseDirectory.db_url = self._db_url
        for key, value in course_directory.items():
            setattr(config.CourseDirectory, key, value)
        return config

    def coursedir(self, **course_directory):
        from nbgrader.coursedir import CourseDirectory

        return CourseDirectory(config=self.config(**course_directory))

    @cached_property
    def db_url(self):
        return self._db_url or self.coursedir().db_url

    @property
    def cell_timeout(self):
        """nbgrader's per-cell time limit from the course config (Execute.timeout), default 30 s."""
        config = self.file_config
        for section in ("Execute", "ExecutePreprocessor"):
            if section in config and "timeout" in config[section]:
                value = config[section]["timeout"]
                if value:
                    return float(value)
        return 30.0

    # -- folders ----------------------------------------------------------------
    def _folder(self, name):
        value = getattr(self.coursedir(), f"{name}_directory")
        return self.root / value

    @property
    def source(self):
        return self._folder("source")

    @property
    def release(self):
        return self._folder("release")

    @property
    def submitted(self):
        return self._folder("submitted")

    @property
    def autograded(self):
        return self._folder("autograded")

    @property
    def feedback(self):
        return self._folder("feedback")

    @property
    def state_root(self):
        return self.root / STATE_FOLDER

    @property
    def gradebook_path(self):
        """The sqlite file of the gradebook, or None if the gradebook is not a sqlite file."""
        prefix = "sqlite:///"
        if self.db_url.startswith(prefix):
            return Path(self.db_url[len(prefix):])
        return None

    def assignments(self):
        """Names of the assignments in source/ (folders holding at least one notebook), sorted."""
        if not self.source.is_dir():
            return []
        return sorted(path.name for path in self.source.iterdir()
                      if path.is_dir() and not path.name.startswith(".") and any(path.glob("*.ipynb")))

    def source_notebooks(self, assignment):
        """The instructor's notebooks of `assignment`, sorted."""
        folder = self.source / assignment
        if not folder.is_dir():
            raise CourseError(f"no assignment {assignment!r}: {folder} does not exist "
                                    f"(assignments: {', '.join(self.assignments()) or 'none'})")
        return sorted(folder.glob("*.ipynb"))

    def notebook_names(self, assignment):
        """Notebook ids (file names without .ipynb) of `assignment`."""
        return [path.stem for path in self.source_notebooks(assignment)]

    def submitted_students(self, assignment):
        """Student ids with a folder submitted/<student>/<assignment>/, sorted."""
        if not self.submitted.is_dir():
            return []
        return sorted(path.name for path in self.submitted.iterdir()
                      if (path / assignment).is_dir() and not path.name.startswith("."))

    def submission_folder(self, student, assignment):
        return self.submitted / student / assignment

    def autograded_folder(self, student, assignment):
        return self.autograded / student / assignment

    def feedback_folder(self, student, assignment):
        return self.feedback / student / assignment

    def api(self, **course_directory):
        """nbgrader's NbGraderAPI for this course (with CourseDirectory overrides)."""
        from nbgrader.apps import NbGraderAPI

        config = self.config(**course_directory)
        from nbgrader.coursedir import CourseDirectory

        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def gradebook(self):
        """nbgrader's Gradebook for this course (use as a context manager)."""
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, self.coursedir().course_id)
