"""Spaced review of mastered skills (architecture §7), scheduled by FSRS (package ``fsrs``).

A skill, once mastered, comes back for a short retrieval check after a spacing interval
that grows with every successful review and shrinks after a failure.  Each skill has one
FSRS card per student, kept by the caller as the JSON-able dict :func:`schedule_review`
returns (fsrs's own ``Card.to_dict`` form; treat it as opaque).

Choices made for lessons rather than flashcards:

* no learning or relearning steps (fsrs defaults to 1 and 10 minutes): the practice that
  led to mastery *is* the learning, so the first review is days away, not minutes;
* no fuzzing, so a schedule is reproducible (tests, resuming on another machine);
* a correct review is rated Good and a failed one Again: a retrieval check is pass/fail.

``fsrs`` is imported on first use only: student kernels import this module.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping

from lessonkit.engine.mastery import SkillMastery, update
from lessonkit.model import MasteryPolicy, Skill

if TYPE_CHECKING:
    import fsrs

__all__ = ["after_failed_review", "due_reviews", "schedule_review"]


@lru_cache(maxsize=1)
def _scheduler() -> fsrs.Scheduler:
    import fsrs

    return fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a review time must be timezone-aware, got {moment.isoformat()}")
    return moment.astimezone(timezone.utc)


def schedule_review(
    card_state: Mapping[str, Any] | None, correct: bool, now: datetime
) -> tuple[dict[str, Any], datetime]:
    """Record one review of a skill at ``now`` and say when it is next due.

    ``card_state=None`` starts a card: call it with ``correct=True`` when the skill
    becomes mastered, which counts as the first successful retrieval.  Returns the new
    card state and its due time (UTC).  ``now`` must be timezone-aware.
    """
    import fsrs

    now = _utc(now)
    card = fsrs.Card.from_dict(card_state) if card_state else fsrs.Card(card_id=0, due=now)
    rating = fsrs.Rating.Good if correct else fsrs.Rating.Again
    card, _ = _scheduler().review_card(card, rating, review_datetime=now)
    return dict(card.to_dict()), card.due


def due_reviews(review_states: Mapping[str, Mapping[str, Any]], now: datetime) -> list[str]:
    """The skills whose review is due at ``now``, most overdue first (then by skill id)."""
    now = _utc(now)
    due = [
        (_utc(datetime.fromisoformat(state["due"])), skill)
        for skill, state in review_states.items()
    ]
    return [skill for when, skill in sorted(due) if when <= now]


def after_failed_review(
    mastery: SkillMastery, skill: Skill, policy: MasteryPolicy
) -> SkillMastery:
    """Mastery after a failed review: one incorrect BKT observation.

    If the skill drops below the threshold it is no longer mastered, and practice
    re-opens with a full budget (``items`` restarts at 0): a student who forgot a skill
    mastered weeks ago gets ``max_items`` items of practice before the escape hatch, not
    straight to remediation because of the items that once led to mastery.
    """
    after = update(skill, policy, mastery, False)
    if after.mastered:
        return after
    return SkillMastery(p=after.p, evidence=after.evidence)
