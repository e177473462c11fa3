"""Grades out of the gradebook: nbgrader's ``grades.csv``, and a Canvas gradebook import file.

Both read nbgrader's gradebook, so manual grades and late penalties entered in formgrader
are included.  nbgrader's own ``CsvExportPlugin`` writes its rows with ``str.format``, which
breaks a name with a comma in it; here the same columns and values go through :mod:`csv`.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Sequence

from nbgrader.api import Gradebook, MissingEntry

from lessonkit.grade.course import Course

GRADES_COLUMNS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                  "raw_score", "late_submission_penalty", "score", "max_score")
"""The columns of ``nbgrader export`` (``grades.csv``), in its order."""

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
"""The leading columns of a Canvas gradebook export, which its import expects."""


def export_csv(path: str | os.PathLike[str], *, course_dir: str | os.PathLike[str] = "grading",
               assignments: Sequence[str] | None = None) -> Path:
    """Write nbgrader's ``grades.csv``: one row per student and assignment (no submission: 0)."""
    course = Course(course_dir)
    with course.gradebook() as gradebook, open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(GRADES_COLUMNS)
        for assignment in _assignments(gradebook, assignments):
            for student in gradebook.students:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    timestamp, raw, penalty = "", 0.0, 0.0
                else:
                    timestamp, raw, penalty = submission.timestamp, submission.score, submission.late_submission_penalty
                row = (assignment.name, assignment.duedate, timestamp, student.id, student.last_name,
                       student.first_name, student.email, raw, penalty, max(0.0, raw - penalty),
                       assignment.max_score)
                writer.writerow(["" if value is None else str(value) for value in row])
    return Path(path)


def export_canvas_csv(path: str | os.PathLike[str], *, course_dir: str | os.PathLike[str] = "grading",
                      assignments: Sequence[str] | None = None) -> Path:
    """Write a file Canvas's gradebook import reads: one row per student, one column per assignment.

    Canvas matches rows by ``ID`` (the student's ``lms_user_id`` in nbgrader, when known) or by
    ``SIS Login ID`` (the nbgrader student id, usually the login).  A student with no
    submission gets an empty cell, which Canvas leaves unchanged, rather than a 0.  The
    ``Points Possible`` row gives each assignment's maximum.
    """
    course = Course(course_dir)
    with course.gradebook() as gradebook, open(path, "w", newline="", encoding="utf-8") as handle:
        chosen = _assignments(gradebook, assignments)
        writer = csv.writer(handle)
        writer.writerow([*CANVAS_COLUMNS, *(a.name for a in chosen)])
        writer.writerow(["Points Possible", "", "", "", "", *(_number(a.max_score) for a in chosen)])
        for student in gradebook.students:
            name = ", ".join(part for part in (student.last_name, student.first_name) if part) or student.id
            scores = []
            for assignment in chosen:
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    scores.append("")
                else:
                    scores.append(_number(max(0.0, submission.score - submission.late_submission_penalty)))
            writer.writerow([name, student.lms_user_id or "", "", student.id, "", *scores])
    return Path(path)


def _assignments(gradebook: Gradebook, names: Sequence[str] | None) -> list:  # noqa: ANN401 (nbgrader's ORM rows)
    chosen = [a for a in gradebook.assignments if names is None or a.name in names]
    unknown = set(names or ()) - {a.name for a in chosen}
    if unknown:
        raise ValueError(f"not in the gradebook: {', '.join(sorted(unknown))}")
    return chosen


def _number(value: float) -> str:
    return f"{value:g}"
