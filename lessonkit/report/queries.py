"""What the report's queries (facts, code checks, trends, self-assessment) share: one lesson's
events in a SQL store, and the few SQL expressions SQLite and PostgreSQL write differently.

Every figure those modules show is a ``GROUP BY`` over the ``events`` table, so a class of
a million events reaches Python as a few hundred rows (the reason is in
:mod:`lessonkit.report.facts`).  A store that is not SQL (a JSON-lines log) is copied into
an in-memory SQLite store once, by :func:`sql_store`, for all of the report's queries.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa

from lessonkit.progress import EventStore
from lessonkit.progress.sql import SqlEventStore

#: Events copied at a time from a JSON-lines log into the in-memory store.
_COPY_BATCH = 5000

#: The report's queries run this many at a time, each on a connection of its own: the machine a
#: class runs on has two cores or more, Python's sqlite3 lets go of the GIL while SQLite works,
#: and a PostgreSQL server works on two queries at once.  More would only queue on the cores.
READERS = 2

T = TypeVar("T")


@contextlib.contextmanager
def sql_store(store: EventStore, lesson_id: str) -> Iterator[SqlEventStore]:
    """``store`` itself when it is SQL, else an in-memory SQLite copy of the lesson's events."""
    if isinstance(store, SqlEventStore):
        yield store
        return
    with SqlEventStore("sqlite://", setting="the report's in-memory copy") as copy:
        batch = []
        for event in store.lesson_events(lesson_id):
            batch.append(event)
            if len(batch) >= _COPY_BATCH:
                copy.append_many(batch)
                batch = []
        copy.append_many(batch)
        yield copy


@contextlib.contextmanager
def readers(store: SqlEventStore) -> Iterator[Executor]:
    """Where the report's queries are submitted: :data:`READERS` threads, or, for an in-memory
    SQLite store (a JSON-lines log's copy), this thread, since each connection to ``sqlite://``
    is a database of its own and the copy lives in one."""
    if store.dialect == "sqlite" and (store.url.database or ":memory:") == ":memory:":
        yield _InOrder()
        return
    with ThreadPoolExecutor(READERS, thread_name_prefix="lessonkit-report") as pool:
        yield pool


class _InOrder(Executor):
    """An executor that runs each call as it is submitted."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to whoever asks for the result, as a pool does
            done.set_exception(error)
        return done


class LessonQuery:
    """Queries over one lesson's events, and the expressions that differ between the databases.

    The fields the report groups and filters by are columns of their own (``FIELDS`` in
    :mod:`lessonkit.progress.sql`: ``kind``, ``skill``, ``correct``, ``answer`` ...), so a query
    names them as columns; :meth:`text` and :meth:`integer` are for the rare events' other fields
    (a choice's label, a confidence) and for the items of a JSON array.
    """

    def __init__(self, store: SqlEventStore, lesson_id: str) -> None:
        self.store = store
        self.lesson = lesson_id
        self.pg = store.dialect == "postgresql"

    def rows(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        """The query's rows.  A caller reading tens of thousands unpacks them as tuples: a Row's
        attribute lookup (``r.student_id``) cost ten times the unpacking, seconds on a large class."""
        return list(self.store.read(sa.text(sql), {"lesson": self.lesson, **params}))

    def tuples(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """The query's rows as plain tuples, for a query of thousands of rows
        (:meth:`SqlEventStore.read_tuples <lessonkit.progress.sql.SqlEventStore.read_tuples>`)."""
        return self.store.read_tuples(sql, {"lesson": self.lesson, **params})

    @property
    def materialized(self) -> str:
        """What makes a ``WITH`` query computed once, as written: PostgreSQL inlines one used once into
        the query that uses it; SQLite computes it once already (and knows the word only from 3.35)."""
        return "MATERIALIZED" if self.pg else ""

    def text(self, name: str, column: str = "data") -> str:
        """A field of a JSON column as SQL text (numbers as SQL numbers on SQLite)."""
        return f"({column}::json->>'{name}')" if self.pg else f"json_extract({column}, '$.{name}')"

    def integer(self, name: str, column: str = "data") -> str:
        return f"({column}::json->>'{name}')::bigint" if self.pg else f"json_extract({column}, '$.{name}')"

    def day(self, column: str) -> str:
        """Epoch seconds as whole UTC days since 1970 (:func:`day_name` names them): integer
        arithmetic, since formatting a date per event is most of the cost on a large class."""
        return f"floor({column} / 86400)::bigint" if self.pg else f"CAST(floor({column} / 86400) AS INTEGER)"

    def milliseconds(self, column: str) -> str:
        """Epoch seconds as whole milliseconds, the same on both: SQLite prints a REAL in JSON with 15
        digits, and PostgreSQL's round() and casts round halves to even where SQLite's do not."""
        return f"floor({column} * 1000)::bigint" if self.pg else f"CAST({column} * 1000 AS INTEGER)"

    def in_order(self, item: str) -> str:
        """The group's integers ``item`` as one text, joined by commas in ``seq`` order, for a query that
        groups ``events`` by ``student_id`` alone.  PostgreSQL is told the order; SQLite hands an aggregate
        its rows in the order it reads them, which for that GROUP BY is the order of the
        (lesson, student, seq) index it scans, without a sort (``tests/test_report.py`` checks the
        plan): saying ``seq`` beside each item, to sort them after, doubled the cost of the pass."""
        return f"string_agg(({item})::text, ',' ORDER BY seq)" if self.pg else f"group_concat({item}, ',')"

    def latest(self, value: str, seq: str = "seq") -> str:
        """The row's ``seq``, zero-padded, then ``value``: the greatest of these is the latest row's,
        and ``substr(..., 20)`` (or ``[19:]`` in Python) gives ``value`` back."""
        padded = f"lpad({seq}::text, 19, '0')" if self.pg else f"printf('%019d', {seq})"
        return f"({padded} || {value})" + (' COLLATE "C"' if self.pg else "")

    def elements(self, name: str, having: str) -> str:
        """A FROM item: the objects of the JSON array field ``name`` of the events where the condition
        ``having`` holds, as ``item.value`` (it must imply an array: the typed ``list`` column)."""
        if self.pg:
            return (f"json_array_elements(CASE WHEN {having} THEN events.data::json->'{name}' END) AS item(value)")
        return f"json_each(CASE WHEN {having} THEN events.data END, '$.{name}') AS item"

    def is_object(self) -> str:
        """The condition that ``item.value`` (from :meth:`elements`) is a JSON object."""
        return "json_typeof(item.value) = 'object'" if self.pg else "item.type = 'object'"


def day_name(day: int) -> str:
    """A day of :meth:`LessonQuery.day` as ``YYYY-MM-DD``."""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))).isoformat()


def decoded(value: Any) -> Any:
    """A JSON value as SQLite returns it (text) or psycopg does (already decoded)."""
    return json.loads(value) if isinstance(value, str) else value
