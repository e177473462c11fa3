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


SKILLED = {**LESSON, "skills": {
    "add": {"name": "Adding", "requires": ["count"], "prior": 0.2, "learn": 0.15, "guess": 0.2, "slip": 0.1},
    "count": {"name": "Counting", "requires": [], "prior": 0.2, "learn": 0.15, "guess": 0.2, "slip": 0.1}}}


def stuck_on(*skills):
    from lessonkit.engine.mastery import SkillMastery

    return lambda skill: SkillMastery(0.3, 10, 10, False, skill in skills)


def test_the_escape_hatch_is_the_engines_rule_once_per_skill_and_never_over_the_teachers():
    path = LessonPath(SKILLED)
    ahead = Route("theme", "branch", 2)
    assert path.escape_hatch("practice", ahead, stuck_on("add")) == Route(
        "fix-add", "remediation", condition="needs_remediation('add')")
    assert path.escape_hatch("practice", ahead, stuck_on("add"), taken={"add"}) is None
    assert path.escape_hatch("practice", Route("fix-add", "branch", 1), stuck_on("add")) is None
    assert path.escape_hatch("practice", ahead, stuck_on()) is None
    assert path.hatch_targets("practice") == {"add": {"fix-add"}}


def test_the_player_routes_through_the_engines_escape_hatch():
    import inspect

    from lessonkit.player import routing

    source = inspect.getsource(routing.Router._escape_hatch)
    assert "self._path.escape_hatch(" in source and "weakest_prerequisite" not in inspect.getsource(routing)


def facts_of(lesson):
    from lessonkit.engine.routes import CheckFacts

    return {c: CheckFacts("single", tuple(spec["skills"]), 1.0) for c, spec in lesson["checks"].items()}


def test_every_route_follows_each_rule_a_student_can_meet_each_choice_and_cuts_loops():
    from lessonkit.engine.routes import MIN_ROUNDS, all_walks
    from lessonkit.model import MasteryPolicy

    walks, more = all_walks(LessonPath(SKILLED), facts_of(SKILLED), MasteryPolicy())
    assert not more
    described = [w.describe() for w in walks]
    assert "intro → practice [if mastered('add')] → extra → theme [chose 'Cooking'] → cooking → review → done" in described
    assert "intro → practice → theme [chose 'Music'] → music → review → done" in described
    looping = [w for w in walks if w.ending == "cut"]
    assert looping and all(w.steps.count("practice") == MIN_ROUNDS for w in looping)  # attempts() bounds nothing
    assert all(w.checks[:1] == ("p1",) for w in walks)


def test_a_loop_bounded_by_visits_is_followed_to_its_bound():
    from lessonkit.engine.routes import all_walks
    from lessonkit.model import MasteryPolicy

    lesson = {**SKILLED, "steps": [dict(s) for s in SKILLED["steps"]]}
    lesson["steps"][1] = step("practice", "check", checks=["p1"], branch=[
        {"if": "not correct('p1') and visits('fix-add') < 4", "goto": "fix-add"}, {"if": None, "goto": "theme"}])
    walks, _ = all_walks(LessonPath(lesson), facts_of(lesson), MasteryPolicy())
    assert all(w.ending == "end" for w in walks)
    assert max(w.steps.count("fix-add") for w in walks) == 4


def test_a_perfect_student_follows_the_rules_as_the_player_would():
    from lessonkit.engine.routes import perfect_walks
    from lessonkit.model import MasteryPolicy

    # one item of evidence never masters 'add' (min_evidence 3): the perfect student goes on, not to extra
    walks = perfect_walks(LessonPath(SKILLED), facts_of(SKILLED), MasteryPolicy())
    assert [w.describe() for w in walks] == [
        "intro → practice → theme [chose 'Cooking'] → cooking → review → done",
        "intro → practice → theme [chose 'Music'] → music → review → done"]
    easy = MasteryPolicy(threshold=0.5, min_evidence=1)
    assert all("extra" in w.steps for w in perfect_walks(LessonPath(SKILLED), facts_of(SKILLED), easy))
