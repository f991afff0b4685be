"""The gradebook's database: which one, created once, one grader per assignment, a backup before writing.

nbgrader keeps grades in the SQLAlchemy database named by
`CourseDirectory.db_url` (nbgrader_config.py; `grade --db-url` overrides it):
by default the SQLite file `gradebook.db` in the course root, or a
PostgreSQL database that the formgrader, `export`, `report` and several
graders share (`postgresql://USER:PASSWORD@HOST:PORT/DATABASE`; SQLAlchemy
reaches it through psycopg 3). nbgrader's FAQ warns against sharing SQLite
between graders, and never on NFS.

What `grade` does with the database, in this order, before any submission runs:

    with database.coordinator_lock(course, assignment):   # GradebookBusy if another grader has it
        database.ensure_schema(course)                     # nbgrader's tables, created once
        database.backup(course)                            # BackupUnavailable unless no_backup
        ...                                                # grade; only this process writes

* **One coordinator per assignment.** On PostgreSQL a session-level advisory
  lock (`pg_try_advisory_lock`) keyed by the course id and the assignment,
  held on a connection of its own for the whole batch: the server releases it
  when that connection ends, also when the grader is killed. On SQLite a lock
  file beside the database (`gradebook.db.grade-<assignment>.lock`, `flock`),
  which the kernel releases when the process dies; the file itself may stay
  and means nothing while no process holds it. The second grader stops at
  once with `GradebookBusy`, which says who holds the lock and since when.
  Graders of different assignments may share the database at the same time.
* **Schema once.** nbgrader's `Gradebook()` creates its tables when it finds
  none, and two processes doing that at once on an empty PostgreSQL
  database race (both create, one fails, or alembic's version row is written
  twice). `ensure_schema` opens the gradebook once under a database-wide
  lock (a blocking advisory lock; a lock file for SQLite) before anything
  fans out.
* **A backup before writing.** SQLite: sqlite's online backup beside the
  file (autograder.gradebook.backup). PostgreSQL: `pg_dump --format=custom`
  into `.autograder/backups/` of the course (restore with `pg_restore
  --clean -d URL FILE`). Where no backup can be made (no pg_dump, a pg_dump
  older than the server, another kind of database), `backup` raises
  `BackupUnavailable` saying why; `grade --no-backup` writes without one.
"""

import fcntl
import getpass
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from autograder.course import CourseError

#: Backups kept per database (the newest ones).
KEEP_BACKUPS = 10

#: Seconds to wait for another process that is creating the schema.
SCHEMA_LOCK_TIMEOUT = 120

#: Where Debian puts the PostgreSQL client programs of each major version.
_DEBIAN_POSTGRES = Path("/usr/lib/postgresql")


class GradebookBusy(CourseError):
    """Another grader is grading this assignment into the same gradebook."""


class BackupUnavailable(CourseError):
    """The gradebook cannot be backed up here; the message says why and what to do."""


# ---------------------------------------------------------------- URLs


def url_of(db_url):
    """The SQLAlchemy URL object of `db_url` (a CourseError naming the problem if it is not one)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db_url)
    except ArgumentError as error:
        raise CourseError(f"the gradebook URL {db_url!r} is not a database URL ({error}); use e.g. "
                          "sqlite:////path/gradebook.db or postgresql://user@host:5432/gradebook") from None


def dialect(db_url):
    """'sqlite', 'postgresql', 'mysql', ... (the URL's scheme without its driver)."""
    return url_of(db_url).get_backend_name()


def describe(db_url):
    """The URL for messages: the password replaced by ***."""
    return url_of(db_url).render_as_string(hide_password=True)


def sqlite_path(db_url):
    """The file of a sqlite URL, or None (another database, or sqlite in memory)."""
    url = url_of(db_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _engine(db_url, purpose):
    """A SQLAlchemy engine without a pool (one connection, closed when done) that names itself."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    connect_args = {}
    if dialect(db_url) == "postgresql":
        # Shown in pg_stat_activity, so the second grader can say who holds the lock.
        name = f"autograder {purpose} {socket.gethostname()} pid {os.getpid()}"
        connect_args = {"application_name": name[:63], "keepalives": 1, "keepalives_idle": 30,
                        "keepalives_interval": 10, "keepalives_count": 3}
    try:
        return create_engine(db_url, poolclass=NullPool, connect_args=connect_args)
    except ModuleNotFoundError as error:
        raise CourseError(f"no database driver for {describe(db_url)}: {error}; for PostgreSQL install "
                          "psycopg[binary] (it is in pyproject.toml)") from None


def _advisory_key(*parts):
    """A signed 64-bit key for pg_advisory_lock, the same in every process for the same parts."""
    digest = hashlib.sha256(":".join(("backprop-derived-autograder", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _holder_text():
    return f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"


def _connect(engine, db_url):
    from sqlalchemy.exc import OperationalError

    try:
        return engine.connect()
    except OperationalError as error:
        detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise CourseError(f"cannot connect to the gradebook {describe(db_url)}: {detail}") from None


# ---------------------------------------------------------------- the coordinator lock


class _PostgresLock:
    """A session-level advisory lock held on a connection of its own."""

    def __init__(self, db_url, key, what):
        self.db_url, self.key, self.what = db_url, key, what
        self.engine = _engine(db_url, what)
        self.connection = None

    def acquire(self):
        from sqlalchemy import text

        self.connection = _connect(self.engine, self.db_url)
        got = self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        self.connection.commit()
        if not got:
            holder = self._holder()
            self.release()
            raise GradebookBusy(f"another grader is grading {self.what} into this gradebook "
                                f"({describe(self.db_url)}): {holder}. Wait for it to finish (or stop it); "
                                "one grader per assignment writes at a time.")

    def _holder(self):
        from sqlalchemy import text

        unsigned = self.key % 2**64
        row = self.connection.execute(text(
            "SELECT a.application_name, host(a.client_addr), a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = :high AND l.objid::bigint = :low "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}).first()
        if row is None:
            return "it has just finished or is not visible to this database user; try again"
        name, address, since = row
        where = f" from {address}" if address else ""
        started = f", connected since {since:%Y-%m-%d %H:%M:%S %Z}" if since else ""
        return f"{name or 'a database session'}{where}{started}"

    def check(self):
        """Raise CourseError if the lock's connection was lost (the lock with it)."""
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        try:
            self.connection.execute(text("SELECT 1")).scalar()
            self.connection.commit()
        except DBAPIError as error:
            raise CourseError(f"lost the connection that holds the grading lock of {self.what} on "
                              f"{describe(self.db_url)} ({str(error.orig).strip()}); stopped before writing "
                              "more. Run grade again to carry on.") from None

    def release(self):
        if self.connection is not None:
            try:
                self.connection.close()  # ending the session releases its advisory locks
            except Exception:  # noqa: BLE001 - the server releases them anyway when the session ends
                pass
            self.connection = None
        self.engine.dispose()


class _FileLock:
    """flock on a file; the kernel releases it when the process ends, however it ends."""

    def __init__(self, path, what, db_url):
        self.path, self.what, self.db_url = Path(path), what, db_url
        self.stream = None

    def acquire(self, blocking=False, timeout=None):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.stream = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the batch
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            try:
                fcntl.flock(self.stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not blocking or (deadline is not None and time.monotonic() > deadline):
                    holder = self._holder()
                    self.release()
                    raise GradebookBusy(f"another grader is grading {self.what} into this gradebook "
                                        f"({describe(self.db_url)}): {holder} (lock file {self.path}). Wait for "
                                        "it to finish (or stop it); one grader per assignment writes at "
                                        "a time.") from None
                time.sleep(0.1)
        self.stream.seek(0)
        self.stream.truncate()
        self.stream.write(json.dumps({"holder": _holder_text(),
                                      "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}) + "\n")
        self.stream.flush()

    def _holder(self):
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if not info:
            return "a process that has not said who it is"
        return f"{info.get('holder', 'unknown')}, since {info.get('since', 'unknown')}"

    def check(self):
        """A file lock cannot be lost while the process lives."""

    def release(self):
        if self.stream is not None:
            self.stream.close()  # closing the descriptor releases the flock
            self.stream = None


def _lock_for(course, assignment):
    db_url = course.db_url
    course_id = course.coursedir().course_id
    what = f"{assignment!r}"
    if dialect(db_url) == "postgresql":
        return _PostgresLock(db_url, _advisory_key("grade", course_id, assignment), what)
    path = sqlite_path(db_url)
    if path is not None:
        return _FileLock(path.with_name(f"{path.name}.grade-{assignment}.lock"), what, db_url)
    # Another kind of database: the lock only excludes graders that share this course folder.
    return _FileLock(course.state_root / "locks" / f"grade-{assignment}.lock", what, db_url)


@contextmanager
def coordinator_lock(course, assignment):
    """Hold the right to write `assignment`'s grades into the course gradebook; yields the lock.

    Raises GradebookBusy (saying who holds it) if another grader has it. The
    lock has `check()`, which raises CourseError if it was lost (PostgreSQL:
    the connection holding it went away).
    """
    lock = _lock_for(course, assignment)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


# ---------------------------------------------------------------- the schema


def ensure_schema(course):
    """Create nbgrader's tables (and the course row) once, safely against other processes doing the same."""
    from nbgrader.api import Gradebook

    db_url = course.db_url
    course_id = course.coursedir().course_id
    if dialect(db_url) == "postgresql":
        from sqlalchemy import text

        lock = _PostgresLock(db_url, _advisory_key("schema"), "the schema")
        lock.connection = _connect(lock.engine, db_url)
        try:
            lock.connection.execute(text(f"SET lock_timeout = '{SCHEMA_LOCK_TIMEOUT}s'"))
            lock.connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": lock.key})
            lock.connection.commit()
            Gradebook(db_url, course_id).close()
        finally:
            lock.release()
        return
    path = sqlite_path(db_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _FileLock(path.with_name(f"{path.name}.schema.lock"), "the schema", db_url)
        lock.acquire(blocking=True, timeout=SCHEMA_LOCK_TIMEOUT)
        try:
            Gradebook(db_url, course_id).close()
        finally:
            lock.release()
        return
    Gradebook(db_url, course_id).close()


# ---------------------------------------------------------------- backups


def _stamp():
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def find_pg_dump():
    """The pg_dump to use: on PATH (Debian's wrapper picks a version), else the newest Debian one; or None."""
    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = sorted(_DEBIAN_POSTGRES.glob("*/bin/pg_dump"),
                        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    return str(candidates[-1]) if candidates else None


def backup_folder(course):
    """Where PostgreSQL dumps of the course gradebook go."""
    return course.state_root / "backups"


def _pg_dump_command(db_url, pg_dump, target):
    """argv and environment for pg_dump (the password goes in PGPASSWORD, never on the command line)."""
    url = url_of(db_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    from sqlalchemy.engine import URL

    bare = URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database,
                      query=url.query)
    conninfo = bare.render_as_string(hide_password=False)
    return [pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={conninfo}"], env


def backup_postgres(course, pg_dump=None):
    """pg_dump the gradebook to .autograder/backups/; return the file (BackupUnavailable if it cannot)."""
    db_url = course.db_url
    pg_dump = pg_dump or find_pg_dump()
    if pg_dump is None:
        raise BackupUnavailable(
            f"cannot back up the PostgreSQL gradebook {describe(db_url)} before writing: pg_dump is not "
            "installed here (Debian: apt-get install postgresql-client). Install it, back the database up "
            "yourself and pass --no-backup, or grade without a backup at your own risk (--no-backup).")
    database = url_of(db_url).database or "gradebook"
    folder = backup_folder(course)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{database}.{_stamp()}.dump"
    partial = target.with_name(f".{target.name}.partial")
    command, env = _pg_dump_command(db_url, pg_dump, partial)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as error:
        partial.unlink(missing_ok=True)
        raise BackupUnavailable(f"cannot back up {describe(db_url)}: {pg_dump} did not run ({error}). Fix it, "
                                "or pass --no-backup to write without a backup.") from None
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        detail = " ".join(done.stderr.strip().splitlines()[-2:]) or f"exit status {done.returncode}"
        advice = ""
        if "version mismatch" in detail:
            advice = " Install a pg_dump at least as new as the server (postgresql-client-NN)."
        raise BackupUnavailable(f"cannot back up the PostgreSQL gradebook {describe(db_url)} before writing: "
                                f"pg_dump failed: {detail}.{advice} Or pass --no-backup to write without a "
                                "backup.")
    os.replace(partial, target)
    for old in sorted(folder.glob(f"{database}.*.dump"))[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)
    return target


def backup(course, pg_dump=None):
    """Back the gradebook up before writing; return the copy's path (None: nothing to back up yet).

    SQLite: an online copy beside the file (autograder.gradebook.backup). PostgreSQL: pg_dump.
    Anything else, or a PostgreSQL database without a usable pg_dump: BackupUnavailable.
    """
    kind = dialect(course.db_url)
    if kind == "sqlite":
        from autograder import gradebook

        return gradebook.backup(course)
    if kind == "postgresql":
        return backup_postgres(course, pg_dump)
    raise BackupUnavailable(f"cannot back up a {kind} gradebook ({describe(course.db_url)}): only SQLite and "
                            "PostgreSQL backups are built in. Back it up yourself and pass --no-backup.")
