"""Start-up cost of Jupyter tools with and without tools/fast_imports.py, side by side.

Every Jupyter, nbgrader and nbformat process imports jsonschema, which
imports rfc3987-syntax, which used to build about forty Lark parsers at
import. tools/fast_imports.py makes them lazy; BACKPROP_EAGER_IMPORTS=1
switches that off for one process. This benchmark starts each command both
ways, in alternating order, and reports the medians and their ratio.

Times are CPU time of the child process (user + system, from
getrusage(RUSAGE_CHILDREN)), which does not count time spent waiting for a
core on a busy machine; wall time is shown too.

Run: python -m benchmarks.bench_imports [--quick]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c 'import nbformat'": [sys.executable, "-c", "import nbformat"],
    "nbgrader --version": [str(BIN / "nbgrader"), "--version"],
    "jupyter lab --version": [str(BIN / "jupyter"), "lab", "--version"],
}


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command, eager):
    """(CPU seconds, wall seconds) of one run of `command`."""
    environment = {key: value for key, value in os.environ.items() if key != "BACKPROP_EAGER_IMPORTS"}
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    if eager:
        environment["BACKPROP_EAGER_IMPORTS"] = "1"
    cpu, wall = children_cpu_seconds(), time.perf_counter()
    subprocess.run(command, env=environment, check=True, capture_output=True)
    return children_cpu_seconds() - cpu, time.perf_counter() - wall


def measure(commands, repeats):
    rows = []
    for label, command in commands.items():
        runs = {True: [], False: []}
        for index in range(repeats):
            for eager in ((True, False) if index % 2 == 0 else (False, True)):
                runs[eager].append(run_once(command, eager))
        median = {eager: tuple(statistics.median(values) for values in zip(*runs[eager])) for eager in runs}
        rows.append((label, median[True], median[False]))
    return rows


def report(rows):
    lines = [
        "| command | eager parsers: CPU / wall | lazy parsers (fast_imports): CPU / wall | CPU ratio eager / lazy |",
        "| --- | --- | --- | --- |",
    ]
    for label, (eager_cpu, eager_wall), (lazy_cpu, lazy_wall) in rows:
        lines.append(
            f"| `{label}` | {eager_cpu:.2f} s / {eager_wall:.2f} s | {lazy_cpu:.2f} s / {lazy_wall:.2f} s "
            f"| {eager_cpu / lazy_cpu:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="import nbformat only, once each way (a smoke test)")
    options = parser.parse_args(argv)
    commands = dict(list(COMMANDS.items())[:1]) if options.quick else COMMANDS
    rows = measure(commands, repeats=1 if options.quick else 7)
    print("## Start-up with eager vs lazy rfc3987-syntax parsers (medians)\n")
    print(report(rows))
    return rows


if __name__ == "__main__":
    main()
