"""One student's mastery across the lessons of a course, folded from their events.

The store keeps events per lesson and ``StudentState`` folds one lesson; a course needs the
other view: per skill, the latest estimate wherever it was made, when it was first
mastered, and when its review comes due, whichever lesson the review happened in.  This
is a query over the per-lesson histories, not a second store: everything here can be
rebuilt from the same events (architecture §6).

``carried_into`` is what the player starts a lesson with: a skill mastered in one lesson
arrives mastered in the next, with its evidence, and with a fresh item budget.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lessonkit.engine.mastery import SkillMastery
from lessonkit.engine.recommend import Learner, Recommendation, recommend
from lessonkit.model.course import CoursePlan
from lessonkit.progress.events import MASTERY_CHANGED, REVIEW_DONE, Event
from lessonkit.progress.state import StudentState
from lessonkit.progress.store import EventStore

__all__ = ["CourseProgress", "SkillRecord", "course_progress", "lesson_ids_of", "next_lesson"]


@dataclass(frozen=True)
class SkillRecord:
    """The latest word on one skill for one student, across the course."""

    skill: str
    p: float
    evidence: int
    mastered: bool
    lesson: str  # where the latest estimate was made
    updated_at: float
    mastered_at: float | None = None  # when it was last mastered (a lost and regained skill: the regain)
    reviews: int = 0
    next_due: float | None = None  # epoch seconds: the next spaced review, None while not mastered

    def mastery(self) -> SkillMastery:
        """As the engine's estimate, practice budget fresh: a new lesson is a new start at practice."""
        return SkillMastery(self.p, self.evidence, 0, self.mastered, False)


@dataclass
class CourseProgress:
    """One student's course: each lesson's folded state and each skill's latest record."""

    student_id: str
    lessons: dict[str, StudentState] = field(default_factory=dict)
    skills: dict[str, SkillRecord] = field(default_factory=dict)

    def mastered(self) -> list[SkillRecord]:
        """The skills mastered now, in the order they were mastered."""
        return sorted((r for r in self.skills.values() if r.mastered), key=lambda r: r.mastered_at or 0.0)

    def carried_into(self, lesson_id: str, skill_ids: Iterable[str]) -> dict[str, SkillMastery]:
        """The estimates another lesson of the course made of this lesson's skills: the
        lesson starts from them instead of from each skill's prior."""
        return {s: self.skills[s].mastery() for s in skill_ids
                if s in self.skills and self.skills[s].lesson != lesson_id}

    def due_reviews(self, now: float) -> list[str]:
        """Mastered skills whose review is due at ``now``, most overdue first."""
        due = [(r.next_due, r.skill) for r in self.skills.values()
               if r.mastered and r.next_due is not None and r.next_due <= now]
        return [skill for _, skill in sorted(due)]

    def learner(self, now: float, goal: Sequence[str] = ()) -> Learner:
        """The student as ``engine.recommend`` sees them at ``now``."""
        return Learner({s: r.mastery() for s, r in self.skills.items()}, tuple(self.due_reviews(now)),
                       frozenset(l for l in self.lessons if self.started(l)),
                       frozenset(l for l in self.lessons if self.finished(l)), tuple(goal))

    def finished(self, lesson_id: str) -> bool:
        state = self.lessons.get(lesson_id)
        return bool(state and state.finished)

    def started(self, lesson_id: str) -> bool:
        state = self.lessons.get(lesson_id)
        return bool(state and state.started)


def course_progress(store: EventStore, student_id: str, lesson_ids: Sequence[str]) -> CourseProgress:
    """Fold one student's events in every lesson of a course.

    Events of different lessons are merged by the time they happened, so "latest" means
    the student's own timeline, not the order the lessons are listed in.
    """
    histories = {lesson: store.history(lesson, student_id) for lesson in lesson_ids}
    progress = CourseProgress(student_id, {lesson: StudentState.from_events(events, lesson_id=lesson,
                                                                            student_id=student_id)
                                           for lesson, events in histories.items()})
    timeline = heapq.merge(*histories.values(), key=lambda e: e.ts)
    progress.skills = _fold_skills(timeline)
    return progress


def _fold_skills(timeline: Iterable[Event]) -> dict[str, SkillRecord]:
    records: dict[str, SkillRecord] = {}
    reviews: dict[str, list[tuple[float, bool]]] = {}  # since the last mastery, as player.review keeps them
    for event in timeline:
        skill = event.data.get("skill")
        if not isinstance(skill, str):
            continue
        before = records.get(skill)
        if event.type == MASTERY_CHANGED and event.data.get("p") is not None:
            mastered = bool(event.data.get("mastered"))
            regained = mastered and not (before and before.mastered)
            if regained:
                reviews[skill] = [(event.ts, True)]
            records[skill] = SkillRecord(
                skill, float(event.data["p"]), int(event.data.get("evidence", 0)), mastered, event.lesson_id,
                event.ts, event.ts if regained else (before.mastered_at if before and mastered else None),
                before.reviews if before else 0)
        elif event.type == REVIEW_DONE and before is not None and skill in reviews:
            reviews[skill].append((event.ts, bool(event.data.get("correct"))))
            records[skill] = SkillRecord(before.skill, before.p, before.evidence, before.mastered, before.lesson,
                                         before.updated_at, before.mastered_at, before.reviews + 1)
    return {skill: _with_due(record, reviews.get(skill, [])) for skill, record in records.items()}


def _with_due(record: SkillRecord, history: list[tuple[float, bool]]) -> SkillRecord:
    """The record with its next review time, the FSRS card rebuilt from mastery and every review
    since, in whichever lesson (the same rule as ``player.review``, over the whole course)."""
    if not record.mastered or not history:
        return record
    from lessonkit.engine.review import (
        schedule_review,  # fsrs only when something was mastered
    )

    card, due = None, None
    for when, passed in history:
        card, due = schedule_review(card, passed, datetime.fromtimestamp(when, timezone.utc))
    assert due is not None
    return SkillRecord(record.skill, record.p, record.evidence, record.mastered, record.lesson, record.updated_at,
                       record.mastered_at, record.reviews, due.timestamp())


def next_lesson(store: EventStore, student_id: str, plan: CoursePlan, now: float,
                goal: Sequence[str] = ()) -> Recommendation:
    """The lesson a student should open next and why: what the class server's lesson index
    shows each student (``engine.recommend`` decides; this reads their events for it)."""
    progress = course_progress(store, student_id, [l.id for l in plan.lessons])
    return recommend(plan, progress.learner(now, goal))


def lesson_ids_of(course: Mapping[str, object]) -> list[str]:
    """The lesson ids of a course plan as a built lesson carries it (``sealed["course"]``)."""
    lessons = course.get("lessons", [])
    return [str(l["id"]) for l in lessons if isinstance(l, Mapping)] if isinstance(lessons, list) else []
