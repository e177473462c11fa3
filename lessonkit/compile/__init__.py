"""Layer 6, the teacher's workflows: validate a lesson, compile it into what students and nbgrader get, scaffold, import."""

from lessonkit.compile.build import Built, build_lesson
from lessonkit.compile.validate import Report, discover, validate_lesson

__all__ = ["Built", "Report", "build_lesson", "discover", "validate_lesson"]
