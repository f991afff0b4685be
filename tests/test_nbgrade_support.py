"""The grading-proof harness itself: a tiny assignment graded three ways, by both engines."""

from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tests import nbgrade_support

pytestmark = pytest.mark.slow


def _meta(grade_id, *, grade, solution, locked, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _make_course(root):
    notebook = new_notebook(cells=[
        new_code_cell(
            "def double(x):\n    \"\"\"Return 2 x.\"\"\"\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
            metadata=_meta("double", grade=False, solution=True, locked=False),
        ),
        new_code_cell(
            '"""double doubles."""\nassert double(3) == 6, "double(3) should be 6"\n'
            "### BEGIN HIDDEN TESTS\nassert double(-5) == -10, 'hidden: double(-5)'\n### END HIDDEN TESTS",
            metadata=_meta("test_double", grade=True, solution=False, locked=True, points=2),
        ),
        new_markdown_cell(
            "### BEGIN SOLUTION\nBecause 2x.\n### END SOLUTION",
            metadata=_meta("explain_double", grade=True, solution=True, locked=False, points=1),
        ),
    ])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "source" / "ps0").mkdir(parents=True)
    nbformat.write(notebook, root / "source" / "ps0" / "ps0.ipynb")
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'release.db'}"
    assert NbGraderAPI(config=config).generate_assignment("ps0")["success"]


def test_solution_blank_and_mistake_are_told_apart(tmp_path, monkeypatch):
    _make_course(tmp_path)
    monkeypatch.setattr(nbgrade_support, "COURSE_ROOT", tmp_path)
    assert nbgrade_support.solution_code("ps0")["double"].strip().endswith("return 2 * x")
    results = nbgrade_support.autograde("ps0", {
        "solution": nbgrade_support.submission_with("ps0", {}),
        "blank": nbgrade_support.blank_submission("ps0"),
        "hidden_only": nbgrade_support.submission_with("ps0", {"double": "def double(x):\n    return 6 if x == 3 else 0"}),
    })
    summary = nbgrade_support.describe(results)
    assert all(not r.problems for r in results.values()), summary
    assert results["solution"].scores == {"test_double": (2.0, 2.0)}, summary
    assert results["blank"].total == 0 and results["blank"].failed == {"test_double"}, summary
    assert "NotImplementedError" in results["blank"].feedback["test_double"]
    # A hard-coded answer passes the visible test but not the hidden one.
    assert results["hidden_only"].failed == {"test_double"}, summary
    assert "hidden: double(-5)" in results["hidden_only"].feedback["test_double"]
    # The project's engine graded the same notebooks, agreed, and handed out the diagnosis first.
    for name, result in results.items():
        assert result.record is not None and result.engine_scores == result.scores, (name, summary)
    assert results["hidden_only"].engine_feedback["test_double"].startswith("AssertionError: hidden: double(-5)")
    assert results["hidden_only"].engine_diagnoses == {"test_double": "hidden: double(-5)"}
    nbgrade_support.assert_named_in_feedback(results, "hidden_only", {"test_double": ["double(-5)"]})


def test_unknown_grade_id_is_a_clear_error(tmp_path, monkeypatch):
    _make_course(tmp_path)
    monkeypatch.setattr(nbgrade_support, "COURSE_ROOT", tmp_path)
    with pytest.raises(KeyError, match="no cells with grade_id"):
        nbgrade_support.submission_with("ps0", {"tripple": "pass"})


# ---- both engines: disagreements are problems, feedback must name the mistake in each -------------


def _record(scores, feedback=None, incidents=(), problems=()):
    return SimpleNamespace(scores=scores, feedback=feedback or {key: "" for key in scores}, diagnoses={},
                           incidents=list(incidents), problems=list(problems))


def test_a_cell_the_engines_score_differently_is_a_grading_problem():
    result = nbgrade_support.Result(scores={"test_a": (2.0, 2.0), "test_b": (0.0, 1.0)},
                                    feedback={"test_a": "", "test_b": "AssertionError: x"})
    nbgrade_support._compare_engines(result, _record({"test_a": (2.0, 2.0), "test_b": (1.0, 1.0)}))
    (problem,) = result.problems
    assert problem.startswith("the engines disagree on test_b: nbgrader (0.0, 1.0), autograder.grading (1.0, 1.0)")
    with pytest.raises(AssertionError, match="disagree on test_b"):
        nbgrade_support.assert_no_grading_problems({"variant": result})


def test_an_incident_of_our_engine_is_a_grading_problem_unless_the_machine_lacks_the_sandbox():
    incident = lambda kind: SimpleNamespace(kind=kind, message="m", cell="test_a")  # noqa: E731
    agreed = {"test_a": (1.0, 1.0)}
    result = nbgrade_support.Result(scores=dict(agreed), feedback={"test_a": ""})
    nbgrade_support._compare_engines(result, _record(agreed, incidents=[incident("not_sandboxed")]))
    assert result.problems == []
    nbgrade_support._compare_engines(result, _record(agreed, incidents=[incident("tampering")]))
    assert result.problems == ["autograder.grading recorded an incident: tampering: m (test_a)"]
    result = nbgrade_support.Result(scores=dict(agreed), feedback={"test_a": ""})
    nbgrade_support._compare_engines(result, None)
    assert result.problems == ["autograder.grading returned no record for this submission"]


def test_a_mistake_must_be_named_in_both_engines_feedback():
    result = nbgrade_support.Result(scores={"test_a": (0.0, 1.0)}, feedback={"test_a": "dW is off by a factor of m"})
    nbgrade_support._compare_engines(result, _record({"test_a": (0.0, 1.0)}, {"test_a": "AssertionError: wrong"}))
    with pytest.raises(AssertionError, match="autograder.grading's feedback of test_a does not say 'factor of m'"):
        nbgrade_support.assert_named_in_feedback({"bug": result}, "bug", {"test_a": ["factor of m"]})
    result.engine_feedback["test_a"] = "AssertionError: dW is off by a factor of m"
    nbgrade_support.assert_named_in_feedback({"bug": result}, "bug", {"test_a": ["factor of m"]})
