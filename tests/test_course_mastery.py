"""Mastery across the lessons of a course: a skill mastered in one lesson counts in the next,
and its review comes due whichever lesson the student is in.  Driven through real sessions
on a real SQLite store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lessonkit.compile.course import course_entry
from lessonkit.engine.seal import seal_lesson
from lessonkit.format import blob
from lessonkit.format.reader import read_lesson
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress import open_store
from lessonkit.progress.course import course_progress
from tests.lessonfactory import write_lesson

DAY = 86_400.0

ADD_CHECK = '''lk.check(id="{id}", kind="numeric", prompt="What is {{a}} + {{b}}?", answer="a + b", skills=["add"],
         variants={{"count": 12, "params": {{"a": [11, 23, 35, 47, 59, 61], "b": [2, 4, 6, 8, 9, 7]}}}})'''


def alpha_cells() -> list[tuple[str, str]]:
    return [
        ("code", 'import lessonkit as lk\nlk.lesson(id="alpha", title="Adding", skills={"add": "Adding"})'),
        ("code", 'lk.step("practice", kind="check", title="Practice")'),
        ("code", ADD_CHECK.format(id="sum")),
        ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "done"}, {"goto": "practice"}])'''),
        ("code", 'lk.step("done", kind="end", title="Done")'),
    ]


def beta_cells() -> list[tuple[str, str]]:
    return [
        ("code", 'import lessonkit as lk\nlk.lesson(id="beta", title="Carrying", skills={"add": "Adding", '
                 '"carry": {"name": "Carrying", "requires": ["add"]}})'),
        ("code", 'lk.step("warm-up", kind="check", title="Warm-up")'),
        ("code", ADD_CHECK.format(id="sum-again")),
        ("code", '''lk.branch(rules=[{"if": "mastered('add')", "goto": "carrying"}, {"goto": "warm-up"}])'''),
        ("code", 'lk.step("carrying", title="Carrying")'),
        ("markdown", "When a column passes 9, carry one."),
        ("code", 'lk.step("done", kind="end", title="Done")'),
    ]


COURSE = '''[course]
id = "arithmetic"
title = "Arithmetic"

[[lessons]]
id = "alpha"

[[lessons]]
id = "beta"
'''


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float = 15.0) -> float:
        self.now += seconds
        return self.now


def build_course(folder: Path, lessons: dict[str, list[tuple[str, str]]], course: str = COURSE) -> dict[str, dict]:
    """Each lesson sealed exactly as ``lessonkit build`` seals it, with its course plan."""
    (folder / "course.toml").write_text(course, encoding="utf-8")
    paths = {name: write_lesson(folder, cells, name=name) for name, cells in lessons.items()}
    return {name: blob.decode(blob.encode(seal_lesson(read_lesson(path)) | course_entry(path)))
            for name, path in paths.items()}


def sum_of(session: Session, check_id: str) -> int:
    _, item = session.item(check_id)
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)\?", item["prompt"]).groups())
    return a + b


def answer_and_move(session: Session, check_id: str, right: bool) -> None:
    session.clock.tick()
    total = sum_of(session, check_id)
    session.answer(check_id, str(total if right else total + 1))
    route = session.route()
    assert route is not None
    session.go(route)


@pytest.fixture
def course(tmp_path):
    return build_course(tmp_path, {"alpha": alpha_cells(), "beta": beta_cells()})


def test_the_built_lessons_carry_their_course(course):
    assert [l["id"] for l in course["beta"]["course"]["lessons"]] == ["alpha", "beta"]


def test_a_skill_mastered_in_one_lesson_counts_in_the_next(course, tmp_path):
    store, clock = open_store(str(tmp_path / "progress.sqlite")), Clock()
    alpha = Session(course["alpha"], Identity("ana", "header"), store, clock=clock)
    alpha.start()
    while not alpha.finished:
        answer_and_move(alpha, "sum", right=True)
    assert alpha.skill_mastery("add").mastered

    beta = Session(course["beta"], Identity("ana", "header"), store, clock=clock)
    carried = beta.skill_mastery("add")
    assert carried.mastered and carried.evidence == alpha.skill_mastery("add").evidence and carried.items == 0
    beta.start()
    assert beta.current_step == "warm-up"
    answer_and_move(beta, "sum-again", right=True)  # one warm-up item, then on: add is already mastered
    assert beta.current_step == "carrying"

    # someone who has not done alpha starts beta at the prior and stays in the warm-up
    ben = Session(course["beta"], Identity("ben", "header"), store, clock=clock)
    assert not ben.skill_mastery("add").mastered and ben.skill_mastery("add").p == pytest.approx(0.2)
    ben.start()
    answer_and_move(ben, "sum-again", right=True)
    assert ben.current_step == "warm-up"


def test_a_lesson_outside_the_course_starts_from_the_prior(course, tmp_path):
    store, clock = open_store(str(tmp_path / "progress.sqlite")), Clock()
    alpha = Session(course["alpha"], Identity("ana", "header"), store, clock=clock)
    alpha.start()
    while not alpha.finished:
        answer_and_move(alpha, "sum", right=True)
    alone = {k: v for k, v in course["beta"].items() if k != "course"}
    assert not Session(alone, Identity("ana", "header"), store, clock=clock).skill_mastery("add").mastered


def test_review_comes_due_across_lessons_and_only_from_the_students_own_events(course, tmp_path):
    store, clock = open_store(str(tmp_path / "progress.sqlite")), Clock()
    alpha = Session(course["alpha"], Identity("ana", "header"), store, clock=clock)
    alpha.start()
    while not alpha.finished:
        answer_and_move(alpha, "sum", right=True)
    mastered_at = clock.now
    progress = course_progress(store, "ana", ["alpha", "beta"])
    record = progress.skills["add"]
    assert record.mastered and record.lesson == "alpha" and record.mastered_at == pytest.approx(mastered_at)
    assert record.next_due is not None and record.next_due > mastered_at + DAY
    assert progress.due_reviews(mastered_at + 3600) == []
    assert progress.due_reviews(record.next_due + 1) == ["add"]
    assert [r.skill for r in progress.mastered()] == ["add"]
    assert progress.finished("alpha") and not progress.started("beta")
    # another student's events never enter ana's course
    assert course_progress(store, "ben", ["alpha", "beta"]).skills == {}


def test_the_lesson_index_recommends_from_the_students_own_events(course, tmp_path):
    from lessonkit.model.course import CoursePlan
    from lessonkit.progress.course import next_lesson

    store, clock = open_store(str(tmp_path / "progress.sqlite")), Clock()
    plan = CoursePlan.from_dict(course["alpha"]["course"])
    assert next_lesson(store, "ana", plan, clock.now).lesson_id == "alpha"
    alpha = Session(course["alpha"], Identity("ana", "header"), store, clock=clock)
    alpha.start()
    while not alpha.finished:
        answer_and_move(alpha, "sum", right=True)
    after = next_lesson(store, "ana", plan, clock.now)
    assert after.lesson_id == "beta" and after.skills == ("carry",) and "\u201cCarrying\u201d" in after.reason
    assert next_lesson(store, "ben", plan, clock.now).lesson_id == "alpha"
    due = course_progress(store, "ana", ["alpha", "beta"]).skills["add"].next_due
    assert next_lesson(store, "ana", plan, due + 1).kind == "review"
