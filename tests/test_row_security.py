"""Per-student PostgreSQL logins: a student's server reads and writes its own events only.

A server of its own (not the session's), where password logins are really checked
(scram-sha-256 for everyone but the superuser): the session's test server trusts every
login, which would let a wrong password through and prove nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from pg import SUPERUSER, temporary_postgres
from sqlalchemy.engine import make_url

from lessonkit.progress import Event
from lessonkit.progress.rowsecurity import (
    RowSecurityError,
    hub_environment,
    secure_store,
    student_password,
    student_url,
)
from lessonkit.progress.sql import SqlEventStore
from lessonkit.progress.store import StoreError

SECRET = b"0123456789abcdef-school-secret"
LESSON = "fractions"


@pytest.fixture(scope="module")
def teacher_url() -> Iterator[str]:
    """The teacher's login (owner of the class database, CREATEROLE) on a server that checks passwords."""
    with temporary_postgres() as superuser_url:
        # no pool: each connection is a new session (see _configuration_loaded)
        engine = sa.create_engine(superuser_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE ROLE teacher LOGIN CREATEROLE PASSWORD 'teacher-pw'"))
            conn.execute(sa.text("CREATE DATABASE class OWNER teacher"))
            hba = Path(conn.execute(sa.text("SHOW hba_file")).scalar_one())
            hba.write_text(f"local all {SUPERUSER} trust\nhost all {SUPERUSER} 127.0.0.1/32 trust\n"
                           "host all all 127.0.0.1/32 scram-sha-256\n")
            loaded = _configuration_loaded(engine)
            conn.execute(sa.text("SELECT pg_reload_conf()"))
        # the postmaster rereads pg_hba.conf on SIGHUP, asynchronously: a new session tells when it has
        deadline = time.monotonic() + 30
        while _configuration_loaded(engine) == loaded:
            assert time.monotonic() < deadline, "the server did not reload pg_hba.conf within 30 s"
            time.sleep(0.02)
        engine.dispose()
        yield make_url(superuser_url).set(username="teacher", password="teacher-pw", database="class") \
            .render_as_string(hide_password=False)


def _configuration_loaded(engine: sa.Engine) -> object:
    """When the server last read its configuration files, as a new session sees it: the postmaster's
    time, which it sets before it reads pg_hba.conf and takes no new session until it has."""
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pg_conf_load_time()")).scalar_one()


def _answer(student: str, n: int) -> Event:
    return Event(lesson_id=LESSON, student_id=student, type="answered", step_id="s", check_id="c",
                 data={"answer": f"{student}'s answer {n}", "correct": False})


@pytest.fixture(scope="module")
def secured(teacher_url: str) -> str:
    secure_store(teacher_url)
    secure_store(teacher_url)  # idempotent: a second run changes nothing and does not fail
    with SqlEventStore(teacher_url) as store:
        store.append_many([_answer("ana", 1), _answer("ben", 1), _answer("o'brien \"x\"", 1)])
    return teacher_url


def test_a_student_reads_only_their_own_events(secured: str) -> None:
    with SqlEventStore(student_url(secured, "ana", SECRET)) as store:
        assert store.students(LESSON) == ["ana"]
        assert [e.student_id for e in store.lesson_events(LESSON)] == ["ana"]
        assert store.history(LESSON, "ben") == []
        assert [e.data["answer"] for e in store.history(LESSON, "ana")] == ["ana's answer 1"]


def test_a_student_writes_only_under_their_own_name(secured: str) -> None:
    with SqlEventStore(student_url(secured, "ana", SECRET)) as store:
        store.append(_answer("ana", 2))
        with pytest.raises(sa.exc.DBAPIError, match="row-level security"):
            store.append(_answer("ben", 666))
        with store._engine.begin() as conn:  # the login has no right beyond reading and appending
            for statement in ("DELETE FROM events", "UPDATE events SET data = '{}'", "DROP TABLE events",
                              "ALTER TABLE events DISABLE ROW LEVEL SECURITY"):
                with pytest.raises(sa.exc.DBAPIError, match="permission denied|must be owner"):
                    with conn.begin_nested():
                        conn.execute(sa.text(statement))
    with SqlEventStore(secured) as teacher:
        answers = [e.data["answer"] for e in teacher.lesson_events(LESSON)]
    assert "ana's answer 2" in answers and "ben's answer 666" not in answers
    assert {"ben's answer 1", "o'brien \"x\"'s answer 1"} <= set(answers)  # the teacher still sees the class


def test_a_name_with_quotes_is_a_login_of_its_own(secured: str) -> None:
    with SqlEventStore(student_url(secured, "o'brien \"x\"", SECRET)) as store:
        assert store.students(LESSON) == ["o'brien \"x\""]


def test_the_password_is_checked_and_derived_from_the_secret(secured: str) -> None:
    url = make_url(student_url(secured, "ben", SECRET))
    assert url.password == student_password(SECRET, "ben") != student_password(SECRET, "ana")
    assert student_password(b"another-secret-of-the-school", "ben") != url.password
    with pytest.raises(StoreError, match="password authentication failed"):
        SqlEventStore(url.set(password="guessed").render_as_string(hide_password=False))
    with pytest.raises(StoreError, match="password authentication failed"):  # ben cannot become ana
        SqlEventStore(url.set(username="ana").render_as_string(hide_password=False))


def test_the_hub_spawner_gets_the_users_own_url(secured: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "db-secret"
    secret_file.write_bytes(SECRET + b"\n")
    environment = hub_environment(secured, str(secret_file))
    # what JupyterHub passes a callable environment value: the spawner, whose .user.name is the hub user
    url = environment(SimpleNamespace(user=SimpleNamespace(name="cleo")))
    assert make_url(url).username == "cleo" and "teacher-pw" not in url
    with SqlEventStore(url) as store:
        store.append(_answer("cleo", 1))
        assert store.students(LESSON) == ["cleo"]


def test_bad_input_says_what_to_change(secured: str) -> None:
    with pytest.raises(RowSecurityError, match="need PostgreSQL, not sqlite"):
        secure_store("sqlite:///progress.sqlite")
    with pytest.raises(RowSecurityError, match="at least 16 bytes"):
        student_url(secured, "ana", b"short")
    with pytest.raises(RowSecurityError, match="1 to 63 bytes"):
        student_url(secured, "x" * 64, SECRET)
    student = make_url(student_url(secured, "ana", SECRET)).render_as_string(hide_password=False)
    with pytest.raises(RowSecurityError, match="CREATEROLE"):  # a student's login cannot make logins
        student_url(student, "dan", SECRET)
