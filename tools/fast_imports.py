"""Take the import-time cost of `rfc3987-syntax` out of this project's environment.

Where the time goes (`python -X importtime -c "import nbformat"`):
`nbformat.validator` imports `jsonschema`, whose `jsonschema._format` does
`from rfc3987_syntax import is_valid_syntax` because `jupyter-events` asks for
`jsonschema[format-nongpl]`. Importing `rfc3987_syntax.syntax_helpers` builds
about forty Earley parsers with `lark.Lark(...)` at module level: 0.8 s of the
1.2 s of `import nbformat` on an idle machine, and several seconds on a busy
one, in every Jupyter, nbgrader and nbformat process. Nothing in Jupyter's
schemas uses the "iri" formats those parsers check, so the work is wasted.

What this does: `--install` copies this file into site-packages as
`_backprop_fast_imports.py` and adds `_backprop_fast_imports.pth`, which
Python's `site` module runs at start-up (the same mechanism the editable
install of this project uses). The hook registers an import finder that
touches exactly one module, `rfc3987_syntax.syntax_helpers`: while that
module runs, `from lark import Lark` hands it `LazyLark`, which keeps the
arguments and builds the real parser the first time it is used. The
behaviour of rfc3987-syntax is unchanged (an IRI is validated exactly as
before, just built on first use), and no file of any installed distribution
is modified, so `pip check` and pip's RECORDs stay clean and reinstalling
rfc3987-syntax or the project does not undo it. If a future rfc3987-syntax
stops importing `Lark` that way, the hook does nothing and imports are just
slow again; tests/test_environment.py notices.

Usage (the Makefile runs `--install` after every `pip install`; idempotent;
`--install` only warns if the hook turns out not to help):

    python tools/fast_imports.py --install     # into the running interpreter's site-packages
    python tools/fast_imports.py --check       # exit 1 unless the hook is installed and working
    python tools/fast_imports.py --uninstall

Set BACKPROP_EAGER_IMPORTS=1 to switch the hook off for one process (the
import benchmark uses this to time both ways side by side).
"""

import builtins
import os
import sys
from _thread import allocate_lock

#: The only module whose import is changed.
TARGET_MODULE = "rfc3987_syntax.syntax_helpers"
#: The names this file is installed under in site-packages.
HOOK_MODULE = "_backprop_fast_imports"
#: Environment variable that turns the hook off when set to 1.
OPT_OUT_VARIABLE = "BACKPROP_EAGER_IMPORTS"


class LazyLark:
    """Stands in for `lark.Lark`: records the arguments, builds the parser on first use.

    Any attribute (`parse`, `lex`, `options`, ...) is looked up on the real
    `lark.Lark`, which is built once, under a lock, when first needed.
    """

    _OWN = ("_arguments", "_keywords", "_parser", "_lock")

    def __init__(self, *arguments, **keywords):
        self._arguments = arguments
        self._keywords = keywords
        self._parser = None
        self._lock = allocate_lock()

    @property
    def is_built(self):
        """True once the real parser exists."""
        return self._parser is not None

    def build(self):
        """The real `lark.Lark` parser, built on the first call."""
        if self._parser is None:
            with self._lock:
                if self._parser is None:
                    from lark import Lark

                    self._parser = Lark(*self._arguments, **self._keywords)
        return self._parser

    def __getattr__(self, name):
        if name in LazyLark._OWN:  # not yet set (e.g. during copy or unpickling)
            raise AttributeError(name)
        return getattr(self.build(), name)

    def __repr__(self):
        state = "built" if self.is_built else "not built yet"
        return f"<LazyLark ({state}) start={self._keywords.get('start')!r}>"


class _LarkModuleWithLazyParser:
    """What `import lark` gives the target module: the real `lark`, except `Lark` is `LazyLark`."""

    Lark = LazyLark

    def __getattr__(self, name):
        import lark

        return getattr(lark, name)


def _import_with_lazy_lark(name, globals=None, locals=None, fromlist=(), level=0):
    """`__import__` for the target module only: `lark` comes back with a lazy `Lark`."""
    if name == "lark" and level == 0:
        builtins.__import__(name, globals, locals, fromlist, level)  # import the real one as usual
        return _LarkModuleWithLazyParser()
    return builtins.__import__(name, globals, locals, fromlist, level)


class _LazyLarkLoader:
    """Wraps the normal loader of the target module; only its `__import__` differs."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # Module-level code looks up `__import__` in the module's own builtins,
        # so this changes imports inside the target module and nowhere else.
        module_builtins = dict(vars(builtins))
        module_builtins["__import__"] = _import_with_lazy_lark
        module.__dict__["__builtins__"] = module_builtins
        self.loader.exec_module(module)

    def __getattr__(self, name):  # get_source, get_filename, ... for tracebacks and inspect
        return getattr(self.loader, name)


class _LazyParserFinder:
    """A `sys.meta_path` finder that wraps the loader of `TARGET_MODULE` and nothing else."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != TARGET_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _LazyLarkLoader(spec.loader)
                return spec
        return None


def activate():
    """Register the finder (once); called by the .pth file at interpreter start-up."""
    if os.environ.get(OPT_OUT_VARIABLE) == "1":
        return
    if any(type(finder).__name__ == "_LazyParserFinder" for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _LazyParserFinder())


# ---------------------------------------------------------------- installer


def _site_packages():
    import sysconfig

    return sysconfig.get_paths()["purelib"]


def _wanted_files():
    """{path in site-packages: content} for the hook."""
    with open(os.path.abspath(__file__), encoding="utf-8") as handle:
        source = handle.read()
    site = _site_packages()
    return {
        os.path.join(site, HOOK_MODULE + ".py"): source,
        os.path.join(site, HOOK_MODULE + ".pth"): f"import {HOOK_MODULE}; {HOOK_MODULE}.activate()\n",
    }


def install():
    """Write the hook into site-packages; leaves identical files alone. Returns the changed paths."""
    changed = []
    for path, content in _wanted_files().items():
        try:
            with open(path, encoding="utf-8") as handle:
                if handle.read() == content:
                    continue
        except FileNotFoundError:
            pass
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
        changed.append(path)
    _compile_hook(force=bool(changed))
    return changed


def _compile_hook(force):
    """Byte-compile the hook as pip does for installed modules (PYTHONDONTWRITEBYTECODE may be set)."""
    import importlib.util
    import py_compile

    source = os.path.join(_site_packages(), HOOK_MODULE + ".py")
    if force or not os.path.exists(importlib.util.cache_from_source(source)):
        py_compile.compile(source, doraise=True)


def uninstall():
    """Remove the hook's files from site-packages. Returns the removed paths."""
    removed = []
    import importlib.util

    hook_source = os.path.join(_site_packages(), HOOK_MODULE + ".py")
    for path in [*_wanted_files(), importlib.util.cache_from_source(hook_source)]:
        if os.path.exists(path):
            os.remove(path)
            removed.append(path)
    return removed


def check():
    """Run a fresh interpreter and report whether `import nbformat` leaves the parsers unbuilt.

    Returns (ok, message).
    """
    import subprocess

    probe = (
        "import nbformat, sys\n"
        f"helpers = sys.modules.get({TARGET_MODULE!r})\n"
        "parser = getattr(helpers, 'syntax_parser', None)\n"
        "print('absent' if helpers is None else 'lazy' if not getattr(parser, 'is_built', True) else 'eager')\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != OPT_OUT_VARIABLE}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=environment)
    state = result.stdout.strip()
    if result.returncode != 0:
        return False, f"the probe failed:\n{result.stderr}"
    if state == "eager":
        return False, "rfc3987_syntax still builds its parsers at import: run tools/fast_imports.py --install"
    return True, f"ok: importing nbformat leaves rfc3987_syntax's parsers unbuilt ({state})"


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--install", action="store_true", help="install the hook (idempotent)")
    action.add_argument("--uninstall", action="store_true", help="remove the hook")
    action.add_argument("--check", action="store_true", help="exit 1 unless the hook works")
    options = parser.parse_args(argv)
    if options.install:
        changed = install()
        print("fast_imports: " + (f"installed {', '.join(changed)}" if changed else "already installed"))
        ok, message = check()
        # Not fatal: the environment works either way, only start-up is slower;
        # tests/test_environment.py reports it.
        print("fast_imports: " + message if ok else f"fast_imports: WARNING: {message}")
        return 0
    if options.uninstall:
        removed = uninstall()
        print("fast_imports: " + (f"removed {', '.join(removed)}" if removed else "nothing to remove"))
        return 0
    ok, message = check()
    print("fast_imports: " + message)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
