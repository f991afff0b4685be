"""The sandbox's self-test names what is missing, where the kernel finds it, and what to do.

* The kernel's interpreter is asked where the course's packages come from
  (autograder.kernel_env), not the grader's working directory.
* A bind left out (here on purpose) is named with where the kernel imports
  the module from outside the sandbox.
* An environment the course was never installed into is refused before
  anything runs, naming the modules and the command that installs it.
* An environment whose sys.path would show the course being graded (a .pth
  entry naming the folder that holds it) is refused, naming that entry.
"""

import os
import sysconfig
import tempfile
from pathlib import Path

import pytest

from autograder import kernel_env
from autograder.sandbox import BubblewrapLauncher, SandboxUnavailable, self_test
from tests import setups_support as setups
from tests.fixtures.pipeline import classroom

REPO = Path(__file__).resolve().parents[1]
REASON = self_test(BubblewrapLauncher())
needs_sandbox = pytest.mark.skipif(REASON is not None and not os.environ.get("BACKPROP_REQUIRE_SANDBOX"),
                                   reason=f"bubblewrap cannot run here: {REASON}")


def test_the_kernels_interpreter_says_where_the_course_packages_come_from():
    view = kernel_env.kernel_view(kernel_env.kernel_python())
    utils = view.package_folder("utils")
    assert utils is not None and (utils / "checks.py").is_file()
    assert view.origin("autograder.reference").endswith("reference.py")
    assert "utils.testing._common" in view.modules_of("utils.testing")
    # the checkout holding the packages is never exposed whole, only the packages themselves
    assert Path(os.path.realpath(utils)).parent not in [Path(os.path.realpath(p)) for p in view.exposed()]
    assert utils in view.exposed() or any(utils.is_relative_to(path) for path in view.exposed())
    assert os.path.join(str(utils), "") in view.trusted_roots()


def test_differences_name_each_module_missing_or_elsewhere_inside():
    outside = kernel_env.KernelView("/env/bin/python", {"modules": {
        "utils": {"folder": ["/term1/utils"]}, "numpy": {"folder": ["/env/numpy"]},
        "autograder.reference": {"file": "/term1/autograder/reference.py"}, "missing": None}})
    inside = {"modules": {"utils": None, "numpy": {"folder": ["/elsewhere/numpy"]},
                          "autograder.reference": {"file": "/term1/autograder/reference.py"}},
              "imports": {"ipykernel.kernelapp": "ImportError: libzmq.so.5: cannot open shared object file"}}
    assert kernel_env.differences(outside, inside) == [
        "`numpy` comes from /elsewhere/numpy instead of /env/numpy",
        "`utils` is missing (the kernel's interpreter imports it from /term1/utils)",
        "`import ipykernel.kernelapp` fails: ImportError: libzmq.so.5: cannot open shared object file"]


@needs_sandbox
def test_a_bind_left_out_is_named_with_where_the_kernel_finds_the_module(monkeypatch):
    launcher = BubblewrapLauncher()
    utils = launcher.view().package_folder("utils")
    binds = launcher.binds
    monkeypatch.setattr(launcher, "binds", lambda view: [pair for pair in binds(view) if pair[1] != utils])
    if any(utils.is_relative_to(destination) for _, destination in launcher.binds(launcher.view())):
        pytest.skip(f"utils ({utils}) lies inside the environment here: no bind of its own to leave out")
    with pytest.raises(SandboxUnavailable) as refused:
        launcher.check()
    reason = refused.value.reason
    assert f"`utils` is missing (the kernel's interpreter imports it from {utils})" in reason
    assert "`import utils` fails: ModuleNotFoundError" in reason and "make install" in reason


@pytest.fixture(scope="module")
def base():
    folder = Path(tempfile.mkdtemp(prefix="autograder-kernel-env-", dir="/tmp"))
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@needs_sandbox
def test_an_environment_without_the_course_is_refused_naming_what_is_missing(base):
    course = setups.course(None, base / "course")
    classroom.submit(course, classroom.FIXTURE, "solution", classroom.submission(course, classroom.FIXTURE))
    if (Path(sysconfig.get_paths()["purelib"]) / "utils").is_dir():
        pytest.skip("this environment has the course copied into site-packages: every environment sees it")
    python = setups.environment(base / "bare-env", None, None)
    code, out, err = setups.finish(setups.grade(python, course.root))
    assert code == 2, (out, err)
    assert f"the kernel's interpreter {python} cannot import utils" in err
    assert "even without the sandbox" in err and "pip install -e /path/to/course" in err
    assert not course.autograded.exists() and not course.gradebook_path.exists()


@needs_sandbox
def test_an_environment_whose_sys_path_shows_the_course_is_refused_naming_the_entry(base):
    course = setups.course(None, base / "courses" / "term2")
    classroom.submit(course, classroom.FIXTURE, "solution", classroom.submission(course, classroom.FIXTURE))
    tools = setups.build_tools(base / "build-tools")
    checkout = setups.checkout(base / "term1")
    python = setups.environment(base / "env", checkout, tools, extra_paths=[base / "courses"])
    code, out, err = setups.finish(setups.grade(python, course.root))
    assert code == 2, (out, err)
    assert f"the kernel's environment includes {base / 'courses'}, which holds {course.root}" in err
    assert ".pth" in err and "--sandbox off" in err
    assert not course.autograded.exists() and not course.gradebook_path.exists()
