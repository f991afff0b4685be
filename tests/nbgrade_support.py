"""Grade variants of an assignment with both engines, for the tests that prove the grading right.

The unit tests build submissions from the committed notebooks and grade them
twice, in throwaway courses: with nbgrader's own API (what an instructor's
`nbgrader autograde` gives) and with the project's engine,
`autograder.grading.grade_notebooks` (what `python -m autograder grade` gives:
the sandbox where it works, the integrity guard, our scoring and feedback).
Every Result holds both, and `autograde` records as a grading problem any
test cell the two engines score differently, and any incident of ours on a
variant (a false `tampering`, a restored cell), so `assert_no_grading_problems`
proves the engines agree:

    from tests.nbgrade_support import autograde, blank_submission, submission_with

    results = autograde("01_logistic_regression", {
        "solution": submission_with("01_logistic_regression", {}),
        "blank": blank_submission("01_logistic_regression"),
        "no_1_over_m": submission_with("01_logistic_regression", {"propagate": BUGGY_PROPAGATE}),
    })
    assert results["solution"].total == results["solution"].max_total
    assert results["no_1_over_m"].failed == {"test_propagate_gradients", ...}
    assert "factor of m" in results["no_1_over_m"].feedback["test_propagate_gradients"]

Submissions start from the committed release notebook (what students get);
`submission_with` fills every answer cell with the source's solution and then
replaces the cells named in `replacements`. Hidden tests are restored by
nbgrader at grading time, exactly as for real students.

The shared assertions check the feedback of both engines: a phrase a mistake
must be named by has to appear in nbgrader's cell output and in the feedback
our engine hands the student (result.engine_feedback). Set
BACKPROP_PROOF_ENGINES=nbgrader to grade with nbgrader only (quicker, for a
local edit-run loop; CI always uses both).
"""

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

COURSE_ROOT = Path(__file__).resolve().parents[1]

# nbgrader runs `alembic` from PATH: make sure this environment's bin/ is on it.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

_SOLUTION_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass
class Result:
    """The grade of one submission.

    scores:   {grade_id: (points, max_points)} for every autograded test cell
              (manually graded cells are left out: nobody graded them).
    feedback: {grade_id: text} the error text (ename, evalue and traceback,
              ANSI colours removed) plus printed output of each test cell.
    problems: anything that went wrong in the grading process itself
              (not a student error), including a cell the engines score
              differently: should always be empty.
    engine_scores, engine_feedback, engine_diagnoses: the same from
              autograder.grading (its feedback is what a student is handed:
              the diagnosis first, the student's own frames only); record:
              its StudentRecord. Empty / None when only nbgrader graded.
    """

    scores: dict = field(default_factory=dict)
    feedback: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    engine_scores: dict = field(default_factory=dict)
    engine_feedback: dict = field(default_factory=dict)
    engine_diagnoses: dict = field(default_factory=dict)
    record: object = None

    def feedbacks(self, grade_id):
        """[(engine, feedback text)] of one test cell: nbgrader's, then ours when it was graded."""
        texts = [("nbgrader", self.feedback.get(grade_id, ""))]
        if self.record is not None:
            texts.append(("autograder.grading", self.engine_feedback.get(grade_id, "")))
        return texts

    @property
    def total(self):
        return sum(points for points, _ in self.scores.values())

    @property
    def max_total(self):
        return sum(max_points for _, max_points in self.scores.values())

    @property
    def failed(self):
        """The grade_ids of the test cells that did not get full points."""
        return {grade_id for grade_id, (points, max_points) in self.scores.items() if points < max_points}


def _cells_by_grade_id(notebook):
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if "nbgrader" in cell.metadata and "grade_id" in cell.metadata["nbgrader"]
    }


def notebook_path(folder, assignment):
    """The single notebook of `assignment` in `folder` ("source" or "release")."""
    paths = sorted((COURSE_ROOT / folder / assignment).glob("*.ipynb"))
    if len(paths) != 1:
        raise FileNotFoundError(f"expected one notebook in {folder}/{assignment}/, found {[p.name for p in paths]}")
    return paths[0]


def solution_code(assignment):
    """{grade_id: source} of every answer cell in the instructor's version, solution markers removed."""
    source = nbformat.read(notebook_path("source", assignment), as_version=4)
    return {
        grade_id: _SOLUTION_MARKER.sub("", cell.source)
        for grade_id, cell in _cells_by_grade_id(source).items()
        if cell.metadata["nbgrader"].get("solution")
    }


def blank_submission(assignment):
    """The release notebook exactly as a student receives it."""
    return nbformat.read(notebook_path("release", assignment), as_version=4)


def submission_with(assignment, replacements, fill_solutions=True):
    """The release notebook with answer cells filled in.

    replacements:   {grade_id: source} for the answer cells to set (typically one buggy answer).
    fill_solutions: first fill every answer cell with the source's solution.
    """
    notebook = blank_submission(assignment)
    cells = _cells_by_grade_id(notebook)
    unknown = set(replacements) - set(cells)
    if unknown:
        raise KeyError(f"{assignment} has no cells with grade_id {sorted(unknown)}; it has {sorted(cells)}")
    if fill_solutions:
        for grade_id, code in solution_code(assignment).items():
            cells[grade_id].source = code
    for grade_id, code in replacements.items():
        cells[grade_id].source = code
    return notebook


def with_bug(solutions, cell, replacements):
    """The solution of answer cell `cell` with a typical mistake put in.

    solutions:    solution_code(assignment).
    replacements: the whole buggy cell (a str), or {exact line of the solution: buggy line};
                  each line must occur exactly once, so a changed solution cannot silently
                  make the mistake vanish.
    """
    if isinstance(replacements, str):
        return replacements
    code = solutions[cell]
    for line, buggy in replacements.items():
        assert code.count(line) == 1, f"the solution of {cell} no longer contains exactly one {line!r}; update the mistake"
        code = code.replace(line, buggy)
    return code


def grade_variants(assignment, mistakes, accepted=None):
    """Grade, in one autograde call: the solution, the blank release, one submission per mistake
    and one per correct alternative.

    mistakes: {name: (cell, replacements, ...)} (see with_bug; further items are the test's own).
    accepted: {name: (cell, code)} correct answers written differently from the solution.
    Returns {"solution": Result, "blank": Result, name: Result, ...}.
    """
    solutions = solution_code(assignment)
    submissions = {"solution": submission_with(assignment, {}), "blank": blank_submission(assignment)}
    for name, (cell, replacements, *_) in mistakes.items():
        submissions[name] = submission_with(assignment, {cell: with_bug(solutions, cell, replacements)})
    for name, (cell, code) in (accepted or {}).items():
        submissions[name] = submission_with(assignment, {cell: code})
    return autograde(assignment, submissions)


# ---- the assertions every grading proof makes -------------------------------------------------

def assert_no_grading_problems(results):
    """No submission hit a problem in the grading process itself."""
    problems = {student: result.problems for student, result in results.items() if result.problems}
    assert not problems, describe(results)


def assert_designed_points(results, points):
    """The solution's autograded cells and their points are exactly `points` ({grade_id: max_points})."""
    scores = results["solution"].scores
    assert {grade_id: max_points for grade_id, (_, max_points) in scores.items()} == points, describe(results)


def assert_solution_gets_every_point(results, points):
    solution = results["solution"]
    assert solution.total == solution.max_total == sum(points.values()), describe(results)


def assert_blank_gets_zero(results, points):
    """The blank release scores 0 in every cell, and every cell says the answer is not implemented yet."""
    blank = results["blank"]
    assert blank.total == 0 and blank.failed == set(points), describe(results)
    for grade_id in blank.scores:
        for engine, text in blank.feedbacks(grade_id):
            assert "not implemented yet" in text, f"{grade_id} ({engine}): {text}"


def assert_loses_exactly(results, mistake, failing):
    """Submission `mistake` scores 0 in the cells `failing` and full points everywhere else."""
    result = results[mistake]
    assert result.failed == failing, describe({mistake: result})
    for grade_id, (points, max_points) in result.scores.items():
        assert points == (0 if grade_id in failing else max_points), f"{mistake}: {grade_id} scored {points}/{max_points}"


def assert_named_in_feedback(results, mistake, named):
    """named: {grade_id: [phrases]} that the feedback of each cell must contain."""
    for grade_id, phrases in named.items():
        for engine, text in results[mistake].feedbacks(grade_id):
            for phrase in phrases:
                assert phrase in text, f"{mistake}: {engine}'s feedback of {grade_id} does not say {phrase!r}:\n{text}"


def _write_config(course):
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.Execute.timeout = 300\n"
        "c.ExecutePreprocessor.timeout = 300\n"
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _cell_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
            parts.extend(output.traceback)
        elif "data" in output and "text/plain" in output.data:
            parts.append(output.data["text/plain"])
    return _ANSI.sub("", "\n".join(parts))


def autograde(assignment, submissions, keep_dir=None):
    """Grade several submissions of one assignment with nbgrader and with autograder.grading.

    assignment:  e.g. "01_logistic_regression" (source/ and release/ must hold it).
    submissions: {student_id: notebook} (nbformat NotebookNodes).
    keep_dir:    a folder to build the courses in (kept afterwards, for debugging);
                 default: temporary folders, removed at the end.
    Returns {student_id: Result}; a test cell the engines score differently, and
    any incident our engine records for a variant, is a problem of that Result.
    """
    results = _autograde_nbgrader(assignment, submissions, keep_dir)
    if "autograder" not in _engines():
        return results
    records = _autograde_engine(assignment, submissions, Path(keep_dir) / "engine" if keep_dir else None)
    for student_id, result in results.items():
        _compare_engines(result, records.get(student_id))
    return results


def _engines():
    wanted = os.environ.get("BACKPROP_PROOF_ENGINES", "nbgrader,autograder")
    return {name.strip() for name in wanted.split(",") if name.strip()}


#: Our engine's incidents that are no fault of a variant (the machine has no full sandbox).
_ACCEPTED_INCIDENTS = ("not_sandboxed",)


def _autograde_engine(assignment, submissions, keep_dir=None):
    """{student_id: StudentRecord} from autograder.grading.grade_notebooks (sandbox where it works).

    A submission whose grading failed for the grader's own reasons (a kernel
    that would not start on a loaded machine) is graded once more.
    """
    from autograder import state
    from autograder.grading import grade_notebooks

    source = COURSE_ROOT / "source" / assignment
    records = grade_notebooks(source, submissions, jobs=2, keep=keep_dir)
    again = {student: submissions[student] for student in submissions
             if student not in records or records[student].status == state.FAILED or records[student].problems}
    if again:
        records.update(grade_notebooks(source, again, jobs=2,
                                       keep=Path(keep_dir).with_name("engine-again") if keep_dir else None))
    return records


def _compare_engines(result, record):
    """Fill result.engine_* from our StudentRecord; record each disagreement as a problem."""
    if record is None:
        result.problems.append("autograder.grading returned no record for this submission")
        return
    result.record = record
    result.engine_scores = dict(record.scores)
    result.engine_feedback = dict(record.feedback)
    result.engine_diagnoses = dict(record.diagnoses)
    result.problems.extend(f"autograder.grading: {problem}" for problem in record.problems)
    result.problems.extend(
        f"autograder.grading recorded an incident: {incident.kind}: {incident.message} ({incident.cell})"
        for incident in record.incidents if incident.kind not in _ACCEPTED_INCIDENTS)
    if result.problems and not result.scores:
        return  # nbgrader itself failed; that problem is already recorded
    for grade_id in sorted(set(result.scores) | set(result.engine_scores)):
        ours, theirs = result.engine_scores.get(grade_id), result.scores.get(grade_id)
        if ours is None or theirs is None or float(ours[0]) != float(theirs[0]) or float(ours[1]) != float(theirs[1]):
            result.problems.append(
                f"the engines disagree on {grade_id}: nbgrader {theirs}, autograder.grading {ours}\n"
                f"  nbgrader's output: {result.feedback.get(grade_id, '')[-600:]}\n"
                f"  autograder.grading's feedback: {result.engine_feedback.get(grade_id, '')[-600:]}")


def _autograde_nbgrader(assignment, submissions, keep_dir=None):
    """Grade several submissions of one assignment with nbgrader's API.

    assignment:  e.g. "01_logistic_regression" (source/ and release/ must hold it).
    submissions: {student_id: notebook} (nbformat NotebookNodes).
    keep_dir:    a folder to build the course in (kept afterwards, for debugging);
                 default: a temporary folder, removed at the end.
    Returns {student_id: Result}.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.api import Gradebook
    from traitlets.config import Config

    workdir = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="nbgrade-"))
    try:
        course = workdir / "course"
        if course.exists():
            shutil.rmtree(course)
        shutil.copytree(COURSE_ROOT / "source" / assignment, course / "source" / assignment)
        for extra in ("ipynb_checkpoints", ".ipynb_checkpoints"):
            shutil.rmtree(course / "source" / assignment / extra, ignore_errors=True)
        _write_config(course)
        config = Config()
        config.CourseDirectory.root = str(course)
        config.Execute.timeout = 300
        config.ExecutePreprocessor.timeout = 300
        api = NbGraderAPI(config=config)
        generated = api.generate_assignment(assignment)
        if not generated["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{generated['log']}{generated.get('error', '')}")
        notebook_name = notebook_path("source", assignment).name
        for student_id, notebook in submissions.items():
            target = course / "submitted" / student_id / assignment / notebook_name
            target.parent.mkdir(parents=True)
            nbformat.write(notebook, target)
        logs = {}
        for student_id in submissions:
            outcome = api.autograde(assignment, student_id)
            if not outcome["success"]:
                # A kernel that dies at start-up on a loaded machine is not the
                # submission's fault: try once more before reporting it.
                outcome = api.autograde(assignment, student_id)
            logs[student_id] = outcome
        results = {}
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            for student_id in submissions:
                result = Result()
                outcome = logs[student_id]
                if not outcome["success"]:
                    result.problems.append(f"autograde failed: {outcome.get('error', '')}\n{outcome['log']}")
                    results[student_id] = result
                    continue
                graded = nbformat.read(course / "autograded" / student_id / assignment / notebook_name, as_version=4)
                graded_cells = _cells_by_grade_id(graded)
                submission = gradebook.find_submission_notebook(notebook_name[: -len(".ipynb")], assignment, student_id)
                for grade in submission.grades:
                    cell = graded_cells.get(grade.name)
                    if cell is not None and cell.metadata["nbgrader"].get("solution"):
                        continue  # an answer cell with points is graded by hand
                    if cell is None:
                        result.problems.append(f"graded cell {grade.name} is missing from the autograded notebook")
                        continue
                    if any(output.output_type == "execute_result" for output in cell.get("outputs", [])):
                        result.problems.append(
                            f"test cell {grade.name} ends in an expression with a value: nbgrader reads that "
                            "as partial credit; end the cell with a statement"
                        )
                    result.scores[grade.name] = (float(grade.auto_score or 0.0), float(grade.max_score))
                    result.feedback[grade.name] = _cell_text(cell)
                results[student_id] = result
        return results
    finally:
        if not keep_dir:
            shutil.rmtree(workdir, ignore_errors=True)


def describe(results):
    """A readable summary of autograde results, for assertion messages."""
    lines = []
    for student_id, result in results.items():
        lines.append(f"{student_id}: {result.total:g}/{result.max_total:g}, failed {sorted(result.failed)}")
        lines.extend(f"  problem: {problem}" for problem in result.problems)
    return "\n".join(lines)


def dump(results, path):
    """Write results as JSON (scores and feedback) to `path`, for debugging a failing test."""
    Path(path).write_text(json.dumps(
        {sid: {"scores": r.scores, "feedback": r.feedback, "problems": r.problems} for sid, r in results.items()},
        indent=1,
    ))
