"""``lessonkit build``: one lesson source, three outputs, all or nothing.

Outputs are written to a temporary folder beside their destination and swapped in only
when every one of them was written, so a failed build leaves the previous outputs as
they were.  The same source always gives byte-identical outputs (salts and variants are
derived from the lesson, cell ids are numbered), so rebuilding shows no diff.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lessonkit.compile.course import course_entry
from lessonkit.compile.validate import Report, validate_lesson
from lessonkit.engine.points import plan_points
from lessonkit.engine.routes import lesson_routes
from lessonkit.engine.seal import grading_key, seal_lesson
from lessonkit.format import blob, writer
from lessonkit.format.assets import lesson_assets
from lessonkit.format.rows import rows_files
from lessonkit.model import Lesson, LessonError


@dataclass
class Built:
    """Where one lesson's outputs went."""

    lesson: Lesson
    student: Path
    page: Path
    nbgrader: Path
    report: Report


def build_lesson(source: str | Path, *, out: str | Path = "build", course: str | Path = "grading",
                 run_code: bool = True) -> Built:
    """Validate a lesson, then write its student notebook, page and nbgrader source.

    Raises :class:`LessonError` (and writes nothing) when the lesson has errors.
    """
    report = validate_lesson(source, run_code=run_code)
    if not report.ok or report.lesson is None:
        raise LessonError(report.errors)
    lesson = report.lesson
    sealed = blob.encode(seal_lesson(lesson) | course_entry(source))  # its course: mastery across lessons
    keys = writer.GradeKeys(sealed, {c.id: grading_key(lesson, c) for c in lesson.checks.values()},
                            **points_layout(lesson))
    name = f"{lesson.id}.ipynb"
    outputs = {
        Path(out) / lesson.id / "student": writer.student_notebook(lesson, sealed),
        Path(out) / lesson.id / "page": writer.page_notebook(lesson, sealed),
        Path(course) / "source" / lesson.id: writer.nbgrader_notebook(lesson, keys),
    }
    teachers = rows_files(lesson, Path(source).parent)  # variant rows may hold answers
    assets = [asset for asset in lesson_assets(Path(source)) if asset.resolve() not in teachers]
    staged = []
    try:
        for destination, notebook in outputs.items():
            destination.parent.mkdir(parents=True, exist_ok=True)
            stage = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
            staged.append((stage, destination))
            for asset in assets:
                target = stage / asset.relative_to(Path(source).parent)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(asset, target)
            (stage / name).write_text(writer.dumps(notebook), encoding="utf-8")
        for stage, destination in staged:
            _swap(stage, destination)
    finally:
        for stage, _ in staged:
            shutil.rmtree(stage, ignore_errors=True)
    paths = [destination / name for destination in outputs]
    return Built(lesson, paths[0], paths[1], paths[2], report)


def points_layout(lesson: Lesson) -> dict[str, Any]:
    """How the nbgrader source lays out the lesson's points so they honour each route
    (``engine.points``; docs/grading.md, "Points and routes"), as the writer takes it."""
    path, facts = lesson_routes(lesson)
    plan = plan_points(path, facts)
    return {
        "roles": {check: plan.role(check) for check in lesson.checks},
        "slots": [{"id": slot.id, "title": slot.title, "points": slot.points,
                   "options": [[{"check": m.check, "points": m.points, "mastery": list(m.mastery)} for m in option]
                               for option in slot.options]}
                  for slot in plan.slots],
    }


def _swap(stage: Path, destination: Path) -> None:
    """Put a staged folder in place of ``destination`` with renames, never a half-written state."""
    old = None
    if destination.exists():
        old = destination.with_name(f".{destination.name}.old-{os.getpid()}")
        os.replace(destination, old)
    os.replace(stage, destination)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
