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
from typing import Any

from lessonkit.engine.conditions import (
    ConditionContext,
    ConditionError,
    first_matching_rule,
)
from lessonkit.model import Rule

__all__ = ["LessonPath", "Route"]


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

    def progress(self, visited: Iterable[str], current: str) -> float:
        """How far along the student is, 0 to 1: the distinct steps seen before this one,
        over those plus the shortest way from here to an end.  It can go down when a
        branch sends a student on a detour; it is 1 only on an end step."""
        done = len(set(visited) - {current})
        remaining = self._remaining.get(current, 0)
        return 1.0 if remaining == 0 else done / (done + remaining)

    def _targets(self, step_id: str) -> list[str]:
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
            for target in self._targets(source):
                incoming[target].append(source)
        ends = [s for s in self.order if self.steps[s]["kind"] == "end" or not self._targets(s)]
        distance = {s: 0 if self.steps[s]["kind"] == "end" else 1 for s in ends}
        queue = deque(ends)
        while queue:
            here = queue.popleft()
            for source in incoming[here]:
                if source not in distance:
                    distance[source] = distance[here] + 1
                    queue.append(source)
        return distance
