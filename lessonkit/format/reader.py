"""Reading a lesson notebook into the model, collecting every problem on the way.

The reader checks the structure a notebook can get wrong (the header, steps, the cells a
code check needs, literal and well-typed arguments); what needs the whole lesson (ids
that must exist, the step graph, answer keys) is checked by ``lessonkit validate``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat

from lessonkit.format.arguments import ID, Arguments
from lessonkit.format.calls import Call, read_cell
from lessonkit.format.checkcall import CHECK_COMMON, read_check
from lessonkit.format.headercall import read_mastery, read_skills
from lessonkit.model import (
    STEP_KINDS,
    Block,
    Branch,
    Check,
    Choice,
    ChoiceOption,
    Lesson,
    LessonError,
    Problem,
    Rule,
    Step,
    Where,
    errors_in,
)

__all__ = ["CHECK_COMMON", "ID", "parse_lesson", "parse_notebook", "read_lesson", "read_notebook"]

_FOLLOWING = {
    "code": "a code check is followed directly by its solution cell, then its test cell(s)",
    "response": "a response check is followed directly by its model-answer cell (markdown or code)",
}


def read_notebook(path: str | Path) -> tuple[nbformat.NotebookNode | None, list[Problem]]:
    """A notebook from disk, or the reason it is not one."""
    where = Where(str(path))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(where, f"cannot be read: {error}")]
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises JSON, validation and version errors alike
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, [Problem(where, f"is not a valid Jupyter notebook: {first_line}",
                              "open it in JupyterLab and save it again, or restore it from version control")]
    return nb, []


def read_lesson(path: str | Path) -> Lesson:
    """The lesson in a notebook; raises :class:`LessonError` listing every problem found."""
    lesson, problems = parse_lesson(path)
    errors = errors_in(problems)
    if errors or lesson is None:
        raise LessonError(errors)
    return lesson


def parse_lesson(path: str | Path) -> tuple[Lesson | None, list[Problem]]:
    """The lesson (None if it cannot be made out) and every problem found while reading it."""
    nb, problems = read_notebook(path)
    if nb is None:
        return None, problems
    return _Reader(str(path), problems).read(nb)


def parse_notebook(nb: nbformat.NotebookNode, path: str | Path) -> tuple[Lesson | None, list[Problem]]:
    """A notebook already in memory, read as if it were the file at ``path`` (which names it in
    problems and locates the lesson's files, e.g. a CSV of variant rows): the teacher's preview
    reads the lesson as far as it has been run, exactly as ``lessonkit build`` would."""
    return _Reader(str(path), []).read(nb)


class _Reader:
    """One pass over a notebook's cells: the steps and blocks they make, and the cells a check
    still waits for (a code check's solution and tests, a response check's model answer)."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        self.args = Arguments(problems)
        self.header: Call | None = None
        self.steps: list[dict[str, Any]] = []
        self.checks: dict[str, Check] = {}
        self.awaiting: list[str] = []  # the cells a check still needs: "solution", then "tests" (code)
        self.code_check: Check | None = None  # the check those cells belong to

    def problem(self, where: Where, message: str, hint: str = "", severity: str = "error") -> None:
        self.args.problem(where, message, hint, severity)

    # -- cells ----------------------------------------------------------------------

    def read(self, nb: nbformat.NotebookNode) -> tuple[Lesson | None, list[Problem]]:
        for index, cell in enumerate(nb.cells):
            where = Where(self.path, index, cell.get("id"))
            source = cell.source
            if cell.cell_type == "markdown":
                if self.awaiting and self.code_check is not None and self.code_check.kind == "response":
                    self._take(source)
                    continue
                self._expecting_none(where)
                self._block(Block("markdown", source, where=where), where)
            elif cell.cell_type == "code":
                self._code_cell(source, where)
        if self.awaiting and self.code_check:
            self.problem(self.code_check.where, f"the check '{self.code_check.id}' has no {self.awaiting[0]} cell",
                         _FOLLOWING[self.code_check.kind])
        if self.header is None:
            self.problem(Where(self.path), "has no lesson header",
                         'start the notebook with a code cell: import lessonkit as lk; lk.lesson(id="...", title="...")')
            return None, self.problems
        return self._lesson(), self.problems

    def _code_cell(self, source: str, where: Where) -> None:
        cell = read_cell(source, where)
        self.problems.extend(cell.problems)
        if cell.plain:
            if self.awaiting and self.code_check is not None:
                self._take(source)
            elif source.strip():
                self._block(Block("code", source, where=where), where)
            return
        self._expecting_none(where)
        for call in cell.calls:
            subject = self._subject(call)
            if subject:
                call.where = call.where.of(subject)
            getattr(self, f"_on_{call.name}")(call)

    def _subject(self, call: Call) -> str:
        """What a call defines, as its problems name it: "check 'sum-decimal'", "step 'intro'"."""
        if call.name == "branch":
            return f"the branch of step '{self.steps[-1]['id'] if self.steps else 'intro'}'"
        given = call.args.get("id")
        noun = {"choose": "choice"}.get(call.name, call.name)
        return f"{noun} '{given}'" if isinstance(given, str) and ID.match(given) else ""

    def _take(self, source: str) -> None:
        """The next cell a check is waiting for: its solution (answer) cell, or a test cell."""
        assert self.code_check is not None
        role = self.awaiting.pop(0)
        check = self.code_check
        self.code_check = (replace(check, solution=source) if role == "solution"
                           else replace(check, tests=check.tests + (source,)))
        self.checks[check.id] = self.code_check

    def _expecting_none(self, where: Where) -> None:
        if self.awaiting and self.code_check is not None:
            self.problem(where, f"the check '{self.code_check.id}' needs its {self.awaiting[0]} cell here",
                         _FOLLOWING[self.code_check.kind])
            self.awaiting = []

    def _block(self, block: Block, where: Where) -> None:
        if self.header is None:
            if block.kind == "markdown":
                return  # a title or notes above the header are the teacher's own
            self.problem(where, "comes before the lesson header", "the first code cell must call lk.lesson(...)")
            return
        step = self._last_step(where)
        if step.get("branch") or step.get("choice"):
            self.problem(where, f"comes after the branch or choice that ends step '{step['id']}'",
                         "start a new step with lk.step(...) first")
        step["blocks"].append(block)

    def _last_step(self, where: Where) -> dict[str, Any]:
        """The step a block or a step's ending goes in: the last one begun, or (content right
        after the header) an "intro" step begun here."""
        if not self.steps:
            self.steps.append({"id": "intro", "kind": "content", "title": "", "blocks": [], "where": where})
        return self.steps[-1]

    # -- calls ------------------------------------------------------------------------

    def _on_lesson(self, call: Call) -> None:
        if self.header is not None:
            self.problem(call.where, "a lesson has one lk.lesson(...) header; this is a second one")
            return
        if self.steps or self.checks:
            self.problem(call.where, "lk.lesson(...) must come before every step and check")
        self.header = call

    def _on_step(self, call: Call) -> None:
        if self.header is None:
            self.problem(call.where, "comes before the lesson header")
            return
        step_id = self.args.id(call, "id")
        kind = self.args.typed(call, "kind", str, "content")
        if kind not in STEP_KINDS:
            self.problem(call.where.at("kind"), f"unknown step kind '{kind}'", f"use one of {', '.join(STEP_KINDS)}")
        self.args.unknown(call, ("id", "kind", "title", "review"))
        self.steps.append({"id": step_id, "kind": kind, "title": self.args.typed(call, "title", str, ""),
                           "review": tuple(self.args.str_list(call, "review")), "blocks": [], "where": call.where})

    def _on_check(self, call: Call) -> None:
        check = read_check(call, self.args, Path(self.path).parent)
        if check.id in self.checks:
            self.problem(call.where.at("id"), f"the check id '{check.id}' is used twice",
                         f"first at {self.checks[check.id].where}")
        self.checks[check.id] = check
        self._block(Block("check", check=check.id, where=call.where), call.where)
        if check.kind == "code":
            self.awaiting, self.code_check = ["solution"] + ["tests"] * len(check.test_points), check
        elif check.kind == "response":
            self.awaiting, self.code_check = ["solution"], check

    def _on_branch(self, call: Call) -> None:
        self.args.unknown(call, ("rules",))
        rules = []
        raw = call.args.get("rules")
        if not isinstance(raw, list) or not raw:
            self.problem(call.where.at("rules"), "must be a non-empty list of rules",
                         'e.g. rules=[{"if": "mastered(\'skill\')", "goto": "next-step"}, {"goto": "practice"}]')
            raw = []
        for n, rule in enumerate(raw):
            where = call.where.at(f"rules[{n}]")
            if not isinstance(rule, dict) or not isinstance(rule.get("goto"), str):
                self.problem(where, 'each rule is a dict with "goto" (a step id) and, except the last, "if"')
                continue
            extra = set(rule) - {"if", "goto"}
            if extra:
                self.problem(where, f"unknown key(s) {', '.join(sorted(extra))}", 'a rule has only "if" and "goto"')
            condition = rule.get("if")
            if condition is not None and not isinstance(condition, str):
                self.problem(where.at("if"), "must be a condition written as text")
                condition = None
            rules.append(Rule(goto=rule["goto"], condition=condition, where=where))
        self._end_step(call, "branch", Branch(tuple(rules), where=call.where))

    def _on_choose(self, call: Call) -> None:
        self.args.unknown(call, ("id", "prompt", "options"))
        options = []
        raw = call.args.get("options")
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(call.where.at("options"), "a choice needs a list of at least two options",
                         'e.g. options=[{"label": "Cooking", "goto": "cooking"}, {"label": "Music", "goto": "music"}]')
            raw = []
        for n, option in enumerate(raw):
            if (not isinstance(option, dict) or set(option) != {"label", "goto"}
                    or not all(isinstance(v, str) for v in option.values())):
                self.problem(call.where.at(f"options[{n}]"), 'each option is {"label": text, "goto": step id}')
                continue
            options.append(ChoiceOption(option["label"], option["goto"]))
        choice = Choice(self.args.id(call, "id"), self.args.typed(call, "prompt", str, ""), tuple(options), where=call.where)
        self._end_step(call, "choice", choice)

    def _on_reflect(self, call: Call) -> None:
        """A reflection prompt: a block of the current step, answered in words, never graded."""
        self.args.unknown(call, ("prompt",))
        prompt = self.args.typed(call, "prompt", str, "")
        if not prompt.strip():
            self.problem(call.where.at("prompt"), "a reflection needs a prompt", 'lk.reflect("What was hardest?")')
            return
        self._block(Block("reflection", prompt, where=call.where), call.where)

    def _end_step(self, call: Call, what: str, value: Any) -> None:
        if self.header is None:
            self.problem(call.where, "comes before the lesson header")
            return
        step = self._last_step(call.where)
        if step.get("branch") or step.get("choice"):
            self.problem(call.where, f"step '{step['id']}' already ends with a branch or a choice",
                         "a step has at most one; start a new step with lk.step(...)")
            return
        step[what] = value

    # -- the lesson -----------------------------------------------------------------------

    def _lesson(self) -> Lesson:
        call = self.header
        assert call is not None
        self.args.unknown(call, ("id", "title", "version", "skills", "mastery", "confidence"))
        title = self.args.typed(call, "title", str, "")
        if not title:
            self.problem(call.where.at("title"), "the lesson needs a title")
        steps, seen = [], {}
        for raw in self.steps:
            if raw["id"] in seen:
                self.problem(raw["where"].at("id"), f"the step id '{raw['id']}' is used twice",
                             f"first at {seen[raw['id']]}")
            seen[raw["id"]] = raw["where"]
            steps.append(Step(id=raw["id"], kind=raw["kind"], title=raw["title"], blocks=tuple(raw["blocks"]),
                              branch=raw.get("branch"), choice=raw.get("choice"), review=raw.get("review", ()),
                              where=raw["where"]))
        if not steps:
            self.problem(call.where, "the lesson has no steps", 'add lk.step("intro", title="...") and some content')
        return Lesson(
            id=self.args.id(call, "id"),
            title=title,
            version=str(self.args.typed(call, "version", (str, int, float), "1")),
            skills=read_skills(call, self.args),
            mastery=read_mastery(call, self.args),
            steps=tuple(steps),
            checks=dict(self.checks),
            path=self.path,
            where=call.where,
            confidence=bool(self.args.typed(call, "confidence", bool, False)),
        )
