"""Events in SQLite or PostgreSQL, through SQLAlchemy Core.

One table, ``events``, append-only: ``seq`` orders it, ``uid`` (unique) makes every write
idempotent, and the index on (lesson_id, student_id, seq) serves the two queries that
matter: one student's history (to resume) and one lesson's events (for the teacher); the
one on (lesson_id, type, student_id, seq) lets the class report read one kind of event.
The fields of ``data`` the class report groups by are copied into typed columns when an
event is written (:data:`FIELDS`), and both indexes carry what the report reads after
their keys, so that the report reads indexes, not a million JSON documents.
Each append is one short transaction on a pooled connection, so twenty writers share
a SQLite file without waiting long for each other.

How durable a SQLite commit is, is the store's ``durability`` setting, given in the URL
(``sqlite:///progress.sqlite?durability=full``) so that ``LESSONKIT_DB`` can carry it:

``normal`` (the default)
    WAL with ``synchronous=NORMAL``.  A commit has been written to the WAL file before
    ``append`` returns, so it survives a crash of the process (kill -9, a dead kernel):
    the operating system still holds the data.  There is no fsync per commit, so a power
    cut or a kernel panic can roll back the last commits (the file stays consistent).
    Right for a class on a laptop: a killed kernel is common there, a power cut on a
    laptop with a battery is not, and the fsync is most of what a commit costs.
``full``
    WAL with ``synchronous=FULL``: every commit is fsynced before ``append`` returns, so
    an acknowledged event survives a power cut too, at the price of an fsync per append.

On PostgreSQL the server decides (its ``fsync`` and ``synchronous_commit``), so the
setting is refused there rather than silently ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.schema import CreateIndex, CreateTable

from lessonkit.progress.events import Event, dumps
from lessonkit.progress.store import (
    HOW_TO_CONFIGURE,
    ClosingStore,
    EventConflictError,
    StoreConfigError,
    StoreError,
    masked,
)

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another's transaction before giving up.  Appends
#: hold the write lock for well under a millisecond, so only a stalled machine gets near it.
BUSY_TIMEOUT_MS = 60_000

#: Each ``durability`` a SQLite store can be opened with, and the ``PRAGMA synchronous`` it means.
DURABILITY = {"normal": "NORMAL", "full": "FULL"}

#: What a SQLite URL without ``?durability=`` gets (the module docstring says why).
DEFAULT_DURABILITY = "normal"

#: Key of the PostgreSQL advisory lock that serialises creating the table, so that a
#: class's kernels opening a new database at the same moment do not race on CREATE TABLE.
_SCHEMA_LOCK = 0x6C6B6576  # "lkev"



@dataclass(frozen=True)
class _Field:
    """A field of ``data`` the class report filters or groups by, copied into its own column when
    the event is written, so that the report's queries never parse the JSON of a million events.

    ``shape`` says what the column holds: ``text`` a string (another value as its JSON text),
    ``json`` the value's JSON text, ``int`` an integer (anything else NULL), ``flag`` 1 when the
    value is JSON true else 0, ``list`` 1 when it is a non-empty array else 0.
    """

    name: str  # the JSON field and the column
    shape: str

    def value(self, data: Mapping[str, Any]) -> Any:
        """The column's value for an event's ``data``: what :meth:`backfill` computes in SQL."""
        v = data.get(self.name)
        if self.shape == "flag":
            return int(v is True)
        if self.shape == "list":
            return int(isinstance(v, list) and len(v) > 0)
        if self.shape == "int":
            return v if isinstance(v, int) and not isinstance(v, bool) and abs(v) < _INT_LIMIT else None
        if self.name not in data or self.shape == "text" and v is None:
            return None
        if self.shape == "text" and isinstance(v, str):
            return v
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)

    def backfill(self, dialect: str) -> str:
        """The SQL that computes :meth:`value` from ``data``, for a store written before the column."""
        if dialect == "postgresql":
            field, kind = f"(data::json->'{self.name}')", f"json_typeof(data::json->'{self.name}')"
            scalar = f"(data::json->>'{self.name}')"
            return {
                "flag": f"CASE WHEN {kind} = 'boolean' AND {scalar} = 'true' THEN 1 ELSE 0 END",
                # nested: PostgreSQL promises the order of CASE's branches, not of AND's operands
                "list": f"CASE WHEN {kind} = 'array' THEN CASE WHEN json_array_length({field}) > 0 THEN 1 ELSE 0 END"
                        " ELSE 0 END",
                "int": f"CASE WHEN {kind} = 'number' THEN CASE WHEN {scalar} ~ '^-?[0-9]{{1,18}}$' "
                       f"THEN {scalar}::bigint END END",
                "text": f"CASE {kind} WHEN 'string' THEN {scalar} WHEN 'null' THEN NULL ELSE {field}::text END",
                "json": f"{field}::text",
            }[self.shape]
        kind, scalar = f"json_type(data, '$.{self.name}')", f"json_extract(data, '$.{self.name}')"
        return {
            "flag": f"CASE WHEN {kind} = 'true' THEN 1 ELSE 0 END",
            "list": f"CASE WHEN {kind} = 'array' AND json_array_length(data, '$.{self.name}') > 0 THEN 1 ELSE 0 END",
            "int": f"CASE WHEN {kind} = 'integer' AND abs({scalar}) < {_INT_LIMIT} THEN {scalar} END",
            "text": f"CASE {kind} WHEN 'text' THEN {scalar} WHEN 'null' THEN NULL ELSE data -> '$.{self.name}' END",
            "json": f"data -> '$.{self.name}'",
        }[self.shape]


#: Integers a typed column keeps: what fits a 64-bit column with room to spare.
_INT_LIMIT = 10**18

#: The fields of ``data`` the class report reads, each in a column of the same name
#: (``docs/report.md`` says why these and what it costs).
FIELDS = (
    _Field("kind", "text"),  # a step's kind, a flag's kind
    _Field("skill", "text"),
    _Field("condition", "text"),  # the rule that decided a branch
    _Field("answer", "json"),
    _Field("feedback", "int"),
    _Field("attempt", "int"),
    _Field("rung", "int"),  # a hint's rung
    _Field("correct", "flag"),
    _Field("pending", "flag"),
    _Field("bottom_out", "flag"),
    _Field("mastered", "flag"),
    _Field("needs_remediation", "flag"),
    _Field("failed_tests", "list"),  # a code check's answer failed a test the student can see
)

_COLUMN_TYPES = {"text": sa.String, "json": sa.Text, "int": sa.BigInteger, "flag": sa.SmallInteger,
                 "list": sa.SmallInteger}


def typed_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The typed columns of an event with this ``data``: what a bulk load must write with it."""
    return {f.name: f.value(data) for f in FIELDS}


metadata = sa.MetaData()

events_table = sa.Table(
    "events",
    metadata,
    # SQLite makes only "INTEGER PRIMARY KEY" an alias of the rowid; PostgreSQL wants 64 bits.
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String, nullable=False),
    sa.Column("lesson_id", sa.String, nullable=False),
    sa.Column("student_id", sa.String, nullable=False),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Column("type", sa.String, nullable=False),
    sa.Column("step_id", sa.String),
    sa.Column("check_id", sa.String),
    sa.Column("data", sa.Text, nullable=False),
    *(sa.Column(f.name, _COLUMN_TYPES[f.shape]()) for f in FIELDS),
    sa.UniqueConstraint("uid", name="events_uid_key"),
    # One student's history in order (resume), and the report's pass over every event of a
    # lesson; the trailing columns are all that pass reads, so it never touches the table's rows.
    sa.Index("events_by_student", "lesson_id", "student_id", "seq", "ts", "type", "check_id", "kind"),
    # The class report's queries each want one or two event types of a lesson (the answers, the
    # mastery updates), per student in order, and the typed fields after the key are what they
    # group by: read from the index alone, not from a million rows of JSON.  Not the answer: a
    # student's answer can be longer than PostgreSQL lets an index entry be.
    sa.Index("events_by_type", "lesson_id", "type", "student_id", "seq", "check_id", "step_id", "ts",
             *(f.name for f in FIELDS if f.shape != "json")),
)

#: Indexes of older lessonkit versions, which the ones above replace (dropped on open).
_RETIRED_INDEXES = ("events_lesson_student_seq", "events_lesson_type_student_seq")

# The dialects lessonkit supports, each with its INSERT ... ON CONFLICT construct.
_INSERTS: dict[str, Callable[[sa.Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class SqlEventStore(ClosingStore):
    """An :class:`~lessonkit.progress.store.EventStore` in a SQLite or PostgreSQL database.

    ``setting`` names where ``url`` came from, so that an error tells the user what to fix.
    ``durability`` is the SQLite URL's ``?durability=`` (``None`` on PostgreSQL).
    """

    def __init__(self, url: str, *, setting: str = "the database URL") -> None:
        self.url, self.durability = _parse(url, setting)
        self._engine = _create_engine(self.url, setting, self.durability)
        dialect = self.url.get_backend_name()
        self._insert = (
            _INSERTS[dialect](events_table)
            .on_conflict_do_nothing(index_elements=[events_table.c.uid])
            .returning(events_table.c.seq)
        )
        try:
            with self._engine.begin() as conn:
                _create_schema(conn)
        except DBAPIError as error:
            self._engine.dispose()
            raise StoreError(
                f"cannot open the event store {self}: {error.orig}. Check {setting}; {HOW_TO_CONFIGURE}"
            ) from error

    def __repr__(self) -> str:
        return f"SqlEventStore({self.url.render_as_string(hide_password=True)!r})"

    def append(self, event: Event) -> Event:
        return self._write([event])[0]

    def append_many(self, events: Iterable[Event]) -> list[Event]:
        batch = list(events)
        return self._write(batch) if batch else []

    def history(self, lesson_id: str, student_id: str) -> list[Event]:
        c = events_table.c
        query = sa.select(events_table).where(c.lesson_id == lesson_id, c.student_id == student_id).order_by(c.seq)
        with self._engine.connect() as conn:
            return [_event(row) for row in conn.execute(query)]

    def lesson_events(self, lesson_id: str) -> Iterator[Event]:
        c = events_table.c
        query = sa.select(events_table).where(c.lesson_id == lesson_id).order_by(c.seq)
        with self._engine.connect() as conn:
            for row in conn.execution_options(yield_per=1000).execute(query):
                yield _event(row)

    def students(self, lesson_id: str) -> list[str]:
        c = events_table.c
        query = sa.select(c.student_id).where(c.lesson_id == lesson_id).distinct().order_by(c.student_id)
        with self._engine.connect() as conn:
            return list(conn.scalars(query))

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: what a report's own SQL must be written in."""
        return self._engine.dialect.name

    def read(self, query: sa.Executable, params: dict[str, Any] | None = None) -> Iterator[sa.Row[Any]]:
        """The rows of a read-only query, streamed: the class report aggregates in the
        database (``lessonkit.report.facts``) rather than read every event into Python."""
        with self._engine.connect() as conn:
            yield from conn.execution_options(yield_per=1000).execute(query, params or {})

    def read_tuples(self, sql: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of a read-only SQL text, as the driver's own tuples: for the class report's
        queries of tens of thousands of rows, where building SQLAlchemy's ``Row`` for each cost as
        much as the database's work (0.4 s of CPU per 176,000 rows on SQLite)."""
        compiled = sa.text(sql).compile(dialect=self._engine.dialect)
        bound = compiled.construct_params(dict(params))
        arguments = [bound[name] for name in compiled.positiontup or ()] if compiled.positional else bound
        with self._engine.connect() as conn:
            cursor = conn.connection.cursor()
            try:
                cursor.execute(compiled.string, arguments)
                return cursor.fetchall()
            finally:
                cursor.close()

    def close(self) -> None:
        self._engine.dispose()

    def _write(self, batch: list[Event]) -> list[Event]:
        rows = [_row(event) for event in batch]  # a bad event fails before the transaction starts
        try:
            return self._transaction(batch, rows)
        except DBAPIError as error:
            # The server closed the connection (restart, idle timeout).  The pool has
            # dropped it; appends are idempotent by uid, so one retry cannot duplicate.
            if not error.connection_invalidated:
                raise
            log.warning("event store %s: connection lost (%s); retrying once", self, error.orig)
            return self._transaction(batch, rows)

    def _transaction(self, batch: list[Event], rows: list[dict[str, Any]]) -> list[Event]:
        """Insert ``batch`` in one transaction; committed when this returns."""
        with self._engine.begin() as conn:
            return [self._insert_one(conn, event, row) for event, row in zip(batch, rows, strict=True)]

    def _insert_one(self, conn: Connection, event: Event, row: dict[str, Any]) -> Event:
        seq = conn.execute(self._insert, row).scalar_one_or_none()
        if seq is not None:
            return event.with_seq(seq)
        stored = _event(conn.execute(sa.select(events_table).where(events_table.c.uid == event.uid)).one())
        if not stored.same_record(event):
            raise EventConflictError(
                f"event {event.uid} is already stored (seq {stored.seq}, student {stored.student_id!r}, "
                f"{stored.type}) with different content than the one being appended "
                f"(student {event.student_id!r}, {event.type}): was a log copied or edited?"
            )
        return stored


def _parse(url: str, setting: str) -> tuple[URL, str | None]:
    """The URL SQLAlchemy gets (lessonkit's own query option taken out) and the durability."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:  # ValueError: a port that is not a number
        raise StoreConfigError(
            f"{setting} = {masked(url)!r} is not a database URL ({error}); {HOW_TO_CONFIGURE}"
        ) from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver lessonkit[postgres] installs
    backend = parsed.get_backend_name()
    if backend not in _INSERTS:
        raise StoreConfigError(
            f"{setting} = {masked(url)!r}: lessonkit stores events in SQLite or PostgreSQL, not {backend!r}; "
            f"{HOW_TO_CONFIGURE}"
        )
    durability = _durability(parsed, backend, f"{setting} = {masked(url)!r}")
    parsed = parsed.difference_update_query(["durability"])
    database = parsed.database or ""
    if backend == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return parsed, durability


def _durability(url: URL, backend: str, where: str) -> str | None:
    given = url.query.get("durability")
    if backend != "sqlite":
        if given is not None:
            raise StoreConfigError(
                f"{where}: durability applies to SQLite stores only; PostgreSQL's is the server's "
                "synchronous_commit setting"
            )
        return None
    if given is None:
        return DEFAULT_DURABILITY
    if given not in DURABILITY:  # a tuple when the option is repeated
        raise StoreConfigError(
            f"{where}: durability={given!r} is not one of {', '.join(map(repr, DURABILITY))} "
            "(normal: a commit survives a crash of the process; full: also a power cut, "
            "with an fsync per commit)"
        )
    return given


def _create_engine(url: URL, setting: str, durability: str | None) -> sa.Engine:
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        options["connect_args"] = {"connect_timeout": 10}  # fail in seconds when the server is unreachable
    try:
        engine = sa.create_engine(url, **options)
    except (NoSuchModuleError, ImportError) as error:
        raise StoreConfigError(
            f"{setting}: no database driver for {url.drivername!r} ({error}); "
            "for PostgreSQL install psycopg 3: pip install 'lessonkit[postgres]'"
        ) from None
    if durability is not None:
        sa.event.listen(engine, "connect", _sqlite_pragmas(DURABILITY[durability]))
    return engine


def _sqlite_pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    """What every new SQLite connection runs first: the pragmas are per connection."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # Set first: switching a new file to WAL can itself wait for another opener.
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Write-ahead log: readers (the teacher's dashboard) never block writers, and a
            # commit appends to one file instead of rewriting pages and a rollback journal.
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            # What a commit survives (the module docstring): NORMAL skips the fsync.
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()
        if mode.lower() not in ("wal", "memory"):
            log.warning("SQLite refused write-ahead logging (journal_mode=%s): concurrent writers will wait longer",
                        mode)

    return on_connect


def _create_schema(conn: Connection) -> None:
    """Create the table, or bring one written by an older lessonkit up to date (the typed columns
    added and filled from ``data``, the indexes replaced) in this one transaction, once, whoever
    opens it first: the others wait on the lock, then find nothing to do."""
    if _outdated(conn) == ([], False):
        return
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock before looking again, not after
    missing, _ = _outdated(conn)
    if missing is None:
        conn.execute(CreateTable(events_table, if_not_exists=True))
    elif missing:
        _add_columns(conn, missing)
    for index in events_table.indexes:
        conn.execute(CreateIndex(index, if_not_exists=True))
    for name in _RETIRED_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _outdated(conn: Connection) -> tuple[list[_Field] | None, bool]:
    """The typed columns the table lacks (``None``: there is no table yet), and whether its
    indexes are not the current ones."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(events_table.name):
        return None, True
    have = {column["name"] for column in inspector.get_columns(events_table.name)}
    indexes = {index["name"] for index in inspector.get_indexes(events_table.name)}
    current = {index.name for index in events_table.indexes}
    return [f for f in FIELDS if f.name not in have], bool(current - indexes or indexes & set(_RETIRED_INDEXES))


def _add_columns(conn: Connection, fields: list[_Field]) -> None:
    log.info("event store: adding the report's columns %s and filling them from the events' data",
             ", ".join(f.name for f in fields))
    table, preparer = events_table.name, conn.dialect.identifier_preparer
    for f in fields:
        column = events_table.c[f.name]
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {preparer.quote(f.name)} "
                             f"{column.type.compile(dialect=conn.dialect)}")
    assignments = ", ".join(f"{preparer.quote(f.name)} = {f.backfill(conn.dialect.name)}" for f in fields)
    conn.exec_driver_sql(f"UPDATE {table} SET {assignments}")


def _row(event: Event) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "lesson_id": event.lesson_id,
        "student_id": event.student_id,
        "ts": float(event.ts),
        "type": event.type,
        "step_id": event.step_id,
        "check_id": event.check_id,
        "data": dumps(dict(event.data), what=f"{event.type} event {event.uid}"),
        **typed_fields(event.data),
    }


def _event(row: sa.Row[Any]) -> Event:
    return Event(
        lesson_id=row.lesson_id,
        student_id=row.student_id,
        type=row.type,
        ts=row.ts,
        step_id=row.step_id,
        check_id=row.check_id,
        data=json.loads(row.data),
        uid=row.uid,
        seq=row.seq,
    )
