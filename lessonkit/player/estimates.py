"""The student's current mastery estimate of each skill, as the events recorded it.

The arithmetic (Bayesian knowledge tracing, the escape-hatch budget) is the engine's
(``engine.mastery``); this module keeps its results: it folds ``mastery_changed`` events
and makes new ones, so a resumed session starts from exactly the estimates the last one
reached rather than recomputing them from answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lessonkit.engine.mastery import SkillMastery, update, void_item
from lessonkit.model import MasteryPolicy, Skill
from lessonkit.player.identity import Identity
from lessonkit.player.journal import Journal
from lessonkit.progress import MASTERY_CHANGED, Event, EventStore

__all__ = ["Estimates", "carried_mastery"]


class Estimates:
    """Per skill of the lesson, the latest estimate; a skill without evidence is at its prior."""

    def __init__(self, skills: Mapping[str, Skill], policy: MasteryPolicy, journal: Journal,
                 carried: Mapping[str, SkillMastery] | None = None) -> None:
        self.skills = skills
        self.policy = policy
        self._journal = journal
        self._known: dict[str, SkillMastery] = {}
        #: estimates other lessons of the course made (progress.course): where a skill starts here
        self._carried = dict(carried or {})

    @property
    def known(self) -> Mapping[str, SkillMastery]:
        """The skills some event has estimated (the flags look at these only)."""
        return self._known

    def of(self, skill_id: str) -> SkillMastery:
        """The current estimate for a skill (its prior before any evidence)."""
        return (self._known.get(skill_id) or self._carried.get(skill_id)
                or SkillMastery.initial(self.skills.get(skill_id) or Skill(skill_id)))

    def by_skill(self) -> dict[str, SkillMastery]:
        """Every skill of the lesson's estimate (the prerequisite search compares them all)."""
        return {skill_id: self.of(skill_id) for skill_id in self.skills}

    def learned(self, skill_id: str, evidence: bool) -> SkillMastery:
        """The estimate after one piece of evidence."""
        return update(self.skills[skill_id], self.policy, self.of(skill_id), evidence)

    def voided(self, skill_id: str) -> SkillMastery:
        """The estimate after a fresh item the student was shown the answer to: no evidence,
        but the item is spent (``engine.mastery.void_item``)."""
        return void_item(self.skills[skill_id], self.policy, self.of(skill_id))

    def reopened(self, step_id: str) -> list[Event]:
        """Entering remediation re-opens practice: a skill that needed it gets a fresh item
        budget, so coming back is not an instant second escape."""
        return [self.event(skill_id, SkillMastery(state.p, state.evidence, 0, state.mastered, False), None,
                           step_id=step_id)
                for skill_id, state in self._known.items() if state.needs_remediation]

    def event(self, skill_id: str, after: SkillMastery, check_id: str | None, *,
              step_id: str | None = None) -> Event:
        """The ``mastery_changed`` event that records a new estimate."""
        # "items" is beyond the documented fields: it makes the escape-hatch budget resumable
        return self._journal.event(MASTERY_CHANGED, step_id=step_id, check_id=check_id, data={
            "skill": skill_id, "p": after.p, "evidence": after.evidence, "items": after.items,
            "mastered": after.mastered, "needs_remediation": after.needs_remediation})

    def fold(self, event: Event) -> None:
        data = event.data
        if event.type != MASTERY_CHANGED or data.get("skill") not in self.skills:
            return
        skill_id = data["skill"]
        before = self._known.get(skill_id)
        self._known[skill_id] = SkillMastery(float(data["p"]), int(data.get("evidence", 0)),
                                             int(data.get("items", before.items if before else 0)),
                                             bool(data.get("mastered")), bool(data.get("needs_remediation")))


def carried_mastery(lesson: Mapping[str, Any], identity: Identity, store: EventStore) -> dict[str, SkillMastery]:
    """What the student's other lessons of the course say about this lesson's skills
    (nothing for a lesson built outside a course): a skill mastered there starts mastered here."""
    course = lesson.get("course")
    if not course:
        return {}
    from lessonkit.progress.course import course_progress, lesson_ids_of

    others = [l for l in lesson_ids_of(course) if l != lesson["id"]]
    return course_progress(store, identity.student_id, others).carried_into(lesson["id"], lesson["skills"])
