"""What a graded submission leaves behind, where nbgrader keeps it.

Scores go into nbgrader's gradebook as ``nbgrader autograde`` writes them (the student and the
submission with its timestamp, each grade's ``auto_score``, ``needs_manual_grade``, the "No
response." comments, late penalties from the course's late-submission plugin), and executed
notebooks into ``autograded/<student>/<assignment>/``, so formgrader, ``nbgrader
generate_feedback`` and ``nbgrader export`` work on them unchanged.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import warnings
from pathlib import Path
from typing import Any, Mapping, Sequence

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.api import (
    Comment,
    Grade,
    Gradebook,
    GradeCell,
    MissingEntry,
    SolutionCell,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import compute_checksum, is_solution, is_task
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import object_session, selectinload
from traitlets.config import Config

from lessonkit.grade.assignment import AssignmentSpec
from lessonkit.grade.course import Course, Submission
from lessonkit.grade.scoring import CellScore


def record_submission(gradebook: Gradebook, spec: AssignmentSpec, submission: Submission,
                      notebooks: Mapping[str, NotebookNode | None], scores: Sequence[CellScore],
                      config: Config) -> None:
    """Write one student's scores; committed at once, so a crash later loses no graded student.

    nbgrader's ``find_grade`` and ``find_comment`` run a six-table join per cell; the rows are
    looked up here once from the submission instead (the same rows: a grade or solution cell's
    before a task cell's of the same name, as those methods prefer), and scores, comments and
    late penalties go in one commit.
    """
    student_id = submission.student_id
    gradebook.update_or_create_student(student_id)
    with warnings.catch_warnings():  # nbgrader's own code trips SQLAlchemy 2's autoflush warning, harmlessly
        warnings.filterwarnings("ignore", "Object of type .* not in session", SAWarning)
        if submission.timestamp is not None:
            row = gradebook.update_or_create_submission(spec.name, student_id, timestamp=submission.timestamp)
        else:
            row = gradebook.update_or_create_submission(spec.name, student_id)
    grades = _by_cell(row, SubmittedNotebook.grades, Grade.cell, GradeCell)
    comments = _by_cell(row, SubmittedNotebook.comments, Comment.cell, SolutionCell)
    for score in scores:
        grade = _find(grades, score.notebook, score.grade_id, "grade")
        grade.auto_score = score.score
        grade.needs_manual_grade = grade.manual_score is not None or score.score is None
    for name, nb in notebooks.items():
        for cell in nb.cells if nb is not None else ():
            if is_solution(cell) or is_task(cell):
                comment = _find(comments, name, cell.metadata.nbgrader["grade_id"], "comment")
                unanswered = cell.metadata.nbgrader.get("checksum") == compute_checksum(cell) and not is_task(cell)
                comment.auto_comment = "No response." if unanswered else None
    _assign_late_penalties(row, student_id, config)
    gradebook.db.commit()


def _by_cell(row: SubmittedAssignment, rows: Any, cell: Any, preferred: type) -> dict[tuple[str, str], Any]:
    """A submission's grade or comment rows (``rows``, a relationship of its notebooks, whose
    ``cell`` is their cell) by ``(notebook, cell name)``, ``preferred`` cells' first; in three queries."""
    notebooks = object_session(row).query(SubmittedNotebook).filter(SubmittedNotebook.assignment_id == row.id) \
        .options(selectinload(SubmittedNotebook.notebook), selectinload(rows).selectinload(cell))
    found: dict[tuple[str, str], Any] = {}
    for notebook in notebooks:
        for item in sorted(getattr(notebook, rows.key), key=lambda item: not isinstance(item.cell, preferred)):
            found.setdefault((notebook.notebook.name, item.cell.name), item)
    return found


def _find(rows: dict[tuple[str, str], Any], notebook: str, cell: str, kind: str) -> Any:
    try:
        return rows[notebook, cell]
    except KeyError:
        raise MissingEntry(f"No such {kind}: {cell} in {notebook}") from None


def _assign_late_penalties(submission: SubmittedAssignment, student_id: str, config: Config) -> None:
    """nbgrader's ``AssignLatePenalties``, for all of a submission's notebooks in one session.

    A notebook's ``score`` is a SQL sum over its grades, loaded with the row: the scores just set
    are flushed and it is read again, as nbgrader's reading after a commit would."""
    plugin = AssignLatePenalties(config=config).plugin_class(config=config)
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = None
    if submission.total_seconds_late <= 0:
        return
    session = object_session(submission)
    session.flush()
    for notebook in submission.notebooks:
        session.expire(notebook, ["score"])
        penalty = plugin.late_submission_penalty(student_id, notebook.score, submission.total_seconds_late)
        if penalty is not None:
            notebook.late_submission_penalty = min(max(penalty, 0), notebook.score)


def write_autograded(course: Course, spec: AssignmentSpec, submission: Submission,
                     notebooks: Mapping[str, NotebookNode]) -> Path:
    """``autograded/<student>/<assignment>/``: the student's files, the assignment's files, the executed notebooks."""
    dest = course.folder("autograded_directory", submission.student_id, spec.name)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for relative, path in submission_files(submission.path, course.coursedir.ignore):
        if not relative.endswith(".ipynb"):
            _copy(path, dest / relative)
    for relative, path in spec.source_files:
        _copy(path, dest / relative)
    for name, nb in notebooks.items():
        nbformat.write(nb, dest / f"{name}.ipynb")
    mode = 0o664 if course.coursedir.groupshared else 0o444
    for folder, _, names in os.walk(dest):
        for name in names:
            os.chmod(os.path.join(folder, name), mode)
    return dest


def submission_files(folder: Path, ignore: Sequence[str]) -> list[tuple[str, Path]]:
    """A submission's regular files as ``(relative path, path)``.

    Symbolic links are left out: followed by the grader (root), a link to the gradebook
    would copy it where the student's code can read it.
    """
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not _ignored(d, ignore) and not os.path.islink(os.path.join(root, d))]
        for name in names:
            path = Path(root, name)
            if not _ignored(name, ignore) and path.is_file() and not path.is_symlink():
                found.append((str(path.relative_to(folder)), path))
    return sorted(found)


def _ignored(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.chmod(target, 0o644)
        target.unlink()
    shutil.copyfile(source, target)
