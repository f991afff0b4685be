"""Instructor-only helpers for the hidden tests (never shipped to students).

One module per unit (`autograder.hidden.unit1` ... `unit6`). Hidden test
cells in `source/` call them between `### BEGIN HIDDEN TESTS` and
`### END HIDDEN TESTS`; inside the sandbox this package exists (read-only,
beside `autograder.reference`) only for the grader's test cells.
"""
