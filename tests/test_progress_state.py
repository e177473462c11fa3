"""StudentState: the fold over one student's events."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lessonkit.progress import (
    ANSWERED,
    BRANCH_TAKEN,
    CHOICE_MADE,
    FLAG_RAISED,
    HINT_REVEALED,
    LESSON_STARTED,
    MASTERY_CHANGED,
    REVIEW_DONE,
    SOLUTION_REVEALED,
    STEP_ENTERED,
    STEP_LEFT,
    CheckState,
    Event,
    Flag,
    SkillState,
    StudentState,
    open_store,
)


class Session:
    """Writes one student's events with a ticking clock, as the player would."""

    def __init__(self, student: str = "ada") -> None:
        self.student, self.clock, self.events = student, 100.0, []

    def __call__(self, event_type: str, step: str | None = None, check: str | None = None, /, **data: Any) -> Event:
        self.clock += 1
        event = Event("fractions", self.student, event_type, ts=self.clock, step_id=step, check_id=check, data=data)
        self.events.append(event.with_seq(len(self.events) + 1))
        return self.events[-1]


@pytest.fixture
def session() -> Session:
    s = Session()
    s(LESSON_STARTED, version="1")
    s(STEP_ENTERED, "intro", kind="content")
    s(STEP_LEFT, "intro", elapsed_s=30)
    s(STEP_ENTERED, "practice", kind="check")
    s(ANSWERED, "practice", "half", answer="2/6", item=0, correct=False, score=0.0, attempt=1, evidence=True)
    s(MASTERY_CHANGED, "practice", "half", skill="add", p=0.08, evidence=1, mastered=False, needs_remediation=False)
    s(HINT_REVEALED, "practice", "half", rung=0, bottom_out=False, cost=0.0)
    s(HINT_REVEALED, "practice", "half", rung=1, bottom_out=True, cost=0.5)
    s(HINT_REVEALED, "practice", "half", rung=1, bottom_out=True, cost=0.5)  # re-shown: no new hint, no new cost
    s(ANSWERED, "practice", "half", answer="3/4", item=2, correct=True, score=0.5, attempt=2, evidence=False)
    s(FLAG_RAISED, "practice", "half", kind="hint_click_through", check="half", detail="2 hints in 3 s")
    s(STEP_LEFT, "practice", elapsed_s=12.5)
    s(BRANCH_TAKEN, "practice", **{"from": "practice", "to": "common-denominator", "rule": 1, "condition": "x"})
    s(STEP_ENTERED, "common-denominator", kind="remediation")
    s(ANSWERED, "common-denominator", "code-lcd", answer="def lcd(a, b): ...", correct=None, score=0.0,
      pending=True, attempt=1, evidence=False)
    s(SOLUTION_REVEALED, "common-denominator", "code-lcd")
    s(STEP_LEFT, "common-denominator", elapsed_s=40)
    s(STEP_ENTERED, "practice", kind="check")
    s(MASTERY_CHANGED, "practice", "half", skill="add", p=0.96, evidence=3, mastered=True, needs_remediation=False)
    s(CHOICE_MADE, "practice", choice="theme", label="Music", goto="music")
    s(REVIEW_DONE, "music", skill="add", correct=True, next_due=200000.0)
    return s


def test_the_fold_summarises_a_session(session: Session) -> None:
    state = StudentState.from_events(session.events)
    assert (state.lesson_id, state.student_id, state.started) == ("fractions", "ada", True)
    assert state.current_step == "music"  # the choice decided where to resume
    assert state.visits == {"intro": 1, "practice": 2, "common-denominator": 1}
    assert list(state.visits) == ["intro", "practice", "common-denominator"]
    assert state.seconds == {"intro": 30.0, "practice": 12.5, "common-denominator": 40.0}
    assert state.checks["half"] == CheckState(
        attempts=2, answers=["2/6", "3/4"], items=[0, 2], best_score=0.5, correct=True, pending=False,
        hints_revealed=[0, 1], bottom_out=True, hint_cost=0.5, solution_revealed=False,
        visible_passed=True,  # not a code check: its visible test is its answer, right
    )
    assert state.check("half").hints == 2
    lcd = state.checks["code-lcd"]
    assert lcd.pending and not lcd.correct and lcd.best_score == 0.0 and lcd.solution_revealed
    assert state.skills == {"add": SkillState(p=0.96, evidence=3, mastered=True, needs_remediation=False,
                                              reviews=1, last_review_correct=True, next_due=200000.0)}
    assert state.choices == {"theme": "Music"}
    assert state.flags == [Flag(kind="hint_click_through", ts=111.0, check="half", detail="2 hints in 3 s")]
    assert not state.finished
    assert (state.events, state.last_seq, state.last_ts) == (21, 21, 121.0)


def test_incremental_apply_equals_the_fold(session: Session) -> None:
    running = StudentState()
    for event in session.events:
        assert running.apply(event) is running
        assert running == StudentState.from_events(session.events[: event.seq])


def test_an_unknown_check_or_skill_reads_as_fresh() -> None:
    state = StudentState()
    assert state.check("nope") == CheckState() and state.check("nope").hints == 0
    assert state.skill("nope") == SkillState() and state.skill("nope").p is None
    assert state.checks == {} and state.skills == {}  # reading does not create


def test_a_branch_decides_where_to_resume_even_before_the_step_is_entered() -> None:
    s = Session()
    s(STEP_ENTERED, "practice", kind="check")
    s(BRANCH_TAKEN, "practice", **{"from": "practice", "to": "egyptian", "rule": 0, "condition": "mastered('add')"})
    assert StudentState.from_events(s.events).current_step == "egyptian"


def test_entering_an_end_step_finishes_the_lesson() -> None:
    s = Session()
    s(STEP_ENTERED, "practice", kind="check")
    assert not StudentState.from_events(s.events).finished
    s(STEP_ENTERED, "done", kind="end")
    state = StudentState.from_events(s.events)
    assert state.finished and state.current_step == "done"


def test_a_graded_pending_answer_and_a_later_right_one() -> None:
    s = Session()
    s(ANSWERED, "p", "c", answer="x", correct=None, pending=True, score=0.0)
    s(ANSWERED, "p", "c", answer="y", correct=True, pending=False)  # no score given: right counts as 1
    check = StudentState.from_events(s.events).checks["c"]
    assert not check.pending and check.correct and check.best_score == 1.0 and check.attempts == 2


def test_another_students_or_lessons_event_is_refused(session: Session) -> None:
    state = StudentState.from_events(session.events)
    intruder = Session("bob")(ANSWERED, "practice", "half", answer="1/2", correct=True)
    with pytest.raises(ValueError, match="student_id 'bob', not to this state's 'ada'"):
        state.apply(replace(intruder, seq=99))
    with pytest.raises(ValueError, match="lesson_id 'other'"):
        state.apply(replace(session.events[-1], lesson_id="other", seq=100, uid="x"))
    assert state == StudentState.from_events(session.events)
    with pytest.raises(ValueError, match="student_id 'ada'"):
        StudentState.from_events(session.events, student_id="bob")


def test_an_event_applied_twice_or_out_of_order_is_refused(session: Session) -> None:
    state = StudentState.from_events(session.events)
    with pytest.raises(ValueError, match="applied once each, in order"):
        state.apply(session.events[-1])


@pytest.mark.parametrize(
    "kind, fields, missing",
    [
        (ANSWERED, {"check_id": None}, "check_id"),
        (STEP_ENTERED, {"step_id": None}, "step_id"),
        (BRANCH_TAKEN, {"data": {"from": "a"}}, "data['to']"),
        (MASTERY_CHANGED, {"data": {"skill": "add"}}, "data['p']"),
        (FLAG_RAISED, {"data": {}}, "data['kind']"),
    ],
)
def test_an_event_missing_what_the_fold_needs_says_so(kind: str, fields: dict[str, Any], missing: str) -> None:
    event = Event("fractions", "ada", kind, **{"step_id": "s", "check_id": "c", "data": {}, **fields})
    state = StudentState()
    with pytest.raises(ValueError, match=re.escape(f"has no {missing}")):
        state.apply(event)
    assert state.skills == {} and state.checks == {}


def test_the_state_rebuilds_from_a_store_after_a_restart(session: Session, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/p.sqlite"
    live = StudentState()
    with open_store(url) as store:  # the running player: append, then apply what the store acknowledged
        for event in session.events:
            live.apply(store.append(replace(event, seq=None)))
    with open_store(url) as store:  # the next day
        rebuilt = StudentState.from_events(store.history("fractions", "ada"))
    assert rebuilt == live and rebuilt.current_step == "music"
