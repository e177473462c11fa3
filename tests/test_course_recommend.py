"""The next lesson for each student, from their mastery and the course's prerequisites, with
the reason in words; on the example course (lessons/course.toml) and on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest

from lessonkit.compile.course import validate_course
from lessonkit.engine.mastery import SkillMastery
from lessonkit.engine.recommend import Learner, recommend
from lessonkit.model import Skill
from lessonkit.model.course import CoursePlan, PlannedLesson

REPO = Path(__file__).resolve().parent.parent
FRACTIONS = ("equivalent", "add-like", "common-denominator", "add-unlike")
LOOPS = ("for-range", "accumulator", "while-loop")


@pytest.fixture(scope="module")
def plan() -> CoursePlan:
    report = validate_course(REPO / "lessons" / "course.toml")
    assert report.ok, report.problems
    return report.plan()


def masters(*skills: str) -> dict[str, SkillMastery]:
    return {s: SkillMastery(0.97, 4, 0, True) for s in skills}


def test_a_new_student_starts_where_the_most_of_the_course_builds(plan):
    first = recommend(plan, Learner())
    assert first.lesson_id == "fractions" and first.kind == "next"
    assert "You are ready for it" in first.reason and "Describing" not in first.reason
    assert "\u201cMeasures of center: mean, median and mode\u201d" in first.reason  # what it opens the way to


def test_the_stats_lesson_waits_for_both_of_its_cross_lesson_prerequisites(plan):
    after_fractions = recommend(plan, Learner(masters(*FRACTIONS), finished=frozenset({"fractions"})))
    assert after_fractions.lesson_id == "python-loops"
    after_both = recommend(plan, Learner(masters(*FRACTIONS, *LOOPS), finished=frozenset({"fractions", "python-loops"})))
    assert after_both.lesson_id == "descriptive-stats" and after_both.skills == ("center", "spread", "outliers")


def test_mastery_shown_elsewhere_skips_a_lesson_and_says_so(plan):
    tested_out = recommend(plan, Learner(masters(*FRACTIONS)))  # never finished fractions: tested out of it
    assert tested_out.lesson_id == "python-loops"
    assert "You already master everything in \u201cAdding fractions\u201d, so you can skip it" in tested_out.reason


def test_a_goal_comes_before_the_teachers_order(plan):
    goal = recommend(plan, Learner(goal=("while-loop",)))
    assert goal.lesson_id == "python-loops" and "which your goal names" in goal.reason


def test_a_started_lesson_is_picked_up_and_a_due_review_comes_first(plan):
    learner = Learner(masters("for-range", *FRACTIONS), started=frozenset({"python-loops", "fractions"}),
                      finished=frozenset({"fractions"}))
    picked = recommend(plan, learner)
    assert picked.lesson_id == "python-loops" and picked.kind == "continue"
    assert picked.reason.startswith("Pick up where you left off") and "accumulator" not in picked.reason.lower()[:20]
    review = recommend(plan, Learner(learner.mastery, due=("equivalent",), started=learner.started))
    assert review.lesson_id == "fractions" and review.kind == "review" and "Equivalent fractions" in review.reason


def test_a_mastered_course_recommends_nothing(plan):
    done = recommend(plan, Learner(masters(*plan.skills)))
    assert done.lesson_id is None and done.kind == "done" and "mastered every skill" in done.reason


def test_a_course_with_a_cycle_gets_a_sentence_not_a_crash():
    skills = {"a": Skill("a", "A", ("b",)), "b": Skill("b", "B", ("a",))}
    plan = CoursePlan("c", "C", (PlannedLesson("one", "One", ("a",)), PlannedLesson("two", "Two", ("b",))), skills)
    stuck = recommend(plan, Learner())
    assert stuck.kind == "prerequisite" and "ask your teacher" in stuck.reason
