"""The live class dashboard in ``lessonkit serve``: the class report, for signed-in teachers only,
updated while students work.

``/lessonkit/dashboard/LESSON`` is the report's page (``lessonkit.report``) with a small script;
``/lessonkit/dashboard/LESSON.json`` says how many events the lesson has.  The page asks for
that every :data:`POLL_SECONDS` and, when it grew, fetches the page again and swaps its
content, so a new answer shows within a few seconds without a reload.  The report is rebuilt
only when the lesson has new events (:class:`_Reports`), however many teachers watch.

Who may see it: a member of the roster marked as a teacher (``lessonkit class add NAME
--teacher``), signed in with the session cookie or named by a trusted proxy.  Nobody signed in
is sent to the sign-in page; anyone else (a student, the unnamed single user of a server
without roster) gets 403, because the page holds every student's answers.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from tornado import web

from lessonkit.serve.auth import require_teacher

#: How often the page asks whether the lesson has new events; a new answer shows within this
#: and one rebuild of the report.
POLL_SECONDS = 2.0

PATH = "/lessonkit/dashboard"


class _Reports:
    """The latest report of each lesson, keyed by its event count: rebuilt once per change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[int, str]] = {}

    def events(self, lesson: str) -> int:
        from lessonkit.progress import open_store
        from lessonkit.report.facts import event_count

        with open_store() as store:  # the class's store: lessonkit serve sets LESSONKIT_DB
            return event_count(store, lesson)

    def page(self, lesson: str) -> tuple[int, str]:
        from lessonkit.report import build_report, render_html, render_waiting

        count = self.events(lesson)
        with self._lock:
            cached = self._pages.get(lesson)
            if cached and cached[0] == count:
                return cached
            live = {"poll": f"{PATH}/{lesson}.json", "seconds": POLL_SECONDS, "events": count}
            html = render_html(build_report(None, lesson), live=live) if count else render_waiting(lesson, live)
            self._pages[lesson] = (count, html)
            return count, html


REPORTS = _Reports()


class _Dashboard(web.RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")  # every student's answers: never in a cache
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "no-referrer")

    def prepare(self) -> None:
        require_teacher(self)


class DashboardPage(_Dashboard):
    def get(self, lesson: str) -> None:
        self.finish(REPORTS.page(lesson)[1])


class DashboardVersion(_Dashboard):
    def get(self, lesson: str) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"events": REPORTS.events(lesson)}))


def handlers() -> list[tuple[str, Any]]:
    """What ``serve/app.py`` registers; a lesson id is letters, digits, ``-`` and ``_``."""
    return [(rf"{PATH}/([A-Za-z0-9_-]+)\.json", DashboardVersion), (rf"{PATH}/([A-Za-z0-9_-]+)", DashboardPage)]
