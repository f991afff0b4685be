"""`python -m autograder`: the instructor's pipeline, one command per step.

    python -m autograder release [ASSIGNMENT] [--check]
    python -m autograder collect ASSIGNMENT PATH
    python -m autograder grade ASSIGNMENT [--jobs N] [--force] [--cluster local:W|tcp://HOST:PORT]
    python -m autograder feedback ASSIGNMENT
    python -m autograder export --to FILE.csv
    python -m autograder report ASSIGNMENT
    python -m autograder bundle [--to DIR]           (autograder.bundle)

Every command takes --course DIR (default: the nearest folder with
nbgrader_config.py, from the current one upwards), --db-url URL (the
gradebook, instead of nbgrader_config.py's CourseDirectory.db_url) and
--quiet (no progress bars). `grade` exits with 3 when another grader holds
the assignment's gradebook lock, 2 for a problem to fix (the message says
which). Each command's module is imported only when that command runs, so
--help answers at once.
"""

import argparse
import importlib
import sys
from pathlib import Path

#: Commands implemented by a module with its own main(argv) (parsed there).
DELEGATED = {"bundle": ("autograder.bundle", "build the student course (release/, lessons, utils) without solutions")}


def _course(args):
    from autograder.course import Course, find_course_root

    return Course(args.course if args.course else find_course_root(), db_url=args.db_url)


def _release(args):
    from autograder import release

    course = _course(args)
    names = [args.assignment] if args.assignment else None
    if args.check:
        differences = release.check(course, names)
        if differences:
            print("release/ differs from what source/ generates (run `python -m autograder release`):",
                  file=sys.stderr)
            for difference in differences:
                print(f"  {difference}", file=sys.stderr)
            return 1
        print(f"release/ is up to date for {', '.join(names or course.assignments()) or 'no assignments'}")
        return 0
    folders = release.release(course, names)
    for folder in folders:
        print(f"generated {folder.relative_to(course.root)}/")
    return 0


def _collect(args):
    from autograder import collect

    course = _course(args)
    report = collect.collect(course, args.assignment, Path(args.path))
    print(report.summary())
    return 0 if report.collected or not report.problems else 1


def _grade(args):
    from autograder import grading
    from autograder.clusters import parse_cluster
    from autograder.executor import ExecutionLimits

    course = _course(args)
    limits = ExecutionLimits(
        cell_timeout=args.cell_timeout or course.cell_timeout,
        wall_clock=args.max_time,
        memory_bytes=int(args.max_memory * 2**30) if args.max_memory else None,
    )
    cluster = parse_cluster(args.cluster)
    launcher, warning = None, None
    if cluster.embedded:  # with a cluster, each worker chooses (and checks) its own sandbox
        from autograder.sandbox import SandboxUnavailable, choose_launcher

        try:
            launcher, warning = choose_launcher(args.sandbox, course_root=course.root)
        except SandboxUnavailable as error:
            # Fail closed: no submission has run, nothing was written.
            print(f"autograder grade: refusing to grade: {error}", file=sys.stderr)
            return 2
        if warning:
            print(f"\n{'!' * 78}\n{warning}\n{'!' * 78}\n", file=sys.stderr, flush=True)
    records = grading.grade_submissions(course, args.assignment, jobs=args.jobs, force=args.force,
                                        students=args.student or None, limits=limits, launcher=launcher,
                                        run_all_cells=args.run_all_cells, cluster=cluster,
                                        sandbox=args.sandbox, backup=not args.no_backup)
    print(grading_summary(records))
    if warning:
        print(warning, file=sys.stderr)
    changed = sorted(student for student, record in records.items()
                     if any(incident.kind == "gradebook_changed" for incident in record.incidents))
    if changed:
        print(f"autograder grade: the gradebook no longer holds the scores the grader wrote for {len(changed)} "
              f"student(s): {', '.join(changed)} (see above); `export` withholds those scores", file=sys.stderr)
        return 1
    return 0


def grading_summary(records):
    """A few lines: counts per state, then every submission that was not simply graded."""
    from autograder import state

    counts = {}
    for record in records.values():
        counts[record.status] = counts.get(record.status, 0) + 1
    lines = [f"{len(records)} submissions: " + ", ".join(f"{count} {status.replace('_', ' ')}"
                                                         for status, count in sorted(counts.items()))]
    for student, record in sorted(records.items()):
        if record.status == state.GRADED:
            continue
        head = f"  {student}: {record.status.replace('_', ' ')}"
        if record.status in (state.GRADED, state.GRADED_WITH_INCIDENTS):
            head += f", {record.total:g}/{record.max_total:g}"
        if record.reason:
            head += f" ({record.reason.splitlines()[0]})"
        lines.append(head)
        lines.extend(f"      {incident}" for incident in record.incidents)
    return "\n".join(lines)


def _feedback(args):
    from autograder import feedback

    course = _course(args)
    paths = feedback.generate(course, args.assignment, students=args.student or None)
    print(f"wrote {len(paths)} feedback files under {course.feedback.relative_to(course.root)}/")
    return 0


def _export(args):
    from autograder import export

    course = _course(args)
    rows, withheld = export.export_checked(course, Path(args.to))
    print(f"wrote {args.to}: {rows} students")
    if withheld:
        print(f"autograder export: {len(withheld)} score(s) WITHHELD (left empty in {args.to}): the gradebook no "
              "longer holds what the grader wrote:", file=sys.stderr)
        for (student, assignment), differences in sorted(withheld.items()):
            print(f"  {student}, {assignment}: {'; '.join(differences)}", file=sys.stderr)
        print("  Find out what changed them (a process a submission started while grading with the sandbox off?),"
              " then write the grader's scores again: python -m autograder grade ASSIGNMENT --force --student ID",
              file=sys.stderr)
        return 1
    return 0


def _report(args):
    from autograder import report

    course = _course(args)
    out = Path(args.out) if args.out else course.root / "build" / "reports" / args.assignment
    written = report.write_report(course, args.assignment, out)
    for path in written:
        print(f"wrote {path}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="The instructor's pipeline for Backprop, derived: release, collect, grade, feedback, "
        "export and report, built on nbgrader.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course", metavar="DIR", help="the course root (default: the nearest folder with "
                        "nbgrader_config.py, from here upwards)")
    common.add_argument("--db-url", metavar="URL", help="the gradebook database, e.g. "
                        "postgresql://grader@db/backprop (default: CourseDirectory.db_url of nbgrader_config.py, "
                        "else gradebook.db in the course root)")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    release = commands.add_parser(
        "release", parents=[common], help="generate release/ from source/ (or check it)",
        description="Generate the student version release/<assignment>/ from source/<assignment>/ with "
        "nbgrader (solutions and hidden tests removed; a throwaway gradebook), normalised for git.")
    release.add_argument("assignment", nargs="?", help="one assignment (default: every assignment in source/)")
    release.add_argument("--check", action="store_true", help="change nothing; exit 1 naming every notebook "
                         "of release/ that differs from what source/ generates")
    release.set_defaults(run=_release)

    collect = commands.add_parser(
        "collect", parents=[common], help="take submissions from a folder or an LMS zip into submitted/",
        description="Copy submissions into nbgrader's submitted/<student>/<assignment>/ layout. PATH is a "
        "folder of student folders (PATH/<student_id>/*.ipynb) or a Canvas or Moodle download "
        "(zip or unpacked folder); the file-name patterns are in autograder/collect.py. Unrecognised or "
        "broken files are reported by name and skipped; a later submission replaces an earlier one with a "
        "warning, and the replaced file is kept under .autograder/replaced/.")
    collect.add_argument("assignment")
    collect.add_argument("path", help="a folder of student folders, or an LMS download (.zip or folder)")
    collect.set_defaults(run=_collect)

    grade = commands.add_parser(
        "grade", parents=[common], help="autograde every collected submission, in parallel",
        description="Autograde submitted/*/ASSIGNMENT: each notebook runs cell by cell in its own kernel "
        "(started ahead of need), several at once; scores go to nbgrader's gradebook (backed up first), "
        "the executed notebooks to autograded/, and a state record per student to .autograder/state/. "
        "Students already graded are skipped unless --force.")
    grade.add_argument("assignment")
    grade.add_argument("--jobs", type=int, metavar="N", help="submissions at once (default: number of cores); "
                       "with --cluster: sandboxed kernels per worker (default: cores/W for local:W, else each "
                       "worker's threads)")
    grade.add_argument("--cluster", metavar="WHERE", help="run the kernels on Dask workers: local:W starts W "
                       "worker processes here, tcp://HOST:PORT uses a running `dask scheduler` (default: "
                       "DASK_SCHEDULER_ADDRESS if set, else this process; `embedded` forces this process)")
    grade.add_argument("--no-backup", action="store_true", help="write without backing the gradebook up first "
                       "(needed where no backup can be made, e.g. PostgreSQL without pg_dump)")
    grade.add_argument("--force", action="store_true", help="grade again students already graded")
    grade.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    grade.add_argument("--cell-timeout", type=float, metavar="S",
                       help="seconds per cell (default: Execute.timeout of nbgrader_config.py)")
    grade.add_argument("--max-time", type=float, default=900.0, metavar="S",
                       help="seconds per submission, all cells together (default: 900)")
    grade.add_argument("--max-memory", type=float, default=4.0, metavar="GIB",
                       help="memory limit of each kernel in GiB (default: 4; 0 for none)")
    grade.add_argument("--run-all-cells", action="store_true",
                       help="also run the cells after the last graded or answer cell (by default they are "
                       "skipped: they cannot change a score)")
    grade.add_argument("--sandbox", choices=("auto", "bubblewrap", "off"), default="auto",
                       help="isolate each kernel with bubblewrap: auto (default) and bubblewrap run every kernel "
                       "in it and refuse to grade, before anything runs, when it cannot work here (the message "
                       "says why and what to do); off grades WITHOUT isolation, on purpose, with a warning and a "
                       "not_sandboxed incident in every record (autograder/sandbox.py)")
    grade.set_defaults(run=_grade)

    feedback = commands.add_parser(
        "feedback", parents=[common], help="write per-student HTML feedback",
        description="Write feedback/<student>/<assignment>/<notebook>.html for every graded student: each "
        "test's result and the diagnosis of the checks, the student's own code, hand-graded scores and "
        "comments from the gradebook, and any incident. Hidden tests are never shown.")
    feedback.add_argument("assignment")
    feedback.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    feedback.set_defaults(run=_feedback)

    export = commands.add_parser(
        "export", parents=[common], help="write the grades of every assignment to a CSV file",
        description="One row per student, one column per assignment (the gradebook's score, hand grading "
        "included), a total, and a column saying why a submission scored 0 because it was ungradable. A score "
        "the gradebook holds but the grader did not write (changed after grading) is withheld: left empty, "
        "explained in the reason column and on stderr, and the exit status is 1.")
    export.add_argument("--to", required=True, metavar="FILE.csv", help="the CSV file to write")
    export.set_defaults(run=_export)

    report = commands.add_parser(
        "report", parents=[common], help="the class at a glance: HTML with plots, and CSV",
        description="Score distribution, pass rate of every test cell and the most frequent diagnosed "
        "mistakes per cell, as an HTML page with embedded plots and as CSV files.")
    report.add_argument("assignment")
    report.add_argument("--out", metavar="DIR", help="output folder (default: build/reports/ASSIGNMENT)")
    report.set_defaults(run=_report)

    for name, (_module, summary) in DELEGATED.items():
        commands.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        module = importlib.import_module(DELEGATED[argv[0]][0])
        return module.main(argv[1:])
    args = build_parser().parse_args(argv)
    from autograder import progress

    if args.quiet:
        progress.set_enabled(False)
    from autograder.course import CourseError
    from autograder.database import GradebookBusy
    from autograder.release import ReleaseError

    try:
        return args.run(args)
    except GradebookBusy as error:
        print(f"autograder {args.command}: {error}", file=sys.stderr)
        return 3
    except (CourseError, ReleaseError) as error:
        print(f"autograder {args.command}: {error}", file=sys.stderr)
        return 2
