"""The path through a sealed lesson (lessonkit.engine.path): routes by next, branch rules and
choices, remediation and review steps, and the progress estimate."""

from __future__ import annotations

import pytest

from lessonkit.engine.path import LessonPath, Route


def step(id, kind="content", *, checks=(), branch=None, choice=None, next=None, review=(), title=""):
    return {"id": id, "kind": kind, "title": title or id.title(), "blocks": [{"kind": "check", "check": c} for c in checks],
            "branch": branch, "choice": choice, "next": next, "review": list(review)}


def check(skills):
    return {"kind": "single", "input": "single", "skills": list(skills), "points": 1, "hints": [], "items": [{}]}


LESSON = {
    "id": "demo",
    "steps": [
        step("intro", next="practice"),
        step("practice", "check", checks=["p1"], branch=[
            {"if": "mastered('add')", "goto": "extra"},
            {"if": "attempts('p1') >= 3", "goto": "fix-add"},
            {"if": None, "goto": "theme"},
        ]),
        step("fix-add", "remediation", checks=["r1"], branch=[{"if": None, "goto": "practice"}]),
        step("extra", "enrichment", next="theme"),
        step("theme", choice={"id": "theme", "prompt": "Pick", "options": [
            {"label": "Cooking", "goto": "cooking"}, {"label": "Music", "goto": "music"}]}),
        step("cooking", branch=[{"if": None, "goto": "review"}]),
        step("music", next="review"),
        step("review", "review", checks=["rv"], review=["add"], next="done"),
        step("done", "end"),
    ],
    "checks": {"p1": check(["add"]), "r1": check(["count", "add"]), "rv": check(["add"])},
}


class Student:
    """A ConditionContext with fixed answers."""

    def __init__(self, mastered=(), attempts=None):
        self._mastered, self._attempts = set(mastered), attempts or {}

    def mastery(self, skill): return 1.0 if skill in self._mastered else 0.2
    def mastered(self, skill): return skill in self._mastered
    def needs_remediation(self, skill): return False
    def evidence(self, skill): return 0
    def attempts(self, check): return self._attempts.get(check, 0)
    def score(self, check): return 0.0
    def correct(self, check): return False
    def hints(self, check): return 0
    def chose(self, choice): return ""
    def visits(self, step): return 0


PATH = LessonPath(LESSON)


def test_a_step_without_rules_leads_to_its_next_step():
    assert PATH.route("intro", Student()) == Route("practice", "next")
    assert PATH.route("music", Student()) == Route("review", "next")


def test_branch_rules_are_tried_in_order_and_the_one_that_fired_is_named():
    assert PATH.route("practice", Student(mastered={"add"}, attempts={"p1": 5})) == Route(
        "extra", "branch", 0, "mastered('add')")
    assert PATH.route("practice", Student(attempts={"p1": 3})) == Route("fix-add", "branch", 1, "attempts('p1') >= 3")
    assert PATH.route("practice", Student()) == Route("theme", "branch", 2, None)


def test_a_choice_has_no_route_until_the_student_picks():
    assert PATH.route("theme", Student()) is None
    assert PATH.choose("theme", "Music") == Route("music", "choice", label="Music")
    with pytest.raises(KeyError):
        PATH.choose("theme", "Sport")


def test_an_end_step_leads_nowhere():
    assert PATH.route("done", Student()) == Route(None, "end")


def test_a_broken_rule_is_skipped_and_reported_when_asked():
    lesson = {**LESSON, "steps": [step("a", branch=[{"if": "1 / 0 > 1", "goto": "b"}, {"if": None, "goto": "c"}]),
                                  step("b", "end"), step("c", "end")]}
    reported = []
    route = LessonPath(lesson).route("a", Student(), on_error=lambda i, rule, error: reported.append((i, error.message)))
    assert route == Route("c", "branch", 1, None)
    assert reported and reported[0][0] == 0 and "division by zero" in reported[0][1]


def test_remediation_and_review_steps_are_found_by_skill():
    assert PATH.remediation_for("add") == "fix-add"
    assert PATH.remediation_for("count") == "fix-add"
    assert PATH.review_step_for("add") == "review"
    assert PATH.review_step_for("count") is None


def test_remediation_falls_back_to_the_only_remediation_step_but_never_guesses_between_several():
    single = LessonPath({**LESSON, "checks": {**LESSON["checks"], "r1": check([])}})
    assert single.remediation_for("add") == "fix-add"
    several = LessonPath({**LESSON, "checks": {**LESSON["checks"], "r1": check([])},
                          "steps": LESSON["steps"] + [step("fix-other", "remediation")]})
    assert several.remediation_for("add") is None


def test_skills_and_checks_of_a_step():
    assert PATH.checks_of("fix-add") == ["r1"]
    assert PATH.skills_of("fix-add") == ["count", "add"]
    assert PATH.first == "intro"


def test_progress_counts_steps_seen_against_the_shortest_way_to_the_end():
    assert PATH.progress([], "intro") == 0.0
    # intro seen; from practice the shortest way is practice, theme, music/cooking, review, done
    assert PATH.progress(["intro"], "practice") == pytest.approx(1 / (1 + 4))
    assert PATH.progress(["intro", "practice", "theme", "music"], "review") == pytest.approx(4 / 5)
    assert PATH.progress(["intro", "practice"], "done") == 1.0


def loop_lesson(*steps, skills=("add",)):
    return LessonPath({"id": "loops", "steps": list(steps), "skills": {s: {"requires": []} for s in skills},
                       "checks": {"p1": check(["add"]), "r1": check(["add"])}})


LEFT_ONLY_BY_MASTERY = [{"if": "mastered('add')", "goto": "done"}, {"if": None, "goto": "again"}]


def test_a_loop_left_only_by_a_condition_the_student_may_never_meet_is_a_trap():
    path = loop_lesson(step("practice", "check", branch=LEFT_ONLY_BY_MASTERY),
                       step("again", next="practice"), step("done", "end"))
    assert path.traps() == [("practice", "again")]
    assert PATH.traps() == []  # every loop there has a default rule that leads on


@pytest.mark.parametrize("rules", [
    [{"if": "mastered('add')", "goto": "done"}, {"if": "visits('again') >= 3", "goto": "done"},
     {"if": None, "goto": "again"}],
    [{"if": "visits('practice') < 4 and not mastered('add')", "goto": "again"}, {"if": None, "goto": "done"}],
])
def test_a_loop_bounded_by_visits_to_its_own_steps_is_no_trap(rules):
    path = loop_lesson(step("practice", "check", branch=rules), step("again", next="practice"), step("done", "end"))
    assert path.traps() == []


def test_visits_to_a_step_outside_the_loop_do_not_bound_it():
    rules = [{"if": "visits('intro') >= 3", "goto": "done"}, {"if": None, "goto": "again"}]
    path = loop_lesson(step("intro", next="practice"), step("practice", "check", branch=rules),
                       step("again", next="practice"), step("done", "end"))
    assert path.traps() == [("practice", "again")]


def test_the_escape_hatch_bounds_a_loop_only_where_it_applies():
    practice = step("practice", "check", checks=["p1"], branch=LEFT_ONLY_BY_MASTERY)
    leads_on = loop_lesson(practice, step("again", next="practice"),
                           step("fix", "remediation", checks=["r1"], next="done"), step("done", "end"))
    assert leads_on.traps() == []
    leads_back = loop_lesson(practice, step("again", next="practice"),
                             step("fix", "remediation", checks=["r1"], branch=[{"if": None, "goto": "practice"}]),
                             step("done", "end"))
    assert leads_back.traps() == [("practice", "again")]
    no_skill = loop_lesson(step("practice", "check", branch=LEFT_ONLY_BY_MASTERY), step("again", next="practice"),
                           step("fix", "remediation", next="done"), step("done", "end"))
    assert no_skill.traps() == [("practice", "again")]
    remediating_already = loop_lesson(
        step("practice", "check", checks=["p1"], branch=[*LEFT_ONLY_BY_MASTERY[:1], {"if": None, "goto": "fix"}]),
        step("fix", "remediation", checks=["r1"], branch=[{"if": None, "goto": "practice"}]), step("done", "end"))
    assert remediating_already.traps() == [("practice", "fix")]


def test_a_loop_the_student_can_leave_by_choice_is_no_trap():
    more = {"id": "more", "prompt": "More?", "options": [{"label": "Again", "goto": "practice"},
                                                          {"label": "On", "goto": "done"}]}
    path = loop_lesson(step("practice", "check", branch=LEFT_ONLY_BY_MASTERY), step("again", choice=more),
                       step("done", "end"))
    assert path.traps() == []
