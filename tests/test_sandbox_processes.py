"""Defence in depth with the sandbox off: no process of a submission outlives its kernel, and a late write is caught.

A submission starts processes meant to survive grading: one in a new
session, a double fork that calls setsid (also with an empty environment),
a plain background child, and a late writer that rewrites every score in
the gradebook as soon as its kernel is gone (what issue 19 saw). Graded WITHOUT the sandbox:

* with the kernel in a cgroup of its own (`--sandbox off` on this machine:
  root may create cgroups) and with the kernel as subreaper marking its
  processes (where cgroups are not writable), every one of them is gone
  when grading returns, the record names them (`leftover_process`), and the
  gradebook keeps the grader's scores;
* with a plain launcher that tracks nothing (the control that shows the
  attack is real), they survive, the late writer rewrites the gradebook,
  and the grader's check and `export` name every changed score instead of
  exporting it.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from autograder import export, grading, state
from autograder.executor import ExecutionLimits, LocalLauncher
from autograder.processes import PidsCgroup
from autograder.sandbox import FallbackLauncher
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}
# Generous: the fixture's cells take well under a second; these only stop a stuck kernel, so a busy
# machine cannot make honest work hit them.
LIMITS = ExecutionLimits(cell_timeout=60, wall_clock=300)
HAS_CGROUPS = PidsCgroup.create() is not None


def _class(root, token):
    course = classroom.make_course(root)
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "detached", attacks.with_cell(course, attacks.detached(token, course.root)))
    return course


@pytest.mark.parametrize("cgroups", [
    pytest.param(True, marks=pytest.mark.skipif(not HAS_CGROUPS and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"),
                                                reason="this process may not create cgroups here")),
    False], ids=["cgroup", "subreaper"])
def test_with_the_sandbox_off_no_process_of_a_submission_outlives_its_kernel(tmp_path, cgroups):
    token = f"autograder-off-{os.getpid()}-{cgroups}"
    course = _class(tmp_path / "course", token)
    launcher = FallbackLauncher("the sandbox was switched off (--sandbox off)", cgroups=cgroups)
    assert ("pids cgroup" if cgroups else "subreaper") in launcher.describe(LIMITS)
    records = grading.grade_submissions(course, A, jobs=2, limits=LIMITS, launcher=launcher)
    # grade_submissions returns once every kernel has stopped: by then nothing of the submission runs
    assert attacks.detached_processes(token, wait=0) == []
    record = records["detached"]
    assert record.scores == FULL and records["solution"].scores == FULL
    (leftover,) = [incident for incident in record.incidents if incident.kind == "leftover_process"]
    for name in ("-session", "-double", "-bare", "-late"):
        assert token + name in leftover.message, leftover.message
    assert not [i for i in records["solution"].incidents if i.kind == "leftover_process"]
    time.sleep(attacks.LATE_SECONDS)  # a surviving late writer would have written by now
    assert not (course.root / f"late-{token}").exists()
    assert classroom.gradebook_snapshot(course, A)[("solution", A, "test_mean_cost")][0] == 1.0
    with course.gradebook() as gradebook:
        assert grading.check_gradebook(course, A, gradebook) == {}


def _kill(token):
    for pid in [int(name) for name in os.listdir("/proc") if name.isdigit()]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as stream:
                if token.encode() in stream.read():
                    os.kill(pid, signal.SIGKILL)
        except OSError:
            continue


def test_without_tracking_the_attack_is_real_and_its_late_write_is_reported_not_exported(tmp_path):
    token = f"autograder-untracked-{os.getpid()}"
    course = _class(tmp_path / "course", token)
    try:
        # the solution first, so that its scores are in the gradebook before the late writer rewrites it
        # (graded side by side, the solution could finish after the write and put its own scores back)
        first = grading.grade_submissions(course, A, jobs=1, limits=LIMITS, launcher=LocalLauncher(),
                                          students=["solution"])
        assert first["solution"].scores == FULL
        grading.grade_submissions(course, A, jobs=1, limits=LIMITS, launcher=LocalLauncher(), students=["detached"])
        assert any(token + "-session" in command for command in attacks.detached_processes(token, wait=0))
        deadline = time.monotonic() + 60
        while not (course.root / f"late-{token}").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (course.root / f"late-{token}").exists(), "the late writer never wrote"
    finally:
        _kill(token)
    with course.gradebook() as gradebook:
        changed = grading.check_gradebook(course, A, gradebook)
    assert set(changed) == {"solution", "detached"}
    assert "ps_fixture/test_mean_cost: auto score is 1000, the grader wrote 1" in changed["solution"]
    (incident,) = [i for i in state.load(course, A, "solution").incidents if i.kind == "gradebook_changed"]
    assert "export` withholds this score" in incident.message
    count, withheld = export.export_checked(course, tmp_path / "grades.csv")
    assert count == 2 and set(withheld) == {("solution", A), ("detached", A)}
    done = subprocess.run([sys.executable, "-m", "autograder", "export", "--to", str(tmp_path / "cli.csv"),
                           "--course", str(course.root)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "WITHHELD" in done.stderr and "1000" in done.stderr
    assert ",1000" not in (tmp_path / "cli.csv").read_text()
