"""Answering a check: judge the answer, decide whether it is evidence, record what it moves.

One answer is recorded as one batch: the answer itself, the review it completes, the
mastery estimates it changes and the flags it raises, so a crash can never keep the answer
and lose what it did.  Evidence follows architecture §7 (``engine.mastery.evidence_of``):
only the first answer to a fresh item, without help, counts; a review is scheduled rather
than counted, and a person-graded answer waits for the person.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lessonkit.engine.kinds import CheckKind, UnknownKindError, Verdict, get_kind
from lessonkit.engine.mastery import SkillMastery, evidence_of
from lessonkit.player.estimates import Estimates
from lessonkit.player.flags import FlagWatch
from lessonkit.player.items import Items
from lessonkit.player.journal import Journal
from lessonkit.player.review import Reviews
from lessonkit.player.routing import Router
from lessonkit.progress import ANSWERED, Event, StudentState

__all__ = ["Answers", "Outcome"]

log = logging.getLogger(__name__)

_UNKNOWN_KIND = Verdict(False, message="This check cannot be answered here: this lessonkit does not know its "
                                       "kind. Ask your teacher.", readable=False)
_NOT_JUDGED = Verdict(False, message="Something went wrong while checking your answer; it was not counted. "
                                     "Try again.", readable=False)


@dataclass(frozen=True)
class Outcome:
    """What one press of Check did.

    ``recorded`` is False when the answer could not even be read (nothing was stored and
    it is not an attempt).  ``next_item`` differs from ``item`` when the next try gets a
    new variant.  ``mastery`` holds the skills whose estimate this answer changed.
    """

    verdict: Verdict
    recorded: bool
    item: int
    next_item: int
    evidence: bool | None = None
    mastery: Mapping[str, SkillMastery] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


class Answers:
    """Takes one student's answers to the lesson's checks."""

    def __init__(self, checks: Mapping[str, Mapping[str, Any]], state: StudentState, items: Items,
                 estimates: Estimates, reviews: Reviews, flags: FlagWatch, router: Router, journal: Journal) -> None:
        self._checks = checks
        self._state = state
        self._items = items
        self._estimates = estimates
        self._reviews = reviews
        self._flags = flags
        self._router = router
        self._journal = journal

    def take(self, check_id: str, answer: Any) -> Outcome:
        """Judge an answer to a check's current item, record it with the mastery it moves and
        any flag it raises, and say what happened (see ``Session.answer``)."""
        check = self._checks[check_id]
        self._router.work_on(check_id)
        index, item = self._items.current(check_id)
        kind, verdict = _judge(check["kind"], item, answer)
        if kind is None or not verdict.readable:
            return Outcome(verdict, False, index, index)
        track = self._items.track(check_id)
        pending = verdict.correct is None
        fresh = index not in track.seen  # a fresh item's answer is also the first attempt at it
        now = self._journal.clock()
        correct = bool(verdict.correct)
        reviewing = [] if track.answered_here or pending else self._reviews.reviewed_by(check_id)
        evidence = None
        if not pending and not kind.graded_by_person and not reviewing:
            evidence = evidence_of(fresh, fresh, track.hints, track.bottom_out, correct)
        stored = answer if _storable(answer) else None
        answered = self._journal.event(ANSWERED, check_id=check_id, data={
            "answer": stored, "item": index, "correct": None if pending else correct,
            "score": float(verdict.score), "pending": pending, "attempt": self._state.check(check_id).attempts + 1,
            "evidence": evidence, "elapsed_s": round(max(0.0, now - track.since), 3),
            "feedback": feedback_shown(item, verdict),
            **_failed_tests(verdict),
        })
        voids = fresh and track.bottom_out and not pending
        moves, changed = self._moves(check_id, reviewing, evidence, voids, correct, now)
        flags = self._flags.raised_by(answered, changed)
        self._journal.record([answered, *moves, *flags])
        return Outcome(verdict, True, index, self._items.track(check_id).current, evidence, changed,
                       tuple(e.data["kind"] for e in flags))

    def _moves(self, check_id: str, reviewing: list[str], evidence: bool | None, voids: bool, correct: bool,
               now: float) -> tuple[list[Event], dict[str, SkillMastery]]:
        """Per skill of the check, what the answer does: a review it completes, or evidence
        that moves the estimate, or a fresh item spent after the bottom-out hint (``voids``).
        Returns the events, in that order per skill, and the estimates that changed."""
        events: list[Event] = []
        changed: dict[str, SkillMastery] = {}
        for skill_id in self._checks[check_id]["skills"]:
            if skill_id not in self._estimates.skills:
                continue
            if skill_id in reviewing:
                done, after = self._reviews.review(skill_id, check_id, correct, now)
                events.append(done)
                if after is None:
                    continue
            elif evidence is not None:
                after = self._estimates.learned(skill_id, evidence)
            elif voids:
                after = self._estimates.voided(skill_id)
            else:
                continue
            changed[skill_id] = after
            events.append(self._estimates.event(skill_id, after, check_id))
        return events, changed


def _judge(kind_name: str, item: Mapping[str, Any], answer: Any) -> tuple[CheckKind | None, Verdict]:
    """The kind and its verdict; a check never breaks the lesson, so a kind this lessonkit
    lacks (a plugin not installed here) or a failure to judge is a message, not a traceback."""
    try:
        kind = get_kind(kind_name)
    except UnknownKindError:
        return None, _UNKNOWN_KIND
    try:
        return kind, kind.judge(item, answer)
    except Exception:  # the student sees a message; the details are for the teacher's logs
        log.debug("judging failed", exc_info=True)
        return kind, _NOT_JUDGED


def feedback_shown(item: Mapping[str, Any], verdict: Verdict) -> int | None:
    """Which of the teacher's feedback messages the student was shown, as its position in the
    item's feedback table, so the report can say which misconception fired most.

    The table holds the check's ``feedback=[...]`` entries in the teacher's order, keyed by
    sealed answer (by test number for a code check), so the position is the entry's index
    there.  A kind shows the message as its verdict's message, or among its details (a code
    check lists one line per failed test); None when lessonkit's own words were shown.
    """
    if verdict.correct is not False:
        return None
    messages = list((item.get("feedback") or {}).values())
    return next((messages.index(m) for m in (verdict.message, *verdict.details) if m in messages), None)


def _failed_tests(verdict: Verdict) -> dict[str, Any]:
    """A code check's failed tests for the report (docs/report.md, "Code checks"): the test's
    number, the teacher's label and the failure's kind; never a test's source."""
    if not verdict.failed_tests:
        return {}
    return {"failed_tests": [{"test": f.test, "label": f.label, "error": f.error} for f in verdict.failed_tests]}


def _storable(answer: Any) -> bool:
    """Answers are stored as JSON; a notebook's code check passes a namespace, which is not."""
    try:
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
