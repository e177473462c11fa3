"""Problems found in a lesson, each saying what, where and how to fix it.

A teacher fixes a lesson from these messages alone, so every problem carries the file,
the cell (index and id) and the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lessonkit.errors import LessonkitError


@dataclass(frozen=True)
class Where:
    """A place in a lesson source: file, cell and field, as precise as is known."""

    path: str = ""
    cell_index: int | None = None
    cell_id: str | None = None
    field: str | None = None

    def at(self, field: str) -> Where:
        """The same cell, one field deeper (``hints[2].after``)."""
        deeper = f"{self.field}.{field}" if self.field and not field.startswith("[") else (
            f"{self.field}{field}" if self.field else field
        )
        return replace(self, field=deeper)

    def __str__(self) -> str:
        parts = [self.path or "<lesson>"]
        if self.cell_index is not None:
            cell = f"cell {self.cell_index}"
            if self.cell_id:
                cell += f" (id {self.cell_id})"
            parts.append(cell)
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


class LessonError(LessonkitError):
    """A lesson could not be read or built; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
