"""A student's portfolio: one self-contained HTML file of their own work, theirs to keep.

What goes in: the lessons they did and when, the skills they mastered and when, each question
they answered with their own answers (and code), their reflections, goals and how well their
confidence matched their results.  What never goes in: an answer key (not even the salted
hashes the page holds), a hint, a solution, a hidden test, or anything of another student.
It is built from one student's histories only (``store.history(lesson, student)``), and a
question is shown by its prompt alone, taken from the sealed lesson.

The file loads nothing (CSS inline, no script, no font or image from anywhere), so it opens
offline years later; every value from the log goes through Jinja's autoescaping, because an
answer is whatever the student typed.  A PDF is printed from it by headless Chromium when
one is installed (:func:`pdf_converter`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lessonkit.engine.seal import seal_lesson
from lessonkit.errors import LessonkitError
from lessonkit.format.reader import parse_lesson
from lessonkit.model.course import COURSE_FILE, parse_course
from lessonkit.progress import ANSWERED, EventStore, StudentState
from lessonkit.progress.course import course_progress
from lessonkit.progress.selfassessment import (
    GOAL_LEVELS,
    Calibration,
    Goal,
    Reflection,
    calibration,
    latest_goal,
    reflections,
)

__all__ = ["AnsweredCheck", "LessonWork", "Portfolio", "PortfolioError", "build_portfolio", "lessons_at",
           "pdf_converter", "render_portfolio", "write_pdf"]

TEMPLATES = Path(__file__).parent / "templates"


class PortfolioError(LessonkitError, ValueError):
    """The portfolio could not be made from what was given (no lessons, no work for the student)."""


@dataclass(frozen=True)
class AnsweredCheck:
    """One question the student answered: its prompt, their answers in order, how it went."""

    check_id: str
    prompt: str
    input: str
    answers: tuple[str, ...]
    correct: bool
    pending: bool
    best_score: float


@dataclass(frozen=True)
class LessonWork:
    lesson_id: str
    title: str
    status: str  # "finished" | "in progress"
    started: datetime | None
    last_active: datetime | None
    checks: tuple[AnsweredCheck, ...]
    reflections: tuple[Reflection, ...]
    goal: Goal | None
    calibration: Calibration
    skill_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MasteredSkill:
    name: str
    lesson_title: str
    when: datetime


@dataclass(frozen=True)
class Portfolio:
    student_id: str
    title: str
    generated: datetime
    lessons: tuple[LessonWork, ...]
    mastered: tuple[MasteredSkill, ...]


def lessons_at(path: str | os.PathLike[str]) -> tuple[str, list[Mapping[str, Any]]]:
    """The lessons a portfolio covers, sealed: a course file's lessons in its order (or the
    course in a folder), else every lesson notebook in the folder.  Returns (title, lessons).

    Sealed, so the portfolio is made from what the student's page holds and the teacher's
    answers never enter it, whoever runs the command."""
    path = Path(path)
    course_file = path if path.suffix == ".toml" else path / COURSE_FILE
    notebooks: list[Path]
    title = "My lessons"
    if course_file.is_file():
        course, _ = parse_course(course_file)
        if course is None:
            raise PortfolioError(f"{course_file}: the course file cannot be read; run lessonkit validate on it")
        title = course.title
        notebooks = [course.notebook(entry.id) for entry in course.lessons if course.notebook(entry.id).is_file()]
    elif path.is_file():
        notebooks = [path]
    elif path.is_dir():
        notebooks = sorted(p for p in path.rglob("*.ipynb")
                           if ".lesson(" in p.read_text(encoding="utf-8", errors="replace"))
    else:
        raise PortfolioError(f"{path}: no such lesson, folder or course file")
    lessons = [lesson for lesson in (parse_lesson(nb)[0] for nb in notebooks) if lesson is not None]
    return title, [seal_lesson(lesson) for lesson in lessons]


def build_portfolio(store: EventStore, student_id: str, lessons: Sequence[Mapping[str, Any]], *,
                    title: str = "My lessons", now: float | None = None) -> Portfolio:
    """One student's work in ``lessons`` (sealed lessons), from their own events only."""
    if not lessons:
        raise PortfolioError("no lessons to make a portfolio of: give --lessons a course file or a folder of lessons")
    moment = datetime.now(timezone.utc) if now is None else datetime.fromtimestamp(now, timezone.utc)
    progress = course_progress(store, student_id, [lesson["id"] for lesson in lessons])
    titles = {lesson["id"]: lesson["title"] for lesson in lessons}
    names = {sid: skill.get("name") or sid for lesson in lessons for sid, skill in lesson["skills"].items()}
    works = []
    for lesson in lessons:
        events = store.history(lesson["id"], student_id)
        if events:
            works.append(_lesson_work(lesson, progress.lessons[lesson["id"]], events, names))
    if not works:
        raise PortfolioError(f"no work by {student_id!r} in these lessons: check --student and --store")
    mastered = tuple(MasteredSkill(names.get(r.skill, r.skill), titles.get(r.lesson, r.lesson), _when(r.mastered_at))
                     for r in progress.mastered() if r.mastered_at is not None and r.skill in names)
    return Portfolio(student_id, title, moment, tuple(works), mastered)


def _lesson_work(sealed: Mapping[str, Any], state: StudentState, events: list, names: Mapping[str, str]) -> LessonWork:
    # one question per item answered, in the order first met: a variant is a question of its own
    answered: dict[tuple[str, Any], list[Mapping[str, Any]]] = {}
    for event in events:
        if event.type == ANSWERED and event.check_id in sealed["checks"]:
            answered.setdefault((event.check_id, event.data.get("item")), []).append(event.data)
    checks = []
    for (check_id, item_index), tries in answered.items():
        check = sealed["checks"][check_id]
        items = check["items"]
        item = items[item_index] if isinstance(item_index, int) and 0 <= item_index < len(items) else items[0]
        scores = [float(t["score"]) if t.get("score") is not None else float(bool(t.get("correct"))) for t in tries
                  if not t.get("pending")]
        checks.append(AnsweredCheck(check_id, str(item.get("prompt", "")), check["input"],
                                    tuple(_shown(t.get("answer"), item) for t in tries),
                                    any(bool(t.get("correct")) for t in tries), bool(tries[-1].get("pending")),
                                    max(scores, default=0.0)))
    return LessonWork(sealed["id"], sealed["title"], "finished" if state.finished else "in progress",
                      _when(events[0].ts), _when(events[-1].ts), tuple(checks), tuple(reflections(events)),
                      latest_goal(events), calibration(events), {s: names.get(s, s) for s in sealed["skills"]})


def _shown(answer: Any, item: Mapping[str, Any]) -> str:
    """An answer as the student saw it: a choice by its option's text, not its index."""
    options = item.get("options")
    if isinstance(options, list):
        picked = answer if isinstance(answer, list) else [answer]
        if all(isinstance(p, int) and 0 <= p < len(options) for p in picked):
            return ", ".join(str(options[p]) for p in picked)
    return "" if answer is None else str(answer)


def _when(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc)


_FRACTION = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
_SYMBOLS = {r"\times": "\u00d7", r"\cdot": "\u00b7", r"\div": "\u00f7", r"\le": "\u2264", r"\ge": "\u2265",
            r"\approx": "\u2248", r"\,": "\u2009"}


def plain_math(text: str) -> str:
    """Inline TeX as plain text (``$\\frac{2}{3}$`` as 2/3): the file loads no maths renderer."""
    def inline(match: re.Match[str]) -> str:
        body = _FRACTION.sub(r"\1/\2", match.group(1))
        for tex, char in _SYMBOLS.items():
            body = body.replace(tex, char)
        return body.replace("{", "").replace("}", "")

    return re.sub(r"\$([^$]+)\$", inline, text)


def render_portfolio(portfolio: Portfolio) -> str:
    """The portfolio's HTML text."""
    import jinja2
    import mistune

    markdown = mistune.create_markdown(escape=True)  # a prompt is shown as text, never as the teacher's HTML
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["prompt"] = lambda text: jinja2.filters.Markup(markdown(plain_math(text)))
    env.filters["day"] = lambda moment: moment.strftime("%-d %B %Y") if moment else ""
    return env.get_template("portfolio.html.j2").render(p=portfolio, levels=GOAL_LEVELS)


def pdf_converter() -> str | None:
    """Headless Chromium, if installed: the one converter that prints this HTML as it looks."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(html_path: Path, pdf_path: Path, converter: str) -> Path:
    """Print the HTML file to PDF with headless Chromium (no network: the file needs none)."""
    with tempfile.TemporaryDirectory(prefix="lessonkit-pdf-") as profile:
        done = subprocess.run([converter, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               f"--user-data-dir={profile}", "--no-pdf-header-footer",
                               f"--print-to-pdf={pdf_path.resolve()}", html_path.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not pdf_path.is_file():
        raise PortfolioError(f"{converter} could not print {html_path} to PDF: {done.stderr.strip()[-500:]}")
    return pdf_path
