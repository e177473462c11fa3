"""Bayesian Knowledge Tracing (lessonkit.engine.mastery): parity with pyBKT, the
evidence rule and the mastery policy of architecture §7, and a simulation of students."""

from __future__ import annotations

import random

import pytest

from lessonkit.engine.mastery import (
    SkillMastery,
    evidence_of,
    pybkt_model,
    update,
    void_item,
    weakest_prerequisite,
)
from lessonkit.model import MasteryPolicy, Skill

DEFAULT = Skill("default")
POLICY = MasteryPolicy()


def run(skill: Skill, answers, policy: MasteryPolicy = POLICY) -> SkillMastery | None:
    state = None
    for correct in answers:
        state = update(skill, policy, state, correct)
    return state


# --- the update itself ---------------------------------------------------------------


def test_first_correct_answer_by_hand():
    # posterior = .2*.9 / (.2*.9 + .8*.2) = .18/.34; then learn .15
    post = 0.18 / 0.34
    state = update(DEFAULT, POLICY, None, True)
    assert state.p == pytest.approx(post + (1 - post) * 0.15, abs=1e-15)
    assert (state.evidence, state.items, state.mastered, state.needs_remediation) == (1, 1, False, False)


def test_first_wrong_answer_by_hand():
    post = 0.02 / (0.02 + 0.8 * 0.8)
    assert update(DEFAULT, POLICY, None, False).p == pytest.approx(post + (1 - post) * 0.15, abs=1e-15)


def test_initial_state_is_the_prior():
    assert SkillMastery.initial(Skill("s", prior=0.3)) == SkillMastery(p=0.3)


def test_three_right_answers_in_a_row_master_a_default_skill():
    assert not run(DEFAULT, [True, True]).mastered
    state = run(DEFAULT, [True, True, True])
    assert state.mastered and state.p >= 0.95 and state.evidence == 3


def test_mastery_needs_min_evidence_even_with_a_high_prior():
    confident = Skill("s", prior=0.99)
    state = run(confident, [True])
    assert state.p >= 0.95 and not state.mastered
    assert run(confident, [True, True, True]).mastered


def test_a_wrong_answer_after_mastery_takes_it_away():
    state = run(DEFAULT, [True, True, True, False])
    assert not state.mastered and state.p < 0.95


def test_needs_remediation_after_max_items_without_mastery():
    policy = MasteryPolicy(max_items=4)
    state = run(DEFAULT, [False, True, False], policy)
    assert not state.needs_remediation
    state = update(DEFAULT, policy, state, False)
    assert state.items == 4 and state.needs_remediation


def test_mastery_clears_needs_remediation():
    policy = MasteryPolicy(max_items=2)
    assert run(DEFAULT, [False, False], policy).needs_remediation
    state = run(DEFAULT, [False, False] + [True] * 5, policy)
    assert state.mastered and not state.needs_remediation


def test_void_item_moves_the_budget_not_the_probability():
    state = run(DEFAULT, [True])
    voided = void_item(DEFAULT, POLICY, state)
    assert (voided.p, voided.evidence, voided.items) == (state.p, 1, 2)
    assert void_item(DEFAULT, POLICY, None) == SkillMastery(p=0.2, items=1)


def test_voiding_every_item_still_reaches_the_escape_hatch():
    state = None
    for _ in range(POLICY.max_items):
        state = void_item(DEFAULT, POLICY, state)
    assert state.needs_remediation and state.evidence == 0


# --- the evidence rule (architecture §7) -----------------------------------------------------


@pytest.mark.parametrize("correct", [True, False])
def test_first_unaided_attempt_at_a_fresh_item_is_evidence(correct):
    assert evidence_of(True, True, 0, False, correct) is correct


@pytest.mark.parametrize("correct", [True, False])
def test_retries_are_not_evidence(correct):
    assert evidence_of(False, True, 0, False, correct) is None


def test_a_repeated_item_is_not_evidence():
    assert evidence_of(True, False, 0, False, True) is None


def test_a_hint_before_the_first_submission_makes_it_incorrect_evidence():
    assert evidence_of(True, True, 1, False, True) is False
    assert evidence_of(True, True, 2, False, False) is False


@pytest.mark.parametrize("hints", [0, 1, 3])
def test_a_bottom_out_hint_voids_the_item(hints):
    assert evidence_of(True, True, hints, True, True) is None


# --- remediation routing ---------------------------------------------------------------

SKILLS = {
    "count": Skill("count"),
    "equivalent": Skill("equivalent", requires=("count",)),
    "add-like": Skill("add-like", requires=("equivalent",)),
    "multiply": Skill("multiply", prior=0.05),
    "add-unlike": Skill("add-unlike", requires=("add-like", "multiply")),
}


def test_weakest_prerequisite_is_the_lowest_transitive_prerequisite():
    masteries = {
        "count": SkillMastery(p=0.1),
        "equivalent": SkillMastery(p=0.5),
        "add-like": SkillMastery(p=0.4),
    }
    # multiply has no record: it counts at its prior 0.05, below count's 0.1
    assert weakest_prerequisite(SKILLS, "add-unlike", masteries) == "multiply"
    masteries["count"] = SkillMastery(p=0.01)
    assert weakest_prerequisite(SKILLS, "add-unlike", masteries) == "count"


def test_weakest_prerequisite_skips_mastered_skills():
    masteries = {name: SkillMastery(p=0.96, evidence=3, mastered=True) for name in SKILLS}
    masteries["equivalent"] = SkillMastery(p=0.97, evidence=1)  # not yet mastered
    assert weakest_prerequisite(SKILLS, "add-unlike", masteries) == "equivalent"


def test_weakest_prerequisite_ties_go_to_the_nearest():
    masteries = {name: SkillMastery(p=0.3) for name in SKILLS}
    assert weakest_prerequisite(SKILLS, "add-unlike", masteries) == "add-like"


def test_weakest_prerequisite_is_the_skill_itself_without_prerequisites():
    assert weakest_prerequisite(SKILLS, "count", {}) == "count"
    mastered = {name: SkillMastery(p=0.99, evidence=5, mastered=True) for name in SKILLS}
    assert weakest_prerequisite(SKILLS, "add-like", mastered) == "add-like"


def test_weakest_prerequisite_survives_cycles_and_unknown_ids():
    skills = {
        "a": Skill("a", requires=("b", "ghost")),
        "b": Skill("b", requires=("a",), prior=0.1),
    }
    assert weakest_prerequisite(skills, "a", {}) == "b"
    assert weakest_prerequisite(skills, "ghost", {}) == "ghost"


# --- parity with pyBKT -----------------------------------------------------------------

PYBKT_PINS = 'pip install pyBKT==1.4.3 "numpy<2.4" "scikit-learn<1.8"'


@pytest.fixture(scope="module")
def roster_class():
    try:
        from pyBKT.models import Roster
    except ImportError as error:  # the reference must be there: a parity test that skips proves nothing
        pytest.fail(f"pyBKT is needed for the parity test ({error}); install it with: {PYBKT_PINS}")
    return Roster


# pyBKT's backward pass (unused by Roster's forward prediction) divides 0 by 0 on the empty
# slot it appends after each answer
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_parity_with_pybkt_roster(roster_class):
    rng = random.Random(20240607)
    skills = [DEFAULT] + [
        Skill(
            f"random-{i}",
            prior=rng.uniform(0.01, 0.9),
            learn=rng.uniform(0.01, 0.5),
            guess=rng.uniform(0.01, 0.4),
            slip=rng.uniform(0.01, 0.3),
        )
        for i in range(4)
    ]
    sequences = 300
    students = [f"student-{n}" for n in range(sequences)]
    roster = roster_class(students, [s.id for s in skills], model=pybkt_model(skills))
    worst, updates = 0.0, 0
    for n, student in enumerate(students):
        skill = skills[n % len(skills)]
        assert roster.get_mastery_prob(skill.id, student) == pytest.approx(skill.prior, abs=1e-12)
        state = None
        for _ in range(rng.randint(1, 25)):
            correct = rng.random() < 0.6
            state = update(skill, POLICY, state, correct)
            reference = float(roster.update_state(skill.id, student, int(correct)).get_mastery_prob())
            worst = max(worst, abs(state.p - reference))
            updates += 1
    print(f"pyBKT parity: {sequences} sequences, {updates} updates, max |error| = {worst:.3g}")
    assert updates > 1000
    assert worst < 1e-9


# --- simulated students ----------------------------------------------------------------


def simulate(students: int, seed: int, cap: int = 100) -> tuple[int, int, list[int]]:
    """Students drawn from the default BKT model, practised until declared mastered (or cap).

    A student starts learned with probability ``prior``; at each opportunity they answer
    right with 1-slip if learned, else guess, then learn with probability ``learn``.
    "Truly learned" is the true state after that transition, the state ``p`` estimates.
    Returns (declared mastered, of those truly learned, items each took).
    """
    rng = random.Random(seed)
    declared = truly = 0
    items: list[int] = []
    for _ in range(students):
        learned = rng.random() < DEFAULT.prior
        state = None
        for item in range(1, cap + 1):
            correct = rng.random() < (1 - DEFAULT.slip if learned else DEFAULT.guess)
            state = update(DEFAULT, POLICY, state, correct)
            learned = learned or rng.random() < DEFAULT.learn
            if state.mastered:
                declared += 1
                truly += learned
                items.append(item)
                break
    return declared, truly, items


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulated_students_declared_mastered_have_learned(seed):
    declared, truly, items = simulate(5000, seed)
    precision, mean_items = truly / declared, sum(items) / len(items)
    print(f"seed {seed}: {declared}/5000 mastered, {precision:.2%} truly learned, mean {mean_items:.2f} items")
    assert declared >= 4900
    assert precision >= 0.97
    assert mean_items <= 10
