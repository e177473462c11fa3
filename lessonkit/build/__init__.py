"""Layer 6, the teacher's workflows: validate, build, scaffold and import lessons."""

from lessonkit.build.build import Built, build_lesson
from lessonkit.build.validate import Report, discover, validate_lesson

__all__ = ["Built", "Report", "build_lesson", "discover", "validate_lesson"]
