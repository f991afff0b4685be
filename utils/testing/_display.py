"""The diagnosis first: how a failing cell's error is shown in JupyterLab, Validate and the feedback.

When a test fails, the first thing a student reads is the check's message
(what is wrong, the likely reason, where to look); the traceback follows,
short, with only the frames in the student's own code (notebook cells and
their own files), never the course's test modules or libraries:

    AssertionError: dW is off by a factor of m = 7: yours is m times the expected value.
    Likely reason: you forgot to average over the m examples ...
    Look at: the line computing dW in linear_backward.
    Cell In[9], line 12, in <module>
        unit5.test_linear_backward(linear_backward, dZ, cache)
    (your code only: 4 frames in the course's checks and libraries are not shown; %tb shows them)

An `assert` without a message shows its own line ("an `assert` without a
message failed in linear_backward (Cell In[3], line 9): assert ..."), and a
NameError says what exists (utils._names). The error keeps its type, so the
cell still fails, nbgrader still scores it 0, and `%tb` / `%debug` still see
the full traceback (sys.last_traceback).

install(shell=None) registers this with IPython's documented hook,
`shell.set_custom_exc((Exception,), ...)`; `import utils.testing` calls it,
so any kernel that runs a test cell shows errors this way. It leaves a shell
that already has another custom handler alone. If formatting ever fails,
IPython's own traceback is shown instead.

structured_diagnosis(shell, etype, value, tb) -> (lines, message) is the
pure part: the structured traceback (one string per entry: the diagnosis,
then one per kept frame, then a note) and the message text.
"""

import importlib.util
import linecache
import os
import sys
import traceback

from utils import _names

RED, CYAN, DIM, RESET = "\x1b[1;31m", "\x1b[36m", "\x1b[2m", "\x1b[0m"

#: Frames of your own code shown at most (the first one and the last ones).
MAX_FRAMES = 6

_installed = set()


def _folder_of(package):
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(os.path.realpath(list(spec.submodule_search_locations)[0]), "")


def library_roots():
    """Folders whose frames are not the student's: the Python installation and the course's packages."""
    roots = {os.path.join(os.path.realpath(path), "") for path in
             {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix} if path}
    roots.add(os.path.join(os.path.realpath(os.path.dirname(os.path.dirname(__file__))), ""))  # utils/
    roots.update(folder for folder in (_folder_of("autograder"), _folder_of("IPython")) if folder)
    return tuple(sorted(roots))


_ROOTS = library_roots()
_IPYTHON = _folder_of("IPython")


def is_library_file(filename, roots=None):
    """True for frames that are not the student's: library files, frozen modules, the interpreter's own."""
    if not filename or filename.startswith("<frozen") or filename == "<string>":
        return True
    if filename.startswith("<"):  # <ipython-input-...>, <cell>: code typed into a notebook
        return False
    return os.path.realpath(filename).startswith(roots or _ROOTS)


def _frame_label(shell, filename, lineno, function):
    named = None
    compiler = getattr(shell, "compile", None)
    if compiler is not None and hasattr(compiler, "format_code_name"):
        try:
            named = compiler.format_code_name(filename)
        except Exception:  # noqa: BLE001 - a label is a nicety
            named = None
    where = f"{named[0]} {named[1]}, line {lineno}" if named else f"File {filename}:{lineno}"
    return where + (f", in {function}" if function else "")


def _own_frames(tb, roots=None):
    """(kept [(filename, lineno, function)], number hidden) for a traceback."""
    kept, hidden = [], 0
    frames = list(traceback.walk_tb(tb))
    if frames and frames[0][0].f_code.co_filename.startswith(_IPYTHON or "\0"):
        frames = frames[1:]  # the shell's own frame that caught the error (always there, never interesting)
    for frame, lineno in frames:
        code = frame.f_code
        if is_library_file(code.co_filename, roots) or frame.f_locals.get("__tracebackhide__"):
            hidden += 1
            continue
        kept.append((code.co_filename, lineno, code.co_name))
    return kept, hidden


def _source_line(filename, lineno):
    return linecache.getline(filename, lineno).strip()


def message_of(shell, etype, value, tb, roots=None):
    """The message to show first: str(value), with an empty assert's line or a NameError's advice added."""
    if isinstance(value, NameError):
        _names.explain_name_error(value, getattr(shell, "user_ns", None))
    text = str(value).strip()
    if isinstance(value, AssertionError) and not text:
        raise_site = None
        for frame, lineno in traceback.walk_tb(tb):
            raise_site = (frame.f_code.co_filename, lineno, frame.f_code.co_name)
        if raise_site and not is_library_file(raise_site[0], roots):
            filename, lineno, function = raise_site
            where = _frame_label(shell, filename, lineno, None)
            inside = f" in {function}" if function != "<module>" else ""
            text = (f"an `assert` without a message failed{inside} ({where}):\n    {_source_line(filename, lineno)}\n"
                    "Likely reason: its condition is False for this test's inputs; print what it compares "
                    "just before it.")
        else:
            text = "(no message)"
    return text


def structured_diagnosis(shell, etype, value, tb, roots=None):
    """(structured traceback [str], message str): the diagnosis, the student's own frames, a note."""
    message = message_of(shell, etype, value, tb, roots)
    kept, hidden = _own_frames(tb, roots)
    if len(kept) > MAX_FRAMES:
        skipped = len(kept) - MAX_FRAMES
        kept = kept[:1] + [None] + kept[-(MAX_FRAMES - 1):]
    else:
        skipped = 0
    lines = [f"{RED}{etype.__name__}{RESET}: {message}"]
    for entry in kept:
        if entry is None:
            lines.append(f"{DIM}... {skipped} more frames of your code ...{RESET}")
            continue
        filename, lineno, function = entry
        source = _source_line(filename, lineno)
        label = _frame_label(shell, filename, lineno, function)
        lines.append(f"{CYAN}{label}{RESET}" + (f"\n    {source}" if source else ""))
    if hidden:
        lines.append(f"{DIM}(your code only: {hidden} frame{'s' if hidden != 1 else ''} in the course's checks "
                     f"and libraries {'are' if hidden != 1 else 'is'} not shown; %tb shows them){RESET}")
    return lines, message


def show_diagnosis(shell, etype, value, tb, tb_offset=None):
    """IPython custom exception handler: show the diagnosis first (see the module docstring)."""
    try:
        lines, message = structured_diagnosis(shell, etype, value, tb)
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
        shell._showtraceback(etype, message, lines)
    except Exception:  # noqa: BLE001 - never lose the error: fall back to IPython's own display
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    return None


def install(shell=None):
    """Show errors diagnosis-first in the running IPython shell; True if it is (now) installed.

    Does nothing outside IPython, and leaves a shell alone that already has
    another custom exception handler.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if id(shell) in _installed and getattr(shell, "custom_exceptions", ()) == (Exception,):
        return True
    if getattr(shell, "custom_exceptions", ()) != ():
        return False
    shell.set_custom_exc((Exception,), show_diagnosis)
    _installed.add(id(shell))
    return True
