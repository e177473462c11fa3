"""An event store in this process's memory, for sessions whose events must reach no class store.

A teacher trying answers in a preview is not a student, and a pooled page kernel's rehearsal of
its first page is nobody's (:mod:`lessonkit.player.pagestart`): nothing either does may reach
the class's progress store or a log beside the notebook, so their sessions keep events here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import TypeVar

from lessonkit.progress.events import Event

__all__ = ["MemoryStore"]

_Store = TypeVar("_Store", bound="MemoryStore")


class MemoryStore:
    """An :class:`~lessonkit.progress.EventStore` in memory, for one session; gone when closed."""

    def __init__(self) -> None:
        self._events: list[Event] = []

    def append(self, event: Event) -> Event:
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[Event]) -> list[Event]:
        stored = [event.with_seq(len(self._events) + n + 1) for n, event in enumerate(events)]
        self._events.extend(stored)
        return stored

    def history(self, lesson_id: str, student_id: str) -> list[Event]:
        return [e for e in self._events if e.lesson_id == lesson_id and e.student_id == student_id]

    def lesson_events(self, lesson_id: str) -> Iterator[Event]:
        return iter([e for e in self._events if e.lesson_id == lesson_id])

    def students(self, lesson_id: str) -> list[str]:
        return sorted({e.student_id for e in self._events if e.lesson_id == lesson_id})

    def close(self) -> None:
        self._events = []

    def __enter__(self: _Store) -> _Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
