"""A lesson's own files (data, images): what goes beside every output and what code checks run beside.

Everything in the lesson's folder but notebooks and hidden or cache folders, in a stable order.
"""

from __future__ import annotations

from pathlib import Path

from lessonkit.model import Lesson


def lesson_assets(source: Path) -> list[Path]:
    """The files a lesson uses (data, images): everything in its folder but notebooks and
    hidden or cache folders.  They go next to every output, and code checks run beside them."""
    folder = source.parent
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix != ".ipynb"
                  and not any(part.startswith(".") or part == "__pycache__" for part in p.relative_to(folder).parts))


def lesson_files(lesson: Lesson) -> dict[str, bytes]:
    """The lesson's files by their path relative to the lesson, as a contained run needs them."""
    source = Path(lesson.path)
    return {p.relative_to(source.parent).as_posix(): p.read_bytes() for p in lesson_assets(source)}
