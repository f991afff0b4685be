"""The course as students meet it: every lesson and assignment clicked through in JupyterLab.

Runs in headless Chromium (Debian's, driven by Playwright). Where Chromium is
missing the tests are skipped with the reason, except when
BACKPROP_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
Screenshots go to build/browser/.
"""

import importlib
import json
import os
import re
import shutil

import nbformat
import pytest

from autograder import bundle
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


def _new_page(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(lab.KERNEL_TIMEOUT_MS)
    return context, context.new_page()


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
    problems = lab.wait_until_rendered(page)
    assert not problems, f"{lesson}: " + "; ".join(problems)
    lab.screenshot(page, f"{os.path.basename(lesson)}-before-control")
    before, after = lab.move_first_control(page)
    assert after != before, f"{lesson}: moving the first control did not change its output"
    lab.screenshot(page, f"{os.path.basename(lesson)}-after-control")


def test_widget_callbacks_run_on_the_kernels_main_thread(page, server):
    """A slider's callback runs on the kernel's main thread, as the course's plots need (matplotlib is not
    thread-safe): JupyterLab 4.4+ would otherwise send widget messages to a kernel subshell, which ipykernel 7+
    runs on a thread of its own (autograder.bundle.LAB_SETTING_OVERRIDES turns that off)."""
    folder = lab.BUILD_DIR / "threads"
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import threading\n"
        "import ipywidgets as widgets\n"
        "from IPython.display import display\n\n"
        "def where(x):\n"
        "    print(f'x = {x} ran on {threading.current_thread().name}')\n\n"
        "display(widgets.interactive(where, x=widgets.IntSlider(value=1, min=0, max=10)))")])
    nbformat.write(notebook, folder / "threads.ipynb")
    settings = page.context.request.get(
        f"{server.url}/lab/api/settings/@jupyterlab/apputils-extension:kernels-settings?token={server.token}")
    assert settings.ok, settings.status
    # the course's default (the schema's default as the server overrides it); no user setting changes it here
    reply = settings.json()
    assert reply["schema"]["properties"]["commsOverSubshells"]["default"] == "disabled", reply["schema"]
    assert "commsOverSubshells" not in (reply.get("settings") or {}), reply["settings"]
    path = (folder / "threads.ipynb").relative_to(lab.COURSE_ROOT).as_posix()
    lab.open_notebook(page, server, path)
    lab.run_all(page)
    lab.wait_until_all_cells_ran(page)
    assert not lab.wait_until_rendered(page, images=False)
    before, after = lab.move_first_control(page)
    assert "x = 1 ran on MainThread" in before, before
    assert re.search(r"x = [2-9] ran on ", after), after
    assert re.search(r"x = [2-9] ran on MainThread", after), f"the slider's callback ran on another thread: {after}"


def _copy_for_validation(assignment, variant, replacements=None):
    """Put a blank, solved or mistaken copy of the release notebook under build/ (Validate saves it first)."""
    source = nbgrade_support.notebook_path("release", assignment)
    target_dir = lab.BUILD_DIR / "assignments" / assignment / variant
    shutil.rmtree(target_dir, ignore_errors=True)
    target_dir.mkdir(parents=True)
    target = target_dir / source.name
    if variant == "blank":
        shutil.copyfile(source, target)
    else:
        nbformat.write(nbgrade_support.submission_with(assignment, replacements or {}), target)
    return target.relative_to(lab.COURSE_ROOT).as_posix()


def _test_cells(path):
    """{grade_id: cell index} of the autograded test cells of a notebook under the course root, in order."""
    notebook = nbformat.read(lab.COURSE_ROOT / path, as_version=4)
    cells = {}
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cells[meta["grade_id"]] = index
    return cells


def typical_mistakes(assignment):
    """[(name, {answer cell: code}, {failing test cell: [phrases naming it]})]: the mistakes of the unit's
    grading proof (tests/test_unitN_grading.py, MISTAKES), in its own order, whose feedback is named."""
    number = int(assignment.split("_")[0])
    module = importlib.import_module(f"tests.test_unit{number}_grading")
    solutions = nbgrade_support.solution_code(assignment)
    found = []
    for name, entry in getattr(module, "MISTAKES", {}).items():
        if len(entry) >= 4 and isinstance(entry[0], str) and isinstance(entry[3], dict) and entry[3]:
            cell, replacements, _, named = entry[:4]
            found.append((name, {cell: nbgrade_support.with_bug(solutions, cell, replacements)}, named))
        elif len(entry) == 2 and isinstance(entry[0], dict) and isinstance(entry[1], dict) and entry[1]:
            found.append((name, dict(entry[0]), entry[1]))
    if not found:
        pytest.fail(f"tests/test_unit{number}_grading.py has no MISTAKES entry (cell, replacements, failing cells, "
                    "{cell: [phrases]}) or ({cell: code}, {cell: [phrases]}) to show")
    return found


def _show_first_failure(page, server, path, grade_ids, phrase, screenshot, visible_only_ok=False):
    """Open `path`, Run All, make sure the first of `grade_ids` (in notebook order) ran, and check that
    `phrase` opens its error output and is on screen with the cell scrolled to the top (no scrolling
    needed to read it). Returns the screenshot's path; with visible_only_ok, None when that cell
    passed in JupyterLab (a mistake only the hidden tests catch)."""
    cells = _test_cells(path)
    index = min(cells[grade_id] for grade_id in grade_ids)
    lab.open_notebook(page, server, path)
    lab.run_all(page)
    lab.wait_until_all_cells_ran(page, stop_on_error=True)
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    if not re.search(r"\[\d+\]", cell.locator(".jp-InputArea-prompt").first.inner_text()):
        lab.run_cell(page, index)  # Run All stopped at an earlier (ungraded) cell: run the test itself
    if visible_only_ok and not cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count():
        return None
    report = lab.phrase_in_view(page, index, phrase)
    shot = lab.screenshot(page, screenshot)
    assert report["found"], f"{path}: the output of cell {index} does not say {phrase!r}:\n{report['text']}"
    lines = [line for line in report["text"].splitlines() if line.strip()]
    opening = "\n".join(lines[:6])
    assert phrase in opening, f"{path}: {phrase!r} is not among the first lines of the error:\n{report['text']}"
    assert report["visible"], (f"{path}: {phrase!r} is off screen with its test cell at the top "
                               f"(text at {report['rect']}, clipped by {report['clips']}); see {shot}")
    return shot


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_assignment_fails_validation(page, server, assignment):
    path = _copy_for_validation(assignment, "blank")
    _show_first_failure(page, server, path, list(_test_cells(path))[:1], "not implemented yet",
                        f"{assignment}-blank-first-failure")
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_typical_mistake_shows_its_diagnosis_without_scrolling(page, server, assignment):
    """The unit's first typical mistake that its visible tests catch (the hidden-only ones, such as calling
    an oracle, pass in JupyterLab by design) shows its diagnosis on screen, first."""
    skipped = []
    for name, replacements, named in typical_mistakes(assignment)[:4]:
        path = _copy_for_validation(assignment, f"mistake-{name}", replacements)
        order = _test_cells(path)
        first = min(named, key=lambda grade_id: order[grade_id])
        if _show_first_failure(page, server, path, [first], named[first][0], f"{assignment}-mistake-{name}",
                               visible_only_ok=True):
            return
        skipped.append(name)
        page = page.context.new_page()  # a fresh tab (leaving the edited notebook would ask to confirm)
    pytest.fail(f"{assignment}: none of the first typical mistakes {skipped} fails a visible test in JupyterLab")


# ---- JupyterLab shows a student a student's tools ----------------------------------------------

STUDENT_OFF = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"}
NEWS = "@jupyterlab/apputils-extension:announcements"


def _first_release_notebook(root):
    return sorted(p.relative_to(root).as_posix() for p in (root / "release").glob("*/*.ipynb"))[0]


def test_the_course_edition_has_no_news_prompt_and_keeps_the_instructor_tools(chromium, server):
    context, page = _new_page(chromium)
    try:
        lab.open_notebook(page, server, _first_release_notebook(lab.COURSE_ROOT))
        disabled = lab.disabled_plugins(page)
        assert NEWS in disabled, ("the news prompt is not switched off in this environment: `make lab` / `make test` "
                                  f"write .venv/etc/jupyter/labconfig/page_config.json (disabled: {sorted(disabled)})")
        assert not STUDENT_OFF & disabled
        assert page.locator(".validate-button").count() >= 1
        assert lab.news_toasts(page) == []
        assert lab.http_status(server, "/formgrader") == 200
        lab.screenshot(page, "course-edition")
    finally:
        context.close()


@pytest.fixture(scope="module")
def student_server(server, tmp_path_factory):
    """JupyterLab as the student bundle configures it (its jupyter-config/ on JUPYTER_CONFIG_PATH)."""
    built = bundle.build_bundle(tmp_path_factory.mktemp("student") / "course")
    with lab.lab_server(root_dir=built, config_path=[built / bundle.LAB_CONFIG_DIR]) as running:
        running.root = built
        yield running


def test_the_student_edition_shows_validate_and_no_instructor_tools_or_news(chromium, student_server):
    context, page = _new_page(chromium)
    try:
        lab.open_notebook(page, student_server, _first_release_notebook(student_server.root))
        disabled = lab.disabled_plugins(page)
        assert STUDENT_OFF | {NEWS} <= disabled, sorted(disabled)
        assert "@jupyter/nbgrader:validate-assignment" not in disabled
        assert page.locator(".validate-button").count() >= 1, "no Validate button in the student edition"
        items = lab.menu_items(page, "Nbgrader") or []
        assert not [item for item in items if re.search(r"formgrader|course list", item, re.IGNORECASE)], items
        assert lab.news_toasts(page) == []
        assert lab.http_status(student_server, "/formgrader") == 404
        lab.screenshot(page, "student-edition")
    finally:
        context.close()


def test_the_news_prompt_would_be_seen_if_it_were_on(chromium, tmp_path):
    """The check above can fail: with the plugin switched back on (a page_config first on
    JUPYTER_CONFIG_PATH, which outranks the environment's), the toast shows."""
    override = tmp_path / "news-on"
    (override / "labconfig").mkdir(parents=True)
    (override / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": {NEWS: False}}))
    with lab.lab_server(config_path=[override]) as running:
        context, page = _new_page(chromium)
        try:
            lab.open_notebook(page, running, _first_release_notebook(lab.COURSE_ROOT))
            assert NEWS not in lab.disabled_plugins(page)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.Toastify__toast')].some(t => /\\bnews\\b/i.test(t.innerText))",
                timeout=lab.KERNEL_TIMEOUT_MS)
            assert lab.news_toasts(page)
        finally:
            context.close()


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
