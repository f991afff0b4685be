"""Export the code cells of notebooks to .py files, so that `duplicates` can compare them.

`duplicates` reads source files, not notebooks. This writes one file per code
cell, `OUT/<folder>/<notebook>/cell_<NN>[_<grade_id>].py`, whose first line
names the notebook and cell, so a row such as

    D1 source/05_l_layer_backward/cell_07_test_linear_activation_backward_relu.py:12-60 ~ .../cell_08_....py:12-60

points straight at the cells that repeat each other.

Usage (from the course root):

    python tools/export_code_cells.py source notebooks --out /tmp/cells
    duplicates --repo /tmp/cells --most 100

    # or both in one go (OUT defaults to a fresh temporary folder, printed):
    python tools/export_code_cells.py source notebooks release --duplicates --most 100

Arguments are notebooks or folders (searched recursively for *.ipynb, skipping
.ipynb_checkpoints). IPython magics and shell lines (`%...`, `!...`) become
comments so every file stays Python. `--release-view` drops what students never
see (solution blocks and hidden tests), to look at what a release shows.
`--test-cells-only` keeps only autograded test cells. Everything after the
known options is passed on to `duplicates` (e.g. `--min-lines 8`).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", re.M | re.S)
SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[ \t]*$", re.M | re.S)


def notebooks_under(paths):
    """The .ipynb files named or found (recursively) under `paths`, sorted, without checkpoints."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        else:
            raise SystemExit(f"export_code_cells: {path} is neither a notebook nor a folder")
    return sorted(set(found))


def cell_source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def python_text(source, release_view=False):
    """The cell's code as a Python file: magics commented out; with release_view, what students see."""
    if release_view:
        source = HIDDEN.sub("", source)
        source = SOLUTION.sub(lambda match: f"{match.group(1)}# YOUR CODE HERE\n{match.group(1)}raise NotImplementedError()", source)
    lines = [f"# {line}" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return "\n".join(lines) + "\n"


def is_test_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def export(paths, out, release_view=False, test_cells_only=False, root=Path(".")):
    """Write every code cell of the notebooks under `paths` into `out`; return the number of files written."""
    out = Path(out)
    written = 0
    for notebook_path in notebooks_under(paths):
        try:
            notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SystemExit(f"export_code_cells: cannot read {notebook_path}: {error}") from None
        try:
            relative = notebook_path.resolve().relative_to(Path(root).resolve())
        except ValueError:
            relative = Path(notebook_path.name)
        folder = out / relative.parent / notebook_path.stem
        for index, cell in enumerate(notebook.get("cells", [])):
            if cell.get("cell_type") != "code" or (test_cells_only and not is_test_cell(cell)):
                continue
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            suffix = f"_{re.sub(r'[^A-Za-z0-9_]+', '_', grade_id)}" if grade_id else ""
            target = folder / f"cell_{index:02d}{suffix}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            header = f"# {relative}, cell {index}{' (' + grade_id + ')' if grade_id else ''}\n"
            target.write_text(header + python_text(cell_source(cell), release_view), encoding="utf-8")
            written += 1
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    parser.add_argument("--out", help="folder to write into (default: a new temporary folder)")
    parser.add_argument("--release-view", action="store_true", help="drop solution blocks and hidden tests")
    parser.add_argument("--test-cells-only", action="store_true", help="only autograded test cells")
    parser.add_argument("--duplicates", action="store_true", help="then run `duplicates --repo OUT` over them")
    args, rest = parser.parse_known_args(argv)
    if rest and not args.duplicates:
        parser.error(f"unknown arguments {rest} (they go to duplicates only with --duplicates)")
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="code-cells-"))
    count = export(args.paths, out, release_view=args.release_view, test_cells_only=args.test_cells_only)
    print(f"{count} code cells written under {out}")
    if args.duplicates:
        command = shutil.which("duplicates")
        if command is None:
            raise SystemExit("export_code_cells: `duplicates` is not on PATH")
        return subprocess.run([command, "--repo", str(out), *rest], check=False).returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
