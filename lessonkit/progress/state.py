"""A student's state in a lesson, derived from their events and from nothing else.

The player resumes from this state, branch conditions read it, and the teacher's views
summarise it; because it is a fold over the event log, it can always be rebuilt exactly,
on any machine, from the events alone (architecture §6: nothing is lost, a reload resumes at
the same step with the same state).  ``apply`` is the fold's step, so a running player
keeps its state current without re-reading the log.

The state knows nothing about the lesson: defaults (a skill's prior before any evidence,
what step follows an end) are the engine's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from lessonkit.progress.events import (
    ANSWERED,
    BRANCH_TAKEN,
    CHOICE_MADE,
    CONFIDENCE_GIVEN,
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


@dataclass
class CheckState:
    """What a student has done on one check."""

    attempts: int = 0
    answers: list[Any] = field(default_factory=list)  # as given, oldest first
    items: list[int | None] = field(default_factory=list)  # the variant answered, per attempt
    best_score: float = 0.0  # over graded answers; a pending one counts when graded
    correct: bool = False  # answered right at least once
    pending: bool = False  # the latest answer waits for grading
    visible_passed: bool = False  # passed all it can be checked on now (a code check: its visible tests) once
    hints_revealed: list[int] = field(default_factory=list)  # rungs, in the order revealed
    bottom_out: bool = False
    hint_cost: float = 0.0
    solution_revealed: bool = False

    @property
    def hints(self) -> int:
        """How many hints have been revealed (the condition language's ``hints('check')``)."""
        return len(self.hints_revealed)


@dataclass
class SkillState:
    """The latest mastery estimate for one skill, as the engine reported it, and its reviews."""

    p: float | None = None  # None until the first evidence: the engine's prior applies
    evidence: int = 0
    mastered: bool = False
    needs_remediation: bool = False
    reviews: int = 0
    last_review_correct: bool | None = None
    next_due: float | None = None  # epoch seconds of the next spaced review


@dataclass(frozen=True)
class Flag:
    """Something the teacher should look at (architecture §7)."""

    kind: str
    ts: float
    skill: str | None = None
    check: str | None = None
    detail: str = ""


@dataclass
class StudentState:
    """One student's progress in one lesson, folded from their events in order.

    ``lesson_id`` and ``student_id`` are bound by the first event applied (or given up
    front); an event of another lesson or student is refused, so one student's state
    can never absorb another's events.
    """

    lesson_id: str | None = None
    student_id: str | None = None
    started: bool = False
    current_step: str | None = None  # where to resume
    visits: dict[str, int] = field(default_factory=dict)  # step -> times entered, in order of first visit
    seconds: dict[str, float] = field(default_factory=dict)  # step -> time spent, from step_left
    checks: dict[str, CheckState] = field(default_factory=dict)
    skills: dict[str, SkillState] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)  # choice id -> label picked
    flags: list[Flag] = field(default_factory=list)
    finished: bool = False
    events: int = 0
    last_seq: int | None = None
    last_ts: float | None = None

    @classmethod
    def from_events(
        cls, events: Iterable[Event], *, lesson_id: str | None = None, student_id: str | None = None
    ) -> StudentState:
        """The state after ``events``, applied in the order given (a store's order)."""
        state = cls(lesson_id=lesson_id, student_id=student_id)
        for event in events:
            state.apply(event)
        return state

    def apply(self, event: Event) -> StudentState:
        """Fold one more event into the state (in place), and return the state."""
        self._bind("lesson_id", event)
        self._bind("student_id", event)
        if event.seq is not None and self.last_seq is not None and event.seq <= self.last_seq:
            raise ValueError(
                f"event {event.uid} (seq {event.seq}) is not after the last one applied (seq {self.last_seq}): "
                "events must be applied once each, in order"
            )
        _FOLD[event.type](self, event)
        self.events += 1
        self.last_seq = event.seq if event.seq is not None else self.last_seq
        self.last_ts = event.ts
        return self

    def check(self, check_id: str) -> CheckState:
        """The state of a check; an untouched check has a fresh, empty state."""
        return self.checks.get(check_id) or CheckState()

    def skill(self, skill_id: str) -> SkillState:
        """The state of a skill; a skill without evidence has a fresh, empty state."""
        return self.skills.get(skill_id) or SkillState()

    def _bind(self, name: str, event: Event) -> None:
        mine, theirs = getattr(self, name), getattr(event, name)
        if mine is None:
            setattr(self, name, theirs)
        elif mine != theirs:
            raise ValueError(
                f"event {event.uid} belongs to {name} {theirs!r}, not to this state's {mine!r}"
            )


def _need(event: Event, value: Any, what: str) -> Any:
    if value is None or value == "":
        raise ValueError(f"{event.type} event {event.uid} has no {what}")
    return value


def _check_of(state: StudentState, event: Event) -> CheckState:
    return state.checks.setdefault(_need(event, event.check_id, "check_id"), CheckState())


def _skill_of(state: StudentState, event: Event) -> SkillState:
    return state.skills.setdefault(_need(event, event.data.get("skill"), "data['skill']"), SkillState())


def _lesson_started(state: StudentState, event: Event) -> None:
    state.started = True
    if event.step_id:
        state.current_step = event.step_id


def _step_entered(state: StudentState, event: Event) -> None:
    step = _need(event, event.step_id, "step_id")
    state.current_step = step
    state.visits[step] = state.visits.get(step, 0) + 1
    if event.data.get("kind") == "end":
        state.finished = True


def _step_left(state: StudentState, event: Event) -> None:
    step = _need(event, event.step_id, "step_id")
    state.seconds[step] = state.seconds.get(step, 0.0) + float(event.data.get("elapsed_s") or 0.0)


def _answered(state: StudentState, event: Event) -> None:
    check, d = _check_of(state, event), event.data
    check.attempts += 1
    check.answers.append(d.get("answer"))
    check.items.append(d.get("item"))
    check.pending = bool(d.get("pending"))
    passed_now = float(d.get("score") or 0.0) >= 1.0 if check.pending else bool(d.get("correct"))
    check.visible_passed = check.visible_passed or passed_now
    if not check.pending:
        correct = bool(d.get("correct"))
        score = d.get("score")
        check.best_score = max(check.best_score, float(score) if score is not None else float(correct))
        check.correct = check.correct or correct


def _hint_revealed(state: StudentState, event: Event) -> None:
    check, d = _check_of(state, event), event.data
    rung = int(d.get("rung", check.hints))
    if rung in check.hints_revealed:  # a re-shown hint is not a new one, and costs nothing more
        return
    check.hints_revealed.append(rung)
    check.hint_cost += float(d.get("cost") or 0.0)
    check.bottom_out = check.bottom_out or bool(d.get("bottom_out"))


def _solution_revealed(state: StudentState, event: Event) -> None:
    _check_of(state, event).solution_revealed = True


def _branch_taken(state: StudentState, event: Event) -> None:
    # The next step is decided: resume there even if the crash came before step_entered.
    state.current_step = _need(event, event.data.get("to"), "data['to']")


def _choice_made(state: StudentState, event: Event) -> None:
    d = event.data
    state.choices[_need(event, d.get("choice"), "data['choice']")] = str(d.get("label", ""))
    if d.get("goto"):
        state.current_step = d["goto"]


def _mastery_changed(state: StudentState, event: Event) -> None:
    d = event.data
    p = float(_need(event, d.get("p"), "data['p']"))
    skill = _skill_of(state, event)
    skill.p = p
    skill.evidence = int(d.get("evidence", skill.evidence))
    skill.mastered = bool(d.get("mastered"))
    skill.needs_remediation = bool(d.get("needs_remediation"))


def _review_done(state: StudentState, event: Event) -> None:
    skill, d = _skill_of(state, event), event.data
    skill.reviews += 1
    skill.last_review_correct = None if d.get("correct") is None else bool(d["correct"])
    skill.next_due = None if d.get("next_due") is None else float(d["next_due"])


def _flag_raised(state: StudentState, event: Event) -> None:
    d = event.data
    state.flags.append(
        Flag(
            kind=str(_need(event, d.get("kind"), "data['kind']")),
            ts=event.ts,
            skill=d.get("skill"),
            check=d.get("check") or event.check_id,
            detail=str(d.get("detail") or ""),
        )
    )


_FOLD: dict[str, Callable[[StudentState, Event], None]] = {
    LESSON_STARTED: _lesson_started,
    STEP_ENTERED: _step_entered,
    STEP_LEFT: _step_left,
    ANSWERED: _answered,
    HINT_REVEALED: _hint_revealed,
    SOLUTION_REVEALED: _solution_revealed,
    BRANCH_TAKEN: _branch_taken,
    CHOICE_MADE: _choice_made,
    MASTERY_CHANGED: _mastery_changed,
    REVIEW_DONE: _review_done,
    FLAG_RAISED: _flag_raised,
    # the student's own goals, confidence and reflections move nothing here: never a score or
    # a route (progress.selfassessment reads them)
    GOAL_SET: lambda state, event: None,
    CONFIDENCE_GIVEN: lambda state, event: None,
    REFLECTION_SAVED: lambda state, event: None,
}
