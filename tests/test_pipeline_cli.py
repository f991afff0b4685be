"""`python -m autograder`: every command answers --help, with the flags of its contract."""

import subprocess
import sys

import pytest

from autograder.cli import build_parser, grading_summary
from autograder.incidents import Incident
from autograder.state import GRADED, GRADED_WITH_INCIDENTS, UNGRADABLE, StudentRecord

COMMANDS = {
    "release": ["ASSIGNMENT", "--check"],
    "collect": ["ASSIGNMENT", "PATH"],
    "grade": ["ASSIGNMENT", "--jobs", "--force"],
    "feedback": ["ASSIGNMENT"],
    "export": ["--to"],
    "report": ["ASSIGNMENT"],
}


def _help(*args):
    completed = subprocess.run([sys.executable, "-m", "autograder", *args, "--help"], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_top_level_help_lists_every_command():
    text = _help()
    for command in [*COMMANDS, "bundle"]:
        assert command in text


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_help_with_its_flags(command):
    text = _help(command).upper()
    for flag in COMMANDS[command]:
        assert flag.upper() in text, (command, flag)


def test_contract_arguments_parse():
    parser = build_parser()
    args = parser.parse_args(["grade", "ps1", "--jobs", "3", "--force"])
    assert (args.assignment, args.jobs, args.force) == ("ps1", 3, True)
    assert parser.parse_args(["release"]).assignment is None
    assert parser.parse_args(["release", "ps1", "--check"]).check
    assert parser.parse_args(["export", "--to", "g.csv"]).to == "g.csv"
    assert parser.parse_args(["collect", "ps1", "dl.zip"]).path == "dl.zip"


def test_unknown_course_is_an_error_not_a_traceback(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "autograder", "grade", "ps1", "--course", str(tmp_path)],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert "no assignment 'ps1'" in completed.stderr and "Traceback" not in completed.stderr


def test_summary_names_everything_that_was_not_simply_graded():
    records = {
        "ok": StudentRecord("ok", "a", GRADED),
        "odd": StudentRecord("odd", "a", GRADED_WITH_INCIDENTS,
                             incidents=[Incident("timeout", "stopped after 5 s", "f", "a")]),
        "bad": StudentRecord("bad", "a", UNGRADABLE, reason="a.ipynb: not valid JSON at line 1 column 2"),
    }
    text = grading_summary(records)
    assert text.splitlines()[0] == "3 submissions: 1 graded, 1 graded with incidents, 1 ungradable"
    assert "odd: graded with incidents" in text and "[timeout] a/f: stopped after 5 s" in text
    assert "bad: ungradable (a.ipynb: not valid JSON at line 1 column 2)" in text
    assert "ok" not in text.split("\n", 1)[1]
