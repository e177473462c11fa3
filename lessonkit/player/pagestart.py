"""How a page's kernel starts: everything that does not depend on the student before it asks who they are.

With ``lessonkit serve --warm`` a page's kernel is started, and its notebook run, before any
student asks for it (Voila's preheated pool): the kernel runs up to :func:`page_identity`
and waits there for the request the server hands it.  Whatever happens before that wait is
free for the student; whatever happens after it is what they wait for.  So the start is
split at the wait:

* before: the imports, the sealed lesson decoded, the progress store opened, and a
  *rehearsal*: the whole first page built once for a student nobody can be, on a store
  that reads through to the real one (so its queries are compiled and its connection
  opened) but keeps every write in memory, then closed.  A kernel's first page costs about
  four times its second (widget classes' trait setup, SQL statements' compilation, the
  Markdown renderer's first run); the rehearsal pays that while nobody waits;
* after: the student's own events read, their current step built, nothing else (with about half
  the widget models ipywidgets would make: :mod:`lessonkit.player.sharedstyle`).

Without a pool (a kernel started per visit) there is no wait, and no rehearsal: it would
only add to what the student waits for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from lessonkit import settings
from lessonkit.player.identity import Identity, page_identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.player.sharedstyle import share_defaults
from lessonkit.progress import Event, EventStore
from lessonkit.progress.memory import MemoryStore

__all__ = ["start_page_session"]

#: a student id no request can carry (page identities reject control characters)
_NOBODY = "\x00rehearsal"


class _Rehearsal(MemoryStore):
    """An event store for the rehearsal: reads go to the real store too (for :data:`_NOBODY`, who
    has no events), writes stay in memory and are dropped with it."""

    def __init__(self, store: EventStore) -> None:
        super().__init__()
        self._store = store

    def history(self, lesson_id: str, student_id: str) -> list[Event]:
        return self._store.history(lesson_id, student_id) + super().history(lesson_id, student_id)


def rehearse(lesson: Mapping[str, Any], store: EventStore) -> None:
    """Build and close the first page once for nobody, so that the student's page is a kernel's second."""
    made: list[widgets.Widget] = []
    widgets.Widget.on_widget_constructed(made.append)
    try:
        with _Rehearsal(store) as rehearsal:
            PageView(Session(lesson, Identity(_NOBODY, "anonymous"), rehearsal, mode="page"))
    finally:
        widgets.Widget.on_widget_constructed(None)
    # every widget it made, not only the page: a live box whose child is closed cannot tell the
    # browser its state, and the widget manager then answers the page with nothing at all
    for widget in made:
        widget.close()


def start_page_session(lesson: Mapping[str, Any], store: EventStore) -> Session:
    """The student's session on this page: rehearsed first when the kernel is waiting for its student.
    A page's widgets that keep the default layout or style share one (:mod:`lessonkit.player.sharedstyle`)."""
    share_defaults()
    if settings.VOILA_PREHEAT.read() == "True":
        rehearse(lesson, store)
    return Session(lesson, page_identity(), store, mode="page")
