"""What a grading run reports: a score and the reasons behind it for every submission."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def scores(self) -> dict[str, float]:
        return {s.student_id: s.score for s in self.submissions}

    def cell_scores(self) -> dict[tuple[str, str, str], float | None]:
        """``(student, notebook, grade cell)`` to score: what the parity tests compare."""
        return {(s.student_id, c.notebook, c.grade_id): c.score for s in self.submissions for c in s.cells}

    def summary(self) -> str:
        """The run in a few lines, then each submission that has notes, with them."""
        count = len(self.submissions)
        mean = sum(s.score for s in self.submissions) / count if count else 0.0
        manual = sum(1 for s in self.submissions if s.needs_manual_grading)
        lines = [f"{self.assignment}: {count} submission(s) graded in {self.elapsed_s:.1f} s ({self.where})",
                 f"  mean automatic score {mean:.2f} / {self.max_score:g}; {manual} submission(s) have answers "
                 "to grade by hand in formgrader", *(f"  {note}" for note in self.notes)]
        for submission in self.submissions:
            if submission.notes:
                lines.append(f"  {submission.student_id}: {submission.score:g} / {submission.max_score:g}")
                lines.extend(f"    - {note}" for note in submission.notes)
        return "\n".join(lines)
