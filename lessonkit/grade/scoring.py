"""Scores of an executed notebook's grade cells, by nbgrader's own rule, and why.

The score is :func:`nbgrader.utils.determine_grade`'s: a test cell earns its points unless an
output is an error or *anything* on stderr (then 0); a number as its result is partial credit.
Two of nbgrader's crashes become scores: a result above the cell's points (nbgrader stops the
whole notebook) is clamped to the points, and a result with no text form scores 0.  Written
answers get ``None``: a person grades them.  The reason is for the grader's report; it may
quote a hidden test's error, so it never goes into a student's feedback.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from nbformat.notebooknode import NotebookNode
from nbgrader.utils import determine_grade, is_grade

from lessonkit.grade.assignment import NotebookSpec, TeacherCell

log = logging.getLogger("lessonkit.grade")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # every control character but the newline
_QUOTE_CHARS = 160
_GRADER_MARKS = {"CellNotRun", "KernelDied", "KernelUnresponsive"}


@dataclass(frozen=True)
class CellScore:
    notebook: str
    grade_id: str
    score: float | None
    """``None``: graded by hand."""
    max_score: float
    reason: str

    @property
    def lost(self) -> float:
        """Points this cell did not earn (none while a person has yet to grade it)."""
        return 0.0 if self.score is None else max(0.0, self.max_score - self.score)


def score_notebook(nb: NotebookNode | None, spec: NotebookSpec, *, unread: str = "") -> list[CellScore]:
    """One score per teacher's grade cell; all 0 with ``unread`` as the reason when ``nb`` is ``None``."""
    present = {cell.metadata.nbgrader["grade_id"]: cell for cell in nb.cells if is_grade(cell)} if nb else {}
    scores = []
    for teacher in spec.grade_cells:
        points = float(teacher.points or 0.0)
        cell = present.get(teacher.grade_id)
        if nb is None:
            score, reason = 0.0, unread
        elif cell is None:
            score, reason = 0.0, "missing from the submission"
        else:
            score, reason = _score(cell, teacher, points)
        scores.append(CellScore(spec.name, teacher.grade_id, score, points, reason))
    return scores


def failed_cells(nb: NotebookNode, spec: NotebookSpec) -> list[str]:
    """The student's own cells that ended in an error, in one line each: why their tests fail.

    Test cells are left out (their score says it) and so are the grader's own marks
    (``CellNotRun``, ``KernelDied``, ``KernelUnresponsive``), which come with notes of their own.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        teacher = spec.cells.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        if cell.cell_type != "code" or (teacher is not None and teacher.autograded):
            continue
        error = next((o for o in cell.outputs if o.output_type == "error"), None)
        if error is not None and error.get("ename") not in _GRADER_MARKS:
            where = f"cell {teacher.grade_id}" if teacher else f"cell {index + 1}"
            message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}"
            found.append(f"{spec.name}.ipynb, {where}: {_one_line(message)}")
    return found


def _score(cell: NotebookNode, teacher: TeacherCell, points: float) -> tuple[float | None, str]:
    try:
        score, _ = determine_grade(cell, log)
    except ValueError:  # partial credit above the points: nbgrader raises and loses the notebook
        return points, f"its result is above the cell's {points:g} points; counted as {points:g}"
    except KeyError:
        return 0.0, "its result has no text form to read a partial score from"
    if score is None:
        return None, "graded by hand"
    if teacher.solution:
        return float(score), "no response" if score == 0 else "answered"
    score = float(score)
    if score >= points:
        return points, "passed"
    if score > 0:
        return score, f"partial credit: {score:g} of {points:g}"
    return 0.0, _failure(cell, points)


def _failure(cell: NotebookNode, points: float) -> str:
    """The output that gave 0, as nbgrader's rule reads them, in one line."""
    for output in cell.outputs:
        if output.output_type == "error":
            name = output.get("ename", "Error")
            if name == "CellTimeoutError":
                return f"timed out: {_one_line(output.get('evalue', ''))}"
            if name in _GRADER_MARKS | {"TestsTamperedWith"}:  # the grader's own words say it all
                return _one_line(output.get("evalue", ""))
            return _one_line(f"{name}: {output.get('evalue', '')}")
        if output.output_type == "stream" and output.get("name") == "stderr":
            return _one_line(f"wrote to stderr: {output.get('text', '')}")
        if output.output_type == "execute_result":
            return f"partial credit: 0 of {points:g}"
    return "scored 0"


def _one_line(text: str) -> str:
    """``text``'s first line, short, without escapes or control characters a terminal would obey."""
    text = _CONTROL.sub("?", _ANSI.sub("", text).replace("\t", " ")).strip()
    first = next((line for line in text.splitlines() if line.strip()), text)
    return first if len(first) <= _QUOTE_CHARS else first[:_QUOTE_CHARS - 1] + "…"
