"""The environment: pyproject.toml and environment.yml agree, pip check is clean, imports are fast.

The import checks assert behaviour, not time: importing nbformat must not
build rfc3987-syntax's Lark parsers (tools/fast_imports.py makes them lazy),
and those parsers must still work when something asks for them.
"""

import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

#: Reports whether importing nbformat in a fresh interpreter constructs any lark.Lark parser
#: (and stops at the first one: building them all is the slow part being tested).
PROBE_PARSERS_BUILT_BY_IMPORT = """
import os, sys
import lark
def report_and_stop(self, *args, **kwargs):
    print("a parser was built during import", flush=True)
    os._exit(0)
lark.Lark.__init__ = report_and_stop
import nbformat
print("no parser was built")
"""

#: Validates IRIs through jsonschema's format checker (the only user of rfc3987-syntax).
CHECK_IRIS = """
import jsonschema
checker = jsonschema.FormatChecker()
print(checker.conforms("https://example.org/caf\\u00e9?q=1#top", "iri"),
      checker.conforms("not an iri", "iri"),
      checker.conforms("../relative/path", "iri-reference"),
      checker.conforms("http://[::1", "iri-reference"))
"""


def run_python(code, **environment):
    env = {key: value for key, value in os.environ.items() if key != "BACKPROP_EAGER_IMPORTS"}
    env.update(environment)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# ---------------------------------------------------------------- package lists


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def environment_yml():
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


def conda_requirement(entry):
    """'nbgrader=0.9.6' -> ('nbgrader', '==0.9.6'); conda's single '=' pins like pip's '=='."""
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry.strip())
    name, specifier = match.group(1), match.group(2).replace(" ", "")
    specifier = re.sub(r"(^|,)=(?!=)", r"\1==", specifier)
    return canonicalize_name(name), str(SpecifierSet(specifier))


def test_pyproject_and_environment_yml_pin_the_same_packages():
    from_pyproject = {}
    for line in pyproject()["project"]["dependencies"]:
        requirement = Requirement(line)
        from_pyproject[canonicalize_name(requirement.name)] = str(requirement.specifier)
    from_conda = dict(
        conda_requirement(entry)
        for entry in environment_yml()["dependencies"]
        if isinstance(entry, str) and conda_requirement(entry)[0] not in ("python", "pip")
    )
    assert from_conda == from_pyproject


def test_environment_yml_python_satisfies_requires_python():
    python = next(e for e in environment_yml()["dependencies"] if isinstance(e, str) and e.startswith("python"))
    version = conda_requirement(python)[1].lstrip("=")
    assert SpecifierSet(pyproject()["project"]["requires-python"]).contains(version)


def test_environment_yml_installs_the_project_with_pip_including_the_test_tools():
    pip_sections = [e["pip"] for e in environment_yml()["dependencies"] if isinstance(e, dict) and "pip" in e]
    assert len(pip_sections) == 1
    installs_project = [line for line in pip_sections[0] if re.fullmatch(r"(-e\s+)?\.(\[[a-z,\s]*dev[a-z,\s]*\])", line)]
    assert installs_project, f"environment.yml must pip-install the project with its dev extra, has {pip_sections[0]}"
    assert "dev" in pyproject()["project"]["optional-dependencies"]


def test_pip_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- fast imports


def test_importing_nbformat_builds_no_rfc3987_parsers():
    assert run_python(PROBE_PARSERS_BUILT_BY_IMPORT) == "no parser was built", (
        "rfc3987-syntax builds its parsers at import again: run `python tools/fast_imports.py --install`"
    )


def test_the_probe_sees_eager_parsers_when_the_hook_is_off():
    """The same probe with the hook switched off sees a parser being built: the test above can fail."""
    if importlib.util.find_spec("rfc3987_syntax") is None:
        pytest.skip("rfc3987-syntax is not installed, so there is nothing to make lazy")
    assert run_python(PROBE_PARSERS_BUILT_BY_IMPORT, BACKPROP_EAGER_IMPORTS="1") == "a parser was built during import"


def test_lazy_parsers_still_validate_iris():
    """Valid and invalid IRIs are told apart as rfc3987-syntax always did, parsers built on demand."""
    assert run_python(CHECK_IRIS) == "True False True False"


def test_notebook_validation_still_works():
    good = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell("x = 1")])
    nbformat.validate(good)
    bad = new_notebook(cells=[new_code_cell("x = 1")])
    del bad.cells[0]["source"]
    with pytest.raises(nbformat.ValidationError):
        nbformat.validate(bad)


def load_fast_imports():
    spec = importlib.util.spec_from_file_location("fast_imports_under_test", ROOT / "tools" / "fast_imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fast_imports_install_is_idempotent_and_reversible(tmp_path, monkeypatch):
    fast_imports = load_fast_imports()
    monkeypatch.setattr(fast_imports, "_site_packages", lambda: str(tmp_path))
    written = fast_imports.install()
    assert sorted(Path(path).name for path in written) == ["_backprop_fast_imports.pth", "_backprop_fast_imports.py"]
    assert (tmp_path / "_backprop_fast_imports.pth").read_text() == (
        "import _backprop_fast_imports; _backprop_fast_imports.activate()\n"
    )
    assert (tmp_path / "_backprop_fast_imports.py").read_text() == (ROOT / "tools" / "fast_imports.py").read_text()
    assert Path(importlib.util.cache_from_source(str(tmp_path / "_backprop_fast_imports.py"))).exists()
    assert fast_imports.install() == []  # idempotent: nothing to change the second time
    removed = fast_imports.uninstall()
    assert len(removed) == 3 and not list(tmp_path.glob("_backprop_fast_imports*"))


def test_no_installed_distribution_owns_the_hook():
    """pip removes or replaces only the files in a distribution's RECORD: the hook survives reinstalls."""
    from importlib.metadata import distributions

    owners = [
        dist.metadata["Name"]
        for dist in distributions()
        for file in dist.files or ()
        if file.name.startswith("_backprop_fast_imports")
    ]
    assert owners == []


def test_the_hook_only_wraps_its_target_module():
    finder = load_fast_imports()._LazyParserFinder()
    for name in ("json", "lark", "rfc3987_syntax", "rfc3987_syntax.utils", "nbformat"):
        assert finder.find_spec(name) is None


def test_lazy_lark_builds_on_first_use_only():
    LazyLark = load_fast_imports().LazyLark
    parser = LazyLark('start: "a"+', start="start")
    assert not parser.is_built
    assert parser.parse("aaa").data == "start"
    assert parser.is_built


# ---------------------------------------------------------------- benchmarks


def test_benchmarks_run_on_tiny_sizes():
    """`python -m benchmarks --quick` runs every benchmark module (not bench_grading) to the end."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for name in ("bench_step", "bench_gradcheck", "step_sweep"):
        assert f"# benchmarks.{name}" in result.stdout
    assert "# benchmarks.bench_grading" not in result.stdout
    assert "Recommended (smallest step within the error budget" in result.stdout
