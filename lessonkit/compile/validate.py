"""``lessonkit validate``: every problem in a lesson, at once, in a teacher's words.

Reading catches what one cell can get wrong; this module checks what needs the whole
lesson: ids that must exist, skills and their prerequisites, the step graph (reachable,
no loop without a way out), conditions, and the answer key: every answer must pass its
own check and every code solution its own tests, visible and hidden.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Iterable

from lessonkit.compile.routes import route_problems
from lessonkit.engine.conditions import FUNCTION_ID_KINDS
from lessonkit.engine.kinds.checking import check_problems
from lessonkit.engine.path import LessonPath, loops
from lessonkit.engine.seal import seal_lesson
from lessonkit.format.assets import lesson_files
from lessonkit.format.reader import parse_lesson
from lessonkit.model import Check, Lesson, Problem, Where, did_you_mean, errors_in

CONDITION_TARGETS = FUNCTION_ID_KINDS


@dataclass
class Report:
    """The outcome of validating one lesson file."""

    path: Path
    lesson: Lesson | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return errors_in(self.problems)

    @property
    def ok(self) -> bool:
        return self.lesson is not None and not self.errors


def validate_lesson(path: str | Path, *, run_code: bool = True) -> Report:
    """Read and check one lesson.  ``run_code=False`` skips running code solutions."""
    lesson, problems = parse_lesson(path)
    if lesson is not None:
        problems.extend(_Checker(lesson, run_code).problems())
    return Report(Path(path), lesson, _unique(problems))


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    seen, result = set(), []
    for problem in problems:
        key = (str(problem.where), problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result


class _Checker:
    def __init__(self, lesson: Lesson, run_code: bool):
        self.lesson = lesson
        self.run_code = run_code
        self.found: list[Problem] = []
        self.ids = {
            "skill": set(lesson.skills),
            "check": set(lesson.checks),
            "step": {s.id for s in lesson.steps},
            "choice": {s.choice.id for s in lesson.steps if s.choice},
        }

    def add(self, where: Where, message: str, hint: str = "", severity: str = "error") -> None:
        self.found.append(Problem(where, message, hint, severity))

    def problems(self) -> list[Problem]:
        """Every problem, in notebook order.

        Checks are validated side by side: their cost is deliberately slow hashing and
        contained runs of the solutions, both of which leave the interpreter free.
        """
        self.skills()
        with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) * 2)) as pool:
            list(pool.map(self.check, self.lesson.checks.values()))
        self.steps()
        self.graph()
        return sorted(self.found, key=lambda p: -1 if p.where.cell_index is None else p.where.cell_index)

    # -- skills -------------------------------------------------------------------------

    def skills(self) -> None:
        skills = self.lesson.skills
        header = self.lesson.where
        for skill in skills.values():
            for required in skill.requires:
                if required not in skills:
                    self.add(header.at(f"skills.{skill.id}.requires"),
                             f"skill '{skill.id}' requires an unknown skill '{required}'",
                             did_you_mean(required, skills))
        for cycle in loops({s.id: [r for r in s.requires if r in skills] for s in skills.values()}):
            self.add(header.at(f"skills.{cycle[0]}.requires"),
                     "prerequisites go round in a circle: " + " → ".join(cycle + [cycle[0]]),
                     "a skill cannot (indirectly) require itself")

    # -- checks -------------------------------------------------------------------------

    def check(self, check: Check) -> None:
        self.found.extend(check_problems(self.lesson, check, run_code=self.run_code, files=lambda: self.files))

    @cached_property
    def files(self) -> dict[str, bytes]:
        """The lesson's files, read once for every code check's contained run."""
        return lesson_files(self.lesson)

    # -- steps and the graph -------------------------------------------------------------

    def steps(self) -> None:
        choices: dict[str, Where] = {}
        for step in self.lesson.steps:
            for skill in step.review:
                if skill not in self.lesson.skills:
                    self.add(step.where.at("review"), f"unknown skill '{skill}'",
                             did_you_mean(skill, self.lesson.skills))
            if step.kind == "review" and not step.review:
                self.add(step.where.at("review"), "a review step names the skills it reviews",
                         'e.g. lk.step("review-1", kind="review", review=["add-like"])')
            if step.choice:
                if step.choice.id in choices:
                    self.add(step.choice.where.at("id"), f"the choice id '{step.choice.id}' is used twice")
                choices[step.choice.id] = step.choice.where
                for n, option in enumerate(step.choice.options):
                    self.target(step.choice.where.at(f"options[{n}].goto"), option.goto)
            if step.branch:
                self.branch(step)

    def branch(self, step) -> None:  # noqa: ANN001
        from lessonkit.engine.conditions import ConditionError, compile_condition

        rules = step.branch.rules
        for n, rule in enumerate(rules):
            self.target(rule.where.at("goto"), rule.goto)
            if rule.condition is None:
                if n < len(rules) - 1:
                    self.add(rule.where, "a rule without \"if\" always fires, so the rules after it never do",
                             "put the default rule last")
                continue
            try:
                condition = compile_condition(rule.condition)
            except ConditionError as error:
                self.add(rule.where.at("if"), f"the condition {rule.condition!r} is not valid: {error}")
                continue
            for function, ref in sorted(condition.references):
                space = CONDITION_TARGETS.get(function)
                if space and ref not in self.ids[space]:
                    self.add(rule.where.at("if"), f"{function}('{ref}') names an unknown {space}",
                             did_you_mean(ref, self.ids[space]))
        if rules and rules[-1].condition is not None:
            self.add(step.branch.where.at("rules"), "the last rule must have no \"if\": it is the default",
                     'add {"goto": "<step>"} at the end, so every student has a way on')

    def target(self, where: Where, goto: str) -> None:
        if goto not in self.ids["step"]:
            self.add(where, f"goes to an unknown step '{goto}'", did_you_mean(goto, self.ids["step"]))

    def graph(self) -> None:
        steps = self.lesson.steps
        if not steps or len(self.ids["step"]) < len(steps):
            return  # a step id used twice (reported when read) makes every path through it ambiguous
        path = LessonPath({**seal_lesson(replace(self.lesson, checks={})),
                           "checks": {c.id: {"skills": list(c.skills)} for c in self.lesson.checks.values()}})
        edges = {step_id: path.targets(step_id) for step_id in path.order}
        reached, todo = {path.first}, [path.first]
        while todo:
            for target in edges[todo.pop()]:
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for step in steps:
            if step.id not in reached:
                self.add(step.where, f"no path leads to step '{step.id}'",
                         "add a rule, a choice or a step order that leads here, or remove the step")
        closed: set[str] = set()
        sound = not self.errors_so_far()
        for loop in loops(edges):
            if not {t for s in loop for t in edges[s]} - set(loop):
                closed.update(loop)
                self.add(self.lesson.step(loop[0]).where,
                         "these steps form a loop with no way out: " + " → ".join(loop),
                         "give one of their branches a rule (usually the default) that leads on")
        for trap in path.traps():
            if closed.isdisjoint(trap):
                self.add(self.lesson.step(trap[0]).where, "a student who never meets a condition goes round "
                         "forever here: " + " → ".join(trap),
                         f"bound the loop with a rule that leads on, e.g. {{\"if\": \"visits('{trap[-1]}') >= 3\", "
                         "\"goto\": ...}, or let the default rule lead on (the escape hatch counts only for a "
                         "step practising a skill whose remediation step is outside the loop and leads on)")
        if sound and not closed:
            self.found.extend(route_problems(self.lesson))

    def errors_so_far(self) -> bool:
        """Whether an error was found already: routes over unknown ids or broken rules would
        only repeat it."""
        return bool(errors_in(self.found))


def discover(path: str | Path) -> list[Path]:
    """The lesson notebooks at ``path``: the file itself, or every lesson in a folder."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    found = []
    for candidate in sorted(path.rglob("*.ipynb")):
        if any(part.startswith(".") for part in candidate.relative_to(path).parts):
            continue
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            found.append(candidate)  # unreadable: let validation say so
            continue
        if ".lesson(" in text:
            found.append(candidate)
    return found
