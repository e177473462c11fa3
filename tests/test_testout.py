"""Test-out through the real engine: a placement step lets students who know a skill skip its
practice, starts the others where their answers say, and declares nobody mastered by luck
more often than the mastery rule's own exact rate."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest

from lessonkit.engine.path import LessonPath
from lessonkit.engine.placement import (
    false_mastery_rate,
    placement_rounds,
    start_after_placement,
)
from lessonkit.engine.seal import seal_lesson
from lessonkit.format import blob
from lessonkit.format.reader import read_lesson
from lessonkit.model import MasteryPolicy, Skill
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import open_store
from tests.lessonfactory import write_lesson

VARIANTS = '{"count": 36, "params": {"a": [11, 23, 35, 47, 59, 61], "b": [2, 4, 6, 8, 9, 7]}}'


def check(check_id: str, skill: str) -> str:
    return (f'lk.check(id="{check_id}", kind="numeric", prompt="What is {{a}} + {{b}}?", answer="a + b", '
            f'skills=["{skill}"], variants={VARIANTS})')


ONE_SKILL = [
    ("code", 'import lessonkit as lk\nlk.lesson(id="adding", title="Adding", skills={"add": "Adding two numbers"})'),
    ("code", 'lk.step("placement", kind="placement", title="What do you know already?")'),
    ("code", check("place-add", "add")),
    ("code", 'lk.step("teach", title="How to add")'),
    ("markdown", "Count on from the bigger number."),
    ("code", 'lk.step("practice", kind="check", title="Practice")'),
    ("code", check("sum", "add")),
    ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "done"}, {"goto": "practice"}])'''),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]

TWO_SKILLS = [
    ("code", 'import lessonkit as lk\nlk.lesson(id="columns", title="Column sums", '
             'skills={"add": "Adding", "carry": {"name": "Carrying", "requires": ["add"]}})'),
    ("code", 'lk.step("placement", kind="placement", title="What do you know already?")'),
    ("code", check("place-add", "add")),
    ("code", check("place-carry", "carry")),
    ("code", 'lk.step("teach-add", title="Adding")'),
    ("markdown", "Count on."),
    ("code", 'lk.step("practice-add", kind="check", title="Practice adding")'),
    ("code", check("sum", "add")),
    ("code", 'lk.step("teach-carry", title="Carrying")'),
    ("markdown", "Carry the ten."),
    ("code", 'lk.step("practice-carry", kind="check", title="Practice carrying")'),
    ("code", check("carry-sum", "carry")),
    ("code", 'lk.step("done", kind="end", title="Done")'),
]


def sealed(folder: Path, cells, name: str) -> dict:
    return blob.decode(blob.encode(seal_lesson(read_lesson(write_lesson(folder, cells, name=name)))))


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        self.now += 7.0
        return self.now


def right_answer(session: Session, check_id: str) -> int:
    _, item = session.item(check_id)
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)\?", item["prompt"]).groups())
    return a + b


class Student:
    """A student as BKT models one: knows the skill or not; one who does not answers right
    with the guess probability and, in practice (not in placement: nothing is taught
    there), learns it with the learn probability after each item."""

    def __init__(self, rng: random.Random, knows: bool, skill: Skill, learns: bool = True) -> None:
        self.rng, self.knows, self.skill, self.learns = rng, knows, skill, learns

    def answers_right(self) -> bool:
        return self.rng.random() < (1 - self.skill.slip if self.knows else self.skill.guess)

    def practised(self) -> None:
        if self.learns and not self.knows:
            self.knows = self.rng.random() < self.skill.learn


def play(session: Session, student: Student, *, stop_after_placement: bool = False, budget: int = 80) -> dict:
    """Drive a session to its end; returns the items answered, and what placement decided."""
    session.start()
    items, placed = 0, None
    while not session.finished and items < budget:
        step = session.current_step
        for check_id in session.path.checks_of(step):
            right = student.answers_right()
            total = right_answer(session, check_id)
            session.answer(check_id, str(total if right else total + 1))
            items += 1
            if session.path.step(step)["kind"] != "placement":
                student.practised()
        session.go(session.route())
        if placed is None and session.current_step != "placement":
            placed = {"mastered": session.skill_mastery("add").mastered, "knew": student.knows,
                      "start": session.current_step}
            if stop_after_placement:
                break
    return {"items": items, "finished": session.finished, "placed": placed,
            "practised": "practice" in session.state.visits}


@pytest.fixture(scope="module")
def one_skill(tmp_path_factory):
    return sealed(tmp_path_factory.mktemp("testout"), ONE_SKILL, "adding")


def test_the_exact_false_mastery_rate_is_below_what_the_mastery_rule_states():
    skill, policy = Skill("add"), MasteryPolicy()
    rate = false_mastery_rate(skill, policy)
    # three lucky guesses in a row, or a miss then three: no other sequence of 4 rounds reaches 0.95
    assert placement_rounds(policy) == 4
    assert rate == pytest.approx(skill.guess ** 3 + (1 - skill.guess) * skill.guess ** 3)
    assert rate <= 1 - policy.threshold  # the rule promises P(not learned | mastered) <= 5%
    # a stricter policy or a skill easier to guess are handled by the same walk
    assert false_mastery_rate(Skill("x", guess=0.5), policy) == 0.0
    assert false_mastery_rate(skill, MasteryPolicy(threshold=0.99)) == pytest.approx(skill.guess ** 4)


def binomial_upper(n: int, p: float, alpha: float) -> int:
    """The smallest k with P(X >= k) <= alpha for X ~ Binomial(n, p), exactly."""
    tail, k = 1.0, 0
    while tail > alpha:
        tail -= math.comb(n, k) * p ** k * (1 - p) ** (n - k)
        k += 1
    return k


def test_nobody_tests_out_by_luck_more_often_than_the_exact_rate(one_skill, tmp_path):
    skill, policy = Skill("add"), MasteryPolicy()
    rate, students = false_mastery_rate(skill, policy), 300
    store, rng = open_store(str(tmp_path / "progress.sqlite")), random.Random(20261201)
    lucky = 0
    for n in range(students):
        session = Session(one_skill, Identity(f"guesser-{n}", "header"), store, clock=Clock())
        outcome = play(session, Student(rng, False, skill, learns=False), stop_after_placement=True)
        lucky += outcome["placed"]["mastered"]
    # X ~ Binomial(300, 0.0144) if the engine follows the rule: P(X >= bound) <= 1e-4, so a
    # pass by chance of a broken engine (one that, say, counted retries) is that unlikely to hide it
    bound = binomial_upper(students, rate, 1e-4)
    assert lucky < bound, (lucky, bound, rate)
    assert lucky / students <= 1 - policy.threshold


def test_students_who_know_the_skill_finish_in_far_fewer_items(one_skill, tmp_path):
    skill = Skill("add")
    store, rng = open_store(str(tmp_path / "progress.sqlite")), random.Random(7)
    knowers = [play(Session(one_skill, Identity(f"knower-{n}", "header"), store, clock=Clock()),
                    Student(rng, True, skill)) for n in range(40)]
    learners = [play(Session(one_skill, Identity(f"learner-{n}", "header"), store, clock=Clock()),
                     Student(rng, False, skill)) for n in range(40)]
    assert all(o["finished"] for o in knowers)
    # a learner still unlucky after 36 fresh items (0.85^30 ~ 1%) runs out of evidence: rare, left out
    assert sum(o["finished"] for o in learners) >= 0.9 * len(learners)
    mean = {name: sum(o["items"] for o in group if o["finished"]) / sum(o["finished"] for o in group)
            for name, group in (("knowers", knowers), ("learners", learners))}
    assert mean["knowers"] <= 4.0 and mean["learners"] >= 2.5 * mean["knowers"], mean
    tested_out = [o for o in knowers if o["placed"]["mastered"]]
    assert len(tested_out) >= 0.8 * len(knowers)  # P(placement masters a knower) = 0.9^3 + 3 * 0.1 * 0.9^3 ~ 0.94
    assert all(o["placed"]["start"] == "done" and not o["practised"] for o in tested_out)
    not_placed = [o for o in knowers + learners if not o["placed"]["mastered"]]
    assert not_placed and all(o["placed"]["start"] == "teach" and o["practised"] for o in not_placed)


def answer_all(session: Session, rights: dict[str, bool]) -> None:
    for check_id in session.path.checks_of(session.current_step):
        total = right_answer(session, check_id)
        session.answer(check_id, str(total if rights[check_id] else total + 1))
    session.go(session.route())


def test_a_student_who_knows_one_skill_starts_at_the_other(tmp_path):
    lesson = sealed(tmp_path, TWO_SKILLS, "columns")
    session = Session(lesson, Identity("ana", "header"), open_store(str(tmp_path / "p.sqlite")), clock=Clock())
    session.start()
    answer_all(session, {"place-add": True, "place-carry": False})
    assert session.current_step == "placement"  # add undecided after one right answer: a fresh round
    answer_all(session, {"place-add": True, "place-carry": False})
    answer_all(session, {"place-add": True, "place-carry": False})
    assert session.skill_mastery("add").mastered and not session.skill_mastery("carry").mastered
    assert session.current_step == "teach-carry"  # adding's teaching and practice skipped
    placed = [e for e in session.events if e.type == "branch_taken"][-1]
    assert placed.data["condition"] == "placement: mastered 'add'"
    # the evidence is ordinary evidence: three answered events counted, one per fresh item
    evidence = [e for e in session.events if e.type == "answered" and e.check_id == "place-add"]
    assert [e.data["evidence"] for e in evidence] == [True, True, True]
    assert len({e.data["item"] for e in evidence}) == 3


def test_where_to_start_after_placement_on_a_path(tmp_path):
    path = LessonPath(sealed(tmp_path, TWO_SKILLS, "columns"))
    assert start_after_placement(path, "placement", lambda s: False) == "teach-add"
    assert start_after_placement(path, "placement", lambda s: s == "add") == "teach-carry"
    assert start_after_placement(path, "placement", lambda s: True) == "done"
