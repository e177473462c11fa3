"""The path a student takes through a sealed lesson's steps: pure logic, no Jupyter.

The player in JupyterLab and in a Voila page both ask the same questions (where does
this step lead for this student, which step remediates a skill, how far along is the
student), so the answers live here, over the sealed lesson that both receive
(``lessonkit.engine.seal.seal_lesson``: steps with ``branch``, ``choice``, ``next`` and
``review``, checks with ``skills``).  Branch conditions are read through
:class:`~lessonkit.engine.conditions.ConditionContext`, so this module never sees how a
student's state is stored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from itertools import islice, product
from typing import Any

from lessonkit.engine.conditions import (
    ConditionContext,
    ConditionError,
    compile_condition,
    first_matching_rule,
)
from lessonkit.engine.mastery import SkillMastery, weakest_prerequisite
from lessonkit.model import Rule, Skill

__all__ = ["EXTREMES", "ExtremeStudent", "LessonPath", "Route", "loops"]


@dataclass(frozen=True)
class Route:
    """Where a step leads.

    ``reason`` says why: ``"next"`` (the step after it in the source), ``"branch"`` (rule
    number ``rule`` fired, whose ``condition`` is given; ``None`` for the default rule),
    ``"choice"`` (the student picked ``label``), ``"remediation"`` (the escape hatch after
    too many items without mastery), ``"review"`` (a spaced review is due) or ``"end"``
    (``to`` is None: the lesson is over).  A choice step with no pick yet has no route.
    """

    to: str | None
    reason: str
    rule: int | None = None
    condition: str | None = None
    label: str | None = None


class LessonPath:
    """The step graph of one sealed lesson, and the routing questions asked of it."""

    def __init__(self, lesson: Mapping[str, Any]) -> None:
        self.lesson = lesson
        self.steps: dict[str, Mapping[str, Any]] = {step["id"]: step for step in lesson["steps"]}
        self.order: list[str] = [step["id"] for step in lesson["steps"]]
        self._rules = {
            step["id"]: tuple(Rule(goto=r["goto"], condition=r.get("if")) for r in step["branch"])
            for step in lesson["steps"] if step.get("branch")
        }
        self._remaining = self._distances_to_end()

    @property
    def first(self) -> str:
        return self.order[0]

    def step(self, step_id: str) -> Mapping[str, Any]:
        return self.steps[step_id]

    def checks_of(self, step_id: str) -> list[str]:
        """The check ids shown in a step, in order."""
        return [b["check"] for b in self.steps[step_id]["blocks"] if b["kind"] == "check"]

    def skills_of(self, step_id: str) -> list[str]:
        """The skills a step's checks give evidence for, without repeats, in order."""
        skills: dict[str, None] = {}
        for check in self.checks_of(step_id):
            skills.update(dict.fromkeys(self.lesson["checks"][check]["skills"]))
        return list(skills)

    def route(
        self,
        step_id: str,
        context: ConditionContext,
        on_error: Callable[[int, Rule, ConditionError], None] | None = None,
    ) -> Route | None:
        """Where ``step_id`` leads for the student ``context`` describes.

        A branch's rules are tried in order (the first that holds wins); a choice step
        returns None (the student must pick: :meth:`choose`); otherwise the step after it
        in the source, or the end.  A rule whose condition fails at run time is skipped
        when ``on_error`` is given (it is told), so a student is never stranded.
        """
        step = self.steps[step_id]
        if step.get("choice"):
            return None
        rules = self._rules.get(step_id)
        if rules:
            found = first_matching_rule(rules, context, on_error=on_error)
            if found is not None:
                index, rule = found
                return Route(rule.goto, "branch", index, rule.condition)
        if step["kind"] == "end" or not step.get("next"):
            return Route(None, "end")
        return Route(step["next"], "next")

    def choose(self, step_id: str, label: str) -> Route:
        """The route a choice point's option leads to; KeyError for an unknown label."""
        choice = self.steps[step_id].get("choice") or {}
        for option in choice.get("options", ()):
            if option["label"] == label:
                return Route(option["goto"], "choice", label=label)
        raise KeyError(f"step '{step_id}' has no choice labelled {label!r}")

    def remediation_for(self, skill_id: str) -> str | None:
        """The step that remediates a skill: the first remediation step whose checks practise
        it, else the lesson's only remediation step (untagged remediation is still meant
        for the struggling student), else None: with several, guessing could send a
        student to the wrong one."""
        remediations = [s for s in self.order if self.steps[s]["kind"] == "remediation"]
        for step_id in remediations:
            if skill_id in self.skills_of(step_id):
                return step_id
        return remediations[0] if len(remediations) == 1 else None

    def review_step_for(self, skill_id: str) -> str | None:
        """The review step that retrieves a skill, if the lesson has one."""
        for step_id in self.order:
            step = self.steps[step_id]
            if step["kind"] == "review" and skill_id in step.get("review", ()):
                return step_id
        return None

    def traps(self) -> list[tuple[str, ...]]:
        """Loops a student can go round forever, each as its steps in source order.

        Following a student who meets no condition, once the loop has gone round often
        enough for every ``visits(...)`` of its own steps to be as large as it gets: the
        rules that then always hold lead on, those that never do are skipped.  A loop
        that still closes is a trap unless a choice point in it offers a way out, or the
        engine's escape hatch leads out of it for good: a step in it practises a skill,
        its way on is not already a remediation step, and each remediation step the
        hatch may pick lies outside the loop and does not lead back into it.
        """
        found: list[tuple[str, ...]] = []
        moves = {s: self._settled(s, frozenset()) for s in self.order}
        regions = [frozenset(c) for c in loops(moves)]
        while regions:
            region = regions.pop()
            moves = {s: [t for t in self._settled(s, region) if t in region] for s in region}
            for loop in map(frozenset, loops(moves)):
                if loop != region:
                    regions.append(loop)
                elif not (self._chosen_out(loop) or self._hatch_leads_out(loop)):
                    found.append(tuple(s for s in self.order if s in loop))
        return sorted(found, key=lambda loop: self.order.index(loop[0]))

    def _settled(self, step_id: str, looping: frozenset[str]) -> list[str]:
        """Where a step leads a student who meets no condition, while the steps in
        ``looping`` are visited without end (their visits count as large as it gets)."""
        step = self.steps[step_id]
        if step.get("choice"):
            return [o["goto"] for o in step["choice"]["options"] if o["goto"] in self.steps]
        for rule in self._rules.get(step_id, ()):
            if self._always(rule.condition, looping):
                return [rule.goto] if rule.goto in self.steps else []
        return [] if step["kind"] == "end" or not step.get("next") else [step["next"]]

    def _always(self, condition: str | None, looping: frozenset[str]) -> bool:
        """Whether a condition holds for every student once ``looping`` has gone round often
        enough: tried against the extremes of everything else it reads."""
        if condition is None:
            return True
        try:
            compiled = compile_condition(condition)
        except ConditionError:
            return False  # validate reports it; at run time the rule is skipped
        unknown = sorted(r for r in compiled.references if not (r[0] == "visits" and r[1] in looping))
        samples = [self.extremes(function, ref) for function, ref in unknown]
        cases = product(*samples)
        for values in islice(cases, _MAX_CASES):
            try:
                if not compiled.evaluate(ExtremeStudent(dict(zip(unknown, values)))):
                    return False
            except ConditionError:
                return False
        return next(cases, None) is None  # too many cases to try: not known to hold

    def extremes(self, function: str, ref: str) -> tuple[Any, ...]:
        """The values a student-state function can take, at their extremes (a choice: each
        of its labels, and none yet)."""
        if function == "chose":
            step = next((s for s in self.steps.values() if (s.get("choice") or {}).get("id") == ref), None)
            return ("", *(o["label"] for o in (step or {}).get("choice", {}).get("options", ())))
        return EXTREMES[function]

    def _chosen_out(self, loop: frozenset[str]) -> bool:
        """Whether a choice point in ``loop`` offers a way out of it: staying is then the
        student's own choice."""
        options = [o for s in loop for o in (self.steps[s].get("choice") or {}).get("options", ())]
        return any(o["goto"] not in loop for o in options)

    def _hatch_leads_out(self, loop: frozenset[str]) -> bool:
        """Whether the escape hatch takes a student stuck in ``loop`` out of it for good."""
        for step_id in loop:
            way_on = self._settled(step_id, loop)
            if any(self.steps[t]["kind"] == "remediation" for t in way_on):
                continue  # the teacher's own rule remediates, and the hatch stands aside
            for targets in self.hatch_targets(step_id).values():
                if targets and all(t is not None and t not in loop and not self._reaches(t, loop, loop)
                                   for t in targets):
                    return True
        return False

    def hatch_targets(self, step_id: str) -> dict[str, set[str | None]]:
        """Per declared skill a step practises, every remediation step the escape hatch may
        send a student to from here (None: no step to send them to): the weakest
        prerequisite decides, so each prerequisite's remediation is possible.  An undeclared
        skill has no mastery, so it never needs remediation."""
        found: dict[str, set[str | None]] = {}
        for skill_id in self.skills_of(step_id):
            if skill_id in self.lesson.get("skills", {}):
                found[skill_id] = {self.remediation_for(s) or self.remediation_for(skill_id)
                                   for s in self._prerequisites(skill_id)}
        return found

    def escape_hatch(self, step_id: str, route: Route, state_of: Callable[[str], SkillMastery],
                     taken: Iterable[str] = ()) -> Route | None:
        """The engine's own route out of ``step_id`` (architecture §7), or None.

        A skill the step practises that needs remediation (``max_items`` items without
        mastery) sends the student to the remediation of its weakest prerequisite, once per
        skill (``taken``: the skills whose hatch was already taken), unless the teacher's
        rule (``route``) already leads to a remediation step.  The player and the route
        enumeration both ask this, so what a lesson's routes show is what students get.
        """
        if route.to is not None and self.steps[route.to]["kind"] == "remediation":
            return None
        skills = self.skill_models
        done = set(taken)
        for skill_id in self.skills_of(step_id):
            if skill_id not in skills or skill_id in done or not state_of(skill_id).needs_remediation:
                continue
            weakest = weakest_prerequisite(skills, skill_id, {s: state_of(s) for s in skills})
            target = self.remediation_for(weakest) or self.remediation_for(skill_id)
            if target and target != step_id:
                return Route(target, "remediation", condition=f"needs_remediation('{skill_id}')")
        return None

    @cached_property
    def skill_models(self) -> dict[str, Skill]:
        """The lesson's skills with their knowledge-tracing parameters."""
        fields = ("name", "prior", "learn", "guess", "slip")
        return {skill_id: Skill(skill_id, requires=tuple(spec.get("requires", ())),
                                **{f: spec[f] for f in fields if f in spec})
                for skill_id, spec in self.lesson.get("skills", {}).items()}

    def _prerequisites(self, skill_id: str) -> set[str]:
        """The skill and everything it requires: the hatch remediates the weakest of them."""
        skills = self.lesson.get("skills", {})
        found, todo = set(), [skill_id]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(skills.get(current, {}).get("requires", ()))
        return found

    def _reaches(self, start: str, targets: frozenset[str], looping: frozenset[str]) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for following in self._settled(todo.pop(), looping):
                if following in targets:
                    return True
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return False

    def progress(self, visited: Iterable[str], current: str) -> float:
        """How far along the student is, 0 to 1: the distinct steps seen before this one,
        over those plus the shortest way from here to an end.  It can go down when a
        branch sends a student on a detour; it is 1 only on an end step."""
        done = len(set(visited) - {current})
        remaining = self._remaining.get(current, 0)
        return 1.0 if remaining == 0 else done / (done + remaining)

    def targets(self, step_id: str) -> list[str]:
        """Every step a step can lead to, by any rule, option or the source order."""
        step = self.steps[step_id]
        targets = [r["goto"] for r in step.get("branch") or ()]
        targets += [o["goto"] for o in (step.get("choice") or {}).get("options", ())]
        if not targets and step.get("next"):
            targets.append(step["next"])
        return [t for t in targets if t in self.steps]

    def _distances_to_end(self) -> dict[str, int]:
        """Steps still to see from each step (itself included, 0 on an end step), by a
        breadth-first search backwards from the steps that end the lesson."""
        incoming: dict[str, list[str]] = {s: [] for s in self.order}
        for source in self.order:
            for target in self.targets(source):
                incoming[target].append(source)
        ends = [s for s in self.order if self.steps[s]["kind"] == "end" or not self.targets(s)]
        distance = {s: 0 if self.steps[s]["kind"] == "end" else 1 for s in ends}
        queue = deque(ends)
        while queue:
            here = queue.popleft()
            for source in incoming[here]:
                if source not in distance:
                    distance[source] = distance[here] + 1
                    queue.append(source)
        return distance


#: how many combinations of extremes a condition is tried on before it counts as unknown
_MAX_CASES = 4096
_BIG = 10**9
#: the values each state function can take, at their extremes (and one just above nothing)
EXTREMES: dict[str, tuple[Any, ...]] = {
    "mastery": (0.0, 0.5, 1.0), "mastered": (False, True), "needs_remediation": (False, True),
    "evidence": (0, 1, _BIG), "attempts": (0, 1, _BIG), "score": (0.0, 0.5, 1.0), "correct": (False, True),
    "hints": (0, 1, _BIG), "visits": (0, 1, _BIG), "visible_passed": (False, True),
}


class ExtremeStudent:
    """A student whose state is one combination of extremes; the visits of a looping
    step (not in ``values``) are as large as they get."""

    def __init__(self, values: Mapping[tuple[str, str], Any]) -> None:
        self.values = values

    def _get(self, function: str, ref: str) -> Any:
        return self.values.get((function, ref), _BIG)

    def mastery(self, skill: str) -> float: return self._get("mastery", skill)
    def mastered(self, skill: str) -> bool: return self._get("mastered", skill)
    def needs_remediation(self, skill: str) -> bool: return self._get("needs_remediation", skill)
    def evidence(self, skill: str) -> int: return self._get("evidence", skill)
    def attempts(self, check: str) -> int: return self._get("attempts", check)
    def score(self, check: str) -> float: return self._get("score", check)
    def correct(self, check: str) -> bool: return self._get("correct", check)
    def hints(self, check: str) -> int: return self._get("hints", check)
    def visible_passed(self, check: str) -> bool: return self._get("visible_passed", check)
    def chose(self, choice: str) -> str: return self._get("chose", choice)
    def visits(self, step: str) -> int: return self._get("visits", step)


def loops(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` that hold a cycle, each in the order
    Tarjan's algorithm meets it (iteratively, so deep lessons cannot overflow)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    result.append(component[::-1])
    return result
