"""Reading submitted notebooks, with errors that say where the file is broken."""

import json
from pathlib import Path

import nbformat


class UnreadableNotebook(Exception):
    """A submitted file is not a notebook; the message names the position of the problem."""


def parse_notebook(data):
    """The NotebookNode (nbformat 4) in `data` (bytes or str); UnreadableNotebook if it is not one."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableNotebook(f"not UTF-8 text (byte {error.start}): not a notebook") from None
    else:
        text = data
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableNotebook(f"not valid JSON at line {error.lineno} column {error.colno} "
                                 f"(character {error.pos}): {error.msg}") from None
    if not isinstance(content, dict) or not isinstance(content.get("cells"), list):
        raise UnreadableNotebook("valid JSON but not a notebook (no list of cells)")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - any nbformat failure means "not a usable notebook"
        raise UnreadableNotebook(f"not a readable notebook: {type(error).__name__}: {error}") from None
    for index, cell in enumerate(notebook.cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw") \
                or not isinstance(cell.get("source"), str):
            raise UnreadableNotebook(f"cell {index} has no source text or an unknown type")
        cell.setdefault("metadata", nbformat.NotebookNode())
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return notebook


def read_notebook(path):
    """parse_notebook of the file at `path`."""
    return parse_notebook(Path(path).read_bytes())
