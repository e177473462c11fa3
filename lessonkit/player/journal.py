"""The student's event log as a session writes and replays it: the session's only memory.

Every other part of a session is folded from these events, so a session opened on the same
events, in another process or on another day, decides exactly as the first one did.  An
action is recorded as one batch (one commit) before its result is shown, so what a student
was told survives a crash of the kernel or the server (docs/events.md: durability).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lessonkit.progress import STEP_ENTERED, Event, EventStore

__all__ = ["Journal"]


class Journal:
    """Makes, records and replays one student's events on one lesson.

    ``fold`` is told every event, from the history at :meth:`replay` and from each batch
    :meth:`record` appends, so the session's state never differs between the two.
    """

    def __init__(self, lesson_id: str, student_id: str, store: EventStore, fold: Callable[[Event], None], *,
                 clock: Callable[[], float], step_of: Mapping[str, str]) -> None:
        self.lesson_id = lesson_id
        self.student_id = student_id
        self.store = store
        self.clock = clock
        self.events: list[Event] = []
        self._fold = fold
        self._step_of = step_of
        self._listeners: list[Callable[[], None]] = []

    def replay(self) -> None:
        """Fold the student's history so far (once, when the session opens)."""
        for event in self.store.history(self.lesson_id, self.student_id):
            self._apply(event)

    def event(self, type_: str, *, step_id: str | None = None, check_id: str | None = None,
              data: Mapping[str, Any] | None = None) -> Event:
        """A new event stamped now; a check's event belongs to the step the check is in."""
        if step_id is None and check_id is not None:
            step_id = self._step_of.get(check_id)
        return Event(self.lesson_id, self.student_id, type_, ts=self.clock(), step_id=step_id,
                     check_id=check_id, data=dict(data or {}))

    def record(self, events: Iterable[Event]) -> None:
        """Append one action's events as one batch, fold them, then let the views refresh."""
        batch = list(events)
        if not batch:
            return
        for event in self.store.append_many(batch):
            self._apply(event)
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` after every recorded action; returns the function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def entered_at(self, step_id: str) -> float | None:
        """When the student last entered a step (None: never), to time their stay in it."""
        return next((e.ts for e in reversed(self.events) if e.type == STEP_ENTERED and e.step_id == step_id), None)

    def _apply(self, event: Event) -> None:
        self._fold(event)
        self.events.append(event)
