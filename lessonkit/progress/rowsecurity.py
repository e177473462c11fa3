"""One PostgreSQL login per student, who can read and write only their own events.

Under JupyterHub a student's own server runs whatever the student types, and it holds the
database URL the pages and notebooks file progress with: with one shared login, a student who
reads ``LESSONKIT_DB`` in their kernel can read the whole school's events and write events
under any name.  PostgreSQL's row-level security is the maintained tool for exactly this, so
the rule lives in the database, not in lessonkit's code:

* :func:`secure_store` (the teacher's login, which owns the ``events`` table) turns on row
  security for ``events`` with one policy: a member of the ``lessonkit_student`` role sees and
  writes only rows whose ``student_id`` is its own login name (``current_user``).  The table's
  owner is not subject to the policy, so the teacher's report, export and grading read the
  whole class as before.
* :func:`student_url` makes (or updates) the student's login, a member of
  ``lessonkit_student`` with no other right, and returns the URL their server is given.  The
  password is derived from a secret only the hub's configuration holds (HMAC-SHA256 of the
  student's name), so nothing needs storing and a restart gives the same URL.

``hub_environment`` is the callable ``jupyterhub_config.py`` puts in ``Spawner.environment``
(docs/deploy.md).  What this does not defend: a student can still fill their own history with
nonsense, and the teacher's login must never reach a student's server.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from lessonkit.progress.sql import SqlEventStore, events_table
from lessonkit.progress.store import StoreConfigError

__all__ = ["STUDENT_ROLE", "RowSecurityError", "hub_environment", "secure_store", "student_password", "student_url"]

#: The group role every student's login belongs to; the policy is written for it.
STUDENT_ROLE = "lessonkit_student"
_POLICY = "lessonkit_own_rows"
#: PostgreSQL cuts identifiers longer than this, and two long names would become one login.
_MAX_NAME_BYTES = 63


class RowSecurityError(StoreConfigError):
    """The store cannot be given per-student logins; the message says what to change."""


def secure_store(admin_url: str) -> None:
    """Create the events table if needed and limit every student login to its own rows.

    Idempotent: run it again after an upgrade, it changes nothing that is already in place.
    ``admin_url`` is the teacher's login: it must own the table (or create it) and be
    allowed to create roles (``CREATEROLE``).
    """
    url = _postgres(admin_url)
    SqlEventStore(url.render_as_string(hide_password=False), setting="the teacher's database URL").close()
    engine = sa.create_engine(url)
    table, seq = events_table.name, f"{events_table.name}_seq_seq"
    try:
        with engine.begin() as conn:
            preparer = conn.dialect.identifier_preparer
            role = preparer.quote(STUDENT_ROLE)
            exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": STUDENT_ROLE}).first()
            if not exists:
                conn.execute(sa.text(f"CREATE ROLE {role} NOLOGIN"))
            conn.execute(sa.text(f"GRANT SELECT, INSERT ON {table} TO {role}"))
            conn.execute(sa.text(f"GRANT USAGE ON SEQUENCE {seq} TO {role}"))
            conn.execute(sa.text(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"))
            conn.execute(sa.text(f"DROP POLICY IF EXISTS {_POLICY} ON {table}"))
            conn.execute(sa.text(
                f"CREATE POLICY {_POLICY} ON {table} FOR ALL TO {role} "
                "USING (student_id = current_user) WITH CHECK (student_id = current_user)"))
    except sa.exc.DBAPIError as error:
        raise RowSecurityError(
            f"cannot set up per-student logins in {url.render_as_string(hide_password=True)}: {error.orig}. "
            "Use the login that owns the events table and has CREATEROLE "
            "(e.g. `ALTER ROLE lessonkit CREATEROLE` as the database superuser)") from error
    finally:
        engine.dispose()


def student_password(secret: bytes, student: str) -> str:
    """The student's database password: the same for the same secret and name, unguessable without the secret."""
    if len(secret) < 16:
        raise RowSecurityError("the secret that derives students' database passwords must be at least 16 bytes "
                               "(e.g. `openssl rand -hex 32 > /srv/lessonkit/db-secret`)")
    return hmac.new(secret, student.encode(), hashlib.sha256).hexdigest()


def student_url(admin_url: str, student: str, secret: bytes) -> str:
    """Make ``student``'s login (a member of :data:`STUDENT_ROLE` only) and return the URL
    their server files progress with: same host and database, their own name and password."""
    if not student or len(student.encode()) > _MAX_NAME_BYTES:
        raise RowSecurityError(f"student name {student!r}: a PostgreSQL login name is 1 to {_MAX_NAME_BYTES} "
                               "bytes; shorten the hub's user names or map them to shorter ones")
    url = _postgres(admin_url)
    password = student_password(secret, student)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            preparer = conn.dialect.identifier_preparer
            name, group = preparer.quote_identifier(student), preparer.quote(STUDENT_ROLE)
            # a role's password cannot be a bound parameter: quote it as PostgreSQL does itself
            literal = conn.execute(sa.text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
            exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": student}).first()
            verb = "ALTER" if exists else "CREATE"
            # INHERIT: the login has its group's two grants and nothing of its own
            conn.execute(sa.text(f"{verb} ROLE {name} LOGIN INHERIT NOCREATEDB NOCREATEROLE PASSWORD {literal}"))
            conn.execute(sa.text(f"GRANT {group} TO {name}"))
    except sa.exc.DBAPIError as error:
        raise RowSecurityError(
            f"cannot make the database login of {student!r} in {url.render_as_string(hide_password=True)}: "
            f"{error.orig}. Run `lessonkit store secure` first, with a login that has CREATEROLE") from error
    finally:
        engine.dispose()
    return url.set(username=student, password=password).render_as_string(hide_password=False)


def hub_environment(admin_url: str, secret_file: str) -> Callable[[Any], str]:
    """``Spawner.environment["LESSONKIT_DB"]`` for JupyterHub: called by the hub at each spawn
    with the spawner, it returns the user's own database URL (making their login the first time)."""
    def for_spawner(spawner: Any) -> str:
        with open(secret_file, "rb") as file:
            secret = file.read().strip()
        return student_url(admin_url, spawner.user.name, secret)

    return for_spawner


def _postgres(admin_url: str) -> URL:
    url = make_url(admin_url)
    if url.get_backend_name() != "postgresql":
        raise RowSecurityError(f"per-student database logins need PostgreSQL, not {url.get_backend_name()}: "
                               "SQLite has no logins (serve the pages with `lessonkit serve` instead)")
    return url
