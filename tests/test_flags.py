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


def test_quick_repeats_and_blank_answers_count_as_guesses():
    records = [
        answered(0.0, "1/2"),
        answered(15.0, " 1/2 "),  # a repeat, too soon to have rethought
        answered(75.0, ""),  # blank
        answered(135.0, None),  # blank
    ]
    assert [f.kind for f in rapid_guessing(records)] == ["rapid_guessing"]
    held = [answered(60.0 * n, "1/2") for n in range(6)]  # a misconception, given thoughtfully each time
    assert rapid_guessing(held) == []
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


# --- simulated classes through the real player -------------------------------------------------
#
# Five populations, each generated with noise (how long students think, which wrong answer,
# sometimes behaving like someone else), driven through the real Session of the report's test
# lesson into a real SQLite store; then the report's flags and groups are scored against the
# population each student was drawn from.


def test_flags_and_groups_find_the_populations_of_a_simulated_class(tmp_path, capsys):
    import random
    import re

    from test_player_lesson import Clock, build
    from test_report import CELLS, right

    from lessonkit.player.identity import Identity
    from lessonkit.player.session import Session
    from lessonkit.progress import open_store
    from lessonkit.report import build_report

    rng = random.Random(2024)

    def wrong(s):  # a wrong decimal that is never right and rarely repeats
        return f"{float(right(s, 'add-like')) + rng.choice([0.3, 0.5, 0.7, 1.1, 1.3, 2.0]):.2f}"

    def diligent(s, clock):
        for _ in range(40):
            if s.finished:
                return
            check = "add-like" if s.current_step == "like-practice" else "add-unlike"
            clock.tick(rng.uniform(15, 60))
            if rng.random() < 0.15:  # a slip now and then, put right after reading the feedback
                s.answer(check, wrong(s) if check == "add-like" else "0.1")
                clock.tick(rng.uniform(15, 40))
            s.answer(check, right(s, check))
            clock.tick(5)
            s.go(s.route())

    def struggling(s, clock):
        for _ in range(8):
            if s.current_step == "reteach":
                clock.tick(rng.uniform(30, 60))
                s.answer("name-bottom", "numerator")
            else:
                clock.tick(rng.uniform(30, 90))
                s.answer("add-like", rng.choice(["0", wrong(s)]))
                if rng.random() < 0.7 and s.hint_offer("add-like") is not None:  # asks for help, and reads it
                    clock.tick(rng.uniform(20, 40))
                    s.reveal_hint("add-like")
            clock.tick(5)
            s.go(s.route())

    def hint_gamer(s, clock):  # the ladder is the check's: two rungs, the second the bottom-out
        clock.tick(rng.uniform(3, 8))
        s.reveal_hint("add-like")
        careful = rng.random() < 0.2  # reads the first hint this time
        clock.tick(rng.uniform(10, 20) if careful else rng.uniform(0.5, 3))
        s.reveal_hint("add-like")
        clock.tick(rng.uniform(4, 8))
        s.answer("add-like", right(s, "add-like"))

    def rapid_guesser(s, clock):
        clock.tick(rng.uniform(2, 5))
        steady = rng.random() < 0.2  # slows down: distinct, unhurried tries, no flag due
        for _ in range(4):
            s.answer("add-like", wrong(s) if steady else rng.choice(["1", "2", "1", "0"]))
            clock.tick(rng.uniform(20, 40) if steady else rng.uniform(0.5, 4))
        s.answer("add-like", right(s, "add-like"))

    def help_avoider(s, clock):
        for _ in range(HELP_AVOIDANCE_WRONG):  # each retry a fresh item: 5 items, inside max_items=6
            clock.tick(rng.uniform(20, 50))
            s.answer("add-like", wrong(s))
        clock.tick(30)
        s.answer("add-like", right(s, "add-like"))

    populations = {"diligent": diligent, "struggling": struggling, "hint_gamer": hint_gamer,
                   "rapid_guesser": rapid_guesser, "help_avoider": help_avoider}
    sealed = build(tmp_path, CELLS).sealed
    url = f"sqlite:///{tmp_path / 'class.sqlite'}"
    drawn = {}
    with open_store(url) as store:
        for n in range(30):
            name = list(populations)[n % 5]
            student = f"{name}-{n:02d}"
            drawn[student] = name
            clock = Clock(1_750_000_000.0 + 1000 * n)
            session = Session(sealed, Identity(student, "header"), store, clock=clock)
            session.start()
            populations[name](session, clock)
    report = build_report(url, "fractions")
    with open_store(url) as store:  # the report's flags are the store's, student by student
        for p in report.per_student:
            logged = [(e.ts, e.data["kind"]) for e in store.history("fractions", p.student) if e.type == "flag_raised"]
            # times are kept to the millisecond: the same moment may round either side of one
            assert [f.kind for f in p.flags] == [k for _, k in logged], p.student
            assert all(abs(f.ts - t) < 0.002 for f, (t, _) in zip(p.flags, logged)), p.student
    flagged = {p.student: {f.kind for f in p.flags} for p in report.per_student}
    meant = {"stuck": "struggling", "hint_click_through": "hint_gamer", "rapid_guessing": "rapid_guesser",
             "help_avoidance": "help_avoider"}
    # Bars. A flag asks the teacher to walk over (engine/flags.py: conservative by design), so a
    # false alarm costs more than a miss: precision must be at least 0.8 for every flag. Recall
    # is held lower: a fifth of each noisy population is drawn behaving like someone else (the
    # gamer who reads a hint, the guesser who slows down), so a perfect detector finds 0.8 of
    # them; a bar of 0.6 allows one more miss in six by chance of the noise.
    scores = {}
    for kind, population in meant.items():
        raised = {s for s, kinds in flagged.items() if kind in kinds}
        members = {s for s, p in drawn.items() if p == population}
        hits = len(raised & members)
        scores[kind] = (hits / len(raised) if raised else 0.0, hits / len(members))
    with capsys.disabled():
        for kind, (precision, recall) in scores.items():
            print(f"\n  flag {kind:<19} precision {precision:.2f}  recall {recall:.2f}", end="")
        print()
    for kind, (precision, recall) in scores.items():
        assert precision >= 0.8, (kind, precision, [(p.student, p.flags) for p in report.per_student
                                                    if kind in flagged[p.student] and drawn[p.student] != meant[kind]])
        assert recall >= 0.6, (kind, recall)
    groups = {g.title: set(g.members) for g in report.groups}
    struggling_ones = {s for s, p in drawn.items() if p == "struggling"}
    assert struggling_ones <= groups.get("Reteach like", set()) | {h.student for h in report.needs_help}
    assert {s for s, p in drawn.items() if p == "diligent"} == groups["Ready for enrichment"]
    assert not {s for s, p in drawn.items() if p == "diligent"} & {h.student for h in report.needs_help}
    assert re.search(r"struggling", " ".join(h.student for h in report.needs_help))
