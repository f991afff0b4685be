"""The course as students meet it: every lesson and assignment clicked through in JupyterLab.

Runs in headless Chromium (Debian's, driven by Playwright). Where Chromium is
missing the tests are skipped with the reason, except when
BACKPROP_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
Screenshots go to build/browser/.
"""

import os
import shutil

import nbformat
import pytest

from tests import browser_support as lab
from tests import nbgrade_support

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSONS = sorted(p.relative_to(lab.COURSE_ROOT).as_posix() for p in (lab.COURSE_ROOT / "notebooks").glob("*.ipynb"))
ASSIGNMENTS = sorted({p.parent.name for p in (lab.COURSE_ROOT / "release").glob("*/*.ipynb")})


@pytest.fixture(scope="module")
def server():
    reason = lab.why_no_browser()
    if reason:
        if os.environ.get("BACKPROP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here (BACKPROP_REQUIRE_BROWSER=1) but: {reason}")
        pytest.skip(reason)
    with lab.lab_server() as running:
        yield running


@pytest.fixture(scope="module")
def chromium(server):
    with lab.browser() as running:
        yield running


@pytest.fixture
def page(chromium, server, request):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(120_000)
    page = context.new_page()
    yield page
    try:
        lab.screenshot(page, request.node.name.replace("/", "_").replace("[", "_").replace("]", ""))
    finally:
        context.close()
        server.shutdown_kernels()


def test_there_is_something_to_click():
    assert LESSONS, "no lesson notebooks found in notebooks/"


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_runs_and_its_widget_responds(page, server, lesson):
    lab.open_notebook(page, server, lesson)
    lab.run_all(page)
    lab.wait_until_all_cells_ran(page)
    errors = lab.error_outputs(page)
    assert not errors, f"{lesson}: error output after Run All:\n" + "\n---\n".join(e[:1500] for e in errors)
    assert lab.count(page, ".jp-Notebook .jp-OutputArea-output img") >= 1, f"{lesson}: no plot was rendered as an image"
    assert not lab.unrendered_figures(page), f"{lesson}: a figure was shown as text: {lab.unrendered_figures(page)[:3]}"
    assert lab.count(page, ".jp-Notebook .jupyter-widgets") >= 1, f"{lesson}: no widget was rendered by the widget manager"
    assert not lab.widget_fallbacks(page), f"{lesson}: a widget was shown as its text fallback: {lab.widget_fallbacks(page)[:3]}"
    lab.screenshot(page, f"{os.path.basename(lesson)}-before-control")
    before, after = lab.move_first_control(page)
    assert after != before, f"{lesson}: moving the first control did not change its output"
    lab.screenshot(page, f"{os.path.basename(lesson)}-after-control")


def _copy_for_validation(assignment, variant):
    """Put a blank or solved copy of the release notebook under build/ (Validate saves the notebook first)."""
    source = nbgrade_support.notebook_path("release", assignment)
    target_dir = lab.BUILD_DIR / "assignments" / assignment / variant
    shutil.rmtree(target_dir, ignore_errors=True)
    target_dir.mkdir(parents=True)
    target = target_dir / source.name
    if variant == "blank":
        shutil.copyfile(source, target)
    else:
        nbformat.write(nbgrade_support.submission_with(assignment, {}), target)
    return target.relative_to(lab.COURSE_ROOT).as_posix()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_assignment_fails_validation(page, server, assignment):
    path = _copy_for_validation(assignment, "blank")
    lab.open_notebook(page, server, path)
    lab.run_all(page)
    lab.wait_until_all_cells_ran(page, stop_on_error=True)
    success, text = lab.validate(page)
    assert not success, f"{assignment}: the blank notebook passed validation:\n{text}"
    assert "NotImplementedError" in text or "failed" in text.lower(), f"{assignment}: dialog names no failing cell:\n{text}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solved_assignment_passes_validation(page, server, assignment):
    path = _copy_for_validation(assignment, "solution")
    lab.open_notebook(page, server, path)
    lab.run_all(page)
    lab.wait_until_all_cells_ran(page)
    assert not lab.error_outputs(page), f"{assignment}: errors after Run All with the solution filled in"
    success, text = lab.validate(page)
    assert success, f"{assignment}: the solved notebook failed validation:\n{text}"


def test_jupyterlab_leaves_no_process_behind_even_when_a_test_fails():
    """The server's whole process group (server and kernels) is gone after the context, also after an error."""
    reason = lab.why_no_browser()
    if reason and os.environ.get("BACKPROP_REQUIRE_BROWSER") != "1":
        pytest.skip(reason)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with lab.lab_server() as running:
            group = running.process.pid
            raise Boom("a test failed while the server was up")
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)
