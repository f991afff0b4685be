"""The executor alone: one notebook, one kernel, cell by cell, within limits (the step issue 10 sandboxes)."""

import nbformat
import pytest

from autograder.executor import DIED, ERROR, NOT_RUN, OK, SKIPPED, TIMEOUT, ExecutionLimits, execute_submission

pytestmark = pytest.mark.slow


def _run(tmp_path, sources, **limits):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell("a markdown cell is skipped"))
    path = tmp_path / "submission.ipynb"
    nbformat.write(notebook, path)
    return execute_submission(path, tmp_path, ExecutionLimits(**limits))


def _stdout(cell):
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_cells_before_a_crash_keep_their_outputs_and_later_cells_are_not_run(tmp_path):
    result = _run(tmp_path, ["print('before')", "import os\nos._exit(1)", "print('after')"])
    assert [run.status for run in result.cells] == [OK, SKIPPED, DIED, NOT_RUN]
    assert _stdout(result.notebook.cells[0]) == "before\n"
    assert result.notebook.cells[3].outputs == []
    assert [incident.kind for incident in result.incidents] == ["kernel_died"]


def test_the_kernel_runs_in_the_given_folder_and_errors_do_not_stop_the_run(tmp_path):
    (tmp_path / "data.txt").write_text("42")
    result = _run(tmp_path, ["print(open('data.txt').read())", "raise ValueError('nope')", "print('next')"])
    assert [run.status for run in result.cells] == [OK, SKIPPED, ERROR, OK]
    assert _stdout(result.notebook.cells[0]) == "42\n" and _stdout(result.notebook.cells[3]) == "next\n"


def test_the_memory_limit_turns_a_memory_bomb_into_an_error_in_its_cell(tmp_path):
    result = _run(tmp_path, ["import numpy as np\nbig = np.ones(2**31)", "print('still alive')"],
                  memory_bytes=2**30)
    assert [run.status for run in result.cells] == [ERROR, SKIPPED, OK]
    assert result.notebook.cells[0].outputs[-1].ename == "MemoryError"


def test_a_cell_past_its_time_is_interrupted_and_the_next_cell_runs(tmp_path):
    # 2 s per cell: the cells meant to finish (a print) need a millisecond, hundreds of times less even
    # on a loaded machine; the ones meant to time out never finish.
    result = _run(tmp_path, ["import time\ntime.sleep(60)", "print('next')"], cell_timeout=2)
    assert [run.status for run in result.cells] == [TIMEOUT, SKIPPED, OK]
    assert [incident.kind for incident in result.incidents] == ["timeout"]


def test_a_loop_that_ignores_interrupts_is_abandoned_with_the_rest_of_the_notebook(tmp_path):
    result = _run(tmp_path, ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
                             "print('never')"], cell_timeout=2)
    assert [run.status for run in result.cells] == [TIMEOUT, SKIPPED, NOT_RUN]
    assert [incident.kind for incident in result.incidents] == ["kernel_unresponsive"]


def test_the_wall_clock_stops_a_slow_submission(tmp_path):
    # The first cell (1 s) ends well within the 8 s budget even on a busy machine; the second (60 s) cannot.
    result = _run(tmp_path, ["import time\ntime.sleep(1)", "time.sleep(60)", "print('late')"], wall_clock=8)
    statuses = [run.status for run in result.cells]
    assert statuses[0] == OK and statuses[-1] == NOT_RUN
    assert "wall_clock" in {incident.kind for incident in result.incidents}
