"""Advice for a NameError: point to what exists (an import, a course function, an earlier cell).

Students paste code from other courses and from their own earlier cells, so
a `NameError` usually means one of four things, tried in this order:

1. a standard module that was not imported (`copy`, `math`, ...), or a
   usual alias (`np`, `plt`): "add `import copy`";
2. a function the course ships in `utils` under that very name
   (`relu_backward`, `sigmoid`, `linear_forward`, ...): "add
   `from utils.activations import relu_backward`";
3. a name well-known notebooks use for something the course calls otherwise
   (`L_model_forward` -> `model_forward`, `initialize_parameters_deep` ->
   `initialize_parameters`): the course's name, where it lives, and its
   signature;
4. otherwise: a close spelling among the names that exist, and "run the
   cell that defines it first".

name_error_advice(name, namespace=None) -> the advice lines (a str)
explain_name_error(error, namespace=None) -> add the advice to a NameError's message, in place (once)

Only the course's building blocks are suggested: the modules listed in
COURSE_MODULES, never a checker, an oracle or a test helper.
"""

import difflib
import importlib
import inspect
import sys

#: The utils modules whose public functions may be suggested by name (building blocks, not answers).
COURSE_MODULES = ("utils.activations", "utils.forward", "utils.losses", "utils.initialization",
                  "utils.datasets", "utils.plots")

#: Usual aliases: name -> the import line that defines it.
ALIASES = {
    "np": "import numpy as np",
    "numpy": "import numpy as np",
    "plt": "import matplotlib.pyplot as plt",
    "deepcopy": "from copy import deepcopy",
    "sqrt": "from math import sqrt",
}

#: Names from well-known deep-learning notebooks -> (module, the course's name, what to know).
PASTED_NAMES = {
    "L_model_forward": ("utils.forward", "model_forward", "it returns (AL, caches) like the one you know"),
    "initialize_parameters_deep": ("utils.initialization", "initialize_parameters",
                                   "it takes layer_dims and a seed"),
    "load_dataset": ("utils.datasets", "load_breast_cancer", "see also load_digits and make_planar"),
    "load_data": ("utils.datasets", "load_breast_cancer", "see also load_digits and make_planar"),
}

_MARKER = "\nHow to fix it: "


def _course_function(name):
    """(module name, function) for a public function `name` of the course modules, or None."""
    for module_name in COURSE_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # pragma: no cover - every course module imports
            continue
        value = getattr(module, name, None)
        if callable(value) and not name.startswith("_") and getattr(value, "__module__", "") == module_name:
            return module_name, value
    return None


def _signature(function):
    try:
        return str(inspect.signature(function))
    except (TypeError, ValueError):
        return "(...)"


def _known_names(namespace):
    names = set(namespace or ())
    for module_name in COURSE_MODULES:
        module = sys.modules.get(module_name)
        if module is not None:
            names.update(key for key in vars(module) if not key.startswith("_"))
    return sorted(name for name in names if isinstance(name, str) and not name.startswith("_"))


def name_error_advice(name, namespace=None):
    """What to do about `NameError: name '<name>' is not defined` (one or two lines).

    namespace: the names that exist where the code ran (the notebook's
               globals), for "did you mean" suggestions; optional.
    """
    if not isinstance(name, str) or not name:
        return "Run the cells above this one first (Run > Run All Above Selected Cell), then this one."
    if name in ALIASES:
        return f"add `{ALIASES[name]}` at the top of the cell that uses it (or to the imports cell), and run it."
    if name in getattr(sys, "stdlib_module_names", ()):
        return f"`{name}` is a standard module: add `import {name}` at the top of the cell that uses it, and run it."
    found = _course_function(name)
    if found:
        module_name, function = found
        return (f"`{name}` is one of the course's functions: add `from {module_name} import {name}` "
                f"(it is {name}{_signature(function)}).")
    if name in PASTED_NAMES:
        module_name, course_name, note = PASTED_NAMES[name]
        found = _course_function(course_name)
        if found:
            return (f"this course has no `{name}`; its counterpart is `{course_name}{_signature(found[1])}`: "
                    f"add `from {module_name} import {course_name}` ({note}).")
    close = difflib.get_close_matches(name, _known_names(namespace), n=1, cutoff=0.8)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return (f"{hint}If `{name}` is defined in an earlier cell, run that cell first "
            "(Run > Run All Above Selected Cell); otherwise check its spelling.")


def explain_name_error(error, namespace=None):
    """Add name_error_advice to a NameError's message, in place and only once; return the error.

    The exception keeps its type and traceback, so it still fails the cell and
    still points at the line. UnboundLocalError (a local read before it is
    assigned) gets its own advice.
    """
    if not isinstance(error, NameError) or not error.args or not isinstance(error.args[0], str):
        return error
    if _MARKER in error.args[0]:
        return error
    if isinstance(error, UnboundLocalError):
        advice = ("a variable of this function is read before the line that assigns it ran (or it is assigned "
                  "only in a branch that did not run); assign it before its first use.")
    else:
        advice = name_error_advice(getattr(error, "name", None), namespace)
    error.args = (error.args[0] + _MARKER + advice, *error.args[1:])
    return error
