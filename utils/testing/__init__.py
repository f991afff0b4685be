"""utils.testing: the logic behind the assignments' visible test cells, written once.

A visible test cell in an assignment reads as a specification: a docstring,
the inputs it uses, and one or a few calls into the module of its unit
(`utils.testing.unit1` ... `utils.testing.unit6`). What those calls do —
problem generators, stand-ins that know only their own test's inputs,
finite-difference expectations and the lists of typical mistakes — lives
here, documented and unit-tested like the rest of `utils`.

Nothing here computes a graded answer for inputs other than its own test's:
stand-ins refuse foreign inputs, and the graders' hidden tests fail code
that calls them.

Importing this package in an IPython kernel also makes failing cells show
the diagnosis first, with the traceback cut to the student's own frames
(utils.testing._display).
"""

from utils.testing import _display

_display.install()
