"""Normalise notebooks so they diff well: no outputs, no execution counts, fixed metadata.

    python tools/normalize_notebooks.py notebooks/*.ipynb source/*/*.ipynb
    python tools/normalize_notebooks.py --check PATH ...   # exit 1 naming files that would change

Keeps each cell's nbgrader metadata, tags, and `jupyter` metadata (the
lessons' verification cells are stored collapsed: "jupyter": {"source_hidden": true});
drops everything else that editors add (collapsed, scrolled, execution timing,
widget state, ids are made stable from the cell's position).
"""

import argparse
import json
import sys
from pathlib import Path

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
KEPT_CELL_METADATA = ("nbgrader", "tags", "deletable", "editable", "jupyter")


def normalize(notebook):
    """Return a normalised copy of a notebook given as a dict (nbformat 4 JSON)."""
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        metadata = {key: cell.get("metadata", {})[key] for key in KEPT_CELL_METADATA if key in cell.get("metadata", {})}
        # The source is kept byte for byte: nbgrader checksums it in release/.
        new = {"cell_type": cell["cell_type"], "id": f"cell-{index:03d}", "metadata": metadata, "source": source}
        if cell["cell_type"] == "code":
            new["execution_count"] = None
            new["outputs"] = []
        elif "attachments" in cell:
            new["attachments"] = cell["attachments"]
        cells.append(new)
    metadata = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def dumps(notebook):
    """The canonical text of a notebook: nbformat's own layout (indent 1, sorted keys)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not normalised")
    args = parser.parse_args(argv)
    stale = []
    for path in args.paths:
        try:
            text = path.read_text(encoding="utf-8")
            wanted = dumps(normalize(json.loads(text)))
        except (OSError, ValueError, KeyError) as error:
            print(f"{path}: cannot read as a notebook: {error}", file=sys.stderr)
            return 2
        if text != wanted:
            stale.append(path)
            if not args.check:
                path.write_text(wanted, encoding="utf-8")
    if args.check and stale:
        print("not normalised (run tools/normalize_notebooks.py on them):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
