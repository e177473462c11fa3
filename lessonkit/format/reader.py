"""Reading a lesson notebook into the model, collecting every problem on the way.

The reader checks the structure a notebook can get wrong (the header, steps, the cells a
code check needs, literal and well-typed arguments); what needs the whole lesson (ids
that must exist, the step graph, answer keys) is checked by ``lessonkit validate``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import nbformat

from lessonkit.format.calls import Call, read_cell
from lessonkit.format.rows import RowsError, read_rows
from lessonkit.model import (
    ONE_OPTION_FEEDBACK,
    STEP_KINDS,
    Block,
    Branch,
    Check,
    Choice,
    ChoiceOption,
    Feedback,
    Hint,
    Lesson,
    LessonError,
    MasteryPolicy,
    Problem,
    Rule,
    Skill,
    Step,
    Variants,
    Where,
    did_you_mean,
)

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
CHECK_COMMON = ("id", "kind", "prompt", "skills", "points", "hints", "feedback", "variants", "credit")
#: what earns a check's points: its answer, or (``credit="mastery"``) also the mastery of its skills
CREDITS = ("answer", "mastery")
VARIANT_FIELDS = ("count", "params", "rows", "where")
SKILL_FIELDS = ("name", "requires", "prior", "learn", "guess", "slip")
_NUMBER = (int, float)
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
    errors = [p for p in problems if p.severity == "error"]
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
    def __init__(self, path: str, problems: list[Problem]):
        self.path = path
        self.problems = problems
        self.header: Call | None = None
        self.steps: list[dict[str, Any]] = []
        self.checks: dict[str, Check] = {}
        self.awaiting: list[str] = []  # the cells a check still needs: "solution", then "tests" (code)
        self.code_check: Check | None = None  # the check those cells belong to

    def problem(self, where: Where, message: str, hint: str = "", severity: str = "error") -> None:
        self.problems.append(Problem(where, message, hint, severity))

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
        self.code_check = (_with(check, solution=source) if role == "solution"
                           else _with(check, tests=check.tests + (source,)))
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
        if not self.steps:
            self.steps.append({"id": "intro", "kind": "content", "title": "", "blocks": [], "where": where})
        step = self.steps[-1]
        if step.get("branch") or step.get("choice"):
            self.problem(where, f"comes after the branch or choice that ends step '{step['id']}'",
                         "start a new step with lk.step(...) first")
        step["blocks"].append(block)

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
        step_id = self._id(call, "id")
        kind = self._typed(call, "kind", str, "content")
        if kind not in STEP_KINDS:
            self.problem(call.where.at("kind"), f"unknown step kind '{kind}'", f"use one of {', '.join(STEP_KINDS)}")
        self._unknown(call, ("id", "kind", "title", "review"))
        self.steps.append({"id": step_id, "kind": kind, "title": self._typed(call, "title", str, ""),
                           "review": tuple(self._str_list(call, "review")), "blocks": [], "where": call.where})

    def _on_check(self, call: Call) -> None:
        args = call.args
        check_id = self._id(call, "id")
        kind = self._typed(call, "kind", str, "")
        if not kind:
            self.problem(call.where.at("kind"), "every check needs a kind",
                         "single, multiple, numeric, text or code")
        test_points = self._points(call)
        check = Check(
            id=check_id,
            kind=kind,
            prompt=self._typed(call, "prompt", str, ""),
            skills=tuple(self._str_list(call, "skills")),
            points=sum(test_points),
            test_points=test_points if kind == "code" else (),
            hints=self._hints(call),
            feedback=self._feedback(call),
            spec={k: v for k, v in args.items() if k not in CHECK_COMMON},
            variants=self._variants(call),
            credit=self._credit(call),
            where=call.where,
        )
        if check_id in self.checks:
            self.problem(call.where.at("id"), f"the check id '{check_id}' is used twice",
                         f"first at {self.checks[check_id].where}")
        self.checks[check_id] = check
        self._block(Block("check", check=check_id, where=call.where), call.where)
        if kind == "code":
            self.awaiting, self.code_check = ["solution"] + ["tests"] * len(test_points), check
        elif kind == "response":
            self.awaiting, self.code_check = ["solution"], check

    def _credit(self, call: Call) -> str:
        credit = call.args.get("credit", "answer")
        if credit not in CREDITS:
            self.problem(call.where.at("credit"), f"must be one of {', '.join(map(repr, CREDITS))}, not {credit!r}",
                         'credit="mastery" lets a skill mastered on the student\'s route earn the check\'s points')
            return "answer"
        return str(credit)

    def _points(self, call: Call) -> tuple[float, ...]:
        """A check's points: one number, or (code checks) one number per test cell."""
        raw = call.args.get("points", 1.0)
        values = raw if isinstance(raw, list) and call.args.get("kind") == "code" and raw else [raw]
        if not all(isinstance(v, _NUMBER) and not isinstance(v, bool) and v >= 0 for v in values):
            self.problem(call.where.at("points"), "must be a number of points, 0 or more "
                         "(a code check with several test cells: a list, one number per test cell)")
            return (1.0,)
        return tuple(float(v) for v in values)

    def _on_branch(self, call: Call) -> None:
        self._unknown(call, ("rules",))
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
        self._unknown(call, ("id", "prompt", "options"))
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
        choice = Choice(self._id(call, "id"), self._typed(call, "prompt", str, ""), tuple(options), where=call.where)
        self._end_step(call, "choice", choice)

    def _on_reflect(self, call: Call) -> None:
        """A reflection prompt: a block of the current step, answered in words, never graded."""
        self._unknown(call, ("prompt",))
        prompt = self._typed(call, "prompt", str, "")
        if not prompt.strip():
            self.problem(call.where.at("prompt"), "a reflection needs a prompt", 'lk.reflect("What was hardest?")')
            return
        self._block(Block("reflection", prompt, where=call.where), call.where)

    def _end_step(self, call: Call, what: str, value: Any) -> None:
        if self.header is None:
            self.problem(call.where, "comes before the lesson header")
            return
        if not self.steps:
            self.steps.append({"id": "intro", "kind": "content", "title": "", "blocks": [], "where": call.where})
        step = self.steps[-1]
        if step.get("branch") or step.get("choice"):
            self.problem(call.where, f"step '{step['id']}' already ends with a branch or a choice",
                         "a step has at most one; start a new step with lk.step(...)")
            return
        step[what] = value

    # -- fields -----------------------------------------------------------------------

    def _typed(self, call: Call, key: str, types: Any, default: Any) -> Any:
        value = call.args.get(key, default)
        if value is default:
            return default
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
            wanted = " or ".join(t.__name__ for t in _tuple(types))
            self.problem(call.where.at(key), f"must be {wanted}, not {type(value).__name__}")
            return default
        return value

    def _id(self, call: Call, key: str) -> str:
        value = call.args.get(key)
        if not isinstance(value, str) or not ID.match(value):
            self.problem(call.where.at(key), f"lk.{call.name}() needs an id made of letters, digits, - and _",
                         f"got {value!r}")
            return f"<cell {(call.where.cell_index or 0) + 1}>"
        return value

    def _str_list(self, call: Call, key: str) -> list[str]:
        value = call.args.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.problem(call.where.at(key), "must be a list of ids")
            return []
        return list(value)

    def _unknown(self, call: Call, known: tuple[str, ...]) -> None:
        for key in call.args:
            if key not in known:
                self.problem(call.where.at(key), f"lk.{call.name}() has no argument '{key}'",
                             " ".join(filter(None, [did_you_mean(key, known),
                                                    f"its arguments are {', '.join(known)}"])))

    def _hints(self, call: Call) -> tuple[Hint, ...]:
        raw = call.args.get("hints", [])
        if not isinstance(raw, list):
            self.problem(call.where.at("hints"), "must be a list of hints (texts, or dicts with \"text\")")
            return ()
        hints = []
        for n, hint in enumerate(raw):
            where = call.where.at(f"hints[{n}]")
            if isinstance(hint, str):
                hint = {"text": hint}
            if not isinstance(hint, dict) or not isinstance(hint.get("text"), str):
                self.problem(where, 'a hint is a text or a dict with "text"')
                continue
            extra = set(hint) - {"text", "after", "cost", "bottom_out"}
            if extra:
                self.problem(where, f"unknown key(s) {', '.join(sorted(extra))}",
                             'a hint has "text", "after", "cost" and "bottom_out"')
            after, cost = hint.get("after", 0), hint.get("cost", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                self.problem(where.at("after"), "must be a whole number of submissions (0 or more)")
                after = 0
            if not isinstance(cost, _NUMBER) or isinstance(cost, bool) or cost < 0:
                self.problem(where.at("cost"), "must be a number of points (0 or more)")
                cost = 0
            bottom_out = bool(hint.get("bottom_out", False))
            if bottom_out and n != len(raw) - 1:
                self.problem(where.at("bottom_out"), "only the last hint of a ladder can be the bottom-out hint")
            hints.append(Hint(hint["text"], after, float(cost), bottom_out))
        return tuple(hints)

    def _feedback(self, call: Call) -> tuple[Feedback, ...]:
        raw = call.args.get("feedback", [])
        if not isinstance(raw, list):
            self.problem(call.where.at("feedback"), 'must be a list of {"answer": ..., "message": ...}')
            return ()
        entries = []
        multiple = call.args.get("kind") == "multiple"
        for n, entry in enumerate(raw):
            where = call.where.at(f"feedback[{n}]")
            keys = set(entry) - {"message"} if isinstance(entry, dict) else set()
            if not isinstance(entry, dict) or not isinstance(entry.get("message"), str) or len(keys) != 1 \
                    or not keys <= {"answer", "test", *ONE_OPTION_FEEDBACK}:
                self.problem(where, 'feedback is {"answer": a wrong answer, "message": text}, '
                                    'for multiple choice also {"picked": a wrong option, ...} or '
                                    '{"missed": a right option, ...}, and for code checks {"test": number, ...}')
                continue
            (key,) = keys
            if key in ONE_OPTION_FEEDBACK and not multiple:
                self.problem(where.at(key), f'"{key}" feedback names one option of a multiple-choice check',
                             'give the wrong answer itself: {"answer": ..., "message": ...}')
                continue
            # one option's feedback travels as the answer it matches, so every kind's items keep one shape
            answer = {key: entry[key]} if key in ONE_OPTION_FEEDBACK else entry.get("answer")
            entries.append(Feedback(entry["message"], answer, entry.get("test")))
        return tuple(entries)

    def _variants(self, call: Call) -> Variants | None:
        raw = call.args.get("variants")
        if raw is None:
            return None
        where = call.where.at("variants")
        shape = ('variants are {"params": {"name": [values, ...], ...}} or {"rows": [{"name": value, ...}, ...] '
                 'or "file.csv"}, with "count" and a "where" constraint if wanted')
        if not isinstance(raw, dict) or not ("params" in raw or "rows" in raw):
            self.problem(where, shape)
            return None
        for key in set(raw) - set(VARIANT_FIELDS):
            self.problem(where.at(key), f"variants have no field '{key}'",
                         " ".join(filter(None, [did_you_mean(key, VARIANT_FIELDS),
                                                f"their fields are {', '.join(VARIANT_FIELDS)}"])))
        params = raw.get("params", {})
        if not isinstance(params, dict) or not all(isinstance(v, list) and v for v in params.values()) \
                or "params" in raw and not params:
            self.problem(where.at("params"), 'must be {"name": [values, ...], ...}, each with at least one value')
            params = {}
        for name in params:
            if not isinstance(name, str) or not name.isidentifier():
                self.problem(where.at(f"params.{name}"), "parameter names must be simple names like a, b, price")
        rows = self._rows(where.at("rows"), raw["rows"]) if "rows" in raw else ()
        for name in sorted(set(params) & set(rows[0] if rows else ())):
            self.problem(where.at(f"params.{name}"), f"'{name}' is both a parameter and a column of the rows",
                         "rename one of them")
        count = raw.get("count", None if rows and not params else 5)
        if count is None and len(rows) > 100:
            self.problem(where.at("rows"), f"has {len(rows)} rows; a check has at most 100 variants",
                         'give "count" (at most 100) to draw that many of the rows')
        elif count is not None and (not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100):
            self.problem(where.at("count"), "must be a whole number from 1 to 100")
            count = 5
        constraint = raw.get("where")
        if constraint is not None and not (isinstance(constraint, str) and constraint.strip()):
            self.problem(where.at("where"), "must be a condition written as text, e.g. \"a != b and a * b < 50\"")
            constraint = None
        if not params and not rows:
            return None
        rows_file = raw["rows"] if isinstance(raw.get("rows"), str) and rows else None
        return Variants({k: tuple(v) for k, v in params.items()}, count, constraint, rows, rows_file)

    def _rows(self, where: Where, raw: Any) -> tuple[dict[str, Any], ...]:
        """Data rows: written out as a list of dicts, or the name of a CSV file beside the lesson."""
        if isinstance(raw, str):
            try:
                return read_rows(Path(self.path).parent, raw)
            except RowsError as error:
                self.problem(where, str(error))
                return ()
        if not isinstance(raw, list) or not raw or not all(isinstance(row, dict) and row for row in raw):
            self.problem(where, 'must be a list of rows, each a dict of values ({"price": 12, "item": "pen"}), '
                                'or the name of a CSV file beside the lesson')
            return ()
        columns = set(raw[0])
        for n, row in enumerate(raw):
            if set(row) != columns:
                self.problem(where.at(f"[{n}]"), f"has the values {', '.join(sorted(map(str, row)))}, "
                             f"but the first row has {', '.join(sorted(map(str, columns)))}",
                             "every row names the same values")
                return ()
        bad = sorted(str(c) for c in columns if not (isinstance(c, str) and c.isidentifier()))
        if bad:
            self.problem(where, f"the value name(s) {', '.join(bad)} are not simple names like a, b, price")
            return ()
        return tuple(dict(row) for row in raw)

    # -- the lesson -----------------------------------------------------------------------

    def _lesson(self) -> Lesson:
        call = self.header
        assert call is not None
        self._unknown(call, ("id", "title", "version", "skills", "mastery", "confidence"))
        title = self._typed(call, "title", str, "")
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
            id=self._id(call, "id"),
            title=title,
            version=str(self._typed(call, "version", (str, int, float), "1")),
            skills=self._skills(call),
            mastery=self._mastery(call),
            steps=tuple(steps),
            checks=dict(self.checks),
            path=self.path,
            where=call.where,
            confidence=bool(self._typed(call, "confidence", bool, False)),
        )

    def _skills(self, call: Call) -> dict[str, Skill]:
        raw = self._typed(call, "skills", dict, {})
        skills = {}
        for skill_id, spec in raw.items():
            where = call.where.at(f"skills.{skill_id}")
            if not isinstance(skill_id, str) or not ID.match(skill_id):
                self.problem(where, "a skill id is made of letters, digits, - and _")
                continue
            if isinstance(spec, str):
                spec = {"name": spec}
            if not isinstance(spec, dict):
                self.problem(where, 'a skill is {"name": ..., "requires": [...]} or just its name')
                continue
            for key in set(spec) - set(SKILL_FIELDS):
                self.problem(where.at(key), f"a skill has no field '{key}'", f"fields: {', '.join(SKILL_FIELDS)}")
            params = {}
            for key in ("prior", "learn", "guess", "slip"):
                if key in spec:
                    value = spec[key]
                    if not isinstance(value, _NUMBER) or isinstance(value, bool) or not 0 < value < 1:
                        self.problem(where.at(key), "must be a probability strictly between 0 and 1")
                    else:
                        params[key] = float(value)
            requires = spec.get("requires", [])
            if isinstance(requires, str):
                requires = [requires]
            if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
                self.problem(where.at("requires"), "must be a list of skill ids")
                requires = []
            skills[skill_id] = Skill(skill_id, str(spec.get("name", skill_id)), tuple(requires), **params)
        return skills

    def _mastery(self, call: Call) -> MasteryPolicy:
        raw = self._typed(call, "mastery", dict, {})
        where = call.where.at("mastery")
        for key in set(raw) - {"threshold", "min_evidence", "max_items"}:
            self.problem(where.at(key), f"the mastery policy has no field '{key}'",
                         "fields: threshold, min_evidence, max_items")
        policy = MasteryPolicy()
        threshold = raw.get("threshold", policy.threshold)
        if not isinstance(threshold, _NUMBER) or isinstance(threshold, bool) or not 0 < threshold <= 1:
            self.problem(where.at("threshold"), "must be a probability above 0 and at most 1")
            threshold = policy.threshold
        counts = {}
        for key in ("min_evidence", "max_items"):
            value = raw.get(key, getattr(policy, key))
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                self.problem(where.at(key), "must be a whole number, 1 or more")
                value = getattr(policy, key)
            counts[key] = value
        if counts["max_items"] < counts["min_evidence"]:
            self.problem(where.at("max_items"), "must be at least min_evidence, or nobody could master the skill")
        return MasteryPolicy(float(threshold), counts["min_evidence"], counts["max_items"])


def _tuple(types: Any) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _with(check: Check, **changes: Any) -> Check:
    from dataclasses import replace

    return replace(check, **changes)
