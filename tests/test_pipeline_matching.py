"""Matching a submission against the instructor's version before it runs (no kernels here)."""

import copy

import nbformat
import pytest

from autograder.matching import reconcile, similarity
from autograder.spec import ANSWER, LOCKED, MANUAL, TEST, load_spec, sync_assignment
from tests.fixtures.pipeline import classroom

A = classroom.FIXTURE


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("matching"))
    sync_assignment(course, A)
    spec = load_spec(course, A)
    return course, spec.notebooks[A]


def _ids(notebook):
    return [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]


def _cell(notebook, grade_id):
    (cell,) = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell


def test_spec_reads_kinds_points_and_order_from_the_gradebook(setup):
    _, spec = setup
    kinds = {cell.grade_id: (cell.kind, cell.points) for cell in spec.cells}
    assert kinds["test_linear_gradients_dW"] == (TEST, 2.0)
    assert kinds["mean_cost"] == (ANSWER, None)
    assert kinds["explain_one_over_m"] == (MANUAL, 1.0)
    assert kinds["imports"] == (LOCKED, None)
    assert [cell.grade_id for cell in spec.cells][:3] == ["intro", "imports", "mean_cost"]
    assert "BEGIN HIDDEN TESTS" in spec.cell("test_mean_cost").source
    assert "HIDDEN" not in spec.cell("test_mean_cost").visible_source


def test_an_untouched_release_needs_no_incident_and_gets_its_hidden_tests_back(setup):
    course, spec = setup
    submitted = classroom.submission(course, A)
    matched, incidents = reconcile(submitted, spec, A)
    assert incidents == []
    assert _ids(matched) == _ids(submitted)
    assert "BEGIN HIDDEN TESTS" in _cell(matched, "test_mean_cost").source
    assert _cell(matched, "mean_cost").source == _cell(submitted, "mean_cost").source
    assert "HIDDEN" not in _cell(submitted, "test_mean_cost").source  # the input is not modified


def test_scratch_cells_and_unknown_ids_run_as_ordinary_cells(setup):
    course, spec = setup
    submitted = classroom.submission(course, A)
    submitted.cells.insert(3, nbformat.v4.new_code_cell("scratch = 1"))
    submitted.cells.insert(4, nbformat.v4.new_code_cell("other = 2", metadata={"nbgrader": {
        "grade_id": "my_own_cell", "grade": True, "points": 50, "locked": False, "solution": False,
        "schema_version": 3}}))
    matched, incidents = reconcile(submitted, spec, A)
    assert [(i.kind, i.cell) for i in incidents] == [("unknown_cell", "my_own_cell")]
    assert matched.cells[3].source == "scratch = 1" and "nbgrader" not in matched.cells[4].metadata


def test_changed_points_and_flags_are_reset_and_recorded(setup):
    course, spec = setup
    submitted = classroom.submission(course, A)
    meta = _cell(submitted, "test_mean_cost").metadata["nbgrader"]
    meta["points"] = 100
    meta["locked"] = False
    matched, incidents = reconcile(submitted, spec, A)
    assert ("changed_metadata", "test_mean_cost") in {(i.kind, i.cell) for i in incidents}
    assert _cell(matched, "test_mean_cost").metadata["nbgrader"]["points"] == 1.0
    assert _cell(matched, "test_mean_cost").metadata["nbgrader"]["locked"] is True


def test_stripped_metadata_is_matched_back_in_place(setup):
    course, spec = setup
    submitted = classroom.stripped_metadata(course)
    submitted.cells.insert(5, nbformat.v4.new_code_cell("print('my own check')"))
    matched, incidents = reconcile(submitted, spec, A)
    assert [i.kind for i in incidents] == ["stripped_metadata"]
    expected = _ids(classroom.submission(course, A))
    expected.insert(5, None)
    assert _ids(matched) == expected


def test_deleted_cells_come_back_after_their_predecessor(setup):
    course, spec = setup
    submitted = classroom.submission(course, A)
    for grade_id in ("test_mean_cost", "explain_one_over_m", "imports"):
        submitted.cells.remove(_cell(submitted, grade_id))
    matched, incidents = reconcile(submitted, spec, A)
    assert _ids(matched) == _ids(classroom.submission(course, A))
    assert {(i.kind, i.cell) for i in incidents} == {("missing_cell", "test_mean_cost"),
                                                      ("missing_cell", "explain_one_over_m"),
                                                      ("missing_cell", "imports")}


def test_a_deleted_answer_is_recorded_not_replaced_by_the_stub(setup):
    course, spec = setup
    submitted = classroom.submission(course, A)
    submitted.cells.remove(_cell(submitted, "mean_cost"))
    submitted.cells.append(nbformat.v4.new_code_cell("mean_cost = lambda L: float(L.mean())"))
    matched, incidents = reconcile(submitted, spec, A)
    assert [(i.kind, i.cell) for i in incidents] == [("missing_answer", "mean_cost")]
    assert "mean_cost" not in _ids(matched)
    assert not any("NotImplementedError" in cell.source for cell in matched.cells)


def test_similarity_prefers_the_signature_line():
    stub = 'def mean_cost(L):\n    """doc"""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    answer = 'def mean_cost(L):\n' + "    total = 0\n" * 30 + "    return total"
    assert similarity(stub, answer) >= 0.9
    assert similarity(stub, "x = 1") < 0.6


def test_reconcile_does_not_modify_its_input(setup):
    course, spec = setup
    submitted = classroom.deleted_test(course)
    before = copy.deepcopy(submitted)
    reconcile(submitted, spec, A)
    assert submitted == before
