"""The event stores: the same behaviour on SQLite, PostgreSQL and (where it applies) a JSON-lines log."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from pg import create_database

from lessonkit.progress import (
    ANSWERED,
    EVENT_TYPES,
    HINT_REVEALED,
    MASTERY_CHANGED,
    STEP_ENTERED,
    Event,
    EventConflictError,
    JsonlLog,
    SkillState,
    StoreConfigError,
    StoreError,
    StudentState,
    import_jsonl,
    open_store,
)

REPO = Path(__file__).resolve().parents[1]

# A child process that appends events one by one and prints each acknowledged one.
WRITER = r"""
import sys
from lessonkit.progress import ANSWERED, Event, open_store
url, lesson, student, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open_store(url) as store:
    n = 0
    while count < 0 or n < count:
        event = store.append(Event(lesson, student, ANSWERED, check_id="c", data={"answer": n, "attempt": n + 1}))
        print(event.seq, event.uid, flush=True)
        n += 1
"""


def start_writer(url: str, student: str, count: int, lesson: str = "lesson") -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, lesson, student, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


@pytest.fixture(params=["sqlite", "postgresql", "jsonl"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each kind."""
    return _url(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQL store of each kind."""
    return _url(request.param, request, tmp_path)


def _url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/progress.sqlite"
    if kind == "jsonl":
        return str(tmp_path / "events.jsonl")
    return create_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(any_url: str):
    with open_store(any_url) as opened:
        yield opened


def answered(student: str, n: int, lesson: str = "fractions", **data) -> Event:
    return Event(lesson, student, ANSWERED, ts=1000.0 + n, step_id="practice", check_id="half",
                 data={"answer": str(n), "attempt": n, **data})


# --- the protocol, on every store ---------------------------------------------------------


def test_append_acknowledges_with_increasing_seq_and_history_keeps_order(store) -> None:
    acked = [store.append(answered("ada", n)) for n in range(1, 6)]
    seqs = [event.seq for event in acked]
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    history = store.history("fractions", "ada")
    assert [e.seq for e in history] == seqs
    assert [e.data["attempt"] for e in history] == [1, 2, 3, 4, 5]


def test_every_event_type_round_trips_through_the_store(store) -> None:
    data = {"answer": ["3/6", {"ünïcode": "½ → 0.5"}], "nested": {"list": [1, 2.5, None, True]}}
    sent = [Event("fractions", "ada", kind, ts=1234.5678 + i, step_id="s", check_id="c", data=data)
            for i, kind in enumerate(EVENT_TYPES)]
    acked = store.append_many(sent)
    back = store.history("fractions", "ada")
    assert back == acked
    assert all(b.same_record(s) for b, s in zip(back, sent, strict=True))


def test_appending_the_same_event_again_adds_nothing(store) -> None:
    first = store.append(answered("ada", 1))
    again = store.append(first)
    assert again.seq == first.seq
    assert store.append_many([answered("ada", 2), first])[1].seq == first.seq
    assert len(store.history("fractions", "ada")) == 2


def test_same_uid_with_other_content_is_a_conflict(store) -> None:
    first = store.append(answered("ada", 1))
    forged = Event("fractions", "bob", ANSWERED, ts=first.ts, check_id="half", data=dict(first.data), uid=first.uid)
    with pytest.raises(EventConflictError, match=first.uid):
        store.append(forged)
    assert store.history("fractions", "bob") == []


def test_append_many_is_all_or_nothing(store) -> None:
    first = store.append(answered("ada", 1))
    clash = Event("fractions", "ada", ANSWERED, ts=5.0, check_id="half", data={"answer": "other"}, uid=first.uid)
    with pytest.raises(EventConflictError):
        store.append_many([answered("ada", 2), clash])
    assert [e.uid for e in store.history("fractions", "ada")] == [first.uid]


def test_two_students_never_see_each_others_state(store) -> None:
    for n in range(1, 5):  # interleaved, as in a classroom
        store.append(answered("ada", n, correct=True, score=1.0))
        store.append(answered("bob", n, correct=False, score=0.0))
        store.append(answered("ada", n, lesson="other-lesson"))
    store.append(Event("fractions", "bob", MASTERY_CHANGED, data={"skill": "add", "p": 0.3, "evidence": 2}))

    ada, bob = store.history("fractions", "ada"), store.history("fractions", "bob")
    assert {e.student_id for e in ada} == {"ada"} and {e.lesson_id for e in ada} == {"fractions"}
    assert {e.student_id for e in bob} == {"bob"} and len(bob) == 5
    ada_state, bob_state = StudentState.from_events(ada), StudentState.from_events(bob)
    assert ada_state.check("half").correct and not bob_state.check("half").correct
    assert ada_state.skills == {} and bob_state.skill("add") == SkillState(p=0.3, evidence=2)
    assert store.students("fractions") == ["ada", "bob"]
    assert store.students("other-lesson") == ["ada"]
    assert store.students("no-such-lesson") == []


def test_lesson_events_streams_every_students_events_in_order(store) -> None:
    events = [answered(f"s{n % 7}", n) for n in range(2500)]
    store.append_many(events)
    store.append(answered("ada", 1, lesson="elsewhere"))
    streamed = list(store.lesson_events("fractions"))
    assert [e.uid for e in streamed] == [e.uid for e in events]
    assert [e.seq for e in streamed] == sorted(e.seq for e in streamed)


def test_kill_9_loses_no_acknowledged_event(any_url: str) -> None:
    """SIGKILL a writer mid-stream, twice; every event it acknowledged must be stored."""
    acknowledged: dict[str, int] = {}
    for _round in range(2):
        writer = start_writer(any_url, "ada", count=-1)
        assert writer.stdout is not None
        for _ in range(150):
            line = writer.stdout.readline()
            assert line, f"writer stopped early: {writer.stderr.read() if writer.stderr else ''}"
            seq, uid = line.split()
            acknowledged[uid] = int(seq)
        writer.send_signal(signal.SIGKILL)
        rest, _ = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        for line in rest.splitlines():
            if len(line.split()) == 2:  # a line cut by the kill is not an acknowledgement
                seq, uid = line.split()
                acknowledged[uid] = int(seq)
    with open_store(any_url) as store:
        stored = {e.uid: e.seq for e in store.history("lesson", "ada")}
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged events lost"
    assert all(stored[uid] == seq for uid, seq in acknowledged.items())


# --- the SQL stores ----------------------------------------------------------------------------


def test_twenty_concurrent_writer_processes_never_fail(sql_url: str) -> None:
    if sql_url.startswith("sqlite"):
        Path(sql_url.removeprefix("sqlite:///")).unlink(missing_ok=True)  # all twenty create the file at once
    writers = {f"s{n:02}": start_writer(sql_url, f"s{n:02}", count=40) for n in range(20)}
    for student, writer in writers.items():
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, f"writer {student} failed: {err}"
        assert len(out.splitlines()) == 40
    with open_store(sql_url) as store:
        every = list(store.lesson_events("lesson"))
        assert len(every) == 800 and len({e.seq for e in every}) == 800
        assert store.students("lesson") == sorted(writers)
        for student in writers:
            assert [e.data["attempt"] for e in store.history("lesson", student)] == list(range(1, 41))


def test_sqlite_runs_in_wal_mode_with_normal_sync(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    with open_store(str(path)) as store:
        store.append(answered("ada", 1))
        with store._engine.connect() as conn:  # the pragmas are per connection
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert (tmp_path / "p.sqlite-wal").exists()
    with sqlite3.connect(path) as raw:  # WAL is a property of the file, kept for every later opener
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {row[1] for row in raw.execute("PRAGMA index_list(events)")}
        assert {"events_by_student", "events_by_type"} <= indexes


@pytest.mark.parametrize("durability, synchronous", [("normal", 1), ("full", 2)])
def test_the_durability_setting_reaches_sqlite(tmp_path: Path, durability: str, synchronous: int) -> None:
    with open_store(f"sqlite:///{tmp_path}/p.sqlite?durability={durability}") as store:
        store.append(answered("ada", 1))
        assert store.durability == durability
        with store._engine.connect() as conn:  # the pragmas are per connection: ask the store's own
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == synchronous
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize(
    "url, message",
    [
        ("sqlite:///{tmp}/p.sqlite?durability=fsync", "durability='fsync' is not one of 'normal', 'full'"),
        ("postgresql+psycopg://u:secret@db/x?durability=full", "synchronous_commit"),
    ],
)
def test_a_bad_durability_names_the_field_and_the_choices(tmp_path: Path, url: str, message: str,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("LESSONKIT_DB", url.format(tmp=tmp_path))
    with pytest.raises(StoreConfigError) as raised:
        open_store()
    assert message in str(raised.value) and "LESSONKIT_DB" in str(raised.value)
    assert "secret" not in str(raised.value)
    assert not (tmp_path / "p.sqlite").exists()


def test_store_survives_the_server_closing_its_connection(postgres_url: str) -> None:  # noqa: F811
    import psycopg
    from sqlalchemy.engine import make_url

    url = create_database(postgres_url)
    with open_store(url) as store:
        store.append(answered("ada", 1))
        db = make_url(url)
        admin_dsn = f"host={db.host} port={db.port} user={db.username} dbname=postgres"
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s", (db.database,)
            ).fetchone()
        assert killed and killed[0] >= 1
        store.append(answered("ada", 2))
        assert [e.data["attempt"] for e in store.history("fractions", "ada")] == [1, 2]


# --- configuration --------------------------------------------------------------------------


def test_default_store_is_a_sqlite_file_in_the_home_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LESSONKIT_DB", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with open_store() as store:
        store.append(answered("ada", 1))
    assert (tmp_path / ".lessonkit" / "progress.sqlite").is_file()


def test_lessonkit_db_chooses_the_store(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LESSONKIT_DB", str(tmp_path / "class" / "events.sqlite"))
    with open_store() as store:
        store.append(answered("ada", 1))
    assert (tmp_path / "class" / "events.sqlite").is_file()
    monkeypatch.setenv("LESSONKIT_DB", f"sqlite:///{tmp_path}/url.sqlite")
    with open_store() as store:
        store.append(answered("ada", 1))
    assert (tmp_path / "url.sqlite").is_file()
    monkeypatch.setenv("LESSONKIT_DB", str(tmp_path / "notebook.events.jsonl"))
    with open_store() as store:
        assert isinstance(store, JsonlLog)


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql+pymysql://u:secret@db/lessons", "not 'mysql'"),
        ("postgresql+psycopg://u:secret@db:notaport/x", "not a database URL"),
        ("postgresql+nosuchdriver://u:secret@db/x", "no database driver"),
    ],
)
def test_a_bad_url_names_the_setting_and_how_to_fix_it(url: str, message: str, monkeypatch) -> None:
    monkeypatch.setenv("LESSONKIT_DB", url)
    with pytest.raises(StoreConfigError) as raised:
        open_store()
    text = str(raised.value)
    assert message in text and "LESSONKIT_DB" in text
    assert "postgresql+psycopg://user:password@host" in text or "pip install" in text
    assert "secret" not in text


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    from pg import free_port

    with pytest.raises(StoreError) as raised:
        open_store(f"postgres://ada:secret@127.0.0.1:{free_port()}/lessons")
    text = str(raised.value)
    assert "cannot open the event store" in text and "open_store(url=...)" in text
    assert "secret" not in text and "postgresql+psycopg" in text


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError, match="is a directory"):
        open_store(str(tmp_path))


# --- importing a submission's log ---------------------------------------------------------------


def write_log(path: Path, events: list[Event]) -> None:
    with JsonlLog(path) as log:
        log.append_many(events)


def test_import_jsonl_is_idempotent_and_takes_the_graders_student_id(sql_url: str, tmp_path: Path) -> None:
    log = tmp_path / "submitted" / "events.jsonl"
    events = [answered("jovyan", n) for n in range(1, 6)]
    write_log(log, events + [answered("jovyan", 9, lesson="other")])
    with open(log, "a", encoding="utf-8") as torn:
        torn.write('{"uid": "cut-off-mid')  # a kernel killed mid-write
    with open_store(sql_url) as store:
        assert import_jsonl(store, log, student_id="ada", lesson_id="fractions") == 5
        assert import_jsonl(store, log, student_id="ada", lesson_id="fractions") == 0
        history = store.history("fractions", "ada")
        assert [e.uid for e in history] == [e.uid for e in events]
        assert store.students("fractions") == ["ada"] and store.students("other") == []
        assert import_jsonl(store, log, student_id="ada") == 1  # now the other lesson too
        assert import_jsonl(store, log, student_id="ada") == 0


def test_importing_one_students_log_as_another_is_refused(sql_url: str, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    write_log(log, [answered("jovyan", 1)])
    with open_store(sql_url) as store:
        import_jsonl(store, log, student_id="ada")
        with pytest.raises(EventConflictError, match="copied or edited"):
            import_jsonl(store, log, student_id="bob")
        assert store.students("fractions") == ["ada"]


def test_hint_events_of_a_log_fold_the_same_after_import(sql_url: str, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    session = [
        Event("fractions", "jovyan", STEP_ENTERED, ts=1.0, step_id="practice", data={"kind": "check"}),
        Event("fractions", "jovyan", HINT_REVEALED, ts=2.0, check_id="half", data={"rung": 0, "cost": 0.25}),
        answered("jovyan", 3, correct=True, score=1.0),
    ]
    write_log(log, session)
    with open_store(sql_url) as store:
        import_jsonl(store, log, student_id="ada")
        imported = StudentState.from_events(store.history("fractions", "ada"))
    direct = StudentState.from_events(JsonlLog(log).read().events)
    assert imported.checks == direct.checks and imported.current_step == direct.current_step == "practice"
    assert imported.student_id == "ada" and json.dumps(imported.visits) == json.dumps(direct.visits)


def _old_events_table(metadata: sa.MetaData) -> sa.Table:
    """The events table as lessonkit wrote it before the report's typed columns and indexes."""
    return sa.Table(
        "events", metadata,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String, nullable=False), sa.Column("lesson_id", sa.String, nullable=False),
        sa.Column("student_id", sa.String, nullable=False), sa.Column("ts", sa.Double, nullable=False),
        sa.Column("type", sa.String, nullable=False), sa.Column("step_id", sa.String),
        sa.Column("check_id", sa.String), sa.Column("data", sa.Text, nullable=False),
        sa.UniqueConstraint("uid", name="events_uid_key"),
        sa.Index("events_lesson_student_seq", "lesson_id", "student_id", "seq"),
        sa.Index("events_lesson_type_student_seq", "lesson_id", "type", "student_id", "seq"),
    )


def test_an_older_store_is_upgraded_once_while_twenty_writers_open_it(sql_url: str) -> None:
    """The typed columns are added and filled from each event's data, the indexes replaced, in one
    transaction by whichever of twenty writers gets the lock first; the others find it done."""
    from lessonkit.progress.sql import FIELDS, typed_fields

    old = [
        Event("lesson", "old", ANSWERED, ts=1.0, check_id="c",
              data={"answer": [1, "a"], "correct": True, "pending": False, "feedback": 2, "attempt": 1,
                    "failed_tests": [{"test": 1}]}),
        Event("lesson", "old", HINT_REVEALED, ts=2.0, check_id="c", data={"rung": 0, "bottom_out": True}),
        Event("lesson", "old", MASTERY_CHANGED, ts=3.0, check_id="c",
              data={"skill": "halves", "p": 0.97, "mastered": True, "needs_remediation": False}),
        Event("lesson", "old", STEP_ENTERED, ts=4.0, step_id="end", data={"kind": "end", "feedback": 1.5,
                                                                         "correct": 1, "failed_tests": []}),
        Event("lesson", "old", ANSWERED, ts=5.0, check_id="c", data={"answer": None, "attempt": "2"}),
    ]
    engine = sa.create_engine(sql_url.replace("postgresql://", "postgresql+psycopg://", 1))
    table = _old_events_table(sa.MetaData())
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"uid": e.uid, "lesson_id": e.lesson_id, "student_id": e.student_id,
                                       "ts": e.ts, "type": e.type, "step_id": e.step_id, "check_id": e.check_id,
                                       "data": json.dumps(e.data)} for e in old])
    writers = {f"s{n:02}": start_writer(sql_url, f"s{n:02}", count=5) for n in range(20)}
    for student, writer in writers.items():
        _, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, f"writer {student} failed: {err}"
    with engine.connect() as conn:
        indexes = {index["name"] for index in sa.inspect(conn).get_indexes("events")}
        names = ", ".join(f.name for f in FIELDS)
        rows = conn.execute(sa.text(f"SELECT data, {names} FROM events ORDER BY seq")).all()
    engine.dispose()
    assert {"events_by_student", "events_by_type"} <= indexes
    assert not indexes & {"events_lesson_student_seq", "events_lesson_type_student_seq"}
    assert len(rows) == len(old) + 100
    for row in rows:  # the backfill in SQL and the append in Python agree, on odd values too
        typed = dict(zip([f.name for f in FIELDS], row[1:]))
        expected = typed_fields(json.loads(row[0]))
        if expected["answer"] is not None:  # JSON text: PostgreSQL keeps the spacing it was given
            typed["answer"], expected["answer"] = json.loads(typed["answer"]), json.loads(expected["answer"])
        assert typed == expected, row[0]
    first = dict(zip([f.name for f in FIELDS], rows[0][1:]))
    assert (first["correct"], first["feedback"], first["failed_tests"], json.loads(first["answer"])) == (1, 2, 1, [1, "a"])
