"""Side-by-side timing for the benchmarks: interleaved rounds, best of each, CPU time.

On a shared machine a single wall-clock timing says more about the
neighbours than about the code. So:

* candidates are timed in interleaved rounds (A, B, B, A, A, B, ...), so a
  burst of load hits both alike; `best_times` keeps the best round of each,
  and `paired_ratio` takes the median over rounds of A's time / B's time
  measured back to back, which shrugs off bursts that hit a few rounds;
* each round runs a candidate often enough to last about `round_seconds`;
* with BLAS on one thread (the default of `python -m benchmarks`) the clock
  is the process's CPU time, which does not advance while the process waits
  for a core. With more BLAS threads CPU time would add up the threads (and
  their spinning), so wall time is used instead; `clock_name()` says which.
"""

import os
import time

import numpy as np


def single_threaded():
    """True when BLAS was told to use one thread (see benchmarks/__main__.py)."""
    return os.environ.get("OPENBLAS_NUM_THREADS") == "1" and os.environ.get("OMP_NUM_THREADS", "1") == "1"


def clock():
    """The clock used for timing: CPU time of the process when single-threaded, else wall time."""
    return time.process_time if single_threaded() else time.perf_counter


def clock_name():
    return "CPU time, BLAS on 1 thread" if single_threaded() else "wall time, BLAS threads as configured"


def warm_allocator(megabytes=30):
    """Put glibc's allocator in the steady state of a long-running process.

    By default glibc serves each array above 128 KiB with fresh pages from
    the kernel and returns them on release, so code that allocates and frees
    many large arrays pays page faults on every call. Freeing one large block
    (here `megabytes`, below glibc's 32 MiB cap) raises the thresholds, after
    which arrays are recycled from the heap. Any notebook reaches this state
    as soon as it frees a large array (a data set, a big matrix); a fresh
    benchmark process does not, and only sometimes reaches it part-way
    through, which makes its timings drift. See benchmarks/README.md.
    """
    block = np.ones(megabytes * 2**20 // 8)
    del block


def calls_per_round(function, round_seconds, now):
    """How many calls of `function` take about `round_seconds` (at least 1)."""
    start = now()
    function()
    elapsed = now() - start
    return max(1, int(round_seconds / max(elapsed, 1e-6)))


def best_times(candidates, rounds=15, round_seconds=0.05):
    """{name: best seconds per call} for {name: function}, timed in interleaved rounds."""
    now = clock()
    for function in candidates.values():
        function()  # warm up: caches, allocator, lazy imports
    calls = {name: calls_per_round(function, round_seconds, now) for name, function in candidates.items()}
    best = {name: float("inf") for name in candidates}
    for _ in range(rounds):
        for name, function in candidates.items():
            start = now()
            for _ in range(calls[name]):
                function()
            best[name] = min(best[name], (now() - start) / calls[name])
    return best


def paired_ratio(candidate, baseline, rounds=60, round_seconds=0.02):
    """Compare `candidate` with `baseline` back to back, in alternating order.

    Returns (median of the per-round ratios candidate / baseline,
    (first quartile, third quartile) of them, best candidate time, best baseline time),
    times in seconds per call.
    """
    now = clock()
    candidate()
    baseline()
    calls = {
        "candidate": calls_per_round(candidate, round_seconds, now),
        "baseline": calls_per_round(baseline, round_seconds, now),
    }
    functions = {"candidate": candidate, "baseline": baseline}
    ratios, best = [], {"candidate": float("inf"), "baseline": float("inf")}
    for round_index in range(rounds):
        order = ("candidate", "baseline") if round_index % 2 == 0 else ("baseline", "candidate")
        seconds = {}
        for name in order:
            start = now()
            for _ in range(calls[name]):
                functions[name]()
            seconds[name] = (now() - start) / calls[name]
            best[name] = min(best[name], seconds[name])
        ratios.append(seconds["candidate"] / seconds["baseline"])
    ratios.sort()
    quartiles = (ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4])
    return ratios[len(ratios) // 2], quartiles, best["candidate"], best["baseline"]


def milliseconds(seconds):
    """'12.3 ms' (or microseconds below 0.1 ms, seconds above 10 s)."""
    if seconds < 1e-4:
        return f"{seconds * 1e6:.1f} us"
    return f"{seconds * 1e3:.2f} ms" if seconds < 10 else f"{seconds:.1f} s"
