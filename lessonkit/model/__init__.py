"""Layer 1, the lesson as plain data.

Everything here is an immutable dataclass with no Jupyter import, so the engine, the
player and the workflows can share one picture of a lesson and tests can build one by
hand.  Kind-specific check fields (answers, options, tolerances, ...) stay a plain
mapping in :attr:`Check.spec`; the check kind that owns them (``lessonkit.engine.kinds``)
gives them meaning.
"""

from lessonkit.model.lesson import (
    ONE_OPTION_FEEDBACK,
    STEP_KINDS,
    Block,
    Branch,
    Check,
    Choice,
    ChoiceOption,
    Feedback,
    Hint,
    Lesson,
    MasteryPolicy,
    Rule,
    Skill,
    Step,
    Variants,
)
from lessonkit.model.problems import LessonError, Problem, Where, did_you_mean, errors_in, id_list

__all__ = [
    "ONE_OPTION_FEEDBACK",
    "STEP_KINDS",
    "Block",
    "Branch",
    "Check",
    "Choice",
    "ChoiceOption",
    "Feedback",
    "Hint",
    "Lesson",
    "LessonError",
    "MasteryPolicy",
    "Problem",
    "Rule",
    "Skill",
    "Step",
    "Variants",
    "Where",
    "did_you_mean",
    "errors_in",
    "id_list",
]
