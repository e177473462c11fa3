"""Problems found in a lesson, each saying what, where and how to fix it.

A teacher fixes a lesson from these messages alone, so every problem carries the file,
the cell (number and id), the check or step defined there, and the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from lessonkit.errors import LessonkitError


@dataclass(frozen=True)
class Where:
    """A place in a lesson source: file, cell, the check or step there, and field.

    ``cell_index`` counts from 0, as nbformat does; it is shown counting from 1, as
    JupyterLab numbers cells, so "cell 9" is the ninth cell the teacher sees.
    """

    path: str = ""
    cell_index: int | None = None
    cell_id: str | None = None
    field: str | None = None
    subject: str | None = None  # what the cell defines, e.g. "check 'sum-decimal'"

    def at(self, field: str) -> Where:
        """The same cell, one field deeper (``hints[2].after``)."""
        deeper = f"{self.field}.{field}" if self.field and not field.startswith("[") else (
            f"{self.field}{field}" if self.field else field
        )
        return replace(self, field=deeper)

    def of(self, subject: str) -> Where:
        """The same place, naming what is defined there (``check 'sum-decimal'``)."""
        return replace(self, subject=subject)

    def __str__(self) -> str:
        parts = [self.path or "<lesson>"]
        if self.cell_index is not None:
            cell = f"cell {self.cell_index + 1}"
            if self.cell_id:
                cell += f" (id {self.cell_id})"
            parts.append(cell)
        if self.subject:
            parts.append(self.subject)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lesson; ``hint`` says how to fix it."""

    where: Where
    message: str
    hint: str = ""
    severity: str = "error"  # "error" stops a build; "warning" is reported only

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop a build; the others are warnings, reported only."""
    return [p for p in problems if p.severity == "error"]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A suggestion for a misspelt name ("did you mean 'hints'?"), or "" if none is close."""
    import difflib  # only a teacher's lesson with a problem needs it, not every student kernel

    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def id_list(value: object) -> list[str] | None:
    """A list of ids as a teacher may write it, one id alone standing for a list of it;
    ``None`` when ``value`` is not one, for the caller to say so in its own words."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


class LessonError(LessonkitError):
    """A lesson could not be read or built; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
