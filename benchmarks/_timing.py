"""Side-by-side timing for the benchmarks: interleaved rounds, best of each.

On a shared machine a single timing says more about the neighbours than
about the code. So candidates are timed in interleaved rounds (A, B, A, B,
...): a burst of load hits both alike, and the best round of each (the
least disturbed) gives the ratio. Each round runs a candidate often enough to
last about `round_seconds`, so the clock's resolution does not matter.
"""

import time


def calls_per_round(function, round_seconds):
    """How many calls of `function` take about `round_seconds` (at least 1)."""
    start = time.perf_counter()
    function()
    elapsed = time.perf_counter() - start
    return max(1, int(round_seconds / max(elapsed, 1e-9)))


def best_times(candidates, rounds=15, round_seconds=0.05):
    """{name: best seconds per call} for {name: function}, timed in interleaved rounds."""
    for function in candidates.values():
        function()  # warm up: caches, allocator, lazy imports
    calls = {name: calls_per_round(function, round_seconds) for name, function in candidates.items()}
    best = {name: float("inf") for name in candidates}
    for _ in range(rounds):
        for name, function in candidates.items():
            start = time.perf_counter()
            for _ in range(calls[name]):
                function()
            best[name] = min(best[name], (time.perf_counter() - start) / calls[name])
    return best


def milliseconds(seconds):
    """'12.3 ms' (or microseconds below 0.1 ms)."""
    if seconds < 1e-4:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e3:.2f} ms" if seconds < 10 else f"{seconds:.1f} s"
