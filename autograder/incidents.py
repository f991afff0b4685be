"""What went wrong while grading one submission, in a form that can be stored and shown.

An incident is anything an instructor should know about a submission that is
not simply a failed test: a deleted or duplicated cell, an edited test cell,
a kernel that died or ran out of time. Incidents never stop a batch; they are
recorded with the submission's state (autograder.state) and shown in the
feedback and the class report.
"""

from dataclasses import asdict, dataclass

#: Incident kinds, so reports can count them. Free text goes in `message`.
KINDS = (
    "unreadable",         # the file is not a notebook (the message names the position)
    "unknown_cell",       # a grade_id the instructor's version does not have
    "duplicated_cell",    # the same grade_id more than once (copy-pasted or split cell)
    "stripped_metadata",  # a cell lost its nbgrader metadata and was matched by content
    "missing_cell",       # a graded or locked cell was deleted; restored from the source
    "missing_answer",     # an answer cell was deleted and could not be matched
    "edited_cell",        # a locked cell (test, instructions) was edited; replaced
    "changed_metadata",   # cell type, points or locked flag changed by the student
    "missing_notebook",   # a notebook of the assignment was not submitted
    "timeout",            # a cell ran past the per-cell time limit
    "wall_clock",         # the submission ran past its total time limit
    "kernel_died",        # the kernel process died (crash, os._exit, signal, out of memory)
    "kernel_unresponsive",  # the kernel ignored an interrupt and was killed
    "kernel_start",       # a kernel could not be started (a grader problem, retried on rerun)
    "not_sandboxed",      # the submission ran without the full sandbox (autograder.sandbox: fallback, and why)
    "tampering",          # the submission changed the test environment; the affected tests score 0 (integrity)
    "shadow_module",      # the submission ships files that would shadow a module the tests import (not used)
    "guard_unavailable",  # the test-integrity guard did not start in a kernel (a grader problem)
    "test_value",         # a test cell ends in a value, which nbgrader reads as partial credit (instructor's bug)
    "gradebook_changed",  # the gradebook no longer holds what the grader wrote (autograder.gradebook.changes)
    "leftover_process",   # a process the submission started was still running when its kernel stopped (killed)
    "worker_died",        # the Dask worker grading it died every time, the last time alone (autograder.distributed)
)

#: Kinds that are problems of the grading itself, not of the submission.
GRADER_PROBLEMS = ("kernel_start", "test_value", "guard_unavailable")


@dataclass(frozen=True)
class Incident:
    """One thing that happened to a submission.

    kind:    one of KINDS.
    message: a sentence for the instructor (and the student's feedback).
    cell:    the grade_id (or "cell <index>") it concerns, or None for the whole notebook.
    notebook: the notebook name (without .ipynb) it concerns, or None.
    """

    kind: str
    message: str
    cell: str | None = None
    notebook: str | None = None

    def to_json(self):
        return asdict(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)

    def __str__(self):
        where = "/".join(part for part in (self.notebook, self.cell) if part)
        return f"[{self.kind}] {where + ': ' if where else ''}{self.message}"
