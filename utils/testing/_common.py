"""Shared machinery of the visible tests: stand-ins with the assignment's exact signatures.

A test that grades one function (say `linear_activation_backward`) must not
lose points to a mistake in another one it calls (`linear_backward`, graded
in its own cell). So, while the test runs, the other function is replaced,
in the namespace the student's function sees, by a *stand-in*: a function
that answers correctly for this test's own inputs and for nothing else.

    SIGNATURES = {"linear_backward": "(dZ, cache)"}           # in utils.testing.unit5

    fake = stand_in("linear_backward", SIGNATURES,
                    cases=[{"cache": linear_cache}],            # the one cache this test knows
                    answer=lambda case, args: step_gradients(args["dZ"]),
                    rule="pass the layer's linear cache (cache[0]) on unchanged")
    with replaced(linear_activation_backward, "linear_backward", fake, SIGNATURES):
        result = run_student(linear_activation_backward, dA, cache, "relu")

Public API
----------
replaced(student_function, name, stand_in, signatures)   context manager: `name` is `stand_in` for the block
replaced_all(student_function, stand_ins, signatures)    the same for several names at once
stand_in(name, signatures, cases, answer, rule)          a stand-in that knows only its own test's inputs
same_value(given, known) / value_difference(...)         exact equality of known inputs (no foreign __eq__)
match_case(given, cases) / closest_miss(misses)          which of a test's known inputs `given` is, or why none
difference_kind(given, known)                            "setting", "values" or "structure": how far off a value is
changed_test_cell(test, found)                           the failure of a test given inputs other than its own
parse_signature(text)                                    "(dZ, cache)" -> inspect.Signature
signature_difference(function, text)                     why a function's signature differs, or None
GraderBugError                                           raised for mistakes in a test, never in a student's code

Signatures. Each unit module holds `SIGNATURES = {name: "(parameters)"}`, the
signatures the assignment gives (parameter names, kinds and defaults, as in
its `def` lines; the course's own test suite checks them against the
solutions). `replaced` refuses a stand-in whose signature differs, so keyword
calls such as `activation="relu"` reach a stand-in exactly as they would
reach the student's own function. A refusal is a bug in the test, not in the
student's code, and says so (GraderBugError, not AssertionError).

Nothing here computes a graded answer: a stand-in's answers come from its
test, and it refuses every input its test did not give it.
"""

import ast
import copy
import inspect
from contextlib import ExitStack, contextmanager

import numpy as np

from utils._diagnose import is_number, is_real_number

__all__ = [
    "GraderBugError",
    "DIFFERENCE_KINDS",
    "Miss",
    "changed_test_cell",
    "closest_miss",
    "difference_kind",
    "match_case",
    "parse_signature",
    "replaced",
    "replaced_all",
    "same_value",
    "signature_difference",
    "stand_in",
    "value_difference",
]


class GraderBugError(RuntimeError):
    """A mistake in a test (not in the student's code); the message starts by saying so."""

    def __init__(self, text):
        super().__init__(
            "This is a bug in the test, not in your code (please tell your instructor):\n" + text
        )


# ----------------------------------------------------------------------------
# Signatures
# ----------------------------------------------------------------------------

_KINDS = inspect.Parameter


def parse_signature(text):
    """inspect.Signature for a parameter list such as "(dZ, cache)" or "(AL, Y, caches, activation='relu')".

    text: the parenthesised parameters of a `def` line, without annotations'
          meaning (they are dropped); defaults must be literals.
    Raises GraderBugError for text that is not a parameter list.
    """
    if not isinstance(text, str) or not text.strip().startswith("("):
        raise GraderBugError(f"a signature must be a string such as '(dZ, cache)', got {text!r}.")
    try:
        tree = ast.parse(f"def _signature{text.strip()}:\n    pass\n")
    except SyntaxError as error:
        raise GraderBugError(f"the signature {text!r} is not a valid parameter list ({error.msg}).") from None
    function = tree.body[0]
    if not isinstance(function, ast.FunctionDef) or len(tree.body) != 1:
        raise GraderBugError(f"the signature {text!r} is not a single parameter list.")
    arguments = function.args

    def literal(node):
        try:
            return ast.literal_eval(node)
        except ValueError:
            raise GraderBugError(
                f"the default {ast.unparse(node)!r} in {text!r} is not a literal; write defaults as literals."
            ) from None

    positional = arguments.posonlyargs + arguments.args
    defaults = [_KINDS.empty] * (len(positional) - len(arguments.defaults)) + [
        literal(node) for node in arguments.defaults
    ]
    parameters = []
    for index, (argument, default) in enumerate(zip(positional, defaults)):
        kind = _KINDS.POSITIONAL_ONLY if index < len(arguments.posonlyargs) else _KINDS.POSITIONAL_OR_KEYWORD
        parameters.append(_KINDS(argument.arg, kind, default=default))
    if arguments.vararg:
        parameters.append(_KINDS(arguments.vararg.arg, _KINDS.VAR_POSITIONAL))
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults):
        value = _KINDS.empty if default is None else literal(default)
        parameters.append(_KINDS(argument.arg, _KINDS.KEYWORD_ONLY, default=value))
    if arguments.kwarg:
        parameters.append(_KINDS(arguments.kwarg.arg, _KINDS.VAR_KEYWORD))
    return inspect.Signature(parameters)


def _plain(signature):
    """The signature without annotations (they are not part of the contract)."""
    return signature.replace(
        parameters=[parameter.replace(annotation=_KINDS.empty) for parameter in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )


def _same_default(a, b):
    return type(a) is type(b) and (a is b or a == b)


def signature_difference(function, text):
    """Why `function`'s signature differs from the parameter list `text` (a sentence), or None if it matches.

    Compared: parameter names, order, kinds (positional, keyword-only, *args,
    **kwargs) and defaults (equal value and type: False is not 0).
    """
    expected = _plain(parse_signature(text))
    try:
        actual = _plain(inspect.signature(function))
    except (TypeError, ValueError) as error:
        return f"it has no inspectable signature ({error})"
    want, have = list(expected.parameters.values()), list(actual.parameters.values())
    if [p.name for p in want] != [p.name for p in have]:
        return f"its parameters are {actual}, the assignment's are {expected}"
    for w, h in zip(want, have):
        if w.kind != h.kind:
            return f"parameter {w.name!r} is {h.kind.description}, the assignment's is {w.kind.description}"
        if not _same_default(w.default, h.default):
            shown = lambda value: "no default" if value is _KINDS.empty else f"default {value!r}"  # noqa: E731
            return f"parameter {w.name!r} has {shown(h.default)}, the assignment's has {shown(w.default)}"
    return None


def _require_signature(name, function, signatures):
    if not hasattr(signatures, "get"):
        raise GraderBugError(
            f"replaced(..., {name!r}, ...) needs the unit module's SIGNATURES dict, got {type(signatures).__name__}."
        )
    text = signatures.get(name)
    if text is None:
        raise GraderBugError(
            f"{name!r} has no entry in the unit's SIGNATURES, so its stand-in's signature cannot be checked; "
            f"add {name!r}: '(...)' with the assignment's parameters."
        )
    difference = signature_difference(function, text)
    if difference is not None:
        raise GraderBugError(
            f"the stand-in that replaces {name} in this test does not have the assignment's signature "
            f"{name}{text}: {difference}. A call with keywords would fail for a reason that is not yours."
        )


# ----------------------------------------------------------------------------
# Replacing a global the student's function sees
# ----------------------------------------------------------------------------


def _globals_of(student_function):
    function = getattr(student_function, "__func__", student_function)  # a bound method
    namespace = getattr(function, "__globals__", None)
    if not isinstance(namespace, dict):
        label = getattr(student_function, "__name__", type(student_function).__name__)
        raise AssertionError(
            f"{label} should be a function written with `def` in this notebook, but it is a "
            f"{type(student_function).__name__}.\nLikely reason: the name was assigned something else "
            "(a number, a functools.partial, an imported function).\nLook at: the cell that defines it; "
            "run it again."
        )
    return namespace


_ABSENT = object()


@contextmanager
def replaced(student_function, name, stand_in, signatures):
    """While the block runs, the global `name` that `student_function` sees is `stand_in`.

    student_function: the student's function under test (a plain function or
                      bound method defined in the notebook); its `__globals__`
                      (the notebook's namespace) is patched.
    name:             the global to replace, e.g. "linear_backward".
    stand_in:         the replacement; its signature must equal
                      `signatures[name]` (names, kinds, defaults), else
                      GraderBugError before anything is patched.
    signatures:       the unit module's SIGNATURES dict {name: "(parameters)"}.
    Yields `stand_in`. The previous binding (or its absence) is restored when
    the block ends, also when it raises.
    """
    _require_signature(name, stand_in, signatures)
    namespace = _globals_of(student_function)
    saved = namespace.get(name, _ABSENT)
    namespace[name] = stand_in
    try:
        yield stand_in
    finally:
        if saved is _ABSENT:
            namespace.pop(name, None)
        else:
            namespace[name] = saved


@contextmanager
def replaced_all(student_function, stand_ins, signatures):
    """`replaced` for several names: stand_ins is {name: stand-in}. Yields the dict; all restored after."""
    for name, function in stand_ins.items():
        _require_signature(name, function, signatures)  # refuse before patching anything
    with ExitStack() as stack:
        for name, function in stand_ins.items():
            stack.enter_context(replaced(student_function, name, function, signatures))
        yield stand_ins


# ----------------------------------------------------------------------------
# Known inputs
# ----------------------------------------------------------------------------

_PLAIN = (str, bytes, bool, np.bool_, type(None))


def _describe(value):
    kind = type(value)
    if kind is np.ndarray:
        return f"an array of shape {value.shape}"
    return f"a {kind.__name__}" if kind.__module__ == "builtins" else f"a {kind.__module__}.{kind.__qualname__}"


def value_difference(given, known, label="it"):
    """How `given` differs from the test's `known` value (a phrase), or None if they are the same.

    Exact and structural, and never calls a method of `given` (no foreign
    __eq__ or __array__): a known tuple needs a tuple (not a list) of the
    same length, item by item; a dict the same keys, value by value; an
    ndarray a plain ndarray of the same shape and exactly equal values
    (NaN equals NaN); a number a real number (exact int or float type, or a
    0-d array of one) of equal value; a str, bytes, bool or None the same type and value; any
    other object (a node of the student's own class) the very same object.
    """
    kind = type(known)
    if kind is np.ndarray:
        if type(given) is not np.ndarray:
            return f"{label} is {_describe(given)}, not the test's array of shape {known.shape}"
        if given.shape != known.shape:
            return f"{label} has shape {given.shape}, not the test's {known.shape}"
        if given.dtype.kind not in "fiub" or not np.array_equal(given, known, equal_nan=known.dtype.kind == "f"):
            return f"{label} has the test's shape {known.shape} but other values"
        return None
    if kind in (tuple, list):
        if type(given) is not kind:
            return f"{label} is {_describe(given)}, not a {kind.__name__} like the test's"
        if len(given) != len(known):
            return f"{label} holds {len(given)} items, the test's holds {len(known)}"
        for index, (item, expected) in enumerate(zip(given, known)):
            found = value_difference(item, expected, f"{label}[{index}]")
            if found:
                return found
        return None
    if kind is dict:
        if type(given) is not dict:
            return f"{label} is {_describe(given)}, not a dict like the test's"
        if set(given) != set(known):
            return f"{label} has the keys {sorted(map(str, given))}, the test's has {sorted(map(str, known))}"
        for key in known:
            found = value_difference(given[key], known[key], f"{label}[{key!r}]")
            if found:
                return found
        return None
    if is_real_number(known):
        if not is_number(given):
            return f"{label} is {_describe(given)}, not a number like the test's"
        a, b = float(given), float(known)
        return None if a == b or (a != a and b != b) else f"{label} is {a:.6g}, not the test's {b:.6g}"
    if type(given) is not kind:
        return f"{label} is {_describe(given)}, not {_describe(known)} like the test's"
    if kind in _PLAIN:
        return None if given == known else f"{label} is {given!r}, not the test's {known!r}"
    # Any other object (e.g. a node of the student's own class): only the very same object will do.
    return None if given is known else f"{label} is another {_describe(known)[2:]} than the test's own"


def same_value(given, known):
    """True if `given` is exactly the test's `known` value (see value_difference)."""
    return value_difference(given, known) is None


#: How far a value is from a known one, nearest first (difference_kind): a setting such as activation="sigmoid"
#: or a number; other values in the same structure; another structure (type, shape, length or keys).
DIFFERENCE_KINDS = ("setting", "values", "structure")


def difference_kind(given, known):
    """Which of DIFFERENCE_KINDS separates `given` from `known` (call it only when value_difference found one).

    Containers of the same type and size: "values", or the worst kind among their differing items if worse.
    """
    kind = type(known)
    if is_real_number(known):
        return "setting" if is_number(given) else "structure"
    if type(given) is not kind:
        return "structure"
    if kind is np.ndarray:
        return "values" if given.shape == known.shape else "structure"
    if kind in (tuple, list, dict):
        if len(given) != len(known) or (kind is dict and set(given) != set(known)):
            return "structure"
        pairs = [(given[key], known[key]) for key in known] if kind is dict else list(zip(given, known))
        kinds = [difference_kind(a, b) for a, b in pairs if value_difference(a, b) is not None]
        return max(["values"] + kinds, key=DIFFERENCE_KINDS.index)
    return "setting"


class Miss(str):
    """A phrase of value_difference that also knows its `label` and `kind` (one of DIFFERENCE_KINDS)."""

    def __new__(cls, text, label, kind):
        miss = super().__new__(cls, text)
        miss.label, miss.kind = label, kind
        return miss


def match_case(given, cases):
    """Which known case `given` is: (key, None) for the first match, else (None, misses).

    given: {label: value}, e.g. a call's arguments.
    cases: {key: {label: known value}}, or a list of such dicts (keyed 0, 1, ...). A case matches when every
           label it names is exactly that value in `given` (value_difference); labels it does not name are free.
    misses: one list per case, in order, of the phrases (Miss) naming each label that differs.
    """
    misses = []
    for key, case in (enumerate(cases) if isinstance(cases, list) else cases.items()):
        found = [Miss(text, label, difference_kind(given[label], known)) for label, known in case.items()
                 if (text := value_difference(given[label], known, label))]
        if not found:
            return key, None
        misses.append(found)
    return None, misses


def closest_miss(misses, default="no visible test has such inputs"):
    """The phrase that says why `given` is none of the cases (misses from match_case): from the closest case.

    Closest: the fewest labels differ; then the nearest kind of difference (DIFFERENCE_KINDS: a setting such
    as activation='sigmoid' before other values of an array, both before another shape, type or length);
    then the first case. `default` if there is no case.
    """
    ranked = [(len(found), max(DIFFERENCE_KINDS.index(miss.kind) for miss in found), index)
              for index, found in enumerate(misses) if found]
    return misses[min(ranked)[-1]][0] if ranked else default


def changed_test_cell(test, found):
    """Fail `test`, which was given inputs other than its own (`found` says how): its test cell was edited."""
    raise AssertionError(
        f"{test} knows only the inputs its test cell builds: {found}.\n"
        "Likely reason: the test cell was edited. Test cells belong to the assignment, not to your answer: "
        "undo the change (a fresh copy of the assignment has the original cell)."
    )


# ----------------------------------------------------------------------------
# Stand-ins that know only their own test's inputs
# ----------------------------------------------------------------------------


def stand_in(name, signatures, cases, answer, rule):
    """A stand-in for `name` with the assignment's signature that answers only its own test's calls.

    name:       the function it replaces, e.g. "linear_backward".
    signatures: the unit's SIGNATURES; the stand-in's signature is signatures[name].
    cases:      the calls this test expects, a list of dicts {parameter: known value};
                a call matches a case when every parameter the case names is
                exactly that value (value_difference); parameters a case does not
                name (e.g. dZ, computed by the student's code) are free.
    answer:     answer(index, arguments) -> the result, where index is the matching
                case and arguments the call's {parameter: value} with defaults
                applied; or a list of fixed results, one per case (a deep copy is
                returned on each call).
    rule:       the rule a call that matches no case broke, as the part's
                instructions state it, e.g. "pass the cache on unchanged".
    Returns the stand-in. Its `calls` attribute lists the arguments of every
    call (dicts), in order, for checks such as "the hidden layers used relu".
    A call that cannot bind raises TypeError naming the signature; a call that
    matches no case raises AssertionError stating the rule.
    """
    signature = parse_signature(signatures[name]) if name in signatures else None
    if signature is None:
        raise GraderBugError(f"stand_in({name!r}, ...): {name!r} has no entry in the unit's SIGNATURES.")
    cases = list(cases)
    if not cases or not all(type(case) is dict for case in cases):
        raise GraderBugError(f"stand_in({name!r}, ...): cases must be a non-empty list of dicts.")
    unknown = {key for case in cases for key in case} - set(signature.parameters)
    if unknown:
        raise GraderBugError(f"stand_in({name!r}, ...): cases name {sorted(unknown)}, not parameters of {signature}.")
    if not callable(answer) and len(answer) != len(cases):
        raise GraderBugError(f"stand_in({name!r}, ...): {len(answer)} fixed answers for {len(cases)} cases.")
    calls = []

    def call(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{name}() {error} (its signature is {name}{signature})") from None
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        calls.append(arguments)
        index, misses = match_case(arguments, cases)
        if index is not None:
            return answer(index, arguments) if callable(answer) else copy.deepcopy(answer[index])
        closest = "; ".join(dict.fromkeys(found[0] for found in misses))
        raise AssertionError(
            f"{name} was called with inputs this test did not give it: {closest}.\n"
            f"Rule: {rule.rstrip('.')}.\n"
            f"While this test runs, {name} is a stand-in that knows only this test's inputs, so that a mistake "
            f"in {name} itself costs points only in its own test."
        )

    call.__name__ = name
    call.__qualname__ = f"stand_in.<{name}>"
    call.__doc__ = f"Stand-in for {name}{signature}: answers only this test's inputs ({rule})."
    call.__signature__ = signature
    call.calls = calls
    return call
