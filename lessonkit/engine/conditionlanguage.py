"""What the condition language is (docs/authoring.md): its functions, its limits, its one error.

Kept apart from the compiler and the public API (:mod:`lessonkit.engine.conditions`) because
both need it, as do the validator (which ids each function takes) and the run-time checks of
:mod:`lessonkit.engine.conditionvalues` (how large a value may grow).
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Callable, Mapping

from lessonkit.errors import LessonkitError

MAX_SOURCE_LENGTH = 1000
"""Characters in one condition or placeholder: far beyond any real rule, and it bounds the
parser's work and the size of any literal."""

MAX_DEPTH = 32
"""Nesting levels of the expression tree, so that compiling and evaluating never recurse
deeply (``-(-(-(...)))``, ``not not not ...``)."""

MAX_INT_BITS = 4096
"""Largest integer (in bits, about 1,200 digits) a computation may produce; ``**`` is
checked *before* computing, so ``10**10**10`` is refused instantly."""

MAX_STRING_LENGTH = 10_000
"""Longest string a computation may produce (``'ab' * n``)."""

MAX_ROUND_DIGITS = 100
"""Bound on ``round(x, n)``'s ``n``: ``round(1, -10**9)`` would compute ``10**(10**9)``."""

FUNCTION_ID_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "mastery": "skill",
        "mastered": "skill",
        "needs_remediation": "skill",
        "evidence": "skill",
        "attempts": "check",
        "score": "check",
        "correct": "check",
        "visible_passed": "check",
        "hints": "check",
        "chose": "choice",
        "visits": "step",
    }
)
"""The student-state functions, each taking one literal id of the kind given here, which
the validator checks against the lesson's ids."""

PURE_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {"min": min, "max": max, "abs": abs, "round": round}
)
ARITY = {  # fewest and most arguments, and how to say it
    "min": (2, 99, "at least two values"),
    "max": (2, 99, "at least two values"),
    "abs": (1, 1, "one number"),
    "round": (1, 2, "a number and, optionally, a number of digits"),
}

FUNCTIONS: tuple[str, ...] = (*FUNCTION_ID_KINDS, *PURE_FUNCTIONS)
"""Every function a condition may call, in the order the documentation lists them."""

TOO_DEEP = f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"

ID = re.compile(r"[A-Za-z0-9_-]+\Z")


class ConditionError(LessonkitError, ValueError):
    """A condition that cannot be compiled or evaluated, in words a teacher understands.

    ``offset`` is the 0-based character offset in the source (or template) of the part at
    fault, for pointing at it.
    """

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.offset = offset
