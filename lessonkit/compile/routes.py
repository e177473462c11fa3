"""What validation proves about a lesson's routes (docs/authoring.md, "Routes and points").

Every route a student can take must be able to reach the maximum nbgrader holds them to; a
student right first time everywhere must never be sent to remediation, nor round a loop;
an enrichment no such student reaches is a rule that cannot be met; and a rule that reads a
code check's ``score``/``correct`` reads a value that stays 0 until grading when the check
has hidden tests.  The facts come from :mod:`lessonkit.engine.routes` and
:mod:`lessonkit.engine.points`, the engine the player routes with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lessonkit.engine.conditions import ConditionError, compile_condition
from lessonkit.engine.path import LessonPath, Route
from lessonkit.engine.points import PointsPlan, plan_points
from lessonkit.engine.routes import CheckFacts, all_walks, lesson_routes, perfect_walks
from lessonkit.model import Lesson, Problem, Where

__all__ = ["route_listing", "route_problems"]

#: the functions whose value a code check with hidden tests only gets at grading
_DECIDED_AT_GRADING = ("score", "correct")


def route_problems(lesson: Lesson) -> list[Problem]:
    """Every problem with the routes of a lesson whose ids and graph are otherwise sound."""
    path, facts = lesson_routes(lesson)
    plan = plan_points(path, facts)
    return [*_plan_problems(lesson, plan), *_graded_reads(lesson, facts), *_short_routes(lesson, path, facts, plan),
            *_perfect_student(lesson, path, facts)]


def _where(lesson: Lesson, ident: str) -> Where:
    if ident in lesson.checks:
        return lesson.checks[ident].where
    return lesson.step(ident).where


def _plan_problems(lesson: Lesson, plan: PointsPlan) -> Iterator[Problem]:
    for ident, message in plan.problems:
        yield Problem(_where(lesson, ident), message, "see docs/grading.md, \"Points and routes\"")


def _graded_reads(lesson: Lesson, facts: dict[str, CheckFacts]) -> Iterator[Problem]:
    """A rule reading ``score``/``correct`` of a code check with hidden tests: on the page that
    value stays 0/False after every visible test passed, so the rule cannot reach its
    threshold before grading."""
    for step in lesson.steps:
        for rule in step.branch.rules if step.branch else ():
            try:
                references = compile_condition(rule.condition).references if rule.condition else set()
            except ConditionError:
                continue  # reported with the branch
            for function, ref in sorted(references):
                if function in _DECIDED_AT_GRADING and ref in facts and facts[ref].kind == "code" and facts[ref].hidden:
                    yield Problem(rule.where.at("if"),
                                  f"{function}('{ref}') stays {'0' if function == 'score' else 'False'} until grading: "
                                  f"'{ref}' has hidden tests, so on the page a student who passed every visible test "
                                  "reads as one who failed",
                                  f"write visible_passed('{ref}'): its visible tests all passed", "warning")


def _short_routes(lesson: Lesson, path: LessonPath, facts: dict[str, CheckFacts], plan: PointsPlan) -> Iterator[Problem]:
    """One problem per distinct way a route falls short of the maximum: an error for a route
    of the teacher's rules and choices, a warning for one the escape hatch makes."""
    ruled, _ = all_walks(path, facts, lesson.mastery)
    hatched, _ = all_walks(path, facts, lesson.mastery, hatch=True)
    seen: set[tuple[str, ...]] = set()
    for walks, severity in ((ruled, "error"), (hatched, "warning")):
        for walk in walks:
            if walk.ending != "end":
                continue
            short = plan.shortfall(walk)
            if not short or tuple(sorted(short)) in seen:
                continue
            seen.add(tuple(sorted(short)))
            lost = ", ".join(f"'{name}' ({points:g})" for name, points in short.items())
            yield Problem(lesson.where,
                          f"a student who goes {walk.describe()} can earn at most {plan.attainable(walk):g} of "
                          f"{plan.maximum:g} points: the route misses {lost}",
                          "put those checks where every route meets them, on a remediation or enrichment step "
                          "(practice, worth nothing), or give them credit=\"mastery\" (see docs/grading.md, "
                          "\"Points and routes\")", severity)


def _perfect_student(lesson: Lesson, path: LessonPath, facts: dict[str, CheckFacts]) -> Iterator[Problem]:
    """A student right first time everywhere: sent to remediation or round a loop is an error;
    an enrichment none of them reaches, a warning."""
    walks = perfect_walks(path, facts, lesson.mastery)
    reported: set[tuple[str, str | None]] = set()
    for walk in walks:
        for here, move in zip(walk.steps, walk.moves):
            if move.to is None or path.step(move.to)["kind"] != "remediation" or (here, move.to) in reported:
                continue
            reported.add((here, move.to))
            yield Problem(_move_where(lesson, here, move),
                          f"a student right first time everywhere is sent from step '{here}' to the remediation "
                          f"step '{move.to}' ({_because(move)})",
                          "a rule that reads a value decided at grading (correct/score of a code check with hidden "
                          "tests) or that needs more evidence than the route gives cannot be met on the page; see "
                          "`lessonkit paths` for what each route gives")
        if walk.ending == "cut":
            yield Problem(lesson.step(walk.steps[-1]).where,
                          f"a student right first time everywhere goes round forever: {walk.describe()}",
                          "bound the loop with a rule on visits(...) or lead on by default")
    reached = {s for walk in walks for s in walk.steps}
    for step in lesson.steps:
        if step.kind == "enrichment" and step.id not in reached:
            yield Problem(step.where, f"no student right first time everywhere reaches the enrichment step '{step.id}'",
                          "the rule that leads there cannot be met on the page: check the evidence it needs "
                          "(mastered() needs the lesson's min_evidence items judged on the page; code checks "
                          "with hidden tests give none) with `lessonkit paths`", "warning")


def _move_where(lesson: Lesson, here: str, move: Route) -> Where:
    step = lesson.step(here)
    if move.reason == "branch" and step.branch is not None and move.rule is not None:
        return step.branch.rules[move.rule].where
    return step.where


def _because(move: Route) -> str:
    if move.reason == "branch":
        return f"rule {move.rule + 1 if move.rule is not None else '?'}: {move.condition or 'the default'}"
    return f"the escape hatch: {move.condition}"


def route_listing(lesson: Lesson) -> dict[str, Any]:
    """Every route through a lesson with the checks met and the points attainable on it, as
    ``lessonkit paths`` shows them (JSON-ready): ``maximum``, ``routes`` (each ``steps``,
    ``moves``, ``checks``, ``mastered``, ``points``, ``short`` (what it cannot earn) and
    ``ending``), ``perfect`` (the routes of a student right first time everywhere, as step
    lists), ``cut_short`` (more routes than are listed) and ``problems`` (the points plan's)."""
    path, facts = lesson_routes(lesson)
    plan = plan_points(path, facts)
    walks, cut_short = all_walks(path, facts, lesson.mastery)
    return {
        "lesson": lesson.id,
        "maximum": plan.maximum,
        "routes": [{"steps": list(w.steps), "route": w.describe(),
                    "moves": [{"to": m.to, "reason": m.reason, "rule": m.rule, "condition": m.condition,
                               "label": m.label} for m in w.moves],
                    "checks": list(w.checks), "mastered": list(w.mastered), "points": plan.attainable(w),
                    "short": plan.shortfall(w), "ending": w.ending} for w in walks],
        "perfect": [list(w.steps) for w in perfect_walks(path, facts, lesson.mastery)],
        "cut_short": cut_short,
        "problems": [message for _, message in plan.problems],
    }
