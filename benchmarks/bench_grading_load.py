"""Load: time and memory of the grader process while it grades a large class in the sandbox.

    python -m benchmarks.bench_grading_load                    # 300 submissions of the fixture, 2 jobs
    python -m benchmarks.bench_grading_load --students 600 --sandbox off
    python -m benchmarks.bench_grading_load --quick            # 6 submissions: does it run?

Builds a synthetic class (the rotation of benchmarks/bench_grading.py: the
solution, a blank and each typical mistake) in a temporary course, then runs
`python -m autograder grade A --jobs N --sandbox MODE` once and, every 0.1 s,
samples the grader process alone (its resident set and its high-water mark
VmHWM from /proc) and, separately, all its descendants (kernels, bwrap). It
prints the wall time, the time per submission, the grader's peak RSS, and
the grader's RSS when 10 %, 50 % and 100 % of the submissions were done: a
grader whose memory is bounded holds about the same RSS from 10 % to 100 %.
The numbers go to build/bench/grading_load.json. Not part of `make test`.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import state  # noqa: E402
from benchmarks.bench_grading import build_course, synthetic_class  # noqa: E402
from tests.fixtures.pipeline import classroom  # noqa: E402

MIB = 2**20


def high_water_mark(pid):
    """VmHWM of `pid` in bytes (the kernel's record of its peak resident set), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def measure(course, assignment, students, jobs, sandbox, interval=0.1):
    command = [sys.executable, "-m", "autograder", "grade", assignment, "--jobs", str(jobs), "--quiet",
               "--sandbox", sandbox, "--course", str(course.root)]
    log = tempfile.TemporaryFile(mode="w+")  # not a pipe: a long summary must never block the grader
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
    grader = psutil.Process(process.pid)
    samples, peak_rss, peak_hwm, peak_kernels = [], 0, 0, 0
    folder = state.state_folder(course, assignment)
    while process.poll() is None:
        try:
            rss = grader.memory_info().rss
            kernels = 0
            for child in grader.children(recursive=True):
                try:
                    kernels += child.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            break
        done = len(list(folder.glob("*.json"))) if folder.is_dir() else 0
        samples.append((time.perf_counter() - started, done, rss))
        peak_rss = max(peak_rss, rss)
        peak_hwm = max(peak_hwm, high_water_mark(process.pid) or 0)
        peak_kernels = max(peak_kernels, kernels)
        time.sleep(interval)
    process.wait()
    seconds = time.perf_counter() - started
    log.seek(0)
    stderr = log.read()
    log.close()
    if process.returncode != 0:
        raise SystemExit(f"grading failed ({process.returncode}):\n{stderr[-3000:]}")
    records = state.load_all(course, assignment)
    if len(records) != students or not all(record.final for record in records.values()):
        raise SystemExit(f"only {len(records)} of {students} submissions ended in a final state")

    def rss_at(fraction):
        wanted = max(1, int(round(fraction * students)))
        later = [rss for _, done, rss in samples if done >= wanted]
        return later[0] if later else (samples[-1][2] if samples else None)

    return {
        "students": students, "jobs": jobs, "sandbox": sandbox, "seconds": round(seconds, 1),
        "seconds_per_submission": round(seconds / students, 3),
        "grader_peak_rss_mib": round(max(peak_rss, peak_hwm) / MIB, 1),
        "grader_rss_mib_at": {f"{int(f * 100)}%": round((rss_at(f) or 0) / MIB, 1) for f in (0.1, 0.5, 1.0)},
        "kernels_peak_rss_mib": round(peak_kernels / MIB, 1),
        "launcher": next(iter(records.values())).launcher,
        "warning": next((line for line in stderr.splitlines() if "WARNING" in line), None),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_grading_load",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--assignment", default=classroom.FIXTURE)
    parser.add_argument("--sandbox", choices=("auto", "bubblewrap", "off"), default="auto")
    parser.add_argument("--quick", action="store_true", help="6 submissions: check that it runs")
    args = parser.parse_args(argv)
    students = 6 if args.quick else args.students
    with tempfile.TemporaryDirectory(prefix="bench-grading-load-") as scratch:
        staging = classroom.make_course(Path(scratch) / "staging", args.assignment)
        notebooks = synthetic_class(staging, args.assignment, students)
        course = build_course(Path(scratch) / "class", args.assignment, notebooks)
        result = measure(course, args.assignment, students, args.jobs, args.sandbox)
    print(f"graded {result['students']} submissions of {args.assignment} with --jobs {result['jobs']} "
          f"--sandbox {result['sandbox']} in {result['seconds']} s ({result['seconds_per_submission']} s each)")
    print(f"  launcher: {result['launcher']}")
    if result["warning"]:
        print(f"  {result['warning']}")
    print(f"  grader process: peak RSS {result['grader_peak_rss_mib']} MiB; RSS when "
          + ", ".join(f"{key} done: {value} MiB" for key, value in result["grader_rss_mib_at"].items()))
    print(f"  kernels and sandboxes together: peak RSS {result['kernels_peak_rss_mib']} MiB")
    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "grading_load.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
