"""Layer 6, the teacher's class report: who needs help, how to group the class, how each
check and each student did, from a lesson's events.

:func:`build_report` has the database aggregate a lesson's events
(:mod:`lessonkit.report.facts`) and computes the report from those figures
(:mod:`lessonkit.report.stats`); :func:`write_html` writes the self-contained HTML
file (:mod:`lessonkit.report.html`, figures from :mod:`lessonkit.report.plots`);
:func:`summary` is the terminal's short version.  The code checks' failing tests
(:mod:`lessonkit.report.codechecks`), the class over time (:mod:`lessonkit.report.trends`) and
self-assessment (:mod:`lessonkit.report.selfassessment`) come from their own queries.  See ``docs/report.md``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from lessonkit.errors import LessonkitError
from lessonkit.progress import EventStore, open_store
from lessonkit.report.html import render_html, render_waiting, write_html
from lessonkit.report.codechecks import code_check_failures
from lessonkit.report.facts import lesson_facts
from lessonkit.report.queries import readers, sql_store
from lessonkit.report.selfassessment import lesson_selfassessment
from lessonkit.report.stats import (
    DONE,
    Cell,
    CheckStats,
    ClassReport,
    FeedbackFired,
    Group,
    HelpNeeded,
    StudentReport,
    assemble,
)
from lessonkit.report.terminal import summary
from lessonkit.report.trends import lesson_trends

__all__ = [
    "Cell",
    "CheckStats",
    "ClassReport",
    "FeedbackFired",
    "Group",
    "HelpNeeded",
    "ReportError",
    "StudentReport",
    "build_report",
    "lesson_store",
    "render_html",
    "render_waiting",
    "summary",
    "write_html",
]


class ReportError(LessonkitError):
    """There is nothing to report on; the message says what is missing and how to fix it."""


def build_report(store_url: str | None = None, lesson: str | None = None) -> ClassReport:
    """The class report for ``lesson`` from the store at ``store_url`` (else ``LESSONKIT_DB``,
    else the default SQLite file).

    ``lesson`` is required in practice: the store's protocol lists a lesson's students but
    not the lessons, so ``None`` is refused with a message saying how to name one.  A
    store file that does not exist is refused rather than created empty.
    """
    with lesson_store(store_url, lesson) as store, sql_store(store, str(lesson)) as sql, readers(sql) as pool:
        lesson = str(lesson)
        # submitted first, so that they run while the facts' queries queue
        trends = pool.submit(lesson_trends, sql, lesson)
        code_checks = pool.submit(code_check_failures, sql, lesson)
        selfassessment = pool.submit(lesson_selfassessment, sql, lesson)
        facts = lesson_facts(sql, lesson, pool)
        if not facts.events:
            raise no_events(store_url, lesson)
        report = assemble(facts)
        mastered = {s: {k for k, c in row.items() if c.status in DONE} for s, row in report.grid.items()}
        return dataclasses.replace(report, code_checks=code_checks.result(), trends=trends.result(),
                                   selfassessment=selfassessment.result().with_progress(mastered))


@contextlib.contextmanager
def lesson_store(store_url: str | None, lesson: str | None) -> Iterator[EventStore]:
    """The store a report, an export or a fit reads ``lesson`` from, refused with a sentence
    saying what to fix when the lesson is not named or the store file does not exist."""
    if not lesson:
        raise ReportError("name the lesson to report on: --lesson ID (the id in the lesson's lk.lesson(id=...))")
    missing = _missing_file(store_url)
    if missing is not None:
        raise ReportError(f"no event store at {missing}: pass --store the file the class's events are in "
                          "(sqlite:///path/progress.sqlite, a path, or postgresql+psycopg://...)")
    with open_store(store_url) as store:
        yield store


def no_events(store_url: str | None, lesson: str) -> ReportError:
    where = store_url or "the configured store"
    return ReportError(f"no events for lesson {lesson!r} in {where}: check the lesson id and --store "
                       "(students' events go to LESSONKIT_DB, or to the store `lessonkit grade` imports into)")


def _missing_file(store_url: str | None) -> Path | None:
    """The file a SQLite or JSON-lines store URL names, when it does not exist: opening it would
    create an empty store, and a report of nothing hides the typo."""
    if store_url is None or "://" in store_url and not store_url.startswith("sqlite:///"):
        return None
    path = Path(store_url.removeprefix("sqlite:///") if "://" in store_url else store_url).expanduser()
    return None if path.exists() else path
