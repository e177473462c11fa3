"""The live class dashboard in ``lessonkit serve``: the class report, for signed-in teachers only,
updated while students work.

``/lessonkit/dashboard/LESSON`` is the report's page (``lessonkit.report``) with a small script;
``/lessonkit/dashboard/LESSON.json`` says how many events the lesson has.  The page asks for
that every :data:`POLL_SECONDS` and, when it grew, fetches the page again and swaps its
content, so a new answer shows within a few seconds without a reload.  The report is rebuilt
only when the lesson has new events (:class:`_Reports`), however many teachers watch, and in a
thread of its own: a class of 1,000 takes seconds to report on, and the server's one event loop
also serves every student's page.  Until the first build is done the teacher sees a page saying
so (within :data:`FIRST_PAINT_S`), after that the last page built while the next one is made.

Who may see it: a member of the roster marked as a teacher (``lessonkit class add NAME
--teacher``), signed in with the session cookie or named by a trusted proxy.  Nobody signed in
is sent to the sign-in page; anyone else (a student, the unnamed single user of a server
without roster) gets 403, because the page holds every student's answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from tornado import web

from lessonkit.serve.auth import require_teacher

log = logging.getLogger(__name__)

#: How often the page asks whether the lesson has new events; a new answer shows within this
#: and one rebuild of the report.
POLL_SECONDS = 2.0

#: How long a request waits for a report being built before it answers with the page it has (the
#: last one built, or one saying the report is on its way): the teacher sees something at once.
FIRST_PAINT_S = 1.0

PATH = "/lessonkit/dashboard"


class _Reports:
    """The latest page of each lesson, keyed by its event count, and the build under way, if any:
    one build at a time (they are CPU-bound: two would only share the processor and the GIL)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[int, str]] = {}
        self._building: dict[str, tuple[int, Future[str]]] = {}
        self._counts: dict[tuple[str, str], tuple[int | None, int]] = {}  # (store, lesson) -> (newest seq, count then)
        self._builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lessonkit-report")

    def events(self, lesson: str) -> int:
        """The lesson's event count, the page's version.  Counting reads every event of the lesson
        (a tenth of a second and more for a million), so it is counted again only when the store
        holds an event newer than at the last count: at rest, a teacher's poll is one index lookup."""
        from lessonkit.progress import open_store
        from lessonkit.report.facts import event_count, newest_seq

        with open_store() as store:  # the class's store: lessonkit serve sets LESSONKIT_DB
            newest = newest_seq(store)
            key = (repr(store), lesson)  # a store's seq says nothing of another's (a test's, a new LESSONKIT_DB)
            with self._lock:
                known = self._counts.get(key)
            if newest is not None and known is not None and known[0] == newest:
                return known[1]
            count = event_count(store, lesson)  # an event written since `newest` only makes the next poll count again
        with self._lock:
            self._counts[key] = (newest, count)
        return count

    async def page(self, lesson: str) -> str:
        """The dashboard's HTML for ``lesson`` as of now, or within :data:`FIRST_PAINT_S` the page
        there is while a build catches up (its version is older, so the page asks again)."""
        from lessonkit.report import render_waiting

        count = await asyncio.to_thread(self.events, lesson)  # off the loop that serves every student
        if not count:
            return render_waiting(lesson, self._live(lesson, count))
        with self._lock:
            cached = self._pages.get(lesson)
            if cached and cached[0] == count:
                return cached[1]
            building = self._building.get(lesson)
            if building is None or building[1].done():  # done: of an older count, or failed
                building = (count, self._builder.submit(self._build, lesson, count))
                building[1].add_done_callback(_logged)
                self._building[lesson] = building
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(building[1])), FIRST_PAINT_S)
        except asyncio.TimeoutError:
            return cached[1] if cached else render_waiting(lesson, self._live(lesson, -1), events=count)

    def _build(self, lesson: str, count: int) -> str:
        from lessonkit.report import build_report, render_html

        html = render_html(build_report(None, lesson), live=self._live(lesson, count))
        with self._lock:
            if lesson not in self._pages or self._pages[lesson][0] < count:
                self._pages[lesson] = (count, html)
        return html

    @staticmethod
    def _live(lesson: str, count: int) -> dict[str, Any]:
        """What the page's script needs: where to poll, how often, and the page's own version
        (``-1`` on the page saying the report is being built: any count is newer)."""
        return {"poll": f"{PATH}/{lesson}.json", "seconds": POLL_SECONDS, "events": count}


def _logged(build: Future[str]) -> None:
    """A build that failed is logged: the page that waited for it may have been answered already."""
    if not build.cancelled() and build.exception() is not None:
        log.error("the class report could not be built", exc_info=build.exception())


REPORTS = _Reports()


class _Dashboard(web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")  # every student's answers: never in a cache
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "no-referrer")

    def prepare(self) -> None:
        require_teacher(self)


class DashboardPage(_Dashboard):
    async def get(self, lesson: str) -> None:
        self.finish(await REPORTS.page(lesson))


class DashboardVersion(_Dashboard):
    async def get(self, lesson: str) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"events": await asyncio.to_thread(REPORTS.events, lesson)}))


def handlers() -> list[tuple[str, Any]]:
    """What ``serve/app.py`` registers; a lesson id is letters, digits, ``-`` and ``_``."""
    return [(rf"{PATH}/([A-Za-z0-9_-]+)\.json", DashboardVersion), (rf"{PATH}/([A-Za-z0-9_-]+)", DashboardPage)]
