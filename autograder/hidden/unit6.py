"""Unit 6 (06_backprop_through_time): the hidden tests (instructor-only; never shipped).

Each hidden test repeats its visible test (utils.testing.unit6) on fresh
inputs and sizes drawn from a printed seed, among them one example (m = 1)
and one time step (T_x = 1), and runs the student's function with
`call_hidden`, which fails it if it called an oracle, a shipped test helper,
or any function of `utils.rnn`: a backward pass has no need of the forward
pass, and finite differences of it would compute the answer instead of the
student. While `rnn_backward` runs, the student's `rnn_cell_backward` is
the instructor's reference (autograder.reference.rnn_cell_gradients), put
in place through `replaced` with the assignment's signature.

    from autograder.hidden import unit6 as hidden
    hidden.test_rnn_cell_backward(rnn_cell_backward)
"""

import inspect

import numpy as np

from autograder import reference
from autograder.hidden._common import SEPARATING_M, call_hidden, forbidden_calls, hidden_rng, hidden_where
from utils import rnn
from utils.testing import unit6

#: The assignment's def lines (the same as the visible tests').
SIGNATURES = dict(unit6.SIGNATURES)

#: Why a graded backward function may not call utils.rnn.
FORWARD_REASON = ("the forward pass of utils.rnn, which a backward pass never needs: finite differences of it would "
                  "compute the answer for you")


def forbidden():
    """{callable: reason or None}: the oracles and shipped test helpers, and every function of utils.rnn."""
    found = {item: None for item in forbidden_calls()}
    for value in vars(rnn).values():
        if inspect.isfunction(value) and value.__module__ == rnn.__name__:
            found[value] = FORWARD_REASON
    return found


def _runner(forbidden_items):
    """run(function, *args, name=...) for the unit6 test functions: call_hidden with these forbidden calls."""
    def run(function, *args, name=None):
        return call_hidden(function, *args, forbidden=forbidden_items, name=name)
    return run


def rnn_sizes(rng, trials=2, one_example=True, one_step=True, n_y=None):
    """Fresh sizes {"n_x", "n_a", "n_y", "m", "T_x"}: `trials` that separate mistakes, then m = 1 and T_x = 1.

    Separating sizes: n_x, n_a, n_y distinct in 2..9, T_x in 2..6 and m in SEPARATING_M, all five
    different, so no array passes for another by its shape and no factor m passes for T_x.
    n_y fixes the output size (1 for a sigmoid output).
    """
    found = []
    while len(found) < trials:
        n_x, n_a, n_y_drawn = (int(n) for n in rng.choice(np.arange(2, 10), size=3, replace=False))
        sizes = {"n_x": n_x, "n_a": n_a, "n_y": n_y or n_y_drawn, "m": int(rng.choice(SEPARATING_M)),
                 "T_x": int(rng.integers(2, 7))}
        if len(set(sizes.values())) == 5:
            found.append(sizes)
    base = dict(found[0])
    if one_example:
        found.append(dict(base, m=1))
    if one_step:
        found.append(dict(base, T_x=1))
    return found


def _seed(rng):
    return int(rng.integers(2**31))


def reference_rnn_cell_backward(da_next, cache):
    """The instructor's cell backward step, with the assignment's signature (put in place of the student's)."""
    return reference.rnn_cell_gradients(da_next, cache)


def test_rnn_cell_backward(rnn_cell_backward, seed=None):
    """rnn_cell_backward on fresh cells (and m = 1), without oracles or utils.rnn."""
    _, rng = hidden_rng(seed)
    run = _runner(forbidden())
    for sizes in rnn_sizes(rng, one_step=False):
        n_x, n_a, m = sizes["n_x"], sizes["n_a"], sizes["m"]
        da_next, cache = unit6.cell_problem(_seed(rng), n_x, n_a, m)
        unit6.test_rnn_cell_backward(rnn_cell_backward, da_next, cache, run=run,
                                     where=hidden_where("rnn_cell_backward", n_x=n_x, n_a=n_a, m=m))
    print("The hidden checks passed.")


def test_rnn_backward(rnn_backward, seed=None):
    """rnn_backward on fresh sequences (and m = 1, T_x = 1), the reference cell underneath."""
    _, rng = hidden_rng(seed)
    run = _runner(forbidden())
    for sizes in rnn_sizes(rng):
        n_x, n_a, m, T_x = sizes["n_x"], sizes["n_a"], sizes["m"], sizes["T_x"]
        da, caches = unit6.sequence_problem(_seed(rng), n_x, n_a, m, T_x)
        unit6.test_rnn_backward(rnn_backward, da, caches, run=run, cell=reference_rnn_cell_backward,
                                where=hidden_where("rnn_backward", n_x=n_x, n_a=n_a, m=m, T_x=T_x))
    print("The hidden checks passed.")


def test_rnn_output_backward(rnn_output_backward, seed=None):
    """rnn_output_backward on fresh softmax outputs (and m = 1, T_x = 1) and a sigmoid output."""
    _, rng = hidden_rng(seed)
    run = _runner(forbidden())
    cases = [(sizes, "softmax") for sizes in rnn_sizes(rng)] + [(rnn_sizes(rng, 1, False, False, n_y=1)[0], "sigmoid")]
    for sizes, output in cases:
        n_a, n_y, m, T_x = sizes["n_a"], sizes["n_y"], sizes["m"], sizes["T_x"]
        Y_hat, Y, A, params = unit6.output_problem(_seed(rng), n_a, n_y, m, T_x, output)
        unit6.test_rnn_output_backward(rnn_output_backward, Y_hat, Y, A, params, output, run=run,
                                       where=hidden_where(f"rnn_output_backward ({output})", n_a=n_a, n_y=n_y, m=m, T_x=T_x))
    print("The hidden checks passed.")


def _gradient_dicts(rng):
    """Fresh gradient dicts: all five RNN gradients, and a dict of other keys with a zero tensor among them."""
    sizes = rnn_sizes(rng, trials=1, one_example=False, one_step=False)[0]
    full = unit6.clipping_problem(_seed(rng), sizes["n_x"], sizes["n_a"], sizes["n_y"], float(rng.uniform(0.5, 2.0)))
    other = {"dW1": rng.standard_normal((3, 4)) * 2.0, "db1": np.zeros((3, 1)), "dW2": rng.standard_normal((1, 3)) * 0.3}
    return full, other


def test_clip_by_value(clip_by_value, seed=None):
    """clip_by_value with fresh gradients and bounds (a float, a numpy float, an int)."""
    _, rng = hidden_rng(seed)
    run = _runner(forbidden_calls())
    full, other = _gradient_dicts(rng)
    for gradients, bound in ((full, float(rng.uniform(0.5, 1.5))), (other, np.float64(rng.uniform(0.5, 1.5))),
                             (full, 2), (other, 100.0)):
        unit6.test_clip_by_value(clip_by_value, gradients, bound, run=run,
                                 where=hidden_where("clip_by_value", max_value=bound, keys=", ".join(gradients)))
    print("The hidden checks passed.")


def test_clip_by_global_norm(clip_by_global_norm, seed=None):
    """clip_by_global_norm with fresh gradients, norms above and below the bound, and the bound exactly reached."""
    _, rng = hidden_rng(seed)
    run = _runner(forbidden_calls())
    full, other = _gradient_dicts(rng)
    norm = float(np.sqrt(sum(np.sum(value**2) for value in full.values())))
    for gradients, bound in ((full, norm * float(rng.uniform(0.1, 0.8))), (other, np.float64(1.5)),
                             (full, norm * float(rng.uniform(1.2, 3.0))), (full, norm), (other, 3)):
        unit6.test_clip_by_global_norm(clip_by_global_norm, gradients, bound, run=run,
                                       where=hidden_where("clip_by_global_norm", max_norm=f"{float(bound):.4g}",
                                                          keys=", ".join(gradients)))
    print("The hidden checks passed.")


def test_rnn_together(rnn_output_backward, rnn_backward, seed=None):
    """The student's functions together on fresh softmax and sigmoid networks, against finite differences of J."""
    _, rng = hidden_rng(seed)
    run = _runner(forbidden())
    cases = [(rnn_sizes(rng, 1, False, False)[0], "softmax"), (rnn_sizes(rng, 1, False, False, n_y=1)[0], "sigmoid")]
    for sizes, output in cases:
        X, Y, a0, params = unit6.network_problem(_seed(rng), sizes["n_x"], sizes["n_a"], sizes["n_y"], sizes["m"],
                                                 sizes["T_x"], output)
        unit6.test_rnn_together(rnn_output_backward, rnn_backward, X, Y, a0, params, output, run=run,
                                where=hidden_where(f"the whole network ({output})", **sizes))
    print("The hidden checks passed.")
