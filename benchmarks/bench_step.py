"""The reference forward + backward step against its matrix products alone.

The matrix products of a training step are its irreducible cost: W A_prev
forward, dZ A_prev^T and W^T dZ backward, for every layer. Everything else
(input checks, biases, activations and their derivatives, the 1/m, the sums
for db, Python) is overhead. The ceiling runs exactly those products, on
arrays of the same shapes and layouts, and nothing else; the ratio

    reference step (model_forward + model_backward) / matrix products alone

says how close the reference (and the utils forward pass it uses, with all
its ValueError checks) comes to it. Target: at most 1.25 for networks with
784 inputs or wider.

Run: python -m benchmarks.bench_step [--quick]
"""

import argparse

import numpy as np

from autograder import reference
from benchmarks._timing import clock_name, milliseconds, paired_ratio, warm_allocator

#: (layer widths, m, hidden, output)
NETWORKS = [
    ([784, 256, 128, 10], 256, "relu", "softmax"),
    ([784, 512, 256, 10], 256, "relu", "softmax"),
    ([784, 256, 128, 10], 256, "tanh", "sigmoid"),
    ([1024, 1024, 512, 10], 128, "relu", "linear"),
]
QUICK_NETWORKS = [([784, 16, 10], 8, "relu", "softmax")]
TARGET = 1.25


def problem(dims, m, hidden, output, seed=0):
    """(X, Y, params) with targets that suit the output layer."""
    rng = np.random.default_rng(seed)
    params = reference.init_params(dims, seed=seed)
    X = rng.standard_normal((dims[0], m))
    if output == "softmax":
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    elif output == "sigmoid":
        Y = (rng.random((dims[-1], m)) > 0.5).astype(float)
    else:
        Y = rng.standard_normal((dims[-1], m))
    return X, Y, params


def reference_step(X, Y, params, hidden, output):
    """One forward and one backward pass of the reference: the gradients of a training step."""
    AL, caches = reference.model_forward(X, params, hidden, output)
    return reference.model_backward(AL, Y, caches, hidden, output)


def matrix_products(layers):
    """The ceiling: for each layer (A_prev, W, dZ), W A_prev, dZ A_prev^T and W^T dZ, nothing else."""
    for A_prev, W, _dZ in layers:
        W @ A_prev
    for A_prev, W, dZ in reversed(layers):
        dZ @ A_prev.T
        W.T @ dZ


def ceiling_operands(X, Y, params, hidden, output):
    """(A_prev, W, dZ) per layer: the arrays the reference multiplies, same shapes and layouts."""
    AL, caches = reference.model_forward(X, params, hidden, output)
    rng = np.random.default_rng(1)
    return [(A_prev, W, rng.standard_normal(Z.shape)) for (A_prev, W, _b), Z in caches]


def measure(networks, rounds):
    rows = []
    for dims, m, hidden, output in networks:
        X, Y, params = problem(dims, m, hidden, output)
        layers = ceiling_operands(X, Y, params, hidden, output)
        ratio, quartiles, step, matmul = paired_ratio(
            lambda: reference_step(X, Y, params, hidden, output), lambda: matrix_products(layers), rounds=rounds
        )
        rows.append((dims, m, hidden, output, step, matmul, ratio, quartiles))
    return rows


def report(rows, judge=True):
    """Markdown table; judge=False leaves the verdict out (tiny smoke-test sizes, where the target does not apply)."""
    lines = [
        "| network | m | hidden / output | reference step (best) | matrix products (best) "
        "| ratio (median of rounds) | quartiles | target <= 1.25 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for dims, m, hidden, output, step, matmul, ratio, (low, high) in rows:
        verdict = ("met" if ratio <= TARGET else "MISSED") if judge else "n/a (smoke test)"
        lines.append(
            f"| {dims} | {m} | {hidden} / {output} | {milliseconds(step)} | {milliseconds(matmul)} "
            f"| {ratio:.2f} | {low:.2f} to {high:.2f} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one tiny network, few rounds (a smoke test)")
    parser.add_argument("--cold-allocator", action="store_true", help="skip warm_allocator (see benchmarks/_timing.py)")
    options = parser.parse_args(argv)
    if not options.cold_allocator:
        warm_allocator()
    rows = measure(QUICK_NETWORKS if options.quick else NETWORKS, rounds=4 if options.quick else 60)
    print("## Reference step vs its matrix products (back to back, alternating order)")
    allocator = "default glibc thresholds (cold)" if options.cold_allocator else "warmed (steady state)"
    print(f"Clock: {clock_name()}. Allocator: {allocator}.\n")
    print(report(rows, judge=not options.quick))
    return rows


if __name__ == "__main__":
    main()
