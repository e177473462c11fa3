"""The event: an append-only record of one thing a student did or the engine decided.

Events are the only thing lessonkit stores about a student's progress.  Everything else
(the step to resume at, attempts, mastery, flags, the teacher's dashboard) is derived
from them, so an event must say enough on its own to be folded, graded and exported to
an xAPI learning record store years later.  That is why the set of types is closed and
documented (see ``docs/events.md``): a reader must never meet a type it cannot interpret.

``uid`` identifies an event across copies (a student's JSON-lines log, the class
database, an LRS): importing the same log twice, or retrying an append whose
acknowledgement was lost, never duplicates an event.  ``seq`` is the position a store
gave the event, so it is ``None`` until a store acknowledges it.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

LESSON_STARTED = "lesson_started"
STEP_ENTERED = "step_entered"
STEP_LEFT = "step_left"
ANSWERED = "answered"
HINT_REVEALED = "hint_revealed"
SOLUTION_REVEALED = "solution_revealed"
BRANCH_TAKEN = "branch_taken"
CHOICE_MADE = "choice_made"
MASTERY_CHANGED = "mastery_changed"
REVIEW_DONE = "review_done"
FLAG_RAISED = "flag_raised"
GOAL_SET = "goal_set"
CONFIDENCE_GIVEN = "confidence_given"
REFLECTION_SAVED = "reflection_saved"

#: Every event type, with the fields its ``data`` carries (documented in docs/events.md,
#: which a test keeps in step with this table).  A field may be absent when the player
#: did not know it; readers use a default rather than fail.
EVENT_TYPES: Mapping[str, tuple[str, ...]] = {
    LESSON_STARTED: ("version",),
    STEP_ENTERED: ("kind",),
    STEP_LEFT: ("elapsed_s",),
    ANSWERED: ("answer", "item", "correct", "score", "pending", "attempt", "evidence", "elapsed_s", "feedback"),
    HINT_REVEALED: ("rung", "bottom_out", "cost"),
    SOLUTION_REVEALED: (),
    BRANCH_TAKEN: ("from", "to", "rule", "condition"),
    CHOICE_MADE: ("choice", "label", "goto"),
    MASTERY_CHANGED: ("skill", "p", "evidence", "mastered", "needs_remediation"),
    REVIEW_DONE: ("skill", "correct", "next_due"),
    FLAG_RAISED: ("kind", "skill", "check", "detail"),
    GOAL_SET: ("skills", "by", "level", "scope"),
    CONFIDENCE_GIVEN: ("item", "confidence"),
    REFLECTION_SAVED: ("prompt", "text"),
}

#: The kinds of ``flag_raised`` events (architecture §7: what a teacher is told about).
FLAG_KINDS = ("stuck", "hint_click_through", "rapid_guessing", "help_avoidance")


def _new_uid() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Event:
    """One immutable record of the event log.

    ``ts`` is the time it happened (epoch seconds), taken when the event is created so
    that a late write keeps the student's own timeline.  ``data`` must be JSON-serialisable;
    its fields per type are listed in :data:`EVENT_TYPES`.
    """

    lesson_id: str
    student_id: str
    type: str
    ts: float = field(default_factory=time.time)
    step_id: str | None = None
    check_id: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    uid: str = field(default_factory=_new_uid)
    seq: int | None = None

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(
                f"unknown event type {self.type!r}; the event types are: {', '.join(EVENT_TYPES)}"
            )
        for name in ("lesson_id", "student_id", "uid"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{self.type} event: {name} must be a non-empty string, not {value!r}")
        if isinstance(self.ts, bool) or not isinstance(self.ts, (int, float)) or not math.isfinite(self.ts):
            raise ValueError(f"{self.type} event: ts must be epoch seconds (a finite number), not {self.ts!r}")
        if not isinstance(self.data, Mapping):
            raise ValueError(f"{self.type} event: data must be a mapping, not {type(self.data).__name__}")

    def with_seq(self, seq: int) -> Event:
        """This event as acknowledged by a store at position ``seq``."""
        return replace(self, seq=seq)

    def same_record(self, other: Event) -> bool:
        """Whether two events record the same thing, wherever each is stored (``seq`` aside).

        Compared as their JSON, so a tuple that came back from storage as a list, or a
        whole-number ``ts`` that came back as a float, still counts as the same.
        """
        mine: dict[str, Any] = json.loads(self.to_json())
        theirs: dict[str, Any] = json.loads(other.to_json())
        mine.pop("seq", None)
        theirs.pop("seq", None)
        return mine == theirs

    def to_dict(self) -> dict[str, Any]:
        """A plain dict; ``seq`` is left out while the event is unacknowledged."""
        out: dict[str, Any] = {
            "uid": self.uid,
            "lesson_id": self.lesson_id,
            "student_id": self.student_id,
            "type": self.type,
            "ts": self.ts,
            "step_id": self.step_id,
            "check_id": self.check_id,
            "data": dict(self.data),
        }
        if self.seq is not None:
            out["seq"] = self.seq
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Event:
        """The inverse of :meth:`to_dict`.  ``uid`` is required (it is what makes an import
        idempotent); ``seq``, ``step_id``, ``check_id`` and ``data`` may be absent."""
        try:
            return cls(
                lesson_id=raw["lesson_id"],
                student_id=raw["student_id"],
                type=raw["type"],
                ts=raw["ts"],
                step_id=raw.get("step_id"),
                check_id=raw.get("check_id"),
                data=raw.get("data") or {},
                uid=raw["uid"],
                seq=raw.get("seq"),
            )
        except KeyError as missing:
            raise ValueError(f"not a lessonkit event: field {missing} is missing") from None

    def to_json(self) -> str:
        """One line of compact, standard JSON (NaN and infinities are refused)."""
        return dumps(self.to_dict(), what=f"{self.type} event")

    @classmethod
    def from_json(cls, text: str) -> Event:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"not a lessonkit event: invalid JSON ({error})") from None
        if not isinstance(raw, dict):
            raise ValueError(f"not a lessonkit event: a JSON {type(raw).__name__}, not an object")
        return cls.from_dict(raw)


def dumps(value: Any, *, what: str) -> str:
    """Compact, standard JSON; ``what`` names the value in the error if it is not JSON."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what}: data is not JSON-serialisable ({error})") from None
