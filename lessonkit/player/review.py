"""Spaced review of mastered skills: when a review is due, and what answering one does.

Mastery is not the end of a skill: the student is asked to retrieve it again at spaced
intervals (FSRS, ``engine.review``), in the lesson's review steps.  A skill's schedule is
rebuilt from its history (mastered, then each review), so it needs no state of its own
beyond the events.  ``engine.review`` loads the scheduler, which a student kernel should
not pay for before a skill is mastered; hence the imports inside the methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from lessonkit.engine.mastery import SkillMastery
from lessonkit.engine.path import LessonPath
from lessonkit.player.estimates import Estimates
from lessonkit.player.journal import Journal
from lessonkit.progress import MASTERY_CHANGED, REVIEW_DONE, Event

__all__ = ["Reviews"]


class Reviews:
    """The review schedules of one student's mastered skills."""

    def __init__(self, path: LessonPath, checks: Mapping[str, Mapping[str, Any]], step_of: Mapping[str, str],
                 estimates: Estimates, journal: Journal) -> None:
        self._path = path
        self._checks = checks
        self._step_of = step_of
        self._estimates = estimates
        self._journal = journal
        self._history: dict[str, list[tuple[float, bool]]] = {}  # skill -> (when, passed), from mastery on

    def due(self, now: float | None = None) -> list[str]:
        """Mastered skills whose review is due and that a review step can retrieve."""
        if not self._history:
            return []
        from lessonkit.engine.review import due_reviews

        moment = datetime.fromtimestamp(self._journal.clock() if now is None else now, timezone.utc)
        due = due_reviews({s: self._card(s) for s in self._history}, moment)
        return [s for s in due if self._path.review_step_for(s)]

    def reviewed_by(self, check_id: str) -> list[str]:
        """The skills an answer to this check reviews: it sits in a review step that
        retrieves them, and they have been mastered (they have a review schedule)."""
        step = self._path.step(self._step_of[check_id])
        if step["kind"] != "review":
            return []
        skills = self._checks[check_id]["skills"]
        wanted = step.get("review") or skills
        return [s for s in skills if s in wanted and s in self._history]

    def review(self, skill_id: str, check_id: str, correct: bool, now: float) -> tuple[Event, SkillMastery | None]:
        """A retrieval of a mastered skill: the ``review_done`` event that schedules the next
        one, and the new estimate (None: unchanged).  A failure costs mastery and re-opens
        practice (``engine.review.after_failed_review``)."""
        from lessonkit.engine.review import after_failed_review, schedule_review

        _, due = schedule_review(self._card(skill_id), correct, datetime.fromtimestamp(now, timezone.utc))
        event = self._journal.event(REVIEW_DONE, check_id=check_id, data={
            "skill": skill_id, "correct": correct, "next_due": due.timestamp()})
        if correct:
            return event, None
        estimates = self._estimates
        return event, after_failed_review(estimates.of(skill_id), estimates.skills[skill_id], estimates.policy)

    def fold(self, event: Event) -> None:
        """Mastery starts a skill's schedule; each review adds to it."""
        data = event.data
        skill_id = data.get("skill")
        if event.type == MASTERY_CHANGED and skill_id in self._estimates.skills:
            if data.get("mastered") and skill_id not in self._history:
                self._history[skill_id] = [(event.ts, True)]
        elif event.type == REVIEW_DONE and skill_id in self._history:
            self._history[skill_id].append((event.ts, bool(data.get("correct"))))

    def _card(self, skill_id: str) -> dict[str, Any]:
        """The skill's FSRS card, rebuilt from its history: mastery counts as the first
        successful retrieval, then each review (the scheduler is deterministic)."""
        from lessonkit.engine.review import schedule_review

        card = None
        for when, passed in self._history[skill_id]:
            card, _ = schedule_review(card, passed, datetime.fromtimestamp(when, timezone.utc))
        assert card is not None
        return card
