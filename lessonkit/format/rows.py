"""A check's variant rows from a CSV file in the lesson's folder.

The teacher keeps a table (prices, measurements, names) beside the lesson and draws
variants from its rows.  Values are read as numbers where they look like numbers, so
``{price * 2}`` works on a column of prices; everything else stays text.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from lessonkit.errors import LessonkitError
from lessonkit.model import Lesson

__all__ = ["RowsError", "read_rows", "rows_files"]


class RowsError(LessonkitError, ValueError):
    """The rows file cannot be used; the message says why and the reader says where."""


def read_rows(folder: Path, name: str) -> tuple[dict[str, Any], ...]:
    """The rows of ``name`` (a CSV file with a header row) in the lesson's ``folder``.

    The file must be inside the folder, because what a lesson uses travels with it (it is
    copied beside every output); the header's column names become the variant's values.
    """
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise RowsError(f"{name!r} is outside the lesson's folder: keep the data file beside the lesson")
    if path.suffix.lower() != ".csv":
        raise RowsError(f"{name!r} is not a .csv file: rows come from a CSV file with a header row")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RowsError(f"there is no file {name!r} beside the lesson (looked in {folder})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RowsError(f"{name!r} cannot be read: {error}") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    bad = [c for c in columns if not c.isidentifier()]
    if bad:
        raise RowsError(f"the column name(s) {', '.join(map(repr, bad))} of {name!r} are not simple names "
                        "(letters, digits and _, as templates name them: {price})")
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            raise RowsError(f"line {number} of {name!r} does not have one value per column")
        rows.append({column: _value(value) for column, value in row.items()})
    if not rows:
        raise RowsError(f"{name!r} has a header but no rows")
    return tuple(rows)


def _value(text: str) -> Any:
    """A CSV cell as a template would use it: 12 and 1.5 as numbers, anything else as text."""
    stripped = text.strip()
    for kind in (int, float):
        try:
            value = kind(stripped)
        except ValueError:
            continue
        return value if math.isfinite(value) else text
    return text


def rows_files(lesson: Lesson, folder: Path) -> set[Path]:
    """The rows files of a lesson's checks, in its ``folder``: they may hold the answers (a
    column the answer is templated from), so the build copies them to no student or release."""
    return {(folder / check.variants.rows_file).resolve() for check in lesson.checks.values()
            if check.variants is not None and check.variants.rows_file}
