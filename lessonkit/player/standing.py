"""The student as the teacher's branch rules see them: one method per function of the
condition language (``engine.conditions.ConditionContext``).

The rules are written against these functions only (``mastered('add-like')``,
``attempts('which-equal') > 2``), so the engine can route a student without knowing how
their state is kept, and a front end can preview where a step would lead.
"""

from __future__ import annotations

from lessonkit.player.estimates import Estimates
from lessonkit.progress import StudentState

__all__ = ["Standing"]


class Standing:
    """A :class:`~lessonkit.engine.conditions.ConditionContext` over one student's state and
    mastery estimates, always current (it reads them, it keeps nothing)."""

    def __init__(self, state: StudentState, estimates: Estimates) -> None:
        self._state = state
        self._estimates = estimates

    def mastery(self, skill: str) -> float:
        return self._estimates.of(skill).p

    def mastered(self, skill: str) -> bool:
        return self._estimates.of(skill).mastered

    def needs_remediation(self, skill: str) -> bool:
        return self._estimates.of(skill).needs_remediation

    def evidence(self, skill: str) -> int:
        return self._estimates.of(skill).evidence

    def attempts(self, check: str) -> int:
        return self._state.check(check).attempts

    def score(self, check: str) -> float:
        return self._state.check(check).best_score

    def correct(self, check: str) -> bool:
        return self._state.check(check).correct

    def visible_passed(self, check: str) -> bool:
        return self._state.check(check).visible_passed

    def hints(self, check: str) -> int:
        return self._state.check(check).hints

    def chose(self, choice: str) -> str:
        return self._state.choices.get(choice, "")

    def visits(self, step: str) -> int:
        return self._state.visits.get(step, 0)
