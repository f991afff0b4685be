"""Every incident kind the grader records is one of autograder.incidents.KINDS (the documented list).

Reads the source of autograder/ and collects the first argument of every
`Incident(...)` call: a string literal, or a module-level constant of
autograder.integrity (SHADOW_MODULE, TAMPERING, ...). The kinds are what the
instructor's report, the feedback and the export group by, so an
undocumented kind would be silently shown under no heading.
"""

import ast
from pathlib import Path

from autograder import incidents, integrity

AUTOGRADER = Path(incidents.__file__).resolve().parent


def recorded_kinds():
    found = {}
    for path in sorted(AUTOGRADER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Incident" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, f"{path.name}:{node.lineno}")
                elif isinstance(first, ast.Name) and isinstance(getattr(integrity, first.id, None), str):
                    found.setdefault(getattr(integrity, first.id), f"{path.name}:{node.lineno}")
    return found


def test_every_recorded_kind_is_documented():
    found = recorded_kinds()
    assert "worker_died" in found and "kernel_died" in found, "the scan no longer finds the grader's incidents"
    unknown = {kind: where for kind, where in found.items() if kind not in incidents.KINDS}
    assert not unknown, f"add these kinds (with a comment) to autograder.incidents.KINDS: {unknown}"


def test_kinds_are_unique_and_grader_problems_are_kinds():
    assert len(set(incidents.KINDS)) == len(incidents.KINDS)
    assert set(incidents.GRADER_PROBLEMS) <= set(incidents.KINDS)
