"""The gradebook's database (autograder/database.py) on a real PostgreSQL server and on SQLite.

Schema created once by concurrent graders, one coordinator per assignment
(advisory lock / lock file, released when the holder is SIGKILLed), and the
backup before writing (pg_dump, restorable; refused with a reason where it
cannot be made).
"""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder import database
from autograder.course import Course, CourseError
from tests.fixtures.pipeline import classroom
from tests.pg_support import postgres  # noqa: F401 - the session fixture

REPO = Path(__file__).resolve().parents[1]

HOLD_LOCK = """
import sys, time
from autograder import database
from autograder.course import Course
course = Course(sys.argv[1], db_url=sys.argv[2] or None)
with database.coordinator_lock(course, sys.argv[3]):
    print("locked", flush=True)
    time.sleep(300)
"""

ENSURE_SCHEMA = """
import os, sys, time
from autograder import database
from autograder.course import Course
import nbgrader.api
course = Course(sys.argv[1], db_url=sys.argv[2])
print("ready", flush=True)
while not os.path.exists(sys.argv[3]):   # start together
    time.sleep(0.001)
database.ensure_schema(course)
print("ok")
"""


def _python(code, *args, **kwargs):
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.fixture
def course(tmp_path):
    (tmp_path / "source" / "ps").mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    return tmp_path


def _hold(course_root, db_url, assignment):
    holder = _python(HOLD_LOCK, course_root, db_url or "", assignment)
    line = holder.stdout.readline()
    assert line.strip() == "locked", holder.stderr.read() if holder.poll() is not None else line
    return holder


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_a_second_coordinator_is_refused_until_the_first_dies(course, postgres, kind):
    db_url = postgres.new_database() if kind == "postgresql" else None
    holder = _hold(course, db_url, "ps")
    try:
        with pytest.raises(database.GradebookBusy) as refused:
            with database.coordinator_lock(Course(course, db_url), "ps"):
                pass
        message = str(refused.value)
        assert "another grader is grading 'ps'" in message and f"pid {holder.pid}" in message, message
        # another assignment of the same gradebook is not blocked
        with database.coordinator_lock(Course(course, db_url), "other"):
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the lock died with its holder (server session ended / file descriptor closed)
    with database.coordinator_lock(Course(course, db_url), "ps") as lock:
        lock.check()


def test_a_lost_lock_connection_stops_the_grader(course, postgres):
    db_url = postgres.new_database()
    with database.coordinator_lock(Course(course, db_url), "ps") as lock:
        lock.check()
        postgres.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name LIKE 'autograder%' AND pid <> pg_backend_pid()")
        with pytest.raises(CourseError, match="lost the connection that holds the grading lock"):
            lock.check()


def test_concurrent_first_use_creates_the_schema_once(course, postgres):
    """Four graders open a fresh database at once. (Without ensure_schema's lock, nbgrader's Gradebook()
    failed with IntegrityError in 2 or 3 of 4 processes in each of three trials on this machine.)"""
    db_url = postgres.new_database()
    go = course / "go"
    processes = [_python(ENSURE_SCHEMA, course, db_url, go) for _ in range(4)]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, [err for _, err in outputs]
    database_name = db_url.rsplit("/", 1)[1]
    assert postgres.execute("SELECT count(*) FROM alembic_version", database_name) == [(1,)]
    assert postgres.execute("SELECT id FROM course", database_name) == [("backprop-derived",)]


def test_nbgrader_config_db_url_is_the_gradebook(course, postgres):
    db_url = postgres.new_database()
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    assert Course(course).db_url == db_url
    assert database.dialect(Course(course).db_url) == "postgresql"
    assert Course(course, db_url="sqlite:////tmp/x.db").db_url == "sqlite:////tmp/x.db"  # --db-url wins


def test_urls_are_described_without_their_password():
    url = "postgresql://grader:s3cret@db.example:5432/gradebook"
    assert database.describe(url) == "postgresql://grader:***@db.example:5432/gradebook"
    assert database.dialect(url) == "postgresql"
    assert database.dialect("postgresql+psycopg2://h/db") == "postgresql"
    assert database.sqlite_path("sqlite:////srv/course/gradebook.db") == Path("/srv/course/gradebook.db")
    assert database.sqlite_path("sqlite://") is None
    with pytest.raises(CourseError, match="not a database URL"):
        database.url_of("gradebook.db")


# ---------------------------------------------------------------- backups


def test_pg_dump_backup_restores_the_gradebook(tmp_path, postgres):
    from nbgrader.api import Gradebook

    db_url = postgres.new_database()
    course = classroom.make_course(tmp_path / "course")
    course = Course(course.root, db_url=db_url)
    database.ensure_schema(course)
    with Gradebook(db_url, "backprop-derived") as gradebook:
        gradebook.add_student("alice", first_name="Alice")
    dump = database.backup(course)
    assert dump.parent == course.state_root / "backups" and dump.stat().st_size > 0
    restored = postgres.new_database("restored")
    done = subprocess.run([database.find_pg_dump().replace("pg_dump", "pg_restore"), "--no-owner",
                           f"--dbname={restored}", str(dump)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Gradebook(restored, "backprop-derived") as gradebook:
        assert [student.id for student in gradebook.students] == ["alice"]
    assert not list(dump.parent.glob(".*.partial"))


def test_postgres_backup_is_refused_with_a_reason_without_pg_dump(tmp_path, postgres):
    course = Course(classroom.make_course(tmp_path / "course").root, db_url=postgres.new_database())
    with pytest.raises(database.BackupUnavailable) as refused:
        database.backup(course, pg_dump=str(tmp_path / "no-such-pg_dump"))
    assert "--no-backup" in str(refused.value) and "did not run" in str(refused.value)

    too_old = tmp_path / "pg_dump"
    too_old.write_text(textwrap.dedent("""\
        #!/bin/sh
        echo "pg_dump: error: aborting because of server version mismatch" >&2
        echo "pg_dump: detail: server version: 99.0; pg_dump version: 15.18" >&2
        exit 1
        """))
    too_old.chmod(0o755)
    with pytest.raises(database.BackupUnavailable) as refused:
        database.backup(course, pg_dump=str(too_old))
    message = str(refused.value)
    assert "server version mismatch" in message and "at least as new as the server" in message
    assert "--no-backup" in message
    assert not list((course.state_root / "backups").glob("*.dump"))


def test_other_databases_have_no_built_in_backup(tmp_path):
    course = Course(classroom.make_course(tmp_path / "course").root, db_url="mysql://grader@db/gradebook")
    with pytest.raises(database.BackupUnavailable, match="only SQLite and PostgreSQL"):
        database.backup(course)


def test_the_password_never_reaches_pg_dump_s_command_line():
    command, env = database._pg_dump_command("postgresql+psycopg2://grader:s3cret@db:5433/gb?sslmode=require",
                                             "pg_dump", "/tmp/out.dump")
    assert not any("s3cret" in part for part in command)
    assert env["PGPASSWORD"] == "s3cret"
    assert command[-1] == "--dbname=postgresql://grader@db:5433/gb?sslmode=require"


def test_sqlite_backup_still_works(tmp_path):
    course = classroom.make_course(tmp_path / "course")
    database.ensure_schema(course)
    copy = database.backup(course)
    assert copy.name.startswith("gradebook.db.bak-") and copy.stat().st_size > 0
    assert os.path.samefile(copy.parent, course.root)
