"""A real, throw-away PostgreSQL server for tests and benchmarks.

The server runs from the distribution's binaries (``/usr/lib/postgresql/*/bin``, or
``initdb`` on PATH) in a temporary directory, listens on loopback on a free port and
keeps its unix socket in that directory, so it disturbs nothing on the machine.  When
run as root (CI, containers), initdb and pg_ctl run as the ``postgres`` user, since
PostgreSQL refuses to run as root.

Missing binaries are an error, not a reason to skip: the PostgreSQL store must be tested
wherever the tests run (CI installs the ``postgresql`` package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from system import debian_package, free_port

SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started; the message says why and what to install."""


def server_binaries() -> Path:
    """The directory holding initdb and pg_ctl, installing Debian's postgresql when it is missing."""
    debian_package("postgresql", lambda: _find_binaries() is not None)
    found = _find_binaries()
    if found is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) were found neither under /usr/lib/postgresql/*/bin "
            "nor on PATH: install them (Debian/Ubuntu: apt-get install postgresql)"
        )
    return found


def _find_binaries() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl, else their folder on PATH."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path))

    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if all(os.access(os.path.join(bindir, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return Path(bindir)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


@contextlib.contextmanager
def temporary_postgres() -> Iterator[str]:
    """Start a PostgreSQL server for the duration of the ``with``; yield its SQLAlchemy URL.

    The server keeps PostgreSQL's durable defaults (fsync, synchronous_commit), so what
    is measured or tested against it is what a school's server would do.
    """
    bindir = server_binaries()
    root = Path(tempfile.mkdtemp(prefix="lessonkit-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, user=SUPERUSER, group=SUPERUSER)
        as_postgres = ["runuser", "-u", SUPERUSER, "--"]
    data, logfile = root / "data", root / "server.log"

    def run(*args: str | Path) -> None:
        command = [*as_postgres, *map(str, args)]
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            server_log = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{server_log}"
            )

    try:
        run(bindir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        for attempt in range(3):  # another process may take the free port before the server does
            port = free_port()
            options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=100"
            try:
                run(bindir / "pg_ctl", "-D", data, "-l", logfile, "-o", options, "-w", "-t", "60", "start")
                break
            except PostgresUnavailable:
                if attempt == 2:
                    raise
        try:
            yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        finally:
            run(bindir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str) -> str:
    """A new, empty database on the server at ``server_url``; its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    conninfo = f"host={url.host} port={url.port} user={url.username} dbname={url.database}"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A running PostgreSQL server for the whole test session, as a SQLAlchemy URL."""
    with temporary_postgres() as url:
        yield url
