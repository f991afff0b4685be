"""python -m benchmarks: run the benchmark modules, each in its own process.

    python -m benchmarks                    # every module except bench_grading
    python -m benchmarks bench_grading      # only the named modules
    python -m benchmarks --quick            # tiny sizes: checks that everything runs
    python -m benchmarks --threads 2        # let BLAS use two threads (default: one)

Every module in benchmarks/ whose name does not start with "_" is a
benchmark, run as `python -m benchmarks.<name> [--quick]`. bench_grading
starts many kernels and takes minutes, so it runs only when named.

BLAS is pinned to one thread by default: on a small machine shared with
other work, multi-threaded BLAS timings swing by several times with the
neighbours' load, which drowns the ratios being measured. Every ratio is
measured within one process, so both sides of it get the same threads.
"""

import argparse
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

#: Benchmarks that run only when asked for by name.
ON_REQUEST = ("bench_grading", "bench_grading_load", "bench_distributed")
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def available():
    """Names of the benchmark modules, sorted."""
    folder = Path(__file__).resolve().parent
    return sorted(module.name for module in pkgutil.iter_modules([str(folder)]) if not module.name.startswith("_"))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"modules to run (default: all but {', '.join(ON_REQUEST)})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check that the benchmarks run")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for every benchmark (default 1)")
    options = parser.parse_args(argv)
    names = available()
    unknown = sorted(set(options.names) - set(names))
    if unknown:
        parser.error(f"no benchmark called {', '.join(unknown)}; there are: {', '.join(names)}")
    chosen = options.names or [name for name in names if name not in ON_REQUEST]
    environment = dict(os.environ, **{variable: str(options.threads) for variable in THREAD_VARIABLES})
    root = Path(__file__).resolve().parent.parent
    failed = []
    for name in chosen:
        print(f"\n# benchmarks.{name}\n", flush=True)
        command = [sys.executable, "-m", f"benchmarks.{name}"] + (["--quick"] if options.quick else [])
        if subprocess.run(command, cwd=root, env=environment).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
