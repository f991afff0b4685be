"""`collect`: student folders, Canvas and Moodle downloads into submitted/, and what is never done silently."""

import json
import os
import zipfile
from datetime import datetime

import nbformat
import pytest

from autograder import collect
from autograder.course import Course
from tests.fixtures.pipeline import classroom

A = classroom.FIXTURE


@pytest.fixture()
def course(tmp_path):
    """A course with the fixture's source only (collect needs nothing else)."""
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / A).mkdir()
    source = classroom.FIXTURE_SOURCE / A / f"{A}.ipynb"
    (tmp_path / "source" / A / f"{A}.ipynb").write_bytes(source.read_bytes())
    (tmp_path / "nbgrader_config.py").write_bytes((classroom.REPO / "nbgrader_config.py").read_bytes())
    return Course(tmp_path)


def _notebook_bytes(marker):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {marker!r}")])
    return nbformat.writes(notebook).encode()


def _zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, (data, when) in files.items():
            info = zipfile.ZipInfo(name, date_time=when)
            archive.writestr(info, data)
    return path


def _marker(course, student):
    notebook = nbformat.read(course.submission_folder(student, A) / f"{A}.ipynb", as_version=4)
    return notebook.cells[0].source


@pytest.mark.parametrize("path, expected", [
    ("alice/ps_fixture.ipynb", {"student": "alice", "source": "folder", "filename": "ps_fixture.ipynb"}),
    ("a.b-c@uni/ps_fixture/notebook.ipynb", {"student": "a.b-c@uni", "source": "folder"}),
    ("doejane_late_48213_1093822_ps_fixture-2.ipynb",
     {"student": "48213", "name": "doejane", "source": "canvas", "late": True, "submission": 1093822,
      "filename": "ps_fixture-2.ipynb"}),
    ("smithjohn_51234_1093900_Copy of ps_fixture (1).ipynb",
     {"student": "51234", "source": "canvas", "late": False, "filename": "Copy of ps_fixture (1).ipynb"}),
    ("Zoë O'Neil_1235_assignsubmission_file_/my work.ipynb",
     {"student": "1235", "name": "Zoë O'Neil", "source": "moodle", "filename": "my work.ipynb"}),
    ("Jane Doe_1234_assignsubmission_file_ps_fixture.ipynb",
     {"student": "1234", "name": "Jane Doe", "source": "moodle", "filename": "ps_fixture.ipynb"}),
])
def test_file_name_patterns(path, expected):
    fields, reason = collect.classify(path, A)
    assert reason is None
    assert {key: fields[key] for key in expected} == expected


@pytest.mark.parametrize("path, words", [
    ("readme.txt", "no pattern"),
    ("Bob_1236_assignsubmission_onlinetext_/onlinetext.html", "onlinetext"),
    ("a/b/c/d.ipynb", "too deep"),
    (".hidden/x.ipynb", "not a usable student id"),
    ("../evil/x.ipynb", "unsafe"),
])
def test_unrecognised_paths_say_why(path, words):
    fields, reason = collect.classify(path, A)
    assert fields is None and words in reason


def test_canvas_zip_latest_resubmission_wins_and_problems_are_named(course, tmp_path):
    archive = _zip(tmp_path / "canvas.zip", {
        "doejane_48213_1093000_ps_fixture.ipynb": (_notebook_bytes("first"), (2026, 1, 9, 10, 0, 0)),
        "doejane_late_48213_1093822_ps_fixture-1.ipynb": (_notebook_bytes("second"), (2026, 1, 11, 10, 0, 0)),
        "doejane_late_48213_1093830_ps_fixture-2.ipynb": (_notebook_bytes("third"), (2026, 1, 11, 12, 0, 0)),
        "smithjohn_51234_1093900_Copy of ps_fixture (1).ipynb": (_notebook_bytes("john"), (2026, 1, 10, 8, 0, 0)),
        "smithjohn_51234_1093901_notes.pdf": (b"%PDF-1.4", (2026, 1, 10, 8, 0, 0)),
        "leeann_60001_1094000_ps_fixture.ipynb": (b'{"cells": [', (2026, 1, 10, 8, 0, 0)),
        "garbage.txt": (b"hello", (2026, 1, 10, 8, 0, 0)),
        "__MACOSX/._doejane": (b"", (2026, 1, 10, 8, 0, 0)),
    })
    report = collect.collect(course, A, archive)
    assert sorted(report.collected) == ["48213", "51234"]
    assert _marker(course, "48213") == "x = 'third'"
    assert _marker(course, "51234") == "x = 'john'"
    problems = dict(report.problems)
    assert "not a notebook" in problems["smithjohn_51234_1093901_notes.pdf"]
    assert "not valid JSON" in problems["leeann_60001_1094000_ps_fixture.ipynb"]
    assert "no pattern" in problems["garbage.txt"]
    assert not any("MACOSX" in path for path in problems)
    assert sum("replaced by the later" in line for line in report.replaced) == 2
    assert any("Copy of ps_fixture (1).ipynb" in note for note in report.notes)
    stamp = (course.submission_folder("48213", A) / "timestamp.txt").read_text().strip()
    assert stamp == "2026-01-11 12:00:00.000000 UTC"
    log = json.loads(collect.log_path(course, A).read_text())
    assert log["students"]["48213"]["late"] is True and log["students"]["48213"]["name"] == "doejane"
    assert "60001" in collect.rejected_files(course, A)
    summary = report.summary()
    assert "leeann_60001_1094000_ps_fixture.ipynb" in summary and "warning:" in summary


def test_moodle_zip_with_folders_and_online_text(course, tmp_path):
    archive = _zip(tmp_path / "moodle.zip", {
        "Jane Doe_1234_assignsubmission_file_/ps_fixture.ipynb": (_notebook_bytes("jane"), (2026, 1, 9, 9, 0, 0)),
        "Zoë O'Neil_1235_assignsubmission_file_/my work.ipynb": (_notebook_bytes("zoe"), (2026, 1, 9, 9, 0, 0)),
        "Bob_1236_assignsubmission_onlinetext_/onlinetext.html": (b"<p>hi</p>", (2026, 1, 9, 9, 0, 0)),
    })
    report = collect.collect(course, A, archive)
    assert sorted(report.collected) == ["1234", "1235"]
    assert _marker(course, "1235") == "x = 'zoe'"
    assert collect.collected_names(course, A)["1235"] == "Zoë O'Neil"
    assert "onlinetext" in dict(report.problems)["Bob_1236_assignsubmission_onlinetext_/onlinetext.html"]


def test_student_folders_and_never_overwriting_silently(course, tmp_path):
    downloads = tmp_path / "drive"
    (downloads / "alice").mkdir(parents=True)
    notebook = downloads / "alice" / f"{A}.ipynb"
    notebook.write_bytes(_notebook_bytes("v1"))
    report = collect.collect(course, A, downloads)
    assert report.collected == {"alice": [f"{A}.ipynb"]} and not report.replaced

    again = collect.collect(course, A, downloads)  # same file: left alone
    assert again.collected == {} and again.unchanged

    notebook.write_bytes(_notebook_bytes("v2"))  # a later version: replaces, with a warning and a kept copy
    newer = collect.collect(course, A, downloads)
    assert _marker(course, "alice") == "x = 'v2'"
    assert len(newer.replaced) == 1 and "earlier submission was replaced" in newer.replaced[0]
    kept = list((course.state_root / "replaced" / A / "alice").rglob(f"{A}.ipynb"))
    assert len(kept) == 1 and b"v1" in kept[0].read_bytes()

    older = tmp_path / "old"
    (older / "alice").mkdir(parents=True)
    (older / "alice" / f"{A}.ipynb").write_bytes(_notebook_bytes("v0"))
    old_time = datetime(2020, 1, 1).timestamp()
    os.utime(older / "alice" / f"{A}.ipynb", (old_time, old_time))
    stale = collect.collect(course, A, older)  # an older file: not taken, with a warning
    assert _marker(course, "alice") == "x = 'v2'"
    assert len(stale.kept) == 1 and "older" in stale.kept[0]
