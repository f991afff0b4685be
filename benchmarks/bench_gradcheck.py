"""Full numerical gradient check against the directional check, from 10^2 to 10^5 parameters.

The full check (utils.gradcheck.numerical_gradients) nudges every parameter
twice: 2 n evaluations of the cost for n parameters. The directional check
(utils.gradcheck.directional_check, 3 random directions by default) needs 6
evaluations whatever n is. This benchmark times both on relu / softmax
networks with 64 examples and reports the ratio. Target: the directional
check on 10^5 parameters in under 50 ms.

Beyond FULL_CHECK_LIMIT parameters the full check would take minutes, so its
time is extrapolated from a sample: the cost of checking SAMPLE_ENTRIES
entries of W1 (each costs the same two evaluations), times n / SAMPLE_ENTRIES.
The table marks those rows.

Run: python -m benchmarks.bench_gradcheck [--quick]
"""

import argparse

import numpy as np

from autograder import reference
from benchmarks._timing import best_times, clock, clock_name, milliseconds, warm_allocator
from utils.gradcheck import directional_check, numerical_gradient, numerical_gradients

#: layer widths giving about 10^2, 10^3, 10^4 and 10^5 parameters
NETWORKS = [[8, 8, 2], [30, 30, 2], [100, 96, 4], [784, 126, 10]]
QUICK_NETWORKS = [[8, 8, 2], [30, 30, 2]]
M = 64
FULL_CHECK_LIMIT = 2000
SAMPLE_ENTRIES = 1000
TARGET_SECONDS = 0.050


def problem(dims, seed=0):
    """(cost function of params, params, analytic grads) for a relu / softmax network."""
    rng = np.random.default_rng(seed)
    params = reference.init_params(dims, seed=seed)
    X = rng.standard_normal((dims[0], M))
    Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], M)]

    def cost(p):
        return reference.cost(reference.model_forward(X, p, "relu", "softmax")[0], Y, "softmax")

    AL, caches = reference.model_forward(X, params, "relu", "softmax")
    grads = reference.model_backward(AL, Y, caches, "relu", "softmax")
    return cost, params, grads


def full_check_seconds(cost, params, n_parameters):
    """(seconds for the full check, extrapolated?)."""
    now = clock()
    if n_parameters <= FULL_CHECK_LIMIT:
        start = now()
        numerical_gradients(cost, params)
        return now() - start, False
    W1 = params["W1"]
    rows = -(-SAMPLE_ENTRIES // W1.shape[1])  # whole rows: a contiguous view, nudged in place
    sample = W1[:rows]
    start = now()
    numerical_gradient(lambda _: cost(params), sample)
    elapsed = now() - start
    return elapsed * n_parameters / sample.size, True


def measure(networks, rounds):
    rows = []
    for dims in networks:
        cost, params, grads = problem(dims)
        n_parameters = sum(value.size for value in params.values())
        best = best_times(
            {
                "directional": lambda: directional_check(cost, params, grads),
                "one cost evaluation": lambda: cost(params),
            },
            rounds=rounds,
        )
        full, extrapolated = full_check_seconds(cost, params, n_parameters)
        worst = max(result.relative_error for result in directional_check(cost, params, grads))
        rows.append((dims, n_parameters, full, extrapolated, best["directional"], best["one cost evaluation"], worst))
    return rows


def report(rows):
    lines = [
        "| network | parameters | full check | directional (3 directions) | ratio full / directional "
        "| one cost evaluation | directional relative error | directional < 50 ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for dims, n, full, extrapolated, directional, evaluation, worst in rows:
        full_text = milliseconds(full) + (" (extrapolated)" if extrapolated else "")
        verdict = "met" if directional < TARGET_SECONDS else "MISSED"
        lines.append(
            f"| {dims} | {n} | {full_text} | {milliseconds(directional)} | {full / directional:,.0f} "
            f"| {milliseconds(evaluation)} | {worst:.1e} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest networks, few rounds (a smoke test)")
    parser.add_argument("--cold-allocator", action="store_true", help="skip warm_allocator (see benchmarks/_timing.py)")
    options = parser.parse_args(argv)
    if not options.cold_allocator:
        warm_allocator()
    rows = measure(QUICK_NETWORKS if options.quick else NETWORKS, rounds=2 if options.quick else 10)
    print(f"## Full vs directional gradient check (relu / softmax, m = {M})")
    allocator = "default glibc thresholds (cold)" if options.cold_allocator else "warmed (steady state)"
    print(f"Clock: {clock_name()}. Allocator: {allocator}.\n")
    print(report(rows))
    return rows


if __name__ == "__main__":
    main()
