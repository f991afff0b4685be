"""Match a submitted notebook against the instructor's version, before it runs.

`reconcile(notebook, spec)` returns the notebook that will be executed and the
incidents found on the way. The rules, in order:

1. Outputs are cleared (nbgrader's ClearOutput).
2. nbgrader metadata that is not a dict, or names a grade_id the instructor's
   version does not have, is removed: the cell runs as an ordinary cell.
3. A grade_id that appears more than once (a copy-pasted or split cell) is
   kept on its last copy, as nbgrader's DeduplicateIds does; the earlier copies
   run as ordinary cells, so the student's code in them still counts.
4. Cells that lost their metadata (a notebook re-created, metadata stripped)
   are matched by content to the instructor's cells they stand for: same cell
   type, in order between the cells already matched, and similar text (the
   first line, e.g. a `def` signature, or a fuzzy ratio of at least
   MIN_SIMILARITY); an answer cell that is the only candidate left between two
   matched neighbours is matched by position.
5. The nbgrader flags of every matched cell (grade, solution, locked, points)
   are reset to the instructor's, and a change is recorded.
6. Deleted test cells, hand-graded answer cells and locked cells are put
   back from the instructor's version after their nearest surviving
   predecessor (instructions silently; the others as incidents). A deleted
   answer cell cannot be restored (it is the student's work): recorded.
7. nbgrader's OverwriteCells, fed from the spec instead of a database, puts
   the instructor's source (with hidden tests) back into every locked cell,
   so an edited test cell is replaced; edits are recorded.
8. The kernelspec is the instructor's; nbgrader's CheckCellMetadata validates.
"""

import copy

from nbconvert.preprocessors.base import Preprocessor
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells
from rapidfuzz import fuzz

from autograder.incidents import Incident
from autograder.quiet import log as quiet_log
from autograder.spec import ANSWER, LOCKED, MANUAL, TEST

#: Fuzzy-ratio (0..1) above which a cell without metadata is taken for an instructor's cell.
MIN_SIMILARITY = 0.6
_FLAGS = ("grade", "solution", "locked", "points", "task")


def _grade_id(cell):
    meta = cell.get("metadata", {}).get("nbgrader")
    if isinstance(meta, dict):
        value = meta.get("grade_id")
        return value if isinstance(value, str) and value else None
    return None


def _squash(text):
    """Text compared line by line, ignoring trailing spaces and blank lines."""
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def _first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def similarity(expected, candidate):
    """How much `candidate` looks like the instructor's cell text `expected` (0..1)."""
    expected, candidate = _squash(expected), _squash(candidate)
    if not expected or not candidate:
        return 0.0
    first = _first_line(expected)
    if len(first) >= 8 and _first_line(candidate) == first:
        return max(0.9, fuzz.ratio(expected, candidate) / 100)
    return fuzz.ratio(expected, candidate) / 100


class _SpecAsGradebook:
    """The two look-ups OverwriteCells makes in a Gradebook, answered from an AssignmentSpec."""

    class _Record:
        def __init__(self, cell):
            self.name = cell.grade_id
            self.cell_type = cell.cell_type
            self.locked = cell.locked
            self.source = cell.source
            self.checksum = cell.checksum
            self.max_score = cell.points

    def __init__(self, notebook_spec):
        self._cells = {cell.grade_id: cell for cell in notebook_spec.cells}

    def find_source_cell(self, grade_id, notebook_id, assignment_id):
        if grade_id not in self._cells:
            raise MissingEntry()
        return self._Record(self._cells[grade_id])

    def find_graded_cell(self, grade_id, notebook_id, assignment_id):
        cell = self._cells.get(grade_id)
        if cell is None or cell.points is None:
            raise MissingEntry()
        return self._Record(cell)


class _OverwriteFromSpec(OverwriteCells):
    """nbgrader's OverwriteCells with the spec in place of the gradebook database."""

    def __init__(self, notebook_spec, **kwargs):
        super().__init__(**kwargs)
        self._spec = notebook_spec

    def preprocess(self, nb, resources):
        self.notebook_id = self._spec.name
        self.assignment_id = resources.get("assignment", "")
        self.gradebook = _SpecAsGradebook(self._spec)
        return Preprocessor.preprocess(self, nb, resources)

    def report_change(self, name, attr, old, new):
        """Changes are recorded by reconcile() before this runs (a locked cell's checksum always
        changes when the instructor's version has hidden tests)."""


def _new_cell(spec_cell):
    meta = {"nbgrader": spec_cell.nbgrader_metadata()}
    if spec_cell.cell_type == "code":
        return new_code_cell(spec_cell.source, metadata=meta)
    return new_markdown_cell(spec_cell.source, metadata=meta)


def _match_stripped(cells, spec, present):
    """Step 4: give metadata back to plain cells that match an instructor's cell. Returns matched ids."""
    matched = []
    order = [cell.grade_id for cell in spec.cells]

    def window(position):
        before = [present[g] for g in order[:position] if g in present]
        after = [present[g] for g in order[position + 1:] if g in present]
        return (max(before) if before else -1), (min(after) if after else len(cells))

    def plain_candidates(spec_cell, low, high):
        return [i for i in range(low + 1, high)
                if _grade_id(cells[i]) is None and cells[i].cell_type == spec_cell.cell_type]

    def assign(index, spec_cell):
        cells[index].metadata["nbgrader"] = spec_cell.nbgrader_metadata()
        present[spec_cell.grade_id] = index
        matched.append(spec_cell.grade_id)

    # pass 1: by content, most recognisable kinds first
    for kinds in ((TEST, LOCKED), (ANSWER, MANUAL)):
        for position, spec_cell in enumerate(spec.cells):
            if spec_cell.grade_id in present or spec_cell.kind not in kinds:
                continue
            low, high = window(position)
            scored = [(similarity(spec_cell.visible_source, cells[i].source), i)
                      for i in plain_candidates(spec_cell, low, high)]
            scored = [(score, i) for score, i in scored if score >= MIN_SIMILARITY]
            if scored:
                assign(max(scored)[1], spec_cell)
    # pass 2: an answer cell alone between two matched neighbours
    for position, spec_cell in enumerate(spec.cells):
        if spec_cell.grade_id in present or spec_cell.kind not in (ANSWER, MANUAL):
            continue
        low, high = window(position)
        if low < 0 or high >= len(cells):
            continue
        rivals = [other for other_position, other in enumerate(spec.cells)
                  if other.grade_id not in present and other.cell_type == spec_cell.cell_type
                  and window(other_position) == (low, high)]
        candidates = plain_candidates(spec_cell, low, high)
        if len(candidates) == 1 and len(rivals) == 1:
            assign(candidates[0], spec_cell)
    return matched


def reconcile(notebook, spec, assignment=""):
    """The notebook to execute for `notebook` (not modified) under NotebookSpec `spec`, and incidents.

    Returns (notebook, [Incident, ...]).
    """
    nb = copy.deepcopy(notebook)
    incidents = []
    name = spec.name

    def record(kind, message, cell=None):
        incidents.append(Incident(kind, message, cell, name))

    resources = {"assignment": assignment, "nbgrader": {"notebook": name, "assignment": assignment}}
    nb, resources = ClearOutput(log=quiet_log).preprocess(nb, resources)
    known = {cell.grade_id: cell for cell in spec.cells}

    # 2. malformed metadata and unknown grade_ids
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        grade_id = _grade_id(cell)
        if not isinstance(meta, dict) or (grade_id is None and meta):
            record("changed_metadata", f"cell {index} has malformed nbgrader metadata; it runs as an ordinary cell",
                   f"cell {index}")
            del cell.metadata["nbgrader"]
        elif grade_id is not None and grade_id not in known:
            record("unknown_cell", f"cell {index} claims grade_id {grade_id!r}, which the assignment does not have; "
                   "it runs as an ordinary cell", grade_id)
            del cell.metadata["nbgrader"]
        elif not meta:
            del cell.metadata["nbgrader"]

    # 3. duplicated grade_ids: nbgrader keeps the last copy
    counts = {}
    for cell in nb.cells:
        grade_id = _grade_id(cell)
        if grade_id:
            counts[grade_id] = counts.get(grade_id, 0) + 1
    for grade_id, count in counts.items():
        if count > 1:
            record("duplicated_cell", f"{count} cells carry grade_id {grade_id!r} (copied or split); the last one "
                   "is graded and the earlier ones run as ordinary cells", grade_id)
    nb, resources = DeduplicateIds(log=quiet_log).preprocess(nb, resources)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata and not _grade_id(cell):
            del cell.metadata["nbgrader"]

    present = {_grade_id(cell): index for index, cell in enumerate(nb.cells) if _grade_id(cell)}

    # 4. cells without metadata, matched by content or position
    restored = _match_stripped(nb.cells, spec, present)
    if restored:
        record("stripped_metadata", "cells without nbgrader metadata were matched to "
               f"{', '.join(restored)} by their content", None)

    # 5. flags reset to the instructor's; edited locked cells noticed
    for grade_id, index in present.items():
        cell, spec_cell = nb.cells[index], known[grade_id]
        wanted = spec_cell.nbgrader_metadata()
        meta = cell.metadata["nbgrader"]
        changed = [flag for flag in _FLAGS
                   if flag in wanted and (meta.get(flag) != wanted[flag] if flag != "points"
                                          else _float_or_none(meta.get(flag)) != wanted[flag])]
        if cell.cell_type != spec_cell.cell_type:
            changed.append("cell type")
        if changed and grade_id not in restored:
            record("changed_metadata", f"{', '.join(changed)} changed by the student; reset to the instructor's",
                   grade_id)
        meta.update(wanted)
        for flag in _FLAGS:
            if flag not in wanted:
                meta.pop(flag, None)
        if spec_cell.locked and spec_cell.kind != MANUAL:
            student, shown = _squash(cell.source), _squash(spec_cell.visible_source)
            if student not in (shown, _squash(spec_cell.source)) and cell.cell_type == spec_cell.cell_type:
                kind = "test" if spec_cell.kind == TEST else "locked"
                record("edited_cell", f"this {kind} cell was edited; the instructor's version was graded instead",
                       grade_id)

    # 6. deleted cells put back
    order = [cell.grade_id for cell in spec.cells]
    for position, spec_cell in enumerate(spec.cells):
        if spec_cell.grade_id in present:
            continue
        if spec_cell.kind == ANSWER:
            record("missing_answer", "this answer cell is missing and no cell matched it; the tests that need it "
                   "fail unless its code is elsewhere in the notebook", spec_cell.grade_id)
            continue
        if spec_cell.kind not in (TEST, MANUAL, LOCKED):
            continue
        before = [present[g] for g in order[:position] if g in present]
        after = [present[g] for g in order[position + 1:] if g in present]
        at = max(before) + 1 if before else (min(after) if after else len(nb.cells))
        nb.cells.insert(at, _new_cell(spec_cell))
        for grade_id, index in present.items():
            if index >= at:
                present[grade_id] = index + 1
        present[spec_cell.grade_id] = at
        if spec_cell.kind == TEST:
            record("missing_cell", "this test cell was deleted; the instructor's version was put back and graded",
                   spec_cell.grade_id)
        elif spec_cell.kind == MANUAL:
            record("missing_cell", "this hand-graded answer cell was deleted; it scores 0 (no response)",
                   spec_cell.grade_id)
        elif spec_cell.cell_type == "code":
            record("missing_cell", "this locked cell was deleted; the instructor's version was put back",
                   spec_cell.grade_id)

    # 7. nbgrader: instructor's source in locked cells, checksums, cell types
    nb, resources = _OverwriteFromSpec(spec, log=quiet_log).preprocess(nb, resources)
    # 8. kernelspec and a last validation by nbgrader
    if spec.kernelspec:
        nb.metadata["kernelspec"] = copy.deepcopy(spec.kernelspec)
    nb, resources = CheckCellMetadata(log=quiet_log).preprocess(nb, resources)
    return nb, incidents


def _float_or_none(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
