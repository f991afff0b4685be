"""Test integrity: a wrong answer cannot pass by tampering with the kernel the tests run in.

Each attack in tests/fixtures/sandbox/attacks.py answers mean_cost wrongly and
then changes the kernel (input or AST transformers, event callbacks, trace
functions, showtraceback, the kernel's messages, monkey-patched checks,
numpy or builtins, rebound names, planted modules, a background thread, the
grader's reference solution, gc and ctypes). First every effective attack is
shown to work against a plain kernel (LocalLauncher, no guard): the wrong
answer gets the point. Then the same attacks, graded in one batch with the
guarded launcher, score 0 on that test and on every later one, each with a
`tampering` incident; the honest submissions of the batch keep exactly
their grades, and a module shipped next to the notebook is ignored.
"""

import pytest

from autograder import state
from autograder.executor import ExecutionLimits, LocalLauncher
from autograder.grading import grade_submissions
from autograder.integrity import SHADOW_MODULE, TAMPERING
from autograder.sandbox import BubblewrapLauncher, FallbackLauncher, self_test
from tests.fixtures.pipeline import classroom
from tests.fixtures.sandbox import attacks

pytestmark = pytest.mark.slow

A = classroom.FIXTURE
TESTS = ("test_mean_cost", "test_linear_gradients_dW", "test_linear_gradients_db")
FULL = {"test_mean_cost": (1.0, 1.0), "test_linear_gradients_dW": (2.0, 2.0), "test_linear_gradients_db": (1.0, 1.0)}
WRONG = dict(FULL, test_mean_cost=(0.0, 1.0))
# No cell here is meant to time out (the attacks and the fixture's tests take milliseconds of CPU):
# these limits only stop a stuck kernel, far beyond what honest work needs under any load.
LIMITS = ExecutionLimits(cell_timeout=60, wall_clock=600)
SHADOW = "def check_float(*args, **kwargs):\n    return None\n"


def guarded_launcher():
    """The sandbox where it works here; otherwise the fallback, which runs the same guard."""
    sandbox = BubblewrapLauncher()
    reason = self_test(sandbox)
    return sandbox if reason is None else FallbackLauncher(reason)


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("unguarded"))
    for attack in attacks.EFFECTIVE:
        classroom.submit(course, A, attack, attacks.tampering(course, attack))
    return grade_submissions(course, A, jobs=2, limits=LIMITS, launcher=LocalLauncher())


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    course = classroom.make_course(tmp_path_factory.mktemp("guarded"))
    classroom.submit(course, A, "solution", classroom.submission(course, A))
    classroom.submit(course, A, "wrong", classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}))
    classroom.submit(course, A, "rigged_eq", attacks.rigged_eq(course))
    classroom.submit(course, A, "benign", attacks.benign(course))
    folder = classroom.submit(course, A, "shipped_modules",
                              classroom.submission(course, A, {"mean_cost": attacks.WRONG_MEAN_COST}))
    (folder / "utils.py").write_text(SHADOW)
    (folder / "numpy").mkdir()
    (folder / "numpy" / "__init__.py").write_text("asarray = None\n")
    for attack in attacks.TAMPERING:
        classroom.submit(course, A, attack, attacks.tampering(course, attack))
    return grade_submissions(course, A, jobs=2, limits=LIMITS, launcher=guarded_launcher())


@pytest.mark.parametrize("attack", attacks.EFFECTIVE)
def test_without_the_guard_the_attack_passes_a_wrong_answer(unguarded, attack):
    record = unguarded[attack]
    assert record.scores["test_mean_cost"] == (1.0, 1.0), (record.scores, record.feedback["test_mean_cost"])


@pytest.mark.parametrize("attack", sorted(attacks.TAMPERING))
def test_with_the_guard_the_attack_scores_zero_from_there_on_and_is_recorded(guarded, attack):
    record = guarded[attack]
    assert record.status == state.GRADED_WITH_INCIDENTS
    assert all(points == 0 for points, _ in record.scores.values()), record.scores
    tampering = [incident for incident in record.incidents if incident.kind == TAMPERING]
    assert tampering and tampering[0].cell == "test_mean_cost", record.incidents
    assert "IntegrityError" in record.feedback["test_mean_cost"], record.feedback["test_mean_cost"]
    assert "tampered" in record.diagnoses["test_mean_cost"]


def test_honest_submissions_in_the_batch_keep_exactly_their_grades(guarded):
    assert guarded["solution"].scores == FULL and guarded["solution"].incidents == []
    assert guarded["wrong"].scores == WRONG and guarded["wrong"].incidents == []


def test_plots_widgets_progress_bars_and_magics_are_not_tampering(guarded):
    record = guarded["benign"]
    assert record.scores == FULL and record.incidents == [], (record.incidents, record.feedback)


def test_an_object_with_a_rigged_eq_fails_without_counting_as_tampering(guarded):
    record = guarded["rigged_eq"]
    assert record.scores == WRONG, record.feedback["test_mean_cost"]
    assert not [incident for incident in record.incidents if incident.kind == TAMPERING]


def test_modules_shipped_with_the_notebook_are_not_used_and_are_recorded(guarded):
    record = guarded["shipped_modules"]
    assert record.scores == WRONG  # the real check_float ran and failed the wrong answer
    (incident,) = record.incidents
    assert incident.kind == SHADOW_MODULE
    assert "utils.py" in incident.message and "numpy/" in incident.message


def test_the_guard_asks_the_kernel_through_the_sliced_channel(tmp_path, monkeypatch):
    """The guard's requests wait on execute_reply (autograder.polling), not on execute_interactive's own
    poller, which could sleep through an answer until ANSWER_TIMEOUT and then switch the guard off."""
    import asyncio

    import nbformat

    from autograder.executor import start_kernel, stop_kernel
    from tests.polling_support import only_execute_reply

    asked = only_execute_reply(monkeypatch)
    launcher = guarded_launcher()

    async def run():
        slot = await start_kernel(tmp_path / "kernel", LIMITS, launcher=launcher)
        try:
            return await launcher.session(slot, nbformat.v4.new_notebook(), "probe.ipynb")._ensure_alive()
        finally:
            await stop_kernel(slot)

    assert asyncio.run(run()) is True, "the guard did not answer its ping"
    assert any("autograder.ping" in code for code in asked), asked
