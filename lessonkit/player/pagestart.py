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

Both are built *unannounced* (:func:`unannounced`): while the page's cell runs, no browser can be
listening to the kernel yet (Voila's page opens the kernel's websocket only once the whole page,
this cell's output included, has arrived, and the kernel answers the browser's first request only
after the cell), so each widget's own ``comm_open`` and ``update`` messages reach nobody but the
server, which decodes every one (nbclient, the activity watch) for nothing: 68 messages for the
fractions lesson's first page.  The browser gets every widget's state in one message instead,
ipywidgets' answer to its ``request_states``, which it sends in any case.  Widgets made or
changed after the cell (a Check's feedback, the next step) are announced as usual.

Without a pool (a kernel started per visit) there is no wait, and no rehearsal: it would
only add to what the student waits for.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import ipywidgets as widgets

from lessonkit import settings
from lessonkit.player.identity import Identity, page_identity
from lessonkit.player.pageview import PageView
from lessonkit.player.session import Session
from lessonkit.player.sharedstyle import share_defaults
from lessonkit.progress import Event, EventStore
from lessonkit.progress.memory import MemoryStore

__all__ = ["start_page_view", "unannounced"]

#: a student id no request can carry (page identities reject control characters)
_NOBODY = "\x00rehearsal"
#: what a widget model's comm publishes about itself; nothing else is held back
_WIDGET_TARGET = "jupyter.widget"
_WIDGET_MESSAGES = frozenset({"comm_open", "comm_msg", "comm_close"})


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


@contextlib.contextmanager
def unannounced() -> Iterator[None]:
    """Within: widget models' own comm messages are not published (see the module's docstring for
    why nobody misses them).  Their comms are still registered in the kernel, so the browser's
    ``request_states`` finds every widget, and its messages to a widget reach it.

    Outside a running ipykernel (a test, a plain interpreter) nothing is published anyway."""
    kernel_comm = sys.modules.get("ipykernel.comm.comm")
    if kernel_comm is None:
        yield
        return
    base = kernel_comm.BaseComm
    publish = base.__dict__["publish_msg"]

    def publish_unless_widget(comm: Any, msg_type: str, *args: Any, **kwargs: Any) -> None:
        if msg_type in _WIDGET_MESSAGES and getattr(comm, "target_name", None) == _WIDGET_TARGET:
            # what publishing would have set: ipywidgets sends a widget's later changes only through
            # a comm that knows its kernel
            if comm.kernel is None and kernel_comm.Kernel.initialized():
                comm.kernel = kernel_comm.Kernel.instance()
            return
        publish(comm, msg_type, *args, **kwargs)

    base.publish_msg = publish_unless_widget
    try:
        yield
    finally:
        base.publish_msg = publish


def start_page_view(lesson: Mapping[str, Any], store: EventStore) -> tuple[Session, PageView]:
    """The student's session on this page and its view, built unannounced: rehearsed first when the
    kernel is waiting for its student.  A page's widgets that keep the default layout or style share
    one (:mod:`lessonkit.player.sharedstyle`)."""
    share_defaults()
    with unannounced():
        if settings.VOILA_PREHEAT.read() == "True":
            rehearse(lesson, store)
        session = Session(lesson, page_identity(), store, mode="page")
        return session, PageView(session)
