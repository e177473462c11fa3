"""Spaced review (lessonkit.engine.review): FSRS scheduling with fixed datetimes, the
review queue, and what a failed review does to mastery."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from lessonkit.engine.mastery import SkillMastery, update
from lessonkit.engine.review import after_failed_review, due_reviews, schedule_review
from lessonkit.model import MasteryPolicy, Skill

MARCH_1 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
SKILL = Skill("add-like")
POLICY = MasteryPolicy()


def reviews(results, start=MARCH_1):
    """Review on the due date each time; returns the (state, due) after each review."""
    state, now, out = None, start, []
    for correct in results:
        state, due = schedule_review(state, correct, now)
        out.append((state, due))
        now = due
    return out


def test_mastery_starts_a_card_due_in_days_not_minutes():
    state, due = schedule_review(None, True, MARCH_1)
    assert timedelta(days=1) <= due - MARCH_1 <= timedelta(days=4)
    assert due.tzinfo == timezone.utc
    assert json.loads(json.dumps(state)) == state  # JSON-able as it is


def test_intervals_grow_with_each_success_and_shrink_after_a_failure():
    schedule = reviews([True, True, True, False, True])
    dues = [MARCH_1] + [due for _, due in schedule]
    intervals = [later - earlier for earlier, later in zip(dues, dues[1:])]
    assert intervals[0] < intervals[1] < intervals[2]
    assert intervals[3] < intervals[2] / 4
    assert intervals[4] > intervals[3]


def test_scheduling_is_reproducible():
    assert reviews([True, False, True]) == reviews([True, False, True])


def test_state_survives_a_json_round_trip():
    state, due = schedule_review(None, True, MARCH_1)
    stored = json.loads(json.dumps(state))
    assert schedule_review(stored, True, due) == schedule_review(state, True, due)


def test_any_timezone_is_accepted_and_due_dates_are_utc():
    paris = timezone(timedelta(hours=1))
    state, due = schedule_review(None, True, MARCH_1.astimezone(paris))
    assert (state, due) == schedule_review(None, True, MARCH_1)
    assert due.tzinfo == timezone.utc


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule_review(None, True, datetime(2025, 3, 1, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        due_reviews({}, datetime(2025, 3, 1))


def test_due_reviews_are_ordered_by_due_date():
    states = {
        "late": {"due": "2025-03-05T09:00:00+00:00"},
        "early": {"due": "2025-03-02T09:00:00+00:00"},
        "future": {"due": "2025-03-20T09:00:00+00:00"},
        "also-early": {"due": "2025-03-02T09:00:00+00:00"},
        "exactly-now": {"due": "2025-03-10T09:00:00+00:00"},
    }
    now = datetime(2025, 3, 10, 9, 0, tzinfo=timezone.utc)
    assert due_reviews(states, now) == ["also-early", "early", "late", "exactly-now"]
    assert due_reviews(states, MARCH_1) == []
    assert due_reviews({}, now) == []


def test_due_reviews_read_schedule_review_output():
    first, _ = schedule_review(None, True, MARCH_1)
    second, _ = schedule_review(first, True, MARCH_1 + timedelta(days=2))
    states = {"a": second, "b": first}
    assert due_reviews(states, MARCH_1 + timedelta(days=3)) == ["b"]
    assert due_reviews(states, MARCH_1 + timedelta(days=365)) == ["b", "a"]


def mastered_after(answers, policy=POLICY):
    state = None
    for correct in answers:
        state = update(SKILL, policy, state, correct)
    assert state.mastered
    return state


def test_a_failed_review_takes_mastery_away_and_reopens_practice():
    policy = MasteryPolicy(max_items=3)
    mastered = mastered_after([True] * 3, policy)
    after = after_failed_review(mastered, SKILL, policy)
    assert after.p == update(SKILL, policy, mastered, False).p < policy.threshold
    # without the fresh budget, items=4 >= max_items would send the student to remediation
    assert after == SkillMastery(p=after.p, evidence=4, items=0)


def test_a_failed_review_of_a_solid_skill_keeps_it_mastered():
    solid = mastered_after([True] * 8)
    assert solid.p > 0.999
    after = after_failed_review(solid, SKILL, POLICY)
    assert after.mastered and after.p < solid.p and after.items == solid.items + 1
