"""The lesson as far as the teacher has run it in this kernel, read exactly as ``build`` reads it.

Each ``lk.*`` call the teacher runs is recorded here.  To say what is wrong with a cell, the
draft writes the calls run so far back out as the cells of a notebook, in memory, and reads
that with ``lessonkit``'s own reader (``format.reader.parse_notebook``): a problem in the
preview is the problem ``lessonkit validate`` reports, in the same words.  Running a cell
again replaces what it defined (a check or a step by its id; a branch or choice belongs to
the step run last), so editing and re-running converges on the file's lesson.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lessonkit.model import Lesson, Problem

__all__ = ["Draft", "call_source"]

#: what stands in, in the draft, for the cells after a code or response check: the preview shows
#: the check when its own cell runs, before those cells; ``lessonkit validate`` checks them
_FOLLOWING = {"code": ("### BEGIN SOLUTION\npass\n### END SOLUTION", "assert True"),
              "response": ("The model answer.",)}


def call_source(call: str, args: Mapping[str, Any]) -> str:
    """The source of a call as the teacher could have written it (``repr`` of literals is
    literal; anything else is refused by the reader, as it is in the file)."""
    return f"lk.{call}(" + ", ".join(f"{key}={value!r}" for key, value in args.items()) + ")"


@dataclass
class _Step:
    args: dict[str, Any] | None  # None: the implicit first step, before any lk.step
    checks: list[str] = field(default_factory=list)
    end: tuple[str, dict[str, Any]] | None = None  # ("branch" | "choose", its arguments)


class Draft:
    """The calls run so far, in lesson order; ``folder`` is where the lesson's files are."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.header: dict[str, Any] | None = None
        self._steps: dict[str, _Step] = {}
        self._checks: dict[str, dict[str, Any]] = {}
        self._current: str | None = None
        self._cells: dict[str, str] = {}  # notebook cell id -> the key of what it defined

    # -- recording -------------------------------------------------------------------------

    def record(self, call: str, args: dict[str, Any], cell: str | None = None) -> str:
        """Record one call; returns the key its cell is known by (see :meth:`read`).

        ``cell`` is the id of the notebook cell it ran in, when the front end says (JupyterLab
        does): a cell run again then replaces what it defined before, even under a new id,
        and a branch or choice stays with its own step rather than the step run last.
        """
        before = self._cells.get(cell) if cell else None
        if call == "lesson":
            self.header = args
            key = "lesson"
        elif call == "step":
            key = self._record_step(args, before)
        elif call == "check":
            key = self._record_check(args, before)
        else:
            owner = before.removeprefix("end:") if before and before.startswith("end:") else None
            if owner not in self._steps:
                owner = self._current_step_key()
            self._steps[owner].end = (call, args)
            key = f"end:{owner}"
        if cell:
            self._cells[cell] = key
        return key

    def _record_step(self, args: dict[str, Any], before: str | None) -> str:
        key = f"step:{args.get('id')!r}"
        if before in self._steps and before != key and key not in self._steps:  # the step was renamed
            self._steps = {key if k == before else k: v for k, v in self._steps.items()}
        self._steps.setdefault(key, _Step(args)).args = args
        self._current = key
        return key

    def _record_check(self, args: dict[str, Any], before: str | None) -> str:
        key = f"check:{args.get('id')!r}"
        renamed = before in self._checks and before != key
        for step in self._steps.values():
            if renamed and before in step.checks:
                self._checks.pop(before)
                step.checks[step.checks.index(before)] = key
        if not any(key in s.checks for s in self._steps.values()):
            self._steps[self._current_step_key()].checks.append(key)
        self._checks[key] = args
        return key

    def _current_step_key(self) -> str:
        if self._current is None:
            self._current = "step:<implicit>"
            self._steps.setdefault(self._current, _Step(None))
        return self._current

    # -- reading ------------------------------------------------------------------------

    @property
    def lesson_id(self) -> str:
        given = (self.header or {}).get("id")
        return given if isinstance(given, str) and given else "preview"

    def read(self) -> tuple[Lesson | None, list[Problem], dict[str, int]]:
        """The draft lesson, every problem the reader finds in it, and the cell of each call."""
        from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

        from lessonkit.format.reader import parse_notebook

        sources: list[tuple[str, str]] = []
        cells: dict[str, int] = {}

        def add(key: str | None, source: str, kind: str = "code") -> None:
            if key is not None:
                cells[key] = len(sources)
            sources.append((kind, source))

        add("lesson", "import lessonkit as lk\n" + call_source("lesson", self._header()))
        if not self._steps:  # only the header has run: its preview is not the place for "no steps"
            add(None, call_source("step", {"id": "intro"}))
        for key, step in self._steps.items():
            if step.args is not None:
                add(key, call_source("step", step.args))
            for check_key in step.checks:
                args = self._checks[check_key]
                add(check_key, call_source("check", args))
                for following in _FOLLOWING.get(str(args.get("kind")), ()):
                    add(None, following, "markdown" if args.get("kind") == "response" else "code")
            if step.end is not None:
                add(f"end:{key}", call_source(*step.end))
        nb = new_notebook(cells=[new_code_cell(s) if kind == "code" else new_markdown_cell(s) for kind, s in sources])
        lesson, problems = parse_notebook(nb, self.folder / f"{self.lesson_id}.ipynb")
        return lesson, problems, cells

    def _header(self) -> dict[str, Any]:
        """The lesson header run, or (before it runs) one declaring the skills the checks name,
        so a check can be previewed on its own."""
        if self.header is not None:
            return self.header
        skills = sorted({s for args in self._checks.values() for s in args.get("skills") or () if isinstance(s, str)})
        return {"id": "preview", "title": "Preview", "skills": {s: {"name": s} for s in skills}}

    def step_id(self, key: str) -> str:
        """The id of the step a branch or choice (by the key :meth:`record` returned) ends:
        "intro" for the page before any step, as the reader names it."""
        step = self._steps.get(key.removeprefix("end:"))
        return str(step.args.get("id")) if step is not None and step.args is not None else "intro"
