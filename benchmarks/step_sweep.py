"""Which finite-difference step h should utils.gradcheck use in float64? A measured sweep.

A centred difference (f(x + h) - f(x - h)) / 2h has two errors pulling in
opposite directions: truncation, about h**2 |f'''| / 6, which shrinks with h,
and rounding, about eps |f| / h, which grows as h shrinks. This sweep measures
their sum on functions the course differentiates, against exact gradients:

* "sigmoid cost": J(w, b) of logistic regression, gradient (X (A - Y)^T / m, mean(A - Y));
* "tanh network": a [6, 5, 3] tanh / softmax network, gradients from autograder.reference;
* "relu network": a [6, 5, 1] relu / sigmoid network, the same;
* "wide relu network": [20, 30, 1] relu / sigmoid on 50 examples: 1500 hidden
  units Z, so a nudge of h sometimes carries one across relu's kink at 0,
  which a larger h makes more likely (roughly in proportion to h).

For each h from 1e-2 to 1e-10 it reports the median and the worst relative
error (utils.gradcheck.relative_error over all parameters) across seeds, and
how often a full check of the wide relu network crosses a kink. It
recommends the smallest h whose worst error stays within ERROR_BUDGET (see
`recommend` for why the smallest). The result is written down in
benchmarks/README.md and is utils.gradcheck.DEFAULT_STEP.

Run: python -m benchmarks.step_sweep [--quick]
"""

import argparse

import numpy as np

from autograder import reference
from utils.activations import sigmoid
from utils.gradcheck import numerical_gradients, relative_error
from utils.losses import compute_cost

STEPS = [10.0**-k for k in range(2, 11)]


def sigmoid_cost_problem(seed):
    """(f, params, exact gradients) for logistic regression on 40 examples of 5 features."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((5, 40))
    Y = (rng.random((1, 40)) > 0.5).astype(float)
    params = {"w": rng.standard_normal((5, 1)) * 0.5, "b": np.array([[0.1]])}

    def cost(p):
        return compute_cost(sigmoid(p["w"].T @ X + p["b"]), Y, "sigmoid")

    A = sigmoid(params["w"].T @ X + params["b"])
    exact = {"w": X @ (A - Y).T / 40, "b": np.array([[float(np.mean(A - Y))]])}
    return cost, params, exact


def make_network(seed, dims, output, m):
    """(X, Y, params): seeded data and parameters for a small network."""
    rng = np.random.default_rng(seed)
    params = reference.init_params(dims, seed=seed)
    for layer in range(1, len(dims)):
        params[f"b{layer}"] = rng.standard_normal((dims[layer], 1)) * 0.1
    X = rng.standard_normal((dims[0], m))
    if output == "softmax":
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    else:
        Y = (rng.random((dims[-1], m)) > 0.5).astype(float)
    return X, Y, params


def network_problem(seed, dims, hidden, output, m=20):
    """(f, params, exact gradients) for a small network, gradients from the reference."""
    X, Y, params = make_network(seed, dims, output, m)

    def cost(p):
        return reference.cost(reference.model_forward(X, p, hidden, output)[0], Y, output)

    AL, caches = reference.model_forward(X, params, hidden, output)
    grads = reference.model_backward(AL, Y, caches, hidden, output)
    return cost, params, {key: grads[f"d{key}"] for key in params}


def kink_crossing_rate(h, n_networks=1000, dims=(20, 30, 1), m=50):
    """Fraction of wide relu networks in which a full check at step h nudges some Z1 across 0.

    Nudging W1[i, j] by +-h moves Z1[i, k] by +-h X[j, k], and b1[i] moves
    Z1[i, :] by +-h; the layers above do not touch relu. So the crossings
    can be counted exactly, without differentiating anything.
    """
    hit = 0
    for seed in range(n_networks):
        X, _, params = make_network(seed, list(dims), "sigmoid", m)
        margin = np.abs(params["W1"] @ X + params["b1"])  # |Z1|, (n_1, m)
        through_W1 = (margin[:, np.newaxis, :] < h * np.abs(X)[np.newaxis, :, :]).any()
        through_b1 = (margin < h).any()
        hit += bool(through_W1 or through_b1)
    return hit / n_networks


PROBLEMS = {
    "sigmoid cost": sigmoid_cost_problem,
    "tanh network": lambda seed: network_problem(seed, [6, 5, 3], "tanh", "softmax"),
    "relu network": lambda seed: network_problem(seed, [6, 5, 1], "relu", "sigmoid"),
    "wide relu network": lambda seed: network_problem(seed, [20, 30, 1], "relu", "sigmoid", m=50),
}


def sweep(n_seeds=20, steps=STEPS):
    """{problem: {h: [relative error per seed]}}."""
    results = {}
    for name, make in PROBLEMS.items():
        results[name] = {h: [] for h in steps}
        for seed in range(n_seeds):
            cost, params, exact = make(seed)
            keys = list(params)
            analytic = np.concatenate([exact[key].ravel() for key in keys])
            for h in steps:
                numeric = numerical_gradients(cost, params, step=h)
                numeric = np.concatenate([numeric[key].ravel() for key in keys])
                results[name][h].append(relative_error(analytic, numeric))
    return results


#: The largest worst-case relative error a default step may cost: a tenth of
#: the 1e-7 that the property tests demand of a correct gradient.
ERROR_BUDGET = 1e-8


def recommend(results):
    """The smallest step whose worst relative error, over every problem and seed, is within ERROR_BUDGET.

    Smallest, because a relu kink is crossed with a probability roughly
    proportional to h (see kink_crossing_rate): among the steps accurate
    enough, the smallest is the one least likely to fail a correct gradient.
    """
    steps = list(next(iter(results.values())))
    accurate = [h for h in steps if max(max(errors[h]) for errors in results.values()) <= ERROR_BUDGET]
    return min(accurate)


def table(results, kink_rates):
    """Markdown: one row per step, median / worst relative error per problem, and the kink rate."""
    names = list(results)
    lines = [
        "| h | " + " | ".join(f"{name}: median / worst" for name in names) + " | wide relu: checks crossing a kink |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- |",
    ]
    for h in next(iter(results.values())):
        cells = [f"{np.median(results[name][h]):.1e} / {max(results[name][h]):.1e}" for name in names]
        lines.append(f"| 1e{int(round(np.log10(h)))} | " + " | ".join(cells) + f" | {kink_rates[h]:.1%} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two seeds and three steps (a smoke test)")
    options = parser.parse_args(argv)
    steps = [1e-3, 1e-6, 1e-9] if options.quick else STEPS
    results = sweep(n_seeds=2 if options.quick else 20, steps=steps)
    n_networks = 20 if options.quick else 1000
    kink_rates = {h: kink_crossing_rate(h, n_networks) for h in steps}
    print("## Step sweep: relative error of centred differences in float64\n")
    print(f"{2 if options.quick else 20} seeds per problem; kink crossings counted over {n_networks} networks.\n")
    print(table(results, kink_rates))
    print(f"\nRecommended (smallest step within the error budget {ERROR_BUDGET:.0e}): DEFAULT_STEP = {recommend(results):.0e}")
    return results, kink_rates


if __name__ == "__main__":
    main()
