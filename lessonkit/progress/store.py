"""Where events live, chosen by configuration: a SQLite file, PostgreSQL, or a JSON-lines log.

A laptop class needs nothing set up (a SQLite file under ``~/.lessonkit``); a school
points ``LESSONKIT_DB`` at PostgreSQL; a notebook in JupyterLab writes a JSON-lines log
beside itself so the log travels with the nbgrader submission (architecture §6, "embedded by
default, distributed when outgrown").  All three keep the same promise: when ``append``
returns, the event survives a crash of the process that wrote it.  Whether it also
survives a power cut differs: a JSON-lines log fsyncs every append, PostgreSQL does with
its default ``synchronous_commit=on``, and a SQLite file does only when opened with
``?durability=full`` (the default, ``normal``, skips the fsync; ``lessonkit.progress.sql``
says why that is the default).

This module stays free of SQLAlchemy: a student kernel imports ``lessonkit.progress``
on every page load, and only a kernel that opens a SQL store pays for the import.
"""

from __future__ import annotations

import logging
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Protocol, TypeVar, runtime_checkable

from lessonkit import settings
from lessonkit.errors import LessonkitError
from lessonkit.progress.events import Event

log = logging.getLogger(__name__)

#: The environment variable that chooses the store when ``open_store`` gets no URL.
ENV_VAR = settings.DB.name

#: Where events go when nothing is configured.
DEFAULT_PATH = Path("~/.lessonkit/progress.sqlite")

HOW_TO_CONFIGURE = (
    f"set {ENV_VAR} (or pass open_store a URL) to a file path (progress.sqlite, or events.jsonl "
    "for a JSON-lines log), sqlite:///path/to/progress.sqlite, or "
    "postgresql+psycopg://user:password@host:5432/dbname"
)


class StoreError(LessonkitError):
    """The event store could not be opened or could not do what was asked."""


class StoreConfigError(StoreError, ValueError):
    """The configured store location is not usable; the message says which setting and how to fix it."""


class EventConflictError(StoreError):
    """An event's uid is already stored with different content (a copied or edited log)."""


class CorruptLogError(StoreError, ValueError):
    """A JSON-lines log has an unreadable line that is not a torn last line."""


@runtime_checkable
class EventStore(Protocol):
    """What the player, grader and reports need from an event store.

    ``append`` returns, with ``seq`` set, only once the event survives a crash of the
    process (committed; for a log, written and fsynced); whether it survives a power cut
    is the store's durability (the module docstring).  Appending an event whose ``uid`` is already stored
    returns the stored event instead of adding a copy, so a retry is always safe;
    the same uid with different content raises :class:`EventConflictError`.
    """

    def append(self, event: Event) -> Event: ...

    def append_many(self, events: Iterable[Event]) -> list[Event]:
        """Append all or none of ``events`` (one transaction: one commit, at most one fsync)."""
        ...

    def history(self, lesson_id: str, student_id: str) -> list[Event]:
        """One student's events in one lesson, in the order the store acknowledged them."""
        ...

    def lesson_events(self, lesson_id: str) -> Iterator[Event]:
        """Every student's events in a lesson, in order, streamed (a class can be large)."""
        ...

    def students(self, lesson_id: str) -> list[str]:
        """The ids of the students with events in a lesson, sorted."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> EventStore: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None: ...


_Store = TypeVar("_Store", bound="ClosingStore")


class ClosingStore(ABC):
    """``with open_store(...) as store:`` closes the store on the way out."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_store(url: str | None = None) -> EventStore:
    """Open the event store at ``url``, or the configured one.

    ``url`` (or, when it is ``None``, the ``LESSONKIT_DB`` environment variable, or else
    ``~/.lessonkit/progress.sqlite``) is a SQLAlchemy URL (``sqlite:///...``,
    ``postgresql+psycopg://...``) or a plain path: a path ending in ``.jsonl`` opens a
    :class:`~lessonkit.progress.jsonl.JsonlLog`, any other path a SQLite file (with
    the default durability; a ``sqlite:///...?durability=full`` URL chooses an fsync per
    commit).  The ``events`` table is created if missing.
    """
    if url is not None:
        setting = "open_store(url=...)"
    elif (configured := settings.DB.read() or "").strip():
        url, setting = configured, f"the {ENV_VAR} environment variable"
    else:
        url, setting = str(DEFAULT_PATH), f"the default location (no {ENV_VAR} set)"
    url = url.strip()
    if not url:
        raise StoreConfigError(f"{setting} is empty: {HOW_TO_CONFIGURE}")
    if "://" in url:
        from lessonkit.progress.sql import SqlEventStore

        return SqlEventStore(url, setting=setting)
    path = Path(url).expanduser().absolute()
    if path.suffix == ".jsonl":
        from lessonkit.progress.jsonl import JsonlLog

        return JsonlLog(path)
    if path.is_dir():
        raise StoreConfigError(f"{setting} = {url!r} is a directory; name a file in it: {HOW_TO_CONFIGURE}")
    from lessonkit.progress.sql import SqlEventStore

    return SqlEventStore(f"sqlite:///{path}", setting=setting)


def import_jsonl(
    store: EventStore, path: str | os.PathLike[str], *, student_id: str, lesson_id: str | None = None
) -> int:
    """Load a submission's JSON-lines log into ``store``; return how many events were new.

    ``student_id`` replaces the id recorded in the log: in JupyterLab the kernel may only
    know a placeholder (the OS user), while the grader knows whose submission it is.
    With ``lesson_id``, only that lesson's events are loaded (one log may sit beside
    several notebooks).  Importing the same log again adds nothing, because events are
    matched by ``uid``; a torn last line is skipped and logged.  All or nothing: the
    events go in as one transaction.
    """
    from lessonkit.progress.jsonl import JsonlLog  # here: jsonl.py imports this module

    contents = JsonlLog(path).read()
    if contents.torn is not None:
        log.warning("%s: skipped a torn last line (%s)", path, contents.torn)
    wanted: dict[str, Event] = {}
    for event in contents.events:
        if lesson_id is None or event.lesson_id == lesson_id:
            wanted.setdefault(event.uid, replace(event, student_id=student_id, seq=None))
    known = {
        e.uid
        for lesson in {e.lesson_id for e in wanted.values()}
        for e in store.history(lesson, student_id)
    }
    store.append_many(wanted.values())
    return sum(1 for uid in wanted if uid not in known)


_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def masked(url: str) -> str:
    """``url`` with its password hidden, for messages and logs."""
    return _PASSWORD.sub(r"\1***@", url)
