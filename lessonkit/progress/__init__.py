"""Layer 4, the event log and the state derived from it.

Every answer, hint, branch and mastery change is an :class:`Event`, appended to an
:class:`EventStore` (a SQLite file by default, PostgreSQL for a class server, or a
JSON-lines log beside a student's notebook); :class:`StudentState` is folded from a
student's events, and :func:`to_xapi` reports them to a learning record store.
See ``docs/events.md``.

Importing this package is cheap (no SQLAlchemy) because student kernels import it:
the SQL store is imported when :func:`open_store` opens one.
"""

from lessonkit.progress.events import (
    ANSWERED,
    BRANCH_TAKEN,
    CHOICE_MADE,
    CONFIDENCE_GIVEN,
    EVENT_TYPES,
    FLAG_KINDS,
    FLAG_RAISED,
    GOAL_SET,
    HINT_REVEALED,
    LESSON_STARTED,
    MASTERY_CHANGED,
    REFLECTION_SAVED,
    REVIEW_DONE,
    SOLUTION_REVEALED,
    STEP_ENTERED,
    STEP_LEFT,
    Event,
)
from lessonkit.progress.jsonl import LOG_SUFFIX, JsonlLog, LogContents, TornLine, log_path
from lessonkit.progress.state import CheckState, Flag, SkillState, StudentState
from lessonkit.progress.store import (
    ENV_VAR,
    CorruptLogError,
    EventConflictError,
    EventStore,
    StoreConfigError,
    StoreError,
    import_jsonl,
    open_store,
)
from lessonkit.progress.xapi import to_xapi

__all__ = [
    "ANSWERED",
    "BRANCH_TAKEN",
    "CHOICE_MADE",
    "CONFIDENCE_GIVEN",
    "ENV_VAR",
    "EVENT_TYPES",
    "FLAG_KINDS",
    "FLAG_RAISED",
    "GOAL_SET",
    "HINT_REVEALED",
    "LESSON_STARTED",
    "MASTERY_CHANGED",
    "REFLECTION_SAVED",
    "REVIEW_DONE",
    "SOLUTION_REVEALED",
    "STEP_ENTERED",
    "STEP_LEFT",
    "CheckState",
    "CorruptLogError",
    "Event",
    "EventConflictError",
    "EventStore",
    "Flag",
    "JsonlLog",
    "LOG_SUFFIX",
    "LogContents",
    "SkillState",
    "StoreConfigError",
    "StoreError",
    "StudentState",
    "TornLine",
    "import_jsonl",
    "log_path",
    "open_store",
    "to_xapi",
]
