"""Every committed release notebook is what nbgrader would accept from a student.

nbgrader checksums each graded and locked cell when it generates the release;
Validate and autograde compare those checksums with the cell's text. A
release whose text was changed afterwards (by hand or by a tool) tells every
student "THE CONTENTS OF n TEST CELL(S) HAVE CHANGED" before they type a thing.
"""

from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import compute_checksum

ROOT = Path(__file__).resolve().parents[1]
RELEASES = sorted((ROOT / "release").glob("*/*.ipynb"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "source").glob("*/*.ipynb")) + RELEASES


@pytest.mark.parametrize("path", RELEASES, ids=lambda p: p.parent.name)
def test_release_checksums_match_cell_text(path):
    notebook = nbformat.read(path, as_version=4)
    stale = [
        f"cell {index} ({cell.metadata['nbgrader'].get('grade_id')})"
        for index, cell in enumerate(notebook.cells)
        if "checksum" in cell.metadata.get("nbgrader", {})
        and cell.metadata["nbgrader"]["checksum"] != compute_checksum(cell)
    ]
    assert not stale, f"{path.relative_to(ROOT)}: checksum does not match the text of {stale}; regenerate the release"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_are_normalised(path):
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from normalize_notebooks import dumps, normalize
    finally:
        sys.path.pop(0)
    import json

    text = path.read_text(encoding="utf-8")
    assert text == dumps(normalize(json.loads(text))), (
        f"{path.relative_to(ROOT)} is not normalised (stored outputs or editor metadata): "
        f"run python tools/normalize_notebooks.py {path.relative_to(ROOT)}"
    )
