"""JupyterLab in headless Chromium, for the tests that click through the course as a student does.

`lab_server()` starts the same JupyterLab that `make lab` starts (same
command, from the course root, on 127.0.0.1) with a free port, a token,
throwaway user settings (autosave off, so no lesson is rewritten; the
default kernel starts without a dialog; every cell rendered) and
throwaway workspaces. It stops the server's whole process group on exit,
also when a test fails.

`browser()` launches Debian's Chromium through Playwright. Never run
`playwright install`: it downloads a browser, which this project never does.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = COURSE_ROOT / "build" / "browser"
CHROMIUM = os.environ.get("BACKPROP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

#: User settings for the test server: (plugin path, settings). The news prompt is NOT switched off
#: here: the course's own configuration must keep it away (see the Makefile and autograder/bundle.py).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"autoStartDefaultKernel": True, "windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}

#: Generous waits: the tests must pass on a busy machine (two CPU hogs beside them), never on fixed sleeps.
KERNEL_TIMEOUT_MS = 300_000
RUN_TIMEOUT_MS = 900_000
RENDER_TIMEOUT_MS = 120_000  # outputs drawn after the run is over (wait_until_rendered)


def why_no_browser():
    """None if Chromium and Playwright are usable here, else the reason why not."""
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"Playwright for Python is not installed ({error}); pip install -e '.[dev]'"
    return None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lab_command(port, token, settings_dir, workspaces_dir, root_dir=COURSE_ROOT):
    """The `make lab` command, plus what a headless test needs."""
    command = [
        sys.executable, "-m", "jupyter", "lab",
        "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.root_dir={root_dir}",
        "--no-browser", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings_dir}", f"--LabApp.workspaces_dir={workspaces_dir}",
        "--ServerApp.port_retries=0",
        # checkpoints go to the test's scratch folder, not .ipynb_checkpoints/ beside the course's notebooks
        f"--FileCheckpoints.checkpoint_dir={Path(workspaces_dir).parent / 'checkpoints'}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


class LabServer:
    def __init__(self, url, token, process, log_path):
        self.url = url
        self.token = token
        self.process = process
        self.log_path = log_path

    def page_url(self, relative_path):
        return f"{self.url}/lab/tree/{relative_path}?token={self.token}&reset"

    def log_tail(self, lines=40):
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def shutdown_kernels(self):
        """Ask the server to shut every kernel down (best effort)."""
        try:
            request = urllib.request.Request(f"{self.url}/api/kernels?token={self.token}")
            with urllib.request.urlopen(request, timeout=10) as response:
                kernels = json.load(response)
            for kernel in kernels:
                delete = urllib.request.Request(f"{self.url}/api/kernels/{kernel['id']}?token={self.token}", method="DELETE")
                urllib.request.urlopen(delete, timeout=10).close()
        except OSError:
            pass


@contextlib.contextmanager
def lab_server(startup_timeout=300, root_dir=COURSE_ROOT, config_path=None, config_dir=None):
    """Run JupyterLab from `root_dir` (the course root); yield a LabServer; stop every process it started.

    config_path: folders put first on JUPYTER_CONFIG_PATH (laid out like etc/jupyter), e.g. the
                 student bundle's jupyter-config/, to run the student edition.
    config_dir:  JUPYTER_CONFIG_DIR (the user's own config folder; default: an empty scratch one, so
                 no ~/.jupyter of the machine changes what is tested).
    """
    scratch = Path(tempfile.mkdtemp(prefix="lab-test-"))
    settings_dir = scratch / "settings"
    for plugin, values in LAB_SETTINGS.items():
        target = settings_dir / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port, token = free_port(), os.urandom(16).hex()
    log_path = scratch / "lab.log"
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    env["JUPYTER_CONFIG_DIR"] = str(config_dir or scratch / "user-config")
    if config_path:
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(str(path) for path in config_path)
    else:
        env.pop("JUPYTER_CONFIG_PATH", None)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            lab_command(port, token, settings_dir, scratch / "workspaces", root_dir),
            cwd=root_dir, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, process, log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer within {startup_timeout} s:\n{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        server.shutdown_kernels()
        _stop_process_group(process)
        shutil.rmtree(scratch, ignore_errors=True)


def _stop_process_group(process, grace=10):
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    # Kernels are in the same session (process group) unless they left it: end them all.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(grace)


@contextlib.contextmanager
def browser():
    """A headless Debian Chromium driven by Playwright; yields a Playwright Browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


# ---- driving a notebook page -------------------------------------------------------------------

_ERROR_LINE = re.compile(r"^\s*(Traceback \(most recent call last\)|[A-Za-z_.]*(Error|Exception)\b.*Traceback)", re.MULTILINE)
_WIDGET_FALLBACK = re.compile(r"^(interactive|[A-Z][A-Za-z]*(Slider|Dropdown|Box|Button|Output|Text|Checkbox|Play|ToggleButtons))\(")


def open_notebook(page, server, relative_path, timeout_ms=KERNEL_TIMEOUT_MS):
    """Open a notebook and wait until its kernel is idle."""
    page.goto(server.page_url(relative_path), timeout=timeout_ms)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_ms)
    wait_for_idle_kernel(page, timeout_ms)


def wait_for_idle_kernel(page, timeout_ms=KERNEL_TIMEOUT_MS):
    page.wait_for_function(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
            if (!panel) return false;
            const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
            if (status && status.getAttribute('data-status')) return status.getAttribute('data-status') === 'idle';
            const label = panel.querySelector('.jp-Toolbar-kernelStatus, .jp-KernelStatus');
            return !label || /idle/i.test(label.getAttribute('title') || label.textContent || 'idle');
        }""",
        timeout=timeout_ms,
    )


def _prompts(page):
    return page.eval_on_selector_all(
        ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt", "nodes => nodes.map(n => n.textContent.trim())"
    )


def _kernel_idle(page):
    return page.evaluate(
        """() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');
                   return !s || s.getAttribute('data-status') === 'idle'; }"""
    )


def _counted(prompt):
    return bool(re.search(r"\[\d+\]", prompt))


def run_all(page, start_timeout_s=120, attempts=3):
    """Run every cell through the menu command 'Run All Cells'; retry if the command did not take.

    Right after a notebook opens, JupyterLab may not yet treat it as the current
    widget, and the menu command then does nothing: focus it and try again. On a
    busy machine the first prompt can take a while to change: any queued ([*]) or
    counted prompt, or a busy kernel, shows the command took.
    """
    for _ in range(attempts):
        page.locator(".jp-Notebook .jp-Cell").first.click(position={"x": 5, "y": 5})
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()
        deadline = time.monotonic() + start_timeout_s
        while time.monotonic() < deadline:
            if any(prompt not in ("[ ]:", "") for prompt in _prompts(page)) or not _kernel_idle(page):
                return
            page.wait_for_timeout(500)
        page.keyboard.press("Escape")
    raise AssertionError(f"'Run All Cells' started no cell after {attempts} attempts")


def wait_until_all_cells_ran(page, timeout_ms=RUN_TIMEOUT_MS, stop_on_error=False):
    """Wait until the run is over: the kernel idle, nothing queued, and every code cell counted.

    A settled run is seen twice in a row before it counts. With stop_on_error (Run
    All halts at the first error), the run is also over once an error is shown and
    nothing runs. Returns the input prompts. Raises AssertionError, naming the
    cells and the errors, when the run is not over within `timeout_ms`. No fixed
    sleeps decide anything: on a busy machine this only waits longer.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    confirmed = 0
    prompts = _prompts(page)
    while time.monotonic() < deadline:
        prompts = _prompts(page)
        running = any("*" in prompt for prompt in prompts) or not _kernel_idle(page)
        done = not running and (all(_counted(prompt) for prompt in prompts)
                                or (stop_on_error and bool(error_outputs(page))))
        confirmed = confirmed + 1 if done else 0
        if confirmed >= 2:
            return prompts
        page.wait_for_timeout(500)
    not_run = [index for index, prompt in enumerate(prompts) if not _counted(prompt)]
    raise AssertionError(
        f"after {timeout_ms / 1000:.0f} s, code cells {not_run} have not run (prompts {prompts}); errors: "
        + " | ".join(text[:800] for text in error_outputs(page))
    )


def run_cell(page, index, timeout_ms=RUN_TIMEOUT_MS):
    """Run the notebook's cell number `index` (all cells, markdown included) on its own; wait until it ran."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Control+Enter")
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        prompt = cell.locator(".jp-InputArea-prompt").first.inner_text().strip()
        if _counted(prompt) and _kernel_idle(page):
            return prompt
        page.wait_for_timeout(500)
    raise AssertionError(f"cell {index} did not run within {timeout_ms / 1000:.0f} s")


def output_texts(page):
    """The text of every output area, in order."""
    return page.eval_on_selector_all(".jp-Notebook .jp-OutputArea-output", "nodes => nodes.map(n => n.innerText)")


def error_outputs(page):
    """The texts of outputs that are Python errors (tracebacks), ignoring warnings."""
    texts = page.eval_on_selector_all(
        ".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "nodes => nodes.map(n => n.innerText)",
    )
    return [text for text in texts if "Traceback" in text or re.search(r"^\w*(Error|Exception):", text, re.MULTILINE)]


def unrendered_figures(page):
    """Outputs that show a figure's repr instead of the figure."""
    return [text for text in output_texts(page) if re.match(r"^\s*<Figure size", text)]


def widget_fallbacks(page):
    """Outputs that show a widget's text fallback instead of the widget."""
    return [text for text in output_texts(page) if _WIDGET_FALLBACK.match(text.strip())]


def count(page, selector):
    return page.locator(selector).count()


def render_problems(page, images=True):
    """What a lesson's page does not show yet: plots as images (unless images=False), figures not as text,
    widgets as widgets."""
    problems = []
    if images and count(page, ".jp-Notebook .jp-OutputArea-output img") < 1:
        problems.append("no plot was rendered as an image")
    if unrendered_figures(page):
        problems.append(f"a figure was shown as text: {unrendered_figures(page)[:3]}")
    if count(page, ".jp-Notebook .jupyter-widgets") < 1:
        problems.append("no widget was rendered by the widget manager")
    if widget_fallbacks(page):
        problems.append(f"a widget was shown as its text fallback: {widget_fallbacks(page)[:3]}")
    return problems


def wait_until_rendered(page, timeout_ms=RENDER_TIMEOUT_MS, images=True):
    """[] once render_problems(page, images) is empty; else its problems after `timeout_ms`.

    The kernel is idle and every prompt counted before the page has drawn every output: images decode and
    widget views are built from their models afterwards, asynchronously, and on a busy machine that can
    lag by seconds. No fixed sleep decides anything: on a busy machine this only waits longer.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    problems = render_problems(page, images)
    while problems and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        problems = render_problems(page, images)
    return problems


WIDGET_STATE_JS = """(cell) => {
    const parts = [];
    cell.querySelectorAll('.jp-OutputArea-output img').forEach(img => parts.push(img.getAttribute('src')));
    cell.querySelectorAll('.widget-output, .widget-html-content, .widget-label, .widget-text, pre')
        .forEach(n => { if (!n.closest('.widget-readout')) parts.push(n.innerText); });
    return parts.join('\\n');
}"""


def move_first_control(page, timeout_ms=60_000):
    """Move the first slider (or dropdown) of the notebook; return (before, after) of its cell's outputs.

    Raises AssertionError if the notebook has no control or nothing changed.
    """
    slider = page.locator(".jp-Notebook .widget-slider .noUi-handle").first
    dropdown = page.locator(".jp-Notebook .widget-dropdown select").first
    if slider.count():
        cell = page.locator(".jp-Notebook .jp-Cell", has=page.locator(".widget-slider")).first
        before = cell.evaluate(WIDGET_STATE_JS)
        slider.scroll_into_view_if_needed()
        slider.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
    elif dropdown.count():
        cell = page.locator(".jp-Notebook .jp-Cell", has=page.locator(".widget-dropdown")).first
        before = cell.evaluate(WIDGET_STATE_JS)
        options = dropdown.evaluate("s => [...s.options].map(o => o.value)")
        current = dropdown.evaluate("s => s.value")
        dropdown.select_option(next(o for o in options if o != current))
    else:
        raise AssertionError("no slider or dropdown found in the notebook")
    deadline = time.monotonic() + timeout_ms / 1000
    after = before
    while time.monotonic() < deadline:
        page.wait_for_timeout(500)
        after = cell.evaluate(WIDGET_STATE_JS)
        if after != before:
            break
    # Let the redraw finish (the kernel may still be busy with the last key press).
    settled = 0
    while settled < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        settled = settled + 1 if _kernel_idle(page) else 0
    return before, cell.evaluate(WIDGET_STATE_JS)


def screenshot(page, name):
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    path = BUILD_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def validate(page, timeout_ms=300_000):
    """Press nbgrader's Validate button; return (success, dialog text)."""
    page.locator(".validate-button").first.click()
    page.wait_for_selector(".validation-success, .validation-failed, .jp-Dialog:has-text('error running the validate')",
                           timeout=timeout_ms)
    dialog = page.locator(".jp-Dialog").last
    text = dialog.inner_text()
    success = page.locator(".validation-success").count() > 0
    dialog.locator("button", has_text="Ok").first.click()
    return success, text


# ---- what a student sees ------------------------------------------------------------------------

PHRASE_IN_VIEW_JS = """([cell, phrase]) => {
    cell.scrollIntoView({block: 'start'});
    const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
    for (const output of outputs) {
        const walker = document.createTreeWalker(output, NodeFilter.SHOW_TEXT);
        const nodes = [];
        let text = '';
        while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.textContent; }
        const at = text.indexOf(phrase);
        if (at < 0) continue;
        const locate = (position) => {
            let found = nodes[0];
            for (const entry of nodes) { if (entry[1] <= position) found = entry; else break; }
            return [found[0], position - found[1]];
        };
        const range = document.createRange();
        const [startNode, startOffset] = locate(at);
        const [endNode, endOffset] = locate(at + phrase.length - 1);
        range.setStart(startNode, startOffset);
        range.setEnd(endNode, endOffset + 1);
        const rect = range.getBoundingClientRect();
        const clips = [{name: 'window', top: 0, bottom: window.innerHeight, left: 0, right: window.innerWidth}];
        for (let node = startNode.parentElement; node; node = node.parentElement) {
            const style = getComputedStyle(node);
            const box = node.getBoundingClientRect();
            // a box clips only where it has a size (display: contents and the like report 0 x 0)
            if (/(auto|scroll|hidden|clip)/.test(style.overflowY + style.overflowX) && box.width > 0 && box.height > 0) {
                clips.push({name: node.className || node.tagName, top: box.top, bottom: box.bottom,
                            left: box.left, right: box.right});
            }
        }
        const inside = clips.every(c => rect.top >= c.top - 1 && rect.bottom <= c.bottom + 1
                                        && rect.left >= c.left - 1 && rect.right <= c.right + 1);
        const outputBox = output.getBoundingClientRect();
        return {found: true, visible: inside && rect.height > 0,
                rect: {top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right},
                output_top: outputBox.top, clips: clips, text: text.slice(0, 400)};
    }
    return {found: false, visible: false, text: outputs.map(o => o.innerText).join('\\n---\\n').slice(0, 2000)};
}"""


def phrase_in_view(page, cell_index, phrase):
    """Scroll cell `cell_index` (all cells counted) to the top of the notebook; report where `phrase`
    stands in its outputs: {"found", "visible" (inside the window and every scrolling box around it),
    "rect", "clips", "text"}."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(cell_index)
    report = page.evaluate(PHRASE_IN_VIEW_JS, [cell.element_handle(), phrase])
    page.wait_for_timeout(100)  # let the scroll paint before a screenshot (not a decision)
    return report


def page_config(page):
    """JupyterLab's page configuration as the server sent it to this page."""
    return json.loads(page.eval_on_selector("#jupyter-config-data", "node => node.textContent"))


def disabled_plugins(page):
    disabled = page_config(page).get("disabledExtensions", [])
    return set(disabled if isinstance(disabled, list) else [key for key, value in disabled.items() if value])


def news_toasts(page):
    """Texts of the notification toasts that ask about or show Jupyter news."""
    texts = page.eval_on_selector_all(".Toastify__toast", "nodes => nodes.map(n => n.innerText)")
    return [text for text in texts if re.search(r"\bnews\b", text, re.IGNORECASE)]


def menu_items(page, menu):
    """The item labels of a main-menu menu (e.g. "Nbgrader"), or None if the menu bar has no such menu."""
    title = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(menu)}$"))
    if not title.count():
        return None
    title.first.click()
    page.wait_for_selector(".lm-Menu .lm-Menu-itemLabel")
    labels = page.eval_on_selector_all(".lm-Menu:not(.lm-MenuBar) .lm-Menu-itemLabel", "nodes => nodes.map(n => n.textContent.trim())")
    page.keyboard.press("Escape")
    return [label for label in labels if label]


def http_status(server, path):
    """The HTTP status of GET path on the server (with the token)."""
    import urllib.error

    try:
        with urllib.request.urlopen(f"{server.url}{path}?token={server.token}", timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
