"""The report as one self-contained HTML file: CSS inline, figures as data URIs, no script
(the class server's live dashboard adds one, :func:`render_html`'s ``live``).

A teacher opens it from a USB stick on a school laptop with no network, so it loads
nothing.  Every value from the log goes through Jinja's autoescaping: an answer is what a
student typed, and ``<script>`` typed into a box must stay text in the teacher's browser.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lessonkit.report.plots import SHADES, figures, mastery_heatmap
from lessonkit.report.stats import DONE, ClassReport
from lessonkit.report.trendplots import trend_figures

TEMPLATES = Path(__file__).parent / "templates"

#: A class up to this size is shown in full: every student's section, every grid cell in words.
FULL_CLASS = 40

#: In a larger class, at most this many students get a full section (route, flags, answers): the
#: ones on the help list, then the flagged.  Everyone else is one row of a table, so that a class
#: of 1,000 is a file a school laptop opens (10 MB with every section), not a book.
DETAILED = 100

#: Shown beside each grid cell's colour, so the grid reads without colour (and in print).
SYMBOLS = {"not started": "\u25cb", "practising": "\u25d0", "mastered": "\u25cf", "review due": "\u21bb"}


def _minutes(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def _anchors(students: tuple[str, ...]) -> dict[str, str]:
    """An id per student that is valid in HTML whatever the student id holds (an email, spaces)."""
    return {s: f"student-{n}-" + re.sub(r"[^A-Za-z0-9_-]+", "-", s)[:40] for n, s in enumerate(students)}


def _environment():  # type: ignore[no-untyped-def]
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _detailed(report: ClassReport) -> tuple[list[str], int]:
    """The students shown in full, in the report's order, and how many wanted to be."""
    if len(report.students) <= FULL_CLASS:
        return list(report.students), len(report.students)
    helped = [h.student for h in report.needs_help]
    listed = set(helped)
    wanted = helped + [p.student for p in report.per_student if p.flags and p.student not in listed]
    return wanted[:DETAILED], len(wanted)


def render_html(report: ClassReport, *, live: Mapping[str, Any] | None = None) -> str:
    """The report's HTML text.  ``live`` (the class server's dashboard: ``poll``, the URL of
    the lesson's event count, ``seconds`` between polls, ``events`` now) adds the one script,
    which refreshes the page's content when the count changes; the file report has none."""
    as_of = datetime.fromtimestamp(report.as_of, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    detailed, wanted = _detailed(report)
    shown = set(detailed)
    return _environment().get_template("report.html.j2").render(live=live,
        r=report, figures={**figures(report), **trend_figures(report)}, anchors=_anchors(report.students),
        heatmap=mastery_heatmap(report) if report.students and report.skills else None, shades=SHADES,
        symbols=SYMBOLS,
        flagged={p.student: sorted({f.kind.replace("_", " ") for f in p.flags if f.kind != "stuck"})
                 for p in report.per_student},
        detailed=shown, wanted=wanted, brief=[p for p in report.per_student if p.student not in shown],
        mastered={s: sum(c.status in DONE for c in row.values()) for s, row in report.grid.items()},
        words=len(report.students) <= FULL_CLASS, minutes=_minutes, as_of=as_of)


def render_waiting(lesson_id: str, live: Mapping[str, Any], *, events: int = 0) -> str:
    """The dashboard of a lesson no student has started yet, or (``events``) whose report is being
    built: it fills in once one has started, or the report is ready."""
    return _environment().get_template("waiting.html.j2").render(lesson_id=lesson_id, live=live, events=events)


def write_html(report: ClassReport, path: str | os.PathLike[str]) -> Path:
    """Write the report to ``path`` (folders are created) and return where it went."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    return out
