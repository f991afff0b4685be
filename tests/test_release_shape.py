"""What a student sees in an assignment: short visible test cells (issue #15).

A visible test cell reads as a specification (docstring, inputs, a call or
two): at most MAX_CELL_LINES lines, and the visible test code of units 1-5
together at most MAX_TOTAL_LINES lines (it was 3,113 before issue #15).

Every unit's test logic lives in utils.testing and autograder.hidden, so the
limits hold for every release notebook. Print the figures with

    python -m tests.test_release_shape          # per notebook: lines, non-blank lines, longest cell
"""

import json
import sys
from pathlib import Path

import pytest

COURSE_ROOT = Path(__file__).resolve().parents[1]
MAX_CELL_LINES = 15
MAX_TOTAL_LINES = 800
#: The assignments the 800-line budget of issue #15 is about.
BUDGETED = ("01_", "02_", "03_", "04_", "05_")


def visible_test_cells(notebook):
    """[(grade_id, source)] of the autograded test cells of a notebook (a dict as json.load gives it)."""
    cells = []
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution"):
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cells.append((meta.get("grade_id", "?"), source))
    return cells


def shape(path):
    """{"lines", "nonblank", "longest", "cells": {grade_id: lines}} of a release notebook's test cells."""
    cells = visible_test_cells(json.loads(Path(path).read_text(encoding="utf-8")))
    lengths = {grade_id: len(source.splitlines()) for grade_id, source in cells}
    return {
        "lines": sum(lengths.values()),
        "nonblank": sum(1 for _, source in cells for line in source.splitlines() if line.strip()),
        "longest": max(lengths.values(), default=0),
        "cells": lengths,
    }


def release_notebooks():
    return sorted((COURSE_ROOT / "release").glob("*/*.ipynb"))


def test_the_counter_counts_only_visible_test_cells():
    notebook = {"cells": [
        {"cell_type": "code", "source": "def f():\n    pass\n", "metadata": {"nbgrader": {"solution": True, "grade": False}}},
        {"cell_type": "code", "source": ['"""f works."""\n', "\n", "check(f)"],
         "metadata": {"nbgrader": {"grade": True, "solution": False, "grade_id": "test_f"}}},
        {"cell_type": "markdown", "source": "text\nmore", "metadata": {}},
        {"cell_type": "code", "source": "demo()", "metadata": {}},
    ]}
    assert visible_test_cells(notebook) == [("test_f", '"""f works."""\n\ncheck(f)')]


@pytest.mark.parametrize("path", release_notebooks(), ids=lambda path: path.parent.name)
def test_no_visible_test_cell_is_longer_than_a_specification(path):
    long_cells = {grade_id: lines for grade_id, lines in shape(path)["cells"].items() if lines > MAX_CELL_LINES}
    assert not long_cells, f"{path.parent.name}: test cells over {MAX_CELL_LINES} lines: {long_cells}"


def test_the_visible_test_code_of_units_1_to_5_is_at_most_800_lines():
    totals = {path.parent.name: shape(path)["lines"] for path in release_notebooks()
              if path.parent.name.startswith(BUDGETED)}
    assert sum(totals.values()) <= MAX_TOTAL_LINES, totals


def main():
    total = 0
    print(f"{'assignment':<32} {'lines':>6} {'non-blank':>10} {'longest cell':>13}")
    for path in release_notebooks():
        figures = shape(path)
        if path.parent.name.startswith(BUDGETED):
            total += figures["lines"]
        print(f"{path.parent.name:<32} {figures['lines']:>6} {figures['nonblank']:>10} {figures['longest']:>13}")
    print(f"{'units 1-5':<32} {total:>6}   (budget {MAX_TOTAL_LINES}; longest cell allowed {MAX_CELL_LINES})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
