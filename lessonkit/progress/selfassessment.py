"""The student's own part of their record: goals, confidence and reflections, folded from events.

These events never move a score, a mastery estimate or a route (``StudentState`` folds them
as nothing); this module is where they mean something: the goal a student set and how far
they are towards it, how well their confidence matched their results (calibration), and
what they wrote when the teacher asked them to reflect.  The player shows them to the
student, the portfolio keeps them, the teacher reads the same numbers.

Calibration pairs each ``confidence_given`` with the next answer to the same check and item
(the answer it was about); answers without a confidence before them are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from lessonkit.progress.events import (
    ANSWERED,
    CONFIDENCE_GIVEN,
    GOAL_SET,
    REFLECTION_SAVED,
    Event,
)
from lessonkit.progress.store import EventStore

__all__ = [
    "CONFIDENCE_LEVELS",
    "GOAL_LEVELS",
    "Calibration",
    "Goal",
    "Reflection",
    "StudentSelfAssessment",
    "calibration",
    "class_selfassessment",
    "confidence_event_data",
    "goal_event_data",
    "latest_goal",
    "reflections",
]

#: What each confidence level says, and the chance of being right it claims (for the Brier score).
CONFIDENCE_LEVELS: dict[int, tuple[str, float]] = {1: ("not sure", 0.4), 2: ("fairly sure", 0.7), 3: ("very sure", 0.95)}
#: A goal's challenge level: the core of the lesson, or with its enrichment steps too.
GOAL_LEVELS: dict[str, str] = {"core": "core", "enrichment": "with enrichment"}


@dataclass(frozen=True)
class Goal:
    """A goal as the student set it: skills to master, a date to aim for, a challenge level."""

    skills: tuple[str, ...]
    by: date | None
    level: str
    scope: str
    set_at: float
    lesson_id: str

    def progress(self, mastered: Callable[[str], bool]) -> tuple[int, int]:
        """(skills of the goal mastered, skills in the goal)."""
        return sum(1 for s in self.skills if mastered(s)), len(self.skills)

    def days_left(self, today: date) -> int | None:
        return None if self.by is None else (self.by - today).days

    @classmethod
    def from_event(cls, event: Event) -> Goal:
        d = event.data
        by = d.get("by")
        try:
            when = date.fromisoformat(by) if isinstance(by, str) and by else None
        except ValueError:  # a log edited by hand: keep the goal, drop the date
            when = None
        level = d.get("level") if d.get("level") in GOAL_LEVELS else "core"
        return cls(tuple(str(s) for s in d.get("skills") or ()), when, str(level), str(d.get("scope") or "lesson"),
                   event.ts, event.lesson_id)


@dataclass(frozen=True)
class Reflection:
    prompt: str
    text: str
    step_id: str | None
    lesson_id: str
    saved_at: float


@dataclass
class Calibration:
    """Per confidence level, how many answers and how many right; and the Brier score."""

    levels: dict[int, tuple[int, int]] = field(default_factory=dict)  # level -> (answers, right)
    brier: float | None = None  # mean squared gap between claimed chance and result: 0 is perfect

    @property
    def answers(self) -> int:
        return sum(n for n, _ in self.levels.values())

    def sentences(self) -> list[str]:
        """For the student, one per level used: "When you were very sure, you were right 4 of 5 times." """
        out = []
        for level in sorted(self.levels):
            n, right = self.levels[level]
            out.append(f"When you were {CONFIDENCE_LEVELS[level][0]}, you were right {right} of {n} "
                       f"time{'s' if n != 1 else ''}.")
        return out

    def verdict(self) -> str:
        """One sentence on the whole: over- or under-confident, or well calibrated."""
        if not self.answers:
            return "No confidence ratings yet."
        claimed = sum(CONFIDENCE_LEVELS[l][1] * n for l, (n, _) in self.levels.items()) / self.answers
        actual = sum(right for _, right in self.levels.values()) / self.answers
        if claimed - actual > 0.15:
            return "You were more sure than your answers were right: slow down and check before you answer."
        if actual - claimed > 0.15:
            return "You were right more often than you thought: trust yourself a little more."
        return "Your confidence matched your results well."


def calibration(events: Iterable[Event]) -> Calibration:
    """Pair each confidence with the answer it was about (same check and item, the next one)."""
    waiting: dict[tuple[str, object], int] = {}
    levels: dict[int, list[int]] = {}
    squares: list[float] = []
    for event in events:
        if event.type == CONFIDENCE_GIVEN and event.check_id and event.data.get("confidence") in CONFIDENCE_LEVELS:
            waiting[(event.check_id, event.data.get("item"))] = int(event.data["confidence"])
        elif event.type == ANSWERED and event.check_id and not event.data.get("pending"):
            level = waiting.pop((event.check_id, event.data.get("item")), None)
            if level is None:
                continue
            right = bool(event.data.get("correct"))
            counts = levels.setdefault(level, [0, 0])
            counts[0] += 1
            counts[1] += right
            squares.append((CONFIDENCE_LEVELS[level][1] - float(right)) ** 2)
    return Calibration({l: (n, r) for l, (n, r) in levels.items()},
                       sum(squares) / len(squares) if squares else None)


def latest_goal(events: Iterable[Event]) -> Goal | None:
    """The goal set last (a new goal replaces the old one)."""
    goal = None
    for event in events:
        if event.type == GOAL_SET:
            goal = Goal.from_event(event)
    return goal


def reflections(events: Iterable[Event]) -> list[Reflection]:
    """The latest text for each prompt, in the order the prompts were first answered."""
    latest: dict[tuple[str, str], Reflection] = {}
    for event in events:
        if event.type == REFLECTION_SAVED:
            prompt = str(event.data.get("prompt") or "")
            # a dict keeps a key where it was first put: the order prompts were first answered
            latest[(event.lesson_id, prompt)] = Reflection(prompt, str(event.data.get("text") or ""), event.step_id,
                                                           event.lesson_id, event.ts)
    return list(latest.values())


def confidence_event_data(item: int | None, level: int) -> dict[str, object]:
    """The data of a ``confidence_given`` event, refusing a level the scale does not have."""
    if level not in CONFIDENCE_LEVELS:
        raise ValueError(f"confidence must be one of {sorted(CONFIDENCE_LEVELS)}, not {level!r}")
    return {"item": item, "confidence": level}


def goal_event_data(skills: Sequence[str], by: date | None, level: str, scope: str = "lesson") -> dict[str, object]:
    """The data of a ``goal_set`` event, refusing a level or scope lessonkit does not know."""
    if level not in GOAL_LEVELS:
        raise ValueError(f"a goal's level is one of {', '.join(GOAL_LEVELS)}, not {level!r}")
    if scope not in ("lesson", "course"):
        raise ValueError(f"a goal's scope is 'lesson' or 'course', not {scope!r}")
    return {"skills": list(skills), "by": by.isoformat() if by else None, "level": level, "scope": scope}


@dataclass(frozen=True)
class StudentSelfAssessment:
    """What the teacher sees of one student's self-assessment in a lesson."""

    student_id: str
    goal: Goal | None
    calibration: Calibration
    reflections: tuple[Reflection, ...]


def class_selfassessment(store: EventStore, lesson_id: str) -> list[StudentSelfAssessment]:
    """Per student of a lesson, their goal, calibration and reflections: the teacher's view
    (the class report can show it beside mastery; nothing here is a score)."""
    out = []
    for student in store.students(lesson_id):
        events = store.history(lesson_id, student)
        out.append(StudentSelfAssessment(student, latest_goal(events), calibration(events),
                                         tuple(reflections(events))))
    return out
