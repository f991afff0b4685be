"""Shared helpers of the hidden tests (instructor-only; never shipped).

A hidden test draws fresh inputs and sizes from a seed it prints (so an
instructor can replay a student's failure), puts the instructor's reference
in place of the functions the graded one calls (through
`utils.testing._common.replaced`, which checks the assignment's signature),
and runs the student's function while watching that it calls nothing that
could compute the answer for it.

    from autograder.hidden import _common
    seed, rng = _common.hidden_rng()                          # prints "hidden test, seed N"
    for sizes in _common.hidden_sizes(rng, trials=3, n_layers=1):
        ...
        result = _common.call_hidden(linear_backward, dZ, cache)

Public API
----------
hidden_rng(seed=None)                        (seed, np.random.Generator); prints the seed
hidden_m(rng, avoid=())                      a batch size m that separates mistakes, not in `avoid`
hidden_sizes(rng, trials, n_layers, ...)     `trials` SeparatingSizes(layer_dims, m), each freshly drawn
hidden_where(text, **sizes)                  "text (hidden test, n = 3, m = 7)" for a check's `where=`
forbidden_calls(*extra)                      what a student's function may not call (oracles, test helpers)
call_hidden(func, *args, forbidden=None, name=None, **kwargs)   run it; fail if it called a forbidden function
replaced, replaced_all                       the references' context managers (from utils.testing._common)

This package exists inside the sandbox only beside `autograder.reference`
(see autograder/sandbox.py); it may import `utils` and `autograder.reference`,
nothing else of `autograder`.
"""

import importlib
import inspect
import pkgutil

import numpy as np

from utils.checks import ORACLES, check_does_not_call, separating_sizes
from utils.testing._common import replaced, replaced_all

__all__ = [
    "SEPARATING_M",
    "call_hidden",
    "forbidden_calls",
    "hidden_m",
    "hidden_rng",
    "hidden_sizes",
    "hidden_where",
    "replaced",
    "replaced_all",
]

#: Batch sizes that tell a missing or doubled 1/m apart (not 1, 2 or 4) and are no common width.
SEPARATING_M = (5, 6, 7, 9, 10, 11, 13)

#: Shipped modules whose functions a student's code has no business calling while graded.
SHIPPED_TEST_PACKAGES = ("utils.testing", "utils.autodiff")


def hidden_rng(seed=None):
    """(seed, rng): a fresh seed (or the one given, to replay a failure) and np.random.default_rng(seed).

    Prints `hidden test, seed N`, so the feedback shows the seed. N < 2**32.
    """
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    seed = int(seed)
    print(f"hidden test, seed {seed}")
    return seed, np.random.default_rng(seed)


def hidden_m(rng, avoid=()):
    """A batch size m from SEPARATING_M that is not in `avoid` (e.g. the layer widths)."""
    choices = [m for m in SEPARATING_M if m not in set(avoid)]
    if not choices:
        raise ValueError(f"every separating m {SEPARATING_M} is in avoid={tuple(avoid)}")
    return int(rng.choice(choices))


def hidden_sizes(rng, trials=3, n_layers=1, n_x=None, n_out=None):
    """A list of `trials` SeparatingSizes(layer_dims, m) (utils.checks.separating_sizes), each from rng.

    layer_dims has n_layers + 1 widths [n_x, n_1, ..., n_L], no W square, m
    differs from every width; n_x / n_out fix the first / last width.
    """
    return [
        separating_sizes(int(rng.integers(2**31)), n_layers=n_layers, n_x=n_x, n_out=n_out) for _ in range(trials)
    ]


def hidden_where(text, **sizes):
    """`text` with the hidden test's sizes appended: hidden_where("linear_backward", n=3, m=7)
    -> "linear_backward (hidden test, n = 3, m = 7)"."""
    details = ", ".join(f"{key} = {value}" for key, value in sizes.items())
    return f"{text} (hidden test{', ' + details if details else ''})"


def _functions_of(module):
    """Functions whose code is in `module`'s file (and its classes' methods): what it could compute with.

    Decorated functions are unwrapped (a @contextmanager's code object is
    contextlib's, shared by every context manager, so it must not be listed).
    """
    filename = getattr(module, "__file__", None)
    found = []

    def add(value):
        inner = inspect.unwrap(getattr(value, "__func__", value))
        if inspect.isfunction(inner) and inner.__code__.co_filename == filename:
            found.append(inner)

    for value in vars(module).values():
        if inspect.isclass(value) and value.__module__ == module.__name__:
            for member in vars(value).values():
                add(member)
        elif callable(value) and getattr(value, "__module__", None) == module.__name__:
            add(value)
    return found


def shipped_test_functions():
    """Every function of the shipped test packages (utils.testing.*, utils.autodiff) that imports here.

    Modules that do not import (e.g. not written yet) are skipped.
    """
    functions = []
    for package_name in SHIPPED_TEST_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue
        modules = [package]
        for info in pkgutil.iter_modules(getattr(package, "__path__", []) or []):
            try:
                modules.append(importlib.import_module(f"{package_name}.{info.name}"))
            except ImportError:
                continue
        for module in modules:
            functions.extend(_functions_of(module))
    return functions


def forbidden_calls(*extra):
    """What a student's function may not call while a hidden test runs it, as a tuple for check_does_not_call.

    utils.checks.ORACLES (the finite-difference oracles and suspect builders),
    every function of the shipped test modules (utils.testing.*: stand-in
    factories, problem builders, expected-value helpers; utils.autodiff), and
    `extra` (callables, dotted names or bare names; e.g. the graded function's
    own name for a recursion check). Use it with the grader's references
    underneath (autograder.reference), never with a utils.testing stand-in in
    place: that stand-in's own calls would count.
    """
    seen, result = set(), []
    for item in (*ORACLES, *shipped_test_functions(), *extra):
        key = item if isinstance(item, str) else id(item)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return tuple(result)


def call_hidden(func, *args, forbidden=None, name=None, **kwargs):
    """Run func(*args, **kwargs) with utils.checks.check_does_not_call; return its result.

    forbidden: None for forbidden_calls(); or any list check_does_not_call accepts.
    Fails (AssertionError naming what was called) if the function called a
    forbidden one; turns NotImplementedError and shape errors into advice.
    """
    return check_does_not_call(
        func, tuple(args), forbidden_calls() if forbidden is None else forbidden, kwargs=kwargs, name=name
    )
