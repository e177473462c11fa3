"""Every route through a lesson, and the route a student right every time takes: pure logic.

A lesson sends each student their own way (a rule's outcome, a theme they pick, the escape
hatch), so what a teacher must know of a lesson is a set of routes, not one line of steps.
:func:`all_walks` follows every way a step can lead (each rule that some student can
meet, each option of a choice, the escape hatch where it applies), with loops bounded by
the visits their own rules count; :func:`perfect_walks` follows a student who answers every
check right the first time, through the same rule evaluation and mastery estimate the
player uses (:mod:`lessonkit.engine.path`, :mod:`lessonkit.engine.mastery`), so a rule that
would send such a student to remediation, or never let them reach an enrichment, shows.
The points attainable on each walk are :mod:`lessonkit.engine.points`' business.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice, product
from typing import Any

from lessonkit.engine.conditions import ConditionError, compile_condition
from lessonkit.engine.mastery import SkillMastery, update
from lessonkit.engine.path import ExtremeStudent, LessonPath, Route
from lessonkit.engine.seal import check_items, seal_lesson
from lessonkit.format.markers import BEGIN_HIDDEN
from lessonkit.model import Check, Lesson, MasteryPolicy

__all__ = ["MAX_WALKS", "CheckFacts", "Walk", "all_walks", "lesson_routes", "perfect_walks"]

#: walks enumerated at most; a lesson with more is reported as cut short
MAX_WALKS = 2000
#: entries of one step on one walk, at least: a loop goes round this often before it is cut
MIN_ROUNDS = 3
_MAX_ROUNDS = 12
_MAX_CASES = 4096
# a number compared with visits('step'), on either side
_VISITS_BOUND = re.compile(r"visits\('[^']*'\)\s*[<>=!]=?\s*(\d+)|(\d+)\s*[<>=!]=?\s*visits\(")


@dataclass(frozen=True)
class CheckFacts:
    """What routing and points need to know of a check (the sealed lesson hides some of it:
    whether a code check has hidden tests, the teacher's ``credit``)."""

    kind: str
    skills: tuple[str, ...]
    points: float
    hidden: bool = False  # a code check with hidden tests: decided at grading, not on the page
    credit: str = "answer"  # "mastery": a skill mastered on the route stands in for the answer
    items: int = 1  # fresh items a student can be given (variants), each one item of practice

    @property
    def judged_now(self) -> bool:
        """Whether the player can say "correct" on the page (and count it as evidence)."""
        return self.kind != "response" and not (self.kind == "code" and self.hidden)


@dataclass(frozen=True)
class Walk:
    """One route: the steps in the order entered, the move that left each (``moves[i]``
    leaves ``steps[i]``; the last move of a finished walk has ``to=None``), the checks met in
    the order first met, the skills a student right on each of them has mastered, and how
    it ends: ``"end"`` (the lesson is over) or ``"cut"`` (a loop went round as often as a
    walk may; the student could go round again)."""

    steps: tuple[str, ...]
    moves: tuple[Route, ...]
    checks: tuple[str, ...]
    mastered: tuple[str, ...]
    ending: str

    def describe(self) -> str:
        """The walk as a teacher reads it: ``a → b [rule 2: ...] → c``."""
        parts = [self.steps[0]] if self.steps else []
        for move in self.moves:
            if move.to is None:
                break
            parts.append(f"{_why(move)}→ {move.to}")
        return " ".join(parts) + (" … (goes round again)" if self.ending == "cut" else "")


def _why(move: Route) -> str:
    if move.reason == "branch" and move.condition is not None:
        return f"[if {move.condition}] "
    if move.reason == "choice":
        return f"[chose {move.label!r}] "
    if move.reason == "remediation":
        return f"[escape hatch: {move.condition}] "
    return ""


@dataclass
class _Student:
    """The state conditions read, for a student who answers every check met right the first
    time: a :class:`~lessonkit.engine.conditions.ConditionContext`."""

    path: LessonPath
    facts: Mapping[str, CheckFacts]
    policy: MasteryPolicy
    answered: dict[str, bool] = field(default_factory=dict)  # check -> judged right on the page
    skills: dict[str, SkillMastery] = field(default_factory=dict)
    entered: dict[str, int] = field(default_factory=dict)
    picked: dict[str, str] = field(default_factory=dict)
    hatched: set[str] = field(default_factory=set)

    def copy(self) -> _Student:
        return _Student(self.path, self.facts, self.policy, dict(self.answered), dict(self.skills),
                        dict(self.entered), dict(self.picked), set(self.hatched))

    def enter(self, step_id: str) -> None:
        self.entered[step_id] = self.entered.get(step_id, 0) + 1
        if self.path.step(step_id)["kind"] == "remediation":  # remediation re-opens practice
            self.skills = {s: SkillMastery(m.p, m.evidence, 0, m.mastered, False) for s, m in self.skills.items()}
        models = self.path.skill_models
        for check_id in self.path.checks_of(step_id):
            facts = self.facts.get(check_id)
            if facts is None or check_id in self.answered:
                continue
            self.answered[check_id] = facts.judged_now
            if facts.judged_now:
                for skill_id in facts.skills:
                    if skill_id in models:
                        self.skills[skill_id] = update(models[skill_id], self.policy, self.skills.get(skill_id), True)

    def of(self, skill_id: str) -> SkillMastery:
        models = self.path.skill_models
        return self.skills.get(skill_id) or SkillMastery(models[skill_id].prior if skill_id in models else 0.0)

    # the condition language's functions
    def mastery(self, skill: str) -> float: return self.of(skill).p
    def mastered(self, skill: str) -> bool: return self.of(skill).mastered
    def needs_remediation(self, skill: str) -> bool: return self.of(skill).needs_remediation
    def evidence(self, skill: str) -> int: return self.of(skill).evidence
    def attempts(self, check: str) -> int: return int(check in self.answered)
    def score(self, check: str) -> float: return float(self.answered.get(check, False))
    def correct(self, check: str) -> bool: return self.answered.get(check, False)
    def visible_passed(self, check: str) -> bool: return check in self.answered and self.facts[check].kind != "response"
    def hints(self, check: str) -> int: return 0
    def chose(self, choice: str) -> str: return self.picked.get(choice, "")
    def visits(self, step: str) -> int: return self.entered.get(step, 0)


def all_walks(path: LessonPath, facts: Mapping[str, CheckFacts], policy: MasteryPolicy,
              limit: int = MAX_WALKS, *, hatch: bool = False) -> tuple[list[Walk], bool]:
    """Every route through the lesson, and whether there were more than ``limit``.

    At a branch, each rule that some student could meet there is followed (the visits so
    far are known, everything else the condition reads may take any value), until a rule
    that must hold; at a choice, each option; where the escape hatch applies, its
    remediation too.  A step is entered at most as often as the visits the lesson's rules
    count (:data:`MIN_ROUNDS` at least), so every loop is followed round as far as its bound.
    The escape hatch can open wherever a skill is practised, which multiplies the routes
    without changing what they are worth unless a remediation step leads past checks, so
    its detours are followed only when ``hatch`` is set (validation sets it).
    """
    walker = _Walker(path, facts, policy, perfect=False, hatch=hatch)
    walks = list(islice(walker.walks(), limit + 1))
    return walks[:limit], len(walks) > limit


def perfect_walks(path: LessonPath, facts: Mapping[str, CheckFacts], policy: MasteryPolicy,
                  limit: int = MAX_WALKS) -> list[Walk]:
    """The routes of a student who answers every check right the first time, one per
    choice they could make: the rules decide as they would in the player."""
    return list(islice(_Walker(path, facts, policy, perfect=True).walks(), limit))


class _Walker:
    def __init__(self, path: LessonPath, facts: Mapping[str, CheckFacts], policy: MasteryPolicy, *, perfect: bool,
                 hatch: bool = True):
        self.path = path
        self.hatch = hatch
        self.facts = facts
        self.policy = policy
        self.perfect = perfect
        self.rounds = _rounds(path)

    def walks(self) -> Iterator[Walk]:
        student = _Student(self.path, self.facts, self.policy)
        student.enter(self.path.first)
        yield from self._from(self.path.first, student, (self.path.first,), (), ())

    def _from(self, here: str, student: _Student, steps: tuple[str, ...], moves: tuple[Route, ...],
              checks: tuple[str, ...]) -> Iterator[Walk]:
        met = checks + tuple(c for c in self.path.checks_of(here) if c in self.facts and c not in checks)
        for move in self._moves(here, student, met):
            if move.to is None:
                yield self._walk(steps, moves + (move,), met, student, "end")
                continue
            if student.entered.get(move.to, 0) >= self.rounds:
                yield self._walk(steps, moves + (move,), met, student, "cut")
                continue
            after = student.copy()
            if move.reason == "choice":
                after.picked[self.path.step(here)["choice"]["id"]] = move.label or ""
            if move.reason == "remediation" and move.condition:
                after.hatched.add(move.condition.split("'")[1])
            after.enter(move.to)
            yield from self._from(move.to, after, steps + (move.to,), moves + (move,), met)

    def _walk(self, steps: tuple[str, ...], moves: tuple[Route, ...], checks: tuple[str, ...],
              student: _Student, ending: str) -> Walk:
        mastered = tuple(s for s in self.path.skill_models if student.of(s).mastered)
        return Walk(steps, moves, checks, mastered, ending)

    def _moves(self, here: str, student: _Student, met: tuple[str, ...]) -> list[Route]:
        step = self.path.step(here)
        if step.get("choice"):
            return [self.path.choose(here, option["label"]) for option in step["choice"]["options"]
                    if option["goto"] in self.path.steps]
        if self.perfect:
            route = self.path.route(here, student, on_error=_skip)
            hatch = self.path.escape_hatch(here, route, student.of, student.hatched) if route else None
            return [hatch or route] if route else []
        moves = self._possible_rules(here, student)
        if not self.hatch:
            return moves
        if any(m.to is not None and self.path.step(m.to)["kind"] == "remediation" for m in moves):
            return moves  # the teacher's rule remediates, and the hatch stands aside
        practised = {}  # the items of practice a skill can have had so far on this walk
        for check in met:
            for skill in self.facts[check].skills:
                practised[skill] = practised.get(skill, 0) + self.facts[check].items
        hatches: dict[str, str] = {}
        for skill, targets in self.path.hatch_targets(here).items():
            if skill in student.hatched or practised.get(skill, 0) < self.policy.max_items:
                continue  # taken once per skill, and only after max_items items without mastery
            for target in targets:
                if target is not None and target != here:
                    hatches.setdefault(target, skill)
        for target in sorted(hatches, key=self.path.order.index):
            moves.append(Route(target, "remediation", condition=f"needs_remediation('{hatches[target]}')"))
        return moves

    def _possible_rules(self, here: str, student: _Student) -> list[Route]:
        """The routes out of a branch that some student can take, given the visits so far."""
        step = self.path.step(here)
        found: list[Route] = []
        for index, rule in enumerate(step.get("branch") or ()):
            possible, always = _outcomes(self.path, rule.get("if"), student.entered)
            if possible and rule["goto"] in self.path.steps:
                found.append(Route(rule["goto"], "branch", index, rule.get("if")))
            if always:
                return found
        if step["kind"] == "end" or not step.get("next"):
            return found + [Route(None, "end")]
        return found + [Route(step["next"], "next")]


def _skip(index: int, rule: Any, error: ConditionError) -> None:
    """A rule that fails to evaluate is skipped, as in the player (validate reports it)."""


def _rounds(path: LessonPath) -> int:
    """How often a walk may enter one step: past the largest number the lesson's rules
    compare visits with, so a loop bounded by its visits is followed to its bound."""
    largest = 0
    for step in path.steps.values():
        for rule in step.get("branch") or ():
            for bound in _VISITS_BOUND.findall(rule.get("if") or ""):
                largest = max(largest, int(bound[0] or bound[1]))
    return min(max(MIN_ROUNDS, largest + 1), _MAX_ROUNDS)


def _outcomes(path: LessonPath, condition: str | None, visits: Mapping[str, int]) -> tuple[bool, bool]:
    """Whether a condition can hold for some student, and whether it holds for every one,
    with the visits known and everything else it reads at its extremes."""
    if condition is None:
        return True, True
    try:
        compiled = compile_condition(condition)
    except ConditionError:
        return False, False
    unknown = sorted(r for r in compiled.references if r[0] != "visits")
    known = {r: visits.get(r[1], 0) for r in compiled.references if r[0] == "visits"}
    samples = [path.extremes(function, ref) for function, ref in unknown]
    seen_true = seen_false = False
    cases = product(*samples)
    for values in islice(cases, _MAX_CASES):
        try:
            holds = bool(compiled.evaluate(ExtremeStudent({**known, **dict(zip(unknown, values))})))
        except ConditionError:
            holds = False
        seen_true, seen_false = seen_true or holds, seen_false or not holds
        if seen_true and seen_false:
            return True, False
    exhausted = next(cases, None) is None
    return seen_true or not exhausted, seen_true and not seen_false and exhausted


def lesson_routes(lesson: Lesson) -> tuple[LessonPath, dict[str, CheckFacts]]:
    """The step graph and the checks' facts of a lesson read from its source (teacher
    side: whether a code check has hidden tests is known only there)."""
    sealed = seal_lesson(replace(lesson, checks={}))
    path = LessonPath({**sealed, "checks": {c.id: {"skills": list(c.skills)} for c in lesson.checks.values()}})
    facts = {c.id: CheckFacts(c.kind, tuple(c.skills), c.points, any(BEGIN_HIDDEN in t for t in c.tests), c.credit,
                              _fresh_items(lesson, c))
             for c in lesson.checks.values()}
    return path, facts


def _fresh_items(lesson: Lesson, check: Check) -> int:
    """How many items a student can be given: the variants drawn (rows may give any number),
    one for a check without variants or whose variants cannot be drawn (validate says why)."""
    if check.variants is None:
        return 1
    try:
        return max(1, len(check_items(lesson, check)))
    except Exception:  # noqa: BLE001 - a broken variant is validate's to report, not the walk's
        return 1
