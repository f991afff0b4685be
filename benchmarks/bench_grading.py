"""Grading speed: stock `nbgrader autograde` against `python -m autograder grade`, side by side.

    python -m benchmarks bench_grading                      # 40 submissions of unit 1, 2 jobs
    python -m benchmarks.bench_grading --students 60 --assignment ps_fixture --rounds 2
    python -m benchmarks.bench_grading --quick              # 3 submissions of the fixture: does it run?
    python -m benchmarks.bench_grading --sandbox off        # ours without issue 10's sandbox

One synthetic class (the solution, blank notebooks and the typical mistakes
of tests/fixtures/pipeline/classroom.py, in rotation) is copied into three
identical course folders, each with its gradebook already holding the
assignment (nbgrader generate_assignment, not timed). Then, timed from the
start of each process to its end:

1. stock, per student: `nbgrader autograde A --student S`, one call per student;
2. stock, batch:       `nbgrader autograde A`, one call for the class;
3. ours:               `python -m autograder grade A --jobs N`.

It prints the wall-clock times and the ratios, and the CPU time all
processes of each contender used (kernels included: less sensitive to the
load of a shared machine than wall time, but blind to the use of both
cores); with --rounds N the contenders run N times in rotating order and the
best time of each counts. It checks that the three gradebooks hold identical
autograded scores for every student and test cell (exit status 1 if not),
and writes the numbers to build/bench/grading.json. Targets on 2 cores:
ours >= 4x faster than one stock call per student and >= 2x faster than the
stock batch call.

Measured on the development machine (2 cores of an AMD EPYC shared with
other engineers; `--students 40`, unit 1, one round each):

| ours | load | per student | batch | ours | per student / ours | batch / ours | scores |
| --- | --- | --- | --- | --- | --- | --- | --- |
| `--sandbox off` (the engine) | 1.3 -> 3.2 | 141.0 s | 97.4 s | 25.4 s | 5.5x | 3.8x | identical (360 cells) |
| default (bubblewrap sandbox, issue 10) | 2.8 -> 6.4 | 151.4 s | 132.1 s | 46.5 s | 3.3x | 2.8x | identical (360 cells) |
| default (bubblewrap sandbox), quiet machine, final code | 0.4 -> 1.6 | 121.2 s | 75.4 s | 30.3 s | 4.0x | 2.5x | identical (360 cells) |

CPU time of all processes, `--sandbox off` run: stock per student 120.9 s,
stock batch 73.7 s, ours 43.3 s (ours skips unit 1's ungraded "try it" cell,
which trains the model three times; stock runs it). The CPU time of
sandboxed kernels is not counted (they are reaped inside their namespace).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import progress  # noqa: E402
from autograder.course import Course  # noqa: E402
from autograder.spec import sync_assignment  # noqa: E402
from tests.fixtures.pipeline import classroom  # noqa: E402

BIN = Path(sys.executable).parent


def synthetic_class(course, assignment, students):
    """{student_id: notebook}: the solution, a blank and each typical mistake, in rotation.

    The typical mistakes are the fixture's and unit 1's (tests/fixtures/pipeline/classroom.py);
    any other assignment of source/ rotates the solution and the blank only.
    """
    if assignment == classroom.UNIT1:
        mistakes = [lambda name=name: classroom.unit1_mistake(course, name) for name in classroom.UNIT1_MISTAKES]
    elif assignment != classroom.FIXTURE:
        mistakes = []
    else:
        mistakes = [lambda grade_id=grade_id, code=code: classroom.submission(course, assignment, {grade_id: code})
                    for grade_id, code, _ in classroom.FIXTURE_MISTAKES.values()]
    kinds = [lambda: classroom.submission(course, assignment),
             lambda: classroom.submission(course, assignment, fill_solutions=False), *mistakes,
             lambda: classroom.submission(course, assignment)]
    return {f"student{index:03d}": kinds[index % len(kinds)]() for index in range(students)}


def build_course(root, assignment, notebooks):
    course = classroom.make_course(root, assignment)
    for student, notebook in notebooks.items():
        classroom.submit(course, assignment, student, notebook, "2026-01-10 09:00:00.000000 UTC")
    sync_assignment(course, assignment)  # the gradebook knows the assignment, as after generate_assignment
    return course


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command, cwd, environment):
    completed = subprocess.run(command, cwd=cwd, env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stdout[-3000:]}")


def timed(action):
    """(wall seconds, CPU seconds of all child processes) of action()."""
    wall, cpu = time.perf_counter(), _children_cpu()
    action()
    return time.perf_counter() - wall, _children_cpu() - cpu


def _supports_sandbox_flag():
    from autograder.cli import build_parser

    return "--sandbox" in build_parser()._subparsers._group_actions[0].choices["grade"].format_help()


def autograded_scores(course, assignment):
    """{(student, test cell): auto_score} from a course's gradebook (autograded test cells only)."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(course.db_url) as gradebook:
        test_cells = {cell.name for notebook in gradebook.find_assignment(assignment).notebooks
                      for cell in notebook.grade_cells if cell.cell_type == "code"}
        for submission in gradebook.find_assignment(assignment).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name in test_cells:
                        scores[(submission.student.id, grade.name)] = grade.auto_score
    return scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40, help="class size (default 40)")
    parser.add_argument("--assignment", default=classroom.UNIT1,
                        help=f"{classroom.UNIT1} (default) or {classroom.FIXTURE}")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs for ours (default 2)")
    parser.add_argument("--rounds", type=int, default=1, help="run every contender this often, best counts")
    parser.add_argument("--sandbox", choices=("auto", "bubblewrap", "off"),
                        help="--sandbox for ours (default: the command's own default)")
    parser.add_argument("--quick", "--smoke", action="store_true",
                        help=f"3 students of {classroom.FIXTURE}: check that the benchmark runs")
    parser.add_argument("--keep", type=Path, help="build the courses here and keep them")
    parser.add_argument("--out", type=Path, help="JSON results (default build/bench/grading.json; "
                        "--quick: not written)")
    args = parser.parse_args(argv)
    students = 3 if args.quick else args.students
    assignment = classroom.FIXTURE if args.quick else args.assignment
    out = args.out or (None if args.quick else REPO / "build" / "bench" / "grading.json")
    progress.set_enabled(False)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-grading-"))
    environment = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                       AUTOGRADER_NO_PROGRESS="1")
    nbgrader = [str(BIN / "nbgrader")]
    ours_command = [sys.executable, "-m", "autograder", "grade", assignment, "--jobs", str(args.jobs), "--quiet",
                    "--force"]
    if args.sandbox and _supports_sandbox_flag():
        ours_command += ["--sandbox", args.sandbox]
    try:
        print(f"building 3 copies of a class of {students} submissions of {assignment} in {workdir}", flush=True)
        template = classroom.make_course(workdir / "template", assignment)
        notebooks = synthetic_class(template, assignment, students)
        names = ("stock_per_student", "stock_batch", "ours")
        courses = {name: build_course(workdir / name, assignment, notebooks) for name in names}
        actions = {
            "stock_per_student": lambda: [run([*nbgrader, "autograde", assignment, "--student", student, "--force"],
                                              courses["stock_per_student"].root, environment)
                                          for student in notebooks],
            "stock_batch": lambda: run([*nbgrader, "autograde", assignment, "--force"], courses["stock_batch"].root,
                                       environment),
            "ours": lambda: run(ours_command, courses["ours"].root, environment),
        }
        labels = {"stock_per_student": "nbgrader autograde, one call per student",
                  "stock_batch": "nbgrader autograde, one batch call",
                  "ours": " ".join(["python -m autograder", *ours_command[3:]])}
        loads = [os.getloadavg()[0]]
        times, cpu = {}, {}
        for round_number in range(args.rounds):
            order = names[round_number % 3:] + names[:round_number % 3]
            for name in order:
                print(f"round {round_number + 1}: {labels[name]} ...", flush=True)
                wall, used = timed(actions[name])
                if name not in times or wall < times[name]:
                    times[name], cpu[name] = wall, used
            loads.append(os.getloadavg()[0])

        scores = {name: autograded_scores(Course(course.root), assignment) for name, course in courses.items()}
        differences = sorted(key for key in set().union(*scores.values())
                             if len({scores[name].get(key) for name in scores}) > 1)
        ratios = {"per_student_over_ours": times["stock_per_student"] / times["ours"],
                  "batch_over_ours": times["stock_batch"] / times["ours"]}
        result = {
            "assignment": assignment, "students": students, "jobs": args.jobs, "cores": os.cpu_count(),
            "rounds": args.rounds, "ours_command": labels["ours"],
            "load_average_1min": [round(value, 2) for value in loads],
            "wall_seconds": {name: round(value, 2) for name, value in times.items()},
            "cpu_seconds": {name: round(value, 2) for name, value in cpu.items()},
            "wall_seconds_per_submission": {name: round(value / students, 3) for name, value in times.items()},
            "ratios": {name: round(value, 2) for name, value in ratios.items()},
            "targets": {"per_student_over_ours": 4.0, "batch_over_ours": 2.0},
            "scores_identical": not differences,
            "scored_cells": len(scores["ours"]),
            "differences": [f"{student}/{cell}: " + ", ".join(f"{name}={scores[name].get((student, cell))}"
                                                             for name in scores)
                            for student, cell in differences],
        }
        print()
        print(f"{students} submissions of {assignment}, {os.cpu_count()} cores, 1-min load average "
              f"{' -> '.join(f'{value:.1f}' for value in loads)}")
        for name in names:
            print(f"  {labels[name]:<58} {times[name]:7.1f} s wall  {times[name] / students:5.2f} s/submission  "
                  f"{cpu[name]:7.1f} s CPU")
        print(f"  stock per student / ours: {ratios['per_student_over_ours']:.1f}x   (target >= 4x)")
        print(f"  stock batch / ours:       {ratios['batch_over_ours']:.1f}x   (target >= 2x)")
        print(f"  scores identical in all three gradebooks: {'yes' if not differences else 'NO'} "
              f"({len(scores['ours'])} test cells scored)")
        for line in result["differences"][:20]:
            print(f"    {line}")
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1) + "\n")
            print(f"wrote {out}")
        return 0 if not differences else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
