"""What the report's newer aggregates (code checks, trends, self-assessment) share: one lesson's
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
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from lessonkit.progress import EventStore
from lessonkit.progress.sql import SqlEventStore

#: Events copied at a time from a JSON-lines log into the in-memory store.
_COPY_BATCH = 5000


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


class LessonQuery:
    """Queries over one lesson's events, and the expressions that differ between the databases."""

    def __init__(self, store: SqlEventStore, lesson_id: str) -> None:
        self.store = store
        self.lesson = lesson_id
        self.pg = store.dialect == "postgresql"

    def rows(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        return list(self.store.read(sa.text(sql), {"lesson": self.lesson, **params}))

    def text(self, name: str, column: str = "data") -> str:
        """A field of a JSON column as SQL text (numbers as SQL numbers on SQLite)."""
        return f"({column}::json->>'{name}')" if self.pg else f"json_extract({column}, '$.{name}')"

    def integer(self, name: str, column: str = "data") -> str:
        return f"({column}::json->>'{name}')::bigint" if self.pg else f"json_extract({column}, '$.{name}')"

    def true(self, name: str) -> str:
        """1 when the field is JSON true, else 0 (missing, null or false)."""
        value = f"(data::json->>'{name}') = 'true'" if self.pg else f"json_extract(data, '$.{name}') = 1"
        return f"(CASE WHEN {value} THEN 1 ELSE 0 END)"

    def day(self, column: str) -> str:
        """Epoch seconds as whole UTC days since 1970 (:func:`day_name` names them): integer
        arithmetic, since formatting a date per event is most of the cost on a large class."""
        return f"floor({column} / 86400)::bigint" if self.pg else f"CAST(floor({column} / 86400) AS INTEGER)"

    def latest(self, value: str) -> str:
        """The row's ``seq``, zero-padded, then ``value``: the greatest of these is the latest row's,
        and ``substr(..., 20)`` gives ``value`` back."""
        seq = "lpad(seq::text, 19, '0')" if self.pg else "printf('%019d', seq)"
        return f"({seq} || {value})" + (' COLLATE "C"' if self.pg else "")

    def elements(self, name: str) -> str:
        """A FROM item: the objects of the JSON array field ``name``, as ``item.value`` (a field
        that is not an array gives no rows, so a hand-edited log cannot break the report)."""
        if self.pg:
            field = f"(events.data::json->'{name}')"
            return (f"json_array_elements(CASE WHEN json_typeof({field}) = 'array' THEN {field} END) AS item(value)")
        return (f"json_each(CASE WHEN json_type(events.data, '$.{name}') = 'array' THEN events.data END, "
                f"'$.{name}') AS item")

    def is_object(self) -> str:
        """The condition that ``item.value`` (from :meth:`elements`) is a JSON object."""
        return "json_typeof(item.value) = 'object'" if self.pg else "item.type = 'object'"


def day_name(day: int) -> str:
    """A day of :meth:`LessonQuery.day` as ``YYYY-MM-DD``."""
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(day))).isoformat()


def decoded(value: Any) -> Any:
    """A JSON value as SQLite returns it (text) or psycopg does (already decoded)."""
    return json.loads(value) if isinstance(value, str) else value
