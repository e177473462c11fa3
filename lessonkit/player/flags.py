"""Behaviour flags for the teacher, raised as the student works (detectors: ``engine.flags``).

A flag asks a teacher to look at a student (stuck, hint click-through, rapid guessing,
help avoidance), so each is raised once, the moment the activity first shows it, and
recorded with the action that showed it.  The activity is read from the same events a
resumed session folds, so a flag already raised is never raised again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lessonkit.engine.flags import Activity, detect_flags
from lessonkit.engine.mastery import SkillMastery
from lessonkit.model import Check, Hint
from lessonkit.player.estimates import Estimates
from lessonkit.player.journal import Journal
from lessonkit.progress import ANSWERED, FLAG_RAISED, HINT_REVEALED, Event, StudentState

__all__ = ["FlagWatch"]


class FlagWatch:
    """One student's activity on the lesson's checks, and the flags it has raised."""

    def __init__(self, checks: Mapping[str, Mapping[str, Any]], state: StudentState, estimates: Estimates,
                 journal: Journal) -> None:
        # help avoidance needs the hint ladders, as the model's checks carry them
        self._ladders = {cid: Check(cid, c["kind"], hints=tuple(Hint(**h) for h in c["hints"]))
                         for cid, c in checks.items()}
        self._state = state
        self._estimates = estimates
        self._journal = journal
        self._activity: list[Activity] = []

    def fold(self, event: Event) -> None:
        activity = _activity_of(event)
        if activity is not None and activity.check_id in self._ladders:
            self._activity.append(activity)

    def raised_by(self, event: Event, changed: Mapping[str, SkillMastery]) -> list[Event]:
        """The ``flag_raised`` events for the flags that ``event`` (an answer or a hint, not
        yet recorded) raises, given the estimates it ``changed``."""
        activity = _activity_of(event)
        if activity is None:
            return []
        raised = {(f.kind, f.check, f.skill) for f in self._state.flags}
        masteries = {**self._estimates.known, **changed}
        events = []
        for flag in detect_flags([*self._activity, activity], checks=self._ladders, masteries=masteries):
            key = (flag.kind, flag.check_id, flag.skill_id)
            if key not in raised:
                raised.add(key)
                events.append(self._journal.event(FLAG_RAISED, check_id=flag.check_id, data={
                    "kind": flag.kind, "skill": flag.skill_id, "check": flag.check_id, "detail": flag.detail}))
        return events


def _activity_of(event: Event) -> Activity | None:
    """What the detectors read of an answer or a hint (None for any other event)."""
    if event.check_id is None:
        return None
    if event.type == ANSWERED:
        return Activity(event.ts, "answered", event.check_id, event.data.get("correct"), event.data.get("answer"))
    if event.type == HINT_REVEALED:
        return Activity(event.ts, "hint_revealed", event.check_id, bottom_out=bool(event.data.get("bottom_out")))
    return None
