"""Teacher flags (lessonkit.engine.flags): each detector fires on the behaviour it names
and stays quiet on the ordinary work next to it."""

from __future__ import annotations

from lessonkit.engine.flags import (
    HELP_AVOIDANCE_WRONG,
    HINT_CLICK_SECONDS,
    RAPID_ANSWER_SECONDS,
    STUCK_ATTEMPTS,
    Activity,
    Flag,
    detect_flags,
    help_avoidance,
    hint_click_through,
    rapid_guessing,
    stuck,
)
from lessonkit.engine.mastery import SkillMastery
from lessonkit.model import Check, Hint


def answered(ts, answer, correct=False, check="c"):
    return Activity(ts=ts, type="answered", check_id=check, correct=correct, answer=answer)


def hint(ts, bottom_out=False, check="c"):
    return Activity(ts=ts, type="hint_revealed", check_id=check, bottom_out=bottom_out)


def slow_wrong(count, check="c", start=0.0):
    """Distinct, unhurried wrong answers: ordinary struggle, not guessing."""
    return [answered(start + 60.0 * n, f"try {n}", check=check) for n in range(count)]


# --- stuck ---------------------------------------------------------------------------


def test_stuck_on_a_check_after_many_answers_without_a_correct_one():
    assert stuck(slow_wrong(STUCK_ATTEMPTS - 1)) == []
    assert stuck(slow_wrong(STUCK_ATTEMPTS)) == [
        Flag("stuck", "c", f"{STUCK_ATTEMPTS} answers, none correct")
    ]


def test_not_stuck_once_the_check_was_answered_right():
    records = slow_wrong(STUCK_ATTEMPTS) + [answered(1000.0, "right", correct=True)]
    assert stuck(records) == []


def test_stuck_on_a_skill_after_max_items_without_mastery():
    masteries = {
        "add-like": SkillMastery(p=0.42, evidence=10, items=10, needs_remediation=True),
        "equivalent": SkillMastery(p=0.97, evidence=4, items=4, mastered=True),
    }
    assert stuck([], masteries) == [
        Flag("stuck", None, "10 items without mastery (P = 0.42)", skill_id="add-like")
    ]


# --- hint click-through --------------------------------------------------------------


def test_clicking_down_to_the_bottom_out_hint():
    records = [hint(100.0), hint(101.5), hint(103.0, bottom_out=True)]
    assert hint_click_through(records) == [
        Flag("hint_click_through", "c", "bottom-out hint revealed 1.5 s after the previous hint")
    ]


def test_reading_the_hints_is_not_click_through():
    records = [hint(100.0), hint(100.0 + HINT_CLICK_SECONDS + 20), hint(200.0, bottom_out=True)]
    assert hint_click_through(records) == []


def test_fast_hints_that_stop_before_the_bottom_out_are_not_click_through():
    assert hint_click_through([hint(100.0), hint(101.0), hint(102.0)]) == []


def test_an_answer_between_hints_breaks_the_chain():
    records = [hint(100.0), answered(101.0, "x"), hint(102.0, bottom_out=True)]
    assert hint_click_through(records) == []


def test_a_single_bottom_out_hint_is_not_click_through():
    assert hint_click_through([hint(100.0, bottom_out=True)]) == []


def test_hints_on_different_checks_do_not_chain():
    records = [hint(100.0, check="a"), hint(101.0, bottom_out=True, check="b")]
    assert hint_click_through(records) == []


# --- rapid guessing ------------------------------------------------------------------


def test_wrong_answers_seconds_apart():
    records = [answered(100.0 + 2 * n, str(n)) for n in range(4)]  # first one is not "rapid"
    assert rapid_guessing(records) == [
        Flag("rapid_guessing", "c", "3 wrong answers that were rapid, repeated or blank")
    ]


def test_repeated_and_blank_answers_count_as_guesses():
    records = [
        answered(0.0, "1/2"),
        answered(60.0, " 1/2 "),  # repeat
        answered(120.0, ""),  # blank
        answered(180.0, None),  # blank
    ]
    assert [f.kind for f in rapid_guessing(records)] == ["rapid_guessing"]
    assert rapid_guessing([answered(0.0, []), answered(60.0, []), answered(120.0, ["a"])]) == []


def test_slow_distinct_wrong_answers_are_not_guessing():
    assert rapid_guessing(slow_wrong(10)) == []


def test_a_quick_correct_answer_is_not_a_guess():
    records = [answered(0.0, "a"), answered(RAPID_ANSWER_SECONDS / 2, "b", correct=True)]
    records += [answered(100.0 + 60 * n, str(n)) for n in range(3)]
    assert rapid_guessing(records) == []


def test_records_are_put_in_time_order():
    records = [answered(104.0, "c"), answered(100.0, "a"), answered(106.0, "d"), answered(102.0, "b")]
    assert len(rapid_guessing(records)) == 1


# --- help avoidance ------------------------------------------------------------------

CHECKS = {
    "c": Check(id="c", kind="numeric", hints=(Hint("think"), Hint("closer", after=1), Hint("2/4 + 1/4", bottom_out=True))),
    "gated": Check(id="gated", kind="numeric", hints=(Hint("late", after=3),)),
    "no-hints": Check(id="no-hints", kind="numeric"),
}


def test_many_wrong_answers_with_a_hint_available():
    assert help_avoidance(slow_wrong(HELP_AVOIDANCE_WRONG - 1), CHECKS) == []
    assert help_avoidance(slow_wrong(HELP_AVOIDANCE_WRONG), CHECKS) == [
        Flag("help_avoidance", "c", f"{HELP_AVOIDANCE_WRONG} wrong answers without revealing the available hint")
    ]


def test_asking_for_a_hint_resets_the_count():
    records = slow_wrong(3) + [hint(500.0)] + slow_wrong(3, start=600.0)
    assert help_avoidance(records, CHECKS) == []


def test_answers_before_a_gated_hint_opens_do_not_count():
    # the hint opens after 3 submissions: only answers 4 to 6 are made with help at hand
    assert help_avoidance(slow_wrong(6, check="gated"), CHECKS) == []
    assert [f.check_id for f in help_avoidance(slow_wrong(7, check="gated"), CHECKS)] == ["gated"]


def test_no_help_avoidance_without_hints_or_once_all_are_used():
    assert help_avoidance(slow_wrong(10, check="no-hints"), CHECKS) == []
    assert help_avoidance(slow_wrong(10, check="unknown"), CHECKS) == []
    used_up = [hint(0.0), hint(30.0), hint(60.0, bottom_out=True)] + slow_wrong(8, start=100.0)
    assert help_avoidance(used_up, CHECKS) == []


# --- all together --------------------------------------------------------------------


def test_detect_flags_runs_every_detector():
    records = (
        [hint(0.0, check="hints"), hint(1.0, bottom_out=True, check="hints")]
        + [answered(100.0 + n, "", check="guess") for n in range(3)]
        + slow_wrong(STUCK_ATTEMPTS, check="c", start=200.0)
    )
    masteries = {"s": SkillMastery(p=0.3, evidence=10, items=10, needs_remediation=True)}
    kinds = [(f.kind, f.check_id, f.skill_id) for f in detect_flags(records, checks=CHECKS, masteries=masteries)]
    assert kinds == [
        ("stuck", None, "s"),
        ("stuck", "c", None),
        ("hint_click_through", "hints", None),
        ("rapid_guessing", "guess", None),
        ("help_avoidance", "c", None),
    ]


def test_ordinary_work_raises_no_flag():
    records = [
        answered(0.0, "3/5"),
        hint(40.0),
        answered(90.0, "3/4", correct=True),
        answered(200.0, "7", check="other"),
        answered(260.0, "8", correct=True, check="other"),
    ]
    assert detect_flags(records, checks=CHECKS, masteries={"s": SkillMastery(p=0.5, items=3)}) == []
    assert detect_flags(iter(records)) == []
