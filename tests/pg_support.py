"""A real PostgreSQL server for the tests and benchmarks, started and stopped by them.

    from tests.pg_support import postgres            # the session fixture (import it into a test module)

    def test_something(postgres):
        url = postgres.new_database()                 # postgresql://postgres@127.0.0.1:PORT/test_3
        ...

    with PostgresServer() as server:                  # outside pytest (benchmarks)
        url = server.new_database("bench")

The server is Debian's (`apt-get install postgresql`; .ci/run installs it):
`initdb` makes a cluster in a temporary folder, `pg_ctl` starts it on a free
loopback port with its socket in that folder and trust authentication for
loopback only, and stops it (`pg_ctl stop -m fast`) at the end, removing the
folder. As root, both run as the `postgres` user through `runuser` (the
server refuses to run as root). One server serves every test module of a
pytest process: it starts on first use and stops when the process exits.

Where the binaries are missing the fixture skips, unless
BACKPROP_REQUIRE_POSTGRES=1 (CI), where that is a failure.
"""

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

#: Debian installs each major version's server programs here.
DEBIAN_ROOT = Path("/usr/lib/postgresql")


def server_binaries():
    """The folder with initdb and pg_ctl (the newest Debian version, else PATH), or None."""
    versions = sorted((path.parent for path in DEBIAN_ROOT.glob("*/bin/initdb")),
                      key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)
    if versions:
        return versions[-1]
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One throwaway PostgreSQL cluster on 127.0.0.1 (see the module docstring)."""

    def __init__(self, binaries=None):
        self.binaries = Path(binaries) if binaries else server_binaries()
        if self.binaries is None:
            raise FileNotFoundError("PostgreSQL's server programs (initdb, pg_ctl) are not installed "
                                    "(Debian: apt-get install postgresql)")
        self.folder = None
        self.port = None
        self._names = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def data(self):
        return self.folder / "data"

    def _as_server_user(self, command, **kwargs):
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)

    def start(self):
        self.folder = Path(tempfile.mkdtemp(prefix="autograder-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        os.chmod(self.folder, 0o700)
        done = self._as_server_user([str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
                                     "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        if done.returncode != 0:
            self._remove()
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        self.port = free_port()
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        done = self._as_server_user([str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l",
                                     str(self.folder / "server.log"), "-o", options, "-w", "-t", "60", "start"])
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace") if (self.folder / "server.log").exists() \
                else ""
            self._remove()
            raise RuntimeError(f"pg_ctl start failed: {done.stderr.strip()}\n{log[-2000:]}")
        return self

    def url(self, database="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql, database="postgres"):
        """Run one statement outside a transaction (CREATE DATABASE needs that); return the rows, if any."""
        import psycopg

        connection = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                                     autocommit=True)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def new_database(self, prefix="test"):
        """Create an empty database; return its URL."""
        with self._lock:
            name = f"{prefix}_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self):
        if self.folder is None:
            return
        if (self.data / "postmaster.pid").exists():
            self._as_server_user([str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                                  "-t", "60", "stop"])
        self._remove()

    def _remove(self):
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


_SERVER = None
_SERVER_LOCK = threading.Lock()


def shared_server():
    """The server of this process, started on first use and stopped when the process exits."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None:
            server = PostgresServer().start()
            atexit.register(server.stop)
            _SERVER = server
        return _SERVER


def unavailable_reason():
    """Why these tests cannot run here, or None."""
    if server_binaries() is None:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run the server as"
    return None


@pytest.fixture(scope="session")
def postgres():
    """The shared PostgreSQL server (skips, or fails with BACKPROP_REQUIRE_POSTGRES=1, where there is none)."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("BACKPROP_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"the PostgreSQL tests are required here (BACKPROP_REQUIRE_POSTGRES=1) but: {reason}")
        pytest.skip(reason)
    return shared_server()
