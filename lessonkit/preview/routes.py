"""The route preview of a ``lk.branch(...)`` or ``lk.choose(...)`` cell: "a student who answers
like this goes this way".

Each way of answering is walked by the player's own :class:`~lessonkit.player.session.Session`
on a page (events in memory), answering every check of each step it reaches with the key or
with a wrong answer (``CheckKind.wrong_answer``), and following ``Session.route`` (the
teacher's rules, the escape hatch, mastery by Bayesian Knowledge Tracing) exactly as a
student's page does, until the lesson ends, the walk reaches a step not run yet in this
kernel, or :data:`MAX_HOPS` moves.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import ipywidgets as widgets

from lessonkit.engine import sealing
from lessonkit.engine.conditions import FUNCTION_ID_KINDS, ConditionError, compile_condition
from lessonkit.engine.kinds import get_kind, kind_names
from lessonkit.engine.path import Route
from lessonkit.engine.seal import check_items, seal_check, seal_lesson
from lessonkit.model import Lesson, Problem, Step, did_you_mean
from lessonkit.player.identity import Identity
from lessonkit.player.session import Session
from lessonkit.progress.memory import MemoryStore
from lessonkit.preview.panels import Readable, problem_text, problems_html, teacher_frame, title_html

__all__ = ["MAX_HOPS", "STUDENTS", "RoutePreview", "Walk", "rule_problems", "walk"]

MAX_HOPS = 12
"""Moves a walk makes at most: enough to go round a practice loop until the escape hatch."""

#: the ways of answering walked, each as "is the answer right, given the attempts made so far"
STUDENTS: tuple[tuple[str, Callable[[int], bool]], ...] = (
    ("answers every check right first time", lambda attempts: True),
    ("answers each check wrong once, then right", lambda attempts: attempts >= 1),
    ("answers every check wrong", lambda attempts: False),
)

_REASONS = {"next": "the next step", "end": "the end of the lesson", "remediation": "the escape hatch",
            "review": "a spaced review", "choice": "their choice"}


@dataclass
class Walk:
    """Where one way of answering led from a step: each move, and what could not be answered."""

    moves: list[tuple[str, Route | None]] = field(default_factory=list)
    unanswered: set[str] = field(default_factory=set)  # checks the walk cannot answer (code, response)
    stopped: str = ""  # why the walk ended before the lesson did


def walk(lesson: Lesson, start: str, right: Callable[[int], bool], *, choice: str | None = None) -> Walk:
    """Walk a student who answers as ``right`` says from ``start`` (``choice``: the label they
    pick at a choice point, else a choice stops the walk)."""
    result = Walk()
    ticks = itertools.count(step=30)  # half a minute per action: no rapid-guessing flag
    run = {s.id for s in lesson.steps}
    with sealing.in_the_clear():
        lesson, broken = _without_broken_checks(lesson)
        result.unanswered.update(broken)
        sealed = seal_lesson(_with_placeholders(lesson))
        clear = {c.id: check_items(lesson, c) for c in lesson.checks.values() if c.kind in kind_names()}
        session = Session(sealed, Identity("route-preview", "preview"), MemoryStore(), mode="page",
                          clock=lambda: float(next(ticks)))
        session.start()
        if session.current_step != start:
            session.go(Route(start, "next"))
        for _ in range(MAX_HOPS):
            step = session.current_step
            assert step is not None
            for check_id in session.path.checks_of(step):
                _answer(session, lesson, clear, check_id, right, result)
            route = session.route()
            chosen = route is None and choice is not None and not result.moves
            if chosen:
                route = session.choose(choice)  # which also takes the student there
            result.moves.append((step, route))
            if route is None:
                result.stopped = "the student picks at the choice point"
                return result
            if route.to is None:
                return result
            if route.to not in run:
                result.stopped = f"step '{route.to}' has not been run in this kernel yet"
                return result
            if not chosen:
                session.go(route)
        result.stopped = f"still going after {MAX_HOPS} moves"
        return result


def rule_problems(lesson: Lesson, step_id: str) -> list[Problem]:
    """What the engine cannot use in a step's rules, in ``lessonkit validate``'s words: a
    condition that does not compile, or one naming an id the lesson (as run so far) lacks.
    The player would skip such a rule without a word, so the preview must say it."""
    step = next((s for s in lesson.steps if s.id == step_id), None)
    if step is None or step.branch is None:
        return []
    ids = {"skill": set(lesson.skills), "check": set(lesson.checks), "step": {s.id for s in lesson.steps},
           "choice": {s.choice.id for s in lesson.steps if s.choice}}
    found = []
    for rule in step.branch.rules:
        if rule.condition is None:
            continue
        try:
            condition = compile_condition(rule.condition)
        except ConditionError as error:
            found.append(Problem(rule.where.at("if"), f"the condition {rule.condition!r} is not valid: {error}"))
            continue
        for function, ref in sorted(condition.references):
            space = FUNCTION_ID_KINDS.get(function)
            if space == "step" and ref not in ids[space]:
                # a step further down is not run yet when the notebook runs top to bottom
                found.append(Problem(rule.where.at("if"), f"{function}('{ref}') names a step not run in this kernel "
                                     "yet", did_you_mean(ref, ids[space]) or "run its lk.step cell, or check the id",
                                     "warning"))
            elif space and ref not in ids[space]:
                found.append(Problem(rule.where.at("if"), f"{function}('{ref}') names an unknown {space}",
                                     did_you_mean(ref, ids[space])))
    return found


def _without_broken_checks(lesson: Lesson) -> tuple[Lesson, set[str]]:
    """The lesson without the checks that cannot be sealed yet (their own previews say why),
    so one unfinished check does not hide every route; and their ids."""
    broken = set()
    for check in lesson.checks.values():
        try:
            seal_check(lesson, check)
        except Exception:  # whatever a half-written check raises, its own cell reports it
            broken.add(check.id)
    if not broken:
        return lesson, broken
    steps = tuple(replace(s, blocks=tuple(b for b in s.blocks if b.check not in broken)) for s in lesson.steps)
    return replace(lesson, steps=steps, checks={k: c for k, c in lesson.checks.items() if k not in broken}), broken


def _with_placeholders(lesson: Lesson) -> Lesson:
    """The lesson with an empty step for each step it names but has not run yet, so the
    engine can route to it (the walk stops there)."""
    run = {s.id for s in lesson.steps}
    named = [r.goto for s in lesson.steps for r in (s.branch.rules if s.branch else ())]
    named += [o.goto for s in lesson.steps for o in (s.choice.options if s.choice else ())]
    missing = [Step(target, "content") for target in dict.fromkeys(named) if target not in run]
    return replace(lesson, steps=lesson.steps + tuple(missing)) if missing else lesson


def _answer(session: Session, lesson: Lesson, clear: dict, check_id: str, right: Callable[[int], bool],
            result: Walk) -> None:
    check = lesson.checks[check_id]
    if check_id not in clear:
        result.unanswered.add(check_id)
        return
    kind = get_kind(check.kind)
    index, _ = session.item(check_id)
    item = clear[check_id][index]
    answer = kind.key(item) if right(session.state.check(check_id).attempts) else kind.wrong_answer(item)
    if kind.input == "code" or kind.graded_by_person or answer is None:
        result.unanswered.add(check_id)  # a program is run contained, a response read by a person
        return
    session.answer(check_id, answer)


class RoutePreview(Readable, widgets.VBox):
    """What running a ``lk.branch`` or ``lk.choose`` cell shows: its problems, and for each way
    of answering (and, at a choice, each option) where the student goes."""

    def __init__(self, lesson: Lesson | None, step_id: str, what: str, problems: list[Problem]) -> None:
        self.lesson = lesson
        self.step_id = step_id
        self.what = what
        self.problems = problems + (rule_problems(lesson, step_id) if lesson is not None else [])
        problems = self.problems
        self.walks: dict[str, Walk] = {}
        if lesson is not None and not any(p.severity == "error" for p in problems):
            self.walks = self._walks(lesson, what)
        table = "".join(f'<tr><th style="text-align:left;padding-right:12px;vertical-align:top">A student who '
                        f"{html.escape(who)}</th><td>{self._describe(w)}</td></tr>" for who, w in self.walks.items())
        body = [widgets.HTML(f"<table>{table}</table>")] if self.walks else []
        note = widgets.HTML('<div style="font-size:90%">Walked by the player\'s own engine on a page, answering '
                            "with the key or a wrong answer; re-run this cell after the steps it leads to have run "
                            "to follow the routes further.</div>")
        super().__init__([widgets.HTML(title_html(what, f"step '{step_id}'", ["where students go next"])),
                          widgets.HTML(problems_html(problems)), *([teacher_frame([*body, note])] if body else [])])
        self.add_class("lessonkit-preview")
        self.add_class("lessonkit-route-preview")

    def _walks(self, lesson: Lesson, what: str) -> dict[str, Walk]:
        step = lesson.step(self.step_id)
        if what == "choice" and step.choice is not None:
            return {f"picks {option.label!r}": walk(lesson, self.step_id, STUDENTS[0][1], choice=option.label)
                    for option in step.choice.options}
        return {who: walk(lesson, self.step_id, right) for who, right in STUDENTS}

    def _describe(self, result: Walk) -> str:
        parts: list[list] = []  # [move, times], a move repeated in a row said once (a practice loop)
        for step, route in result.moves:
            if route is None:
                continue
            why = _REASONS.get(route.reason, "")
            if route.reason == "branch":
                why = f"rule {route.rule + 1}: {route.condition}" if route.condition else "the default rule"
            target = "the end" if route.to is None else f"<b>{html.escape(route.to)}</b>"
            move = f"{html.escape(step)} \u2192 {target} <i>({html.escape(why)})</i>"
            if parts and parts[-1][0] == move:
                parts[-1][1] += 1
            else:
                parts.append([move, 1])
        text = "<br>".join(move + (f" \u00d7 {times}" if times > 1 else "") for move, times in parts) or "stays here"
        if result.stopped:
            text += f"<br><i>{html.escape(result.stopped)}</i>"
        if result.unanswered:
            text += (f"<br><i>not answered by the preview: {html.escape(', '.join(sorted(result.unanswered)))} "
                     "(code and response checks are decided by tests or a person; a check with problems "
                     "is left out until they are fixed)</i>")
        return text

    def readable(self) -> str:
        lines = [f"**lessonkit {self.what} of step `{self.step_id}`**", ""]
        lines += [f"- {problem_text(p)}" for p in self.problems]
        for who, result in self.walks.items():
            route = " \u2192 ".join([result.moves[0][0], *(r.to or "end" for _, r in result.moves if r)]) \
                if result.moves else "stays here"
            lines.append(f"- A student who {who}: {route}")
        return "\n".join(lines)
