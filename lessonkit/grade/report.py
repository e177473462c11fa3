"""What a grading run reports: a score and the reasons behind it for every submission.

The summary is for the grader's terminal and :meth:`GradeReport.as_json` for scripts; both
list every student, every point lost with the reason, and every note.  They quote student
code's error messages, so they are the teacher's, never a student's (feedback pages are
:mod:`lessonkit.grade.redact`'s).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lessonkit.grade.scoring import CellScore


@dataclass(frozen=True)
class SubmissionReport:
    """One student's result in this run.

    ``score`` counts the automatic scores of this run (cells a person grades are ``None`` in
    ``cells`` and count 0 here; the gradebook adds manual scores to what formgrader shows).
    ``notes`` say what grading repaired, cut short or could not run, in words a grader can
    act on; a submission without notes was graded as submitted.
    """

    student_id: str
    score: float
    max_score: float
    cells: tuple[CellScore, ...]
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    """Time this submission's cells took to execute in their kernels."""

    @property
    def needs_manual_grading(self) -> int:
        return sum(1 for cell in self.cells if cell.score is None)


@dataclass(frozen=True)
class GradeReport:
    assignment: str
    submissions: tuple[SubmissionReport, ...]
    max_score: float
    elapsed_s: float
    where: str
    """Where the kernels ran ("2 local kernels", "Dask at tcp://..."), and how they were contained."""
    feedback: bool = False
    events_imported: int = 0
    notes: tuple[str, ...] = field(default=())
    """Run-wide notes (the assignment had to be generated in the gradebook ...)."""
    limits: str = ""
    """The time and resource limits every notebook ran under, in words."""

    def scores(self) -> dict[str, float]:
        return {s.student_id: s.score for s in self.submissions}

    def cell_scores(self) -> dict[tuple[str, str, str], float | None]:
        """``(student, notebook, grade cell)`` to score: what the parity tests compare."""
        return {(s.student_id, c.notebook, c.grade_id): c.score for s in self.submissions for c in s.cells}

    @property
    def mean(self) -> float:
        return sum(s.score for s in self.submissions) / len(self.submissions) if self.submissions else 0.0

    def summary(self) -> str:
        """The run in a few lines, then every student: score, each point lost and why, each note."""
        manual = sum(1 for s in self.submissions if s.needs_manual_grading)
        lines = [f"{self.assignment}: {len(self.submissions)} submission(s) graded in {self.elapsed_s:.1f} s "
                 f"({self.where})",
                 *([f"  limits: {self.limits}"] if self.limits else []),
                 f"  mean automatic score {self.mean:.2f} / {self.max_score:g}; {manual} submission(s) have answers "
                 "to grade by hand in formgrader", *(f"  {note}" for note in self.notes)]
        for submission in self.submissions:
            lines.append(f"  {submission.student_id}: {submission.score:g} / {submission.max_score:g}")
            lines.extend(f"    - {cell.notebook}.ipynb, {cell.grade_id}: lost {cell.lost:g} of {cell.max_score:g}: "
                         f"{cell.reason}" for cell in submission.cells if cell.lost)
            lines.extend(f"    - {note}" for note in submission.notes)
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data (``lessonkit grade --json``)."""
        return {"assignment": self.assignment, "graded": len(self.submissions), "max_score": self.max_score,
                "mean_score": self.mean, "elapsed_s": round(self.elapsed_s, 3), "where": self.where,
                "limits": self.limits, "events_imported": self.events_imported, "notes": list(self.notes),
                "submissions": [{"student": s.student_id, "score": s.score, "max_score": s.max_score,
                                 "seconds": round(s.seconds, 3), "needs_manual_grading": s.needs_manual_grading,
                                 "cells": [{**asdict(c), "lost": c.lost} for c in s.cells], "notes": list(s.notes)}
                                for s in self.submissions]}
