"""Layer 6, grading: nbgrader's scores, fast and contained (``lessonkit grade``).

nbgrader collects and keeps the grades; lessonkit runs the submissions.  It scores exactly as
``nbgrader autograde`` does (the same preprocessors and the same rule), writes the same
gradebook rows and ``autograded/`` notebooks, and adds what a night-before-grades batch of
hundreds of notebooks needs: kernels started ahead of time and run in parallel (here or on
a Dask cluster), each submission contained (limits, a uid and a network namespace of its
own, a private copy of its folder), a bad submission scored with a reason instead of
stopping the batch, feedback that never shows a hidden test, and CSV exports.

Public API::

    grade_assignment(assignment, course_dir=..., ...) -> GradeReport
    generate_feedback(assignment, course_dir=...)     -> list[Path]
    export_csv(path, course_dir=...)                  -> Path   (nbgrader's grades.csv)
    export_canvas_csv(path, course_dir=...)           -> Path   (Canvas gradebook import)

The course layout and the grader's workflow are in ``docs/grading.md``.
"""

from lessonkit.engine.sandbox import Limits
from lessonkit.grade.course import GradingError
from lessonkit.grade.export import export_canvas_csv, export_csv
from lessonkit.grade.grader import LessonkitGrader, generate_feedback, grade_assignment
from lessonkit.grade.report import GradeReport, SubmissionReport
from lessonkit.grade.scoring import CellScore

__all__ = [
    "CellScore",
    "GradeReport",
    "GradingError",
    "LessonkitGrader",
    "Limits",
    "SubmissionReport",
    "export_canvas_csv",
    "export_csv",
    "generate_feedback",
    "grade_assignment",
]
