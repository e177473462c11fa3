"""A lesson's events in the formats other tools read: xAPI statements for a learning record
store, a CSV pyBKT fits, and a CSV with one row per student for a spreadsheet; and the class's
grades, from nbgrader's gradebook, in the gradebook formats the grader exports.

Every export is written to a temporary file beside the target and renamed over it only once
complete, so an error (a bad store, an event that cannot be exported) leaves nothing
half-written where the teacher looks.  See ``docs/report.md``, "Exports".
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from lessonkit.progress import ANSWERED, MASTERY_CHANGED, Event, to_xapi

#: The columns pyBKT's ``Model.fit(data=...)`` reads by default (its ``defaults``), in order.
PYBKT_COLUMNS = ("order_id", "user_id", "skill_name", "correct")


def xapi_statements(events: Iterable[Event], homepage: str) -> Iterator[dict]:
    """One xAPI 1.0.3 statement per event (``lessonkit.progress.xapi``)."""
    for event in events:
        yield to_xapi(event, homepage=homepage)


def bkt_observations(events: Iterable[Event]) -> Iterator[tuple[str, str, int]]:
    """(student, skill, correct) for every item of mastery evidence, in the order it was given.

    Evidence is what the lesson's own BKT updated on (architecture §7): an ``answered`` whose
    ``evidence`` is true or false, on the skills of the ``mastery_changed`` events its answer
    wrote right after it (one per skill of the check).  Retries, reviews and items voided
    by a bottom-out hint are not evidence, and pyBKT must not see them either.
    """
    pending: dict[str, tuple[str, bool]] = {}  # student -> (check, evidence) of their last answer
    for event in events:
        if event.type == ANSWERED:
            evidence = event.data.get("evidence")
            if evidence is None or event.check_id is None:
                pending.pop(event.student_id, None)
            else:
                pending[event.student_id] = (event.check_id, bool(evidence))
        elif event.type == MASTERY_CHANGED and event.data.get("skill"):
            last = pending.get(event.student_id)
            if last is not None and last[0] == event.check_id:
                yield event.student_id, str(event.data["skill"]), int(last[1])


def write_xapi(events: Iterable[Event], out: IO[str], homepage: str) -> int:
    """A JSON array of statements, as an LRS takes them in one ``POST /statements``."""
    count = 0
    out.write("[")
    for statement in xapi_statements(events, homepage):
        out.write(("," if count else "") + "\n" + json.dumps(statement, ensure_ascii=False, allow_nan=False))
        count += 1
    out.write("\n]\n")
    return count


def write_pybkt(events: Iterable[Event], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PYBKT_COLUMNS)
    count = 0
    for count, (student, skill, correct) in enumerate(bkt_observations(events), start=1):
        writer.writerow((count, student, skill, correct))
    return count


def summary_rows(report: object) -> list[list[object]]:
    """One row per student of a :class:`~lessonkit.report.stats.ClassReport`, with a header."""
    from lessonkit.report.stats import ClassReport

    assert isinstance(report, ClassReport)
    header: list[object] = ["student", "finished", "minutes_on_task", "answers", "flags", "needs_help"]
    for skill in report.skills:
        header += [f"{skill} status", f"{skill} p_learned"]
    helped = {h.student for h in report.needs_help}
    rows = [header]
    for p in report.per_student:
        row: list[object] = [p.student, int(p.finished), round(p.seconds_on_task / 60, 1), p.answered,
                             ";".join(sorted({f.kind for f in p.flags})), int(p.student in helped)]
        for skill in report.skills:
            cell = report.grid[p.student][skill]
            row += [cell.status, "" if cell.p is None else f"{cell.p:.4f}"]
        rows.append(row)
    return rows


def write_summary(report: object, out: IO[str]) -> int:
    rows = summary_rows(report)
    csv.writer(out, lineterminator="\n").writerows(rows)
    return len(rows) - 1


def write_atomically(path: str | os.PathLike[str], write: Callable[[IO[str]], int]) -> int:
    """``write`` into a temporary file beside ``path``, then rename it over ``path``: all or nothing."""
    with _beside(path) as (handle, _):
        with io.open(handle, "w", encoding="utf-8", newline="") as out:
            count = write(out)
            out.flush()
            os.fsync(out.fileno())
    return count


#: What ``lessonkit export --format`` takes for grades, and the writer of :mod:`lessonkit.grade.export` behind each.
GRADE_FORMATS = {"grades": "export_csv", "canvas": "export_canvas_csv"}


def write_grades(path: str | os.PathLike[str], fmt: str, course_dir: str | os.PathLike[str],
                 lesson: str | None = None) -> int:
    """The class's grades from the nbgrader gradebook ``lessonkit grade`` writes, in one of the
    formats the grader already exports (:data:`GRADE_FORMATS`): nbgrader's ``grades.csv`` (a row
    per student and lesson) or a Canvas gradebook import (a row per student, a column per lesson).

    The gradebook is the source of truth, not the progress store: it holds the scores of the
    submitted notebooks, the grades a teacher gave by hand in formgrader and the late
    penalties, none of which is an event.  ``lesson`` (an assignment of the gradebook) limits
    the export to it; otherwise every lesson graded is in.  Returns the rows written.
    """
    from lessonkit import grade
    from lessonkit.grade.course import Course
    from lessonkit.report import ReportError

    course = Course(course_dir)  # a missing folder is a GradingError that says so
    book = course.db_url.removeprefix("sqlite:///")
    if course.db_url.startswith("sqlite:///") and not Path(book).exists():
        raise ReportError(f"no gradebook at {book}: grade the lessons first (lessonkit grade LESSON --course "
                          f"{course_dir}), or pass --course the nbgrader course folder they were graded in")
    with _beside(path) as (handle, temporary):
        os.close(handle)  # nbgrader's writers open the file themselves
        try:
            getattr(grade, GRADE_FORMATS[fmt])(temporary, course_dir=course.root,
                                               assignments=[lesson] if lesson else None)
        except ValueError as error:  # an assignment the gradebook does not have
            raise ReportError(f"{error} (the gradebook at {book}): check --lesson, or grade the lesson first "
                              f"(lessonkit grade {lesson} --course {course_dir})") from None
        with open(temporary, newline="", encoding="utf-8") as written:
            rows = sum(1 for _ in csv.reader(written))
    return rows - (2 if fmt == "canvas" else 1)  # the header, and Canvas's "Points Possible" row


@contextlib.contextmanager
def _beside(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """A temporary file beside ``path`` (its open descriptor and its name), renamed over ``path``
    when the block ends normally and removed when it does not."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        yield handle, temporary
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
