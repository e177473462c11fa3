"""``lessonkit validate``: every problem in a lesson, at once, in a teacher's words.

Reading catches what one cell can get wrong; this module checks what needs the whole
lesson: ids that must exist, skills and their prerequisites, the step graph (reachable,
no loop without a way out), conditions, and the answer key: every answer must pass its
own check and every code solution its own tests, visible and hidden.
"""

from __future__ import annotations

import difflib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from lessonkit.engine import sealing
from lessonkit.engine.kinds import CheckKind, Item, get_kind, kind_names
from lessonkit.engine.path import LessonPath, loops
from lessonkit.engine.seal import check_items, item_salt, seal_lesson
from lessonkit.format.assets import lesson_files
from lessonkit.format.reader import CHECK_COMMON, parse_lesson
from lessonkit.model import Check, Hint, Lesson, Problem, Where, did_you_mean

CONDITION_TARGETS = {
    "mastery": "skill", "mastered": "skill", "needs_remediation": "skill", "evidence": "skill",
    "attempts": "check", "score": "check", "correct": "check", "hints": "check",
    "chose": "choice", "visits": "step",
}


@dataclass
class Report:
    """The outcome of validating one lesson file."""

    path: Path
    lesson: Lesson | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

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
        if check.kind not in kind_names():
            if check.kind:
                self.add(check.where.at("kind"), f"unknown check kind '{check.kind}'",
                         did_you_mean(check.kind, kind_names()) or f"kinds: {', '.join(kind_names())}")
            return
        kind = get_kind(check.kind)
        for skill in check.skills:
            if skill not in self.lesson.skills:
                self.add(check.where.at("skills"), f"unknown skill '{skill}'",
                         did_you_mean(skill, self.lesson.skills) or "declare it in lk.lesson(skills=...)")
        meant = self.unknown_fields(check, kind)
        if meant is not None:
            check = replace(check, spec=meant)
        kind_problems = kind.problems(check)
        self.found.extend(kind_problems)
        if kind_problems or meant is not None:
            return
        try:
            items = check_items(self.lesson, check)
        except Exception as error:  # a variant template or expression that does not evaluate
            self.add(check.where.at("variants"), f"a variant could not be made: {error}",
                     "every {...} must be an expression over the variant's parameters")
            return
        if check.kind == "code":
            self.code_key(check, items[0])
            return
        if kind.graded_by_person:
            return
        for number, item in enumerate(items):
            self.answer_key(check, kind, item, number, len(items) > 1)

    def unknown_fields(self, check: Check, kind: CheckKind) -> dict[str, Any] | None:
        """Report fields the kind does not take, naming every field it does.

        Returns the fields read as meant (a misspelt one under the name it is close to), so
        the kind judges the rest without a follow-on "needs 'answer'" for an ``answr=``;
        None if every field is known.
        """
        unknown = [name for name in check.spec if name not in kind.fields]
        if not unknown:
            return None
        accepted = sorted({*CHECK_COMMON, *kind.fields})
        meant = {k: v for k, v in check.spec.items() if k in kind.fields}
        for name in unknown:
            suggestion = difflib.get_close_matches(name, accepted, n=1)
            self.add(check.where.at(name), f"'{check.kind}' checks have no field '{name}'",
                     " ".join(filter(None, [did_you_mean(name, accepted),
                                            f"a '{check.kind}' check takes {', '.join(accepted)}"])))
            if suggestion and suggestion[0] in kind.fields and suggestion[0] not in check.spec:
                meant[suggestion[0]] = check.spec[name]
        return meant

    def answer_key(self, check: Check, kind, item, number: int, variant: bool) -> None:  # noqa: ANN001
        where = check.where.at(f"variants[{number}]") if variant else check.where.at("answer")
        try:
            sealed = kind.seal(item, item_salt(self.lesson, check, number))
            verdict = kind.judge(sealed, kind.key(item))
        except Exception as error:  # a broken item must be reported, not crash validation
            self.add(where, f"the answer key cannot be checked: {error}")
            return
        if verdict.correct is not True:
            self.add(where, "the answer key does not pass its own check"
                     + (f" (variant {number}: {item['prompt']!r})" if variant else ""),
                     "fix the answer, the tolerance or the normalisation")
        for n, entry in enumerate(item.get("feedback", [])):
            if entry.get("answer") is not None and kind.judge(sealed, entry["answer"]).correct:
                self.add(check.where.at(f"feedback[{n}]"), f"{entry['answer']!r} has wrong-answer feedback "
                         "but is accepted as right", "remove it, or narrow the tolerance")
        for n, hint in enumerate(check.hints):
            given = _answer_in_hint(kind, item, hint)
            if given:
                self.add(check.where.at(f"hints[{n}]"), f"the hint gives the answer away ({given!r})",
                         "earlier hints lead towards the answer; the bottom-out hint may show its shape "
                         "(\"60 - 9 = ?\"), never the answer itself")

    def code_key(self, check: Check, item) -> None:  # noqa: ANN001
        for n, entry in enumerate(check.feedback):
            if entry.test is None:
                self.add(check.where.at(f"feedback[{n}]"), 'code checks take {"test": number, "message": ...}')
        if not self.run_code:
            return
        from lessonkit.engine.codetests import run_tests_contained
        from lessonkit.engine.kinds.code import test_cases

        cases = test_cases(item["tests"])
        numbers = {c.number for c in cases}
        for n, entry in enumerate(check.feedback):
            if entry.test is not None and entry.test not in numbers:
                self.add(check.where.at(f"feedback[{n}].test"), f"there is no test {entry.test}",
                         f"tests are numbered 1 to {len(cases)}")
        results = run_tests_contained(item["solution"], cases, setup=self.lesson_code_before(check),
                                      files=self.files)
        for result in results:
            if not result.passed:
                self.add(check.where.at("tests"), f"the solution fails its own test {result.number}: {result.message}",
                         "fix the solution or the test")

    @cached_property
    def files(self) -> dict[str, bytes]:
        """The lesson's files, read once for every code check's contained run."""
        return lesson_files(self.lesson)

    def lesson_code_before(self, check: Check) -> str:
        """The code a student's kernel has run before this check: examples and earlier solutions."""
        parts = []
        for block in self.lesson.blocks_before(check.id):
            if block.kind == "code":
                parts.append(block.source)
            elif block.kind == "check" and self.lesson.checks[block.check or ""].kind == "code":
                parts.append(self.lesson.checks[block.check or ""].solution or "")
        return "".join(part + "\n" for part in parts)

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


#: a number as a hint may write it: 51, £51, 0.75, 1,000, 3/4, 25%
_HINT_NUMBER = re.compile(r"(?<![\w./])-?\d+(?:[.,]\d+)*(?:\s*/\s*\d+)?(?:\s*%)?(?![\w/])")
#: what, just before a number, says that it is the result: "is 51", "= 51", "£51", "gives 51"
_STATED = re.compile(r"(?:[=≈→£$€¥]|->|\b(?:is|are|was|equals?|makes?|gives?|gets?|answer|result|total)\b)"
                     r"\s*[£$€¥]?\s*$", re.IGNORECASE)


def _answer_in_hint(kind: CheckKind, item: Item, hint: Hint) -> str:
    """The part of a hint that gives the answer away, or "".

    Long answers are searched for as text.  A short one ("51") is too common for that, so
    each number in the hint is judged as an answer: it gives the answer away if it is
    stated as the result ("which is £51"), or, in a hint before the bottom-out one, if
    it appears at all and the prompt does not show it already.  The bottom-out hint may
    show the numbers the answer is made of, and so the answer's own digits in passing.
    """
    text = hint.text.casefold()
    for secret in kind.secrets(item):
        if secret.casefold() in text:
            return secret
    shown = {" ".join(m.group().split()) for m in _HINT_NUMBER.finditer(item["prompt"])}
    with sealing.in_the_clear():  # the hint is the teacher's: nothing here reaches students
        clear = kind.seal(item, "hints")
        for match in _HINT_NUMBER.finditer(hint.text):
            number = " ".join(match.group().split())
            stated = _STATED.search(hint.text, 0, match.start()) is not None
            if (stated or not (hint.bottom_out or number in shown)) and kind.judge(clear, number).correct:
                return number
    return ""


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
